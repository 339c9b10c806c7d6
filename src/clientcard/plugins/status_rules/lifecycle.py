"""The ``lifecycle`` rule set: new, paid, loyal and churned customers.

The default rule set of a workspace.  It looks only at completed bookings: a
booking counts when its status is ``completed`` and it is dated on or before
the day the classification is made for.  Cancelled bookings, no-shows and
bookings still to come never count.

Settings, in ``clientcard.toml``::

    [status.lifecycle]
    loyal_min_bookings = 3    # completed bookings needed ...
    loyal_window_days = 180   # ... within this many days to be loyal
    churn_after_days = 180    # no completed booking for longer than this: churned
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
from attrs import field, frozen

from clientcard.activity.facts import Facts
from clientcard.core.hookspecs import hookimpl
from clientcard.status.classify import Decision, RuleSet, StatusDef

#: The longest period a setting in days may cover (a hundred years).
MAX_DAYS = 36500


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _at_least_one(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not _whole(value) or value < 1:
        raise ValueError("a whole number of bookings, 1 or more")


def _days(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not _whole(value) or not 1 <= value <= MAX_DAYS:
        raise ValueError(f"a whole number of days from 1 to {MAX_DAYS}")


@frozen
class LifecycleSettings:
    """``[status.lifecycle]``: when a customer counts as loyal, and when as churned."""

    #: completed bookings a customer needs within ``loyal_window_days`` to be loyal
    loyal_min_bookings: int = field(default=3, validator=_at_least_one)
    #: the period, in days up to the classification day, those bookings must fall in
    loyal_window_days: int = field(default=180, validator=_days)
    #: a customer whose latest completed booking is older than this many days has churned
    churn_after_days: int = field(default=180, validator=_days)


def _bookings(count: int) -> str:
    return f"{count} completed booking" + ("" if count == 1 else "s")


class Lifecycle(RuleSet):
    """New, paid, loyal or churned, from a customer's completed bookings.

    As of the classification day A, and counting only completed bookings dated
    on or before A:

    * **new**: no completed booking yet;
    * **churn**: the latest completed booking is dated before A minus
      ``churn_after_days`` (a booking exactly that many days ago still keeps
      the customer);
    * **loyal**: not churned, and at least ``loyal_min_bookings`` completed
      bookings dated on or after A minus ``loyal_window_days``;
    * **paid**: every other customer with a completed booking.

    The first of these that applies, in this order, is the status.
    """

    name = "lifecycle"
    label = "Customer lifecycle"
    description = (
        "New customers, paying customers, loyal regulars (enough completed bookings "
        "in a recent period) and churned customers (no completed booking for a long time)."
    )
    settings_class = LifecycleSettings

    def statuses(self, settings: Any) -> list[StatusDef]:
        """New, paid, loyal and churn, in that order."""
        return [
            StatusDef("new", "New", 0, "#3b82f6"),
            StatusDef("paid", "Paying customer", 1, "#22c55e"),
            StatusDef("loyal", "Loyal", 2, "#a855f7"),
            StatusDef("churn", "Churned", 3, "#ef4444"),
        ]

    def decide(self, facts: Facts, settings: Any, current: str | None) -> Decision:
        """The lifecycle status of the customer as of ``facts.as_of``."""
        s: LifecycleSettings = settings if settings is not None else LifecycleSettings()
        last = facts.last_completed
        if last is None:
            return Decision("new", "new", f"No completed booking by {facts.today}.")

        churn_day = facts.day(s.churn_after_days)
        if last < churn_day:
            ago = (facts.as_of - date.fromisoformat(last)).days
            return Decision(
                "churn",
                "churn",
                f"Latest completed booking on {last}, {ago} days ago "
                f"(churned after more than {s.churn_after_days} days without one).",
            )

        since = facts.day(s.loyal_window_days)
        recent = facts.completed_since(since)
        window = (
            f"(at least {s.loyal_min_bookings} within {s.loyal_window_days} days "
            "make a customer loyal)"
        )
        if recent >= s.loyal_min_bookings:
            return Decision("loyal", "loyal", f"{_bookings(recent)} since {since} {window}.")
        return Decision(
            "paid",
            "paid",
            f"{_bookings(recent)} since {since}, latest on {last} {window}.",
        )


@hookimpl
def clientcard_register_rule_sets(register: Callable[[RuleSet], None]) -> None:
    """Provide the ``lifecycle`` rule set (``[status] rule_set = "lifecycle"``)."""
    register(Lifecycle())
