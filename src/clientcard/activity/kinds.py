"""Customer activity: bookings, payments, messages and marketing events; and the
card's own records kept the same way: notes, reviews and memberships.

Activity lives in its own tables (file group ``activity``; the card's records in
group ``card``), apart from the customer records, so recording a booking never
rewrites a customer.  Each kind
is described by an :class:`ActivityKind`: its table, its fields (validated by
the same field types as customer fields, so the CLI, CSV import and the API
read values alike) and its allowed statuses.  Documents are kept in their JSON
form; ``customer_id`` links them to a customer, ``external_id`` to the host's
own record (unique per kind, so a host can update "its" booking later).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from attrs import frozen

from clientcard.core.errors import DuplicateError, NotFoundError, ValidationError
from clientcard.core.fields import FieldContext, FieldSchema, FieldType
from clientcard.core.model import FieldDef
from clientcard.core.store import Doc, TableSpec, WritableTable
from clientcard.customers.records import other_holder
from clientcard.fields import dates

ACTIVITY_GROUP = "activity"
#: notes, reviews, memberships: read with one card, never by classification
CARD_GROUP = "card"


@frozen(cache_hash=True, slots=False)
class ActivityKind:
    """One kind of activity: how it is stored and which values it takes."""

    name: str
    table: str
    fields: tuple[FieldDef, ...]
    #: the field holding the status, and its default
    status_field: str | None = None
    default_status: str | None = None
    #: the fields classification reads: the store may keep them apart (TableSpec.columns)
    columns: tuple[str, ...] = ()
    group: str = ACTIVITY_GROUP
    #: whether recording one can change the customer's status (re-classify then)
    classified: bool = True
    #: fields every record must have
    required: tuple[str, ...] = ()
    #: (field, lowest, highest) for whole-number fields with a range
    bounds: tuple[tuple[str, int, int], ...] = ()

    def spec(self) -> TableSpec:
        return TableSpec(
            self.table,
            indexes=("customer_id", "external_id"),
            group=self.group,
            unique=("external_id",),
            columns=("customer_id", *self.columns) if self.classified else (),
        )

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @cached_property
    def empty(self) -> dict[str, None]:
        """Every field, unset: what a new document starts from."""
        return dict.fromkeys(self.keys)


def _choice(key: str, label: str, choices: Iterable[str]) -> FieldDef:
    return FieldDef(key=key, label=label, type="choice", choices=tuple(choices), builtin=True)


def _text(key: str, label: str, type: str = "text") -> FieldDef:
    return FieldDef(key=key, label=label, type=type, builtin=True)


BOOKING_STATUSES = ("completed", "upcoming", "cancelled", "no_show")
PAYMENT_STATUSES = ("received", "due", "overdue", "refunded")
MARKETING_EVENTS = ("delivered", "viewed", "clicked")

BOOKING = ActivityKind(
    name="booking",
    table="bookings",
    fields=(
        # "date" is the calendar date in the workspace's time zone; "start" the
        # moment (UTC) when the host gave a time.  Both come from one input.
        _text("date", "Date", "date"),
        _text("start", "Start", "datetime"),
        _choice("status", "Status", BOOKING_STATUSES),
        _text("service", "Service"),
        _text("staff", "Staff"),
        _text("amount", "Amount", "money"),
        _text("external_id", "External id"),
    ),
    status_field="status",
    default_status="completed",
    columns=("date", "status", "amount"),
)
PAYMENT = ActivityKind(
    name="payment",
    table="payments",
    fields=(
        _text("amount", "Amount", "money"),
        _choice("status", "Status", PAYMENT_STATUSES),
        _text("due_date", "Due date", "date"),
        _text("paid_at", "Paid at", "datetime"),
        _text("reference", "Reference"),
        _text("external_id", "External id"),
    ),
    status_field="status",
    default_status="received",
    columns=("status", "amount", "paid_at", "recorded_at", "due_date"),
)
MESSAGE = ActivityKind(
    name="message",
    table="messages",
    fields=(
        _text("channel", "Channel"),
        _choice("direction", "Direction", ("in", "out")),
        _text("at", "Time", "datetime"),
        _text("subject", "Subject"),
        _text("body", "Body", "long-text"),
        _text("external_id", "External id"),
    ),
    columns=("direction", "at", "recorded_at"),
)
MARKETING = ActivityKind(
    name="marketing",
    table="marketing_events",
    fields=(
        _text("campaign", "Campaign"),
        _choice("event", "Event", MARKETING_EVENTS),
        _text("at", "Time", "datetime"),
        _text("external_id", "External id"),
    ),
    status_field="event",
    default_status="delivered",
    columns=("campaign", "event", "at"),
)
NOTE = ActivityKind(
    name="note",
    table="notes",
    fields=(
        _text("text", "Text", "long-text"),
        _text("author", "Author"),
        _text("pinned", "Pinned", "boolean"),
        _text("external_id", "External id"),
    ),
    group=CARD_GROUP,
    classified=False,
    required=("text",),
)
REVIEW_ABOUT = ("order", "staff")
REVIEW = ActivityKind(
    name="review",
    table="reviews",
    fields=(
        _choice("about", "About", REVIEW_ABOUT),
        _text("rating", "Rating", "integer"),
        _text("text", "Text", "long-text"),
        _text("staff", "Staff"),
        _text("booking", "Booking", "integer"),
        _text("at", "Time", "datetime"),
        _text("external_id", "External id"),
    ),
    status_field="about",
    default_status="order",
    group=CARD_GROUP,
    classified=False,
    required=("rating",),
    bounds=(("rating", 1, 5),),
)
MEMBERSHIP = ActivityKind(
    name="membership",
    table="memberships",
    fields=(
        _text("plan", "Plan"),
        _text("start", "Start", "date"),
        _text("end", "End", "date"),
        _text("price", "Price", "money"),
        _text("external_id", "External id"),
    ),
    group=CARD_GROUP,
    classified=False,
    required=("plan", "start"),
)
KINDS: dict[str, ActivityKind] = {
    k.name: k for k in (BOOKING, PAYMENT, MESSAGE, MARKETING, NOTE, REVIEW, MEMBERSHIP)
}


def kind(name: str) -> ActivityKind:
    try:
        return KINDS[name]
    except KeyError:
        raise NotFoundError(
            f"unknown activity kind {name!r}; expected one of: {', '.join(KINDS)}"
        ) from None


#: values (nearly) unique per record: remembering them would only cost memory
UNMEMOISED = frozenset({"external_id", "start", "at", "paid_at", "body", "subject", "reference"})


class ActivityValues:
    """Validates activity values with the workspace's field types."""

    def __init__(self, types: Mapping[str, FieldType], ctx: FieldContext) -> None:
        self.types = types
        self.ctx = ctx
        self._schemas = {k.name: FieldSchema(list(k.fields), types, ctx) for k in KINDS.values()}

    def coerce(
        self,
        kind: ActivityKind,
        values: Mapping[str, Any],
        *,
        row: int | None = None,
        memo: dict[tuple[str, Any], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Validated JSON values; unknown keys are an error naming them.

        ``memo`` (a dict the caller keeps for one batch) remembers the result
        for each (key, text), so a million rows with a few dozen services and
        statuses validate each distinct value once.
        """
        out: dict[str, Any] = {}
        for key, value in values.items():
            if memo is None or value.__class__ is not str or key in UNMEMOISED:
                out.update(self._coerce_one(kind, key, value, row))
                continue
            found = memo.get((key, value))
            if found is None:
                found = memo[(key, value)] = self._coerce_one(kind, key, value, row)
            out.update(found)
        return out

    def _coerce_one(
        self, kind: ActivityKind, key: str, value: Any, row: int | None
    ) -> dict[str, Any]:
        if key == "date" and kind is BOOKING:
            return self._when(value, row=row)
        return {key: self._schemas[kind.name].coerce(key, value, row=row)}

    def _when(self, value: Any, *, row: int | None) -> dict[str, Any]:
        """A booking's date from a date or a date-time (text in the workspace's calendar,
        or Python)."""
        schema = self._schemas[BOOKING.name]
        expected = dates.DAY_OR_MOMENT_EXPECTED[dates.calendar_of(self.ctx.locale)]
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError("date", value, expected, row=row)
        timed = isinstance(value, datetime) or (isinstance(value, str) and len(value.strip()) > 10)
        if not timed:
            return {"date": schema.coerce("date", value, row=row), "start": None}
        try:
            start = schema.coerce("start", value, row=row)
        except ValidationError:
            raise ValidationError("date", value, expected, row=row) from None
        local = datetime.fromisoformat(start).astimezone(self.ctx.timezone).date()
        return {"date": local.isoformat(), "start": start}


def new_doc(
    kind: ActivityKind,
    values: Mapping[str, Any],
    *,
    id: int,
    customer_id: int,
    now: datetime | str,
) -> Doc:
    """A new activity document from validated values (JSON form); ``now`` is recorded_at."""
    doc: Doc = {"id": id, "customer_id": customer_id, **kind.empty, **values}
    if kind.status_field and doc[kind.status_field] is None:
        doc[kind.status_field] = kind.default_status
    if kind is BOOKING and doc["date"] is None:
        raise ValidationError("date", None, "the booking's date (YYYY-MM-DD) or date-time")
    check_values(kind, doc)
    doc["recorded_at"] = now if isinstance(now, str) else now.isoformat()
    return doc


def check_values(kind: ActivityKind, doc: Doc) -> None:
    """Refuse a record without a required value, or with a number out of its range."""
    labels = {f.key: f.label for f in kind.fields}
    for key in kind.required:
        if doc.get(key) in (None, ""):
            raise ValidationError(key, None, f"a value: the {kind.name}'s {labels[key].lower()}")
    for key, low, high in kind.bounds:
        value = doc.get(key)
        if value is not None and not low <= value <= high:
            raise ValidationError(key, value, f"a whole number from {low} to {high}")


def check_external_id(table: WritableTable, kind: ActivityKind, doc: Doc, row: int | None) -> None:
    """Refuse an ``external_id`` another activity of this kind already has (in either
    spelling of its accents)."""
    other = other_holder(table, doc, "external_id")
    if other is not None:
        where = f"row {row}: " if row is not None else ""
        raise DuplicateError(
            f"{where}{kind.name} external_id {doc['external_id']!r} is already recorded "
            f"(id {other}); update it instead"
        )
