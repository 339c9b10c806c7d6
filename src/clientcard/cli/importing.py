"""``clientcard import``: bring customers and bookings in from CSV (and XLSX) files."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import click

from clientcard.cli import ClientcardGroup, UserError
from clientcard.cli.context import pass_workspace
from clientcard.cli.customers import parse_assignments
from clientcard.cli.output import format_option, print_json
from clientcard.core.errors import ValidationError
from clientcard.transfer.bookings_import import MATCHES, ImportReport, ImportRowsError
from clientcard.workspace import Workspace

#: how customer rows find the customers they update (transfer/customers_import.py's MATCHES:
#: not imported from there, which would load it for every clientcard command)
CUSTOMER_MATCHES = ("external_id", "email", "phone", "id", "email+name")


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
    default=None,
    metavar="ENC",
    help="The file's text encoding, e.g. cp1252 [default: UTF-8, with or without BOM; "
    "else detected].",
)

#: ``--date-format F``: how the file writes its dates
date_format_option = click.option(
    "--date-format",
    metavar="dmy|mdy|ymd|PATTERN",
    help="How the file writes dates other than YYYY-MM-DD: dmy (31/01/2025), mdy, ymd, "
    "or a pattern such as %d/%m/%Y [default: YYYY-MM-DD only].",
)


def _note_encoding(file: Path, found: str | None, given: str | None) -> None:
    if found and given is None:
        click.echo(
            f"note: read {file} as {found} (detected; give --encoding if that is wrong)",
            err=True,
        )


def _refused_as_json(error: ImportRowsError) -> None:
    """``--format json`` of an import refused for its rows: the report on stdout, the
    summary line as the error."""
    print_json(error.to_json())
    raise UserError(error.summary)


# ClientcardGroup: a ClientcardError becomes "error: ..." and exit status 1 even
# when this group runs on its own (as in tests), not only under 'clientcard'.
class _MatchChoice(click.Choice[str]):
    """``--match``: ``external-id`` and ``external_id`` alike (bookings spelt it one
    way before the customers import spelt it the other, as the field's key)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            for choice in self.choices:
                if value.replace("-", "_") == str(choice).replace("-", "_"):
                    return choice
        return super().convert(value, param, ctx)


@click.group("import", cls=ClientcardGroup)
def command() -> None:
    """Import records from CSV files."""


@command.command("bookings")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--match",
    type=_MatchChoice(MATCHES),
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
@date_format_option
@click.option("--dry-run", is_flag=True, help="Check every row and show what would be imported.")
@format_option("text", "json")
@pass_workspace()
def bookings(
    workspace: Workspace,
    file: Path,
    match: str,
    create_missing: bool,
    encoding: str | None,
    date_format: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Import bookings from a CSV file: all of its rows, or none.

    \b
    Columns, named in a header row (any case; comma, semicolon or tab between):
      customer     the customer (see --match)                   required
      date         YYYY-MM-DD, or YYYY-MM-DDTHH:MM for a time   required
                   (other ways with --date-format)
      status       completed (the default), upcoming, cancelled or no_show
      amount       e.g. 35, 35.50 or 35,50 (in the workspace currency)
      service, staff
      external_id  the booking's id in your system (unique)

    Every row is checked first; if any is wrong, each problem is listed by
    row (the header is row 1), column and value, and nothing is imported.
    --format json writes a report (counts, ids, problems by row) instead.
    """
    try:
        report = workspace.import_bookings(
            file,
            match=match,
            create_missing=create_missing,
            encoding=encoding,
            date_format=date_format,
            dry_run=dry_run,
        )
    except ImportRowsError as error:
        if fmt == "json":
            _refused_as_json(error)
        raise
    if fmt == "json":
        print_json(report.to_json())
        return
    _note_encoding(file, report.encoding, encoding)
    click.echo(_summary(report))


@command.command("customers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--file-format", metavar="csv|xlsx", help="The file's format [default: from the suffix]."
)
@click.option("--map", "mapping", multiple=True, metavar="COLUMN=FIELD", help="Map a column.")
@click.option("--ignore-unknown", is_flag=True, help="Leave out columns that name no field.")
@click.option("--skip-invalid", is_flag=True, help="Import good rows; write bad ones aside.")
@click.option("--update-existing", is_flag=True, help="Update the customers rows find (--match).")
@click.option(
    "--match",
    type=_MatchChoice(CUSTOMER_MATCHES),
    help="How rows find existing customers [default: the Id column, then external_id, then email].",
)
@click.option(
    "--reject-duplicates",
    is_flag=True,
    help="Refuse rows that look like a stored customer or an earlier row (else: warnings).",
)
@encoding_option
@date_format_option
@click.option("--dry-run", is_flag=True, help="Check every row and show what would happen.")
@click.option(
    "--format",
    "fmt",
    metavar="text|json",
    default="text",
    show_default=True,
    help="Output format: text, or a json report.  (csv and xlsx, as before --file-format "
    "existed, say the file's format.)",
)
@pass_workspace()
def customers(
    workspace: Workspace,
    file: Path,
    file_format: str | None,
    mapping: tuple[str, ...],
    ignore_unknown: bool,
    skip_invalid: bool,
    update_existing: bool,
    match: str | None,
    reject_duplicates: bool,
    encoding: str | None,
    date_format: str | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Import customers from a CSV or XLSX file: a card for each row.

    Columns are named by field key or label in the header row (any case);
    'tags' holds tags separated by commas.  Every value is checked by its
    field's type; if any row is wrong, each problem is listed by row, column
    and value and nothing is imported (unless --skip-invalid).

    \b
    --update-existing updates the customer a row finds (--match):
      (default)    the Id column an export writes, then external_id, then email
      external_id, email, phone, id, email+name: that alone
    A row that finds a customer by e-mail or phone but names someone else
    (family members share them) is added as a new customer, with a warning.
    Without --update-existing, a row that finds a customer by --match is a
    bad row.

    A row that looks like a stored customer or an earlier row (see
    'clientcard duplicates') gets a warning naming it; --reject-duplicates
    makes it a bad row instead.  --format json writes a report (counts, ids,
    warnings, problems by row) instead of the summary line.
    """
    if fmt not in ("text", "json"):
        # the file's format, as --format said before it also chose the output's
        if file_format is not None:
            raise ValidationError("format", fmt, "text or json (the file's is --file-format)")
        file_format, fmt = fmt, "text"
    pairs = parse_assignments(mapping, option="--map")
    with click.progressbar(
        length=0, label="checking rows", file=None if _on_terminal() else io.StringIO()
    ) as bar:
        try:
            report = workspace.import_customers(
                file,
                format=file_format,
                mapping=pairs,
                ignore_unknown=ignore_unknown,
                skip_invalid=skip_invalid,
                update_existing=update_existing,
                match=match,
                reject_duplicates=reject_duplicates,
                encoding=encoding,
                date_format=date_format,
                dry_run=dry_run,
                progress=bar.update,
            )
        except ImportRowsError as error:
            if fmt == "json":
                _refused_as_json(error)
            raise
    if fmt == "json":
        print_json(report.to_json())
        return
    _note_encoding(file, report.encoding, encoding)
    verb = "would create" if report.dry_run else "created"
    line = f"{verb} {_count(report.created, 'customer')}, updated {report.updated}"
    if report.dry_run:
        line = f"{line.replace('updated', 'would update')}; nothing was written (--dry-run)"
    if report.rejected:
        where = f"; see {report.rejected_path}" if report.rejected_path else ""
        line += f"; left out {_count(report.rejected, 'invalid row')}{where}"
    _warn(report.warnings())
    click.echo(line)


#: warnings shown one by one; past these, a count
MAX_WARNINGS = 20


def _warn(warnings: list[str]) -> None:
    for warning in warnings[:MAX_WARNINGS]:
        click.echo(f"warning: {warning}", err=True)
    if len(warnings) > MAX_WARNINGS:
        more = len(warnings) - MAX_WARNINGS
        click.echo(
            f"warning: ... and {_count(more, 'more row')} with a warning: customers sharing an "
            "e-mail or phone, or looking like customers already stored or earlier rows "
            "(--format json lists them all; see also 'clientcard duplicates')",
            err=True,
        )


def _on_terminal() -> bool:
    return sys.stderr.isatty()
