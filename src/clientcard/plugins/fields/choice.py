"""Field types with fixed answers: ``choice``, ``multi-choice`` and ``boolean``.

The choice types take the option ``colours``: a colour per choice
(``{"Instagram": "#E1306C"}``), for the screens of booking software; JSON
schemas carry it as ``x-colours``.  A choice without a colour has none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.core.text import nfc
from clientcard.plugins.fields._common import titled


def _fold(text: str) -> str:
    # composed first: a choice defined before text was composed on entry may be
    # spelt with a combining accent, and the answer typed is composed
    return nfc(text).strip().casefold()


def _match(text: str, field: FieldDef) -> str | None:
    """The choice of ``field`` spelled like ``text`` (ignoring case), or None."""
    wanted = _fold(text)
    return next((c for c in field.choices if _fold(c) == wanted), None)


def _one_of(field: FieldDef) -> str:
    return "one of: " + ", ".join(field.choices)


_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_COLOURS = {"colours": 'a colour per choice as #RRGGBB, such as {"Gold": "#D4AF37"}'}


def check_colours(value: JSONValue, field: FieldDef) -> dict[str, str]:
    """The option ``colours``: choices (spelled as defined) to ``#RRGGBB`` in capitals."""
    if not isinstance(value, Mapping):
        raise FieldValueError(_COLOURS["colours"])
    colours: dict[str, str] = {}
    for choice, colour in value.items():
        found = _match(choice, field) if isinstance(choice, str) else None
        if found is None:
            raise FieldValueError(f"colours for the field's choices ({', '.join(field.choices)})")
        if not isinstance(colour, str) or not _HEX_COLOUR.fullmatch(colour.strip()):
            raise FieldValueError(f"a colour for {found!r} as #RRGGBB, such as #D4AF37")
        colours[found] = colour.strip().upper()
    # in the order of the choices, whatever order they were given in
    return {c: colours[c] for c in field.choices if c in colours}


def with_colours(schema: dict[str, Any], field: FieldDef) -> dict[str, Any]:
    """A choice type's JSON schema, with the field's colours as ``x-colours``."""
    colours = field.options.get("colours")
    if colours:
        schema["x-colours"] = dict(colours)
    return schema


class ChoiceType(FieldType):
    """One answer out of the field's choices, stored as the choice is spelled."""

    name = "choice"
    label = "Choice"
    description = "One answer picked from a list you define, such as a membership level."
    uses_choices = True
    accepted_options = _COLOURS

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        return check_colours(value, field)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> str:
        found = _match(value, field) if isinstance(value, str) else None
        if found is None:
            raise FieldValueError(_one_of(field))
        return found

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return with_colours(titled({"type": "string", "enum": list(field.choices)}, field), field)


class MultiChoiceType(FieldType):
    """Any number of the field's choices, stored as a list in the order they are defined."""

    name = "multi-choice"
    label = "Multiple choice"
    description = "Several answers picked from a list you define, such as services of interest."
    uses_choices = True
    accepted_options = _COLOURS

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        return check_colours(value, field)

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        pieces = text.split(",")
        picked: list[str] = []
        start = 0
        while start < len(pieces):
            # A choice may itself contain a comma ("Cut, wash"); take the
            # longest run of pieces that spells a choice, else one piece.
            end = next(
                (
                    stop
                    for stop in range(len(pieces), start + 1, -1)
                    if _match(",".join(pieces[start:stop]), field) is not None
                ),
                start + 1,
            )
            picked.append(",".join(pieces[start:end]).strip())
            start = end
        return [p for p in picked if p]

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> list[str]:
        if isinstance(value, str):
            value = self.parse_text(value, field, ctx)
        expected = f"{_one_of(field)}, separated by commas"
        if not isinstance(value, Collection) or isinstance(value, bytes | dict):
            raise FieldValueError(expected)
        chosen: set[str] = set()
        for item in value:
            found = _match(item, field) if isinstance(item, str) else None
            if found is None:
                raise FieldValueError(expected)
            chosen.add(found)
        if not chosen:
            # An empty list would be stored, yet render as blank text, which
            # reads back as "no value"; leaving the field empty says that.
            raise FieldValueError(f"{expected} (leave the field empty for none)")
        return [c for c in field.choices if c in chosen]

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return ", ".join(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        schema = {
            "type": "array",
            "items": {"type": "string", "enum": list(field.choices)},
            "uniqueItems": True,
            "minItems": 1,
        }
        return with_colours(titled(schema, field), field)


_TRUE = frozenset({"yes", "y", "true", "1", "on"})
_FALSE = frozenset({"no", "n", "false", "0", "off"})


class BooleanType(FieldType):
    """Yes or no, stored as a JSON boolean."""

    name = "boolean"
    label = "Yes/no"
    description = "A yes-or-no answer, such as whether a customer agreed to receive offers."

    _EXPECTED = "yes or no (also true/false, y/n, 1/0, on/off)"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise FieldValueError(self._EXPECTED)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> bool:
        if isinstance(value, str):
            value = self.parse_text(value, field, ctx)
        # Only real booleans: 2 or 0.5 from an API caller is more likely a bug
        # than an answer.
        if not isinstance(value, bool):
            raise FieldValueError(self._EXPECTED)
        return value

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return "yes" if raw else "no"

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "boolean"}, field)


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(ChoiceType())
    register(MultiChoiceType())
    register(BooleanType())
