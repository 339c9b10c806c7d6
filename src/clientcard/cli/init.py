"""``clientcard init``: create a workspace."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from clientcard.core.config import CURRENCY_HINT, known_currency, region_currencies
from clientcard.workspace import Workspace


def _interactive() -> bool:
    """Whether a person is at a terminal to see a question and answer it (not a script)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _asked_currency(text: str) -> str | None:
    code = text.strip().upper()
    if code and not known_currency(code):
        raise click.BadParameter(f"{text.strip()!r} is not an ISO 4217 code such as EUR or USD")
    return code or None


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--region", help="Region for phone numbers without a country code, e.g. IT.")
@click.option(
    "--currency",
    help="Currency for amounts without one, e.g. EUR (default: the region's; asked at a terminal).",
)
@click.option("--timezone", help="The business's time zone, e.g. Europe/Rome.")
@click.pass_context
def command(
    ctx: click.Context,
    directory: Path | None,
    region: str | None,
    currency: str | None,
    timezone: str | None,
) -> None:
    """Create a workspace in DIRECTORY (default: the --workspace directory, else here).

    Amounts typed without a currency ("40.00") are in the workspace currency:
    --currency, else the one of --region, else asked when run at a terminal.
    """
    where = directory or ctx.obj.workspace_path or Path.cwd()
    hint = CURRENCY_HINT
    if Path(where).resolve() != Path.cwd().resolve():
        hint = hint.replace("clientcard ", f"clientcard --workspace {shlex.quote(str(where))} ", 1)
    note = None
    if currency is None and region is not None and (found := region_currencies(region)):
        currency = found[0]
        also = f", which also uses {', '.join(found[1:])}" if found[1:] else ""
        note = f"currency {currency} (from region {region}{also}); change with: {hint}"
    elif currency is None and region is None and _interactive():
        currency = click.prompt(
            "Currency of amounts written without one (ISO 4217, e.g. EUR; empty: none)",
            default="",
            show_default=False,
            value_proc=_asked_currency,
        )
        if currency is not None:
            note = f"currency {currency}; change with: {hint}"
    if currency is None:
        # a purchase history whose amounts have no currency would fail on every row
        note = f"no workspace currency: amounts need one (40.00 EUR) until you set it with: {hint}"
    settings = {
        f"workspace.{key}": value
        for key, value in {"region": region, "currency": currency, "timezone": timezone}.items()
        if value is not None
    }
    with Workspace.init(where, settings=settings) as workspace:
        click.echo(f"created workspace {workspace.path}")
    if note:
        click.echo(note)
