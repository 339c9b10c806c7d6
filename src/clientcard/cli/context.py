"""How a command gets its workspace: ``--workspace``, else ``$CLIENTCARD_WORKSPACE``, else here."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from clientcard.core.errors import ClientcardError
from clientcard.core.plugins import PluginHost
from clientcard.workspace import KINDS, Workspace

F = TypeVar("F", bound=Callable[..., Any])


class AppContext:
    """What the top-level group hands to every command.

    ``host`` is the plugin host built outside a workspace (to add plugins'
    commands), kept so that ``clientcard plugins`` does not load them twice.
    """

    def __init__(
        self,
        workspace_path: Path | None,
        workspace: Workspace | None,
        host: PluginHost | None = None,
    ) -> None:
        self.workspace_path = workspace_path
        self._workspace = workspace
        self._host = host

    def installed_plugins(self) -> PluginHost:
        """The installed plugins, from their entry points, without opening a workspace."""
        if self._host is None:
            self._host = PluginHost(kinds=KINDS)
        return self._host

    def workspace(self, *, strict: bool = True) -> Workspace:
        if self._workspace is None:
            self._workspace = Workspace.open(self.workspace_path, strict=strict)
        if strict and self._workspace.problems:
            raise ClientcardError(self._workspace.problems[0])
        for warning in self._workspace.warnings:
            click.echo(f"warning: {warning}", err=True)
        self._workspace.warnings.clear()
        return self._workspace


def pass_workspace(strict: bool = True) -> Callable[[F], F]:
    """Give a command the open workspace as its first argument.

    ``strict=False`` opens a workspace whose config or plugins have problems
    (for the commands that diagnose or fix them: ``plugins``, ``config``).
    """

    def decorator(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            app = click.get_current_context().find_object(AppContext)
            assert app is not None
            return command(app.workspace(strict=strict), *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
