"""Fuzzed ``--where`` expressions: read, or refused in one line; never another exception.

Any text (lone surrogates included: undecodable command-line bytes become
them) and text built from the language's own pieces (field keys and labels
in any case, every operator, ``and``/``or``/``not``, parentheses, quoted and
bare values shaped like each type's values) goes to ``parse_where`` over a
workspace with a field of every type.  It returns the conditions or raises
the project's ValidationError (``WhereError``) with a one-line message.

What is read is then matched two ways that must agree: each condition on
every customer document (``matches``), and the selection engine
(``Workspace.select``: inverted indexes over distinct values, row sets
united and subtracted), so the fast path is fuzzed against the plain one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard import Selection, Workspace
from clientcard.core.errors import ValidationError
from clientcard.find.where import matches_all, parse_where
from reliability.fuzz_values import fuzz_settings

pytestmark = pytest.mark.reliability

EXAMPLES = 1500  # each for any text and for built expressions; scaled


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A field of every type a condition compares differently, labels that read like the
    language's words, and customers with values, without, and in between."""
    path = tmp_path_factory.mktemp("where") / "ws"
    ws = Workspace.init(
        path,
        settings={
            "workspace.region": "IT",
            "workspace.currency": "EUR",
            "workspace.timezone": "Europe/Rome",
        },
    )
    ws.add_field("city", type="text", label="City or town")
    ws.add_field("visits", type="integer")
    ws.add_field("weight", type="decimal")
    ws.add_field("deposit", type="money", label="Deposit and fees")
    ws.add_field("birthday", type="date")
    ws.add_field("last_visit", type="datetime", label="Last visit")
    ws.add_field("hair", type="choice", label="Hair type", choices=["curly", "straight", "a, b"])
    ws.add_field("services", type="multi-choice", choices=["cut", "colour", "wash"])
    ws.add_field("newsletter", type="boolean", label="Not contacted")
    ws.add_field("notes", type="long-text", label="Notes")
    ws.add_field("remarks", type="text", label="Notes")  # a label shared: by key only
    ws.add_field("site", type="url")
    ws.add_field("partner", type="customer")
    ws.add_field("home", type="address")
    ws.add_field("consent", type="consent")
    ws.add_customer(
        "Anna Bianchi",
        email="anna@example.com",
        phone="+39 06 1234 5678",
        external_id="A-1",
        joined_at="2023-06-01",
        tags=["VIP", "Regular"],
        fields={
            "city": "Rôma",
            "visits": "3",
            "weight": "61.5",
            "deposit": "10 EUR",
            "birthday": "1990-05-17",
            "last_visit": "2025-03-02T00:30",
            "hair": "curly",
            "services": "cut, wash",
            "newsletter": "yes",
            "notes": "and or not ( ) 'quoted'",
            "site": "https://example.com/a",
            "home": "Via Roma 1; Roma",
            "consent": "yes @ 2024-01-01T10:00",
        },
    )
    ws.add_customer(
        "Bruno Rossi",
        phone="+39 312 345 6789",
        tags=["Regular"],
        fields={"city": "Milano", "visits": "0", "deposit": "7.5 USD", "services": "colour"},
    )
    ws.update_customer(1, {"partner": "2"})
    ws.add_customer("Carla", fields={"visits": "-12", "weight": "0", "hair": "a, b"})
    ws.add_customer("Dario Bianchi", email="dario@example.org", fields={"notes": "  "})
    ws.add_customer("زهرا محمدی", tags=["vip"], fields={"city": "Tehran", "visits": "40"})
    return ws


NAMES = [
    "name", "email", "phone", "external_id", "joined_at", "id", "status", "tier", "tags",
    "created_at", "updated_at", "city", "City or town", "visits", "weight", "deposit",
    "Deposit and fees", "birthday", "last_visit", "Last visit", "hair", "Hair type",
    "services", "newsletter", "Not contacted", "notes", "Notes", "remarks", "site",
    "partner", "home", "consent", "unknown", "nam", "Name", "NAME", "e-mail",
]  # fmt: skip
OPERATORS = [
    "=", "!=", "<", "<=", ">", ">=", "==", "contains", "CONTAINS", "is empty",
    "is not empty", "IS  NOT EMPTY", "is", "is not", "=<", "<>", "!", "not", "",
]  # fmt: skip
VALUES = [
    "Roma", "rôma", "3", "-12", "0", "61.5", "61,5", "1.234,5", "10 EUR", "10", "€ 10",
    "7.5 USD", "1990-05-17", "2025-03-02", "2025-03-02T00:30", "2025-02-30", "1403/01/01",
    "curly", "a, b", "cut", "cut, wash", "yes", "no", "VIP", "vip", "+39 06 1234 5678",
    "06 1234", "anna@example.com", "A-1", "#2", "2", "new", "lead", "Via Roma 1",
    "and", "or", "not", "(", ")", "'", '"', "''", "a'b", "", " ", "\t", "\n", "é", "e\u0301",
    "١٢٣", "۱۲۳", "1e5", "NaN", "inf", "9" * 30, "-0", "+5", "\u2212" + "5",
]  # fmt: skip
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)


def quoted(value: str, quote: str) -> str:
    return quote + value.replace(quote, quote * 2) + quote


