"""The one exception hierarchy of clientcard.

Every error a user can cause is a :class:`ClientcardError` whose message is a
single line saying what was wrong (the field, row or value) and what is expected.
The CLI prints that line and exits with status 1; a host application can catch
the class it cares about.  Anything else escaping clientcard is a bug.
"""

from __future__ import annotations

from datetime import date
from typing import Any


def shown(value: object) -> str | None:
    """A value as a message shows it: text in quotes, lists item by item, dates as
    ISO, yes/no as true/false; None for no value at all.  Never a Python repr of
    None, a list or an object, which mean nothing to the person who typed the value."""
    if value is None:
        return None
    if isinstance(value, str):
        return repr(value) if value.strip() else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        parts = [part for item in value if (part := shown(item)) is not None]
        return ", ".join(sorted(parts) if isinstance(value, set | frozenset) else parts) or None
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False, default=_plain)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


class ClientcardError(Exception):
    """Base of every error a user or a host application can cause and fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class WorkspaceError(ClientcardError):
    """The workspace directory is missing, not initialised, or already exists."""


class ConfigError(ClientcardError):
    """``clientcard.toml`` has an unknown key, a wrong type or an invalid value."""


class PluginError(ClientcardError):
    """A plugin is broken, missing, or registers a name another plugin already uses."""


class StoreError(ClientcardError):
    """The store on disk cannot be read (corrupt or hand-edited) or written."""


class LockTimeoutError(StoreError):
    """Another process (or thread) held the workspace lock longer than ``[storage]
    lock_timeout``; the message names it when it is known.  Nothing was changed:
    the operation can be tried again."""


class ReadOnlyError(StoreError):
    """A change to a workspace this process can only read (a read-only mount, files
    of another user); the message names what cannot be written."""


class ValidationError(ClientcardError):
    """A value does not fit its field.

    ``field`` is the field key, ``value`` the rejected input and ``expected``
    says what would have been accepted; ``row`` is set for bulk input, and
    ``record`` (such as ``"customer 7000"``) for a bulk change of stored records.
    """

    def __init__(
        self,
        field: str,
        value: object,
        expected: str,
        *,
        row: int | None = None,
        record: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        self.row = row
        self.record = record
        where = f"row {row}: " if row is not None else f"{record}: " if record else ""
        given = shown(value)
        problem = "no value given" if given is None else f"{given} is not valid"
        super().__init__(f"{where}{field}: {problem}; expected {expected}")


class FieldValueError(ValueError):
    """Raised by a field type when a value does not fit; the core adds the field name.

    Field-type plugins raise this with ``expected`` describing what the type
    accepts (e.g. ``"a date as YYYY-MM-DD"``).
    """

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


class UnknownFieldError(ClientcardError):
    """A field key that the workspace does not define."""

    def __init__(self, key: str, known: list[str]) -> None:
        self.key = key
        super().__init__(f"unknown field {key!r}; known fields: {', '.join(known)}")


class FieldDefinitionError(ClientcardError):
    """A field definition cannot be added, changed or removed as asked."""


class NotFoundError(ClientcardError):
    """A customer (or another record) with the given id does not exist."""


class MergeError(ClientcardError):
    """A merge that cannot be done or undone as asked (the message says why)."""


class DuplicateError(ClientcardError):
    """A value that must be unique (such as ``external_id``) is already taken."""


class LikelyDuplicateError(ClientcardError):
    """A new record looks like a customer already stored, and duplicates were refused.

    Raised when adding with ``--reject-duplicates``; the message names the
    customer(s) it looks like and why.  ``look_alikes`` holds them
    (:class:`~clientcard.dedupe.detect.LookAlike`).
    """

    def __init__(self, message: str, look_alikes: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.look_alikes = look_alikes


class FormError(ClientcardError):
    """A form submission whose answers do not fit: every problem, by field key.

    ``form`` names the intake form; ``errors`` maps each field key to what is
    wrong with its answer and what is expected (an unknown key, a value its
    field type refuses, a required answer left blank, a plugin's rule), all of
    them, not only the first.  Nothing was written.
    """

    def __init__(self, form: str, errors: dict[str, str]) -> None:
        self.form = form
        self.errors = dict(errors)
        problems = "; ".join(f"{key}: {problem}" for key, problem in self.errors.items())
        count = len(self.errors)
        super().__init__(
            f"form {form!r}: {count} answer{'' if count == 1 else 's'} not valid: {problems}"
        )
