"""Merging customer records: the strategy plugins decide, the engine guarantees.

A :class:`MergeStrategy` (a plugin kind, registered with
``clientcard_register_merge_strategies``) answers two questions: which record
survives, and, for a field where the records disagree, whose value is kept.
Everything else is the engine's, whatever the strategy:

- a field blank in the survivor is filled from another record;
- tags are unioned; e-mail addresses and phone numbers too (the ones not kept
  as ``email``/``phone`` go to ``other_emails``/``other_phones``);
- the join date is the earliest; fields named in ``[merge] sum_fields``
  (opening totals) are added up;
- a pinned status or tier survives;
- every value that loses is kept in the merge record, with the record it came
  from, and so are the records as they were: nothing is lost, and
  ``unmerge`` can put them back.

:func:`plan` is pure: it takes the records and returns a :class:`MergePlan`,
which ``merge --dry-run`` shows and :meth:`MergePlan.document` turns into the
survivor's new document.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from attrs import frozen

from clientcard.core.convert import to_json
from clientcard.core.errors import ValidationError
from clientcard.core.fields import BUILTIN_KEYS, FieldSchema
from clientcard.core.model import Customer, JSONValue
from clientcard.core.plugins import Kind
from clientcard.core.store import Doc

#: built-in fields a strategy decides (the join date is always the earliest)
DECIDED = ("name", "email", "phone", "external_id")
#: where the addresses and numbers not kept as the primary ones go
OTHERS = {"email": "other_emails", "phone": "other_phones"}


@frozen
class FieldValue:
    """One record's value of one field, as a strategy sees it.

    ``value`` is in stored (canonical JSON) form; ``updated_at`` is when that
    record last changed (clientcard keeps one time per record, not per field).
    """

    customer_id: int
    value: JSONValue
    updated_at: datetime


@frozen
class Candidate:
    """One record going into a merge: the customer, how many fields it fills
    (tags and other e-mails and phones count one each) and how much activity it owns."""

    customer: Customer
    filled: int
    activity: int


class MergeStrategy:
    """Base class for merge strategies; subclass it in a plugin and register an instance.

    Set ``name`` (what ``clientcard merge --strategy`` and ``[merge] strategy``
    take) and ``description``.  Override :meth:`survivor` and/or :meth:`pick`;
    both are pure.  The engine calls :meth:`pick` only for a field where two
    or more records hold different values.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def survivor(self, candidates: Sequence[Candidate]) -> int:
        """The id of the record that survives (``candidates`` are in the order given).

        The default: the most complete record; then the one with the most
        activity; then the oldest.
        """
        return most_complete(candidates)

    def pick(self, key: str, values: Sequence[FieldValue], survivor: int) -> FieldValue:
        """The value kept for field ``key`` among ``values`` (the records' differing,
        non-empty values, in the order the records were given).

        The default: the survivor's value, else the first.
        """
        return next((v for v in values if v.customer_id == survivor), values[0])


def most_complete(candidates: Sequence[Candidate]) -> int:
    """The id of the record with the most information (fields, then activity; oldest on a tie)."""
    best = max(candidates, key=lambda c: (c.filled, c.activity, -c.customer.id))
    return best.customer.id


def filled(doc: Doc) -> int:
    """How much a customer document holds: fields with a value, tags, other addresses."""
    builtin = sum(doc.get(key) not in (None, "") for key in (*DECIDED, "joined_at"))
    custom = sum(value not in (None, "", [], {}) for value in doc["fields"].values())
    extra = sum(len(doc.get(key) or ()) for key in ("tags", *OTHERS.values()))
    return builtin + custom + extra


@frozen
class PlannedValue:
    """A field of the merged record: its value, the record it came from (None when
    added up from several), and the differing values that lost."""

    key: str
    value: JSONValue
    source: int | None
    lost: tuple[FieldValue, ...] = ()


@frozen
class MergePlan:
    """What a merge will do, field by field; :meth:`document` is the survivor's new record."""

    strategy: str
    survivor: int
    merged: tuple[int, ...]
    values: tuple[PlannedValue, ...]
    tags: tuple[str, ...]
    other_emails: tuple[str, ...]
    other_phones: tuple[str, ...]
    #: dimension -> (value, the record it came from) for a pinned status or tier
    pinned: Mapping[str, tuple[str | None, int]]
    base: Doc

    def document(self, now: datetime) -> Doc:
        """The survivor's document after the merge (status re-classified afterwards
        unless pinned)."""
        doc = dict(self.base)
        doc["fields"] = {}
        for planned in self.values:
            if planned.key in BUILTIN_KEYS:
                doc[planned.key] = planned.value
            elif planned.value is not None:
                doc["fields"][planned.key] = planned.value
        doc["tags"] = list(self.tags)
        doc["other_emails"] = list(self.other_emails)
        doc["other_phones"] = list(self.other_phones)
        for dimension, (value, _) in self.pinned.items():
            doc[dimension] = value
        doc["pinned"] = sorted(self.pinned)
        doc["updated_at"] = now.isoformat()
        return doc

    def lost(self) -> list[dict[str, Any]]:
        """Every losing value: ``{"field", "value", "from"}``."""
        return [
            {"field": planned.key, "value": lost.value, "from": lost.customer_id}
            for planned in self.values
            for lost in planned.lost
        ]


