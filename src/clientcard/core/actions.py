"""Deprecated: the action-kind contract lives in :mod:`clientcard.actions.kinds`.

Import ``Action`` and ``ActionKind`` from ``clientcard`` instead.  This
module goes in clientcard 0.3.
"""

from __future__ import annotations

import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)  # the import system's questions (__path__ ...)
    # a plugin written for clientcard 0.1 keeps working, and is told where to look
    from clientcard.actions import kinds

    warnings.warn(
        f"clientcard.core.actions.{name} moved: import it from clientcard",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(kinds, name)
