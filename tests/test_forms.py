"""Intake forms: declared in clientcard.toml, JSON Schemas, collectors, submissions."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from clientcard import (
    ConfigError,
    Customer,
    FieldDef,
    FieldDefinitionError,
    FormCollector,
    FormError,
    NotFoundError,
    PluginError,
    Workspace,
    hookimpl,
)
from clientcard.plugins.fields import consent
from clientcard.workspace import CONFIG_TEMPLATE
from conftest import RunCLI, install_plugin
from test_cli_customers import assert_user_error

# -- a collector plugin, passed to Workspace.open ----------------------------------------


class PetQuestions(FormCollector):
    """Asks about the customer's pet on the scheduling form, with a rule across answers."""

    name = "pets"
    description = "What a grooming salon asks before an appointment."

    def questions(self, form: str) -> Sequence[FieldDef]:
        if form != "scheduling":
            return []
        return [
            FieldDef(
                "pet_kind",
                "Which pet?",
                "choice",
                required=True,
                choices=("dog", "cat"),
                help="The animal we will groom.",
            ),
            FieldDef("pet_weight", "Weight (kg)", "integer"),
        ]

    def check(self, form: str, answers: Mapping[str, Any]) -> Mapping[str, str]:
        if answers.get("pet_kind") == "cat" and answers.get("pet_weight", 0) > 15:
            return {"pet_weight": "a cat's weight, at most 15 kg"}
        return {}


class PetPlugin:
    @hookimpl
    def clientcard_register_form_collectors(self, register: Any) -> None:
        register(PetQuestions())


class Events:
    def __init__(self) -> None:
        self.created: list[Customer] = []
        self.updated: list[tuple[Customer, Customer]] = []

    @hookimpl
    def clientcard_customer_created(self, workspace: Workspace, customer: Customer) -> None:
        self.created.append(customer)

    @hookimpl
    def clientcard_customer_updated(
        self, workspace: Workspace, before: Customer, after: Customer
    ) -> None:
        self.updated.append((before, after))


@pytest.fixture
def pets(workspace: Workspace) -> Iterator[Workspace]:
    with Workspace.open(workspace.path, plugins=[PetPlugin()]) as ws:
        yield ws


def customer_docs(workspace: Workspace) -> list[dict[str, Any]]:
    return [workspace.to_json(c) for c in workspace.customers()]


def data_files(workspace: Workspace) -> dict[str, bytes]:
    data = workspace.path / "data"
    return {p.name: p.read_bytes() for p in sorted(data.iterdir()) if p.is_file()}


# -- declaring forms -------------------------------------------------------------------------


def test_a_new_workspace_declares_signup_scheduling_and_contact(workspace: Workspace) -> None:
    assert "[forms.signup]" in CONFIG_TEMPLATE
    assert '[forms.scheduling]\ntitle = "Book an appointment"' in workspace.config_path.read_text()
    assert workspace.form_names() == ["signup", "scheduling", "contact"]
    titles = {form.name: form.title for form in workspace.forms()}
    assert titles == {
        "signup": "Sign up",
        "scheduling": "Book an appointment",
        "contact": "Contact us",
    }
    for form in workspace.forms():
        assert form.keys() == ["name", "email", "phone"]
        assert [f.required for f in form.fields] == [True, False, False]


def test_an_old_workspace_without_form_tables_has_the_built_in_forms(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "clientcard.toml").write_text('[workspace]\ntimezone = "UTC"\n')
    with Workspace.open(tmp_path / "old") as ws:
        assert ws.form_names() == ["signup", "scheduling", "contact"]
        assert ws.form("contact").title == "Contact us"
        assert ws.get_setting("forms.signup.title") == "Sign up"
        ws.set_setting("forms.signup.title", "Join us")
        assert ws.form("signup").title == "Join us"
    assert '[forms.signup]\ntitle = "Join us"' in (tmp_path / "old" / "clientcard.toml").read_text()


