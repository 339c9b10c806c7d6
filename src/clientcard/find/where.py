"""The ``--where`` filter of ``clientcard customers list``: parsed once, matched fast.

An expression is conditions joined by ``and`` and ``or``, each perhaps
preceded by ``not``, grouped with parentheses; ``not`` binds tightest, then
``and``, then ``or`` (``a or b and c`` is ``a or (b and c)``).  A condition is
``FIELD OP VALUE``, ``FIELD is empty`` or ``FIELD is not empty``; ``OP`` is one
of ``=  !=  <  <=  >  >=  contains``.  Keywords are case-insensitive and the
symbol operators need no spaces around them (``visits>=3``).

FIELD is a field key (built-in or custom, plus ``id``, ``status``, ``tier``,
``tags``, ``created_at`` and ``updated_at``) or a field's label, both ignoring
case; a label shared by two fields must be given by key.

VALUE is quoted with ``'...'`` or ``"..."`` (a doubled quote inside stands for
one), or else it runs up to the next ``and`` or ``or`` written as a word on its
own, or, inside parentheses, up to the ``)`` that closes them.

How values are read and compared:

- A value is read by the field's type, as ``FieldSchema.coerce`` reads typed
  text: a phone number without ``+`` is one of the workspace region, an e-mail
  address is normalised, a choice must be one of the field's choices, a
  yes/no field takes yes/no/true/false ...; a value that does not fit is an
  error pointing at it.
- Text (``=``, ``!=``) compares ignoring case and accents; ``contains`` looks for
  the typed text inside the value the same way (on a phone number, spaces and
  dashes in the typed part are ignored).
- Numbers, decimals, money, dates and date-times compare by value with
  ``= != < <= > >=``; text cannot be compared with ``<`` and the like.  Money
  typed with a currency matches amounts in that currency only; a bare amount
  matches the amount in any currency.  A plain date given for a date-time
  field means that whole day in the workspace's time zone
  (``created_at = 2025-03-01`` is any moment of that day).
- On tags and multiple-choice fields, ``=`` and ``contains`` mean "has it" (every
  one of several choices written with commas) and ``!=`` means "does not have
  it".
- A value that is missing, blank or an empty list is *empty*: ``is empty`` and
  ``!=`` are true for it; every other comparison is false.

All the work of reading the expression happens in :func:`parse_where`; each
:class:`Condition` holds a prepared test, so :meth:`Condition.matches` only reads
the document and compares.  ``or``, ``not`` and parentheses build :class:`AnyOf`,
:class:`Not` and :class:`AllOf` over conditions, so the selection engine still
tests each condition once per distinct value of its field and combines the rows.
"""

from __future__ import annotations

import difflib
import functools
import operator
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, NoReturn

from attrs import field, frozen

from clientcard.core.errors import ClientcardError, ValidationError
from clientcard.core.fields import BUILTIN_KEYS, FieldSchema
from clientcard.core.model import FieldDef
from clientcard.core.text import fold as _fold
from clientcard.fields import dates

Doc = dict[str, Any]
_Check = Callable[[Any], bool]

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "contains", "is empty", "is not empty")
_OPERATOR_LIST = ", ".join(OPERATORS)


@functools.lru_cache(maxsize=1 << 16)
def _fold_cached(text: str) -> str:
    return _fold(text)


def _ascii_fold(text: str) -> str:
    return " ".join(text.lower().split())


# fold() of plain ASCII text is lowercase with runs of spaces made one, and much
# cheaper done directly; checked here, so that if fold() changes the shortcut is
# dropped rather than giving different results
_ASCII_SHORTCUT = all(
    _fold(sample) == _ascii_fold(sample)
    for sample in ("  Anna  BIANCHI ", "O'Brien-Smith\t42\n", "x@Example.COM, +39 (06)")
)


def _fold_stored(text: str) -> str:
    """A stored value folded for comparing, as fast as can be."""
    if _ASCII_SHORTCUT and text.isascii():
        return " ".join(text.lower().split())
    # short values (cities, tags) repeat over many customers
    return _fold_cached(text) if len(text) <= 200 else _fold(text)


