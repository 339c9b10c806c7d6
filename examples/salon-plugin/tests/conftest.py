"""Every test here gets a workspace with the salon plugin, through clientcard.testing.

clientcard installs the pytest plugin ``clientcard.testing``; its fixtures
(``clientcard_workspace``, ``clientcard_cli`` ...) read the two fixtures below.
Installed, the plugin is in every workspace anyway; naming it here also lets
the tests run from a checkout (``PYTHONPATH=src pytest``) before installing.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientcard_salon import plugin


@pytest.fixture
def clientcard_plugins() -> list[object]:
    return [plugin]


@pytest.fixture
def clientcard_settings() -> dict[str, Any]:
    return {
        "workspace.region": "IT",
        "workspace.currency": "EUR",
        "status.rule_set": "regulars",
    }
