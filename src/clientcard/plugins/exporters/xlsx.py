"""The ``xlsx`` exporter: an Excel workbook, one row per customer, every value as text.

One sheet, "Customers": a bold header row (frozen, so it stays in view), then
each customer's values as the text the import reads back.  Every cell is a
text cell, so a leading zero ("00123") is kept, and a value is never turned
into a number, a date, an error ("#N/A") or a formula.  A text cell is never
evaluated, so a value starting with "=", "+", "-" or "@" (every phone number)
is written as it is, with no apostrophe before it as CSV needs; its cell is
marked "quote prefix", Excel's own mark of text typed after an apostrophe,
which shows nothing but keeps the cell text when someone edits it.  The
workbook carries the custom property
:data:`~clientcard.transfer.export.XLSX_UNGUARDED`, which tells clientcard's
import that its cells hold the values as they are.

XML cannot hold most control characters (tab, line feed and carriage return
it can): each one in a value is written as U+FFFD, the replacement character,
rather than failing the whole export.  That is the one change an export
through xlsx makes to a value.

Written with openpyxl's write-only mode, which streams rows to a temporary
file, so memory stays small however many customers there are.  openpyxl is
imported when an export runs, not when the plugin loads, as it takes a while.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING

from clientcard.core.hookspecs import hookimpl
from clientcard.core.store import Doc
from clientcard.transfer.export import FORMULA_STARTS, XLSX_UNGUARDED, ExportContext, Exporter

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

SHEET = "Customers"

#: characters XML 1.0 cannot hold (tab, line feed and carriage return it can)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class XlsxExporter(Exporter):
    name = "xlsx"
    label = "Excel"
    description = "Excel workbook, one customer a row, every value as text."
    extension = ".xlsx"
    binary = True

    def write(self, docs: Iterable[Doc], context: ExportContext, out: IO[bytes]) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES
        from openpyxl.packaging.custom import StringProperty
        from openpyxl.styles import Font

        book = Workbook(write_only=True)
        # (types-openpyxl lacks custom_doc_props, which openpyxl has had since 3.1)
        book.custom_doc_props.append(  # type: ignore[attr-defined]
            StringProperty(name=XLSX_UNGUARDED, value="cells hold the values as they are")
        )
        sheet = book.create_sheet(SHEET)
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)

        def cell(text: str, font: Font | None = None) -> Cell | str | None:
            """``text`` for a cell that holds it as text whatever it looks like."""
            if not text:
                return None  # a blank cell
            text = _NOT_XML.sub("\ufffd", text)
            formula_like = text.startswith(FORMULA_STARTS)
            if font is None and not formula_like and text not in ERROR_CODES:
                return text  # (faster: openpyxl makes any other text a text cell)
            made = WriteOnlyCell(sheet, text)
            made.data_type = "s"  # not a formula or an error, as openpyxl would make it
            if formula_like:
                # Excel re-reads an edited cell as typed: "+39..." would become a
                # number, "=..." a formula, unless the cell says it was typed as text
                made.quotePrefix = True
            if font is not None:
                made.font = font
            return made

        sheet.append([cell(header, bold) for header in context.headers])
        for doc in docs:
            sheet.append([cell(value) for value in context.row(doc)])
        book.save(out)


@hookimpl
def clientcard_register_exporters(register: Callable[[Exporter], None]) -> None:
    register(XlsxExporter())
