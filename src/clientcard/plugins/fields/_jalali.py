"""The Jalali (Solar Hijri) calendar for the date types (not a plugin: it has no hooks).

A ``date`` or ``datetime`` field reads and shows its dates in the Jalali
calendar when its option ``calendar`` is ``"jalali"``, or when it has no such
option and the workspace's locale is Persian (``fa``, ``fa-IR``).  What is
stored never changes: ISO Gregorian text, so sorting, filters, classification
and other software see one calendar.

Reading, in a Jalali field:

- ``YYYY/MM/DD`` or ``YYYY-MM-DD`` (month and day may have one digit), in
  ASCII, Persian or Arabic-Indic digits;
- a year from :data:`GREGORIAN_FROM` (1700) on is a Gregorian year: Jalali
  1700 is Gregorian 2321, so the two ranges do not meet, and a Jalali field
  still takes the ISO dates that forms, host applications and other software
  send (``2024-03-20``).

Shown as ``YYYY/MM/DD`` with ASCII digits: the slashes Persian writing uses,
which also keep a Jalali date from being mistaken for an ISO one.

``jdatetime`` is imported on first use: commands that show no Jalali date do
not pay for it.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from clientcard.core.fields import FieldContext
from clientcard.core.model import FieldDef

CALENDARS = ("gregorian", "jalali")
#: Persian and Arabic-Indic digits, as ASCII
PERSIAN_DIGITS = "".join(map(chr, range(0x06F0, 0x06FA)))
ARABIC_DIGITS = "".join(map(chr, range(0x0660, 0x066A)))
DIGITS = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2)
#: a digit in any of those scripts, in a JSON Schema pattern
ANY_DIGIT = "[0-9\u06f0-\u06f9\u0660-\u0669]"
#: from this year on, a date written in a Jalali field is a Gregorian date
GREGORIAN_FROM = 1700
#: the Gregorian days that have a Jalali date below GREGORIAN_FROM: 0001/01/01 to 1699/12/29
FIRST = date(622, 3, 21)
END = date(2321, 3, 21)  # Jalali 1700/01/01, the first day not shown in Jalali

DAY = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})", re.ASCII)
#: a day as a form may send it in a Jalali field (any of the digits above)
DAY_PATTERN = f"^{ANY_DIGIT}{{4}}[-/]{ANY_DIGIT}{{1,2}}[-/]{ANY_DIGIT}{{1,2}}$"

DATE_EXPECTED = (
    "a date in the Jalali calendar as YYYY/MM/DD, such as 1403/01/01 "
    "(or a Gregorian date as YYYY-MM-DD, such as 2024-03-20)"
)
RANGE_EXPECTED = "a date from 0001/01/01 to 1699/12/29 in the Jalali calendar"


def is_jalali(field: FieldDef, ctx: FieldContext) -> bool:
    """Whether ``field`` reads and shows Jalali dates: its option, else the locale."""
    calendar = field.options.get("calendar")
    if calendar is not None:
        return bool(calendar == "jalali")
    return _persian(ctx.locale)


@functools.lru_cache(maxsize=16)
def _persian(locale: str) -> bool:
    return locale.replace("_", "-").split("-")[0].strip().lower() == "fa"


def check_calendar(value: object) -> str:
    """The option ``calendar`` normalised, or ValueError."""
    if isinstance(value, str) and value.strip().lower() in CALENDARS:
        return value.strip().lower()
    raise ValueError(" or ".join(repr(c) for c in CALENDARS))


def read_day(text: str) -> date:
    """A day written in a Jalali field, as a Gregorian date.

    Raises ``LookupError`` when ``text`` is not shaped like a date and
    ``ValueError`` when it is, but the day does not exist.
    """
    found = DAY.fullmatch(text.translate(DIGITS).strip())
    if found is None:
        raise LookupError(text)
    year, month, day = (int(part) for part in found.groups())
    if year >= GREGORIAN_FROM:
        return date(year, month, day)
    if year < 1:
        raise ValueError(text)
    import jdatetime

    gregorian: date = jdatetime.date(year, month, day).togregorian()
    return gregorian


def shows_in_jalali(day: date) -> bool:
    """Whether ``day`` has a Jalali date that reads back as itself (below 1700)."""
    return FIRST <= day < END


def write_day(day: date) -> str:
    """``day`` as a Jalali ``YYYY/MM/DD`` (ISO when it has none that reads back)."""
    if not shows_in_jalali(day):
        return day.isoformat()
    import jdatetime

    jalali = jdatetime.date.fromgregorian(date=day)
    return f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"
