"""Importing customers from CSV (and XLSX): mapping, checking, all-or-nothing, round trips."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from clientcard import Workspace, hookimpl
from clientcard.core.import_customers import import_customers
from clientcard.core.importing import ImportFileError, ImportRowsError
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
        report = import_customers(target, exported)
        assert (report.rows, report.created, report.updated) == (len(HOSTILE), len(HOSTILE), 0)
        assert records(target) == records(source)


def test_header_by_key_or_label_any_case_and_mapped(workspace: Workspace, tmp_path: Path) -> None:
    ws = fields(workspace)
    path = write(
        tmp_path / "list.csv",
        "\ufeffNAME;Postal Code;E-MAIL;cap;Tags;Id\nAna;00100;ANA@Example.com;x;vip, Roma ;99\n",
    )
    report = import_customers(ws, path, mapping={"cap": "notes"})
    assert report.created == 1
    (ana,) = ws.customers()
    assert (ana.name, ana.email, ana.tags) == ("Ana", "ANA@example.com", ("vip", "Roma"))
    assert ana.fields == {"postal_code": "00100", "notes": "x"}
    assert ana.id == 1  # the file's id column is read past


def test_unknown_columns_are_named_unless_ignored(workspace: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", "name,shoe size,colour\nAna,38,red\n")
    with pytest.raises(ImportFileError, match="unknown columns 'shoe size', 'colour'"):
        import_customers(workspace, path)
    assert workspace.count_customers() == 0
    assert import_customers(workspace, path, ignore_unknown=True).created == 1
    with pytest.raises(ImportFileError, match="--map colour=shoe: no field 'shoe'"):
        import_customers(workspace, path, mapping={"colour": "shoe"})
    with pytest.raises(ImportFileError, match="--map size=name: no column 'size'"):
        import_customers(workspace, path, mapping={"size": "name"}, ignore_unknown=True)


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
        import_customers(ws, path)
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
    report = import_customers(ws, path, skip_invalid=True)
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
        import_customers(ws, path)
    preview = import_customers(ws, path, update_existing=True, dry_run=True)
    assert (preview.created, preview.updated, preview.dry_run) == (1, 2, True)
    assert ws.count_customers() == 2
    import_customers(ws, path, update_existing=True)
    ana, bo, cy = ws.customers()
    assert (ana.name, ana.fields, ana.tags) == ("Ana Maria", {"visits": 2}, ())
    assert (bo.fields, bo.tags) == ({"visits": 7}, ("new",))
    assert cy.email == "cy@example.com"


def test_a_file_naming_one_external_id_twice_is_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = write(tmp_path / "twice.csv", "name,external_id\nAna,X\nBo,X\n")
    with pytest.raises(ImportRowsError, match="row 3, column external_id: 'X' — row 2 has"):
        import_customers(workspace, path)


def test_other_encodings_and_leading_zeros(workspace: Workspace, tmp_path: Path) -> None:
    ws = fields(workspace)
    path = write(
        tmp_path / "cp.csv", "name\tpostal_code\tphone\nNiccolò\t00042\t06 1234 5678\n", "cp1252"
    )
    with pytest.raises(ImportFileError, match="--encoding"):
        import_customers(ws, path)
    import_customers(ws, path, encoding="cp1252")
    (niccolo,) = ws.customers()
    assert (niccolo.name, niccolo.fields["postal_code"], niccolo.phone) == (
        "Niccolò",
        "00042",
        "+390612345678",
    )


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
        import_customers(ws, path)
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
