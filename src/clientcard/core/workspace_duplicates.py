"""Duplicates: groups of customers that are likely one person, and look-alikes of a new one.

One part of :class:`~clientcard.core.workspace.Workspace`; the facade's own
docstring says what every operation guarantees.  The detection itself is
:mod:`clientcard.dedupe.detect`; this part reads the customers for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clientcard.core.config import DuplicatesSettings
from clientcard.core.fields import FieldSchema
from clientcard.core.memory import gc_paused
from clientcard.core.text import fold
from clientcard.core.workspace_fields import FieldsPart
from clientcard.customers.records import CUSTOMERS
from clientcard.dedupe.detect import (
    NAME,
    Detection,
    DuplicateGroup,
    FieldRule,
    LookAlike,
    LookAlikeFinder,
    Records,
    columns_like,
    could_match,
    detect,
    field_rules,
    name_blocks_matter,
)


class DuplicatesPart(FieldsPart):
    # -- duplicates --------------------------------------------------------------------

    def find_duplicates(self, min_score: float | None = None) -> list[DuplicateGroup]:
        """Groups of customers that are likely one person, best first.

        ``min_score`` (0 to 1) defaults to ``[duplicates] min_score``.  Which
        fields count, and how, is ``[duplicates.fields]`` (docs/duplicates.md).
        """
        return self.detect_duplicates(min_score).groups

    def detect_duplicates(self, min_score: float | None = None) -> Detection:
        """What :meth:`find_duplicates` gives, with how many pairs were compared."""
        # gc paused: the columns and blocks of 100,000 customers are long-lived objects
        # the collector would otherwise scan again and again while pairs are scored
        with gc_paused():
            with self.store.read() as session:
                schema = self._schema(session)
                rules = self._duplicate_rules(schema)
                records = self._identity_records(session, rules)
            return detect(records, self._min_score(min_score))

    def similar_customers(
        self, values: Mapping[str, Any], *, min_score: float | None = None
    ) -> list[LookAlike]:
        """The stored customers a new record with ``values`` looks like, best first.

        ``values`` maps built-in and custom field keys to values as
        :meth:`add_customer` takes them (text as typed, or Python values); the
        identifying ones are checked as adding would check them.  Each
        :class:`LookAlike` has the customer's ``id`` and ``name``, the pair's
        ``score`` and its reasons.
        """
        with self.store.read() as session:
            schema = self._schema(session)
            threshold = self._min_score(min_score)
            # only the fields this record has can count: the others need not be read
            rules = tuple(
                r for r in self._duplicate_rules(schema) if values.get(r.key) not in (None, "")
            )
            if not could_match(rules, threshold):
                return []  # (adding one customer then reads no other)
            stored = {r.key: schema.coerce(r.key, values[r.key]) for r in rules}
            table = session.table(CUSTOMERS)
            if not _anyone_shares(table, rules, stored, threshold):
                return []  # (the usual case: read no other customer at all)
            columns = table.columns(self._identity_columns(rules))
        if not name_blocks_matter(rules, threshold):
            # only customers sharing a value can score: read just those rows
            columns = columns_like(rules, columns, stored)
        finder = LookAlikeFinder(Records.from_columns(rules, columns), threshold)
        return finder.find(stored)

    def _look_alike_finder(
        self, session: Any, schema: FieldSchema, min_score: float | None = None
    ) -> LookAlikeFinder | None:
        """A finder over the stored customers (None when no record could match one)."""
        rules = self._duplicate_rules(schema)
        threshold = self._min_score(min_score)
        if not could_match(rules, threshold):
            return None
        return LookAlikeFinder(self._identity_records(session, rules), threshold)

    def _duplicate_rules(self, schema: FieldSchema) -> tuple[FieldRule, ...]:
        settings: DuplicatesSettings = self.settings_for("duplicates")
        return field_rules(schema, settings)

    def _min_score(self, given: float | None) -> float:
        if given is not None:
            return given
        settings: DuplicatesSettings = self.settings_for("duplicates")
        return settings.min_score

    @staticmethod
    def _identity_records(session: Any, rules: tuple[FieldRule, ...]) -> Records:
        """The customers' identifying values, read as columns.

        Built-in fields are top-level columns, which a store may keep apart
        from the documents (then nothing else is read); custom fields need
        the ``fields`` of every document.
        """
        columns = session.table(CUSTOMERS).columns(DuplicatesPart._identity_columns(rules))
        return Records.from_columns(rules, columns)

    @staticmethod
    def _identity_columns(rules: tuple[FieldRule, ...]) -> list[str]:
        names = [NAME, *(r.key for r in rules if not r.custom and r.key != NAME)]
        if any(r.custom for r in rules):
            names.append("fields")
        return names


#: fields the customers table indexes by folded value (``TableSpec.lookups``)
LOOKUP_FIELDS = ("email", "phone")


def _anyone_shares(
    table: Any, rules: tuple[FieldRule, ...], values: Mapping[str, Any], threshold: float
) -> bool:
    """Whether a stored customer could look like ``values``: some customer shares one of
    its identifying values.  False only when that is certain and cheap to know.

    When names alone cannot reach the threshold, a look-alike shares a compared
    value, and (matched exactly or normalised) a shared compared value means a
    shared folded one: a lookup on each says no without reading any customer.
    """
    if name_blocks_matter(rules, threshold):
        return True
    for rule in rules:
        if rule.key == NAME:
            continue
        if rule.custom or rule.key not in LOOKUP_FIELDS or rule.match == "fuzzy":
            return True  # no cheap answer: compare them all
        value = values.get(rule.key)
        key = fold(value) if isinstance(value, str) else None
        if key and table.lookup(rule.key, key):
            return True
    return False
