"""The xlsx and vcard exporters, read back by independent readers (openpyxl, vobject).

Customers carry hostile values: formula starts, commas, quotes, line breaks,
right-to-left text, emoji and leading zeros.  Every value must come back as
it was stored, and nothing may become a formula.
"""

from __future__ import annotations

import csv
import io
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import openpyxl
import orjson
import pytest
import vobject

from clientcard import Workspace
from clientcard.core.fields import FieldSchema
from clientcard.core.model import FieldDef
from clientcard.core.store import Doc
from clientcard.plugins.exporters import vcard, xlsx
from clientcard.plugins.exporters.vcard import VcardExporter
from clientcard.plugins.exporters.xlsx import XlsxExporter
from clientcard.transfer.customers_import import import_customers
from clientcard.transfer.export import (
    XLSX_UNGUARDED,
    ExportContext,
    Exporter,
    columns,
    neutralise,
    restore,
)
from conftest import RunCLI

FORMULA = '=HYPERLINK("http://evil.example","click")'
NOTES = 'Allergic to nuts, "really";\nprefers mornings\\evenings\n\nمتن فارسی 🎉'
PERSIAN = "علی کریمی"
EMOJI = "Zoë 🎉 Müller"
#: how the documentation says a card's UID is made
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:clientcard:customer")


@pytest.fixture
def hostile(workspace: Workspace) -> Workspace:
    """Four customers whose values a spreadsheet or an address book could get wrong."""
    workspace.add_field("postal_code", type="text", label="Postal code")
    workspace.add_field("nickname", type="text", label="Nickname")
    workspace.add_field("birthday", type="date", label="Birthday")
    workspace.add_field("notes", type="long-text", label="Notes")
    workspace.add_field("work_email", type="email", label="Work e-mail")
    workspace.add_field("mobile", type="phone", label="Mobile")
    workspace.add_customer(
        FORMULA,
        email="ana@example.com",
        phone="06 1234 5678",
        external_id="007",
        tags=["vip", "a,b; c"],
        fields={
            "postal_code": "00123",
            "nickname": "+1 555",
            "birthday": "1990-01-31",
            "notes": NOTES,
        },
    )
    workspace.add_customer(
        PERSIAN,
        external_id="-12",
        tags=["VIP", "ایران"],
        fields={"nickname": "-5", "notes": "یادداشت، با ویرگول"},
    )
    workspace.add_customer(
        EMOJI,
        email="zoe@example.com",
        tags=["newsletter"],
        fields={
            "nickname": "@SUM(A1:A9)",
            "work_email": "zoe@work.example",
            "mobile": "+44 7911 123456",
            "postal_code": "#N/A",
        },
    )
    workspace.add_customer("Plain", fields={"nickname": "'=already quoted"})
    return workspace


def context_for(ws: Workspace, *, keys: bool = False) -> ExportContext:
    """What Workspace.export gives an exporter."""
    schema = ws.schema()
    return ExportContext(columns(schema, None), schema, keys=keys)


def sheet_rows(path: Path | io.BytesIO) -> list[list[Any]]:
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Customers"]
    return [[cell.value for cell in row] for row in book["Customers"].iter_rows()]


# -- xlsx ------------------------------------------------------------------------------


