"""The embedded default store: TinyDB snapshot files plus a write-ahead journal.

Layout of a workspace's ``data/`` directory:

- ``<group>.json``: one TinyDB database per table group (``customers.json``
  holds the customers and field definitions), written whole and atomically,
  readable by plain ``TinyDB(path)``; table ``_clientcard`` records the journal
  sequence number the snapshot reflects and the id counters;
- ``journal``: every change committed since the snapshots, one checksummed
  line per commit (see :mod:`.journal`);
- ``lock``: held shared by readers and exclusively by writers.

Opening loads a group's snapshot and replays the journal on top.  A commit
appends one journal line and fsyncs it.  When the journal grows past a share of
the snapshots, the committing process rewrites the snapshots it touched and
starts a new journal (compaction).  Why not TinyDB's own write path: it
rewrites the whole file in place on every insert (a torn file on a crash) and
is not safe across processes; see docs/architecture.md.
"""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clientcard.core.errors import StoreError
from clientcard.core.hookspecs import hookimpl
from clientcard.core.store import Doc, Store, TableSpec
from clientcard.plugins.storage.atomic import AtomicJSONStorage
from clientcard.plugins.storage.journal import Journal, Record, encode
from clientcard.plugins.storage.lock import WorkspaceLock

META_TABLE = "_clientcard"
#: compact when the journal exceeds this many bytes and ...
MIN_COMPACT_BYTES = 1 << 20
#: ... this fraction of the snapshots it would rewrite
COMPACT_RATIO = 0.125


class MemoryTable:
    """A table held in memory, with indexes built on first use."""

    def __init__(self, spec: TableSpec) -> None:
        self.spec = spec
        self.docs: dict[int, Doc] = {}
        self.next_id = 1
        self._indexes: dict[str, dict[Hashable, set[int]]] = {}
        #: False once an id was put below the highest one: sort before iterating
        self._in_order = True

    def load(self, raw: dict[str, Any], source: Path) -> None:
        docs: dict[int, Doc] = {}
        last = 0
        in_order = True
        for key, doc in raw.items():
            try:
                id = int(key)
            except ValueError:
                raise StoreError(
                    f"{source}: table {self.spec.name!r} has a document id {key!r}; "
                    "expected a whole number"
                ) from None
            if not isinstance(doc, dict):
                raise StoreError(f"{source}: {self.spec.name} {key} is not a JSON object")
            doc["id"] = id
            docs[id] = doc
            in_order = in_order and id > last
            last = id
        self.docs = docs
        self._in_order = in_order
        self.next_id = max(self.docs, default=0) + 1
        self._indexes = {}

    def ordered(self) -> dict[int, Doc]:
        """The documents in id order."""
        if not self._in_order:
            self.docs = dict(sorted(self.docs.items()))
            self._in_order = True
        return self.docs

    def index(self, name: str) -> dict[Hashable, set[int]]:
        index = self._indexes.get(name)
        if index is None:
            if name not in self.spec.indexes:
                raise StoreError(f"table {self.spec.name!r} has no index {name!r}")
            index = self._indexes[name] = {}
            for id, doc in self.docs.items():
                value = doc.get(name)
                if value is not None:
                    index.setdefault(value, set()).add(id)
        return index

    def _unindex(self, doc: Doc) -> None:
        for name, index in self._indexes.items():
            value = doc.get(name)
            ids = index.get(value) if value is not None else None
            if ids is not None:
                ids.discard(doc["id"])
                if not ids:
                    del index[value]

    def _reindex(self, doc: Doc) -> None:
        for name, index in self._indexes.items():
            value = doc.get(name)
            if value is not None:
                index.setdefault(value, set()).add(doc["id"])

    def set(self, id: int, doc: Doc | None) -> Doc | None:
        """Put or (with None) delete; return the previous document."""
        old = self.docs.pop(id, None) if doc is None else self.docs.get(id)
        if old is not None:
            self._unindex(old)
        if doc is not None:
            if old is None and id < self.next_id - 1 and self._in_order and self.docs:
                # a put below the highest id, or an undone delete
                self._in_order = id > next(reversed(self.docs))
            self.docs[id] = doc
            self._reindex(doc)
            if id >= self.next_id:
                self.next_id = id + 1
        return old

    def find(self, index: str, value: Hashable) -> list[int]:
        return sorted(self.index(index).get(value, ()))

    def snapshot(self) -> dict[str, Doc]:
        return {str(id): doc for id, doc in self.ordered().items()}


