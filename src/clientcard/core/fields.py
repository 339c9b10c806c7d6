"""The field-type protocol and the validation of field values.

A field type is supplied by a plugin through ``clientcard_register_field_types``.
It turns user text (CLI, CSV, forms) or a Python value into the canonical JSON
value that is stored, and back.  The core only ever talks to field types through
:class:`FieldType`; it knows no concrete type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import attrs
from attrs import field, frozen

from clientcard.core.errors import (
    FieldDefinitionError,
    FieldValueError,
    UnknownFieldError,
    ValidationError,
    shown,
)
from clientcard.core.model import FieldDef, JSONValue
from clientcard.core.text import entered, entered_all


@frozen
class Identity:
    """How a field's values tell whether two customers are one person (docs/duplicates.md).

    ``match`` is how two values are compared: ``"exact"`` (as stored),
    ``"normalised"`` (case, accents and spacing ignored) or ``"fuzzy"``
    (similar text counts, e.g. a typo).  ``weight`` (0 to 1) is how strongly
    two equal values say "the same person" on their own; ``mismatch`` (0 to 1)
    how strongly two different values say "not the same person" (0 for
    values people have several of, such as phone numbers).
    """

    match: str
    weight: float
    mismatch: float = 0.0


class IdScheme:
    """A kind of identity number and its checksum (Iran's national code ...).

    Registered by plugins with ``clientcard_register_id_schemes``; a field of
    type ``national-id`` picks one with its option ``scheme``.  Set ``name``
    (what the option takes), ``label``, ``description`` and ``example`` (a
    valid number, shown in error messages), and override:

    - :meth:`normalise`: the number as typed → the form stored (digits in
      ASCII, separators removed ...);
    - :meth:`check`: whether a normalised number is valid (its check digit).
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    example: ClassVar[str] = ""

    def normalise(self, text: str) -> str:
        """The number as stored; the default removes spaces and dashes."""
        return "".join(text.split()).replace("-", "")

    def check(self, text: str) -> bool:
        """Whether ``text`` (already normalised) is a valid number of the scheme."""
        return bool(text)


@frozen
class FieldContext:
    """Workspace settings a field type may need: phone region, currency, time zone, locale.

    ``id_schemes`` are the identity-number schemes the enabled plugins
    provide, by name (what the ``national-id`` type checks numbers with); they
    do not take part in comparing two contexts.
    """

    region: str | None = None
    currency: str | None = None
    timezone: ZoneInfo = field(factory=lambda: ZoneInfo("UTC"))
    locale: str = "en"
    id_schemes: Mapping[str, IdScheme] = field(factory=dict, eq=False)


class FieldType:
    """Base class for field types; subclass it in a plugin and register an instance.

    Set ``name`` (the key businesses use in ``--type``), ``label`` and
    ``description``.  Override what differs from plain text:

    - :meth:`parse_text` turns text typed by a person into a Python value;
    - :meth:`validate` checks and normalises a Python value (it is also what an
      API caller's value goes through);
    - :meth:`dump` / :meth:`load` convert between that Python value and JSON;
    - :meth:`render` writes the stored JSON value as text, such that
      ``parse_text(render(v))`` gives the same value back (used by tables and
      type changes);
    - :meth:`export_text` writes it for CSV/XLSX exports (default: :meth:`render`);
    - :meth:`json_schema` describes the JSON value for website intake widgets.

    Raise :class:`~clientcard.core.errors.FieldValueError` with what is expected
    when a value does not fit; the core adds the field and the value.
    """

    name: ClassVar[str]
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: True when the type draws its values from ``FieldDef.choices``.
    uses_choices: ClassVar[bool] = False
    #: Set when a value of this type identifies a person (an e-mail address, a
    #: phone number): fields of the type are then compared when looking for
    #: duplicates, unless ``[duplicates.fields.<key>]`` says otherwise.
    identity: ClassVar[Identity | None] = None
    #: The settings a field of this type may hold in ``FieldDef.options``, by
    #: name, each with what it expects (shown when an option is refused).  An
    #: option not named here is refused before :meth:`check_option` is asked.
    accepted_options: ClassVar[Mapping[str, str]] = {}

    def check_option(self, name: str, value: JSONValue, field: FieldDef, ctx: FieldContext) -> Any:
        """Check one option of ``field`` (``name`` is in :attr:`accepted_options`).

        Return its normalised value, or raise :class:`FieldValueError` saying
        what is expected; the core adds the field and the option's name.
        """
        return value

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        """Turn text typed by a person into a Python value (not yet validated)."""
        return text

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> Any:
        """Check ``value`` and return its normalised Python form."""
        return value

    def dump(self, value: Any) -> JSONValue:
        """Return the JSON form of a validated Python value."""
        return value

    def load(self, raw: JSONValue) -> Any:
        """Return the Python form of a stored JSON value."""
        return raw

    def render(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        """Write a stored JSON value as text that :meth:`parse_text` reads back."""
        return str(raw)

    def export_text(self, raw: JSONValue, field: FieldDef, ctx: FieldContext) -> str:
        """The text a file export (CSV, XLSX) writes; :meth:`parse_text` must read it back.

        The same as :meth:`render` unless overridden: a type whose display
        form is costly to make, or whose stored form is the better one for
        other software (a phone's E.164), writes that instead.
        """
        return self.render(raw, field, ctx)

    def json_schema(self, field: FieldDef, ctx: FieldContext) -> dict[str, Any]:
        """Describe an answer to a form as a JSON Schema fragment: what a widget sends
        when a person writes the value as people do (a phone as typed, not E.164).

        It must accept what :meth:`validate` accepts of that kind and refuse what it
        refuses; where no pattern can tell (a check digit), accept what people write
        and let :meth:`validate` have the last word.
        """
        return {"type": "string"}


class UnavailableFieldType(FieldType):
    """Stands in for a type whose plugin is not loaded: values are kept, never lost.

    Reading works (values pass through as stored); writing a value is refused
    with an error naming the missing type.
    """

    name = "unavailable"

    def __init__(self, missing: str) -> None:
        self.missing = missing

    def parse_text(self, text: str, field: FieldDef, ctx: FieldContext) -> Any:
        raise FieldValueError(self._reason())

    def validate(self, value: Any, field: FieldDef, ctx: FieldContext) -> Any:
        raise FieldValueError(self._reason())

    def _reason(self) -> str:
        return (
            f"a value of type {self.missing!r}, but no enabled plugin provides that type "
            "(see 'clientcard plugins')"
        )


KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

#: Keys of the record itself that no field definition may take.
RESERVED_KEYS = frozenset(
    {"id", "fields", "tags", "status", "tier", "pinned", "created_at", "updated_at"}
)

#: The built-in fields every workspace has, in display order.
BUILTIN_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(key="name", label="Name", type="text", required=True, builtin=True),
    FieldDef(key="email", label="E-mail", type="email", builtin=True),
    FieldDef(key="phone", label="Phone", type="phone", builtin=True),
    FieldDef(key="external_id", label="External id", type="text", builtin=True),
    FieldDef(key="joined_at", label="Joined", type="date", builtin=True),
)
BUILTIN_KEYS = frozenset(f.key for f in BUILTIN_FIELDS)

#: Fields a new workspace starts with; unlike the built-in ones, a business may
#: edit them freely or remove them.  ``birth_date`` is what vCard export,
#: duplicate detection and birthday segments look for.
STARTER_FIELDS: tuple[FieldDef, ...] = (
    FieldDef(key="birth_date", label="Birth date", type="date"),
)


@frozen
class FieldPreset:
    """A ready-made field definition: ``clientcard fields add [KEY] --preset NAME``.

    Registered by plugins with ``clientcard_register_field_presets``.  ``key``
    is the key used when none is given; ``choices`` and ``options`` are the
    starting ones (a business adds choices with ``--choice``).
    """

    name: str
    key: str
    type: str
    label: str
    description: str = ""
    choices: tuple[str, ...] = ()
    options: Mapping[str, JSONValue] = field(factory=dict)
    help: str = ""


def check_key(key: str) -> None:
    """Refuse a field key that is malformed, reserved or built-in."""
    if not KEY_PATTERN.match(key):
        raise FieldDefinitionError(
            f"field key {key!r} is not valid; expected lowercase letters, digits and "
            "underscores, starting with a letter (at most 64)"
        )
    if key in RESERVED_KEYS or key in BUILTIN_KEYS:
        raise FieldDefinitionError(f"field key {key!r} is reserved for a built-in field")


class FieldSchema:
    """The workspace's fields (built-in and custom) with their types: validates values."""

    def __init__(
        self,
        defs: list[FieldDef],
        types: Mapping[str, FieldType],
        ctx: FieldContext,
    ) -> None:
        self.defs = {d.key: d for d in defs}
        self.types = types
        self.ctx = ctx

    def type_of(self, field: FieldDef) -> FieldType:
        """The field's type, or a stand-in that keeps values when its plugin is missing."""
        found = self.types.get(field.type)
        return found if found is not None else UnavailableFieldType(field.type)

    def get(self, key: str) -> FieldDef:
        """The definition of ``key``, or :class:`UnknownFieldError`."""
        try:
            return self.defs[key]
        except KeyError:
            raise UnknownFieldError(key, list(self.defs)) from None

    def coerce(self, key: str, value: Any, *, row: int | None = None) -> JSONValue:
        """Validate ``value`` (text or Python) for field ``key``; return its JSON form.

        ``None``, blank text and empty collections mean "no value" and return ``None``.
        """
        field = self.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, list | tuple | set | frozenset) and not value:
            return None
        # every field value enters here, from the CLI, files, forms and the API: the
        # one place text is refused when not Unicode and composed (NFC)
        value = (
            value
            if value.__class__ is str and value.isascii()
            else entered_all(value, field=key, row=row)
        )
        ftype = self.type_of(field)
        try:
            parsed = (
                ftype.parse_text(value.strip(), field, self.ctx)
                if isinstance(value, str)
                else value
            )
            return ftype.dump(ftype.validate(parsed, field, self.ctx))
        except FieldValueError as exc:
            # the error shows what the person typed, not what it was parsed into
            raise ValidationError(key, value, exc.expected, row=row) from None

    def render(self, key: str, raw: JSONValue) -> str:
        """A stored value as text (empty for no value)."""
        if raw is None:
            return ""
        field = self.get(key)
        return self.type_of(field).render(raw, field, self.ctx)

    def export_text(self, key: str, raw: JSONValue) -> str:
        """A stored value as a file export writes it (empty for no value)."""
        if raw is None:
            return ""
        field = self.get(key)
        return self.type_of(field).export_text(raw, field, self.ctx)

    def recheck(self, field: FieldDef, new: FieldDef, raw: JSONValue) -> JSONValue:
        """Convert a value stored under ``field`` to what ``new`` would store.

        Goes through the text form, so that e.g. text ``"42"`` becomes integer 42.
        Raises :class:`ValidationError` when the value does not fit ``new``.
        """
        text = self.type_of(field).render(raw, field, self.ctx)
        probe = FieldSchema([new], self.types, self.ctx)
        return probe.coerce(new.key, text)

    def check_definition(self, field: FieldDef) -> FieldDef:
        """Refuse a definition whose type is unknown or whose choices or options do not fit it.

        Returns the definition with its options normalised (see :meth:`check_options`).
        """
        field = attrs.evolve(
            field,
            label=entered(field.label, field="label"),
            help=entered(field.help, field="help"),
            choices=tuple(entered(choice, field="choice") for choice in field.choices),
        )
        if field.type not in self.types:
            raise FieldDefinitionError(
                f"unknown field type {field.type!r}; "
                f"available types: {', '.join(sorted(self.types))}"
            )
        ftype = self.types[field.type]
        if ftype.uses_choices and not field.choices:
            raise FieldDefinitionError(
                f"field {field.key!r} of type {field.type!r} needs at least one --choice"
            )
        if field.choices and not ftype.uses_choices:
            raise FieldDefinitionError(
                f"field {field.key!r}: type {field.type!r} takes no choices; "
                "use type 'choice' or 'multi-choice'"
            )
        if len(set(field.choices)) != len(field.choices):
            raise FieldDefinitionError(f"field {field.key!r}: choices repeat a value")
        return self.check_options(field)

    def check_options(self, field: FieldDef) -> FieldDef:
        """``field`` with its options checked and normalised by its type.

        An option the type does not accept, or a value it refuses, is a
        :class:`FieldDefinitionError` naming the field, the option and what is
        expected.
        """
        if not field.options:
            return field
        ftype = self.types[field.type]
        checked: dict[str, JSONValue] = {}
        for name, value in field.options.items():
            if name not in ftype.accepted_options:
                known = ", ".join(sorted(ftype.accepted_options))
                raise FieldDefinitionError(
                    f"field {field.key!r}: type {field.type!r} has no option {name!r}; "
                    + (f"its options: {known}" if known else "it takes no options")
                )
            try:
                checked[name] = ftype.check_option(name, value, field, self.ctx)
            except FieldValueError as exc:
                raise FieldDefinitionError(
                    f"field {field.key!r}: option {name}={shown(value)} is not valid; "
                    f"expected {exc.expected}"
                ) from None
        return attrs.evolve(field, options=checked)
