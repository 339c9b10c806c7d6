"""The Workspace: the one facade the CLI and host applications use.

A workspace is a directory holding ``clientcard.toml`` and ``data/``.  Opening
one builds its :class:`~clientcard.core.context.Context` (settings, plugin
host, store) and composes one service per capability on it, each given the
services it builds on, as sqlite-utils' ``Database`` holds its ``Table``
objects::

    fields    = Fields(ctx)                         # workspace.fields
    status    = Status(ctx)                         # workspace.status
    find      = Find(ctx, fields, status)           # workspace.find
    customers = Customers(ctx, fields, status, find)
    activity  = Activity(ctx, fields, status)
    cards     = Cards(ctx, fields, status, customers, activity)
    dedupe    = Dedupe(ctx, fields, status, customers)
    forms     = Forms(ctx, fields, customers)
    actions   = Actions(ctx, status)
    transfer  = Transfer(ctx, fields, find, customers, activity, dedupe)

Every method is one operation: it sees every change other processes
committed before it, and its changes reach the disk together or not at all.
``with workspace.batch():`` makes many operations one.  The flat methods
(``add_customer``, ``record_booking``, ``classify`` ...) are what hosts and
the CLI call; each is one line handing over to its service.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Self, TypeVar

from clientcard.actions.kinds import ACTION_KINDS
from clientcard.actions.service import Actions
from clientcard.activity.service import TABLES as ACTIVITY_TABLES
from clientcard.activity.service import Activity
from clientcard.card.service import SETTINGS as CARD_SETTINGS
from clientcard.card.service import TABLES as CARD_TABLES
from clientcard.card.service import Cards
from clientcard.core.check import CheckReport
from clientcard.core.config import CONFIG_NAME, Settings
from clientcard.core.context import DATA_DIR, Context
from clientcard.core.convert import to_json
from clientcard.core.errors import ClientcardError, WorkspaceError
from clientcard.core.fields import FieldContext
from clientcard.core.files import replace_whole
from clientcard.core.model import Customer
from clientcard.core.plugins import CORE_KINDS, Kind, PluginHost
from clientcard.core.store import Finding, Store, TableSpec
from clientcard.customers.documents import DOCUMENTS_DIR
from clientcard.customers.service import TABLES as CUSTOMER_TABLES
from clientcard.customers.service import Customers
from clientcard.dedupe.merge import MERGE_STRATEGIES
from clientcard.dedupe.service import TABLES as DEDUPE_TABLES
from clientcard.dedupe.service import Dedupe
from clientcard.dedupe.settings import SETTINGS as DEDUPE_SETTINGS
from clientcard.fields.service import TABLES as FIELD_TABLES
from clientcard.fields.service import Fields
from clientcard.find.service import TABLES as FIND_TABLES
from clientcard.find.service import Find
from clientcard.forms.intake import FORM_COLLECTORS, declare_forms
from clientcard.forms.service import Forms
from clientcard.starter import CONFIG_TEMPLATE
from clientcard.status.classify import RULE_SETS
from clientcard.status.service import SETTINGS as STATUS_SETTINGS
from clientcard.status.service import TABLES as STATUS_TABLES
from clientcard.status.service import Status
from clientcard.transfer.export import EXPORTERS
from clientcard.transfer.service import Transfer

if TYPE_CHECKING:
    from clientcard.core.backup import Backup

__all__ = ["CONFIG_TEMPLATE", "DATA_DIR", "KINDS", "TABLES", "WORKSPACE_ENV", "Workspace"]

#: Environment variable naming the workspace when ``--workspace`` is not given.
WORKSPACE_ENV = "CLIENTCARD_WORKSPACE"

#: everything plugins may register: the core's kinds, then each capability's
KINDS: tuple[Kind[Any], ...] = (
    *CORE_KINDS,
    RULE_SETS,
    EXPORTERS,
    MERGE_STRATEGIES,
    ACTION_KINDS,
    FORM_COLLECTORS,
)

#: every capability's settings tables, declared beside the core's own
SETTINGS: dict[str, type[Any]] = {**STATUS_SETTINGS, **DEDUPE_SETTINGS, **CARD_SETTINGS}

#: every capability's tables, for the store
TABLES: tuple[TableSpec, ...] = (
    *CUSTOMER_TABLES,
    *FIELD_TABLES,
    *ACTIVITY_TABLES,
    *STATUS_TABLES,
    *FIND_TABLES,
    *DEDUPE_TABLES,
    *CARD_TABLES,
)


P = ParamSpec("P")
R = TypeVar("R")


def _handed(
    service: str, method: Callable[Concatenate[Any, P], R]
) -> Callable[Concatenate[Any, P], R]:
    """A flat Workspace method that hands over to ``method`` of the service in attribute
    ``service``: the same parameters, the same docstring, typed as the service's."""

    def flat(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(getattr(self, service), *args, **kwargs)

    return functools.update_wrapper(flat, method)


class Workspace:
    """A clientcard workspace: customers, fields, activity, statuses, settings and plugins.

    Open one with :meth:`open` (or create it with :meth:`init`) and use it as a
    context manager.  ``plugins`` are extra plugin objects registered for this
    workspace only, after the installed ones: a host application passes the
    object that implements its event hooks.

    Its services are attributes: :attr:`fields`, :attr:`status`,
    :attr:`find`, :attr:`customers`, :attr:`activity`, :attr:`cards`,
    :attr:`dedupe`, :attr:`forms`, :attr:`actions`, :attr:`transfer`.
    ``workspace.customers(...)``, ``workspace.activity(...)``,
    ``workspace.fields()``, ``workspace.forms()`` and
    ``workspace.actions(...)`` list what those services hold.
    """

    def __init__(
        self,
        path: Path,
        *,
        plugins: Iterable[object] = (),
        strict: bool = True,
    ) -> None:
        self.ctx = ctx = Context.load(
            path,
            tables=TABLES,
            kinds=KINDS,
            settings=SETTINGS,
            plugins=plugins,
            strict=strict,
            declare=declare_forms,
        )
        ctx.events.owner = self
        self.fields = Fields(ctx)
        self.status = Status(ctx)
        self.find = Find(ctx, self.fields, self.status)
        self.customers = Customers(ctx, self.fields, self.status, self.find)
        self.activity = Activity(ctx, self.fields, self.status)
        self.cards = Cards(ctx, self.fields, self.status, self.customers, self.activity)
        self.dedupe = Dedupe(ctx, self.fields, self.status, self.customers)
        self.forms = Forms(ctx, self.fields, self.customers)
        self.actions = Actions(ctx, self.status)
        self.transfer = Transfer(
            ctx, self.fields, self.find, self.customers, self.activity, self.dedupe
        )

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
        try:
            replace_whole(config, CONFIG_TEMPLATE.encode("utf-8"))
        except OSError as exc:
            if made:
                with contextlib.suppress(OSError):
                    where.rmdir()
            raise WorkspaceError(f"cannot write {config}: {exc.strerror or exc}") from None
        try:
            created = cls(where, plugins=plugins)
            for key, value in (settings or {}).items():
                created.set_setting(key, value)
            if any(key.startswith("plugins.") for key in settings or {}):
                # plugins a setting disables must not be loaded at all
                created = cls(where, plugins=plugins)
        except ClientcardError:
            # a refused setting leaves nothing behind: not even the directory
            config.unlink()
            if made:
                with contextlib.suppress(OSError):
                    where.rmdir()
            raise
        (where / DATA_DIR).mkdir(exist_ok=True)
        created.fields.add_starters()
        return created

    def close(self) -> None:
        """Release the store's files and locks (``with Workspace.open(...)`` does it)."""
        self.ctx.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- what an open workspace carries --------------------------------------------------

    @property
    def path(self) -> Path:
        """The workspace's directory."""
        return self.ctx.path

    @property
    def config_path(self) -> Path:
        """Its ``clientcard.toml``."""
        return self.ctx.config_path

    @property
    def plugins(self) -> PluginHost:
        """Its plugin host: built-ins, installed plugins and those passed to open."""
        return self.ctx.plugins

    @property
    def settings(self) -> Settings:
        """Its checked settings."""
        return self.ctx.settings

    @property
    def field_context(self) -> FieldContext:
        """The settings field types read values by (region, currency, time zone, locale)."""
        return self.ctx.field_context

    @property
    def problems(self) -> list[str]:
        """What a lenient open (``strict=False``) found wrong instead of raising."""
        return self.ctx.problems

    @property
    def warnings(self) -> list[str]:
        """What the settings file holds that nobody declared (a disabled plugin's table)."""
        return self.ctx.warnings

    @property
    def store(self) -> Store:
        """The storage backend, opened on first use."""
        return self.ctx.store

    # -- writes --------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make every operation inside the block one write: all of it lands, or none."""
        with self.ctx.write():
            yield

    def preview(self) -> AbstractContextManager[None]:
        """Run the block as one write, then throw the write away.

        Every check the real operations make runs (values, required fields,
        unique external ids, references), so an error a real run would raise is
        raised here too; on success nothing is stored and no event hook is
        called.  This is what every ``--dry-run`` uses::

            with workspace.preview():
                changed = workspace.update_customers(selection, {"visits": 3})
        """
        return self.ctx.preview()

    # -- settings ------------------------------------------------------------------------

    def settings_for(self, table: str) -> Any:
        """The checked settings of ``[table]`` (an instance of its declared attrs class)."""
        return self.ctx.settings_for(table)

    def get_setting(self, key: str) -> Any:
        """The effective value of a dotted setting (the default when the file has none)."""
        return self.ctx.settings.value(key)

    def set_setting(self, key: str, value: Any) -> None:
        """Check and write one setting to ``clientcard.toml``, keeping its comments.

        ``value`` may be text as typed on a command line; it is read according
        to the setting's type.
        """
        self.ctx.set_setting(key, value)

    def unset_setting(self, key: str) -> bool:
        """Remove a setting from the file (it goes back to its default)."""
        return self.ctx.unset_setting(key)

    def today(self) -> date:
        """Today in the business's time zone: what "as of today" means everywhere."""
        return self.ctx.today()

    # -- checking and backups ------------------------------------------------------------

    def check(self, repair: bool = False) -> CheckReport:
        """Verify the workspace; one finding per problem, in one line each.

        The store checks its files (each against its checksum and against what
        the others prove: the journal, the snapshots, id counters, caches); then
        each capability what records point at (customers named by fields of
        type ``customer``, activity, history and links; merges; documents'
        files).  A lenient open's settings problems come first.  With
        ``repair``, what is derived from the data (the keys, lookups and columns
        caches) is rebuilt and reported as repaired; data is never guessed at.
        """
        found = [Finding(f"{self.config_path}: {problem}") for problem in self.problems]
        seen = {finding.message for finding in found}

        def add(findings: list[Finding]) -> None:
            for finding in findings:
                if finding.message not in seen:
                    seen.add(finding.message)
                    found.append(finding)

        try:
            store = self.store
            checker = getattr(store, "check", None)
            if checker is None:
                name = self.settings["storage"].backend
                add([Finding(f"the storage backend {name!r} cannot check its own files")])
            else:
                add(list(checker(repair)))
        except ClientcardError as exc:
            add([Finding(exc.message)])
        for capability in (self.customers, self.dedupe):
            try:
                add([Finding(problem) for problem in capability.check()])
            except ClientcardError as exc:  # (what the store could not read: said above)
                add([Finding(exc.message)])
        return CheckReport(tuple(found))

    def backup(self, path: str | os.PathLike[str]) -> Backup:
        """Write a copy of the workspace (``clientcard.toml``, ``data/``, ``documents/``)
        into the tar file ``path`` (``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.xz`` or
        ``.tar.bz2``), with a manifest of every file's size and checksum.

        Taken under the read lock: no change lands half in it.  The file appears
        whole or not at all (an existing one is replaced).  :meth:`restore` puts it
        back."""
        from clientcard.core import backup as backups  # (tarfile: for backups only)

        target = Path(path).resolve()
        for inside in (self.path / DATA_DIR, self.path / DOCUMENTS_DIR):
            if target.is_relative_to(inside):
                raise WorkspaceError(f"{target}: write a backup outside {inside}")
        with self.ctx.read():
            return backups.write(
                self.path,
                target,
                (CONFIG_NAME, DATA_DIR, DOCUMENTS_DIR),
                # the lock and files being written are not the workspace's data
                skip=("data/lock", "data/.*.tmp", f"{DOCUMENTS_DIR}/.incoming.*"),
                version=_version(),
            )

    @classmethod
    def restore(cls, path: str | os.PathLike[str], into: str | os.PathLike[str]) -> CheckReport:
        """Restore a backup made by :meth:`backup` into ``into``, a new or empty
        directory; return what :meth:`check` then finds (``report.ok``: nothing).

        Each file is checked against the backup's manifest; only the
        workspace's own files are written (no path outside ``into``, no link),
        and the directory appears only once every file is in place."""
        from clientcard.core import backup as backups

        where = Path(into).resolve()
        backups.extract(Path(path), where, (CONFIG_NAME, DATA_DIR, DOCUMENTS_DIR))
        with cls.open(where, strict=False) as restored:
            return restored.check()

    @staticmethod
    def to_json(customer: Customer) -> dict[str, Any]:
        """A customer as the JSON object the CLI prints with ``--format json``."""
        data: dict[str, Any] = to_json(customer)
        return data

    # -- the flat methods: each is its service's (docstrings and parameters too) ----------

    field_types = _handed("fields", Fields.types)
    field_presets = _handed("fields", Fields.presets)
    schema = _handed("fields", Fields.schema)
    field = _handed("fields", Fields.get)
    calendar = _handed("fields", Fields.calendar)
    read_date = _handed("fields", Fields.read_date)
    show_date = _handed("fields", Fields.show_date)
    add_field = _handed("fields", Fields.add)
    edit_field = _handed("fields", Fields.edit)
    remove_field = _handed("fields", Fields.remove)

    add_customer = _handed("customers", Customers.add)
    add_customers = _handed("customers", Customers.add_many)
    get_customer = _handed("customers", Customers.get)
    find_customers = _handed("customers", Customers.find_by)
    customers_json = _handed("customers", Customers.json)
    count_customers = _handed("customers", Customers.count)
    update_customer = _handed("customers", Customers.update)
    update_customers = _handed("customers", Customers.update_many)
    delete_customers = _handed("customers", Customers.delete)
    delete_selected = _handed("customers", Customers.delete_selected)
    merged_into = _handed("customers", Customers.merged_into)
    tags = _handed("customers", Customers.tags)
    add_tags = _handed("customers", Customers.add_tags)
    remove_tags = _handed("customers", Customers.remove_tags)
    rename_tag = _handed("customers", Customers.rename_tag)
    set_status = _handed("customers", Customers.set_status)
    unpin = _handed("customers", Customers.unpin)

    select = _handed("find", Find.select)
    save_segment = _handed("find", Find.save)
    segments = _handed("find", Find.segments)
    segment = _handed("find", Find.segment)
    delete_segment = _handed("find", Find.delete_segment)

    rule_set = _handed("status", Status.rule_set)
    classify = _handed("status", Status.classify)
    status_history = _handed("status", Status.history)
    explain = _handed("status", Status.explain)

    record = _handed("activity", Activity.record)
    record_many = _handed("activity", Activity.record_many)
    record_booking = _handed("activity", Activity.record_booking)
    record_payment = _handed("activity", Activity.record_payment)
    record_message = _handed("activity", Activity.record_message)
    record_marketing_event = _handed("activity", Activity.record_marketing_event)
    update_activity = _handed("activity", Activity.update)

    card = _handed("cards", Cards.card)
    add_note = _handed("cards", Cards.add_note)
    relationship_kinds = _handed("cards", Cards.relationship_kinds)
    link_customers = _handed("cards", Cards.link_customers)
    relationships = _handed("cards", Cards.relationships)
    unlink = _handed("cards", Cards.unlink)
    add_referral = _handed("cards", Cards.add_referral)
    referrals = _handed("cards", Cards.referrals)
    remove_referral = _handed("cards", Cards.remove_referral)
    attach_document = _handed("cards", Cards.attach_document)
    documents = _handed("cards", Cards.documents)
    save_document = _handed("cards", Cards.save_document)
    delete_document = _handed("cards", Cards.delete_document)

    find_duplicates = _handed("dedupe", Dedupe.find_duplicates)
    detect_duplicates = _handed("dedupe", Dedupe.detect_duplicates)
    similar_customers = _handed("dedupe", Dedupe.similar_customers)
    merge_strategy = _handed("dedupe", Dedupe.strategy)
    merge = _handed("dedupe", Dedupe.merge)
    merges = _handed("dedupe", Dedupe.merges)
    merge_details = _handed("dedupe", Dedupe.merge_record)
    unmerge = _handed("dedupe", Dedupe.unmerge)

    form_names = _handed("forms", Forms.names)
    form = _handed("forms", Forms.get)
    form_schema = _handed("forms", Forms.schema)
    submit_form = _handed("forms", Forms.submit)

    action_kinds = _handed("actions", Actions.kinds)

    export = _handed("transfer", Transfer.export)
    import_customers = _handed("transfer", Transfer.import_customers)
    import_bookings = _handed("transfer", Transfer.import_bookings)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("clientcard")
    except PackageNotFoundError:
        return ""


for _name, _method in list(vars(Workspace).items()):
    if getattr(_method, "__wrapped__", None) is not None and callable(_method):
        # help(Workspace) and tracebacks name the flat method, not the service's
        _method.__name__, _method.__qualname__ = _name, f"Workspace.{_name}"
