"""The write-ahead journal: one appended, checksummed line per committed change.

A commit costs one small append and one fsync instead of a rewrite of every
snapshot file.  Each line is ``<json>\\t<crc32 hex>\\n``.  A crash during an
append leaves at most one torn line at the end; it was never acknowledged, so
it is ignored and cut off by the next writer.  A bad line anywhere else is
corruption and is reported.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from attrs import define, field

from clientcard.core.errors import StoreError
from clientcard.core.memory import gc_paused
from clientcard.plugins.storage.atomic import atomic_write, fsync_dir


@define
class Record:
    """One committed change: its sequence number, operations and id counters."""

    seq: int
    #: ``[table, id, doc or None for a deletion]``
    ops: Sequence[Sequence[Any]]
    #: next id per table, for the tables whose counter moved
    next_ids: dict[str, int]
    end: int
    #: groups this commit wrote as whole snapshots (a big commit: see TinyDBStore)
    snapshots: list[str] = field(factory=list)


def encode(
    seq: int,
    ops: Sequence[Sequence[Any]],
    next_ids: dict[str, int],
    snapshots: list[str] | None = None,
) -> list[bytes]:
    """A record's line, in pieces: joining a 300 MB body to its checksum would copy it."""
    data: dict[str, Any] = {"seq": seq, "ops": ops, "next": next_ids}
    if snapshots:
        data["snapshots"] = snapshots
    body = orjson.dumps(data)
    return [body, b"\t" + format(zlib.crc32(body), "08x").encode() + b"\n"]


class Journal:
    """The journal file of one workspace's data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def identity(self) -> tuple[int, int] | None:
        """(inode, size) of the file, or None when it does not exist."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size

    def read(self, offset: int, until: int | None = None) -> tuple[list[Record], int, bool]:
        """Records from ``offset`` (to byte ``until``), the end of the last good one,
        whether a torn line follows."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(offset)
                data = handle.read() if until is None else handle.read(until - offset)
        except FileNotFoundError:
            return [], 0, False
        with gc_paused():
            return self._parse(data, offset)

    def _parse(self, data: bytes, offset: int) -> tuple[list[Record], int, bool]:
        records: list[Record] = []
        position = 0
        lines = data.split(b"\n")
        # the piece after the last newline is empty, or a torn line
        for index, line in enumerate(lines[:-1]):
            record = self._decode(line, offset + position + len(line) + 1)
            if record is None:
                if index < len(lines) - 2 or lines[-1]:
                    raise StoreError(
                        f"{self.path} is corrupt at byte {offset + position}; "
                        "restore the data directory from a backup"
                    )
                return records, offset + position, True
            records.append(record)
            position += len(line) + 1
        return records, offset + position, bool(lines[-1])

    @staticmethod
    def _decode(line: bytes, end: int) -> Record | None:
        body, tab, crc = line.rpartition(b"\t")
        if not tab or format(zlib.crc32(body), "08x").encode() != crc:
            return None
        try:
            data = orjson.loads(body)
            return Record(
                seq=data["seq"],
                ops=data["ops"],
                next_ids=data["next"],
                end=end,
                snapshots=data.get("snapshots", []),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None

    def append(self, data: list[bytes], expected_size: int) -> int:
        """Append one encoded record durably; return the new size.

        ``expected_size`` is where the last good record ends: a torn tail left
        by a crashed writer beyond it is cut off first.
        """
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size != expected_size:
                os.ftruncate(fd, expected_size)
            os.lseek(fd, expected_size, os.SEEK_SET)
            for piece in data:
                view = memoryview(piece)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
            os.fsync(fd)
        except BaseException:
            # leave no partial record behind an error we report
            os.ftruncate(fd, expected_size)
            raise
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)
        return expected_size + sum(map(len, data))

    def reset(self, seq: int) -> int:
        """Replace the journal by one holding only a base record at ``seq``; return its size."""
        base = b"".join(encode(seq, [], {}))
        atomic_write(self.path, base)
        return len(base)