def test_fields_join_forms_and_default_extras_are_asked(workspace: Workspace) -> None:
    # source 004: collect the address on the scheduling form
    workspace.add_field("address", type="long-text", forms=["scheduling"])
    workspace.add_field("marketing_opt_in", type="boolean", label="Send me offers")
    workspace.add_field("message", type="long-text")
    workspace.add_field("allergies", type="text", forms=["scheduling", "contact"])
    assert workspace.form("signup").keys() == ["name", "email", "phone", "marketing_opt_in"]
    assert workspace.form("scheduling").keys() == ["name", "email", "phone", "address", "allergies"]
    assert workspace.form("contact").keys() == ["name", "email", "phone", "message", "allergies"]
    workspace.edit_field("email", forms=["signup"])  # a built-in field can name forms too
    assert workspace.form("signup").keys()[:3] == ["name", "email", "phone"]


def test_a_form_of_the_business_with_its_own_fields_and_required(workspace: Workspace) -> None:
    workspace.add_field("city", type="text")
    text = workspace.config_path.read_text()
    workspace.config_path.write_text(
        text
        + textwrap.dedent(
            """
            [forms.newsletter]
            title = "Our newsletter"
            fields = ["email", "city"]
            required = ["email"]
            """
        )
    )
    with Workspace.open(workspace.path) as ws:
        assert ws.form_names() == ["signup", "scheduling", "contact", "newsletter"]
        form = ws.form("newsletter")
        assert form.title == "Our newsletter"
        # a card cannot be created without a name: every form asks it
        assert [(f.key, f.required) for f in form.fields] == [
            ("name", True),
            ("email", True),
            ("city", False),
        ]
        ws.add_field("topics", type="text", forms=["newsletter"])
        assert ws.form("newsletter").keys() == ["name", "email", "city", "topics"]


def test_unknown_forms_and_bad_form_tables_are_clear_errors(workspace: Workspace) -> None:
    with pytest.raises(
        NotFoundError, match="no form 'booking'; forms: signup, scheduling, contact"
    ):
        workspace.form_schema("booking")
    with pytest.raises(FieldDefinitionError, match="no form 'signupp'; forms: signup"):
        workspace.add_field("shoe", type="text", forms=["signupp"])
    with pytest.raises(FieldDefinitionError, match="no form 'x'"):
        workspace.edit_field("phone", forms=["x"])
    assert [f.key for f in workspace.fields()].count("shoe") == 0
    text = workspace.config_path.read_text()
    workspace.config_path.write_text(text + '\n[forms.signup2]\nfields = ["nope"]\n')
    with (
        Workspace.open(workspace.path) as ws,
        pytest.raises(ConfigError, match="unknown field 'nope'"),
    ):
        ws.form("signup2")
    workspace.config_path.write_text(text + '\n[forms.quote]\nrequired = ["city"]\n')
    with pytest.raises(ConfigError, match=re.escape("forms.quote.required names 'city'")):
        Workspace.open(workspace.path).form("quote")
    workspace.config_path.write_text(text.replace('title = "Sign up"', "title = 3"))
    with pytest.raises(ConfigError, match=re.escape("forms.signup.title = 3 has the wrong type")):
        Workspace.open(workspace.path)
    workspace.config_path.write_text(text + '\n[forms."Sign Up"]\ntitle = "x"\n')
    with pytest.raises(ConfigError, match="form name 'Sign Up'"):
        Workspace.open(workspace.path)
    workspace.config_path.write_text(text + '\n[forms.quote]\nsubject = "x"\n')
    with pytest.raises(ConfigError, match=re.escape("unknown key 'forms.quote.subject'")):
        Workspace.open(workspace.path)


# -- the JSON Schema -------------------------------------------------------------------------


