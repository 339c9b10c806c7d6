"""``clientcard plugins new NAME``: a plugin package that installs and passes its own tests."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from clientcard.cli.scaffold import names
from conftest import make_runner
from test_examples import Venv, clean_env

EXPECTED = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/clientcard_shoes/__init__.py",
    "src/clientcard_shoes/plugin.py",
    "tests/test_plugin.py",
}


def generated(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_a_package_is_made_outside_any_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIENTCARD_WORKSPACE", raising=False)
    result = make_runner()("plugins", "new", "shoes")
    assert result.exit_code == 0, result.stderr
    assert "created clientcard-shoes/: plugin 'shoes', package clientcard_shoes" in result.stdout
    root = tmp_path / "clientcard-shoes"
    assert generated(root) == EXPECTED
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "clientcard-shoes"
    assert project["project"]["entry-points"]["clientcard"] == {"shoes": "clientcard_shoes.plugin"}
    assert project["project"]["dependencies"][0].startswith("clientcard>=")
    assert "clientcard_workspace" in (root / "tests" / "test_plugin.py").read_text()
    readme = (root / "README.md").read_text()
    assert "pip install -e" in readme and "[plugins] disabled" in readme


def test_the_generated_package_installs_and_passes_its_own_tests(tmp_path: Path) -> None:
    result = make_runner()("plugins", "new", "Hair_Salon", "--dir", str(tmp_path / "work"))
    assert result.exit_code == 0, result.stderr
    root = tmp_path / "work" / "clientcard-hair-salon"
    venv = Venv(tmp_path / "venv")
    venv.install(root, tmp_path)
    tests = venv.pytest(tmp_path / "clientcard-hair-salon")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout
    listing = venv.run("-m", "clientcard", "plugins", "--format", "json").stdout
    assert "hair-salon-contacts" in listing
    # and the generated code is clean by this project's linter
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--line-length",
         "100", "--select", "E,F,W,B,UP,SIM,RUF", str(root)],
        capture_output=True, text=True, env=clean_env(),
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize(
    ("given", "name", "dist", "module"),
    [
        ("shoes", "shoes", "clientcard-shoes", "clientcard_shoes"),
        ("Hair_Salon", "hair-salon", "clientcard-hair-salon", "clientcard_hair_salon"),
        ("clientcard-pets2", "pets2", "clientcard-pets2", "clientcard_pets2"),
    ],
)
def test_names_are_normalised(given: str, name: str, dist: str, module: str) -> None:
    found = names(given)
    assert (found.name, found.dist, found.module) == (name, dist, module)


@pytest.mark.parametrize("bad", ["3d", "hair salon", "shoes!", "x-", "a--b", "", "x" * 51])
def test_a_bad_name_is_refused_with_one_line(bad: str, tmp_path: Path) -> None:
    result = make_runner()("plugins", "new", bad, "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: plugin name ")
    assert len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "clientcard-shoes").mkdir()
    (tmp_path / "clientcard-shoes" / "mine.txt").write_text("keep me")
    result = make_runner()("plugins", "new", "shoes", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'clientcard-shoes'} already exists; " + (
        "choose another name or --dir\n"
    )
    assert generated(tmp_path) == {"clientcard-shoes/mine.txt"}


def test_the_name_of_an_installed_plugin_is_refused(tmp_path: Path) -> None:
    result = make_runner()("plugins", "new", "rules-lifecycle", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "already named 'rules-lifecycle'" in result.stderr
    assert list(tmp_path.iterdir()) == []
