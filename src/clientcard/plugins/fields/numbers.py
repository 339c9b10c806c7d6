"""Field types for numbers: ``integer``, ``decimal`` and ``money``.

Decimals and money never go through ``float``: a stored amount is the exact
text of a :class:`~decimal.Decimal`, so "0.10" stays 0.10 and sums add up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from attrs import frozen

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields._common import titled

# The signed 64-bit range: what the JSON store (orjson) and most databases a
# host application copies values into can hold.
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

#: At most this many digits in a decimal or money amount; guards against a
#: Decimal such as 1E+999999 turning into a million-character string.
MAX_DIGITS = 60

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
# A comma is read as the decimal separator (as in "12,5"), never as a
# thousands separator: "1,234" is 1.234, and "1,234.56" is refused.
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_STORED_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"


class IntegerType(FieldType):
    """A whole number, stored as a JSON integer."""

    name = "integer"
    label = "Whole number"
    description = "A count without decimals, such as the number of children or of visits."

    _EXPECTED = "a whole number such as 42 or -3"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        # A strict pattern because int() also takes "1_000", " 42 " and
        # non-Latin digits, which a person did not mean as a number here.
        if not _INTEGER_TEXT.fullmatch(text) or len(text.lstrip("+-")) > 19:
            raise FieldValueError(self._EXPECTED)
        return int(text)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> int:
        # bool is a subclass of int, but True is not a count of anything.
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldValueError(self._EXPECTED)
        if not INT_MIN <= value <= INT_MAX:
            raise FieldValueError(f"{self._EXPECTED}, between {INT_MIN} and {INT_MAX}")
        return value

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "integer", "minimum": INT_MIN, "maximum": INT_MAX}, field)


def parse_decimal(text: str, expected: str) -> Decimal:
    """Read a decimal number as a person writes it ("12.5", "12,5", "-3")."""
    text = text.strip()
    if not _DECIMAL_TEXT.fullmatch(text):
        raise FieldValueError(expected)
    return check_decimal(Decimal(text.replace(",", ".")), expected)


def check_decimal(value: Any, expected: str) -> Decimal:
    """Accept a finite Decimal or an int; refuse floats, which cannot hold 0.10 exactly."""
    if isinstance(value, float):
        raise FieldValueError(
            f"{expected} (give it as a string or a Decimal, not a float, which is inexact)"
        )
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise FieldValueError(expected)
    number = Decimal(value)
    if not number.is_finite():
        raise FieldValueError(f"{expected} (not NaN or infinity)")
    digits, exponent = len(number.as_tuple().digits), int(number.as_tuple().exponent)
    if max(digits, -exponent) + max(exponent, 0) > MAX_DIGITS:
        raise FieldValueError(f"{expected} with at most {MAX_DIGITS} digits")
    # "-0" and "0" are the same amount; store one spelling of it.
    return number.copy_abs() if number.is_zero() else number


def decimal_text(number: Decimal) -> str:
    """The stored form: plain digits, never an exponent (str(Decimal("1E+3")) is "1E+3")."""
    return format(number, "f")


class DecimalType(FieldType):
    """A number with decimals, kept exact: stored as a JSON string such as ``"12.50"``."""

    name = "decimal"
    label = "Decimal number"
    description = "A number that may have decimals, such as a weight or a shoe size."

    _EXPECTED = "a number such as 12.5 or 12,5"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        return parse_decimal(text, self._EXPECTED)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> Decimal:
        if isinstance(value, str):
            return parse_decimal(value, self._EXPECTED)
        return check_decimal(value, self._EXPECTED)

    def dump(self, value: Any) -> JSONValue:
        return decimal_text(value)

    def load(self, raw: JSONValue) -> Any:
        return Decimal(raw)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return str(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "string", "pattern": _STORED_DECIMAL}, field)


@frozen
class Money:
    """An amount of money in one currency (ISO 4217 code such as ``"EUR"``)."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{decimal_text(self.amount)} {self.currency}"


