"""Merging customers and undoing merges.

One part of :class:`~clientcard.core.workspace.Workspace`; the facade's own
docstring says what every operation guarantees.  The decisions are
:mod:`clientcard.dedupe.merge`'s; this part reads the records, moves what points
at them and keeps the merge record that ``unmerge`` replays backwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from clientcard.core.clock import utc_now
from clientcard.core.errors import DuplicateError, MergeError, NotFoundError
from clientcard.core.fields import FieldSchema
from clientcard.core.model import Customer
from clientcard.core.store import Doc, find_docs
from clientcard.core.workspace_customers import CustomersPart
from clientcard.customers import records
from clientcard.customers.links import SELF_LINKS, customer_references
from clientcard.customers.records import CUSTOMERS
from clientcard.dedupe.merge import (
    MERGE_STRATEGIES,
    MERGES,
    Candidate,
    MergePlan,
    MergeStrategy,
    filled,
    plan,
)
from clientcard.status.classify import HISTORY


def _where(table: str, field: str) -> str:
    return f"{table}.{field}"


@frozen
class MergeResult:
    """What :meth:`MergePart.merge` did (or, with ``dry_run``, would do).

    ``merge_id`` is None for a dry run; ``moved`` counts the documents moved
    to the survivor per table.
    """

    merge_id: int | None
    plan: MergePlan
    survivor: Customer
    moved: dict[str, int]


@frozen
class MergeRecord:
    """One merge as ``clientcard merges list`` shows it."""

    id: int
    at: datetime
    strategy: str
    survivor: int
    merged: tuple[int, ...]
    undone_at: datetime | None


class MergePart(CustomersPart):
    def get_customer(self, id: int) -> Customer:
        """The customer with this id, or :class:`~clientcard.NotFoundError` (naming the
        survivor when the id was merged away)."""
        with self.store.read() as session:
            return self._customer(self._existing(session, id))

    def _existing(self, session: Any, id: int) -> Doc:
        """Customer ``id``'s document; a merged-away id is an error naming where it went."""
        try:
            return records.existing(session.table(CUSTOMERS), id)
        except NotFoundError:
            into = self._merged_into(session, id)
            if into is None:
                raise
            raise NotFoundError(
                f"customer {id} was merged into customer {into[0]} (merge {into[1]}); "
                f"see 'clientcard customers show {into[0]}'"
            ) from None

    def merged_into(self, id: int) -> tuple[int, int] | None:
        """Where a merged-away id now lives: (survivor, merge id), following later merges
        of the survivor; None when ``id`` was never merged away (or the merge was undone)."""
        with self.store.read() as session:
            return self._merged_into(session, id)

    def _merged_into(self, session: Any, id: int) -> tuple[int, int] | None:
        found = None
        for doc in session.table(MERGES):  # oldest first: a chain is followed in one pass
            if doc["undone_at"] is None and id in doc["merged"]:
                found = (doc["survivor"], doc["id"])
                id = doc["survivor"]
        return found

    def merge_strategy(self, name: str | None = None) -> MergeStrategy:
        """The merge strategy called ``name`` (default: ``[merge] strategy``)."""
        return self.plugins.registry(MERGE_STRATEGIES).get(name or self.settings["merge"].strategy)

    def merge(
        self,
        ids: Sequence[int],
        *,
        strategy: str | None = None,
        into: int | None = None,
        dry_run: bool = False,
    ) -> MergeResult:
        """Merge two or more customers into one, in one write.

        ``strategy`` names a merge strategy (default ``[merge] strategy``);
        ``into`` forces the survivor.  Activity and status history of the
        merged-away records move to the survivor; the merge record keeps the
        records as they were and every losing value, so :meth:`unmerge` can
        undo it.  With ``dry_run`` nothing is written: the result shows the
        plan.  Hosts hear ``clientcard_customers_merged``.
        """
        chosen = self.merge_strategy(strategy)
        with self._write() as session:
            schema = self._schema(session)
            table = session.table(CUSTOMERS)
            docs = [self._existing(session, id) for id in ids]
            belongings = {
                doc["id"]: {
                    _where(name, field): find_docs(session.table(name), field, doc["id"])
                    for name, field in customer_references()
                }
                for doc in docs
            }
            candidates = [
                Candidate(
                    self._customer(doc),
                    filled(doc),
                    sum(len(found) for found in belongings[doc["id"]].values()),
                )
                for doc in docs
            ]
            decided = plan(
                chosen,
                candidates,
                schema,
                into=into,
                sum_fields=self.settings["merge"].sum_fields,
            )
            now = utc_now()
            after = decided.document(now)
            moved: dict[str, int] = {}
            for name, field in customer_references():
                count = sum(len(belongings[id][_where(name, field)]) for id in decided.merged)
                moved[name] = moved.get(name, 0) + count
            if dry_run:
                return MergeResult(None, decided, self._customer(after), moved)
            merge_id = self._apply_merge(session, schema, decided, docs, belongings, after, now)
            survivor = self._customer(records.existing(table, decided.survivor))
            self._emit("customers_merged", survivor, list(decided.merged), merge_id)
        return MergeResult(merge_id, decided, survivor, moved)

    def _apply_merge(
        self,
        session: Any,
        schema: FieldSchema,
        decided: MergePlan,
        docs: Sequence[Doc],
        belongings: dict[int, dict[str, list[Doc]]],
        after: Doc,
        now: datetime,
    ) -> int:
        table = session.table(CUSTOMERS)
        for id in decided.merged:
            table.delete(id)
        records.check_unique(table, after)
        table.put(after)
        moves: dict[str, list[list[int]]] = {}
        for name, field in customer_references():
            kept, where = session.table(name), _where(name, field)
            for id in decided.merged:
                for doc in belongings[id][where]:
                    kept.put({**kept.get(doc["id"]), field: decided.survivor})
                    moves.setdefault(where, []).append([doc["id"], id])
        # a link between two of the merged records would now join the survivor to itself
        removed: dict[str, list[Doc]] = {}
        for name, (one, other) in SELF_LINKS.items():
            kept = session.table(name)
            for doc in find_docs(kept, one, decided.survivor):
                if doc[other] == decided.survivor:
                    kept.delete(doc["id"])
                    removed.setdefault(name, []).append(_original(doc, moves, name))
        history = session.table(HISTORY)
        known = {doc["id"] for doc in find_docs(history, "customer_id", decided.survivor)}
        self._reclassify(session, [decided.survivor])  # (pinned dimensions stay)
        added = [
            doc["id"]
            for doc in find_docs(history, "customer_id", decided.survivor)
            if doc["id"] not in known
        ]
        merges = session.table(MERGES)
        merge_id: int = merges.new_id()
        merges.put(
            {
                "id": merge_id,
                "at": now.isoformat(),
                "strategy": decided.strategy,
                "survivor": decided.survivor,
                "merged": list(decided.merged),
                "before": {str(doc["id"]): doc for doc in docs},
                "after": records.existing(table, decided.survivor),
                "lost": decided.lost(),
                "moved": moves,
                "removed": removed,
                "repointed": self._repoint_fields(session, schema, decided),
                "history_added": added,
                "undone_at": None,
            }
        )
        return merge_id

    def _repoint_fields(
        self, session: Any, schema: FieldSchema, decided: MergePlan
    ) -> list[list[Any]]:
        """Point other customers' customer-reference fields (type ``customer``) at the
        survivor; return ``[customer id, field, previous value]`` of each change."""
        keys = [d.key for d in schema.defs.values() if d.type == "customer"]
        if not keys:
            return []
        gone = set(decided.merged)
        table = session.table(CUSTOMERS)
        changes: list[list[Any]] = []
        for doc in list(table):
            if doc["id"] == decided.survivor:
                continue
            fields = doc["fields"]
            moved = {k: decided.survivor for k in keys if fields.get(k) in gone}
            if moved:
                changes += [[doc["id"], k, fields[k]] for k in moved]
                table.put({**doc, "fields": {**fields, **moved}})
        return changes

    def merges(self) -> list[MergeRecord]:
        """Every merge, oldest first (undone ones too, with when)."""
        with self.store.read() as session:
            return [_record(doc) for doc in session.table(MERGES)]

    def merge_details(self, merge_id: int) -> dict[str, Any]:
        """The whole merge record: the records as they were, every losing value, what moved."""
        with self.store.read() as session:
            return dict(self._merge_doc(session, merge_id))

    def _merge_doc(self, session: Any, merge_id: int) -> Doc:
        doc = session.table(MERGES).get(merge_id)
        if doc is None:
            raise NotFoundError(f"no merge with id {merge_id}; see 'clientcard merges list'")
        return doc  # type: ignore[no-any-return]

    def unmerge(self, merge_id: int) -> list[Customer]:
        """Undo a merge: the records as they were before it, under their own ids.

        Activity that moved to the survivor goes back to its record; activity
        recorded on the survivor since the merge stays with the survivor.
        Changes made to the survivor since the merge are undone with it.
        Returns the restored customers, the survivor first.
        """
        with self._write() as session:
            merge = self._merge_doc(session, merge_id)
            if merge["undone_at"] is not None:
                raise MergeError(f"merge {merge_id} was already undone, at {merge['undone_at']}")
            table = session.table(CUSTOMERS)
            survivor = merge["survivor"]
            if table.get(survivor) is None:
                into = self._merged_into(session, survivor)
                why = (
                    f"was merged again (merge {into[1]}): undo that one first"
                    if into
                    else "was deleted since"
                )
                raise MergeError(
                    f"cannot undo merge {merge_id}: its survivor, customer {survivor}, {why}"
                )
            before = [merge["before"][str(id)] for id in (survivor, *merge["merged"])]
            for doc in before:
                table.put(doc)
            try:
                for doc in before:
                    records.check_unique(table, doc)
            except DuplicateError as exc:  # a customer added since took an external id back
                raise MergeError(f"cannot undo merge {merge_id}: {exc.message}") from None
            for where, moves in merge["moved"].items():
                name, field = where.rsplit(".", 1)
                kept = session.table(name)
                for id, owner in moves:
                    doc = kept.get(id)
                    if doc is not None and doc[field] == survivor:
                        kept.put({**doc, field: owner})
            for id, key, value in merge.get("repointed", []):
                doc = table.get(id)
                if doc is not None and doc["fields"].get(key) == survivor:
                    table.put({**doc, "fields": {**doc["fields"], key: value}})
            for name, docs in merge.get("removed", {}).items():
                kept = session.table(name)
                for doc in docs:
                    kept.put(doc)
            history = session.table(HISTORY)
            for id in merge["history_added"]:
                history.delete(id)
            session.table(MERGES).put({**merge, "undone_at": utc_now().isoformat()})
            restored = [self._customer(doc) for doc in before]
            self._emit("customers_unmerged", restored, merge_id)
        return restored


def _record(doc: Doc) -> MergeRecord:
    undone = doc.get("undone_at")
    return MergeRecord(
        id=doc["id"],
        at=datetime.fromisoformat(doc["at"]),
        strategy=doc["strategy"],
        survivor=doc["survivor"],
        merged=tuple(doc["merged"]),
        undone_at=None if undone is None else datetime.fromisoformat(undone),
    )


def _original(doc: Doc, moves: dict[str, list[list[int]]], name: str) -> Doc:
    """A re-pointed document as it was before the merge re-pointed it."""
    original = dict(doc)
    for where, moved in moves.items():
        table, field = where.rsplit(".", 1)
        if table == name:
            for id, owner in moved:
                if id == doc["id"]:
                    original[field] = owner
    return original
