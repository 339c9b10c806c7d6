"""Importing bookings from CSV: ``clientcard import bookings`` and ``import_bookings``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from clientcard import ClientcardError, Customer, Workspace, hookimpl
from clientcard.cli.context import AppContext
from clientcard.cli.importing import command
from clientcard.transfer.bookings_import import (
    MAX_LISTED,
    ImportFileError,
    ImportReport,
    ImportRowsError,
    RowProblem,
)

EUR = "EUR"


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": EUR}


def write(
    tmp_path: Path, text: str, *, name: str = "bookings.csv", encoding: str = "utf-8"
) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(workspace: Workspace, *args: str | Path) -> Result:
    """``clientcard import bookings ARGS...`` against the workspace (its own process state)."""
    argv = ["bookings", *(str(a) for a in args)]
    return CliRunner().invoke(command, argv, obj=AppContext(workspace.path, None))


def bookings(workspace: Workspace) -> list[dict[str, Any]]:
    return workspace.activity("booking")


def summary(booking: dict[str, Any]) -> tuple[Any, ...]:
    return (
        booking["customer_id"],
        booking["date"],
        booking["start"],
        booking["status"],
        booking["amount"],
        booking["service"],
        booking["staff"],
        booking["external_id"],
    )


@pytest.fixture
def customers(workspace: Workspace) -> dict[str, int]:
    """Three customers, by external_id: C1 and C2 with e-mails, C3 without."""
    added = workspace.add_customers(
        [
            {"name": "Ana Rossi", "external_id": "C1", "email": "Ana@Example.com"},
            {"name": "Bo Verdi", "external_id": "C2", "email": "bo@example.com"},
            {"name": "Cy Neri", "external_id": "C3"},
        ]
    )
    return {c.external_id or "": c.id for c in added}


# -- a good file -------------------------------------------------------------------------


def test_a_good_file_is_imported_whole(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    workspace.set_setting("workspace.timezone", "Europe/Rome")
    path = write(
        tmp_path,
        "customer,date,status,amount,service,staff,external_id\n"
        "C1,2025-03-01,,35,Cut,Giulia,B-1\n"
        'C2,2025-03-02,upcoming,"35,50",Colour,Chiara,B-2\n'
        "C1,2025-03-01T10:30,Cancelled,35.50,,,B-3\n"
        # 23:30 UTC is already the next day in Rome: the booking's date is Rome's
        "C3,2025-03-01T23:30:00+00:00,no_show,,Cut,,\n",
    )
    result = run_import(workspace, path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "imported 4 bookings (0 new customers)\n"
    c1, c2, c3 = customers["C1"], customers["C2"], customers["C3"]
    assert [summary(b) for b in bookings(workspace)] == [
        (c1, "2025-03-01", None, "completed", money("35.00"), "Cut", "Giulia", "B-1"),
        (c2, "2025-03-02", None, "upcoming", money("35.50"), "Colour", "Chiara", "B-2"),
        (c1, "2025-03-01", "2025-03-01T09:30:00+00:00", "cancelled", money("35.50"), None,
         None, "B-3"),
        (c3, "2025-03-02", "2025-03-01T23:30:00+00:00", "no_show", None, "Cut", None, None),
    ]  # fmt: skip
    assert workspace.count_customers() == 3


def test_the_api_returns_a_report(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nC1,2025-03-01\nC1,2025-03-02\nC2,2025-03-03\n")
    report = workspace.import_bookings(path)
    assert list(report.ids) == [b["id"] for b in bookings(workspace)]
    assert report == ImportReport(
        path=path, rows=3, bookings=3, new_customers=0, customers=2, dry_run=False, ids=report.ids
    )
    assert [b["customer_id"] for b in bookings(workspace)] == [
        customers["C1"],
        customers["C1"],
        customers["C2"],
    ]


def test_bom_semicolons_and_loose_header_names(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    # as a spreadsheet in an Italian locale saves "CSV UTF-8": BOM, ';', decimal comma
    path = write(
        tmp_path,
        "\ufeff Customer ;DATE; Amount;Service\r\nC1;2025-03-01;35,50;Taglio, piega\r\n"
        "C2;2025-03-02;40;Colore\r\n",
    )
    result = run_import(workspace, path)
    assert result.exit_code == 0, result.stderr
    assert [(b["customer_id"], b["amount"], b["service"]) for b in bookings(workspace)] == [
        (customers["C1"], money("35.50"), "Taglio, piega"),
        (customers["C2"], money("40.00"), "Colore"),
    ]


def test_tab_delimited(workspace: Workspace, customers: dict[str, int], tmp_path: Path) -> None:
    path = write(tmp_path, "customer\tdate\tamount\nC1\t2025-03-01\t35,50\n")
    assert run_import(workspace, path).exit_code == 0
    assert bookings(workspace)[0]["amount"] == money("35.50")


def test_match_by_email(workspace: Workspace, customers: dict[str, int], tmp_path: Path) -> None:
    # the domain of an address is case-insensitive: matched as find_customers does
    path = write(
        tmp_path, "customer,date\n Ana@EXAMPLE.COM ,2025-03-01\nbo@example.com,2025-03-02\n"
    )
    result = run_import(workspace, path, "--match", "email")
    assert result.exit_code == 0, result.stderr
    assert [b["customer_id"] for b in bookings(workspace)] == [customers["C1"], customers["C2"]]


def test_match_by_email_refuses_an_address_two_customers_share(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    twin = workspace.add_customer("Bo's twin", email="bo@example.com")
    path = write(tmp_path, "customer,date\nbo@example.com,2025-03-02\nnot-an-email,2025-03-02\n")
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_bookings(path, match="email")
    assert [str(p) for p in caught.value.problems] == [
        f"row 2, column customer: 'bo@example.com' — 2 customers have this e-mail address "
        f"(ids {customers['C2']}, {twin.id}); name them with --match id",
        "row 3, column customer: 'not-an-email' — expected an e-mail address such as "
        "name@example.com",
    ]


def test_match_by_id(workspace: Workspace, customers: dict[str, int], tmp_path: Path) -> None:
    c1, c3 = customers["C1"], customers["C3"]
    path = write(tmp_path, f"customer,date\n{c3},2025-03-01\n {c1} ,2025-03-02\n")
    result = run_import(workspace, path, "--match", "id")
    assert result.exit_code == 0, result.stderr
    assert [b["customer_id"] for b in bookings(workspace)] == [c3, c1]

    bad = write(tmp_path, "customer,date\n999,2025-03-01\nC1,2025-03-01\n", name="bad.csv")
    result = run_import(workspace, bad, "--match", "id")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [
        "row 2, column customer: '999' — no customer has this id; add the customer first",
        "row 3, column customer: 'C1' — expected a clientcard customer id (a whole number)",
        "hint: 1 of the 2 customers not found by id is found by external_id: import with "
        "--match external-id",
    ]


# -- customers the workspace lacks --------------------------------------------------------


def test_an_unknown_customer_is_an_error_and_nothing_is_written(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nC1,2025-03-01\nC9,2025-03-02\n")
    result = run_import(workspace, path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: 1 of 2 rows is invalid; nothing was imported\n"
        "row 3, column customer: 'C9' — no customer has this external_id; add the customer "
        "first, or import with --create-missing\n"
    )
    assert bookings(workspace) == []
    assert workspace.count_customers() == 3


def test_create_missing_creates_each_customer_once_in_the_same_write(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "customer,date\nC1,2025-03-01\n C9 ,2025-03-02\nC9,2025-03-03\nC10,2025-03-03\n",
    )
    result = run_import(workspace, path, "--create-missing")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "imported 4 bookings (2 new customers)\n"
    (c9,) = workspace.find_customers(external_id="C9")
    (c10,) = workspace.find_customers(external_id="C10")
    assert (c9.name, c10.name) == ("C9", "C10")
    assert [b["customer_id"] for b in bookings(workspace)] == [
        customers["C1"],
        c9.id,
        c9.id,
        c10.id,
    ]
    assert workspace.count_customers() == 5


def test_create_missing_by_email(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nNew.Person@Example.org,2025-03-01\n")
    report = workspace.import_bookings(path, match="email", create_missing=True)
    assert (report.bookings, report.new_customers) == (1, 1)
    (new,) = workspace.find_customers(email="New.Person@example.org")
    assert (new.name, new.email, new.external_id) == (
        "New.Person@Example.org",
        "New.Person@example.org",
        None,
    )
    assert bookings(workspace)[0]["customer_id"] == new.id


def test_create_missing_cannot_match_by_id(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path, "customer,date\n1,2025-03-01\n")
    result = run_import(workspace, path, "--match", "id", "--create-missing")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --create-missing needs customers named by")
    assert workspace.count_customers() == 0


def test_a_bad_row_creates_no_customer(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nC9,2025-03-01\nC1,someday\n")
    with pytest.raises(ImportRowsError):
        workspace.import_bookings(path, create_missing=True)
    assert workspace.find_customers(external_id="C9") == []
    assert workspace.count_customers() == 3
    assert bookings(workspace) == []


def test_create_missing_refuses_when_a_field_is_required(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    workspace.add_field("city", type="text", required=True)
    path = write(tmp_path, "customer,date\nC9,2025-03-01\n")
    with pytest.raises(ImportFileError, match="'city' is required"):
        workspace.import_bookings(path, create_missing=True)
    assert workspace.count_customers() == 3


# -- bad rows ------------------------------------------------------------------------------


def test_every_bad_row_is_listed_with_row_column_and_value(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    old = workspace.record_booking(customers["C3"], "2025-01-01", external_id="B-old")
    path = write(
        tmp_path,
        "customer,date,status,amount,external_id\n"
        "C1,2025-03-01,completed,35,B-1\n"  # row 2: good
        "C1,2025-13-01,completed,35,B-2\n"  # row 3: no such month
        "C2,2025-03-01,done,35,B-3\n"  # row 4: no such status
        "C2,2025-03-01,,lots,B-4\n"  # row 5: not an amount
        "C9,2025-03-01,,,B-5\n"  # row 6: no such customer
        "C1,2025-03-02,,,B-1\n"  # row 7: the external_id of row 2
        "C1,2025-03-02,,,B-old\n"  # row 8: already recorded
        "C9,yesterday,maybe,,B-3\n",  # row 9: everything wrong
    )
    result = run_import(workspace, path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: 7 of 8 rows are invalid; nothing was imported"
    date_expected = (
        "expected a date in the Gregorian calendar as YYYY-MM-DD (2025-03-01), "
        "or a date and time (2025-03-01T10:30)"
    )
    unknown = "no customer has this external_id; add the customer first, or import with " + (
        "--create-missing"
    )
    assert lines[1:] == [
        "row 3, column date: '2025-13-01' — expected a date in the Gregorian calendar as "
        "YYYY-MM-DD, such as 2025-03-01, that exists in the calendar",
        "row 4, column status: 'done' — expected one of: completed, upcoming, cancelled, no_show",
        "row 5, column amount: 'lots' — expected an amount with a currency such as 12.50 EUR",
        f"row 6, column customer: 'C9' — {unknown}",
        "row 7, column external_id: 'B-1' — row 2 has the same external_id; each booking "
        "needs its own",
        f"row 8, column external_id: 'B-old' — a booking with this external_id is already "
        f"recorded (id {old['id']}); leave that row out, or change the booking with "
        "update_activity",
        f"row 9, column customer: 'C9' — {unknown}",
        f"row 9, column date: 'yesterday' — {date_expected}",
        "row 9, column status: 'maybe' — expected one of: completed, upcoming, cancelled, no_show",
        "row 9, column external_id: 'B-3' — row 4 has the same external_id; each booking "
        "needs its own",
    ]
    assert [b["external_id"] for b in bookings(workspace)] == ["B-old"]


def test_the_error_carries_each_problem(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nC1,\n,2025-03-01\n")
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_bookings(path)
    error = caught.value
    assert isinstance(error, ClientcardError)
    assert (error.rows, error.invalid) == (2, 2)
    assert error.problems == [
        RowProblem(
            2,
            "date",
            "",
            "missing; every booking needs a date: a date in the Gregorian calendar as "
            "YYYY-MM-DD (2025-03-01), or a date and time (2025-03-01T10:30)",
        ),
        RowProblem(3, "customer", "", "missing; every booking needs its customer"),
    ]


def test_row_numbers_are_what_a_spreadsheet_shows(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    # a blank line is a row of the sheet; a quoted line break stays inside one row
    path = write(
        tmp_path,
        'customer,date,service\nC1,2025-03-01,"Cut\nand wash"\n\nC1,2025-02-30,Cut\n,,\n'
        "C1,2025-03-01,Cut,extra\n",
    )
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_bookings(path)
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [
        (2, "service", "Cut\nand wash"),
        (4, "date", "2025-02-30"),
        (6, "#4", "extra"),
    ]
    assert caught.value.rows == 3  # blank rows are not counted
    assert "row 6, column #4: 'extra' — a value past the last column" in str(caught.value)


def test_a_long_list_of_problems_is_cut_in_the_message_not_in_the_error(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    count = MAX_LISTED + 5
    path = write(tmp_path, "customer,date\n" + "C1,bad\n" * count)
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_bookings(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{count:,} of {count:,} rows are invalid; nothing was imported"
    assert len(lines) == 1 + MAX_LISTED + 1
    assert lines[-1] == "... and 5 more problems"
    assert len(caught.value.problems) == count


# -- a wrong header or file ---------------------------------------------------------------


def test_an_unknown_column_is_named_with_the_known_ones(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date,Colour\nC1,2025-03-01,red\n")
    result = run_import(workspace, path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {path}: unknown column 'Colour' in the header; known columns: customer, "
        "date, status, amount, service, staff, external_id\n"
    )
    assert bookings(workspace) == []


@pytest.mark.parametrize(
    ("header", "missing"),
    [("customer,status", "no 'date' column"), ("status,amount", "no 'customer' and no 'date'")],
)
def test_a_missing_required_column_is_an_error(
    workspace: Workspace, tmp_path: Path, header: str, missing: str
) -> None:
    path = write(tmp_path, f"{header}\nC1,completed\n")
    result = run_import(workspace, path)
    assert result.exit_code == 1
    assert missing in result.stderr
    assert "required columns: customer, date" in result.stderr


def test_an_empty_file_is_a_missing_header(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no 'customer' and no 'date' column"):
        workspace.import_bookings(write(tmp_path, ""))


def test_a_column_named_twice_is_an_error(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path, "customer,date,Date\nC1,2025-03-01,2025-03-02\n")
    with pytest.raises(ImportFileError, match="column 'date' twice"):
        workspace.import_bookings(path)


def test_the_encoding_can_be_given(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date,service\nC1,2025-03-01,Caffè\n", encoding="cp1252")
    # given, it is not detected (latin-1 and cp1252 agree on è)
    result = run_import(workspace, path, "--encoding", "latin-1")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert bookings(workspace)[0]["service"] == "Caffè"
    assert "unknown encoding" in run_import(workspace, path, "--encoding", "nope").stderr
    # valid UTF-8 but for one byte is a damaged file, never guessed as another encoding
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes(
        "customer,date,service\nC1,2025-03-02,Caffè\n".encode() + b"C1,2025-03-03,T\xe8\n"
    )
    result = run_import(workspace, damaged)
    assert result.exit_code == 1
    assert "line 3 is not valid UTF-8 text (byte 0xe8)" in result.stderr
    assert "--encoding" in result.stderr
    assert len(bookings(workspace)) == 1


# -- dry runs, classification, events -------------------------------------------------------


def test_a_dry_run_checks_everything_and_writes_nothing(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nC1,2025-03-01\nC9,2025-03-02\n")
    result = run_import(workspace, path, "--create-missing", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "would import 2 bookings (1 new customer); nothing was written (--dry-run)\n"
    )
    assert bookings(workspace) == []
    assert workspace.count_customers() == 3
    # a dry run finds every problem a real import would
    old = workspace.record_booking(customers["C1"], "2025-01-01", external_id="B-old")
    bad = write(
        tmp_path,
        "customer,date,external_id\nC1,2025-03-01,B-old\nC9,2025-03-02,\n",
        name="bad.csv",
    )
    result = run_import(workspace, bad, "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [
        f"row 2, column external_id: 'B-old' — a booking with this external_id is already "
        f"recorded (id {old['id']}); leave that row out, or change the booking with "
        "update_activity",
        "row 3, column customer: 'C9' — no customer has this external_id; add the customer "
        "first, or import with --create-missing",
    ]
    assert [b["id"] for b in bookings(workspace)] == [old["id"]]


def test_an_imported_booking_reclassifies_its_customer(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    assert workspace.rule_set() is not None  # the lifecycle rule set is the default
    today = workspace.today()
    recent = (today - timedelta(days=10)).isoformat()
    assert workspace.get_customer(customers["C1"]).status == "new"
    path = write(tmp_path, f"customer,date,status\nC1,{recent},completed\nC2,{recent},cancelled\n")
    assert run_import(workspace, path).exit_code == 0
    assert workspace.get_customer(customers["C1"]).status == "paid"
    assert workspace.get_customer(customers["C2"]).status == "new"  # a cancelled booking
    (change,) = workspace.status_history(customers["C1"])[-1:]
    assert (change["from"], change["to"]) == ("new", "paid")


class Recorder:
    """A host's plugin: remembers each booking it is told of."""

    def __init__(self) -> None:
        self.recorded: list[tuple[int, str, str]] = []
        self.created: list[str] = []

    @hookimpl
    def clientcard_activity_recorded(
        self,
        workspace: Workspace,
        customer: Customer,
        kind: str,
        record: dict[str, Any],
        created: bool,
    ) -> None:
        assert created and record["customer_id"] == customer.id
        self.recorded.append((customer.id, kind, record["date"]))

    @hookimpl
    def clientcard_customer_created(self, workspace: Workspace, customer: Customer) -> None:
        self.created.append(customer.name)


