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
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

from clientcard.actions.kinds import ACTION_KINDS, ActionKind
from clientcard.actions.service import Actions
from clientcard.activity.service import TABLES as ACTIVITY_TABLES
from clientcard.activity.service import Activity
from clientcard.card.service import SETTINGS as CARD_SETTINGS
from clientcard.card.service import TABLES as CARD_TABLES
from clientcard.card.service import Cards
from clientcard.core.config import CONFIG_NAME, Settings
from clientcard.core.context import DATA_DIR, Context
from clientcard.core.convert import to_json
from clientcard.core.errors import ClientcardError, WorkspaceError
from clientcard.core.fields import FieldContext, FieldPreset, FieldSchema, FieldType
from clientcard.core.model import Customer, FieldDef
from clientcard.core.plugins import CORE_KINDS, Kind, PluginHost
from clientcard.core.store import Store, TableSpec
from clientcard.customers.service import TABLES as CUSTOMER_TABLES
from clientcard.customers.service import Customers
from clientcard.dedupe.detect import Detection, DuplicateGroup, LookAlike
from clientcard.dedupe.merge import MERGE_STRATEGIES, MergeStrategy
from clientcard.dedupe.service import TABLES as DEDUPE_TABLES
from clientcard.dedupe.service import Dedupe, MergeRecord, MergeResult
from clientcard.dedupe.settings import SETTINGS as DEDUPE_SETTINGS
from clientcard.fields.service import TABLES as FIELD_TABLES
from clientcard.fields.service import Fields
from clientcard.find.selection import Selected, Selection
from clientcard.find.service import TABLES as FIND_TABLES
from clientcard.find.service import Find
from clientcard.forms.intake import FORM_COLLECTORS, Form, FormResult, declare_forms
from clientcard.forms.service import Forms
from clientcard.starter import CONFIG_TEMPLATE
from clientcard.status.classify import RULE_SETS, ClassifyReport, RuleSet, Transition
from clientcard.status.service import SETTINGS as STATUS_SETTINGS
from clientcard.status.service import TABLES as STATUS_TABLES
from clientcard.status.service import Status
from clientcard.transfer.export import EXPORTERS
from clientcard.transfer.service import Transfer