def test_xlsx_holds_every_value_as_text_exactly_as_stored(
    hostile: Workspace, tmp_path: Path
) -> None:
    assert hostile.export("xlsx", tmp_path / "out.xlsx") == 4
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    sheet = book["Customers"]
    assert sheet.freeze_panes == "A2"
    cells = list(sheet.iter_rows())
    header = [c.value for c in cells[0]]
    assert header == [
        "Id",
        "Name",
        "E-mail",
        "Phone",
        "External id",
        "Joined",
        "Birth date",
        "Postal code",
        "Nickname",
        "Birthday",
        "Notes",
        "Work e-mail",
        "Mobile",
        "Status",
        "Tier",
        "Tags",
    ]
    assert all(c.font.b for c in cells[0])
    for row in cells:
        for cell in row:
            assert cell.data_type in ("s", "n")  # text, or (blank) nothing
            assert cell.data_type == "s" or cell.value is None
    rows = [[c.value for c in row] for row in cells[1:]]
    assert [r[0] for r in rows] == ["1", "2", "3", "4"]
    by_key = [dict(zip(header, r, strict=True)) for r in rows]
    ana, ali, zoe, plain = by_key
    # a text cell is never evaluated: formula starts need (and get) no apostrophe
    assert ana["Name"] == FORMULA
    assert ana["Phone"] == "+390612345678"  # E.164, as stored
    assert ana["Nickname"] == "+1 555"
    assert ali["External id"] == "-12" and ali["Nickname"] == "-5"
    assert zoe["Nickname"] == "@SUM(A1:A9)"
    assert plain["Nickname"] == "'=already quoted"
    # ... but Excel's own "typed as text" mark keeps them text when a cell is edited
    by_cell = {c.value: c for row in cells[1:] for c in row if c.value is not None}
    quoted = {value for value, c in by_cell.items() if c.quotePrefix}
    assert quoted == {FORMULA, "+390612345678", "+1 555", "-12", "-5", "@SUM(A1:A9)"} | {
        "+447911123456"
    }
    assert book.custom_doc_props[XLSX_UNGUARDED].value
    # leading zeros, an error code and dates stay text
    assert ana["External id"] == "007" and ana["Postal code"] == "00123"
    assert zoe["Postal code"] == "#N/A"
    assert ana["Birthday"] == "1990-01-31"
    assert ana["Notes"] == NOTES
    assert ali["Name"] == PERSIAN and zoe["Name"] == EMOJI
    assert ana["Tags"] == "vip, a\\,b; c"  # a comma inside a tag is escaped
    assert plain["E-mail"] is None and plain["Notes"] is None


def test_xlsx_cells_are_the_values_csv_guards(hostile: Workspace, tmp_path: Path) -> None:
    hostile.export("xlsx", tmp_path / "out.xlsx")
    hostile.export("csv", tmp_path / "out.csv")
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as file:
        written = list(csv.reader(file))
    from_sheet = [
        ["" if v is None else v for v in row] for row in sheet_rows(tmp_path / "out.xlsx")
    ]
    context = context_for(hostile)
    values = [context.row(doc) for doc in hostile.customers_json()]
    assert from_sheet[1:] == values
    assert written[1:] == [[neutralise(v) for v in row] for row in values]
    assert [[restore(v) for v in row] for row in written[1:]] == values


def test_xlsx_headers_are_keys_when_asked_and_only_the_fields_asked(
    hostile: Workspace, tmp_path: Path
) -> None:
    hostile.export("xlsx", tmp_path / "out.xlsx", fields=["name", "Postal code"], keys=True)
    assert sheet_rows(tmp_path / "out.xlsx") == [
        ["name", "postal_code"],
        [FORMULA, "00123"],
        [PERSIAN, None],
        [EMOJI, "#N/A"],
        ["Plain", None],
    ]


def test_xlsx_replaces_what_xml_cannot_hold_and_keeps_tabs_and_line_breaks(
    workspace: Workspace,
) -> None:
    docs: list[Doc] = [
        {"id": 1, "name": "bell\x07 and nul\x00", "fields": {}, "tags": []},
        {"id": 2, "name": "\t=tab first", "fields": {}, "tags": ["\rcarriage"]},
        {"id": 3, "name": "in\tside\r\nlines", "fields": {}, "tags": []},
    ]
    out = io.BytesIO()
    context = ExportContext(
        columns(workspace.schema(), ["id", "name", "tags"]), workspace.schema(), keys=True
    )
    XlsxExporter().write(iter(docs), context, out)
    assert sheet_rows(io.BytesIO(out.getvalue()))[1:] == [
        ["1", "bell\ufffd and nul\ufffd", None],
        ["2", "\t=tab first", "\ncarriage"],  # XML reads a lone CR as LF
        ["3", "in\tside\nlines", None],
    ]


