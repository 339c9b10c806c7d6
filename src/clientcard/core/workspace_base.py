"""The workspace's foundation: opening, settings, the store, writes and events.

One part of :class:`~clientcard.core.workspace.Workspace`; the facade's own
docstring says what every operation guarantees.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo

import attrs

from clientcard.core import activity, links
from clientcard.core.activity import ActivityValues
from clientcard.core.classify import HISTORY
from clientcard.core.clock import first_error
from clientcard.core.config import (
    CONFIG_NAME,
    CORE_TABLES,
    ConfigFile,
    Settings,
    WorkspaceSettings,
    build,
    check_setting,
    parse_setting,
    raw_disabled,
    read_raw,
)
from clientcard.core.convert import converter, to_json
from clientcard.core.customers import CUSTOMERS, FIELDS, SEGMENTS
from clientcard.core.errors import (
    ClientcardError,
    ConfigError,
    StoreError,
    WorkspaceError,
)
from clientcard.core.fields import FieldContext
from clientcard.core.forms import declare_forms
from clientcard.core.merge import MERGES
from clientcard.core.model import Customer
from clientcard.core.plugins import ID_SCHEMES, SETTINGS, STORAGE_BACKENDS, PluginHost
from clientcard.core.selection import CustomerView, SearchTexts
from clientcard.core.store import Doc, Store, TableSpec, WriteSession
from clientcard.core.tags import TAGS

DATA_DIR = "data"
CUSTOMER_KEYS = frozenset(attrs.fields_dict(Customer))
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
        # without loading every customer (core/duplicates.py)
        columns=("name", "email", "phone"),
    ),
    # apart, so that reading the field definitions does not load every customer
    TableSpec(FIELDS, indexes=("key",), group="schema"),
    # activity apart too: recording a booking never rewrites a customer
    *(kind.spec() for kind in activity.KINDS.values()),
    TableSpec(HISTORY, indexes=("customer_id",), group="history"),
    # saved segments are few and small: beside the field definitions
    TableSpec(SEGMENTS, indexes=("key",), group="schema"),
    TableSpec(TAGS, indexes=("key",), group="schema"),
    # what a merge replaced, kept for unmerge: never read by everyday work
    TableSpec(MERGES, group="merges"),
    # relationships, referrals, documents: read with one card
    *links.SPECS,
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

# Intake forms for your website ('clientcard forms list', docs/forms.md). A form asks
# the fields listed here (else name, e-mail, phone and its usual extras), then every
# field added with '--form NAME', then plugins' questions. Add a form as [forms.NAME].
[forms.signup]
title = "Sign up"
description = "Leave your details and we will be in touch."
# fields = ["name", "email", "phone"]   # asked first, in this order
# required = ["email"]                  # required here though not on every card

[forms.scheduling]
title = "Book an appointment"
description = "Your details for the appointment."

[forms.contact]
title = "Contact us"
description = "Write to us and we will answer soon."

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

# [duplicates]
# Pairs scoring at least this (0 to 1) are likely duplicates: 'clientcard duplicates'
# lists them, 'customers add' and imports warn about them (docs/duplicates.md).
# min_score = 0.8
# A field of your own that identifies a person, e.g. a membership number:
# [duplicates.fields.membership_no]
# match = "exact"    # or "normalised" (case and accents ignored), "fuzzy"
# weight = 0.9       # 0 to 1; 0 leaves a field out
"""


class _Discard(Exception):
    """Raised at the end of :meth:`WorkspaceBase.preview` so the store rolls the write back."""


