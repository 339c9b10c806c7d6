"""Duplicates: which customers are likely one person, merging them, undoing merges.

:class:`Dedupe` is the workspace's duplicates service (``workspace.dedupe``).
The detection is :mod:`clientcard.dedupe.detect` and the merge decisions
:mod:`clientcard.dedupe.merge` (both pure); the service reads the customers
for them, moves what points at merged records and keeps the merge record
that :meth:`Dedupe.unmerge` replays backwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from clientcard.core.clock import utc_now
from clientcard.core.context import Context
from clientcard.core.convert import customer_from_doc
from clientcard.core.errors import DuplicateError, MergeError, NotFoundError
from clientcard.core.fields import FieldSchema
from clientcard.core.memory import gc_paused
from clientcard.core.model import Customer
from clientcard.core.store import Doc, ReadSession, Table, TableSpec, WriteSession, find_docs
from clientcard.core.text import fold
from clientcard.customers import records
from clientcard.customers.links import SELF_LINKS, customer_references
from clientcard.customers.records import CUSTOMERS, MERGES
from clientcard.customers.service import Customers
from clientcard.dedupe import check as merge_check
from clientcard.dedupe.detect import (
    NAME,
    Detection,
    DuplicateGroup,
    FieldRule,
    LookAlike,
    LookAlikeFinder,
    Records,
    columns_like,
    could_match,
    detect,
    field_rules,
    name_blocks_matter,
)
from clientcard.dedupe.merge import (
    MERGE_STRATEGIES,
    Candidate,
    MergePlan,
    MergeStrategy,
    filled,
    plan,
)
from clientcard.dedupe.settings import DuplicatesSettings
from clientcard.fields.service import Fields
from clientcard.status.classify import HISTORY
from clientcard.status.service import Status

#: what a merge replaced, kept for unmerge: never read by everyday work
TABLES = (TableSpec(MERGES, group="merges"),)


def _where(table: str, field: str) -> str:
    return f"{table}.{field}"


@frozen
class MergeResult:
    """What :meth:`Dedupe.merge` did (or, with ``dry_run``, would do).

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