#: values a spreadsheet could take for a formula or a number, and apostrophes that
#: could be taken for a guard
GUARDABLE = ["=1+1", "+39 06 1234", "-5", "@cmd", "=", "-", "'", "'plain", "'=quoted", "''=2"]


def guardable(ws: Workspace, *, visits: str = "integer") -> Workspace:
    """``ws`` with a nickname and a visits field (of type ``visits``)."""
    ws.add_field("nickname", type="text", label="Nickname")
    ws.add_field("visits", type=visits, label="Visits")
    return ws


def kept(ws: Workspace) -> list[tuple[Any, ...]]:
    return [(c.name, c.phone, c.fields) for c in ws.customers()]


@pytest.mark.parametrize("format", ["xlsx", "csv"])
def test_formula_starts_and_apostrophes_import_back_exactly(
    workspace: Workspace, tmp_path: Path, format: str
) -> None:
    guardable(workspace).add_customers(
        [
            {"name": value, "nickname": value, "phone": f"06 1234 56{n:02}"}
            for n, value in enumerate(GUARDABLE)
        ]
    )
    stored = kept(workspace)
    assert stored[0] == ("=1+1", "+390612345600", {"nickname": "=1+1"})
    workspace.export(format, tmp_path / f"all.{format}")
    with Workspace.init(tmp_path / "again", settings={"workspace.region": "IT"}) as again:
        import_customers(guardable(again), tmp_path / f"all.{format}")
        assert kept(again) == stored


def test_an_xlsx_exported_with_apostrophes_imports_without_them(
    workspace: Workspace, tmp_path: Path
) -> None:
    # as clientcard wrote XLSX before it marked its exports: guarded like CSV
    book = openpyxl.Workbook()
    sheet = book.worksheets[0]
    sheet.append(["Name", "Phone", "Nickname"])
    sheet.append(["'=1+1", "'+390612345678", "''=2"])
    sheet.append(["'plain", None, "'"])
    book.save(tmp_path / "old.xlsx")
    import_customers(guardable(workspace), tmp_path / "old.xlsx")
    assert kept(workspace) == [
        ("=1+1", "+390612345678", {"nickname": "'=2"}),
        ("'plain", None, {"nickname": "'"}),
    ]


def test_rejected_rows_of_an_xlsx_are_written_guarded(workspace: Workspace, tmp_path: Path) -> None:
    # a workbook of another program, and an export whose visits the import refuses
    book = openpyxl.Workbook()
    book.worksheets[0].append(["Name", "Visits"])
    book.worksheets[0].append(["=1+1", "three"])
    book.worksheets[0]["A2"].data_type = "s"  # text, as typed after an apostrophe
    book.save(tmp_path / "theirs.xlsx")
    guardable(workspace, visits="text").add_customer("@cmd", fields={"visits": "-5 or so"})
    workspace.export("xlsx", tmp_path / "ours.xlsx", fields=["name", "visits"])
    with Workspace.init(tmp_path / "again", settings={"workspace.region": "IT"}) as again:
        guardable(again)
        rejected = []
        for path in (tmp_path / "theirs.xlsx", tmp_path / "ours.xlsx"):
            report = again.import_customers(path, skip_invalid=True)
            assert report.rejected_path is not None
            with report.rejected_path.open(encoding="utf-8-sig", newline="") as handle:
                rejected += list(csv.reader(handle))[1:]
    assert [row[1:3] for row in rejected] == [["'=1+1", "three"], ["'@cmd", "'-5 or so"]]


# -- vcard -----------------------------------------------------------------------------


def read_cards(path: Path) -> list[Any]:
    return list(vobject.readComponents(path.read_bytes().decode("utf-8")))


