"""The ``xlsx`` exporter: an Excel workbook, one row per customer, every value as text.

One sheet, "Customers": a bold header row (frozen, so it stays in view), then
each customer's values as the text the import reads back (what the CSV
exporter writes).  Every cell is a text cell, so a leading zero ("00123") is
kept, and a value is never turned into a number, a date, an error ("#N/A") or
a formula.  A value a spreadsheet would run as a formula is also neutralised
with a leading apostrophe, as in CSV (see
:func:`clientcard.core.export.neutralise`), so that it stays text when the
sheet is edited or saved as CSV; clientcard's import takes it off again.

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

from clientcard.core.export import ExportContext, Exporter, neutralise
from clientcard.core.hookspecs import hookimpl
from clientcard.core.store import Doc

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
        from openpyxl.styles import Font

        book = Workbook(write_only=True)
        sheet = book.create_sheet(SHEET)
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)

        def cell(text: str, font: Font | None = None) -> Cell | str | None:
            """``text`` for a cell that holds it as text whatever it looks like."""
            if not text:
                return None  # a blank cell
            text = _NOT_XML.sub("\ufffd", text)
            if font is None and not text.startswith("=") and text not in ERROR_CODES:
                return text  # (faster: openpyxl makes any other text a text cell)
            made = WriteOnlyCell(sheet, text)
            made.data_type = "s"  # not a formula or an error, as openpyxl would make it
            if font is not None:
                made.font = font
            return made

        sheet.append([cell(header, bold) for header in context.headers])
        for doc in docs:
            sheet.append([cell(neutralise(value)) for value in context.row(doc)])
        book.save(out)


@hookimpl
def clientcard_register_exporters(register: Callable[[Exporter], None]) -> None:
    register(XlsxExporter())
