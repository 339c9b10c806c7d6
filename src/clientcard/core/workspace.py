"""The Workspace: the one facade the CLI and host applications use.

A workspace is a directory holding ``clientcard.toml`` and ``data/``.  Opening
one builds its plugin host (built-ins and installed plugins), checks its
settings and opens its store.  Every method is one operation: it sees every
change other processes committed before it, and its changes reach the disk
together or not at all.  ``with workspace.batch():`` makes many operations one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from clientcard.core import customers as records
from clientcard.core.config import (
    CONFIG_NAME,
    CORE_TABLES,
    ConfigFile,
    Settings,
    WorkspaceSettings,
    build,
    parse_setting,
    raw_disabled,
    read_raw,
)
from clientcard.core.convert import converter, from_json, to_json
from clientcard.core.customers import CUSTOMERS, FIELDS
from clientcard.core.errors import (
    ClientcardError,
    ConfigError,
    FieldDefinitionError,
    StoreError,
    ValidationError,
    WorkspaceError,
)
from clientcard.core.fields import (
    BUILTIN_FIELDS,
    FieldContext,
    FieldSchema,
    FieldType,
    check_key,
)
from clientcard.core.model import Customer, FieldDef
from clientcard.core.plugins import PluginHost
from clientcard.core.store import Doc, Store, TableSpec, WriteSession

DATA_DIR = "data"
CUSTOMER_KEYS = frozenset(attrs.fields_dict(Customer))
TABLES = (
    TableSpec(
        CUSTOMERS,
        indexes=("external_id", "email", "phone"),
        group="customers",
        unique=("external_id",),
    ),
    # apart, so that reading the field definitions does not load every customer
    TableSpec(FIELDS, indexes=("key",), group="schema"),
)
#: Environment variable naming the workspace when ``--workspace`` is not given.
WORKSPACE_ENV = "CLIENTCARD_WORKSPACE"

CONFIG_TEMPLATE = """\
# clientcard workspace settings.
# Edit by hand or with 'clientcard config set KEY VALUE'; 'clientcard config list' shows all.

[workspace]
# Region for phone numbers written without a country code (ISO 3166, e.g. "IT", "US").
# region = "IT"
# Currency for money amounts written without one (ISO 4217, e.g. "EUR").
# currency = "EUR"
# The business's time zone: "joined today" and dates are calendar dates there.
timezone = "UTC"

