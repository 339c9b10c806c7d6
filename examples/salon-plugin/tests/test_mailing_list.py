"""The ``mailing-list`` exporter: opted-in customers with an e-mail address."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from clientcard import ClientcardError


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_opted_in_through_the_consent_field(clientcard_workspace: Any, tmp_path: Path) -> None:
    ws = clientcard_workspace
    ws.add_field("marketing_email", preset="marketing-email")
    ws.add_customer(
        "Giulia Bianchi",
        email="giulia@example.com",
        fields={"marketing_email": "yes @ 2025-01-02T10:00", "hair_type": "curly"},
    )
    ws.add_customer("Marco Rossi", email="marco@example.com", fields={"marketing_email": "no"})
    ws.add_customer("Ana Verdi", fields={"marketing_email": "yes"})  # no e-mail address
    ws.add_customer("Luca Neri", email="luca@example.com")  # never asked

    assert ws.export("mailing-list", tmp_path / "list.csv") == 4
    (giulia,) = rows(tmp_path / "list.csv")
    assert giulia == {
        "email": "giulia@example.com",
        "first_name": "Giulia",
        "name": "Giulia Bianchi",
        "hair_type": "curly",
        "status": "new",
        "opted_in_at": "2025-01-02T10:00:00+00:00",
    }


def test_a_boolean_newsletter_field_works_too(clientcard_workspace: Any, tmp_path: Path) -> None:
    ws = clientcard_workspace
    ws.add_field("newsletter", type="boolean")
    ws.add_customer("Giulia", email="giulia@example.com", fields={"newsletter": True})
    ws.add_customer("Marco", email="marco@example.com", fields={"newsletter": False})
    ws.export("mailing-list", tmp_path / "list.csv")
    assert [r["email"] for r in rows(tmp_path / "list.csv")] == ["giulia@example.com"]


def test_without_an_opt_in_field_nothing_is_written(
    clientcard_workspace: Any, tmp_path: Path
) -> None:
    clientcard_workspace.add_customer("Giulia", email="giulia@example.com")
    with pytest.raises(ClientcardError, match="marketing-email"):
        clientcard_workspace.export("mailing-list", tmp_path / "list.csv")
    assert list(tmp_path.iterdir()) == []


def test_a_campaign_for_customers_at_risk(clientcard_cli: Any, tmp_path: Path) -> None:
    assert clientcard_cli("fields", "add", "--preset", "marketing-email").exit_code == 0
    for name, email in (("Giulia", "giulia@example.com"), ("Marco", "marco@example.com")):
        added = clientcard_cli(
            "customers", "add", "--name", name, "--email", email, "--set", "marketing_email=yes"
        )
        assert added.exit_code == 0, added.stderr
    for day in ("2025-03-01", "2025-03-29", "2025-04-26"):
        clientcard_cli("bookings", "add", "--customer", "1", "--date", day)
    clientcard_cli("bookings", "add", "--customer", "2", "--date", "2025-06-01")
    assert clientcard_cli("classify", "--as-of", "2025-06-10").exit_code == 0

    out = tmp_path / "at-risk.csv"
    result = clientcard_cli(
        "export", "--format", "mailing-list", "--status", "at-risk", "--output", str(out)
    )
    assert result.exit_code == 0, result.stderr
    assert [r["first_name"] for r in rows(out)] == ["Giulia"]
    listed = clientcard_cli("export", "--list-formats")
    assert "mailing-list" in listed.stdout
