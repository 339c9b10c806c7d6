"""``clientcard config``: read and change ``clientcard.toml`` with dotted keys."""

from __future__ import annotations

import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.workspace import Workspace


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    import tomlkit  # only here: it is slow to import, and most commands never need it

    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update(value)
        return str(inline.as_string())
    return str(tomlkit.item(value).as_string())


@click.group("config")
def command() -> None:
    """Read and change the workspace settings (clientcard.toml)."""


@command.command("get")
@click.argument("key")
@pass_workspace(strict=False)
def get(workspace: Workspace, key: str) -> None:
    """Print the value of KEY, e.g. workspace.region."""
    click.echo(_text(workspace.get_setting(key)))


@command.command("set")
@click.argument("key")
@click.argument("value")
@pass_workspace(strict=False)
def set_(workspace: Workspace, key: str, value: str) -> None:
    """Set KEY to VALUE in clientcard.toml (checked first; comments are kept)."""
    workspace.set_setting(key, value)
    click.echo(f"{key} = {_text(workspace.get_setting(key))}")


@command.command("unset")
@click.argument("key")
@pass_workspace(strict=False)
def unset(workspace: Workspace, key: str) -> None:
    """Remove KEY from clientcard.toml, so that its default applies."""
    removed = workspace.unset_setting(key)
    click.echo(f"removed {key}" if removed else f"{key} was not set")


@command.command("list")
@format_option("table", "json")
@pass_workspace(strict=False)
def list_(workspace: Workspace, fmt: str) -> None:
    """List every setting with its value."""
    rows = workspace.settings.items()
    for problem in workspace.problems:
        click.echo(f"warning: {problem}", err=True)
    if fmt == "json":
        print_json({key: value for key, value, _ in rows})
        return
    print_table(("key", "value", ""), [(k, _text(v), "(default)" if d else "") for k, v, d in rows])
