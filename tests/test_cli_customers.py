"""The customers commands, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import click

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


# -- messages a person reads ---------------------------------------------------------------


def test_messages_never_show_python_none_or_lists(run: RunCLI, workspace: Workspace) -> None:
    ana = add(run, "--name", "Ana")
    cases = [
        (("notes", "add", "--customer", str(ana), "--text", ""), "text: no value given"),
        (("customers", "edit", str(ana), "--unset", "name"), "name: no value given"),
        (("customers", "edit", str(ana), "--set", "name="), "name: no value given"),
        (("bookings", "add", "--customer", str(ana), "--date", " "), "date: no value given"),
        (("tags", "add", " ", "--id", str(ana)), "tags: no value given; expected at least one tag"),
    ]
    for args, words in cases:
        result = run(*args)
        assert_user_error(result, words)
        assert "None" not in result.stderr and "''" not in result.stderr
    run("segments", "save", "lapsed", "--status", "churn", "--tag", "win back", "--any-tag")
    listed = run("segments", "list").stdout
    assert '--status churn --tag "win back" --any-tag' in listed
    assert "[" not in listed and "statuses" not in listed
    shown = run("segments", "show", "lapsed").stdout
    assert shown.startswith("segment 'lapsed': --status churn --tag \"win back\" --any-tag\n")


def test_a_setting_is_shown_as_clientcard_toml_writes_it(run: RunCLI) -> None:
    flag = run("config", "set", "status.lifecycle.churn_after_days", "true")
    assert_user_error(flag, "churn_after_days = true has the wrong type")
    listed = run("config", "set", "duplicates.min_score", '["a"]')
    assert_user_error(listed, 'min_score = ["a"] has the wrong type')
    assert "True" not in flag.stderr and "['a']" not in listed.stderr


def test_a_form_answer_is_shown_as_written_not_as_python(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(
        json.dumps({"name": "Ana", "email": ["a@b.it"], "newsletter": True, "extra": None})
    )
    result = run("forms", "submit", "signup", str(answers))
    assert result.exit_code == 1
    assert "None" not in result.stderr and "True" not in result.stderr
    assert "['" not in result.stderr
    assert "extra: an empty value is not an answer to form 'signup'" in result.stderr
    assert "newsletter: true is not an answer to form 'signup'" in result.stderr


def test_h_is_help_on_every_command(run: RunCLI) -> None:
    from clientcard.cli import cli

    def paths(group: click.Group, before: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = [before]
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                found += paths(command, (*before, name))
            else:
                found.append((*before, name))
        return found

    every = paths(cli, ())
    assert ("customers", "add") in every and ("plugins", "new") in every
    for path in every:
        result = run(*path, "-h")
        assert result.exit_code == 0, (path, result.output)
        assert result.stdout.startswith(f"Usage: {' '.join(('cli', *path))}"), path
        assert "-h, --help" in result.stdout, path


def test_required_options_say_so_in_help(run: RunCLI) -> None:
    booking = run("bookings", "add", "--help").stdout
    date_help = booking[booking.index("--date") :].split("\n  --")[0]
    assert "[required]" in date_help
    assert "[required]" in run("notes", "add", "--help").stdout
    # required unless another option is given: the help says which
    export = " ".join(run("export", "-h").stdout.split())
    assert export.count("(required, but for --list-") == 2  # wrapped at a hyphen
    assert "required, or --preset" in " ".join(run("fields", "add", "-h").stdout.split())
    missing = run("bookings", "add", "--customer", "1")
    assert missing.exit_code == 2 and "Missing option '--date'" in missing.stderr


def test_an_unknown_status_or_tier_is_an_error_naming_those_there_are(run: RunCLI) -> None:
    add(run, "--name", "Ana")
    assert_user_error(
        run("customers", "list", "--status", "nosuch"),
        "status: 'nosuch' is not valid; expected one of: new, paid, loyal, churn",
    )
    assert_user_error(run("tags", "add", "x", "--status", "Churn"), "status: 'Churn'", "churn")
    assert_user_error(run("customers", "list", "--tier", "gold"), "tier: 'gold'", "[tier] rule_set")
    run("config", "set", "tier.rule_set", "loyalty-tiers")
    assert run("customers", "list", "--tier", "gold", "--count").stdout == "0\n"
    # a status set by hand where no rule set gives it is one there is
    run("config", "set", "status.rule_set", "")
    assert run("customers", "status", "vip", "1").exit_code == 0
    assert run("customers", "list", "--status", "vip", "--count").stdout == "1\n"


def test_delete_asks_naming_how_many_and_who(run: RunCLI, workspace: Workspace) -> None:
    for name in ("Ana Rossi", "Bruno Verdi", "Carla Neri", "Dario Blu", "Elena Gialli"):
        add(run, "--name", name)
    asked = run("customers", "delete", "--search", "r", input="n\n")
    assert asked.stdout.startswith(
        "Delete 4 customers: Ana Rossi (1), Bruno Verdi (2), Carla Neri (3) and 1 more? [y/N]"
    )
    one = run("customers", "delete", "5", input="n\n")
    assert one.stdout.startswith("Delete 1 customer: Elena Gialli (5)? [y/N]")
    assert workspace.count_customers() == 5
    assert_user_error(run("customers", "delete", "--search", "nobody"), "none matches")


# -- --format json on the commands that change data -----------------------------------------


def test_add_prints_the_id_by_default_and_the_record_as_json(
    run: RunCLI, workspace: Workspace
) -> None:
    assert run("customers", "add", "--name", "Ana").stdout == "1\n"
    result = run(
        "customers", "add", "--name", "Bruno", "--phone", "333 123 4567", "--tag", "vip",
        "--format", "json",
    )  # fmt: skip
    record = json.loads(result.stdout)
    assert record == Workspace.to_json(workspace.get_customer(2))
    assert (record["id"], record["phone"], record["tags"]) == (2, "+393331234567", ["vip"])


def test_edit_and_delete_print_what_they_changed_as_json(run: RunCLI, workspace: Workspace) -> None:
    for name in ("Ana", "Bruno", "Carla"):
        add(run, "--name", name, "--tag", "roma" if name != "Bruno" else "milano")
    workspace.add_tags(["vip"], [3])
    edited = json.loads(
        run("customers", "edit", "--tag", "roma", "--set", "name=Anna", "--format", "json").stdout
    )
    assert edited["updated"] == 2
    assert [(c["id"], c["name"]) for c in edited["customers"]] == [(1, "Anna"), (3, "Anna")]
    assert edited["customers"][1] == Workspace.to_json(workspace.get_customer(3))
    # a customer the edit leaves as it was is not among the changed
    same = json.loads(
        run("customers", "edit", "1", "2", "--set", "name=Anna", "--format", "json").stdout
    )
    assert same["updated"] == 1 and [c["id"] for c in same["customers"]] == [2]
    before = Workspace.to_json(workspace.get_customer(3))
    # a dry run prints what the real run would, and says it was one
    dry = run("customers", "edit", "--tag", "roma", "--set", "name=X", "--dry-run", "--format=json")
    would = json.loads(dry.stdout)
    assert (would["updated"], would["dry_run"]) == (2, True)
    assert [(c["id"], c["name"]) for c in would["customers"]] == [(1, "X"), (3, "X")]
    dry = run("customers", "delete", "--tag", "vip", "--dry-run", "--format", "json")
    assert json.loads(dry.stdout) == {"deleted": 1, "customers": [before], "dry_run": True}
    assert workspace.get_customer(3).name == "Anna"
    deleted = json.loads(run("customers", "delete", "3", "--yes", "--format", "json").stdout)
    assert deleted == {"deleted": 1, "customers": [before]}
    assert workspace.count_customers() == 2


def test_tags_and_fields_print_what_they_changed_as_json(run: RunCLI, workspace: Workspace) -> None:
    for name in ("Ana", "Bruno", "Carla"):
        add(run, "--name", name)
    workspace.add_tags(["promo"], [2])
    result = run("tags", "add", "promo", "--id", "1", "--id", "2", "--format", "json")
    tagged = json.loads(result.stdout)
    assert tagged["tagged"] == 1  # Bruno had it
    assert [(c["id"], c["tags"]) for c in tagged["customers"]] == [(1, ["promo"])]
    # removing by the tag itself: the records are found again by id, after the change
    untagged = json.loads(run("tags", "remove", "promo", "--tag", "promo", "--format=json").stdout)
    assert untagged["untagged"] == 2
    assert [(c["id"], c["tags"]) for c in untagged["customers"]] == [(1, []), (2, [])]
    dry = json.loads(run("tags", "add", "x", "--id", "3", "--dry-run", "--format", "json").stdout)
    assert (dry["tagged"], dry["customers"][0]["tags"], dry["dry_run"]) == (1, ["x"], True)
    assert workspace.tags() == []
    added = run("fields", "add", "visits", "--type", "integer", "--required", "--format", "json")
    assert json.loads(added.stdout) == {
        "key": "visits",
        "label": "Visits",
        "type": "integer",
        "required": True,
        "choices": [],
        "help": "",
        "forms": [],
        "builtin": False,
        "options": {},
    }
    assert "3 existing record(s) have no value for visits" in added.stderr
    assert run("fields", "add", "city", "--type", "text").stdout == "added field city (text)\n"
