"""Finding customers: filters, sorting, column views, activity summaries, segments.

:class:`Find` is the workspace's selection service (``workspace.find``).
The filters are a :class:`~clientcard.find.selection.Selection` (the same
object for listing, bulk actions, exports and segments); the engine that
applies them over the customers held as columns is
:mod:`clientcard.find.selection`, the ``--where`` language
:mod:`clientcard.find.where`.
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal
from functools import cache
from typing import Any

from clientcard.activity import kinds as activity
from clientcard.activity.facts import FIELDS, Activity
from clientcard.core.context import Context
from clientcard.core.errors import DuplicateError, NotFoundError, ValidationError
from clientcard.core.store import Doc, ReadSession, Table, TableSpec, find_docs
from clientcard.core.text import entered, entered_all, fold
from clientcard.customers import records
from clientcard.customers.records import CUSTOMERS
from clientcard.fields.service import Fields
from clientcard.find.selection import (
    CustomerView,
    SearchTexts,
    Selected,
    Selection,
    parse_sort,
    row_filters,
    run,
    sort_key,
)
from clientcard.status.service import Status

SEGMENTS = "segments"
#: saved segments are few and small: beside the field definitions
TABLES = (TableSpec(SEGMENTS, indexes=("key",), group="schema"),)


class Find:
    """The customers a selection matches, fast: the customers are held as columns
    under the revision they reflect, and activity summaries under the activity's."""

    def __init__(self, ctx: Context, fields: Fields, status: Status) -> None:
        self.ctx = ctx
        self.fields = fields
        self.status = status
        #: folded search text per customer document (see find/selection.py)
        self._texts = SearchTexts()
        self._views: tuple[Hashable, CustomerView] | None = None
        self._summaries: tuple[Hashable, dict[str, Any]] | None = None

    def selection_in(self, session: ReadSession, selected: Selected) -> Selection:
        """A selection from what a caller gave (a Selection, ids, or None), segment merged."""
        if selected is None:
            return Selection()
        if not isinstance(selected, Selection):
            return Selection(ids=tuple(dict.fromkeys(selected)))
        if selected.segment is None:
            return selected
        saved = self._segment_doc(session, selected.segment)
        own = Selection.from_json({**selected.to_json(), "segment": None})
        return own.merged(Selection.from_json(saved["selection"]))

    def docs_in(
        self,
        session: ReadSession,
        selected: Selected,
        *,
        sort: str | None = None,
    ) -> list[Doc]:
        selection = self.selection_in(session, selected)
        table = session.table(CUSTOMERS)
        view = self._view(table)
        if isinstance(selected, Selection):
            # the statuses typed, not a saved segment's: a segment outliving its rule
            # set still lists (no one), where a typo must be told
            self._check_statuses(selected, view)
        rows = None
        if selection.ids:
            for id in selection.ids:
                records.existing(session, id)
            rows = [view.row_of[id] for id in selection.ids]
        schema = self.fields.schema_in(session)
        summary = cache(lambda: self._activity_summary(session))
        filters = row_filters(selection, schema, summary, self.ctx.today())
        found = run(view, filters, rows)
        order = parse_sort(sort)
        if order is not None:
            key, descending = order
            value = sort_key(key, schema)
            found.sort(key=value)
            if descending:  # empty values stay last
                filled = [d for d in found if value(d)[0] == 0]
                found = filled[::-1] + found[len(filled) :]
        return found

    def _check_statuses(self, selection: Selection, view: CustomerView) -> None:
        """Refuse a status (or tier) that the configured rule set does not give and no
        customer holds: it would select no one, and a typo would pass unnoticed."""
        for dimension, wanted, column in (
            ("status", selection.statuses, view.status),
            ("tier", selection.tiers, view.tier),
        ):
            if not wanted:
                continue
            configured = self.status.rule_set(dimension)
            known = [s.key for s in configured[0].statuses(configured[1])] if configured else []
            if all(status in known for status in wanted):
                continue
            held = {value for value in column if value}
            for status in wanted:
                if status not in known and status not in held:
                    names = [*known, *sorted(held.difference(known))]
                    expected = (
                        f"one of: {', '.join(names)}"
                        if names
                        else f"a {dimension} some customer has, but none has one "
                        f"(no rule set gives them; set [{dimension}] rule_set)"
                    )
                    raise ValidationError(dimension, status, expected)

    def _view(self, table: Table) -> CustomerView:
        """The customers as columns, rebuilt only after they change."""
        len(table)  # (loads the table, which its revision must come after)
        revision = table.revision()
        if self._views is None or self._views[0] != revision:
            self._views = revision, CustomerView(list(table), self._texts)
        return self._views[1]

    def _activity_summary(self, session: ReadSession) -> dict[str, Any]:
        """What the activity filters ask of every customer, kept until activity changes."""
        bookings = session.table(activity.BOOKING.table)
        key = (bookings.revision(), self.ctx.today(), self.ctx.field_context)
        if self._summaries is not None and self._summaries[0] == key:
            return self._summaries[1]
        summary = self._summarise(session)
        self._summaries = (bookings.revision(), self.ctx.today(), self.ctx.field_context), summary
        return summary

    def _summarise(self, session: ReadSession) -> dict[str, Any]:
        columns = {
            arg: session.table(kind.table).columns(FIELDS[arg])
            for arg, kind in (
                ("bookings", activity.BOOKING),
                ("payments", activity.PAYMENT),
            )
        }
        shared = Activity(
            columns,
            self.ctx.today(),
            currency=self.ctx.field_context.currency,
            timezone=self.ctx.field_context.timezone,
        )
        campaigns: dict[tuple[str, str], set[int]] = {}
        events = session.table(activity.MARKETING.table).columns(FIELDS["marketing"])
        for customer, campaign, event in zip(
            events["customer_id"], events["campaign"], events["event"], strict=True
        ):
            if campaign:
                campaigns.setdefault((event, fold(campaign)), set()).add(customer)
            # clicking a campaign's link means it was viewed
            if campaign and event == "clicked":
                campaigns.setdefault(("viewed", fold(campaign)), set()).add(customer)
        return {
            "last_completed": {id: dates[-1] for id, dates in shared.completed_dates.items()},
            "next_booking": shared.next_booking,
            "overdue": {id for id, found in shared.payments.items() if found[2] > Decimal(0)},
            "campaigns": campaigns,
        }

    def select(
        self,
        selection: Selected = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[int]:
        """Ids of the customers a selection matches (all when None), sorted as asked.

        ``selection`` is a :class:`~clientcard.find.selection.Selection` or ids;
        ``sort`` is a field key, with ``:desc`` to reverse (``"joined_at:desc"``).
        """
        with self.ctx.read() as session:
            docs = self.docs_in(session, selection, sort=sort)
        end = None if limit is None else offset + limit
        return [doc["id"] for doc in docs[offset:end]]

    # -- segments ----------------------------------------------------------------------

    def _segment_doc(self, session: ReadSession, name: str) -> Doc:
        found = find_docs(session.table(SEGMENTS), "key", fold(name))
        if not found:
            names = ", ".join(d["name"] for d in session.table(SEGMENTS)) or "none saved yet"
            raise NotFoundError(f"no segment named {name!r} (segments: {names})")
        return found[0]

    def save(self, name: str, selection: Selection, *, replace: bool = False) -> None:
        """Save filters under a name; ``--segment NAME`` applies them, evaluated afresh."""
        name = " ".join(entered(name, field="segment").split())
        if not name:
            raise ValidationError("segment", name, "a name")
        if selection.ids:
            raise ValidationError(
                "segment", list(selection.ids), "filters, not ids (a segment is re-evaluated)"
            )
        with self.ctx.write() as session:
            table = session.table(SEGMENTS)
            # checks that every filter (a --where expression, a nested segment) is sound
            self.docs_in(session, selection)
            existing = find_docs(table, "key", fold(name))
            if existing and not replace:
                raise DuplicateError(f"a segment named {name!r} exists; use --replace")
            id = existing[0]["id"] if existing else table.new_id()
            stored = (
                selection if selection.segment is None else self.selection_in(session, selection)
            )
            kept = entered_all(stored.to_json(), field="segment")
            table.put({"id": id, "key": fold(name), "name": name, "selection": kept})

    def segments(self) -> list[dict[str, Any]]:
        """Saved segments: ``{"name", "selection"}`` each, by name."""
        with self.ctx.read() as session:
            docs = [
                {"name": d["name"], "selection": d["selection"]} for d in session.table(SEGMENTS)
            ]
        return sorted(docs, key=lambda d: fold(d["name"]))

    def segment(self, name: str) -> Selection:
        with self.ctx.read() as session:
            return Selection.from_json(self._segment_doc(session, name)["selection"])

    def delete_segment(self, name: str) -> None:
        with self.ctx.write() as session:
            doc = self._segment_doc(session, name)
            session.table(SEGMENTS).delete(doc["id"])
