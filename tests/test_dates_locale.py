"""One rule for every date (docs/fields.md, "Dates: how they are read and shown"):
every date typed is read, and every date shown is written, in the workspace's
calendar; what is stored and JSON stay ISO Gregorian."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from clientcard import Workspace
from clientcard.core.errors import FieldValueError
from clientcard.fields import dates
from conftest import RunCLI

TEHRAN = ZoneInfo("Asia/Tehran")


@pytest.fixture
def persian(workspace: Workspace) -> Workspace:
    """The test workspace, in Persian: Jalali dates, Tehran time."""
    workspace.set_setting("workspace.locale", "fa")
    workspace.set_setting("workspace.timezone", "Asia/Tehran")
    return workspace


def ids(run: RunCLI, *args: str) -> list[int]:
    result = run("customers", "list", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [c["id"] for c in json.loads(result.stdout)]


def one_line_error(result: object, *words: str) -> str:
    assert result.exit_code == 1, result.stdout  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# -- the rule itself -------------------------------------------------------------------


def test_the_calendar_comes_from_the_locale_and_a_field_may_set_its_own() -> None:
    assert dates.calendar_of("fa") == dates.calendar_of("fa-IR") == dates.JALALI
    assert dates.calendar_of("fa_IR") == dates.JALALI
    assert dates.calendar_of("en") == dates.calendar_of("it-IT") == dates.GREGORIAN


def test_one_function_reads_and_one_shows_in_either_calendar() -> None:
    assert dates.read_date("1404/01/01", dates.JALALI) == date(2025, 3, 21)
    assert dates.read_date("۱۴۰۴-۰۱-۰۱", dates.JALALI) == date(2025, 3, 21)  # noqa: RUF001
    assert dates.read_date("2025-03-21", dates.JALALI) == date(2025, 3, 21)  # from 1700: ISO
    assert dates.read_date("2025-03-21", dates.GREGORIAN) == date(2025, 3, 21)
    assert dates.show_date("2025-03-21", dates.JALALI) == "1404/01/01"
    assert dates.show_date(date(2025, 3, 21), dates.GREGORIAN) == "2025-03-21"
    assert dates.show_date(None, dates.JALALI) == ""
    assert dates.show_date("not a date", dates.JALALI) == "not a date"
    moment = "2025-03-21T07:00:00+00:00"
    assert dates.show_moment(moment, dates.JALALI, TEHRAN) == "1404/01/01 10:30"
    assert dates.show_moment(moment, dates.GREGORIAN, TEHRAN) == "2025-03-21 10:30"
    assert dates.show_moment(moment, dates.JALALI, TEHRAN, exact=True) == (
        "1404/01/01 10:30:00+03:30"
    )
    assert dates.read_moment("1404/01/01 10:30", dates.JALALI) == datetime(2025, 3, 21, 10, 30)


def test_a_bad_date_names_the_calendar_expected() -> None:
    with pytest.raises(FieldValueError, match="Gregorian calendar as YYYY-MM-DD"):
        dates.read_date("1404/01/01", dates.GREGORIAN)
    with pytest.raises(FieldValueError, match="Jalali calendar as YYYY/MM/DD"):
        dates.read_date("21/03/2025", dates.JALALI)
    with pytest.raises(FieldValueError, match="that exists in the calendar"):
        dates.read_date("1404/12/30", dates.JALALI)  # 1404 is not a leap year


def test_dates_inside_a_sentence_are_shown_in_the_calendar() -> None:
    reason = "Latest completed booking on 2025-05-26, 558 days ago."
    assert dates.show_dates_in(reason, dates.JALALI) == (
        "Latest completed booking on 1404/03/05, 558 days ago."
    )
    assert dates.show_dates_in(reason, dates.GREGORIAN) == reason
    assert dates.show_dates_in("order 12025-05-260", dates.JALALI) == "order 12025-05-260"


# -- every input -----------------------------------------------------------------------


def test_joined_from_reads_a_date_as_where_does(run: RunCLI, persian: Workspace) -> None:
    before = persian.add_customer("Before", joined_at="1403/12/29").id  # 2025-03-19
    nowruz = persian.add_customer("Nowruz", joined_at="1404/01/01").id  # 2025-03-21
    later = persian.add_customer("Later", joined_at="2025-06-01").id
    for typed in ("1404-01-01", "1404/01/01", "۱۴۰۴/۰۱/۰۱"):  # noqa: RUF001
        # before the fix --joined-from read Gregorian year 1404: everyone joined after it
        assert ids(run, "--joined-from", typed) == [nowruz, later]
        assert ids(run, "--where", f"joined_at >= {typed}") == [nowruz, later]
        assert ids(run, "--joined-to", typed) == [before, nowruz]
        assert ids(run, "--where", f"joined_at <= {typed}") == [before, nowruz]


def test_a_field_calendar_rules_its_filters_too(run: RunCLI, persian: Workspace) -> None:
    persian.edit_field("joined_at", options={"calendar": "gregorian"})
    old = persian.add_customer("Old", joined_at="2024-01-01").id
    new = persian.add_customer("New", joined_at="2025-06-01").id
    assert ids(run, "--joined-from", "2025-01-01") == ids(run, "--where", "joined_at >= 2025-01-01")
    assert ids(run, "--joined-from", "2025-01-01") == [new]
    assert ids(run, "--joined-to", "2025-01-01") == [old]
    one_line_error(
        run("customers", "list", "--joined-from", "1404/01/01"), "--joined-from", "Gregorian"
    )


def test_booking_dates_and_their_filters_are_jalali(run: RunCLI, persian: Workspace) -> None:
    ana = persian.add_customer("Ana").id
    bea = persian.add_customer("Bea").id
    assert run("bookings", "add", "--customer", str(ana), "--date", "1404/03/05").exit_code == 0
    assert run("bookings", "add", "--customer", str(bea), "--date", "1404/06/01").exit_code == 0
    assert persian.activity("booking", ana)[0]["date"] == "2025-05-26"
    assert ids(run, "--last-booking-before", "1404/04/01") == [ana]
    assert ids(run, "--last-booking-after", "1404/04/01") == [bea]


def test_as_of_is_read_in_the_workspace_calendar(run: RunCLI, persian: Workspace) -> None:
    ana = persian.add_customer("Ana").id
    persian.record_booking(ana, "2025-05-26")
    classified = run("classify", "--as-of", "1404/05/01", "--dry-run", "--format", "json")
    assert classified.exit_code == 0, classified.stderr
    assert json.loads(classified.stdout)["as_of"] == "2025-07-23"
    explained = run("customers", "explain", str(ana), "--as-of", "1404/05/01", "--format", "json")
    assert json.loads(explained.stdout)["as_of"] == "2025-07-23"
    assert run("actions", "--as-of", "1404/05/01", "--format", "json").exit_code == 0
    one_line_error(
        run("classify", "--as-of", "1404/02/32"), "--as-of", "'1404/02/32'", "Jalali calendar"
    )


def test_bad_dates_are_one_line_naming_option_and_calendar(run: RunCLI, persian: Workspace) -> None:
    one_line_error(
        run("customers", "list", "--joined-from", "1404/13/01"),
        "--joined-from",
        "'1404/13/01'",
        "Jalali calendar",
    )
    one_line_error(
        run("customers", "add", "--name", "X", "--joined-at", "yesterday"),
        "joined_at",
        "Jalali calendar",
    )
    assert persian.customers() == []
    ana = persian.add_customer("Ana").id
    one_line_error(
        run("bookings", "add", "--customer", str(ana), "--date", "next week"),
        "date",
        "Jalali calendar",
    )
    assert persian.activity("booking", ana) == []


def test_a_gregorian_workspace_says_so(run: RunCLI, workspace: Workspace) -> None:
    one_line_error(
        run("customers", "list", "--last-booking-after", "1404/01/01"),
        "--last-booking-after",
        "Gregorian calendar as YYYY-MM-DD",
    )
    one_line_error(run("classify", "--as-of", "2025-02-30"), "--as-of", "exists in the calendar")


# -- every output ----------------------------------------------------------------------


def test_list_card_and_bookings_show_the_same_jalali_dates(run: RunCLI, persian: Workspace) -> None:
    ana = persian.add_customer("Ana", joined_at="1404/03/01").id  # 2025-05-22
    persian.record_booking(ana, "1404/03/05", amount="500000 IRR")  # 2025-05-26
    persian.record_payment(ana, "10 IRR", status="due", due_date="1404/04/01")

    listed = run("customers", "list").stdout
    assert "1404/03/01" in listed and "2025-05-22" not in listed

    card = run("customers", "show", str(ana)).stdout
    assert "1404/03/01" in card and "2025-05-22" not in card  # joined
    assert "1404/03/05 / 1404/03/05" in card  # first / last visit
    assert "2025-05-26" not in card  # the booking's row, too
    assert "1404/04/01" in card and "2025-06-22" not in card  # the payment's due date

    bookings = run("bookings", "list").stdout
    assert "1404/03/05" in bookings and "2025-05-26" not in bookings
    payments = run("payments", "list").stdout
    assert "1404/04/01" in payments and "2025-06-22" not in payments


def test_explain_and_actions_show_jalali_dates(run: RunCLI, persian: Workspace) -> None:
    ana = persian.add_customer("Ana").id
    persian.record_booking(ana, "2025-05-26", amount="500000 IRR")
    persian.record_payment(ana, "10 IRR", status="due", due_date="2025-06-22")
    explained = run("customers", "explain", str(ana), "--as-of", "1404/05/01").stdout
    assert "as of 1404/05/01" in explained
    assert "1404/03/05" in explained  # last_completed, and the rule set's reason
    assert "2025-05-26" not in explained and "2025-07-23" not in explained
    actions = run("actions", "--as-of", "1404/05/01").stdout
    # the date column and the plugin's summary ("... is overdue (due 1404/04/01)")
    assert actions.count("1404/04/01") == 2 and "2025-06-22" not in actions


def test_json_stays_iso_gregorian(run: RunCLI, persian: Workspace) -> None:
    ana = persian.add_customer("Ana", joined_at="1404/03/01").id
    persian.record_booking(ana, "1404/03/05")
    listed = json.loads(run("customers", "list", "--format", "json").stdout)
    assert listed[0]["joined_at"] == "2025-05-22"
    card = json.loads(run("customers", "show", str(ana), "--format", "json").stdout)
    assert card["joined_at"] == "2025-05-22"
    assert card["card"]["analytics"]["first_visit"] == "2025-05-26"
    bookings = json.loads(run("bookings", "list", "--format", "json").stdout)
    assert bookings[0]["date"] == "2025-05-26"


def test_csv_exports_write_the_calendar_and_import_back_exactly(
    run: RunCLI, persian: Workspace, tmp_path: Path
) -> None:
    persian.add_field("visit", type="datetime")
    ana = persian.add_customer(
        "Ana",
        joined_at="1404/03/01",
        fields={"birth_date": "1370/05/11", "visit": "1404/03/05 10:30"},
    )
    out = tmp_path / "out.csv"
    assert run("export", "--format", "csv", "--output", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "1404/03/01" in text and "1370/05/11" in text and "1404/03/05 10:30:00+03:30" in text
    with Workspace.init(tmp_path / "again") as again:
        again.set_setting("workspace.locale", "fa-IR")
        again.set_setting("workspace.timezone", "Asia/Tehran")
        again.add_field("visit", type="datetime")
        again.import_customers(out)
        (copy,) = again.customers()
    assert copy.joined_at == ana.joined_at == date(2025, 5, 22)
    assert copy.fields["birth_date"] == ana.fields["birth_date"] == "1991-08-02"
    assert copy.fields["visit"] == ana.fields["visit"] == "2025-05-26T07:00:00+00:00"


def test_a_datetime_filter_takes_a_jalali_day(run: RunCLI, persian: Workspace) -> None:
    persian.add_field("visit", type="datetime")
    ana = persian.add_customer("Ana", fields={"visit": "1404/03/05 10:30"}).id
    persian.add_customer("Bea", fields={"visit": "1404/03/06 10:30"})
    assert ids(run, "--where", "visit = 1404/03/05") == [ana]
    assert ids(run, "--where", "visit < 1404/03/06") == [ana]
