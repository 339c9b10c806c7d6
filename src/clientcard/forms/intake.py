"""Intake forms: what a website widget asks, its JSON Schema, and checking answers.

A form is declared by a ``[forms.<name>]`` table of ``clientcard.toml`` (a new
workspace has ``signup``, ``scheduling`` and ``contact``; they exist with their
defaults when the table does not).  It asks, in this order: the fields its
table lists (else its default fields), every field whose definition names the
form (``FieldDef.forms``), then the questions of the plugins' form collectors
(``clientcard_register_form_collectors``).  See docs/forms.md.

Everything here is pure: the forms service (``forms/service.py``) reads the
field definitions and writes the card.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from attrs import define, field, frozen

from clientcard.core.config import CONFIG_NAME
from clientcard.core.errors import (
    ConfigError,
    FieldDefinitionError,
    NotFoundError,
    PluginError,
    ValidationError,
    shown,
)
from clientcard.core.fields import KEY_PATTERN, RESERVED_KEYS, FieldSchema
from clientcard.core.model import Customer, FieldDef, JSONValue
from clientcard.core.plugins import Kind

if TYPE_CHECKING:
    from clientcard.core.plugins import PluginHost

#: The JSON Schema dialect of :func:`json_schema`.
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: What a form's name looks like (it is a TOML table name and a CLI argument).
FORM_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
#: The prefix of every form's settings table.
TABLE_PREFIX = "forms."


# -- settings --------------------------------------------------------------------------


def _keys(_: Any, attribute: attrs.Attribute[Any], value: list[str]) -> None:
    for key in value:
        if not KEY_PATTERN.match(key):
            raise ValueError(f"a list of field keys (see 'clientcard fields list'), not {key!r}")


@define(frozen=True)
class FormSettings:
    """``[forms.<name>]``: one intake form.

    ``fields`` are the fields it asks first, in this order (empty: the form's
    defaults); fields whose definition names the form and plugins' questions
    follow.  ``required`` lists fields this form requires although a card
    does not.
    """

    #: the heading a widget shows (empty: from the form's name)
    title: str = ""
    #: a sentence under the heading
    description: str = ""
    #: the fields asked first, in order (empty: the form's default fields)
    fields: list[str] = field(factory=list, validator=_keys)
    #: fields required on this form although a card does not need them
    required: list[str] = field(factory=list, validator=_keys)


# The built-in forms give every attribute again, only so that they keep the order
# above in 'config list' (attrs puts the attributes a subclass overrides last).
@define(frozen=True)
class SignupForm(FormSettings):
    """``[forms.signup]``: a new customer signs up."""

    title: str = "Sign up"
    description: str = "Leave your details and we will be in touch."
    fields: list[str] = field(factory=list, validator=_keys)
    required: list[str] = field(factory=list, validator=_keys)


@define(frozen=True)
class SchedulingForm(FormSettings):
    """``[forms.scheduling]``: the details asked when booking an appointment."""

    title: str = "Book an appointment"
    description: str = "Your details for the appointment."
    fields: list[str] = field(factory=list, validator=_keys)
    required: list[str] = field(factory=list, validator=_keys)


@define(frozen=True)
class ContactForm(FormSettings):
    """``[forms.contact]``: a message to the business."""

    title: str = "Contact us"
    description: str = "Write to us and we will answer soon."
    fields: list[str] = field(factory=list, validator=_keys)
    required: list[str] = field(factory=list, validator=_keys)


#: The forms every workspace has, with their settings classes (their defaults).
BUILTIN_FORMS: dict[str, type[FormSettings]] = {
    "signup": SignupForm,
    "scheduling": SchedulingForm,
    "contact": ContactForm,
}

#: The fields a form asks when its table lists none; keys the workspace does not
#: define (``marketing_opt_in``, ``address``, ``message``) are left out.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "signup": ("name", "email", "phone", "marketing_opt_in"),
    "scheduling": ("name", "email", "phone", "address"),
    "contact": ("name", "email", "phone", "message"),
}
#: ... and for a form of the business's own.
OTHER_FIELDS = ("name", "email", "phone")


def declare_forms(add: Callable[[str, type[Any]], None], raw: Mapping[str, Any]) -> None:
    """Declare ``[forms.<name>]`` for the built-in forms and each form the file has.

    ``add(table, cls)`` declares one settings table (``PluginHost.add_settings``);
    ``raw`` is the parsed file.  The built-in forms are declared first, so a
    mistake in the file (a badly named form, a value where a table belongs)
    leaves them usable where a workspace opens despite its problems.
    """
    for name, cls in BUILTIN_FORMS.items():
        add(f"{TABLE_PREFIX}{name}", cls)
    given = raw.get("forms", {})
    if not isinstance(given, Mapping):
        raise ConfigError(
            f"{CONFIG_NAME}: forms = {given!r} has the wrong type; expected tables such as "
            '[forms.signup] with title = "Sign up"'
        )
    for name, table in given.items():
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"{CONFIG_NAME}: forms.{name} = {table!r} has the wrong type; expected a table "
                f'[forms.{name}] with title = "..." (see docs/forms.md)'
            )
        if not FORM_NAME.match(name):
            raise ConfigError(
                f"{CONFIG_NAME}: form name {name!r} in [forms.{name}] is not valid; expected "
                "lowercase letters, digits, '-' and '_', starting with a letter"
            )
        if name not in BUILTIN_FORMS:
            add(f"{TABLE_PREFIX}{name}", FormSettings)


def form_names(tables: Iterable[str]) -> list[str]:
    """The forms among declared settings tables: built-in ones first, then by name."""
    declared = {t[len(TABLE_PREFIX) :] for t in tables if t.startswith(TABLE_PREFIX)}
    declared = {name for name in declared if "." not in name}
    builtin = [name for name in BUILTIN_FORMS if name in declared]
    return builtin + sorted(declared - set(builtin))


def unknown_form(name: str, known: Sequence[str]) -> NotFoundError:
    """The error for a form no ``[forms.<name>]`` table declares."""
    return NotFoundError(
        f"no form {name!r}; forms: {', '.join(known) or 'none'} "
        f"(add one as a [forms.{name}] table in {CONFIG_NAME})"
    )


def check_form_names(forms: Iterable[str], known: Sequence[str]) -> None:
    """Refuse a field definition naming a form that does not exist."""
    for name in forms:
        if name not in known:
            raise FieldDefinitionError(str(unknown_form(name, known)))


# -- collectors ------------------------------------------------------------------------


class FormCollector:
    """Base class for a plugin that adds its own questions to intake forms.

    Set ``name`` (unique among collectors) and ``description``, and override:

    - :meth:`questions`: the questions it adds to ``form`` (none for forms it
      does not serve), as :class:`~clientcard.FieldDef`\\ s: ``key``,
      ``label``, ``type`` (any field type), ``required``, ``choices``, ``help``;
    - :meth:`check` (optional): rules across answers, such as "a date of birth
      is needed when the booking is for a child".

    An answer is stored on the card as a custom field value under the
    question's key.  A key that no field defines is a field this plugin
    provides (listed by ``clientcard fields list``, never stored as a
    definition); a key the business already defines (``phone``, a field of its
    own) collects that field, with the business's definition.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def questions(self, form: str) -> Sequence[FieldDef]:
        """The questions this collector adds to ``form``, in order."""
        return []

    def check(self, form: str, answers: Mapping[str, JSONValue]) -> Mapping[str, str]:
        """Problems across answers, by field key (``{}`` when all is well).

        ``answers`` holds every answer that passed its field's check, in its
        stored JSON form, by key (answers left blank are absent).  Each problem
        says what is expected, e.g. ``{"postcode": "a postcode in the delivery
        area"}``.
        """
        return {}


