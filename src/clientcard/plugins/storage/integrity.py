"""What the files of a data directory prove about one another, and the store's check.

Every file says which change of the journal it reflects, and the journal says
which snapshots must exist:

- the journal's last record is the newest change; no snapshot or cache can
  reflect a later one (if one does, the journal lost records: emptied, or
  replaced by an older copy);
- the journal's base record (written by each compaction) names every snapshot
  that exists and the change it holds at least: a missing, emptied or older
  snapshot is corruption, never an empty table;
- a cache (keys, lookups, columns file) stamped with a snapshot proves that
  snapshot existed, even when the journal is gone too;
- each file's checksum proves its bytes (:mod:`.seal`, the journal's per-line
  CRC); a cache that fails it is ignored and rebuilt, a snapshot or journal
  that fails it is reported;
- id counters are the highest of what the snapshot's meta table, the journal
  records and the documents themselves say, so a cache can never lower one.

:func:`check` reads every file afresh and reports each problem in one line;
with ``repair`` it rebuilds the caches from the verified documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from clientcard.core.errors import StoreError
from clientcard.core.store import Finding, columns_of
from clientcard.plugins.storage import lookups, seal
from clientcard.plugins.storage.columns import MAGIC as COLUMNS_MAGIC
from clientcard.plugins.storage.journal import Journal, Record

if TYPE_CHECKING:
    from clientcard.plugins.storage.tinydb_store import Group, TinyDBStore

RESTORE = "restore the data directory from a backup ('clientcard restore')"
#: a cache older than a big commit whose snapshot is not installed yet
PENDING = "was written before a big commit whose snapshot is not installed yet"


class Proofs:
    """What the journal proves about the files beside it, as this process last read it."""

    def __init__(self, journal: Path) -> None:
        self.journal = journal
        #: the journal's last sequence number
        self.seq = 0
        #: its base record's snapshots: group -> the change it holds at least
        self.base: dict[str, int] = {}

    def not_ahead(self, path: Path, seq: int) -> None:
        """Raise when ``path`` reflects a change the journal does not hold."""
        if seq > self.seq:
            ends = f"ends at change {self.seq}" if self.seq else "holds no change"
            raise StoreError(
                f"{path} reflects change {seq}, but the journal ({self.journal}) {ends}: "
                f"the changes since are lost (it was emptied or replaced); {RESTORE}"
            )

    def snapshot_read(self, group: Group, path: Path, seq: int) -> None:
        """Raise when a snapshot read at ``seq`` is older, or newer, than the journal says."""
        self.not_ahead(path, seq)
        expected = self.base.get(group.name)
        if expected is not None and seq < expected:
            raise StoreError(
                f"{path} holds change {seq}, but the journal ({self.journal}) says it holds "
                f"change {expected}: an older copy replaced it; {RESTORE}"
            )

    def absent(self, group: Group) -> None:
        """The snapshot of ``group`` is missing or empty: raise when something proves it
        held documents (the journal's base record, a cache written for it)."""
        path = group.storage.path
        state = "empty" if path.exists() else "missing"
        expected = self.base.get(group.name)
        if expected is not None:
            raise StoreError(
                f"{path} is {state}, but the journal ({self.journal}) says it holds the "
                f"{_tables(group)} up to change {expected}; {RESTORE}"
            )
        for cache in group.cache_paths():
            stamp = cache_stamp(cache)
            if stamp is not None and stamp.get("snapshot"):
                raise StoreError(
                    f"{path} is {state}, but {cache} was written from it: it held the "
                    f"{_tables(group)}; {RESTORE}"
                )


def _tables(group: Group) -> str:
    return ", ".join(group.specs)


def sealed_json(data: bytes) -> dict[str, Any] | None:
    """A sealed JSON object (the keys file); None when it is damaged, unsealed or not one."""
    if not seal.check(data):
        return None
    try:
        found = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


def cache_stamp(path: Path) -> dict[str, Any] | None:
    """The stamp of a cache file (keys, lookups or columns) whose seal holds; None when
    it is missing, unreadable, damaged or not a cache."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data.startswith(lookups.MAGIC):
        found = lookups.LookupFile.read(data)
        return None if found is None else found.stamp
    if data.startswith(COLUMNS_MAGIC):
        start = len(COLUMNS_MAGIC) + 8
        if not seal.check(data, start):
            return None
        size = int.from_bytes(data[len(COLUMNS_MAGIC) : start], "little")
        try:
            header = orjson.loads(data[start : start + size])
        except orjson.JSONDecodeError:
            return None
        return header if isinstance(header, dict) else None
    return sealed_json(data)


# -- the check ------------------------------------------------------------------------


class Findings:
    """Problems found so far, each once."""

    def __init__(self) -> None:
        self.found: list[Finding] = []
        self._seen: set[str] = set()

    def add(self, message: str, *, repairable: bool = False, repaired: bool = False) -> None:
        if message not in self._seen:
            self._seen.add(message)
            self.found.append(Finding(message, repairable, repaired))

    def error(self, exc: StoreError) -> None:
        self.add(exc.message)


def check(store: TinyDBStore, repair: bool) -> list[Finding]:
    """Verify the data directory of ``store`` (see the module's docstring)."""
    findings = Findings()
    with store.lock.hold(exclusive=repair, timeout=store.lock_timeout):
        if store.in_write():
            raise StoreError("a check cannot run inside a write (a batch or a preview)")
        records = _check_journal(store, findings, repair)
        store.forget()
        try:
            store.sync()
        except StoreError as exc:
            findings.error(exc)
            return findings.found  # no group can be read without its journal
        for group in store.groups.values():
            _check_group(store, group, records, findings, repair)
    return findings.found


def _check_journal(store: TinyDBStore, findings: Findings, repair: bool) -> list[Record]:
    """Every record of the journal, each line checked; the problems found."""
    journal = store.journal
    try:
        data = journal.path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        findings.add(f"cannot read {journal.path}: {exc.strerror or exc}; check its permissions")
        return []
    records: list[Record] = []
    position = 0
    lines = data.split(b"\n")
    last_seq = -1
    for index, line in enumerate(lines[:-1]):
        try:
            record = journal._decode(line, position, position + len(line) + 1)
        except StoreError as exc:
            findings.error(exc)
            record = None
        else:
            last = index == len(lines) - 2 and not lines[-1]
            if record is None and not (last and b"\x00" in line):
                findings.error(journal.checksum_failed(position, last))
        if record is not None:
            if record.seq <= last_seq:
                findings.add(
                    f"{journal.path} is corrupt at byte {position}: change {record.seq} "
                    f"follows change {last_seq}; {RESTORE}"
                )
            if record.base is not None and position:
                findings.add(
                    f"{journal.path} is corrupt at byte {position}: a base record after "
                    f"the first; {RESTORE}"
                )
            last_seq = max(last_seq, record.seq)
            records.append(record)
        position += len(line) + 1
    tail = lines[-1]
    if tail and Journal._whole_record(tail):
        findings.error(journal.end_damaged(position))
    elif tail:
        # never acknowledged (a crash while appending); the next write cuts it off
        message = (
            f"{journal.path} ends with {len(tail)} bytes of an unfinished record (a write "
            "interrupted by a crash, never acknowledged); 'clientcard check --repair' or "
            "the next change removes them"
        )
        if repair:
            with open(journal.path, "r+b") as handle:
                handle.truncate(position)
        findings.add(message, repairable=True, repaired=repair)
    return records


def _check_group(
    store: TinyDBStore, group: Group, records: list[Record], findings: Findings, repair: bool
) -> None:
    try:
        store.load(group)
    except StoreError as exc:
        findings.error(exc)
        return  # without the documents, the caches cannot be compared with anything
    has_snapshot = group.size() > 0
    problems: dict[str, str] = {}
    trusted = True
    for kind, path in group.caches().items():
        if not has_snapshot and not path.exists():
            continue  # no snapshot yet: no cache is needed before the first compaction
        scratch = group.scratch()
        try:
            problem = _cache_problem(scratch, group, kind, records)
        except StoreError as exc:
            # a cache ahead of the journal is evidence the journal lost records: keep it
            findings.error(exc)
            trusted = False
            continue
        if problem is not None:
            problems[kind] = f"{path} {problem}"
    if problems and repair and trusted:
        group.stale.update(problems)
        written = group.save_caches()
    else:
        written = set()
    for kind, message in problems.items():
        fix = "rebuilt" if kind in written else "'clientcard check --repair' rebuilds it"
        findings.add(f"{message}; {fix}", repairable=True, repaired=kind in written)


def _cache_problem(scratch: Group, truth: Group, kind: str, records: list[Record]) -> str | None:
    """What is wrong with one cache of ``truth`` (None: it is sound and agrees with the
    documents).  ``scratch`` is an empty group on the same files, to read it into."""
    if kind == "lookups":
        found = scratch.lookup_file()
        if found is None:
            return scratch.stale.get("lookups", "cannot be used")
        return _lookups_differ(found, truth, records)
    loaded = scratch.load_keys() if kind == "keys" else scratch.load_columns()
    if not loaded:
        return scratch.stale.get(kind, "cannot be used")
    for record in records:
        scratch.apply(record)
    if (scratch.keys if kind == "keys" else scratch.columns) is None:
        return PENDING  # (Group.apply dropped it)
    if kind == "keys":
        return _keys_differ(scratch, truth)
    return _columns_differ(scratch, truth)


def _keys_differ(scratch: Group, truth: Group) -> str | None:
    assert scratch.keys is not None
    for name, table in truth.tables.items():
        keys = scratch.keys[name]
        if keys.next_id < table.next_id:
            return (
                f"gives {name} the next id {keys.next_id}, below what the snapshot and "
                f"journal prove ({table.next_id})"
            )
        if {f: dict(v) for f, v in keys.forward.items()} != table.unique_values():
            fields = ", ".join(table.spec.unique)
            return f"does not hold the {fields} of the {name} as they are"
    return None


def _columns_differ(scratch: Group, truth: Group) -> str | None:
    assert scratch.columns is not None
    for name, cached in scratch.columns.items():
        names = cached.names
        view = cached.view(names)
        rows = {id: tuple(view[n][i] for n in names) for i, id in enumerate(view["id"])}
        docs = columns_of(truth.tables[name].ordered().values(), names)
        expected = {id: tuple(docs[n][i] for n in names) for i, id in enumerate(docs["id"])}
        if rows != expected:
            return f"does not hold the {name}' {', '.join(names)} as they are"
    return None


def _lookups_differ(found: lookups.LookupFile, truth: Group, records: list[Record]) -> str | None:
    seq = int(found.stamp.get("seq", 0))
    if any(r.seq > seq and truth.name in r.snapshots for r in records):
        return PENDING
    for name, fields in truth.lookup_fields.items():
        table = truth.tables[name]
        expected = _lookup_entries(fields, table.ordered().values())
        held = _file_entries(found, name)
        for record in records:
            if record.seq <= seq:
                continue
            for table_name, id, doc in record.ops:
                if table_name != name:
                    continue
                held = {entry for entry in held if entry[2] != id}
                held |= _lookup_entries(fields, [] if doc is None else [doc])
        if held != expected:
            return f"does not hold the {name}' {', '.join(fields)} as they are"
    return None


def _lookup_entries(fields: Iterable[str], docs: Iterable[dict[str, Any]]) -> set[Any]:
    docs = list(docs)
    return {
        (field, key, doc["id"])
        for field in fields
        for doc in docs
        if (key := lookups.folded(doc.get(field))) is not None
    }


def _file_entries(found: lookups.LookupFile, name: str) -> set[Any]:
    entries: set[Any] = set()
    body = found.data[found.body :].decode()
    for line in body.splitlines():
        table, field, key, id = line.split(lookups.SEP)
        if table == name:
            entries.add((field, key, int(id)))
    return entries
