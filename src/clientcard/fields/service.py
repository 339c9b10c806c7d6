"""The business's fields: built-in and custom definitions, and changing them.

:class:`Fields` is the workspace's field service (``workspace.fields``).  Its
:meth:`Fields.schema` is what every other service validates and renders
values with; definitions live in their own table group, so reading them never
loads a customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from clientcard.core.clock import utc_now
from clientcard.core.context import Context
from clientcard.core.convert import from_json, to_json
from clientcard.core.errors import (
    FieldDefinitionError,
    FieldValueError,
    StoreError,
    ValidationError,
)
from clientcard.core.fields import (
    BUILTIN_FIELDS,
    STARTER_FIELDS,
    FieldPreset,
    FieldSchema,
    FieldType,
    check_key,
)
from clientcard.core.model import FieldDef
from clientcard.core.plugins import FIELD_PRESETS, FIELD_TYPES
from clientcard.core.store import Doc, ReadSession, TableSpec
from clientcard.customers.records import CUSTOMERS
from clientcard.fields import dates
from clientcard.forms.intake import check_form_names, form_names, plugin_fields

FIELDS = "fields"
#: apart from the customers, so that reading the field definitions loads no customer
TABLES = (TableSpec(FIELDS, indexes=("key",), group="schema"),)


class Fields:
    """Field definitions: the built-in ones, the business's own, and plugins' form
    questions; their types; reading and showing dates by each field's calendar.

    Calling the service lists every field (``workspace.fields()``).
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def __call__(self) -> list[FieldDef]:
        """Every field, built-in first, then custom ones in the order they were added."""
        with self.ctx.read() as session:
            return self.defs_in(session)

    # -- reading -------------------------------------------------------------------------

    def types(self) -> dict[str, FieldType]:
        """Every field type the enabled plugins provide, by name."""
        return self.ctx.plugins.registry(FIELD_TYPES).items()

    def presets(self) -> dict[str, FieldPreset]:
        """Every ready-made field definition the enabled plugins provide, by name."""
        return self.ctx.plugins.registry(FIELD_PRESETS).items()

    def defs_in(self, session: ReadSession) -> list[FieldDef]:
        """The field definitions as ``session`` sees them (a write sees its own)."""
        stored = {doc["key"]: doc for doc in session.table(FIELDS)}
        defs = []
        for builtin in BUILTIN_FIELDS:
            override = stored.pop(builtin.key, None)
            defs.append(builtin if override is None else _structure(override))
        defs.extend(_structure(doc) for doc in stored.values())
        # plugins' form questions that no field defines are fields too (forms/intake.py)
        defs.extend(plugin_fields(self.ctx.plugins, self.ctx.settings.tables, defs))
        return defs

    def schema_in(self, session: ReadSession) -> FieldSchema:
        """The fields with their types, as ``session`` sees them."""
        return FieldSchema(self.defs_in(session), self.types(), self.ctx.field_context)

    def schema(self) -> FieldSchema:
        """The workspace's fields with their types, for validating and rendering values."""
        with self.ctx.read() as session:
            return self.schema_in(session)

    def get(self, key: str) -> FieldDef:
        """One field's definition (an unknown key is an error listing the fields)."""
        return self.schema().get(key)

    # -- dates ---------------------------------------------------------------------------

    def calendar(self, field: str | None = None) -> str:
        """The calendar dates are read and shown in, ``"gregorian"`` or ``"jalali"``.

        The workspace's (from its locale), or with ``field`` that field's (its
        option ``calendar``, else the workspace's): the one rule of
        docs/fields.md, "Dates: how they are read and shown".
        """
        definition = None if field is None else self.get(field)
        return dates.field_calendar(definition, self.ctx.field_context)

    def read_date(self, text: str, *, name: str = "date", field: str | None = None) -> date:
        """A date typed by a person, read in :meth:`calendar` (``field``'s when given).

        A date that does not fit raises :class:`ValidationError` naming ``name``
        (an option such as ``--as-of``), the text and the calendar expected.
        """
        try:
            return dates.read_date(text, self.calendar(field))
        except FieldValueError as exc:
            raise ValidationError(name, text, exc.expected) from None

    def show_date(self, value: date | str | None, *, field: str | None = None) -> str:
        """A stored date (ISO text or a date) as people read it, in :meth:`calendar`;
        ``""`` for None.  A stored moment (ISO date-time text or a datetime) is
        shown to the minute in the workspace's time zone."""
        calendar = self.calendar(field)
        if isinstance(value, datetime) or (isinstance(value, str) and len(value) > 10):
            return dates.show_moment(value, calendar, self.ctx.field_context.timezone)
        return dates.show_date(value, calendar)

    # -- changing ------------------------------------------------------------------------

    def add_starters(self) -> None:
        """Give a new workspace the starter fields whose types are available."""
        types = self.types()
        starters = [f for f in STARTER_FIELDS if f.type in types]
        if starters:
            with self.ctx.write() as session:
                table = session.table(FIELDS)
                for starter in starters:
                    table.put({"id": table.new_id(), **to_json(starter)})

    def add(
        self,
        key: str,
        *,
        type: str | None = None,
        label: str | None = None,
        required: bool = False,
        choices: Sequence[str] = (),
        help: str = "",
        forms: Sequence[str] = (),
        options: Mapping[str, Any] | None = None,
        preset: str | None = None,
    ) -> FieldDef:
        """Define a custom field.  Existing records keep no value for it.

        ``options`` are settings of the field's type (``{"calendar": "jalali"}``),
        checked by the type.  ``preset`` starts from a ready-made definition
        (:meth:`presets`): the arguments given change it, ``choices`` are
        added to its choices and ``options`` replace its options of the same name.
        """
        check_key(key)
        check_form_names(forms, form_names(self.ctx.settings.tables))
        start = self.ctx.plugins.registry(FIELD_PRESETS).get(preset) if preset else None
        if type is None and start is None:
            raise FieldDefinitionError(
                f"field {key!r} needs a type or a preset; see 'clientcard fields types' "
                "and 'clientcard fields presets'"
            )
        merged = {**(start.options if start else {}), **(options or {})}
        field = FieldDef(
            key=key,
            label=label or (start.label if start else key.replace("_", " ").capitalize()),
            type=type or (start.type if start else ""),
            required=required,
            choices=_added(start.choices, choices) if start else tuple(choices),
            help=help or (start.help if start else ""),
            forms=tuple(forms),
            options={name: value for name, value in merged.items() if value is not None},
        )
        with self.ctx.write() as session:
            schema = self.schema_in(session)
            if key in schema.defs:
                raise FieldDefinitionError(
                    f"field {key!r} already exists; change it with 'fields edit'"
                )
            field = schema.check_definition(field)
            table = session.table(FIELDS)
            table.put({"id": table.new_id(), **to_json(field)})
        return field

    def edit(
        self,
        key: str,
        *,
        label: str | None = None,
        type: str | None = None,
        required: bool | None = None,
        choices: Sequence[str] | None = None,
        help: str | None = None,
        forms: Sequence[str] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> FieldDef:
        """Change a field.  A new type, new choices or new options re-check every stored value.

        Refuses (listing the records) when a stored value would not fit; values
        that fit are converted to the new type's form.  ``options`` set the
        options named (``None`` as a value removes one); the others are kept.
        """
        check_form_names(forms or (), form_names(self.ctx.settings.tables))
        with self.ctx.write() as session:
            schema = self.schema_in(session)
            old = schema.get(key)
            changes: dict[str, Any] = {
                name: value
                for name, value in {
                    "label": label,
                    "type": type,
                    "required": required,
                    "choices": None if choices is None else tuple(choices),
                    "help": help,
                    "forms": None if forms is None else tuple(forms),
                }.items()
                if value is not None
            }
            if options is not None:
                merged = {**old.options, **options}
                changes["options"] = {n: v for n, v in merged.items() if v is not None}
            new = attrs.evolve(old, **changes)
            if old.builtin and (new.type != old.type or new.choices != old.choices):
                raise FieldDefinitionError(
                    f"{key!r} is a built-in field: its label, help, forms and whether it is "
                    "required can change, not its type or choices"
                )
            new = schema.check_definition(new)
            customers = session.table(CUSTOMERS)
            if new.type != old.type or new.choices != old.choices or new.options != old.options:
                _retype(schema, customers, old, new)
            fields = session.table(FIELDS)
            ids = fields.find("key", key)
            doc_id = ids[0] if ids else fields.new_id()
            fields.put({"id": doc_id, **to_json(new)})
        return new

    def remove(self, key: str, *, force: bool = False) -> int:
        """Remove a custom field; with ``force`` also the values records hold for it.

        Returns how many records held a value.  Without ``force`` a field that
        holds data is refused, saying how many records hold a value.
        """
        with self.ctx.write() as session:
            field = self.schema_in(session).get(key)
            if field.builtin:
                raise FieldDefinitionError(f"{key!r} is a built-in field and cannot be removed")
            customers = session.table(CUSTOMERS)
            holding = [doc for doc in customers if key in doc["fields"]]
            if holding and not force:
                raise FieldDefinitionError(
                    f"field {key!r} holds values in {len(holding)} record(s); "
                    "use --force to remove it and those values"
                )
            now = utc_now().isoformat()
            for doc in holding:
                fields = {k: v for k, v in doc["fields"].items() if k != key}
                customers.put({**doc, "fields": fields, "updated_at": now})
            table = session.table(FIELDS)
            for id in table.find("key", key):
                table.delete(id)
        return len(holding)


def _structure(doc: Doc) -> FieldDef:
    data = {k: v for k, v in doc.items() if k != "id"}
    try:
        field: FieldDef = from_json(data, FieldDef)
    except Exception as exc:
        raise StoreError(
            f"the stored definition of field {doc.get('key')!r} is damaged: {exc}"
        ) from None
    return field


def _retype(schema: FieldSchema, customers: Any, old: FieldDef, new: FieldDef) -> None:
    """Convert every stored value of ``old`` to ``new``'s form, or refuse listing those
    that would not fit."""
    converted: list[tuple[Doc, Any]] = []
    bad: list[str] = []
    for doc in customers:
        raw = doc["fields"].get(old.key)
        if raw is None:
            continue
        try:
            converted.append((doc, schema.recheck(old, new, raw)))
        except ValidationError as exc:
            bad.append(f"{doc['id']} ({schema.render(old.key, raw)!r}: expected {exc.expected})")
    if bad:
        shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        raise FieldDefinitionError(
            f"cannot change field {old.key!r}: {len(bad)} record(s) hold values that would "
            f"become invalid: customers {shown}; fix or clear them first"
        )
    now = utc_now()
    for doc, value in converted:
        if value != doc["fields"][old.key]:
            fields = {**doc["fields"], old.key: value}
            customers.put({**doc, "fields": fields, "updated_at": now.isoformat()})


def _added(start: Sequence[str], more: Sequence[str]) -> tuple[str, ...]:
    """A preset's choices followed by those given, each once (ignoring case)."""
    seen: dict[str, str] = {}
    for choice in (*start, *more):
        seen.setdefault(choice.strip().casefold(), choice.strip())
    return tuple(seen.values())
