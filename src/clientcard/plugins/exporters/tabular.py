"""The ``csv`` exporter: one row per customer, values as text the import reads back.

Values a spreadsheet would run as formulas are neutralised with a leading
apostrophe (see :func:`clientcard.transfer.export.neutralise`); clientcard's own
import takes it off again.  UTF-8 with a byte-order mark, so that Excel reads
accents, Persian text and emoji right.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import IO

from clientcard.core.hookspecs import hookimpl
from clientcard.core.store import Doc
from clientcard.transfer.export import ExportContext, Exporter, neutralise


class CsvExporter(Exporter):
    name = "csv"
    label = "CSV"
    description = "Comma-separated values (UTF-8 with BOM), one customer a row."
    extension = ".csv"

    def write(self, docs: Iterable[Doc], context: ExportContext, out: IO[bytes]) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
        writer = csv.writer(text)
        writer.writerow([neutralise(header) for header in context.headers])
        for doc in docs:
            writer.writerow([neutralise(value) for value in context.row(doc)])
        text.flush()
        text.detach()


@hookimpl
def clientcard_register_exporters(register: Callable[[Exporter], None]) -> None:
    register(CsvExporter())