#: a collector as the plugin host keeps it: its name, the collector and its plugin
CollectorEntry = tuple[str, FormCollector, str]


def ask(name: str, collector: FormCollector, form: str) -> list[FieldDef]:
    """What one collector asks on ``form``, checked; a broken one is a PluginError."""
    try:
        found = list(collector.questions(form))
    except Exception as exc:
        raise PluginError(
            f"form collector {name!r} failed on form {form!r}: {type(exc).__name__}: {exc}"
        ) from None
    for question in found:
        if not isinstance(question, FieldDef):
            raise PluginError(
                f"form collector {name!r}: questions() must return clientcard.FieldDef "
                f"objects, got {question!r}"
            )
        if not KEY_PATTERN.match(question.key) or question.key in RESERVED_KEYS:
            raise PluginError(
                f"form collector {name!r}: question key {question.key!r} is not valid; "
                "expected lowercase letters, digits and underscores, starting with a letter, "
                "and not a key of the record itself (id, tags, status ...)"
            )
    return found


def plugin_fields(
    host: PluginHost, tables: Iterable[str], defs: Iterable[FieldDef]
) -> list[FieldDef]:
    """The fields the form collectors of ``host`` provide, beyond the workspace's ``defs``.

    ``tables`` are the declared settings tables (which forms exist).
    """
    collectors = [(r.name, r.item, r.plugin) for r in host.form_collectors]
    if not collectors:
        return []
    return collected_fields(collectors, form_names(tables), {d.key for d in defs})


