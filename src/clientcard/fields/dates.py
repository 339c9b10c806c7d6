"""Dates as people type and read them: one rule for every date, per workspace.

docs/fields.md ("Dates: how they are read and shown") is the user's version.

- **The calendar.**  A workspace whose locale is Persian (``fa``, ``fa-IR``)
  reads and shows dates in the Jalali (Solar Hijri) calendar, any other in the
  Gregorian one (:func:`calendar_of`).  A ``date`` or ``datetime`` field's
  option ``calendar`` sets it for that field: for its values and for the
  filters on it (``--where``; ``--joined-from``/``--joined-to`` filter
  ``joined_at``), :func:`field_calendar`.  Every other date (``--as-of``, a
  booking's date, ``--last-booking-before``...) is in the workspace's calendar.
- **Read** (:func:`read_date`, :func:`read_moment`): Gregorian dates as
  ``YYYY-MM-DD``; Jalali ones as ``YYYY/MM/DD`` or ``YYYY-MM-DD`` (month and
  day may have one digit), where a year from :data:`GREGORIAN_FROM` (1700) on
  is Gregorian, so the ISO dates forms and other software send still read
  right.  Persian and Arabic-Indic digits are read as ASCII in both.
- **Shown** (:func:`show_date`, :func:`show_moment`): ``2025-03-01`` or
  ``1403/12/11`` (ASCII digits, slashes: never mistaken for an ISO date).
- **Stored** and written to JSON: ISO Gregorian text, always.

Every command and field type goes through these functions, so the places a
date is read or shown cannot drift apart again.  ``jdatetime`` is imported on
first use: what shows no Jalali date does not pay for it.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, tzinfo

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext
from clientcard.core.model import FieldDef

GREGORIAN = "gregorian"
JALALI = "jalali"
CALENDARS = (GREGORIAN, JALALI)
#: Persian and Arabic-Indic digits, as ASCII
PERSIAN_DIGITS = "".join(map(chr, range(0x06F0, 0x06FA)))
ARABIC_DIGITS = "".join(map(chr, range(0x0660, 0x066A)))
DIGITS = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2)
#: a digit in any of those scripts, in a JSON Schema pattern
ANY_DIGIT = "[0-9\u06f0-\u06f9\u0660-\u0669]"
#: from this year on, a date written in the Jalali calendar is a Gregorian date
GREGORIAN_FROM = 1700
#: the Gregorian days that have a Jalali date below GREGORIAN_FROM: 0001/01/01 to 1699/12/29
FIRST = date(622, 3, 21)
END = date(2321, 3, 21)  # Jalali 1700/01/01, the first day not shown in Jalali

#: a day as the Jalali calendar takes it (after DIGITS)
DAY = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})", re.ASCII)
#: a day as a form may send it in a Jalali field (any of the digits above)
DAY_PATTERN = f"^{ANY_DIGIT}{{4}}[-/]{ANY_DIGIT}{{1,2}}[-/]{ANY_DIGIT}{{1,2}}$"
# date.fromisoformat() also takes "20250301" and "2025-W09-6"; a person who
# typed those more likely made a mistake than meant ISO week dates.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# A date and a time of day (hours and minutes at least); what follows is left
# to datetime.fromisoformat(): seconds, fractions, "Z" or an offset.
_ISO_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*", re.ASCII)
_JALALI_MOMENT = re.compile(r"(\S+?)[T ]([0-9]{2}:[0-9]{2}.*)", re.ASCII)
# an ISO date inside a sentence (a rule set's reason), not part of a longer number
_ISO_IN_TEXT = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])", re.ASCII)

DATE_EXPECTED = {
    GREGORIAN: "a date in the Gregorian calendar as YYYY-MM-DD, such as 2025-03-01",
    JALALI: (
        "a date in the Jalali calendar as YYYY/MM/DD, such as 1403/01/01 "
        "(or a Gregorian date as YYYY-MM-DD, such as 2024-03-20)"
    ),
}
MOMENT_EXPECTED = {
    GREGORIAN: (
        "a date in the Gregorian calendar and a time as YYYY-MM-DDTHH:MM, such as 2025-03-01T10:30"
    ),
    JALALI: (
        "a date in the Jalali calendar and a time as YYYY/MM/DD HH:MM, such as "
        "1403/01/01 10:30 (or a Gregorian one as YYYY-MM-DDTHH:MM)"
    ),
}
RANGE_EXPECTED = "a date from 0001/01/01 to 1699/12/29 in the Jalali calendar"
#: a date that may have a time (a booking's): what each calendar takes
DAY_OR_MOMENT_EXPECTED = {
    GREGORIAN: (
        "a date in the Gregorian calendar as YYYY-MM-DD (2025-03-01), "
        "or a date and time (2025-03-01T10:30)"
    ),
    JALALI: (
        "a date in the Jalali calendar as YYYY/MM/DD (1403/01/01), "
        "or a date and time (1403/01/01 10:30)"
    ),
}


def check_calendar(value: object) -> str:
    """The option ``calendar`` normalised, or ValueError saying what it may be."""
    if isinstance(value, str) and value.strip().lower() in CALENDARS:
        return value.strip().lower()
    raise ValueError(" or ".join(repr(c) for c in CALENDARS))


@functools.lru_cache(maxsize=16)
def calendar_of(locale: str) -> str:
    """The calendar of a workspace whose locale is ``locale``: Jalali for Persian."""
    persian = locale.replace("_", "-").split("-")[0].strip().lower() == "fa"
    return JALALI if persian else GREGORIAN


def field_calendar(field: FieldDef | None, ctx: FieldContext) -> str:
    """The calendar ``field``'s dates are read and shown in: its option ``calendar``,
    else the workspace's (also for no field at all)."""
    option = None if field is None else field.options.get("calendar")
    if option is not None:
        return JALALI if option == JALALI else GREGORIAN
    return calendar_of(ctx.locale)


