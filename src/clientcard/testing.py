"""pytest fixtures for testing clientcard plugins and host applications.

clientcard installs this module as a pytest plugin (entry point ``pytest11``),
so the tests of a plugin use its fixtures without importing anything, the way
pytest's own ``pytester`` helps pytest's plugin authors::

    import pytest
    from clientcard_shoes import plugin

    @pytest.mark.clientcard_plugins(plugin)
    def test_a_shoe_size_is_checked(clientcard_workspace):
        clientcard_workspace.add_field("shoe", type="shoe-size")
        customer = clientcard_workspace.add_customer("Ana", fields={"shoe": "38,5"})
        assert customer.fields["shoe"] == 38.5

    def test_the_cli_shows_it(clientcard_cli):
        result = clientcard_cli("fields", "types")
        assert result.exit_code == 0, result.stderr
        assert "shoe-size" in result.stdout

Fixtures (all named ``clientcard_...``, so they never clash with a project's own):

``clientcard_workspace``
    A new :class:`~clientcard.Workspace` in a temporary directory, open for the
    test and closed after it, with the test's settings and plugins.
``clientcard_new_workspace``
    A factory: ``clientcard_new_workspace(plugins=[...], settings={...})`` makes
    another new workspace (also closed after the test).
``clientcard_cli``
    ``clientcard_cli("customers", "list", input=None)`` runs the ``clientcard``
    command line against ``clientcard_workspace`` (with the test's plugins
    registered) and returns click's ``Result``: ``exit_code``, ``stdout`` and
    ``stderr`` apart.  ``workspace=`` runs it against another one.
``clientcard_settings``
    Dotted settings every new workspace of the test gets:
    ``{"workspace.region": "IT", "workspace.currency": "EUR"}``.  Override the
    fixture in a ``conftest.py``, or add to it for one test with
    ``@pytest.mark.clientcard_settings({"status.rule_set": "regulars"})``.
``clientcard_plugins``
    Plugin objects (modules, or objects with hook methods) registered in every
    workspace of the test, without installing anything: ``[]``.  Override it
    in a ``conftest.py`` for a whole directory, or register plugins for one
    test with ``@pytest.mark.clientcard_plugins(plugin, recorder)``.

A plugin that is installed (an entry point in the group ``clientcard``) is in
every workspace anyway; naming its module again is harmless, it is not
registered twice.  Registering a plugin for one test is how a test listens to
events: pass an object with ``@hookimpl`` methods such as
``clientcard_status_changed``.
"""

from __future__ import annotations

import copy
import importlib.metadata
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from _pytest.nodes import Node
    from click.testing import Result

    from clientcard.workspace import Workspace

__all__ = [
    "DEFAULT_SETTINGS",
    "CliRun",
    "NewWorkspace",
    "clientcard_cli",
    "clientcard_new_workspace",
    "clientcard_plugins",
    "clientcard_settings",
    "clientcard_workspace",
]

#: What ``clientcard_settings`` gives by default: phone numbers without a country
#: code are Italian, amounts without a currency are in euro.
DEFAULT_SETTINGS: Mapping[str, Any] = {"workspace.region": "IT", "workspace.currency": "EUR"}

PLUGINS_MARKER = "clientcard_plugins"
SETTINGS_MARKER = "clientcard_settings"


class NewWorkspace(Protocol):
    """The ``clientcard_new_workspace`` factory."""

    def __call__(
        self,
        *,
        plugins: Iterable[object] = (),
        settings: Mapping[str, Any] | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> Workspace: ...


class CliRun(Protocol):
    """The ``clientcard_cli`` runner."""

    def __call__(
        self,
        *args: str,
        input: str | None = None,
        workspace: Workspace | str | os.PathLike[str] | None = None,
    ) -> Result: ...


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{PLUGINS_MARKER}(*plugins): register these plugin objects in the test's "
        "clientcard workspaces (clientcard.testing)",
    )
    config.addinivalue_line(
        "markers",
        f"{SETTINGS_MARKER}(settings): dotted clientcard settings, such as "
        "{'status.rule_set': 'regulars'}, for the test's workspaces (clientcard.testing)",
    )


@pytest.fixture
def clientcard_settings() -> dict[str, Any]:
    """Dotted settings for the test's new workspaces (override it in a conftest.py)."""
    return dict(DEFAULT_SETTINGS)


@pytest.fixture
def clientcard_plugins() -> list[object]:
    """Plugin objects registered in the test's workspaces (override it in a conftest.py)."""
    return []


