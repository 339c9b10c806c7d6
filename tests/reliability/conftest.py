"""The reliability suite (issue 15): kills at chosen I/O steps, concurrent access, damaged
files and fuzzed input.

Every test here is marked ``reliability`` (``pytest -m reliability`` runs the suite
alone, ``-m "not reliability"`` leaves it out).  Sized for CI (a few minutes in all);
``CLIENTCARD_RELIABILITY_SCALE=10 python -m pytest tests/reliability`` runs ten times
the kills, operations and examples for a long local run.

Each test records one line of figures with the ``figure`` fixture ("kills: 100 runs,
..., 0 lost writes ..."), or counts its case in a group with ``tally`` (one line per
group); they are printed together at the end of the run, in the "reliability
figures" section, so that the CI log shows them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable

import pytest

FIGURES = pytest.StashKey[list[str]]()
TALLIES = pytest.StashKey[dict[str, Counter[str]]]()


def reliability_scale() -> float:
    """CLIENTCARD_RELIABILITY_SCALE: how many times the default work to do (default 1)."""
    raw = os.environ.get("CLIENTCARD_RELIABILITY_SCALE", "1")
    try:
        scale = float(raw)
    except ValueError:
        raise pytest.UsageError(f"CLIENTCARD_RELIABILITY_SCALE={raw!r} is not a number") from None
    if scale <= 0:
        raise pytest.UsageError(f"CLIENTCARD_RELIABILITY_SCALE={raw!r} must be above 0")
    return scale


@pytest.fixture(scope="session")
def scaled() -> Callable[[int], int]:
    """``scaled(n)``: n times CLIENTCARD_RELIABILITY_SCALE (at least 1)."""
    scale = reliability_scale()
    return lambda n: max(1, round(n * scale))


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``figure(line)``: a line of figures shown at the end of the run under the test's name."""
    found = request.config.stash.setdefault(FIGURES, [])
    name = request.node.nodeid.rpartition("/")[2]

    def record(line: str) -> None:
        found.append(f"{name}: {line}")
        print(line)  # also with the test's own output when it fails

    return record


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``tally(group, outcome, n=1)``: count cases of a group (of parametrized tests, or of
    examples); each group is shown at the end as one line ("damaged files: 30 cases: 12
    a clear error, ...")."""
    found = request.config.stash.setdefault(TALLIES, {})

    def count(group: str, outcome: str, n: int = 1) -> None:
        found.setdefault(group, Counter())[outcome] += n

    return count


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = list(terminalreporter.config.stash.get(FIGURES, []))
    for group, counts in terminalreporter.config.stash.get(TALLIES, {}).items():
        shown = ", ".join(f"{n} {outcome}" for outcome, n in counts.most_common())
        lines.append(f"{group}: {counts.total()} cases: {shown}")
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
