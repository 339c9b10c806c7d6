"""``clientcard import``: bring records in from CSV files (bookings for now)."""

from __future__ import annotations

from pathlib import Path

import click

from clientcard.cli import ClientcardGroup
from clientcard.cli.context import pass_workspace
from clientcard.core.importing import MATCHES, ImportReport, import_bookings
from clientcard.core.workspace import Workspace


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _summary(report: ImportReport) -> str:
    what = f"{_count(report.bookings, 'booking')} ({_count(report.new_customers, 'new customer')})"
    if report.dry_run:
        return f"would import {what}; nothing was written (--dry-run)"
    return f"imported {what}"


# ClientcardGroup: a ClientcardError becomes "error: ..." and exit status 1 even
# when this group runs on its own (as in tests), not only under 'clientcard'.
@click.group("import", cls=ClientcardGroup)
def command() -> None:
    """Import records from CSV files."""


@command.command("bookings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--match",
    type=click.Choice(MATCHES),
    default="external-id",
    show_default=True,
    help="What the 'customer' column holds: the customer's external id, e-mail or clientcard id.",
)
@click.option(
    "--create-missing",
    is_flag=True,
    help="Create a customer a row names but the workspace lacks (named after the cell).",
)
@click.option(
    "--encoding",
    default="utf-8-sig",
    metavar="ENC",
    help="The file's text encoding, e.g. cp1252 [default: UTF-8, with or without BOM].",
)
@click.option("--dry-run", is_flag=True, help="Check every row and show what would be imported.")
@pass_workspace()
def bookings(
    workspace: Workspace,
    file: Path,
    match: str,
    create_missing: bool,
    encoding: str,
    dry_run: bool,
) -> None:
    """Import bookings from a CSV file: all of its rows, or none.

    \b
    Columns, named in a header row (any case; comma, semicolon or tab between):
      customer     the customer (see --match)                   required
      date         YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time   required
      status       completed (the default), upcoming, cancelled or no_show
      amount       e.g. 35, 35.50 or 35,50 (in the workspace currency)
      service, staff
      external_id  the booking's id in your system (unique)

    Every row is checked first; if any is wrong, each problem is listed by
    row (the header is row 1), column and value, and nothing is imported.
    """
    report = import_bookings(
        workspace,
        file,
        match=match,
        create_missing=create_missing,
        encoding=encoding,
        dry_run=dry_run,
    )
    click.echo(_summary(report))