def test_vcard_is_crlf_utf8_folded_at_75_octets(hostile: Workspace, tmp_path: Path) -> None:
    assert hostile.export("vcard", tmp_path / "out.vcf") == 4
    data = (tmp_path / "out.vcf").read_bytes()
    assert data.startswith(b"BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert data.endswith(b"END:VCARD\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    continued = [line for line in lines if line.startswith(b" ")]
    assert continued  # the long name and notes were folded
    for line in lines:
        line.decode("utf-8")  # no line ends or starts inside a character
    assert data.count(b"BEGIN:VCARD") == 4


def test_vcard_reads_back_in_an_address_book_parser(hostile: Workspace, tmp_path: Path) -> None:
    hostile.export("vcard", tmp_path / "out.vcf")
    ana, ali, zoe, plain = read_cards(tmp_path / "out.vcf")
    assert [c.version.value for c in (ana, ali, zoe, plain)] == ["4.0"] * 4

    assert ana.fn.value == FORMULA
    assert [e.value for e in ana.email_list] == ["ana@example.com"]
    assert [t.value for t in ana.tel_list] == ["tel:+390612345678"]
    assert ana.tel.params == {"VALUE": ["uri"]}
    assert ana.bday.value == "19900131"
    assert ana.note.value == NOTES
    assert ana.categories.value == ["vip", "a,b; c"]

    assert ali.fn.value == PERSIAN
    assert (ali.n.value.family, ali.n.value.given) == ("کریمی", "علی")
    assert ali.note.value == "یادداشت، با ویرگول"
    assert ali.categories.value == ["vip", "ایران"]  # the spelling first used
    assert "email" not in ali.contents and "tel" not in ali.contents
    assert "bday" not in ali.contents

    assert zoe.fn.value == EMOJI
    assert (zoe.n.value.family, zoe.n.value.given) == ("Müller", "Zoë 🎉")
    assert [e.value for e in zoe.email_list] == ["zoe@example.com", "zoe@work.example"]
    assert [t.value for t in zoe.tel_list] == ["tel:+447911123456"]

    assert (plain.n.value.family, plain.n.value.given) == ("", "Plain")
    assert "categories" not in plain.contents and "note" not in plain.contents
    assert "adr" not in plain.contents

    for id, card in enumerate((ana, ali, zoe, plain), start=1):
        created = hostile.to_json(hostile.get_customer(id))["created_at"]
        assert card.uid.value == f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{id}/{created}')}"
        updated = hostile.get_customer(id).updated_at.astimezone(UTC)
        assert card.rev.value == updated.strftime("%Y%m%dT%H%M%SZ")


def test_vcard_uids_are_stable_across_exports_and_changes(
    hostile: Workspace, tmp_path: Path
) -> None:
    hostile.export("vcard", tmp_path / "first.vcf")
    hostile.update_customer(2, {"name": "Ali Karimi"})
    hostile.export("vcard", tmp_path / "second.vcf")
    first = [c.uid.value for c in read_cards(tmp_path / "first.vcf")]
    second = read_cards(tmp_path / "second.vcf")
    assert [c.uid.value for c in second] == first
    assert len(set(first)) == 4
    assert second[1].fn.value == "Ali Karimi"


def test_vcard_ignores_the_columns_asked_for(hostile: Workspace, tmp_path: Path) -> None:
    hostile.export("vcard", tmp_path / "out.vcf", [1], fields=["name"])
    (card,) = read_cards(tmp_path / "out.vcf")
    assert card.email.value == "ana@example.com" and card.bday.value == "19900131"


def test_vcard_writes_an_address_field_and_text_phones(workspace: Workspace) -> None:
    home = FieldDef(key="home", label="Home", type="address")
    schema = FieldSchema([*workspace.schema().defs.values(), home], {}, workspace.schema().ctx)
    address = {
        "street": "Via Roma 1, int. 2; scala B",
        "city": "Roma",
        "region": "RM",
        "postal_code": "00184",
        "country": "Italia",
    }
    docs: list[Doc] = [
        {
            "id": 1,
            "name": "\t=Tab Name",
            "phone": "06 old format",
            "tags": [],
            "fields": {"home": address},
            "updated_at": "2025-11-27T11:15:00+01:00",
        }
    ]
    out = io.BytesIO()
    VcardExporter().write(iter(docs), ExportContext([], schema, keys=False), out)
    (card,) = vobject.readComponents(out.getvalue().decode("utf-8"))
    adr = card.adr.value
    assert (adr.street, adr.city, adr.region, adr.code, adr.country) == (
        "Via Roma 1, int. 2; scala B",
        "Roma",
        "RM",
        "00184",
        "Italia",
    )
    assert card.fn.value == "\t=Tab Name"
    assert card.tel.value == "06 old format" and "VALUE" not in card.tel.params
    assert card.rev.value == "20251127T101500Z"


# -- streaming -------------------------------------------------------------------------


def test_exporters_take_a_stream_and_vcard_writes_as_it_reads(hostile: Workspace) -> None:
    docs = hostile.customers_json()
    context = context_for(hostile)
    written_before: list[int] = []
    out = io.BytesIO()

    def stream() -> Iterator[Doc]:
        for doc in docs:
            written_before.append(out.tell())
            yield doc

    VcardExporter().write(stream(), context, out)
    assert written_before[0] == 0 and written_before == sorted(set(written_before))
    assert len(list(vobject.readComponents(out.getvalue().decode()))) == 4

    sheet = io.BytesIO()
    XlsxExporter().write(iter(docs), context, sheet)
    assert len(sheet_rows(io.BytesIO(sheet.getvalue()))) == 5


@pytest.mark.parametrize("exporter", [XlsxExporter(), VcardExporter()], ids=["xlsx", "vcard"])
def test_memory_stays_small_however_many_customers(
    exporter: Exporter, workspace: Workspace, tmp_path: Path
) -> None:
    count = 2000
    schema = workspace.schema()
    context = ExportContext(columns(schema, ["id", "name", "email", "tags"]), schema, keys=False)

    def doc(n: int) -> Doc:
        return {
            "id": n,
            "name": f"Customer {n} " + "x" * 2000,
            "email": f"c{n}@example.com",
            "phone": "+390612345678",
            "tags": ["vip", f"t{n}"],
            "fields": {},
            "updated_at": "2025-11-27T10:15:00+00:00",
        }

    size = sum(len(orjson.dumps(doc(n))) for n in range(count))
    exporter.write((doc(n) for n in range(2)), context, io.BytesIO())  # (imports openpyxl)
    tracemalloc.start()
    try:
        with open(tmp_path / "out", "wb") as out:
            exporter.write((doc(n) for n in range(count)), context, out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < size / 4, (peak, size)


# -- CLI and registration --------------------------------------------------------------


def test_cli_exports_only_the_selection(hostile: Workspace, run: RunCLI, tmp_path: Path) -> None:
    out = tmp_path / "vip.xlsx"
    result = run("export", "--format", "xlsx", "--output", str(out), "--tag", "vip")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"exported 2 customer(s) to {out}\n"
    rows = sheet_rows(out)
    assert [(r[0], r[1]) for r in rows[1:]] == [("1", FORMULA), ("2", PERSIAN)]

    cards = tmp_path / "vip.vcf"
    result = run("export", "--format", "vcard", "-o", str(cards), "--tag", "newsletter")
    assert result.exit_code == 0, result.stderr
    assert [c.fn.value for c in read_cards(cards)] == [EMOJI]


def test_cli_lists_the_formats(run: RunCLI) -> None:
    result = run("export", "--list-formats")
    assert result.exit_code == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert ".xlsx" in lines["xlsx"] and "exporters-xlsx" in lines["xlsx"]
    assert ".vcf" in lines["vcard"] and "exporters-vcard" in lines["vcard"]


def test_the_modules_register_through_clientcard_register_exporters(
    workspace: Workspace,
) -> None:
    found: list[Exporter] = []
    xlsx.clientcard_register_exporters(found.append)
    vcard.clientcard_register_exporters(found.append)
    assert [type(e) for e in found] == [XlsxExporter, VcardExporter]
    assert isinstance(workspace.plugins.exporters.get("xlsx"), XlsxExporter)
    assert isinstance(workspace.plugins.exporters.get("vcard"), VcardExporter)
