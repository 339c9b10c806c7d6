"""The ``vcard`` exporter: one vCard 4.0 (RFC 6350) per customer, for address books.

Each card has what common address books read, when the customer has it:

- ``FN`` the name, and ``N`` split from it as best it can be: the last word
  is the family name, the words before it the given names (a one-word name
  is a given name);
- ``EMAIL`` the e-mail address, then those of custom fields of type ``email``;
- ``TEL`` the phone number, then those of custom fields of type ``phone``, as
  ``tel:`` URIs (``TEL;VALUE=uri:tel:+390612345678``);
- ``BDAY`` the custom field ``birthday`` or ``birth_date`` of type ``date``,
  as ``YYYYMMDD``;
- ``ADR`` the first custom field of type ``address`` whose value is an object
  with any of ``street``, ``city``, ``region``, ``postal_code``, ``country``;
- ``NOTE`` the custom field ``notes`` or ``note`` (type ``text`` or
  ``long-text``), its line breaks kept;
- ``CATEGORIES`` the tags;
- ``UID`` ``urn:uuid:`` and :func:`uid`'s UUID: the same customer id gives the
  same UID in every export, so an address book updates a card it has rather
  than adding it again;
- ``REV`` when the customer last changed, in UTC.

A card describes a person, so the columns asked for (``--fields``) do not
apply: every card has all of the above.  Which customers are written does.

The file is UTF-8 with CRLF line endings; lines longer than 75 octets are
folded (never inside a character), and text values are escaped (backslash,
comma, semicolon, line breaks).  Control characters other than tab, which a
vCard cannot hold, are written as spaces.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef
from clientcard.core.store import Doc
from clientcard.transfer.export import ExportContext, Exporter

#: the namespace of cards' UIDs, uuid5(NAMESPACE_URL, "urn:clientcard:customer"); never change it
CUSTOMERS = uuid.UUID("8a07fea5-9c16-58e2-8b5c-5b7fdf704d09")

BIRTHDAY_KEYS = ("birthday", "birth_date")
NOTE_KEYS = ("notes", "note")
#: the parts of an address value, in the order of ADR's street, locality, region, code, country
ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country")

_SPECIAL = re.compile("[\\\\,;\x00-\x08\x0a-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_E164 = re.compile(r"\+[0-9]{2,15}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def uid(doc: Doc) -> str:
    """The UUID of a customer's card: ``uuid5(CUSTOMERS, "<id>/<created_at>")``.

    Stable across exports and edits; the creation time keeps customer 1 of one
    workspace apart from customer 1 of another in the same address book.
    """
    return str(uuid.uuid5(CUSTOMERS, f"{doc['id']}/{doc.get('created_at') or ''}"))


def escape(text: str) -> str:
    """A text value as vCard writes it: ``\\``, ``,``, ``;`` and line breaks escaped."""
    if not _SPECIAL.search(text):
        return text
    text = _CONTROL.sub(" ", _LINE_BREAK.sub("\n", text))
    for plain, escaped in (("\\", "\\\\"), (",", "\\,"), (";", "\\;"), ("\n", "\\n")):
        text = text.replace(plain, escaped)
    return text


def fold(line: str) -> bytes:
    """One content line as UTF-8, folded at 75 octets, with its CRLF."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data + b"\r\n"
    parts = []
    start, limit = 0, 75
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # not inside a character
            end -= 1
        parts.append(data[start:end])
        start, limit = end, 74  # a continuation line starts with a space
    parts.append(data[start:])
    return b"\r\n ".join(parts) + b"\r\n"


class _Card:
    """The fields a card is made from, found once for a whole export."""

    def __init__(self, context: ExportContext) -> None:
        defs = context.schema.defs
        self.emails = [f for f in defs.values() if f.type == "email"]
        self.phones = [f for f in defs.values() if f.type == "phone"]
        self.addresses = [f for f in defs.values() if f.type == "address"]
        self.birthday = _first(defs, BIRTHDAY_KEYS, ("date",))
        self.note = _first(defs, NOTE_KEYS, ("text", "long-text"))

    def value(self, doc: Doc, field: FieldDef) -> Any:
        if field.builtin:
            return doc.get(field.key)
        return (doc.get("fields") or {}).get(field.key)

    def lines(self, doc: Doc) -> Iterator[str]:
        name = str(doc.get("name") or "")
        yield "BEGIN:VCARD"
        yield "VERSION:4.0"
        yield f"FN:{escape(name)}"
        *given, family = name.split() or [""]
        if not given:
            given, family = [family], ""
        yield f"N:{escape(family)};{escape(' '.join(given))};;;"
        for email in self._values(doc, self.emails):
            yield f"EMAIL:{escape(email)}"
        for phone in self._values(doc, self.phones):
            compact = phone.replace(" ", "")
            if _E164.fullmatch(compact):
                yield f"TEL;VALUE=uri:tel:{compact}"
            else:  # not stored as E.164 (an old value): kept as text
                yield f"TEL:{escape(phone)}"
        birthday = self.birthday and self.value(doc, self.birthday)
        if isinstance(birthday, str) and _DATE.fullmatch(birthday):
            yield f"BDAY:{birthday.replace('-', '')}"
        address = self._address(doc)
        if address is not None:
            yield f"ADR:;;{address}"
        note = self.note and self.value(doc, self.note)
        if isinstance(note, str) and note:
            yield f"NOTE:{escape(note)}"
        tags = doc.get("tags") or []
        if tags:
            yield "CATEGORIES:" + ",".join(escape(tag) for tag in tags)
        yield f"UID:urn:uuid:{uid(doc)}"
        revised = _utc(doc.get("updated_at"))
        if revised:
            yield f"REV:{revised}"
        yield "END:VCARD"

    def _values(self, doc: Doc, fields: list[FieldDef]) -> list[str]:
        found = (self.value(doc, field) for field in fields)
        return list(dict.fromkeys(v for v in found if isinstance(v, str) and v))

    def _address(self, doc: Doc) -> str | None:
        for field in self.addresses:
            value = self.value(doc, field)
            if isinstance(value, dict):
                parts = [value.get(part) for part in ADDRESS_PARTS]
                texts = [escape(p) if isinstance(p, str) else "" for p in parts]
                if any(texts):
                    return ";".join(texts)
        return None


def _first(defs: dict[str, FieldDef], keys: Iterable[str], types: Iterable[str]) -> FieldDef | None:
    for key in keys:
        field = defs.get(key)
        if field is not None and field.type in types:
            return field
    return None


def _utc(stamp: Any) -> str | None:
    """An ISO date-time as vCard's basic UTC form (``20251127T101500Z``)."""
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


class VcardExporter(Exporter):
    name = "vcard"
    label = "vCard"
    description = "vCard 4.0 contacts for address books (--fields does not apply)."
    extension = ".vcf"

    def write(self, docs: Iterable[Doc], context: ExportContext, out: IO[bytes]) -> None:
        card = _Card(context)
        for doc in docs:
            out.write(b"".join(fold(line) for line in card.lines(doc)))


@hookimpl
def clientcard_register_exporters(register: Callable[[Exporter], None]) -> None:
    register(VcardExporter())
