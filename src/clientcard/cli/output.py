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


def print_csv(workspace: Any, customers: Sequence[Any]) -> None:
    """Customers as CSV on stdout: built-in fields, status, tier, tags, custom fields."""
    import csv

    schema = workspace.schema()
    custom = [f for f in schema.defs.values() if not f.builtin]
    writer = csv.writer(sys.stdout)
    writer.writerow(
        ["id", "name", "email", "phone", "external_id", "joined_at", "status", "tier", "tags"]
        + [f.key for f in custom]
    )
    for c in customers:
        fields = c.fields
        writer.writerow(
            [
                c.id,
                c.name,
                c.email or "",
                c.phone or "",
                c.external_id or "",
                c.joined_at.isoformat() if c.joined_at else "",
                c.status or "",
                c.tier or "",
                ", ".join(c.tags),
            ]
            + [
                "" if fields.get(f.key) is None else schema.render(f.key, fields[f.key])
                for f in custom
            ]
        )
