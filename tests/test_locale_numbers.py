"""Numbers read as the workspace's locale writes them; ambiguity refused; ISO currencies."""

# ruff: noqa: RUF001 - Persian and Arabic digits and separators are what is tested

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clientcard import ValidationError, Workspace
from clientcard.core.fields import FieldContext, FieldSchema
from clientcard.core.model import FieldDef
from clientcard.plugins.fields.numbers import (
    DecimalType,
    IntegerType,
    Money,
    MoneyType,
    number_format,
)
from conftest import RunCLI, make_runner
from test_cli_customers import assert_user_error

TYPES = {"decimal": DecimalType(), "money": MoneyType(), "integer": IntegerType()}
EN = FieldContext(currency="EUR")  # locale en, no region
ROME = FieldContext(region="IT", currency="EUR")  # locale en in Italy: en_IT
TEHRAN = FieldContext(region="IR", currency="IRR", locale="fa")


def coerce(type_name: str, value: Any, ctx: FieldContext) -> Any:
    schema = FieldSchema([FieldDef(key="f", label="F", type=type_name)], TYPES, ctx)
    return schema.coerce("f", value)


def refused(type_name: str, value: Any, ctx: FieldContext) -> str:
    with pytest.raises(ValidationError) as info:
        coerce(type_name, value, ctx)
    return info.value.expected


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


@pytest.fixture
def rial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Workspace, RunCLI]:
    """A shop in rials with the default locale (en) and no region, and the CLI on it."""
    ws = Workspace.init(tmp_path / "rial", settings={"workspace.currency": "IRR"})
    monkeypatch.setenv("CLIENTCARD_WORKSPACE", str(ws.path))
    return ws, make_runner()


# -- the issue: a comma was always a decimal point -------------------------------------


def test_a_comma_groups_thousands_where_the_locale_says_so(
    rial: tuple[Workspace, RunCLI],
) -> None:
    ws, run = rial
    ana = ws.add_customer("Ana")
    result = run("bookings", "add", "--customer", str(ana.id), "--date", "2025-01-05",
                 "--amount", "500,000")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert [b["amount"] for b in ws.activity("booking")] == [money("500000.00", "IRR")]


def test_persian_digits_and_separators_are_numbers(rial: tuple[Workspace, RunCLI]) -> None:
    ws, run = rial
    assert run("config", "set", "workspace.locale", "fa").exit_code == 0
    ana = ws.add_customer("Ana")
    for typed in ("۵۰۰٬۰۰۰", "٥٠٠,٠٠٠", "۵۰۰۰۰۰ IRR", "−۵"):
        result = run("bookings", "add", "--customer", str(ana.id), "--date", "2025-01-05",
                     "--amount", typed)  # fmt: skip
        assert result.exit_code == 0, result.stderr
    assert [b["amount"]["amount"] for b in Workspace.open(ws.path).activity("booking")] == [
        "500000.00",
        "500000.00",
        "500000.00",
        "-5.00",
    ]
    assert coerce("decimal", "۱۲٫۵", TEHRAN) == "12.5"  # the Arabic decimal separator
    assert coerce("integer", "۴۲", TEHRAN) == 42


def test_an_ambiguous_amount_is_refused_naming_the_locale_and_both_readings(
    rial: tuple[Workspace, RunCLI],
) -> None:
    ws, run = rial
    ana = ws.add_customer("Ana")
    result = run("bookings", "add", "--customer", str(ana.id), "--date", "2025-01-05",
                 "--amount", "1,23")  # fmt: skip
    assert_user_error(result)
    assert result.stderr == (
        "error: amount: '1,23' is not valid; expected 1.23 or 123 (ambiguous: in locale en "
        "a comma groups thousands and a dot is the decimal point)\n"
    )
    assert ws.activity("booking") == []


