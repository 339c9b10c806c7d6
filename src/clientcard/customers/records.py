"""Customer documents: building, changing and checking them against the fields.

A customer document is the JSON form of :class:`~clientcard.core.model.Customer`
and is what the store keeps.  Everything here works on one write session and
one :class:`~clientcard.core.fields.FieldSchema`; the workspace wraps it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from clientcard.core.errors import DuplicateError, NotFoundError, ValidationError
from clientcard.core.fields import BUILTIN_KEYS, FieldSchema
from clientcard.core.store import Doc, ReadSession, Table
from clientcard.core.text import entered
from clientcard.customers.tags import tag_key

CUSTOMERS = "customers"
#: the merge records (dedupe/), read here to say where a merged-away id went
MERGES = "merges"


def normalise_tags(tags: Iterable[str], *, row: int | None = None) -> list[str]:
    """Tags with spaces collapsed, no blanks, no repeats (by :func:`tag_key`); first
    spelling kept.  Tags enter here: text that is not Unicode is refused, the rest composed."""
    seen: dict[str, str] = {}
    for tag in tags:
        if not isinstance(tag, str):
            raise ValidationError("tags", tag, "text", row=row)
        clean = " ".join(entered(tag, field="tags", row=row).split())
        key = tag_key(clean)
        if clean and key not in seen:
            seen[key] = clean
    return list(seen.values())


def new_doc(
    schema: FieldSchema,
    values: Mapping[str, Any],
    tags: Iterable[str],
    *,
    id: int,
    now: datetime,
    today: date,
    row: int | None = None,
    checked: bool = False,
) -> Doc:
    """A new customer document from flat values (built-in and custom keys).

    ``checked`` values are already in their stored form (the importer checked
    each one): they are taken as they are.
    """
    doc: Doc = {
        "id": id,
        "external_id": None,
        "name": None,
        "email": None,
        "phone": None,
        "joined_at": today.isoformat(),
        "status": None,
        "tier": None,
        "pinned": [],
        "tags": normalise_tags(tags, row=row),
        "fields": {},
        "created_at": now.isoformat(),
        "updated_at": now.isoformat(),
    }
    if checked:
        for key, value in values.items():
            if key in BUILTIN_KEYS:
                doc[key] = value
            else:
                doc["fields"][key] = value
    else:
        _set_values(schema, doc, values, row=row)
    for field in schema.defs.values():
        if field.required and _value(doc, field.key) is None:
            raise ValidationError(field.key, None, f"a value: {field.label} is required", row=row)
    return doc


def changed_doc(
    schema: FieldSchema,
    doc: Doc,
    values: Mapping[str, Any],
    unset: Iterable[str],
    *,
    now: datetime,
    tags: Iterable[str] | None = None,
) -> Doc:
    """A copy of ``doc`` with ``values`` set, ``unset`` keys cleared and maybe new tags."""
    new = dict(doc)
    new["fields"] = dict(doc["fields"])
    new.setdefault("tier", None)
    new.setdefault("pinned", [])
    for key in unset:
        field = schema.get(key)
        if field.required:
            raise ValidationError(key, None, f"a value: {field.label} is required")
        if key in BUILTIN_KEYS:
            new[key] = None
        else:
            new["fields"].pop(key, None)
    _set_values(schema, new, values)
    if tags is not None:
        new["tags"] = normalise_tags(tags)
    if new != doc:
        new["updated_at"] = now.isoformat()
    return new


def _set_values(
    schema: FieldSchema, doc: Doc, values: Mapping[str, Any], *, row: int | None = None
) -> None:
    for key, value in values.items():
        coerced = schema.coerce(key, value, row=row)
        if coerced is None and schema.get(key).required:
            raise ValidationError(
                key, value, f"a value: {schema.get(key).label} is required", row=row
            )
        if key in BUILTIN_KEYS:
            doc[key] = coerced
        elif coerced is None:
            doc["fields"].pop(key, None)
        else:
            doc["fields"][key] = coerced


def check_required(schema: FieldSchema, doc: Doc, *, record: str | None = None) -> None:
    """Refuse a record without a value for a required field."""
    for field in schema.defs.values():
        if field.required and _value(doc, field.key) in (None, ""):
            raise ValidationError(
                field.key, None, f"a value: {field.label} is required", record=record
            )


def _value(doc: Doc, key: str) -> Any:
    return doc[key] if key in BUILTIN_KEYS else doc["fields"].get(key)


def holders(table: Table, field: str, value: Any) -> list[int]:
    """Ids of the documents (customers, bookings ...) whose indexed ``field`` is
    ``value`` (text as entered: NFC), counting a decomposed (NFD) spelling of it too,
    as values stored before text was composed on entry may be spelt (typed on a Mac)."""
    found = table.find(field, value)
    if value.__class__ is str and not value.isascii():
        spelt = unicodedata.normalize("NFD", value)
        if spelt != value:
            found = sorted({*found, *table.find(field, spelt)})
    return found


def other_holder(table: Table, doc: Doc, field: str) -> int | None:
    """The id of another document holding ``doc``'s value of a unique ``field``, in
    either spelling of its accents (see :func:`holders`); None when there is none."""
    value = doc.get(field)
    if value is None:
        return None
    return next((id for id in holders(table, field, value) if id != doc["id"]), None)


def check_unique(table: Table, doc: Doc, *, row: int | None = None) -> None:
    """Refuse an ``external_id`` that another customer already has (in any spelling
    of its accents: see :func:`holders`)."""
    other = other_holder(table, doc, "external_id")
    if other is not None:
        where = f"row {row}: " if row is not None else ""
        raise DuplicateError(
            f"{where}external_id {doc['external_id']!r} already belongs to customer {other}; "
            "external ids must be unique"
        )


def existing(session: ReadSession, id: int) -> Doc:
    """The document of customer ``id``, or :class:`NotFoundError`.

    The one check every operation on a customer makes: an id merged away is
    an error naming the customer it went into and the merge, so a host
    recording a booking for an old id is told where to look.
    """
    doc = session.table(CUSTOMERS).get(id)
    if doc is not None:
        return doc
    into = merged_into(session, id)
    if into is not None:
        raise NotFoundError(
            f"customer {id} was merged into customer {into[0]} (merge {into[1]}); "
            f"see 'clientcard customers show {into[0]}'"
        )
    raise NotFoundError(f"no customer with id {id}; see 'clientcard customers list'")


def merged_into(session: ReadSession, id: int) -> tuple[int, int] | None:
    """Where a merged-away id now lives: (survivor, merge id), following later merges
    of the survivor; None when ``id`` was never merged away (or the merge was undone)."""
    found = None
    for doc in session.table(MERGES):  # oldest first: a chain is followed in one pass
        if doc["undone_at"] is None and id in doc["merged"]:
            found = (doc["survivor"], doc["id"])
            id = doc["survivor"]
    return found
