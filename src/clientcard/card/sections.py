"""The customer card: everything about one customer, in sections, with quick analytics.

:func:`analytics` and :func:`sections` are pure: they take the customer's
facts, documents (as stored) and the day, and return JSON-ready data, which
``clientcard customers show`` renders and ``--format json`` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from clientcard.actions.kinds import money
from clientcard.activity.facts import Facts, payment_overdue
from clientcard.core.store import Doc

Docs = Sequence[Doc]
#: the field holding purchases made before clientcard (also what loyalty tiers read)
OPENING_TOTAL = "opening_total"


def analytics(facts: Facts, opening_total: Any = None) -> dict[str, Any]:
    """Quick numbers for the card, from the customer's :class:`Facts` (what rule sets and
    actions count, so the card never disagrees with them).

    Spend is what was received by the day (payments with status ``received``);
    a customer with no payment recorded at all is counted by their completed
    bookings' amounts instead, for businesses that record prices on bookings
    only.  The opening total (purchases before clientcard) is added to the
    total, not to the average.  Amounts in another currency than the
    workspace's are left out.
    """
    from_payments = bool(facts.payments)
    spent = facts.received_total if from_payments else facts.completed_spend
    opening = facts.amount(opening_total) or Decimal(0)
    visits = facts.completed_bookings
    no_shows = facts.bookings_with_status("no_show")
    attended = visits + no_shows
    currency = facts.currency
    return {
        "total_spent": money(spent + opening, currency),
        "opening_total": money(opening, currency),
        "completed_visits": visits,
        "average_spend": money(spent / visits, currency) if visits else None,
        "first_visit": facts.first_completed,
        "last_visit": facts.last_completed,
        "next_booking": facts.next_booking,
        "no_show_rate": round(no_shows / attended, 3) if attended else None,
        "overdue_amount": money(facts.overdue_total, currency),
        "spent_from": "payments" if from_payments else "bookings",
        "left_out": left_out(facts, opening_total, from_payments=from_payments),
    }


def left_out(facts: Facts, opening_total: Any, *, from_payments: bool) -> list[dict[str, Any]]:
    """The amounts the total spent does not add up, each with why: so that "0.00" on
    a card with bookings is never a riddle.

    Amounts in another currency than the workspace's are never added to it;
    and once payments are recorded, spend is what was received, so completed
    bookings' prices are not added on top (a paid visit would count twice).
    """
    prices = _by_currency(
        b["amount"]
        for b in facts.bookings
        if b["status"] == "completed" and b["date"] <= facts.today
    )
    received = _by_currency(
        p["amount"]
        for p in facts.payments
        if p["status"] == "received"
        and facts.local_day(p["paid_at"] or p["recorded_at"]) <= facts.today
    )
    out: list[dict[str, Any]] = []
    if from_payments:
        for code, amount in prices.items():
            out.append(
                {
                    "amount": _money(amount, code),
                    "why": "prices of completed bookings: with payments recorded, "
                    "spend is what was received",
                }
            )
    if facts.currency is None:
        return out
    counted = received if from_payments else prices
    elsewhere: dict[str, Decimal] = {}
    for code, amount in (*counted.items(), *_by_currency([opening_total]).items()):
        if code != facts.currency:
            elsewhere[code] = elsewhere.get(code, Decimal(0)) + amount
    for code, amount in sorted(elsewhere.items()):
        out.append(
            {
                "amount": _money(amount, code),
                "why": f"in {code}, not the workspace currency {facts.currency}",
            }
        )
    return out


def _by_currency(values: Iterable[Any]) -> dict[str, Decimal]:
    """Stored money values added up per currency, in order of first appearance."""
    sums: dict[str, Decimal] = {}
    for value in values:
        if not isinstance(value, dict) or not value.get("currency"):
            continue
        try:
            amount = Decimal(value["amount"])
        except (InvalidOperation, KeyError, TypeError, ValueError):
            continue
        sums[value["currency"]] = sums.get(value["currency"], Decimal(0)) + amount
    return sums


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": format(amount, "f"), "currency": currency}


def _on(doc: Doc) -> tuple[str, str]:
    return doc.get("date") or "", doc.get("start") or ""


def _at(doc: Doc) -> str:
    return str(doc.get("at") or doc.get("recorded_at") or "")


def membership_state(membership: Doc, today: date) -> str:
    """``active``, ``expired`` or ``future`` on ``today`` (an open end never expires)."""
    day = today.isoformat()
    if membership.get("start") and membership["start"] > day:
        return "future"
    end = membership.get("end")
    return "expired" if end is not None and end < day else "active"


def sections(
    *,
    today: date,
    bookings: Docs,
    payments: Docs,
    messages: Docs,
    notes: Docs,
    documents: Docs,
    reviews: Docs,
    memberships: Docs,
) -> dict[str, Any]:
    """The card's lists, each sorted the way a reader wants it (newest first, or soonest)."""
    day = today.isoformat()
    ratings = [r["rating"] for r in reviews if isinstance(r.get("rating"), int)]
    return {
        "bookings": {
            "upcoming": sorted(
                (b for b in bookings if b.get("status") == "upcoming" and b["date"] >= day),
                key=_on,
            ),
            "past": sorted(
                (b for b in bookings if not (b.get("status") == "upcoming" and b["date"] >= day)),
                key=_on,
                reverse=True,
            ),
        },
        "payments": {
            "overdue": [p for p in payments if _overdue(p, day)],
            "received": [p for p in payments if p.get("status") == "received"],
            "other": [
                p for p in payments if p.get("status") != "received" and not _overdue(p, day)
            ],
        },
        "conversations": sorted(messages, key=_at, reverse=True),
        # pinned notes first, then newest first
        "notes": sorted(sorted(notes, key=_at, reverse=True), key=lambda n: not n.get("pinned")),
        "documents": sorted(documents, key=_at, reverse=True),
        "reviews": {
            "order": [r for r in reviews if r.get("about") == "order"],
            "staff": [r for r in reviews if r.get("about") == "staff"],
            "average_rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        },
        "memberships": [
            {**m, "state": membership_state(m, today)}
            for m in sorted(memberships, key=lambda m: m.get("start") or "", reverse=True)
        ],
    }


def _overdue(payment: Doc, day: str) -> bool:
    return payment_overdue(payment.get("status"), payment.get("due_date"), day)