@pytest.mark.parametrize(
    ("ctx", "typed", "stored"),
    [
        (EN, "1,234.5", "1234.5"),
        (EN, "1.234", "1.234"),
        (EN, "1,234", "1234"),
        (ROME, "1.234,5", "1234.5"),
        (ROME, "12,5", "12.5"),  # what the Rome fixtures type throughout the tests
        (ROME, "1,234", "1.234"),
        (ROME, "35.50", "35.50"),  # the canonical form, read in every locale
        (ROME, "0.125", "0.125"),  # a leading 0 never starts a group of thousands
        (FieldContext(locale="fr"), "1 234,5", "1234.5"),  # any space groups in French
        (FieldContext(locale="fr"), "1\u202f234,5", "1234.5"),
        (FieldContext(locale="de_CH"), "1'234.5", "1234.5"),
        (FieldContext(region="IN"), "12,34,567.5", "1234567.5"),  # Indian grouping
        (FieldContext(region="BR"), "1.234,5", "1234.5"),  # en in Brazil: pt_BR
        (TEHRAN, "1,234.5", "1234.5"),
    ],
)
def test_decimals_are_read_by_locale_and_region(ctx: FieldContext, typed: str, stored: str) -> None:
    assert coerce("decimal", typed, ctx) == stored


@pytest.mark.parametrize(
    ("ctx", "typed", "readings", "locale"),
    [
        (EN, "12,50", "12.50 or 1250", "in locale en a comma groups thousands"),
        (ROME, "1.234", "1,234 or 1234", "groups thousands in locale en_IT"),
        (ROME, "-1.500", "-1,500 or -1500", "groups thousands in locale en_IT"),
        (FieldContext(locale="de_CH"), "1,5", "1.5 or 15", "an apostrophe groups thousands"),
    ],
)
def test_ambiguous_decimals_are_refused(
    ctx: FieldContext, typed: str, readings: str, locale: str
) -> None:
    expected = refused("decimal", typed, ctx)
    assert expected.startswith(f"{readings} (ambiguous: ")
    assert locale in expected


def test_text_no_reading_takes_shows_how_the_locale_writes_numbers() -> None:
    assert refused("decimal", "1,234.56", ROME) == (
        "a number such as 12.5 (numbers as locale en_IT writes them: 1234,56 or 1.234,56)"
    )
    assert refused("decimal", "1.234,56", EN).endswith("1234.56 or 1,234.56)")
    assert refused("decimal", "lots", ROME) == "a number such as 12.5"
    assert refused("decimal", "1e5", EN).startswith("a number such as 12.5")
    assert refused("integer", "1,000", EN) == "a whole number such as 42 or -3"


def test_an_amount_the_currency_cannot_hold_is_not_a_reading() -> None:
    # "1.234 €" in Italy: 1.234 euros cannot be (two decimals), 1234 can
    assert coerce("money", "1.234 €", ROME) == money("1234.00", "EUR")
    assert coerce("money", "€ 1.234,50", ROME) == money("1234.50", "EUR")
    # both readings fit a currency of three decimals: still ambiguous
    assert "1,250 or 1250" in refused("money", "1.250 KWD", ROME)
    assert "12,500 or 12500" in refused("money", "12.500 EUR", ROME)
    # the minor-unit rule stands: a single reading with too many decimals is refused
    assert "at most 2 decimals for EUR" in refused("money", "12,505 EUR", ROME)
    assert "at most 0 decimals for JPY" in refused("money", "12.5 JPY", EN)


# -- what a program or clientcard wrote keeps working in every locale -------------------

LOCALES = ["en", "it", "de", "fr", "de_CH", "fa", "pt_BR", "es", "en_IN", "tr"]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_python_api_reads_canonical_text_exactly_in_every_locale(locale: str) -> None:
    ctx = FieldContext(locale=locale, currency="EUR")
    f = FieldDef(key="f", label="F", type="decimal")
    for text in ("35.50", "1.234", "-0.5", "1234.5678", "7"):
        assert DecimalType().validate(text, f, ctx) == Decimal(text)
    m = FieldDef(key="m", label="M", type="money")
    assert MoneyType().validate("1.250 KWD", m, ctx) == Money(Decimal("1.250"), "KWD")
    assert MoneyType().validate({"amount": "1.250", "currency": "BHD"}, m, ctx) == Money(
        Decimal("1.250"), "BHD"
    )
    assert MoneyType().validate("35.50", m, ctx) == Money(Decimal("35.50"), "EUR")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("type_name", "raw"),
    [
        ("decimal", "1.234"),
        ("decimal", "-61.500"),
        ("decimal", "1234.5"),
        ("money", money("1.250", "KWD")),
        ("money", money("35.50", "EUR")),
    ],
)
def test_what_clientcard_shows_reads_back_the_same_in_every_locale(
    locale: str, type_name: str, raw: Any
) -> None:
    ctx = FieldContext(locale=locale)
    schema = FieldSchema([FieldDef(key="f", label="F", type=type_name)], TYPES, ctx)
    assert schema.coerce("f", schema.render("f", raw)) == raw
    # a file's text reads back in any locale (an export moved to another workspace)
    exported = schema.export_text("f", raw)
    for other in LOCALES:
        elsewhere = FieldSchema([FieldDef(key="f", label="F", type=type_name)], TYPES,
                                FieldContext(locale=other))  # fmt: skip
        assert elsewhere.coerce("f", exported) == raw