if TYPE_CHECKING:
    from clientcard.transfer.bookings_import import ImportReport
    from clientcard.transfer.customers_import import CustomerImportReport

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
        tmp = where / f".{CONFIG_NAME}.tmp"
        tmp.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        tmp.replace(config)
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

    @staticmethod
    def to_json(customer: Customer) -> dict[str, Any]:
        """A customer as the JSON object the CLI prints with ``--format json``."""
        data: dict[str, Any] = to_json(customer)
        return data

    # -- fields (Fields) -------------------------------------------------------------------

    def field_types(self) -> dict[str, FieldType]:
        """Every field type the enabled plugins provide (:meth:`Fields.types`)."""
        return self.fields.types()

    def field_presets(self) -> dict[str, FieldPreset]:
        """Every ready-made field definition (:meth:`Fields.presets`)."""
        return self.fields.presets()

    def schema(self) -> FieldSchema:
        """The fields with their types, for validating and rendering values."""
        return self.fields.schema()

    def field(self, key: str) -> FieldDef:
        """One field's definition (:meth:`Fields.get`)."""
        return self.fields.get(key)

    def calendar(self, field: str | None = None) -> str:
        """The calendar dates are read and shown in (:meth:`Fields.calendar`)."""
        return self.fields.calendar(field)

    def read_date(self, text: str, *, name: str = "date", field: str | None = None) -> date:
        """A date typed by a person, in the calendar that applies (:meth:`Fields.read_date`)."""
        return self.fields.read_date(text, name=name, field=field)

    def show_date(self, value: date | str | None, *, field: str | None = None) -> str:
        """A stored date as people read it (:meth:`Fields.show_date`)."""
        return self.fields.show_date(value, field=field)

    def add_field(
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
        """Define a custom field (:meth:`Fields.add`)."""
        return self.fields.add(
            key,
            type=type,
            label=label,
            required=required,
            choices=choices,
            help=help,
            forms=forms,
            options=options,
            preset=preset,
        )

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
        options: Mapping[str, Any] | None = None,
    ) -> FieldDef:
        """Change a field, re-checking stored values when needed (:meth:`Fields.edit`)."""
        return self.fields.edit(
            key,
            label=label,
            type=type,
            required=required,
            choices=choices,
            help=help,
            forms=forms,
            options=options,
        )

    def remove_field(self, key: str, *, force: bool = False) -> int:
        """Remove a custom field (:meth:`Fields.remove`)."""
        return self.fields.remove(key, force=force)

    # -- customers (Customers) -------------------------------------------------------------

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
        """Add one customer; values may be text or Python values (:meth:`Customers.add`)."""
        return self.customers.add(
            name,
            email=email,
            phone=phone,
            external_id=external_id,
            joined_at=joined_at,
            tags=tags,
            fields=fields,
        )

    def add_customers(self, rows: Iterable[Mapping[str, Any]]) -> list[Customer]:
        """Add many customers in one write, all or none (:meth:`Customers.add_many`)."""
        return self.customers.add_many(rows)

    def get_customer(self, id: int) -> Customer:
        """The customer with this id; a merged-away id names its survivor."""
        return self.customers.get(id)

    def find_customers(
        self, *, external_id: str | None = None, email: str | None = None, phone: str | None = None
    ) -> list[Customer]:
        """Customers whose external id, e-mail or phone match (:meth:`Customers.find_by`)."""
        return self.customers.find_by(external_id=external_id, email=email, phone=phone)

    def customers_json(
        self,
        selection: Selected = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The customers a selection matches as JSON objects, fast (:meth:`Customers.json`)."""
        return self.customers.json(selection, sort=sort, limit=limit, offset=offset)

    def count_customers(self, selection: Selected = None) -> int:
        """How many customers a selection matches (all of them when None)."""
        return self.customers.count(selection)

    def update_customer(
        self,
        id: int,
        values: Mapping[str, Any] | None = None,
        *,
        unset: Iterable[str] = (),
        tags: Iterable[str] | None = None,
    ) -> Customer:
        """Set values, clear others, maybe replace tags (:meth:`Customers.update`)."""
        return self.customers.update(id, values, unset=unset, tags=tags)

    def update_customers(
        self,
        selection: Selected,
        values: Mapping[str, Any] | None = None,
        *,
        unset: Iterable[str] = (),
    ) -> int:
        """Change every selected customer, all or none (:meth:`Customers.update_many`)."""
        return self.customers.update_many(selection, values, unset=unset)

    def delete_customers(self, ids: Iterable[int]) -> list[Customer]:
        """Delete these customers with their activity (:meth:`Customers.delete`)."""
        return self.customers.delete(ids)

    def delete_selected(self, selection: Selected) -> list[Customer]:
        """Delete every selected customer, in one write (:meth:`Customers.delete_selected`)."""
        return self.customers.delete_selected(selection)

    def merged_into(self, id: int) -> tuple[int, int] | None:
        """Where a merged-away id now lives: (survivor, merge id), or None."""
        return self.customers.merged_into(id)

    def tags(self) -> list[tuple[str, int]]:
        """Every tag in use and how many customers have it, most used first."""
        return self.customers.tags()

    def add_tags(self, tags: Iterable[str], selection: Selected) -> int:
        """Add tags to the selected customers (:meth:`Customers.add_tags`)."""
        return self.customers.add_tags(tags, selection)

    def remove_tags(self, tags: Iterable[str], selection: Selected) -> int:
        """Remove tags from the selected customers (:meth:`Customers.remove_tags`)."""
        return self.customers.remove_tags(tags, selection)

    def rename_tag(self, old: str, new: str) -> int:
        """Rename a tag on every customer that has it (:meth:`Customers.rename_tag`)."""
        return self.customers.rename_tag(old, new)

    def set_status(
        self,
        ids: Selected,
        status: str,
        *,
        dimension: str = "status",
        reason: str = "set by hand",
    ) -> list[Transition]:
        """Set a status by hand and pin it, on ids or a selection."""
        return self.customers.set_status(ids, status, dimension=dimension, reason=reason)

    def unpin(self, ids: Selected, *, dimension: str = "status") -> list[Transition]:
        """Hand customers back to automation, re-classifying them now."""
        return self.customers.unpin(ids, dimension=dimension)

    # -- finding (Find) --------------------------------------------------------------------

    def select(
        self,
        selection: Selected = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[int]:
        """Ids of the customers a selection matches, sorted as asked (:meth:`Find.select`)."""
        return self.find.select(selection, sort=sort, limit=limit, offset=offset)

    def save_segment(self, name: str, selection: Selection, *, replace: bool = False) -> None:
        """Save filters under a name, evaluated afresh when used (:meth:`Find.save`)."""
        self.find.save(name, selection, replace=replace)

    def segments(self) -> list[dict[str, Any]]:
        """Saved segments: ``{"name", "selection"}`` each, by name."""
        return self.find.segments()

    def segment(self, name: str) -> Selection:
        """The filters saved under ``name``."""
        return self.find.segment(name)

    def delete_segment(self, name: str) -> None:
        """Forget a saved segment."""
        self.find.delete_segment(name)

    # -- statuses (Status) -----------------------------------------------------------------

    def rule_set(self, dimension: str = "status") -> tuple[RuleSet, Any] | None:
        """The rule set configured for ``dimension`` and its settings, or None."""
        return self.status.rule_set(dimension)

    def classify(self, *, as_of: date | None = None, dry_run: bool = False) -> ClassifyReport:
        """Classify every customer as of ``as_of`` (default today); store each change."""
        return self.status.classify(as_of=as_of, dry_run=dry_run)

    def status_history(self, id: int) -> list[dict[str, Any]]:
        """Every status change of a customer, oldest first."""
        return self.status.history(id)

    def explain(self, id: int, *, as_of: date | None = None) -> dict[str, Any]:
        """Why a customer has its status: facts, the deciding rule, the history."""
        return self.status.explain(id, as_of=as_of)

    # -- activity (Activity) ---------------------------------------------------------------

    def record(
        self, kind: str, customer_id: int, values: Mapping[str, Any] | None = None, **more: Any
    ) -> dict[str, Any]:
        """Record a booking, payment, message, marketing event, note, review or membership."""
        return self.activity.record(kind, customer_id, values, **more)

    def record_many(self, kind: str, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Record many activities of one kind in one write (all or none)."""
        return self.activity.record_many(kind, rows)

    def record_booking(self, customer_id: int, date: Any, **values: Any) -> dict[str, Any]:
        """Record a booking (:meth:`Activity.record_booking`)."""
        return self.activity.record_booking(customer_id, date, **values)

    def record_payment(self, customer_id: int, amount: Any, **values: Any) -> dict[str, Any]:
        """Record a payment (:meth:`Activity.record_payment`)."""
        return self.activity.record_payment(customer_id, amount, **values)

    def record_message(self, customer_id: int, **values: Any) -> dict[str, Any]:
        """Record a message (:meth:`Activity.record_message`)."""
        return self.activity.record_message(customer_id, **values)

    def record_marketing_event(
        self, customer_id: int, campaign: str, **values: Any
    ) -> dict[str, Any]:
        """Record a marketing event (:meth:`Activity.record_marketing_event`)."""
        return self.activity.record_marketing_event(customer_id, campaign, **values)

    def update_activity(
        self,
        kind: str,
        id: int | None = None,
        *,
        external_id: str | None = None,
        values: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Change a recorded activity, by id or the host's external_id (e.g. cancelled)."""
        return self.activity.update(kind, id, external_id=external_id, values=values)

    # -- the card (Cards) ------------------------------------------------------------------

    def card(self, customer_id: int, *, as_of: date | None = None) -> dict[str, Any]:
        """Everything about one customer, in sections (:meth:`Cards.card`)."""
        return self.cards.card(customer_id, as_of=as_of)

    def add_note(
        self, customer_id: int, text: str, *, author: str | None = None, pinned: bool = False
    ) -> dict[str, Any]:
        """Add a note to a customer's card; pinned notes show first, as important."""
        return self.cards.add_note(customer_id, text, author=author, pinned=pinned)

    def relationship_kinds(self) -> list[str]:
        """Kinds a relationship can have: family, colleague, friend and the business's own."""
        return self.cards.relationship_kinds()

    def link_customers(
        self, customer_id: int, other_id: int, kind: str, *, note: str | None = None
    ) -> dict[str, Any]:
        """Link two customers; the link shows on both cards (:meth:`Cards.link_customers`)."""
        return self.cards.link_customers(customer_id, other_id, kind, note=note)

    def relationships(self, customer_id: int) -> list[dict[str, Any]]:
        """A customer's relationships, seen from that customer."""
        return self.cards.relationships(customer_id)

    def unlink(self, relationship_id: int) -> None:
        """Remove a relationship."""
        self.cards.unlink(relationship_id)

    def add_referral(
        self, referrer_id: int, customer_id: int, *, note: str | None = None
    ) -> dict[str, Any]:
        """Record that ``referrer_id`` referred ``customer_id`` (who has one referrer)."""
        return self.cards.add_referral(referrer_id, customer_id, note=note)

    def referrals(self, customer_id: int) -> dict[str, Any]:
        """Who referred a customer (or None) and whom they referred, with names."""
        return self.cards.referrals(customer_id)

    def remove_referral(self, referral_id: int) -> None:
        """Remove a referral."""
        self.cards.remove_referral(referral_id)

    def attach_document(
        self,
        customer_id: int,
        path: str | Path,
        *,
        name: str | None = None,
        type: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Attach a file to a customer's card (:meth:`Cards.attach_document`)."""
        return self.cards.attach_document(customer_id, path, name=name, type=type, note=note)

    def documents(self, customer_id: int) -> list[dict[str, Any]]:
        """A customer's documents (metadata), oldest first."""
        return self.cards.documents(customer_id)

    def save_document(self, document_id: int, target: str | Path) -> Path:
        """Write a copy of a document to ``target`` (a new file, or a directory)."""
        return self.cards.save_document(document_id, target)

    def delete_document(self, document_id: int) -> None:
        """Remove a document from its card (its file too, when no other card has it)."""
        self.cards.delete_document(document_id)

    # -- duplicates and merging (Dedupe) ---------------------------------------------------

    def find_duplicates(self, min_score: float | None = None) -> list[DuplicateGroup]:
        """Groups of customers that are likely one person, best first."""
        return self.dedupe.find_duplicates(min_score)

    def detect_duplicates(self, min_score: float | None = None) -> Detection:
        """What :meth:`find_duplicates` gives, with how many pairs were compared."""
        return self.dedupe.detect_duplicates(min_score)

    def similar_customers(
        self, values: Mapping[str, Any], *, min_score: float | None = None
    ) -> list[LookAlike]:
        """The stored customers a new record with ``values`` looks like, best first."""
        return self.dedupe.similar_customers(values, min_score=min_score)

    def merge_strategy(self, name: str | None = None) -> MergeStrategy:
        """The merge strategy called ``name`` (default: ``[merge] strategy``)."""
        return self.dedupe.strategy(name)

    def merge(
        self,
        ids: Sequence[int],
        *,
        strategy: str | None = None,
        into: int | None = None,
        dry_run: bool = False,
    ) -> MergeResult:
        """Merge two or more customers into one, in one write (:meth:`Dedupe.merge`)."""
        return self.dedupe.merge(ids, strategy=strategy, into=into, dry_run=dry_run)

    def merges(self) -> list[MergeRecord]:
        """Every merge, oldest first (undone ones too, with when)."""
        return self.dedupe.merges()

    def merge_details(self, merge_id: int) -> dict[str, Any]:
        """The whole merge record: the records as they were, every losing value."""
        return self.dedupe.merge_record(merge_id)

    def unmerge(self, merge_id: int) -> list[Customer]:
        """Undo a merge: the records as they were before it (:meth:`Dedupe.unmerge`)."""
        return self.dedupe.unmerge(merge_id)

    # -- intake forms (Forms) --------------------------------------------------------------

    def form_names(self) -> list[str]:
        """The intake forms ``clientcard.toml`` declares, built-in ones first."""
        return self.forms.names()

    def form(self, name: str) -> Form:
        """The intake form ``name``; an unknown name is an error listing the forms."""
        return self.forms.get(name)

    def form_schema(self, name: str) -> dict[str, Any]:
        """Form ``name`` as a JSON Schema (2020-12) for a website widget to render."""
        return self.forms.schema(name)

    def submit_form(
        self, name: str, answers: Mapping[str, Any], *, dry_run: bool = False
    ) -> FormResult:
        """Check a submission and create or update a card from it (:meth:`Forms.submit`)."""
        return self.forms.submit(name, answers, dry_run=dry_run)

    # -- actions (Actions) -----------------------------------------------------------------

    def action_kinds(self, names: Sequence[str] = ()) -> list[ActionKind]:
        """The installed action kinds (those named, when ``names`` are given)."""
        return self.actions.kinds(names)

    # -- import and export (Transfer) ------------------------------------------------------

    def export(
        self,
        format: str,
        path: str | os.PathLike[str] | IO[bytes],
        selection: Selected = None,
        *,
        fields: Sequence[str] | None = None,
        keys: bool = False,
        sort: str | None = None,
    ) -> int:
        """Write the selected customers to ``path`` with an exporter (:meth:`Transfer.export`)."""
        return self.transfer.export(format, path, selection, fields=fields, keys=keys, sort=sort)

    def import_customers(
        self,
        path: str | Path,
        *,
        format: str | None = None,
        mapping: Mapping[str, str] | None = None,
        ignore_unknown: bool = False,
        skip_invalid: bool = False,
        update_existing: bool = False,
        match: str | None = None,
        reject_duplicates: bool = False,
        encoding: str | None = None,
        date_format: str | None = None,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> CustomerImportReport:
        """Import the customers of a CSV or XLSX file in one write (all rows, or none);
        returns the report (:meth:`Transfer.import_customers`, docs/import-export.md)."""
        return self.transfer.import_customers(
            path,
            format=format,
            mapping=mapping,
            ignore_unknown=ignore_unknown,
            skip_invalid=skip_invalid,
            update_existing=update_existing,
            match=match,
            reject_duplicates=reject_duplicates,
            encoding=encoding,
            date_format=date_format,
            dry_run=dry_run,
            progress=progress,
        )

    def import_bookings(
        self,
        path: str | Path,
        *,
        match: str = "external-id",
        create_missing: bool = False,
        encoding: str | None = None,
        date_format: str | None = None,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import the bookings of a CSV file in one write (all rows, or none); returns the
        report (:meth:`Transfer.import_bookings`)."""
        return self.transfer.import_bookings(
            path,
            match=match,
            create_missing=create_missing,
            encoding=encoding,
            date_format=date_format,
            dry_run=dry_run,
        )