class Group:
    """The tables stored in one snapshot file, and how current they are."""

    def __init__(self, name: str, path: Path, specs: list[TableSpec]) -> None:
        self.name = name
        self.storage = AtomicJSONStorage(path)
        self.tables = {spec.name: MemoryTable(spec) for spec in specs}
        self.loaded = False
        self.seq = 0
        self.file_identity: tuple[int, int, int] | None = None

    def current_identity(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.storage.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def load_snapshot(self) -> None:
        # A snapshot is hundreds of thousands of long-lived dicts: scanning them
        # for reference cycles, while loading and ever after, costs more than
        # parsing them.  Pause the collector, then move them out of its sight.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._load_snapshot()
        finally:
            gc.freeze()
            if enabled:
                gc.enable()

    def _load_snapshot(self) -> None:
        identity = self.current_identity()
        data = self.storage.read() or {}
        meta = data.pop(META_TABLE, {}).get("1", {})
        for name, table in self.tables.items():
            table.load(data.get(name, {}), self.storage.path)
            table.next_id = max(table.next_id, int(meta.get("next_ids", {}).get(name, 1)))
        self.seq = int(meta.get("seq", 0))
        self.file_identity = identity
        self.loaded = True

    def write_snapshot(self, seq: int) -> None:
        data: dict[str, Any] = {name: t.snapshot() for name, t in self.tables.items()}
        data[META_TABLE] = {
            "1": {"seq": seq, "next_ids": {n: t.next_id for n, t in self.tables.items()}}
        }
        self.storage.write(data)
        self.seq = seq
        self.file_identity = self.current_identity()

    def size(self) -> int:
        identity = self.current_identity()
        return identity[1] if identity else 0


class Session:
    """A read or write context: table views over the store's memory."""

    def __init__(self, store: TinyDBStore, writable: bool) -> None:
        self.store = store
        self.writable = writable
        #: (table, id or None for an id allocation, previous document, previous next_id)
        self.undo: list[tuple[MemoryTable, int | None, Doc | None, int]] = []
        self.ops: list[list[Any]] = []
        self.moved: dict[str, int] = {}

    def table(self, name: str) -> TableView:
        return TableView(self, self.store.table(name))

    def rollback(self) -> None:
        for table, id, old, next_id in reversed(self.undo):
            if id is not None:
                table.set(id, old)
            table.next_id = next_id
        self.undo.clear()
        self.ops.clear()
        self.moved.clear()


class TableView:
    """What :meth:`Session.table` returns: the :class:`WritableTable` protocol."""

    def __init__(self, session: Session, table: MemoryTable) -> None:
        self._session = session
        self._table = table

    def get(self, id: int) -> Doc | None:
        return self._table.docs.get(id)

    def __iter__(self) -> Iterator[Doc]:
        return iter(list(self._table.ordered().values()))

    def __len__(self) -> int:
        return len(self._table.docs)

    def find(self, index: str, value: Hashable) -> list[int]:
        return self._table.find(index, value)

    def _check_writable(self) -> None:
        if not self._session.writable:
            raise RuntimeError("changes need a store.write() context")

    def new_id(self) -> int:
        self._check_writable()
        table = self._table
        self._session.undo.append((table, None, None, table.next_id))
        id = table.next_id
        table.next_id += 1
        self._session.moved[table.spec.name] = table.next_id
        return id

    def put(self, doc: Doc) -> None:
        self._check_writable()
        self._change(int(doc["id"]), doc)

    def delete(self, id: int) -> None:
        self._check_writable()
        if id in self._table.docs:
            self._change(id, None)

    def _change(self, id: int, doc: Doc | None) -> None:
        table = self._table
        next_id = table.next_id
        old = table.set(id, doc)
        self._session.undo.append((table, id, old, next_id))
        self._session.ops.append([table.spec.name, id, doc])
        if table.next_id != next_id:
            self._session.moved[table.spec.name] = table.next_id


class TinyDBStore(Store):
    """The :class:`~clientcard.core.store.Store` over TinyDB files and a journal."""

    def __init__(self, data_dir: Path, specs: tuple[TableSpec, ...]) -> None:
        self.dir = data_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        by_group: dict[str, list[TableSpec]] = {}
        for spec in specs:
            by_group.setdefault(spec.group, []).append(spec)
        self.groups = {
            name: Group(name, data_dir / f"{name}.json", group_specs)
            for name, group_specs in by_group.items()
        }
        self.group_of = {spec.name: self.groups[spec.group] for spec in specs}
        self.journal = Journal(data_dir / "journal")
        self.lock = WorkspaceLock(data_dir / "lock")
        #: inode of the journal read so far, the offset after its last good record,
        #: its last sequence number, and the groups it touches
        self._journal_ino: int | None = None
        #: an open handle on that journal: while it is open its inode number cannot be
        #: reused by a later journal, so an equal number really means the same file
        self._journal_fd: int | None = None
        self._journal_offset = 0
        self._journal_seq = 0
        self._journal_groups: set[str] = set()
        self._session: Session | None = None

    # -- keeping memory in step with the files ---------------------------------

    def _sync(self) -> None:
        """Bring loaded groups up to date with what other processes committed."""
        for group in self.groups.values():
            if group.loaded and group.current_identity() != group.file_identity:
                group.load_snapshot()
                self._journal_ino = None  # replay from the start for this group
        identity = self.journal.identity()
        if identity is None:
            self._untrack_journal()
            self._journal_offset = 0
            self._journal_groups = set()
            self._journal_seq = max((g.seq for g in self.groups.values() if g.loaded), default=0)
            return
        ino, size = identity
        if ino != self._journal_ino or size < self._journal_offset:
            self._track_journal()
            self._journal_offset = 0
            self._journal_groups = set()
        if size != self._journal_offset or self._journal_offset == 0:
            records, end, _ = self.journal.read(self._journal_offset)
            self._apply(records)
            self._journal_offset = end

    def _track_journal(self) -> None:
        """Remember (and hold open) the journal file now at the path."""
        self._untrack_journal()
        try:
            fd = os.open(self.journal.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        self._journal_fd, self._journal_ino = fd, os.fstat(fd).st_ino

    def _untrack_journal(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
        self._journal_fd = self._journal_ino = None

    def _apply(self, records: list[Record]) -> None:
        loaded = [g for g in self.groups.values() if g.loaded]
        for record in records:
            self._journal_seq = record.seq
            for table_name, id, doc in record.ops:
                group = self.group_of.get(table_name)
                if group is None:
                    continue  # a table this version does not know: leave it be
                self._journal_groups.add(group.name)
                if group.loaded and record.seq > group.seq:
                    group.tables[table_name].set(int(id), doc)
            for table_name, next_id in record.next_ids.items():
                group = self.group_of.get(table_name)
                if group is not None and group.loaded and record.seq > group.seq:
                    table = group.tables[table_name]
                    table.next_id = max(table.next_id, int(next_id))
            for group in loaded:
                group.seq = max(group.seq, record.seq)

    def table(self, name: str) -> MemoryTable:
        group = self.group_of.get(name)
        if group is None:
            raise StoreError(f"unknown table {name!r}")
        if not group.loaded:
            group.load_snapshot()
            records, _, _ = self.journal.read(0)
            self._replay_into(group, records)
        return group.tables[name]

    def _replay_into(self, group: Group, records: list[Record]) -> None:
        for record in records:
            if record.seq <= group.seq:
                continue
            for table_name, id, doc in record.ops:
                if table_name in group.tables:
                    group.tables[table_name].set(int(id), doc)
            for table_name, next_id in record.next_ids.items():
                if table_name in group.tables:
                    table = group.tables[table_name]
                    table.next_id = max(table.next_id, int(next_id))
            group.seq = record.seq

    # -- the Store protocol ------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.lock.hold(exclusive=False):
            if self._session is not None:
                yield self._session
                return
            self._sync()
            yield Session(self, writable=False)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.lock.hold(exclusive=True):
            if self._session is not None:
                yield self._session
                return
            self._sync()
            session = self._session = Session(self, writable=True)
            try:
                yield session
                committed = self._commit(session)
            except BaseException:
                session.rollback()
                raise
            finally:
                self._session = None
            # the change is durable now: compaction is upkeep and must not undo it
            if committed:
                self._maybe_compact()

    def _commit(self, session: Session) -> bool:
        """Append the session's changes to the journal; False when there were none."""
        if not session.ops and not session.moved:
            return False
        # a snapshot may be ahead of a journal that went missing (restored from a backup)
        loaded = (g.seq for g in self.groups.values() if g.loaded)
        seq = max(self._journal_seq, *loaded) + 1
        data = encode(seq, session.ops, session.moved)
        try:
            self._journal_offset = self.journal.append(data, self._journal_offset)
        except OSError as exc:
            raise StoreError(f"cannot write {self.journal.path}: {exc.strerror}") from None
        if self._journal_fd is None:  # the append created the journal
            self._track_journal()
        self._journal_seq = seq
        for table_name in {op[0] for op in session.ops} | set(session.moved):
            self._journal_groups.add(self.group_of[table_name].name)
        for group in self.groups.values():
            if group.loaded:
                group.seq = seq
        return True

    def _maybe_compact(self) -> None:
        groups = [self.groups[name] for name in sorted(self._journal_groups)]
        snapshot_bytes = sum(g.size() for g in groups)
        if self._journal_offset < max(MIN_COMPACT_BYTES, COMPACT_RATIO * snapshot_bytes):
            return
        try:
            self.compact()
        except OSError as exc:
            # the journal still holds every change: the next commit tries again
            warnings.warn(
                f"the change is saved, but compacting {self.dir} failed "
                f"({exc.strerror or exc}); a later change will try again",
                RuntimeWarning,
                stacklevel=4,
            )

    def compact(self) -> None:
        """Write the snapshots the journal touches and start a new journal."""
        with self.lock.hold(exclusive=True):
            # under the exclusive lock no rewrite is under way: temp files are leftovers
            for leftover in self.dir.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)
            self._sync()
            seq = self._journal_seq
            for name in sorted(self._journal_groups):
                group = self.groups[name]
                if not group.loaded:
                    self.table(next(iter(group.tables)))
                group.write_snapshot(seq)
            self._journal_offset = self.journal.reset(seq)
            self._track_journal()
            self._journal_groups = set()

    def close(self) -> None:
        self._untrack_journal()
        self.lock.close()


@hookimpl
def clientcard_register_storage_backends(register: Callable[[str, Any], None]) -> None:
    register("tinydb", TinyDBStore)
