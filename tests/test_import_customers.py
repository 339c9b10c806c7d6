"""Importing customers from CSV (and XLSX): mapping, checking, all-or-nothing, round trips."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from clientcard import ValidationError, Workspace, hookimpl
from clientcard.transfer.bookings_import import ImportFileError, ImportRowsError
from conftest import RunCLI
from test_cli_customers import assert_user_error

HOSTILE = [
    "=SUM(A1:A9)",
    "+39 06 1234",
    "-5",
    "@cmd",
    "'=already quoted",
    'say "hi", then, leave',
    "علی کریمی",
    "Zoë 🎉",
    "007",
]


def fields(ws: Workspace) -> Workspace:
    ws.add_field("postal_code", type="text", label="Postal code")
    ws.add_field("visits", type="integer")
    ws.add_field("notes", type="long-text")
    ws.add_field("birthday", type="date")
    return ws


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def records(ws: Workspace) -> list[dict[str, Any]]:
    """Every customer's values a round trip must keep (not ids, times or statuses)."""
    keep = ("name", "email", "phone", "external_id", "joined_at", "tags", "fields")
    return [{k: v for k, v in ws.to_json(c).items() if k in keep} for c in ws.customers()]


@pytest.fixture
def source(workspace: Workspace) -> Workspace:
    ws = fields(workspace)
    ws.add_customers(
        [
            {
                "name": value,
                "notes": f"{value}\nsecond line, with a comma",
                "postal_code": "00123",
                "external_id": f"0{n}",
                "visits": n,
                "birthday": "1990-01-31" if n % 2 else None,
                "email": f"c{n}@example.com" if n % 3 else None,
                "phone": "06 1234 567" + str(n),
                "joined_at": "2021-03-0" + str(1 + n % 9),
                "tags": ["vip", "+plus"] if n % 2 else [],
            }
            for n, value in enumerate(HOSTILE)
        ]
    )
    return ws


def fresh(tmp_path: Path, name: str = "fresh") -> Workspace:
    ws = Workspace.init(
        tmp_path / name, settings={"workspace.region": "IT", "workspace.currency": "EUR"}
    )
    return fields(ws)


@pytest.mark.parametrize(("format", "keys"), [("csv", False), ("csv", True), ("xlsx", False)])
def test_an_export_imports_back_to_equal_records(
    source: Workspace, tmp_path: Path, format: str, keys: bool
) -> None:
    exported = tmp_path / f"all.{format}"
    source.export(format, exported, keys=keys)
    with fresh(tmp_path) as target:
        report = target.import_customers(exported)
        assert (report.rows, report.created, report.updated) == (len(HOSTILE), len(HOSTILE), 0)
        assert records(target) == records(source)


def test_header_by_key_or_label_any_case_and_mapped(workspace: Workspace, tmp_path: Path) -> None:
    ws = fields(workspace)
    path = write(
        tmp_path / "list.csv",
        "\ufeffNAME;Postal Code;E-MAIL;cap;Tags;Id\nAna;00100;ANA@Example.com;x;vip, Roma ;99\n",
    )
    report = ws.import_customers(path, mapping={"cap": "notes"})
    assert report.created == 1
    (ana,) = ws.customers()
    assert (ana.name, ana.email, ana.tags) == ("Ana", "ANA@example.com", ("vip", "Roma"))
    assert ana.fields == {"postal_code": "00100", "notes": "x"}
    assert ana.id == 1  # the file's id column is read past


def test_unknown_columns_are_named_unless_ignored(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "name,shoe size,colour\nAna,38,red\n")
    with pytest.raises(ImportFileError, match="unknown columns 'shoe size', 'colour'"):
        workspace.import_customers(path)
    assert workspace.count_customers() == 0
    assert workspace.import_customers(path, ignore_unknown=True).created == 1
    with pytest.raises(ImportFileError, match="--map colour=shoe: no field 'shoe'"):
        workspace.import_customers(path, mapping={"colour": "shoe"})
    with pytest.raises(ImportFileError, match="--map size=name: no column 'size'"):
        workspace.import_customers(path, mapping={"size": "name"}, ignore_unknown=True)