class WhereError(ValidationError):
    """A ``--where`` expression that cannot be read: says where (1-based column) and why.

    ``expression`` is the whole text, ``column`` where the problem is; ``field``
    is the field concerned (``"--where"`` when none), ``value`` the offending
    piece and ``expected`` the explanation.
    """

    def __init__(
        self,
        expression: str,
        column: int,
        problem: str,
        *,
        field: str = "--where",
        value: object = None,
    ) -> None:
        self.expression = expression
        self.column = column
        self.field = field
        self.value = value
        self.expected = problem
        self.row = None
        self.record = None
        ClientcardError.__init__(self, f"--where {expression!r}: at column {column}, {problem}")


@frozen
class Condition:
    """One ``FIELD OP VALUE`` test of a ``--where`` expression; build it with :func:`parse_where`.

    ``value`` is the comparison value in the field's JSON form (as coerced
    from the typed text), with these exceptions: ``None`` for ``is empty`` and
    ``is not empty``; the text as typed for ``contains`` on text; the day
    (``"2025-03-01"``) when a date-time field is compared with a whole day; a
    money amount typed without a currency has ``"currency": None``.
    """

    key: str
    op: str
    value: Any
    _value_test: Callable[[Any], bool] = field(eq=False, repr=False, kw_only=True)

    def matches(self, doc: Doc) -> bool:
        """Whether the customer document (JSON form) meets this condition."""
        return self._value_test(value_of(doc, self.key))

    def matches_value(self, raw: Any) -> bool:
        """Whether a stored value of this condition's field meets it (see :func:`value_of`)."""
        return self._value_test(raw)


@frozen
class AllOf:
    """Holds when every part holds: conditions joined by ``and`` inside parentheses."""

    parts: tuple[Expr, ...]

    def matches(self, doc: Doc) -> bool:
        """Whether the customer document meets every part."""
        return all(part.matches(doc) for part in self.parts)


@frozen
class AnyOf:
    """Holds when any part holds: ``a or b``."""

    parts: tuple[Expr, ...]

    def matches(self, doc: Doc) -> bool:
        """Whether the customer document meets at least one part."""
        return any(part.matches(doc) for part in self.parts)


@frozen
class Not:
    """Holds when its part does not: ``not a``.  An empty value that fails ``a`` passes."""

    part: Expr

    def matches(self, doc: Doc) -> bool:
        """Whether the customer document fails the part."""
        return not self.part.matches(doc)


#: what a --where expression reads as: a condition, or conditions combined
Expr = Condition | AllOf | AnyOf | Not


def value_of(doc: Doc, key: str) -> Any:
    """The stored value of field ``key`` in a customer document (None when it has none)."""
    return doc.get(key) if key in _TOP_LEVEL else doc["fields"].get(key)


def matches_all(conditions: Sequence[Expr], doc: Doc) -> bool:
    """Whether ``doc`` meets every condition (true for no conditions)."""
    for condition in conditions:  # noqa: SIM110 - a loop is faster than all() here
        if not condition.matches(doc):
            return False
    return True


def parse_where(text: str, schema: FieldSchema) -> list[Expr]:
    """Read a ``--where`` expression as the parts that must all hold: the conditions
    (or ``or``/``not``/parenthesised groups) joined by ``and`` at the top level.

    Raises :class:`WhereError` naming the column and what is expected there.
    """
    return _Parser(text, _Fields(schema)).parse()


# -- the fields an expression can name --------------------------------------------------

#: Keys of the record outside the field definitions, with the type their values have.
_EXTRA_FIELDS = (
    FieldDef(key="id", label="Id", type="integer", builtin=True),
    FieldDef(key="status", label="Status", type="text", builtin=True),
    FieldDef(key="tier", label="Tier", type="text", builtin=True),
    FieldDef(key="tags", label="Tags", type="tags", builtin=True),
    FieldDef(key="created_at", label="Created", type="datetime", builtin=True),
    FieldDef(key="updated_at", label="Updated", type="datetime", builtin=True),
)
_TOP_LEVEL = BUILTIN_KEYS | {f.key for f in _EXTRA_FIELDS}

