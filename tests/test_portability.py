"""What a fresh machine needs: time zones without a system database, shell
completion as README.md says, and a clean work tree after building the examples."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
CLIENTCARD = Path(sys.executable).parent / "clientcard"


def test_time_zones_work_without_a_system_database() -> None:
    # Windows and slim containers have no /usr/share/zoneinfo: tzdata stands in
    assert any(r.startswith("tzdata") for r in requires("clientcard") or [])
    probe = "from zoneinfo import ZoneInfo; print(ZoneInfo('Asia/Tehran').key)"
    env = {**os.environ, "PYTHONTZPATH": os.devnull}  # no system zones at all
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "Asia/Tehran", result.stderr


def _complete(env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(CLIENTCARD)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_shell_completion_works_as_the_readme_says() -> None:
    section = README.split("## Shell completion", 1)[1].split("\n## ", 1)[0]
    for shell in ("bash", "zsh", "fish"):
        assert f"_CLIENTCARD_COMPLETE={shell}_source clientcard" in section
    assert "_clientcard_completion()" in _complete({"_CLIENTCARD_COMPLETE": "bash_source"})
    words = {"COMP_WORDS": "clientcard customers li", "COMP_CWORD": "2"}
    assert "plain,list" in _complete({**words, "_CLIENTCARD_COMPLETE": "bash_complete"})


def test_building_the_example_plugin_leaves_nothing_for_git() -> None:
    # 'pip install ./examples/salon-plugin' leaves build/ and *.egg-info/ beside it
    left = [
        "examples/salon-plugin/build/lib/clientcard_salon/__init__.py",
        "examples/salon-plugin/src/clientcard_salon.egg-info/PKG-INFO",
        "build/lib/clientcard/__init__.py",
    ]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *left],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == left
