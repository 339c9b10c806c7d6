"""The embedded default store: TinyDB snapshot files plus a write-ahead journal.

Layout of a workspace's ``data/`` directory:

- ``<group>.json``: one TinyDB database per table group (``customers.json``
  holds the customers, ``schema.json`` the field definitions), written whole
  and atomically, readable by plain ``TinyDB(path)``; table ``_clientcard``
  records the journal sequence number the snapshot reflects and the id counters;
- ``<group>.keys.json``: beside a snapshot, its tables' id counters and unique
  values (external ids), so a new record can be added without loading them;
- ``<group>.columns``: beside a snapshot, the fields its tables declare as
  ``TableSpec.columns`` (see :mod:`.columns`), so classification reads a
  booking's date and status without parsing whole documents;
- ``journal``: every change committed since the snapshots, one checksummed
  line per commit (see :mod:`.journal`);
- ``lock``: held shared by readers and exclusively by writers.

A group is loaded (snapshot + journal replay) when one of its documents is
read.  A commit appends one journal line and fsyncs it.  When the journal grows
past a share of the snapshots, the committing process rewrites the snapshots it
touched and starts a new journal (compaction).  Why not TinyDB's own write
path: it rewrites the whole file in place on every insert (a torn file on a
crash) and is not safe across processes; see docs/architecture.md.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from clientcard.core.config import StorageSettings
from clientcard.core.errors import StoreError
from clientcard.core.hookspecs import hookimpl
from clientcard.core.memory import gc_paused
from clientcard.core.store import Doc, Finding, Store, TableSpec, columns_of
from clientcard.plugins.storage import columns as column_file
from clientcard.plugins.storage import integrity, lookups, seal, snapshot
from clientcard.plugins.storage.atomic import AtomicJSONStorage, atomic_write, fsync_dir
from clientcard.plugins.storage.columns import ColumnTable
from clientcard.plugins.storage.integrity import Proofs
from clientcard.plugins.storage.journal import Journal, Record, encode
from clientcard.plugins.storage.lock import lock_for
from clientcard.plugins.storage.memory import MemoryTable, TableKeys, Undo, undo_all

META_TABLE = "_clientcard"
#: compact when the journal exceeds this many bytes and ...
MIN_COMPACT_BYTES = 1 << 20
#: ... this fraction of the snapshots it would rewrite
COMPACT_RATIO = 1 / 16
#: a commit of at least this many changes that would be compacted at once is
#: written as snapshots directly (see TinyDBStore._commit_snapshots)
BIG_COMMIT_OPS = 10_000
#: new documents from which a write loads a group's cached columns to add them in bulk
BULK_COLUMNS = 1_000


def apply_ops(tables: dict[str, MemoryTable], ops: Sequence[Sequence[Any]]) -> list[Undo]:
    """Apply journal operations to the tables they name; return what undoes them.

    Runs of puts into one table go in together, so a million-row import is
    replayed in bulk rather than one document (and one undo) at a time.
    """
    undo: list[Undo] = []
    run: list[Doc] = []
    into: MemoryTable | None = None
    for table_name, id, doc in ops:
        table = tables.get(table_name)
        if table is None:
            continue
        if table is not into or doc is None:
            if into is not None and run:
                undo.append(into.add_many(run))
            run, into = [], table
        if doc is None:
            undo.append(table.set(int(id), None))
        else:
            run.append(doc)
    if into is not None and run:
        undo.append(into.add_many(run))
    return undo


class Group:
    """The tables stored in one snapshot file, and how much of them is in memory.

    ``loaded``: every document, current up to journal sequence ``seq``.
    ``keys``: only id counters and unique values, current up to ``keys_seq``.
    ``columns``: only the cached columns, current up to ``columns_seq``.
    """

    def __init__(
        self, name: str, path: Path, specs: list[TableSpec], proofs: Proofs | None = None
    ) -> None:
        self.name = name
        self.storage = AtomicJSONStorage(path)
        self.keys_path = path.with_suffix(".keys.json")
        self.specs = {spec.name: spec for spec in specs}
        self.tables = {spec.name: MemoryTable(spec) for spec in specs}
        self.loaded = False
        self.seq = 0
        self.file_identity: tuple[int, int, int] | None = None
        self.keys: dict[str, TableKeys] | None = None
        self.keys_seq = 0
        self.keys_identity: tuple[int, int, int] | None = None
        self.columns_path = path.with_suffix(".columns")
        self.column_names = {spec.name: spec.columns for spec in specs if spec.columns}
        self.scanned = frozenset(spec.name for spec in specs if spec.scanned)
        self.lookup_fields = {spec.name: spec.lookups for spec in specs if spec.lookups}
        self.lookups_path = path.with_suffix(".lookups")
        #: the lookups file read last, and the snapshot it was read for
        self._lookups: tuple[tuple[int, int] | None, lookups.LookupFile | None] | None = None
        self.columns: dict[str, ColumnTable] | None = None
        self.columns_seq = 0
        self.columns_identity: tuple[int, int, int] | None = None
        #: changes whenever what this process sees of the group may have changed
        self.revision = 0
        #: what the journal proves about the files (shared by the store's groups)
        self.proofs = proofs or Proofs(path.parent / "journal")
        #: caches found unusable ("keys", "lookups", "columns") and why: the next whole
        #: load writes them afresh
        self.stale: dict[str, str] = {}
        #: the snapshot's meta document, and the file identity it was read for
        self._meta: tuple[tuple[int, int, int] | None, dict[str, Any] | None] | None = None

    def current_identity(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.storage.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def pending_path(self, seq: int) -> Path:
        """Where a big commit writes this group's snapshot before installing it."""
        return self.storage.path.with_name(f".{self.storage.path.name}.{seq}.pending")

    def load_snapshot(self, pending_seq: int | None = None) -> None:
        """Read the snapshot (or, for a big commit not yet installed, its pending file),
        checked against its seal and against what the journal says it holds."""
        with gc_paused():
            identity = self.current_identity()
            source = self.storage.path
            if pending_seq is not None and self.pending_path(pending_seq).exists():
                source = self.pending_path(pending_seq)
            data = snapshot.load(source)
            if data is None:
                self.proofs.absent(self)  # an empty table, unless it held documents
                data = {}
            meta = data.pop(META_TABLE, {}).get("1", {})
            for name, table in self.tables.items():
                table.load(data.get(name, {}), source)
                table.next_id = max(table.next_id, int(meta.get("next_ids", {}).get(name, 1)))
            seq = int(meta.get("seq", 0))
            self.proofs.snapshot_read(self, source, seq)
            self.seq = seq
            self.file_identity = identity
            self.loaded = True
            self.revision += 1
            # keys and cached columns already in memory are kept: changes keep
            # them current, and a compaction writes them without rebuilding them

    def _snapshot(self, seq: int) -> list[bytes]:
        meta = {"seq": seq, "next_ids": {n: t.next_id for n, t in self.tables.items()}}
        tables = {name: t.ordered() for name, t in self.tables.items()}
        return snapshot.encode_pieces(tables, meta, self.scanned)

    def write_snapshot(self, seq: int) -> None:
        atomic_write(self.storage.path, self._snapshot(seq))
        self._written(seq)

    def pending(self, seq: int) -> tuple[Path, list[bytes]]:
        """The snapshot at ``seq`` and where a big commit writes it beside the current one."""
        return self.pending_path(seq), self._snapshot(seq)

    def install_pending(self, seq: int) -> None:
        """Put the pending snapshot at ``seq`` in place of the current one."""
        os.replace(self.pending_path(seq), self.storage.path)
        fsync_dir(self.storage.path.parent)
        self._written(seq)

    def _written(self, seq: int) -> None:
        """The snapshot at ``seq`` is in place: write the keys and columns beside it."""
        self.seq = seq
        self.file_identity = self.current_identity()
        # every group, unique fields or not: its id counters let a write add
        # documents without loading the group
        self.stale.clear()
        self._write_caches(
            ("keys", "lookups", "columns"),
            seq,
            known=self.keys if self.keys_seq == seq else None,
            cached=self.columns if self.columns_seq == seq else None,
        )
        # what stays in memory matches the new files (what does not is dropped)
        if self.keys is not None and self.keys_seq == seq:
            self.keys_identity = self.file_identity
        else:
            self.keys = None
        if self.columns is not None and self.columns_seq == seq:
            self.columns_identity = self.file_identity
        else:
            self.columns = None

    def _write_caches(
        self,
        kinds: Collection[str],
        seq: int,
        known: dict[str, TableKeys] | None = None,
        cached: dict[str, ColumnTable] | None = None,
    ) -> set[str]:
        """Write these caches from the loaded documents (``known`` keys and ``cached``
        columns, current at ``seq``, spare rebuilding them), sealed and stamped with the
        snapshot in place and ``seq``; return the kinds written.  A cache is optional:
        one that cannot be written is left out (its old file names another snapshot, or
        was unusable already) and the next process loads the group whole."""
        stamp = self.stamp(seq)
        files: dict[str, tuple[Path, Callable[[], bytes | list[bytes]]]] = {}
        if "keys" in kinds:
            files["keys"] = self.keys_path, lambda: self._keys_file(stamp, known)
        if "lookups" in kinds and self.lookup_fields:
            docs = {
                name: (fields, self.tables[name].ordered().values())
                for name, fields in self.lookup_fields.items()
            }
            files["lookups"] = self.lookups_path, lambda: lookups.dump(docs, stamp)
        if "columns" in kinds and self.column_names:
            tables = {
                name: (cached or {}).get(name)
                or ColumnTable.of(names, self.tables[name].ordered().values())
                for name, names in self.column_names.items()
            }
            files["columns"] = self.columns_path, lambda: column_file.dump(tables, stamp)
        written = set()
        for kind, (path, build) in files.items():
            try:
                atomic_write(path, build())
            except OSError:
                continue
            written.add(kind)
            self.stale.pop(kind, None)
        return written

    def _keys_file(self, stamp: dict[str, Any], known: dict[str, TableKeys] | None) -> list[bytes]:
        keys = {
            name: {
                "next_id": t.next_id,
                "unique": known[name].forward if known else t.unique_values(),
            }
            for name, t in self.tables.items()
        }
        return seal.seal(orjson.dumps({**stamp, "tables": keys}))

    def save_caches(self) -> set[str]:
        """Write afresh, from the loaded documents, the caches found unusable, stamped
        with the journal position the documents reflect (readers replay only what came
        after); return the kinds written.  Called after a whole load that no change of
        the current write has touched yet."""
        if not self.loaded or not self.stale:
            return set()
        return self._write_caches(set(self.stale), self.seq)

    def content_identity(self) -> tuple[int, int] | None:
        """Size and modification time: survives a copy that keeps times (cp -p, backups),
        changes with any edit.  The inode would not survive copying a workspace."""
        identity = self.current_identity()
        return None if identity is None else identity[1:]

    def meta(self) -> dict[str, Any] | None:
        """The snapshot's meta document (its checksum, sequence number, id counters),
        read from its first line; None without a snapshot in this layout."""
        identity = self.current_identity()
        if self._meta is None or self._meta[0] != identity:
            found = snapshot.read_meta(self.storage.path) if identity else None
            self._meta = identity, found
        return self._meta[1]

    def stamp(self, seq: int) -> dict[str, Any]:
        """What a cache written now records: the snapshot (size and time, checksum) and
        the journal position it reflects."""
        meta = self.meta()
        return {
            "snapshot": self.content_identity(),
            "snapshot_crc": None if meta is None else meta.get("crc"),
            "seq": seq,
        }

    def caches(self) -> dict[str, Path]:
        """This group's cache files, by kind."""
        found = {"keys": self.keys_path}
        if self.lookup_fields:
            found["lookups"] = self.lookups_path
        if self.column_names:
            found["columns"] = self.columns_path
        return found

    def cache_paths(self) -> list[Path]:
        """Every cache file a snapshot of this group may have beside it."""
        return [self.keys_path, self.lookups_path, self.columns_path]

    def scratch(self) -> Group:
        """An empty group on the same files (to read them apart from this one)."""
        return Group(self.name, self.storage.path, list(self.specs.values()), self.proofs)

    def _unusable(self, kind: str, why: str) -> bool:
        self.stale[kind] = why
        return False

    def _matches(self, kind: str, stamp: dict[str, Any]) -> bool:
        """Whether a cache's stamp names the snapshot in place (else it is stale).  A
        cache ahead of the journal, or beside a snapshot older than the journal says,
        is an error: it proves changes are lost."""
        identity = self.content_identity()
        meta = self.meta()
        if tuple(stamp.get("snapshot") or ()) != (identity or ()) or (
            meta is not None and stamp.get("snapshot_crc") != meta.get("crc")
        ):
            name = self.storage.path.name
            return self._unusable(kind, f"was written for another version of {name}")
        if identity is None:
            self.proofs.absent(self)
        elif meta is not None:
            self.proofs.snapshot_read(self, self.storage.path, int(meta.get("seq", 0)))
        self.proofs.not_ahead(self.caches()[kind], int(stamp["seq"]))
        return True

    @staticmethod
    def _damage(data: bytes, at: int) -> str:
        if seal.sealed_at(data, at) is None:
            return "has no checksum (an older version wrote it) or is damaged"
        return "is damaged (its checksum does not match)"

    def load_keys(self) -> bool:
        """Read the keys file; False when it cannot be used (load the group whole):
        missing, damaged, or written for another snapshot.  Its id counters never go
        below the snapshot's."""
        try:
            raw: bytes | None = self.keys_path.read_bytes()
        except FileNotFoundError:
            raw = None
            if self.current_identity() is not None:
                # a snapshot without keys: a crash between the two, or a hand
                return self._unusable("keys", "is missing")
            self.proofs.absent(self)
        except OSError as exc:
            return self._unusable("keys", f"cannot be read ({exc.strerror or exc})")
        data: dict[str, Any] = {"seq": 0, "tables": {}}
        if raw is not None:
            found = integrity.sealed_json(raw)
            if found is None:
                return self._unusable("keys", self._damage(raw, 0))
            if not self._matches("keys", found):
                return False
            data = found
        tables = data["tables"]
        floors = (self.meta() or {}).get("next_ids", {})
        self.keys = {
            name: TableKeys(
                spec,
                max(int(tables.get(name, {}).get("next_id", 1)), int(floors.get(name, 1))),
                tables.get(name, {}).get("unique", {}),
            )
            for name, spec in self.specs.items()
        }
        self.keys_seq = int(data["seq"])
        self.keys_identity = self.current_identity()
        return True

    def load_columns(self) -> bool:
        """Read the columns file; False when it cannot be used (load the group whole)."""
        try:
            data: bytes | None = self.columns_path.read_bytes()
        except FileNotFoundError:
            data = None
            if self.current_identity() is not None:
                return self._unusable("columns", "is missing")
            self.proofs.absent(self)
        except OSError as exc:
            return self._unusable("columns", f"cannot be read ({exc.strerror or exc})")
        found: tuple[dict[str, Any], dict[str, ColumnTable]] | None
        if data is None:
            empty = {n: ColumnTable(names, [], {}) for n, names in self.column_names.items()}
            found = {"seq": 0}, empty
        else:
            found = column_file.load(data, self.columns_path)
            if found is None:
                return self._unusable("columns", self._damage(data, len(column_file.MAGIC) + 8))
            if not self._matches("columns", found[0]):
                return False
            if {n: t.names for n, t in found[1].items()} != self.column_names:
                return self._unusable("columns", "was written for other columns")
        header, self.columns = found
        self.columns_seq = int(header["seq"])
        self.revision += 1
        self.columns_identity = self.current_identity()
        return True

    def lookup_file(self) -> lookups.LookupFile | None:
        """The lookups file, when it matches the snapshot (else None: answer otherwise)."""
        identity = self.content_identity()
        if self._lookups is not None and self._lookups[0] == identity:
            return self._lookups[1]
        found = None
        try:
            data = self.lookups_path.read_bytes()
        except FileNotFoundError:
            if identity is not None:
                self._unusable("lookups", "is missing")
        except OSError as exc:
            self._unusable("lookups", f"cannot be read ({exc.strerror or exc})")
        else:
            found = lookups.LookupFile.read(data)
            if found is None:
                self._unusable("lookups", self._damage(data, len(lookups.MAGIC)))
            elif not self._matches("lookups", found.stamp):
                found = None
        self._lookups = identity, found
        return found

    def size(self) -> int:
        identity = self.current_identity()
        return identity[1] if identity else 0

    def apply(self, record: Record) -> None:
        """Replay one journal record on what is in memory of this group."""
        self.revision += 1
        if self.name in record.snapshots:
            # a big commit wrote this group whole: read that snapshot instead
            if self.loaded and record.seq > self.seq:
                self.load_snapshot(pending_seq=record.seq)
                if self.seq < record.seq:
                    raise StoreError(
                        f"{self.storage.path} is older than the journal says it must be "
                        f"(change {record.seq}) and its new version is missing; restore "
                        "the data directory from a backup"
                    )
            if self.keys is not None and record.seq > self.keys_seq:
                self.keys = None
            if self.columns is not None and record.seq > self.columns_seq:
                self.columns = None
            return
        if self.loaded and record.seq > self.seq:
            apply_ops(self.tables, record.ops)
            for table_name, next_id in record.next_ids.items():
                if table_name in self.tables:
                    table = self.tables[table_name]
                    table.next_id = max(table.next_id, int(next_id))
            self.seq = record.seq
        if self.keys is not None and record.seq > self.keys_seq:
            for table_name, id, doc in record.ops:
                if table_name in self.keys:
                    self.keys[table_name].set(int(id), doc)
            for table_name, next_id in record.next_ids.items():
                if table_name in self.keys:
                    keys = self.keys[table_name]
                    keys.next_id = max(keys.next_id, int(next_id))
            self.keys_seq = record.seq
        if self.columns is not None and record.seq > self.columns_seq:
            for table_name, id, doc in record.ops:
                if table_name in self.columns:
                    self.columns[table_name].set(int(id), doc)
            self.columns_seq = record.seq


