"""Finding customers who are probably one person entered twice.

Pure functions over customer values: no store, no CLI.  docs/duplicates.md
explains the rules for a business; in short:

- **Which fields.**  Each identifying field has a :class:`FieldRule`: how its
  values are compared (``exact``, ``normalised``, ``fuzzy``), a ``weight``
  (how strongly two equal values say "the same person") and a ``mismatch``
  (how strongly two different values say "not the same person").  Defaults
  come from field types (:attr:`FieldType.identity`: e-mail, phone) and from
  well-known keys (``name``, ``birth_date``, ``national_id``, ``address``);
  ``[duplicates.fields.<key>]`` overrides them or adds a business's own
  identifiers (a membership number).
- **Blocking.**  Only customers that share a *block key* are compared: the
  same normalised value of an identifying field (and, when the threshold is
  low enough for a name alone to reach it, the same name with its words
  sorted).  A value shared by more than :data:`MAX_BLOCK` customers (a
  placeholder such as ``none@none.it``) is no evidence and is not a block.
  100,000 customers therefore cost a few hundred thousand comparisons, not
  five billion.
- **The score** of a pair (0 to 1) is the evidence of its agreeing fields
  combined as independent clues, ``1 - prod(1 - weight * similarity)``,
  times a *name gate* that falls from 1 to :data:`GATE_FLOOR` as the names
  go from similar to clearly different, times ``1 - mismatch`` for each field
  whose values differ.  The gate is what keeps a family apart: a shared phone
  or e-mail with clearly different first names stays below the default
  threshold, and below a shared phone with a similar name.
- **Names in two scripts** (``زهرا محمدی``, ``Zahra Mohammadi``) are compared
  by how one reads in the other (:mod:`clientcard.dedupe.scripts`).
- **Groups** join pairs at or above the threshold (union-find, strongest pairs
  first); a group's score is that of the weakest pair needed to hold it
  together, i.e. the highest threshold at which it would still be one group.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import accumulate
from typing import Any

import orjson
from attrs import define, field, frozen

from clientcard.core.errors import ConfigError
from clientcard.core.fields import FieldSchema, Identity
from clientcard.core.text import fold
from clientcard.dedupe import scripts
from clientcard.dedupe.settings import DuplicatesSettings

NAME = "name"
#: defaults by field key, for fields whose type says nothing about identity
#: (a name is plain text; a birth date is a plain date); a later field type
#: (address, national id) brings its own :attr:`FieldType.identity` instead
KEY_DEFAULTS: dict[str, Identity] = {
    # a name alone is weak evidence (namesakes are common); its main role is the gate
    NAME: Identity("fuzzy", weight=0.5),
    # one person has one birth date: a different one is strong evidence against
    "birth_date": Identity("exact", weight=0.7, mismatch=0.5),
    "birthday": Identity("exact", weight=0.7, mismatch=0.5),
    "date_of_birth": Identity("exact", weight=0.7, mismatch=0.5),
    "national_id": Identity("normalised", weight=0.95, mismatch=0.8),
    # families share an address too
    "address": Identity("fuzzy", weight=0.5),
}
#: the weight of a business's own identifier when its table gives none
DEFAULT_WEIGHT = 0.9
#: a value shared by more customers than this is no evidence (a placeholder)
MAX_BLOCK = 50
#: names at least this similar pass the gate whole; at most LOW, they get GATE_FLOOR
GATE_HIGH = 0.85
GATE_LOW = 0.6
GATE_FLOOR = 0.3
#: fuzzy values (other than names) at least this similar agree
FUZZY_AGREE = 0.85
#: similarity of an initial ("M.") to a word starting with it
INITIAL = 0.8
#: the most two words more edits apart than a typo makes can score
TOO_MANY_EDITS = 0.75


# -- which fields identify a person ---------------------------------------------------


@frozen
class FieldRule:
    """How one field takes part in duplicate detection.

    ``custom`` fields keep their values under a customer's ``fields``.
    """

    key: str
    label: str
    match: str
    weight: float
    mismatch: float = 0.0
    custom: bool = False


def field_rules(schema: FieldSchema, settings: DuplicatesSettings) -> tuple[FieldRule, ...]:
    """The identifying fields of a workspace: defaults, then ``[duplicates.fields]``.

    Raises :class:`ConfigError` for a table naming no field, or one without
    ``match`` for a field that has no default.
    """
    for key in settings.fields:
        if key not in schema.defs:
            raise ConfigError(
                f"clientcard.toml: [duplicates.fields.{key}] names no field; "
                f"fields: {', '.join(schema.defs)}"
            )
    rules = []
    for key, field_def in schema.defs.items():
        identity = schema.type_of(field_def).identity or KEY_DEFAULTS.get(key)
        given = settings.fields.get(key, {})
        if identity is None and not given:
            continue
        if identity is None and "match" not in given:
            raise ConfigError(
                f"clientcard.toml: [duplicates.fields.{key}] needs match = "
                '"exact", "normalised" or "fuzzy"'
            )
        match = given.get("match", identity.match if identity else "exact")
        weight = float(given.get("weight", identity.weight if identity else DEFAULT_WEIGHT))
        mismatch = float(given.get("mismatch", identity.mismatch if identity else 0.0))
        if weight > 0:
            rules.append(
                FieldRule(
                    key, field_def.label, match, weight, mismatch, custom=not field_def.builtin
                )
            )
    return tuple(rules)


# -- values as compared ---------------------------------------------------------------

_APOSTROPHES = re.compile(r"['’`´]")  # noqa: RUF001 (typographic apostrophes are typed)
#: whitespace as str.split() sees it, or anything not ASCII
_NOT_PLAIN = re.compile(r"[\s\x80-\U0010ffff]")
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def _exact(value: Any) -> str:
    """A structured value (an address, a list) as one key: its JSON, keys sorted."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _text(value: Any) -> str:
    """The words of a value: a structured one's texts (an address's street, city...),
    not its keys, which every address shares."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return " ".join(_text(v) for _, v in sorted(value.items()) if isinstance(v, str | list))
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return orjson.dumps(value).decode()


def _folded(text: str) -> str:
    # fold() without its Unicode passes when they cannot change anything
    if text.isascii():
        return " ".join(text.casefold().split())
    return fold(text)


def compared(value: Any, match: str) -> Hashable | None:
    """A stored value as ``match`` compares it, and the block key it goes under.

    exact: as stored; normalised: case, accents and spacing folded away;
    fuzzy: folded, punctuation dropped, words sorted (so word order does not
    split a block).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if match == "exact":
            return value or None
        folded = _folded(value)
    elif isinstance(value, list | dict) and not value:
        return None
    elif match == "exact":
        return value if isinstance(value, int | float) else _exact(value)
    else:
        folded = _folded(_text(value))
    if match == "fuzzy":
        return " ".join(sorted(_words(folded))) or None
    return folded or None


