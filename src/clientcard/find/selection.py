"""Which customers: a :class:`Selection` of filters, and the engine that applies it.

Every filter given must hold (they combine with AND); a selection with no
filter selects every customer.  The same selection drives ``customers list``,
the bulk actions (tags, edits, statuses, deletion) and saved segments, from
the CLI and the API alike.

Filters run over the customer documents in memory, cheapest first, each
narrowing the ids the next one looks at.  Search compares folded texts
(:func:`~clientcard.core.text.fold`), computed once per document and kept
until the document changes.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from itertools import chain
from typing import TYPE_CHECKING, Any

import attrs
from attrs import evolve, field, frozen

from clientcard.core.errors import ValidationError
from clientcard.core.fields import FieldSchema
from clientcard.core.store import Doc
from clientcard.core.text import fold
from clientcard.customers.tags import tag_key

if TYPE_CHECKING:
    from clientcard.find.where import Condition, Expr

#: built-in keys a selection may sort by, besides custom fields
SORTABLE = ("id", "name", "email", "phone", "external_id", "joined_at", "status", "tier")


def _tuple(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return tuple(value or ())


def _days(_: Any, attribute: Any, value: int | None) -> None:
    if value is not None and not (isinstance(value, int) and 0 <= value <= 366):
        raise ValidationError("birthday_within", value, "a number of days from 0 to 366")


@frozen(kw_only=True)
class Selection:
    """Filters over customers; every one given must hold.

    ``search`` finds words (or parts of words) in the name, e-mail, phone
    (and the other e-mails and phones kept by merges) and external id,
    forgiving case, accents, width and Persian/Arabic letter variants.
    ``statuses``/``tiers``: any of these.  ``tags``: all of them, or any with
    ``any_tag``.  ``email``/``phone`` are matched as stored (after
    the field type normalises them).  ``where`` is an expression such as
    ``"city = Roma and visits >= 3"`` (docs/filters.md).  Activity filters:
    the last completed booking before/after a date, an upcoming booking, an
    overdue payment, a campaign viewed or clicked.  ``birthday_within``: a
    birthday (field ``birth_date``, else ``birthday``) from today to that many
    days ahead, 0 for today, re-reckoned each day.  ``ids`` limits the
    selection to those customers; ``segment`` adds a saved segment's filters.
    """

    ids: tuple[int, ...] = field(default=(), converter=_tuple)
    search: str | None = None
    statuses: tuple[str, ...] = field(default=(), converter=_tuple)
    tiers: tuple[str, ...] = field(default=(), converter=_tuple)
    tags: tuple[str, ...] = field(default=(), converter=_tuple)
    any_tag: bool = False
    joined_from: date | None = None
    joined_to: date | None = None
    email: str | None = None
    phone: str | None = None
    where: str | None = None
    last_booking_before: date | None = None
    last_booking_after: date | None = None
    upcoming_booking: bool = False
    overdue_payment: bool = False
    viewed_campaign: str | None = None
    clicked_campaign: str | None = None
    #: a birthday (the ``birth_date`` field) today or within this many days
    birthday_within: int | None = field(default=None, validator=_days)
    segment: str | None = None

    def is_empty(self) -> bool:
        """True when no filter is given (everyone is selected)."""
        return self == Selection()

    def merged(self, other: Selection) -> Selection:
        """This selection with ``other``'s filters added (a segment's, say)."""
        changes: dict[str, Any] = {}
        for name, value in other.to_json().items():
            mine = getattr(self, name)
            if isinstance(value, list):
                changes[name] = tuple(dict.fromkeys([*mine, *value]))
            elif name == "where" and mine:
                # grouped: either may hold an "or"
                changes[name] = f"({mine}) and ({value})"
            elif not mine:
                changes[name] = getattr(other, name)
        return evolve(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The filters given, as JSON (how segments are stored)."""
        out: dict[str, Any] = {}
        for name, default in _DEFAULTS.items():
            value = getattr(self, name)
            if value != default:
                out[name] = (
                    list(value)
                    if isinstance(value, tuple)
                    else value.isoformat()
                    if isinstance(value, date)
                    else value
                )
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Selection:
        unknown = sorted(set(data) - set(_DEFAULTS))
        if unknown:
            raise ValidationError("selection", unknown, f"filters among: {', '.join(_DEFAULTS)}")
        values = dict(data)
        for name in _DATES:
            if values.get(name) is not None:
                values[name] = date.fromisoformat(values[name])
        return cls(**values)


