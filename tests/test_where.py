"""--where expressions: reading them, matching customer documents, and the errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from clientcard import Workspace
from clientcard.core.errors import ClientcardError, ValidationError
from clientcard.find.where import Condition, WhereError, matches_all, parse_where

Doc = dict[str, Any]


@pytest.fixture
def shop(workspace: Workspace) -> Workspace:
    """A hair salon in Rome (region IT, euro) with custom fields and four customers.

    1 Anna: every field set.  2 Bruno: some.  3 Carla: none.  4 Dario: notes only.
    """
    workspace.set_setting("workspace.timezone", "Europe/Rome")
    workspace.add_field("city", type="text")
    workspace.add_field("visits", type="integer")
    workspace.add_field("weight", type="decimal")
    workspace.add_field("deposit", type="money")
    workspace.add_field("birthday", type="date")
    workspace.add_field("last_visit", type="datetime", label="Last visit")
    workspace.add_field(
        "hair_type", type="choice", label="Hair type", choices=["curly", "straight"]
    )
    workspace.add_field("services", type="multi-choice", choices=["cut", "colour", "wash"])
    workspace.add_field("newsletter", type="boolean")
    workspace.add_field("notes", type="long-text")
    workspace.add_customer(
        "Anna Bianchi",
        email="anna@example.com",
        phone="+39 06 1234 5678",
        joined_at="2023-06-01",
        tags=["VIP", "Regular"],
        fields={
            "city": "Rôma",
            "visits": "3",
            "weight": "61,5",
            "deposit": "10 EUR",
            "birthday": "1990-05-17",
            # 00:30 in Rome on 2 March is still 1 March in UTC
            "last_visit": "2025-03-02T00:30",
            "hair_type": "curly",
            "services": "cut, wash",
            "newsletter": "yes",
            "notes": "Gluten free; prefers mornings",
        },
    )
    workspace.add_customer(
        "Bruno Rossi",
        phone="+39 312 345 6789",
        joined_at="2024-02-10",
        tags=["regular"],
        fields={
            "city": "Milano",
            "visits": "1",
            "weight": "80",
            "deposit": "12.50 USD",
            "last_visit": "2025-03-01T12:00",
            "hair_type": "straight",
            "services": "colour",
            "newsletter": "no",
        },
    )
    workspace.add_customer("Carla Verdi", joined_at="2025-01-01")
    workspace.add_customer(
        "Dario d'Amico",
        joined_at="2025-01-01",
        fields={"notes": "Allergic to salt and pepper"},
    )
    return workspace


def ids(workspace: Workspace, expression: str) -> list[int]:
    """The ids of the customers an expression matches."""
    conditions = parse_where(expression, workspace.schema())
    return [doc["id"] for doc in workspace.customers_json() if matches_all(conditions, doc)]


def error(workspace: Workspace, expression: str) -> WhereError:
    with pytest.raises(WhereError) as info:
        parse_where(expression, workspace.schema())
    message = str(info.value)
    assert message.startswith(f"--where {expression!r}: at column {info.value.column}, ")
    assert "\n" not in message
    return info.value


def doc(**values: Any) -> Doc:
    """A customer document with the given custom field values (and nothing else set)."""
    return {
        "id": 99,
        "name": "Test",
        "email": None,
        "phone": None,
        "external_id": None,
        "joined_at": None,
        "status": None,
        "tier": None,
        "pinned": [],
        "tags": [],
        "fields": values,
        "created_at": "2025-01-01T00:00:00+00:00",
        "updated_at": "2025-01-01T00:00:00+00:00",
    }


# -- operators by kind of field -----------------------------------------------


def test_text_ignores_case_and_accents(shop: Workspace) -> None:
    assert ids(shop, "city = roma") == [1]
    assert ids(shop, "city = ROMA") == [1]
    assert ids(shop, "city = Rôma") == [1]
    assert ids(shop, "city != roma") == [2, 3, 4]  # an empty city is not Roma
    assert ids(shop, "city contains ILA") == [2]
    assert ids(shop, "city contains om") == [1]
    assert ids(shop, "name contains rossi") == [2]
    assert ids(shop, "city is empty") == [3, 4]
    assert ids(shop, "city is not empty") == [1, 2]


def test_integer_operators(shop: Workspace) -> None:
    assert ids(shop, "visits = 3") == [1]
    assert ids(shop, "visits != 3") == [2, 3, 4]
    assert ids(shop, "visits < 3") == [2]
    assert ids(shop, "visits <= 3") == [1, 2]
    assert ids(shop, "visits > 1") == [1]
    assert ids(shop, "visits >= 1") == [1, 2]
    assert ids(shop, "visits >= -5") == [1, 2]  # never true on an empty value
    assert ids(shop, "id = 2") == [2]
    assert ids(shop, "id > 2") == [3, 4]


def test_decimal_compares_as_numbers(shop: Workspace) -> None:
    assert ids(shop, "weight = 61.50") == [1]
    assert ids(shop, "weight = 61,5") == [1]
    assert ids(shop, "weight < 70") == [1]
    assert ids(shop, "weight >= 61.5") == [1, 2]
    assert ids(shop, "weight > 9") == [1, 2]  # not as text, where "9" > "80"


def test_money_compares_amounts_in_the_same_currency(shop: Workspace) -> None:
    # no currency given: the amount, whatever its currency
    assert ids(shop, "deposit > 5") == [1, 2]
    assert ids(shop, "deposit >= 12,5") == [2]
    # a currency given: only amounts in that currency
    assert ids(shop, "deposit > 5 EUR") == [1]
    assert ids(shop, "deposit = 12.5 USD") == [2]
    assert ids(shop, "deposit = 12.50 EUR") == []
    assert ids(shop, "deposit <= €10") == [1]
    assert ids(shop, "deposit < 100 GBP") == []
    assert ids(shop, "deposit != 10 EUR") == [2, 3, 4]


def test_dates_compare_as_dates(shop: Workspace) -> None:
    assert ids(shop, "birthday < 2000-01-01") == [1]
    assert ids(shop, "birthday >= 2000-01-01") == []
    assert ids(shop, "birthday = 1990-05-17") == [1]
    assert ids(shop, "birthday != 1990-05-17") == [2, 3, 4]
    assert ids(shop, "joined_at < 2024-01-01") == [1]
    assert ids(shop, "joined_at <= 2024-02-10") == [1, 2]
    assert ids(shop, "joined_at > 2024-02-10") == [3, 4]
    assert ids(shop, "joined_at = 2025-01-01") == [3, 4]


def test_a_day_given_for_a_date_time_is_that_day_in_the_workspace_time_zone(
    shop: Workspace,
) -> None:
    # Anna's visit is 2 March 00:30 in Rome (1 March in UTC); Bruno's 1 March noon
    assert ids(shop, "last_visit = 2025-03-02") == [1]
    assert ids(shop, "last_visit = 2025-03-01") == [2]
    assert ids(shop, "last_visit != 2025-03-01") == [1, 3, 4]
    assert ids(shop, "last_visit < 2025-03-02") == [2]
    assert ids(shop, "last_visit <= 2025-03-02") == [1, 2]
    assert ids(shop, "last_visit > 2025-03-01") == [1]
    assert ids(shop, "last_visit >= 2025-03-02") == [1]
    # a date and time compares as that moment
    assert ids(shop, "last_visit < 2025-03-02T00:30") == [2]
    assert ids(shop, "last_visit <= '2025-03-02 00:30'") == [1, 2]
    assert ids(shop, "last_visit > 2025-03-01T23:30:00+00:00") == []
    assert ids(shop, "created_at >= 2020-01-01") == [1, 2, 3, 4]
    assert ids(shop, "updated_at < 2020-01-01") == []


def test_choice(shop: Workspace) -> None:
    assert ids(shop, "hair_type = CURLY") == [1]
    assert ids(shop, "hair_type != curly") == [2, 3, 4]
    assert ids(shop, "hair_type contains str") == [2]
    assert ids(shop, "hair_type is empty") == [3, 4]


def test_multiple_choice_means_has_them(shop: Workspace) -> None:
    assert ids(shop, "services contains wash") == [1]
    assert ids(shop, "services = wash") == [1]
    assert ids(shop, "services contains 'cut, wash'") == [1]
    assert ids(shop, "services contains 'cut, colour'") == []
    assert ids(shop, "services != colour") == [1, 3, 4]
    assert ids(shop, "services is empty") == [3, 4]


def test_tags_mean_has_the_tag_ignoring_case(shop: Workspace) -> None:
    assert ids(shop, "tags contains vip") == [1]
    assert ids(shop, "tags = regular") == [1, 2]
    assert ids(shop, "tags contains REGULAR") == [1, 2]
    assert ids(shop, "tags != vip") == [2, 3, 4]
    assert ids(shop, "tags is empty") == [3, 4]
    assert ids(shop, "tags is not empty") == [1, 2]
    assert ids(shop, "tags contains reg") == []  # a whole tag, not part of one


def test_yes_no_fields_read_the_answer_like_the_field_does(shop: Workspace) -> None:
    assert ids(shop, "newsletter = yes") == [1]
    assert ids(shop, "newsletter = TRUE") == [1]
    assert ids(shop, "newsletter = no") == [2]
    assert ids(shop, "newsletter != yes") == [2, 3, 4]
    assert ids(shop, "newsletter is empty") == [3, 4]


def test_status_and_builtins(shop: Workspace) -> None:
    assert ids(shop, "status = NEW") == [1, 2, 3, 4]
    assert ids(shop, "tier is empty") == [1, 2, 3, 4]
    assert ids(shop, "external_id is empty") == [1, 2, 3, 4]
    assert ids(shop, "email contains example") == [1]


# -- empty values -------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, "", [], "missing"])
def test_an_empty_value_is_empty_and_unequal_to_everything(shop: Workspace, empty: object) -> None:
    record = doc() if empty == "missing" else doc(city=empty, visits=empty, services=empty)
    schema = shop.schema()
    for expression in ("city is empty", "visits is empty", "services is empty"):
        assert parse_where(expression, schema)[0].matches(record), expression
    for expression in ("city != Roma", "visits != 3", "services != cut"):
        assert parse_where(expression, schema)[0].matches(record), expression
    for expression in (
        "city is not empty",
        "city = Roma",
        "city contains o",
        "visits = 3",
        "visits < 3",
        "visits >= 3",
        "services contains cut",
    ):
        assert not parse_where(expression, schema)[0].matches(record), expression


def test_zero_and_no_are_values_not_empty(shop: Workspace) -> None:
    schema = shop.schema()
    record = doc(visits=0, newsletter=False)
    assert parse_where("visits is not empty and newsletter is not empty", schema)[0].matches(record)
    assert matches_all(parse_where("visits = 0 and newsletter = no", schema), record)
    assert matches_all(parse_where("visits < 1", schema), record)


def test_a_damaged_stored_value_does_not_match_and_does_not_fail(shop: Workspace) -> None:
    schema = shop.schema()
    record = doc(visits="three", weight="heavy", deposit={"amount": 5}, birthday=20250101)
    for expression in ("visits >= 3", "weight < 9", "deposit > 1 EUR", "birthday < 2030-01-01"):
        assert not parse_where(expression, schema)[0].matches(record), expression
    assert parse_where("visits != 3", schema)[0].matches(record)


# -- writing expressions ------------------------------------------------------


def test_conditions_joined_by_and_must_all_hold(shop: Workspace) -> None:
    assert ids(shop, "city = Roma and visits >= 3") == [1]
    assert ids(shop, "city = Roma and visits > 3") == []
    assert ids(shop, "joined_at >= 2024-01-01 and city is empty and notes is not empty") == [4]
    conditions = parse_where("city = Roma and visits >= 3 and tags contains vip", shop.schema())
    assert [(c.key, c.op, c.value) for c in conditions] == [
        ("city", "=", "Roma"),
        ("visits", ">=", 3),
        ("tags", "contains", "vip"),
    ]


def test_or_holds_when_either_side_does(shop: Workspace) -> None:
    assert ids(shop, "city = Roma or city = Milano") == [1, 2]
    assert ids(shop, "visits >= 3 or notes contains salt") == [1, 4]
    assert ids(shop, "city = Napoli or visits > 9") == []
    assert ids(shop, "CITY = roma OR city = milano") == [1, 2]
    # an unquoted value ends at "or" as at "and"; quoted, "or" is part of it
    assert ids(shop, "name = Anna Bianchi or name = Carla Verdi") == [1, 3]
    assert ids(shop, "notes contains 'salt or pepper'") == []
    assert ids(shop, "name contains orla or city = Milano") == [2]  # "or" inside a word


def test_and_binds_tighter_than_or_and_parentheses_group(shop: Workspace) -> None:
    # a or (b and c)
    assert ids(shop, "city = Milano or city = Roma and visits > 3") == [2]
    assert ids(shop, "(city = Milano or city = Roma) and visits >= 3") == [1]
    assert ids(shop, "((city = Roma))") == [1]
    assert ids(shop, "(name = Dario d'Amico) or (notes contains gluten free)") == [1, 4]
    assert ids(shop, "(name = 'Bruno Rossi' or city is empty)and visits is empty") == [3, 4]
    # the top level's and-ed parts stay conditions where they can
    parts = parse_where("city = Roma and (visits > 1 or visits is empty)", shop.schema())
    assert isinstance(parts[0], Condition) and len(parts) == 2


def test_not_negates_what_follows_it(shop: Workspace) -> None:
    # a customer without a city fails 'city = Roma', so passes its negation
    assert ids(shop, "not city = Roma") == [2, 3, 4]
    assert ids(shop, "not (city = Roma or city = Milano)") == [3, 4]
    assert ids(shop, "not city is empty and not visits > 1") == [2]
    assert ids(shop, "NOT(tags contains vip)") == [2, 3, 4]
    assert ids(shop, "not not city = Roma") == [1]


def test_a_field_whose_label_starts_with_not_is_a_field(workspace: Workspace) -> None:
    workspace.add_field("not_contacted", type="boolean", label="Not contacted")
    workspace.add_field("not", type="text")
    workspace.add_customer("A", fields={"not_contacted": "yes", "not": "x"})
    workspace.add_customer("B", fields={"not_contacted": "no"})
    assert ids(workspace, "Not contacted = yes") == [1]
    assert ids(workspace, "not Not contacted = yes") == [2]
    assert ids(workspace, "not = x") == [1]
    assert ids(workspace, "not not = x") == [2]


def test_mistakes_with_or_not_and_parentheses(shop: Workspace) -> None:
    assert str(error(shop, "(city = Roma")) == (
        "--where '(city = Roma': at column 1, the parenthesis opened here is not closed; "
        "add a closing )"
    )
    assert str(error(shop, "city = 'Roma')")).endswith(
        "at column 14, found ')' after the value 'Roma' with no '(' before it"
    )
    assert str(error(shop, "(city = Roma))")).endswith(
        "at column 14, found ')' after ')' with no '(' before it"
    )
    assert str(error(shop, "city = Roma or")).endswith(
        "at column 15, expected a condition after 'or', found the end"
    )
    assert str(error(shop, "not")).endswith("expected a condition after 'not', found the end")
    assert str(error(shop, "()")).endswith("at column 2, expected a condition after '(', found ')'")
    assert str(error(shop, "name = Smith or Jones")).endswith(
        "; if 'or' belongs to the value before it, put that value in quotes"
    )
    assert str(error(shop, "city = or")).endswith(
        "found 'or' (put the value in quotes if it is the word 'or')"
    )


def test_keywords_ignore_case(shop: Workspace) -> None:
    assert ids(shop, "CITY = roma AnD Visits IS NOT EMPTY") == [1]
    assert ids(shop, "notes CONTAINS gluten") == [1]
    assert ids(shop, "birthday IS EMPTY aNd city Is Not Empty") == [2]


def test_symbol_operators_need_no_spaces(shop: Workspace) -> None:
    assert ids(shop, "visits>=3") == [1]
    assert ids(shop, "city!=Milano and visits<=3") == [1]
    assert ids(shop, "city=Milano") == [2]
    assert ids(shop, "visits==1") == [2]
    assert ids(shop, "  visits   >   1  ") == [1]


def test_quoted_values_keep_spaces_and_the_word_and(shop: Workspace) -> None:
    assert ids(shop, 'notes contains "gluten free"') == [1]
    assert ids(shop, "notes contains 'salt and pepper'") == [4]
    assert ids(shop, "notes contains 'salt and pepper' and city is empty") == [4]
    assert ids(shop, "name = 'Dario d''Amico'") == [4]
    assert ids(shop, 'name = "Dario d\'Amico"') == [4]
    assert ids(shop, "name = Dario d'Amico") == [4]
    assert ids(shop, "notes contains 'SALT AND'and visits is empty") == [4]


def test_an_unquoted_value_ends_at_the_word_and(shop: Workspace) -> None:
    assert ids(shop, "notes contains gluten free and city = Roma") == [1]
    assert ids(shop, "name contains andrea") == []  # "and" inside a word is part of it
    assert ids(shop, "name = Anna Bianchi") == [1]


def test_fields_by_label(shop: Workspace) -> None:
    assert ids(shop, "Hair type = curly") == [1]
    assert ids(shop, "hair TYPE is empty") == [3, 4]
    assert ids(shop, "Joined < 2024-01-01") == [1]
    assert ids(shop, "Last visit >= 2025-03-02") == [1]
    assert ids(shop, "E-mail is not empty") == [1]
    assert ids(shop, "'Hair type' = straight") == [2]
    assert parse_where("Hair type = curly", shop.schema())[0].key == "hair_type"


def test_a_label_of_two_fields_must_be_given_by_key(shop: Workspace) -> None:
    shop.add_field("colour_now", type="text", label="Colour")
    shop.add_field("colour_wanted", type="text", label="Colour")
    exc = error(shop, "colour = red")
    assert str(exc).endswith(
        "at column 1, 'colour' is the label of several fields (colour_now, colour_wanted); "
        "use the field's key"
    )
    assert ids(shop, "colour_now is empty") == [1, 2, 3, 4]


# -- values are read by the field's type --------------------------------------


def test_phone_numbers_are_read_as_the_field_reads_them(shop: Workspace) -> None:
    # region IT: a number without +39 is Italian
    assert ids(shop, 'phone = "06 1234 5678"') == [1]
    assert ids(shop, "phone = +390612345678") == [1]
    assert ids(shop, "phone = '+39 312 345 6789'") == [2]
    assert ids(shop, "phone != 06 1234 5678") == [2, 3, 4]
    assert ids(shop, "phone contains '06 1234'") == [1]
    assert ids(shop, "phone contains 312-345") == [2]
    (condition,) = parse_where("phone = '06 1234 5678'", shop.schema())
    assert condition.value == "+390612345678"


def test_phone_numbers_without_a_country_code_belong_to_the_workspace_region(
    shop: Workspace,
) -> None:
    shop.set_setting("workspace.region", "US")
    assert ids(shop, "phone = '(201) 555-0123'") == []
    exc = error(shop, "phone = '06 1234 5678'")
    assert exc.column == 9
    assert "'06 1234 5678' is not valid for phone; expected a phone number such as" in str(exc)


def test_email_is_normalised(shop: Workspace) -> None:
    assert ids(shop, "email = ANNA@EXAMPLE.COM") == [1]
    assert ids(shop, "email = 'anna@example.com '") == [1]
    exc = error(shop, "email = anna")
    assert str(exc).endswith(
        "at column 9, 'anna' is not valid for email; expected an e-mail address such as "
        "name@example.com (or use 'contains' to match part of email)"
    )


def test_values_are_kept_in_the_json_form(shop: Workspace) -> None:
    expression = (
        "visits >= 3 and weight = 61,5 and deposit > 5 EUR and deposit > 5 and "
        "birthday = 1990-05-17 and newsletter = yes and services contains 'wash, cut' and "
        "city is empty and last_visit < 2025-03-02 and last_visit < 2025-03-02T10:00"
    )
    values = [(c.key, c.op, c.value) for c in parse_where(expression, shop.schema())]
    assert values == [
        ("visits", ">=", 3),
        ("weight", "=", "61.5"),
        ("deposit", ">", {"amount": "5.00", "currency": "EUR"}),
        ("deposit", ">", {"amount": "5", "currency": None}),
        ("birthday", "=", "1990-05-17"),
        ("newsletter", "=", True),
        ("services", "contains", ["cut", "wash"]),
        ("city", "is empty", None),
        ("last_visit", "<", "2025-03-02"),
        ("last_visit", "<", "2025-03-02T09:00:00+00:00"),
    ]


def test_conditions_compare_by_what_they_test(shop: Workspace) -> None:
    schema = shop.schema()
    assert parse_where("visits >= 3", schema) == parse_where("visits>=3", schema)
    assert parse_where("visits >= 3", schema) != parse_where("visits > 3", schema)
    assert isinstance(parse_where("visits >= 3", schema)[0], Condition)


def test_matches_all_of_no_conditions_is_true(shop: Workspace) -> None:
    assert matches_all([], doc())


# -- errors -------------------------------------------------------------------


def test_unknown_field_lists_the_known_ones(shop: Workspace) -> None:
    exc = error(shop, "cty = Roma")
    assert str(exc) == (
        "--where 'cty = Roma': at column 1, unknown field 'cty' (fields: name, email, phone, "
        "external_id, joined_at, id, status, tier, tags, created_at, updated_at, birth_date, "
        "city, visits, weight, deposit, birthday, last_visit, hair_type, services, newsletter, "
        "notes); "
        "did you mean 'city'?"
    )
    assert isinstance(exc, ValidationError)
    assert isinstance(exc, ClientcardError)
    assert (exc.column, exc.value) == (1, "cty")
    exc = error(shop, "city = Roma and shoe_size > 40")
    assert exc.column == 17
    assert "unknown field 'shoe_size' (fields: name," in str(exc)


def test_a_word_after_an_unquoted_and_hints_at_quotes(shop: Workspace) -> None:
    exc = error(shop, "name = Smith and Jones")
    assert "at column 18, unknown field 'Jones'" in str(exc)
    assert str(exc).endswith("; if 'and' belongs to the value before it, put that value in quotes")


def test_missing_operator(shop: Workspace) -> None:
    assert str(error(shop, "city Roma")) == (
        "--where 'city Roma': at column 6, expected an operator "
        "(=, !=, <, <=, >, >=, contains, is empty, is not empty) after 'city', found 'Roma'"
    )
    assert str(error(shop, "city")).endswith("after 'city', found the end")
    assert str(error(shop, "city is Roma")) == (
        "--where 'city is Roma': at column 9, expected 'empty' after 'city is', "
        "found 'Roma' (to compare with a value, use = or !=)"
    )
    assert "at column 13, expected 'empty' after 'city is not'" in str(
        error(shop, "city is not Roma")
    )


def test_missing_value(shop: Workspace) -> None:
    assert str(error(shop, "city =")) == (
        "--where 'city =': at column 7, expected a value after 'city =', found the end"
    )
    assert str(error(shop, "visits >=   ")).endswith(
        "at column 13, expected a value after 'visits >=', found the end"
    )
    assert str(error(shop, "city = and visits = 3")).endswith(
        "at column 8, expected a value after 'city =', found 'and' "
        "(put the value in quotes if it is the word 'and')"
    )
    assert str(error(shop, "city = ''")) == (
        "--where \"city = ''\": at column 8, the value after 'city =' is empty; "
        "to find customers without one, write 'city is empty'"
    )


def test_a_value_that_does_not_fit_the_field_points_at_it(shop: Workspace) -> None:
    exc = error(shop, "visits >= x")
    assert str(exc) == (
        "--where 'visits >= x': at column 11, 'x' is not valid for visits; "
        "expected a whole number such as 42 or -3"
    )
    assert (exc.field, exc.value, exc.column) == ("visits", "x", 11)
    assert str(error(shop, "city = Roma and birthday < 2024-02-30")).startswith(
        "--where 'city = Roma and birthday < 2024-02-30': at column 28, '2024-02-30' is not "
        "valid for birthday; expected a date in the Gregorian calendar as YYYY-MM-DD"
    )
    assert str(error(shop, "hair_type = wavy")).endswith(
        "at column 13, 'wavy' is not valid for hair_type; expected one of: curly, straight "
        "(or use 'contains' to match part of hair_type)"
    )
    assert "expected yes or no" in str(error(shop, "newsletter = maybe"))
    assert "at column 12, 'cut, perm' is not valid for services; expected one of: cut" in str(
        error(shop, "services = 'cut, perm'")
    )
    assert "at column 11, '5 dollars' is not valid for deposit" in str(
        error(shop, "deposit > 5 dollars")
    )
    assert "at column 15, 'soon' is not valid for last_visit" in str(
        error(shop, "last_visit >= soon")
    )


def test_an_ordering_operator_on_text_is_refused(shop: Workspace) -> None:
    assert str(error(shop, "city < Roma")) == (
        "--where 'city < Roma': at column 6, 'city' is text, which cannot be compared "
        "with '<'; use =, !=, contains, is empty or is not empty"
    )
    assert "'hair_type' is a choice, which cannot be compared with '>='" in str(
        error(shop, "hair_type >= curly")
    )
    assert "'tags' is a list of tags, which cannot be compared with '>'" in str(
        error(shop, "tags > a")
    )
    assert "'newsletter' is a yes/no field, which cannot be compared with '<'" in str(
        error(shop, "newsletter < yes")
    )


def test_contains_on_a_number_is_refused(shop: Workspace) -> None:
    assert str(error(shop, "visits contains 3")) == (
        "--where 'visits contains 3': at column 8, 'visits' is a whole number, which cannot "
        "be compared with 'contains'; use =, !=, <, <=, >, >=, is empty or is not empty"
    )
    assert "'birthday' is a date, which cannot be compared with 'contains'" in str(
        error(shop, "birthday contains 1990")
    )


def test_trailing_garbage(shop: Workspace) -> None:
    assert str(error(shop, "city = 'Roma' x")) == (
        "--where \"city = 'Roma' x\": at column 15, expected 'and', 'or' or the end after the "
        "value 'Roma', found 'x'"
    )
    assert str(error(shop, "birthday is empty now")) == (
        "--where 'birthday is empty now': at column 19, expected 'and', 'or' or the end after "
        "'birthday is empty', found 'now'"
    )
    # found by tests/reliability/test_fuzz_where.py: a newline inside the condition was
    # copied into the message, which then took two lines
    assert str(error(shop, "birthday\n is empty now")) == (
        "--where 'birthday\\n is empty now': at column 20, expected 'and', 'or' or the end "
        "after 'birthday is empty', found 'now'"
    )
    assert str(error(shop, "city = Roma and")) == (
        "--where 'city = Roma and': at column 16, expected a condition after 'and', found the end"
    )
    assert str(error(shop, "city = 'Roma")) == (
        "--where \"city = 'Roma\": at column 8, the quote ' opened here is not closed; "
        "add a closing '"
    )
    assert str(error(shop, "= 3")) == "--where '= 3': at column 1, expected a field name, found '='"


@pytest.mark.parametrize("expression", ["", "   "])
def test_empty_expression(shop: Workspace, expression: str) -> None:
    exc = error(shop, expression)
    assert str(exc).endswith(
        "the expression is empty; write a condition such as 'city = Roma' or leave out --where"
    )


# -- the documentation --------------------------------------------------------


def documented_examples() -> list[str]:
    """The expressions in the examples table of docs/filters.md's --where section."""
    text = (Path(__file__).parent.parent / "docs" / "filters.md").read_text(encoding="utf-8")
    section = text.split("## --where expressions", 1)[1].split("\n## ", 1)[0]
    table = section.split("### Examples", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `(.+?)` \|", table, re.MULTILINE)


def test_the_documented_examples_work(shop: Workspace) -> None:
    examples = documented_examples()
    assert len(examples) >= 6
    assert "city = Roma and visits >= 3" in examples
    found = {expression: ids(shop, expression) for expression in examples}
    assert found["city = Roma and visits >= 3"] == [1]
    assert found["birthday is empty"] == [2, 3, 4]
    assert found['notes contains "gluten free"'] == [1]
    assert found["joined_at < 2024-01-01"] == [1]
    assert found['phone = "06 1234 5678"'] == [1]
    assert found["tags contains vip"] == [1]
    assert found["email is empty and phone is empty"] == [3, 4]
    assert found["city = Roma or city = Milano"] == [1, 2]
    assert found["(city = Roma or city = Milano) and visits >= 3"] == [1]
    assert found["not tags contains vip"] == [2, 3, 4]