#: field type -> (kind of comparison, how to name such a field in a message); a type
#: not listed here (from another plugin) is compared with = and != only
_TYPES: dict[str, tuple[str, str]] = {
    "text": ("text", "text"),
    "long-text": ("text", "text"),
    "email": ("text", "an e-mail address"),
    "url": ("text", "a web address"),
    "phone": ("text", "a phone number"),
    "choice": ("text", "a choice"),
    "integer": ("integer", "a whole number"),
    "decimal": ("decimal", "a number"),
    "money": ("money", "an amount of money"),
    "date": ("date", "a date"),
    "datetime": ("datetime", "a date and time"),
    "boolean": ("boolean", "a yes/no field"),
    "multi-choice": ("list", "a multiple choice"),
    "tags": ("list", "a list of tags"),
}
_EQUALITY = ("=", "!=", "is empty", "is not empty")
_ORDERED = ("=", "!=", "<", "<=", ">", ">=", "is empty", "is not empty")
_WITH_CONTAINS = ("=", "!=", "contains", "is empty", "is not empty")
_OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "text": _WITH_CONTAINS,
    "integer": _ORDERED,
    "decimal": _ORDERED,
    "money": _ORDERED,
    "date": _ORDERED,
    "datetime": _ORDERED,
    "boolean": _EQUALITY,
    "list": _WITH_CONTAINS,
    "other": _EQUALITY,
}


class _Fields:
    """The workspace's fields as an expression names them: by key or by label."""

    def __init__(self, schema: FieldSchema) -> None:
        builtin = [d for d in schema.defs.values() if d.builtin]
        custom = [d for d in schema.defs.values() if not d.builtin]
        extras = [d for d in _EXTRA_FIELDS if d.key not in schema.defs]
        ordered = builtin + extras + custom
        #: a schema that also knows the extra keys, to read their values
        self.schema = FieldSchema(ordered, schema.types, schema.ctx)
        self.ctx = schema.ctx
        self.keys = [d.key for d in ordered]
        self.names: dict[str, str] = {key: key for key in self.keys}
        by_label: dict[str, list[str]] = {}
        for d in ordered:
            by_label.setdefault(d.label.strip().lower(), []).append(d.key)
        #: labels of several fields: usable only by key
        self.ambiguous: dict[str, list[str]] = {}
        for label, keys in by_label.items():
            if not label or label in self.names:
                continue
            if len(keys) == 1:
                self.names[label] = keys[0]
            else:
                self.ambiguous[label] = keys
        # longest first, so that "hair type" wins over a field called "hair"
        self.by_length = sorted(self.names, key=len, reverse=True)

    def get(self, key: str) -> FieldDef:
        return self.schema.defs[key]


# -- reading an expression --------------------------------------------------------------

_SPACE = re.compile(r"\s*")
_SYMBOL_OP = re.compile(r"!=|<=|>=|==|=|<|>")
_BOUNDARY = r"(?![^\s'\"()])"  # followed by a space, a quote, a parenthesis or the end
_CONTAINS = re.compile(rf"contains{_BOUNDARY}", re.IGNORECASE)
_IS_NOT = re.compile(rf"is(\s+not)?{_BOUNDARY}\s*", re.IGNORECASE)
_IS_EMPTY = re.compile(rf"is\s+(not\s+)?empty{_BOUNDARY}", re.IGNORECASE)
_JOIN = re.compile(r"(and|or)(?=[\s(]|$)", re.IGNORECASE)
_NOT = re.compile(r"not(?=[\s(]|$)", re.IGNORECASE)
_VALUE_END = re.compile(r"\s+(and|or)(?=[\s(]|$)", re.IGNORECASE)
_OPERATOR_START = re.compile(rf"!=|<|>|=|contains{_BOUNDARY}|is{_BOUNDARY}", re.IGNORECASE)
_TOKEN = re.compile(r"[^\s=!<>]+")
_NAME_END = frozenset("=!<>'\"")
# a day without a time, in either calendar (after dates.DIGITS)
_DAY = dates.DAY
# an amount without a currency: digits (Persian and Arabic ones too) and separators
_BARE_AMOUNT = re.compile(r"[-+\u2212]?[0-9.,'\u2019\u066b\u066c\u06f0-\u06f9\u0660-\u0669\s]+")
_PHONE_PUNCTUATION = re.compile(r"[\s\-./()]")