class Session:
    """A read or write context: table views over the store's memory."""

    def __init__(self, store: TinyDBStore, writable: bool) -> None:
        self.store = store
        self.writable = writable
        self.undo: list[Undo] = []
        #: (table, id, document or None) of every change, as the journal records them
        self.ops: list[tuple[str, int, Doc | None]] = []
        self.moved: dict[str, int] = {}

    def table(self, name: str) -> TableView:
        group = self.store.group_of.get(name)
        if group is None:
            raise StoreError(f"unknown table {name!r}")
        return TableView(self, group, name)

    def rollback(self) -> None:
        for group in self.store.groups.values():
            group.revision += 1
        for undo in reversed(self.undo):
            undo()
        self.undo.clear()
        self.ops.clear()
        self.moved.clear()


class TableView:
    """What :meth:`Session.table` returns: the :class:`WritableTable` protocol.

    Reading a document loads the table whole; allocating an id, finding by a
    unique field and putting documents only need its keys.
    """

    def __init__(self, session: Session, group: Group, name: str) -> None:
        self._session = session
        self._group = group
        self._name = name
        self._spec = group.specs[name]

    def _table(self) -> MemoryTable:
        self._session.store.load(self._group, self._session)
        return self._group.tables[self._name]

    def _holders(self) -> list[MemoryTable | TableKeys | ColumnTable]:
        """What holds this table in memory (its documents, keys, cached columns):
        each must take every change."""
        group = self._group
        if not group.loaded:
            self._session.store.load_keys(group)
        found: list[MemoryTable | TableKeys | ColumnTable] = []
        if group.loaded:
            found.append(group.tables[self._name])
        if group.keys is not None:
            found.append(group.keys[self._name])
        if group.columns is not None and self._name in group.columns:
            found.append(group.columns[self._name])
        return found

    def get(self, id: int) -> Doc | None:
        return self._table().docs.get(id)

    def __iter__(self) -> Iterator[Doc]:
        return iter(list(self._table().ordered().values()))

    def __len__(self) -> int:
        return len(self._table().docs)

    def lookup(self, field: str, folded: str) -> list[int]:
        group = self._group
        if not group.loaded and field in group.lookup_fields.get(self._name, ()):
            found = self._session.store.lookup(group, self._name, field, folded, self._session)
            if found is not None:
                return found
        # no usable lookups file (written at the next compaction): the cached column,
        # when there is one, still spares loading every document
        values = self.columns([field])
        rows = zip(values["id"], values[field], strict=True)
        return sorted(id for id, value in rows if lookups.folded(value) == folded)

    def scan(self) -> Iterator[Doc]:
        group, session = self._group, self._session
        if not group.loaded and self._name in group.scanned and not session.ops:
            stream = session.store.stream(group, self._name)
            if stream is not None:
                return stream
        return iter(self)

    def find(self, index: str, value: Hashable) -> list[int]:
        if index in self._spec.unique:
            if not self._group.loaded:
                self._session.store.load_keys(self._group)
            if self._group.keys is not None:
                return self._group.keys[self._name].find(index, value)
        return self._table().find(index, value)

    def revision(self) -> tuple[int, int]:
        return id(self._session.store), self._group.revision

    def columns(
        self, names: Sequence[str], where: tuple[str, Collection[Any]] | None = None
    ) -> dict[str, list[Any]]:
        needed = set(names) | ({where[0]} if where else set())
        if self._spec.columns and not self._group.loaded and needed <= set(self._spec.columns):
            self._session.store.load_columns(self._group, self._session)
            cached = self._group.columns
            if cached is not None and not self._group.loaded:
                return cached[self._name].view(names, where)
        table = self._table()
        if where is None:
            return columns_of(table.ordered().values(), names)
        field, wanted = where
        if field in self._spec.indexes and None not in wanted:  # (indexes leave None out)
            ids = sorted({id for value in wanted for id in table.find(field, value)})
            return columns_of((table.docs[id] for id in ids), names)
        return columns_of((d for d in table.ordered().values() if d.get(field) in wanted), names)

    def _check_writable(self) -> None:
        if not self._session.writable:
            raise RuntimeError("changes need a store.write() context")

    def new_id(self) -> int:
        return self.new_ids(1)[0]

    def new_ids(self, count: int) -> range:
        self._check_writable()
        counters = [h for h in self._holders() if not isinstance(h, ColumnTable)]
        first = max(h.next_id for h in counters)
        for holder in counters:
            self._session.undo.append(holder.raise_next_id(first + count))
        self._session.moved[self._name] = first + count
        return range(first, first + count)

    def put(self, doc: Doc) -> None:
        self._check_writable()
        self._change(int(doc["id"]), doc)

    def put_many(self, docs: Sequence[Doc]) -> None:
        self._put_all(docs, new=False)

    def add_many(self, docs: Sequence[Doc]) -> None:
        self._put_all(docs, new=True)

    def _put_all(self, docs: Sequence[Doc], *, new: bool) -> None:
        self._check_writable()
        if not docs:
            return
        session, group, name = self._session, self._group, self._name
        group.revision += 1
        if new and self._spec.columns and not group.loaded and len(docs) >= BULK_COLUMNS:
            # loaded now, the cache takes the documents in one go; loaded after,
            # it would replay them one by one from the write's changes (a few
            # documents: cheaper than reading the cache to add them)
            session.store.load_columns(group, session)
        for holder in self._holders():
            session.undo.append(
                holder.add_many(docs)
                if new
                else undo_all([holder.set(doc["id"], doc) for doc in docs])
            )
        session.ops += zip(repeat(name), map(itemgetter("id"), docs), docs)
        top = max(doc["id"] for doc in docs)
        if top >= session.moved.get(name, 0):
            session.moved[name] = top + 1

    def delete(self, id: int) -> None:
        self._check_writable()
        if id in self._table().docs:
            self._change(id, None)

    def _change(self, id: int, doc: Doc | None) -> None:
        self._group.revision += 1
        for holder in self._holders():
            self._session.undo.append(holder.set(id, doc))
        self._session.ops.append((self._name, id, doc))
        if doc is not None and id >= self._session.moved.get(self._name, 0):
            self._session.moved[self._name] = id + 1


