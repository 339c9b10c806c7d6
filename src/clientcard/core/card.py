"""The customer card: everything about one customer, in sections, with quick analytics.

:func:`analytics` and :func:`sections` are pure: they take the customer's
documents (as stored) and the day, and return JSON-ready data, which
``clientcard customers show`` renders and ``--format json`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from clientcard.core.store import Doc

Docs = Sequence[Doc]
#: the field holding purchases made before clientcard (also what loyalty tiers read)
OPENING_TOTAL = "opening_total"


def _amount(value: Any, currency: str | None) -> Decimal | None:
    """A stored money value's amount, when in the workspace's currency (or it has none)."""
    if not isinstance(value, Mapping) or "amount" not in value:
        return None
    if currency and value.get("currency") not in (None, currency):
        return None
    return Decimal(str(value["amount"]))


def _money(amount: Decimal, currency: str | None) -> dict[str, Any]:
    return {"amount": str(amount.quantize(Decimal("0.01"))), "currency": currency}


def is_overdue(payment: Doc, today: date) -> bool:
    """Overdue: marked so, or due with its due date passed."""
    if payment.get("status") == "overdue":
        return True
    due = payment.get("due_date")
    return payment.get("status") == "due" and due is not None and due < today.isoformat()


def analytics(
    bookings: Docs,
    payments: Docs,
    *,
    today: date,
    currency: str | None,
    opening_total: Any = None,
) -> dict[str, Any]:
    """Quick numbers for the card.

    Spend is what was received (payments with status ``received``); a customer
    with no payments recorded at all is counted by their completed bookings'
    amounts instead, for businesses that record prices on bookings only.  The
    opening total (purchases before clientcard) is added to the total, not to
    the average.  Amounts in another currency than the workspace's are left out.
    """
    day = today.isoformat()
    past = [b for b in bookings if b.get("date") and b["date"] <= day]
    completed = sorted((b for b in past if b.get("status") == "completed"), key=_on)
    no_shows = [b for b in past if b.get("status") == "no_show"]
    upcoming = sorted(
        (b for b in bookings if b.get("status") == "upcoming" and (b.get("date") or "") >= day),
        key=_on,
    )
    if payments:
        paid = [p.get("amount") for p in payments if p.get("status") == "received"]
    else:
        paid = [b.get("amount") for b in completed]
    spent = sum((a for v in paid if (a := _amount(v, currency)) is not None), Decimal(0))
    opening = _amount(opening_total, currency) or Decimal(0)
    overdue = sum(
        (
            a
            for p in payments
            if is_overdue(p, today) and (a := _amount(p.get("amount"), currency)) is not None
        ),
        Decimal(0),
    )
    visits = len(completed)
    attended = visits + len(no_shows)
    return {
        "total_spent": _money(spent + opening, currency),
        "opening_total": _money(opening, currency),
        "completed_visits": visits,
        "average_spend": _money(spent / visits, currency) if visits else None,
        "first_visit": completed[0]["date"] if completed else None,
        "last_visit": completed[-1]["date"] if completed else None,
        "next_booking": upcoming[0]["date"] if upcoming else None,
        "no_show_rate": round(len(no_shows) / attended, 3) if attended else None,
        "overdue_amount": _money(overdue, currency),
    }


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
            "overdue": [p for p in payments if is_overdue(p, today)],
            "received": [p for p in payments if p.get("status") == "received"],
            "other": [
                p for p in payments if p.get("status") != "received" and not is_overdue(p, today)
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


def since(history: Sequence[Mapping[str, Any]], dimension: str) -> str | None:
    """When the current status (or tier) was given: the time of its latest change."""
    changes = [h for h in history if h["dimension"] == dimension]
    return str(changes[-1]["at"]) if changes else None
