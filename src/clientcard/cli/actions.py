"""``clientcard actions``: what needs doing, customer by customer."""

from __future__ import annotations

from datetime import date

import click

from clientcard.actions.kinds import ACTION_KINDS
from clientcard.cli.context import pass_workspace
from clientcard.cli.output import as_of_option, format_option, print_json, print_table
from clientcard.fields import dates
from clientcard.workspace import Workspace


@click.command("actions")
@click.option("--kind", "kinds", multiple=True, help="Only this kind of action; repeat for more.")
@as_of_option
@click.option(
    "--list-kinds", is_flag=True, help="List the kinds of action installed plugins offer."
)
@format_option("table", "json")
@pass_workspace()
def command(
    workspace: Workspace, kinds: tuple[str, ...], as_of: date | None, list_kinds: bool, fmt: str
) -> None:
    """Actions needing attention: payments to remind about, bookings to charge for,
    customers to invite back, and what plugins add."""
    if list_kinds:
        registry = workspace.plugins.registry(ACTION_KINDS)
        print_table(
            ("kind", "plugin", "description"),
            [(r.name, r.plugin, r.item.description) for r in registry],
        )
        return
    found = workspace.actions(as_of=as_of, kinds=kinds)
    names = (
        {c.id: c.name for c in workspace.customers([a.customer_id for a in found])} if found else {}
    )
    if fmt == "json":
        print_json([action.to_json(names.get(action.customer_id)) for action in found])
        return
    if not found:
        click.echo("nothing needs attention")
        return
    calendar = workspace.calendar()
    print_table(
        ("kind", "customer", "name", "date", "summary"),
        [
            (
                a.kind,
                a.customer_id,
                names.get(a.customer_id, ""),
                dates.show_date(a.date, calendar),
                # plugins write ISO dates in their summaries; shown in the calendar too
                dates.show_dates_in(a.summary, calendar),
            )
            for a in found
        ],
    )