#: what operations over customers take: a Selection, ids, or None for everyone
Selected = Selection | Iterable[int] | None

_DEFAULTS = {a.name: getattr(Selection(), a.name) for a in attrs.fields(Selection)}
_DATES = ("joined_from", "joined_to", "last_booking_before", "last_booking_after")


class SearchTexts:
    """Folded search text per customer document, kept while the document is unchanged.

    A stored document is never mutated (a change puts a new dict), so the
    document object itself says whether its text is still current.
    """

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Doc, str]] = {}

    def text(self, doc: Doc) -> str:
        found = self._texts.get(doc["id"])
        if found is not None and found[0] is doc:
            return found[1]
        phones = [doc.get("phone") or "", *(doc.get("other_phones") or ())]
        parts = (
            doc.get("name") or "",
            doc.get("email") or "",
            *(doc.get("other_emails") or ()),
            *phones,
            *("".join(c for c in phone if c.isdigit()) for phone in phones),
            doc.get("external_id") or "",
        )
        text = "\n".join(fold(part) for part in parts)
        self._texts[doc["id"]] = (doc, text)
        return text


class CustomerView:
    """The customers as columns, derived once per revision of the table.

    Filters then run over plain lists with list comprehensions, each
    narrowing the rows (positions in ``docs``) the next one looks at.
    """

    def __init__(self, docs: list[Doc], texts: SearchTexts) -> None:
        self.docs = docs
        self._search = texts
        self.ids = [d["id"] for d in docs]
        self.status = [d.get("status") for d in docs]
        self.tier = [d.get("tier") for d in docs]
        self.joined = [d.get("joined_at") or "" for d in docs]
        self.email = [(d.get("email") or "").casefold() for d in docs]
        self.phone = [d.get("phone") for d in docs]
        self._values: dict[str, list[Any]] = {}
        self._indexes: dict[str, dict[Any, list[int]] | None] = {}

    @cached_property
    def tag_keys(self) -> list[frozenset[str]]:
        return [frozenset(tag_key(t) for t in d.get("tags") or ()) for d in self.docs]

    def values(self, key: str) -> list[Any]:
        """Every customer's stored value of field ``key``, row by row (kept)."""
        found = self._values.get(key)
        if found is None:
            from clientcard.find.where import value_of

            found = self._values[key] = [value_of(d, key) for d in self.docs]
        return found

    def index(self, key: str) -> dict[Any, list[int]] | None:
        """Stored value of ``key`` → its rows; None when a value cannot be a key (kept)."""
        if key not in self._indexes:
            self._indexes[key] = _inverted(self.values(key))
        return self._indexes[key]

    @cached_property
    def row_of(self) -> dict[int, int]:
        """Customer id → row."""
        return {id: row for row, id in enumerate(self.ids)}

    @cached_property
    def texts(self) -> list[str]:
        return [self._search.text(d) for d in self.docs]


def _inverted(values: list[Any]) -> dict[Any, list[int]] | None:
    """Value → rows holding it; None for values that are not keys (amounts, lists), or
    that Python counts as equal while JSON does not (1, 1.0 and True)."""
    typed: dict[tuple[type, Any], list[int]] = {}
    try:
        for row, value in enumerate(values):
            typed.setdefault((value.__class__, value), []).append(row)
    except TypeError:
        return None
    index = {value: rows for (_, value), rows in typed.items()}
    return index if len(index) == len(typed) else None


#: narrows rows (positions in CustomerView.docs; None: every row) to those that pass
RowFilter = Callable[[CustomerView, "list[int] | None"], "list[int]"]


def _within(column: str, wanted: Collection[Any]) -> RowFilter:
    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        values = getattr(view, column)
        if rows is None:
            return [r for r, v in enumerate(values) if v in wanted]
        return [r for r in rows if values[r] in wanted]

    return keep


def _test(column: str, test: Callable[[Any], bool]) -> RowFilter:
    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        values = getattr(view, column)
        if rows is None:
            return [r for r, v in enumerate(values) if test(v)]
        return [r for r in rows if test(values[r])]

    return keep