class TinyDBStore(Store):
    """The :class:`~clientcard.core.store.Store` over TinyDB files and a journal."""

    def __init__(
        self,
        data_dir: Path,
        specs: tuple[TableSpec, ...],
        settings: StorageSettings | None = None,
    ) -> None:
        self.dir = data_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        by_group: dict[str, list[TableSpec]] = {}
        for spec in specs:
            by_group.setdefault(spec.group, []).append(spec)
        self.journal = Journal(data_dir / "journal")
        #: what the journal proves about the other files: every group checks against it
        self.proofs = Proofs(self.journal.path)
        self.groups = {
            name: Group(name, data_dir / f"{name}.json", group_specs, self.proofs)
            for name, group_specs in by_group.items()
        }
        self.group_of = {spec.name: self.groups[spec.group] for spec in specs}
        #: shared with every other store of this process on the directory (see lock.py)
        self.lock = lock_for(data_dir / "lock")
        self._lock_released = False
        self.lock_timeout = min((settings or StorageSettings()).lock_timeout, threading.TIMEOUT_MAX)
        #: inode of the journal read so far, the offset after its last good record,
        #: its last sequence number, and the groups it touches
        self._journal_ino: int | None = None
        #: an open handle on that journal: while it is open its inode number cannot be
        #: reused by a later journal, so an equal number really means the same file
        self._journal_fd: int | None = None
        self._journal_offset = 0
        self._journal_groups: set[str] = set()
        self._session: Session | None = None
        #: where the journal ended before this process's last commit, and that commit:
        #: compaction right after a big commit replays it from memory, not from the file
        self._committed: tuple[int, Record] | None = None

    # -- keeping memory in step with the files ---------------------------------

    @property
    def _journal_seq(self) -> int:
        """The journal's last sequence number (kept in :attr:`proofs`, which checks
        every file read against it)."""
        return self.proofs.seq

    @_journal_seq.setter
    def _journal_seq(self, seq: int) -> None:
        self.proofs.seq = seq

    def _sync(self) -> None:
        """Bring what is in memory up to date with what other processes committed."""
        for group in self.groups.values():
            current = group.current_identity()
            if group.loaded and current != group.file_identity:
                group.loaded = False  # reloaded when next needed
            if group.keys is not None and current != group.keys_identity:
                group.keys = None
            if group.columns is not None and current != group.columns_identity:
                group.columns = None
        identity = self.journal.identity()
        if identity is None:
            self._untrack_journal()
            self._journal_offset = 0
            self._journal_groups = set()
            self._forget_journal()
            self._check_memory()
            return
        ino, size = identity
        if ino != self._journal_ino or size < self._journal_offset:
            self._track_journal()
            self._journal_offset = 0
            self._journal_groups = set()
        if size != self._journal_offset or self._journal_offset == 0:
            if self._journal_offset == 0:
                self._forget_journal()
            records, end, _ = self.journal.read(self._journal_offset)
            self._apply(records)
            self._journal_offset = end
            self._check_memory()

    def _forget_journal(self) -> None:
        """The journal is read from its start: what it proves is read afresh."""
        self._journal_seq = 0
        self.proofs.base = {}

    def _check_memory(self) -> None:
        """What this process read earlier cannot be newer than the journal: if it is,
        the journal lost records since (emptied, or replaced by an older copy)."""
        for group in self.groups.values():
            for seq, there in (
                (group.seq, group.loaded),
                (group.keys_seq, group.keys is not None),
                (group.columns_seq, group.columns is not None),
            ):
                if there:
                    self.proofs.not_ahead(group.storage.path, seq)

    def _track_journal(self) -> None:
        """Remember (and hold open) the journal file now at the path."""
        self._untrack_journal()
        try:
            fd = os.open(self.journal.path, os.O_RDONLY)
        except OSError:
            return  # gone, or unreadable: reading it says which, in one line
        self._journal_fd, self._journal_ino = fd, os.fstat(fd).st_ino

    def _untrack_journal(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
        self._journal_fd = self._journal_ino = None

    def _apply(self, records: list[Record]) -> None:
        for record in records:
            self._journal_seq = record.seq
            if record.base is not None:
                self.proofs.base = dict(record.base)
            for group in self.groups.values():
                group.apply(record)
            for table_name in {op[0] for op in record.ops}:
                touched = self.group_of.get(table_name)
                if touched is not None:  # else a table this version does not know
                    self._journal_groups.add(touched.name)
            self._journal_groups.update(n for n in record.snapshots if n in self.groups)

    def _replay(self, group: Group) -> None:
        """Replay the whole journal on a group just read from its files."""
        for record in self._journal_records():
            group.apply(record)

    def _journal_records(self) -> list[Record]:
        if self._committed is not None:
            start, last = self._committed
            records, end, _ = self.journal.read(0, until=start)
            if end == start:
                return [*records, last]
        return self.journal.read(0)[0]

    def load(self, group: Group, session: Session | None = None) -> None:
        """Load a group whole; inside a write, with that write's changes so far."""
        if group.loaded:
            return
        group.load_snapshot()
        self._replay(group)
        if session is not None:
            session.undo += apply_ops(group.tables, session.ops)
            for table_name, next_id in session.moved.items():
                if table_name in group.tables:
                    session.undo.append(group.tables[table_name].raise_next_id(next_id))

    def _changes_since(self, group: Group, name: str, seq: int) -> dict[int, Doc | None] | None:
        """Table ``name``'s documents changed by the journal after ``seq`` (None where
        deleted), to lay over a file written at ``seq``; None when a big commit of the
        group is not installed yet (its pending snapshot is the truth, not the journal)."""
        records = self._journal_records()
        if any(group.name in record.snapshots for record in records):
            return None
        changed: dict[int, Doc | None] = {}
        for record in records:
            if record.seq > seq:
                changed.update((int(id), doc) for t, id, doc in record.ops if t == name)
        return changed

    def stream(self, group: Group, name: str) -> Iterator[Doc] | None:
        """The documents of a scanned table as of now, read from its snapshot one at a
        time with the journal's changes laid over them; None when only loading it will do."""
        try:
            table = snapshot.stream_table(group.storage.path, name)
        except FileNotFoundError:
            return None
        if table is None:
            return None
        try:
            self.proofs.snapshot_read(group, group.storage.path, table.seq)
        except StoreError:
            table.close()
            raise
        changed = self._changes_since(group, name, table.seq)
        if changed is None:
            table.close()
            return None
        return snapshot.overlay(table, changed)

    def lookup(
        self, group: Group, name: str, field: str, folded: str, session: Session
    ) -> list[int] | None:
        """Ids holding ``folded`` in ``field`` from the group's lookups file, with the
        journal's and the session's later changes laid over; None when the file cannot
        answer (missing, stale, or a big commit not installed yet)."""
        found = group.lookup_file()
        if found is None:
            return None
        changed = self._changes_since(group, name, int(found.stamp.get("seq", 0)))
        if changed is None:
            return None
        changed.update((int(id), doc) for t, id, doc in session.ops if t == name)
        ids = set(found.ids(name, field, folded)) - changed.keys()
        ids.update(
            id
            for id, doc in changed.items()
            if doc is not None and lookups.folded(doc.get(field)) == folded
        )
        return sorted(ids)

    def load_keys(self, group: Group) -> None:
        """Have at least the keys of a group in memory (the whole group if they are stale)."""
        if group.loaded or group.keys is not None:
            return
        if group.load_keys():
            self._replay(group)
        if group.keys is None:  # stale, or a big commit since (see Group.apply)
            group.stale.setdefault("keys", "does not reflect the snapshot in place")
            self.load(group, self._session)
            self._save_caches(group, self._session)

    def load_columns(self, group: Group, session: Session | None) -> None:
        """Have the cached columns of a group in memory (else the whole group)."""
        if group.loaded or group.columns is not None:
            return
        if group.load_columns():
            self._replay(group)
        if group.columns is None:  # stale, or a big commit since (see Group.apply)
            group.stale.setdefault("columns", "does not reflect the snapshot in place")
            self.load(group, session)
            self._save_caches(group, session)
            return
        if session is not None:
            for table_name, id, doc in session.ops:
                if table_name in group.columns:
                    session.undo.append(group.columns[table_name].set(int(id), doc))

    def _save_caches(self, group: Group, session: Session | None) -> None:
        """After a whole load forced by an unusable cache: write it afresh, so that
        the next process need not load the group whole too.  Not once the write has
        changed something: the files must hold only what is committed."""
        if session is None or (not session.ops and not session.moved):
            group.save_caches()

    # -- the Store protocol ------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.lock.hold(exclusive=False, timeout=self.lock_timeout) as locked:
            if self._session is not None:
                yield self._session
                return
            if locked:
                self._sync()
                yield Session(self, writable=False)
                return
            # no lock file to lock (a read-only copy made without one): any writer
            # would make one first, and change the files; a read they changed is refused
            before = self._files()
            try:
                self._sync()
                yield Session(self, writable=False)
            except Exception as exc:
                if self._files() != before:
                    raise self._changed_unlocked() from exc
                raise
            if self._files() != before:
                raise self._changed_unlocked()

    def _files(self) -> tuple[object, ...]:
        """What any commit or compaction changes: the journal's and snapshots' identities."""
        return self.journal.identity(), *(g.current_identity() for g in self.groups.values())

    def _changed_unlocked(self) -> StoreError:
        return StoreError(
            f"{self.dir} changed while it was read without its lock "
            f"({self.lock.read_only}); run the command again"
        )

    def _alone(self) -> None:
        """Refuse a write through this store inside another store's write on this
        directory (the lock is this process's: only the holding thread gets here)."""
        if self.lock.writer is not None and self.lock.writer is not self:
            raise StoreError(
                f"a second Workspace on {self.dir.parent} cannot change it inside a write "
                "or batch() of another one in the same thread (one write would undo the "
                "other); make the change through the Workspace whose batch it is"
            )

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.lock.hold(exclusive=True, timeout=self.lock_timeout):
            if self._session is not None:
                yield self._session
                return
            self._alone()
            generation = self.lock.generation
            self._sync()
            session = self._session = Session(self, writable=True)
            self.lock.writer = self
            try:
                yield session
                if self.lock.generation != generation:
                    raise StoreError(
                        f"this process was forked inside a write to {self.dir.parent}; the "
                        "write is the parent's: open the workspace again in the child "
                        "(Workspace.open) and write there"
                    )
                committed = self._commit(session)
            except BaseException:
                session.rollback()
                raise
            finally:
                self._session = None
                self.lock.writer = None
            # the change is durable now: compaction is upkeep and must not undo it
            try:
                if committed:
                    self._maybe_compact()
            finally:
                self._committed = None

    def _commit(self, session: Session) -> bool:
        """Append the session's changes to the journal; False when there were none."""
        if not session.ops and not session.moved:
            return False
        # a snapshot may be ahead of a journal that went missing (restored from a backup)
        known = [g.seq for g in self.groups.values() if g.loaded]
        known += [g.keys_seq for g in self.groups.values() if g.keys is not None]
        known += [g.columns_seq for g in self.groups.values() if g.columns is not None]
        seq = max(self._journal_seq, *known) + 1
        if self._compacts_at_once(session):
            self._commit_snapshots(session, seq)
            return False
        data = encode(seq, session.ops, session.moved)
        start = self._journal_offset
        try:
            self._journal_offset = self.journal.append(data, start)
        except OSError as exc:
            raise StoreError(f"cannot write {self.journal.path}: {exc.strerror}") from None
        del data
        self._committed = start, Record(seq, session.ops, dict(session.moved), self._journal_offset)
        if self._journal_fd is None:  # the append created the journal
            self._track_journal()
        self._journal_seq = seq
        for table_name in {op[0] for op in session.ops} | set(session.moved):
            self._journal_groups.add(self.group_of[table_name].name)
        for group in self.groups.values():
            if group.loaded:
                group.seq = seq
            if group.keys is not None:
                group.keys_seq = seq
            if group.columns is not None:
                group.columns_seq = seq
        return True

    def _threshold(self, names: set[str]) -> float:
        """Journal bytes beyond which the snapshots of these groups are rewritten."""
        snapshot_bytes = sum(self.groups[name].size() for name in names)
        return max(MIN_COMPACT_BYTES, COMPACT_RATIO * snapshot_bytes)

    def _touched(self, session: Session) -> set[str]:
        tables = {op[0] for op in session.ops} | set(session.moved)
        return {self.group_of[table].name for table in tables}

    def _compacts_at_once(self, session: Session) -> bool:
        """Whether this commit's journal line would be compacted away right after."""
        ops = session.ops
        if len(ops) < BIG_COMMIT_OPS:
            return False
        sample = ops[:: max(1, len(ops) // 64)]
        estimate = len(orjson.dumps(sample)) * len(ops) / len(sample)
        names = self._journal_groups | self._touched(session)
        return self._journal_offset + estimate >= self._threshold(names)

    def _commit_snapshots(self, session: Session, seq: int) -> None:
        """Commit by writing whole snapshots: what a commit plus a compaction would do,
        without first writing (and then re-reading) a huge journal line.

        Every group the journal or the session touches is loaded and written
        to a pending file beside its snapshot; a small journal record naming
        them is the commit point; then each pending file replaces its
        snapshot and the journal starts afresh.  A crash before the record
        leaves only unused pending files; a crash after it leaves a record that
        readers follow to the pending files (Group.apply) until a compaction
        installs them.
        """
        names = sorted(self._journal_groups | self._touched(session))
        groups = [self.groups[name] for name in names]
        try:
            for group in groups:
                self.load(group, session)
            # writing a file lets go of the GIL: one thread writes each snapshot
            # while this one encodes the next
            with ThreadPoolExecutor(max_workers=1) as writer:
                written = [writer.submit(atomic_write, *group.pending(seq)) for group in groups]
            for done in written:
                done.result()
            data = encode(seq, [], dict(session.moved), snapshots=names)
            start = self._journal_offset
            self._journal_offset = self.journal.append(data, start)
        except OSError as exc:
            raise StoreError(f"cannot write {self.dir}: {exc.strerror or exc}") from None
        if self._journal_fd is None:
            self._track_journal()
        self._journal_seq = seq
        self._journal_groups.update(names)
        for group in groups:
            group.seq = seq
            if group.keys is not None:
                group.keys_seq = seq
            if group.columns is not None:
                group.columns_seq = seq
        # the change is durable now: installing the snapshots is upkeep
        try:
            for group in groups:
                group.install_pending(seq)
            self._restart_journal(seq)
        except OSError as exc:
            warnings.warn(
                f"the change is saved, but installing its snapshots in {self.dir} failed "
                f"({exc.strerror or exc}); a later change will finish it",
                RuntimeWarning,
                stacklevel=4,
            )

    def _restart_journal(self, seq: int) -> None:
        """Every change is in the snapshots: start a new journal, drop pending leftovers.

        The new journal's base record names every snapshot that exists and the change
        it holds at least (the groups just written hold ``seq``): what proves, later,
        that a missing or emptied snapshot is lost data and not an empty table.
        """
        snapshots = dict(self.proofs.base)
        for group in self.groups.values():
            if group.name in self._journal_groups:
                snapshots[group.name] = seq
            elif group.name not in snapshots and group.size() > 0:
                # a journal written before base records: what the file itself says
                meta = group.meta()
                snapshots[group.name] = int(meta.get("seq", 0)) if meta else 0
        self._journal_offset = self.journal.reset(seq, snapshots)
        self.proofs.base = snapshots
        self._track_journal()
        self._journal_groups = set()
        for leftover in self.dir.glob(".*.pending"):
            leftover.unlink(missing_ok=True)

    def _maybe_compact(self) -> None:
        if self._journal_offset < self._threshold(self._journal_groups):
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
        with self.lock.hold(exclusive=True, timeout=self.lock_timeout):
            self._alone()
            # under the exclusive lock no rewrite is under way: temp files are leftovers
            for leftover in self.dir.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)
            self._sync()
            seq = self._journal_seq
            for name in sorted(self._journal_groups):
                group = self.groups[name]
                self.load(group)
                group.write_snapshot(seq)
            self._restart_journal(seq)

    # -- verification --------------------------------------------------------------

    def in_write(self) -> bool:
        """Whether a write of this store is under way (in this thread, which holds it)."""
        return self._session is not None

    def forget(self) -> None:
        """Drop everything read from the files: the next operation reads them afresh."""
        self._untrack_journal()
        self._journal_offset = 0
        self._journal_groups = set()
        self._forget_journal()
        for group in self.groups.values():
            group.loaded = False
            group.keys = group.columns = None
            group._lookups = None
            group.stale.clear()
            group.revision += 1

    def sync(self) -> None:
        """Read what other processes committed (the caller holds the lock)."""
        self._sync()

    def check(self, repair: bool = False) -> list[Finding]:
        """Verify every file of the data directory against its checksum and against
        what the others prove; compare each cache with the documents (see
        :mod:`.integrity`).  With ``repair``, unusable caches are written afresh."""
        return integrity.check(self, repair)

    def close(self) -> None:
        self._untrack_journal()
        if not self._lock_released:
            self._lock_released = True
            self.lock.close()


@hookimpl
def clientcard_register_storage_backends(register: Callable[[str, Any], None]) -> None:
    register("tinydb", TinyDBStore)
