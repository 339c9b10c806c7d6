"""examples/: the salon plugin installed in a fresh virtual environment, the booking
host's own test, and the configuration files.

A fresh virtual environment is made without pip (``venv --without-pip``, a
fraction of a second) and sees this environment's packages through a ``.pth``
file (clientcard, pip, setuptools, pytest), so installing an example needs no
download: ``pip install --no-deps --no-build-isolation --no-index``.  What the
example adds is installed into the new environment only; the example is
copied first, because building writes into the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clientcard import Workspace

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"
CONFIGS = EXAMPLES / "configs"
BUILT = shutil.ignore_patterns(
    "__pycache__", "*.egg-info", "build", "dist", ".pytest_cache", ".mypy_cache", ".ruff_cache"
)


def clean_env(**more: str) -> dict[str, str]:
    """This environment for a child process, without a workspace or plugins chosen."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLIENTCARD_") and k not in ("PYTHONPATH", "PYTHONHOME")
    }
    env.update(
        PYTHONDONTWRITEBYTECODE="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        **more,
    )
    return env


class Venv:
    """A new virtual environment that sees this one's packages (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
        self.path = path
        self.python = path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        site = self.run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
        here = list(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))
        # addsitedir, not a bare path: the .pth files there (clientcard's editable
        # install) must be read too
        adds = "; ".join(f"site.addsitedir({p!r})" for p in here)
        (Path(site.stdout.strip()) / "_outer_environment.pth").write_text(f"import site; {adds}\n")

    def run(
        self, *args: str, cwd: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.python), *args],
            cwd=cwd,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited with {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def install(self, project: Path, into: Path) -> Path:
        """Copy ``project`` into ``into`` and pip-install the copy, offline; the copy."""
        copy = into / project.name
        shutil.copytree(project, copy, ignore=BUILT)
        self.run(
            "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
            str(copy),
        )  # fmt: skip
        return copy

    def pytest(self, project: Path) -> subprocess.CompletedProcess[str]:
        """The project's own tests, run by this environment's Python."""
        return self.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project, check=False)

    def clientcard(self, workspace: Path, *args: str, check: bool = True) -> Any:
        """``clientcard -w WORKSPACE ARGS...`` in this environment."""
        return self.run("-m", "clientcard", "-w", str(workspace), *args, check=check)


@pytest.fixture(scope="module")
def salon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Venv, Path]]:
    """A fresh environment with examples/salon-plugin installed; the installed copy."""
    where = tmp_path_factory.mktemp("salon-env")
    venv = Venv(where / "venv")
    yield venv, venv.install(EXAMPLES / "salon-plugin", where)


def test_the_salon_plugin_is_installed_and_its_own_tests_pass(salon: tuple[Venv, Path]) -> None:
    venv, project = salon
    found = venv.run("-m", "pip", "show", "clientcard-salon").stdout
    assert "Version: 1.0.0" in found and str(venv.path) in found
    tests = venv.pytest(project)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert " passed" in tests.stdout and "failed" not in tests.stdout


def test_the_plugin_is_only_in_the_new_environment() -> None:
    here = subprocess.run(
        [sys.executable, "-m", "pip", "show", "clientcard-salon"],
        capture_output=True,
        env=clean_env(),
    )
    assert here.returncode != 0


def test_clientcard_plugins_shows_it(salon: tuple[Venv, Path], tmp_path: Path) -> None:
    venv, _ = salon
    ws = tmp_path / "ws"
    venv.run("-m", "clientcard", "init", str(ws))
    listing = json.loads(venv.clientcard(ws, "plugins", "--format", "json").stdout)
    (plugin,) = [p for p in listing if p["name"] == "salon"]
    assert plugin["distribution"] == "clientcard-salon" and plugin["version"] == "1.0.0"
    assert plugin["error"] is None and not plugin["builtin"]
    assert plugin["registered"] == {
        "merge strategies": ["salon"],
        "form collectors": ["salon-intake"],
        "exporters": ["mailing-list"],
        "rule sets": ["regulars"],
        "settings": ["status.regulars"],
    }
    table = venv.clientcard(ws, "plugins").stdout
    assert "clientcard-salon 1.0.0" in table


def test_the_salon_config_classifies_with_its_rule_pack_and_the_rest_works(
    salon: tuple[Venv, Path], tmp_path: Path
) -> None:
    venv, _ = salon
    ws = tmp_path / "salon"
    venv.run("-m", "clientcard", "init", str(ws))
    shutil.copy(CONFIGS / "salon.toml", ws / "clientcard.toml")
    cc = venv.clientcard
    settings = cc(ws, "config", "list")
    assert "warning" not in settings.stderr
    assert "regulars" in settings.stdout

    # the intake questions, on the scheduling form only
    schema = json.loads(cc(ws, "forms", "schema", "scheduling").stdout)
    assert {"hair_type", "allergies"} <= set(schema["properties"])
    assert "hair_type" in schema["required"]
    assert "hair_type" not in json.loads(cc(ws, "forms", "schema", "signup").stdout)["properties"]
    cc(ws, "fields", "add", "--preset", "marketing-email")
    answers = tmp_path / "giulia.json"
    answers.write_text(
        json.dumps(
            {
                "name": "Giulia Bianchi",
                "email": "giulia@example.com",
                "hair_type": "curly",
                "allergies": "latex",
            }
        )
    )
    assert "created customer 1" in cc(ws, "forms", "submit", "scheduling", str(answers)).stdout
    answers.write_text(json.dumps({"name": "Ana", "allergies": "yes"}))
    refused = cc(ws, "forms", "submit", "scheduling", str(answers), check=False)
    assert refused.returncode == 1 and "allergies" in refused.stderr
    cc(ws, "customers", "edit", "1", "--set", "marketing_email=yes")
    cc(ws, "customers", "add", "--name", "Marco Rossi", "--email", "marco@example.com")

    # classify uses the regulars rule pack of [status] rule_set
    for day in ("2025-03-01", "2025-03-29", "2025-04-26"):
        cc(ws, "bookings", "add", "--customer", "1", "--date", day)
    report = json.loads(cc(ws, "classify", "--as-of", "2025-06-10", "--format", "json").stdout)
    assert report["rule_set"] == "regulars"
    assert report["counts"] == {"new": 1, "regular": 0, "at-risk": 1, "lapsed": 0}
    explained = cc(ws, "customers", "explain", "1").stdout
    assert "usually 28 days between visits" in explained

    # the mailing list: opted-in customers with an e-mail address
    out = tmp_path / "campaign.csv"
    cc(ws, "export", "--format", "mailing-list", "--status", "at-risk", "--output", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "email,first_name,name,hair_type,status,opted_in_at"
    assert [line.split(",")[:5] for line in lines[1:]] == [
        ["giulia@example.com", "Giulia", "Giulia Bianchi", "curly", "at-risk"]
    ]


def test_disabling_the_plugin(salon: tuple[Venv, Path], tmp_path: Path) -> None:
    venv, _ = salon
    ws = tmp_path / "ws"
    venv.run("-m", "clientcard", "init", str(ws))
    venv.clientcard(ws, "config", "set", "plugins.disabled", '["salon"]')
    listing = json.loads(venv.clientcard(ws, "plugins", "--format", "json").stdout)
    assert [p["disabled"] for p in listing if p["name"] == "salon"] == [True]
    formats = venv.clientcard(ws, "export", "--list-formats").stdout
    assert "mailing-list" not in formats


# -- the configuration files -------------------------------------------------------------


@pytest.mark.parametrize("name", ["lifecycle", "lead-client-vip", "loyalty-tiers", "salon"])
def test_each_example_config_exists_and_is_commented(name: str) -> None:
    text = (CONFIGS / f"{name}.toml").read_text(encoding="utf-8")
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) >= 10


@pytest.mark.parametrize(
    ("name", "status", "tier"),
    [
        ("lifecycle", "lifecycle", None),
        ("lead-client-vip", "lead-client-vip", None),
        ("loyalty-tiers", "lifecycle", "loyalty-tiers"),
    ],
)
def test_the_built_in_rule_pack_configs_are_valid(
    name: str, status: str, tier: str | None, tmp_path: Path
) -> None:
    Workspace.init(tmp_path / "ws").close()
    shutil.copy(CONFIGS / f"{name}.toml", tmp_path / "ws" / "clientcard.toml")
    with Workspace.open(tmp_path / "ws") as ws:  # strict: any mistake raises
        assert ws.warnings == [] and ws.problems == []
        report = ws.classify(dry_run=True)
        assert report.rule_sets == {"status": status, **({"tier": tier} if tier else {})}
        ws.add_customer("Giulia Bianchi")


def test_the_salon_config_with_the_plugin_installed(
    salon: tuple[Venv, Path], tmp_path: Path
) -> None:
    venv, _ = salon
    Workspace.init(tmp_path / "ws").close()
    shutil.copy(CONFIGS / "salon.toml", tmp_path / "ws" / "clientcard.toml")
    check = (
        "import sys; from clientcard import Workspace\n"
        "with Workspace.open(sys.argv[1]) as ws:\n"
        "    assert ws.warnings == [] and ws.problems == [], (ws.warnings, ws.problems)\n"
        "    print(ws.classify(dry_run=True).rule_sets['status'],"
        " ws.settings_for('status.regulars').at_risk_after, ws.merge_strategy().name)\n"
    )
    assert venv.run("-c", check, str(tmp_path / "ws")).stdout.split() == [
        "regulars",
        "1.5",
        "salon",
    ]


# -- the booking host --------------------------------------------------------------------


def test_the_booking_host_runs_end_to_end(tmp_path: Path) -> None:
    """examples/booking-host's own test, run as its README says (from a copy)."""
    copy = tmp_path / "booking-host"
    shutil.copytree(EXAMPLES / "booking-host", copy, ignore=BUILT)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=copy,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout
