"""``clientcard export``: write any selection of customers in any installed format."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import print_table
from clientcard.cli.selection import selection_options, with_ids
from clientcard.core.errors import ClientcardError
from clientcard.find.selection import Selection
from clientcard.transfer.export import EXPORTERS
from clientcard.workspace import Workspace


@click.command("export")
@click.option(
    "--format",
    "fmt",
    metavar="FORMAT",
    help="csv, xlsx, json, jsonl, vcard, or a plugin's (required, but for --list-formats).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="File to write; - for stdout, a binary format such as xlsx only when piped "
    "(required, but for --list-formats).",
)
@click.option("--id", "ids", multiple=True, type=int, help="A customer id; repeat for more.")
@selection_options
@click.option("--fields", metavar="A,B,C", help="Columns, by key or label [default: all].")
@click.option("--keys", is_flag=True, help="Headers are field keys, not labels.")
@click.option("--sort", metavar="FIELD[:desc]", help="Order by a field.")
@click.option("--list-formats", is_flag=True, help="List the formats installed plugins offer.")
@pass_workspace()
def command(
    workspace: Workspace,
    fmt: str | None,
    output: Path | None,
    ids: tuple[int, ...],
    selection: Selection,
    fields: str | None,
    keys: bool,
    sort: str | None,
    list_formats: bool,
) -> None:
    """Export customers (all, or those given by --id or filters) to a file, or to stdout
    with -o - (then 'exported N customer(s)' goes to stderr)."""
    exporters = workspace.plugins.registry(EXPORTERS)
    if list_formats:
        print_table(
            ("format", "extension", "plugin", "description"),
            [(r.name, r.item.extension, r.plugin, r.item.description) for r in exporters],
        )
        return
    if not fmt or output is None:
        raise ClientcardError("give --format FORMAT and --output FILE (see --list-formats)")
    columns = [f for f in fields.split(",") if f.strip()] if fields else None
    if str(output) == "-":
        exporter = exporters.get(fmt)
        if exporter.binary and _stdout_is_terminal():
            raise ClientcardError(
                f"{fmt} is a binary format, not for a terminal: give --output "
                f"FILE{exporter.extension}, or pipe it (-o - > FILE{exporter.extension})"
            )
        out = sys.stdout.buffer
        count = workspace.export(
            fmt, out, with_ids(selection, ids), fields=columns, keys=keys, sort=sort
        )
        out.flush()
        click.echo(f"exported {count} customer(s) to stdout", err=True)
        return
    count = workspace.export(
        fmt, output, with_ids(selection, ids), fields=columns, keys=keys, sort=sort
    )
    click.echo(f"exported {count} customer(s) to {output}")


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