class WorkspaceBase:
    """What every part of a workspace stands on (see :class:`Workspace`).

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
        #: folded search text per customer document (see core/selection.py)
        self._texts = SearchTexts()
        #: the customers as columns, and activity summaries, under the revision they reflect
        self._views: tuple[Hashable, CustomerView] | None = None
        self._summaries: tuple[Hashable, dict[str, Any]] | None = None
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
            # [forms.<name>]: one table per intake form (core/forms.py)
            declare_forms(self.plugins.add_settings, raw)
            self.plugins.check()
            self.settings = Settings(raw, self.plugins.registry(SETTINGS).items())
        except ClientcardError as exc:
            if strict:
                raise
            self.problems.append(str(exc))
            self.settings = Settings({}, self.plugins.registry(SETTINGS).items())
        self.warnings = list(self.settings.warnings)
        self._use_settings(self.settings)
        self._store: Store | None = None
        self._events: list[tuple[str, tuple[Any, ...]]] | None = None
        #: upkeep that may only run once the write is on disk (removing unused files)
        self._upkeep: list[Callable[[], None]] = []

    # -- opening and closing -------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        plugins: Iterable[object] = (),
        strict: bool = True,
    ) -> Self:
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
    ) -> Self:
        """Create a workspace in ``path`` (made if missing) and open it.

        ``settings`` maps dotted keys to values, e.g. ``{"workspace.region": "IT"}``.
        """
        where = Path(path).resolve()
        if (where / CONFIG_NAME).exists():
            raise WorkspaceError(f"{where} is already a clientcard workspace")
        if where.exists() and not where.is_dir():
            raise WorkspaceError(f"{where} exists and is not a directory")
        made = not where.exists()
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
            # a refused setting leaves nothing behind: not even the directory
            config.unlink()
            if made:
                with contextlib.suppress(OSError):
                    where.rmdir()
            raise
        (where / DATA_DIR).mkdir(exist_ok=True)
        created = cls(where, plugins=plugins)
        created._started()
        return created

    def _started(self) -> None:
        """Fill a workspace :meth:`init` has just created (parts add to it: starter fields)."""

    @property
    def store(self) -> Store:
        """The storage backend, opened on first use."""
        if self._store is None:
            backend = self.plugins.registry(STORAGE_BACKENDS).get(self.settings["storage"].backend)
            self._store = backend(self.path / DATA_DIR, TABLES)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Self:
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
    def preview(self) -> Iterator[None]:
        """Run the block as one write, then throw the write away.

        Every check the real operations make runs (values, required fields,
        unique external ids, references), so an error a real run would raise is
        raised here too; on success nothing is stored and no event hook is
        called.  This is what every ``--dry-run`` uses::

            with workspace.preview():
                changed = workspace.update_customers(selection, {"visits": 3})
        """
        if self._events is not None:
            # Discarding a nested write would discard the enclosing one with it.
            raise WorkspaceError("a preview cannot run inside a batch or another write")
        try:
            with self._write():
                yield
                raise _Discard
        except _Discard:
            pass

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
                upkeep, self._upkeep = self._upkeep, []
                for task in upkeep:
                    task()
                for name, args in events or ():
                    getattr(self.plugins, name)(self, *args)
        finally:
            if outermost:
                self._events = None
                self._upkeep = []

    def _emit(self, name: str, *args: Any) -> None:
        assert self._events is not None
        self._events.append((name, args))

    def _after_commit(self, task: Callable[[], None]) -> None:
        """Run ``task`` once the current write is on disk (never if it fails)."""
        self._upkeep.append(task)

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
        # a well-formed name of nothing installed (a rule set 'nope', currency XYZ)
        # would be written and then break every later command
        check_setting(key, value, self.plugins)
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
            region=ws.region,
            currency=ws.currency,
            timezone=ZoneInfo(ws.timezone),
            locale=ws.locale,
            id_schemes=self.plugins.registry(ID_SCHEMES).items(),
        )

    def today(self) -> date:
        """Today in the business's time zone: what "as of today" means everywhere."""
        return datetime.now(self.field_context.timezone).date()

    def _customer(self, doc: Doc) -> Customer:
        try:
            customer: Customer = converter.structure(doc, Customer)
        except Exception as exc:
            raise StoreError(
                f"customer {doc.get('id')!r} in the store is damaged ({first_error(exc)}); "
                "fix it by hand or restore a backup"
            ) from None
        return customer

    @staticmethod
    def to_json(customer: Customer) -> dict[str, Any]:
        """A customer as the JSON object the CLI prints with ``--format json``."""
        data: dict[str, Any] = to_json(customer)
        return data
