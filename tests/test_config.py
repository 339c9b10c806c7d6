"""clientcard.toml: typed settings, clear errors, edits that keep comments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from attrs import define, field

from clientcard import ConfigError, Workspace, hookimpl
from conftest import RunCLI, make_runner
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
    # refused when set (see test_names_are_checked_against_what_is_installed) ...
    assert_user_error(run("config", "set", "storage.backend", "postgres"), "postgres", "tinydb")
    # ... and, written by hand, when used
    with workspace.config_path.open("a", encoding="utf-8") as config:
        config.write('\n[storage]\nbackend = "postgres"\n')
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


# -- names and codes are checked before they are written ---------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "status.rule_set",
            "nope",
            "status.rule_set: no rule set 'nope'; installed: lead-client-vip, lifecycle, "
            'loyalty-tiers (or "" for none)',
        ),
        ("tier.rule_set", "tiers", "tier.rule_set: no rule set 'tiers'; installed: lead-"),
        (
            "merge.strategy",
            "best",
            "merge.strategy: no merge strategy 'best'; installed: keep-primary, most-complete, "
            "newest-wins",
        ),
        ("storage.backend", "sqlite", "storage.backend: no storage backend 'sqlite'; installed: "),
        ("workspace.currency", "XYZ", "workspace.currency: 'XYZ' is not an ISO 4217 currency"),
        ("workspace.region", "ZZ", "workspace.region: no region 'ZZ'; expected an ISO 3166"),
        ("workspace.locale", "klingon", "workspace.locale: no locale 'klingon'; expected a lang"),
        ("workspace.timezone", "Mars/Base", "workspace.timezone = 'Mars/Base' is not valid"),
    ],
)
def test_names_are_checked_against_what_is_installed(
    run: RunCLI, workspace: Workspace, key: str, value: str, message: str
) -> None:
    before = workspace.config_path.read_text()
    result = run("config", "set", key, value)
    assert_user_error(result, message)
    assert workspace.config_path.read_text() == before
    # nothing was written, so every later command still works
    assert add(run, "--name", "Ana") == 1
    assert run("bookings", "add", "--customer", "1", "--date", "2025-01-05",
               "--amount", "40").exit_code == 0  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("status.rule_set", "lead-client-vip"),
        ("status.rule_set", ""),  # set by hand only
        ("tier.rule_set", "loyalty-tiers"),
        ("merge.strategy", "newest-wins"),
        ("storage.backend", "tinydb"),
        ("workspace.currency", "IRR"),
        ("workspace.region", "IR"),
        ("workspace.locale", "fa"),
        ("workspace.locale", "fa_IR"),
        ("workspace.locale", "pt-BR"),
    ],
)
def test_installed_names_and_real_codes_are_taken(
    run: RunCLI, workspace: Workspace, key: str, value: str
) -> None:
    assert run("config", "set", key, value).exit_code == 0
    assert Workspace.open(workspace.path).get_setting(key) == value


def test_a_plugin_s_names_are_taken_where_it_is_loaded(workspace: Workspace) -> None:
    with pytest.raises(ConfigError, match="no rule set 'regulars'"):
        workspace.set_setting("status.rule_set", "regulars")

    class Regulars:
        @hookimpl
        def clientcard_register_rule_sets(self, register):  # type: ignore[no-untyped-def]
            from clientcard.plugins.status_rules.lifecycle import Lifecycle

            class Named(Lifecycle):
                name = "regulars"

            register(Named())

    with_plugin = Workspace.open(workspace.path, plugins=[Regulars()])
    with_plugin.set_setting("status.rule_set", "regulars")
    assert 'rule_set = "regulars"' in workspace.config_path.read_text()


# -- init: currency from the region, asked, or the one command to set it -----------------


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory, with no workspace named by the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIENTCARD_WORKSPACE", raising=False)
    return tmp_path


def test_init_takes_the_currency_from_the_region(here: Path) -> None:
    run = make_runner()
    result = run("init", "shop", "--region", "IT")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == (
        "currency EUR (from region IT); change with: "
        "clientcard --workspace shop config set workspace.currency CODE"
    )
    ws = Workspace.open(here / "shop")
    assert ws.get_setting("workspace.currency") == "EUR"
    # an amount written without a currency is now in euros
    ana = ws.add_customer("Ana")
    result = run("-w", "shop", "bookings", "add", "--customer", str(ana.id),
                 "--date", "2025-01-05", "--amount", "40.00")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert [b["amount"] for b in ws.activity("booking")] == [{"amount": "40.00", "currency": "EUR"}]


def test_an_explicit_currency_wins_over_the_region(here: Path) -> None:
    result = make_runner()("init", "shop", "--region", "IT", "--currency", "CHF")
    assert result.stdout == f"created workspace {here / 'shop'}\n"
    assert Workspace.open(here / "shop").get_setting("workspace.currency") == "CHF"


def test_init_asks_for_the_currency_at_a_terminal(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("clientcard.cli.init._interactive", lambda: True)
    result = make_runner()("init", "shop", input="XYZ\nirr\n")
    assert result.exit_code == 0, result.output
    assert "'XYZ' is not an ISO 4217 code" in result.output  # asked again
    assert "currency IRR; change with: " in result.stdout
    assert Workspace.open(here / "shop").get_setting("workspace.currency") == "IRR"
    # an empty answer: no currency, and the command to set one later
    result = make_runner()("init", "other", input="\n")
    assert "no workspace currency" in result.stdout
    assert Workspace.open(here / "other").get_setting("workspace.currency") is None


def test_a_bare_init_says_how_to_set_the_currency(here: Path) -> None:
    run = make_runner()
    result = run("init", "shop")  # not at a terminal: nothing is asked
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == (
        "no workspace currency: amounts need one (40.00 EUR) until you set it with: "
        "clientcard --workspace shop config set workspace.currency CODE"
    )
    ws = Workspace.open(here / "shop")
    assert ws.get_setting("workspace.currency") is None
    ana = ws.add_customer("Ana")
    result = run("-w", "shop", "bookings", "add", "--customer", str(ana.id),
                 "--date", "2025-01-05", "--amount", "40.00")  # fmt: skip
    assert_user_error(result, "amount", "'40.00'", "config set workspace.currency CODE")
    assert ws.activity("booking") == []
    # once set, the same command works
    assert run("-w", "shop", "config", "set", "workspace.currency", "EUR").exit_code == 0
    assert run("-w", "shop", "bookings", "add", "--customer", str(ana.id),
               "--date", "2025-01-05", "--amount", "40.00").exit_code == 0  # fmt: skip


def test_init_refuses_unknown_codes_and_writes_nothing(here: Path) -> None:
    run = make_runner()
    assert_user_error(
        run("init", "shop", "--region", "ZZ", "--currency", "XYZ"), "workspace.region", "'ZZ'"
    )
    assert_user_error(run("init", "shop", "--currency", "XYZ"), "workspace.currency", "'XYZ'")
    assert not (here / "shop").exists()
    with pytest.raises(ConfigError, match="no locale 'klingon'"):
        Workspace.init(here / "api", settings={"workspace.locale": "klingon"})
    assert not (here / "api").exists()
    # a directory that was there stays, empty as it was
    (here / "mine").mkdir()
    assert_user_error(run("init", "mine", "--region", "ZZ"), "workspace.region")
    assert list((here / "mine").iterdir()) == []