def test_the_schema_is_valid_2020_12_and_checks_submissions(workspace: Workspace) -> None:
    workspace.add_field(
        "service",
        type="choice",
        choices=["cut", "colour"],
        forms=["scheduling"],
        help="What we will do.",
    )
    workspace.add_field("visits", type="integer", forms=["scheduling"])
    schema = workspace.form_schema("scheduling")
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["title"] == "Book an appointment"
    assert list(schema["properties"]) == ["name", "email", "phone", "service", "visits"]
    assert schema["required"] == ["name"]
    service = schema["properties"]["service"]
    assert service["title"] == "Service" and service["description"] == "What we will do."
    assert service["enum"] == ["cut", "colour"]
    assert schema["properties"]["email"]["title"] == "E-mail"

    validator = Draft202012Validator(schema)
    good = {"name": "Ann", "email": "ann@example.com", "phone": "+393331234567", "service": "cut"}
    assert list(validator.iter_errors(good)) == []
    bad = {"email": "ann@example.com", "service": "perm", "visits": "two", "colour": "red"}
    found = {(tuple(e.path), e.validator) for e in validator.iter_errors(bad)}
    assert found == {
        ((), "required"),  # no name
        ((), "additionalProperties"),  # colour is not asked
        (("service",), "enum"),
        (("visits",), "type"),
    }
    assert not validator.is_valid({"name": ""})  # a required text answer is not empty
    assert not validator.is_valid({"name": "Ann", "phone": "call me"})  # no number at all
    # what the schema accepts, the submission accepts
    result = workspace.submit_form("scheduling", good)
    assert result.created and result.customer is not None
    assert result.customer.fields == {"service": "cut"}


# -- collectors ------------------------------------------------------------------------------


def test_a_collectors_question_is_in_the_schema_and_checked_on_submit(pets: Workspace) -> None:
    form = pets.form("scheduling")
    assert form.keys() == ["name", "email", "phone", "pet_kind", "pet_weight"]
    assert [f.collector for f in form.fields][-2:] == ["pets", "pets"]
    assert pets.form("signup").keys() == ["name", "email", "phone"]
    schema = pets.form_schema("scheduling")
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["pet_kind"] == {
        "type": "string",
        "enum": ["dog", "cat"],
        "title": "Which pet?",
        "description": "The animal we will groom.",
        "minLength": 1,
        "x-clientcard-type": "choice",
    }
    assert schema["required"] == ["name", "pet_kind"]
    assert Draft202012Validator(schema).is_valid({"name": "Ann", "pet_kind": "dog"})
    assert not Draft202012Validator(schema).is_valid({"name": "Ann", "pet_kind": "horse"})

    with pytest.raises(FormError) as caught:
        pets.submit_form("scheduling", {"name": "Ann", "pet_kind": "horse"})
    assert list(caught.value.errors) == ["pet_kind"]
    assert "'horse' is not valid; expected" in caught.value.errors["pet_kind"]
    with pytest.raises(FormError) as caught:
        pets.submit_form("scheduling", {"name": "Ann"})
    assert caught.value.errors == {
        "pet_kind": "no answer; expected a value: Which pet? is required"
    }
    with pytest.raises(FormError) as caught:  # the collector's own rule across answers
        pets.submit_form("scheduling", {"name": "Ann", "pet_kind": "cat", "pet_weight": 20})
    assert caught.value.errors == {"pet_weight": "a cat's weight, at most 15 kg"}
    assert pets.customers() == []

    result = pets.submit_form(
        "scheduling",
        {"name": "Ann", "email": "ann@example.com", "pet_kind": "Dog", "pet_weight": "12"},
    )
    assert result.created and result.customer is not None
    assert result.customer.fields == {"pet_kind": "dog", "pet_weight": 12}
    stored = pets.get_customer(result.customer.id)
    assert stored.fields == {"pet_kind": "dog", "pet_weight": 12}
    # the question is a field of the workspace: listed, rendered, never required on a card
    defined = {f.key: f for f in pets.fields()}
    assert defined["pet_kind"].type == "choice" and defined["pet_kind"].forms == ("scheduling",)
    assert defined["pet_kind"].required is False
    assert pets.schema().render("pet_weight", 12) == "12"
    assert pets.add_customer("Bo", fields={"pet_kind": "cat"}).fields == {"pet_kind": "cat"}


def test_a_collector_asking_a_field_of_the_business_collects_that_field(
    workspace: Workspace,
) -> None:
    class AskPhone(FormCollector):
        name = "phone-please"

        def questions(self, form: str) -> Sequence[FieldDef]:
            return [FieldDef("phone", "Mobile", "text", required=True)] if form == "contact" else []

    class Plugin:
        @hookimpl
        def clientcard_register_form_collectors(self, register: Any) -> None:
            register(AskPhone())

    with Workspace.open(workspace.path, plugins=[Plugin()]) as ws:
        form = ws.form("contact")
        assert form.keys() == ["name", "email", "phone"]
        phone = form.get("phone")
        assert phone is not None and phone.required and phone.definition.type == "phone"
        with pytest.raises(FormError, match="phone: no answer"):
            ws.submit_form("contact", {"name": "Ann"})
        done = ws.submit_form("contact", {"name": "Ann", "phone": "333 123 4567"})
        assert done.customer is not None and done.customer.phone == "+393331234567"


