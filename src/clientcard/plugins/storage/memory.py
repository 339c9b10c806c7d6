"""What the TinyDB store holds in memory: whole tables, or only their unique keys.

A table is either loaded whole (:class:`MemoryTable`: every document, indexes
built on first use) or known only by its id counter and its unique values
(:class:`TableKeys`, read from a small file written beside the snapshot).  The
second is enough to add a record, so ``clientcard customers add`` does not
parse every customer.  Every change returns a function that undoes it, which is
how a failed write leaves memory as it found it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from clientcard.core.errors import StoreError
from clientcard.core.memory import gc_paused
from clientcard.core.store import Doc, TableSpec

Undo = Callable[[], None]


def undo_all(undos: list[Undo]) -> Undo:
    """One undo for many changes: undoes them last first."""

    def undo() -> None:
        for one in reversed(undos):
            one()

    return undo


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
            with gc_paused():
                for id, doc in self.docs.items():
                    value = doc.get(name)
                    if value is not None:
                        index.setdefault(value, set()).add(id)
        return index

    def find(self, index: str, value: Hashable) -> list[int]:
        return sorted(self.index(index).get(value, ()))

    def set(self, id: int, doc: Doc | None) -> Undo:
        """Put or (with None) delete document ``id``; return what undoes it."""
        next_id = self.next_id
        old = self.docs.pop(id, None) if doc is None else self.docs.get(id)
        if old is not None:
            self._unindex(old)
        if doc is not None:
            if old is None and self._in_order and self.docs and id < next(reversed(self.docs)):
                self._in_order = False  # a put below the highest id, or an undone delete
            self.docs[id] = doc
            self._reindex(doc)
            if id >= self.next_id:
                self.next_id = id + 1

        def undo() -> None:
            self.set(id, old)
            self.next_id = next_id

        return undo

    def add_many(self, docs: Sequence[Doc]) -> Undo:
        """Put documents that are new to the table; return what undoes it."""
        last = next(reversed(self.docs), 0) if self._in_order else None
        if self._indexes or last is None or any(doc["id"] <= last for doc in docs):
            return undo_all([self.set(doc["id"], doc) for doc in docs])
        # new ids above every other and no index to keep: a plain bulk insert
        next_id = self.next_id
        self.docs.update((doc["id"], doc) for doc in docs)
        self._in_order = all(a["id"] < b["id"] for a, b in pairwise(docs))
        self.next_id = max(next_id, max((doc["id"] for doc in docs), default=0) + 1)

        def undo() -> None:
            for doc in docs:
                self.docs.pop(doc["id"], None)
            self._in_order = True
            self.next_id = next_id

        return undo

    def raise_next_id(self, at_least: int) -> Undo:
        previous = self.next_id
        self.next_id = max(previous, at_least)
        return lambda: setattr(self, "next_id", previous)

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

    def unique_values(self) -> dict[str, dict[Hashable, int]]:
        """For each unique field, value → id: what :class:`TableKeys` is built from."""
        out: dict[str, dict[Hashable, int]] = {}
        for name in self.spec.unique:
            index = self._indexes.get(name)
            if index is not None:
                out[name] = {value: min(ids) for value, ids in index.items()}
                continue
            # one pass, no index: a million bookings need not build a million sets
            found = out[name] = {}
            for id, doc in self.ordered().items():
                value = doc.get(name)
                if value is not None and value not in found:
                    found[value] = id
        return out


class TableKeys:
    """A table known only by its id counter and its unique values (no documents)."""

    def __init__(self, spec: TableSpec, next_id: int, forward: dict[str, dict[Any, int]]) -> None:
        self.spec = spec
        self.next_id = next_id
        self.forward = {name: forward.get(name, {}) for name in spec.unique}
        self._reverse: dict[str, dict[int, Any]] = {}

    def reverse(self, name: str) -> dict[int, Any]:
        """id → value for one unique field, built when an existing record changes."""
        found = self._reverse.get(name)
        if found is None:
            found = self._reverse[name] = {id: v for v, id in self.forward[name].items()}
        return found

    def find(self, name: str, value: Hashable) -> list[int]:
        id = self.forward[name].get(value)
        return [] if id is None else [id]

    def raise_next_id(self, at_least: int) -> Undo:
        previous = self.next_id
        self.next_id = max(previous, at_least)
        return lambda: setattr(self, "next_id", previous)

    def add_many(self, docs: Sequence[Doc]) -> Undo:
        """Record documents new to the table (no earlier values of theirs to forget)."""
        next_id = self.next_id
        taken: dict[str, list[tuple[Any, int]]] = {}
        replaced: list[tuple[str, Any, int]] = []
        for name, forward in self.forward.items():
            pairs = taken[name] = [
                (value, doc["id"]) for doc in docs if (value := doc.get(name)) is not None
            ]
            if not forward.keys().isdisjoint(value for value, _ in pairs):
                # rare: a value another document holds (the caller checked it may)
                replaced += [(name, v, forward[v]) for v, _ in pairs if v in forward]
            forward.update(pairs)
            reverse = self._reverse.get(name)
            if reverse is not None:
                reverse.update((id, value) for value, id in pairs)
        self.next_id = max(next_id, max((d["id"] for d in docs), default=0) + 1)

        def undo() -> None:
            for name, pairs in taken.items():
                forward, reverse = self.forward[name], self._reverse.get(name)
                for value, id in pairs:
                    forward.pop(value, None)
                    if reverse is not None:
                        reverse.pop(id, None)
            for name, value, holder in replaced:
                self.forward[name][value] = holder
            self.next_id = next_id

        return undo

    def set(self, id: int, doc: Doc | None) -> Undo:
        """Record that document ``id`` is now ``doc`` (None: deleted); return the undo."""
        next_id = self.next_id
        changes: list[tuple[str, Any, Any, Any, Any]] = []
        for name, forward in self.forward.items():
            reverse = self.reverse(name)
            old = reverse.pop(id, None)
            new = None if doc is None else doc.get(name)
            old_holder = None if old is None else forward.get(old)
            new_holder = None if new is None else forward.get(new)
            changes.append((name, old, old_holder, new, new_holder))
            if old is not None and old_holder == id:
                del forward[old]
            if new is not None:
                forward[new] = id
                reverse[id] = new
        if doc is not None and id >= self.next_id:
            self.next_id = id + 1

        def undo() -> None:
            for name, old, old_holder, new, new_holder in reversed(changes):
                forward, reverse = self.forward[name], self.reverse(name)
                reverse.pop(id, None)
                if new is not None:
                    if new_holder is None:
                        forward.pop(new, None)
                    else:
                        forward[new] = new_holder
                if old is not None:
                    reverse[id] = old
                    if old_holder is not None:
                        forward[old] = old_holder
            self.next_id = next_id

        return undo
