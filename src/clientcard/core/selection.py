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

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
from attrs import evolve, field, frozen

from clientcard.core.errors import ValidationError
from clientcard.core.fields import FieldSchema
from clientcard.core.store import Doc
from clientcard.core.text import fold

#: built-in keys a selection may sort by, besides custom fields
SORTABLE = ("id", "name", "email", "phone", "external_id", "joined_at", "status", "tier")


def tag_key(tag: str) -> str:
    """What makes two tags the same tag: case and spacing do not."""
    return " ".join(tag.split()).casefold()


def _tuple(value: Iterable[Any] | None) -> tuple[Any, ...]:
    return tuple(value or ())


@frozen(kw_only=True)
class Selection:
    """Filters over customers; every one given must hold.

    ``search`` finds words (or parts of words) in the name, e-mail, phone and
    external id, forgiving case, accents, width and Persian/Arabic letter
    variants.  ``statuses``/``tiers``: any of these.  ``tags``: all of them,
    or any with ``any_tag``.  ``email``/``phone`` are matched as stored (after
    the field type normalises them).  ``where`` is an expression such as
    ``"city = Roma and visits >= 3"`` (docs/filters.md).  Activity filters:
    the last completed booking before/after a date, an upcoming booking, an
    overdue payment, a campaign viewed or clicked.  ``ids`` limits the
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
                changes[name] = f"{mine} and {value}"
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
        phone = doc.get("phone") or ""
        parts = (
            doc.get("name") or "",
            doc.get("email") or "",
            phone,
            "".join(c for c in phone if c.isdigit()),
            doc.get("external_id") or "",
        )
        text = "\n".join(fold(part) for part in parts)
        self._texts[doc["id"]] = (doc, text)
        return text

    def forget(self, keep: Iterable[int]) -> None:
        """Drop texts of customers no longer there."""
        kept = set(keep)
        for id in [i for i in self._texts if i not in kept]:
            del self._texts[id]


Predicate = Callable[[Doc], bool]


def predicates(
    selection: Selection,
    schema: FieldSchema,
    texts: SearchTexts,
    activity: Callable[[], Mapping[str, Any]],
) -> list[Predicate]:
    """The checks a customer document must pass, cheapest first."""
    from clientcard.core.where import matches_all, parse_where

    checks: list[Predicate] = []
    if selection.statuses:
        statuses = frozenset(selection.statuses)
        checks.append(lambda d: d.get("status") in statuses)
    if selection.tiers:
        tiers = frozenset(selection.tiers)
        checks.append(lambda d: d.get("tier") in tiers)
    if selection.joined_from is not None:
        start = selection.joined_from.isoformat()
        checks.append(lambda d: (d.get("joined_at") or "") >= start)
    if selection.joined_to is not None:
        end = selection.joined_to.isoformat()
        checks.append(lambda d: bool(d.get("joined_at")) and d["joined_at"] <= end)
    if selection.email is not None:
        # e-mail addresses are matched ignoring case: nobody owns two that differ only so
        email = str(schema.coerce("email", selection.email)).casefold()
        checks.append(lambda d: (d.get("email") or "").casefold() == email)
    if selection.phone is not None:
        phone = schema.coerce("phone", selection.phone)
        checks.append(lambda d: d.get("phone") == phone)
    if selection.tags:
        wanted = {tag_key(t) for t in selection.tags}
        if selection.any_tag:
            checks.append(lambda d: any(tag_key(t) in wanted for t in d.get("tags") or ()))
        else:
            checks.append(lambda d: wanted <= {tag_key(t) for t in d.get("tags") or ()})
    if selection.where:
        conditions = parse_where(selection.where, schema)
        checks.append(lambda d: matches_all(conditions, d))
    if selection.search is not None:
        terms = fold(selection.search).split()
        if terms:
            text = texts.text
            checks.append(lambda d: all(term in text(d) for term in terms))
    checks += _activity_checks(selection, activity)
    return checks


def _activity_checks(
    selection: Selection, activity: Callable[[], Mapping[str, Any]]
) -> list[Predicate]:
    """Checks on customers' activity; the summaries are computed only when asked for."""
    checks: list[Predicate] = []
    if selection.last_booking_before is not None:
        before = selection.last_booking_before.isoformat()

        def last_before(d: Doc) -> bool:
            dates = activity()["completed_dates"].get(d["id"])
            return bool(dates) and dates[-1] < before

        checks.append(last_before)
    if selection.last_booking_after is not None:
        after = selection.last_booking_after.isoformat()

        def last_after(d: Doc) -> bool:
            dates = activity()["completed_dates"].get(d["id"])
            return bool(dates) and dates[-1] > after

        checks.append(last_after)
    if selection.upcoming_booking:
        checks.append(lambda d: d["id"] in activity()["next_booking"])
    if selection.overdue_payment:
        checks.append(lambda d: activity()["overdue"].get(d["id"], Decimal(0)) > 0)
    for event, campaign in (
        ("viewed", selection.viewed_campaign),
        ("clicked", selection.clicked_campaign),
    ):
        if campaign is not None:
            checks.append(_campaign_check(activity, (event, fold(campaign))))
    return checks


def _campaign_check(activity: Callable[[], Mapping[str, Any]], key: tuple[str, str]) -> Predicate:
    def check(d: Doc) -> bool:
        return d["id"] in activity()["campaigns"].get(key, ())

    return check


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


def run(
    docs: Sequence[Doc],
    checks: Sequence[Predicate],
) -> list[Doc]:
    """The documents passing every check, in the order given."""
    found = list(docs)
    for check in checks:
        found = [doc for doc in found if check(doc)]
    return found