[plugins]
# Plugins to leave out, built-ins included (names as 'clientcard plugins' lists them).
disabled = []
"""


class Workspace:
    """A clientcard workspace: customers, fields, settings and plugins.

    Open one with :meth:`open` (or create it with :meth:`init`) and use it as a
    context manager.  ``plugins`` are extra plugin objects registered for this
    workspace only, after the installed ones: a host application passes the
    object that implements its event hooks.
    """

    def __init__(
        self,
        path: Path,
        *,
        plugins: Iterable[object] = (),
        strict: bool = True,
    ) -> None:
        self.path = path
        self.config_path = path / CONFIG_NAME
        #: problems found while opening in non-strict mode (for 'plugins' and 'config')
        self.problems: list[str] = []
        raw = read_raw(self.config_path)
        try:
            disabled = raw_disabled(raw)
        except ConfigError as exc:
            if strict:
                raise
            self.problems.append(str(exc))
            disabled = []
        self.plugins = PluginHost(disabled=disabled, extra=plugins)
        for table, cls in CORE_TABLES.items():
            self.plugins.add_settings(table, cls)
        try:
            self.plugins.check()
            self.settings = Settings(raw, self.plugins.settings.items())
        except ClientcardError as exc:
            if strict:
                raise
            self.problems.append(str(exc))
            self.settings = Settings({}, self.plugins.settings.items())
        self.warnings = list(self.settings.warnings)
        ws: WorkspaceSettings = self.settings["workspace"]
        self.field_context = FieldContext(
            region=ws.region, currency=ws.currency, timezone=ZoneInfo(ws.timezone), locale=ws.locale
        )
        self._store: Store | None = None
        self._events: list[tuple[str, tuple[Any, ...]]] | None = None

    # -- opening and closing -------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        plugins: Iterable[object] = (),
        strict: bool = True,
    ) -> Workspace:
        """Open the workspace at ``path``, else ``$CLIENTCARD_WORKSPACE``, else the current one."""
        where = Path(path or os.environ.get(WORKSPACE_ENV) or ".").resolve()
        if not (where / CONFIG_NAME).is_file():
            raise WorkspaceError(
                f"{where} is not a clientcard workspace (no {CONFIG_NAME}); "
                f"create one with 'clientcard init {where}'"
            )
        return cls(where, plugins=plugins, strict=strict)

    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str],
        *,
        settings: Mapping[str, Any] | None = None,
        plugins: Iterable[object] = (),
    ) -> Workspace:
        """Create a workspace in ``path`` (made if missing) and open it.

        ``settings`` maps dotted keys to values, e.g. ``{"workspace.region": "IT"}``.
        """
        where = Path(path).resolve()
        if (where / CONFIG_NAME).exists():
            raise WorkspaceError(f"{where} is already a clientcard workspace")
        if where.exists() and not where.is_dir():
            raise WorkspaceError(f"{where} exists and is not a directory")
        where.mkdir(parents=True, exist_ok=True)
        config = where / CONFIG_NAME
        tmp = where / f".{CONFIG_NAME}.tmp"
        tmp.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        tmp.replace(config)
        try:
            workspace = cls(where, plugins=plugins)
            for key, value in (settings or {}).items():
                workspace.set_setting(key, value)
        except ClientcardError:
            config.unlink()
            raise
        (where / DATA_DIR).mkdir(exist_ok=True)
        return cls(where, plugins=plugins)

    @property
    def store(self) -> Store:
        """The storage backend, opened on first use."""
        if self._store is None:
            backend = self.plugins.storage_backends.get(self.settings["storage"].backend)
            self._store = backend(self.path / DATA_DIR, TABLES)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transactions and events ---------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make every operation inside the block one write: all of it lands, or none."""
        with self._write():
            yield

    @contextmanager
    def _write(self) -> Iterator[WriteSession]:
        outermost = self._events is None
        if outermost:
            self._events = []
        try:
            with self.store.write() as session:
                yield session
            if outermost:
                events, self._events = self._events, None
                for name, args in events or ():
                    getattr(self.plugins, name)(self, *args)
        finally:
            if outermost:
                self._events = None

    def _emit(self, name: str, *args: Any) -> None:
        assert self._events is not None
        self._events.append((name, args))

    # -- settings --------------------------------------------------------------------

    def settings_for(self, table: str) -> Any:
        """The checked settings of ``[table]`` (an instance of its declared attrs class)."""
        try:
            return self.settings[table]
        except KeyError:
            raise ConfigError(f"no settings table [{table}] is declared") from None

    def get_setting(self, key: str) -> Any:
        """The effective value of a dotted setting (the default when the file has none)."""
        return self.settings.value(key)

    def set_setting(self, key: str, value: Any) -> None:
        """Check and write one setting to ``clientcard.toml``, keeping its comments.

        ``value`` may be text as typed on a command line; it is read according
        to the setting's type.
        """
        table, attribute = self.settings.locate(key)
        hints = attrs.resolve_types(self.settings.declared[table])
        hint = {a.name: a.type for a in attrs.fields(hints)}[attribute.name]
        if isinstance(value, str):
            value = parse_setting(value, hint)
        build(table, self.settings.declared[table], {attribute.name: value})
        ConfigFile(self.config_path).set(key, value)
        raw = read_raw(self.config_path)
        self.settings = Settings(raw, self.settings.declared)

    def unset_setting(self, key: str) -> bool:
        """Remove a setting from the file (it goes back to its default)."""
        return ConfigFile(self.config_path).unset(key)

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
        now = _now()
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
            now = _now().isoformat()
            for doc in holding:
                fields = {k: v for k, v in doc["fields"].items() if k != key}
                customers.put({**doc, "fields": fields, "updated_at": now})
            table = session.table(FIELDS)
            for id in table.find("key", key):
                table.delete(id)
        return len(holding)

    # -- customers ---------------------------------------------------------------------

    def _today(self) -> date:
        return datetime.now(self.field_context.timezone).date()

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
        added: list[Customer] = []
        with self._write() as session:
            schema = self._schema(session)
            table = session.table(CUSTOMERS)
            now, today = _now(), self._today()
            for number, row in enumerate(rows, start=1):
                values = {k: v for k, v in row.items() if k not in ("tags", "fields")}
                values.update(row.get("fields") or {})
                doc = records.new_doc(
                    schema,
                    values,
                    row.get("tags") or (),
                    id=table.new_id(),
                    now=now,
                    today=today,
                    row=number if len(rows) > 1 else None,
                )
                records.check_unique(table, doc, row=number if len(rows) > 1 else None)
                table.put(doc)
                customer = self._customer(doc)
                added.append(customer)
                self._emit("customer_created", customer)
        return added

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
            return [self._customer(table.get(i) or {}) for i in sorted(ids or ())]

    def customers(self, *, limit: int | None = None, offset: int = 0) -> list[Customer]:
        """Customers in id order; every one unless ``limit`` is given."""
        with self.store.read() as session:
            docs = list(session.table(CUSTOMERS))
        end = None if limit is None else offset + limit
        return [self._customer(doc) for doc in docs[offset:end]]

    def customers_json(self, *, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        """Customers in id order as JSON objects (what :meth:`to_json` gives), built fast.

        The stored documents already have that shape, so listing 100,000 of
        them skips building :class:`Customer` objects; a document that does not
        have it (edited by hand) goes through the checked path and its error.
        """
        with self.store.read() as session:
            docs = list(session.table(CUSTOMERS))
        end = None if limit is None else offset + limit
        out = []
        for doc in docs[offset:end]:
            if doc.keys() == CUSTOMER_KEYS:
                out.append({**doc, "tags": list(doc["tags"]), "fields": dict(doc["fields"])})
            else:
                out.append(self.to_json(self._customer(doc)))
        return out

    def count_customers(self) -> int:
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
            after = records.changed_doc(schema, before, values or {}, unset, now=_now(), tags=tags)
            if after == before:
                return self._customer(before)
            records.check_unique(table, after)
            table.put(after)
            customer = self._customer(after)
            self._emit("customer_updated", self._customer(before), customer)
        return customer

    def delete_customers(self, ids: Iterable[int]) -> list[Customer]:
        """Delete these customers (all must exist); return them as they were."""
        deleted: list[Customer] = []
        with self._write() as session:
            table = session.table(CUSTOMERS)
            for id in dict.fromkeys(ids):
                customer = self._customer(records.existing(table, id))
                table.delete(id)
                deleted.append(customer)
                self._emit("customer_deleted", customer)
        return deleted

    def _customer(self, doc: Doc) -> Customer:
        try:
            customer: Customer = converter.structure(doc, Customer)
        except Exception as exc:
            raise StoreError(
                f"customer {doc.get('id')!r} in the store is damaged ({_first_error(exc)}); "
                "fix it by hand or restore a backup"
            ) from None
        return customer

    @staticmethod
    def to_json(customer: Customer) -> dict[str, Any]:
        """A customer as the JSON object the CLI prints with ``--format json``."""
        data: dict[str, Any] = to_json(customer)
        return data


def _now() -> datetime:
    return datetime.now(UTC)


def _first_error(exc: BaseException) -> str:
    subs = getattr(exc, "exceptions", None)
    if subs:
        return _first_error(subs[0])
    notes = getattr(exc, "__notes__", None)
    return f"{exc}" + (f" ({notes[0]})" if notes else "")
