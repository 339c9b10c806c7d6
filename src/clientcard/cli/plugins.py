"""``clientcard plugins``: what is installed, what each plugin provides, what failed."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import click

from clientcard.cli.context import AppContext
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.cli.scaffold import new
from clientcard.core.config import CONFIG_NAME
from clientcard.core.errors import ClientcardError
from clientcard.core.plugins import PluginHost
from clientcard.workspace import WORKSPACE_ENV, Workspace


@click.group("plugins", invoke_without_command=True)
@format_option("table", "json")
@click.pass_context
def command(ctx: click.Context, fmt: str) -> None:
    """List plugins: distribution, version, hooks, what they registered, load errors.

    Works anywhere: outside a workspace it lists what is installed; inside one
    it also shows what that workspace disables and the problems of its settings.
    'clientcard plugins new NAME' starts a plugin package instead.
    """
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(AppContext)
    assert app is not None
    workspace = _workspace_here(app)
    if workspace is None:
        host = app.installed_plugins()
        _list(host, [line for r in host.registries() for line in r.conflicts], fmt)
    else:
        _list(workspace.plugins, workspace.problems, fmt)


command.add_command(new)


def _workspace_here(app: AppContext) -> Workspace | None:
    """The workspace the command runs in, opened leniently; None outside one.

    A workspace that cannot be opened at all (its clientcard.toml is not TOML)
    is reported, and the installed plugins are listed all the same.
    """
    where = app.workspace_path or Path(os.environ.get(WORKSPACE_ENV) or ".")
    if not (where / CONFIG_NAME).is_file():
        if app.workspace_path is not None:
            click.echo(
                f"note: {where.resolve()} is not a clientcard workspace; "
                "listing the installed plugins",
                err=True,
            )
        return None
    try:
        return app.workspace(strict=False)
    except ClientcardError as exc:
        click.echo(f"warning: {exc}; listing the installed plugins", err=True)
        return None


def _list(host: PluginHost, problems: list[str], fmt: str) -> None:
    infos = sorted(host.infos.values(), key=lambda i: (not i.builtin, i.name))
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
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
