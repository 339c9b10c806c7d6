"""Documentation that must keep up with the code: every hook documented and tested."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clientcard.core import hookspecs

ROOT = Path(__file__).parent.parent
HOOKS = sorted(name for name in vars(hookspecs) if name.startswith("clientcard_"))


def test_there_are_hooks() -> None:
    assert "clientcard_register_field_types" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook: str) -> None:
    headings = re.findall(r"^### (\w+)$", (ROOT / "docs" / "plugins.md").read_text(), re.MULTILINE)
    assert hook in headings, f"docs/plugins.md has no '### {hook}' section"


def test_documentation_names_no_hook_that_does_not_exist() -> None:
    headings = re.findall(
        r"^### (clientcard_\w+)$", (ROOT / "docs" / "plugins.md").read_text(), re.MULTILINE
    )
    assert sorted(headings) == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_docs.py"]
    assert any(hook in p.read_text() for p in tests), f"no test implements {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_docstring(hook: str) -> None:
    assert (getattr(hookspecs, hook).__doc__ or "").strip()