class _Parser:
    def __init__(self, text: str, fields: _Fields) -> None:
        self.text = text
        self.fields = fields
        self.pos = 0
        #: "and" or "or" just read after a condition: another must follow
        self.pending: str | None = None
        #: the word ("and", "or") that ended the last value, which was not quoted
        self.cut_by: str | None = None
        #: how many parentheses are open
        self.depth = 0

    def fail(
        self, pos: int, problem: str, *, field: str = "--where", value: object = None
    ) -> NoReturn:
        raise WhereError(self.text, pos + 1, problem, field=field, value=value)

    def skip_space(self) -> None:
        match = _SPACE.match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def found(self) -> str:
        """What stands at the current position, for a message."""
        if self.at_end():
            return "the end"
        return repr(self.text[self.pos :].split()[0])

    def parse(self) -> list[Expr]:
        self.skip_space()
        if self.at_end():
            self.fail(
                self.pos,
                "the expression is empty; write a condition such as 'city = Roma' "
                "or leave out --where",
            )
        found = self.any_of()
        return list(found.parts) if isinstance(found, AllOf) else [found]

    # Each term stops at the end, before a ')' closing its group, or right after the
    # word "and" or "or" (then in self.pending).

    def any_of(self) -> Expr:
        parts = [self.all_of()]
        while self.pending == "or":
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def all_of(self) -> Expr:
        parts = [self.term()]
        while self.pending == "and":
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def term(self) -> Expr:
        """``not TERM``, ``( EXPRESSION )`` or a condition."""
        joined, self.pending = self.pending, None
        self.skip_space()
        if self.at_end():
            after = f"after '{joined}'" if joined else "here"
            self.fail(self.pos, f"expected a condition {after}, found the end")
        start = self.pos
        if self.negation_here():
            self.pos = start + 3
            self.skip_space()
            if self.at_end():
                self.fail(self.pos, "expected a condition after 'not', found the end")
            return Not(self.term())
        if self.text[start] == "(":
            self.pos, self.depth = start + 1, self.depth + 1
            self.skip_space()
            if self.at_end() or self.text[self.pos] == ")":
                self.fail(self.pos, f"expected a condition after '(', found {self.found()}")
            inner = self.any_of()
            if self.at_end():
                self.fail(start, "the parenthesis opened here is not closed; add a closing )")
            self.pos, self.depth = self.pos + 1, self.depth - 1
            self.expect_join("after ')'")
            return inner
        if self.text[start] == ")":
            self.fail(start, "found ')' with no '(' before it")
        return self.condition()

    def negation_here(self) -> bool:
        """Whether the word here is the keyword ``not`` rather than a field's name (a field
        labelled "Not contacted", or keyed ``not`` and followed by an operator)."""
        match = _NOT.match(self.text, self.pos)
        if match is None:
            return False
        for name in self.fields.by_length:
            if len(name) <= 3:
                break
            end = self.pos + len(name)
            if self.text[self.pos : end].lower() == name and (
                end == len(self.text) or self.text[end].isspace() or self.text[end] in _NAME_END
            ):
                return False
        after = _SPACE.match(self.text, match.end())
        assert after is not None
        return _OPERATOR_START.match(self.text, after.end()) is None

    def and_hint(self) -> str:
        if self.cut_by is None:
            return ""
        return f"; if '{self.cut_by}' belongs to the value before it, put that value in quotes"

    # one condition, then the "and" that follows it (consumed) or the end
    def condition(self) -> Condition:
        start = self.pos
        key, name = self.field_name()
        field_def = self.fields.get(key)
        kind, described = _TYPES.get(field_def.type, ("other", f"of type {field_def.type!r}"))
        self.skip_space()
        op_pos = self.pos
        op = self.operator(name)
        allowed = _OPS_BY_KIND[kind]
        if op not in allowed:
            self.fail(
                op_pos,
                f"{key!r} is {described}, which cannot be compared with {op!r}; "
                f"use {', '.join(allowed[:-1])} or {allowed[-1]}",
                field=key,
                value=op,
            )
        if op in ("is empty", "is not empty"):
            self.cut_by = None
            # the condition as written, on one line (spaces between its words may be newlines)
            self.expect_join(f"after '{' '.join(self.text[start : self.pos].split())}'")
            check, empty = _check_empty(op), op == "is empty"
            return Condition(
                key,
                op,
                None,
                value_test=_value_test(check, on_empty=empty, on_error=False),
            )
        self.skip_space()
        value_pos = self.pos
        typed = self.value(f"{name} {op}")
        if not typed.strip():
            self.fail(
                value_pos,
                f"the value after '{name} {op}' is empty; to find customers without one, "
                f"write '{name} is empty'",
                field=key,
                value=typed,
            )
        typed = typed.strip()
        try:
            value, check = _prepare(self.fields, field_def, kind, op, typed)
        except ValidationError as exc:
            hint = ""
            if kind == "text" and op in ("=", "!="):
                hint = f" (or use 'contains' to match part of {key})"
            self.fail(
                value_pos,
                f"{typed!r} is not valid for {key}; expected {exc.expected}{hint}",
                field=key,
                value=typed,
            )
        negative = op == "!="
        return Condition(
            key,
            op,
            value,
            value_test=_value_test(check, on_empty=negative, on_error=negative),
        )

    def field_name(self) -> tuple[str, str]:
        """The key of the field named here, and the name as it was written."""
        text, pos = self.text, self.pos
        if text[pos] in "'\"":
            written = self.quoted()
            key = self.fields.names.get(written.strip().lower())
            if key is None:
                self.unknown_field(pos, written)
            return key, written
        for name in self.fields.by_length:
            end = pos + len(name)
            if text[pos:end].lower() == name and (
                end == len(text) or text[end].isspace() or text[end] in _NAME_END
            ):
                self.pos = end
                return self.fields.names[name], text[pos:end]
        match = _TOKEN.match(text, pos)
        if match is None:
            self.fail(pos, f"expected a field name, found {self.found()}")
        self.unknown_field(pos, match.group())

    def unknown_field(self, pos: int, written: str) -> NoReturn:
        label = written.strip().lower()
        if label in self.fields.ambiguous:
            keys = ", ".join(self.fields.ambiguous[label])
            self.fail(
                pos,
                f"{written!r} is the label of several fields ({keys}); use the field's key",
                value=written,
            )
        problem = f"unknown field {written!r} (fields: {', '.join(self.fields.keys)})"
        close = difflib.get_close_matches(label, self.fields.keys, n=1, cutoff=0.75)
        if close:
            problem += f"; did you mean {close[0]!r}?"
        problem += self.and_hint()
        self.fail(pos, problem, value=written)

    def operator(self, name: str) -> str:
        text, pos = self.text, self.pos
        if match := _SYMBOL_OP.match(text, pos):
            self.pos = match.end()
            return "=" if match.group() == "==" else match.group()
        if match := _CONTAINS.match(text, pos):
            self.pos = match.end()
            return "contains"
        if match := _IS_EMPTY.match(text, pos):
            self.pos = match.end()
            return "is not empty" if match.group(1) else "is empty"
        if match := _IS_NOT.match(text, pos):
            self.pos = match.end()
            written = " ".join(match.group().split())
            self.fail(
                self.pos,
                f"expected 'empty' after '{name} {written}', found {self.found()} "
                "(to compare with a value, use = or !=)",
            )
        self.fail(
            pos,
            f"expected an operator ({_OPERATOR_LIST}) after {name!r}, found {self.found()}"
            + self.and_hint(),
        )

    def value(self, before: str) -> str:
        """The value at the current position (quoted, or up to the word 'and')."""
        text, pos = self.text, self.pos
        if self.at_end():
            self.fail(pos, f"expected a value after '{before}', found the end")
        if text[pos] in "'\"":
            typed = self.quoted()
            self.cut_by = None
            self.expect_join(f"after the value {typed!r}")
            return typed
        self.cut_by = None
        if word := _JOIN.match(text, pos):
            self.fail(
                pos,
                f"expected a value after '{before}', found '{word.group()}' "
                f"(put the value in quotes if it is the word '{word.group()}')",
            )
        match = _VALUE_END.search(text, pos)
        stop = len(text) if match is None else match.start()
        if self.depth:
            # inside parentheses, a ')' the value did not open closes the group
            balance = 0
            for at in range(pos, stop):
                if text[at] == "(":
                    balance += 1
                elif text[at] == ")":
                    if not balance:
                        self.pos = at
                        return text[pos:at]
                    balance -= 1
        if match is None:
            self.pos = len(text)
            return text[pos:]
        self.pos = match.end()
        self.pending = self.cut_by = match.group(1).lower()
        return text[pos:stop]

    def quoted(self) -> str:
        """A quoted string at the current position; a doubled quote stands for one."""
        text, start = self.text, self.pos
        quote = text[start]
        pieces = []
        pos = start + 1
        while True:
            end = text.find(quote, pos)
            if end < 0:
                self.fail(
                    start, f"the quote {quote} opened here is not closed; add a closing {quote}"
                )
            pieces.append(text[pos:end])
            if text.startswith(quote, end + 1):
                pieces.append(quote)
                pos = end + 2
                continue
            self.pos = end + 1
            return "".join(pieces)

    def expect_join(self, after: str) -> None:
        """After a term: ``and`` or ``or`` (read), a ``)`` closing a group, or the end."""
        self.skip_space()
        if self.at_end():
            return
        if match := _JOIN.match(self.text, self.pos):
            self.pos = match.end()
            self.pending = match.group().lower()
            return
        if self.text[self.pos] == ")":
            if self.depth:
                return
            self.fail(self.pos, f"found ')' {after} with no '(' before it")
        self.fail(self.pos, f"expected 'and', 'or' or the end {after}, found {self.found()}")