def test_shown_numbers_stay_canonical_unless_the_locale_would_misread_them() -> None:
    defs = [FieldDef(key="f", label="F", type="decimal")]
    rome, en = FieldSchema(defs, TYPES, ROME), FieldSchema(defs, TYPES, EN)
    assert rome.render("f", "12.50") == en.render("f", "12.50") == "12.50"
    assert rome.render("f", "1.234") == "01.234"  # not 1234 in Rome
    assert en.render("f", "1.234") == "1.234"
    assert en.export_text("f", "1.234") == "01.234"  # a file may go to Rome


def test_an_export_imports_back_exactly_in_a_locale_grouping_with_a_dot(tmp_path: Path) -> None:
    settings = {"workspace.region": "IT", "workspace.currency": "EUR"}
    with Workspace.init(tmp_path / "a", settings=settings) as source:
        source.add_field("weight", type="decimal")
        source.add_field("deposit", type="money")
        source.add_customers(
            [
                # text from a program is read as typed: exact values are Decimals
                {
                    "name": "Ana",
                    "weight": Decimal("61.500"),
                    "deposit": {"amount": "1.250", "currency": "KWD"},
                },
                {"name": "Bo", "weight": "1234.5", "deposit": "35.50"},
            ]
        )
        exported = tmp_path / "all.csv"
        source.export("csv", exported)
        wanted = [c.fields for c in source.customers()]
    for locale in ("en", "it", "de"):
        with Workspace.init(tmp_path / locale, settings=settings) as target:
            target.set_setting("workspace.locale", locale)
            target.add_field("weight", type="decimal")
            target.add_field("deposit", type="money")
            target.import_customers(exported)
            assert [c.fields for c in target.customers()] == wanted
    assert wanted[0] == {"weight": "61.500", "deposit": money("1.250", "KWD")}


def test_a_purchase_history_in_rials_imports_by_the_locale(
    rial: tuple[Workspace, RunCLI], tmp_path: Path
) -> None:
    ws, _ = rial
    ws.add_customers([{"name": "Ana", "external_id": "C1"}])
    path = tmp_path / "history.csv"
    path.write_text(
        'customer,date,amount\nC1,2025-01-05,"1,250,000"\nC1,2025-01-06,۳۵۰٬۰۰۰\n'
        "C1,2025-01-07,40000\n",
        encoding="utf-8",
    )
    ws.import_bookings(path)
    assert [b["amount"]["amount"] for b in ws.activity("booking")] == [
        "1250000.00",
        "350000.00",
        "40000.00",
    ]


# -- currencies are ISO 4217 codes -------------------------------------------------------


def test_a_currency_code_must_be_iso_4217(rial: tuple[Workspace, RunCLI]) -> None:
    ws, run = rial
    assert "XYZ is not an ISO 4217 currency code" in refused("money", "12 XYZ", EN)
    assert "ABC is not an ISO 4217" in refused("money", {"amount": "1", "currency": "ABC"}, EN)
    assert coerce("money", "12 chf", EN) == money("12.00", "CHF")
    ana = ws.add_customer("Ana")
    assert_user_error(
        run("bookings", "add", "--customer", str(ana.id), "--date", "2025-01-05",
            "--amount", "12 XYZ"),
        "amount", "'12 XYZ'", "ISO 4217",
    )  # fmt: skip
    assert ws.activity("booking") == []


