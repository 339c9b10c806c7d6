"""``clientcard plugins new NAME``: a plugin package that installs and passes its tests.

What datasette's plugin template gives its vendors: ``clientcard-NAME/`` with
a ``pyproject.toml`` declaring the entry point in the group ``clientcard``, a
module with one example hook (an exporter), a test using the pytest fixtures
of :mod:`clientcard.testing`, and a README saying how to develop, test and
publish it.  The templates are below; ``{name}`` is the plugin's name,
``{module}`` its Python package and ``{dist}`` its distribution.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import attrs
import click

from clientcard.core.errors import ClientcardError
from clientcard.core.plugins import ENTRY_POINT_GROUP

#: a plugin name once normalised: lowercase words of letters and digits joined by "-"
NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_NAME = 50
PREFIX = "clientcard-"


@attrs.frozen
class Names:
    """The names of one plugin package."""

    #: the entry-point name: what ``clientcard plugins`` lists and ``[plugins] disabled`` takes
    name: str
    #: the distribution on PyPI, and the directory made
    dist: str
    #: the Python package holding the hooks
    module: str


def names(given: str) -> Names:
    """The plugin's names from what was typed: ``Hair_Salon`` → ``hair-salon``,
    ``clientcard-hair-salon``, ``clientcard_hair_salon``; a bad name is an error."""
    name = given.strip().lower().replace("_", "-")
    name = name.removeprefix(PREFIX)
    if not NAME.match(name) or len(name) > MAX_NAME:
        raise ClientcardError(
            f"plugin name {given!r} is not valid; expected letters, digits and '-' "
            f"(at most {MAX_NAME}), starting with a letter, such as 'hair-salon'"
        )
    return Names(name=name, dist=f"{PREFIX}{name}", module=f"clientcard_{name.replace('-', '_')}")


def _clientcard_version() -> str:
    try:
        return importlib.metadata.version("clientcard")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        return "0.1"


def files(found: Names) -> dict[str, str]:
    """Path (relative to the package directory) → text of every file generated."""
    values = {
        "name": found.name,
        "dist": found.dist,
        "module": found.module,
        "version": _clientcard_version(),
        "exporter": f"{found.name}-contacts",
    }
    return {
        "pyproject.toml": PYPROJECT.format(**values),
        "README.md": README.format(**values),
        ".gitignore": GITIGNORE,
        f"src/{found.module}/__init__.py": INIT.format(**values),
        f"src/{found.module}/plugin.py": PLUGIN.format(**values),
        "tests/test_plugin.py": TEST.format(**values),
    }


def scaffold(given: str, parent: Path) -> tuple[Names, Path]:
    """Write the package for plugin ``given`` into ``parent/clientcard-NAME``.

    Refuses a bad name, a name an installed plugin already has, and an existing
    directory; then nothing is written.
    """
    found = names(given)
    taken = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    if found.name in taken:
        raise ClientcardError(
            f"an installed plugin is already named {found.name!r} (see 'clientcard plugins'); "
            "choose another name"
        )
    target = parent / found.dist
    if target.exists():
        raise ClientcardError(f"{target} already exists; choose another name or --dir")
    if parent.exists() and not parent.is_dir():
        raise ClientcardError(f"{parent} is not a directory; expected one for --dir")
    for relative, text in files(found).items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return found, target


@click.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Directory to create the package in.",
)
def new(name: str, parent: Path) -> None:
    """Start a plugin package: clientcard-NAME/ with the entry point, an example hook,
    a passing test and a README."""
    found, target = scaffold(name, parent)
    click.echo(f"created {target}/: plugin {found.name!r}, package {found.module}")
    click.echo(f'next: cd {target} && python -m pip install -e ".[test]" && python -m pytest')


# -- the templates -----------------------------------------------------------------------

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
description = "A clientcard plugin: {name}."
readme = "README.md"
requires-python = ">=3.11"
# license = "MIT"    # choose a licence (an SPDX expression) before publishing
keywords = ["clientcard", "clientcard-plugin"]
dependencies = ["clientcard>={version}"]

[project.optional-dependencies]
test = ["pytest>=8"]

# How clientcard finds the plugin: the entry-point group "clientcard"; "{name}" is
# the plugin's name in `clientcard plugins` and in `[plugins] disabled = ["{name}"]`;
# the value is the module holding the hooks.
[project.entry-points.clientcard]
{name} = "{module}.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

README = """\
# {dist}

