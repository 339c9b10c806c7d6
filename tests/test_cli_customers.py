"""The customers commands, end to end through the CLI."""

from __future__ import annotations

import json

from clientcard import Workspace
from conftest import RunCLI


def add(run: RunCLI, *args: str) -> int:
    result = run("customers", "add", *args)
    assert result.exit_code == 0, result.stderr
    return int(result.stdout)


def test_add_prints_the_new_id_alone(run: RunCLI) -> None:
    result = run("customers", "add", "--name", "Ana Rossi")
    assert result.exit_code == 0
    assert result.stdout == "1\n"
    assert add(run, "--name", "Bruno Verdi") == 2


def test_add_stores_normalised_values(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "visits", "--type", "integer")
    id = add(
        run,
        "--name",
        "Giulia Bianchi",
        "--email",
        "Giulia@Example.COM",
        "--phone",
        "06 1234 5678",
        "--external-id",
        "crm-7",
        "--joined-at",
        "2024-05-01",
        "--tag",
        "VIP",
        "--tag",
        "vip ",
        "--tag",
        "Roma",
        "--set",
        "visits=3",
    )
    shown = json.loads(run("customers", "show", str(id), "--format", "json").stdout)
    assert shown["email"] == "Giulia@example.com"
    assert shown["phone"] == "+390612345678"
    assert shown["external_id"] == "crm-7"
    assert shown["joined_at"] == "2024-05-01"
    assert shown["tags"] == ["VIP", "Roma"]
    assert shown["fields"] == {"visits": 3}
    assert set(shown) >= {
        "id",
        "external_id",
        "name",
        "email",
        "phone",
        "joined_at",
        "status",
        "tags",
        "fields",
        "created_at",
        "updated_at",
    }


def test_show_table_lists_fields_by_label(run: RunCLI) -> None:
    run("fields", "add", "city", "--type", "text", "--label", "Home city")
    id = add(run, "--name", "Ana", "--set", "city=Roma")
    out = run("customers", "show", str(id)).stdout
    assert "Home city" in out and "Roma" in out and "Ana" in out


def test_edit_sets_and_unsets(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "city", "--type", "text")
    id = add(run, "--name", "Ana", "--set", "city=Roma", "--email", "ana@example.com")
    result = run(
        "customers",
        "edit",
        str(id),
        "--set",
        "city=Milano",
        "--set",
        "name=Ana Maria",
        "--unset",
        "email",
    )
    assert result.exit_code == 0, result.stderr
    customer = workspace.get_customer(id)
    assert customer.fields == {"city": "Milano"}
    assert customer.name == "Ana Maria"
    assert customer.email is None
    assert customer.updated_at > customer.created_at


def test_list_every_record_unless_limited(run: RunCLI) -> None:
    for n in range(30):
        add(run, "--name", f"Customer {n}")
    everything = json.loads(run("customers", "list", "--format", "json").stdout)
    assert [c["name"] for c in everything] == [f"Customer {n}" for n in range(30)]
    some = json.loads(
        run("customers", "list", "--format", "json", "--limit", "5", "--offset", "10").stdout
    )
    assert [c["id"] for c in some] == [11, 12, 13, 14, 15]
    table = run("customers", "list").stdout
    assert "Customer 29" in table


def test_delete_asks_unless_yes(run: RunCLI, workspace: Workspace) -> None:
    a, b, c = (add(run, "--name", n) for n in ("A", "B", "C"))
    refused = run("customers", "delete", str(a), input="n\n")
    assert refused.exit_code == 1
    assert workspace.count_customers() == 3
    assert run("customers", "delete", str(a), input="y\n").exit_code == 0
    assert run("customers", "delete", str(b), str(c), "--yes").stdout == "deleted 2 customer(s)\n"
    assert workspace.count_customers() == 0
    # ids are never reused
    assert add(run, "--name", "D") == 4


def assert_user_error(result: object, *words: str) -> None:
    assert result.exit_code == 1, (result.stdout, result.stderr)  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    for word in words:
        assert word in lines[0], lines[0]


def test_bad_input_is_one_line_and_writes_nothing(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "level", "--type", "choice", "--choice", "bronze", "--choice", "gold")
    run("fields", "add", "city", "--type", "text", "--required")
    add(run, "--name", "First", "--external-id", "x1", "--set", "city=Roma")
    cases = [
        (
            ("--name", "A", "--email", "not-an-email", "--set", "city=Roma"),
            ("email", "not-an-email"),
        ),
        (("--name", "A", "--phone", "12", "--set", "city=Roma"), ("phone", "12")),
        (
            ("--name", "A", "--joined-at", "2024-13-01", "--set", "city=Roma"),
            ("joined_at", "2024-13-01"),
        ),
        (
            ("--name", "A", "--set", "level=platinum", "--set", "city=Roma"),
            ("level", "platinum", "bronze"),
        ),
        (("--name", "A", "--set", "colour=red", "--set", "city=Roma"), ("colour", "known fields")),
        (("--name", "A"), ("city", "required")),
        (("--name", "A", "--external-id", "x1", "--set", "city=Roma"), ("x1", "customer 1")),
        (("--name", "A", "--set", "city"), ("KEY=VALUE",)),
    ]
    for args, words in cases:
        assert_user_error(run("customers", "add", *args), *words)
    assert_user_error(run("customers", "show", "99"), "99")
    assert_user_error(run("customers", "edit", "99", "--set", "city=X"), "99")
    assert_user_error(run("customers", "delete", "1", "99", "--yes"), "99")
    assert_user_error(run("customers", "edit", "1", "--unset", "city"), "city", "required")
    assert workspace.count_customers() == 1
    assert workspace.get_customer(1).fields == {"city": "Roma"}


def test_usage_errors_exit_2(run: RunCLI) -> None:
    assert run("customers", "add").exit_code == 2
    assert run("customers", "show", "abc").exit_code == 2


def test_outside_a_workspace_is_a_clear_error(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from conftest import make_runner

    monkeypatch.setenv("CLIENTCARD_WORKSPACE", str(tmp_path / "nowhere"))
    result = make_runner()("customers", "list")
    assert_user_error(result, "not a clientcard workspace", "clientcard init")
