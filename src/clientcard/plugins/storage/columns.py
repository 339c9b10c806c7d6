"""A table's column cache: a few fields of every document, without the documents.

Classification reads four fields of each booking (customer, date, status,
amount), never the rest.  Parsing a million whole booking documents takes
seconds; these columns, written beside the snapshot in a compact binary form,
load in a fraction of that.  Which fields a table keeps is its
``TableSpec.columns``.

The file (``<group>.columns``) holds, per table, the document ids as one
array and each column dictionary-encoded: the distinct values (JSON) and one
array of codes into them.  A header records the snapshot it was written with
(size and modification time, and its checksum) and its journal sequence
number, like the keys file: a file that does not match is ignored and the
group loaded whole.  The header is sealed (:mod:`.seal`): its checksum covers
the rest of the header and every array, so a damaged file is ignored too.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Collection, Iterable, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from clientcard.core.store import Doc, columns_of
from clientcard.plugins.storage import seal
from clientcard.plugins.storage.memory import Undo, undo_all

MAGIC = b"clientcard-columns 1\n"
_HEADER_SIZE = struct.Struct("<Q")


class ColumnTable:
    """The cached columns of one table, kept current by replaying changes.

    ``ids[i]`` is the id of row ``i`` (None once that document is deleted)
    and ``data[name][i]`` its value of field ``name``.  Rows are in no
    particular order.
    """

    def __init__(
        self, names: Sequence[str], ids: list[int | None], data: dict[str, list[Any]]
    ) -> None:
        self.names = tuple(names)
        self.ids = ids
        self.data = {name: data.get(name) or [None] * len(ids) for name in self.names}
        self.top = max((id for id in ids if id is not None), default=0)
        self.holes = ids.count(None)
        self._rows: dict[int, int] | None = None

    @classmethod
    def of(cls, names: Sequence[str], docs: Iterable[Doc]) -> ColumnTable:
        """The columns of these documents."""
        data = columns_of(docs, names)
        return cls(names, data.pop("id"), data)

    def _row_of(self) -> dict[int, int]:
        # built only when a document already cached changes: appends do not need it
        if self._rows is None:
            self._rows = {id: row for row, id in enumerate(self.ids) if id is not None}
        return self._rows

    def set(self, id: int, doc: Doc | None) -> Undo:
        """Record that document ``id`` is now ``doc`` (None: deleted); return the undo."""
        row = None if id > self.top else self._row_of().get(id)
        if row is None:
            return self._append([doc]) if doc is not None else _nothing
        old = [self.data[name][row] for name in self.names]
        if doc is None:
            self.ids[row] = None
            self.holes += 1
            if self._rows is not None:
                del self._rows[id]
        else:
            for name in self.names:
                self.data[name][row] = doc.get(name)

        def undo() -> None:
            if doc is None:
                self.ids[row] = id
                self.holes -= 1
                if self._rows is not None:
                    self._rows[id] = row
            for name, value in zip(self.names, old, strict=True):
                self.data[name][row] = value

        return undo

    def add_many(self, docs: Sequence[Doc]) -> Undo:
        """Record documents new to the table; return the undo."""
        if any(doc["id"] <= self.top for doc in docs):
            return undo_all([self.set(doc["id"], doc) for doc in docs])
        return self._append(docs)

    def _append(self, docs: Sequence[Doc]) -> Undo:
        row, top = len(self.ids), self.top
        self.ids.extend(map(itemgetter("id"), docs))
        for name in self.names:
            try:  # documents usually hold every field: then a C-level pass
                values = list(map(itemgetter(name), docs))
            except KeyError:
                values = [doc.get(name) for doc in docs]
            self.data[name].extend(values)
        self.top = max(top, max((doc["id"] for doc in docs), default=top))
        if self._rows is not None:
            self._rows.update((doc["id"], row + at) for at, doc in enumerate(docs))

        def undo() -> None:
            del self.ids[row:]
            for name in self.names:
                del self.data[name][row:]
            self.top = top
            if self._rows is not None:
                for doc in docs:
                    self._rows.pop(doc["id"], None)

        return undo

    def view(
        self, names: Sequence[str], where: tuple[str, Collection[Any]] | None = None
    ) -> dict[str, list[Any]]:
        """``{"id": ids, name: values, ...}`` of the live rows, or of those whose field
        ``where[0]`` is one of ``where[1]`` (the lists must not be changed)."""
        if where is not None:
            field, wanted = where
            ids = self.ids
            live = [
                row
                for row, value in enumerate(self.data[field])
                if value in wanted and ids[row] is not None
            ]
        elif not self.holes:
            return {"id": self.ids, **{name: self.data[name] for name in names}}
        else:
            live = [row for row, id in enumerate(self.ids) if id is not None]
        out = {"id": [self.ids[row] for row in live]}
        for name in names:
            values = self.data[name]
            out[name] = [values[row] for row in live]
        return out


def _nothing() -> None:
    return None


# -- the file ---------------------------------------------------------------------------


_TEXT = frozenset({str, type(None)})
_WHOLE = frozenset({int, type(None)})


def _codes(count: int) -> str:
    """The smallest array type code holding ``count`` distinct codes."""
    if count <= 1 << 8:
        return "B"
    if count <= 1 << 16:
        return "H"
    return "I" if array("I").itemsize >= 4 else "L"


def _encode_column(values: list[Any]) -> tuple[list[Any], array[int]]:
    """The distinct values and, per row, its value's position among them."""
    kinds = set(map(type, values))
    if kinds <= _TEXT or kinds <= _WHOLE:
        # the usual case (dates, statuses, ids): no two values can be equal
        # without being the same JSON, so a plain dict does it at C speed
        seen: dict[Any, int] = {}
        codes_ = [seen.setdefault(value, len(seen)) for value in values]
        return list(seen), array(_codes(len(seen)), codes_)
    distinct: list[Any] = []
    position: dict[Any, int] = {}
    # objects and arrays (amounts are {"amount", "currency"}) are keyed by their
    # JSON; rows usually share one object per distinct value, so remember by id
    by_object: dict[int, int] = {}
    codes: list[int] = []
    append = codes.append
    for value in values:
        if value.__class__ is dict or value.__class__ is list:
            code = by_object.get(id(value))
            if code is None:
                key: Any = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
                code = by_object[id(value)] = position.setdefault(key, len(distinct))
                if code == len(distinct):
                    distinct.append(value)
        else:
            # 1, 1.0 and True are equal in Python but not the same JSON: key by type
            key = value if value.__class__ is str else (value.__class__, value)
            code = position.setdefault(key, len(distinct))
            if code == len(distinct):
                distinct.append(value)
        append(code)
    return distinct, array(_codes(len(distinct)), codes)


