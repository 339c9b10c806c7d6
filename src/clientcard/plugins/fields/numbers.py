"""Field types for numbers: ``integer``, ``decimal`` and ``money``.

Decimals and money never go through ``float``: a stored amount is the exact
text of a :class:`~decimal.Decimal`, so "0.10" stays 0.10 and sums add up.

A number a person types is read as the workspace's locale writes numbers
(:func:`number_format`: ``workspace.locale``, with ``workspace.region`` when
the locale names no region): "1,234.5" in ``en``, "1.234,5" in ``it`` or in
``en`` in region IT.  The canonical form clientcard writes, ``1234.56``, is
read in every locale, so values a program wrote keep working.  Text the two
read apart ("1.234" where a dot groups thousands) or that neither reads but
could mean two numbers ("1,23" in ``en``) is refused as ambiguous, naming both
readings, rather than guessed.  Persian and Arabic digits and separators are
read as what they are.  Babel is imported only when a number is not plain
digits with a decimal point that no locale could take for a thousands separator.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from attrs import frozen

from clientcard.core.config import CURRENCY_HINT, known_currency, known_locale, region_currencies
from clientcard.core.errors import ConfigError, FieldValueError
from clientcard.core.fields import FieldContext, FieldType
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.core.text import latin_digits
from clientcard.plugins.fields._common import titled

# The signed 64-bit range: what the JSON store (orjson) and most databases a
# host application copies values into can hold.
INT_MIN = -(2**63)
INT_MAX = 2**63 - 1

#: At most this many digits in a decimal or money amount; guards against a
#: Decimal such as 1E+999999 turning into a million-character string.
MAX_DIGITS = 60

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DIGITS = r"0-9\u0660-\u0669\u06f0-\u06f9"
_SEPARATORS = r"\s.,'\u2019\u066b\u066c\u200e\u200f\u061c"
#: a number as a person types it into a form, in any locale: a sign, digits (also
#: Persian and Arabic ones), separators; which reading it has is the server's to say
#: (the workspace's locale, or ambiguous), as no pattern can
_TYPED_NUMBER = rf"^\s*[-+\u2212]?[{_SEPARATORS}]*[{_DIGITS}][{_DIGITS}{_SEPARATORS}]*$"

#: the canonical form, read the same in every locale: what clientcard writes
_CANONICAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
#: canonical text that a locale grouping thousands with a dot reads as a whole
#: number ("1.234"); every such CLDR locale groups by three (a test checks), so
#: no other canonical text needs the locale, nor Babel, to be read
_GROUP_LIKE = re.compile(r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}")
#: one separator between digits, in text no reading takes: decimal point or grouping?
_LONE_SEPARATOR = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]+)[.,](?P<part>[0-9]+)")
#: a minus sign as Unicode writes it, and the direction marks Persian text carries
_MARKS = str.maketrans({"\u2212": "-", "\u200e": None, "\u200f": None, "\u061c": None})
#: the Arabic decimal and thousands separators (a Persian keyboard types them)
_ARABIC_DECIMAL, _ARABIC_GROUP = "\u066b", "\u066c"
#: group symbols a person types for a locale's space or apostrophe
_SPACES = " \u00a0\u202f\u2009"
_APOSTROPHES = "'\u2019"
_SYMBOL_NAMES = {".": "a dot", ",": "a comma", "'": "an apostrophe", "\u2019": "an apostrophe"}


def _typed(text: str) -> str:
    """A number as typed, with ASCII digits and a plain minus sign."""
    text = text.strip()
    if text.isascii():
        return text
    return latin_digits(text).translate(_MARKS).strip()


@frozen
class NumberFormat:
    """How one locale writes numbers, and reading text written that way."""

    #: the CLDR locale, e.g. ``en_IT``
    locale: str
    decimal: str
    group: str
    #: sign, digits grouped as the locale groups them (or not grouped), decimals
    pattern: re.Pattern[str]
    #: 1234.56 written by the locale, grouped
    example: str

    def read(self, text: str) -> Decimal | None:
        """``text`` in the locale's own form, or None when it is not in that form."""
        found = self.pattern.fullmatch(text)
        if found is None or not (found["whole"] or found["part"]):
            return None
        whole = "".join(c for c in found["whole"] if c.isdigit()) or "0"
        part = f".{found['part']}" if found["part"] else ""
        return Decimal(f"{found['sign']}{whole}{part}")

    def write(self, number: Decimal) -> str:
        """``number`` as the locale reads it one way only: ungrouped, its decimal symbol."""
        return decimal_text(number).replace(".", self.decimal)

    def parse(
        self, text: str, expected: str, fits: Callable[[Decimal], bool] | None = None
    ) -> Decimal:
        """Read ``text`` (ASCII digits) that the fast path of :func:`parse_decimal` did not.

        ``fits`` says whether a reading can be meant at all (an amount of euros has
        at most two decimals): of two readings, one that cannot is set aside.
        """
        if _ARABIC_DECIMAL in text or _ARABIC_GROUP in text:
            # The Arabic separators say which is which: only the locale's reading fits.
            native = text.replace(_ARABIC_GROUP, self.group).replace(_ARABIC_DECIMAL, self.decimal)
            found = self.read(native)
            if found is None:
                raise FieldValueError(self._expected(expected))
            return found
        canonical = Decimal(text) if _CANONICAL.fullmatch(text) else None
        local = self.read(text)
        if canonical is not None and local is not None and canonical != local:
            meant = [n for n in (canonical, local) if fits is None or fits(n)]
            if len(meant) == 1:
                return meant[0]
            raise FieldValueError(
                f"{self.write(canonical)} or {self.write(local)} (ambiguous: a dot is the "
                f"decimal point in 35.50, but groups thousands in locale {self.locale})"
            )
        found = canonical if canonical is not None else local
        if found is not None:
            return found
        lone = _LONE_SEPARATOR.fullmatch(text)
        if lone is None:
            # how the locale writes numbers helps with "1,234.56", not with "lots"
            digits = any(c.isdigit() for c in text)
            raise FieldValueError(self._expected(expected) if digits else expected)
        sign, whole, part = lone["sign"], lone["whole"], lone["part"]
        point, grouped = Decimal(f"{sign}{whole}.{part}"), Decimal(f"{sign}{whole}{part}")
        raise FieldValueError(
            f"{self.write(point)} or {self.write(grouped)} (ambiguous: in locale "
            f"{self.locale} {self._name(self.group)} groups thousands and "
            f"{self._name(self.decimal)} is the decimal point)"
        )

    def _expected(self, expected: str) -> str:
        plain = self.write(Decimal("1234.56"))
        written = f"{plain} or {self.example}"
        return f"{expected} (numbers as locale {self.locale} writes them: {written})"

    @staticmethod
    def _name(symbol: str) -> str:
        return _SYMBOL_NAMES.get(symbol, "a space" if symbol in _SPACES else repr(symbol))


