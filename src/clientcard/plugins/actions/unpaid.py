"""``unpaid-bookings``: completed bookings never paid for, to charge.

Payments are not tied to bookings, so they are matched in order: what a
customer paid (received, not refunded) covers their completed bookings with an
amount, oldest first; each booking left uncovered, in whole or in part, is an
action for what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from clientcard.actions.kinds import Action, ActionKind, money, money_text
from clientcard.activity.facts import Facts
from clientcard.core.hookspecs import hookimpl


class UnpaidBookings(ActionKind):
    name = "unpaid-bookings"
    label = "Charge for a completed booking"
    description = "Completed bookings with an amount that payments received do not cover."

    def find(self, facts: Facts, settings: Any) -> Iterable[Action]:
        priced = sorted(
            (
                (b["date"], b["id"], amount)
                for b in facts.bookings
                if b["status"] == "completed"
                and b["date"] <= facts.today
                and (amount := facts.amount(b.get("amount")))
            ),
        )
        paid = facts.received_total
        for day, id, amount in priced:
            covered = min(paid, amount)
            paid -= covered
            missing = amount - covered
            if missing > 0:
                value = money(missing, facts.currency)
                yield Action(
                    kind=self.name,
                    customer_id=facts.id,
                    summary=f"charge: booking {id} of {day} is unpaid ({money_text(value)})",
                    date=day,
                    amount=value,
                    refs={"bookings": [id]},
                )


@hookimpl
def clientcard_register_action_kinds(register: Callable[[ActionKind], None]) -> None:
    register(UnpaidBookings())