def compared_column(values: Sequence[Any], match: str) -> list[Hashable | None]:
    """:func:`compared` of every value, with shortcuts for the usual plain text
    (100,000 e-mail addresses in a few tens of milliseconds: adding one
    customer pays for this)."""
    if match == "exact":
        return [v if v.__class__ is str and v else compared(v, match) for v in values]
    if match == "normalised":
        return [
            " ".join(v.casefold().split()) or None
            if v.__class__ is str and v.isascii()
            else compared(v, match)
            for v in values
        ]
    return [compared(v, match) for v in values]


def _words(folded: str) -> list[str]:
    """The words of folded text: "D'Angelo" is one word, "Rossi-Bianchi" and "Roma, 1" two."""
    return _PUNCTUATION.sub(" ", _APOSTROPHES.sub("", folded)).split()


@lru_cache(maxsize=1 << 16)
def name_tokens(name: str) -> tuple[str, ...]:
    """The words of a name as compared: folded, punctuation dropped (see :func:`_words`)."""
    return tuple(_words(_folded(name)))


# -- comparing names ---------------------------------------------------------------------


def _token_similarity(a: str, b: str) -> float:
    """Two words of names: 1 when equal (also in two scripts: "zahra", "زهرا"); a
    typo scores high, another name low."""
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # an initial: "M." for "Marco"
        return INITIAL if a[0] == b[0] else 0.0
    # names repeat (every Rossi is compared with every Marco): each pair of words once
    return _word_similarity(a, b) if a < b else _word_similarity(b, a)