def _condition(condition: Condition) -> RowFilter:
    """Rows meeting one --where condition: the test runs once per distinct value."""

    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        index = view.index(condition.key)
        if index is None:  # values that cannot be keys (amounts, lists): row by row
            values, test = view.values(condition.key), condition.matches_value
            if rows is None:
                return [r for r, v in enumerate(values) if test(v)]
            return [r for r in rows if test(values[r])]
        hits = [index[value] for value in index if condition.matches_value(value)]
        found = sorted(chain.from_iterable(hits)) if len(hits) != 1 else hits[0]
        if rows is None:
            return found
        wanted = set(found)
        return [r for r in rows if r in wanted]

    return keep


def _expression(expr: Expr) -> RowFilter:
    """Rows meeting a --where expression: each condition still tested once per distinct
    value (``_condition``), ``and``, ``or`` and ``not`` combining the rows found."""
    from clientcard.find.where import AllOf, AnyOf, Not

    if isinstance(expr, AllOf):
        return _all_of([_expression(part) for part in expr.parts])
    if isinstance(expr, AnyOf):
        return _any_of([_expression(part) for part in expr.parts])
    if isinstance(expr, Not):
        return _none_of(_expression(expr.part))
    return _condition(expr)


def _all_of(parts: list[RowFilter]) -> RowFilter:
    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        for part in parts:
            rows = part(view, rows)
            if not rows:
                return []
        return list(range(len(view.docs))) if rows is None else rows

    return keep


def _any_of(parts: list[RowFilter]) -> RowFilter:
    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        found: set[int] = set()
        for part in parts:
            found.update(part(view, rows))
        if rows is None:
            return sorted(found)
        return [r for r in rows if r in found]  # in the order the rows came

    return keep


def _none_of(part: RowFilter) -> RowFilter:
    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        excluded = set(part(view, rows))
        candidates = range(len(view.docs)) if rows is None else rows
        return [r for r in candidates if r not in excluded]

    return keep


def row_filters(
    selection: Selection,
    schema: FieldSchema,
    activity: Callable[[], Mapping[str, Any]],
    today: date | None = None,
) -> list[RowFilter]:
    """The filters a selection makes, cheapest first."""
    filters: list[RowFilter] = []
    if selection.birthday_within is not None:
        filters.append(_birthdays(schema, today or date.today(), selection.birthday_within))
    if selection.statuses:
        filters.append(_within("status", frozenset(selection.statuses)))
    if selection.tiers:
        filters.append(_within("tier", frozenset(selection.tiers)))
    if selection.email is not None:
        # e-mail addresses are matched ignoring case: nobody owns two that differ only so
        email = str(schema.coerce("email", selection.email)).casefold()
        filters.append(_within("email", {email}))
    if selection.phone is not None:
        filters.append(_within("phone", {schema.coerce("phone", selection.phone)}))
    if selection.joined_from is not None or selection.joined_to is not None:
        start = selection.joined_from.isoformat() if selection.joined_from else ""
        end = selection.joined_to.isoformat() if selection.joined_to else "9999"
        filters.append(_between(start, end))
    if selection.tags:
        wanted = frozenset(tag_key(t) for t in selection.tags)
        if selection.any_tag:
            filters.append(_test("tag_keys", lambda keys: not wanted.isdisjoint(keys)))
        else:
            filters.append(_test("tag_keys", wanted.issubset))
    filters += _activity_filters(selection, activity)
    if selection.where:
        # imported here: every command would otherwise pay for the parser at start-up
        from clientcard.find.where import parse_where

        filters += [_expression(part) for part in parse_where(selection.where, schema)]
    if selection.search is not None:
        filters += [_found(term) for term in fold(selection.search).split()]
    return filters


#: the fields a birthday is read from, first found first
BIRTHDAY_KEYS = ("birth_date", "birthday")


def _birthdays(schema: FieldSchema, today: date, days: int) -> RowFilter:
    """Rows whose birthday falls from ``today`` to ``days`` days later; a 29 February
    birthday falls on the 28th in other years."""
    key = next((k for k in BIRTHDAY_KEYS if k in schema.defs), None)
    if key is None:
        raise ValidationError(
            "birthday_within", days, f"a workspace with a {BIRTHDAY_KEYS[0]} field to read"
        )
    wanted = set()
    for ahead in range(days + 1):
        day = today + timedelta(days=ahead)
        wanted.add(day.strftime("%m-%d"))
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            wanted.add("02-29")

    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        values = view.values(key)
        candidates = range(len(values)) if rows is None else rows
        return [r for r in candidates if isinstance(v := values[r], str) and v[5:10] in wanted]

    return keep


