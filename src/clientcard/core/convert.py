"""The one cattrs converter, used where records cross a boundary (store, CLI, JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import cattrs

converter = cattrs.Converter(forbid_extra_keys=True)
converter.register_unstructure_hook(datetime, lambda value: value.isoformat())
converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
converter.register_unstructure_hook(date, lambda value: value.isoformat())
converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))


def to_json(record: Any) -> Any:
    """Return ``record`` as plain JSON-able data."""
    return converter.unstructure(record)


def from_json(data: Any, cls: type[Any]) -> Any:
    """Build a ``cls`` from plain data, raising cattrs' errors on mismatches."""
    return converter.structure(data, cls)
