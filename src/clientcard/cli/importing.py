"""``clientcard import``: bring customers and bookings in from CSV (and XLSX) files."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click

from clientcard.cli import ClientcardGroup
from clientcard.cli.context import pass_workspace
from clientcard.cli.customers import parse_assignments
from clientcard.core.duplicates import LookAlike
from clientcard.core.importing import MATCHES, ImportReport, import_bookings
from clientcard.core.workspace import Workspace


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _summary(report: ImportReport) -> str:
    what = f"{_count(report.bookings, 'booking')} ({_count(report.new_customers, 'new customer')})"
    if report.dry_run:
        return f"would import {what}; nothing was written (--dry-run)"
    return f"imported {what}"


#: ``--encoding ENC``: the file's text encoding
encoding_option = click.option(
    "--encoding",
    default="utf-8-sig",
    metavar="ENC",
    help="The file's text encoding, e.g. cp1252 [default: UTF-8, with or without BOM].",
)


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
@encoding_option
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


@command.command("customers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", metavar="csv|xlsx", help="[default: from the suffix]")
@click.option("--map", "mapping", multiple=True, metavar="COLUMN=FIELD", help="Map a column.")
@click.option("--ignore-unknown", is_flag=True, help="Leave out columns that name no field.")
@click.option("--skip-invalid", is_flag=True, help="Import good rows; write bad ones aside.")
@click.option("--update-existing", is_flag=True, help="Update customers matched by id/e-mail.")
@click.option(
    "--reject-duplicates",
    is_flag=True,
    help="Refuse rows that look like a stored customer or an earlier row (else: warnings).",
)
@encoding_option
@click.option("--dry-run", is_flag=True, help="Check every row and show what would happen.")
@pass_workspace()
def customers(
    workspace: Workspace,
    file: Path,
    fmt: str | None,
    mapping: tuple[str, ...],
    ignore_unknown: bool,
    skip_invalid: bool,
    update_existing: bool,
    reject_duplicates: bool,
    encoding: str,
    dry_run: bool,
) -> None:
    """Import customers from a CSV or XLSX file: a card for each row.

    Columns are named by field key or label in the header row (any case);
    'tags' holds tags separated by commas.  Every value is checked by its
    field's type; if any row is wrong, each problem is listed by row, column
    and value and nothing is imported (unless --skip-invalid).  --update-existing
    updates the customer whose external_id, else e-mail, a row gives.
    A row that looks like a stored customer or an earlier row (see
    'clientcard duplicates') gets a warning naming it; --reject-duplicates
    makes it a bad row instead.
    """
    # imported here, not at the top: every clientcard command loads this module
    from clientcard.core.import_customers import import_customers

    pairs = parse_assignments(mapping, option="--map")
    with click.progressbar(
        length=0, label="checking rows", file=None if _on_terminal() else io.StringIO()
    ) as bar:
        report = import_customers(
            workspace,
            file,
            format=fmt,
            mapping=pairs,
            ignore_unknown=ignore_unknown,
            skip_invalid=skip_invalid,
            update_existing=update_existing,
            reject_duplicates=reject_duplicates,
            encoding=encoding,
            dry_run=dry_run,
            progress=bar.update,
        )
    verb = "would create" if report.dry_run else "created"
    line = f"{verb} {_count(report.created, 'customer')}, updated {report.updated}"
    if report.dry_run:
        line = f"{line.replace('updated', 'would update')}; nothing was written (--dry-run)"
    if report.rejected:
        where = f"; see {report.rejected_path}" if report.rejected_path else ""
        line += f"; left out {_count(report.rejected, 'invalid row')}{where}"
    _warn_look_alikes(report.look_alikes)
    click.echo(line)


#: look-alike warnings shown one by one; past these, a count
MAX_WARNINGS = 20


def _warn_look_alikes(look_alikes: tuple[tuple[int, tuple[LookAlike, ...]], ...]) -> None:
    for number, found in look_alikes[:MAX_WARNINGS]:
        described = "; ".join(f.describe() for f in found)
        click.echo(f"warning: row {number} looks like {described}", err=True)
    if len(look_alikes) > MAX_WARNINGS:
        more = len(look_alikes) - MAX_WARNINGS
        click.echo(
            f"warning: ... and {_count(more, 'more row')} that look like customers already "
            "stored or earlier rows (see 'clientcard duplicates' after the import)",
            err=True,
        )


def _on_terminal() -> bool:
    return sys.stderr.isatty()
