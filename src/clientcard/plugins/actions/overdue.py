"""``overdue-payments``: payments to remind the customer about.

A payment is overdue when it is marked ``overdue``, or ``due`` with its due
date before today.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from clientcard.actions.kinds import Action, ActionKind, money_text
from clientcard.activity.facts import Facts, payment_overdue
from clientcard.core.hookspecs import hookimpl


class OverduePayments(ActionKind):
    name = "overdue-payments"
    label = "Remind about an overdue payment"
    description = "Payments marked overdue, or due before today."

    def find(self, facts: Facts, settings: Any) -> Iterable[Action]:
        for payment in facts.payments:
            due = payment.get("due_date")
            if payment_overdue(payment["status"], due, facts.today):
                amount = payment.get("amount")
                shown = money_text(amount)
                yield Action(
                    kind=self.name,
                    customer_id=facts.id,
                    summary=f"remind: payment {payment['id']} of {shown or 'an amount'} is overdue"
                    + (f" (due {due})" if due else ""),
                    date=due,
                    amount=amount,
                    refs={"payments": [payment["id"]]},
                )


@hookimpl
def clientcard_register_action_kinds(register: Callable[[ActionKind], None]) -> None:
    register(OverduePayments())
