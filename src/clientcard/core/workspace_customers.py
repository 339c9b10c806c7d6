"""Customer records: add, find, list, change, delete.

One part of :class:`~clientcard.core.workspace.Workspace`; the facade's own
docstring says what every operation guarantees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from clientcard.activity.facts import Activity, Facts
from clientcard.core.clock import utc_now
from clientcard.core.errors import DuplicateError
from clientcard.core.fields import FieldSchema
from clientcard.core.model import Customer
from clientcard.core.store import Doc
from clientcard.core.workspace_base import CUSTOMER_KEYS
from clientcard.core.workspace_selection import Selected, SelectionPart
from clientcard.customers import records
from clientcard.customers.records import CUSTOMERS
from clientcard.customers.tags import TagSpellings

#: keys a stored customer may lack (added to the record after it was first written)
LATER_KEYS: dict[str, list[str]] = {"other_emails": [], "other_phones": []}
MINIMAL_KEYS = CUSTOMER_KEYS - LATER_KEYS.keys()


class CustomersPart(SelectionPart):
    # -- customers ---------------------------------------------------------------------

    def add_customer(
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
        (customer,) = self.add_customers([{**values, "tags": list(tags)}])
        return customer

    def add_customers(self, rows: Iterable[Mapping[str, Any]]) -> list[Customer]:
        """Add many customers in one write: all of them, or (on any error) none.

        Each row maps built-in and custom field keys to values, plus ``tags``.
        An error names the row (counting from 1).
        """
        rows = list(rows)
        docs: list[Doc] = []
        with self._write() as session:
            schema = self._schema(session)
            table = session.table(CUSTOMERS)
            now, today = utc_now(), self.today()
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
            self._insert_customers(session, schema, docs)
        return [self._customer(doc) for doc in docs]

    def _insert_customers(self, session: Any, schema: FieldSchema, docs: list[Doc]) -> None:
        """Store new, checked customer documents: ids, tags as first spelt, first statuses,
        events and history, in bulk (an import adds 100,000)."""
        if not docs:
            return
        table = session.table(CUSTOMERS)
        today = self.today()
        spellings = TagSpellings(session)
        for doc, id in zip(docs, table.new_ids(len(docs)), strict=True):
            doc["id"] = id
            doc["tags"] = spellings.spell(doc["tags"])
        self._check_references(session, schema, docs)
        # a new customer has no activity yet: its first status needs no facts to be
        # read, which keeps adding one customer fast
        classifier = self._classifier()
        nothing = Activity({}, today, currency=classifier.currency, timezone=classifier.timezone)
        _, decided = classifier.run([Facts(doc, today, activity=nothing) for doc in docs])
        by_id = {doc["id"]: doc for doc in docs}
        for change in decided:
            by_id[change.customer_id][change.dimension] = change.new
        table.add_many(docs)
        if self.ctx.events.listened("customer_created"):
            for doc in docs:
                self._emit("customer_created", self._customer(doc))
        self._store_transitions(
            session, decided, today, manual=False, rule_sets=classifier.names(), docs=by_id
        )

    def get_customer(self, id: int) -> Customer:
        """The customer with this id, or :class:`~clientcard.NotFoundError`."""
        with self.store.read() as session:
            return self._customer(records.existing(session.table(CUSTOMERS), id))

    def find_customers(
        self, *, external_id: str | None = None, email: str | None = None, phone: str | None = None
    ) -> list[Customer]:
        """Customers whose external id, e-mail or phone (normalised as stored) match."""
        with self.store.read() as session:
            schema = self._schema(session)
            table = session.table(CUSTOMERS)
            wanted = {"external_id": external_id, "email": email, "phone": phone}
            ids: set[int] | None = None
            for key, value in wanted.items():
                if value is None:
                    continue
                found = set(table.find(key, schema.coerce(key, value)))
                ids = found if ids is None else ids & found
            docs = (table.get(i) for i in sorted(ids or ()))
            return [self._customer(doc) for doc in docs if doc is not None]

    def customers(
        self,
        selection: Selected = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Customer]:
        """Customers a selection matches (every one when None), in id order unless ``sort``
        says otherwise; every match unless ``limit`` is given."""
        return [self._customer(doc) for doc in self._page(selection, sort, limit, offset)]

    def _page(
        self, selection: Selected, sort: str | None, limit: int | None, offset: int
    ) -> list[Doc]:
        with self.store.read() as session:
            if selection is None and sort is None:
                docs = list(session.table(CUSTOMERS))
            else:
                docs = self._selected_docs(session, selection, sort=sort)
        end = None if limit is None else offset + limit
        return docs[offset:end]

    def customers_json(
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
                out.append(self.to_json(self._customer(doc)))
        return out

    def count_customers(self, selection: Selected = None) -> int:
        """How many customers a selection matches (all of them when None)."""
        if selection is not None:
            return len(self.select(selection))
        with self.store.read() as session:
            return len(session.table(CUSTOMERS))

    def update_customer(
        self,
        id: int,
        values: Mapping[str, Any] | None = None,
        *,
        unset: Iterable[str] = (),
        tags: Iterable[str] | None = None,
    ) -> Customer:
        """Set ``values`` (built-in or custom keys), clear ``unset`` keys, maybe replace tags."""
        with self._write() as session:
            schema = self._schema(session)
            table = session.table(CUSTOMERS)
            before = records.existing(table, id)
            after = records.changed_doc(
                schema, before, values or {}, unset, now=utc_now(), tags=tags
            )
            if tags is not None:
                after["tags"] = TagSpellings(session).spell(after["tags"])
            if after == before:
                return self._customer(before)
            records.check_unique(table, after)
            self._check_references(session, schema, [after])
            table.put(after)
            customer = self._customer(after)
            self._emit("customer_updated", self._customer(before), customer)
        return customer

    def delete_customers(self, ids: Iterable[int]) -> list[Customer]:
        """Delete these customers (all must exist) with their activity and status history.

        Returns them as they were.
        """
        with self._write() as session:
            return self._delete(session, ids)
