"""The ``clientcard`` command line: thin click commands over :class:`~clientcard.Workspace`.

Exit status: 0 on success, 1 on a user error (one line on stderr saying what to
fix), 2 on a usage error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from clientcard.cli.context import AppContext, pass_workspace
from clientcard.core.config import CONFIG_NAME
from clientcard.core.errors import ClientcardError
from clientcard.core.plugins import PluginHost
from clientcard.workspace import KINDS, WORKSPACE_ENV, Workspace

__all__ = ["cli", "main", "pass_workspace"]


class UserError(click.ClickException):
    """A :class:`ClientcardError` on its way to the terminal: one line, exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class ClientcardGroup(click.Group):
    """Turns clientcard's errors into one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClientcardError as exc:
            raise UserError(exc.message) from None


# -h everywhere, as most tools take it; every subcommand inherits it
@click.group(cls=ClientcardGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=WORKSPACE_ENV,
    help=f"Workspace directory [default: ${WORKSPACE_ENV}, else the current directory].",
)
@click.version_option(package_name="clientcard")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None) -> None:
    """clientcard: customer records for booking and appointment software."""
    app = ctx.find_object(AppContext)
    if app is None or app.workspace_path != workspace:
        ctx.obj = AppContext(workspace, None)


def _register_commands() -> None:
    from clientcard.cli import (
        actions,
        activity,
        card,
        check,
        classify,
        config,
        customers,
        duplicates,
        export,
        fields,
        forms,
        importing,
        init,
        merge,
        plugins,
        segments,
        tags,
    )

    modules = (
        init,
        customers,
        fields,
        tags,
        segments,
        classify,
        actions,
        duplicates,
        importing,
        export,
    )
    for module in (*modules, forms, config, plugins):
        cli.add_command(module.command)
    for group in (*merge.commands, *card.commands, *activity.commands, *check.commands):
        cli.add_command(group)


_register_commands()


def _preopen(argv: list[str]) -> AppContext:
    """Open the workspace before parsing, so that plugins can add commands."""
    path: str | None = os.environ.get(WORKSPACE_ENV)
    for index, arg in enumerate(argv):
        if arg in ("--workspace", "-w") and index + 1 < len(argv):
            path = argv[index + 1]
        elif arg.startswith("--workspace="):
            path = arg.split("=", 1)[1]
    where = Path(path) if path else None
    workspace = None
    host = None
    try:
        if ((where or Path.cwd()) / CONFIG_NAME).is_file():
            workspace = Workspace.open(where, strict=False)
            workspace.plugins.register_commands(cli)
        else:
            host = PluginHost(kinds=KINDS)
            host.register_commands(cli)
    except ClientcardError:
        workspace = None  # the command itself will report it
    return AppContext(where, workspace, host)


def main(argv: list[str] | None = None) -> None:
    """Run the command line (the ``clientcard`` console script)."""
    args = sys.argv[1:] if argv is None else argv
    cli.main(args=args, obj=_preopen(args), prog_name="clientcard")