@lru_cache(maxsize=1 << 16)
def _word_similarity(a: str, b: str) -> float:
    if not (a.isascii() and b.isascii()):
        # a word in another script (زهرا, zahra): by how one reads in the other
        across = scripts.similarity(a, b, _word_similarity)
        if across is not None:
            return across
    from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

    similarity: float = JaroWinkler.normalized_similarity(a, b)
    # Jaro-Winkler rewards a shared beginning, so "matteo" and "mattia" score
    # like a typo: more edits than a typo makes are capped below the gate ...
    allowed = 1 if max(len(a), len(b)) < 8 else 2
    if DamerauLevenshtein.distance(a, b, score_cutoff=allowed + 1) > allowed:
        return min(similarity, TOO_MANY_EDITS)
    # ... and it punishes a slip at the start of a short word ("oze" for "zoe"),
    # which is still one slip: at least enough to pass the gate
    return max(similarity, GATE_HIGH) if max(len(a), len(b)) >= 3 else similarity


def _aligned(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, bool]:
    """Pair each word of the shorter name with its best match in the other (one to one).

    Returns the similarity of the *worst* pair (every part of a name must
    agree: "Anna Rossi" and "Laura Rossi" share a surname, not a person),
    lowered for words only one name has, and whether the words are paired
    out of order (swapped first and last names).
    """
    if len(a) == 2 == len(b):  # most names: first and last, in either order
        kept = min(_token_similarity(a[0], b[0]), _token_similarity(a[1], b[1]))
        swapped = min(_token_similarity(a[0], b[1]), _token_similarity(a[1], b[0]))
        return (swapped, True) if swapped > kept else (kept, False)
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    scored = sorted(
        ((_token_similarity(x, y), i, j) for i, x in enumerate(short) for j, y in enumerate(long)),
        reverse=True,
    )
    used_short: set[int] = set()
    used_long: set[int] = set()
    pairs: list[tuple[int, int]] = []
    worst = 1.0
    for similarity, i, j in scored:
        if i in used_short or j in used_long:
            continue
        used_short.add(i)
        used_long.add(j)
        pairs.append((i, j))
        worst = min(worst, similarity)
        if len(pairs) == len(short):
            break
    extra = len(long) - len(short)
    if extra:
        # a middle name one record leaves out costs little; a lone surname matching
        # a full name says little
        worst *= 0.95**extra if len(short) >= 2 else 0.6
    order = [j for _, j in sorted(pairs)]
    return worst, order != sorted(order)


def compare_names(a: str, b: str, ta: tuple[str, ...], tb: tuple[str, ...]) -> tuple[float, str]:
    """How similar two names are (0 to 1), and the reason to show for it.

    ``ta`` and ``tb`` are their :func:`name_tokens`.
    """
    if not ta or not tb:
        return 0.0, "different names"
    if ta == tb:
        if " ".join(a.split()) == " ".join(b.split()):
            return 1.0, "same name"
        return 1.0, "same name apart from case or accents"
    if sorted(ta) == sorted(tb):
        return 1.0, "same name in swapped order"
    if "".join(ta) == "".join(tb):
        return 1.0, "same name spaced differently"
    similarity, swapped = _aligned(ta, tb)
    if not (a.isascii() and b.isascii()) and _scripts(ta) != _scripts(tb):
        if similarity < 1 and len(ta) != len(tb):
            # one script joins what the other spaces: "Mohammadreza", "محمد رضا"
            similarity = max(similarity, _token_similarity("".join(ta), "".join(tb)))
        if similarity == 1:
            return 1.0, "same name in another script"
        if similarity >= GATE_HIGH:
            return similarity, "similar name in another script"
    if similarity >= GATE_HIGH:
        return similarity, "similar name in swapped order" if swapped else "similar name (a typo?)"
    if similarity > GATE_LOW:
        return similarity, "partly similar names"
    return similarity, "different names"


