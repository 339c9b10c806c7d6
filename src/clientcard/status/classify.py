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

from collections.abc import Iterable, Mapping
from datetime import UTC, date, tzinfo
from typing import Any, ClassVar

from attrs import define, field, frozen

from clientcard.activity.facts import FIELDS, Activity, Facts
from clientcard.core.plugins import Kind
from clientcard.core.store import Doc, ReadSession

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

    def facts(
        self, session: ReadSession, as_of: date, ids: Iterable[int] | None = None
    ) -> list[Facts]:
        """Facts of the given customers (every customer when ``ids`` is None)."""
        customers = session.table("customers")
        wanted = None if ids is None else list(dict.fromkeys(ids))
        if wanted is None:
            docs = list(customers)
        else:
            docs = [d for d in (customers.get(i) for i in wanted) if d is not None]
        # a few customers: only their rows; many: every row, in one pass
        where = None
        if wanted is not None and len(wanted) <= WHOLE_TABLE_ABOVE:
            where = ("customer_id", {d["id"] for d in docs})
        columns = {
            arg: session.table(name).columns(FIELDS[arg], where=where)
            for arg, name in self.tables.items()
        }
        shared = Activity(columns, as_of, currency=self.currency, timezone=self.timezone)
        return [Facts(doc, as_of, activity=shared) for doc in docs]

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


#: what plugins register with ``clientcard_register_rule_sets``
RULE_SETS: Kind[RuleSet] = Kind(
    "clientcard_register_rule_sets",
    "rule set",
    "rule sets",
    "rule_sets",
    RuleSet,
    "clientcard.RuleSet",
    settings_table="status",
)