valid_ops = st.sampled_from(OPERATORS[:12])
values = st.one_of(
    st.sampled_from(VALUES),
    st.sampled_from(VALUES),
    st.sampled_from(VALUES),
    any_text,
    st.tuples(st.sampled_from(VALUES), st.sampled_from(["'", '"'])).map(lambda p: quoted(*p)),
    st.tuples(any_text, st.sampled_from(["'", '"'])).map(lambda p: quoted(*p)),
    st.integers().map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.dates().map(str),
)
spaces = st.sampled_from(["", " ", " ", " ", "  ", "\t", " \n "])
names = st.sampled_from(NAMES).flatmap(
    lambda n: st.sampled_from([n, n, n, n.upper(), f"'{n}'", n + "x"])
)
operators = st.one_of(valid_ops, valid_ops, valid_ops, st.sampled_from(OPERATORS))
loose = st.tuples(names, spaces, operators, spaces, values).map("".join)

TEXT_OPS = ["=", "!=", "contains", "is empty", "is not empty"]
ORDERED_OPS = ["=", "!=", "<", "<=", ">", ">=", "is empty", "is not empty"]
EQUALITY_OPS = ["=", "!=", "is empty", "is not empty"]
#: per field: the names it goes by, the operators it takes, values that fit it
TYPED: list[tuple[list[str], list[str], list[str]]] = [
    (["name", "Name"], TEXT_OPS, ["Anna", "anna bianchi", "BIANCHI", "زهرا", "Carla"]),
    (["email"], TEXT_OPS, ["anna@example.com", "example", "@example.org"]),
    (["phone"], TEXT_OPS, ["+39 06 1234 5678", "06 1234 5678", "312-345", "1234"]),
    (["external_id"], TEXT_OPS, ["A-1", "a-1", "A"]),
    (["joined_at"], ORDERED_OPS, ["2023-06-01", "2024-01-01", "2023-6-1"]),
    (["id"], ORDERED_OPS, ["1", "3", "0", "-1", "5"]),
    (["status", "tier"], TEXT_OPS, ["new", "lead", "client", "vip"]),
    (["tags"], TEXT_OPS, ["VIP", "vip, regular", "Regular", "nobody"]),
    (["created_at", "updated_at"], ORDERED_OPS, ["2020-01-01", "2099-12-31T23:59"]),
    (["city", "City or town"], TEXT_OPS, ["Roma", "roma", "ROMA", "Tehran", "Mil"]),
    (["visits"], ORDERED_OPS, ["3", "-12", "0", "40", "1,000", "1.000"]),
    (["weight"], ORDERED_OPS, ["61.5", "61,5", "0", "-0.0", "100"]),
    (["deposit", "Deposit and fees"], ORDERED_OPS, ["10 EUR", "10", "7.5 USD", "7,50"]),
    (["birthday"], ORDERED_OPS, ["1990-05-17", "1990-01-01", "2000-02-29"]),
    (["last_visit", "Last visit"], ORDERED_OPS,
     ["2025-03-02", "2025-03-01T23:30", "2025-03-02T00:30+01:00"]),
    (["hair", "Hair type"], EQUALITY_OPS, ["curly", "straight", "'a, b'", "a, b"]),
    (["services"], TEXT_OPS, ["cut", "cut, wash", "colour"]),
    (["newsletter", "Not contacted"], EQUALITY_OPS, ["yes", "no"]),
    (["notes", "remarks"], TEXT_OPS, ["'and or not ( ) ''quoted'''", "quoted", "'  '"]),
    (["site"], TEXT_OPS, ["https://example.com/a", "example.com"]),
    (["partner"], EQUALITY_OPS, ["#2", "2", "3"]),
    (["home", "consent"], EQUALITY_OPS, ["Via Roma 1; Roma", "yes"]),
]  # fmt: skip


def condition(parts: tuple[str, str, str, str, str]) -> str:
    return "".join(parts[:3]) if parts[2].startswith("is ") else "".join(parts)


typed = st.sampled_from(TYPED).flatmap(
    lambda f: st.tuples(
        st.sampled_from(f[0]), spaces, st.sampled_from(f[1]), spaces, st.sampled_from(f[2])
    ).map(condition)
)
conditions = st.one_of(typed, typed, typed, loose)


def combined(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(
            parts, st.sampled_from([" and ", " or ", " AND ", " Or ", " and", "and "]), parts
        ).map("".join),
        parts.map(lambda p: f"not {p}"),
        parts.map(lambda p: f"({p})"),
        parts.map(lambda p: f"(({p})"),
        parts.map(lambda p: f"{p})"),
        parts.map(lambda p: f"NOT({p})"),
    )


expressions = st.recursive(conditions, combined, max_leaves=6)


def run(shop: Workspace, text: str, counts: Counter[str]) -> None:
    schema = shop.schema()
    try:
        parsed = parse_where(text, schema)
    except ValidationError as exc:
        message = str(exc)
        assert message and "\n" not in message, repr(message)
        counts["refused in one line"] += 1
        return
    docs = [shop.to_json(c) for c in shop.customers()]
    matched = [doc["id"] for doc in docs if matches_all(parsed, doc)]
    selected = shop.select(Selection(where=text))
    assert selected == matched, f"the engine and matches() differ on {text!r}"
    counts["read, matching someone" if matched else "read, matching no one"] += 1


@pytest.mark.parametrize("source", ["any text", "built expressions"])
def test_a_where_expression_is_read_or_refused_in_one_line(
    shop: Workspace,
    source: str,
    scaled: Callable[[int], int],
    tally: Callable[..., None],
) -> None:
    counts: Counter[str] = Counter()

    @fuzz_settings(scaled(EXAMPLES))
    @given(any_text if source == "any text" else expressions)
    def fuzz(text: str) -> None:
        run(shop, text, counts)

    fuzz()
    for outcome, n in counts.items():
        tally(f"--where, {source}", outcome, n)