def collected_fields(
    collectors: Iterable[CollectorEntry], forms: Sequence[str], known: Collection[str]
) -> list[FieldDef]:
    """The fields plugins' questions provide: every question whose key no field defines.

    Each becomes a definition that is never required on a card (only on the
    form that asks it) and lists the forms asking it.  A collector that fails
    is left out here, so that the rest of the workspace keeps working; the
    form commands report its error.  When two collectors ask one new key with
    different types, the first by name wins here and the form reports it.
    """
    provided: dict[str, FieldDef] = {}
    for name, collector, _ in sorted(collectors, key=lambda entry: entry[0]):
        try:
            asked = [(form, q) for form in forms for q in ask(name, collector, form)]
        except PluginError:
            continue
        for form, question in asked:
            if question.key in known:
                continue
            seen = provided.get(question.key)
            if seen is None:
                provided[question.key] = attrs.evolve(
                    question, required=False, builtin=False, forms=(form,)
                )
            elif form not in seen.forms:
                provided[question.key] = attrs.evolve(seen, forms=(*seen.forms, form))
    return list(provided.values())


# -- forms -----------------------------------------------------------------------------


@frozen
class FormField:
    """One field a form asks.

    ``definition`` is the field as the form shows it (its ``required`` is the
    form's); ``collector`` names the form collector that asked it, if one did.
    """

    definition: FieldDef
    collector: str | None = None

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def required(self) -> bool:
        return self.definition.required


