"""The customer card: notes, documents, relationships, referrals, and the card itself.

:class:`Cards` is the workspace's card service (``workspace.cards``).  Notes,
reviews and memberships are kinds of activity (``record("note", ...)``); the
helpers here name them for readers.  The card's sections and quick analytics
are :mod:`clientcard.card.sections` (pure).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import attrs
from attrs import define, field, validators

from clientcard.activity import kinds as activity
from clientcard.activity.service import Activity
from clientcard.card import sections as card
from clientcard.core.clock import utc_now
from clientcard.core.config import fits
from clientcard.core.context import Context
from clientcard.core.convert import to_json
from clientcard.core.errors import DuplicateError, NotFoundError, ValidationError
from clientcard.core.store import Doc, ReadSession, Table, find_docs
from clientcard.core.text import entered, nfc
from clientcard.customers import links, records
from clientcard.customers.documents import DOCUMENTS, DocumentFiles, display_name, guess_type
from clientcard.customers.links import REFERRALS, RELATIONSHIP_KINDS, RELATIONSHIPS
from clientcard.customers.records import CUSTOMERS
from clientcard.customers.service import Customers
from clientcard.fields.service import Fields
from clientcard.status.service import Status

#: relationships, referrals, documents: read with one card
TABLES = links.SPECS


def _megabytes(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not fits(value, float) or value <= 0:
        raise ValueError("a number of megabytes above 0")


@define(frozen=True)
class CardSettings:
    """``[card]``: what a customer card may hold (docs/card.md)."""

    #: relationship kinds beyond family, colleague and friend
    relationship_kinds: list[str] = field(factory=list, validator=validators.instance_of(list))
    #: the largest document that can be attached, in megabytes
    document_max_mb: float = field(default=25.0, validator=_megabytes)


SETTINGS: dict[str, type[Any]] = {"card": CardSettings}


class Cards:
    """Everything about one customer (:meth:`card`), and what a card holds besides
    fields: notes, relationships, referrals and documents."""

    def __init__(
        self,
        ctx: Context,
        fields: Fields,
        status: Status,
        customers: Customers,
        activity: Activity,
    ) -> None:
        self.ctx = ctx
        self.fields = fields
        self.status = status
        self.customers = customers
        self.activity = activity

    def add_note(
        self, customer_id: int, text: str, *, author: str | None = None, pinned: bool = False
    ) -> dict[str, Any]:
        """Add a note to a customer's card; pinned notes show first, as important."""
        return self.activity.record("note", customer_id, text=text, author=author, pinned=pinned)

    # -- relationships -------------------------------------------------------------------

    def relationship_kinds(self) -> list[str]:
        """Kinds a relationship can have: family, colleague, friend and the business's own."""
        extra = self.ctx.settings["card"].relationship_kinds
        return list(dict.fromkeys([*RELATIONSHIP_KINDS, *extra]))

    def link_customers(
        self, customer_id: int, other_id: int, kind: str, *, note: str | None = None
    ) -> dict[str, Any]:
        """Link two customers (``kind``: family, colleague, friend or one the business
        added in ``[card] relationship_kinds``); the link shows on both cards."""
        note = _entered(note, "note")
        kinds = self.relationship_kinds()
        if kind not in kinds:
            raise ValidationError("kind", kind, f"one of: {', '.join(kinds)}")
        if customer_id == other_id:
            raise ValidationError("other", other_id, "another customer than the first")
        with self.ctx.write() as session:
            for id in (customer_id, other_id):
                records.existing(session, id)
            table = session.table(RELATIONSHIPS)
            for doc in self._links_of(session, customer_id):
                if doc["kind"] == kind and other_id in (doc["customer_id"], doc["other_id"]):
                    raise DuplicateError(
                        f"customers {customer_id} and {other_id} are already linked as {kind} "
                        f"(relationship {doc['id']})"
                    )
            doc = {
                "id": table.new_id(),
                "customer_id": customer_id,
                "other_id": other_id,
                "kind": kind,
                "note": note,
                "at": utc_now().isoformat(),
            }
            table.put(doc)
        return dict(doc)

    def _links_of(self, session: ReadSession, customer_id: int) -> list[Doc]:
        table = session.table(RELATIONSHIPS)
        found = find_docs(table, "customer_id", customer_id)
        found += find_docs(table, "other_id", customer_id)
        return sorted(found, key=lambda d: d["id"])

    def relationships(self, customer_id: int) -> list[dict[str, Any]]:
        """A customer's relationships, seen from that customer: ``{"id", "kind",
        "customer_id" (the other one), "name", "note", "at"}``."""
        with self.ctx.read() as session:
            records.existing(session, customer_id)
            return self._relationships(session, customer_id)

    def _relationships(self, session: ReadSession, customer_id: int) -> list[dict[str, Any]]:
        customers = session.table(CUSTOMERS)
        out = []
        for doc in self._links_of(session, customer_id):
            other = doc["other_id"] if doc["customer_id"] == customer_id else doc["customer_id"]
            out.append({**_seen_from(customers, doc, other), "kind": doc["kind"]})
        return out

    def unlink(self, relationship_id: int) -> None:
        """Remove a relationship."""
        self._remove(RELATIONSHIPS, relationship_id, "relationship")

    def _remove(self, table_name: str, id: int, what: str) -> None:
        with self.ctx.write() as session:
            table = session.table(table_name)
            if table.get(id) is None:
                raise NotFoundError(f"no {what} with id {id}")
            table.delete(id)

    # -- referrals -----------------------------------------------------------------------

    def add_referral(
        self, referrer_id: int, customer_id: int, *, note: str | None = None
    ) -> dict[str, Any]:
        """Record that ``referrer_id`` referred ``customer_id`` (who has one referrer)."""
        if referrer_id == customer_id:
            raise ValidationError("referrer", referrer_id, "another customer than the one referred")
        note = _entered(note, "note")
        with self.ctx.write() as session:
            for id in (referrer_id, customer_id):
                records.existing(session, id)
            table = session.table(REFERRALS)
            earlier = find_docs(table, "customer_id", customer_id)
            if earlier:
                raise DuplicateError(
                    f"customer {customer_id} was already referred by customer "
                    f"{earlier[0]['referrer_id']} (referral {earlier[0]['id']}); "
                    "remove that referral first"
                )
            doc = {
                "id": table.new_id(),
                "customer_id": customer_id,
                "referrer_id": referrer_id,
                "note": note,
                "at": utc_now().isoformat(),
            }
            table.put(doc)
        return dict(doc)

    def referrals(self, customer_id: int) -> dict[str, Any]:
        """Who referred a customer (or None) and whom they referred, with names."""
        with self.ctx.read() as session:
            records.existing(session, customer_id)
            return self._referrals(session, customer_id)

    def _referrals(self, session: ReadSession, customer_id: int) -> dict[str, Any]:
        customers = session.table(CUSTOMERS)
        table = session.table(REFERRALS)
        by = find_docs(table, "customer_id", customer_id)
        referred = find_docs(table, "referrer_id", customer_id)
        return {
            "referred_by": _seen_from(customers, by[0], by[0]["referrer_id"]) if by else None,
            "referred": [_seen_from(customers, d, d["customer_id"]) for d in referred],
        }

    def remove_referral(self, referral_id: int) -> None:
        """Remove a referral."""
        self._remove(REFERRALS, referral_id, "referral")

    # -- documents -----------------------------------------------------------------------

    def attach_document(
        self,
        customer_id: int,
        path: str | Path,
        *,
        name: str | None = None,
        type: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Attach a file to a customer's card: a copy is kept inside the workspace under a
        name derived from its content; ``name`` (default: the file's) and ``type`` (default:
        guessed from the name) are kept as metadata only.  Refuses files over
        ``[card] document_max_mb``."""
        source = Path(path)
        # a file's own name may hold bytes that are not UTF-8 (kept by Python as lone
        # surrogates): shown with a replacement character; a name given must be text
        original = (
            entered(name, field="name")
            if name is not None
            else nfc(os.fsencode(source.name).decode("utf-8", "replace"))
        )
        type = _entered(type, "type")
        note = _entered(note, "note")
        limit = int(self.ctx.settings["card"].document_max_mb * 1_000_000)
        with self.ctx.write() as session:
            records.existing(session, customer_id)
            # copied in under the write lock: a concurrent clean-up cannot remove it
            sha256, size = DocumentFiles(self.ctx.path).store(source, limit)
            table = session.table(DOCUMENTS)
            doc = {
                "id": table.new_id(),
                "customer_id": customer_id,
                "name": original,
                "type": type or guess_type(display_name(original)),
                "size": size,
                "sha256": sha256,
                "note": note,
                "at": utc_now().isoformat(),
            }
            table.put(doc)
        return dict(doc)

    def documents(self, customer_id: int) -> list[dict[str, Any]]:
        """A customer's documents (metadata), oldest first."""
        with self.ctx.read() as session:
            records.existing(session, customer_id)
            return [
                dict(d) for d in find_docs(session.table(DOCUMENTS), "customer_id", customer_id)
            ]

    def _document(self, session: ReadSession, document_id: int) -> Doc:
        doc = session.table(DOCUMENTS).get(document_id)
        if doc is None:
            raise NotFoundError(f"no document with id {document_id}")
        return doc

    def save_document(self, document_id: int, target: str | Path) -> Path:
        """Write a copy of a document to ``target``: a new file's path, or a directory
        (the copy takes the document's name, made safe).  Never overwrites a file."""
        with self.ctx.read() as session:
            doc = dict(self._document(session, document_id))
        out = Path(target)
        if out.is_dir():
            out = out / display_name(doc["name"])
        DocumentFiles(self.ctx.path).copy_out(doc["sha256"], out)
        return out

    def delete_document(self, document_id: int) -> None:
        """Remove a document from its card (its file too, when no other card has it)."""
        with self.ctx.write() as session:
            doc = self._document(session, document_id)
            session.table(DOCUMENTS).delete(document_id)
            sha256 = doc["sha256"]
            self.ctx.after_commit(lambda: self.customers.release_documents([sha256]))

    # -- the card ------------------------------------------------------------------------

    def card(self, customer_id: int, *, as_of: date | None = None) -> dict[str, Any]:
        """Everything about one customer, in sections, with quick analytics (JSON-ready).

        Sections: ``customer`` (the record), ``main`` (status and since when, pinned,
        tier and why, important notes), ``info`` (fields by label, grouped),
        ``analytics``, ``bookings``, ``payments``, ``conversations``, ``notes``,
        ``documents``, ``reviews``, ``referrals``, ``related``, ``memberships``.
        """
        today = as_of or self.ctx.today()
        customer = self.customers.get(customer_id)  # (names the survivor of a merge)
        with self.ctx.read() as session:
            facts, explained = self.status.explained(session, customer_id, today)
            owned = {
                kind.name: [
                    dict(d)
                    for d in find_docs(session.table(kind.table), "customer_id", customer_id)
                ]
                for kind in (
                    activity.BOOKING,
                    activity.PAYMENT,
                    activity.MESSAGE,
                    activity.NOTE,
                    activity.REVIEW,
                    activity.MEMBERSHIP,
                )
            }
            documents = [
                dict(d) for d in find_docs(session.table(DOCUMENTS), "customer_id", customer_id)
            ]
            schema = self.fields.schema_in(session)
            referrals = self._referrals(session, customer_id)
            related = self._relationships(session, customer_id)
        data = to_json(customer)
        status, tier = explained["dimensions"]["status"], explained["dimensions"]["tier"]
        info: dict[str, list[dict[str, Any]]] = {"Contact": [], "Details": []}
        for definition in schema.defs.values():
            raw = data[definition.key] if definition.builtin else data["fields"].get(definition.key)
            info["Contact" if definition.builtin else "Details"].append(
                {
                    "key": definition.key,
                    "label": definition.label,
                    "value": raw,
                    "text": schema.render(definition.key, raw),
                }
            )
        lists = card.sections(
            today=today,
            bookings=owned["booking"],
            payments=owned["payment"],
            messages=owned["message"],
            notes=owned["note"],
            documents=documents,
            reviews=owned["review"],
            memberships=owned["membership"],
        )
        return {
            "customer": data,
            "main": {
                "status": customer.status,
                "status_since": status["since"],
                "pinned": status["pinned"],
                "tier": customer.tier,
                "tier_since": tier["since"],
                "tier_reason": (tier["decision"] or {}).get("reason"),
                "status_reason": (status["decision"] or {}).get("reason"),
                "important_notes": [n for n in lists["notes"] if n.get("pinned")],
            },
            "info": info,
            "analytics": card.analytics(facts, data["fields"].get(card.OPENING_TOTAL)),
            **lists,
            "referrals": referrals,
            "related": related,
        }


def _entered(text: str | None, field: str) -> str | None:
    """Free text of a card (a note, a document's name) as it enters: see
    :func:`~clientcard.core.text.entered`."""
    return None if text is None else entered(text, field=field)


def _seen_from(customers: Table, doc: Doc, other: int) -> dict[str, Any]:
    """A link as one of its customers sees it: the link's id, the other customer and
    their name (None once deleted), the note and when it was made."""
    person = customers.get(other)
    return {
        "id": doc["id"],
        "customer_id": other,
        "name": person["name"] if person else None,
        "note": doc.get("note"),
        "at": doc["at"],
    }