BAD = (
    "name,visits,birthday,email\n"
    "Ana,3,1990-01-31,ana@example.com\n"
    "Bo,three,1990-13-01,bo@example.com\n"
    ",1,,\n"
    "Cy,4,,not-an-email\n"
    "Di,5,,di@example.com\n"
)


def test_every_bad_row_is_reported_and_nothing_written(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    path = write(tmp_path / "bad.csv", BAD)
    with pytest.raises(ImportRowsError) as caught:
        ws.import_customers(path)
    found = [(p.row, p.column, p.value) for p in caught.value.problems]
    assert found == [
        (3, "visits", "three"),
        (3, "birthday", "1990-13-01"),
        (4, "name", ""),
        (5, "email", "not-an-email"),
    ]
    assert caught.value.invalid == 3 and caught.value.rows == 5
    assert ws.count_customers() == 0


def test_skip_invalid_imports_the_rest_and_sets_the_bad_rows_aside(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    path = write(tmp_path / "bad.csv", BAD)
    report = ws.import_customers(path, skip_invalid=True)
    assert (report.created, report.rejected) == (2, 3)
    assert [c.name for c in ws.customers()] == ["Ana", "Di"]
    assert report.rejected_path == tmp_path / "bad.rejected.csv"
    with report.rejected_path.open(encoding="utf-8-sig", newline="") as handle:
        rejected = list(csv.reader(handle))
    assert rejected[0] == ["row", "name", "visits", "birthday", "email", "problems"]
    assert [r[:3] for r in rejected[1:]] == [["3", "Bo", "three"], ["4", "", "1"], ["5", "Cy", "4"]]
    assert "visits: expected a whole number" in rejected[1][-1]
    assert "birthday" in rejected[1][-1]


def test_update_existing_matches_by_external_id_then_email(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    ws.add_customers(
        [
            {"name": "Ana", "external_id": "A1", "visits": 1},
            {"name": "Bo", "email": "bo@example.com", "tags": ["old"]},
        ]
    )
    path = write(
        tmp_path / "again.csv",
        "external_id,name,email,visits,tags\n"
        "A1,Ana Maria,,2,\n"
        ",Bo,BO@example.com,7,new\n"
        ",Cy,cy@example.com,,\n",
    )
    with pytest.raises(ImportRowsError, match="customer 1 already has this external_id"):
        ws.import_customers(path)
    preview = ws.import_customers(path, update_existing=True, dry_run=True)
    assert (preview.created, preview.updated, preview.dry_run) == (1, 2, True)
    assert ws.count_customers() == 2
    ws.import_customers(path, update_existing=True)
    ana, bo, cy = ws.customers()
    assert (ana.name, ana.fields, ana.tags) == ("Ana Maria", {"visits": 2}, ())
    assert (bo.fields, bo.tags) == ({"visits": 7}, ("new",))
    assert cy.email == "cy@example.com"


def test_a_file_naming_one_external_id_twice_is_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write(tmp_path / "twice.csv", "name,external_id\nAna,X\nBo,X\n")
    with pytest.raises(ImportRowsError, match="row 3, column external_id: 'X' — row 2 has"):
        workspace.import_customers(path)


def test_other_encodings_and_leading_zeros(workspace: Workspace, tmp_path: Path) -> None:
    ws = fields(workspace)
    path = write(
        tmp_path / "cp.csv", "name\tpostal_code\tphone\nNiccolò\t00042\t06 1234 5678\n", "cp1252"
    )
    # read as given: --encoding overrides the detection
    assert ws.import_customers(path, encoding="cp1252").encoding == "cp1252"
    (niccolo,) = ws.customers()
    assert (niccolo.name, niccolo.fields["postal_code"], niccolo.phone) == (
        "Niccolò",
        "00042",
        "+390612345678",
    )
    with pytest.raises(ImportFileError, match="unknown encoding 'nope'"):
        ws.import_customers(path, encoding="nope")


class Heard:
    def __init__(self) -> None:
        self.created: list[str] = []

    @hookimpl
    def clientcard_customer_created(self, workspace: Workspace, customer: Any) -> None:
        self.created.append(customer.name)


def test_every_card_created_is_announced(workspace: Workspace, tmp_path: Path) -> None:
    heard = Heard()
    path = write(tmp_path / "two.csv", "name\nAna\nBo\n")
    with Workspace.open(workspace.path, plugins=[heard]) as ws:
        ws.import_customers(path)
    assert heard.created == ["Ana", "Bo"]


def test_import_customers_from_the_cli(run: RunCLI, workspace: Workspace, tmp_path: Path) -> None:
    fields(workspace)
    path = write(tmp_path / "bad.csv", BAD)
    result = run("import", "customers", str(path))
    assert result.exit_code == 1
    assert "3 of 5 rows are invalid; nothing was imported" in result.stderr
    assert "row 3, column visits: 'three'" in result.stderr
    skipped = run("import", "customers", str(path), "--skip-invalid")
    assert skipped.stdout == (
        f"created 2 customers, updated 0; left out 3 invalid rows; "
        f"see {tmp_path / 'bad.rejected.csv'}\n"
    )
    mapped = write(tmp_path / "m.csv", "who\nEd\n")
    assert run("import", "customers", str(mapped), "--map", "who=name").exit_code == 0
    assert [c.name for c in workspace.customers()][-1] == "Ed"
    assert_user_error(run("import", "customers", str(mapped), "--map", "who"), "--map", "'who'")
    assert_user_error(run("import", "customers", str(mapped), "--format", "xls"), "xls")


# -- which customer a row is (--match), and never another person (issue 13, point 15) ----


def test_reimporting_an_export_updates_its_records_by_the_id_column(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    # no external_id nor e-mail: only the Id column can say who each row is
    ws = fields(workspace)
    ws.add_customers(
        [
            {"name": "Ana Rossi", "phone": "333 111 2222", "visits": 1},
            {"name": "Bo Verdi", "visits": 2, "tags": ["vip"]},
        ]
    )
    exported = tmp_path / "x.csv"
    assert run("export", "--format", "csv", "-o", str(exported)).exit_code == 0
    text = exported.read_text(encoding="utf-8-sig")
    exported.write_text(text.replace("Bo Verdi,", "Bo Verdi Neri,"), encoding="utf-8-sig")
    result = run("import", "customers", str(exported), "--update-existing")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "created 0 customers, updated 2\n"
    ana, bo = ws.customers()
    assert (ana.id, ana.name, ana.phone, ana.fields) == (1, "Ana Rossi", "+393331112222",
                                                          {"visits": 1})  # fmt: skip
    assert (bo.id, bo.name, bo.fields, bo.tags) == (2, "Bo Verdi Neri", {"visits": 2}, ("vip",))
    # a row added to the export by hand (no id) is a new customer
    with exported.open("a", encoding="utf-8") as handle:
        handle.write(",Cy Neri,,,,,,,,,,,\n")
    report = ws.import_customers(exported, update_existing=True)
    assert (report.created, report.updated, report.updated_ids) == (1, 2, (1, 2))
    assert [c.name for c in ws.customers()] == ["Ana Rossi", "Bo Verdi Neri", "Cy Neri"]


def test_a_family_sharing_an_email_is_never_written_over(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    ana = ws.add_customer("Ana Rossi", email="ana@example.com", fields={"visits": 1})
    path = write(
        tmp_path / "family.csv",
        "name,email,visits\n"
        "Marco Rossi,ANA@example.com,5\n"  # her husband, one address for the family
        "Ana Rosi,ana@example.com,3\n",  # Ana, with a typo: the same person
    )
    report = ws.import_customers(path, update_existing=True)
    assert (report.created, report.updated, report.updated_ids) == (1, 1, (ana.id,))
    again, marco = ws.customers()
    assert (again.id, again.name, again.fields) == (ana.id, "Ana Rosi", {"visits": 3})
    assert (marco.name, marco.email, marco.fields) == ("Marco Rossi", "ANA@example.com",
                                                       {"visits": 5})  # fmt: skip
    (shared,) = report.shared
    assert (shared.row, shared.name, shared.field, shared.customers) == (
        2,
        "Marco Rossi",
        "email",
        ((ana.id, "Ana Rossi"),),
    )
    assert report.warnings() == [
        f"row 2 (Marco Rossi) has the e-mail address ANA@example.com of customer {ana.id} "
        "(Ana Rossi), another name: added as a new customer, not written over"
    ]


def test_parent_and_child_sharing_a_phone_with_match_phone(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    mother = ws.add_customer("Giulia Bianchi", phone="333 111 2222")
    path = write(
        tmp_path / "kids.csv",
        "name,phone,visits\nLuca Bianchi,+39 333 111 2222,1\nGiulia Bianchi,3331112222,9\n",
    )
    result = run("import", "customers", str(path), "--update-existing", "--match", "phone")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "created 1 customer, updated 1\n"
    assert result.stderr == (
        f"warning: row 2 (Luca Bianchi) has the phone number +393331112222 of customer "
        f"{mother.id} (Giulia Bianchi), another name: added as a new customer, not written over\n"
    )
    giulia, luca = ws.customers()
    assert (giulia.id, giulia.fields) == (mother.id, {"visits": 9})
    assert (luca.name, luca.phone, luca.fields) == ("Luca Bianchi", "+393331112222", {"visits": 1})


def test_match_external_id_alone_does_not_fall_back_to_email(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    ws.add_customers(
        [
            {"name": "Ana", "external_id": "A1", "visits": 1},
            {"name": "Bo", "email": "bo@example.com", "visits": 1},
        ]
    )
    path = write(
        tmp_path / "u.csv", "external_id,name,email,visits\nA1,Ana,,2\nB2,Bo,bo@example.com,2\n"
    )
    report = ws.import_customers(path, update_existing=True, match="external_id")
    assert (report.created, report.updated) == (1, 1)
    assert [(c.name, c.external_id, c.fields) for c in ws.customers()] == [
        ("Ana", "A1", {"visits": 2}),
        ("Bo", None, {"visits": 1}),
        ("Bo", "B2", {"visits": 2}),
    ]


def test_match_email_and_name_needs_the_same_name(workspace: Workspace, tmp_path: Path) -> None:
    ws = fields(workspace)
    ana = ws.add_customer("Ana Rossi", email="ana@example.com")
    path = write(
        tmp_path / "u.csv",
        "name,email,visits\nROSSI ana,ana@example.com,4\nAna Rosi,ana@example.com,5\n",
    )
    report = ws.import_customers(path, update_existing=True, match="email+name")
    # the same name in another case and order is Ana; a typo is someone else to this key
    assert (report.created, report.updated, report.updated_ids) == (1, 1, (ana.id,))
    assert [(c.name, c.fields) for c in ws.customers()] == [
        ("ROSSI ana", {"visits": 4}),
        ("Ana Rosi", {"visits": 5}),
    ]


def test_match_id_trusts_the_ids_and_names_every_bad_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    ana = ws.add_customer("Ana Rossi")
    path = write(
        tmp_path / "u.csv",
        f"id,name\n{ana.id},Ana Bianchi\n999,Bo\nB-7,Cy\n,Di\n",
    )
    with pytest.raises(ImportRowsError) as caught:
        ws.import_customers(path, update_existing=True, match="id")
    assert [str(p) for p in caught.value.problems] == [
        "row 3, column id: '999' — no customer has this id; leave the cell empty to add the "
        "row as a new customer",
        "row 4, column id: 'B-7' — expected a clientcard customer id (a whole number), or "
        "nothing for a new customer",
    ]
    path.write_text(f"id,name\n{ana.id},Ana Bianchi\n,Di\n")
    report = ws.import_customers(path, update_existing=True, match="id")
    assert (report.created, report.updated) == (1, 1)
    assert [(c.id, c.name) for c in ws.customers()] == [(ana.id, "Ana Bianchi"), (2, "Di")]
    no_id = write(tmp_path / "n.csv", "name\nAna\n")
    with pytest.raises(ImportFileError, match="--match id needs a column 'id'"):
        ws.import_customers(no_id, update_existing=True, match="id")


def test_an_id_column_naming_someone_else_is_refused_by_default(
    workspace: Workspace, tmp_path: Path
) -> None:
    # another workspace's export (or another system's ids): id 1 here is not Zoe
    ws = fields(workspace)
    ana = ws.add_customer("Ana Rossi", fields={"visits": 1})
    path = write(tmp_path / "other.csv", f"Id,Name,visits\n{ana.id},Zoe Verdi,7\n2,Bo,1\n")
    with pytest.raises(ImportRowsError) as caught:
        ws.import_customers(path, update_existing=True)
    assert [str(p) for p in caught.value.problems] == [
        f"row 2, column id: '{ana.id}' — customer {ana.id} is Ana Rossi, this row names Zoe "
        "Verdi: if the ids are another workspace's, import with --match external_id or "
        f"--match email; to rename customer {ana.id}, with --match id"
    ]
    assert ws.get_customer(ana.id).fields == {"visits": 1}
    # without --update-existing the id column is read past, as always
    assert ws.import_customers(path).created == 2


def test_match_without_update_existing_refuses_rows_that_find_a_customer(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    bo = ws.add_customer("Bo Verdi", email="bo@example.com")
    path = write(tmp_path / "n.csv", "name,email\nBo Verdi,BO@example.com\nCy,cy@example.com\n")
    with pytest.raises(ImportRowsError) as caught:
        ws.import_customers(path, match="email")
    assert [str(p) for p in caught.value.problems] == [
        f"row 2, column email: 'BO@example.com' — customer {bo.id} (Bo Verdi) has this e-mail "
        "address; import with --update-existing to update it"
    ]
    assert ws.count_customers() == 1


def test_two_rows_for_one_customer_are_refused(workspace: Workspace, tmp_path: Path) -> None:
    ws = fields(workspace)
    ana = ws.add_customer("Ana Rossi", email="ana@example.com")
    path = write(
        tmp_path / "twice.csv",
        "name,email,visits\nAna Rossi,ana@example.com,1\nAna Rossi,ana@example.com,2\n",
    )
    with pytest.raises(ImportRowsError, match=f"row 3: updates customer {ana.id}, as row 2 does"):
        ws.import_customers(path, update_existing=True)


def test_an_updated_row_cannot_take_another_customers_external_id(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    ws.add_customers(
        [{"name": "Ana", "email": "ana@example.com"}, {"name": "Bo", "external_id": "B1"}]
    )
    path = write(tmp_path / "u.csv", "name,email,external_id\nAna,ana@example.com,B1\n")
    with pytest.raises(ImportRowsError, match="customer 2 already has this external_id"):
        ws.import_customers(path, update_existing=True, match="email")
    assert ws.get_customer(1).external_id is None


# -- encodings: what Excel writes ---------------------------------------------------------


def test_an_excel_csv_in_cp1252_is_detected(workspace: Workspace, tmp_path: Path) -> None:
    ws = fields(workspace)
    text = "Name;E-mail;Postal code\nNiccolò Bianchi;n@example.it;00042\nRenée Zoë;r@example.it;\n"
    path = write(tmp_path / "excel.csv", text, "cp1252")
    report = ws.import_customers(path)
    assert (report.created, report.encoding) == (2, "cp1252")
    assert [(c.name, c.fields) for c in ws.customers()] == [
        ("Niccolò Bianchi", {"postal_code": "00042"}),
        ("Renée Zoë", {}),
    ]


def test_excel_unicode_text_utf16_tab_separated_is_read(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    text = "Name\tPhone\tnotes\nJosé Müller\t06 1234 5678\tÇa va, 🎉\n"
    path = write(tmp_path / "unicode.txt", text, "utf-16")  # with its BOM, as Excel saves it
    result = run("import", "customers", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "created 1 customer, updated 0\n"
    assert (
        result.stderr
        == f"note: read {path} as utf-16 (detected; give --encoding if that is wrong)\n"
    )
    (jose,) = ws.customers()
    assert (jose.name, jose.phone, jose.fields) == ("José Müller", "+390612345678",
                                                    {"notes": "Ça va, 🎉"})  # fmt: skip


def test_utf8_stays_utf8_and_a_damaged_utf8_file_is_not_guessed(
    workspace: Workspace, tmp_path: Path
) -> None:
    plain = write(tmp_path / "u.csv", "\ufeffname\nNiccolò\n")
    assert workspace.import_customers(plain).encoding is None
    # valid UTF-8 up to one stray cp1252 byte: a guess would garble the first line's accent
    damaged = tmp_path / "d.csv"
    damaged.write_bytes("name\nNiccolò\n".encode() + "Renée\n".encode("cp1252"))
    with pytest.raises(ImportFileError, match=r"line 3 is not valid UTF-8 text .*--encoding"):
        workspace.import_customers(damaged)


# -- dates written day first (--date-format) -----------------------------------------------


def test_a_date_with_the_day_or_month_first_needs_date_format(
    workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    path = write(
        tmp_path / "d.csv",
        "name,joined_at,birthday\nAna,03/04/2025,25/12/1990\nBo,2025-01-02,12.31.1990\n",
    )
    with pytest.raises(ImportRowsError) as caught:
        ws.import_customers(path)
    assert [str(p) for p in caught.value.problems] == [
        "row 2, column joined_at: '03/04/2025' — expected a date as YYYY-MM-DD; with the day or "
        "month first it could be either: say which with --date-format dmy or --date-format mdy "
        "(or a pattern such as %d/%m/%Y)",
        "row 2, column birthday: '25/12/1990' — expected a date as YYYY-MM-DD; for "
        "day/month/year dates import with --date-format dmy",
        "row 3, column birthday: '12.31.1990' — expected a date as YYYY-MM-DD; for "
        "month/day/year dates import with --date-format mdy",
    ]
    assert ws.count_customers() == 0


@pytest.mark.parametrize(
    ("date_format", "cells", "expected"),
    [
        ("dmy", ("03/04/2025", "25.12.1990"), ("2025-04-03", "1990-12-25")),
        ("mdy", ("03/04/2025", "12-25-1990"), ("2025-03-04", "1990-12-25")),
        ("%d %b %Y", ("3 Apr 2025", "25 Dec 1990"), ("2025-04-03", "1990-12-25")),
        # an ISO date still reads as one
        ("dmy", ("2025-04-03", "25/12/1990"), ("2025-04-03", "1990-12-25")),
    ],
)
def test_date_format_reads_dates_in_its_order(
    workspace: Workspace, tmp_path: Path, date_format: str, cells: tuple[str, str],
    expected: tuple[str, str],
) -> None:  # fmt: skip
    ws = fields(workspace)
    path = write(tmp_path / "d.csv", f"name,joined_at,birthday\nAna,{cells[0]},{cells[1]}\n")
    ws.import_customers(path, date_format=date_format)
    (ana,) = ws.customers()
    assert (ana.joined_at.isoformat(), ana.fields["birthday"]) == expected


def test_a_date_not_in_the_date_format_is_a_bad_row(workspace: Workspace, tmp_path: Path) -> None:
    ws = fields(workspace)
    path = write(tmp_path / "d.csv", "name,birthday\nAna,31/02/1990\nBo,12/25/1990\nCy,1/2/90\n")
    with pytest.raises(ImportRowsError) as caught:
        ws.import_customers(path, date_format="dmy")
    expected = (
        "expected a date as DD/MM/YYYY (--date-format dmy), such as 31/01/2025, maybe with a "
        "time HH:MM"
    )
    assert [(p.row, p.value, p.reason) for p in caught.value.problems] == [
        (2, "31/02/1990", expected),
        (3, "12/25/1990", expected),
        (4, "1/2/90", expected),  # a two-digit year: which century?
    ]
    with pytest.raises(ValidationError, match="date-format: '%d/%m' is not valid"):
        ws.import_customers(path, date_format="%d/%m")  # no year: every date in 1900


# -- the report as JSON ----------------------------------------------------------------------


def test_format_json_reports_counts_ids_warnings_and_problems(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    ws = fields(workspace)
    ana = ws.add_customer("Ana Rossi", email="ana@example.com")
    path = write(
        tmp_path / "j.csv",
        "name,email,visits\nAna Rossi,ana@example.com,2\nMarco Rossi,ana@example.com,1\nBo,,many\n",
    )
    args = ("import", "customers", str(path), "--update-existing", "--format", "json")
    refused = run(*args)
    assert refused.exit_code == 1
    assert refused.stderr == "error: 1 of 3 rows is invalid; nothing was imported\n"
    refusal = json.loads(refused.stdout)
    (problem,) = refusal.pop("problems")
    assert refusal == {"imported": False, "rows": 3, "invalid": 1, "hint": None}
    assert (problem["row"], problem["column"], problem["value"]) == (4, "visits", "many")
    assert problem["reason"].startswith("expected a whole number")
    result = run(*args, "--skip-invalid")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    marco = ws.customers()[-1]
    assert report == {
        "imported": True,
        "dry_run": False,
        "file": str(path),
        "encoding": "utf-8",
        "rows": 3,
        "created": 1,
        "updated": 1,
        "skipped": 1,
        "ids": {"created": [marco.id], "updated": [ana.id]},
        "rejected_file": str(tmp_path / "j.rejected.csv"),
        "warnings": [
            f"row 3 (Marco Rossi) has the e-mail address ana@example.com of customer {ana.id} "
            "(Ana Rossi), another name: added as a new customer, not written over"
        ],
        "shared": [
            {
                "row": 3,
                "name": "Marco Rossi",
                "field": "email",
                "value": "ana@example.com",
                "customers": [{"id": ana.id, "name": "Ana Rossi"}],
            }
        ],
        "look_alikes": [],
        "problems": [problem],
    }
    # --format still takes the file's format, as before --file-format
    xlsx = tmp_path / "all.xlsx"
    ws.export("xlsx", xlsx)
    fresh_ws = fresh(tmp_path)
    fresh_ws.close()
    other = run("-w", str(fresh_ws.path), "import", "customers", str(xlsx), "--format", "xlsx")
    assert other.stdout == "created 2 customers, updated 0\n", other.stderr


def test_match_takes_external_id_spelt_either_way_in_both_imports(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    # the bookings import said external-id first, the customers import the field's key
    workspace.add_customer("Ana", external_id="A1")
    people = write(tmp_path / "c.csv", "external_id,name\nA1,Ana Maria\n")
    visits = write(tmp_path / "b.csv", "customer,date\nA1,2025-01-05\nA1,2025-02-05\n")
    for spelling in ("external_id", "external-id"):
        updated = run("import", "customers", str(people), "--update-existing", "--match", spelling)
        assert updated.exit_code == 0, updated.stderr
        booked = run("import", "bookings", str(visits), "--match", spelling, "--dry-run")
        assert booked.exit_code == 0, booked.stderr
    assert workspace.get_customer(1).name == "Ana Maria"
    wrong = run("import", "bookings", str(visits), "--match", "nick")
    assert wrong.exit_code == 2 and "'nick' is not one of" in wrong.stderr  # a usage error
