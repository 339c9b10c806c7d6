"""The field types source 002 asked for: addresses, Jalali dates, national ids,
customer references, consent, choice colours, presets and field options."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import jsonschema
import pluggy
import pytest

from clientcard import FieldPreset, IdScheme, Workspace, hookimpl
from clientcard.core import hookspecs
from clientcard.core.errors import FieldDefinitionError, ValidationError, shown
from clientcard.core.fields import STARTER_FIELDS, FieldContext, FieldSchema, FieldType
from clientcard.core.model import FieldDef, JSONValue
from clientcard.plugins.fields import address, consent, customer_ref, national_id, presets
from clientcard.plugins.fields.address import AddressType, ShippingAddressType
from clientcard.plugins.fields.choice import ChoiceType, MultiChoiceType
from clientcard.plugins.fields.consent import ConsentType
from clientcard.plugins.fields.customer_ref import CustomerRefType
from clientcard.plugins.fields.dates import DateTimeType, DateType
from clientcard.plugins.fields.national_id import IranNationalCode, NationalIdType
from conftest import RunCLI

TEHRAN = ZoneInfo("Asia/Tehran")
SCHEMES: dict[str, IdScheme] = {"ir": IranNationalCode()}
CTX = FieldContext(
    region="IT", currency="EUR", timezone=ZoneInfo("Europe/Rome"), id_schemes=SCHEMES
)
PERSIAN = FieldContext(region="IR", timezone=TEHRAN, locale="fa-IR", id_schemes=SCHEMES)

TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        AddressType(),
        ShippingAddressType(),
        NationalIdType(),
        CustomerRefType(),
        ConsentType(),
        DateType(),
        DateTimeType(),
        ChoiceType(),
        MultiChoiceType(),
    )
}
CHOICES = {"choice": ("paid", "pending", "not needed"), "multi-choice": ("a", "b")}


def field(type_name: str, **options: Any) -> FieldDef:
    return FieldDef(
        key="f", label="F", type=type_name, choices=CHOICES.get(type_name, ()), options=options
    )


def coerce(type_name: str, value: Any, ctx: FieldContext = CTX, **options: Any) -> JSONValue:
    return FieldSchema([field(type_name, **options)], TYPES, ctx).coerce("f", value)


def render(type_name: str, raw: JSONValue, ctx: FieldContext = CTX, **options: Any) -> str:
    return FieldSchema([field(type_name, **options)], TYPES, ctx).render("f", raw)


def rejected(type_name: str, value: Any, ctx: FieldContext = CTX, **options: Any) -> str:
    """The one-line message for ``value``, checked to name the field and the value."""
    with pytest.raises(ValidationError) as info:
        coerce(type_name, value, ctx, **options)
    message = str(info.value)
    given = shown(value)  # as a person reads it: never a Python repr of a dict or a date
    assert message.startswith(f"f: {given} is not valid; expected " if given else "f: no value")
    assert "\n" not in message
    return message


def round_trips(type_name: str, raw: JSONValue, ctx: FieldContext = CTX, **options: Any) -> str:
    """render and export_text both read back as ``raw``; returns the rendered text."""
    schema = FieldSchema([field(type_name, **options)], TYPES, ctx)
    shown = schema.render("f", raw)
    assert schema.coerce("f", shown) == raw
    assert schema.coerce("f", schema.export_text("f", raw)) == raw
    # what is stored is what the JSON schema describes
    jsonschema.Draft202012Validator(TYPES[type_name].json_schema(schema.get("f"), ctx)).validate(
        raw
    )
    return shown


# -- registration -----------------------------------------------------------------


def test_the_new_plugins_register_their_types_schemes_and_presets() -> None:
    pm = pluggy.PluginManager("clientcard")
    pm.add_hookspecs(hookspecs)
    for module in (address, national_id, customer_ref, consent, presets):
        pm.register(module)
    types: list[FieldType] = []
    pm.hook.clientcard_register_field_types(register=types.append)
    assert sorted(t.name for t in types) == [
        "address", "consent", "customer", "national-id", "shipping-address",
    ]  # fmt: skip
    for ftype in types:
        assert ftype.label and ftype.description.endswith(".")
    schemes: list[IdScheme] = []
    pm.hook.clientcard_register_id_schemes(register=schemes.append)
    assert [s.name for s in schemes] == ["ir"]
    found: list[FieldPreset] = []
    pm.hook.clientcard_register_field_presets(register=found.append)
    assert {"acquisition-source", "contact-channel", "payment-terms", "purchase-status"} <= {
        p.name for p in found
    }


def test_a_workspace_has_the_new_types_schemes_and_presets(workspace: Workspace) -> None:
    assert {"address", "shipping-address", "national-id", "customer", "consent"} <= set(
        workspace.field_types()
    )
    assert workspace.field_context.id_schemes["ir"].name == "ir"
    assert "opening-total" in workspace.field_presets()
    info = next(i for i in workspace.plugins.infos.values() if i.name == "fields-national-id")
    assert info.registered == {"field types": ["national-id"], "id schemes": ["ir"]}


# -- Jalali dates -------------------------------------------------------------------

JALALI_DAYS = [
    ("1403/01/01", "2024-03-20"),  # Nowruz 1403
    ("1402/12/29", "2024-03-19"),
    ("1403/12/30", "2025-03-20"),  # 1403 is a leap year
    ("1404/01/01", "2025-03-21"),
    ("1369/10/11", "1991-01-01"),
    ("1300/01/01", "1921-03-21"),
]


@pytest.mark.parametrize(("jalali", "iso"), JALALI_DAYS)
def test_jalali_dates_are_typed_and_shown_in_jalali_and_stored_gregorian(
    jalali: str, iso: str
) -> None:
    assert coerce("date", jalali, calendar="jalali") == iso
    assert coerce("date", jalali.replace("/", "-"), calendar="jalali") == iso
    assert render("date", iso, calendar="jalali") == jalali
    assert round_trips("date", iso, calendar="jalali") == jalali
    # the workspace's locale says the same when the field says nothing
    assert coerce("date", jalali, PERSIAN) == iso
    assert render("date", iso, PERSIAN) == jalali


def test_jalali_dates_take_persian_and_arabic_indic_digits_and_short_parts() -> None:
    assert coerce("date", "۱۴۰۳/۰۱/۰۱", PERSIAN) == "2024-03-20"  # noqa: RUF001
    assert coerce("date", "١٤٠٣/١/١", PERSIAN) == "2024-03-20"  # noqa: RUF001
    assert coerce("date", "1403/1/1", PERSIAN) == "2024-03-20"
    assert coerce("date", date(2024, 3, 20), PERSIAN) == "2024-03-20"


def test_a_jalali_field_still_takes_the_iso_dates_forms_and_other_software_send() -> None:
    assert coerce("date", "2024-03-20", PERSIAN) == "2024-03-20"
    assert coerce("date", "1699/12/29", PERSIAN) == "2321-03-20"  # the last Jalali year
    assert coerce("date", "1700-01-01", PERSIAN) == "1700-01-01"  # Gregorian from 1700


def test_the_field_option_wins_over_the_locale() -> None:
    assert coerce("date", "2024-03-20", PERSIAN, calendar="gregorian") == "2024-03-20"
    assert render("date", "2024-03-20", PERSIAN, calendar="gregorian") == "2024-03-20"
    assert "YYYY-MM-DD" in rejected("date", "1403/01/01", PERSIAN, calendar="gregorian")
    assert render("date", "2024-03-20", CTX) == "2024-03-20"


def test_bad_jalali_dates_say_what_is_expected() -> None:
    for bad in ["1404/12/30", "1403/13/01", "1403/00/10", "1403/07/31"]:
        assert "that exists in the calendar" in rejected("date", bad, PERSIAN)
    for bad in ["1403", "yesterday", "03/01/1403", "1403/01/01 10:00"]:
        message = rejected("date", bad, PERSIAN)
        assert "Jalali calendar as YYYY/MM/DD, such as 1403/01/01" in message
    assert "0001/01/01 to 1699/12/29" in rejected("date", date(600, 1, 1), PERSIAN)


def test_jalali_date_times_round_trip_through_the_workspace_time_zone() -> None:
    stored = coerce("datetime", "1403/01/01 10:30", PERSIAN)
    assert stored == "2024-03-20T07:00:00+00:00"  # Tehran is UTC+3:30
    assert render("datetime", stored, PERSIAN) == "1403/01/01 10:30:00+03:30"
    assert round_trips("datetime", stored, PERSIAN) == "1403/01/01 10:30:00+03:30"
    assert coerce("datetime", "۱۴۰۳/۰۱/۰۱T۱۰:۳۰", PERSIAN) == stored  # noqa: RUF001
    assert coerce("datetime", "2024-03-20T10:30+03:30", PERSIAN) == stored
    assert "1403/01/01 10:30" in rejected("datetime", "1403/01/01", PERSIAN)


def test_jalali_json_schemas_take_what_a_form_sends() -> None:
    schema = DateType().json_schema(field("date"), PERSIAN)
    assert schema["x-calendar"] == "jalali" and "format" not in schema
    check = jsonschema.Draft202012Validator(schema)
    for good in ["1403/01/01", "۱۴۰۳/۰۱/۰۱", "2024-03-20"]:  # noqa: RUF001
        assert check.is_valid(good)
    assert not check.is_valid("next tuesday")
    assert DateType().json_schema(field("date"), CTX) == {
        "type": "string", "format": "date", "title": "F",
    }  # fmt: skip
    moment = jsonschema.Draft202012Validator(DateTimeType().json_schema(field("datetime"), PERSIAN))
    assert moment.is_valid("1403/01/01 10:30") and moment.is_valid("2024-03-20T10:30:00Z")
    assert not moment.is_valid("1403/01/01")


def test_a_persian_workspace_shows_jalali_dates(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "fa", settings={"workspace.timezone": "Asia/Tehran"})
    ws.set_setting("workspace.locale", "fa-IR")
    ana = ws.add_customer("Ana", joined_at="1403/01/01", fields={"birth_date": "۱۳۷۰/۰۵/۱۱"})  # noqa: RUF001
    assert ana.joined_at == date(2024, 3, 20)
    assert ana.fields["birth_date"] == "1991-08-02"
    assert ws.schema().render("birth_date", "1991-08-02") == "1370/05/11"


# -- national ids --------------------------------------------------------------------

VALID_IR = ["0499370899", "0790419904", "0084575948", "0013542419", "4608968882", "1234567891"]


@pytest.mark.parametrize("code", VALID_IR)
def test_valid_iranian_national_codes_are_stored_as_ten_ascii_digits(code: str) -> None:
    assert coerce("national-id", code, scheme="ir") == code
    dashed = f"{code[:3]}-{code[3:9]}-{code[9]}"
    assert coerce("national-id", dashed, scheme="ir") == code
    assert coerce("national-id", f" {code[:5]} {code[5:]} ", scheme="ir") == code
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert coerce("national-id", persian, scheme="ir") == code
    assert round_trips("national-id", code, scheme="ir") == code


def test_the_iranian_check_digit() -> None:
    scheme = IranNationalCode()
    # 0499370899: 0*10+4*9+9*8+9*7+3*6+7*5+0*4+8*3+9*2 = 266; 266 % 11 = 2; 11 - 2 = 9
    assert scheme.check("0499370899")
    for last in "012345678":
        assert not scheme.check("049937089" + last)
    # a remainder below 2 is the check digit itself: 0000000019 has s = 2*... r = 1
    assert scheme.check("0000000019") and not scheme.check("0000000018")
    for same in ("0000000000", "1111111111", "9999999999"):
        assert not scheme.check(same)  # they pass the sum, but are never issued
    assert not scheme.check("049937089") and not scheme.check("04993708990")


def test_leading_zeros_lost_by_a_spreadsheet_are_put_back() -> None:
    assert coerce("national-id", "84575948", scheme="ir") == "0084575948"
    assert coerce("national-id", "13542419", scheme="ir") == "0013542419"
    assert coerce("national-id", "790419904", scheme="ir") == "0790419904"


def test_bad_national_codes_say_what_is_expected() -> None:
    for bad in ["0499370898", "1111111111", "12345", "04993708991", "abcdefghij"]:
        message = rejected("national-id", bad, scheme="ir")
        assert "10-digit national code" in message and "such as 0499370899" in message
    assert "as text" in rejected("national-id", 499370899, scheme="ir")


def test_a_national_id_without_a_scheme_is_only_normalised() -> None:
    assert coerce("national-id", " ab-123.456 ") == "AB123456"
    assert coerce("national-id", "۱۲۳-۴۵") == "12345"
    assert "letters and digits" in rejected("national-id", "AB#1")


def test_a_scheme_no_plugin_provides_is_refused_when_defined_and_when_used(
    workspace: Workspace,
) -> None:
    with pytest.raises(FieldDefinitionError) as info:
        workspace.add_field("code", type="national-id", options={"scheme": "xx"})
    assert str(info.value) == (
        "field 'code': option scheme='xx' is not valid; expected the name of an id scheme: ir"
    )
    bare = FieldContext()  # no schemes at all
    assert "no enabled plugin provides it" in rejected(
        "national-id", "0499370899", bare, scheme="ir"
    )


class Luhn(IdScheme):
    name = "luhn"
    label = "Card number"
    description = "a number whose last digit is a Luhn check digit"
    example = "79927398713"

    def normalise(self, text: str) -> str:
        return "".join(c for c in text if c.isdigit())

    def check(self, text: str) -> bool:
        digits = [int(c) for c in reversed(text)]
        odd = sum(digits[0::2])
        even = sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
        return bool(text) and (odd + even) % 10 == 0


class LuhnPlugin:
    @hookimpl
    def clientcard_register_id_schemes(self, register: Any) -> None:
        register(Luhn())


def test_a_plugin_adds_an_id_scheme(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", plugins=[LuhnPlugin()])
    ws.add_field("card", type="national-id", options={"scheme": "LUHN"})
    assert ws.field("card").options == {"scheme": "luhn"}
    assert ws.add_customer("Ana", fields={"card": "7992 7398 713"}).fields == {
        "card": "79927398713"
    }
    with pytest.raises(ValidationError, match="Luhn check digit, such as 79927398713"):
        ws.add_customer("Bob", fields={"card": "79927398710"})
    assert ws.schema().get("card").type == "national-id"
    assert ws.plugins.infos["LuhnPlugin"].registered == {"id schemes": ["luhn"]}


def test_national_id_json_schema_names_its_scheme() -> None:
    schema = NationalIdType().json_schema(field("national-id", scheme="ir"), CTX)
    assert schema["x-id-scheme"] == "ir" and schema["examples"] == ["0499370899"]
    check = jsonschema.Draft202012Validator(schema)
    assert check.is_valid("049-937089-9") and check.is_valid("۰۴۹۹۳۷۰۸۹۹")
    assert not check.is_valid("") and not check.is_valid("04#99")


# -- addresses ----------------------------------------------------------------------

FULL = {
    "street": "Via Roma 1",
    "city": "Milano",
    "region": "MI",
    "postal_code": "01234",
    "country": "IT",
    "lat": 45.4642,
    "lon": 9.19,
}


def test_an_address_from_its_one_line_form() -> None:
    text = "Via Roma 1; Milano; MI; 01234; it @ 45.4642, 9.19"
    assert coerce("address", text) == FULL
    assert round_trips("address", FULL) == "Via Roma 1; Milano; MI; 01234; IT @ 45.4642, 9.19"
    assert coerce("address", "Via Roma 1;Milano") == {"street": "Via Roma 1", "city": "Milano"}
    assert coerce("address", "; ; ; 00100") == {"postal_code": "00100"}
    assert coerce("address", "Via Roma 1 @ -33.8688,151.2093") == {
        "street": "Via Roma 1", "lat": -33.8688, "lon": 151.2093,
    }  # fmt: skip


@pytest.mark.parametrize(
    "raw",
    [
        FULL,
        {"city": "Milano"},
        {"street": "Via Roma 1", "postal_code": "20121"},
        {"country": "Italia"},
        {"lat": 0.0, "lon": -180.0},
        {"street": "Piazza; Duomo", "city": "Milano"},  # a ';' inside: written as JSON
        {"street": "{odd}"},
        {"street": "c/o Rossi @ home"},
        {"street": "خیابان ولیعصر ۱۲", "city": "تهران", "country": "IR"},
        {"city": "Roma", "lat": 41.9027835, "lon": 12.4963655},
    ],
)
def test_every_address_round_trips_through_its_text(raw: dict[str, Any]) -> None:
    round_trips("address", raw)


def test_an_address_from_python_or_json_is_normalised() -> None:
    given = {"street": "  Via   Roma 1 ", "city": "", "country": "it", "lat": "45.5", "lon": 9}
    assert coerce("address", given) == {
        "street": "Via Roma 1", "country": "IT", "lat": 45.5, "lon": 9.0,
    }  # fmt: skip
    assert coerce("address", '{"city": "Milano", "postal_code": "00100"}') == {
        "city": "Milano", "postal_code": "00100",
    }  # fmt: skip
    assert coerce("address", {"lat": 45.123456789, "lon": 9})["lat"] == 45.1234568


def test_bad_addresses_say_what_is_expected() -> None:
    assert "at most 5 parts" in rejected("address", "a; b; c; d; e; f")
    assert "a latitude from -90 to 90" in rejected("address", "Via Roma 1 @ 90.5, 9")
    assert "a longitude from -180 to 180" in rejected("address", {"lat": 1, "lon": 180.01})
    assert "a latitude" in rejected("address", {"lat": True, "lon": 1})
    assert "a latitude" in rejected("address", {"lat": float("nan"), "lon": 1})
    assert "both a latitude and a longitude, or neither" in rejected("address", {"lat": 45})
    assert "(not 'zip')" in rejected("address", {"zip": "00100"})
    assert "postal code as text (leading zeros are kept)" in rejected(
        "address", {"postal_code": 100}
    )
    assert "at least one part" in rejected("address", {"city": " "})
    assert "'street; city; region; postal code; country'" in rejected("address", ["Milano"])


def test_shipping_address_is_an_address_or_the_same_as_the_main_one() -> None:
    for same in ["same", "Same as main address", "SAME AS ADDRESS"]:
        assert coerce("shipping-address", same) == {"same_as_main": True}
    assert round_trips("shipping-address", {"same_as_main": True}) == "same as main address"
    assert round_trips("shipping-address", {"city": "Milano"}) == "; Milano"
    assert round_trips("shipping-address", {"street": "same"}) == '{"street": "same"}'
    assert coerce("shipping-address", {"same_as_main": True}) == {"same_as_main": True}
    assert "alone" in rejected("shipping-address", {"same_as_main": False})
    assert "alone" in rejected("shipping-address", {"same_as_main": True, "city": "Roma"})
    assert "'same' (as the main address), or an address" in rejected("shipping-address", 7)


def test_shipping_address_json_schema_takes_either_form(workspace: Workspace) -> None:
    workspace.add_field("home", type="address")
    workspace.add_field("ship", type="shipping-address", options={"main": "home"})
    definition = workspace.field("ship")
    schema = ShippingAddressType().json_schema(definition, workspace.field_context)
    assert schema["x-main-address"] == "home" and schema["type"] == "object"
    check = jsonschema.Draft202012Validator(schema)
    assert check.is_valid({"same_as_main": True}) and check.is_valid({"city": "Roma"})
    assert not check.is_valid({"same_as_main": True, "city": "Roma"})
    assert not check.is_valid({"lat": 1}) and not check.is_valid({})
    with pytest.raises(FieldDefinitionError, match="the key of the main address field"):
        workspace.add_field("ship2", type="shipping-address", options={"main": "Home Address"})


def test_address_fields_reach_the_vcard(workspace: Workspace, tmp_path: Path) -> None:
    workspace.add_field("address", type="address")
    workspace.add_customer(
        "Ana Rossi",
        fields={"address": "Via Roma 1; Milano; MI; 20121; IT", "birth_date": "1990-05-17"},
    )
    workspace.export("vcard", tmp_path / "out.vcf")
    card = (tmp_path / "out.vcf").read_bytes().decode("utf-8")
    assert "ADR:;;Via Roma 1;Milano;MI;20121;IT\r\n" in card
    assert "BDAY:19900517\r\n" in card


# -- customer references -------------------------------------------------------------


def test_a_customer_reference_is_an_id() -> None:
    assert coerce("customer", "123") == 123
    assert coerce("customer", "#123") == 123
    assert coerce("customer", "# 7") == 7
    assert coerce("customer", 5) == 5
    assert round_trips("customer", 42) == "#42"
    assert CustomerRefType().export_text(42, field("customer"), CTX) == "42"
    for bad in ["Ana", "12a", "-3", "0", "1.5"]:
        assert "a customer id such as 123 or #123" in rejected("customer", bad)
    for bad_value in [True, 0, 2**63, 1.0]:
        assert "a customer id" in rejected("customer", bad_value)
    assert CustomerRefType().json_schema(field("customer"), CTX)["type"] == "integer"


# -- consent ---------------------------------------------------------------------------


def test_consent_is_given_or_withdrawn_now_unless_a_time_is_given() -> None:
    before = datetime.now(UTC)
    stored = coerce("consent", "opted in")
    after = datetime.now(UTC)
    assert stored["given"] is True
    assert before <= datetime.fromisoformat(stored["at"]) <= after
    assert coerce("consent", "withdrawn @ 2025-01-02T10:00") == {
        "given": False, "at": "2025-01-02T09:00:00+00:00",  # Rome is UTC+1 in January
    }  # fmt: skip
    assert coerce("consent", "yes since 2025-01-02T10:00:00+00:00")["at"] == (
        "2025-01-02T10:00:00+00:00"
    )
    assert coerce("consent", "NO at 2025-01-02 10:00")["given"] is False
    for word in ["yes", "true", "y", "1", "opt-in", "subscribed"]:
        assert coerce("consent", word)["given"] is True
    for word in ["no", "false", "opted out", "unsubscribed"]:
        assert coerce("consent", word)["given"] is False


def test_consent_round_trips_and_reads_as_a_sentence() -> None:
    raw = {"given": True, "at": "2025-01-02T09:00:00+00:00"}
    assert round_trips("consent", raw) == "yes since 2025-01-02T10:00:00+01:00"
    withdrawn = {"given": False, "at": "2024-03-20T07:00:00+00:00"}
    assert round_trips("consent", withdrawn, PERSIAN) == "no since 1403/01/01 10:30:00+03:30"


def test_consent_from_python_and_its_mistakes() -> None:
    assert coerce("consent", {"given": False, "at": "2025-01-02T10:00Z"}) == {
        "given": False, "at": "2025-01-02T10:00:00+00:00",
    }  # fmt: skip
    assert coerce("consent", True)["given"] is True
    assert "yes or no" in rejected("consent", "maybe")
    assert "given must be true or false" in rejected("consent", {"given": "yes"})
    assert "a mapping with given and at" in rejected("consent", {"given": True, "by": "web"})
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert "not in the future" in rejected("consent", {"given": True, "at": future})
    assert "YYYY-MM-DDTHH:MM" in rejected("consent", "yes @ tomorrow")


def test_consent_json_schema() -> None:
    check = jsonschema.Draft202012Validator(ConsentType().json_schema(field("consent"), CTX))
    assert check.is_valid({"given": True})
    assert check.is_valid({"given": False, "at": "2025-01-02T10:00"})
    assert not check.is_valid({"given": False, "at": "yesterday"})
    assert not check.is_valid({"at": "2025-01-02T10:00:00Z"})
    assert not check.is_valid({"given": "yes"})


# -- choice colours and field options ----------------------------------------------------


def test_choice_colours_are_checked_and_normalised(workspace: Workspace) -> None:
    added = workspace.add_field(
        "status_paid",
        type="choice",
        choices=["paid", "pending"],
        options={"colours": {"PENDING": "#fb8c00", "paid": " #43a047 "}},
    )
    # spelled as the choices are, in their order, in capitals
    assert added.options == {"colours": {"paid": "#43A047", "pending": "#FB8C00"}}
    assert workspace.field("status_paid").options == added.options
    schema = ChoiceType().json_schema(added, workspace.field_context)
    assert schema["x-colours"] == {"paid": "#43A047", "pending": "#FB8C00"}
    with pytest.raises(FieldDefinitionError) as info:
        workspace.add_field(
            "x", type="choice", choices=["a"], options={"colours": {"b": "#000000"}}
        )
    assert str(info.value) == (
        'field \'x\': option colours={"b": "#000000"} is not valid; '
        "expected colours for the field's choices (a)"
    )
    with pytest.raises(FieldDefinitionError, match=r"a colour for 'a' as #RRGGBB"):
        workspace.add_field(
            "y", type="multi-choice", choices=["a"], options={"colours": {"a": "red"}}
        )


def test_options_a_type_does_not_take_are_refused_in_one_line(workspace: Workspace) -> None:
    with pytest.raises(FieldDefinitionError) as info:
        workspace.add_field("nick", type="text", options={"calendar": "jalali"})
    assert (
        str(info.value) == "field 'nick': type 'text' has no option 'calendar'; it takes no options"
    )
    with pytest.raises(FieldDefinitionError) as info:
        workspace.add_field("day", type="date", options={"calender": "jalali"})
    assert str(info.value) == (
        "field 'day': type 'date' has no option 'calender'; its options: calendar"
    )
    with pytest.raises(FieldDefinitionError) as info:
        workspace.add_field("day", type="date", options={"calendar": "julian"})
    assert str(info.value) == (
        "field 'day': option calendar='julian' is not valid; expected 'gregorian' or 'jalali'"
    )
    assert workspace.add_field("day", type="date", options={"calendar": "Jalali"}).options == {
        "calendar": "jalali"
    }


def test_changing_options_rechecks_stored_values(workspace: Workspace) -> None:
    workspace.add_field("code", type="national-id")
    workspace.add_customer("Ana", fields={"code": "0499370899"})
    bob = workspace.add_customer("Bob", fields={"code": "1234"})
    with pytest.raises(FieldDefinitionError) as info:
        workspace.edit_field("code", options={"scheme": "ir"})
    assert f"customers {bob.id} ('1234': expected Iran's 10-digit national code" in str(info.value)
    workspace.update_customer(bob.id, {"code": "84575948"})  # fine without a scheme
    workspace.edit_field("code", options={"scheme": "ir"})
    assert workspace.get_customer(bob.id).fields["code"] == "0084575948"  # padded by the scheme
    workspace.edit_field("code", options={"scheme": None})  # None removes an option
    assert workspace.field("code").options == {}


def test_built_in_fields_take_options_too(workspace: Workspace) -> None:
    workspace.edit_field("joined_at", options={"calendar": "jalali"})
    ana = workspace.add_customer("Ana", joined_at="1403/01/01")
    assert ana.joined_at == date(2024, 3, 20)
    assert workspace.schema().render("joined_at", "2024-03-20") == "1403/01/01"


# -- presets and starter fields -------------------------------------------------------------


PRESET_CHOICES = {
    "acquisition-source": ("source", ["Instagram", "Facebook", "Google", "Website", "Referral",
                                      "Walk-in", "Other"]),
    "contact-channel": ("contact_channel", ["Phone", "SMS", "WhatsApp", "Telegram", "E-mail"]),
    "payment-terms": ("payment_terms", ["before delivery", "after delivery"]),
    "purchase-status": ("purchase_status", ["paid", "pending", "not needed"]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PRESET_CHOICES))
def test_the_choice_presets_have_their_choices_each_with_a_colour(
    workspace: Workspace, name: str
) -> None:
    key, choices = PRESET_CHOICES[name]
    added = workspace.add_field(key, preset=name)
    assert (added.type, list(added.choices)) == ("choice", choices)
    assert list(added.options["colours"]) == choices
    assert all(c.startswith("#") and len(c) == 7 for c in added.options["colours"].values())


def test_every_preset_can_be_added_to_a_new_workspace(workspace: Workspace) -> None:
    workspace.remove_field("birth_date")
    for name, preset in sorted(workspace.field_presets().items()):
        if preset.key in workspace.schema().defs:
            continue  # two presets may propose one key
        added = workspace.add_field(preset.key, preset=name)
        assert (added.type, added.label) == (preset.type, preset.label)
    assert workspace.field("opening_total").type == "money"
    assert workspace.field("national_id").options == {"scheme": "ir"}


def test_a_preset_is_extended_by_the_arguments_given(workspace: Workspace) -> None:
    added = workspace.add_field(
        "how_found",
        preset="acquisition-source",
        label="How did you find us?",
        choices=["Radio", "instagram"],
        options={"colours": {"Radio": "#000000"}},
    )
    assert added.label == "How did you find us?"
    assert added.choices[-2:] == ("Other", "Radio")  # instagram was there already
    assert added.options == {"colours": {"Radio": "#000000"}}  # options replace by name
    with pytest.raises(Exception, match="no field preset 'nope'; available: acquisition-source"):
        workspace.add_field("x", preset="nope")
    with pytest.raises(FieldDefinitionError, match="needs a type or a preset"):
        workspace.add_field("x")


def test_a_new_workspace_starts_with_a_birth_date_it_may_remove(workspace: Workspace) -> None:
    assert [f.key for f in STARTER_FIELDS] == ["birth_date"]
    birth = workspace.field("birth_date")
    assert (birth.type, birth.builtin) == ("date", False)
    assert workspace.add_customer("Ana", fields={"birth_date": "1990-05-17"}).fields == {
        "birth_date": "1990-05-17"
    }
    workspace.edit_field("birth_date", label="Birthday", required=False)
    assert workspace.remove_field("birth_date", force=True) == 1
    assert "birth_date" not in workspace.schema().defs
    with Workspace.open(workspace.path) as again:
        assert "birth_date" not in again.schema().defs


def test_a_plugin_adds_presets(tmp_path: Path) -> None:
    class Salon:
        @hookimpl
        def clientcard_register_field_presets(self, register: Any) -> None:
            register(
                FieldPreset(
                    name="hair-type",
                    key="hair_type",
                    type="choice",
                    label="Hair type",
                    choices=("curly", "straight"),
                )
            )

    ws = Workspace.init(tmp_path / "salon", plugins=[Salon()])
    assert ws.add_field("hair_type", preset="hair-type").choices == ("curly", "straight")
    assert ws.plugins.infos["Salon"].registered == {"field presets": ["hair-type"]}


# -- the CLI ---------------------------------------------------------------------------------


def test_cli_fields_add_with_options(run: RunCLI, workspace: Workspace) -> None:
    result = run("fields", "add", "born", "--type", "date", "--option", "calendar=jalali")
    assert result.exit_code == 0, result.stderr
    assert workspace.field("born").options == {"calendar": "jalali"}
    result = run(
        "fields", "add", "level", "--type", "choice", "--choice", "gold", "--choice", "silver",
        "--option", 'colours={"gold": "#d4af37"}', "--colour", "silver=#C0C0C0",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert workspace.field("level").options == {"colours": {"gold": "#D4AF37", "silver": "#C0C0C0"}}
    shown = run("fields", "list").stdout
    assert "calendar=jalali" in shown
    bad = run("fields", "add", "nick", "--type", "text", "--option", "calendar=jalali")
    assert bad.exit_code == 1
    assert bad.stderr == (
        "error: field 'nick': type 'text' has no option 'calendar'; it takes no options\n"
    )
    assert run("fields", "add", "x", "--type", "date", "--option", "calendar").exit_code == 2


def test_cli_fields_add_with_a_preset(run: RunCLI, workspace: Workspace) -> None:
    result = run("fields", "add", "source", "--preset", "acquisition-source", "--choice", "Radio",
                 "--colour", "Radio=#123456")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "added field source (choice)\n"
    source = workspace.field("source")
    assert source.choices[-1] == "Radio"
    assert source.options["colours"]["Radio"] == "#123456"
    assert source.options["colours"]["Instagram"] == "#E1306C"  # the preset's colours kept
    # the key defaults to the preset's
    assert run("fields", "add", "--preset", "payment-terms").exit_code == 0
    assert workspace.field("payment_terms").choices == ("before delivery", "after delivery")
    listed = json.loads(run("fields", "presets", "--format", "json").stdout)
    assert {p["name"] for p in listed} >= set(PRESET_CHOICES)
    assert "purchase-status" in run("fields", "presets").stdout
    missing = run("fields", "add")
    assert missing.exit_code == 2 and "KEY" in missing.stderr


def test_cli_fields_edit_options_and_colours(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "--preset", "purchase-status")
    result = run("fields", "edit", "purchase_status", "--colour", "paid=#000000")
    assert result.exit_code == 0, result.stderr
    colours = workspace.field("purchase_status").options["colours"]
    assert colours == {"paid": "#000000", "pending": "#FB8C00", "not needed": "#9E9E9E"}
    assert run("fields", "edit", "birth_date", "--option", "calendar=jalali").exit_code == 0
    assert workspace.field("birth_date").options == {"calendar": "jalali"}
    assert run("fields", "edit", "birth_date", "--option", "calendar=").exit_code == 0
    assert workspace.field("birth_date").options == {}


def test_cli_values_of_the_new_types(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "--preset", "address")
    run("fields", "add", "--preset", "marketing-email")
    run("fields", "add", "--preset", "national-code-ir")
    added = run(
        "customers", "add", "--name", "Sara", "--set", "address=Via Roma 1; Milano @ 45.46, 9.19",
        "--set", "marketing_email=yes @ 2025-01-02T10:00", "--set", "national_id=049-937089-9",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    sara = workspace.get_customer(int(added.stdout))
    assert sara.fields["address"] == {"street": "Via Roma 1", "city": "Milano", "lat": 45.46,
                                      "lon": 9.19}  # fmt: skip
    bad = run("customers", "add", "--name", "Reza", "--set", "national_id=0499370898")
    assert bad.exit_code == 1
    assert bad.stderr == (
        "error: national_id: '0499370898' is not valid; expected Iran's 10-digit national code "
        "(kod-e melli), with its check digit, such as 0499370899\n"
    )


def test_the_new_types_survive_a_csv_export_and_import(
    workspace: Workspace, tmp_path: Path
) -> None:
    def define(ws: Workspace) -> Workspace:
        for preset in ("address", "shipping-address", "referred-by", "marketing-email",
                       "national-code-ir", "purchase-status", "opening-total"):  # fmt: skip
            ws.add_field(ws.field_presets()[preset].key, preset=preset)
        ws.edit_field("birth_date", options={"calendar": "jalali"})
        return ws

    define(workspace)
    workspace.add_customer("Ana")
    workspace.add_customer(
        "Reza",
        fields={
            "address": FULL,
            "shipping_address": "same",
            "referred_by": 1,
            "marketing_email": "yes @ 2025-01-02T10:00",
            "national_id": "0084575948",
            "purchase_status": "not needed",
            "opening_total": "120.50",
            "birth_date": "1369/10/11",
        },
    )
    workspace.add_customer(
        "Zoe", fields={"address": {"street": "Piazza; Duomo"}, "shipping_address": "; Roma"}
    )
    out = tmp_path / "all.csv"
    workspace.export("csv", out)
    with define(Workspace.init(tmp_path / "copy", settings={"workspace.currency": "EUR"})) as copy:
        assert copy.import_customers(out).created == 3

        def values(ws: Workspace) -> list[dict[str, Any]]:
            return [dict(c.fields) for c in ws.customers()]

        assert values(copy) == values(workspace)
    assert values(workspace)[1]["birth_date"] == "1991-01-01"


def test_stored_values_of_every_new_type_fit_their_json_schema(workspace: Workspace) -> None:
    for preset in ("address", "shipping-address", "referred-by", "marketing-email",
                   "national-code-ir", "acquisition-source"):  # fmt: skip
        workspace.add_field(workspace.field_presets()[preset].key, preset=preset)
    ana = workspace.add_customer(
        "Ana",
        fields={
            "address": FULL,
            "shipping_address": "same",
            "referred_by": "#1",
            "marketing_email": "no",
            "national_id": "0499370899",
            "source": "Google",
        },
    )
    schema = workspace.schema()
    for key, raw in ana.fields.items():
        definition = schema.get(key)
        fragment = schema.type_of(definition).json_schema(definition, schema.ctx)
        jsonschema.Draft202012Validator(fragment).validate(raw)
        assert fragment["title"] == definition.label


def test_a_field_context_compares_without_its_schemes() -> None:
    # the workspace uses contexts as cache keys: schemes must not make them unhashable
    assert hash(CTX) == hash(attrs.evolve(CTX, id_schemes={}))
    assert attrs.evolve(CTX, id_schemes={}) == CTX


def test_removing_a_coloured_choice_needs_its_colour_removed_too(workspace: Workspace) -> None:
    workspace.add_field("status_paid", preset="purchase-status")
    with pytest.raises(FieldDefinitionError, match="expected colours for the field's choices"):
        workspace.edit_field("status_paid", choices=["paid", "pending"])
    changed = workspace.edit_field(
        "status_paid",
        choices=["paid", "pending"],
        options={"colours": {"paid": "#43A047", "pending": "#FB8C00"}},
    )
    assert changed.choices == ("paid", "pending")
    assert list(changed.options["colours"]) == ["paid", "pending"]
