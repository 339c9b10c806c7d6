"""Classification: per-customer facts from activity, rule sets, decisions, history.

A rule set (supplied by a plugin through ``clientcard_register_rule_sets``) is
a pure decision: from a customer's :class:`Facts` as of a date, its settings
and its current status, to a :class:`Decision` (a status and the reason).  The
engine builds the facts of every customer in one pass over the activity, asks
the rule set of each configured dimension (``[status] rule_set``, ``[tier]
rule_set``) and stores every change as a status-change record.  A pinned
(manually set) status is never overridden.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any, ClassVar

from attrs import define, field, frozen

from clientcard.core.store import Doc, find_docs

#: re-classifying more customers than this reads each activity table in one pass
WHOLE_TABLE_ABOVE = 500
#: The dimensions a workspace can classify customers in, and the record field each sets.
DIMENSIONS = ("status", "tier")
HISTORY = "status_changes"


@frozen
class StatusDef:
    """One status a rule set can give: its key, label, display order and colour."""

    key: str
    label: str
    order: int = 0
    colour: str = ""


@frozen
class Decision:
    """What a rule set decided: the status, the rule that decided it, and why."""

    status: str
    rule: str
    reason: str


class Facts:
    """What is known of one customer as of a date, for rule sets to decide on.

    Built once per customer from the activity; every property is computed on
    first use, so a rule set pays only for what it reads.  Dates are ISO
    strings (``"2025-03-01"``) and compare as such; ``as_of`` included.
    Amounts are :class:`~decimal.Decimal` in the workspace currency (amounts
    in other currencies are left out of totals).
    """

    def __init__(
        self,
        customer: Doc,
        as_of: date,
        *,
        bookings: list[Doc] | None = None,
        payments: list[Doc] | None = None,
        messages: list[Doc] | None = None,
        marketing: list[Doc] | None = None,
        currency: str | None = None,
        timezone: tzinfo = UTC,
    ) -> None:
        self.customer = customer
        self.as_of = as_of
        self.today = as_of.isoformat()
        self.bookings = bookings or []
        self.payments = payments or []
        self.messages = messages or []
        self.marketing = marketing or []
        self.currency = currency
        self.timezone = timezone

    def day(self, days_before: int) -> str:
        """The ISO date ``days_before`` days before ``as_of``."""
        return (self.as_of - timedelta(days=days_before)).isoformat()

    # -- bookings ------------------------------------------------------------------

    @cached_property
    def completed_dates(self) -> list[str]:
        """Dates of completed bookings on or before ``as_of``, oldest first."""
        today = self.today
        return sorted(
            b["date"] for b in self.bookings if b["status"] == "completed" and b["date"] <= today
        )

    @property
    def completed_bookings(self) -> int:
        return len(self.completed_dates)

    @property
    def first_completed(self) -> str | None:
        return self.completed_dates[0] if self.completed_dates else None

    @property
    def last_completed(self) -> str | None:
        return self.completed_dates[-1] if self.completed_dates else None

    def completed_since(self, day: str) -> int:
        """How many completed bookings are dated on or after ``day`` (and by ``as_of``)."""
        return len(self.completed_dates) - bisect.bisect_left(self.completed_dates, day)

    def bookings_with_status(self, status: str) -> int:
        """Bookings of this status dated on or before ``as_of``."""
        today = self.today
        return sum(1 for b in self.bookings if b["status"] == status and b["date"] <= today)

    @cached_property
    def next_booking(self) -> str | None:
        """The earliest upcoming booking dated after ``as_of``."""
        today = self.today
        later = [
            b["date"] for b in self.bookings if b["status"] == "upcoming" and b["date"] > today
        ]
        return min(later, default=None)

    @cached_property
    def completed_spend(self) -> Decimal:
        """Total amount of completed bookings on or before ``as_of``."""
        today = self.today
        return self._total(
            b.get("amount")
            for b in self.bookings
            if b["status"] == "completed" and b["date"] <= today
        )

    # -- payments and messages -------------------------------------------------------

    def local_day(self, moment: str | None) -> str:
        """The workspace-local calendar date of a stored UTC date-time ("" for none)."""
        if not moment:
            return ""
        try:
            return datetime.fromisoformat(moment).astimezone(self.timezone).date().isoformat()
        except ValueError:
            return moment[:10]

    def _payment_day(self, payment: Doc) -> str:
        return self.local_day(payment.get("paid_at") or payment.get("recorded_at"))

    @cached_property
    def received_payments(self) -> list[Doc]:
        """Payments received (refunded ones included: they were an interaction) by ``as_of``."""
        today = self.today
        return [
            p
            for p in self.payments
            if p["status"] in ("received", "refunded") and self._payment_day(p) <= today
        ]

    @cached_property
    def received_total(self) -> Decimal:
        """Amount received and not refunded, by ``as_of``."""
        return self._total(
            p.get("amount") for p in self.received_payments if p["status"] == "received"
        )

    @cached_property
    def overdue_total(self) -> Decimal:
        return self._total(p.get("amount") for p in self.payments if p["status"] == "overdue")

    @cached_property
    def inbound_messages(self) -> int:
        today = self.today
        return sum(
            1
            for m in self.messages
            if m.get("direction") == "in"
            and self.local_day(m.get("at") or m.get("recorded_at")) <= today
        )

    def _total(self, amounts: Iterable[Any]) -> Decimal:
        total = Decimal(0)
        for money in amounts:
            if not money or (self.currency and money.get("currency") != self.currency):
                continue
            try:
                total += Decimal(money["amount"])
            except (InvalidOperation, KeyError, TypeError):
                continue
        return total

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


class RuleSet:
    """Base class for rule sets; subclass it in a plugin and register an instance.

    Set ``name`` (what a business writes in ``[status] rule_set = "NAME"``),
    ``label``, ``description`` and, if the rule set has settings, an attrs
    class with defaults in ``settings_class``: it is read from the table
    ``[status.NAME]`` of ``clientcard.toml`` and checked like any setting.
    Override :meth:`statuses` and :meth:`decide`; ``decide`` must be a pure
    function of its arguments.
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    settings_class: ClassVar[type[Any] | None] = None

    def statuses(self, settings: Any) -> list[StatusDef]:
        """Every status this rule set can give, in display order."""
        raise NotImplementedError

    def decide(self, facts: Facts, settings: Any, current: str | None) -> Decision:
        """The status ``facts`` call for; ``current`` is the customer's status now."""
        raise NotImplementedError


