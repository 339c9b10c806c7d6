"""The records of clientcard, as attrs classes.

Records are frozen values: change one with :func:`attrs.evolve` and hand it back
to the :class:`~clientcard.Workspace`.  Custom field values are kept in their
canonical JSON form (what each field type's ``dump`` returns), so a record reads
the same from Python, from ``--format json`` and from the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from attrs import field, frozen

#: A JSON value as stored: what field types dump to and load from.
JSONValue = Any


@frozen(kw_only=True)
class Customer:
    """One customer of the business.

    ``id`` is clientcard's own, stable and never reused, even after deletion.
    ``external_id`` is the host application's id for the same person, unique
    when set.  ``fields`` holds the custom field values by key, in canonical
    JSON form; ``tags`` keep the spelling first used.  ``status`` and ``tier``
    are set by the configured rule sets, or by hand (then ``pinned``).
    ``other_emails`` and ``other_phones`` are further addresses and numbers of
    the same person, gathered when records were merged.
    """

    id: int
    external_id: str | None = None
    name: str
    email: str | None = None
    phone: str | None = None
    joined_at: date | None = None
    status: str | None = None
    tier: str | None = None
    #: dimensions ("status", "tier") set by hand: automation leaves them alone
    pinned: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    other_emails: tuple[str, ...] = ()
    other_phones: tuple[str, ...] = ()
    fields: Mapping[str, JSONValue] = field(factory=dict)
    created_at: datetime
    updated_at: datetime


@frozen
class FieldDef:
    """The definition of one field, built-in or admin-defined.

    ``type`` names a field type supplied by a plugin (``text``, ``phone`` ...).
    ``choices`` is used by choice types; ``forms`` lists the intake forms that
    collect the field (e.g. ``scheduling``); ``options`` holds settings
    particular to the type.  Built-in fields (``builtin=True``) can be relabelled
    or made required, but not removed or retyped.
    """

    key: str
    label: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    forms: tuple[str, ...] = ()
    builtin: bool = False
    options: Mapping[str, JSONValue] = field(factory=dict)
