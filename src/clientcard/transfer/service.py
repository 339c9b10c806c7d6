"""Import and export: customers to and from files in any installed format, bookings
from a booking system's export.

:class:`Transfer` is the workspace's import/export service
(``workspace.transfer``).  Exporters are plugins
(:class:`~clientcard.transfer.export.Exporter`); the imports are
:mod:`clientcard.transfer.customers_import` and
:mod:`clientcard.transfer.bookings_import`, each all rows or none.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from clientcard.activity.service import Activity
from clientcard.core.context import Context
from clientcard.core.files import written_whole
from clientcard.core.store import Doc
from clientcard.customers.records import CUSTOMERS
from clientcard.customers.service import Customers
from clientcard.dedupe.service import Dedupe
from clientcard.fields.service import Fields
from clientcard.find.selection import Selected
from clientcard.find.service import Find
from clientcard.transfer.export import EXPORTERS, ExportContext
from clientcard.transfer.export import columns as export_columns

if TYPE_CHECKING:
    from clientcard.transfer.bookings_import import ImportReport
    from clientcard.transfer.customers_import import CustomerImportReport


class Transfer:
    """Customers out to a file (:meth:`export`), customers and bookings in
    (:meth:`import_customers`, :meth:`import_bookings`)."""

    def __init__(
        self,
        ctx: Context,
        fields: Fields,
        find: Find,
        customers: Customers,
        activity: Activity,
        dedupe: Dedupe,
    ) -> None:
        self.ctx = ctx
        self.fields = fields
        self.find = find
        self.customers = customers
        self.activity = activity
        self.dedupe = dedupe

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
        """Write the selected customers (all when None) to ``path`` with an exporter.

        ``fields`` picks the columns (keys or labels; default: id, every field,
        status, tier, tags); headers are labels unless ``keys``.  The file is
        written beside its final name and moved there when complete, so a
        failed export leaves no half-written file.  ``path`` may instead be a
        binary stream (stdout), written as the rows come.  Returns how many
        customers were written.
        """
        exporter = self.ctx.plugins.registry(EXPORTERS).get(format)
        count = 0

        def counted(docs: Iterable[Doc]) -> Iterator[Doc]:
            nonlocal count
            for doc in docs:
                count += 1
                yield doc

        with self.ctx.read() as session:
            schema = self.fields.schema_in(session)
            context = ExportContext(export_columns(schema, fields), schema, keys=keys)
            if sort is None and self.find.selection_in(session, selection).is_empty():
                # everyone, in id order: read from disk as written, never all held at once
                docs: Iterable[Doc] = session.table(CUSTOMERS).scan()
            else:
                docs = self.find.docs_in(session, selection, sort=sort)
        if not isinstance(path, str | os.PathLike):
            exporter.write(counted(docs), context, path)
            return count
        with written_whole(Path(path)) as out:
            exporter.write(counted(docs), context, out)
        return count

    # -- imports -----------------------------------------------------------------------

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
