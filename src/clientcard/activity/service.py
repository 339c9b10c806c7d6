"""Customer activity: record, update and list bookings, payments, messages and the rest.

:class:`Activity` is the workspace's activity service (``workspace.activity``).
The kinds and their validation are :mod:`clientcard.activity.kinds`; each kind
has its own table in the ``activity`` group (``card`` for notes, reviews and
memberships), so recording a booking never rewrites a customer.  Activity
that can change a status re-classifies its customer in the same write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clientcard.activity import kinds as activity
from clientcard.activity.kinds import ActivityKind, ActivityValues
from clientcard.core.clock import as_id, utc_now
from clientcard.core.context import Context
from clientcard.core.convert import customer_from_doc
from clientcard.core.errors import DuplicateError, NotFoundError, ValidationError
from clientcard.core.memory import gc_paused
from clientcard.core.model import Customer
from clientcard.core.store import Doc, Table, WriteSession, find_docs
from clientcard.customers import records
from clientcard.fields.service import Fields
from clientcard.status.service import Status

#: one table per kind: activity apart from the customers
TABLES = tuple(kind.spec() for kind in activity.KINDS.values())


class Activity:
    """What customers did: bookings, payments, messages, marketing events, notes,
    reviews, memberships.  Calling the service lists one kind
    (``workspace.activity("booking", customer_id)``)."""

    def __init__(self, ctx: Context, fields: Fields, status: Status) -> None:
        self.ctx = ctx
        self.fields = fields
        self.status = status
        self._values: ActivityValues | None = None

    @property
    def values(self) -> ActivityValues:
        """The activity kinds' fields, read by the workspace's settings (rebuilt when the
        settings change: a new currency or locale reads values anew)."""
        if self._values is None or self._values.ctx is not self.ctx.field_context:
            self._values = ActivityValues(self.fields.types(), self.ctx.field_context)
        return self._values

    def record(
        self, /, kind: str, customer_id: int, values: Mapping[str, Any] | None = None, **more: Any
    ) -> dict[str, Any]:
        """Record a booking, payment, message, marketing event, note, review or membership.

        ``kind`` is ``"booking"``, ``"payment"``, ``"message"``,
        ``"marketing"``, ``"note"``, ``"review"`` or ``"membership"``; values
        may be text or Python values.  Activity that can change a status
        re-classifies the customer at once.  Returns the stored record (JSON form).
        """
        (doc,) = self.record_many(kind, [{"customer_id": customer_id, **(values or {}), **more}])
        return doc

    def record_many(self, kind: str, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Record many activities of one kind in one write (all or none).

        Each row holds ``customer_id`` and the values; errors name the row.
        """
        spec = activity.kind(kind)
        rows = list(rows)
        docs: list[Doc] = []
        # An import records a million rows: each distinct text is validated once
        memo: dict[tuple[str, Any], dict[str, Any]] = {}
        known: set[int] = set()
        taken: dict[str, int] = {}
        with gc_paused(), self.ctx.write() as session:
            table = session.table(spec.table)
            now = utc_now()
            for number, row in enumerate(rows, start=1):
                where = number if len(rows) > 1 else None
                values = dict(row)
                customer_id = as_id(values.pop("customer_id", None), where)
                if customer_id not in known:
                    records.existing(session, customer_id)
                    known.add(customer_id)
                values = self.values.coerce(spec, values, row=where, memo=memo)
                doc = activity.new_doc(spec, values, id=0, customer_id=customer_id, now=now)
                activity.check_external_id(table, spec, doc, where)
                if doc["external_id"] is not None:
                    earlier = taken.setdefault(doc["external_id"], number)
                    if earlier != number:
                        raise DuplicateError(
                            f"row {number}: {spec.name} external_id {doc['external_id']!r} "
                            f"is also in row {earlier}; each {spec.name} needs its own"
                        )
                docs.append(doc)
            self.add_in(session, spec, docs)
        return [dict(doc) for doc in docs]

    def add_in(self, session: WriteSession, spec: ActivityKind, docs: list[Doc]) -> None:
        """Store new, checked activity documents; emit their events; re-classify."""
        table = session.table(spec.table)
        for doc, id in zip(docs, table.new_ids(len(docs)), strict=True):
            doc["id"] = id
        table.add_many(docs)
        if self.ctx.events.listened("activity_recorded"):
            people: dict[int, Customer] = {}
            for doc in docs:
                person = people.get(doc["customer_id"])
                if person is None:
                    person = customer_from_doc(records.existing(session, doc["customer_id"]))
                    people[doc["customer_id"]] = person
                self.ctx.events.activity_recorded(person, spec.name, doc, True)
        if spec.classified:
            self.status.reclassify(session, {doc["customer_id"] for doc in docs})

    def record_booking(self, /, customer_id: int, date: Any, **values: Any) -> dict[str, Any]:
        """Record a booking: ``date`` (a date or date-time), and optionally ``status``
        (completed, upcoming, cancelled, no_show; default completed), ``service``,
        ``staff``, ``amount`` (e.g. ``"35.00 EUR"``) and ``external_id``."""
        return self.record("booking", customer_id, date=date, **values)

    def record_payment(self, /, customer_id: int, amount: Any, **values: Any) -> dict[str, Any]:
        """Record a payment: ``amount``, and optionally ``status`` (received, due,
        overdue, refunded; default received), ``due_date``, ``paid_at``,
        ``reference`` and ``external_id``."""
        return self.record("payment", customer_id, amount=amount, **values)

    def record_message(self, /, customer_id: int, **values: Any) -> dict[str, Any]:
        """Record a message: ``channel``, ``direction`` (in/out), ``at``, ``subject``, ``body``."""
        return self.record("message", customer_id, **values)

    def record_marketing_event(
        self, /, customer_id: int, campaign: str, **values: Any
    ) -> dict[str, Any]:
        """Record a marketing event: ``campaign``, ``event`` (delivered, viewed, clicked)."""
        return self.record("marketing", customer_id, campaign=campaign, **values)

    def update(
        self,
        kind: str,
        id: int | None = None,
        *,
        external_id: str | None = None,
        values: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Change a recorded activity, found by its id or by the host's ``external_id``
        (e.g. a booking later cancelled).  The customer is re-classified."""
        spec = activity.kind(kind)
        with self.ctx.write() as session:
            table = session.table(spec.table)
            before = self._find_activity(table, spec, id, external_id)
            after = {**before, **self.values.coerce(spec, values)}
            activity.check_values(spec, after)
            activity.check_external_id(table, spec, after, None)
            if after != before:
                table.put(after)
                customer = records.existing(session, after["customer_id"])
                self.ctx.events.activity_recorded(
                    customer_from_doc(customer), spec.name, after, False
                )
                if spec.classified:
                    self.status.reclassify(session, {after["customer_id"]})
        return dict(after)

    @staticmethod
    def _find_activity(
        table: Table, spec: ActivityKind, id: int | None, external_id: str | None
    ) -> Doc:
        if (id is None) == (external_id is None):
            raise ValidationError(
                "id", id, f"the {spec.name}'s id or its external_id (one of them)"
            )
        if id is None:
            found = table.find("external_id", external_id)
            doc = table.get(found[0]) if found else None
            what = f"external_id {external_id!r}"
        else:
            doc = table.get(id)
            what = f"id {id}"
        if doc is None:
            raise NotFoundError(f"no {spec.name} with {what}")
        return dict(doc)

    def __call__(self, kind: str, customer_id: int | None = None) -> list[dict[str, Any]]:
        """Recorded activities of one kind, of one customer or of all, in id order."""
        spec = activity.kind(kind)
        with self.ctx.read() as session:
            table = session.table(spec.table)
            if customer_id is None:
                return [dict(d) for d in table]
            return [dict(d) for d in find_docs(table, "customer_id", customer_id)]
