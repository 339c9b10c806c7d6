"""The ``json`` (one array) and ``jsonl`` (one object a line) exporters.

Each customer is an object of the columns asked for, with values in their
stored JSON form (dates as ISO text, amounts as ``{"amount", "currency"}``),
keyed by field key.  Written one customer at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

import orjson

from clientcard.core.hookspecs import hookimpl
from clientcard.core.store import Doc
from clientcard.transfer.export import ExportContext, Exporter


def _object(doc: Doc, context: ExportContext) -> bytes:
    return orjson.dumps({c.key: context.value(doc, c) for c in context.columns})


class JsonExporter(Exporter):
    name = "json"
    label = "JSON"
    description = "One JSON array of customer objects, keyed by field key."
    extension = ".json"

    def write(self, docs: Iterable[Doc], context: ExportContext, out: IO[bytes]) -> None:
        out.write(b"[")
        for n, doc in enumerate(docs):
            out.write(b",\n" if n else b"\n")
            out.write(_object(doc, context))
        out.write(b"\n]\n")


class JsonLinesExporter(Exporter):
    name = "jsonl"
    label = "JSON Lines"
    description = "One JSON object a line, keyed by field key."
    extension = ".jsonl"

    def write(self, docs: Iterable[Doc], context: ExportContext, out: IO[bytes]) -> None:
        for doc in docs:
            out.write(_object(doc, context))
            out.write(b"\n")


@hookimpl
def clientcard_register_exporters(register: Callable[[Exporter], None]) -> None:
    register(JsonExporter())
    register(JsonLinesExporter())
