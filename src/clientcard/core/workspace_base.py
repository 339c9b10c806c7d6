"""The workspace's foundation: opening, settings, the store, writes and events.

One part of :class:`~clientcard.core.workspace.Workspace`; the facade's own
docstring says what every operation guarantees.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import attrs

from clientcard.actions.kinds import ACTION_KINDS
from clientcard.activity import kinds as activity
from clientcard.core.clock import first_error
from clientcard.core.config import CONFIG_NAME, Settings
from clientcard.core.context import DATA_DIR, Context
from clientcard.core.convert import converter, to_json
from clientcard.core.errors import (
    ClientcardError,
    StoreError,
    WorkspaceError,
)
from clientcard.core.fields import FieldContext
from clientcard.core.model import Customer
from clientcard.core.plugins import CORE_KINDS, Kind, PluginHost
from clientcard.core.store import Doc, Store, TableSpec, WriteSession
from clientcard.customers import links
from clientcard.customers.records import CUSTOMERS, FIELDS, SEGMENTS
from clientcard.customers.tags import TAGS
from clientcard.dedupe.merge import MERGE_STRATEGIES, MERGES
from clientcard.find.selection import CustomerView, SearchTexts
from clientcard.forms.intake import FORM_COLLECTORS, declare_forms
from clientcard.status.classify import HISTORY, RULE_SETS
from clientcard.transfer.export import EXPORTERS

#: everything plugins may register: the core's kinds, then each capability's
KINDS: tuple[Kind[Any], ...] = (
    *CORE_KINDS,
    RULE_SETS,
    EXPORTERS,
    MERGE_STRATEGIES,
    ACTION_KINDS,
    FORM_COLLECTORS,
)

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
        # without loading every customer (dedupe/detect.py)
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
        self.ctx = Context.load(
            path, tables=TABLES, kinds=KINDS, plugins=plugins, strict=strict, declare=declare_forms
        )
        self.ctx.events.owner = self
        #: folded search text per customer document (see find/selection.py)
        self._texts = SearchTexts()
        #: the customers as columns, and activity summaries, under the revision they reflect
        self._views: tuple[Hashable, CustomerView] | None = None
        self._summaries: tuple[Hashable, dict[str, Any]] | None = None

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
        return self.ctx.store

    def close(self) -> None:
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

    # -- transactions and events ---------------------------------------------------

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

    def _write(self) -> AbstractContextManager[WriteSession]:
        return self.ctx.write()

    def _emit(self, name: str, *args: Any) -> None:
        getattr(self.ctx.events, name)(*args)

    def _after_commit(self, task: Callable[[], None]) -> None:
        """Run ``task`` once the current write is on disk (never if it fails)."""
        self.ctx.after_commit(task)

    # -- settings --------------------------------------------------------------------

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
