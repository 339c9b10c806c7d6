"""Selections: every filter alone and combined, forgiving search, tags, bulk actions, segments."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from clientcard import Customer, ValidationError, Workspace, WorkspaceError, hookimpl
from clientcard.core.text import fold
from clientcard.find.selection import Selection
from conftest import RunCLI
from test_cli_customers import assert_user_error


@pytest.fixture
def people(workspace: Workspace) -> dict[str, int]:
    """Six customers in a workspace in Italy, with custom fields city and visits."""
    ws = workspace
    ws.add_field("city", type="text")
    ws.add_field("visits", type="integer")
    rows: list[dict[str, Any]] = [
        {
            "name": "José Müller",
            "email": "Jose.M@Example.com",
            "phone": "06 12345678",
            "joined_at": "2019-03-01",
            "tags": ["VIP"],
            "city": "Roma",
            "visits": 5,
        },
        {
            "name": "Anna Rossi",
            "email": "anna@example.it",
            "phone": "+39 333 1234567",
            "joined_at": "2021-07-15",
            "tags": ["vip", "Roman"],
            "city": "Milano",
            "visits": 1,
        },
        {
            "name": "علي كريمي",
            "email": "ali@example.ir",
            "joined_at": "2023-01-10",
            "tags": ["new  year"],
            "city": "Tehran",
            "visits": 3,
        },
        {"name": "ＭＡＲＩＡ Lopez", "joined_at": "2024-05-05", "city": "roma"},
        {"name": "Chen Wei", "external_id": "EXT-77", "joined_at": "2025-02-02", "visits": 0},
        {"name": "Zoë Ñúñez", "email": "zoe@example.es", "tags": ["Roman"]},
    ]
    added = ws.add_customers(rows)
    return {c.name.split()[0]: c.id for c in added}


def ids(ws: Workspace, **filters: Any) -> list[int]:
    return ws.select(Selection(**filters))


# -- text folding --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("jose", "José"),
        ("MULLER", "Müller"),
        ("maria", "ＭＡＲＩＡ"),  # full width
        ("nunez", "Ñúñez"),
        ("zoe", "Zoë"),
        ("علی", "علي"),  # Persian yeh typed, Arabic yeh stored
        ("کریمی", "كريمي"),  # Persian kaf and yeh
        ("محمد", "مُحَمَّد"),  # diacritics
        ("میخواهم", "می\u200cخواهم"),  # zero-width non-joiner
    ],
)
def test_fold_makes_spellings_meet(typed: str, stored: str) -> None:
    assert fold(typed) in fold(stored)


# -- each filter alone ---------------------------------------------------------------


def test_search_is_forgiving_and_partial(workspace: Workspace, people: dict[str, int]) -> None:
    assert ids(workspace, search="jose") == [people["José"]]
    assert ids(workspace, search="MULLER") == [people["José"]]
    assert ids(workspace, search="mül jo") == [people["José"]]  # parts of words, any order
    assert ids(workspace, search="maria") == [people["ＭＡＲＩＡ"]]
    assert ids(workspace, search="علی کریمی") == [people["علي"]]
    assert ids(workspace, search="nunez") == [people["Zoë"]]
    assert ids(workspace, search="example.it") == [people["Anna"]]  # e-mail
    assert ids(workspace, search="333 1234") == [people["Anna"]]  # phone digits
    assert ids(workspace, search="ext-77") == [people["Chen"]]  # external id
    assert ids(workspace, search="nobody") == []


def test_status_tier_and_join_dates(workspace: Workspace, people: dict[str, int]) -> None:
    workspace.set_status([people["Anna"]], "loyal")
    assert ids(workspace, statuses=["loyal"]) == [people["Anna"]]
    assert len(ids(workspace, statuses=["loyal", "new"])) == 6
    with pytest.raises(ValidationError, match="tier: 'gold' is not valid"):
        ids(workspace, tiers=["gold"])  # no rule set gives tiers, and nobody has one
    assert ids(workspace, joined_from=date(2023, 1, 10), joined_to=date(2024, 12, 31)) == [
        people["علي"],
        people["ＭＡＲＩＡ"],
    ]
    assert ids(workspace, joined_to=date(2019, 3, 1)) == [people["José"]]


def test_email_and_phone_match_after_normalisation(
    workspace: Workspace, people: dict[str, int]
) -> None:
    assert ids(workspace, email="jose.m@example.com") == [people["José"]]
    assert ids(workspace, email=" JOSE.M@EXAMPLE.COM ") == [people["José"]]
    # stored from "06 12345678" in a workspace whose region is IT
    assert ids(workspace, phone="+39 06 1234 5678") == [people["José"]]
    assert ids(workspace, phone="0612345678") == [people["José"]]
    assert ids(workspace, phone="333 123 4567") == [people["Anna"]]
    with pytest.raises(ValidationError, match="phone"):
        ids(workspace, phone="not a phone")


def test_tags_all_or_any_ignoring_case_and_spaces(
    workspace: Workspace, people: dict[str, int]
) -> None:
    assert ids(workspace, tags=["vip"]) == [people["José"], people["Anna"]]
    assert ids(workspace, tags=["VIP", "roman"]) == [people["Anna"]]
    assert ids(workspace, tags=["vip", "ROMAN"], any_tag=True) == [
        people["José"],
        people["Anna"],
        people["Zoë"],
    ]
    assert ids(workspace, tags=["New Year"]) == [people["علي"]]


def test_where_on_custom_and_built_in_fields(workspace: Workspace, people: dict[str, int]) -> None:
    assert ids(workspace, where="city = Roma") == [people["José"], people["ＭＡＲＩＡ"]]
    assert ids(workspace, where="city = Roma and visits >= 3") == [people["José"]]
    assert ids(workspace, where="visits is empty") == [people["ＭＡＲＩＡ"], people["Zoë"]]
    assert ids(workspace, where="joined_at < 2020-01-01") == [people["José"]]


def test_where_with_or_not_and_parentheses(
    workspace: Workspace, people: dict[str, int], run: RunCLI
) -> None:
    either = [people["José"], people["Anna"], people["ＭＡＲＩＡ"]]
    assert ids(workspace, where="city = Roma or visits = 1") == either
    assert ids(workspace, where="not city = Roma and visits is not empty") == [
        people["Anna"],
        people["علي"],
        people["Chen"],
    ]
    assert ids(workspace, where="(city = Tehran or city = Milano) and not visits > 2") == [
        people["Anna"]
    ]
    # within ids given in an order of their own, that order is kept
    given = (people["ＭＡＲＩＡ"], people["Anna"], people["José"])
    assert ids(workspace, ids=given, where="city = Roma or visits = 1") == list(given)
    assert ids(workspace, ids=given, where="not (city = Roma or visits = 1)") == []
    where = "city = Milano or city = Tehran"
    listed = run("customers", "list", "--where", where, "--format", "json")
    assert [c["name"] for c in json.loads(listed.stdout)] == ["Anna Rossi", "علي كريمي"]


def test_a_segments_or_stays_within_its_own_expression(
    workspace: Workspace, people: dict[str, int]
) -> None:
    workspace.save_segment("far", Selection(where="city = Tehran or visits = 1"))
    # (visits >= 3) and (city = Tehran or visits = 1), never "... and city = Tehran or visits = 1"
    assert ids(workspace, segment="far", where="visits >= 3") == [people["علي"]]


def test_or_and_not_still_test_each_distinct_value_once(
    workspace: Workspace, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from clientcard.find.where import Condition

    workspace.add_customers({"name": f"Guest {n}", "city": "Roma"} for n in range(200))
    calls = 0
    tested = Condition.matches_value

    def counting(self: Condition, raw: Any) -> bool:
        nonlocal calls
        calls += 1
        return tested(self, raw)

    monkeypatch.setattr(Condition, "matches_value", counting)
    found = ids(workspace, where="city = Milano or not (city = Roma or city = Tehran)")
    assert found == [people["Anna"], people["Chen"], people["Zoë"]]
    # 3 conditions over 5 distinct cities (Roma, Milano, Tehran, roma, none): not 206 rows each
    assert calls <= 3 * 5


def test_activity_filters(workspace: Workspace, people: dict[str, int]) -> None:
    ws = workspace
    today = ws.today()
    ws.record_booking(people["José"], (today - timedelta(days=400)).isoformat())
    ws.record_booking(people["Anna"], (today - timedelta(days=10)).isoformat())
    ws.record_booking(people["Anna"], (today + timedelta(days=5)).isoformat(), status="upcoming")
    ws.record_booking(people["Chen"], (today + timedelta(days=9)).isoformat(), status="upcoming")
    ws.record_payment(people["Chen"], "40 EUR", status="overdue")
    ws.record_payment(people["Zoë"], "40 EUR", status="received")
    ws.record_marketing_event(people["Zoë"], "Spring sale", event="viewed")
    ws.record_marketing_event(people["علي"], "Spring sale", event="clicked")
    year_ago = today - timedelta(days=365)
    assert ids(ws, last_booking_before=year_ago) == [people["José"]]
    assert ids(ws, last_booking_after=year_ago) == [people["Anna"]]
    assert ids(ws, upcoming_booking=True) == [people["Anna"], people["Chen"]]
    assert ids(ws, overdue_payment=True) == [people["Chen"]]
    assert ids(ws, viewed_campaign="spring SALE") == [people["علي"], people["Zoë"]]
    assert ids(ws, clicked_campaign="Spring sale") == [people["علي"]]


# -- combined, sorted, paged -----------------------------------------------------------


def test_filters_combine_with_and(workspace: Workspace, people: dict[str, int]) -> None:
    workspace.set_status([people["José"], people["Anna"]], "loyal")
    assert ids(workspace, statuses=["loyal"], tags=["vip"], where="visits >= 3") == [people["José"]]
    assert ids(workspace, search="ann", tags=["roman"], joined_from=date(2021, 1, 1)) == [
        people["Anna"]
    ]
    assert ids(workspace, statuses=["loyal"], tags=["new year"]) == []


def test_sort_limit_offset(workspace: Workspace, people: dict[str, int]) -> None:
    by_visits = workspace.select(None, sort="visits:desc")
    assert by_visits[:4] == [people["José"], people["علي"], people["Anna"], people["Chen"]]
    assert set(by_visits[4:]) == {people["ＭＡＲＩＡ"], people["Zoë"]}  # empty values last
    assert workspace.select(Selection(tags=["vip"]), sort="name") == [
        people["Anna"],
        people["José"],
    ]
    assert workspace.select(None, sort="id", limit=2, offset=1) == [2, 3]
    with pytest.raises(ValidationError, match="a field to sort by"):
        workspace.select(None, sort="shoe_size")


def test_list_from_the_cli(run: RunCLI, people: dict[str, int]) -> None:
    out = run("customers", "list", "--search", "MULLER", "--format", "json")
    assert [c["name"] for c in json.loads(out.stdout)] == ["José Müller"]
    count = run("customers", "list", "--tag", "VIP", "--where", "city = roma", "--count")
    assert count.stdout == "1\n"
    csv_out = run("customers", "list", "--tag", "roman", "--format", "csv", "--sort", "name")
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("id,name,email,phone,external_id,joined_at,status,tier,tags")
    assert lines[1].split(",")[1] == "Anna Rossi" and "Zoë" in lines[2]
    paged = run("customers", "list", "--limit", "2", "--offset", "1", "--format", "json")
    assert [c["id"] for c in json.loads(paged.stdout)] == [2, 3]
    assert_user_error(
        run("customers", "list", "--where", "visits >= many"), "--where", "visits", "many"
    )
    assert_user_error(
        run("customers", "list", "--joined-from", "yesterday"),
        "--joined-from",
        "'yesterday'",
        "YYYY-MM-DD",
    )


# -- tags ------------------------------------------------------------------------------


def test_tags_keep_the_spelling_first_used(workspace: Workspace, people: dict[str, int]) -> None:
    ws = workspace
    assert ws.add_tags(["Vip", "  spring   promo "], Selection(ids=(people["Chen"],))) == 1
    assert ws.get_customer(people["Chen"]).tags == ("VIP", "spring promo")
    assert ws.add_tags(["vip"], [people["José"]]) == 0  # has it already, whatever the case
    assert dict(ws.tags())["VIP"] == 3
    assert ws.remove_tags(["SPRING PROMO"], [people["Chen"]]) == 1
    assert ws.get_customer(people["Chen"]).tags == ("VIP",)
    assert ws.rename_tag("vip", "Very Important") == 3
    assert "VIP" not in dict(ws.tags()) and dict(ws.tags())["Very Important"] == 3
    assert ws.get_customer(people["Anna"]).tags == ("Very Important", "Roman")
    # new records and edits take the first spelling too
    assert ws.add_customer("Ugo", tags=["ROMAN", "very  important"]).tags == (
        "Roman",
        "Very Important",
    )
    assert ws.update_customer(people["Chen"], tags=["roman"]).tags == ("Roman",)


def test_tags_from_the_cli(run: RunCLI, workspace: Workspace, people: dict[str, int]) -> None:
    assert run("tags", "add", "romans", "--where", "city = roma").stdout == "tagged 2 customer(s)\n"
    assert run("tags", "add", "Promo", "--id", "5", "--id", "6").stdout == "tagged 2 customer(s)\n"
    dry = run("tags", "remove", "promo", "--tag", "promo", "--dry-run")
    assert dry.stdout == "would change 2 customer(s): 5, 6\n"
    assert len(workspace.select(Selection(tags=["promo"]))) == 2
    listed = json.loads(run("tags", "list", "--format", "json").stdout)
    assert {"tag": "romans", "customers": 2} in listed
    assert run("tags", "remove", "PROMO", "--tag", "promo").stdout == "untagged 2 customer(s)\n"
    assert run("tags", "rename", "ROMAN", "Roman Holiday").stdout.startswith("renamed")
    assert workspace.get_customer(people["Zoë"]).tags == ("Roman Holiday",)
    assert_user_error(run("tags", "add", "x"), "no customer selected")


# -- bulk actions -----------------------------------------------------------------------


def test_a_bulk_edit_failing_on_record_7000_of_10000_changes_nothing(
    workspace: Workspace,
) -> None:
    ws = workspace
    ws.add_field("visits", type="integer")
    ws.add_customers([{"name": f"C{n}", "visits": 1} for n in range(10_000)])
    # a record that went wrong by hand: its required name is gone
    with ws.store.write() as session:
        table = session.table("customers")
        table.put({**table.get(7000), "name": None})
    with pytest.raises(ValidationError, match="customer 7000: name"):
        ws.update_customers(Selection(where="visits = 1"), {"visits": 2})
    assert ids(ws, where="visits = 2") == []
    assert len(ids(ws, where="visits = 1")) == 10_000
    # without it, the same edit changes every one in one go
    with ws.store.write() as session:
        table = session.table("customers")
        table.put({**table.get(7000), "name": "C6999"})
    assert ws.update_customers(Selection(where="visits = 1"), {"visits": 2}) == 10_000
    assert len(ids(ws, where="visits = 2")) == 10_000


def test_bulk_edit_keeps_external_ids_unique(workspace: Workspace, people: dict[str, int]) -> None:
    with pytest.raises(Exception, match="external_id 'X-1' would also go to customer"):
        workspace.update_customers(Selection(tags=["vip"]), {"external_id": "X-1"})
    assert workspace.get_customer(people["José"]).external_id is None


def test_bulk_actions_from_the_cli(
    run: RunCLI, workspace: Workspace, people: dict[str, int]
) -> None:
    edited = run("customers", "edit", "--where", "city = roma", "--set", "visits=0")
    assert edited.stdout == "updated 2 customer(s)\n"
    assert ids(workspace, where="visits = 0") == [
        people["José"],
        people["ＭＡＲＩＡ"],
        people["Chen"],
    ]
    dry = run("customers", "edit", "--tag", "vip", "--unset", "city", "--dry-run")
    assert dry.stdout.startswith("would change 2 customer(s)")
    assert ids(workspace, where="city is empty") == [people["Chen"], people["Zoë"]]
    preview = run("customers", "status", "loyal", "--tag", "roman", "--dry-run")
    assert preview.stdout.startswith("would set status loyal on 2 customer(s)")
    status = run("customers", "status", "loyal", "--tag", "roman")
    assert status.stdout == "set status loyal on 2 customer(s); 2 changed\n"
    assert workspace.get_customer(people["Anna"]).pinned == ("status",)
    # deleting asks first, unless --yes; --dry-run lists who
    dry = run("customers", "delete", "--joined-to", "2020-01-01", "--dry-run")
    assert dry.stdout == f"would delete 1 customer(s): {people['José']}\n"
    refused = run("customers", "delete", "--joined-to", "2020-01-01", input="n\n")
    assert refused.exit_code == 1 and workspace.count_customers() == 6
    gone = run("customers", "delete", "--status", "loyal", "--joined-to", "2022-01-01", "--yes")
    assert gone.stdout == "deleted 1 customer(s)\n"
    assert [c.name for c in workspace.customers(Selection(statuses=["loyal"]))] == ["Zoë Ñúñez"]
    assert_user_error(run("customers", "delete", "--yes"), "no customer selected")


# -- segments -----------------------------------------------------------------------------


def test_segments_are_evaluated_afresh(
    run: RunCLI, workspace: Workspace, people: dict[str, int]
) -> None:
    saved = run("segments", "save", "Romans", "--tag", "roman", "--where", "visits is empty")
    assert saved.stdout == "saved segment 'Romans': 1 now\n"
    assert workspace.select(Selection(segment="romans")) == [people["Zoë"]]
    newcomer = workspace.add_customer("Livia", tags=["ROMAN"])
    # re-evaluated: the newcomer is in, without saving again
    assert workspace.select(Selection(segment="Romans")) == [people["Zoë"], newcomer.id]
    listed = json.loads(run("segments", "list", "--format", "json").stdout)
    assert listed == [
        {
            "name": "Romans",
            "selection": {"tags": ["roman"], "where": "visits is empty"},
            "customers": 2,
        }
    ]
    shown = json.loads(run("segments", "show", "Romans", "--format", "json").stdout)
    assert shown["customers"] == [people["Zoë"], newcomer.id]
    # a segment works wherever filters do, and adds to the other filters
    tagged = run("tags", "add", "winback", "--segment", "Romans", "--search", "livia")
    assert tagged.stdout == "tagged 1 customer(s)\n"
    assert_user_error(run("segments", "save", "romans", "--tag", "x"), "exists", "--replace")
    assert run("segments", "save", "romans", "--tag", "x", "--replace").exit_code == 0
    assert_user_error(run("customers", "list", "--segment", "nope"), "no segment named 'nope'")
    assert run("segments", "delete", "Romans").exit_code == 0
    assert workspace.segments() == []


def test_a_selection_round_trips_through_json() -> None:
    selection = Selection(
        search="ana", statuses=["new"], tags=["a"], any_tag=True, joined_from=date(2024, 1, 2)
    )
    assert Selection.from_json(selection.to_json()) == selection
    assert Selection().is_empty() and not selection.is_empty()
    with pytest.raises(ValidationError, match="filters among"):
        Selection.from_json({"colour": "red"})


def test_birthdays_within_days_from_today(workspace: Workspace, run: RunCLI) -> None:
    today = workspace.today()

    def born(days_ahead: int) -> str:
        return (today + timedelta(days=days_ahead)).replace(year=1990).isoformat()

    ids = {
        name: workspace.add_customer(name, fields={"birth_date": born(offset)}).id
        for name, offset in (("Today", 0), ("In three", 3), ("In ten", 10), ("Yesterday", -1))
        if (today + timedelta(days=offset)).strftime("%m-%d") != "02-29"
    }
    workspace.add_customer("No birthday")
    assert set(workspace.select(Selection(birthday_within=0))) == {ids["Today"]}
    assert set(workspace.select(Selection(birthday_within=7))) == {ids["Today"], ids["In three"]}
    listed = run("customers", "list", "--birthday-within", "7", "--format", "json")
    assert {c["id"] for c in json.loads(listed.stdout)} == {ids["Today"], ids["In three"]}
    # a segment keeps the rule, not the day: it is reckoned again each day
    assert run("segments", "save", "birthdays", "--birthday-within", "7").exit_code == 0
    shown = json.loads(run("segments", "show", "birthdays", "--format", "json").stdout)
    assert shown["filters"] == {"birthday_within": 7}
    with pytest.raises(ValidationError, match="from 0 to 366"):
        Selection(birthday_within=400)


def test_a_29_february_birthday_falls_on_the_28th_in_other_years(workspace: Workspace) -> None:
    from clientcard.find.selection import CustomerView, SearchTexts, row_filters

    docs = [
        {"id": 1, "fields": {"birth_date": "2000-02-29"}},
        {"id": 2, "fields": {"birth_date": "1990-03-01"}},
    ]
    view = CustomerView(docs, SearchTexts())
    schema = workspace.schema()

    def found(day: date, within: int) -> list[int]:
        (keep,) = row_filters(Selection(birthday_within=within), schema, dict, day)
        return [docs[r]["id"] for r in keep(view, None)]

    assert found(date(2025, 2, 28), 0) == [1]  # not a leap year
    assert found(date(2024, 2, 28), 0) == []  # a leap year: on the 29th
    assert found(date(2024, 2, 29), 1) == [1, 2]


def test_a_dry_run_makes_every_check_the_real_run_makes(
    run: RunCLI, workspace: Workspace, people: dict[str, int]
) -> None:
    """A preview that says "would change 2" where the real run refuses is a lie."""
    before = workspace.customers_json()
    for args, expected in (
        (("customers", "edit", "1", "2", "--unset", "notes"), "unknown field 'notes'"),
        (("customers", "edit", "1", "2", "--unset", "name"), "customer 1: name"),
        (("customers", "edit", "--tag", "vip", "--set", "external_id=X"), "external_id 'X'"),
        (("customers", "status", "nosuch", "1"), "'nosuch' is not valid"),
        (("tags", "add", " ", "--id", "1"), "tags"),
    ):
        real = run(*args)
        dry = run(*args, "--dry-run")
        assert real.exit_code == dry.exit_code == 1, (args, dry.stdout)
        assert expected in real.stderr and dry.stderr == real.stderr
        assert dry.stdout == ""
    # and what a dry run says would change is exactly what then changes
    dry = run("customers", "edit", "--where", "city = roma", "--set", "city=Roma", "--dry-run")
    real = run("customers", "edit", "--where", "city = roma", "--set", "city=Roma")
    assert dry.stdout == f"would change 1 customer(s): {people['ＭＡＲＩＡ']}\n"  # "roma"
    assert real.stdout == "updated 1 customer(s)\n"
    after = workspace.customers_json()
    assert [d["id"] for d in after if d not in before] == [people["ＭＡＲＩＡ"]]


def test_a_preview_keeps_nothing_and_tells_no_one(workspace: Workspace) -> None:
    heard: list[int] = []

    class Host:
        @hookimpl
        def clientcard_customer_created(self, workspace: Workspace, customer: Customer) -> None:
            heard.append(customer.id)

    ws = Workspace.open(workspace.path, plugins=[Host()])
    ws.add_customer("Ana")
    with ws.preview():
        assert ws.update_customers([1], {"email": "ana@example.com"}) == 1
        ws.add_customer("Bruno")
        assert ws.count_customers() == 2  # inside, the preview sees its own changes
    assert ws.count_customers() == 1 and ws.get_customer(1).email is None
    assert heard == [1]
    with (
        pytest.raises(WorkspaceError, match="preview cannot run inside a batch"),
        ws.batch(),
        ws.preview(),
    ):
        pass
