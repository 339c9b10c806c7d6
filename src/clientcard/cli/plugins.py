"""``clientcard plugins``: what is installed, what each plugin provides, what failed."""

from __future__ import annotations

import attrs
import click

from clientcard.cli.context import AppContext
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.cli.scaffold import new
from clientcard.core.workspace import Workspace


@click.group("plugins", invoke_without_command=True)
@format_option("table", "json")
@click.pass_context
def command(ctx: click.Context, fmt: str) -> None:
    """List plugins: distribution, version, hooks, what they registered, load errors.

    'clientcard plugins new NAME' starts a plugin package instead.
    """
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(AppContext)
    assert app is not None
    _list(app.workspace(strict=False), fmt)


command.add_command(new)


def _list(workspace: Workspace, fmt: str) -> None:
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