def test_the_host_hears_of_each_booking_and_customer_once_and_only_on_success(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    recorder = Recorder()
    ws = Workspace.open(workspace.path, plugins=[recorder])
    bad = write(tmp_path, "customer,date\nC9,2025-03-01\nC1,never\n", name="bad.csv")
    with pytest.raises(ImportRowsError):
        ws.import_bookings(bad, create_missing=True)
    assert (recorder.recorded, recorder.created) == ([], [])
    good = write(tmp_path, "customer,date\nC9,2025-03-01\nC1,2025-03-02\n")
    ws.import_bookings(good, create_missing=True)
    (c9,) = ws.find_customers(external_id="C9")
    assert recorder.recorded == [
        (c9.id, "booking", "2025-03-01"),
        (customers["C1"], "booking", "2025-03-02"),
    ]
    assert recorder.created == ["C9"]


def test_an_import_of_no_rows_imports_nothing(workspace: Workspace, tmp_path: Path) -> None:
    result = run_import(workspace, write(tmp_path, "customer,date\n\n"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "imported 0 bookings (0 new customers)\n"


# -- what Excel writes: cp1252 and UTF-16 (issue 13, point 15) ----------------------------


def test_a_cp1252_file_is_detected_and_said(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "customer;date;service\nC1;2025-03-01;Caffè\nC2;2025-03-02;Crème brûlée\n",
        encoding="cp1252",
    )
    result = run_import(workspace, path)
    assert result.exit_code == 0, result.stderr
    assert (
        result.stderr
        == f"note: read {path} as cp1252 (detected; give --encoding if that is wrong)\n"
    )
    assert [b["service"] for b in bookings(workspace)] == ["Caffè", "Crème brûlée"]
    assert (
        workspace.import_bookings(write(tmp_path, "customer,date\nC3,2025-03-03\n")).encoding
        is None
    )


def test_a_utf16_tab_separated_file_is_read(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tabs between values
    path = write(tmp_path, "customer\tdate\tstaff\nC1\t2025-03-01\tZoë\n", encoding="utf-16")
    report = workspace.import_bookings(path)
    assert (report.bookings, report.encoding) == (1, "utf-16")
    assert bookings(workspace)[0]["staff"] == "Zoë"


# -- rows that find no customer: which --match fits (issue 13, point 13) -------------------


def test_a_file_of_emails_hints_at_match_email(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nAna@example.com,2025-03-01\nbo@example.com,2025-03-02\n")
    result = run_import(workspace, path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "hint: the 2 customers not found by external_id are found by e-mail address: import "
        "with --match email"
    )
    assert run_import(workspace, path, "--match", "email").exit_code == 0
    assert [b["customer_id"] for b in bookings(workspace)] == [customers["C1"], customers["C2"]]


def test_emails_of_no_customer_hint_at_match_email_and_create_missing(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nnew@example.com,2025-03-01\n")
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_bookings(path)
    assert caught.value.hint == (
        "the customer column holds e-mail addresses: import with --match email "
        "(and --create-missing to add the customers)"
    )
    # nothing fits any better: no hint
    other = write(tmp_path, "customer,date\nC9,2025-03-01\n", name="other.csv")
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_bookings(other)
    assert caught.value.hint is None
    assert "hint" not in str(caught.value)


def test_an_email_column_hints_at_naming_it_customer(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path, "E-mail,date\nana@example.com,2025-03-01\n")
    with pytest.raises(ImportFileError) as caught:
        workspace.import_bookings(path)
    assert str(caught.value).endswith(
        "if 'E-mail' holds the customers' e-mail addresses, name it 'customer' and import "
        "with --match email"
    )


# -- dates written day first (--date-format) ------------------------------------------------


def test_an_ambiguous_date_is_a_bad_row_naming_date_format(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nC1,03/04/2025\nC2,25/12/2025\nC3,2025-03-01\n")
    result = run_import(workspace, path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[1:] == [
        "row 2, column date: '03/04/2025' — expected a date as YYYY-MM-DD; with the day or "
        "month first it could be either: say which with --date-format dmy or --date-format mdy "
        "(or a pattern such as %d/%m/%Y)",
        "row 3, column date: '25/12/2025' — expected a date as YYYY-MM-DD; for day/month/year "
        "dates import with --date-format dmy",
    ]
    assert bookings(workspace) == []


@pytest.mark.parametrize(
    ("date_format", "cell", "date", "start"),
    [
        ("dmy", "03/04/2025", "2025-04-03", None),
        ("mdy", "03/04/2025", "2025-03-04", None),
        ("dmy", "03.04.2025 10:30", "2025-04-03", "2025-04-03T08:30:00+00:00"),
        ("%d/%m/%Y %H:%M", "03/04/2025 10:30", "2025-04-03", "2025-04-03T08:30:00+00:00"),
        ("ymd", "2025/4/3", "2025-04-03", None),
        ("dmy", "2025-04-03", "2025-04-03", None),  # ISO stays ISO
    ],
)
def test_date_format_reads_the_dates_of_bookings(
    workspace: Workspace,
    customers: dict[str, int],
    tmp_path: Path,
    date_format: str,
    cell: str,
    date: str,
    start: str | None,
) -> None:
    workspace.set_setting("workspace.timezone", "Europe/Rome")
    path = write(tmp_path, f"customer,date\nC1,{cell}\n")
    result = run_import(workspace, path, "--date-format", date_format)
    assert result.exit_code == 0, result.stderr
    (booking,) = bookings(workspace)
    assert (booking["date"], booking["start"]) == (date, start)


def test_a_date_not_in_the_date_format_names_it(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nC1,12/25/2025\n")
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_bookings(path, date_format="%d/%m/%Y")
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column date: '12/25/2025' — expected a date as %d/%m/%Y (--date-format), such "
        "as 31/01/2025"
    ]
    with pytest.raises(ClientcardError, match="date-format: 'dd/mm' is not valid"):
        workspace.import_bookings(path, date_format="dd/mm")


# -- --format json, and the API on the workspace ---------------------------------------------


def test_format_json_reports_the_import(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nC1,2025-03-01\nC9,2025-03-02\n")
    result = run_import(workspace, path, "--create-missing", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (c9,) = workspace.find_customers(external_id="C9")
    ids = [b["id"] for b in bookings(workspace)]
    assert json.loads(result.stdout) == {
        "imported": True,
        "dry_run": False,
        "file": str(path),
        "encoding": "utf-8",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "ids": ids,
        "new_customers": 1,
        "new_customer_ids": [c9.id],
        "customers": 2,
        "warnings": [],
        "problems": [],
    }
    bad = write(tmp_path, "customer,date\nAna@example.com,2025-03-01\n", name="bad.csv")
    result = run_import(workspace, bad, "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == "error: 1 of 1 rows is invalid; nothing was imported\n"
    assert json.loads(result.stdout) == {
        "imported": False,
        "rows": 1,
        "invalid": 1,
        "problems": [
            {
                "row": 2,
                "column": "customer",
                "value": "Ana@example.com",
                "reason": "no customer has this external_id; add the customer first, or import "
                "with --create-missing",
            }
        ],
        "hint": "the 1 customer not found by external_id is found by e-mail address: import "
        "with --match email",
    }


def test_the_workspace_imports_bookings(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    path = write(tmp_path, "customer,date\nAna@example.com,01/02/2025\n")
    report = workspace.import_bookings(path, match="email", date_format="dmy")
    assert (report.bookings, list(report.ids)) == (1, [b["id"] for b in bookings(workspace)])
    assert bookings(workspace)[0]["date"] == "2025-02-01"


def test_a_jalali_workspace_imports_jalali_dates_and_says_so_when_wrong(
    workspace: Workspace, customers: dict[str, int], tmp_path: Path
) -> None:
    workspace.set_setting("workspace.locale", "fa")
    good = write(tmp_path, "customer,date\nC1,1403/05/01\nC1,2025-01-03\n")
    assert run_import(workspace, good).exit_code == 0
    assert [b["date"] for b in bookings(workspace)] == ["2024-07-22", "2025-01-03"]
    bad = write(tmp_path, "customer,date\nC1,1403/13/01\nC1,\n")
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_bookings(bad)
    jalali = "a date in the Jalali calendar as YYYY/MM/DD (1403/01/01)"
    assert [jalali in str(p) for p in caught.value.problems] == [True, True]