@lru_cache(maxsize=1 << 16)
def _scripts(tokens: tuple[str, ...]) -> frozenset[str]:
    """The scripts a name is written in."""
    return frozenset(filter(None, map(scripts.script, tokens)))


def gate(similarity: float) -> float:
    """What a pair's score is multiplied by for its names' similarity."""
    share = min(1.0, max(0.0, (similarity - GATE_LOW) / (GATE_HIGH - GATE_LOW)))
    return GATE_FLOOR + (1 - GATE_FLOOR) * share


# -- records ---------------------------------------------------------------------------


#: a customer id (positive), or minus the number of a row of a file being imported
Ref = int


class _Record:
    """One customer (or a new row) as the scorer sees it; made only for compared rows."""

    __slots__ = ("keys", "name", "raw", "ref", "tokens")

    def __init__(self, ref: Ref, name: str, raw: dict[str, Any], keys: dict[str, Any]) -> None:
        self.ref = ref
        self.name = name
        self.raw = raw
        self.keys = keys
        self.tokens = name_tokens(name)

    def name_key(self) -> Hashable | None:
        """The block key of the name: its compared form, or its folded words sorted."""
        if NAME in self.keys:
            key: Hashable | None = self.keys[NAME]
            return key
        return " ".join(sorted(self.tokens)) or None


def _label(rule: FieldRule) -> str:
    return rule.label[:1].lower() + rule.label[1:]


class Scorer:
    """Scores a pair of records by the rules (see the module's docstring for the formula)."""

    def __init__(self, rules: Sequence[FieldRule]) -> None:
        self.name_rule = next((r for r in rules if r.key == NAME), None)
        self.others = [r for r in rules if r.key != NAME]

    def score(self, a: _Record, b: _Record) -> tuple[float, list[str]]:
        """The pair's score (0 to 1) and its reasons: agreements, the names, differences."""
        from rapidfuzz import fuzz

        agree: list[str] = []
        differ: list[str] = []
        doubt = 1.0  # the chance that no agreeing clue means "the same person"
        against = 1.0
        for rule in self.others:
            x, y = a.keys.get(rule.key), b.keys.get(rule.key)
            if x is None or y is None:
                continue
            if rule.match == "fuzzy":
                similarity = 1.0 if x == y else fuzz.token_sort_ratio(x, y) / 100
                agrees = similarity >= FUZZY_AGREE
            else:
                similarity = 1.0
                agrees = x == y
            if agrees:
                doubt *= 1 - rule.weight * similarity
                agree.append(self._same(rule, a.raw[rule.key], b.raw[rule.key], similarity))
            elif rule.mismatch:
                against *= 1 - rule.mismatch
                differ.append(f"different {_label(rule)}")
        reasons = agree
        factor = 1.0
        if self.name_rule is not None:
            similarity, reason = self._names(self.name_rule, a, b)
            doubt *= 1 - self.name_rule.weight * similarity
            factor = gate(similarity)
            reasons.append(reason)
        return (1 - doubt) * factor * against, reasons + differ

    @staticmethod
    def _names(rule: FieldRule, a: _Record, b: _Record) -> tuple[float, str]:
        if rule.match == "fuzzy":
            return compare_names(a.name, b.name, a.tokens, b.tokens)
        if a.keys.get(NAME) is not None and a.keys.get(NAME) == b.keys.get(NAME):
            return 1.0, "same name"
        return 0.0, "different names"

    @staticmethod
    def _same(rule: FieldRule, x: Any, y: Any, similarity: float) -> str:
        label = _label(rule)
        if similarity < 1:
            return f"similar {label}"
        if x != y:  # equal once normalised: say so, the business sees two spellings
            return f"same {label}, written differently"
        return f"same {label}"


