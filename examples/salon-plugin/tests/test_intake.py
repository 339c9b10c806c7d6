"""Hair type and allergies on the scheduling form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from clientcard import FormError


def test_the_scheduling_form_asks_hair_type_and_allergies(clientcard_workspace: Any) -> None:
    schema = clientcard_workspace.form_schema("scheduling")
    assert schema["properties"]["hair_type"]["title"] == "Hair type"
    assert "curly" in json.dumps(schema["properties"]["hair_type"])
    assert "allergies" in schema["properties"]
    assert "hair_type" in schema["required"] and "allergies" not in schema["required"]
    assert "hair_type" not in clientcard_workspace.form_schema("signup")["properties"]


def test_answers_are_kept_on_the_card(clientcard_workspace: Any) -> None:
    result = clientcard_workspace.submit_form(
        "scheduling",
        {"name": "Giulia Bianchi", "email": "giulia@example.com", "hair_type": "Curly",
         "allergies": "hair dye (PPD)"},
    )  # fmt: skip
    assert result.created
    assert result.customer.fields == {"hair_type": "curly", "allergies": "hair dye (PPD)"}


def test_a_vague_allergy_or_a_missing_hair_type_is_refused(clientcard_workspace: Any) -> None:
    with pytest.raises(FormError) as caught:
        clientcard_workspace.submit_form("scheduling", {"name": "Ana", "allergies": "yes"})
    assert set(caught.value.errors) == {"hair_type", "allergies"}
    assert "such as hair dye" in caught.value.errors["allergies"]
    assert clientcard_workspace.count_customers() == 0


def test_the_cli_shows_the_questions_and_the_fields(clientcard_cli: Any, tmp_path: Any) -> None:
    schema = clientcard_cli("forms", "schema", "scheduling")
    assert schema.exit_code == 0, schema.stderr
    assert "hair_type" in json.loads(schema.stdout)["properties"]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"name": "Marco", "hair_type": "wavy"}))
    submitted = clientcard_cli("forms", "submit", "scheduling", str(answers))
    assert submitted.exit_code == 0, submitted.stderr
    listed = clientcard_cli("fields", "list")
    assert "hair_type" in listed.stdout and "allergies" in listed.stdout
