"""clientcard.toml: typed settings, clear errors, edits that keep comments."""

from __future__ import annotations

import json

import pytest
from attrs import define, field

from clientcard import ConfigError, Workspace, hookimpl
from conftest import RunCLI
from test_cli_customers import add, assert_user_error


def test_get_set_list(run: RunCLI, workspace: Workspace) -> None:
    assert run("config", "get", "workspace.region").stdout == "IT\n"
    assert run("config", "get", "workspace.timezone").stdout == "UTC\n"
    assert run("config", "set", "workspace.timezone", "Europe/Rome").exit_code == 0
    assert run("config", "get", "workspace.timezone").stdout == "Europe/Rome\n"
    listed = json.loads(run("config", "list", "--format", "json").stdout)
    assert listed["workspace.timezone"] == "Europe/Rome"
    assert listed["storage.backend"] == "tinydb"
    assert listed["plugins.disabled"] == []
    assert "(default)" in run("config", "list").stdout


def test_set_keeps_comments_and_refuses_bad_values(run: RunCLI, workspace: Workspace) -> None:
    path = workspace.config_path
    path.write_text(path.read_text() + "\n# my own note\n")
    before = path.read_text()
    assert_user_error(
        run("config", "set", "workspace.region", "Italy"), "workspace.region", "Italy", "two-letter"
    )
    assert_user_error(
        run("config", "set", "workspace.timezone", "Mars/Base"), "Mars/Base", "time zone"
    )
    assert_user_error(run("config", "set", "workspace.nope", "1"), "workspace.nope")
    assert path.read_text() == before
    run("config", "set", "workspace.currency", "CHF")
    after = path.read_text()
    assert "# my own note" in after and "# Region for phone numbers" in after
    assert 'currency = "CHF"' in after


def test_list_values_from_the_command_line(run: RunCLI, workspace: Workspace) -> None:
    assert run("config", "set", "plugins.disabled", "a,b").exit_code == 0
    assert Workspace.open(workspace.path, strict=False).get_setting("plugins.disabled") == [
        "a",
        "b",
    ]
    assert run("config", "set", "plugins.disabled", '["c"]').exit_code == 0
    assert run("config", "get", "plugins.disabled").stdout == '["c"]\n'
    run("config", "unset", "plugins.disabled")
    assert run("config", "get", "plugins.disabled").stdout == "[]\n"


def test_typos_in_the_file_are_reported_with_key_and_expectation(
    run: RunCLI, workspace: Workspace
) -> None:
    path = workspace.config_path
    original = path.read_text()
    path.write_text(original.replace('timezone = "UTC"', 'timezon = "UTC"'))
    assert_user_error(run("customers", "list"), "workspace.timezon", "timezone")
    path.write_text(original.replace('timezone = "UTC"', "timezone = 5"))
    assert_user_error(run("customers", "list"), "workspace.timezone", "5", "a string")
    path.write_text(original + "\n[storage]\nbackend = true\n")
    assert_user_error(run("customers", "add", "--name", "A"), "storage.backend", "a string")
    path.write_text(original + "\n[workspace\n")
    assert_user_error(run("customers", "list"), "not valid TOML")
    # config commands still work on a broken file, so it can be mended
    path.write_text(original.replace('timezone = "UTC"', 'timezon = "UTC"'))
    assert run("config", "unset", "workspace.timezon").stdout == "removed workspace.timezon\n"
    assert "timezon" not in path.read_text()
    assert run("customers", "list").exit_code == 0


def test_unknown_table_is_a_warning_not_an_error(run: RunCLI, workspace: Workspace) -> None:
    path = workspace.config_path
    path.write_text(path.read_text() + "\n[salon]\nopening_hour = 9\n")
    result = run("customers", "list")
    assert result.exit_code == 0
    assert "[salon]" in result.stderr


def test_unknown_storage_backend(run: RunCLI, workspace: Workspace) -> None:
    run("config", "set", "storage.backend", "postgres")
    assert_user_error(run("customers", "list"), "postgres", "tinydb")


@define(frozen=True)
class SalonSettings:
    opening_hour: int = 9
    chairs: int = field(default=3)

    @chairs.validator
    def _check(self, attribute: object, value: int) -> None:
        if value < 1:
            raise ValueError("at least 1 chair")


class SalonPlugin:
    @hookimpl
    def clientcard_register_settings(self, register):  # type: ignore[no-untyped-def]
        register("salon", SalonSettings)
        register("status.regulars", SalonSettings)


def test_plugin_settings_are_declared_defaulted_and_checked(workspace: Workspace) -> None:
    ws = Workspace.open(workspace.path, plugins=[SalonPlugin()])
    assert ws.settings_for("salon") == SalonSettings()
    ws.set_setting("salon.chairs", "5")
    ws.set_setting("status.regulars.opening_hour", 8)
    reopened = Workspace.open(workspace.path, plugins=[SalonPlugin()])
    assert reopened.settings_for("salon").chairs == 5
    assert reopened.get_setting("status.regulars.opening_hour") == 8
    assert "[status.regulars]" in workspace.config_path.read_text()
    with pytest.raises(ConfigError, match=r"salon.chairs = 0 .*at least 1 chair"):
        reopened.set_setting("salon.chairs", "0")
    with pytest.raises(
        ConfigError, match=r"salon.chairs = 'many' has the wrong type; expected a whole number"
    ):
        reopened.set_setting("salon.chairs", "many")
    workspace.config_path.write_text(workspace.config_path.read_text() + "\n[salon.extra]\nx = 1\n")
    warned = Workspace.open(workspace.path, plugins=[SalonPlugin()])
    assert any("[salon.extra] is not used" in w for w in warned.warnings)


def test_add_still_works_after_config_changes(run: RunCLI) -> None:
    run("config", "set", "workspace.region", "US")
    assert add(run, "--name", "A", "--phone", "(202) 555-0125") == 1
    assert (
        json.loads(run("customers", "show", "1", "--format", "json").stdout)["phone"]
        == "+12025550125"
    )
