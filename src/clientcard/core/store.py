"""The storage protocol every backend implements.

A store holds named tables of JSON documents keyed by integer ids.  Ids come
from a per-table counter that never goes back, so an id is never reused after
deletion.  Every read happens inside ``store.read()`` and every change inside
``store.write()``: a write context holds the workspace lock from start to end
(several processes may share one workspace), sees every change other processes
committed before it began, and is committed as one durable unit when the block
ends without an exception; on an exception nothing is written.

Documents handed out by a table must not be mutated by the caller: ``put`` a
new dict instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, cast

from attrs import frozen

Doc = dict[str, Any]


@frozen
class TableSpec:
    """A table the workspace uses: its name, indexed fields, and the file group it lives in.

    Tables of the same ``group`` are stored together; a backend may keep groups
    apart so that busy tables (activity) do not rewrite quiet ones (customers).
    ``unique`` names indexed fields whose values identify one document: a
    backend may answer ``find`` on them, and ``new_id``, without loading the
    whole table (that is how adding one customer stays fast).  ``columns``
    names fields a backend may keep apart from the documents, so that
    :meth:`Table.columns` over them does not load every document (that is how
    classifying a million bookings stays fast).  ``scanned`` marks a table
    read whole, a document at a time (exported): a backend may then let
    :meth:`Table.scan` read it from disk without holding it in memory.
    ``lookups`` names text fields :meth:`Table.lookup` is asked about (a new
    customer's e-mail and phone, to find look-alikes): a backend may index
    their folded values apart, so that a lookup loads nothing.
    """

    name: str
    indexes: tuple[str, ...] = ()
    group: str = "main"
    unique: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    scanned: bool = False
    lookups: tuple[str, ...] = ()


class Table(Protocol):
    """One table as seen inside a read or write context."""

    def get(self, id: int) -> Doc | None:
        """The document with this id, or None."""

    def __iter__(self) -> Iterator[Doc]:
        """Every document, in id order."""

    def __len__(self) -> int:
        """How many documents the table holds."""

    def scan(self) -> Iterator[Doc]:
        """Every document, in id order, as of this context's start.

        The same as iterating, except that a table not already in memory need
        not be loaded whole: a backend may read it a document at a time (see
        ``TableSpec.scanned``).  The context may end before the iteration
        does.  Do not change the documents.
        """

    def find(self, index: str, value: Hashable) -> list[int]:
        """Ids of the documents whose indexed field ``index`` equals ``value``."""

    def lookup(self, field: str, folded: str) -> list[int]:
        """Ids (sorted) of the documents whose text ``field``, folded
        (:func:`clientcard.core.text.fold`), is ``folded``."""

    def revision(self) -> Hashable:
        """A value that changes whenever the table's documents may have changed, as this
        process sees them: what a caller derives from the documents can be kept under it."""

    def columns(
        self, names: Sequence[str], where: tuple[str, Collection[Any]] | None = None
    ) -> dict[str, list[Any]]:
        """The values of fields ``names`` in every document, as aligned lists.

        ``result["id"][i]`` is a document's id and ``result[name][i]`` its
        value of ``name`` (None when it has none); rows are in no particular
        order.  With ``where=(field, values)``, only the documents whose
        ``field`` is one of ``values``.  The lists belong to the store: do not
        change them.
        """


class WritableTable(Table, Protocol):
    """A table inside a write context."""

    def new_id(self) -> int:
        """Allocate an id never used before in this table."""

    def put(self, doc: Doc) -> None:
        """Insert or replace the document ``doc["id"]``."""

    def new_ids(self, count: int) -> range:
        """Allocate ``count`` consecutive ids never used before in this table."""

    def put_many(self, docs: Sequence[Doc]) -> None:
        """``put`` each document, in one go."""

    def add_many(self, docs: Sequence[Doc]) -> None:
        """Insert new documents, their ids allocated in this write (``new_id``/``new_ids``).

        The same as ``put`` on each, for bulk writes: a backend may skip
        looking for a document each one replaces.
        """

    def delete(self, id: int) -> None:
        """Remove the document with this id (absent ids are ignored)."""


class ReadSession(Protocol):
    def table(self, name: str) -> Table: ...


class WriteSession(Protocol):
    def table(self, name: str) -> WritableTable: ...


class Store(Protocol):
    """A storage backend opened on one workspace's data directory."""

    def read(self) -> AbstractContextManager[ReadSession]:
        """A consistent view of the latest committed state."""

    def write(self) -> AbstractContextManager[WriteSession]:
        """An exclusive, all-or-nothing change; nested calls join the outer one."""

    def close(self) -> None:
        """Release files and locks."""

    def check(self, repair: bool = False) -> list[Finding]:
        """Verify what the backend holds: every file or table it keeps, what each one
        proves about the others, its id counters and its caches.

        Each problem is one :class:`Finding`.  With ``repair``, what can be derived
        from the data (caches, indexes) is rebuilt and marked ``repaired``; data is
        never guessed at.  Reads whatever it needs afresh, under the lock.
        """


@frozen
class Finding:
    """One problem a check found: one line naming the file or record, what is wrong
    and what to do about it."""

    message: str
    #: derivable from the data (a cache): ``check --repair`` rebuilds it
    repairable: bool = False
    #: rebuilt by the check that found it
    repaired: bool = False


def holder(table: Table, doc: Doc, field: str) -> int | None:
    """The id of another document holding ``doc``'s value of a unique ``field``, if any."""
    value = doc.get(field)
    if value is None:
        return None
    return next((id for id in table.find(field, value) if id != doc["id"]), None)


def find_docs(table: Table, index: str, value: Hashable) -> list[Doc]:
    """The documents (not just ids) whose indexed field ``index`` equals ``value``."""
    return [doc for doc in (table.get(id) for id in table.find(index, value)) if doc is not None]


def columns_of(docs: Iterable[Doc], names: Sequence[str]) -> dict[str, list[Any]]:
    """What :meth:`Table.columns` returns, computed from documents."""
    out: dict[str, list[Any]] = {"id": [], **{name: [] for name in names}}
    pairs = [(values, name) for name, values in out.items()]
    for doc in docs:
        for values, name in pairs:
            values.append(doc.get(name))
    return out


#: What a storage plugin registers: builds a store from the data directory and tables
#: (and the ``[storage]`` settings, when it takes a ``settings`` keyword: see open_store).
StoreFactory = Callable[[Path, tuple[TableSpec, ...]], Store]


def open_store(
    factory: StoreFactory, data_dir: Path, tables: tuple[TableSpec, ...], settings: Any
) -> Store:
    """Build a store with ``factory``, handing it ``settings`` (the ``[storage]`` table:
    ``lock_timeout`` ...) when it takes a ``settings`` keyword.

    Looked up as pluggy looks up a hook implementation's arguments, so that a backend
    written before the settings existed keeps working unchanged.
    """
    try:
        takes = "settings" in inspect.signature(factory).parameters
    except (TypeError, ValueError):  # no signature to read (a builtin)
        takes = False
    if takes:
        return cast(Callable[..., Store], factory)(data_dir, tables, settings=settings)
    return factory(data_dir, tables)
