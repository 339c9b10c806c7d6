"""Hypothesis strategies and settings shared by the reliability suite's fuzzers.

``LIKELY[type]``: texts shaped like the values of each built-in field type (so
that fuzzing reaches the paths that accept, not only the refusals);
``shaped()``: text made of the pieces values are made of; ``any_text``: any
text, lone surrogates included; ``python_values``: what an API caller might
pass instead of text.  ``fuzz_settings(n)``: deterministic and bounded, for CI.
"""

from __future__ import annotations

import string
from datetime import UTC, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: the choices of the choice and multi-choice fields the fuzzers define
CHOICES = ("Gold", "Silver", "Bronze", "Café au lait", "A, B")


def fuzz_settings(examples: int) -> settings:
    """The same examples on every run (derandomized, no example database), at most
    ``examples`` of them, without deadlines (CI machines are slow and shared)."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


digits = st.text(string.digits, min_size=1, max_size=12)
persian_digits = st.text("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", min_size=1, max_size=10)
separators = st.sampled_from(
    ["", " ", ".", ",", "'", "\u2019", "-", "/", ":", "T", "\u00a0", "\u066b", "\u066c"]
)
signs = st.sampled_from(["", "-", "+", "\u2212"])
currencies = st.sampled_from(["", "EUR", "€", "USD", "$", "IRR", "ریال", "eur", "XYZ", "£"])
words = st.sampled_from(
    [
        "yes", "no", "true", "false", "Gold", "gold", "Silver", "A, B", "café", "Café au lait",
        "@", "mailto:", "http://", "https://", "www.", ".com", "+39", "+98", "00", "x",
        "am", "pm", "Z", "+01:00", "T", "e", "E", "NaN", "inf", "Infinity", "ext.", "#",
        "Via Roma 1", "\n", "\t", "  ", "'", '"', ";", "=", "1e5", "0x10", "\u066b",
    ]
)  # fmt: skip


@st.composite
def shaped(draw: st.DrawFn) -> str:
    """Text made of the pieces values are made of, in random order."""
    pieces = draw(
        st.lists(
            st.one_of(digits, persian_digits, separators, signs, currencies, words),
            min_size=1,
            max_size=8,
        )
    )
    return "".join(pieces)


#: any text, including the lone surrogates that undecodable argv bytes become
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


def iranian_code(digits: str) -> str:
    """``digits`` (nine) with the check digit of an Iranian national code."""
    rest = sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
    return digits + str(rest if rest < 2 else 11 - rest)


moments = st.datetimes(timezones=st.one_of(st.none(), st.just(UTC), st.timezones()))
amounts = st.integers(0, 4).flatmap(
    lambda places: st.decimals(allow_nan=False, allow_infinity=False, places=places)
)
#: texts shaped as each type's values are, to fuzz the paths that accept
LIKELY: dict[str, st.SearchStrategy[str]] = {
    "integer": st.integers().flatmap(lambda n: st.sampled_from([str(n), f"{n:,}", f"{n:_}"])),
    "decimal": amounts.map(lambda d: f"{d:f}"),
    "money": st.tuples(amounts, currencies).map(lambda pair: f"{pair[0]:f} {pair[1]}"),
    "date": st.dates().map(lambda d: d.isoformat()),
    "datetime": moments.flatmap(lambda m: st.sampled_from([m.isoformat(), m.isoformat(" ")])),
    "consent": st.tuples(st.sampled_from(["yes", "no", "opted in", "withdrawn"]), moments).map(
        lambda pair: f"{pair[0]} @ {pair[1].isoformat()}"
    ),
    "email": st.emails(),
    "url": st.from_regex(
        r"(https?://)?[a-z0-9.-]{1,20}\.[a-z]{2,6}(/[!-~]{0,20})?", fullmatch=True
    ),
    "phone": st.tuples(st.sampled_from(["+39 ", "+98 ", "0", "+1 ", "", "00"]), digits).map(
        "".join
    ),
    "choice": st.sampled_from(CHOICES).flatmap(
        lambda c: st.sampled_from([c, c.lower(), c.upper()])
    ),
    "multi-choice": st.lists(st.sampled_from(CHOICES), max_size=4).map(", ".join),
    "boolean": st.sampled_from(["yes", "no", "true", "false", "Y", "N", "1", "0", "on", "off"]),
    "national-id": st.text(string.digits, min_size=9, max_size=9).map(iranian_code),
    "customer": st.integers(min_value=-5, max_value=2**64).map(lambda n: f"#{n}"),
    "address": st.lists(st.text(max_size=12), min_size=1, max_size=6).map("; ".join),
    "shipping-address": st.lists(st.text(max_size=12), min_size=1, max_size=6).map("; ".join),
    "text": st.text(),
    "long-text": st.text(),
}


python_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.decimals(),
        st.dates(),
        st.datetimes(timezones=st.sampled_from([None, UTC])),
        st.times(),
        st.timedeltas(max_value=timedelta(days=3)),
        st.text(max_size=20),
        st.sampled_from(CHOICES),
        moments,
        amounts,
        st.fixed_dictionaries({"given": st.booleans()}, optional={"at": moments}),
        st.fixed_dictionaries(
            {}, optional={"street": st.text(max_size=10), "city": st.text(max_size=10)}
        ),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