class Records:
    """Customers as columns: a reference each (:data:`Ref`), a name, and each rule's
    stored values and compared forms (the block keys), worked out once per column.

    A fuzzy name has no compared form: names are compared word by word
    (:func:`compare_names`), and only blocked on when alone they can matter.
    """

    def __init__(self, rules: Sequence[FieldRule]) -> None:
        self.rules = tuple(rules)
        #: the rules whose values are kept (every one but a fuzzy name)
        self.kept = tuple(r for r in self.rules if r.key != NAME or r.match != "fuzzy")
        self.refs: list[Ref] = []
        self.names: list[str] = []
        self.raw: dict[str, list[Any]] = {r.key: [] for r in self.kept}
        self.keys: dict[str, list[Hashable | None]] = {r.key: [] for r in self.kept}

    @classmethod
    def from_columns(
        cls, rules: Sequence[FieldRule], columns: Mapping[str, Sequence[Any]]
    ) -> Records:
        """From what ``Table.columns`` gives: ``id``, ``name``, each built-in rule's key,
        and ``fields`` when a rule is custom."""
        records = cls(rules)
        records.refs = list(columns["id"])
        records.names = [n or "" for n in columns[NAME]]
        custom = columns.get("fields") or ()
        for rule in records.kept:
            if rule.custom:
                values = [(f or {}).get(rule.key) for f in custom]
            else:
                values = list(columns[rule.key])
            records.raw[rule.key] = values
            records.keys[rule.key] = compared_column(values, rule.match)
        return records

    @classmethod
    def from_docs(cls, rules: Sequence[FieldRule], docs: Iterable[Mapping[str, Any]]) -> Records:
        """From customer documents (the JSON form of :class:`~clientcard.Customer`)."""
        records = cls(rules)
        for doc in docs:
            records.append(doc["id"], doc)
        return records

    def make(self, ref: Ref, values: Mapping[str, Any]) -> _Record:
        """A record from flat values (built-in and custom keys, or a document with
        custom values under ``fields``), not added."""
        custom = values.get("fields") or {}
        raw: dict[str, Any] = {}
        keys: dict[str, Any] = {}
        for rule in self.kept:
            value = values.get(rule.key)
            if value is None and rule.custom:
                value = custom.get(rule.key)
            raw[rule.key] = value
            keys[rule.key] = compared(value, rule.match)
        return _Record(ref, values.get(NAME) or "", raw, keys)

    def add(self, record: _Record) -> int:
        """Add a record :meth:`make` made; returns its row."""
        self.refs.append(record.ref)
        self.names.append(record.name)
        for key, values in self.raw.items():
            values.append(record.raw[key])
            self.keys[key].append(record.keys[key])
        return len(self.refs) - 1

    def append(self, ref: Ref, values: Mapping[str, Any]) -> int:
        """Add one record from flat values (see :meth:`make`); returns its row."""
        return self.add(self.make(ref, values))

    def __len__(self) -> int:
        return len(self.refs)

    def record(self, row: int) -> _Record:
        """Row ``row`` as the scorer takes it."""
        keys = {k: v[row] for k, v in self.keys.items()}
        raw = {k: v[row] for k, v in self.raw.items()}
        return _Record(self.refs[row], self.names[row], raw, keys)

    def name_key(self, row: int) -> Hashable | None:
        """The block key of row ``row``'s name: its folded words, sorted."""
        if NAME in self.keys:
            return self.keys[NAME][row]
        return " ".join(sorted(name_tokens(self.names[row]))) or None


# -- blocking --------------------------------------------------------------------------


def name_blocks_matter(rules: Sequence[FieldRule], min_score: float) -> bool:
    """Whether a pair sharing nothing but a name can reach ``min_score``.

    Only then are names block keys: such a pair's evidence is its name alone
    (any other shared value puts it in that value's block), worth at most the
    name's weight.  At the default threshold, names alone are never enough.
    """
    name = next((r for r in rules if r.key == NAME), None)
    return name is not None and name.weight >= min_score