class Dedupe:
    """Likely duplicates among the customers (and look-alikes of a new one); merging
    two or more records into one with nothing lost, and undoing a merge."""

    def __init__(self, ctx: Context, fields: Fields, status: Status, customers: Customers) -> None:
        self.ctx = ctx
        self.fields = fields
        self.status = status
        self.customers = customers

    # -- duplicates ----------------------------------------------------------------------

    def find_duplicates(self, min_score: float | None = None) -> list[DuplicateGroup]:
        """Groups of customers that are likely one person, best first.

        ``min_score`` (0 to 1) defaults to ``[duplicates] min_score``.  Which
        fields count, and how, is ``[duplicates.fields]`` (docs/duplicates.md).
        """
        return self.detect_duplicates(min_score).groups

    def detect_duplicates(self, min_score: float | None = None) -> Detection:
        """What :meth:`find_duplicates` gives, with how many pairs were compared."""
        # gc paused: the columns and blocks of 100,000 customers are long-lived objects
        # the collector would otherwise scan again and again while pairs are scored
        with gc_paused():
            with self.ctx.read() as session:
                schema = self.fields.schema_in(session)
                rules = self._duplicate_rules(schema)
                records = _identity_records(session, rules)
            return detect(records, self._min_score(min_score))

    def similar_customers(
        self, values: Mapping[str, Any], *, min_score: float | None = None
    ) -> list[LookAlike]:
        """The stored customers a new record with ``values`` looks like, best first.

        ``values`` maps built-in and custom field keys to values as
        :meth:`add_customer` takes them (text as typed, or Python values); the
        identifying ones are checked as adding would check them.  Each
        :class:`LookAlike` has the customer's ``id`` and ``name``, the pair's
        ``score`` and its reasons.
        """
        with self.ctx.read() as session:
            schema = self.fields.schema_in(session)
            threshold = self._min_score(min_score)
            # only the fields this record has can count: the others need not be read
            rules = tuple(
                r for r in self._duplicate_rules(schema) if values.get(r.key) not in (None, "")
            )
            if not could_match(rules, threshold):
                return []  # (adding one customer then reads no other)
            stored = {r.key: schema.coerce(r.key, values[r.key]) for r in rules}
            table = session.table(CUSTOMERS)
            if not _anyone_shares(table, rules, stored, threshold):
                return []  # (the usual case: read no other customer at all)
            columns = table.columns(_identity_columns(rules))
        if not name_blocks_matter(rules, threshold):
            # only customers sharing a value can score: read just those rows
            columns = columns_like(rules, columns, stored)
        finder = LookAlikeFinder(Records.from_columns(rules, columns), threshold)
        return finder.find(stored)

    def look_alike_finder(
        self, session: ReadSession, schema: FieldSchema, min_score: float | None = None
    ) -> LookAlikeFinder | None:
        """A finder over the stored customers (None when no record could match one)."""
        rules = self._duplicate_rules(schema)
        threshold = self._min_score(min_score)
        if not could_match(rules, threshold):
            return None
        return LookAlikeFinder(_identity_records(session, rules), threshold)

    def _duplicate_rules(self, schema: FieldSchema) -> tuple[FieldRule, ...]:
        settings: DuplicatesSettings = self.ctx.settings_for("duplicates")
        return field_rules(schema, settings)

    def _min_score(self, given: float | None) -> float:
        if given is not None:
            return given
        settings: DuplicatesSettings = self.ctx.settings_for("duplicates")
        return settings.min_score

    # -- merging -------------------------------------------------------------------------

    def strategy(self, name: str | None = None) -> MergeStrategy:
        """The merge strategy called ``name`` (default: ``[merge] strategy``)."""
        return self.ctx.plugins.registry(MERGE_STRATEGIES).get(
            name or self.ctx.settings["merge"].strategy
        )

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
        chosen = self.strategy(strategy)
        with self.ctx.write() as session:
            schema = self.fields.schema_in(session)
            docs = [self.customers.existing(session, id) for id in ids]
            belongings = {
                doc["id"]: {
                    _where(name, field): find_docs(session.table(name), field, doc["id"])
                    for name, field in customer_references()
                }
                for doc in docs
            }
            candidates = [
                Candidate(
                    customer_from_doc(doc),
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
                sum_fields=self.ctx.settings["merge"].sum_fields,
            )
            now = utc_now()
            after = decided.document(now)
            moved: dict[str, int] = {}
            for name, field in customer_references():
                count = sum(len(belongings[id][_where(name, field)]) for id in decided.merged)
                moved[name] = moved.get(name, 0) + count
            if dry_run:
                return MergeResult(None, decided, customer_from_doc(after), moved)
            merge_id = self._apply_merge(session, schema, decided, docs, belongings, after, now)
            survivor = customer_from_doc(records.existing(session, decided.survivor))
            self.ctx.events.customers_merged(survivor, list(decided.merged), merge_id)
        return MergeResult(merge_id, decided, survivor, moved)

    def _apply_merge(
        self,
        session: WriteSession,
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
                    kept.put({**(kept.get(doc["id"]) or doc), field: decided.survivor})
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
        self.status.reclassify(session, [decided.survivor])  # (pinned dimensions stay)
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
                "after": records.existing(session, decided.survivor),
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
        self, session: WriteSession, schema: FieldSchema, decided: MergePlan
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
        with self.ctx.read() as session:
            return [_record(doc) for doc in session.table(MERGES)]

    def merge_record(self, merge_id: int) -> dict[str, Any]:
        """The whole merge record: the records as they were, every losing value, what moved."""
        with self.ctx.read() as session:
            return dict(self._merge_doc(session, merge_id))

    def check(self) -> list[str]:
        """Merge records that are damaged or disagree with the customers (a customer
        merged away still there): one line each (see :mod:`clientcard.dedupe.check`)."""
        with self.ctx.read() as session:
            return merge_check.problems(session)

    def _merge_doc(self, session: ReadSession, merge_id: int) -> Doc:
        doc = session.table(MERGES).get(merge_id)
        if doc is None:
            raise NotFoundError(f"no merge with id {merge_id}; see 'clientcard merges list'")
        return doc

    def unmerge(self, merge_id: int) -> list[Customer]:
        """Undo a merge: the records as they were before it, under their own ids.

        Activity that moved to the survivor goes back to its record; activity
        recorded on the survivor since the merge stays with the survivor.
        Changes made to the survivor since the merge are undone with it.
        Returns the restored customers, the survivor first.
        """
        with self.ctx.write() as session:
            merge = self._merge_doc(session, merge_id)
            if merge["undone_at"] is not None:
                raise MergeError(f"merge {merge_id} was already undone, at {merge['undone_at']}")
            table = session.table(CUSTOMERS)
            survivor = merge["survivor"]
            if table.get(survivor) is None:
                into = records.merged_into(session, survivor)
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
            restored = [customer_from_doc(doc) for doc in before]
            self.ctx.events.customers_unmerged(restored, merge_id)
        return restored


def _identity_records(session: ReadSession, rules: tuple[FieldRule, ...]) -> Records:
    """The customers' identifying values, read as columns.

    Built-in fields are top-level columns, which a store may keep apart
    from the documents (then nothing else is read); custom fields need
    the ``fields`` of every document.
    """
    columns = session.table(CUSTOMERS).columns(_identity_columns(rules))
    return Records.from_columns(rules, columns)


def _identity_columns(rules: tuple[FieldRule, ...]) -> list[str]:
    names = [NAME, *(r.key for r in rules if not r.custom and r.key != NAME)]
    if any(r.custom for r in rules):
        names.append("fields")
    return names


#: fields the customers table indexes by folded value (``TableSpec.lookups``)
LOOKUP_FIELDS = ("email", "phone")


def _anyone_shares(
    table: Table, rules: tuple[FieldRule, ...], values: Mapping[str, Any], threshold: float
) -> bool:
    """Whether a stored customer could look like ``values``: some customer shares one of
    its identifying values.  False only when that is certain and cheap to know.

    When names alone cannot reach the threshold, a look-alike shares a compared
    value, and (matched exactly or normalised) a shared compared value means a
    shared folded one: a lookup on each says no without reading any customer.
    """
    if name_blocks_matter(rules, threshold):
        return True
    for rule in rules:
        if rule.key == NAME:
            continue
        if rule.custom or rule.key not in LOOKUP_FIELDS or rule.match == "fuzzy":
            return True  # no cheap answer: compare them all
        value = values.get(rule.key)
        key = fold(value) if isinstance(value, str) else None
        if key and table.lookup(rule.key, key):
            return True
    return False


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
