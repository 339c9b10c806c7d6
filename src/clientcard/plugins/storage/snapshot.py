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

The meta document is sealed (:mod:`.seal`): its first key ``crc`` is the
CRC-32 of every byte after it, so the whole file is checked with the bytes
a load has read anyway, and a scan checks it line by line as it reads.  A
file without the seal (an older version's, or one reformatted by hand) is
read unchecked.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from clientcard.core.errors import StoreError
from clientcard.core.store import Doc
from clientcard.plugins.storage import seal
from clientcard.plugins.storage.atomic import loads

#: the first line of a snapshot in this layout starts with this
META_PREFIX = b'{"_clientcard":'
#: where the sealed meta document starts
SEAL_AT = len(META_PREFIX) + len(b'{"1":')
#: the meta line is small; a first line longer than this is an older layout
META_LINE_LIMIT = 1 << 20


def encode_pieces(
    tables: Mapping[str, Mapping[int, Doc]], meta: Doc, scanned: frozenset[str]
) -> list[bytes]:
    """The snapshot of ``tables`` (documents in id order) with meta table ``{"1": meta}``,
    sealed, in pieces to be written one after the other (never joined: 300 MB)."""
    dumps = orjson.dumps
    parts = [b"}"]
    for name, docs in tables.items():
        if name in scanned:
            lines = b",\n".join([b'"%d":%b' % (id, dumps(doc)) for id, doc in docs.items()])
            parts.append(b",\n" + dumps(name) + b":{\n" + lines + (b"\n}" if lines else b"}"))
        else:
            parts.append(b",\n" + dumps(name) + b":")
            parts.append(dumps(docs, option=orjson.OPT_NON_STR_KEYS))
    parts.append(b"\n}\n")
    plain = {key: value for key, value in meta.items() if key != "crc"}
    return [META_PREFIX + b'{"1":', *seal.seal(dumps(plain), parts)]


def encode(tables: Mapping[str, Mapping[int, Doc]], meta: Doc, scanned: frozenset[str]) -> bytes:
    """:func:`encode_pieces`, joined."""
    return b"".join(encode_pieces(tables, meta, scanned))


def damaged(path: Path) -> StoreError:
    return StoreError(
        f"{path} is damaged: its checksum does not match its contents; restore the "
        "data directory from a backup ('clientcard restore'), or, if it was edited on "
        'purpose, remove "crc":"…", from its first line'
    )


def _sealed_layout(data: bytes) -> bool:
    """Whether the file is laid out as this module writes it (meta on a line of its
    own): only then does its seal cover what follows.  A file reformatted by a JSON
    tool keeps the meta document, seal and all, but not the bytes it sealed."""
    end = data.find(b"\n", 0, META_LINE_LIMIT)
    return end > 0 and data.startswith(META_PREFIX) and data[end - 1 : end] == b","


def unreadable(path: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"cannot read {path}: {exc.strerror or exc}; check that it is a file this user "
        "can read ('clientcard check' lists every problem)"
    )


def load(path: Path) -> dict[str, Any] | None:
    """The tables of the snapshot at ``path`` (meta table included), checked against
    its seal; None when there is no file, or it is empty (the caller decides whether
    something says it should hold documents)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise unreadable(path, exc) from None
    if not data or data.isspace():
        return None
    parsed = loads(data, path)
    if not isinstance(parsed, dict):
        raise StoreError(f"{path} does not hold TinyDB tables (an object of tables)")
    if _sealed_layout(data) and seal.check(data, SEAL_AT) is False:
        raise damaged(path)
    return parsed


def read_meta(path: Path) -> dict[str, Any] | None:
    """The meta document from the first line of the snapshot at ``path``, without
    reading the rest; None when the file is missing, unreadable, empty or in an
    older layout."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(META_LINE_LIMIT)
    except OSError:
        return None
    if not first.startswith(META_PREFIX) or not first.endswith(b",\n"):
        return None
    try:
        meta = orjson.loads(first[len(META_PREFIX) : -2]).get("1")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return meta if isinstance(meta, dict) else None


class TableStream:
    """One scanned table of a snapshot, read a document at a time.

    ``seq`` is the journal sequence number the snapshot reflects; iterating
    yields ``(id, document)`` in id order.  The file stays open until the
    iteration ends or :meth:`close` is called.
    """

    def __init__(
        self,
        handle: BinaryIO,
        path: Path,
        name: str,
        seq: int,
        sealed: tuple[int, int] | None = None,
    ) -> None:
        self._handle = handle
        self._path = path
        self._key = orjson.dumps(name) + b":"
        self.seq = seq
        #: the checksum the file records (None: not sealed), and that of what was read
        self._expected: int | None = None if sealed is None else sealed[0]
        self._crc = 0 if sealed is None else sealed[1]

    def _lines(self) -> Iterator[bytes]:
        if self._expected is None:
            yield from self._handle
            return
        crc32 = zlib.crc32
        for line in self._handle:
            self._crc = crc32(line, self._crc)
            yield line

    def _check_seal(self) -> None:
        """Read what is left of the file and check the seal (the scanned table is done)."""
        if self._expected is None:
            return
        for _ in self._lines():
            pass
        if self._crc != self._expected:
            raise damaged(self._path)

    def __iter__(self) -> Iterator[tuple[int, Doc]]:
        try:
            for line in self._lines():
                if line == self._key + b"{\n":
                    yield from self._documents()
                    break
                if line.startswith(self._key):
                    # written on one line (it was not scanned then): read it whole
                    yield from self._whole(line[len(self._key) :].rstrip(b",\n"))
                    break
            self._check_seal()
        finally:
            self.close()

    def _whole(self, data: bytes) -> Iterator[tuple[int, Doc]]:
        docs = self._parse(data)
        for key in sorted(docs, key=int):
            docs[key]["id"] = int(key)
            yield int(key), docs[key]

    def _documents(self) -> Iterator[tuple[int, Doc]]:
        # the checksum is kept here, not through _lines(): a generator between the
        # file and this loop costs more than parsing (~40% of a 100,000-line scan)
        sealed = self._expected is not None
        crc32, crc = zlib.crc32, self._crc
        try:
            for line in self._handle:
                if sealed:
                    crc = crc32(line, crc)
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
        finally:
            self._crc = crc

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
    try:
        handle = open(path, "rb")  # noqa: SIM115 (TableStream closes it)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise unreadable(path, exc) from None
    try:
        first = handle.readline(META_LINE_LIMIT)
        if not first.startswith(META_PREFIX) or not first.endswith(b",\n"):
            handle.close()
            return None
        meta = orjson.loads(first[len(META_PREFIX) : -2]).get("1", {})
        seq = int(meta.get("seq", 0))
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        handle.close()
        return None  # not this layout after all: reading it whole says what is wrong
    except BaseException:
        handle.close()
        raise
    expected = seal.sealed_at(first, SEAL_AT)
    sealed = None if expected is None else (expected, zlib.crc32(first[SEAL_AT + seal.SIZE :]))
    return TableStream(handle, path, name, seq, sealed)


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
