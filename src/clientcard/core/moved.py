"""Old import paths that still answer, with a DeprecationWarning naming the new one."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def moved_to(old: str, new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old`` that takes each name from module ``new``.

    The new module is imported by name when first asked for, so the core does
    not depend on the capability that now holds the names.
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # the import system's questions (__path__ ...)
        warnings.warn(
            f"{old}.{name} moved: import it from clientcard", DeprecationWarning, stacklevel=2
        )
        return getattr(importlib.import_module(new), name)

    return __getattr__