def plan(
    strategy: MergeStrategy,
    candidates: Sequence[Candidate],
    schema: FieldSchema,
    *,
    into: int | None = None,
    sum_fields: Collection[str] = (),
) -> MergePlan:
    """Decide a merge of ``candidates`` (two or more, in the order given)."""
    ids = [c.customer.id for c in candidates]
    if len(ids) < 2 or len(set(ids)) != len(ids):
        raise ValidationError("ids", " ".join(map(str, ids)), "two or more different customer ids")
    if into is not None and into not in ids:
        raise ValidationError("into", into, f"one of the ids being merged ({_listed(ids)})")
    survivor = into if into is not None else strategy.survivor(candidates)
    if survivor not in ids:
        raise ValidationError(
            "strategy", strategy.name, f"a strategy choosing one of {_listed(ids)}"
        )
    # the survivor first: its values and spellings come before the others'
    ordered = sorted(candidates, key=lambda c: c.customer.id != survivor)
    by_id = {c.customer.id: c.customer for c in candidates}
    values = [
        _decide(strategy, key, ordered, survivor, sum_fields) for key in _keys(schema, ordered)
    ]
    chosen = {planned.key: planned.value for planned in values}
    others = {key: _others(ordered, key, chosen.get(key)) for key in OTHERS}
    pinned: dict[str, tuple[str | None, int]] = {}
    for dimension in ("status", "tier"):
        holder = next((c.customer for c in ordered if dimension in c.customer.pinned), None)
        if holder is not None:
            pinned[dimension] = (getattr(holder, dimension), holder.id)
    tags: dict[str, str] = {}
    for c in ordered:
        for tag in c.customer.tags:
            tags.setdefault(tag.casefold(), tag)
    base: Doc = to_json(by_id[survivor])
    return MergePlan(
        strategy=strategy.name,
        survivor=survivor,
        merged=tuple(id for id in ids if id != survivor),
        values=tuple(values),
        tags=tuple(tags.values()),
        other_emails=others["email"],
        other_phones=others["phone"],
        pinned=pinned,
        base=base,
    )


def _listed(ids: Sequence[int]) -> str:
    return ", ".join(map(str, ids))


def _keys(schema: FieldSchema, candidates: Sequence[Candidate]) -> list[str]:
    """Every field to decide: the schema's, then values of fields no longer defined."""
    keys = [key for key in schema.defs if key != "joined_at"]
    for c in candidates:
        keys += [key for key in c.customer.fields if key not in keys]
    return ["joined_at", *keys]


def _value_of(customer: Customer, key: str) -> JSONValue:
    if key == "joined_at":
        return None if customer.joined_at is None else customer.joined_at.isoformat()
    if key in BUILTIN_KEYS:
        return getattr(customer, key)
    return customer.fields.get(key)


def _decide(
    strategy: MergeStrategy,
    key: str,
    candidates: Sequence[Candidate],
    survivor: int,
    sum_fields: Collection[str],
) -> PlannedValue:
    present = [
        FieldValue(c.customer.id, value, c.customer.updated_at)
        for c in candidates
        if (value := _value_of(c.customer, key)) not in (None, "")
    ]
    distinct: list[FieldValue] = []
    for value in present:
        if all(value.value != seen.value for seen in distinct):
            distinct.append(value)
    if not distinct:
        return PlannedValue(key, None, None)
    if len(distinct) == 1:
        return PlannedValue(key, distinct[0].value, distinct[0].customer_id)
    if key == "joined_at":  # a customer since the first of their records
        earliest = min(distinct, key=lambda v: str(v.value))
        return PlannedValue(key, earliest.value, earliest.customer_id)
    if key in sum_fields and (total := add_up([v.value for v in present])) is not None:
        return PlannedValue(key, total, None)
    kept = strategy.pick(key, distinct, survivor)
    if kept not in distinct:
        raise ValidationError(
            "strategy", strategy.name, f"a strategy picking one of the values of {key!r}"
        )
    lost = tuple(v for v in distinct if v is not kept and not _gathered(key, v.value))
    return PlannedValue(key, kept.value, kept.customer_id, lost)


def _gathered(key: str, value: JSONValue) -> bool:
    """Whether a losing value is kept on the record anyway (as another e-mail or phone)."""
    return key in OTHERS and isinstance(value, str)


def _others(candidates: Sequence[Candidate], key: str, kept: JSONValue) -> tuple[str, ...]:
    """Every address (or number) of the records but the one kept, each once."""
    others: dict[str, str] = {}
    if isinstance(kept, str):
        others[kept.casefold()] = kept
    for c in candidates:
        primary = getattr(c.customer, key)
        extra = getattr(c.customer, OTHERS[key])
        for value in (primary, *extra):
            if value:
                others.setdefault(value.casefold(), value)
    return tuple(v for v in others.values() if v != kept)


def add_up(values: Sequence[JSONValue]) -> JSONValue:
    """The sum of stored values (numbers, decimal texts, or money of one currency);
    None when they cannot be added."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return sum(values)
    try:
        if all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in values):
            total = sum((Decimal(str(v)) for v in values), Decimal(0))
            return float(total) if any(isinstance(v, float) for v in values) else str(total)
        if all(isinstance(v, Mapping) and set(v) == {"amount", "currency"} for v in values):
            if len({v["currency"] for v in values}) != 1:
                return None
            total = sum((Decimal(v["amount"]) for v in values), Decimal(0))
            return {"amount": str(total), "currency": values[0]["currency"]}
    except InvalidOperation:
        return None
    return None


#: what plugins register with ``clientcard_register_merge_strategies``
MERGE_STRATEGIES: Kind[MergeStrategy] = Kind(
    "clientcard_register_merge_strategies",
    "merge strategy",
    "merge strategies",
    "merge_strategies",
    MergeStrategy,
    "clientcard.MergeStrategy",
)