@define
class Transition:
    """One status change, found by ``classify`` (stored unless it is a dry run)."""

    customer_id: int
    dimension: str
    old: str | None
    new: str
    rule: str
    reason: str


@define
class ClassifyReport:
    """The outcome of one ``classify`` run, per dimension."""

    as_of: date
    rule_sets: dict[str, str] = field(factory=dict)
    counts: dict[str, dict[str, int]] = field(factory=dict)
    transitions: list[Transition] = field(factory=list)
    dry_run: bool = False

    def changed(self, dimension: str) -> int:
        return sum(1 for t in self.transitions if t.dimension == dimension)

    def to_json(self) -> dict[str, Any]:
        """``{"as_of", "rule_set", "counts", "changed"}`` for the status dimension first."""
        out: dict[str, Any] = {"as_of": self.as_of.isoformat()}
        for dimension, rule_set in self.rule_sets.items():
            part = {
                "rule_set": rule_set,
                "counts": self.counts.get(dimension, {}),
                "changed": self.changed(dimension),
            }
            if dimension == "status":
                out.update(part)
            else:
                out.setdefault("dimensions", {})[dimension] = part
        out["dry_run"] = self.dry_run
        out["transitions"] = [
            {
                "customer_id": t.customer_id,
                "dimension": t.dimension,
                "from": t.old,
                "to": t.new,
                "rule": t.rule,
                "reason": t.reason,
            }
            for t in self.transitions
        ]
        return out


