"""The lookups file: a group's ``TableSpec.lookups`` fields, folded, with the ids holding
each value, so that ``Table.lookup`` answers without loading the documents.

``<group>.lookups`` is text: a header line with the snapshot's stamp, sealed
(:mod:`.seal`: its checksum covers the rest of the file), then one line per
(table, field, folded value, id), ``table␟field␟value␟id``, sorted as bytes.
A lookup reads the file and binary-searches it (a few microseconds at 100,000
customers, against ~50 ms to read their columns file); the changes the journal
made since are laid over the answer by the store.  Folding is
:func:`clientcard.core.text.fold`: it collapses every whitespace character,
so a folded value never holds the separator (U+001F counts as whitespace).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from clientcard.core.store import Doc
from clientcard.core.text import fold
from clientcard.plugins.storage import seal

MAGIC = b"clientcard-lookups 1 "
SEP = "\x1f"


def folded(value: Any) -> str | None:
    """The folded form of a stored value, as lookups keep it (None: not looked up)."""
    if value.__class__ is not str or not value:
        return None
    if value.isascii():  # what fold() comes to for plain text, 10x faster
        return " ".join(value.casefold().split()) or None
    return fold(value) or None


def dump(
    tables: Mapping[str, tuple[tuple[str, ...], Iterable[Doc]]], stamp: dict[str, Any]
) -> bytes:
    """The file for ``tables`` (name → (fields, documents)); ``stamp`` goes in the
    sealed header."""
    lines: list[str] = []
    for name, (fields, docs) in tables.items():
        docs = list(docs)
        for field in fields:
            head = f"{name}{SEP}{field}{SEP}"
            for doc in docs:
                key = folded(doc.get(field))
                if key is not None:
                    lines.append(f"{head}{key}{SEP}{doc['id']}\n")
    # sorted as bytes: UTF-8 keeps code-point order, which is how str sorts
    lines.sort()
    return b"".join([MAGIC, *seal.seal(orjson.dumps(stamp), [b"\n", "".join(lines).encode()])])


class LookupFile:
    """A lookups file read into memory, searched without parsing it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        end = data.find(b"\n")
        self.stamp: dict[str, Any] = orjson.loads(data[len(MAGIC) : end])
        self.stamp.pop("crc", None)  # the seal, checked by read()
        self.body = end + 1

    @classmethod
    def read(cls, data: bytes) -> LookupFile | None:
        """The file, or None when it is not one this version reads (or is damaged)."""
        if not data.startswith(MAGIC) or not data.endswith(b"\n"):
            return None
        if not seal.check(data, len(MAGIC)):
            return None
        try:
            return cls(data)
        except (ValueError, orjson.JSONDecodeError):
            return None

    def ids(self, table: str, field: str, key: str) -> list[int]:
        """Ids whose ``field`` in ``table`` folds to ``key``."""
        prefix = f"{table}{SEP}{field}{SEP}{key}{SEP}".encode()
        data = self.data
        lo, hi = self.body, len(data)
        # the first line not below the prefix: lo and hi stay line starts
        while lo < hi:
            start = data.rfind(b"\n", lo - 1, (lo + hi) // 2) + 1
            end = data.find(b"\n", start)
            if data[start:end] < prefix:
                lo = end + 1
            else:
                hi = start
        found = []
        while data.startswith(prefix, lo):
            end = data.find(b"\n", lo)
            found.append(int(data[lo + len(prefix) : end]))
            lo = end + 1
        return found
