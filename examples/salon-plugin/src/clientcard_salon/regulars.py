"""The ``regulars`` rule pack: each customer's own rhythm between visits.

A salon's customers come back at their own pace: a short cut every four
weeks, a colour every eight.  Rather than one churn period for everyone, this
rule pack learns each customer's usual interval (the median number of days
between their visits) and watches for the next visit being late:

* **new**: no visit yet;
* **regular**: a visit is booked, or the last one is within ``at_risk_after``
  usual intervals;
* **at-risk**: more than ``at_risk_after`` usual intervals (1.5) have passed
  since the last visit, with nothing booked;
* **lapsed**: more than ``lapsed_after`` usual intervals (3) have passed, with
  nothing booked.

A visit is a day with a completed booking (a cut and a colour on the same day
are one visit).  Until a customer has ``min_visits`` visits, their interval is
``usual_interval_days``.  Settings, in ``clientcard.toml``::

    [status]
    rule_set = "regulars"

    [status.regulars]
    min_visits = 3
    usual_interval_days = 42
    at_risk_after = 1.5
    lapsed_after = 3.0
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from statistics import median
from typing import Any

import attrs
from attrs import field, frozen
from clientcard import Decision, Facts, RuleSet, StatusDef


def _whole_at_least(low: int) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"a whole number, {low} or more")

    return check


def _factor(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not 1 <= value <= 100:
        raise ValueError("a number of intervals from 1 to 100, such as 1.5")


@frozen
class RegularsSettings:
    """``[status.regulars]``: when a customer is late for their next visit."""

    #: visits it takes to know a customer's own interval (2 visits give one gap)
    min_visits: int = field(default=3, validator=_whole_at_least(2))
    #: the interval assumed until then, in days (six weeks: a typical cut)
    usual_interval_days: int = field(default=42, validator=_whole_at_least(1))
    #: at risk once this many usual intervals have passed with nothing booked
    at_risk_after: float = field(default=1.5, validator=_factor)
    #: lapsed once this many have passed
    lapsed_after: float = field(default=3.0, validator=_factor)

    def __attrs_post_init__(self) -> None:
        if self.lapsed_after <= self.at_risk_after:
            # clientcard shows this as "[status.regulars] is not valid: ..."
            raise ValueError(
                f"lapsed_after ({self.lapsed_after:g}) must be more than "
                f"at_risk_after ({self.at_risk_after:g})"
            )


def _days(value: float) -> str:
    return f"{value:g} day" + ("" if value == 1 else "s")


class Regulars(RuleSet):
    """New, regular, at risk or lapsed, from each customer's own interval between visits."""

    name = "regulars"
    label = "Salon regulars"
    description = (
        "Each customer's usual interval between visits; at risk when 1.5 intervals "
        "pass with nothing booked, lapsed after 3."
    )
    settings_class = RegularsSettings

    def statuses(self, settings: Any) -> list[StatusDef]:
        return [
            StatusDef("new", "New", 0, "#3b82f6"),
            StatusDef("regular", "Regular", 1, "#16a34a"),
            StatusDef("at-risk", "At risk", 2, "#f59e0b"),
            StatusDef("lapsed", "Lapsed", 3, "#dc2626"),
        ]

    def decide(self, facts: Facts, settings: Any, current: str | None) -> Decision:
        s: RegularsSettings = settings if settings is not None else RegularsSettings()
        visits = sorted(set(facts.completed_dates))
        if not visits:
            if facts.next_booking is not None:
                return Decision("new", "new", f"First visit booked for {facts.next_booking}.")
            return Decision("new", "new", f"No visit yet by {facts.today}.")

        interval, whose = usual_interval(visits, s)
        last = visits[-1]
        since = (facts.as_of - date.fromisoformat(last)).days
        rhythm = f"{whose} {_days(interval)} between visits"
        if facts.next_booking is not None:
            return Decision(
                "regular", "booked", f"Next visit booked for {facts.next_booking} ({rhythm})."
            )
        late = since / interval
        told = f"Last visit on {last}, {_days(since)} ago ({late:.1f} intervals; {rhythm})"
        if late > s.lapsed_after:
            return Decision(
                "lapsed",
                "lapsed",
                f"{told}: more than {s.lapsed_after:g} intervals with nothing booked.",
            )
        if late > s.at_risk_after:
            return Decision(
                "at-risk",
                "at-risk",
                f"{told}: more than {s.at_risk_after:g} intervals with nothing booked.",
            )
        return Decision("regular", "on-time", f"{told}.")


def usual_interval(visits: list[str], settings: RegularsSettings) -> tuple[float, str]:
    """A customer's usual interval in days, and whose it is ("usually" or "assumed")."""
    if len(visits) < settings.min_visits:
        return float(settings.usual_interval_days), "assumed"
    days = [date.fromisoformat(v) for v in visits]
    return float(median((b - a).days for a, b in pairwise(days))), "usually"
