"""``clientcard classify``: set every customer's status from their activity."""

from __future__ import annotations

from datetime import date

import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import as_of_option, format_option, print_json, print_table
from clientcard.fields.dates import show_dates_in
from clientcard.workspace import Workspace


@click.command("classify")
@as_of_option
@click.option("--dry-run", is_flag=True, help="Write nothing; list the changes it would make.")
@format_option("table", "json")
@pass_workspace()
def command(workspace: Workspace, as_of: date | None, dry_run: bool, fmt: str) -> None:
    """Classify every customer with the configured rule sets; store each change."""
    report = workspace.classify(as_of=as_of, dry_run=dry_run)
    if not dry_run and as_of is not None and as_of < workspace.today():
        # Statuses are what the business sees now; a look back that is stored
        # leaves them as of that day until the next classification.
        click.echo(
            f"note: statuses are now as of {as_of.isoformat()}, not today; "
            "'clientcard classify' brings them up to date "
            "(use --dry-run to look back without storing)",
            err=True,
        )
    data = report.to_json()
    if fmt == "json":
        if not dry_run:
            del data["transitions"]
        print_json(data)
        return
    if not report.rule_sets:
        click.echo("no rule set is configured: set [status] rule_set in clientcard.toml")
        return
    for dimension, rule_set in report.rule_sets.items():
        counts = report.counts.get(dimension, {})
        print_table(
            ("status", "customers"),
            list(counts.items()),
            title=f"{dimension} ({rule_set}) as of {workspace.show_date(report.as_of)}",
        )
        verb = "would change" if dry_run else "changed"
        click.echo(f"{verb}: {report.changed(dimension)}")
    if dry_run and report.transitions:
        calendar = workspace.calendar()
        print_table(
            ("customer", "dimension", "from", "to", "why"),
            [
                (t.customer_id, t.dimension, t.old or "", t.new, show_dates_in(t.reason, calendar))
                for t in report.transitions
            ],
            title="would change",
        )
