"""``clientcard duplicates``: groups of customers that are likely one person."""

from __future__ import annotations

import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.dedupe.detect import DuplicateGroup, LookAlike
from clientcard.workspace import Workspace


@click.command("duplicates")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    help="Report groups scoring at least this (0 to 1) [default: duplicates.min_score, 0.8].",
)
@format_option("text", "json")
@pass_workspace()
def command(workspace: Workspace, min_score: float | None, fmt: str) -> None:
    """List groups of likely duplicates, best first, each with a score and its reasons.

    Customers are compared when they share an identifying value (e-mail,
    phone, birth date, an identifier of yours...); names must agree too, so a
    family sharing a phone is not a duplicate.  Which fields count is set
    under [duplicates] in clientcard.toml (docs/duplicates.md).
    """
    groups = workspace.find_duplicates(min_score)
    if fmt == "json":
        print_json([group.to_json() for group in groups])
        return
    threshold = workspace.get_setting("duplicates.min_score") if min_score is None else min_score
    if not groups:
        click.echo(f"no likely duplicates (min score {threshold:g})")
        return
    _print_groups(workspace, groups)
    s = "" if len(groups) == 1 else "s"
    click.echo(f"{len(groups):,} group{s} of likely duplicates (min score {threshold:g})")


def _print_groups(workspace: Workspace, groups: list[DuplicateGroup]) -> None:
    customers = {c.id: c for c in workspace.customers([i for g in groups for i in g.ids])}
    for number, group in enumerate(groups, start=1):
        click.echo(f"group {number}, score {group.score:.2f}: {'; '.join(group.reasons)}")
        rows = [
            (c.id, c.name, c.email, c.phone)
            for c in (customers[i] for i in group.ids if i in customers)
        ]
        print_table(("id", "name", "email", "phone"), rows)
        click.echo("")


def describe_look_alikes(look_alikes: list[LookAlike]) -> str:
    """``customer 17 (Ann Lee): same e-mail; customer 20 (...): ...`` for one message line."""
    return "; ".join(found.describe() for found in look_alikes)
