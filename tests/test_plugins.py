"""The plugin host: discovery, failures, disabling, conflicts, and `clientcard plugins`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clientcard import PluginError, Workspace, hookimpl
from conftest import RunCLI, install_plugin, make_runner
from test_cli_customers import add, assert_user_error

SHOE_SIZE = """
    from clientcard import FieldType, FieldValueError, hookimpl

    class ShoeSize(FieldType):
        name = "shoe-size"
        label = "Shoe size (EU)"
        description = "A European shoe size, 30 to 50, halves allowed."

        def parse_text(self, text, field, ctx):
            try:
                return float(text.replace(",", "."))
            except ValueError:
                raise FieldValueError("a shoe size such as 38 or 38.5") from None

        def validate(self, value, field, ctx):
            if not 30 <= value <= 50 or value * 2 != int(value * 2):
                raise FieldValueError("a shoe size from 30 to 50, in halves")
            return value

        def json_schema(self, field, ctx):
            return {"type": "number", "minimum": 30, "maximum": 50}

    @hookimpl
    def clientcard_register_field_types(register):
        register(ShoeSize())
"""

BROKEN = """
    raise RuntimeError("this plugin is broken on purpose")
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Third-party plugins 'installed' in a directory on sys.path and PYTHONPATH."""
    site = install_plugin(
        tmp_path / "site", "clientcard-shoes", {"cc_shoes": SHOE_SIZE}, {"shoes": "cc_shoes"}
    )
    install_plugin(site, "clientcard-broken", {"cc_broken": BROKEN}, {"broken": "cc_broken"})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    return site


def test_third_party_field_type_is_discovered_and_usable(
    site: Path, run: RunCLI, workspace: Workspace
) -> None:
    assert run("fields", "add", "shoe", "--type", "shoe-size").exit_code == 0
    id = add(run, "--name", "Ana", "--set", "shoe=38,5")
    assert workspace.get_customer(id).fields == {"shoe": 38.5}
    assert_user_error(
        run("customers", "add", "--name", "B", "--set", "shoe=12"), "shoe", "30 to 50"
    )


def test_broken_plugin_is_reported_and_the_rest_works(site: Path, run: RunCLI) -> None:
    listing = json.loads(run("plugins", "--format", "json").stdout)
    by_name = {p["name"]: p for p in listing}
    assert "broken on purpose" in by_name["broken"]["error"]
    assert by_name["broken"]["distribution"] == "clientcard-broken"
    shoes = by_name["shoes"]
    assert shoes["error"] is None
    assert shoes["distribution"] == "clientcard-shoes" and shoes["version"] == "1.0"
    assert shoes["hooks"] == ["clientcard_register_field_types"]
    assert shoes["registered"] == {"field types": ["shoe-size"]}
    assert by_name["storage-tinydb"]["builtin"] is True
    table = run("plugins").stdout
    assert "broken on purpose" in table and "shoe-size" in table
    # every other command still works
    assert add(run, "--name", "Ana") == 1
    assert run("customers", "list", "--format", "json").exit_code == 0
    assert run("fields", "list").exit_code == 0


def test_a_real_process_sees_installed_plugins(site: Path, workspace: Workspace) -> None:
    """The console script, in a new process, with the plugins on PYTHONPATH."""
    command = [
        sys.executable,
        "-m",
        "clientcard",
        "-w",
        str(workspace.path),
        "plugins",
        "--format",
        "json",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    names = {p["name"]: p for p in json.loads(result.stdout)}
    assert names["shoes"]["registered"] == {"field types": ["shoe-size"]}
    assert names["broken"]["error"]


def test_disabling_plugins_by_config_and_environment(
    site: Path, run: RunCLI, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("config", "set", "plugins.disabled", "shoes")
    info = {p["name"]: p for p in json.loads(run("plugins", "--format", "json").stdout)}
    assert info["shoes"]["disabled"] is True and info["shoes"]["registered"] == {}
    assert_user_error(run("fields", "add", "shoe", "--type", "shoe-size"), "shoe-size")
    run("config", "unset", "plugins.disabled")
    monkeypatch.setenv("CLIENTCARD_DISABLE_PLUGINS", "fields-contact, broken")
    ws = Workspace.open(workspace.path)
    assert "email" not in ws.field_types() and "shoe-size" in ws.field_types()
    assert ws.plugins.infos["broken"].disabled and ws.plugins.infos["broken"].error is None


def test_values_of_a_missing_type_are_kept_and_writes_refused(
    site: Path, run: RunCLI, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("fields", "add", "shoe", "--type", "shoe-size")
    add(run, "--name", "Ana", "--set", "shoe=40")
    monkeypatch.setenv("CLIENTCARD_DISABLE_PLUGINS", "shoes")
    shown = json.loads(run("customers", "show", "1", "--format", "json").stdout)
    assert shown["fields"] == {"shoe": 40.0}
    assert run("customers", "edit", "1", "--set", "name=Ana B").exit_code == 0
    assert_user_error(
        run("customers", "edit", "1", "--set", "shoe=41"), "shoe-size", "clientcard plugins"
    )
    assert Workspace.open(workspace.path).get_customer(1).fields == {"shoe": 40.0}


class Twin:
    """Registers a field type under a name a built-in already uses."""

    @hookimpl
    def clientcard_register_field_types(self, register):  # type: ignore[no-untyped-def]
        from clientcard.plugins.fields.text import TextType

        register(TextType())


def test_two_plugins_registering_one_name_is_an_error_naming_both(workspace: Workspace) -> None:
    with pytest.raises(
        PluginError,
        match=r"field type 'text' is registered by both plugin 'fields-text' and plugin 'Twin'",
    ):
        Workspace.open(workspace.path, plugins=[Twin()])
    lenient = Workspace.open(workspace.path, plugins=[Twin()], strict=False)
    assert "Twin" in lenient.problems[0]


class TwinAction:
    """Registers an action kind under a name a built-in already uses."""

    @hookimpl
    def clientcard_register_action_kinds(self, register):  # type: ignore[no-untyped-def]
        from clientcard.plugins.actions.winback import WinBack

        register(WinBack())


def test_every_kind_of_registration_reports_a_name_given_twice(workspace: Workspace) -> None:
    # action kinds were once left out of the registries checked, so this passed silently
    with pytest.raises(PluginError, match=r"action kind 'win-back' is registered by both"):
        Workspace.open(workspace.path, plugins=[TwinAction()])


class Misspelt:
    @hookimpl
    def clientcard_register_feld_types(self, register):  # type: ignore[no-untyped-def]
        pass


class Raising:
    @hookimpl
    def clientcard_register_field_types(self, register):  # type: ignore[no-untyped-def]
        raise KeyError("oops")


def test_misspelt_hooks_and_raising_registrations_are_recorded(workspace: Workspace) -> None:
    ws = Workspace.open(workspace.path, plugins=[Misspelt(), Raising()])
    assert "clientcard_register_feld_types" in (ws.plugins.infos["Misspelt"].error or "")
    assert "KeyError" in (ws.plugins.infos["Raising"].error or "")
    assert "text" in ws.field_types()


def test_register_rejects_what_is_not_a_field_type(workspace: Workspace) -> None:
    class Bad:
        @hookimpl
        def clientcard_register_field_types(self, register):  # type: ignore[no-untyped-def]
            register("text")

    ws = Workspace.open(workspace.path, plugins=[Bad()])
    assert "FieldType" in (ws.plugins.infos["Bad"].error or "")


def test_plugin_commands_are_added_to_the_cli(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = """
        import click
        from clientcard import hookimpl
        from clientcard.cli import pass_workspace

        @hookimpl
        def clientcard_register_commands(cli):
            @cli.command("hello")
            @pass_workspace()
            def hello(workspace):
                click.echo(f"hello from {workspace.count_customers()} customers")
    """
    site = install_plugin(
        tmp_path / "cmd-site", "clientcard-hello", {"cc_hello": source}, {"hello": "cc_hello"}
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    command = [sys.executable, "-m", "clientcard", "-w", str(workspace.path), "hello"]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.stdout == "hello from 0 customers\n", result.stderr


class CountingBackend:
    """A storage plugin: the TinyDB store, counting how often it is opened."""

    def __init__(self) -> None:
        self.opened = 0

    @hookimpl
    def clientcard_register_storage_backends(self, register):  # type: ignore[no-untyped-def]
        from clientcard.plugins.storage.tinydb_store import TinyDBStore

        def factory(data_dir, tables):  # type: ignore[no-untyped-def]
            self.opened += 1
            return TinyDBStore(data_dir, tables)

        register("counting", factory)


def test_storage_backend_is_chosen_by_name_in_config(workspace: Workspace) -> None:
    workspace.add_customer("Ana")
    backend = CountingBackend()
    ws = Workspace.open(workspace.path, plugins=[backend])
    # a backend is set where its plugin is loaded: 'config set' checks the name
    ws.set_setting("storage.backend", "counting")
    assert [c.name for c in ws.customers()] == ["Ana"]
    assert backend.opened == 1
    assert ws.plugins.infos["CountingBackend"].registered == {"storage backends": ["counting"]}


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory that is not a workspace, as the current one, with no workspace named."""
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.delenv("CLIENTCARD_WORKSPACE", raising=False)
    return here


