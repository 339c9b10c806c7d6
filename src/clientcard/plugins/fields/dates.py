"""Field types for time: ``date`` and ``datetime`` (a moment, stored in UTC).

Both read and show their dates in the Jalali calendar when the field's option
``calendar`` is ``"jalali"`` or the workspace's locale is Persian; they store
ISO Gregorian text either way (see ``_jalali.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields import _jalali
from clientcard.plugins.fields._common import titled

# date.fromisoformat() also takes "20250301" and "2025-W09-6"; a person who
# typed those more likely made a mistake than meant ISO week dates.
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A date and a time of day (hours and minutes at least); what follows is left
# to datetime.fromisoformat(): seconds, fractions, "Z" or an offset.
_DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*", re.ASCII)
# The same in a Jalali field: its day as _jalali reads it, then the time.
_JALALI_DATETIME = re.compile(r"(\S+?)[T ]([0-9]{2}:[0-9]{2}.*)", re.ASCII)

_CALENDAR = {"calendar": "the calendar dates are typed and shown in: 'jalali' or 'gregorian'"}


def _check_calendar(name: str, value: JSONValue) -> str:
    try:
        return _jalali.check_calendar(value)
    except ValueError as exc:
        raise FieldValueError(str(exc)) from None


class DateType(FieldType):
    """A calendar date, stored as ``YYYY-MM-DD``."""

    name = "date"
    label = "Date"
    description = "A day in the calendar without a time, such as a birthday or a first visit."

    _EXPECTED = "a date as YYYY-MM-DD, such as 2025-03-01"
    accepted_options = _CALENDAR

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        return _check_calendar(name, value)

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        if _jalali.is_jalali(field, ctx):
            return self._parse_jalali(text)
        if not _DATE_TEXT.fullmatch(text):
            raise FieldValueError(self._EXPECTED)
        try:
            return date.fromisoformat(text)
        except ValueError:
            # The shape was right, so the day does not exist (2024-02-30).
            raise FieldValueError(f"{self._EXPECTED} that exists in the calendar") from None

    def _parse_jalali(self, text: str) -> date:
        try:
            return _jalali.read_day(text)
        except LookupError:
            raise FieldValueError(_jalali.DATE_EXPECTED) from None
        except ValueError:
            raise FieldValueError(f"{_jalali.DATE_EXPECTED}, that exists in the calendar") from None

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> date:
        if isinstance(value, str):
            value = self.parse_text(value.strip(), field, ctx)
        jalali = _jalali.is_jalali(field, ctx)
        # A datetime is a date too, but silently dropping its time would lose data.
        if isinstance(value, datetime) or not isinstance(value, date):
            raise FieldValueError(_jalali.DATE_EXPECTED if jalali else self._EXPECTED)
        if jalali and not _jalali.shows_in_jalali(value):
            # it could not be shown in Jalali and read back as the same day
            raise FieldValueError(_jalali.RANGE_EXPECTED)
        return value

    def dump(self, value: Any) -> JSONValue:
        return value.isoformat()

    def load(self, raw: JSONValue) -> Any:
        return date.fromisoformat(raw)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        if _jalali.is_jalali(field, ctx):
            try:
                return _jalali.write_day(date.fromisoformat(raw))
            except (TypeError, ValueError):
                pass  # not an ISO date (edited by hand): shown as it is
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        if _jalali.is_jalali(field, ctx):
            # a Jalali date as typed, or the ISO date a date picker sends
            schema = {"type": "string", "pattern": _jalali.DAY_PATTERN, "x-calendar": "jalali"}
            return titled(schema, field)
        return titled({"type": "string", "format": "date"}, field)


class DateTimeType(FieldType):
    """A moment in time, stored in UTC such as ``2025-03-01T09:30:00+00:00``.

    A date and time written without an offset is taken as local time in the
    workspace's time zone; tables show values in that time zone, with the
    offset, so that the text reads back as the same moment.
    """

    name = "datetime"
    label = "Date and time"
    description = "A day and a time of day, such as when a gift voucher was sold."

    _EXPECTED = "a date and time as YYYY-MM-DDTHH:MM, such as 2025-03-01T10:30"
    _JALALI_EXPECTED = (
        "a date in the Jalali calendar and a time as YYYY/MM/DD HH:MM, such as "
        "1403/01/01 10:30 (or a Gregorian one as YYYY-MM-DDTHH:MM)"
    )
    accepted_options = _CALENDAR

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        return _check_calendar(name, value)

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        if _jalali.is_jalali(field, ctx):
            return self._parse_jalali(text)
        if not _DATETIME_TEXT.fullmatch(text):
            raise FieldValueError(self._EXPECTED)
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise FieldValueError(self._EXPECTED) from None

    def _parse_jalali(self, text: str) -> datetime:
        found = _JALALI_DATETIME.fullmatch(text.translate(_jalali.DIGITS).strip())
        if found is None:
            raise FieldValueError(self._JALALI_EXPECTED)
        try:
            day = _jalali.read_day(found[1])
            return datetime.fromisoformat(f"{day.isoformat()}T{found[2]}")
        except (LookupError, ValueError):
            raise FieldValueError(self._JALALI_EXPECTED) from None

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> datetime:
        if isinstance(value, str):
            value = self.parse_text(value.strip(), field, ctx)
        if not isinstance(value, datetime):
            jalali = _jalali.is_jalali(field, ctx)
            raise FieldValueError(self._JALALI_EXPECTED if jalali else self._EXPECTED)
        try:
            utc = self._to_utc(value, ctx)
        except OverflowError:
            raise FieldValueError(self._EXPECTED) from None
        # Any time zone's offset moves at most a day; this margin keeps
        # render() from overflowing datetime's range in year 1 or 9999.
        if not 1 < utc.year < 9999:
            raise FieldValueError(f"{self._EXPECTED}, in the years 2 to 9998")
        if _jalali.is_jalali(field, ctx) and utc.astimezone(ctx.timezone).date() < _jalali.FIRST:
            # shown in ISO, it would read back as a Jalali date
            raise FieldValueError(_jalali.RANGE_EXPECTED)
        return utc

    def _to_utc(self, value: datetime, ctx: FieldContext) -> datetime:
        if value.utcoffset() is None:
            local = value.replace(tzinfo=ctx.timezone)
            # A wall-clock time skipped when clocks go forward does not exist;
            # zoneinfo would quietly shift it, so the stored moment would not
            # be what was typed.  (A repeated hour takes its first occurrence.)
            if local.astimezone(UTC).astimezone(ctx.timezone).replace(tzinfo=None) != value:
                raise FieldValueError(
                    f"{self._EXPECTED}, that exists in {ctx.timezone.key} "
                    "(the clocks skip that time when they go forward)"
                )
            value = local
        return value.astimezone(UTC)

    def dump(self, value: Any) -> JSONValue:
        return value.isoformat()

    def load(self, raw: JSONValue) -> Any:
        return datetime.fromisoformat(raw)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        local = datetime.fromisoformat(raw).astimezone(ctx.timezone)
        if _jalali.is_jalali(field, ctx) and _jalali.shows_in_jalali(local.date()):
            return f"{_jalali.write_day(local.date())} {local.isoformat().partition('T')[2]}"
        return local.isoformat()

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        if _jalali.is_jalali(field, ctx):
            # a Jalali date and time as typed, or the ISO date-time a picker sends
            schema = {
                "type": "string",
                "pattern": f"{_jalali.DAY_PATTERN.removesuffix('$')}[T ]{_jalali.ANY_DIGIT}{{2}}:",
                "x-calendar": "jalali",
            }
            return titled(schema, field)
        return titled({"type": "string", "format": "date-time"}, field)


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(DateType())
    register(DateTimeType())