def test_a_broken_collector_breaks_only_the_forms(workspace: Workspace) -> None:
    class Broken(FormCollector):
        name = "broken"

        def questions(self, form: str) -> Sequence[FieldDef]:
            raise RuntimeError("no questions today")

    class Plugin:
        @hookimpl
        def clientcard_register_form_collectors(self, register: Any) -> None:
            register(Broken())

    with Workspace.open(workspace.path, plugins=[Plugin()]) as ws:
        assert ws.add_customer("Ann").name == "Ann"  # the rest of the workspace works
        with pytest.raises(PluginError, match="form collector 'broken' failed on form 'signup'"):
            ws.form_schema("signup")


# -- submissions -----------------------------------------------------------------------------


def test_three_bad_fields_are_all_reported_and_nothing_is_written(workspace: Workspace) -> None:
    workspace.add_field("birthday", type="date", forms=["signup"])
    before = data_files(workspace)
    answers = {"name": "Ann", "email": "not-an-email", "phone": "12", "birthday": "31/02/2020"}
    with pytest.raises(FormError) as caught:
        workspace.submit_form("signup", answers)
    errors = caught.value.errors
    assert list(errors) == ["email", "phone", "birthday"]
    assert errors["email"].startswith("'not-an-email' is not valid; expected an e-mail address")
    assert errors["phone"].startswith("'12' is not valid; expected a phone number")
    assert errors["birthday"].startswith("'31/02/2020' is not valid; expected a date")
    assert caught.value.form == "signup"
    assert "3 answers not valid" in str(caught.value)
    assert workspace.customers() == []
    assert data_files(workspace) == before


def test_unknown_keys_and_missing_required_answers_are_errors(workspace: Workspace) -> None:
    with pytest.raises(FormError) as caught:
        workspace.submit_form("contact", {"email": "a@example.com", "shoe": 42, "name": "  "})
    assert caught.value.errors == {
        "name": "no answer; expected a value: Name is required",
        "shoe": "42 is not an answer to form 'contact': it asks no 'shoe'; "
        "expected one of name, email, phone",
    }


def test_a_submission_creates_a_lead_then_updates_it_by_email_then_by_phone(
    workspace: Workspace,
) -> None:
    workspace.set_setting("status.rule_set", "lead-client-vip")
    workspace.add_field("city", type="text", forms=["signup"])
    events = Events()
    ws = Workspace.open(workspace.path, plugins=[events])
    first = ws.submit_form(
        "signup", {"name": "Ann Lee", "email": "Ann@Example.com", "city": "Roma"}
    )
    assert first.created and first.matched_by is None and first.customer is not None
    ann = first.customer
    assert (ann.name, ann.email, ann.status, ann.fields) == (
        "Ann Lee",
        "Ann@example.com",
        "lead",
        {"city": "Roma"},
    )
    assert [c.id for c in events.created] == [ann.id]
    ws.update_customer(ann.id, tags=["friend"])
    events.updated.clear()

    # the e-mail address as its type normalises it (the domain's case) matches
    second = ws.submit_form(
        "signup", {"name": "Ann Lee", "email": "Ann@EXAMPLE.COM", "phone": "333 123 4567"}
    )
    assert not second.created and second.matched_by == "email"
    assert second.customer is not None and second.customer.id == ann.id
    assert ws.count_customers() == 1
    after = ws.get_customer(ann.id)
    assert after.phone == "+393331234567"
    assert after.fields == {"city": "Roma"}  # a blank answer leaves the value alone
    assert after.tags == ("friend",)  # tags untouched
    assert after.status == "lead"
    assert [(b.phone, a.phone) for b, a in events.updated] == [(None, "+393331234567")]

    # no e-mail given: the phone number, written another way, matches
    third = ws.submit_form("scheduling", {"name": "Ann Lee-Rossi", "phone": "+39 333 123 4567"})
    assert not third.created and third.matched_by == "phone"
    assert ws.get_customer(ann.id).name == "Ann Lee-Rossi"

    # another e-mail and phone: a new card
    other = ws.submit_form("contact", {"name": "Bo", "email": "bo@example.com"})
    assert other.created and other.customer is not None and other.customer.id != ann.id
    assert other.customer.status == "lead"
    assert ws.count_customers() == 2
    ws.close()