# -- preparing the comparison ------------------------------------------------------------

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
#: What a stored value may be when it is empty (0 and false are values).
_EMPTY_TYPES = (type(None), str, list, tuple, dict)
#: What a damaged stored value raises when it is read as its type's form.
_BAD_VALUE = (TypeError, ValueError, KeyError, AttributeError, ArithmeticError)


def _check_empty(op: str) -> _Check:
    # reached only for a value that is not empty
    if op == "is empty":
        return lambda raw: False
    return lambda raw: True


def _value_test(check: _Check, *, on_empty: bool, on_error: bool) -> Callable[[Any], bool]:
    """The test of one stored value: handle emptiness, then ``check`` it."""

    def test(raw: Any) -> bool:
        if not raw and type(raw) in _EMPTY_TYPES:
            return on_empty
        try:
            return check(raw)
        except _BAD_VALUE:
            return on_error

    return test


def _negated(op: str, check: _Check) -> _Check:
    """``check`` as it is for ``=``, turned into ``!=`` when that is the operator."""
    if op == "!=":
        return lambda raw: not check(raw)
    return check


def _probe(fields: _Fields, key: str, type_name: str, typed: str, **options: Any) -> Any:
    """``typed`` read as a value of ``type_name`` (errors name ``key``)."""
    label = fields.get(key).label
    probe = FieldSchema(
        [FieldDef(key=key, label=label, type=type_name, options=options)],
        fields.schema.types,
        fields.ctx,
    )
    return probe.coerce(key, typed)


