"""Shared fixtures: a fresh workspace, the CLI, and installable test plugins."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clientcard import Workspace
from clientcard.cli import _preopen, cli


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A new workspace in Italy (phones without +39 are Italian), amounts in euro."""
    with Workspace.init(
        tmp_path / "ws", settings={"workspace.region": "IT", "workspace.currency": "EUR"}
    ) as ws:
        yield ws


RunCLI = Callable[..., Result]


@pytest.fixture
def run(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> RunCLI:
    """Run ``clientcard ARGS...`` against the workspace; returns click's Result.

    ``result.stdout`` and ``result.stderr`` are apart; pass ``input=`` for prompts.
    """
    monkeypatch.setenv("CLIENTCARD_WORKSPACE", str(workspace.path))
    return make_runner()


def make_runner() -> RunCLI:
    def invoke(*args: str, input: str | None = None) -> Result:
        argv = list(args)
        return CliRunner().invoke(cli, argv, obj=_preopen(argv), input=input)

    return invoke


def install_plugin(
    site: Path, dist: str, modules: dict[str, str], entry_points: dict[str, str]
) -> Path:
    """Write a minimal installed distribution (dist-info + modules) into ``site``.

    Put ``site`` on ``sys.path`` (or PYTHONPATH for a subprocess) and
    ``importlib.metadata`` finds its entry points, as after ``pip install``.
    """
    site.mkdir(parents=True, exist_ok=True)
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[clientcard]\n{lines}\n")
    for name, source in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(source))
    return site
