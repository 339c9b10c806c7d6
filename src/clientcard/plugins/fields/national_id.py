"""The ``national-id`` field type, and the identity-number scheme ``ir``.

A national-id field holds a person's identity number as text.  Its option
``scheme`` names an :class:`~clientcard.core.fields.IdScheme` that normalises
the number and checks its check digit; schemes come from plugins
(``clientcard_register_id_schemes``) and reach the type through
``FieldContext.id_schemes``.  Without a scheme a number is only normalised:
spaces, dashes, dots and slashes removed, Persian and Arabic-Indic digits
written in ASCII, letters in capitals.

Built in: ``ir``, Iran's national code (کد ملی): ten digits, the last a check
digit over the first nine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType, Identity, IdScheme
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields import _jalali
from clientcard.plugins.fields._common import titled

#: Persian and Arabic-Indic digits, as ASCII
_DIGITS = _jalali.DIGITS
_SEPARATORS = re.compile(r"[\s\-./\u200c\u200f\u200e]")
_PLAIN = re.compile(r"[0-9A-Z]{1,64}")
#: an id as a person may type it, for a form: letters, digits (any script) and separators
_TYPED = "^[\\s\\-./0-9A-Za-z\u06f0-\u06f9\u0660-\u0669]+$"


def plain(text: str) -> str:
    """``text`` with ASCII digits, capitals and no separators: what most schemes store."""
    return _SEPARATORS.sub("", text.translate(_DIGITS)).upper()


class IranNationalCode(IdScheme):
    """Iran's national code: ten digits, the tenth a check digit over the other nine.

    With ``s`` the sum of the first nine digits weighted 10 down to 2 and
    ``r = s mod 11``, the check digit is ``r`` when ``r < 2``, else ``11 - r``.
    Codes of one digit repeated (``1111111111``) pass that sum but are not
    issued, and are refused.  A code written with 8 or 9 digits lost its
    leading zeros (a spreadsheet read it as a number): they are put back.
    """

    name = "ir"
    label = "Iranian national code"
    description = "Iran's 10-digit national code (kod-e melli), with its check digit."
    example = "0499370899"

    def normalise(self, text: str) -> str:
        digits = plain(text)
        if digits.isdigit() and 8 <= len(digits) < 10:
            digits = digits.zfill(10)
        return digits

    def check(self, text: str) -> bool:
        if len(text) != 10 or not text.isdigit() or len(set(text)) == 1:
            return False
        total = sum(int(digit) * (10 - i) for i, digit in enumerate(text[:9]))
        remainder = total % 11
        expected = remainder if remainder < 2 else 11 - remainder
        return int(text[9]) == expected


class NationalIdType(FieldType):
    """An identity number, checked by the scheme the field's option ``scheme`` names."""

    name = "national-id"
    label = "National id"
    description = "A national identity number, checked by a scheme such as 'ir' (option scheme)."
    # values are normalised by validate, so equal numbers are equal text; one
    # person has one number: a different one says "another person"
    identity = Identity("exact", weight=0.95, mismatch=0.8)
    accepted_options: ClassVar[Mapping[str, str]] = {
        "scheme": "the name of an id scheme (see 'clientcard plugins')"
    }

    _EXPECTED = "an identity number of letters and digits (at most 64)"

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        if not isinstance(value, str) or value.strip().lower() not in ctx.id_schemes:
            known = ", ".join(sorted(ctx.id_schemes)) or "none (no plugin provides one)"
            raise FieldValueError(f"the name of an id scheme: {known}")
        return value.strip().lower()

    def _scheme(self, field: FieldDef, ctx: FieldContext) -> IdScheme | None:
        name = field.options.get("scheme")
        if name is None:
            return None
        scheme = ctx.id_schemes.get(name)
        if scheme is None:
            raise FieldValueError(
                f"a number checked by id scheme {name!r}, but no enabled plugin provides it "
                "(see 'clientcard plugins')"
            )
        return scheme

    def _expected(self, scheme: IdScheme) -> str:
        example = f", such as {scheme.example}" if scheme.example else ""
        return f"{scheme.description.rstrip('.') or scheme.label}{example}"

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> str:
        scheme = self._scheme(field, ctx)
        if not isinstance(value, str):
            # an int would have lost its leading zeros already
            raise FieldValueError(
                (self._expected(scheme) if scheme else self._EXPECTED) + ", as text"
            )
        if scheme is None:
            number = plain(value)
            if not _PLAIN.fullmatch(number):
                raise FieldValueError(self._EXPECTED)
            return number
        number = scheme.normalise(value)
        if not scheme.check(number):
            raise FieldValueError(self._expected(scheme))
        return number

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "pattern": _TYPED}
        name = field.options.get("scheme")
        if name is not None:
            schema["x-id-scheme"] = name
            scheme = ctx.id_schemes.get(name)
            if scheme is not None and scheme.example:
                schema["examples"] = [scheme.example]
        return titled(schema, field)


@hookimpl
def clientcard_register_id_schemes(register: Callable[[IdScheme], None]) -> None:
    register(IranNationalCode())


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(NationalIdType())
