"""The round trip through the workspace's own CSV, exact (issue 15, H and I): a comma
inside a tag, a value longer than csv's usual cell limit, an external id stored in
the other spelling of its accents."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from clientcard import Workspace
from clientcard.transfer.bookings_import import ImportRowsError
from clientcard.transfer.export import join_tags, split_tags
from conftest import RunCLI

NFC = "Café"
NFD = unicodedata.normalize("NFD", NFC)
#: more than csv.field_size_limit()'s default of 131,072 characters
LONG = 200_000

TAGS = ["a,b", "plain", "ends\\", "C:\\dir", "\\\\server", "x\\,y", ",", "\\"]


def fresh(tmp_path: Path, name: str) -> Workspace:
    return Workspace.init(
        tmp_path / name, settings={"workspace.region": "IT", "workspace.currency": "EUR"}
    )


def kept(ws: Workspace) -> list[dict[str, Any]]:
    keep = ("name", "external_id", "tags", "fields")
    return [{k: v for k, v in ws.to_json(c).items() if k in keep} for c in ws.customers()]


# -- tags ------------------------------------------------------------------------------


def test_a_tag_with_a_comma_comes_back_from_csv_as_one_tag(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.add_customer("Ann", tags=TAGS)
    workspace.add_customer("Bo", tags=["a,b"])
    workspace.add_customer("Cy", tags=["ends\\"])
    exported = tmp_path / "all.csv"
    workspace.export("csv", exported)
    with open(exported, encoding="utf-8-sig", newline="") as file:
        cells = [row[-1] for row in csv.reader(file)]
    assert cells[2:] == ["a\\,b", "ends\\"]
    with fresh(tmp_path, "copy") as copy:
        assert copy.import_customers(exported).created == 3
        assert kept(copy) == kept(workspace)
        assert copy.get_customer(1).tags == tuple(TAGS)
        assert copy.tags()[0] == ("a,b", 2)


def test_a_tag_with_a_comma_comes_back_from_xlsx_and_updates_in_place(
    workspace: Workspace, tmp_path: Path
) -> None:
    ann = workspace.add_customer("Ann", tags=["a,b", "c"]).id
    exported = tmp_path / "all.xlsx"
    workspace.export("xlsx", exported)
    workspace.update_customer(ann, tags=[])
    report = workspace.import_customers(exported, update_existing=True)
    assert report.updated == 1
    assert workspace.get_customer(ann).tags == ("a,b", "c")


@pytest.mark.parametrize(
    "tags",
    [[], ["a"], ["a", "b"], *([t] for t in TAGS), TAGS, TAGS[::-1], ["a\\\\", "b\\\\\\"]],
)
def test_join_and_split_tags_are_inverse(tags: list[str]) -> None:
    assert split_tags(join_tags(tags)) == tags


@pytest.mark.parametrize(
    ("cell", "tags"),
    [
        ("vip, regular", ["vip", "regular"]),
        (" vip ,, regular ,", ["vip", "regular"]),
        ("C:\\dir, \\\\server, a\\b", ["C:\\dir", "\\\\server", "a\\b"]),
        ("ends\\", ["ends\\"]),
    ],
)
def test_tag_cells_of_files_written_before_read_as_they_did(
    workspace: Workspace, tmp_path: Path, cell: str, tags: list[str]
) -> None:
    assert split_tags(cell) == tags
    path = tmp_path / "old.csv"
    path.write_text(f'name,tags\nAnn,"{cell}"\n', encoding="utf-8")
    workspace.import_customers(path)
    assert list(workspace.get_customer(1).tags) == tags


# -- long values -----------------------------------------------------------------------


def test_a_value_over_csvs_cell_limit_exports_and_imports_back(
    workspace: Workspace, tmp_path: Path, run: RunCLI
) -> None:
    workspace.add_field("notes", type="long-text")
    long_note = ('Lorem ipsum, dolor "sit" amet;\n' * (LONG // 30))[:LONG].strip()
    assert len(long_note) > csv.field_size_limit()
    workspace.add_customer("Ann", fields={"notes": long_note}, tags=["t" * LONG])
    exported = tmp_path / "all.csv"
    assert run("export", "--format", "csv", "-o", str(exported)).exit_code == 0
    limit = csv.field_size_limit()
    with fresh(tmp_path, "copy") as copy:
        copy.add_field("notes", type="long-text")
        assert copy.import_customers(exported).created == 1
        (ann,) = copy.customers()
        assert ann.fields["notes"] == long_note
        assert ann.tags == ("t" * LONG,)
    assert csv.field_size_limit() == limit  # put back: the limit is the process's
    # the CLI, as a person runs it: one workspace's export into the other
    again = run("import", "customers", str(exported), "--update-existing")
    assert again.exit_code == 0, again.stderr


def test_a_long_cell_written_by_another_program_imports(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.add_field("notes", type="long-text")
    path = tmp_path / "crm.csv"
    note = "x" * 300_000
    path.write_text(f'name,notes\nAnn,"{note}"\nBo,short\n', encoding="utf-8")
    assert workspace.import_customers(path).created == 2
    assert workspace.get_customer(1).fields["notes"] == note


def test_a_bookings_file_with_a_long_cell_imports(workspace: Workspace, tmp_path: Path) -> None:
    workspace.add_customer("Ann", external_id="C1")
    service = "s" * LONG
    path = tmp_path / "bookings.csv"
    path.write_text(f"customer,date,service\nC1,2025-03-01,{service}\n", encoding="utf-8")
    workspace.import_bookings(path)
    (booking,) = workspace.activity("booking")
    assert booking["service"] == service


def test_an_unclosed_quote_in_a_long_file_is_one_shortened_problem(
    workspace: Workspace, tmp_path: Path
) -> None:
    # with csv's limit raised, the rest of the file after a stray quote is one cell:
    # a problem shown shortened, nothing imported
    path = tmp_path / "broken.csv"
    rows = "".join(f"P{n},p{n}@example.com\n" for n in range(20_000))
    path.write_text(f'name,email\n"Ann,ann@example.com\n{rows}', encoding="utf-8")
    with pytest.raises(ImportRowsError) as info:
        workspace.import_customers(path)
    assert all(len(line) < 400 for line in str(info.value).splitlines())
    assert workspace.count_customers() == 0


# -- I: an external id stored in the other spelling ----------------------------------------


def _plant(ws: Workspace, id: int, **values: Any) -> None:
    """Write values into a stored customer as a version before NFC on entry kept them."""
    with ws.ctx.write() as session:
        table = session.table("customers")
        table.put({**table.get(id), **values})


def test_importing_the_other_spelling_of_a_stored_external_id_finds_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    old = workspace.add_customer("Old").id
    _plant(workspace, old, external_id=NFD)
    path = tmp_path / "in.csv"
    path.write_text(f"name,external_id\nOld Renamed,{NFC}\n", encoding="utf-8")
    report = workspace.import_customers(path, update_existing=True)
    assert (report.created, report.updated) == (0, 1)
    assert workspace.get_customer(old).name == "Old Renamed"
    refused = tmp_path / "again.csv"
    refused.write_text(f"name,external_id\nSomeone,{NFC}\n", encoding="utf-8")
    with pytest.raises(ImportRowsError, match=f"customer {old} already has this external_id"):
        workspace.import_customers(refused)
    assert workspace.count_customers() == 1
