"""Output for every listing and report: ``--format table|json|...`` in one decorator."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import click
import orjson

F = TypeVar("F", bound=Callable[..., Any])


def format_option(*formats: str) -> Callable[[F], F]:
    """Add ``--format`` with these choices (the first is the default) to a command."""
    choices = formats or ("table", "json")
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def _to_date(ctx: click.Context, param: click.Parameter, value: Any) -> date | None:
    return None if value is None else value.date()


#: ``--as-of YYYY-MM-DD`` given to the command as a :class:`datetime.date` (or None).
as_of_option = click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    callback=_to_date,
    help="As of this date (YYYY-MM-DD) [default: today].",
)


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout."""
    sys.stdout.buffer.write(
        orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


def print_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
) -> None:
    """Write rows as an aligned table (rich renders it; plain text when piped)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns, title=title, box=None, header_style="bold", pad_edge=False)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    # piped output is never cut to an assumed 80 columns
    width = None if sys.stdout.isatty() else 100_000
    Console(width=width, soft_wrap=True).print(table)


def print_pairs(pairs: Sequence[tuple[str, Any]], *, title: str | None = None) -> None:
    """Write label/value pairs as a two-column table."""
    print_table(("field", "value"), pairs, title=title)


def print_csv(workspace: Any, docs: Sequence[dict[str, Any]]) -> None:
    """Customers (JSON form) as CSV on stdout: built-in fields, status, tier, tags, then
    custom fields, headed by keys; each value as the CSV exporter writes it (unguarded:
    this is for pipes, not spreadsheets)."""
    import csv

    from clientcard.core.export import ExportContext, columns

    schema = workspace.schema()
    builtin = [f.key for f in schema.defs.values() if f.builtin]
    custom = [f.key for f in schema.defs.values() if not f.builtin]
    context = ExportContext(
        columns(schema, ["id", *builtin, "status", "tier", "tags", *custom]), schema, keys=True
    )
    writer = csv.writer(sys.stdout)
    writer.writerow(context.headers)
    for doc in docs:
        writer.writerow(context.row(doc))
