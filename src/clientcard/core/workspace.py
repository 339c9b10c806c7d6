"""The Workspace: the one facade the CLI and host applications use.

A workspace is a directory holding ``clientcard.toml`` and ``data/``.  Opening
one builds its plugin host (built-ins and installed plugins), checks its
settings and opens its store.  Every method is one operation: it sees every
change other processes committed before it, and its changes reach the disk
together or not at all.  ``with workspace.batch():`` makes many operations one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from clientcard.core import activity
from clientcard.core import customers as records
from clientcard.core.activity import ActivityKind, ActivityValues
from clientcard.core.classify import (
    DIMENSIONS,
    HISTORY,
    Classifier,
    ClassifyReport,
    Facts,
    RuleSet,
    Transition,
    history_doc,
)
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
    NotFoundError,
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
from clientcard.core.memory import gc_paused
from clientcard.core.model import Customer, FieldDef
from clientcard.core.plugins import PluginHost
from clientcard.core.store import Doc, Store, TableSpec, WriteSession, find_docs

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
    # activity apart too: recording a booking never rewrites a customer
    *(kind.spec() for kind in activity.KINDS.values()),
    TableSpec(HISTORY, indexes=("customer_id",), group="history"),
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

[status]
# The rule set that sets each customer's status from their activity:
# "lifecycle" (new / paid / loyal / churn), "lead-client-vip", or one a plugin adds.
rule_set = "lifecycle"

# [status.lifecycle]
# loyal_min_bookings = 3     # completed bookings ...
# loyal_window_days = 180    # ... within this many days make a customer loyal
# churn_after_days = 180     # no completed booking for this long: churn

# [tier]
# A second dimension, e.g. customer-club tiers from points:
# rule_set = "loyalty-tiers"
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
        self._use_settings(self.settings)
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
        self._use_settings(Settings(read_raw(self.config_path), self.settings.declared))

    def unset_setting(self, key: str) -> bool:
        """Remove a setting from the file (it goes back to its default)."""
        removed = ConfigFile(self.config_path).unset(key)
        # unsetting is how a broken file gets mended: it may still be broken
        with contextlib.suppress(ClientcardError):
            self._use_settings(Settings(read_raw(self.config_path), self.settings.declared))
        return removed

    def _use_settings(self, settings: Settings) -> None:
        self.settings = settings
        self._values: ActivityValues | None = None
        ws: WorkspaceSettings = settings["workspace"]
        self.field_context = FieldContext(
            region=ws.region, currency=ws.currency, timezone=ZoneInfo(ws.timezone), locale=ws.locale
        )

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
            classifier = self._classifier()
            initial: list[Transition] = []
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
                # a new customer has no activity yet: its first status needs no facts
                # to be read, which keeps adding one customer fast
                _, decided = classifier.run(
                    [Facts(doc, today, currency=classifier.currency, timezone=classifier.timezone)]
                )
                for change in decided:
                    doc[change.dimension] = change.new
                initial.extend(decided)
                table.put(doc)
                customer = self._customer(doc)
                added.append(customer)
                self._emit("customer_created", customer)
            self._store_transitions(
                session,
                initial,
                today,
                manual=False,
                rule_sets=classifier.names(),
                docs={c.id: self.to_json(c) for c in added},
            )
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
        """Delete these customers (all must exist) with their activity and status history.

        Returns them as they were.
        """
        deleted: list[Customer] = []
        with self._write() as session:
            table = session.table(CUSTOMERS)
            for id in dict.fromkeys(ids):
                customer = self._customer(records.existing(table, id))
                table.delete(id)
                deleted.append(customer)
                self._emit("customer_deleted", customer)
            # nothing may point at a customer that is gone
            owned = [kind.table for kind in activity.KINDS.values()] + [HISTORY]
            for name in owned:
                kept = session.table(name)
                for customer in deleted:
                    for doc in find_docs(kept, "customer_id", customer.id):
                        kept.delete(doc["id"])
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

    # -- activity ----------------------------------------------------------------------

    @property
    def _activity_values(self) -> ActivityValues:
        if self._values is None:
            self._values = ActivityValues(self.field_types(), self.field_context)
        return self._values

    def record(
        self, kind: str, customer_id: int, values: Mapping[str, Any] | None = None, **more: Any
    ) -> dict[str, Any]:
        """Record a booking, payment, message or marketing event for a customer.

        ``kind`` is ``"booking"``, ``"payment"``, ``"message"`` or
        ``"marketing"``; values may be text or Python values.  The customer is
        re-classified at once.  Returns the stored record (JSON form).
        """
        (doc,) = self.record_many(kind, [{"customer_id": customer_id, **(values or {}), **more}])
        return doc

    def record_many(self, kind: str, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Record many activities of one kind in one write (all or none).

        Each row holds ``customer_id`` and the values; errors name the row.
        """
        spec = activity.kind(kind)
        rows = list(rows)
        added: list[dict[str, Any]] = []
        # An import records a million rows: each distinct text is validated once,
        # each customer looked up and built once, no event built for nobody.
        memo: dict[tuple[str, Any], dict[str, Any]] = {}
        seen: dict[int, Doc] = {}
        people: dict[int, Customer] = {}
        listened = bool(self.plugins.pm.hook.clientcard_activity_recorded.get_hookimpls())
        with gc_paused(), self._write() as session:
            customers = session.table(CUSTOMERS)
            table = session.table(spec.table)
            now = _now()
            for number, row in enumerate(rows, start=1):
                where = number if len(rows) > 1 else None
                values = dict(row)
                customer_id = _as_id(values.pop("customer_id", None), where)
                customer = seen.get(customer_id)
                if customer is None:
                    customer = seen[customer_id] = records.existing(customers, customer_id)
                doc = activity.new_doc(
                    spec,
                    self._activity_values.coerce(spec, values, row=where, memo=memo),
                    id=table.new_id(),
                    customer_id=customer_id,
                    now=now,
                )
                activity.check_external_id(table, spec, doc, where)
                table.put(doc)
                added.append(doc)
                if listened:
                    person = people.get(customer_id)
                    if person is None:
                        person = people[customer_id] = self._customer(customer)
                    self._emit("activity_recorded", person, spec.name, doc, True)
            self._reclassify(session, seen)
        return [dict(doc) for doc in added]

    def record_booking(self, customer_id: int, date: Any, **values: Any) -> dict[str, Any]:
        """Record a booking: ``date`` (a date or date-time), and optionally ``status``
        (completed, upcoming, cancelled, no_show; default completed), ``service``,
        ``staff``, ``amount`` (e.g. ``"35.00 EUR"``) and ``external_id``."""
        return self.record("booking", customer_id, date=date, **values)

    def record_payment(self, customer_id: int, amount: Any, **values: Any) -> dict[str, Any]:
        """Record a payment: ``amount``, and optionally ``status`` (received, due,
        overdue, refunded; default received), ``due_date``, ``paid_at``,
        ``reference`` and ``external_id``."""
        return self.record("payment", customer_id, amount=amount, **values)

    def record_message(self, customer_id: int, **values: Any) -> dict[str, Any]:
        """Record a message: ``channel``, ``direction`` (in/out), ``at``, ``subject``, ``body``."""
        return self.record("message", customer_id, **values)

    def record_marketing_event(
        self, customer_id: int, campaign: str, **values: Any
    ) -> dict[str, Any]:
        """Record a marketing event: ``campaign``, ``event`` (delivered, viewed, clicked)."""
        return self.record("marketing", customer_id, campaign=campaign, **values)

    def update_activity(
        self,
        kind: str,
        id: int | None = None,
        *,
        external_id: str | None = None,
        values: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Change a recorded activity, found by its id or by the host's ``external_id``
        (e.g. a booking later cancelled).  The customer is re-classified."""
        spec = activity.kind(kind)
        with self._write() as session:
            table = session.table(spec.table)
            before = self._find_activity(table, spec, id, external_id)
            after = {**before, **self._activity_values.coerce(spec, values)}
            activity.check_external_id(table, spec, after, None)
            if after != before:
                table.put(after)
                customer = records.existing(session.table(CUSTOMERS), after["customer_id"])
                self._emit("activity_recorded", self._customer(customer), spec.name, after, False)
                self._reclassify(session, {after["customer_id"]})
        return dict(after)

    @staticmethod
    def _find_activity(
        table: Any, spec: ActivityKind, id: int | None, external_id: str | None
    ) -> Doc:
        if (id is None) == (external_id is None):
            raise ValidationError(
                "id", id, f"the {spec.name}'s id or its external_id (one of them)"
            )
        if id is None:
            found = table.find("external_id", external_id)
            doc = table.get(found[0]) if found else None
            what = f"external_id {external_id!r}"
        else:
            doc = table.get(id)
            what = f"id {id}"
        if doc is None:
            raise NotFoundError(f"no {spec.name} with {what}")
        return dict(doc)

    def activity(self, kind: str, customer_id: int | None = None) -> list[dict[str, Any]]:
        """Recorded activities of one kind, of one customer or of all, in id order."""
        spec = activity.kind(kind)
        with self.store.read() as session:
            table = session.table(spec.table)
            if customer_id is None:
                return [dict(d) for d in table]
            return [dict(d) for d in find_docs(table, "customer_id", customer_id)]

    # -- classification ------------------------------------------------------------------

    def rule_set(self, dimension: str = "status") -> tuple[RuleSet, Any] | None:
        """The rule set configured for ``dimension`` and its settings, or None."""
        if dimension not in DIMENSIONS:
            raise ValidationError("dimension", dimension, f"one of: {', '.join(DIMENSIONS)}")
        name = self.settings[dimension].rule_set
        if not name:  # rule_set = "": statuses are set by hand only
            return None
        rules = self.plugins.rule_sets.get(name)
        settings = self.settings_for(f"status.{name}") if rules.settings_class else None
        return rules, settings

    def _classifier(self) -> Classifier:
        configured = {d: found for d in DIMENSIONS if (found := self.rule_set(d)) is not None}
        tables = {
            "bookings": activity.BOOKING.table,
            "payments": activity.PAYMENT.table,
            "messages": activity.MESSAGE.table,
            "marketing": activity.MARKETING.table,
        }
        return Classifier(
            configured,
            currency=self.field_context.currency,
            timezone=self.field_context.timezone,
            tables=tables,
        )

    def classify(self, *, as_of: date | None = None, dry_run: bool = False) -> ClassifyReport:
        """Classify every customer as of ``as_of`` (default today) and store each change.

        With ``dry_run`` nothing is written: the report lists the changes it
        would make.  Pinned (manually set) statuses are left alone.
        """
        as_of = as_of or self._today()
        context = self.store.read() if dry_run else self._write()
        with gc_paused(), context as session:
            return self._classify(session, as_of, None, dry_run=dry_run)

    def _classify(
        self, session: Any, as_of: date, ids: Iterable[int] | None, *, dry_run: bool = False
    ) -> ClassifyReport:
        classifier = self._classifier()
        counts, transitions = classifier.run(classifier.facts(session, as_of, ids))
        report = ClassifyReport(
            as_of=as_of,
            rule_sets=classifier.names(),
            counts=counts,
            transitions=transitions,
            dry_run=dry_run,
        )
        if not dry_run:
            self._store_transitions(
                session, transitions, as_of, manual=False, rule_sets=report.rule_sets
            )
        return report

    def _reclassify(self, session: Any, ids: Iterable[int]) -> None:
        self._classify(session, self._today(), sorted(ids))

    def _store_transitions(
        self,
        session: Any,
        transitions: Sequence[Transition],
        as_of: date,
        *,
        manual: bool,
        rule_sets: Mapping[str, str],
        pin: bool | None = None,
        docs: Mapping[int, Doc] | None = None,
    ) -> None:
        """Write status changes to the records and the history; queue their events.

        ``docs`` are records already written with their new status (new
        customers): only their history and events remain to do.
        """
        customers = session.table(CUSTOMERS)
        history = session.table(HISTORY)
        at = _now().isoformat()
        listened = bool(self.plugins.pm.hook.clientcard_status_changed.get_hookimpls())
        for change in transitions:
            if docs is not None:
                doc = dict(docs[change.customer_id])
            else:
                doc = dict(records.existing(customers, change.customer_id))
                doc[change.dimension] = change.new
                pinned = [p for p in doc.get("pinned") or () if p != change.dimension]
                if pin or (pin is None and change.dimension in (doc.get("pinned") or ())):
                    pinned.append(change.dimension)
                doc["pinned"] = pinned
                customers.put(doc)
            if change.new != change.old:
                history.put(
                    history_doc(
                        change,
                        id=history.new_id(),
                        at=at,
                        as_of=as_of,
                        manual=manual,
                        rule_set=rule_sets.get(change.dimension),
                    )
                )
                if listened:
                    self._emit(
                        "status_changed",
                        self._customer(doc),
                        change.dimension,
                        change.old,
                        change.new,
                        change.reason,
                        manual,
                    )

    def set_status(
        self,
        ids: Iterable[int],
        status: str,
        *,
        dimension: str = "status",
        reason: str = "set by hand",
    ) -> list[Transition]:
        """Set a status by hand and pin it: automation leaves it alone until :meth:`unpin`.

        The status must be one the configured rule set knows.  Returns the changes.
        """
        configured = self.rule_set(dimension)
        if configured is not None:
            rules, settings = configured
            known = [s.key for s in rules.statuses(settings)]
            if status not in known:
                raise ValidationError(dimension, status, f"one of: {', '.join(known)}")
        elif not status.strip():
            raise ValidationError(dimension, status, "a status name")
        with self._write() as session:
            customers = session.table(CUSTOMERS)
            docs = [records.existing(customers, id) for id in dict.fromkeys(ids)]
            changes = [
                Transition(d["id"], dimension, d.get(dimension), status, "manual", reason)
                for d in docs
            ]
            names = {dimension: configured[0].name} if configured else {}
            self._store_transitions(
                session, changes, self._today(), manual=True, rule_sets=names, pin=True
            )
        return [c for c in changes if c.old != c.new]

    def ids_with_status(self, statuses: Iterable[str], *, dimension: str = "status") -> list[int]:
        """Ids of the customers whose ``dimension`` is one of ``statuses`` (for bulk changes)."""
        wanted = set(statuses)
        with self.store.read() as session:
            return [d["id"] for d in session.table(CUSTOMERS) if d.get(dimension) in wanted]

    def unpin(self, ids: Iterable[int], *, dimension: str = "status") -> list[Transition]:
        """Hand customers back to automation, re-classifying them now."""
        self.rule_set(dimension)  # checks the dimension
        with self._write() as session:
            customers = session.table(CUSTOMERS)
            for id in dict.fromkeys(ids):
                doc = dict(records.existing(customers, id))
                doc["pinned"] = [p for p in doc.get("pinned") or () if p != dimension]
                customers.put(doc)
            return self._classify(session, self._today(), ids).transitions

    def status_history(self, id: int) -> list[dict[str, Any]]:
        """Every status change of a customer, oldest first."""
        with self.store.read() as session:
            records.existing(session.table(CUSTOMERS), id)
            history = session.table(HISTORY)
            return [dict(d) for d in find_docs(history, "customer_id", id)]

    def explain(self, id: int, *, as_of: date | None = None) -> dict[str, Any]:
        """Why a customer has its status: the facts, the deciding rule, the history."""
        as_of = as_of or self._today()
        classifier = self._classifier()
        with self.store.read() as session:
            records.existing(session.table(CUSTOMERS), id)
            (facts,) = classifier.facts(session, as_of, [id])
        history = self.status_history(id)
        out: dict[str, Any] = {
            "customer_id": id,
            "as_of": as_of.isoformat(),
            "facts": facts.summary(),
            "dimensions": {},
            "history": history,
        }
        for dimension in DIMENSIONS:
            out["dimensions"][dimension] = self._explain_dimension(
                facts, dimension, classifier, history
            )
        return out

    @staticmethod
    def _explain_dimension(
        facts: Facts, dimension: str, classifier: Classifier, history: list[dict[str, Any]]
    ) -> dict[str, Any]:
        doc = facts.customer
        current = doc.get(dimension)
        changes = [h for h in history if h["dimension"] == dimension]
        part: dict[str, Any] = {
            "status": current,
            "pinned": dimension in (doc.get("pinned") or ()),
            "since": changes[-1]["at"] if changes else None,
            "rule_set": None,
            "decision": None,
        }
        configured = classifier.rule_sets.get(dimension)
        if configured is not None:
            rules, settings = configured
            decision = rules.decide(facts, settings, current)
            part["rule_set"] = rules.name
            part["decision"] = {
                "status": decision.status,
                "rule": decision.rule,
                "reason": decision.reason,
            }
        return part


def _as_id(value: Any, row: int | None) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ValidationError("customer_id", value, "a customer id (a whole number)", row=row)


def _now() -> datetime:
    return datetime.now(UTC)


def _first_error(exc: BaseException) -> str:
    subs = getattr(exc, "exceptions", None)
    if subs:
        return _first_error(subs[0])
    notes = getattr(exc, "__notes__", None)
    return f"{exc}" + (f" ({notes[0]})" if notes else "")