def _prepare(
    fields: _Fields, field_def: FieldDef, kind: str, op: str, typed: str
) -> tuple[Any, _Check]:
    """The comparison value (JSON form) and the check of a non-empty stored value."""
    key = field_def.key
    if kind == "list":
        return _prepare_list(fields, field_def, op, typed)
    if kind == "text" and op == "contains":
        return typed, _prepare_contains(field_def, typed)
    if kind == "money":
        return _prepare_money(fields, key, op, typed)
    if kind == "datetime" and _DAY.fullmatch(typed.translate(dates.DIGITS).strip()):
        return _prepare_day(fields, key, op, typed)
    value = fields.schema.coerce(key, typed)
    compare = _COMPARE[op]
    if kind == "text":
        target = _fold(value)

        def same_text(raw: Any) -> bool:
            return bool(raw == value or _fold_stored(raw) == target)

        return value, _negated(op, same_text)
    if kind == "decimal":
        number = Decimal(value)
        return value, lambda raw: compare(Decimal(raw), number)
    if kind == "datetime":
        moment = datetime.fromisoformat(value)
        return value, lambda raw: compare(datetime.fromisoformat(raw), moment)
    # integers, dates (ISO text orders as the dates do), yes/no and other types
    return value, lambda raw: compare(raw, value)