def date_expected(calendar: str) -> str:
    """What a date typed in ``calendar`` looks like, for error messages."""
    return DATE_EXPECTED[calendar]


def read_date(text: str, calendar: str) -> date:
    """A date typed by a person in ``calendar``, as a :class:`datetime.date`.

    Raises :class:`FieldValueError` naming the calendar and the form expected.
    """
    plain = text.translate(DIGITS).strip()
    if calendar == JALALI:
        try:
            return read_day(plain)
        except LookupError:
            raise FieldValueError(DATE_EXPECTED[JALALI]) from None
        except ValueError:
            raise FieldValueError(f"{DATE_EXPECTED[JALALI]}, that exists in the calendar") from None
    if not _ISO_DAY.fullmatch(plain):
        raise FieldValueError(DATE_EXPECTED[GREGORIAN])
    try:
        return date.fromisoformat(plain)
    except ValueError:
        # The shape was right, so the day does not exist (2024-02-30).
        raise FieldValueError(f"{DATE_EXPECTED[GREGORIAN]}, that exists in the calendar") from None


def read_moment(text: str, calendar: str) -> datetime:
    """A date and time typed in ``calendar`` (naive unless an offset is given)."""
    plain = text.translate(DIGITS).strip()
    expected = MOMENT_EXPECTED[calendar]
    if calendar == JALALI:
        found = _JALALI_MOMENT.fullmatch(plain)
        if found is None:
            raise FieldValueError(expected)
        try:
            day = read_day(found[1])
            return datetime.fromisoformat(f"{day.isoformat()}T{found[2]}")
        except (LookupError, ValueError):
            raise FieldValueError(expected) from None
    if not _ISO_MOMENT.fullmatch(plain):
        raise FieldValueError(expected)
    try:
        return datetime.fromisoformat(plain)
    except ValueError:
        raise FieldValueError(expected) from None


def show_date(value: date | str | None, calendar: str) -> str:
    """A stored date (ISO text or a date) as people read it in ``calendar``.

    ``""`` for None; text that is not an ISO date (a value edited by hand) is
    shown as it is rather than failing a whole table.
    """
    if value is None:
        return ""
    if calendar != JALALI:
        return value if isinstance(value, str) else value.isoformat()
    if isinstance(value, str):
        if not _ISO_DAY.fullmatch(value):
            return value
        try:
            return _jalali_text(value)
        except ValueError:
            return value
    return _jalali_text(value.isoformat())


def show_moment(
    value: datetime | str | None, calendar: str, zone: tzinfo, *, exact: bool = False
) -> str:
    """A stored moment (UTC) as people read it: in ``zone``, the date in ``calendar``.

    For tables, to the minute: ``2025-03-01 10:30`` or ``1403/12/11 10:30``.
    ``exact=True`` keeps seconds and the offset, so the text reads back as the
    same moment (``1403/12/11 10:30:00+03:30``; ISO 8601 in the Gregorian
    calendar): what a field value's text and exports use.
    """
    if value is None:
        return ""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        local = moment.astimezone(zone)
    except (ValueError, OverflowError):
        return str(value)
    day = local.date()
    shown = show_date(day, calendar) if shows_in_jalali(day) else day.isoformat()
    if exact:
        if shown == day.isoformat():
            return local.isoformat()
        return f"{shown} {local.isoformat().partition('T')[2]}"
    return f"{shown} {local:%H:%M}"


def show_dates_in(text: str, calendar: str) -> str:
    """``text`` with the ISO dates in it shown in ``calendar``.

    For sentences a plugin wrote with ISO dates, such as a rule set's reason
    ("Latest completed booking on 2025-05-26") or an action's summary; they
    are stored that way, so only showing them can follow the calendar.
    """
    if calendar != JALALI or not text:
        return text
    return _ISO_IN_TEXT.sub(lambda found: show_date(found[0], calendar), text)


# -- the Jalali calendar ---------------------------------------------------------------


def read_day(text: str) -> date:
    """A day written in the Jalali calendar (ASCII digits), as a Gregorian date.

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
    return _jalali_text(day.isoformat())


@functools.lru_cache(maxsize=4096)
def _jalali_text(iso: str) -> str:
    # a table shows the same few hundred days over and over
    day = date.fromisoformat(iso)
    if not shows_in_jalali(day):
        return iso
    import jdatetime

    jalali = jdatetime.date.fromgregorian(date=day)
    return f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"
