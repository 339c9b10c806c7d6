"""Selections: find customers by filters, act on many at once, saved segments.

One part of :class:`~clientcard.core.workspace.Workspace`; the facade's own
docstring says what every operation guarantees.  Each bulk action selects
and changes inside one write: it is atomic, and it acts on exactly the
customers the selection matched at that moment.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import IO, Any

from clientcard.activity import kinds as activity
from clientcard.activity.facts import FIELDS, Activity
from clientcard.core.clock import utc_now
from clientcard.core.errors import DuplicateError, NotFoundError, ValidationError
from clientcard.core.fields import FieldSchema
from clientcard.core.files import written_whole
from clientcard.core.model import Customer
from clientcard.core.store import Doc, find_docs
from clientcard.core.text import fold
from clientcard.core.workspace_status import StatusPart
from clientcard.customers import records
from clientcard.customers.documents import DOCUMENTS, DocumentFiles
from clientcard.customers.links import customer_references
from clientcard.customers.records import CUSTOMERS, SEGMENTS
from clientcard.customers.tags import TagSpellings, tag_key
from clientcard.find.selection import (
    CustomerView,
    Selection,
    parse_sort,
    row_filters,
    run,
    sort_key,
)
from clientcard.status.classify import Transition
from clientcard.transfer.export import EXPORTERS, ExportContext
from clientcard.transfer.export import columns as export_columns

Selected = Selection | Iterable[int] | None


class SelectionPart(StatusPart):
    # -- selecting ---------------------------------------------------------------------

    def _selection(self, session: Any, selected: Selected) -> Selection:
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

    def _selected_docs(
        self,
        session: Any,
        selected: Selected,
        *,
        sort: str | None = None,
    ) -> list[Doc]:
        selection = self._selection(session, selected)
        table = session.table(CUSTOMERS)
        view = self._view(table)
        if isinstance(selected, Selection):
            # the statuses typed, not a saved segment's: a segment outliving its rule
            # set still lists (no one), where a typo must be told
            self._check_statuses(selected, view)
        rows = None
        if selection.ids:
            for id in selection.ids:
                records.existing(table, id)
            rows = [view.row_of[id] for id in selection.ids]
        schema = self._schema(session)
        summary = cache(lambda: self._activity_summary(session))
        filters = row_filters(selection, schema, summary, self.today())
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
            configured = self.rule_set(dimension)
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

    def _view(self, table: Any) -> CustomerView:
        """The customers as columns, rebuilt only after they change."""
        len(table)  # (loads the table, which its revision must come after)
        revision = table.revision()
        if self._views is None or self._views[0] != revision:
            self._views = revision, CustomerView(list(table), self._texts)
        return self._views[1]

    def _activity_summary(self, session: Any) -> dict[str, Any]:
        """What the activity filters ask of every customer, kept until activity changes."""
        bookings = session.table(activity.BOOKING.table)
        key = (bookings.revision(), self.today(), self.field_context)
        if self._summaries is not None and self._summaries[0] == key:
            return self._summaries[1]
        summary = self._summarise(session)
        self._summaries = (bookings.revision(), self.today(), self.field_context), summary
        return summary

    def _summarise(self, session: Any) -> dict[str, Any]:
        columns = {
            arg: session.table(kind.table).columns(FIELDS[arg])
            for arg, kind in (
                ("bookings", activity.BOOKING),
                ("payments", activity.PAYMENT),
            )
        }
        shared = Activity(
            columns,
            self.today(),
            currency=self.field_context.currency,
            timezone=self.field_context.timezone,
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
        with self.store.read() as session:
            docs = self._selected_docs(session, selection, sort=sort)
        end = None if limit is None else offset + limit
        return [doc["id"] for doc in docs[offset:end]]

    # -- statuses over a selection -------------------------------------------------------

    def set_status(
        self,
        ids: Selected,
        status: str,
        *,
        dimension: str = "status",
        reason: str = "set by hand",
    ) -> list[Transition]:
        """Set a status by hand and pin it, on ids or a selection (chosen in the same write).

        The status must be one the configured rule set knows.  Returns the changes.
        """
        with self._write() as session:
            chosen = [d["id"] for d in self._selected_docs(session, ids)]
            return super().set_status(chosen, status, dimension=dimension, reason=reason)

    def unpin(self, ids: Selected, *, dimension: str = "status") -> list[Transition]:
        """Hand customers (ids or a selection) back to automation, re-classifying them now."""
        with self._write() as session:
            chosen = [d["id"] for d in self._selected_docs(session, ids)]
            return super().unpin(chosen, dimension=dimension)

    # -- tags --------------------------------------------------------------------------

    def tags(self) -> list[tuple[str, int]]:
        """Every tag in use and how many customers have it, most used first."""
        counts: dict[str, list[Any]] = {}
        with self.store.read() as session:
            for doc in session.table(CUSTOMERS):
                for tag in doc.get("tags") or ():
                    entry = counts.setdefault(tag_key(tag), [tag, 0])
                    entry[1] += 1
        return sorted(((t, n) for t, n in counts.values()), key=lambda e: (-e[1], fold(e[0])))

    def add_tags(self, tags: Iterable[str], selection: Selected) -> int:
        """Add tags to the selected customers; returns how many changed.

        A tag already in use keeps the spelling it was first used with
        ("VIP" added where "vip" exists adds "vip").
        """
        given = records.normalise_tags(tags)
        if not given:
            raise ValidationError("tags", list(tags), "at least one tag")
        return self._retag(selection, lambda have: [*have, *given])

    def remove_tags(self, tags: Iterable[str], selection: Selected) -> int:
        """Remove tags (compared case- and space-insensitively); returns how many changed."""
        gone = {tag_key(t) for t in tags}
        return self._retag(selection, lambda have: [t for t in have if tag_key(t) not in gone])

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a tag on every customer that has it; returns how many changed."""
        (clean,) = records.normalise_tags([new]) or [""]
        if not clean:
            raise ValidationError("tag", new, "a tag name")
        old_key = tag_key(old)
        return self._retag(
            None,
            lambda have: [clean if tag_key(t) == old_key else t for t in have],
            only_if=old_key,
            renamed=(old, clean),
        )

    def _retag(
        self,
        selection: Selected,
        change: Any,
        *,
        only_if: str | None = None,
        renamed: tuple[str, str] | None = None,
    ) -> int:
        changed: list[Doc] = []
        events: list[tuple[Doc, Doc]] = []
        with self._write() as session:
            table = session.table(CUSTOMERS)
            spellings = TagSpellings(session)
            spellings.learn(table)
            if renamed is not None:
                spellings.rename(*renamed)
            now = utc_now().isoformat()
            for doc in self._selected_docs(session, selection):
                have = list(doc.get("tags") or ())
                if only_if is not None and only_if not in {tag_key(t) for t in have}:
                    continue
                tags = spellings.spell(records.normalise_tags(change(have)))
                if tags != have:
                    after = {**doc, "tags": tags, "updated_at": now}
                    changed.append(after)
                    events.append((doc, after))
            table.put_many(changed)
            for before, after in events:
                self._emit("customer_updated", self._customer(before), self._customer(after))
        return len(changed)

    # -- bulk changes ------------------------------------------------------------------

    def update_customers(
        self,
        selection: Selected,
        values: Mapping[str, Any] | None = None,
        *,
        unset: Iterable[str] = (),
    ) -> int:
        """Set and clear values on every selected customer, all or none; returns how many
        changed.  A value one customer refuses is an error naming that customer."""
        unset = list(unset)
        changed: list[tuple[Doc, Doc]] = []
        with self._write() as session:
            schema = self._schema(session)
            table = session.table(CUSTOMERS)
            now = utc_now()
            #: external ids this change gives, by customer: unique among them too
            given: dict[str, int] = {}
            for doc in self._selected_docs(session, selection):
                record = f"customer {doc['id']}"
                try:
                    after = records.changed_doc(schema, doc, values or {}, unset, now=now)
                    records.check_required(schema, after, record=record)
                except ValidationError as exc:
                    if exc.record is not None:
                        raise
                    raise ValidationError(
                        exc.field, exc.value, exc.expected, record=record
                    ) from None
                if after == doc:
                    continue
                external_id = after.get("external_id")
                if external_id is not None and external_id != doc.get("external_id"):
                    other = given.setdefault(external_id, doc["id"])
                    if other != doc["id"]:
                        raise DuplicateError(
                            f"{record}: external_id {external_id!r} would also go to customer "
                            f"{other}; external ids must be unique"
                        )
                    records.check_unique(table, after)
                changed.append((doc, after))
            self._check_references(session, schema, [after for _, after in changed])
            table.put_many([after for _, after in changed])
            for before, after in changed:
                self._emit("customer_updated", self._customer(before), self._customer(after))
        return len(changed)

    def delete_selected(self, selection: Selected) -> list[Customer]:
        """Delete every selected customer (with activity and history), in one write."""
        with self._write() as session:
            ids = [doc["id"] for doc in self._selected_docs(session, selection)]
            return self._delete(session, ids)

    def _delete(self, session: Any, ids: Iterable[int]) -> list[Customer]:
        deleted: list[Customer] = []
        table = session.table(CUSTOMERS)
        for id in dict.fromkeys(ids):
            customer = self._customer(records.existing(table, id))
            table.delete(id)
            deleted.append(customer)
            self._emit("customer_deleted", customer)
        # nothing may point at a customer that is gone
        released: set[str] = set()
        for name, field in customer_references():
            kept = session.table(name)
            for customer in deleted:
                for doc in find_docs(kept, field, customer.id):
                    kept.delete(doc["id"])
                    if name == DOCUMENTS:
                        released.add(doc["sha256"])
        if released:
            self._after_commit(lambda: self._release_documents(released))
        return deleted

    def _check_references(self, session: Any, schema: FieldSchema, docs: Sequence[Doc]) -> None:
        """Refuse a customer-reference field (type ``customer``) naming no customer.

        A reference may name a customer added in the same write."""
        keys = [d.key for d in schema.defs.values() if d.type == "customer"]
        if not keys:
            return
        table = session.table(CUSTOMERS)
        new = {doc["id"] for doc in docs}
        for doc in docs:
            for key in keys:
                value = doc["fields"].get(key)
                if value is not None and value not in new and table.get(value) is None:
                    raise ValidationError(
                        key,
                        value,
                        "the id of an existing customer (see 'clientcard customers list')",
                        record=f"customer {doc['name']!r}" if len(docs) > 1 else None,
                    )

    def _release_documents(self, hashes: Iterable[str]) -> None:
        """Remove the stored files no document refers to any more (after the write).

        Under the exclusive lock, which attaching a file also holds while it copies the
        file in: a file being attached elsewhere is never removed from under it.
        """
        with self.store.write() as session:
            table = session.table(DOCUMENTS)
            files = DocumentFiles(self.path)
            for sha in hashes:
                if not table.find("sha256", sha):
                    files.remove(sha)

    # -- export ------------------------------------------------------------------------

    def export(
        self,
        format: str,
        path: str | os.PathLike[str] | IO[bytes],
        selection: Selected = None,
        *,
        fields: Sequence[str] | None = None,
        keys: bool = False,
        sort: str | None = None,
    ) -> int:
        """Write the selected customers (all when None) to ``path`` with an exporter.

        ``fields`` picks the columns (keys or labels; default: id, every field,
        status, tier, tags); headers are labels unless ``keys``.  The file is
        written beside its final name and moved there when complete, so a
        failed export leaves no half-written file.  ``path`` may instead be a
        binary stream (stdout), written as the rows come.  Returns how many
        customers were written.
        """
        exporter = self.plugins.registry(EXPORTERS).get(format)
        count = 0

        def counted(docs: Iterable[Doc]) -> Iterator[Doc]:
            nonlocal count
            for doc in docs:
                count += 1
                yield doc

        with self.store.read() as session:
            schema = self._schema(session)
            context = ExportContext(export_columns(schema, fields), schema, keys=keys)
            if sort is None and self._selection(session, selection).is_empty():
                # everyone, in id order: read from disk as written, never all held at once
                docs: Iterable[Doc] = session.table(CUSTOMERS).scan()
            else:
                docs = self._selected_docs(session, selection, sort=sort)
        if not isinstance(path, str | os.PathLike):
            exporter.write(counted(docs), context, path)
            return count
        with written_whole(Path(path)) as out:
            exporter.write(counted(docs), context, out)
        return count

    # -- segments ----------------------------------------------------------------------

    def _segment_doc(self, session: Any, name: str) -> Doc:
        found = find_docs(session.table(SEGMENTS), "key", fold(name))
        if not found:
            names = ", ".join(d["name"] for d in session.table(SEGMENTS)) or "none saved yet"
            raise NotFoundError(f"no segment named {name!r} (segments: {names})")
        return found[0]

    def save_segment(self, name: str, selection: Selection, *, replace: bool = False) -> None:
        """Save filters under a name; ``--segment NAME`` applies them, evaluated afresh."""
        name = " ".join(name.split())
        if not name:
            raise ValidationError("segment", name, "a name")
        if selection.ids:
            raise ValidationError(
                "segment", list(selection.ids), "filters, not ids (a segment is re-evaluated)"
            )
        with self._write() as session:
            table = session.table(SEGMENTS)
            # checks that every filter (a --where expression, a nested segment) is sound
            self._selected_docs(session, selection)
            existing = find_docs(table, "key", fold(name))
            if existing and not replace:
                raise DuplicateError(f"a segment named {name!r} exists; use --replace")
            id = existing[0]["id"] if existing else table.new_id()
            stored = selection if selection.segment is None else self._selection(session, selection)
            table.put({"id": id, "key": fold(name), "name": name, "selection": stored.to_json()})

    def segments(self) -> list[dict[str, Any]]:
        """Saved segments: ``{"name", "selection"}`` each, by name."""
        with self.store.read() as session:
            docs = [
                {"name": d["name"], "selection": d["selection"]} for d in session.table(SEGMENTS)
            ]
        return sorted(docs, key=lambda d: fold(d["name"]))

    def segment(self, name: str) -> Selection:
        with self.store.read() as session:
            return Selection.from_json(self._segment_doc(session, name)["selection"])

    def delete_segment(self, name: str) -> None:
        with self._write() as session:
            doc = self._segment_doc(session, name)
            session.table(SEGMENTS).delete(doc["id"])
