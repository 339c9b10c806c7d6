"""``clientcard plugins``: what is installed, what each plugin provides, what failed."""

from __future__ import annotations

import attrs
import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.core.workspace import Workspace


@click.command("plugins")
@format_option("table", "json")
@pass_workspace(strict=False)
def command(workspace: Workspace, fmt: str) -> None:
    """List plugins: distribution, version, hooks, what they registered, load errors."""
    infos = sorted(workspace.plugins.infos.values(), key=lambda i: (not i.builtin, i.name))
    if fmt == "json":
        print_json([attrs.asdict(info) for info in infos])
        return
    rows = []
    for info in infos:
        registered = "; ".join(
            f"{kind}: {', '.join(names)}" for kind, names in info.registered.items()
        )
        state = "disabled" if info.disabled else (f"ERROR: {info.error}" if info.error else "ok")
        rows.append(
            (
                info.name,
                f"{info.distribution or '-'} {info.version or ''}".strip(),
                ", ".join(h.removeprefix("clientcard_") for h in info.hooks),
                registered,
                state,
            )
        )
    print_table(("plugin", "distribution", "hooks", "registered", "state"), rows)
    for problem in workspace.problems:
        click.echo(f"warning: {problem}", err=True)