def test_plugins_lists_what_is_installed_outside_a_workspace(
    site: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = make_runner()
    result = run("plugins", "--format", "json")
    assert result.exit_code == 0, result.output
    by_name = {p["name"]: p for p in json.loads(result.stdout)}
    shoes = by_name["shoes"]
    assert shoes["distribution"] == "clientcard-shoes" and shoes["version"] == "1.0"
    assert shoes["hooks"] == ["clientcard_register_field_types"]
    assert shoes["registered"] == {"field types": ["shoe-size"]}
    assert shoes["disabled"] is False and shoes["error"] is None
    assert "broken on purpose" in by_name["broken"]["error"]
    assert by_name["storage-tinydb"]["builtin"] is True
    assert by_name["rules-lifecycle"]["registered"]["rule sets"] == ["lifecycle"]
    table = run("plugins")
    assert table.exit_code == 0 and table.stderr == ""
    assert "clientcard-shoes 1.0" in table.stdout and "shoe-size" in table.stdout
    # the environment's list of disabled plugins holds everywhere
    monkeypatch.setenv("CLIENTCARD_DISABLE_PLUGINS", "shoes")
    again = {p["name"]: p for p in json.loads(run("plugins", "--format", "json").stdout)}
    assert again["shoes"]["disabled"] is True and again["shoes"]["registered"] == {}
    assert list(elsewhere.iterdir()) == []  # nothing was created here


def test_plugins_shows_a_workspaces_own_state_only_inside_it(
    site: Path, workspace: Workspace, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.set_setting("plugins.disabled", ["shoes"])
    run = make_runner()
    outside = {p["name"]: p for p in json.loads(run("plugins", "--format", "json").stdout)}
    assert outside["shoes"]["disabled"] is False
    inside = run("-w", str(workspace.path), "plugins", "--format", "json")
    assert {p["name"]: p for p in json.loads(inside.stdout)}["shoes"]["disabled"] is True
    # a directory named as the workspace that is not one: said, then what is installed
    named = run("-w", str(elsewhere), "plugins", "--format", "json")
    assert named.exit_code == 0
    assert f"{elsewhere} is not a clientcard workspace" in named.stderr
    assert "shoes" in {p["name"] for p in json.loads(named.stdout)}


def test_plugins_works_in_a_workspace_whose_config_cannot_be_read(
    site: Path, workspace: Workspace, run: RunCLI
) -> None:
    workspace.config_path.write_text("[workspace\n", encoding="utf-8")
    result = run("plugins", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "not valid TOML" in result.stderr
    assert "shoes" in {p["name"] for p in json.loads(result.stdout)}


def test_a_real_process_lists_plugins_outside_a_workspace(site: Path, elsewhere: Path) -> None:
    """What the salon plugin's README tells a user to run right after installing it."""
    env = {k: v for k, v in os.environ.items() if k != "CLIENTCARD_WORKSPACE"}
    command = [sys.executable, "-m", "clientcard", "plugins", "--format", "json"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    names = {p["name"]: p for p in json.loads(result.stdout)}
    assert names["shoes"]["registered"] == {"field types": ["shoe-size"]}
