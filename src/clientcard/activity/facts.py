"""What rule sets decide on: each customer's :class:`Facts`, summarised from activity.

Classifying every customer reads a few fields of every booking, payment and
message, as columns (``Table.columns``): never the whole documents.  One
:class:`Activity` holds those columns for a run and summarises them per
customer the first time any customer's facts ask (one pass per summary over
the whole table), so a rule set pays only for the facts it reads and a million
bookings cost a few passes over plain lists.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from clientcard.core.store import Doc, columns_of

Columns = Mapping[str, Sequence[Any]]

#: the activity fields facts are made of, per table argument of :class:`Facts`
FIELDS: dict[str, tuple[str, ...]] = {
    "bookings": ("customer_id", "date", "status", "amount"),
    "payments": ("customer_id", "status", "amount", "paid_at", "recorded_at", "due_date"),
    "messages": ("customer_id", "direction", "at", "recorded_at"),
    "marketing": ("customer_id", "campaign", "event", "at"),
}


def payment_overdue(status: str | None, due_date: str | None, today: str) -> bool:
    """Whether a payment is overdue on ``today`` (ISO dates): marked so, or due with its
    due date passed."""
    return status == "overdue" or (status == "due" and due_date is not None and due_date < today)


class Activity:
    """Activity columns of many customers, summarised per customer on first use.

    ``columns`` maps ``"bookings"``, ``"payments"``, ``"messages"`` and
    ``"marketing"`` to that table's columns (see :data:`FIELDS`); a missing
    one means no activity of that kind.
    """

    def __init__(
        self,
        columns: Mapping[str, Columns],
        as_of: date,
        *,
        currency: str | None = None,
        timezone: tzinfo = UTC,
    ) -> None:
        self.columns = columns
        self.as_of = as_of
        self.today = as_of.isoformat()
        self.currency = currency
        self.timezone = timezone
        self._money: dict[tuple[Any, Any], Decimal | None] = {}
        self._days: dict[str, str] = {}
        self._before: dict[int, str] = {}

    def day(self, days_before: int) -> str:
        """The ISO date ``days_before`` days before ``as_of`` (the same few, asked often)."""
        found = self._before.get(days_before)
        if found is None:
            found = self._before[days_before] = (
                self.as_of - timedelta(days=days_before)
            ).isoformat()
        return found

    def table(self, name: str) -> Columns:
        found = self.columns.get(name)
        return found if found is not None else {n: () for n in ("id", *FIELDS[name])}

    # -- values ------------------------------------------------------------------------

    def amount(self, money: Any) -> Decimal | None:
        """A stored amount as a Decimal in the workspace currency; None when it has none."""
        if not money:
            return None
        try:
            key = (money.get("amount"), money.get("currency"))
        except AttributeError:
            return None
        found = self._money.get(key, self)
        if found is self:
            found = None
            if not (self.currency and key[1] != self.currency):
                try:
                    found = Decimal(key[0])
                except (InvalidOperation, TypeError, ValueError):
                    found = None
            self._money[key] = found
        return found  # type: ignore[return-value]

    def local_day(self, moment: str | None) -> str:
        """The workspace-local calendar date of a stored UTC date-time ("" for none)."""
        if not moment:
            return ""
        day = self._days.get(moment)
        if day is None:
            try:
                day = datetime.fromisoformat(moment).astimezone(self.timezone).date().isoformat()
            except ValueError:
                day = moment[:10]
            self._days[moment] = day
        return day

    # -- bookings ------------------------------------------------------------------------

    @cached_property
    def completed_dates(self) -> dict[int, list[str]]:
        """Customer → dates of completed bookings on or before ``as_of``, oldest first."""
        found: dict[int, list[str]] = {}
        today = self.today
        t = self.table("bookings")
        for customer, day, status in zip(t["customer_id"], t["date"], t["status"], strict=True):
            if status == "completed" and day <= today:
                dates = found.get(customer)
                if dates is None:
                    found[customer] = [day]
                else:
                    dates.append(day)
        for dates in found.values():
            if len(dates) > 1:
                dates.sort()
        return found

    @cached_property
    def booking_counts(self) -> dict[int, dict[str, int]]:
        """Customer → status → bookings of that status dated on or before ``as_of``."""
        found: dict[int, dict[str, int]] = {}
        today = self.today
        t = self.table("bookings")
        for customer, day, status in zip(t["customer_id"], t["date"], t["status"], strict=True):
            if day <= today:
                counts = found.setdefault(customer, {})
                counts[status] = counts.get(status, 0) + 1
        return found

    @cached_property
    def next_booking(self) -> dict[int, str]:
        """Customer → the earliest upcoming booking dated after ``as_of``."""
        found: dict[int, str] = {}
        today = self.today
        t = self.table("bookings")
        for customer, day, status in zip(t["customer_id"], t["date"], t["status"], strict=True):
            if (
                status == "upcoming"
                and day > today
                and (customer not in found or day < found[customer])
            ):
                found[customer] = day
        return found

    @cached_property
    def completed_spend(self) -> dict[int, Decimal]:
        """Customer → total of completed bookings on or before ``as_of``."""
        found: dict[int, Decimal] = {}
        today = self.today
        t = self.table("bookings")
        rows = zip(t["customer_id"], t["date"], t["status"], t["amount"], strict=True)
        for customer, day, status, money in rows:
            if status == "completed" and day <= today:
                value = self.amount(money)
                if value is not None:
                    found[customer] = found.get(customer, Decimal(0)) + value
        return found

    # -- payments and messages -------------------------------------------------------------

    @cached_property
    def payments(self) -> dict[int, tuple[int, Decimal, Decimal]]:
        """Customer → (payments received or refunded by ``as_of``, amount received and
        not refunded by then, amount overdue: marked overdue, or due before ``as_of``)."""
        found: dict[int, tuple[int, Decimal, Decimal]] = {}
        today = self.today
        t = self.table("payments")
        rows = zip(
            t["customer_id"],
            t["status"],
            t["amount"],
            t["paid_at"],
            t["recorded_at"],
            t["due_date"],
            strict=True,
        )
        zero = Decimal(0)
        for customer, status, money, paid_at, recorded_at, due_date in rows:
            count, received, overdue = found.get(customer, (0, zero, zero))
            if payment_overdue(status, due_date, today):
                overdue += self.amount(money) or zero
            elif (
                status in ("received", "refunded")
                and self.local_day(paid_at or recorded_at) <= today
            ):
                count += 1
                if status == "received":
                    received += self.amount(money) or zero
            found[customer] = (count, received, overdue)
        return found

    @cached_property
    def inbound_messages(self) -> dict[int, int]:
        """Customer → messages from the customer by ``as_of``."""
        found: dict[int, int] = {}
        today = self.today
        t = self.table("messages")
        rows = zip(t["customer_id"], t["direction"], t["at"], t["recorded_at"], strict=True)
        for customer, direction, at, recorded_at in rows:
            if direction == "in" and self.local_day(at or recorded_at) <= today:
                found[customer] = found.get(customer, 0) + 1
        return found

    @cached_property
    def rows(self) -> dict[str, dict[int, list[dict[str, Any]]]]:
        """Table → customer → that customer's rows as dicts (only when a rule set asks)."""
        out: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for name in FIELDS:
            t = self.table(name)
            names = ["id", *FIELDS[name]]
            by_customer = out[name] = {}
            for values in zip(*(t[n] for n in names), strict=True):
                row = dict(zip(names, values, strict=True))
                by_customer.setdefault(row["customer_id"], []).append(row)
        return out


