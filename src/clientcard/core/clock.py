"""Small helpers the workspace parts share: the time, ids, error text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clientcard.core.errors import ValidationError


def utc_now() -> datetime:
    """Now, in UTC: every stored moment is UTC."""
    return datetime.now(UTC)


def as_id(value: Any, row: int | None) -> int:
    """A customer id given as an int or as digits; anything else names the row."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ValidationError("customer_id", value, "a customer id (a whole number)", row=row)


def first_error(exc: BaseException) -> str:
    """The first underlying message of a (cattrs) exception group."""
    subs = getattr(exc, "exceptions", None)
    if subs:
        return first_error(subs[0])
    notes = getattr(exc, "__notes__", None)
    return f"{exc}" + (f" ({notes[0]})" if notes else "")
