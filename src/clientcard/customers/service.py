"""Customer records: add, get, find, list, change, tag, delete, one or many at once.

:class:`Customers` is the workspace's customer service (``workspace.customers``).
Building and checking one document is :mod:`clientcard.customers.records`;
this service does it inside writes, in bulk (an import adds 100,000), with
the first status of each new customer and the events hosts hear.  Every
bulk change selects and changes inside one write: it is atomic, and acts on
exactly the customers the selection matched at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from clientcard.activity.facts import Activity, Facts
from clientcard.core.clock import utc_now
from clientcard.core.context import Context
from clientcard.core.convert import customer_from_doc, to_json
from clientcard.core.errors import DuplicateError, ValidationError
from clientcard.core.fields import FieldSchema
from clientcard.core.model import Customer
from clientcard.core.store import Doc, ReadSession, TableSpec, WriteSession, find_docs
from clientcard.core.text import fold
from clientcard.customers import check as references
from clientcard.customers import records
from clientcard.customers.documents import DOCUMENTS, DocumentFiles
from clientcard.customers.links import customer_references
from clientcard.customers.records import CUSTOMERS
from clientcard.customers.tags import TAGS, TagSpellings, tag_key
from clientcard.fields.service import Fields
from clientcard.find.selection import Selected
from clientcard.find.service import Find
from clientcard.status.classify import Transition
from clientcard.status.service import Status

#: every key of a stored customer document
CUSTOMER_KEYS = frozenset(attrs.fields_dict(Customer))
#: keys a stored customer may lack (added to the record after it was first written)
LATER_KEYS: dict[str, list[str]] = {"other_emails": [], "other_phones": []}
MINIMAL_KEYS = CUSTOMER_KEYS - LATER_KEYS.keys()

TABLES = (
    TableSpec(
        CUSTOMERS,
        indexes=("external_id", "email", "phone"),
        group="customers",
        unique=("external_id",),
        # exports read every customer: from disk, one at a time, when not in memory
        scanned=True,
        # a new customer's look-alikes share one of these: found without loading anyone
        lookups=("email", "phone"),
        # the values duplicates are looked up by: adding one customer checks them
        # without loading every customer (dedupe/detect.py)
        columns=("name", "email", "phone"),
    ),
    TableSpec(TAGS, indexes=("key",), group="schema"),
)


class Customers:
    """The customer records.  Calling the service lists them
    (``workspace.customers(selection, sort=..., limit=...)``)."""

    def __init__(self, ctx: Context, fields: Fields, status: Status, find: Find) -> None:
        self.ctx = ctx
        self.fields = fields
        self.status = status
        self.find = find

    def add(
        self,
        name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        external_id: str | None = None,
        joined_at: date | str | None = None,
        tags: Iterable[str] = (),
        fields: Mapping[str, Any] | None = None,
    ) -> Customer:
        """Add one customer; values may be text (as typed) or Python values.

        ``fields`` holds custom field values by key (a built-in key there, such
        as ``"email"``, works too).  Returns the stored record.
        """
        values: dict[str, Any] = {
            "name": name,
            "email": email,
            "phone": phone,
            "external_id": external_id,
        }
        if joined_at is not None:
            values["joined_at"] = joined_at
        values.update(fields or {})
        (customer,) = self.add_many([{**values, "tags": list(tags)}])
        return customer

    def add_many(self, rows: Iterable[Mapping[str, Any]]) -> list[Customer]:
        """Add many customers in one write: all of them, or (on any error) none.

        Each row maps built-in and custom field keys to values, plus ``tags``.
        An error names the row (counting from 1).
        """
        rows = list(rows)
        docs: list[Doc] = []
        with self.ctx.write() as session:
            schema = self.fields.schema_in(session)
            table = session.table(CUSTOMERS)
            now, today = utc_now(), self.ctx.today()
            given: dict[str, int] = {}
            for number, row in enumerate(rows, start=1):
                where = number if len(rows) > 1 else None
                values = {k: v for k, v in row.items() if k not in ("tags", "fields")}
                values.update(row.get("fields") or {})
                doc = records.new_doc(
                    schema, values, row.get("tags") or (), id=0, now=now, today=today, row=where
                )
                records.check_unique(table, doc, row=where)
                if doc["external_id"] is not None:
                    earlier = given.setdefault(doc["external_id"], number)
                    if earlier != number:
                        raise DuplicateError(
                            f"row {number}: external_id {doc['external_id']!r} is also in "
                            f"row {earlier}; external ids must be unique"
                        )
                docs.append(doc)
            self.insert_in(session, schema, docs)
        return [customer_from_doc(doc) for doc in docs]

    def insert_in(self, session: WriteSession, schema: FieldSchema, docs: list[Doc]) -> None:
        """Store new, checked customer documents: ids, tags as first spelt, first statuses,
        events and history, in bulk (an import adds 100,000)."""
        if not docs:
            return
        table = session.table(CUSTOMERS)
        today = self.ctx.today()
        spellings = TagSpellings(session)
        for doc, id in zip(docs, table.new_ids(len(docs)), strict=True):
            doc["id"] = id
            doc["tags"] = spellings.spell(doc["tags"])
        self.check_references(session, schema, docs)
        # a new customer has no activity yet: its first status needs no facts to be
        # read, which keeps adding one customer fast
        classifier = self.status.classifier()
        nothing = Activity({}, today, currency=classifier.currency, timezone=classifier.timezone)
        _, decided = classifier.run([Facts(doc, today, activity=nothing) for doc in docs])
        by_id = {doc["id"]: doc for doc in docs}
        for change in decided:
            by_id[change.customer_id][change.dimension] = change.new
        table.add_many(docs)
        if self.ctx.events.listened("customer_created"):
            for doc in docs:
                self.ctx.events.customer_created(customer_from_doc(doc))
        self.status.store_transitions(
            session, decided, today, manual=False, rule_sets=classifier.names(), docs=by_id
        )

    def get(self, id: int) -> Customer:
        """The customer with this id, or :class:`~clientcard.NotFoundError`."""
        with self.ctx.read() as session:
            return customer_from_doc(records.existing(session, id))

    def find_by(
        self, *, external_id: str | None = None, email: str | None = None, phone: str | None = None
    ) -> list[Customer]:
        """Customers whose external id, e-mail or phone (normalised as stored) match."""
        with self.ctx.read() as session:
            schema = self.fields.schema_in(session)
            table = session.table(CUSTOMERS)
            wanted = {"external_id": external_id, "email": email, "phone": phone}
            ids: set[int] | None = None
            for key, value in wanted.items():
                if value is None:
                    continue
                found = set(records.holders(table, key, schema.coerce(key, value)))
                ids = found if ids is None else ids & found
            docs = (table.get(i) for i in sorted(ids or ()))
            return [customer_from_doc(doc) for doc in docs if doc is not None]

    def __call__(
        self,
        selection: Selected = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Customer]:
        """Customers a selection matches (every one when None), in id order unless ``sort``
        says otherwise; every match unless ``limit`` is given."""
        return [customer_from_doc(doc) for doc in self._page(selection, sort, limit, offset)]

    def _page(
        self, selection: Selected, sort: str | None, limit: int | None, offset: int
    ) -> list[Doc]:
        with self.ctx.read() as session:
            if selection is None and sort is None:
                docs = list(session.table(CUSTOMERS))
            else:
                docs = self.find.docs_in(session, selection, sort=sort)
        end = None if limit is None else offset + limit
        return docs[offset:end]

    def json(
        self,
        selection: Selected = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """What :meth:`customers` gives, as JSON objects (what :meth:`to_json` gives), fast.

        The stored documents already have that shape, so listing 100,000 of
        them skips building :class:`Customer` objects; a document that does not
        have it (edited by hand) goes through the checked path and its error.
        """
        out = []
        for doc in self._page(selection, sort, limit, offset):
            if MINIMAL_KEYS <= doc.keys() <= CUSTOMER_KEYS:
                out.append(
                    {
                        **doc,
                        "tags": list(doc["tags"]),
                        "fields": dict(doc["fields"]),
                        **{k: list(doc.get(k) or ()) for k in LATER_KEYS},
                    }
                )
            else:
                out.append(to_json(customer_from_doc(doc)))
        return out

    def count(self, selection: Selected = None) -> int:
        """How many customers a selection matches (all of them when None)."""
        if selection is not None:
            return len(self.find.select(selection))
        with self.ctx.read() as session:
            return len(session.table(CUSTOMERS))

    def update(
        self,
        id: int,
        values: Mapping[str, Any] | None = None,
        *,
        unset: Iterable[str] = (),
        tags: Iterable[str] | None = None,
    ) -> Customer:
        """Set ``values`` (built-in or custom keys), clear ``unset`` keys, maybe replace tags."""
        with self.ctx.write() as session:
            schema = self.fields.schema_in(session)
            table = session.table(CUSTOMERS)
            before = records.existing(session, id)
            after = records.changed_doc(
                schema, before, values or {}, unset, now=utc_now(), tags=tags
            )
            if tags is not None:
                after["tags"] = TagSpellings(session).spell(after["tags"])
            if after == before:
                return customer_from_doc(before)
            records.check_unique(table, after)
            self.check_references(session, schema, [after])
            table.put(after)
            customer = customer_from_doc(after)
            self.ctx.events.customer_updated(customer_from_doc(before), customer)
        return customer

    def delete(self, ids: Iterable[int]) -> list[Customer]:
        """Delete these customers (all must exist) with their activity and status history.

        Returns them as they were.
        """
        with self.ctx.write() as session:
            return self.delete_in(session, ids)

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
        with self.ctx.write() as session:
            chosen = [d["id"] for d in self.find.docs_in(session, ids)]
            return self.status.set_status(chosen, status, dimension=dimension, reason=reason)

    def unpin(self, ids: Selected, *, dimension: str = "status") -> list[Transition]:
        """Hand customers (ids or a selection) back to automation, re-classifying them now."""
        with self.ctx.write() as session:
            chosen = [d["id"] for d in self.find.docs_in(session, ids)]
            return self.status.unpin(chosen, dimension=dimension)

    # -- tags --------------------------------------------------------------------------

    def tags(self) -> list[tuple[str, int]]:
        """Every tag in use and how many customers have it, most used first."""
        counts: dict[str, list[Any]] = {}
        with self.ctx.read() as session:
            for doc in session.table(CUSTOMERS):
                # one customer counts once per tag, even with two spellings of it stored
                # before tags were composed (NFC) on entry
                mine = {tag_key(tag): tag for tag in reversed(doc.get("tags") or ())}
                for key, tag in mine.items():
                    entry = counts.setdefault(key, [tag, 0])
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
        change: Callable[[list[str]], list[str]],
        *,
        only_if: str | None = None,
        renamed: tuple[str, str] | None = None,
    ) -> int:
        changed: list[Doc] = []
        events: list[tuple[Doc, Doc]] = []
        with self.ctx.write() as session:
            table = session.table(CUSTOMERS)
            spellings = TagSpellings(session)
            spellings.learn(table)
            if renamed is not None:
                spellings.rename(*renamed)
            now = utc_now().isoformat()
            for doc in self.find.docs_in(session, selection):
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
                self.ctx.events.customer_updated(
                    customer_from_doc(before), customer_from_doc(after)
                )
        return len(changed)

    # -- bulk changes ------------------------------------------------------------------

    def update_many(
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
        with self.ctx.write() as session:
            schema = self.fields.schema_in(session)
            table = session.table(CUSTOMERS)
            now = utc_now()
            #: external ids this change gives, by customer: unique among them too
            given: dict[str, int] = {}
            for doc in self.find.docs_in(session, selection):
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
            self.check_references(session, schema, [after for _, after in changed])
            table.put_many([after for _, after in changed])
            for before, after in changed:
                self.ctx.events.customer_updated(
                    customer_from_doc(before), customer_from_doc(after)
                )
        return len(changed)

    def delete_selected(self, selection: Selected) -> list[Customer]:
        """Delete every selected customer (with activity and history), in one write."""
        with self.ctx.write() as session:
            ids = [doc["id"] for doc in self.find.docs_in(session, selection)]
            return self.delete_in(session, ids)

    def delete_in(self, session: WriteSession, ids: Iterable[int]) -> list[Customer]:
        deleted: list[Customer] = []
        table = session.table(CUSTOMERS)
        for id in dict.fromkeys(ids):
            customer = customer_from_doc(records.existing(session, id))
            table.delete(id)
            deleted.append(customer)
            self.ctx.events.customer_deleted(customer)
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
            self.ctx.after_commit(lambda: self.release_documents(released))
        return deleted

    def check_references(
        self, session: ReadSession, schema: FieldSchema, docs: Sequence[Doc]
    ) -> None:
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

    def release_documents(self, hashes: Iterable[str]) -> None:
        """Remove the stored files no document refers to any more (after the write).

        Under the exclusive lock, which attaching a file also holds while it copies the
        file in: a file being attached elsewhere is never removed from under it.
        """
        with self.ctx.store.write() as session:
            table = session.table(DOCUMENTS)
            files = DocumentFiles(self.ctx.path)
            for sha in hashes:
                if not table.find("sha256", sha):
                    files.remove(sha)

    # -- where customers went ------------------------------------------------------------

    def existing(self, session: ReadSession, id: int) -> Doc:
        """Customer ``id``'s document as ``session`` sees it (see :func:`records.existing`)."""
        return records.existing(session, id)

    def merged_into(self, id: int) -> tuple[int, int] | None:
        """Where a merged-away id now lives: (survivor, merge id), or None."""
        with self.ctx.read() as session:
            return records.merged_into(session, id)

    # -- checking ------------------------------------------------------------------------

    def check(self) -> list[str]:
        """What points at no customer (fields of type ``customer``, activity, history,
        links, documents), and documents whose stored file is missing or damaged: one
        line each (see :mod:`clientcard.customers.check`)."""
        with self.ctx.read() as session:
            return references.problems(session, self.fields.schema_in(session), self.ctx.path)