def number_locale(locale: str, region: str | None) -> str:
    """The CLDR locale numbers are read by: ``locale``, made regional by ``region``.

    A locale naming its region (``fa_IR``) is used as it is.  Otherwise the
    region decides how numbers are written, since a salon in Italy types
    "12,50" whatever language its screens are in: the locale's language in that
    region when CLDR has it (``en`` in IT is ``en_IT``: 1.234,56), else the
    region's own main language (``en`` in BR is ``pt_BR``).  No region: the
    language's own (``en``: 1,234.56).
    """
    from babel import Locale, UnknownLocaleError, localedata
    from babel.core import get_locale_identifier

    if not known_locale(locale):
        raise ConfigError(
            f"workspace.locale: no locale {locale!r}, so numbers cannot be read; set one "
            "with: clientcard config set workspace.locale en"
        )
    parsed = Locale.parse(locale.replace("-", "_"))
    if parsed.territory or not region:
        return str(parsed)
    regional = get_locale_identifier((parsed.language, region, parsed.script, None))
    if localedata.exists(regional):
        return regional
    try:
        found = Locale.parse(f"und_{region}")
    except (UnknownLocaleError, ValueError):
        return str(parsed)
    return str(found) if found.territory == region else str(parsed)


@functools.lru_cache(maxsize=32)
def number_format(locale: str, region: str | None) -> NumberFormat:
    """How numbers are written for workspace ``locale`` and ``region`` (see :func:`number_locale`).

    Cached: an import reads a million amounts with one locale.
    """
    from babel import Locale
    from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

    name = number_locale(locale, region)
    found = Locale.parse(name)
    decimal, group = get_decimal_symbol(found), get_group_symbol(found)
    groups = _SPACES if group in _SPACES else _APOSTROPHES if group in _APOSTROPHES else group
    g, d = f"[{re.escape(groups)}]", re.escape(decimal)
    pattern = found.decimal_formats[None]
    primary, secondary = pattern.grouping
    whole = "[0-9]+"
    if primary < 1000:  # CLDR's way of saying "never grouped"
        first = f"[1-9][0-9]{{0,{secondary - 1}}}"
        whole += f"|{first}(?:{g}[0-9]{{{secondary}}})*{g}[0-9]{{{primary}}}"
    return NumberFormat(
        locale=name,
        decimal=decimal,
        group=group,
        pattern=re.compile(f"(?P<sign>[+-]?)(?P<whole>(?:{whole})?)(?:{d}(?P<part>[0-9]+))?"),
        example=format_decimal(Decimal("1234.56"), locale=found),
    )


