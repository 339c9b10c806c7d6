"""The ``salon`` merge strategy."""

from __future__ import annotations

from typing import Any


def test_the_regular_card_survives_and_no_allergy_is_hidden(clientcard_workspace: Any) -> None:
    ws = clientcard_workspace
    known = ws.add_customer(
        "Giulia Bianchi", phone="333 123 4567", fields={"allergies": "none", "hair_type": "wavy"}
    ).id
    for day in ("2025-03-01", "2025-03-29", "2025-04-26"):
        ws.record_booking(known, day)
    # signed up again online, later, with more to say
    online = ws.add_customer(
        "Giulia B.",
        email="giulia@example.com",
        fields={"allergies": "latex", "hair_type": "curly"},
    ).id

    result = ws.merge([online, known], strategy="salon")
    assert result.survivor.id == known
    assert result.survivor.name == "Giulia Bianchi"
    assert result.survivor.email == "giulia@example.com"  # blanks are filled
    assert result.survivor.fields == {"allergies": "latex", "hair_type": "curly"}
    assert len(ws.activity("booking", known)) == 3


def test_an_allergy_beats_a_shorter_or_empty_answer(clientcard_workspace: Any) -> None:
    ws = clientcard_workspace
    a = ws.add_customer("Ana", fields={"allergies": "PPD"}).id
    b = ws.add_customer("Ana V", fields={"allergies": "no allergies"}).id
    assert ws.merge([b, a], strategy="salon").survivor.fields["allergies"] == "PPD"


def test_the_plugin_is_listed(clientcard_cli: Any) -> None:
    result = clientcard_cli("plugins")
    assert result.exit_code == 0, result.stderr
    assert "regulars" in result.stdout and "salon-intake" in result.stdout
    assert "mailing-list" in result.stdout and "salon" in result.stdout