def test_a_dry_run_checks_and_matches_but_writes_nothing(workspace: Workspace) -> None:
    ann = workspace.add_customer("Ann", email="ann@example.com")
    before = data_files(workspace)
    would_update = workspace.submit_form(
        "signup", {"name": "Ann B", "email": "ann@example.com"}, dry_run=True
    )
    assert would_update.dry_run and not would_update.created
    assert would_update.customer == ann and would_update.matched_by == "email"
    would_create = workspace.submit_form("signup", {"name": "Bo"}, dry_run=True)
    assert would_create.created and would_create.customer is None
    assert would_create.answers == {"name": "Bo"}
    with pytest.raises(FormError):
        workspace.submit_form("signup", {"email": "x"}, dry_run=True)
    assert data_files(workspace) == before
    assert customer_docs(workspace) == [workspace.to_json(ann)]


# -- the command line ------------------------------------------------------------------------


def write_answers(tmp_path: Path, answers: object, name: str = "answers.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(answers))
    return str(path)


def test_cli_lists_forms_and_prints_a_schema(run: RunCLI, workspace: Workspace) -> None:
    run("fields", "add", "address", "--type", "long-text", "--form", "scheduling")
    listed = run("forms", "list")
    assert listed.exit_code == 0
    assert "scheduling" in listed.stdout and "Book an appointment" in listed.stdout
    assert "name*, email, phone, address" in listed.stdout
    data = json.loads(run("forms", "list", "--format", "json").stdout)
    assert [f["name"] for f in data] == ["signup", "scheduling", "contact"]
    scheduling = data[1]
    assert [f["key"] for f in scheduling["fields"]] == ["name", "email", "phone", "address"]
    assert scheduling["fields"][3] == {
        "key": "address",
        "label": "Address",
        "type": "long-text",
        "required": False,
        "collector": None,
    }
    shown = run("forms", "schema", "scheduling")
    assert shown.exit_code == 0
    schema = json.loads(shown.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema == workspace.form_schema("scheduling")
    assert_user_error(run("forms", "schema", "booking"), "no form 'booking'", "signup, scheduling")


def test_cli_submit_creates_and_updates(run: RunCLI, workspace: Workspace, tmp_path: Path) -> None:
    workspace.set_setting("status.rule_set", "lead-client-vip")
    answers = write_answers(tmp_path, {"name": "Ann", "email": "ann@example.com"})
    created = run("forms", "submit", "signup", answers)
    assert created.exit_code == 0, created.stderr
    assert created.stdout == "created customer 1 (Ann)\n"
    assert workspace.get_customer(1).status == "lead"
    again = write_answers(
        tmp_path, {"name": "Ann", "email": "ann@example.com", "phone": "3331234567"}
    )
    dry = run("forms", "submit", "signup", again, "--dry-run")
    assert dry.stdout == "would update customer 1 (Ann), matched by email; nothing written\n"
    assert workspace.get_customer(1).phone is None
    updated = run("forms", "submit", "signup", again, "--format", "json")
    assert updated.exit_code == 0
    result = json.loads(updated.stdout)
    assert (result["id"], result["created"], result["matched_by"]) == (1, False, "email")
    assert result["customer"]["phone"] == "+393331234567"
    assert result["answers"] == {
        "name": "Ann",
        "email": "ann@example.com",
        "phone": "+393331234567",
    }
    assert workspace.get_customer(1).phone == "+393331234567"
    stdin = run("forms", "submit", "contact", "-", input='{"name": "Bo"}')
    assert stdin.stdout == "created customer 2 (Bo)\n"


def test_cli_submit_reports_every_bad_field(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    run("fields", "add", "visits", "--type", "integer", "--form", "contact")
    before = data_files(workspace)
    bad = write_answers(tmp_path, {"name": "Ann", "email": "nope", "phone": "1", "visits": "many"})
    text = run("forms", "submit", "contact", bad)
    assert text.exit_code == 1 and text.stdout == ""
    lines = text.stderr.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("error: email: 'nope' is not valid; expected an e-mail address")
    assert lines[1].startswith("error: phone: '1' is not valid; expected a phone number")
    assert (
        lines[2] == "error: visits: 'many' is not valid; expected a whole number such as 42 or -3"
    )
    as_json = run("forms", "submit", "contact", bad, "--format", "json")
    assert as_json.exit_code == 1
    reported = json.loads(as_json.stdout)
    assert reported["form"] == "contact"
    assert list(reported["errors"]) == ["email", "phone", "visits"]
    assert (
        reported["errors"]["visits"]
        == "'many' is not valid; expected a whole number such as 42 or -3"
    )
    assert data_files(workspace) == before
    assert workspace.customers() == []
    assert_user_error(
        run("forms", "submit", "contact", write_answers(tmp_path, [1], "list.json")), "JSON object"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    assert_user_error(run("forms", "submit", "contact", str(broken)), "not valid JSON")
    assert_user_error(run("forms", "submit", "nope", bad), "no form 'nope'")


COLLECTOR_PLUGIN = """
    from clientcard import FieldDef, FormCollector, hookimpl

    class Referral(FormCollector):
        name = "referral"
        description = "How did you hear about us?"

        def questions(self, form):
            if form == "signup":
                return [FieldDef("heard_from", "How did you hear about us?", "choice",
                                 required=True, choices=("friend", "web"))]
            return []

    @hookimpl
    def clientcard_register_form_collectors(register):
        register(Referral())
"""


def test_an_installed_collector_works_from_the_command_line(
    run: RunCLI, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = install_plugin(
        tmp_path / "site",
        "clientcard-referral",
        {"cc_referral": textwrap.dedent(COLLECTOR_PLUGIN)},
        {"referral": "cc_referral"},
    )
    monkeypatch.syspath_prepend(str(site))
    listed = json.loads(run("plugins", "--format", "json").stdout)
    info = {p["name"]: p for p in listed}["referral"]
    assert info["registered"] == {"form collectors": ["referral"]}
    schema = json.loads(run("forms", "schema", "signup").stdout)
    assert schema["properties"]["heard_from"]["enum"] == ["friend", "web"]
    assert "heard_from" in schema["required"]
    bad = write_answers(tmp_path, {"name": "Ann", "heard_from": "radio"})
    result = run("forms", "submit", "signup", bad, "--format", "json")
    assert result.exit_code == 1
    assert list(json.loads(result.stdout)["errors"]) == ["heard_from"]
    good = write_answers(tmp_path, {"name": "Ann", "heard_from": "web"})
    assert run("forms", "submit", "signup", good).stdout == "created customer 1 (Ann)\n"
    shown = json.loads(run("customers", "show", "1", "--format", "json").stdout)
    assert shown["fields"] == {"heard_from": "web"}


# -- the schema and a submission agree ------------------------------------------------------

#: for every built-in field type: the field's settings, typical answers as a widget
#: rendering the schema sends them when a person fills the form in as people write
#: (both must accept them), and clearly bad ones (both must refuse them)
TYPICAL: dict[str, tuple[dict[str, Any], list[Any], list[Any]]] = {
    "text": ({}, ["Ann Lee", "Zoë 🎉", "  Ann  "], ["two\nlines", 5, ["Ann"]]),
    "long-text": ({}, ["Allergic to nuts,\nprefers mornings", "x"], [5, ["a"], {"a": "b"}]),
    "url": (
        {},
        ["https://example.com", "http://example.com/a?q=1#top", "HTTPS://Example.com/Page"],
        ["example.com", "www.example.com", "ftp://example.com", "https://", "https://a b.it", 5],
    ),
    "integer": ({}, [3, 0, -2, 1200], [3.5, "three", True, 10**20, [3]]),
    "decimal": (
        {},
        ["12.5", "12,5", "1.234,5", "-3", "0,75", " 12.5 ", "۱۲٫۵"],  # noqa: RUF001
        ["abc", "12 apples", "1e3", "--1", 12.5, [12]],
    ),
    "money": (
        {},
        [
            {"amount": "12.50", "currency": "EUR"},
            {"amount": "12,50", "currency": "EUR"},
            {"amount": "1.234,50", "currency": "eur"},
            {"amount": "40", "currency": "USD"},
        ],
        [
            {"amount": "abc", "currency": "EUR"},
            {"amount": "12.50"},
            {"amount": 12.5, "currency": "EUR"},
            {"amount": "12.50", "currency": "euro"},
            "tip",
        ],
    ),
    "date": (
        {},
        ["2025-03-01", "1990-12-31"],
        ["yesterday", "2025-02-30", "2025-13-01", "01/03/2025", "20250301", 5],
    ),
    "datetime": (
        {},
        [
            "2025-03-01T09:30",  # an HTML datetime-local input
            "2025-03-01T09:30:00.000Z",  # JavaScript's toISOString()
            "2025-03-01T09:30:00+01:00",
            "2025-03-01 09:30",
        ],
        ["2025-03-01", "09:30", "2025-03-01T25:00", "tomorrow", 5],
    ),
    "email": (
        {},
        ["ann@example.com", "Ann.Lee+promo@Example.COM", "zoë@example.com"],
        ["ann@", "ann", "ann@example", "ann@@example.com", "ann @example.com", 5],
    ),
    "phone": (
        {},
        [
            "+39 312 345 6789",  # the example the schema gives
            "340 555 1234",
            "06 1234 5678",
            "(06) 1234-5678",
            "0039 312 345 6789",
            "+393123456789",
            "+1 415 555 0132",
            "+44 20 7946 0958",
            "+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹",
        ],
        ["12", "abc", "+39 312 345 6789 ext. 2", "+39 312 345 6789 0123 4567", 3123456789],
    ),
    "choice": ({"choices": ["cut", "colour"]}, ["cut", "colour"], ["perm", 5, ["cut"]]),
    "multi-choice": (
        {"choices": ["cut", "colour"]},
        [["cut"], ["colour", "cut"]],
        [["perm"], ["cut", "perm"], [5], {"cut": True}],
    ),
    "boolean": ({}, [True, False], ["maybe", 1, [True]]),
    "address": (
        {},
        [
            {"street": "Via Roma 1", "city": "Roma"},
            {"city": "Roma", "postal_code": "00100", "country": "IT"},
            {"city": "Roma", "lat": 41.9, "lon": 12.5},
        ],
        [
            {"town": "Roma"},
            {"city": 5},
            {"city": "Roma", "lat": 41.9},
            {"city": "Roma", "lat": 100, "lon": 1},
            5,
        ],
    ),
    "shipping-address": (
        {},
        [{"same_as_main": True}, {"city": "Roma"}],
        [{"same_as_main": False}, {"town": "Roma"}, 5],
    ),
    "national-id": (
        {"options": {"scheme": "ir"}},
        ["0499370899", "049-937089-9", "۰۴۹۹۳۷۰۸۹۹"],
        ["0499370899!", "#0499370899", 499370899, ["0499370899"]],
    ),
    "customer": ({}, [1], [0, -1, "Bob", 1.5]),
    "consent": (
        {},
        [
            {"given": True},
            {"given": False},
            {"given": True, "at": "2025-03-01T09:30:00Z"},
            {"given": True, "at": "2025-03-01T09:30"},
        ],
        [
            {"given": "yes"},
            {"at": "2025-03-01T09:30:00Z"},
            {"given": True, "at": "yesterday"},
            {"given": True, "when": "now"},
            5,
        ],
    ),
}
#: answers only the server can refuse: what no pattern says (a numbering plan, a
#: check digit, a list of codes, a record that does not exist, a calendar's days)
SERVER_ONLY: dict[str, list[Any]] = {
    "phone": ["+39 000 000 0000"],
    "national-id": ["0499370898", "123"],
    "money": [{"amount": "12.50", "currency": "XYZ"}],
    "customer": [99],
    "url": ["https://example.com:99999"],
    "datetime": ["2025-02-30T09:30"],
}
#: the Jalali calendar is an option of the date types
JALALI: dict[str, tuple[list[Any], list[Any]]] = {
    "date": (
        ["1403/01/01", "۱۴۰۳/۰۱/۱۵", "1403-1-1"],  # noqa: RUF001 (Persian digits)
        ["yesterday", "01/01/1403", 1403],
    ),
    "datetime": (["1403/01/01 09:30", "1403/01/01T09:30"], ["1403/01/01", "09:30"]),
}


def field_key(type: str, calendar: str = "") -> str:
    return "t_" + type.replace("-", "_") + (f"_{calendar}" if calendar else "")


@pytest.fixture
def every_type(workspace: Workspace) -> Workspace:
    """A workspace whose signup form asks one field of every built-in type."""
    workspace.add_customer("Bob")  # customer 1, for customer references
    for type, (settings, _, _) in TYPICAL.items():
        workspace.add_field(field_key(type), type=type, forms=["signup"], **settings)
    for type in JALALI:
        options = {"calendar": "jalali"}
        workspace.add_field(field_key(type, "jalali"), type=type, forms=["signup"], options=options)
    return workspace


def judged(workspace: Workspace, key: str, value: Any) -> tuple[bool, bool]:
    """Whether the form's schema (validated as a widget would, formats too) and a
    submission accept ``value`` as the answer ``key``."""
    schema = workspace.form_schema("signup")
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    answers = {"name": "Ann", key: value}
    by_schema = not any(e.path and e.path[0] == key for e in validator.iter_errors(answers))
    try:
        workspace.submit_form("signup", answers, dry_run=True)
    except FormError as exc:
        assert set(exc.errors) == {key}, exc.errors
        return by_schema, False
    return by_schema, True


def test_every_field_type_has_typical_answers(workspace: Workspace) -> None:
    assert sorted(TYPICAL) == sorted(workspace.field_types())


@pytest.mark.parametrize("type", sorted(TYPICAL))
def test_the_schema_and_a_submission_agree_on_typical_answers(
    every_type: Workspace, type: str
) -> None:
    _, good, bad = TYPICAL[type]
    found = {repr(v): judged(every_type, field_key(type), v) for v in good + bad}
    assert found == {repr(v): (True, True) for v in good} | {repr(v): (False, False) for v in bad}


@pytest.mark.parametrize("type", sorted(JALALI))
def test_jalali_dates_agree_too(every_type: Workspace, type: str) -> None:
    good, bad = JALALI[type]
    found = {v: judged(every_type, field_key(type, "jalali"), v) for v in good + bad}
    assert found == {v: (True, True) for v in good} | {v: (False, False) for v in bad}


def test_what_no_pattern_can_check_the_server_refuses(every_type: Workspace) -> None:
    found = {
        (type, repr(v)): judged(every_type, field_key(type), v)
        for type, values in SERVER_ONLY.items()
        for v in values
    }
    assert found == dict.fromkeys(found, (True, False))


def test_each_example_in_the_schema_is_accepted(every_type: Workspace) -> None:
    properties = every_type.form_schema("signup")["properties"]
    examples = [(key, v) for key, p in properties.items() for v in p.get("examples", ())]
    assert ("phone", "+39 312 345 6789") in examples
    for key, value in examples:
        assert judged(every_type, key, value) == (True, True), (key, value)


def test_the_answers_reported_are_the_ones_stored(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by tests/reliability/test_fuzz_forms.py: a consent given "now" was checked
    (at one moment) and then written (at the next): the result reported the first."""
    workspace.add_field("marketing_opt_in", type="consent", label="Send me offers")
    ticks = iter(range(1_000))
    start = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(consent, "utc_now", lambda: start + timedelta(seconds=next(ticks)))
    result = workspace.submit_form("signup", {"name": "Ann", "marketing_opt_in": "yes"})
    assert result.customer is not None
    stored = workspace.get_customer(result.customer.id).fields["marketing_opt_in"]
    assert result.answers["marketing_opt_in"] == stored
    assert result.answers["name"] == "Ann"