def could_match(rules: Sequence[FieldRule], min_score: float) -> bool:
    """Whether records compared by ``rules`` can reach ``min_score`` at all: some field
    besides the name, or a name that alone is enough."""
    return any(r.key != NAME for r in rules) or name_blocks_matter(rules, min_score)


class Blocks:
    """Block key → rows: one table per identifying field but the name, and one for
    names when names alone can matter (``by_name``)."""

    def __init__(self, records: Records, *, by_name: bool) -> None:
        self.records = records
        self.by_name = by_name
        self.fields = [r.key for r in records.kept if r.key != NAME]
        self.index: dict[str, dict[Hashable, list[int]]] = {key: {} for key in self.fields}
        self.names: dict[Hashable, list[int]] = {}
        self._indexed = 0
        self.catch_up()

    def catch_up(self) -> None:
        """Index the rows appended to the records since the last call."""
        start, self._indexed = self._indexed, len(self.records)
        for key in self.fields:
            block = self.index[key]
            values = self.records.keys[key]
            for row in range(start, self._indexed):
                value = values[row]
                if value is not None:
                    block.setdefault(value, []).append(row)
        if self.by_name:
            for row in range(start, self._indexed):
                name = self.records.name_key(row)
                if name is not None:
                    self.names.setdefault(name, []).append(row)

    def rows_like(self, probe: _Record) -> set[int]:
        """The indexed rows that share a block key with ``probe``."""
        found: set[int] = set()
        for key in self.fields:
            value = probe.keys[key]
            if value is not None:
                rows = self.index[key].get(value, ())
                if len(rows) <= MAX_BLOCK:
                    found.update(rows)
        if self.by_name:
            rows = self.names.get(probe.name_key(), ())
            if len(rows) <= MAX_BLOCK:
                found.update(rows)
        return found

    def all(self) -> Iterator[list[int]]:
        """Every block."""
        for block in self.index.values():
            yield from block.values()
        yield from self.names.values()


def scan_rows_like(records: Records, probe: _Record, *, by_name: bool) -> set[int]:
    """What :meth:`Blocks.rows_like` finds, by scanning the columns: for one lookup,
    cheaper than building the blocks."""
    found: set[int] = set()
    for rule in records.kept:
        value = probe.keys[rule.key]
        if rule.key == NAME or value is None:
            continue
        rows = [at for at, key in enumerate(records.keys[rule.key]) if key == value]
        if len(rows) <= MAX_BLOCK:
            found.update(rows)
    if by_name:
        wanted = probe.name_key()
        rows = [at for at in range(len(records)) if records.name_key(at) == wanted]
        if len(rows) <= MAX_BLOCK:
            found.update(rows)
    return found


def rows_sharing(values: Sequence[Any], match: str, target: Hashable) -> list[int]:
    """Rows whose :func:`compared` form equals ``target``, without computing it for every
    row: adding one customer must not fold 100,000 stored addresses.

    A text is its own exact form, and plain text (ASCII, no whitespace) folds to
    its case-folded self: their rows are found by searching all the texts joined
    into one string.  Only the other values (rare) are compared one by one.
    """
    if not isinstance(target, str):
        return [at for at, v in enumerate(values) if compared(v, match) == target]
    texts = ["" if v is None else v if v.__class__ is str else "\x01" for v in values]
    blob = "\x00".join(texts)
    exact = match == "exact"
    rows = set(_rows_equal_to(blob if exact else blob.casefold(), target))
    if "\x01" in blob:  # values that are not text
        rows.update(at for at, text in enumerate(texts) if text == "\x01")
    if not exact and (not blob.isascii() or len(blob.split(None, 1)) > 1):
        rows.update(_rows_not_plain(texts))
    return [at for at in sorted(rows) if compared(values[at], match) == target]


