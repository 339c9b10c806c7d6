"""Field types for where a customer is: ``address`` and ``shipping-address``.

An address is stored as an object with the parts it has, in this order::

    {"street": "Via Roma 1", "city": "Milano", "region": "MI",
     "postal_code": "20121", "country": "IT", "lat": 45.4642, "lon": 9.19}

Empty parts are left out.  Every part is text (a postal code keeps its leading
zeros); a country given as two letters is an ISO 3166 code and is stored in
capitals.  ``lat`` and ``lon`` (a point on the map, optional) are numbers in
degrees, given both or neither, rounded to 7 decimals (about a centimetre).

As text (the CLI, CSV files) an address is one line, its parts in that order
between semicolons, with the point after an ``@``::

    Via Roma 1; Milano; MI; 20121; IT @ 45.4642, 9.19

Trailing parts may be left out (``Via Roma 1; Milano``) and a part in the
middle left empty (``Via Roma 1; Milano; ; 20121``).  A JSON object is read
too, and is how an address is written when a part holds a ``;``, an ``@`` or
starts with ``{``, which the one-line form could not give back.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from clientcard.core.errors import FieldValueError
from clientcard.core.fields import FieldContext, FieldType, Identity
from clientcard.core.hookspecs import hookimpl
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields._common import titled

#: the text parts of an address, in the order of the one-line form (and of vCard's ADR)
PARTS = ("street", "city", "region", "postal_code", "country")
POINT = ("lat", "lon")
_BOUNDS = {"lat": 90, "lon": 180}
#: decimals kept of a coordinate: 1e-7 degrees is about 1 cm
_PLACES = 7

_EXPECTED = (
    "an address as 'street; city; region; postal code; country', optionally followed by "
    "'@ latitude, longitude', such as 'Via Roma 1; Milano; MI; 20121; IT @ 45.4642, 9.19'"
)
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_WITH_POINT = re.compile(rf"(?P<parts>.*?)\s*@\s*(?P<lat>{_NUMBER})\s*,\s*(?P<lon>{_NUMBER})")
_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")
_ONE_LINE = r"^[^\r\n]*$"


def _text_part(name: str, value: Any) -> str:
    if not isinstance(value, str):
        hint = " as text (leading zeros are kept)" if name == "postal_code" else " as text"
        raise FieldValueError(f"the address's {name.replace('_', ' ')}{hint}")
    text = " ".join(value.split())  # one line, single spaces
    if name == "country" and _COUNTRY_CODE.fullmatch(text):
        text = text.upper()
    return text


def _coordinate(name: str, value: Any) -> float:
    limit = _BOUNDS[name]
    expected = f"a {'latitude' if name == 'lat' else 'longitude'} from {-limit} to {limit} degrees"
    if isinstance(value, str) and re.fullmatch(_NUMBER, value.strip()):
        value = Decimal(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FieldValueError(expected)
    number = float(value)
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise FieldValueError(expected)
    return round(number, _PLACES) + 0.0  # + 0.0: -0.0 is 0.0


def check_address(value: Any) -> dict[str, Any]:
    """An address mapping checked and normalised (the stored form)."""
    if not isinstance(value, Mapping):
        raise FieldValueError(_EXPECTED)
    unknown = [k for k in value if k not in PARTS and k not in POINT]
    if unknown:
        raise FieldValueError(
            f"an address with the parts {', '.join(PARTS + POINT)} (not {unknown[0]!r})"
        )
    out: dict[str, Any] = {}
    for name in PARTS:
        if value.get(name) is not None:
            text = _text_part(name, value[name])
            if text:
                out[name] = text
    given = [name for name in POINT if value.get(name) not in (None, "")]
    if len(given) == 1:
        raise FieldValueError("both a latitude and a longitude, or neither")
    for name in given:
        out[name] = _coordinate(name, value[name])
    if not out:
        raise FieldValueError(f"{_EXPECTED} (at least one part)")
    return out


def parse_address(text: str) -> dict[str, Any]:
    """The one-line form or a JSON object, as a mapping (not yet checked)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except ValueError:
            raise FieldValueError(f"{_EXPECTED}, or a JSON object of those parts") from None
        if not isinstance(found, dict):
            raise FieldValueError(_EXPECTED)
        return found
    point = _WITH_POINT.fullmatch(text)
    parts_text = point["parts"] if point else text
    parts = [p.strip() for p in parts_text.split(";")] if parts_text.strip() else []
    if len(parts) > len(PARTS):
        raise FieldValueError(f"{_EXPECTED} (at most {len(PARTS)} parts)")
    address: dict[str, Any] = dict(zip(PARTS, parts, strict=False))
    if point:
        address["lat"], address["lon"] = point["lat"], point["lon"]
    return address


