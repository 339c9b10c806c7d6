"""The ``loyalty-tiers`` rule set: bronze, silver, gold (or your own tiers) from points.

Meant for the second dimension, next to a status::

    [tier]
    rule_set = "loyalty-tiers"

    [status.loyalty-tiers]
    points_per_unit = 1.0             # points per currency unit spent
    spend_source = "bookings"         # or "payments"
    opening_total_field = "opening_total"
    tiers = { bronze = 0, silver = 500, gold = 2000 }

Money is added up as exact decimals, never as floating-point numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import ROUND_FLOOR, Decimal, InvalidOperation, localcontext
from typing import Any, Literal

import attrs
from attrs import field, frozen

from clientcard.activity.facts import Facts
from clientcard.core.hookspecs import hookimpl
from clientcard.status.classify import Decision, RuleSet, StatusDef

#: Colours of the usual tier names; other tiers have none.
COLOURS = {"bronze": "#cd7f32", "silver": "#c0c0c0", "gold": "#ffd700"}

SOURCES = ("bookings", "payments")


def _default_tiers() -> dict[str, int]:
    return {"bronze": 0, "silver": 500, "gold": 2000}


def _points_per_unit(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError("a number of points per currency unit, 0 or more, such as 1 or 0.5")


def _source(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in SOURCES:
        raise ValueError("'bookings' (completed bookings) or 'payments' (received payments)")


def _field_key(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError('the key of a customer field, or "" for no opening total')


_TIERS_EXPECTED = (
    "a table of tiers and the points each starts at, such as "
    "{ bronze = 0, silver = 500, gold = 2000 }: at least one tier, one of them at 0, "
    "each at a different whole number of points, 0 or more"
)


def _tiers(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(_TIERS_EXPECTED)
    mins = list(value.values())
    if (
        not all(isinstance(k, str) and k.strip() == k and k for k in value)
        or not all(isinstance(m, int) and not isinstance(m, bool) and m >= 0 for m in mins)
        or 0 not in mins
        or len(set(mins)) != len(mins)
    ):
        raise ValueError(_TIERS_EXPECTED)


@frozen
class LoyaltyTiersSettings:
    """``[status.loyalty-tiers]``: how points are earned, and the points each tier starts at."""

    #: points earned per currency unit spent (1.0: one point per euro)
    points_per_unit: float = field(default=1.0, validator=_points_per_unit)
    #: what counts as spend: "bookings" (completed bookings) or "payments" (received payments)
    spend_source: Literal["bookings", "payments"] = field(default="bookings", validator=_source)
    #: the customer field holding purchases made before clientcard ("": none)
    opening_total_field: str = field(default="opening_total", validator=_field_key)
    #: tier name → the points it starts at; one tier must start at 0
    tiers: dict[str, int] = field(factory=_default_tiers, validator=_tiers)


def _amount(value: Any) -> Decimal:
    """An opening total read from a custom field value: money, decimal text or a number."""
    if isinstance(value, Mapping):
        value = value.get("amount")
    if isinstance(value, bool) or value is None:
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip()) if isinstance(value, str | int | float) else None
    except InvalidOperation:
        return Decimal(0)
    return amount if amount is not None and amount.is_finite() else Decimal(0)


def _label(key: str) -> str:
    """A tier's label from its key: "gold" → "Gold", "vip_gold" → "Vip gold"."""
    text = key.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def _plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 1.0 → "1", 0.50 → "0.5"."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class LoyaltyTiers(RuleSet):
    """A loyalty tier from the points a customer earned by spending.

    Points are the spend (completed bookings' amounts, or received payments,
    as ``spend_source`` says; amounts in another currency than the
    workspace's are left out) plus the opening total (the customer field named
    by ``opening_total_field``, for purchases made before clientcard; its
    amount counts whatever its currency), times ``points_per_unit``, rounded
    down to a whole number.  The customer gets the highest tier whose starting
    points they reach.
    """

    name = "loyalty-tiers"
    label = "Loyalty tiers"
    description = (
        "Bronze, silver and gold (or tiers you name) from points earned per unit spent, "
        "counting purchases made before clientcard too."
    )
    settings_class = LoyaltyTiersSettings

    def statuses(self, settings: Any) -> list[StatusDef]:
        """The tiers, from the one starting at 0 points up."""
        s: LoyaltyTiersSettings = settings if settings is not None else LoyaltyTiersSettings()
        ranked = sorted(s.tiers.items(), key=lambda item: item[1])
        return [
            StatusDef(key, _label(key), i, COLOURS.get(key, ""))
            for i, (key, _) in enumerate(ranked)
        ]

    def points(self, facts: Facts, settings: LoyaltyTiersSettings) -> tuple[int, Decimal, Decimal]:
        """The customer's points, spend and opening total."""
        spend = (
            facts.received_total if settings.spend_source == "payments" else facts.completed_spend
        )
        opening = (
            _amount(facts.field(settings.opening_total_field))
            if settings.opening_total_field
            else Decimal(0)
        )
        # Enough digits for any stored amount (at most 60) times any rate: no rounding.
        with localcontext() as ctx:
            ctx.prec = 200
            total = (spend + opening) * Decimal(str(settings.points_per_unit))
            points = int(total.to_integral_value(rounding=ROUND_FLOOR))
        return max(points, 0), spend, opening

    def decide(self, facts: Facts, settings: Any, current: str | None) -> Decision:
        """The tier as of ``facts.as_of``."""
        s: LoyaltyTiersSettings = settings if settings is not None else LoyaltyTiersSettings()
        points, spend, opening = self.points(facts, s)
        ranked = sorted(s.tiers.items(), key=lambda item: item[1])
        tier, start = ranked[0]
        following: tuple[str, int] | None = None
        for key, minimum in ranked:
            if points >= minimum:
                tier, start = key, minimum
            else:
                following = (key, minimum)
                break
        unit = f" {facts.currency}" if facts.currency else ""
        source = "received payments" if s.spend_source == "payments" else "completed bookings"
        parts = f"{spend}{unit} of {source}"
        if opening:
            parts += f" + {opening} opening total"
        rate = _plain(Decimal(str(s.points_per_unit)))
        reason = f"{points} points ({parts}, at {rate} per unit): {tier} from {start} points"
        if following is not None:
            reason += f", {following[0]} from {following[1]}"
        return Decision(tier, "points", reason + ".")


@hookimpl
def clientcard_register_rule_sets(register: Callable[[RuleSet], None]) -> None:
    """Provide the ``loyalty-tiers`` rule set (``[tier] rule_set = "loyalty-tiers"``)."""
    register(LoyaltyTiers())