def _rows_equal_to(blob: str, target: str) -> Iterator[int]:
    """Rows of ``blob`` (texts joined by NUL) equal to ``target``."""
    blob = "\x00" + blob + "\x00"
    needle = "\x00" + target + "\x00"
    at = blob.find(needle)
    while at != -1:
        yield blob.count("\x00", 0, at + 1) - 1
        at = blob.find(needle, at + 1)


def _rows_not_plain(texts: Sequence[str]) -> set[int]:
    """Rows holding text that is not plain (not ASCII, or with whitespace), whose folded
    form may differ from its case-folded one: found with one regular-expression scan."""
    ends = list(accumulate(len(t) + 1 for t in texts))
    blob = "\x00".join(texts)
    return {bisect_right(ends, m.start()) for m in _NOT_PLAIN.finditer(blob)}


def columns_like(
    rules: Sequence[FieldRule], columns: Mapping[str, Sequence[Any]], values: Mapping[str, Any]
) -> dict[str, list[Any]]:
    """The rows of ``columns`` that share a compared value with the new record ``values``
    (flat keys, stored forms): the only ones :func:`scan_rows_like` can find when names
    alone cannot matter.  Blocks over :data:`MAX_BLOCK` are left out, as there."""
    custom = columns.get("fields") or ()
    rows: set[int] = set()
    for rule in rules:
        if rule.key == NAME and rule.match == "fuzzy":
            continue
        target = compared(values.get(rule.key), rule.match)
        if target is None:
            continue
        if rule.custom:
            column: Sequence[Any] = [(f or {}).get(rule.key) for f in custom]
        else:
            column = columns[rule.key]
        found = rows_sharing(column, rule.match, target)
        if len(found) <= MAX_BLOCK:
            rows.update(found)
    chosen = sorted(rows)
    return {name: [column[at] for at in chosen] for name, column in columns.items()}


# -- finding every group ---------------------------------------------------------------


@frozen
class DuplicateGroup:
    """Customers that are likely one person: their ids, a score (0 to 1) and why.

    ``score`` is that of the weakest pair holding the group together: at any
    ``min_score`` above it the group would split.
    """

    ids: tuple[int, ...]
    score: float
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The group as ``clientcard duplicates --format json`` prints it."""
        return {"ids": list(self.ids), "score": round(self.score, 3), "reasons": list(self.reasons)}


@define
class DetectionStats:
    """What a detection did: how far blocking kept it from comparing every pair."""

    records: int = 0
    #: blocks (shared values) of two or more customers
    blocks: int = 0
    #: blocks left out for holding more than MAX_BLOCK customers
    oversized: int = 0
    #: distinct pairs scored
    compared: int = 0
    #: pairs at or above the threshold
    matched: int = 0


@frozen
class Detection:
    """The groups found (best first) and how they were found."""

    groups: list[DuplicateGroup]
    stats: DetectionStats = field(factory=DetectionStats)


def detect(records: Records, min_score: float) -> Detection:
    """Every group of likely duplicates among ``records`` scoring at least ``min_score``.

    Groups are sorted by score, best first (then by their lowest id).
    """
    stats = DetectionStats(records=len(records))
    blocks = Blocks(records, by_name=name_blocks_matter(records.rules, min_score))
    size = len(records)
    candidates: set[int] = set()
    for rows in blocks.all():
        if len(rows) < 2:
            continue
        if len(rows) > MAX_BLOCK:
            stats.oversized += 1
            continue
        stats.blocks += 1
        # rows were appended in order, so a < b: each pair once, as one int
        for at, a in enumerate(rows):
            base = a * size
            candidates.update(base + b for b in rows[at + 1 :])
    stats.compared = len(candidates)
    scorer = Scorer(records.rules)
    made: dict[int, _Record] = {}

    def record(row: int) -> _Record:
        found = made.get(row)
        if found is None:
            found = made[row] = records.record(row)
        return found

    matched: list[tuple[float, int, int, list[str]]] = []
    for pair in candidates:
        a, b = divmod(pair, size)
        score, reasons = scorer.score(record(a), record(b))
        if score >= min_score and score > 0:
            matched.append((score, a, b, reasons))
    stats.matched = len(matched)
    return Detection(_groups(matched, records), stats)


def _groups(
    matched: list[tuple[float, int, int, list[str]]], records: Records
) -> list[DuplicateGroup]:
    """Join pairs into groups, strongest first (Kruskal): the pair that joins two
    groups is the weakest so far, so its score is the joined group's."""
    matched.sort(key=lambda m: (-m[0], m[1], m[2]))
    parent: dict[int, int] = {}

    def root(row: int) -> int:
        parent.setdefault(row, row)
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    score: dict[int, float] = {}
    reasons: dict[int, dict[str, None]] = {}
    for value, a, b, why in matched:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
            score[ra] = value
            reasons[ra] = reasons.get(ra, {}) | reasons.pop(rb, {})
            score.pop(rb, None)
        reasons[ra].update(dict.fromkeys(why))
    members: dict[int, list[int]] = {}
    for row in parent:
        members.setdefault(root(row), []).append(row)
    groups = [
        DuplicateGroup(
            ids=tuple(sorted(records.refs[r] for r in rows)),
            score=score[top],
            reasons=tuple(reasons[top]),
        )
        for top, rows in members.items()
    ]
    groups.sort(key=lambda g: (-g.score, g.ids))
    return groups


