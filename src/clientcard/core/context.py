"""What every service of one workspace shares: settings, plugins, the store, the clock,
and the write with the events it queues.

A :class:`Context` is built once per opened workspace and handed to each
service (``Customers(ctx, ...)``), as sqlite-utils hands its ``Database`` to
each ``Table``.  It knows no capability: services bring their own tables
(:class:`~clientcard.core.store.TableSpec`) and their own events go through
:class:`Events`, the typed queue of the host's event hooks.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs

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
from clientcard.core.errors import ClientcardError, ConfigError, WorkspaceError
from clientcard.core.fields import FieldContext
from clientcard.core.plugins import (
    CORE_KINDS,
    ID_SCHEMES,
    SETTINGS,
    STORAGE_BACKENDS,
    Kind,
    PluginHost,
)
from clientcard.core.store import ReadSession, Store, TableSpec, WriteSession, open_store
from clientcard.core.text import entered_all

DATA_DIR = "data"

#: declares settings tables the core does not know (intake forms' ``[forms.NAME]``)
Declare = Callable[[Callable[[str, type[Any]], None], dict[str, Any]], None]


class _Discard(Exception):
    """Raised at the end of :meth:`Context.preview` so the store rolls the write back."""


class Events:
    """The event hooks a write has earned, called once it is on disk.

    The typed facade over the event hooks (pluggy's relay is untyped): services
    call these methods while they change things; nothing reaches
    a host's hook until the outermost write commits, and nothing at all if it
    is rolled back or was a preview.  ``owner`` is what hooks receive as
    ``workspace`` (the facade the host opened).
    """

    def __init__(self, plugins: PluginHost) -> None:
        self._plugins = plugins
        self._hook = plugins.pm.hook
        #: per thread: a write belongs to the thread that opened it (the store lets one
        #: thread write at a time), so another thread's write never joins it
        self._local = threading.local()
        self.owner: Any = None

    @property
    def _queue(self) -> list[Callable[[Any], None]] | None:
        """The events of this thread's write in progress (None: it is not writing)."""
        queue: list[Callable[[Any], None]] | None = getattr(self._local, "queue", None)
        return queue

    @_queue.setter
    def _queue(self, queue: list[Callable[[Any], None]] | None) -> None:
        self._local.queue = queue

    def listened(self, hook: str) -> bool:
        """Whether any plugin implements ``hook``: building what only a listener reads
        (a Customer per changed status) can then be skipped."""
        return self._plugins.listens(hook)

    def _later(self, event: str, **arguments: Any) -> None:
        """Queue the hook ``clientcard_<event>``, to be called with the workspace."""
        if self._queue is None:
            raise WorkspaceError("an event was raised outside a write")  # a bug, not input
        hook = getattr(self._hook, f"clientcard_{event}")
        self._queue.append(lambda workspace: hook(workspace=workspace, **arguments))

    def customer_created(self, customer: Any) -> None:
        self._later("customer_created", customer=customer)

    def customer_updated(self, before: Any, after: Any) -> None:
        self._later("customer_updated", before=before, after=after)

    def customer_deleted(self, customer: Any) -> None:
        self._later("customer_deleted", customer=customer)

    def status_changed(
        self, customer: Any, dimension: str, old: str | None, new: str, reason: str, manual: bool
    ) -> None:
        self._later(
            "status_changed",
            customer=customer,
            dimension=dimension,
            old=old,
            new=new,
            reason=reason,
            manual=manual,
        )

    def activity_recorded(
        self, customer: Any, kind: str, record: dict[str, Any], created: bool
    ) -> None:
        self._later(
            "activity_recorded", customer=customer, kind=kind, record=record, created=created
        )

    def customers_merged(self, survivor: Any, merged: list[int], merge_id: int) -> None:
        self._later("customers_merged", survivor=survivor, merged=merged, merge_id=merge_id)

    def customers_unmerged(self, customers: list[Any], merge_id: int) -> None:
        self._later("customers_unmerged", customers=customers, merge_id=merge_id)


class Context:
    """One workspace's settings, plugin host and store, and its writes.

    Open one with :meth:`load`.  ``tables`` are every service's tables, for
    the store; ``problems`` are what a lenient open (``strict=False``, for
    ``clientcard plugins`` and ``config``) found wrong instead of raising.
    """

    def __init__(
        self,
        path: Path,
        plugins: PluginHost,
        settings: Settings,
        tables: tuple[TableSpec, ...],
        problems: list[str],
    ) -> None:
        self.path = path
        self.config_path = path / CONFIG_NAME
        self.plugins = plugins
        self.tables = tables
        self.problems = problems
        self.warnings = list(settings.warnings)
        self.events = Events(plugins)
        self._store: Store | None = None
        #: threads of a host share a workspace: one of them opens its store
        self._store_lock = threading.Lock()
        #: per thread, like the events: upkeep that may only run once this thread's
        #: write is on disk (removing unused files)
        self._local = threading.local()
        self.use_settings(settings)

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        tables: tuple[TableSpec, ...],
        kinds: Iterable[Kind[Any]] = CORE_KINDS,
        settings: Mapping[str, type[Any]] | None = None,
        plugins: Iterable[object] = (),
        strict: bool = True,
        declare: Declare | None = None,
    ) -> Context:
        """Read ``clientcard.toml`` in ``path``, load the plugins, check the settings.

        ``settings`` are the capabilities' settings tables (``[status]``,
        ``[merge]`` ...), declared beside the core's own; ``declare`` adds tables
        that depend on the file itself (one per intake form).
        """
        problems: list[str] = []
        raw = read_raw(path / CONFIG_NAME)
        try:
            disabled = raw_disabled(raw)
        except ConfigError as exc:
            if strict:
                raise
            problems.append(str(exc))
            disabled = []
        host = PluginHost(disabled=disabled, extra=plugins, kinds=kinds)
        for table, settings_class in {**CORE_TABLES, **(settings or {})}.items():
            host.add_settings(table, settings_class)
        try:
            if declare is not None:
                declare(host.add_settings, raw)
            host.check()
            checked = Settings(raw, host.registry(SETTINGS).items())
        except ClientcardError as exc:
            if strict:
                raise
            problems.append(str(exc))
            checked = Settings({}, host.registry(SETTINGS).items())
        return cls(path, host, checked, tables, problems)

    # -- settings --------------------------------------------------------------------

    def use_settings(self, settings: Settings) -> None:
        """Take ``settings`` as the workspace's (after a change to the file).

        Services that derive something from the settings keep it keyed by the
        :class:`Settings` object, which changes here.
        """
        self.settings = settings
        ws: WorkspaceSettings = settings["workspace"]
        self.field_context = FieldContext(
            region=ws.region,
            currency=ws.currency,
            timezone=ZoneInfo(ws.timezone),
            locale=ws.locale,
            id_schemes=self.plugins.registry(ID_SCHEMES).items(),
        )

    def settings_for(self, table: str) -> Any:
        """The checked settings of ``[table]`` (an instance of its declared attrs class)."""
        try:
            return self.settings[table]
        except KeyError:
            raise ConfigError(f"no settings table [{table}] is declared") from None

    def set_setting(self, key: str, value: Any) -> None:
        """Check and write one setting to ``clientcard.toml``, keeping its comments;
        ``value`` may be text as typed, read by the setting's type."""
        table, attribute = self.settings.locate(key)
        hints = attrs.resolve_types(self.settings.declared[table])
        hint = {a.name: a.type for a in attrs.fields(hints)}[attribute.name]
        value = entered_all(value, field=key)
        if isinstance(value, str):
            value = parse_setting(value, hint)
        build(table, self.settings.declared[table], {attribute.name: value})
        # a well-formed name of nothing installed (a rule set 'nope', currency XYZ)
        # would be written and then break every later command
        check_setting(key, value, self.plugins, attribute.metadata)
        ConfigFile(self.config_path).set(key, value)
        self.use_settings(Settings(read_raw(self.config_path), self.settings.declared))

    def unset_setting(self, key: str) -> bool:
        """Remove a setting from the file (it goes back to its default)."""
        removed = ConfigFile(self.config_path).unset(key)
        # unsetting is how a broken file gets mended: it may still be broken
        with contextlib.suppress(ClientcardError):
            self.use_settings(Settings(read_raw(self.config_path), self.settings.declared))
        return removed

    def today(self) -> date:
        """Today in the business's time zone: what "as of today" means everywhere."""
        return datetime.now(self.field_context.timezone).date()

    # -- the store and its writes ------------------------------------------------------

    @property
    def store(self) -> Store:
        """The storage backend, opened on first use."""
        store = self._store
        if store is None:
            with self._store_lock:
                if self._store is None:
                    storage = self.settings["storage"]
                    backend = self.plugins.registry(STORAGE_BACKENDS).get(storage.backend)
                    self._store = open_store(backend, self.path / DATA_DIR, self.tables, storage)
                store = self._store
        return store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def read(self) -> contextlib.AbstractContextManager[ReadSession]:
        """A consistent view of what is committed (a write in progress sees its own)."""
        return self.store.read()

    @property
    def writing(self) -> bool:
        return self.events._queue is not None

    @contextmanager
    def write(self) -> Iterator[WriteSession]:
        """One all-or-nothing change; nested writes join the outer one.  Upkeep and
        events run once the outermost write is on disk."""
        events = self.events
        outermost = events._queue is None
        if outermost:
            events._queue = []
        try:
            with self.store.write() as session:
                yield session
            if outermost:
                queued, events._queue = events._queue or [], None
                upkeep, self._upkeep = self._upkeep, []
                for task in upkeep:
                    task()
                for call in queued:
                    call(events.owner)
        finally:
            if outermost:
                events._queue = None
                self._upkeep = []

    @contextmanager
    def preview(self) -> Iterator[None]:
        """Run the block as one write, then throw the write away: every check runs,
        nothing is stored, no event hook is called."""
        if self.writing:
            # Discarding a nested write would discard the enclosing one with it.
            raise WorkspaceError("a preview cannot run inside a batch or another write")
        try:
            with self.write():
                yield
                raise _Discard
        except _Discard:
            pass

    def after_commit(self, task: Callable[[], None]) -> None:
        """Run ``task`` once the current write is on disk (never if it fails)."""
        self._upkeep.append(task)

    @property
    def _upkeep(self) -> list[Callable[[], None]]:
        upkeep: list[Callable[[], None]] | None = getattr(self._local, "upkeep", None)
        if upkeep is None:
            upkeep = self._local.upkeep = []
        return upkeep

    @_upkeep.setter
    def _upkeep(self, upkeep: list[Callable[[], None]]) -> None:
        self._local.upkeep = upkeep
