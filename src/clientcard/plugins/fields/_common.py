"""Helpers shared by the built-in field types (not a plugin: it has no hooks)."""

from __future__ import annotations

from typing import Any

from clientcard.core.model import FieldDef


def titled(schema: dict[str, Any], field: FieldDef) -> dict[str, Any]:
    """Add the field's label (and its help, when there is one) to a JSON Schema fragment."""
    schema["title"] = field.label
    if field.help:
        schema["description"] = field.help
    return schema