def test_a_hand_written_unknown_workspace_currency_is_one_clear_line(
    rial: tuple[Workspace, RunCLI],
) -> None:
    ws, run = rial
    path = ws.config_path
    path.write_text(path.read_text().replace('currency = "IRR"', 'currency = "XYZ"'))
    ana = ws.add_customer("Ana")
    assert_user_error(
        run("bookings", "add", "--customer", str(ana.id), "--date", "2025-01-05",
            "--amount", "40"),
        "workspace.currency", "'XYZ'", "config set workspace.currency",
    )  # fmt: skip


# -- what the fast path and start-up rely on ----------------------------------------------


def test_every_locale_grouping_with_a_dot_groups_by_three() -> None:
    """Why canonical text other than "1.234" is read without asking Babel (numbers.py)."""
    from babel import Locale, localedata
    from babel.numbers import get_group_symbol

    for name in localedata.locale_identifiers():
        found = Locale.parse(name)
        if get_group_symbol(found) == ".":
            assert found.decimal_formats[None].grouping == (3, 3), name
        assert get_group_symbol(found) not in "0123456789", name


def test_the_number_locale_combines_language_and_region() -> None:
    assert number_format("en", None).locale == "en"
    assert number_format("en", "IT").locale == "en_IT"
    assert number_format("fa", "IR").locale == "fa_IR"
    assert number_format("fa_IR", "DE").locale == "fa_IR"  # a locale's own region wins
    assert number_format("en", "BR").locale == "pt_BR"  # no en_BR: the region's language
    assert number_format("fa-IR", None).locale == "fa_IR"


def test_babel_is_not_loaded_by_commands_that_read_no_amount(workspace: Workspace) -> None:
    workspace.add_field("deposit", type="money")
    code = (
        "import sys\n"
        "from clientcard import Workspace\n"
        f"ws = Workspace.open({str(workspace.path)!r})\n"
        "ws.add_customer('Ana', fields={'deposit': None})\n"
        "ws.customers()\n"
        "assert 'babel' not in sys.modules, 'babel loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_table_in_the_docs_is_what_happens() -> None:
    """docs/fields.md shows what each locale reads: check every cell."""
    text = (Path(__file__).parent.parent / "docs" / "fields.md").read_text(encoding="utf-8")
    section = text.split("## Numbers and amounts", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]
    header, body = rows[0], rows[1:]
    locales = [column.split(",")[0].strip("` ") for column in header[1:]]
    assert locales == ["en", "en_IT", "fr", "fa"]
    assert len(body) == 8
    for typed_cell, *cells in body:
        typed = (
            [t.strip("` ") for t in typed_cell.split(",")]
            if "۵" in typed_cell
            else [typed_cell.strip("`")]
        )
        for locale, cell in zip(locales, cells, strict=True):
            ctx = FieldContext(locale=locale.replace("en_IT", "en"),
                               region="IT" if locale == "en_IT" else None)  # fmt: skip
            wanted = [w.strip() for w in cell.split(",")] if len(typed) > 1 else [cell]
            for one, want in zip(typed, wanted, strict=True):
                if want.startswith(("refused", "ambiguous")):
                    problem = refused("decimal", one, ctx)
                    assert ("ambiguous" in problem) == want.startswith("ambiguous"), (one, locale)
                else:
                    assert Decimal(coerce("decimal", one, ctx)) == Decimal(want), (one, locale)


def test_where_reads_amounts_by_the_locale_too(workspace: Workspace) -> None:
    from clientcard.find.where import matches_all, parse_where

    workspace.add_field("deposit", type="money")
    workspace.add_customers(
        [
            {"name": "Ana", "deposit": "1.250,50 EUR"},  # Rome: en_IT
            {"name": "Bo", "deposit": "20 USD"},
        ]
    )

    def ids(expression: str) -> list[int]:
        conditions = parse_where(expression, workspace.schema())
        return [d["id"] for d in workspace.customers_json() if matches_all(conditions, d)]

    assert ids("deposit > 1.000,5") == [1]
    assert ids("deposit > ۱۵") == [1, 2]  # no currency: any currency's amount
    assert ids("deposit < '۱۰۰٬۰۰۰'") == [1, 2]
    with pytest.raises(ValidationError, match="ambiguous"):
        ids("deposit > 1.000")
