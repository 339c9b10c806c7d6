"""The bytes of a snapshot file, laid out so one table can be read a document at a time.

A snapshot is one TinyDB database (``{"table": {"id": {...}, ...}, ...}``), and
any JSON reader takes it whole.  Its lines are arranged for a second reader
that never holds the whole file: the meta table comes first, on the first
line, and each table declared ``scanned`` (see
:class:`~clientcard.core.store.TableSpec`) has a line of its own per
document::

    {"_clientcard":{"1":{"seq":7,"next_ids":{"customers":3}}},
    "customers":{
    "1":{"name":"Ann",...},
    "2":{"name":"Bo",...}
    },
    "other":{"1":{...}}
    }

Other tables stay on one line each: writing a document per line costs about
half as much again as one dump, which a million bookings would pay for
nothing.  Files in an older layout are still read whole; :func:`stream_table`
says so by returning None.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

import orjson

from clientcard.core.errors import StoreError
from clientcard.core.store import Doc

#: the first line of a snapshot in this layout starts with this
META_PREFIX = b'{"_clientcard":'
#: the meta line is small; a first line longer than this is an older layout
META_LINE_LIMIT = 1 << 20


def encode(tables: Mapping[str, Mapping[int, Doc]], meta: Doc, scanned: frozenset[str]) -> bytes:
    """The snapshot of ``tables`` (documents in id order) with meta table ``{"1": meta}``."""
    dumps = orjson.dumps
    parts = [META_PREFIX + dumps({"1": meta})]
    for name, docs in tables.items():
        if name in scanned:
            lines = b",\n".join([b'"%d":%b' % (id, dumps(doc)) for id, doc in docs.items()])
            parts.append(dumps(name) + b":{\n" + lines + (b"\n}" if lines else b"}"))
        else:
            parts.append(dumps(name) + b":" + dumps(docs, option=orjson.OPT_NON_STR_KEYS))
    return b",\n".join(parts) + b"\n}\n"


class TableStream:
    """One scanned table of a snapshot, read a document at a time.

    ``seq`` is the journal sequence number the snapshot reflects; iterating
    yields ``(id, document)`` in id order.  The file stays open until the
    iteration ends or :meth:`close` is called.
    """

    def __init__(self, handle: BinaryIO, path: Path, name: str, seq: int) -> None:
        self._handle = handle
        self._path = path
        self._key = orjson.dumps(name) + b":"
        self.seq = seq

    def __iter__(self) -> Iterator[tuple[int, Doc]]:
        try:
            for line in self._handle:
                if line == self._key + b"{\n":
                    yield from self._documents()
                    return
                if line.startswith(self._key):
                    # written on one line (it was not scanned then): read it whole
                    yield from self._whole(line[len(self._key) :].rstrip(b",\n"))
                    return
        finally:
            self.close()

    def _whole(self, data: bytes) -> Iterator[tuple[int, Doc]]:
        docs = self._parse(data)
        for key in sorted(docs, key=int):
            docs[key]["id"] = int(key)
            yield int(key), docs[key]

    def _documents(self) -> Iterator[tuple[int, Doc]]:
        for line in self._handle:
            if line.startswith(b"}"):
                return
            colon = line.find(b":")
            try:
                id = int(line[1 : colon - 1])
            except ValueError:
                raise self._damaged(line) from None
            doc = self._parse(line[colon + 1 :].rstrip(b",\n"))
            doc["id"] = id
            yield id, doc
        raise self._damaged(b"its end")

    def _parse(self, data: bytes) -> Doc:
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise self._damaged(data) from None
        if not isinstance(doc, dict):
            raise self._damaged(data)
        return doc

    def _damaged(self, near: bytes) -> StoreError:
        return StoreError(f"{self._path} is damaged near {near[:60]!r}; restore it from a backup")

    def close(self) -> None:
        self._handle.close()


def stream_table(path: Path, name: str) -> TableStream | None:
    """Open table ``name`` of the snapshot at ``path`` for reading a document at a time.

    None when the file is in an older layout (the caller reads it whole).
    The caller must know the table is scanned: a table on one line is an
    error met while iterating.
    """
    handle = open(path, "rb")  # noqa: SIM115 (TableStream closes it)
    try:
        first = handle.readline(META_LINE_LIMIT)
        if not first.startswith(META_PREFIX) or not first.endswith(b",\n"):
            handle.close()
            return None
        meta = orjson.loads(first[len(META_PREFIX) : -2]).get("1", {})
    except orjson.JSONDecodeError:
        handle.close()
        return None  # not this layout after all: reading it whole says what is wrong
    except BaseException:
        handle.close()
        raise
    return TableStream(handle, path, name, int(meta.get("seq", 0)))


def overlay(stream: Iterable[tuple[int, Doc]], changed: Mapping[int, Doc | None]) -> Iterator[Doc]:
    """The documents of ``stream`` with ``changed`` laid over them, in id order.

    ``changed`` maps ids to their newer document, or None where it was deleted
    (the journal's changes since the snapshot).
    """
    later = sorted(changed)
    i = 0
    for id, doc in stream:
        while i < len(later) and later[i] < id:
            if (added := changed[later[i]]) is not None:
                yield added
            i += 1
        if id in changed:
            i += later[i : i + 1] == [id]
            if (newer := changed[id]) is not None:
                yield newer
        else:
            yield doc
    for id in later[i:]:
        if (added := changed[id]) is not None:
            yield added