def _activity_filters(
    selection: Selection, activity: Callable[[], Mapping[str, Any]]
) -> list[RowFilter]:
    """Filters on customers' activity; the summaries are computed only when asked for."""
    found: list[RowFilter] = []

    def by_customer(test: Callable[[Mapping[str, Any], int], bool]) -> RowFilter:
        def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
            summary, ids = activity(), view.ids
            if rows is None:
                return [r for r, id in enumerate(ids) if test(summary, id)]
            return [r for r in rows if test(summary, ids[r])]

        return keep

    if selection.last_booking_before is not None:
        before = selection.last_booking_before.isoformat()
        found.append(by_customer(lambda s, id: s["last_completed"].get(id, "9999") < before))
    if selection.last_booking_after is not None:
        after = selection.last_booking_after.isoformat()
        found.append(by_customer(lambda s, id: s["last_completed"].get(id, "") > after))
    if selection.upcoming_booking:
        found.append(by_customer(lambda s, id: id in s["next_booking"]))
    if selection.overdue_payment:
        found.append(by_customer(lambda s, id: id in s["overdue"]))
    for event, campaign in (
        ("viewed", selection.viewed_campaign),
        ("clicked", selection.clicked_campaign),
    ):
        if campaign is not None:
            found.append(by_customer(_in_campaign((event, fold(campaign)))))
    return found


def _found(term: str) -> RowFilter:
    """Rows whose search text contains ``term`` (inlined: the test runs 100,000 times)."""

    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        texts = view.texts
        if rows is None:
            return [r for r, text in enumerate(texts) if term in text]
        return [r for r in rows if term in texts[r]]

    return keep


def _between(start: str, end: str) -> RowFilter:
    """Rows whose join date is within [start, end] (inlined, as _found)."""

    def keep(view: CustomerView, rows: list[int] | None) -> list[int]:
        days = view.joined
        if rows is None:
            return [r for r, day in enumerate(days) if day and start <= day <= end]
        return [r for r in rows if days[r] and start <= days[r] <= end]

    return keep


def _in_campaign(key: tuple[str, str]) -> Callable[[Mapping[str, Any], int], bool]:
    def test(summary: Mapping[str, Any], id: int) -> bool:
        return id in summary["campaigns"].get(key, ())

    return test


def run(
    view: CustomerView, filters: Sequence[RowFilter], rows: list[int] | None = None
) -> list[Doc]:
    """The documents (of ``rows``, or all) passing every filter, in the view's order."""
    for keep in filters:
        rows = keep(view, rows)
        if not rows:
            return []
    docs = view.docs
    return list(docs) if rows is None else [docs[r] for r in rows]


def sort_key(key: str, schema: FieldSchema) -> Callable[[Doc], Any]:
    """How ``--sort KEY`` orders documents: empty values last, text folded."""
    if key not in SORTABLE and key not in schema.defs:
        known = ", ".join([*SORTABLE, *(k for k in schema.defs if k not in SORTABLE)])
        raise ValidationError("sort", key, f"a field to sort by: {known}")
    builtin = key in SORTABLE

    def value(doc: Doc) -> Any:
        raw = doc.get(key) if builtin else (doc.get("fields") or {}).get(key)
        if raw is None or raw == "":
            return (1, 0, "")
        if isinstance(raw, bool | int | float):
            return (0, 0, raw)
        if isinstance(raw, dict) and "amount" in raw:
            try:
                return (0, 0, Decimal(raw["amount"]))
            except (InvalidOperation, TypeError):
                return (0, 1, str(raw))
        if isinstance(raw, str):
            return (0, 1, fold(raw))
        return (0, 2, str(raw))

    return value


def parse_sort(text: str | None) -> tuple[str, bool] | None:
    """``"name"`` or ``"joined_at:desc"`` as (key, descending)."""
    if not text:
        return None
    key, _, direction = text.partition(":")
    direction = direction.strip().lower()
    if direction not in ("", "asc", "desc"):
        raise ValidationError("sort", text, "FIELD, FIELD:asc or FIELD:desc")
    return key.strip(), direction == "desc"
