"""The built-in field types, exercised through FieldSchema as the core uses them."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pluggy
import pytest

from clientcard.core import hookspecs
from clientcard.core.errors import ValidationError, shown
from clientcard.core.fields import FieldContext, FieldSchema, FieldType
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields import choice, contact, dates, numbers, text
from clientcard.plugins.fields.choice import BooleanType, ChoiceType, MultiChoiceType
from clientcard.plugins.fields.contact import EmailType, PhoneType
from clientcard.plugins.fields.dates import ISO_MOMENT, DateTimeType, DateType
from clientcard.plugins.fields.numbers import DecimalType, IntegerType, Money, MoneyType
from clientcard.plugins.fields.text import LongTextType, TextType, UrlType

ROME = ZoneInfo("Europe/Rome")
CTX = FieldContext(region="IT", currency="EUR", timezone=ROME)
BARE = FieldContext()  # no region, no currency, UTC

ALL_TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        TextType(),
        LongTextType(),
        UrlType(),
        IntegerType(),
        DecimalType(),
        MoneyType(),
        DateType(),
        DateTimeType(),
        EmailType(),
        PhoneType(),
        ChoiceType(),
        MultiChoiceType(),
        BooleanType(),
    )
}
CHOICES = {"choice": ("Gold", "Silver", "Bronze"), "multi-choice": ("a", "b", "c")}


def field(type_name: str, *, key: str = "f", help: str = "") -> FieldDef:
    return FieldDef(
        key=key, label="The field", type=type_name, choices=CHOICES.get(type_name, ()), help=help
    )


def schema(type_name: str, ctx: FieldContext = CTX) -> FieldSchema:
    return FieldSchema([field(type_name)], ALL_TYPES, ctx)


def coerce(type_name: str, value: Any, ctx: FieldContext = CTX) -> JSONValue:
    return schema(type_name, ctx).coerce("f", value)


def rejected(type_name: str, value: Any, ctx: FieldContext = CTX) -> str:
    """The message of the ValidationError for ``value``, checked to name field and value."""
    with pytest.raises(ValidationError) as info:
        coerce(type_name, value, ctx)
    message = str(info.value)
    given = shown(info.value.value)
    assert message.startswith(f"f: {given} is not valid; expected " if given else "f: no value")
    return message


# -- registration -------------------------------------------------------------


def test_plugins_register_exactly_the_built_in_type_names() -> None:
    pm = pluggy.PluginManager("clientcard")
    pm.add_hookspecs(hookspecs)
    modules: list[ModuleType] = [text, numbers, dates, contact, choice]
    for module in modules:
        pm.register(module)
    registered: list[FieldType] = []
    pm.hook.clientcard_register_field_types(register=registered.append)
    assert sorted(t.name for t in registered) == sorted(
        [
            "text",
            "long-text",
            "url",
            "integer",
            "decimal",
            "money",
            "date",
            "datetime",
            "email",
            "phone",
            "choice",
            "multi-choice",
            "boolean",
        ]
    )
    for ftype in registered:
        assert ftype.label and ftype.description.endswith(".")
        assert ftype.uses_choices == (ftype.name in CHOICES)


def test_contact_libraries_are_imported_lazily() -> None:
    code = (
        "import sys, clientcard.plugins.fields.contact\n"
        "assert 'phonenumbers' not in sys.modules and 'email_validator' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- round trips and schemas for every type -----------------------------------

STORED: list[tuple[str, JSONValue]] = [
    ("text", "Anna"),
    ("text", "café 'da Mario'"),
    ("long-text", "line one\nline two"),
    ("url", "https://example.com/Path?q=1#top"),
    ("url", "http://user:Secret@example.com:8080/"),
    ("integer", 42),
    ("integer", -3),
    ("integer", 0),
    ("decimal", "12.50"),
    ("decimal", "-0.001"),
    ("decimal", "1000"),
    ("money", {"amount": "12.50", "currency": "EUR"}),
    ("money", {"amount": "-5.00", "currency": "USD"}),
    ("money", {"amount": "1200", "currency": "JPY"}),
    ("money", {"amount": "1.250", "currency": "KWD"}),
    ("date", "2024-02-29"),
    ("datetime", "2025-03-01T09:30:00+00:00"),
    ("datetime", "2025-07-01T22:15:30.250000+00:00"),
    ("email", "Someone@example.com"),
    ("phone", "+390612345678"),
    ("phone", "+12015550123"),
    ("choice", "Silver"),
    ("multi-choice", ["a", "c"]),
    ("boolean", True),
    ("boolean", False),
]


@pytest.mark.parametrize(("type_name", "raw"), STORED)
@pytest.mark.parametrize("ctx", [CTX, BARE], ids=["rome", "bare"])
def test_render_reads_back_as_the_same_stored_value(
    type_name: str, raw: JSONValue, ctx: FieldContext
) -> None:
    ftype, f = ALL_TYPES[type_name], field(type_name)
    shown = ftype.render(raw, f, ctx)
    assert isinstance(shown, str)
    assert ftype.dump(ftype.validate(ftype.parse_text(shown, f, ctx), f, ctx)) == raw
    assert schema(type_name, ctx).coerce("f", shown) == raw
    assert schema(type_name, ctx).render("f", raw) == shown
    # load() is dump()'s inverse, and what it loads is a valid value again.
    loaded = ftype.load(raw)
    assert ftype.dump(loaded) == raw
    assert ftype.dump(ftype.validate(loaded, f, ctx)) == raw


@pytest.mark.parametrize("type_name", sorted(ALL_TYPES))
def test_json_schema_has_title_and_description_from_the_field(type_name: str) -> None:
    ftype = ALL_TYPES[type_name]
    with_help = ftype.json_schema(field(type_name, help="Ask at first visit."), CTX)
    assert with_help["title"] == "The field"
    assert with_help["description"] == "Ask at first visit."
    assert "description" not in ftype.json_schema(field(type_name), CTX)
    assert with_help["type"] in {"string", "integer", "boolean", "array", "object"}


def test_json_schema_shapes() -> None:
    def js(type_name: str) -> dict[str, Any]:
        found = ALL_TYPES[type_name].json_schema(field(type_name), CTX)
        del found["title"]
        return found

    assert js("date") == {"type": "string", "format": "date"}
    # a form takes a time without an offset, as an HTML datetime-local input sends it
    assert js("datetime") == {"type": "string", "pattern": ISO_MOMENT}
    assert re.search(ISO_MOMENT, "2025-03-01T09:30") and re.search(ISO_MOMENT, "2025-03-01 09:30Z")
    assert js("email")["format"] == "email" and "pattern" in js("email")
    assert js("choice") == {"type": "string", "enum": ["Gold", "Silver", "Bronze"]}
    multi = js("multi-choice")
    assert multi["type"] == "array" and multi["uniqueItems"] is True
    assert multi["items"]["enum"] == ["a", "b", "c"]
    assert js("boolean") == {"type": "boolean"}
    assert js("integer")["type"] == "integer"
    assert js("decimal")["type"] == "string" and "pattern" in js("decimal")
    money = js("money")
    assert money["type"] == "object"
    assert money["required"] == ["amount", "currency"]
    assert money["properties"]["amount"]["type"] == "string"
    assert "pattern" in money["properties"]["amount"]
    assert money["properties"]["currency"]["pattern"] == r"^\s*[A-Za-z]{3}\s*$"
    assert money["properties"]["currency"]["default"] == "EUR"
    assert js("phone")["type"] == "string"
    assert js("url")["format"] == "uri"
    assert js("text")["type"] == "string"
    assert js("long-text") == {"type": "string"}


def test_blank_text_is_no_value() -> None:
    for type_name in ALL_TYPES:
        assert coerce(type_name, "   ") is None
        assert coerce(type_name, None) is None


# -- text, long-text, url -----------------------------------------------------


def test_text_is_stripped_and_single_line() -> None:
    assert coerce("text", "  Anna Rossi ") == "Anna Rossi"
    assert "single line" in rejected("text", "one\ntwo")
    assert "long-text" in rejected("text", "one\u2028two")
    assert "single line" in rejected("text", 42)


def test_long_text_keeps_lines_and_unifies_line_endings() -> None:
    assert coerce("long-text", "one\r\ntwo\rthree\n") == "one\ntwo\nthree"
    assert "text" in rejected("long-text", ["one"])


def test_url_lowercases_scheme_and_host_only() -> None:
    assert coerce("url", "HTTPS://Example.COM/Path") == "https://example.com/Path"
    assert (
        coerce("url", "http://User:PW@Host.example:8080/A") == "http://User:PW@host.example:8080/A"
    )
    assert coerce("url", "https://example.com") == "https://example.com"


@pytest.mark.parametrize(
    "bad",
    ["example.com", "ftp://example.com", "https://", "https:///path", "https://exa mple.com",
     "https://example.com:port/", "javascript:alert(1)"],
)  # fmt: skip
def test_url_rejects(bad: str) -> None:
    assert "http:// or https://" in rejected("url", bad)


# -- integer, decimal, money --------------------------------------------------


def test_integer() -> None:
    assert coerce("integer", "42") == 42
    assert coerce("integer", "-3") == -3
    assert coerce("integer", "+7") == 7
    assert coerce("integer", 12) == 12
    assert "a whole number" in rejected("integer", "4.5")
    # Persian and Arabic-Indic digits are digits; other scripts' and grouping are not
    assert coerce("integer", "۴۲") == coerce("integer", "٤٢") == 42
    for bad in ["1_000", "1,000", "1 000", "२३", "0x10", "forty"]:
        assert "a whole number" in rejected("integer", bad)
    assert "a whole number" in rejected("integer", True)
    assert "a whole number" in rejected("integer", 4.0)
    assert "between" in rejected("integer", 2**63)
    assert "a whole number" in rejected("integer", "9" * 5000)


def test_decimal() -> None:
    assert coerce("decimal", "12.5") == "12.5"
    assert coerce("decimal", "12,50") == "12.50"
    assert coerce("decimal", "-.5") == "-0.5"
    assert coerce("decimal", Decimal("12.50")) == "12.50"
    assert coerce("decimal", 7) == "7"
    assert coerce("decimal", Decimal("1E+3")) == "1000"
    assert coerce("decimal", "-0") == "0"
    assert "not a float" in rejected("decimal", 0.1)
    assert "12.5" in rejected("decimal", "1,234.56")
    assert "not NaN" in rejected("decimal", Decimal("NaN"))
    assert "not NaN" in rejected("decimal", Decimal("-Infinity"))
    assert "a number" in rejected("decimal", "NaN")
    assert "a number" in rejected("decimal", "1e5")
    assert "a number" in rejected("decimal", True)
    assert "digits" in rejected("decimal", Decimal("1E+999999"))
    assert DecimalType().load("12.50") == Decimal("12.50")


def test_money_text_forms() -> None:
    euro = {"amount": "12.50", "currency": "EUR"}
    assert coerce("money", "12.5 eur") == euro
    assert coerce("money", "12.50 EUR") == euro
    assert coerce("money", "EUR 12.50") == euro
    assert coerce("money", "12,5") == euro  # workspace currency
    assert coerce("money", "€12.50") == euro
    assert coerce("money", "12,50 €") == euro
    assert coerce("money", "-€5") == {"amount": "-5.00", "currency": "EUR"}
    assert coerce("money", "$5") == {"amount": "5.00", "currency": "USD"}
    cad = FieldContext(currency="CAD")
    assert coerce("money", "$5", cad) == {"amount": "5.00", "currency": "CAD"}
    assert coerce("money", "1200 jpy") == {"amount": "1200", "currency": "JPY"}


def test_money_python_values() -> None:
    euro = {"amount": "12.50", "currency": "EUR"}
    assert coerce("money", Money(Decimal("12.5"), "eur")) == euro
    assert coerce("money", {"amount": "12.5", "currency": "EUR"}) == euro
    assert coerce("money", {"amount": Decimal("12.5"), "currency": "EUR"}) == euro
    assert coerce("money", Decimal("12.5")) == euro
    loaded = MoneyType().load(euro)
    assert loaded == Money(Decimal("12.50"), "EUR")
    assert str(loaded) == "12.50 EUR"


def test_money_rejects() -> None:
    assert "workspace.currency" in rejected("money", "12.50", BARE)
    assert "give a currency" in rejected("money", "12.50", BARE)
    assert "not a float" in rejected("money", {"amount": 12.5, "currency": "EUR"})
    assert "not a float" in rejected("money", Money(0.1, "EUR"))  # type: ignore[arg-type]
    # (in Rome, en_IT, "12.505 EUR" is 12505 euros: a dot groups thousands there)
    assert "at most 2 decimals for EUR" in rejected("money", "12.505 EUR", BARE)
    assert "at most 2 decimals for EUR" in rejected("money", "12,505 EUR")
    assert "at most 0 decimals for JPY" in rejected("money", "12.5 JPY")
    assert "3-letter" in rejected("money", {"amount": "1", "currency": "EURO"})
    assert "12.50 EUR" in rejected("money", "12.50 EURO")
    assert "amount and currency" in rejected("money", {"amount": "1"})
    assert "12.50 EUR" in rejected("money", "--€5")
    assert "12.50 EUR" in rejected("money", "-€-5")


# -- date, datetime -----------------------------------------------------------


def test_date() -> None:
    assert coerce("date", "2024-02-29") == "2024-02-29"
    assert coerce("date", date(2025, 3, 1)) == "2025-03-01"
    assert "exists in the calendar" in rejected("date", "2024-02-30")
    assert "YYYY-MM-DD" in rejected("date", "01/03/2025")
    assert "YYYY-MM-DD" in rejected("date", "20250301")
    assert "YYYY-MM-DD" in rejected("date", datetime(2025, 3, 1, 10, 0))
    assert DateType().load("2025-03-01") == date(2025, 3, 1)


def test_datetime_naive_is_local_time_and_stored_in_utc() -> None:
    assert coerce("datetime", "2025-03-01T10:30") == "2025-03-01T09:30:00+00:00"
    assert coerce("datetime", "2025-07-01 10:30:00") == "2025-07-01T08:30:00+00:00"
    assert coerce("datetime", "2025-03-01T10:30", BARE) == "2025-03-01T10:30:00+00:00"
    assert coerce("datetime", "2025-03-01T10:30Z") == "2025-03-01T10:30:00+00:00"
    assert coerce("datetime", "2025-03-01T10:30-05:00") == "2025-03-01T15:30:00+00:00"
    assert coerce("datetime", datetime(2025, 3, 1, 10, 30)) == "2025-03-01T09:30:00+00:00"
    aware = datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    assert coerce("datetime", aware) == "2025-03-01T10:30:00+00:00"
    # The hour repeated when clocks go back: its first occurrence (+02:00).
    assert coerce("datetime", "2025-10-26T02:30") == "2025-10-26T00:30:00+00:00"


def test_datetime_renders_in_the_workspace_time_zone() -> None:
    raw = "2025-03-01T09:30:00+00:00"
    assert schema("datetime").render("f", raw) == "2025-03-01T10:30:00+01:00"
    assert schema("datetime", BARE).render("f", raw) == raw


def test_datetime_rejects() -> None:
    assert "YYYY-MM-DDTHH:MM" in rejected("datetime", "2025-03-01")
    assert "YYYY-MM-DDTHH:MM" in rejected("datetime", "2025-03-01T25:00")
    assert "YYYY-MM-DDTHH:MM" in rejected("datetime", "yesterday")
    assert "YYYY-MM-DDTHH:MM" in rejected("datetime", date(2025, 3, 1))
    # Clocks in Rome jump from 02:00 to 03:00 that night.
    assert "exists in Europe/Rome" in rejected("datetime", "2025-03-30T02:30")
    assert "years 2 to 9998" in rejected("datetime", "9999-12-31T23:00")
    assert "YYYY-MM-DDTHH:MM" in rejected("datetime", "0001-01-01T00:30")


# -- email, phone -------------------------------------------------------------


def test_email_normalises_the_domain() -> None:
    assert coerce("email", "Someone@EXAMPLE.com") == "Someone@example.com"
    assert coerce("email", " anna@example.it ") == "anna@example.it"


@pytest.mark.parametrize("bad", ["someone", "someone@", "@example.com", "a b@example.com", 42])
def test_email_rejects(bad: Any) -> None:
    assert "an e-mail address such as name@example.com" in rejected("email", bad)


def test_phone_with_region() -> None:
    assert coerce("phone", "06 1234 5678") == "+390612345678"
    assert coerce("phone", "+39 06 1234 5678") == "+390612345678"
    assert coerce("phone", "+1 201-555-0123") == "+12015550123"
    assert schema("phone").render("f", "+390612345678") == "+39 06 1234 5678"


def test_phone_without_region_needs_a_country_code() -> None:
    assert coerce("phone", "+39 06 1234 5678", BARE) == "+390612345678"
    message = rejected("phone", "06 1234 5678", BARE)
    assert "+country code" in message
    assert "workspace.region" in message


def test_phone_rejects() -> None:
    message = rejected("phone", "12")
    assert "a phone number such as +39 3" in message  # an Italian example for region IT
    assert "phone number" in rejected("phone", "not a number")
    assert "without an extension" in rejected("phone", "+39 06 1234 5678 ext. 12")
    assert "phone number" in rejected("phone", 390612345678)


# -- choice, multi-choice, boolean --------------------------------------------


def test_choice_matches_case_insensitively_and_keeps_the_defined_spelling() -> None:
    assert coerce("choice", "gold") == "Gold"
    assert coerce("choice", "SILVER") == "Silver"
    message = rejected("choice", "Platinum")
    assert "one of: Gold, Silver, Bronze" in message
    assert "one of" in rejected("choice", 1)


def test_multi_choice() -> None:
    assert coerce("multi-choice", "b, a") == ["a", "b"]
    assert coerce("multi-choice", "C,a,A") == ["a", "c"]
    assert coerce("multi-choice", ["c", "b"]) == ["b", "c"]
    assert coerce("multi-choice", ("a",)) == ["a"]
    assert coerce("multi-choice", {"b"}) == ["b"]
    assert "one of: a, b, c" in rejected("multi-choice", "a, d")
    assert "one of: a, b, c" in rejected("multi-choice", [1])
    assert "one of: a, b, c" in rejected("multi-choice", {"a": 1})
    assert coerce("multi-choice", []) is None  # an empty list clears the field
    assert "leave the field empty" in rejected("multi-choice", " , ")
    assert schema("multi-choice").render("f", ["a", "b"]) == "a, b"


def test_multi_choice_with_commas_inside_a_choice() -> None:
    f = FieldDef(key="f", label="F", type="multi-choice", choices=("Cut, wash", "Colour", "wash"))
    s = FieldSchema([f], ALL_TYPES, CTX)
    assert s.coerce("f", "colour, cut, wash") == ["Cut, wash", "Colour"]
    assert s.coerce("f", s.render("f", ["Cut, wash", "wash"])) == ["Cut, wash", "wash"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Yes", True), ("y", True), ("TRUE", True), ("1", True), ("on", True),
     ("No", False), ("n", False), ("false", False), ("0", False), ("OFF", False),
     (True, True), (False, False)],
)  # fmt: skip
def test_boolean(given: Any, stored: bool) -> None:
    assert coerce("boolean", given) is stored


def test_boolean_rejects() -> None:
    assert "yes or no" in rejected("boolean", "maybe")
    assert "yes or no" in rejected("boolean", 1)
    assert schema("boolean").render("f", True) == "yes"
    assert schema("boolean").render("f", False) == "no"


# -- messages -----------------------------------------------------------------


def test_error_names_the_text_as_typed_when_parsed_text_fails_validation() -> None:
    assert rejected("money", "12,505 EUR").startswith("f: '12,505 EUR' is not valid")


def test_the_email_shortcut_agrees_with_the_full_check() -> None:
    """Plain ASCII addresses skip email_validator once their domain passed it: same answers."""
    import random
    import string

    from email_validator import EmailNotValidError, validate_email

    from clientcard.core.errors import FieldValueError
    from clientcard.plugins.fields.contact import EmailType

    def full(address: str) -> str | None:
        try:
            return validate_email(address.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            return None

    email = EmailType()
    field = FieldDef(key="email", label="E-mail", type="email")

    def quick(address: str) -> str | None:
        try:
            return str(email.validate(address, field, FieldContext()))
        except FieldValueError:
            return None

    cases = [
        "Ana@Example.COM", "a.b@x.it", "a..b@x.it", ".a@x.it", "a.@x.it", "a@localhost",
        "a@x.local", "a@example.test", "a@x.invalid", "a@x.onion", "a@-x.com", "a@x-.com",
        "a+tag@gmail.com", "o'neil@x.ie", "a@x.c", "ü@x.de", "a@x..it", "a@xn--80ak6aa92e.com",
        "x" * 65 + "@x.it", "a@home.arpa", "a@x.123", " pad@x.it ",
    ]  # fmt: skip
    rnd = random.Random(5)
    domains = ["gmail.com", "x.it", "localhost", "a.local", "b.test", "d..e", "-e.com", "g.x"]
    for _ in range(500):
        size = rnd.randint(1, 12)
        local = "".join(rnd.choice(string.ascii_letters + "._+-'") for _ in range(size))
        cases.append(f"{local}@{rnd.choice(domains)}")
    for address in cases * 2:  # the second time, every domain is known
        assert quick(address) == full(address), address
