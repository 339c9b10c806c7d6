"""Exporting customers: the exporter protocol, columns, and spreadsheet safety.

An exporter (a plugin, through ``clientcard_register_exporters``) writes a
stream of customer documents to a binary file, one at a time, so exporting
100,000 customers never holds a second copy of them.  It gets an
:class:`ExportContext` that says which columns were asked for and gives each
value as stored (JSON form) or as text (what the field type renders, which
clientcard's import reads back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import IO, Any, ClassVar

from attrs import frozen

from clientcard.core.errors import ValidationError
from clientcard.core.fields import FieldSchema
from clientcard.core.model import FieldDef
from clientcard.core.plugins import Kind
from clientcard.core.store import Doc

#: what a spreadsheet may run as a formula when a cell starts with it
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: The custom document property of an XLSX export whose cells hold the values as
#: they are: text cells never run as formulas, so they need no apostrophe.  An XLSX
#: without it (exported before clientcard marked its exports, or a CSV export saved
#: as a workbook) may hold values guarded by :func:`neutralise`, which import restores.
XLSX_UNGUARDED = "clientcard.unguarded"

#: columns every export can have besides the fields, with their labels
EXTRA_COLUMNS = {"id": "Id", "status": "Status", "tier": "Tier", "tags": "Tags"}


def neutralise(text: str) -> str:
    """``text`` made safe for a CSV cell: a leading apostrophe before a formula start
    (and before an apostrophe that protects one, so :func:`restore` is exact).

    Only for formats a spreadsheet evaluates as it opens them (CSV, TSV): an XLSX
    text cell is never a formula, and an apostrophe there is only shown.
    """
    if text.startswith(FORMULA_STARTS) or (
        text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS)
    ):
        return "'" + text
    return text


def restore(text: str) -> str:
    """What :func:`neutralise` was given: clientcard's import reads its own exports back."""
    if text.startswith("'") and (
        text[1:].startswith(FORMULA_STARTS)
        or (text[1:].startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS))
    ):
        return text[1:]
    return text


#: a comma (a separator, or one escaped as part of a tag) and the backslashes before it
_COMMA = re.compile(r"(\\*),")
_TRAILING = re.compile(r"\\+$")


def join_tags(tags: Iterable[str]) -> str:
    """Tags as one cell, separated by ``", "``, such that :func:`split_tags` gives them back.

    A comma inside a tag is written ``\\,``.  A backslash is written as it is,
    except just before a comma (the tag's own, or the separator after the tag),
    where each is doubled: the rule of Windows command lines for quotes, chosen
    because it leaves every other tag exactly as files before it wrote them.
    """
    given = list(tags)
    cells = []
    for at, tag in enumerate(given, start=1):
        if "\\" in tag or "," in tag:
            tag = _COMMA.sub(lambda m: m[1] * 2 + "\\,", tag)
            if at < len(given):  # its last backslashes come just before the separator
                tag = _TRAILING.sub(lambda m: m[0] * 2, tag)
        cells.append(tag)
    return ", ".join(cells)


def split_tags(text: str) -> list[str]:
    """The tags of a cell :func:`join_tags` wrote (or a person typed: ``"vip, regular"``).

    Commas separate tags, but ``\\,`` is a comma inside one; ``n`` backslashes
    before a comma are ``n // 2`` backslashes.  Backslashes anywhere else are
    kept as they are, so files written before the rule read as they did.
    """
    if "\\" not in text:
        return [t for t in (part.strip() for part in text.split(",")) if t]
    tags: list[str] = []
    current: list[str] = []
    start = 0
    for match in _COMMA.finditer(text):
        slashes = len(match[1])
        current.append(text[start : match.start()] + "\\" * (slashes // 2))
        start = match.end()
        if slashes % 2:
            current.append(",")
        else:
            tags.append("".join(current))
            current = []
    current.append(text[start:])
    tags.append("".join(current))
    return [t for t in (tag.strip() for tag in tags) if t]


@frozen
class Column:
    """One column of an export: a field (or id, status, tier, tags) and its header."""

    key: str
    label: str
    field: FieldDef | None = None


class ExportContext:
    """What an exporter needs besides the documents: the columns and how to read values."""

    def __init__(self, columns: Sequence[Column], schema: FieldSchema, *, keys: bool) -> None:
        self.columns = list(columns)
        self.schema = schema
        #: headers are field keys (True) or labels (False)
        self.keys = keys

    @property
    def headers(self) -> list[str]:
        return [c.key if self.keys else c.label for c in self.columns]

    def value(self, doc: Doc, column: Column) -> Any:
        """The stored (JSON) value of a column; None when there is none."""
        if column.field is None or column.field.builtin:
            return doc.get(column.key)
        return (doc.get("fields") or {}).get(column.key)

    def text(self, doc: Doc, column: Column) -> str:
        """The value as the field type exports it, as text it reads back ("" for none;
        tags joined by :func:`join_tags`)."""
        value = self.value(doc, column)
        if value is None:
            return ""
        if column.key == "tags":
            return join_tags(value)
        if column.field is None:
            return str(value)
        return self.schema.export_text(column.key, value)

    def row(self, doc: Doc) -> list[str]:
        """Every column of one document as text."""
        return [self.text(doc, column) for column in self.columns]


class Exporter:
    """Base class for exporters; subclass it in a plugin and register an instance.

    Set ``name`` (what ``clientcard export --format NAME`` takes), ``label``,
    ``description`` and ``extension`` (with its dot), and implement
    :meth:`write`.  Write as the documents come (they are a stream), to the
    binary file given; wrap it with :class:`io.TextIOWrapper` for text, and
    detach the wrapper when done (the file may be stdout, ``export -o -``).
    Set ``binary`` for a format that is not text: the CLI then refuses to
    write it to a terminal.
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    extension: ClassVar[str] = ""
    binary: ClassVar[bool] = False

    def write(self, docs: Iterable[Doc], context: ExportContext, out: IO[bytes]) -> None:
        """Write ``docs`` (customer documents, JSON form) with ``context``'s columns."""
        raise NotImplementedError


def columns(schema: FieldSchema, wanted: Sequence[str] | None) -> list[Column]:
    """The columns asked for (keys or labels, any case), or every field, status, tier, tags."""
    every = [Column("id", EXTRA_COLUMNS["id"])]
    every += [Column(f.key, f.label, f) for f in schema.defs.values()]
    every += [Column(key, EXTRA_COLUMNS[key]) for key in ("status", "tier", "tags")]
    if not wanted:
        return every
    by_name = {c.key.casefold(): c for c in every}
    for column in every:
        by_name.setdefault(column.label.casefold(), column)
    chosen = []
    for name in wanted:
        found = by_name.get(name.strip().casefold())
        if found is None:
            known = ", ".join(c.key for c in every)
            raise ValidationError("fields", name, f"fields to export among: {known}")
        chosen.append(found)
    return chosen


#: what plugins register with ``clientcard_register_exporters``
EXPORTERS: Kind[Exporter] = Kind(
    "clientcard_register_exporters",
    "exporter",
    "exporters",
    "exporters",
    Exporter,
    "clientcard.Exporter",
)
