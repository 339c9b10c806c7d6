"""Actions needing attention: what the business should do next, customer by customer.

An :class:`ActionKind` (a plugin kind, registered with
``clientcard_register_action_kinds``) looks at one customer's
:class:`~clientcard.activity.facts.Facts` -- the same facts rule sets decide on --
and returns the :class:`Action` items it finds: a payment to remind about, a
booking to charge for, a customer to invite back.  Like a rule set's
``decide``, ``find`` is pure; its settings come from ``[actions.NAME]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from attrs import field, frozen

from clientcard.activity.facts import Facts
from clientcard.core.plugins import Kind


@frozen
class Action:
    """One thing to do about one customer.

    ``kind`` is the action kind's name; ``summary`` one line for people;
    ``date`` when it became due (ISO date), ``amount`` a money value (JSON
    form) when money is involved; ``refs`` the ids of the records it is about
    (``{"payments": [3]}``).
    """

    kind: str
    customer_id: int
    summary: str
    date: str | None = None
    amount: Mapping[str, Any] | None = None
    refs: Mapping[str, list[int]] = field(factory=dict)

    def to_json(self, name: str | None = None) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "customer_id": self.customer_id,
            "name": name,
            "summary": self.summary,
            "date": self.date,
            "amount": None if self.amount is None else dict(self.amount),
            "refs": {k: list(v) for k, v in self.refs.items()},
        }


class ActionKind:
    """Base class for kinds of action; subclass it in a plugin and register an instance.

    Set ``name`` (what ``clientcard actions --kind NAME`` takes), ``label`` and
    ``description``; an attrs class in ``settings_class`` is read from
    ``[actions.NAME]``.  Implement :meth:`find`.
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    settings_class: ClassVar[type[Any] | None] = None

    def find(self, facts: Facts, settings: Any) -> Iterable[Action]:
        """The actions one customer needs, as of ``facts.today``; nothing when none."""
        raise NotImplementedError


def money(amount: Decimal, currency: str | None) -> dict[str, Any]:
    """A money value (JSON form) for :attr:`Action.amount`."""
    return {"amount": str(amount.quantize(Decimal("0.01"))), "currency": currency}


def money_text(value: Any) -> str:
    """A money value (JSON form) as people read it, ``"12.50 EUR"``; other values as
    text, and nothing for None."""
    if isinstance(value, Mapping) and "amount" in value:
        return f"{value['amount']} {value.get('currency') or ''}".strip()
    return "" if value is None else str(value)


#: what plugins register with ``clientcard_register_action_kinds``
ACTION_KINDS: Kind[ActionKind] = Kind(
    "clientcard_register_action_kinds",
    "action kind",
    "action kinds",
    "action_kinds",
    ActionKind,
    "clientcard.ActionKind",
    settings_table="actions",
)