# -- one new record ---------------------------------------------------------------------


@frozen
class LookAlike:
    """A customer (``id``), or an earlier row of the same import (``row``), that a new
    record looks like, with the pair's score and reasons."""

    name: str
    score: float
    reasons: tuple[str, ...]
    id: int | None = None
    row: int | None = None

    def describe(self) -> str:
        """``customer 17 (Ann Lee): same e-mail, similar name (a typo?)``"""
        who = f"customer {self.id}" if self.id is not None else f"row {self.row}"
        return f"{who} ({self.name}): {', '.join(self.reasons)}"


class LookAlikeFinder:
    """Finds which known records a new one looks like; new ones can join the known.

    Built on the stored customers; an import adds each row it accepts, so a
    later row is also compared with earlier rows of the same file.  Adding
    one customer looks once: the columns are scanned, no blocks are built.
    """

    def __init__(self, known: Records, min_score: float) -> None:
        self.known = known
        self.min_score = min_score
        self.scorer = Scorer(known.rules)
        self.by_name = name_blocks_matter(known.rules, min_score)
        self.blocks: Blocks | None = None
        #: the values of the last find and the record it made, which add reuses
        self._last: tuple[Mapping[str, Any], _Record] | None = None

    def find(self, values: Mapping[str, Any]) -> list[LookAlike]:
        """The known records ``values`` (stored forms, flat keys) looks like, best first."""
        new = self.known.make(0, values)
        self._last = values, new
        if self.blocks is not None:
            rows = self.blocks.rows_like(new)
        else:
            rows = scan_rows_like(self.known, new, by_name=self.by_name)
        found = []
        for row in rows:
            score, reasons = self.scorer.score(new, self.known.record(row))
            if score >= self.min_score and score > 0:
                ref = self.known.refs[row]
                found.append(
                    LookAlike(
                        name=self.known.names[row],
                        score=score,
                        reasons=tuple(reasons),
                        id=ref if ref > 0 else None,
                        row=-ref if ref < 0 else None,
                    )
                )
        found.sort(key=lambda f: (-f.score, f.id or 0, f.row or 0))
        return found

    def add(self, row: int, values: Mapping[str, Any]) -> None:
        """Know the record of import row ``row`` from now on (when ``values`` is what
        the last :meth:`find` was given, its work is reused)."""
        last, self._last = self._last, None
        record = last[1] if last is not None and last[0] is values else self.known.make(0, values)
        record.ref = -row
        self.known.add(record)
        if self.blocks is None:
            self.blocks = Blocks(self.known, by_name=self.by_name)
        else:
            self.blocks.catch_up()
