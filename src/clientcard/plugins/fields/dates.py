"""Field types for time: ``date`` and ``datetime`` (a moment, stored in UTC).

Both read and show their dates by the one rule every date follows
(:mod:`clientcard.fields.dates`): in the Jalali calendar when the field's option
``calendar`` is ``"jalali"`` or the workspace's locale is Persian, else the
Gregorian one; they store ISO Gregorian text either way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.fields import dates
from clientcard.plugins.fields._common import titled

_CALENDAR = {"calendar": "the calendar dates are typed and shown in: 'jalali' or 'gregorian'"}


def _check_calendar(name: str, value: JSONValue) -> str:
    try:
        return dates.check_calendar(value)
    except ValueError as exc:
        raise FieldValueError(str(exc)) from None


class DateType(FieldType):
    """A calendar date, stored as ``YYYY-MM-DD``."""

    name = "date"
    label = "Date"
    description = "A day in the calendar without a time, such as a birthday or a first visit."

    accepted_options = _CALENDAR

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        return _check_calendar(name, value)

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        return dates.read_date(text, dates.field_calendar(field, ctx))

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> date:
        if isinstance(value, str):
            value = self.parse_text(value.strip(), field, ctx)
        calendar = dates.field_calendar(field, ctx)
        # A datetime is a date too, but silently dropping its time would lose data.
        if isinstance(value, datetime) or not isinstance(value, date):
            raise FieldValueError(dates.date_expected(calendar))
        if calendar == dates.JALALI and not dates.shows_in_jalali(value):
            # it could not be shown in Jalali and read back as the same day
            raise FieldValueError(dates.RANGE_EXPECTED)
        return value

    def dump(self, value: Any) -> JSONValue:
        return value.isoformat()

    def load(self, raw: JSONValue) -> Any:
        return date.fromisoformat(raw)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        # text that is not an ISO date (edited by hand) is shown as it is
        return dates.show_date(str(raw), dates.field_calendar(field, ctx))

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        if dates.field_calendar(field, ctx) == dates.JALALI:
            # a Jalali date as typed, or the ISO date a date picker sends
            schema = {"type": "string", "pattern": dates.DAY_PATTERN, "x-calendar": "jalali"}
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

    accepted_options = _CALENDAR

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        return _check_calendar(name, value)

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        return dates.read_moment(text, dates.field_calendar(field, ctx))

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> datetime:
        if isinstance(value, str):
            value = self.parse_text(value.strip(), field, ctx)
        calendar = dates.field_calendar(field, ctx)
        expected = dates.MOMENT_EXPECTED[calendar]
        if not isinstance(value, datetime):
            raise FieldValueError(expected)
        try:
            utc = self._to_utc(value, ctx, expected)
        except OverflowError:
            raise FieldValueError(expected) from None
        # Any time zone's offset moves at most a day; this margin keeps
        # render() from overflowing datetime's range in year 1 or 9999.
        if not 1 < utc.year < 9999:
            raise FieldValueError(f"{expected}, in the years 2 to 9998")
        if calendar == dates.JALALI and utc.astimezone(ctx.timezone).date() < dates.FIRST:
            # shown in ISO, it would read back as a Jalali date
            raise FieldValueError(dates.RANGE_EXPECTED)
        return utc

    def _to_utc(self, value: datetime, ctx: FieldContext, expected: str) -> datetime:
        if value.utcoffset() is None:
            local = value.replace(tzinfo=ctx.timezone)
            # A wall-clock time skipped when clocks go forward does not exist;
            # zoneinfo would quietly shift it, so the stored moment would not
            # be what was typed.  (A repeated hour takes its first occurrence.)
            if local.astimezone(UTC).astimezone(ctx.timezone).replace(tzinfo=None) != value:
                raise FieldValueError(
                    f"{expected}, that exists in {ctx.timezone.key} "
                    "(the clocks skip that time when they go forward)"
                )
            value = local
        return value.astimezone(UTC)

    def dump(self, value: Any) -> JSONValue:
        return value.isoformat()

    def load(self, raw: JSONValue) -> Any:
        return datetime.fromisoformat(raw)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        calendar = dates.field_calendar(field, ctx)
        return dates.show_moment(str(raw), calendar, ctx.timezone, exact=True)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled(moment_schema(field, ctx), field)


#: an ISO 8601 date and time, with or without seconds and an offset: what an HTML
#: datetime-local input sends ("2025-03-01T09:30", read in the workspace's time
#: zone) and what JavaScript's toISOString() does ("2025-03-01T08:30:00.000Z").
#: "format": "date-time" would refuse the first, which needs an offset.
ISO_MOMENT = (
    r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    r"(:[0-5][0-9](\.[0-9]+)?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?\s*$"
)


def moment_schema(field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
    """The JSON Schema of a date and time as the ``datetime`` type reads it for
    ``field`` (whether a day exists is the server's to say)."""
    if dates.field_calendar(field, ctx) == dates.JALALI:
        # a Jalali date and time as typed, or the ISO date-time a picker sends
        return {
            "type": "string",
            "pattern": f"{dates.DAY_PATTERN.removesuffix('$')}[T ]{dates.ANY_DIGIT}{{2}}:",
            "x-calendar": "jalali",
        }
    return {"type": "string", "pattern": ISO_MOMENT}


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(DateType())
    register(DateTimeType())
