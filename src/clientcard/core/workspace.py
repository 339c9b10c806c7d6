"""The Workspace: the one facade the CLI and host applications use.

A workspace is a directory holding ``clientcard.toml`` and ``data/``.  Opening
one builds its plugin host (built-ins and installed plugins), checks its
settings and opens its store.  Every method is one operation: it sees every
change other processes committed before it, and its changes reach the disk
together or not at all.  ``with workspace.batch():`` makes many operations one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from clientcard.core.context import DATA_DIR
from clientcard.core.workspace_actions import ActionsPart
from clientcard.core.workspace_activity import ActivityPart
from clientcard.core.workspace_base import CONFIG_TEMPLATE, KINDS, TABLES, WORKSPACE_ENV
from clientcard.core.workspace_card import CardPart
from clientcard.core.workspace_customers import CustomersPart
from clientcard.core.workspace_duplicates import DuplicatesPart
from clientcard.core.workspace_forms import FormsPart
from clientcard.core.workspace_merge import MergePart

if TYPE_CHECKING:
    from clientcard.transfer.bookings_import import ImportReport
    from clientcard.transfer.customers_import import CustomerImportReport

__all__ = ["CONFIG_TEMPLATE", "DATA_DIR", "KINDS", "TABLES", "WORKSPACE_ENV", "Workspace"]


class Workspace(
    MergePart, CardPart, FormsPart, CustomersPart, ActivityPart, DuplicatesPart, ActionsPart
):
    """A clientcard workspace: customers, fields, activity, statuses, settings and plugins.

    Open one with :meth:`open` (or create it with :meth:`init`) and use it as a
    context manager.  ``plugins`` are extra plugin objects registered for this
    workspace only, after the installed ones: a host application passes the
    object that implements its event hooks.

    The methods come in parts, one module each: ``workspace_base`` (opening,
    settings, writes and events), ``workspace_fields``, ``workspace_status``,
    ``workspace_customers``, ``workspace_activity``, ``workspace_duplicates``,
    ``workspace_merge``, ``workspace_card`` and ``workspace_forms``.
    """

    # -- imports (here, on the facade: the importers take the whole workspace) ----------

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
        returns the report.  What each option does:
        :func:`clientcard.transfer.customers_import.import_customers` and
        docs/import-export.md."""
        # imported here: the importer (and what it imports) loads only when used
        from clientcard.transfer.customers_import import import_customers

        return import_customers(
            self,
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
        """Import the bookings of a CSV file in one write (all rows, or none); returns
        the report.  What each option does:
        :func:`clientcard.transfer.bookings_import.import_bookings`."""
        from clientcard.transfer.bookings_import import import_bookings

        return import_bookings(
            self,
            path,
            match=match,
            create_missing=create_missing,
            encoding=encoding,
            date_format=date_format,
            dry_run=dry_run,
        )