@frozen
class Form:
    """An intake form: its name, title and description, and the fields it asks, in order."""

    name: str
    title: str
    description: str
    fields: tuple[FormField, ...]

    def keys(self) -> list[str]:
        return [f.key for f in self.fields]

    def get(self, key: str) -> FormField | None:
        for found in self.fields:
            if found.key == key:
                return found
        return None

    def to_json(self) -> dict[str, Any]:
        """What ``clientcard forms list --format json`` prints of the form."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "fields": [
                {
                    "key": f.key,
                    "label": f.definition.label,
                    "type": f.definition.type,
                    "required": f.required,
                    "collector": f.collector,
                }
                for f in self.fields
            ],
        }


def build_form(
    name: str,
    settings: FormSettings,
    schema: FieldSchema,
    questions: Sequence[tuple[str, FieldDef]],
    provided: Collection[str],
) -> Form:
    """The form ``name`` from its settings, the workspace's fields and the plugins' questions.

    ``questions`` are (collector name, question) pairs asked on this form, by
    collector name; ``provided`` are the keys of fields that plugins' questions
    provide (see :func:`collected_fields`).
    """
    where = f"{CONFIG_NAME}: forms.{name}"
    for key in settings.fields:
        if key not in schema.defs:
            raise ConfigError(
                f"{where}.fields names unknown field {key!r}; known fields: "
                f"{', '.join(schema.defs)}"
            )
    first = settings.fields or [
        key for key in DEFAULT_FIELDS.get(name, OTHER_FIELDS) if key in schema.defs
    ]
    chosen: dict[str, FormField] = {}
    # a card cannot be created without its required fields: every form asks them
    for definition in schema.defs.values():
        if definition.required and definition.key not in first:
            chosen[definition.key] = FormField(definition)
    for key in first:
        chosen.setdefault(key, FormField(schema.defs[key]))
    for definition in schema.defs.values():
        if name in definition.forms and definition.key not in provided:
            chosen.setdefault(definition.key, FormField(definition))
    for collector, question in questions:
        key = question.key
        existing = chosen.get(key)
        if existing is not None:
            if question.required and not existing.required:
                chosen[key] = attrs.evolve(
                    existing, definition=attrs.evolve(existing.definition, required=True)
                )
            continue
        if key in provided:
            defined = schema.defs.get(key)
            if defined is not None and (defined.type, defined.choices) != (
                question.type,
                question.choices,
            ):
                raise PluginError(
                    f"form {name!r}: question {key!r} of form collector {collector!r} has "
                    f"type {question.type!r}, but another collector asks {key!r} as type "
                    f"{defined.type!r}; disable one of the plugins"
                )
            try:
                schema.check_definition(question)
            except FieldDefinitionError as exc:
                raise PluginError(f"form collector {collector!r}: {exc}") from None
            definition = attrs.evolve(question, builtin=False, forms=(name,))
        else:
            # the business's own field: its definition, required if the question is
            definition = attrs.evolve(
                schema.get(key), required=schema.get(key).required or question.required
            )
        chosen[key] = FormField(definition, collector)
    for key in settings.required:
        if key not in chosen:
            raise ConfigError(
                f"{where}.required names {key!r}, which the form does not ask; it asks: "
                f"{', '.join(chosen)}"
            )
        found = chosen[key]
        chosen[key] = attrs.evolve(found, definition=attrs.evolve(found.definition, required=True))
    title = settings.title or name.replace("-", " ").replace("_", " ").capitalize()
    return Form(name, title, settings.description, tuple(chosen.values()))


def json_schema(form: Form, schema: FieldSchema) -> dict[str, Any]:
    """The form as a JSON Schema (2020-12) a website widget renders and validates against.

    Each property is its field type's ``json_schema(field, ctx)`` with the
    field's label as ``title`` and its help as ``description``; a required
    text answer must not be empty.  ``x-clientcard-type`` names the field type
    for widgets that render some types specially (an address, a date picker).
    """
    properties: dict[str, Any] = {}
    for asked in form.fields:
        definition = asked.definition
        fragment = dict(schema.type_of(definition).json_schema(definition, schema.ctx))
        fragment["title"] = definition.label
        if definition.help:
            fragment["description"] = definition.help
        if asked.required and fragment.get("type") == "string":
            fragment.setdefault("minLength", 1)
        fragment["x-clientcard-type"] = definition.type
        properties[asked.key] = fragment
    out: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "title": form.title,
    }
    if form.description:
        out["description"] = form.description
    out.update(
        {
            "type": "object",
            "properties": properties,
            "required": [f.key for f in form.fields if f.required],
            "additionalProperties": False,
        }
    )
    return out


# -- answers -----------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple | dict) and not value


def check_answers(
    form: Form,
    schema: FieldSchema,
    answers: Mapping[str, Any],
    collectors: Iterable[CollectorEntry],
) -> tuple[dict[str, JSONValue], dict[str, str]]:
    """Every answer through its field type; returns (checked values, problems by key).

    The checked values are in stored JSON form, blank answers left out.  Every
    problem is collected, not only the first: unknown keys, answers that do
    not fit their field, required fields left blank, then the collectors'
    ``check`` rules on the answers that passed.
    """
    problems: dict[str, str] = {}
    checked: dict[str, JSONValue] = {}
    asks = form.keys()
    probe = FieldSchema([f.definition for f in form.fields], schema.types, schema.ctx)
    for asked in form.fields:
        value = answers.get(asked.key)
        if _blank(value):
            if asked.required:
                problems[asked.key] = (
                    f"no answer; expected a value: {asked.definition.label} is required"
                )
            continue
        try:
            coerced = probe.coerce(asked.key, value)
        except ValidationError as exc:
            problems[asked.key] = f"{shown(value)} is not valid; expected {exc.expected}"
            continue
        if coerced is not None:
            checked[asked.key] = coerced
    for key, value in answers.items():
        if form.get(key) is None:
            problems[key] = (
                f"{shown(value) or 'an empty value'} is not an answer to form {form.name!r}: "
                f"it asks no {key!r}; "
                f"expected one of {', '.join(asks)}"
            )
    for name, collector, _ in sorted(collectors, key=lambda entry: entry[0]):
        try:
            found = collector.check(form.name, dict(checked))
        except Exception as exc:
            raise PluginError(
                f"form collector {name!r} failed checking form {form.name!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(found, Mapping):
            raise PluginError(
                f"form collector {name!r}: check() must return a mapping of field key to "
                f"problem, got {found!r}"
            )
        for key, problem in found.items():
            problems.setdefault(str(key), str(problem))
    return checked, problems


@frozen
class FormResult:
    """What :meth:`Workspace.submit_form` did (with ``dry_run``: would do).

    ``created`` is True for a new card, False when the card ``matched_by``
    its ``"email"`` or ``"phone"`` was updated.  ``customer`` is the card as
    stored; for a dry run, the matched card as it is now (None when one would
    be created).  ``answers`` are the checked answers in stored JSON form.
    """

    form: str
    created: bool
    customer: Customer | None
    answers: Mapping[str, JSONValue]
    matched_by: str | None = None
    dry_run: bool = False


#: what plugins register with ``clientcard_register_form_collectors``
FORM_COLLECTORS: Kind[FormCollector] = Kind(
    "clientcard_register_form_collectors",
    "form collector",
    "form collectors",
    "form_collectors",
    FormCollector,
    "clientcard.FormCollector",
)