def _prepare_contains(field_def: FieldDef, typed: str) -> _Check:
    needle = _fold(typed)
    if field_def.type == "phone":
        # stored as +390612345678: "06 1234" is looked for as "061234"
        needle = _PHONE_PUNCTUATION.sub("", needle)
    return lambda raw: needle in _fold_stored(raw)


def _prepare_list(fields: _Fields, field_def: FieldDef, op: str, typed: str) -> tuple[Any, _Check]:
    if field_def.type == "tags":
        tag = " ".join(typed.split())
        wanted = _fold(tag)

        def has_tag(raw: Any) -> bool:
            for item in raw:  # noqa: SIM110 - a loop is faster than any() here
                if item == tag or _fold_stored(item) == wanted:
                    return True
            return False

        return tag, _negated(op, has_tag)
    value = fields.schema.coerce(field_def.key, typed)
    targets = frozenset(_fold(v) for v in value)

    def has_all(raw: Any) -> bool:
        return targets <= {_fold_stored(v) for v in raw}

    return value, _negated(op, has_all)


def _prepare_money(fields: _Fields, key: str, op: str, typed: str) -> tuple[Any, _Check]:
    compare = _COMPARE[op]
    if _BARE_AMOUNT.fullmatch(typed):
        # no currency given: the amount is compared whatever the currency
        amount = Decimal(_probe(fields, key, "decimal", typed))
        value = {"amount": format(amount, "f"), "currency": None}
        return value, lambda raw: compare(Decimal(raw["amount"]), amount)
    value = fields.schema.coerce(key, typed)
    amount, currency = Decimal(value["amount"]), value["currency"]
    # in another currency an amount is neither equal, nor more, nor less
    compare = _COMPARE["=" if op == "!=" else op]

    def in_currency(raw: Any) -> bool:
        return bool(raw["currency"] == currency and compare(Decimal(raw["amount"]), amount))

    return value, _negated(op, in_currency)


def _prepare_day(fields: _Fields, key: str, op: str, typed: str) -> tuple[Any, _Check]:
    """A date-time compared with a whole day of the workspace's calendar."""
    # the day is read in the field's calendar, as its values are
    day = date.fromisoformat(_probe(fields, key, "date", typed, **fields.get(key).options))
    zone = fields.ctx.timezone
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    load = datetime.fromisoformat
    checks: dict[str, _Check] = {
        "=": lambda raw: start <= load(raw) < end,
        "!=": lambda raw: not start <= load(raw) < end,
        "<": lambda raw: load(raw) < start,
        "<=": lambda raw: load(raw) < end,
        ">": lambda raw: load(raw) >= end,
        ">=": lambda raw: load(raw) >= start,
    }
    return day.isoformat(), checks[op]
