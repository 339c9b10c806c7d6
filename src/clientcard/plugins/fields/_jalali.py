"""The Jalali (Solar Hijri) calendar for the field types (not a plugin: it has no hooks).

The calendar and the one rule every date follows live in
:mod:`clientcard.fields.dates`, which the CLI's options and tables use too; this
module keeps the names the field-type plugins import.  A ``date`` or
``datetime`` field reads and shows its dates in the Jalali calendar when its
option ``calendar`` is ``"jalali"``, or when it has no such option and the
workspace's locale is Persian (``fa``, ``fa-IR``).  What is stored never
changes: ISO Gregorian text.
"""

from __future__ import annotations

from clientcard.core.fields import FieldContext
from clientcard.core.model import FieldDef
from clientcard.fields.dates import (
    ANY_DIGIT,
    ARABIC_DIGITS,
    CALENDARS,
    DAY,
    DAY_PATTERN,
    DIGITS,
    END,
    FIRST,
    GREGORIAN_FROM,
    JALALI,
    PERSIAN_DIGITS,
    RANGE_EXPECTED,
    check_calendar,
    field_calendar,
    read_day,
    shows_in_jalali,
    write_day,
)

__all__ = [
    "ANY_DIGIT",
    "ARABIC_DIGITS",
    "CALENDARS",
    "DAY",
    "DAY_PATTERN",
    "DIGITS",
    "END",
    "FIRST",
    "GREGORIAN_FROM",
    "PERSIAN_DIGITS",
    "RANGE_EXPECTED",
    "check_calendar",
    "is_jalali",
    "read_day",
    "shows_in_jalali",
    "write_day",
]


def is_jalali(field: FieldDef, ctx: FieldContext) -> bool:
    """Whether ``field`` reads and shows Jalali dates: its option, else the locale."""
    return field_calendar(field, ctx) == JALALI
