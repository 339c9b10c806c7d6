"""``clientcard tags``: add, remove, list and rename tags, on ids or any selection."""

from __future__ import annotations

import click

from clientcard.cli import ClientcardGroup
from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.cli.selection import (
    changed_records,
    dry_flag,
    ids_text,
    selection_options,
    with_ids,
)
from clientcard.core.errors import ClientcardError
from clientcard.find.selection import Selection
from clientcard.workspace import Workspace


@click.group("tags", cls=ClientcardGroup)
def command() -> None:
    """Tag customers; tags compare case- and space-insensitively."""


def _target(selection: Selection, ids: tuple[int, ...]) -> Selection:
    if not ids and selection.is_empty():
        raise ClientcardError(
            "no customer selected: give --id ID or filters (--status, --where ...)"
        )
    return with_ids(selection, ids)


def _tagging(name: str, done: str, doc: str) -> None:
    """``tags add`` and ``tags remove``: the same selection, a different change."""

    @command.command(name, help=doc)
    @click.argument("tags", nargs=-1, required=True)
    @click.option("--id", "ids", multiple=True, type=int, help="A customer id; repeat for more.")
    @selection_options
    @click.option("--dry-run", is_flag=True, help="Show how many would change; change nothing.")
    @format_option("text", "json")
    @pass_workspace()
    def change(
        workspace: Workspace,
        tags: tuple[str, ...],
        ids: tuple[int, ...],
        selection: Selection,
        dry_run: bool,
        fmt: str,
    ) -> None:
        chosen = _target(selection, ids)
        apply = workspace.add_tags if name == "add" else workspace.remove_tags
        count, records = changed_records(
            workspace, chosen, lambda: apply(tags, chosen), wanted=fmt == "json", dry_run=dry_run
        )
        if fmt == "json":
            print_json({done: count, "customers": records} | dry_flag(dry_run))
        elif dry_run:
            click.echo(f"would change {count} customer(s): {ids_text([r['id'] for r in records])}")
        else:
            click.echo(f"{done} {count} customer(s)")


_JSON_HELP = '--format json prints {"%s": N, "customers": [each changed record, as now]}.'
_tagging(
    "add",
    "tagged",
    "Add TAGS to customers given by --id or selected by filters (one write).\n\n"
    + _JSON_HELP % "tagged",
)
_tagging(
    "remove",
    "untagged",
    "Remove TAGS from customers given by --id or selected by filters (one write).\n\n"
    + _JSON_HELP % "untagged",
)


@command.command("list")
@format_option("table", "json")
@pass_workspace()
def list_(workspace: Workspace, fmt: str) -> None:
    """Every tag in use, with how many customers have it."""
    counts = workspace.tags()
    if fmt == "json":
        print_json([{"tag": tag, "customers": n} for tag, n in counts])
        return
    print_table(("tag", "customers"), counts)


@command.command("rename")
@click.argument("old")
@click.argument("new")
@pass_workspace()
def rename(workspace: Workspace, old: str, new: str) -> None:
    """Rename tag OLD to NEW on every customer that has it."""
    changed = workspace.rename_tag(old, new)
    click.echo(f"renamed the tag on {changed} customer(s)")