def unambiguous(text: str, ctx: FieldContext | None = None) -> str:
    """Canonical ``text`` written so that a locale reads it back the same.

    Only "1.234" needs it, where a dot groups thousands: it is written
    "01.234", which every locale (and every program) reads as 1.234.  With
    ``ctx`` (what a screen shows), only in a locale grouping with a dot;
    without (what a file carries to any workspace), in every locale.
    """
    if not _GROUP_LIKE.fullmatch(text):
        return text
    if ctx is not None and number_format(ctx.locale, ctx.region).group != ".":
        return text
    sign = text[0] if text[0] in "+-" else ""
    return f"{sign}0{text[len(sign) :]}"


class IntegerType(FieldType):
    """A whole number, stored as a JSON integer."""

    name = "integer"
    label = "Whole number"
    description = "A count without decimals, such as the number of children or of visits."

    _EXPECTED = "a whole number such as 42 or -3"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        # A strict pattern because int() also takes "1_000", " 42 " and digits
        # of any script; only the Persian and Arabic ones are meant as numbers here.
        text = _typed(text)
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


def parse_decimal(
    text: str,
    expected: str,
    ctx: FieldContext,
    *,
    canonical: bool = False,
    fits: Callable[[Decimal], bool] | None = None,
) -> Decimal:
    """Read a number as the workspace's locale writes it (module docstring).

    ``canonical``: the text comes from a program (the Python API), so the
    canonical form 1234.56 wins over the locale's reading where both apply.
    ``fits``: see :meth:`NumberFormat.parse`.  Raises :class:`FieldValueError`
    saying ``expected``, or both readings of ambiguous text.
    """
    typed = _typed(text)
    if _CANONICAL.fullmatch(typed) and (canonical or not _GROUP_LIKE.fullmatch(typed)):
        return check_decimal(Decimal(typed), expected)
    found = number_format(ctx.locale, ctx.region).parse(typed, expected, fits)
    return check_decimal(found, expected)


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

    _EXPECTED = "a number such as 12.5"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        return parse_decimal(text, self._EXPECTED, ctx)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> Decimal:
        if isinstance(value, str):
            # a program's value: "1.234" is 1.234 even where a dot groups thousands
            return parse_decimal(value, self._EXPECTED, ctx, canonical=True)
        return check_decimal(value, self._EXPECTED)

    def dump(self, value: Any) -> JSONValue:
        return decimal_text(value)

    def load(self, raw: JSONValue) -> Any:
        return Decimal(raw)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return unambiguous(str(raw), ctx)

    def export_text(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return unambiguous(str(raw))

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled({"type": "string", "pattern": _TYPED_NUMBER}, field)


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
# digits, separators (the locale's, or Arabic) and spaces; the number's reader judges them
_AMOUNT = r"(?P<num>[+-]?[0-9.,'\u2019\u066b\u066c\s]+)"
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
        return self._parse(text, ctx, canonical=False)

    def _parse(self, text: str, ctx: FieldContext, *, canonical: bool) -> Money:
        text = _typed(text)
        if m := _AMOUNT_FIRST.fullmatch(text):
            amount, currency = m["num"], m["cur"]
        elif m := _CURRENCY_FIRST.fullmatch(text):
            amount, currency = m["num"].strip(), m["cur"]
            if m["sign"]:
                # "-€5": the sign was written before the symbol.
                if amount[0] in "+-":
                    raise FieldValueError(self._EXPECTED)
                amount = m["sign"] + amount
        else:
            amount, currency = text, None
        code = self._currency(currency, ctx)

        def fits(number: Decimal) -> bool:
            try:
                self._quantize(number, code)
            except FieldValueError:
                return False
            return True

        number = parse_decimal(amount, self._EXPECTED, ctx, canonical=canonical, fits=fits)
        return Money(number, code)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> Money:
        if isinstance(value, str):
            # a program's value: "1.250 KWD" is 1.250 even where a dot groups thousands
            value = self._parse(value, ctx, canonical=True)
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
            number = parse_decimal(amount, self._EXPECTED, ctx, canonical=True)
        else:
            number = check_decimal(amount, self._EXPECTED)
        code = self._currency(currency, ctx)
        return Money(self._quantize(number, code), code)

    def dump(self, value: Any) -> JSONValue:
        return {"amount": decimal_text(value.amount), "currency": value.currency}

    def load(self, raw: JSONValue) -> Any:
        return Money(Decimal(raw["amount"]), raw["currency"])

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return f"{unambiguous(raw['amount'], ctx)} {raw['currency']}"

    def export_text(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return f"{unambiguous(raw['amount'])} {raw['currency']}"

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        # any case, as typed; whether ISO 4217 has the code is the server's to say
        currency: dict[str, Any] = {"type": "string", "pattern": r"^\s*[A-Za-z]{3}\s*$"}
        if ctx.currency:
            currency["default"] = ctx.currency
        schema = {
            "type": "object",
            "properties": {
                "amount": {"type": "string", "pattern": _TYPED_NUMBER},
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
                    f"{self._EXPECTED} (give a currency, or set the workspace's for amounts "
                    f"written without one: {_currency_hint(ctx)})"
                )
            if not known_currency(ctx.currency):
                # a hand-edited clientcard.toml: 'config set' refuses such a code
                raise ConfigError(
                    f"workspace.currency: {ctx.currency!r} is not an ISO 4217 currency code; "
                    f"set one with: {_currency_hint(ctx)}"
                )
            return ctx.currency
        if given == "$" and ctx.currency in _DOLLARS:
            return ctx.currency
        if given in _SYMBOLS:
            return _SYMBOLS[given]
        code = given.upper()
        if not _CURRENCY_CODE.fullmatch(given) or not known_currency(code):
            raise FieldValueError(
                f"{self._EXPECTED} ({given} is not an ISO 4217 currency code; a currency "
                "is a 3-letter code such as EUR)"
            )
        return code

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


def _currency_hint(ctx: FieldContext) -> str:
    """The command setting the workspace currency, with the region's currency when known."""
    found = region_currencies(ctx.region) if ctx.region else ()
    return CURRENCY_HINT.replace("CODE", found[0]) if found else CURRENCY_HINT


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(IntegerType())
    register(DecimalType())
    register(MoneyType())
