"""Field types for time: ``date`` and ``datetime`` (a moment, stored in UTC)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields._common import titled

# date.fromisoformat() also takes "20250301" and "2025-W09-6"; a person who
# typed those more likely made a mistake than meant ISO week dates.
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A date and a time of day (hours and minutes at least); what follows is left
# to datetime.fromisoformat(): seconds, fractions, "Z" or an offset.
_DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*", re.ASCII)


class DateType(FieldType):
    """A calendar date, stored as ``YYYY-MM-DD``."""

    name = "date"
    label = "Date"
    description = "A day in the calendar without a time, such as a birthday or a first visit."

    _EXPECTED = "a date as YYYY-MM-DD, such as 2025-03-01"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        if not _DATE_TEXT.fullmatch(text):
            raise FieldValueError(self._EXPECTED)
        try:
            return date.fromisoformat(text)
        except ValueError:
            # The shape was right, so the day does not exist (2024-02-30).
            raise FieldValueError(f"{self._EXPECTED} that exists in the calendar") from None

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> date:
        if isinstance(value, str):
            value = self.parse_text(value.strip(), field, ctx)
        # A datetime is a date too, but silently dropping its time would lose data.
        if isinstance(value, datetime) or not isinstance(value, date):
            raise FieldValueError(self._EXPECTED)
        return value

    def dump(self, value: Any) -> JSONValue:
        return value.isoformat()

    def load(self, raw: JSONValue) -> Any:
        return date.fromisoformat(raw)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
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

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        if not _DATETIME_TEXT.fullmatch(text):
            raise FieldValueError(self._EXPECTED)
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            raise FieldValueError(self._EXPECTED) from None

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> datetime:
        if isinstance(value, str):
            value = self.parse_text(value.strip(), field, ctx)
        if not isinstance(value, datetime):
            raise FieldValueError(self._EXPECTED)
        try:
            utc = self._to_utc(value, ctx)
        except OverflowError:
            raise FieldValueError(self._EXPECTED) from None
        # Any time zone's offset moves at most a day; this margin keeps
        # render() from overflowing datetime's range in year 1 or 9999.
        if not 1 < utc.year < 9999:
            raise FieldValueError(f"{self._EXPECTED}, in the years 2 to 9998")
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
        return datetime.fromisoformat(raw).astimezone(ctx.timezone).isoformat()

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "string", "format": "date-time"}, field)


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(DateType())
    register(DateTimeType())
