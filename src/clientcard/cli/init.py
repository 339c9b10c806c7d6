"""``clientcard init``: create a workspace."""

from __future__ import annotations

from pathlib import Path

import click

from clientcard.core.workspace import Workspace


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--region", help="Region for phone numbers without a country code, e.g. IT.")
@click.option("--currency", help="Currency for amounts without one, e.g. EUR.")
@click.option("--timezone", help="The business's time zone, e.g. Europe/Rome.")
@click.pass_context
def command(
    ctx: click.Context,
    directory: Path | None,
    region: str | None,
    currency: str | None,
    timezone: str | None,
) -> None:
    """Create a workspace in DIRECTORY (default: the --workspace directory, else here)."""
    where = directory or ctx.obj.workspace_path or Path.cwd()
    settings = {
        f"workspace.{key}": value
        for key, value in {"region": region, "currency": currency, "timezone": timezone}.items()
        if value is not None
    }
    with Workspace.init(where, settings=settings) as workspace:
        click.echo(f"created workspace {workspace.path}")
