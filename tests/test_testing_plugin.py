"""clientcard.testing: the pytest plugin clientcard installs for plugin authors.

Each test writes a small test suite, as a plugin author would, and runs it
with pytest's own ``pytester``; nothing is imported or declared there: the
fixtures come from the ``pytest11`` entry point.
"""

from __future__ import annotations

import importlib.metadata
import re
import textwrap
from pathlib import Path

import pytest

from clientcard.cli import cli

pytest_plugins = ["pytester"]
ROOT = Path(__file__).parent.parent


def test_the_plugin_is_an_installed_pytest11_entry_point() -> None:
    found = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert found.get("clientcard") == "clientcard.testing"


def test_a_workspace_for_each_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from clientcard import Workspace

        def test_one(clientcard_workspace, tmp_path):
            assert isinstance(clientcard_workspace, Workspace)
            assert clientcard_workspace.get_setting("workspace.region") == "IT"
            assert clientcard_workspace.get_setting("workspace.currency") == "EUR"
            customer = clientcard_workspace.add_customer("Giulia", phone="06 1234 5678")
            assert customer.phone == "+390612345678"
            assert not clientcard_workspace.path.is_relative_to(tmp_path)

        def test_two(clientcard_workspace):
            assert clientcard_workspace.count_customers() == 0

        def test_more(clientcard_workspace, clientcard_new_workspace):
            other = clientcard_new_workspace(settings={"workspace.region": "FR"})
            assert other.path != clientcard_workspace.path
            assert other.get_setting("workspace.region") == "FR"
            assert other.get_setting("workspace.currency") == "EUR"
        """
    )
    pytester.runpytest("-q").assert_outcomes(passed=3)


def test_registering_a_plugin_for_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from clientcard import hookimpl

        class Recorder:
            def __init__(self):
                self.created = []

            @hookimpl
            def clientcard_customer_created(self, workspace, customer):
                self.created.append(customer.name)

        RECORDER = Recorder()

        @pytest.mark.clientcard_plugins(RECORDER)
        def test_registered(clientcard_workspace):
            clientcard_workspace.add_customer("Giulia")
            assert RECORDER.created == ["Giulia"]

        def test_not_registered_in_the_next_test(clientcard_workspace):
            clientcard_workspace.add_customer("Marco")
            assert RECORDER.created == ["Giulia"]
        """
    )
    pytester.runpytest("-q", "-p", "no:randomly").assert_outcomes(passed=2)


def test_settings_and_plugins_for_a_whole_directory(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from clientcard import hookimpl
        from clientcard.transfer.export import Exporter

        class Lines(Exporter):
            name = "lines"
            label = "Lines"
            extension = ".txt"

            def write(self, docs, context, out):
                for doc in docs:
                    out.write(doc["name"].encode() + b"\\n")

        class Plugin:
            @hookimpl
            def clientcard_register_exporters(self, register):
                register(Lines())

        @pytest.fixture
        def clientcard_plugins():
            return [Plugin()]

        @pytest.fixture
        def clientcard_settings():
            return {"workspace.region": "ES", "status.rule_set": "lead-client-vip"}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        def test_from_the_conftest(clientcard_workspace, tmp_path):
            assert clientcard_workspace.get_setting("workspace.region") == "ES"
            assert clientcard_workspace.add_customer("Ana").status == "lead"
            clientcard_workspace.export("lines", tmp_path / "out.txt")
            assert (tmp_path / "out.txt").read_text() == "Ana\\n"

        @pytest.mark.clientcard_settings({"status.rule_set": "lifecycle"})
        def test_a_marker_has_the_last_word(clientcard_workspace):
            assert clientcard_workspace.get_setting("workspace.region") == "ES"
            assert clientcard_workspace.add_customer("Ana").status == "new"
        """
    )
    pytester.runpytest("-q").assert_outcomes(passed=2)


def test_the_cli_runs_against_the_workspace_with_the_plugins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json
        import click
        import pytest
        from clientcard import hookimpl

        class Hello:
            @hookimpl
            def clientcard_register_commands(self, cli):
                @cli.command("hello")
                def hello():
                    click.echo("hello from a plugin")

        @pytest.mark.clientcard_plugins(Hello())
        def test_cli(clientcard_workspace, clientcard_cli):
            assert clientcard_cli("hello").stdout == "hello from a plugin\\n"
            added = clientcard_cli("customers", "add", "--name", "Giulia")
            assert added.exit_code == 0, added.stderr
            assert clientcard_workspace.get_customer(int(added.stdout)).name == "Giulia"
            clientcard_workspace.add_customer("Marco")
            shown = json.loads(clientcard_cli("customers", "list", "--format", "json").stdout)
            assert [c["name"] for c in shown] == ["Giulia", "Marco"]
            wrong = clientcard_cli("customers", "add", "--name", "X", "--email", "nope")
            assert wrong.exit_code == 1 and wrong.stderr.startswith("error: email")

        def test_other_workspace(clientcard_cli, clientcard_new_workspace):
            other = clientcard_new_workspace()
            other.add_customer("Ana")
            assert clientcard_cli("customers", "list", "--count", workspace=other).stdout == "1\\n"
            assert clientcard_cli("hello").exit_code == 2  # not registered in this test
        """
    )
    pytester.runpytest("-q").assert_outcomes(passed=2)
    assert "hello" not in cli.commands  # the plugin's command stayed in its test


def test_an_installed_plugin_named_again_is_not_registered_twice(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest
        from clientcard.plugins.exporters import jsonfile

        @pytest.mark.clientcard_plugins(jsonfile)
        def test_once(clientcard_workspace):
            infos = clientcard_workspace.plugins.infos
            assert [i.error for i in infos.values() if i.error] == []
            assert "json" in clientcard_workspace.plugins.exporters
        """
    )
    pytester.runpytest("-q").assert_outcomes(passed=1)


def test_the_markers_are_declared(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.clientcard_plugins(*plugins):*", "@pytest.mark.clientcard_settings(*"]
    )


def test_the_guide_s_plugin_and_its_tests_work_as_written(pytester: pytest.Pytester) -> None:
    """docs/plugins.md: the shoe-size plugin of step 3 and the test file of
    "Testing a plugin", run as a plugin author would."""
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = {
        block.splitlines()[0]: block
        for block in re.findall(r"```python\n(.*?)```", guide, re.DOTALL)
    }
    plugin_code = next(b for b in blocks.values() if "class ShoeSize" in b)
    tests_code = blocks["# tests/test_plugin.py"]
    package = pytester.mkpydir("clientcard_shoes")
    (package / "plugin.py").write_text(textwrap.dedent(plugin_code))
    pytester.makepyfile(test_plugin=tests_code)
    pytester.syspathinsert()
    pytester.runpytest("-q").assert_outcomes(passed=3)