def _marked_settings(node: Node) -> dict[str, Any]:
    found: dict[str, Any] = {}
    # farthest (module, class) first, so the test's own marker has the last word
    for marker in reversed(list(node.iter_markers(SETTINGS_MARKER))):
        for given in marker.args:
            found.update(given)
        found.update(marker.kwargs)
    return found


def _marked_plugins(node: Node) -> list[object]:
    return [p for marker in node.iter_markers(PLUGINS_MARKER) for p in marker.args]


def _installed_modules() -> set[str]:
    """Modules that installed clientcard plugins are loaded from (entry points)."""
    return {ep.value for ep in importlib.metadata.entry_points(group="clientcard")}


def _extra(plugins: Iterable[object]) -> list[object]:
    """``plugins`` without repeats and without modules already loaded as entry points."""
    installed = _installed_modules()
    found: list[object] = []
    for plugin in plugins:
        if isinstance(plugin, ModuleType) and plugin.__name__ in installed:
            continue
        if any(plugin is seen for seen in found):
            continue
        found.append(plugin)
    return found


class _Plugins:
    """The test's plugins and settings: the fixtures' values and the markers'."""

    def __init__(self, node: Node, settings: Mapping[str, Any], plugins: Sequence[object]) -> None:
        self.settings = {**settings, **_marked_settings(node)}
        self.plugins = [*plugins, *_marked_plugins(node)]


@pytest.fixture
def _clientcard_setup(
    request: pytest.FixtureRequest,
    clientcard_settings: dict[str, Any],
    clientcard_plugins: list[object],
) -> _Plugins:
    return _Plugins(request.node, clientcard_settings, clientcard_plugins)


@pytest.fixture
def clientcard_new_workspace(
    tmp_path_factory: pytest.TempPathFactory, _clientcard_setup: _Plugins
) -> Iterator[NewWorkspace]:
    """Make new workspaces: ``clientcard_new_workspace(plugins=[...], settings={...})``.

    Each gets the test's settings and plugins plus those given, lives in a new
    temporary directory (or ``path``) and is closed after the test.
    """
    from clientcard.workspace import Workspace

    made: list[Workspace] = []

    def make(
        *,
        plugins: Iterable[object] = (),
        settings: Mapping[str, Any] | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> Workspace:
        where = (
            Path(path)
            if path is not None
            else tmp_path_factory.mktemp("clientcard-workspace", numbered=True)
        )
        workspace = Workspace.init(
            where,
            settings={**_clientcard_setup.settings, **(settings or {})},
            plugins=_extra([*_clientcard_setup.plugins, *plugins]),
        )
        made.append(workspace)
        return workspace

    yield make
    for workspace in made:
        workspace.close()


@pytest.fixture
def clientcard_workspace(clientcard_new_workspace: NewWorkspace) -> Workspace:
    """A new workspace in a temporary directory, with the test's settings and plugins."""
    return clientcard_new_workspace()


@pytest.fixture
def clientcard_cli(
    clientcard_workspace: Workspace,
    _clientcard_setup: _Plugins,
    monkeypatch: pytest.MonkeyPatch,
) -> CliRun:
    """Run ``clientcard ARGS...`` against ``clientcard_workspace``; returns click's Result.

    The test's plugins are registered, commands they add included.  Each call
    opens the workspace afresh, as the console script does, so it sees what the
    test wrote through ``clientcard_workspace`` and the test sees what it wrote.
    """
    from click.testing import CliRunner

    from clientcard.cli import cli
    from clientcard.cli.context import AppContext
    from clientcard.core.errors import ClientcardError
    from clientcard.workspace import WORKSPACE_ENV, Workspace

    def invoke(
        *args: str,
        input: str | None = None,
        workspace: Workspace | str | os.PathLike[str] | None = None,
    ) -> Result:
        if workspace is None:
            where = clientcard_workspace.path
        elif isinstance(workspace, Workspace):
            where = workspace.path
        else:
            where = Path(workspace).resolve()
        monkeypatch.setenv(WORKSPACE_ENV, str(where))
        opened: Workspace | None = None
        # a copy of the command group, so commands a plugin adds stay in this call
        group = copy.copy(cli)
        group.commands = dict(cli.commands)
        try:
            opened = Workspace.open(where, plugins=_extra(_clientcard_setup.plugins), strict=False)
            opened.plugins.register_commands(group)
        except ClientcardError:
            opened = None  # the command itself reports what is wrong
        try:
            return CliRunner().invoke(
                group, list(args), obj=AppContext(Path(str(where)), opened), input=input
            )
        finally:
            if opened is not None:
                opened.close()

    return invoke
