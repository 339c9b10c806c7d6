"""``win-back``: customers past their usual interval between visits, with nothing booked.

A customer's usual interval is the median gap between their completed
bookings (it takes ``min_visits`` visits to have one); once ``factor`` times
that has passed since the last visit and no booking is upcoming, invite them
back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from attrs import define, field

from clientcard.actions.kinds import Action, ActionKind
from clientcard.activity.facts import Facts
from clientcard.core.hookspecs import hookimpl


def _at_least(low: float) -> Callable[[Any, Any, float], None]:
    def check(_: Any, attribute: Any, value: float) -> None:
        if value < low:
            raise ValueError(f"a number of at least {low:g}")

    return check


@define(frozen=True)
class WinBackSettings:
    """``[actions.win-back]``."""

    #: visits it takes to know a usual interval
    min_visits: int = field(default=3, validator=_at_least(2))
    #: invite back once this many usual intervals have passed since the last visit
    factor: float = field(default=1.0, validator=_at_least(1))


class WinBack(ActionKind):
    name = "win-back"
    label = "Invite back"
    description = "Customers past their usual interval between visits, with nothing upcoming."
    settings_class = WinBackSettings

    def find(self, facts: Facts, settings: WinBackSettings) -> Iterable[Action]:
        visits = sorted(set(facts.completed_dates))
        if len(visits) < settings.min_visits or facts.next_booking is not None:
            return
        days = [date.fromisoformat(d) for d in visits]
        gaps = sorted((b - a).days for a, b in pairwise(days))
        middle = len(gaps) // 2
        usual = gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2
        due = days[-1] + timedelta(days=round(usual * settings.factor))
        if due.isoformat() < facts.today:
            yield Action(
                kind=self.name,
                customer_id=facts.id,
                summary=f"invite back: usually every {usual:g} days, last visit {visits[-1]}",
                date=due.isoformat(),
            )


@hookimpl
def clientcard_register_action_kinds(register: Callable[[ActionKind], None]) -> None:
    register(WinBack())
