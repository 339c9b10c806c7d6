"""README.md's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clientcard import Workspace
from conftest import make_runner

README = (Path(__file__).parent.parent / "README.md").read_text()


def block(after_heading: str, language: str) -> str:
    section = README.split(f"## {after_heading}", 1)[1]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match, f"no {language} block under {after_heading}"
    return match.group(1)


def test_python_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    ws = Workspace.init("salon", settings={"workspace.region": "IT", "workspace.currency": "EUR"})
    ws.add_field("visits", type="integer")
    exec(compile(block("From Python", "python"), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "new customer 1 Giulia Bianchi" in out
    assert "new customer 101 Guest 99" in out
    reopened = Workspace.open("salon")
    giulia = reopened.get_customer(1)
    assert giulia.fields == {"visits": 3} and giulia.phone == "+390612345678"
    assert reopened.count_customers() == 101


def test_error_example_is_what_the_cli_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = block("Quickstart", "text").splitlines()
    command, expected = example[0].removeprefix("$ clientcard "), example[1]
    Workspace.init(tmp_path / "ws")
    monkeypatch.setenv("CLIENTCARD_WORKSPACE", str(tmp_path / "ws"))
    result = make_runner()(*command.split())
    assert result.exit_code == 1
    assert result.stderr.strip() == expected
