"""Statuses: classify, set by hand, unpin, history and explain.

:class:`Status` is the workspace's status service (``workspace.status``).
Rule sets are plugins (:class:`~clientcard.status.classify.RuleSet`); the
service runs the configured one per dimension over the customers' facts and
stores each change with its reason (table ``status_changes``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from attrs import define

from clientcard.activity import kinds as activity
from clientcard.activity.facts import Facts
from clientcard.core.clock import utc_now
from clientcard.core.config import names
from clientcard.core.context import Context
from clientcard.core.convert import customer_from_doc
from clientcard.core.errors import ValidationError
from clientcard.core.memory import gc_paused
from clientcard.core.store import Doc, ReadSession, TableSpec, WriteSession, find_docs
from clientcard.core.text import entered
from clientcard.customers import records
from clientcard.customers.records import CUSTOMERS
from clientcard.status.classify import (
    DIMENSIONS,
    HISTORY,
    RULE_SETS,
    Classifier,
    ClassifyReport,
    RuleSet,
    Transition,
    history_doc,
)

TABLES = (TableSpec(HISTORY, indexes=("customer_id",), group="history"),)


@define(frozen=True)
class StatusSettings:
    """``[status]``: the rule set that classifies customers ("": set by hand only)."""

    rule_set: str | None = names("rule_sets", "lifecycle", optional=True)


@define(frozen=True)
class TierSettings:
    """``[tier]``: a second dimension, e.g. ``rule_set = "loyalty-tiers"`` (off by default)."""

    rule_set: str | None = names("rule_sets", None, optional=True)


SETTINGS: dict[str, type[Any]] = {"status": StatusSettings, "tier": TierSettings}


class Status:
    """Statuses from activity (per dimension: ``status`` and ``tier``), by rule sets
    the business picks; statuses set by hand, pinned; the history of every change."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def rule_set(self, dimension: str = "status") -> tuple[RuleSet, Any] | None:
        """The rule set configured for ``dimension`` and its settings, or None."""
        if dimension not in DIMENSIONS:
            raise ValidationError("dimension", dimension, f"one of: {', '.join(DIMENSIONS)}")
        name = self.ctx.settings[dimension].rule_set
        if not name:  # rule_set = "": statuses are set by hand only
            return None
        rules = self.ctx.plugins.registry(RULE_SETS).get(name)
        settings = self.ctx.settings_for(f"status.{name}") if rules.settings_class else None
        return rules, settings

    def classifier(self) -> Classifier:
        configured = {d: found for d in DIMENSIONS if (found := self.rule_set(d)) is not None}
        tables = {
            "bookings": activity.BOOKING.table,
            "payments": activity.PAYMENT.table,
            "messages": activity.MESSAGE.table,
            "marketing": activity.MARKETING.table,
        }
        return Classifier(
            configured,
            currency=self.ctx.field_context.currency,
            timezone=self.ctx.field_context.timezone,
            tables=tables,
        )

    def classify(self, *, as_of: date | None = None, dry_run: bool = False) -> ClassifyReport:
        """Classify every customer as of ``as_of`` (default today) and store each change.

        With ``dry_run`` nothing is written: the report lists the changes it
        would make.  Pinned (manually set) statuses are left alone.
        """
        as_of = as_of or self.ctx.today()
        if dry_run:
            with gc_paused(), self.ctx.read() as session:
                return self.decide(session, as_of, None, dry_run=True)
        with gc_paused(), self.ctx.write() as writing:
            return self.classify_in(writing, as_of, None)

    def decide(
        self,
        session: ReadSession,
        as_of: date,
        ids: Iterable[int] | None,
        *,
        dry_run: bool = False,
    ) -> ClassifyReport:
        """What the rule sets say of the customers ``ids`` (None: all), changing nothing."""
        classifier = self.classifier()
        counts, transitions = classifier.run(classifier.facts(session, as_of, ids))
        return ClassifyReport(
            as_of=as_of,
            rule_sets=classifier.names(),
            counts=counts,
            transitions=transitions,
            dry_run=dry_run,
        )

    def classify_in(
        self, session: WriteSession, as_of: date, ids: Iterable[int] | None
    ) -> ClassifyReport:
        """Classify inside a write (another service's, so that it stays one write)."""
        report = self.decide(session, as_of, ids)
        self.store_transitions(
            session, report.transitions, as_of, manual=False, rule_sets=report.rule_sets
        )
        return report

    def reclassify(self, session: WriteSession, ids: Iterable[int]) -> None:
        """Re-classify ``ids`` as of today, inside ``session`` (activity just changed)."""
        self.classify_in(session, self.ctx.today(), sorted(ids))

    def store_transitions(
        self,
        session: WriteSession,
        transitions: Sequence[Transition],
        as_of: date,
        *,
        manual: bool,
        rule_sets: Mapping[str, str],
        pin: bool | None = None,
        docs: Mapping[int, Doc] | None = None,
    ) -> None:
        """Write status changes to the records and the history; queue their events.

        ``docs`` are records already written with their new status (new
        customers): only their history and events remain to do.
        """
        customers = session.table(CUSTOMERS)
        history = session.table(HISTORY)
        at = utc_now().isoformat()
        listened = self.ctx.events.listened("status_changed")
        changed: dict[int, Doc] = {}
        stored: list[Doc] = []
        events: list[tuple[Doc, Transition]] = []
        for change in transitions:
            if docs is not None:
                doc = docs[change.customer_id]
            else:
                doc = changed.get(change.customer_id) or dict(
                    records.existing(session, change.customer_id)
                )
                changed[change.customer_id] = doc
                doc[change.dimension] = change.new
                pinned = [p for p in doc.get("pinned") or () if p != change.dimension]
                if pin or (pin is None and change.dimension in (doc.get("pinned") or ())):
                    pinned.append(change.dimension)
                doc["pinned"] = pinned
            if change.new != change.old:
                stored.append(
                    history_doc(
                        change,
                        id=0,
                        at=at,
                        as_of=as_of,
                        manual=manual,
                        rule_set=rule_sets.get(change.dimension),
                    )
                )
                if listened:
                    events.append((doc, change))
        customers.put_many(list(changed.values()))
        for record, id in zip(stored, history.new_ids(len(stored)), strict=True):
            record["id"] = id
        history.add_many(stored)
        for doc, change in events:
            self.ctx.events.status_changed(
                customer_from_doc(doc),
                change.dimension,
                change.old,
                change.new,
                change.reason,
                manual,
            )

    def set_status(
        self,
        ids: Iterable[int],
        status: str,
        *,
        dimension: str = "status",
        reason: str = "set by hand",
    ) -> list[Transition]:
        """Set a status by hand and pin it: automation leaves it alone until :meth:`unpin`.

        The status must be one the configured rule set knows.  Returns the changes.
        """
        status = entered(status, field=dimension)
        reason = entered(reason, field="reason")
        configured = self.rule_set(dimension)
        if configured is not None:
            rules, settings = configured
            known = [s.key for s in rules.statuses(settings)]
            if status not in known:
                raise ValidationError(dimension, status, f"one of: {', '.join(known)}")
        elif not status.strip():
            raise ValidationError(dimension, status, "a status name")
        with self.ctx.write() as session:
            docs = [records.existing(session, id) for id in dict.fromkeys(ids)]
            changes = [
                Transition(d["id"], dimension, d.get(dimension), status, "manual", reason)
                for d in docs
            ]
            names = {dimension: configured[0].name} if configured else {}
            self.store_transitions(
                session, changes, self.ctx.today(), manual=True, rule_sets=names, pin=True
            )
        return [c for c in changes if c.old != c.new]

    def unpin(self, ids: Iterable[int], *, dimension: str = "status") -> list[Transition]:
        """Hand customers back to automation, re-classifying them now."""
        self.rule_set(dimension)  # checks the dimension
        with self.ctx.write() as session:
            customers = session.table(CUSTOMERS)
            for id in dict.fromkeys(ids):
                doc = dict(records.existing(session, id))
                doc["pinned"] = [p for p in doc.get("pinned") or () if p != dimension]
                customers.put(doc)
            return self.classify_in(session, self.ctx.today(), ids).transitions

    def history(self, id: int) -> list[dict[str, Any]]:
        """Every status change of a customer, oldest first."""
        with self.ctx.read() as session:
            records.existing(session, id)
            history = session.table(HISTORY)
            return [dict(d) for d in find_docs(history, "customer_id", id)]

    def explain(self, id: int, *, as_of: date | None = None) -> dict[str, Any]:
        """Why a customer has its status: the facts, the deciding rule, the history."""
        with self.ctx.read() as session:
            return self.explained(session, id, as_of or self.ctx.today())[1]

    def explained(self, session: ReadSession, id: int, as_of: date) -> tuple[Facts, dict[str, Any]]:
        """The customer's facts, and what :meth:`explain` says of them."""
        classifier = self.classifier()
        records.existing(session, id)
        (facts,) = classifier.facts(session, as_of, [id])
        history = [dict(d) for d in find_docs(session.table(HISTORY), "customer_id", id)]
        out: dict[str, Any] = {
            "customer_id": id,
            "as_of": as_of.isoformat(),
            "facts": facts.summary(),
            "dimensions": {},
            "history": history,
        }
        for dimension in DIMENSIONS:
            out["dimensions"][dimension] = self._explain_dimension(
                facts, dimension, classifier, history
            )
        return facts, out

    @staticmethod
    def _explain_dimension(
        facts: Facts, dimension: str, classifier: Classifier, history: list[dict[str, Any]]
    ) -> dict[str, Any]:
        doc = facts.customer
        current = doc.get(dimension)
        changes = [h for h in history if h["dimension"] == dimension]
        part: dict[str, Any] = {
            "status": current,
            "pinned": dimension in (doc.get("pinned") or ()),
            # The business day the status took effect (the classification's as-of
            # date), not when the command ran: 'classify --as-of 2025-06-30' makes
            # a status that holds since that day.
            "since": (changes[-1].get("as_of") or changes[-1]["at"][:10]) if changes else None,
            "rule_set": None,
            "decision": None,
            "up_to_date": True,
        }
        configured = classifier.rule_sets.get(dimension)
        if configured is not None:
            rules, settings = configured
            decision = rules.decide(facts, settings, current)
            part["rule_set"] = rules.name
            part["decision"] = {
                "status": decision.status,
                "rule": decision.rule,
                "reason": decision.reason,
            }
            # A status classified as of another day (or before the settings
            # changed) may disagree with what the rule set says as of this one;
            # a pinned status disagrees on purpose.
            part["up_to_date"] = part["pinned"] or decision.status == current
        return part
