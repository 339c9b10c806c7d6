"""The business's fields: built-in and custom definitions, and changing them.

One part of :class:`~clientcard.core.workspace.Workspace`; the facade's own
docstring says what every operation guarantees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from clientcard.core.clock import utc_now
from clientcard.core.convert import from_json, to_json
from clientcard.core.customers import CUSTOMERS, FIELDS
from clientcard.core.errors import (
    FieldDefinitionError,
    StoreError,
    ValidationError,
)
from clientcard.core.fields import (
    BUILTIN_FIELDS,
    FieldSchema,
    FieldType,
    check_key,
)
from clientcard.core.model import FieldDef
from clientcard.core.store import Doc
from clientcard.core.workspace_base import WorkspaceBase


class FieldsPart(WorkspaceBase):
    # -- fields ------------------------------------------------------------------------

    def field_types(self) -> dict[str, FieldType]:
        """Every field type the enabled plugins provide, by name."""
        return self.plugins.field_types.items()

    def _field_defs(self, session: Any) -> list[FieldDef]:
        stored = {doc["key"]: doc for doc in session.table(FIELDS)}
        defs = []
        for builtin in BUILTIN_FIELDS:
            override = stored.pop(builtin.key, None)
            defs.append(builtin if override is None else self._structure_field(override))
        defs.extend(self._structure_field(doc) for doc in stored.values())
        return defs

    @staticmethod
    def _structure_field(doc: Doc) -> FieldDef:
        data = {k: v for k, v in doc.items() if k != "id"}
        try:
            field: FieldDef = from_json(data, FieldDef)
        except Exception as exc:
            raise StoreError(
                f"the stored definition of field {doc.get('key')!r} is damaged: {exc}"
            ) from None
        return field

    def _schema(self, session: Any) -> FieldSchema:
        return FieldSchema(self._field_defs(session), self.field_types(), self.field_context)

    def schema(self) -> FieldSchema:
        """The workspace's fields with their types, for validating and rendering values."""
        with self.store.read() as session:
            return self._schema(session)

    def fields(self) -> list[FieldDef]:
        """Every field, built-in first, then custom ones in the order they were added."""
        with self.store.read() as session:
            return self._field_defs(session)

    def field(self, key: str) -> FieldDef:
        return self.schema().get(key)

    def add_field(
        self,
        key: str,
        *,
        type: str,
        label: str | None = None,
        required: bool = False,
        choices: Sequence[str] = (),
        help: str = "",
        forms: Sequence[str] = (),
    ) -> FieldDef:
        """Define a custom field.  Existing records keep no value for it."""
        check_key(key)
        field = FieldDef(
            key=key,
            label=label or key.replace("_", " ").capitalize(),
            type=type,
            required=required,
            choices=tuple(choices),
            help=help,
            forms=tuple(forms),
        )
        with self._write() as session:
            schema = self._schema(session)
            if key in schema.defs:
                raise FieldDefinitionError(
                    f"field {key!r} already exists; change it with 'fields edit'"
                )
            schema.check_definition(field)
            table = session.table(FIELDS)
            table.put({"id": table.new_id(), **to_json(field)})
        return field

    def edit_field(
        self,
        key: str,
        *,
        label: str | None = None,
        type: str | None = None,
        required: bool | None = None,
        choices: Sequence[str] | None = None,
        help: str | None = None,
        forms: Sequence[str] | None = None,
    ) -> FieldDef:
        """Change a field.  A new type or new choices re-check every stored value first.

        Refuses (listing the records) when a stored value would not fit; values
        that fit are converted to the new type's form.
        """
        with self._write() as session:
            schema = self._schema(session)
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
            new = attrs.evolve(old, **changes)
            if old.builtin and (new.type != old.type or new.choices != old.choices):
                raise FieldDefinitionError(
                    f"{key!r} is a built-in field: its label, help, forms and whether it is "
                    "required can change, not its type or choices"
                )
            schema.check_definition(new)
            customers = session.table(CUSTOMERS)
            if new.type != old.type or new.choices != old.choices:
                self._retype(schema, customers, old, new)
            fields = session.table(FIELDS)
            ids = fields.find("key", key)
            doc_id = ids[0] if ids else fields.new_id()
            fields.put({"id": doc_id, **to_json(new)})
        return new

    def _retype(self, schema: FieldSchema, customers: Any, old: FieldDef, new: FieldDef) -> None:
        converted: list[tuple[Doc, Any]] = []
        bad: list[str] = []
        for doc in customers:
            raw = doc["fields"].get(old.key)
            if raw is None:
                continue
            try:
                converted.append((doc, schema.recheck(old, new, raw)))
            except ValidationError as exc:
                bad.append(
                    f"{doc['id']} ({schema.render(old.key, raw)!r}: expected {exc.expected})"
                )
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

    def remove_field(self, key: str, *, force: bool = False) -> int:
        """Remove a custom field; with ``force`` also the values records hold for it.

        Returns how many records held a value.  Without ``force`` a field that
        holds data is refused, saying how many records hold a value.
        """
        with self._write() as session:
            field = self._schema(session).get(key)
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
