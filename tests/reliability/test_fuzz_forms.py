"""Fuzzed form submissions: a card created or updated, or a FormError; nothing else.

The intake forms of a workspace whose custom fields of many types are asked
on them (one required by the form) take random answers: the form's keys and
others, values shaped like each field's (from a small pool of e-mail
addresses and phones, so that submissions match cards made before) or any
JSON a widget could send (text, numbers, NaN, booleans, null, lists,
objects), sometimes as a dry run.  Each submission either returns a result
or raises ``FormError`` with its problems by key, in one line.  A result's
card holds exactly the checked answers; a dry run and a refusal write
nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard import Workspace
from clientcard.core.errors import FormError
from reliability.fuzz_values import CHOICES, LIKELY, any_text, fuzz_settings, shaped

pytestmark = pytest.mark.reliability

EXAMPLES = 300  # per form, scaled by CLIENTCARD_RELIABILITY_SCALE
FORMS = ("signup", "scheduling", "contact")
#: custom fields, asked on every form: key -> type
FIELDS = {
    "visits": "integer",
    "deposit": "money",
    "birthday": "date",
    "arrival": "datetime",
    "newsletter": "boolean",
    "hair": "choice",
    "services": "multi-choice",
    "site": "url",
    "address": "address",
    "marketing_opt_in": "consent",
    "message": "long-text",
    "code": "national-id",
}
EMAILS = ["anna@example.com", "ANNA@example.com ", "bruno@example.org", "not an e-mail"]
PHONES = ["+39 333 123 4567", "333 123 4567", "+39 06 1234", "12"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    path = tmp_path_factory.mktemp("forms") / "ws"
    ws = Workspace.init(path, settings={"workspace.region": "IT", "workspace.currency": "EUR"})
    for key, type_name in FIELDS.items():
        ws.add_field(
            key,
            type=type_name,
            choices=CHOICES if type_name in ("choice", "multi-choice") else (),
            options={"scheme": "ir"} if type_name == "national-id" else None,
            forms=list(FORMS),
        )
    ws.set_setting("forms.scheduling.required", ["phone"])
    return ws


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),  # NaN and infinities too: Python's json module reads them
        any_text,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


#: answers that fit, per key (most submissions should get past the checks)
FITTING: dict[str, list[Any]] = {
    "name": ["Anna", "Bruno Rossi", "زهرا محمدی"],
    "email": EMAILS[:3],
    "phone": PHONES[:2],
    "visits": ["3", 0, "-1", "1.000"],
    "deposit": ["10 EUR", "10", "7,50"],
    "birthday": ["1990-05-17", "2000-02-29"],
    "arrival": ["2024-05-01T10:00", "2024-05-01 10:00+02:00"],
    "newsletter": ["yes", "no", True, False],
    "hair": ["Gold", "silver", "Café au lait"],
    "services": ["Gold, Silver", ["Gold", "Bronze"], "A, B"],
    "site": ["https://example.com", "example.com/a"],
    "address": ["Via Roma 1; Roma", {"street": "Via Roma 1", "city": "Roma"}],
    "marketing_opt_in": ["yes", {"given": True}, "withdrawn @ 2024-01-01T10:00"],
    "message": ["Hello\nthere", "=cmd|' /C calc'!A0"],
    "code": ["0499370899", "1234567891"],
}


def answer_for(key: str) -> st.SearchStrategy[Any]:
    fitting = st.sampled_from(FITTING.get(key, [""]))
    shaped_like = {
        "name": st.text(max_size=20),
        "email": st.emails(),
        "phone": LIKELY["phone"],
        **{k: LIKELY[t] for k, t in FIELDS.items()},
    }.get(key, shaped())
    return st.one_of(*[fitting] * 8, shaped_like, shaped(), json_values)


@st.composite
def submissions(draw: st.DrawFn, keys: list[str]) -> dict[str, Any]:
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=5))
    answers = {key: draw(answer_for(key)) for key in chosen}
    # (hypothesis leans to the first of what it samples: mostly with a name)
    if "name" not in answers and draw(st.sampled_from([True] * 5 + [False])):
        answers["name"] = draw(st.sampled_from(FITTING["name"]))
    if draw(st.sampled_from([False] * 9 + [True])):  # a key the form does not ask
        answers[draw(st.sampled_from(["shoe", "", "Name", "id", "tags", "name "]))] = draw(
            json_values
        )
    return answers


@pytest.mark.parametrize("form", FORMS)
def test_a_submission_makes_a_card_or_a_form_error(
    shop: Workspace, form: str, scaled: Callable[[int], int], tally: Callable[..., None]
) -> None:
    keys = shop.form(form).keys()
    assert "visits" in keys and "name" in keys
    counts: Counter[str] = Counter()

    @fuzz_settings(scaled(EXAMPLES))
    @given(submissions(keys), st.booleans())
    def fuzz(answers: dict[str, Any], dry_run: bool) -> None:
        # what a web host hands on: the answers as its JSON parser gives them
        answers = json.loads(json.dumps(answers))
        before = shop.count_customers()
        try:
            result = shop.submit_form(form, answers, dry_run=dry_run)
        except FormError as exc:
            assert exc.errors and exc.form == form
            assert "\n" not in str(exc), repr(str(exc))
            assert shop.count_customers() == before, "a refused submission wrote something"
            counts["refused"] += 1
            return
        if dry_run:
            assert shop.count_customers() == before
            counts["dry run accepted"] += 1
            return
        assert shop.count_customers() == before + result.created
        assert result.customer is not None
        stored = shop.to_json(shop.get_customer(result.customer.id))
        for key, value in result.answers.items():
            assert (stored[key] if key in stored else stored["fields"][key]) == value, key
        counts[
            "created a card" if result.created else f"updated a card by {result.matched_by}"
        ] += 1

    fuzz()
    for outcome, n in counts.items():
        tally("form submissions", outcome, n)