def dump(tables: dict[str, ColumnTable], stamp: dict[str, Any]) -> bytes:
    """The file for these tables; ``stamp`` (snapshot identity, seq) goes in the sealed
    header."""
    blobs: list[bytes] = []
    offset = 0

    def blob(data: array[int]) -> list[Any]:
        nonlocal offset
        raw = data.tobytes()
        blobs.append(raw)
        where = [offset, data.typecode, len(data)]
        offset += len(raw)
        return where

    described: dict[str, Any] = {}
    for name, table in tables.items():
        view = table.view(table.names)
        columns = {}
        for field in table.names:
            distinct, codes = _encode_column(view[field])
            columns[field] = {"values": distinct, "codes": blob(codes)}
        described[name] = {"ids": blob(array("q", view["id"])), "columns": columns}
    header = orjson.dumps({**stamp, "byteorder": sys.byteorder, "tables": described})
    sealed = seal.seal(header, blobs)
    size = len(seal.KEY) + 8 + len(sealed[2])
    return b"".join([MAGIC, _HEADER_SIZE.pack(size), *sealed])


def load(data: bytes, source: Path) -> tuple[dict[str, Any], dict[str, ColumnTable]] | None:
    """The header and tables of a columns file; None when it is not one this version
    reads, or it is damaged (its seal does not hold)."""
    if not data.startswith(MAGIC):
        return None
    start = len(MAGIC) + _HEADER_SIZE.size
    if not seal.check(data, start):
        return None
    try:
        (size,) = _HEADER_SIZE.unpack_from(data, len(MAGIC))
        header = orjson.loads(data[start : start + size])
        if header.get("byteorder") != sys.byteorder:
            return None
        body = memoryview(data)[start + size :]

        def arrayed(where: list[Any]) -> array[int]:
            offset, typecode, count = where
            out = array(typecode)
            out.frombytes(body[offset : offset + count * out.itemsize])
            if len(out) != count:
                raise ValueError(f"{source}: truncated")
            return out

        tables: dict[str, ColumnTable] = {}
        for name, described in header["tables"].items():
            ids: list[int | None] = list(arrayed(described["ids"]))
            data_: dict[str, list[Any]] = {}
            for field, column in described["columns"].items():
                distinct = column["values"]
                codes = arrayed(column["codes"])
                if len(codes) != len(ids):
                    return None
                data_[field] = list(map(distinct.__getitem__, codes))
            tables[name] = ColumnTable(list(described["columns"]), ids, data_)
    except (
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        struct.error,
        orjson.JSONDecodeError,
    ):
        return None  # a damaged cache: the caller loads the documents instead
    return header, tables