class Facts:
    """What is known of one customer as of a date, for rule sets to decide on.

    Every property is computed on first use, so a rule set pays only for what
    it reads.  Dates are ISO strings (``"2025-03-01"``) and compare as such;
    ``today`` is ``as_of`` as one.  Amounts are :class:`~decimal.Decimal` in
    the workspace currency (amounts in other currencies are left out of totals).

    To test a rule set, build facts from activity documents::

        Facts({"id": 1}, date(2025, 6, 1), bookings=[{"id": 1, "customer_id": 1,
              "date": "2025-05-02", "status": "completed", "amount": None}])
    """

    def __init__(
        self,
        customer: Doc,
        as_of: date,
        *,
        bookings: Iterable[Doc] | None = None,
        payments: Iterable[Doc] | None = None,
        messages: Iterable[Doc] | None = None,
        marketing: Iterable[Doc] | None = None,
        currency: str | None = None,
        timezone: tzinfo = UTC,
        activity: Activity | None = None,
    ) -> None:
        self.customer = customer
        self.id: int = customer["id"]
        if activity is None:
            given = {"bookings": bookings, "payments": payments, "messages": messages}
            given["marketing"] = marketing
            columns = {}
            for name, docs in given.items():
                if docs:
                    # the documents given are this customer's, whatever they say
                    columns[name] = found = columns_of(docs, FIELDS[name])
                    found["customer_id"] = [self.id] * len(found["id"])
            activity = Activity(columns, as_of, currency=currency, timezone=timezone)
        self._activity = activity
        self.as_of = activity.as_of
        self.today = activity.today
        self.currency = activity.currency
        self.timezone = activity.timezone

    def amount(self, money: Any) -> Decimal | None:
        """A stored money value as a Decimal in the workspace currency (None when it has
        none, or is in another currency)."""
        return self._activity.amount(money)

    def day(self, days_before: int) -> str:
        """The ISO date ``days_before`` days before ``as_of``."""
        return self._activity.day(days_before)

    def local_day(self, moment: str | None) -> str:
        """The workspace-local calendar date of a stored UTC date-time ("" for none)."""
        return self._activity.local_day(moment)

    # -- bookings ------------------------------------------------------------------------

    @property
    def bookings(self) -> list[dict[str, Any]]:
        """This customer's bookings: ``id``, ``date``, ``status`` and ``amount`` of each."""
        return self._activity.rows["bookings"].get(self.id, [])

    @property
    def payments(self) -> list[dict[str, Any]]:
        """This customer's payments: ``id``, ``status``, ``amount``, ``paid_at``,
        ``recorded_at``, ``due_date``."""
        return self._activity.rows["payments"].get(self.id, [])

    @property
    def messages(self) -> list[dict[str, Any]]:
        """This customer's messages: ``id``, ``direction``, ``at``, ``recorded_at``."""
        return self._activity.rows["messages"].get(self.id, [])

    @property
    def marketing(self) -> list[dict[str, Any]]:
        """This customer's marketing events: ``id``, ``campaign``, ``event``, ``at``."""
        return self._activity.rows["marketing"].get(self.id, [])

    @property
    def completed_dates(self) -> list[str]:
        """Dates of completed bookings on or before ``as_of``, oldest first."""
        return self._activity.completed_dates.get(self.id, [])

    @property
    def completed_bookings(self) -> int:
        return len(self.completed_dates)

    @property
    def first_completed(self) -> str | None:
        dates = self.completed_dates
        return dates[0] if dates else None

    @property
    def last_completed(self) -> str | None:
        dates = self.completed_dates
        return dates[-1] if dates else None

    def completed_since(self, day: str) -> int:
        """How many completed bookings are dated on or after ``day`` (and by ``as_of``)."""
        dates = self.completed_dates
        return len(dates) - bisect.bisect_left(dates, day)

    def bookings_with_status(self, status: str) -> int:
        """Bookings of this status dated on or before ``as_of``."""
        return self._activity.booking_counts.get(self.id, {}).get(status, 0)

    @property
    def next_booking(self) -> str | None:
        """The earliest upcoming booking dated after ``as_of``."""
        return self._activity.next_booking.get(self.id)

    @property
    def completed_spend(self) -> Decimal:
        """Total amount of completed bookings on or before ``as_of``."""
        return self._activity.completed_spend.get(self.id, Decimal(0))

    # -- payments and messages -------------------------------------------------------------

    @property
    def received_payments(self) -> int:
        """Payments received by ``as_of``, refunded ones included (they were an interaction)."""
        found = self._activity.payments.get(self.id)
        return found[0] if found else 0

    @property
    def received_total(self) -> Decimal:
        """Amount received and not refunded, by ``as_of``."""
        found = self._activity.payments.get(self.id)
        return found[1] if found else Decimal(0)

    @property
    def overdue_total(self) -> Decimal:
        """Amount of payments marked overdue, or due before ``as_of``."""
        found = self._activity.payments.get(self.id)
        return found[2] if found else Decimal(0)

    @property
    def inbound_messages(self) -> int:
        return self._activity.inbound_messages.get(self.id, 0)

    def field(self, key: str) -> Any:
        """A custom field value of the customer (JSON form), or None."""
        return self.customer.get("fields", {}).get(key)

    def summary(self) -> dict[str, Any]:
        """The facts as JSON, for ``explain``."""
        return {
            "as_of": self.today,
            "completed_bookings": self.completed_bookings,
            "first_completed": self.first_completed,
            "last_completed": self.last_completed,
            "no_shows": self.bookings_with_status("no_show"),
            "cancelled": self.bookings_with_status("cancelled"),
            "next_booking": self.next_booking,
            "completed_spend": str(self.completed_spend),
            "received_total": str(self.received_total),
            "overdue_total": str(self.overdue_total),
            "inbound_messages": self.inbound_messages,
        }