# Currencies whose minor unit is not 1/100 (ISO 4217); every other code gets 2.
_MINOR_UNITS: Mapping[str, int] = {
    code: places
    for places, codes in (
        (0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"),
        (3, "BHD IQD JOD KWD LYD OMR TND"),
        (4, "CLF UYW"),
    )
    for code in codes.split()
}

#: Symbols read as a currency; "$" is the workspace's own dollar when it has one.
_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD"}
_DOLLARS = frozenset(["USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD"])

_CURRENCY_CODE = re.compile(r"[A-Za-z]{3}")
_CURRENCY = r"(?P<cur>[A-Za-z]{3}|[€£$])"
_AMOUNT = r"(?P<num>[+-]?[0-9.,]+)"
_AMOUNT_FIRST = re.compile(rf"{_AMOUNT}\s*{_CURRENCY}")
_CURRENCY_FIRST = re.compile(rf"(?P<sign>[+-]?)\s*{_CURRENCY}\s*{_AMOUNT}")


class MoneyType(FieldType):
    """An amount with its currency, stored as ``{"amount": "12.50", "currency": "EUR"}``.

    Amounts are padded to the currency's minor unit (two decimals for most);
    an amount with more decimals than that is refused rather than rounded.
    """

    name = "money"
    label = "Money"
    description = "An amount of money with its currency, such as a deposit or a gift-card balance."

    _EXPECTED = "an amount with a currency such as 12.50 EUR"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        text = text.strip()
        if m := _AMOUNT_FIRST.fullmatch(text):
            amount, currency = m["num"], m["cur"]
        elif m := _CURRENCY_FIRST.fullmatch(text):
            amount, currency = m["num"], m["cur"]
            if m["sign"]:
                # "-€5": the sign was written before the symbol.
                if amount[0] in "+-":
                    raise FieldValueError(self._EXPECTED)
                amount = m["sign"] + amount
        else:
            amount, currency = text, None
        number = parse_decimal(amount, self._EXPECTED)
        return Money(number, self._currency(currency, ctx))

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> Money:
        if isinstance(value, str):
            value = self.parse_text(value, field, ctx)
        if isinstance(value, Money):
            amount: Any = value.amount
            currency: Any = value.currency
        elif isinstance(value, Mapping):
            if set(value) != {"amount", "currency"}:
                raise FieldValueError(f"{self._EXPECTED}, or a mapping with amount and currency")
            amount, currency = value["amount"], value["currency"]
        else:
            # A bare number is in the workspace currency, as typed text "12.50" is.
            amount, currency = value, None
        if not (currency is None or isinstance(currency, str)):
            raise FieldValueError(self._EXPECTED)
        if isinstance(amount, str):
            number = parse_decimal(amount, self._EXPECTED)
        else:
            number = check_decimal(amount, self._EXPECTED)
        code = self._currency(currency, ctx)
        return Money(self._quantize(number, code), code)

    def dump(self, value: Any) -> JSONValue:
        return {"amount": decimal_text(value.amount), "currency": value.currency}

    def load(self, raw: JSONValue) -> Any:
        return Money(Decimal(raw["amount"]), raw["currency"])

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return f"{raw['amount']} {raw['currency']}"

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        currency: dict[str, Any] = {"type": "string", "pattern": "^[A-Z]{3}$"}
        if ctx.currency:
            currency["default"] = ctx.currency
        schema = {
            "type": "object",
            "properties": {
                "amount": {"type": "string", "pattern": _STORED_DECIMAL},
                "currency": currency,
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }
        return titled(schema, field)

    def _currency(self, given: str | None, ctx: FieldContext) -> str:
        if given is None:
            if ctx.currency is None:
                raise FieldValueError(
                    f"{self._EXPECTED} (give a currency, or set workspace.currency "
                    "for amounts written without one)"
                )
            return ctx.currency
        if given == "$" and ctx.currency in _DOLLARS:
            return ctx.currency
        if given in _SYMBOLS:
            return _SYMBOLS[given]
        if not _CURRENCY_CODE.fullmatch(given):
            raise FieldValueError(f"{self._EXPECTED} (a currency is a 3-letter code like EUR)")
        return given.upper()

    def _quantize(self, number: Decimal, currency: str) -> Decimal:
        places = _MINOR_UNITS.get(currency, 2)
        step = Decimal(1).scaleb(-places)
        # Enough precision for the largest amount check_decimal lets through;
        # the default 28 digits would raise on large amounts.
        with localcontext(prec=MAX_DIGITS + 10):
            try:
                quantized = number.quantize(step)
            except InvalidOperation:  # pragma: no cover - guarded by MAX_DIGITS
                raise FieldValueError(self._EXPECTED) from None
        if quantized != number:
            raise FieldValueError(
                f"{self._EXPECTED}, with at most {places} decimals for {currency}"
            )
        return quantized


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(IntegerType())
    register(DecimalType())
    register(MoneyType())
