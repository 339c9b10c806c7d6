"""The write-ahead journal: one appended, checksummed line per committed change.

A commit costs one small append and one fsync instead of a rewrite of every
snapshot file.  Each line is ``<json>\\t<crc32 hex>\\n``.  A crash during an
append leaves at most one torn line at the end: bytes after the last newline
(a prefix of a record, or a power cut's zeros).  It was never acknowledged,
so it is ignored and cut off by the next writer.  Anything else that fails
is corruption and is reported, never dropped: a complete line (its newline
written) whose checksum fails, even the last one, is a flipped bit, not a
torn write; so is a whole record whose newline was damaged, and a record with
a good checksum whose contents are not a record's shape.

After a compaction the journal starts with a base record: the sequence
number the snapshots reflect and, in ``base``, each snapshot that exists and
the sequence number it holds at least.  That is what proves a snapshot must
be there when it is missing or emptied.
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
    #: a base record's snapshots: group -> the sequence number it holds at least
    base: dict[str, int] | None = None


def encode(
    seq: int,
    ops: Sequence[Sequence[Any]],
    next_ids: dict[str, int],
    snapshots: list[str] | None = None,
    base: dict[str, int] | None = None,
) -> list[bytes]:
    """A record's line, in pieces: joining a 300 MB body to its checksum would copy it."""
    data: dict[str, Any] = {"seq": seq, "ops": ops, "next": next_ids}
    if snapshots:
        data["snapshots"] = snapshots
    if base is not None:
        data["base"] = base
    body = orjson.dumps(data)
    return [body, b"\t" + format(zlib.crc32(body), "08x").encode() + b"\n"]


def _whole(value: Any) -> bool:
    return value.__class__ is int


def _counters(value: Any) -> bool:
    return value.__class__ is dict and all(
        k.__class__ is str and _whole(v) for k, v in value.items()
    )


def _op(op: Any) -> bool:
    if op.__class__ is not list or len(op) != 3:
        return False
    table, id, doc = op
    if doc is not None and (doc.__class__ is not dict or doc.get("id") != id):
        return False
    return table.__class__ is str and _whole(id)


def shape_problem(data: Any) -> str | None:
    """What is wrong with the shape of a parsed record (None: a record).  Checked as it
    is read, so replaying it can never fail half-way on a value of the wrong kind."""
    if data.__class__ is not dict:
        return "not an object"
    if not _whole(data.get("seq")) or data["seq"] < 0:
        return "no sequence number"
    ops = data.get("ops")
    if ops.__class__ is not list:
        return "no list of changes"
    for index, op in enumerate(ops):
        if not _op(op):
            return f"change {index + 1} is not [table, id, document or null]"
    if not _counters(data.get("next")):
        return "its id counters are not table: number"
    snapshots = data.get("snapshots", [])
    if snapshots.__class__ is not list or not all(n.__class__ is str for n in snapshots):
        return "its snapshots are not a list of names"
    if "base" in data and not _counters(data["base"]):
        return "its base is not group: number"
    return None


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
        except OSError as exc:
            raise StoreError(
                f"cannot read {self.path}: {exc.strerror or exc}; check that it is a file "
                "this user can read ('clientcard check' lists every problem)"
            ) from None
        with gc_paused():
            return self._parse(data, offset)

    def _corrupt(self, at: int, what: str) -> StoreError:
        return StoreError(
            f"{self.path} is corrupt at byte {at}: {what}; restore the data directory "
            "from a backup ('clientcard restore')"
        )

    def checksum_failed(self, at: int, last: bool) -> StoreError:
        what = "the last record" if last else "a record"
        return self._corrupt(
            at, f"{what} was written whole but fails its checksum (damaged, not torn)"
        )

    def _parse(self, data: bytes, offset: int) -> tuple[list[Record], int, bool]:
        records: list[Record] = []
        position = 0
        lines = data.split(b"\n")
        # the piece after the last newline is empty, or a torn line
        for index, line in enumerate(lines[:-1]):
            at = offset + position
            record = self._decode(line, at, at + len(line) + 1)
            if record is None:
                last = index == len(lines) - 2 and not lines[-1]
                if last and b"\x00" in line:
                    # a power cut can leave the file longer than what reached the
                    # disk, zeros where the record's start should be: never acknowledged
                    return records, at, True
                raise self.checksum_failed(at, last)
            records.append(record)
            position += len(line) + 1
        tail = lines[-1]
        if tail and self._whole_record(tail):
            raise self.end_damaged(offset + position)
        return records, offset + position, bool(tail)

    def end_damaged(self, at: int) -> StoreError:
        return self._corrupt(at, "a whole record whose line end is damaged")

    @staticmethod
    def _whole_record(tail: bytes) -> bool:
        """Whether a piece without a newline is a complete record with one byte wrong
        where its newline should be (a flipped bit, not a torn write)."""
        body, tab, crc = tail[:-1].rpartition(b"\t")
        return bool(tab) and format(zlib.crc32(body), "08x").encode() == crc

    def _decode(self, line: bytes, at: int, end: int) -> Record | None:
        """The record on a line; None when its checksum fails.  A line whose checksum
        holds was written whole: anything else wrong with it is corruption."""
        body, tab, crc = line.rpartition(b"\t")
        if not tab or format(zlib.crc32(body), "08x").encode() != crc:
            return None
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise self._corrupt(at, "a record that is not JSON") from None
        problem = shape_problem(data)
        if problem is not None:
            raise self._corrupt(at, f"a record of the wrong shape ({problem})")
        return Record(
            seq=data["seq"],
            ops=data["ops"],
            next_ids=data["next"],
            end=end,
            snapshots=data.get("snapshots", []),
            base=data.get("base"),
        )

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

    def reset(self, seq: int, snapshots: dict[str, int] | None = None) -> int:
        """Replace the journal by one holding only a base record at ``seq``, naming the
        ``snapshots`` that exist (group -> sequence number); return its size."""
        base = b"".join(encode(seq, [], {}, base=snapshots or {}))
        atomic_write(self.path, base)
        return len(base)
