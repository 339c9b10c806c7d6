"""``clientcard segments``: saved selections, re-evaluated each time they are used."""

from __future__ import annotations

import click

from clientcard.cli import ClientcardGroup
from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.cli.selection import describe_filters, selection_options
from clientcard.find.selection import Selection
from clientcard.workspace import Workspace


@click.group("segments", cls=ClientcardGroup)
def command() -> None:
    """Saved filters: use one with --segment NAME wherever filters work."""


@command.command("save")
@click.argument("name")
@selection_options
@click.option("--replace", is_flag=True, help="Replace a segment of that name.")
@pass_workspace()
def save(workspace: Workspace, name: str, selection: Selection, replace: bool) -> None:
    """Save the filters given as segment NAME."""
    workspace.save_segment(name, selection, replace=replace)
    click.echo(f"saved segment {name!r}: {len(workspace.select(Selection(segment=name)))} now")


@command.command("list")
@format_option("table", "json")
@pass_workspace()
def list_(workspace: Workspace, fmt: str) -> None:
    """Saved segments, with how many customers each selects now."""
    rows = [
        {**s, "customers": len(workspace.select(Selection(segment=s["name"])))}
        for s in workspace.segments()
    ]
    if fmt == "json":
        print_json(rows)
        return
    print_table(
        ("segment", "customers", "filters"),
        [(r["name"], r["customers"], _describe(r["selection"])) for r in rows],
    )


@command.command("show")
@click.argument("name")
@format_option("table", "json")
@pass_workspace()
def show(workspace: Workspace, name: str, fmt: str) -> None:
    """The customers segment NAME selects now."""
    selection = Selection(segment=name)
    if fmt == "json":
        print_json(
            {
                "segment": name,
                "filters": workspace.segment(name).to_json(),
                "customers": workspace.select(selection),
            }
        )
        return
    customers = workspace.customers(selection)
    click.echo(f"segment {name!r}: {_describe(workspace.segment(name).to_json())}")
    print_table(
        ("id", "name", "email", "status", "tags"),
        [(c.id, c.name, c.email, c.status, ", ".join(c.tags)) for c in customers],
    )


@command.command("delete")
@click.argument("name")
@pass_workspace()
def delete(workspace: Workspace, name: str) -> None:
    """Delete segment NAME (its customers are not touched)."""
    workspace.delete_segment(name)
    click.echo(f"deleted segment {name!r}")


def _describe(filters: dict[str, object]) -> str:
    """The filters as the options that give them (``--status churn --tag vip``)."""
    return describe_filters(filters)