def _number(value: float) -> str:
    # repr gives the shortest text that reads back as the same float
    text = repr(float(value))
    return text.removesuffix(".0") if "e" not in text else format(value, f".{_PLACES}f")


def address_text(raw: Mapping[str, Any]) -> str:
    """The one-line form of a stored address; JSON when that form could not give it back."""
    texts = [str(raw.get(name) or "") for name in PARTS]
    if any(";" in t or "@" in t for t in texts) or texts[0].startswith("{"):
        return json.dumps(dict(raw), ensure_ascii=False)
    while texts and not texts[-1]:
        texts.pop()
    line = "; ".join(texts)
    if raw.get("lat") is not None and raw.get("lon") is not None:
        line = f"{line} @ {_number(raw['lat'])}, {_number(raw['lon'])}".lstrip()
    return line


def address_schema() -> dict[str, Any]:
    """The JSON schema of a stored address (without title)."""
    text = {"type": "string", "pattern": _ONE_LINE}
    return {
        "type": "object",
        "properties": {
            "street": dict(text),
            "city": dict(text),
            "region": dict(text),
            "postal_code": dict(text),
            "country": {**text, "description": "an ISO 3166 code such as IT, or a name"},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
        },
        "additionalProperties": False,
        "minProperties": 1,
        "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
    }


class AddressType(FieldType):
    """A postal address, with an optional point on the map (see the module's docstring)."""

    name = "address"
    label = "Address"
    description = (
        "A postal address (street, city, region, postal code, country), optionally a map point."
    )
    # families share an address: agreeing is evidence, differing is none
    identity = Identity("fuzzy", weight=0.5)

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        return parse_address(text)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        if isinstance(value, str):
            value = parse_address(value)
        return check_address(value)

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        return address_text(raw)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        return titled(address_schema(), field)


#: what a shipping address holds when goods go to the main address
SAME = {"same_as_main": True}
_SAME_TEXTS = frozenset({"same", "same as main", "same as main address", "same as address"})
_SAME_TEXT = "same as main address"
_MAIN = {"main": "the key of the main address field (default: address)"}
_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


class ShippingAddressType(FieldType):
    """Where goods go: an address, or ``{"same_as_main": true}`` for the main address.

    Which field is the main address is the field's option ``main`` (default
    ``address``): software shipping an order reads that field when this one
    says "same".
    """

    name = "shipping-address"
    label = "Shipping address"
    description = "Where goods are delivered: an address, or 'same' as the main address."
    accepted_options = _MAIN

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        if not isinstance(value, str) or not _KEY.fullmatch(value.strip()):
            raise FieldValueError(_MAIN["main"])
        return value.strip()

    def _expected(self) -> str:
        return f"'same' (as the main address), or {_EXPECTED}"

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        if " ".join(text.lower().split()) in _SAME_TEXTS:
            return dict(SAME)
        return parse_address(text)

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        if isinstance(value, str):
            value = self.parse_text(value, field, ctx)
        if isinstance(value, Mapping) and "same_as_main" in value:
            if value["same_as_main"] is not True or len(value) != 1:
                raise FieldValueError(
                    '{"same_as_main": true} alone, or an address without same_as_main'
                )
            return dict(SAME)
        try:
            return check_address(value)
        except FieldValueError as exc:
            if exc.expected == _EXPECTED:
                raise FieldValueError(self._expected()) from None
            raise

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        if isinstance(raw, Mapping) and raw.get("same_as_main"):
            return _SAME_TEXT
        text = address_text(raw)
        if " ".join(text.lower().split()) in _SAME_TEXTS:
            # an address whose only part is "same" must not read back as "same"
            return json.dumps(dict(raw), ensure_ascii=False)
        return text

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        same = {
            "type": "object",
            "properties": {"same_as_main": {"const": True}},
            "required": ["same_as_main"],
            "additionalProperties": False,
        }
        schema = {
            "type": "object",
            "oneOf": [address_schema(), same],
            "x-main-address": field.options.get("main", "address"),
        }
        return titled(schema, field)


@hookimpl
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    register(AddressType())
    register(ShippingAddressType())
