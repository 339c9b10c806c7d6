"""Deprecated: the exporter contract lives in :mod:`clientcard.transfer.export`.

Import ``Exporter``, ``ExportContext``, ``neutralise`` and ``restore`` from
``clientcard`` instead.  This module goes in clientcard 0.3.
"""

from __future__ import annotations

import warnings
from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)  # the import system's questions (__path__ ...)
    # a plugin written for clientcard 0.1 keeps working, and is told where to look
    from clientcard.transfer import export

    warnings.warn(
        f"clientcard.core.export.{name} moved: import it from clientcard",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(export, name)
