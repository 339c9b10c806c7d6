"""Admin-defined fields: add, list, edit (with re-checks), remove (with --force)."""

from __future__ import annotations

import json

from clientcard import Workspace
from conftest import RunCLI
from test_cli_customers import add, assert_user_error


def test_add_and_list_fields(run: RunCLI) -> None:
    result = run(
        "fields",
        "add",
        "hair_type",
        "--type",
        "choice",
        "--label",
        "Hair type",
        "--choice",
        "curly",
        "--choice",
        "straight",
        "--form",
        "scheduling",
        "--help-text",
        "Asked before the first visit",
        "--required",
    )
    assert result.exit_code == 0, result.stderr
    fields = json.loads(run("fields", "list", "--format", "json").stdout)
    assert [f["key"] for f in fields] == [
        "name",
        "email",
        "phone",
        "external_id",
        "joined_at",
        "birth_date",  # a starter field: every new workspace has it
        "hair_type",
    ]
    hair = fields[-1]
    assert hair == {
        "key": "hair_type",
        "label": "Hair type",
        "type": "choice",
        "required": True,
        "choices": ["curly", "straight"],
        "help": "Asked before the first visit",
        "forms": ["scheduling"],
        "builtin": False,
        "options": {},
    }
    assert "Hair type" in run("fields", "list").stdout


def test_field_definition_errors(run: RunCLI) -> None:
    assert_user_error(run("fields", "add", "Bad Key", "--type", "text"), "Bad Key")
    assert_user_error(run("fields", "add", "email", "--type", "text"), "reserved")
    assert_user_error(run("fields", "add", "x", "--type", "nope"), "nope", "text")
    assert_user_error(run("fields", "add", "x", "--type", "choice"), "--choice")
    run("fields", "add", "x", "--type", "text")
    assert_user_error(run("fields", "add", "x", "--type", "text"), "already exists")
    assert_user_error(run("fields", "remove", "name"), "built-in")
    assert_user_error(run("fields", "edit", "email", "--type", "text"), "built-in")


def test_builtin_fields_can_be_relabelled_and_required(run: RunCLI, workspace: Workspace) -> None:
    assert run("fields", "edit", "email", "--label", "Posta", "--required").exit_code == 0
    assert workspace.field("email").label == "Posta"
    assert_user_error(run("customers", "add", "--name", "A"), "email", "required")


def test_remove_field_with_data_needs_force(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "city", "--type", "text")
    add(run, "--name", "A", "--set", "city=Roma")
    add(run, "--name", "B", "--set", "city=Bari")
    add(run, "--name", "C")
    assert_user_error(run("fields", "remove", "city"), "2 record", "--force")
    assert workspace.get_customer(1).fields == {"city": "Roma"}
    result = run("fields", "remove", "city", "--force")
    assert result.exit_code == 0
    assert "2 record" in result.stdout
    assert [c.fields for c in workspace.customers()] == [{}, {}, {}]
    assert "city" not in workspace.schema().defs
    # an empty field goes without --force
    run("fields", "add", "notes", "--type", "long-text")
    assert run("fields", "remove", "notes").exit_code == 0


def test_type_change_refuses_listing_invalid_records(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "visits", "--type", "text")
    add(run, "--name", "A", "--set", "visits=3")
    add(run, "--name", "B", "--set", "visits=many")
    add(run, "--name", "C", "--set", "visits=4.5")
    result = run("fields", "edit", "visits", "--type", "integer")
    assert_user_error(result, "2 record", "customers 2", "many", "4.5")
    assert workspace.field("visits").type == "text"
    assert workspace.get_customer(1).fields == {"visits": "3"}


def test_type_change_converts_values(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "visits", "--type", "text")
    add(run, "--name", "A", "--set", "visits=3")
    add(run, "--name", "B", "--set", "visits= 12")
    assert run("fields", "edit", "visits", "--type", "integer").exit_code == 0
    assert [c.fields["visits"] for c in workspace.customers()] == [3, 12]
    assert_user_error(run("customers", "edit", "1", "--set", "visits=lots"), "visits", "lots")


def test_narrowing_choices_rechecks_values(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "level", "--type", "choice", "--choice", "bronze", "--choice", "gold")
    add(run, "--name", "A", "--set", "level=gold")
    assert_user_error(
        run("fields", "edit", "level", "--choice", "bronze", "--choice", "silver"),
        "customers 1",
        "gold",
    )
    assert run("fields", "edit", "level", "--choice", "gold", "--choice", "platinum").exit_code == 0
    assert workspace.field("level").choices == ("gold", "platinum")


def test_field_types_lists_builtins(run: RunCLI) -> None:
    types = {t["name"] for t in json.loads(run("fields", "types", "--format", "json").stdout)}
    assert types >= {
        "text",
        "long-text",
        "integer",
        "decimal",
        "money",
        "boolean",
        "date",
        "datetime",
        "email",
        "phone",
        "choice",
        "multi-choice",
        "url",
    }


def test_status_keys_are_reserved(run: RunCLI) -> None:
    for key in ("status", "tier", "pinned"):
        assert_user_error(run("fields", "add", key, "--type", "text"), key, "reserved")