def group_by_customer(docs: Iterable[Doc]) -> dict[int, list[Doc]]:
    """Activity documents by customer id, in one pass."""
    grouped: dict[int, list[Doc]] = {}
    for doc in docs:
        cid = doc["customer_id"]
        found = grouped.get(cid)
        if found is None:
            grouped[cid] = [doc]
        else:
            found.append(doc)
    return grouped


def history_doc(
    transition: Transition, *, id: int, at: str, as_of: date, manual: bool, rule_set: str | None
) -> Doc:
    return {
        "id": id,
        "customer_id": transition.customer_id,
        "dimension": transition.dimension,
        "from": transition.old,
        "to": transition.new,
        "rule": transition.rule,
        "reason": transition.reason,
        "mode": "manual" if manual else "auto",
        "rule_set": rule_set,
        "at": at,
        "as_of": as_of.isoformat(),
    }


class Classifier:
    """Runs the configured rule sets over customers' facts.

    ``rule_sets`` maps a dimension (``status``, ``tier``) to its rule set and
    that rule set's settings.
    """

    def __init__(
        self,
        rule_sets: Mapping[str, tuple[RuleSet, Any]],
        *,
        currency: str | None,
        timezone: tzinfo = UTC,
        tables: Mapping[str, str],
    ) -> None:
        self.rule_sets = dict(rule_sets)
        self.currency = currency
        self.timezone = timezone
        #: activity argument of Facts → table name
        self.tables = dict(tables)

    def names(self) -> dict[str, str]:
        """Dimension → the name of its rule set."""
        return {dimension: rules.name for dimension, (rules, _) in self.rule_sets.items()}

    def facts(self, session: Any, as_of: date, ids: Iterable[int] | None = None) -> list[Facts]:
        """Facts of the given customers (every customer when ``ids`` is None)."""
        customers = session.table("customers")
        wanted = None if ids is None else list(dict.fromkeys(ids))
        if wanted is None:
            docs = list(customers)
        else:
            docs = [d for d in (customers.get(i) for i in wanted) if d is not None]
        grouped: dict[str, dict[int, list[Doc]]] = {}
        for arg, name in self.tables.items():
            table = session.table(name)
            if wanted is None or len(wanted) > WHOLE_TABLE_ABOVE:
                # one pass over the table beats one index look-up per customer
                grouped[arg] = group_by_customer(table)
            else:
                grouped[arg] = {d["id"]: find_docs(table, "customer_id", d["id"]) for d in docs}
        return [
            Facts(
                doc,
                as_of,
                currency=self.currency,
                timezone=self.timezone,
                **{arg: by_customer.get(doc["id"]) for arg, by_customer in grouped.items()},
            )
            for doc in docs
        ]

    def run(self, facts: Iterable[Facts]) -> tuple[dict[str, dict[str, int]], list[Transition]]:
        """Counts per dimension and status after the run, and the transitions it makes."""
        counts: dict[str, dict[str, int]] = {}
        transitions: list[Transition] = []
        for dimension, (rule_set, settings) in self.rule_sets.items():
            tally = counts[dimension] = {s.key: 0 for s in rule_set.statuses(settings)}
        for one in facts:
            doc = one.customer
            pinned = doc.get("pinned") or ()
            for dimension, (rule_set, settings) in self.rule_sets.items():
                current = doc.get(dimension)
                status = current
                if dimension not in pinned:
                    decision = rule_set.decide(one, settings, current)
                    status = decision.status
                    if status != current:
                        transitions.append(
                            Transition(
                                doc["id"],
                                dimension,
                                current,
                                status,
                                decision.rule,
                                decision.reason,
                            )
                        )
                tally = counts[dimension]
                if status is not None:
                    tally[status] = tally.get(status, 0) + 1
        return counts, transitions