A plugin for clientcard, the customer-records core of booking software. It
adds the export format `{exporter}`: the name and e-mail address of each
selected customer, one a line, for pasting into an e-mail program.

```sh
clientcard export --format {exporter} --output contacts.txt --tag vip
```

## Install

```sh
python -m pip install {dist}
```

clientcard finds it through its entry point; `clientcard plugins` lists it as
`{name}`. A business that does not want it writes `[plugins] disabled =
["{name}"]` in `clientcard.toml` (or sets `CLIENTCARD_DISABLE_PLUGINS={name}`).

## Develop

The hooks are in `src/{module}/plugin.py`: each function marked
`@hookimpl` and named after a clientcard hook is called by clientcard. Add
field types, rule sets, exporters, merge strategies, intake-form questions,
settings or commands there; the guide and every hook are in clientcard's
`docs/plugins.md`, and `examples/salon-plugin` in clientcard's repository is a
complete plugin with one of each.

```sh
python -m pip install -e ".[test]"
python -m pytest
```

The tests use the fixtures clientcard installs for pytest (`clientcard.testing`):
`clientcard_workspace` (a new workspace in a temporary directory),
`clientcard_cli` (runs `clientcard ...` against it) and the
`@pytest.mark.clientcard_plugins(...)` marker, which registers plugin objects for
one test.

## Publish

Set `version`, `description` and a `license` in `pyproject.toml`, then:

```sh
python -m pip install build twine
python -m build
python -m twine upload dist/*
```
"""

GITIGNORE = """\
__pycache__/
*.egg-info/
.pytest_cache/
build/
dist/
"""

INIT = '''\
"""The {name} plugin for clientcard (the hooks are in ``plugin.py``)."""
'''

PLUGIN = '''\
"""The hooks of the {name} plugin.

clientcard imports this module through the entry point in pyproject.toml and
calls every function below that is marked ``@hookimpl`` and named after one of
its hooks (see clientcard's docs/plugins.md for all of them:
clientcard_register_field_types, clientcard_register_rule_sets,
clientcard_register_form_collectors, clientcard_register_settings,
clientcard_status_changed ...).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import IO, Any

from clientcard import ExportContext, Exporter, hookimpl


class Contacts(Exporter):
    """``clientcard export --format {exporter}``: "Name <e-mail>", one customer a line."""

    name = "{exporter}"
    label = "Contacts ({name})"
    description = "Name and e-mail address of each selected customer that has one."
    extension = ".txt"

    def write(
        self, docs: Iterable[dict[str, Any]], context: ExportContext, out: IO[bytes]
    ) -> None:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="\\n")
        for doc in docs:  # one at a time: an export of 100,000 customers holds no copy
            if doc.get("email"):
                text.write(f"{{doc['name']}} <{{doc['email']}}>\\n")
        text.flush()
        text.detach()


@hookimpl
def clientcard_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Give clientcard the {exporter} export format."""
    register(Contacts())
'''

TEST = '''\
"""Tests of the {name} plugin, with the fixtures of clientcard.testing."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from {module} import plugin

# Register the plugin in every test's workspace (once installed, it is found anyway).
pytestmark = pytest.mark.clientcard_plugins(plugin)


def test_the_entry_point_is_installed() -> None:
    found = {{ep.name: ep.value for ep in entry_points(group="clientcard")}}
    assert found.get("{name}") == "{module}.plugin"


def test_the_exporter_writes_names_and_emails(clientcard_workspace: Any, tmp_path: Path) -> None:
    clientcard_workspace.add_customer("Giulia Bianchi", email="giulia@example.com")
    clientcard_workspace.add_customer("Marco Rossi")  # no e-mail address: left out
    out = tmp_path / "contacts.txt"
    assert clientcard_workspace.export("{exporter}", out) == 2
    assert out.read_text(encoding="utf-8") == "Giulia Bianchi <giulia@example.com>\\n"


def test_the_command_line(clientcard_cli: Any, tmp_path: Path) -> None:
    added = clientcard_cli("customers", "add", "--name", "Ana", "--email", "ana@example.com")
    assert added.exit_code == 0, added.stderr
    out = tmp_path / "contacts.txt"
    result = clientcard_cli("export", "--format", "{exporter}", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8") == "Ana <ana@example.com>\\n"
    listed = clientcard_cli("plugins")
    assert "{exporter}" in listed.stdout
'''
