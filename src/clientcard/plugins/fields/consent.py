"""The ``consent`` field type: a yes or no with the moment it was said (marketing e-mails ...).

Stored as ``{"given": true, "at": "2025-01-02T09:00:00+00:00"}``: whether
consent is given, and when it was given or withdrawn (UTC, as date-times are).
Typed as a word, optionally followed by ``since``, ``at`` or ``@`` and a date
and time (read as a ``datetime`` field reads it: local time in the workspace's
time zone unless an offset is given, Jalali where dates are)::

    yes
    opted in @ 2025-01-02T10:00
    withdrawn since 2025-03-01 18:30

Without a time, the time is now: typing "yes" records consent given now.
Shown as ``yes since …`` / ``no since …``, which reads back as the same value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from clientcard.core.clock import utc_now
from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields._common import titled
from clientcard.plugins.fields.dates import DateTimeType, moment_schema

_GIVEN = frozenset(
    {"yes", "y", "true", "1", "on", "given", "opted in", "opt in", "opt-in", "opted-in",
     "subscribed"}
)  # fmt: skip
_WITHDRAWN = frozenset(
    {"no", "n", "false", "0", "off", "withdrawn", "opted out", "opt out", "opt-out",
     "opted-out", "unsubscribed", "refused"}
)  # fmt: skip
_WHEN = re.compile(r"\s+(?:since|at)\s+|\s*@\s*", re.IGNORECASE)
#: a clock running a little fast elsewhere is not a consent from the future
_SKEW = timedelta(minutes=5)
_MOMENT = DateTimeType()


class ConsentType(FieldType):
    """Consent given or withdrawn, and when (see the module's docstring)."""

    name = "consent"
    label = "Consent"
    description = "Whether a customer agreed to something, such as marketing e-mails, and when."
    accepted_options = DateTimeType.accepted_options

    _EXPECTED = (
        "yes or no (also opted in, withdrawn ...), optionally with when, "
        "such as 'yes @ 2025-01-02T10:00'"
    )

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        return _MOMENT.check_option(name, value, field, ctx)

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        word, *when = _WHEN.split(text.strip(), maxsplit=1)
        given = self._word(word)
        return {"given": given, "at": when[0] if when else None}

    def _word(self, word: str) -> bool:
        folded = " ".join(word.lower().split())
        if folded in _GIVEN:
            return True
        if folded in _WITHDRAWN:
            return False
        raise FieldValueError(self._EXPECTED)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        if isinstance(value, str):
            value = self.parse_text(value, field, ctx)
        if isinstance(value, bool):
            value = {"given": value}
        if not isinstance(value, Mapping) or not set(value) <= {"given", "at"}:
            raise FieldValueError(f"{self._EXPECTED}, or a mapping with given and at")
        given = value.get("given")
        if not isinstance(given, bool):
            raise FieldValueError(f"{self._EXPECTED} (given must be true or false)")
        at = value.get("at")
        now = utc_now()
        if at is None or (isinstance(at, str) and not at.strip()):
            moment = now
        elif isinstance(at, str | datetime):
            moment = _MOMENT.validate(at, field, ctx)
        else:
            raise FieldValueError(self._EXPECTED)
        if moment > now + _SKEW:
            raise FieldValueError(f"{self._EXPECTED}, at a time that is not in the future")
        return {"given": given, "at": moment.isoformat()}

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        word = "yes" if raw.get("given") else "no"
        at = raw.get("at")
        return f"{word} since {_MOMENT.render(at, field, ctx)}" if at else word

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        schema = {
            "type": "object",
            "properties": {
                "given": {"type": "boolean"},
                "at": {
                    **moment_schema(field, ctx),
                    "description": "when consent was given or withdrawn (default: now)",
                },
            },
            "required": ["given"],
            "additionalProperties": False,
        }
        return titled(schema, field)


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(ConsentType())
