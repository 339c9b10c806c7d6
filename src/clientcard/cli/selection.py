"""The selection options every command that acts on many customers shares.

``customers list``, ``customers edit``, ``customers delete``, ``customers
status``, ``tags add``/``remove`` and ``segments save`` take the same filters
(docs/filters.md), so a selection that lists the right customers is the one a
bulk action changes.
"""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import click

from clientcard.cli.output import date_callback
from clientcard.find.selection import Selection

if TYPE_CHECKING:
    from clientcard.workspace import Workspace

T = TypeVar("T")

# Dates are read by the workspace's one rule (docs/fields.md): the joined filters in
# joined_at's calendar, as --where "joined_at >= ..." reads them; the others in the
# workspace's.
_JOINED: dict[str, Any] = {"callback": date_callback("joined_at"), "metavar": "DATE"}
_DAY: dict[str, Any] = {"callback": date_callback(), "metavar": "DATE"}

#: (option, Selection attribute, click keyword arguments)
OPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("--search", "search", {"metavar": "TEXT", "help": "Words in name, e-mail, phone, ids."}),
    ("--status", "statuses", {"multiple": True, "help": "Status is this; repeat for any of."}),
    ("--tier", "tiers", {"multiple": True, "help": "Tier is this; repeat for any of."}),
    ("--tag", "tags", {"multiple": True, "help": "Has this tag; repeat: has all of them."}),
    ("--any-tag", "any_tag", {"is_flag": True, "help": "With --tag: has any of them."}),
    ("--joined-from", "joined_from", {**_JOINED, "help": "Joined on or after this day."}),
    ("--joined-to", "joined_to", {**_JOINED, "help": "Joined on or before this day."}),
    ("--email", "email", {"help": "E-mail address (normalised)."}),
    ("--phone", "phone", {"help": "Phone number (normalised with workspace.region)."}),
    ("--where", "where", {"metavar": "EXPR", "help": 'E.g. "city = Roma and visits >= 3".'}),
    (
        "--last-booking-before",
        "last_booking_before",
        {**_DAY, "help": "Last completed booking before this day."},
    ),
    (
        "--last-booking-after",
        "last_booking_after",
        {**_DAY, "help": "Last completed booking after this day."},
    ),
    ("--upcoming-booking", "upcoming_booking", {"is_flag": True, "help": "Has one booked."}),
    ("--overdue-payment", "overdue_payment", {"is_flag": True, "help": "Owes an overdue payment."}),
    ("--viewed-campaign", "viewed_campaign", {"metavar": "NAME", "help": "Viewed this campaign."}),
    ("--clicked-campaign", "clicked_campaign", {"metavar": "NAME", "help": "Clicked in it."}),
    (
        "--birthday-within",
        "birthday_within",
        {"type": int, "metavar": "DAYS", "help": "Birthday from today to DAYS days ahead."},
    ),
    ("--segment", "segment", {"metavar": "NAME", "help": "A saved segment's filters."}),
]


def selection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the filter options; the command receives them as one ``selection``."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values: dict[str, Any] = {}
        for _, name, _ in OPTIONS:
            values[name] = kwargs.pop(f"filter_{name}")
        return command(*args, selection=Selection(**values), **kwargs)

    for option, name, settings in reversed(OPTIONS):
        # a prefixed name: a command's own TAGS argument must not collide with --tag
        wrapper = click.option(option, f"filter_{name}", **settings)(wrapper)
    return wrapper


def describe_filters(filters: Mapping[str, Any]) -> str:
    """A selection's filters (``Selection.to_json()``) written as the options that give
    them, e.g. ``--status churn --tag vip --where 'city = Roma'``: what a user would type,
    never a Python list."""
    options = {name: option for option, name, _ in OPTIONS}
    words: list[str] = []
    for name, value in filters.items():
        option = options.get(name, f"--{name.replace('_', '-')}")
        if value is True:
            words.append(option)
        elif isinstance(value, list | tuple):
            for item in value:
                words += [option, _quoted(str(item))]
        else:
            words += [option, _quoted(str(value))]
    return " ".join(words)


def _quoted(text: str) -> str:
    """``text`` as a shell would take it back, as plainly as can be."""
    if text and all(c.isalnum() or c in "-_.,:@+/=%" for c in text):
        return text
    if not any(c in text for c in '"$`\\!'):
        return f'"{text}"'
    return shlex.quote(text)


def changed_records(
    workspace: Workspace,
    selection: Selection,
    change: Callable[[], T],
    *,
    wanted: bool = True,
    dry_run: bool = False,
) -> tuple[T, list[dict[str, Any]]]:
    """Run ``change`` (a bulk action on ``selection``) and, when ``wanted``, find the
    records it changed, as they are after it (``--format json``).

    One write: the records read before and after are exactly those the action saw.
    With ``dry_run`` the write is a :meth:`~clientcard.Workspace.preview`: every
    check of the real run runs, and nothing is kept.
    """
    if not wanted and not dry_run:
        return change(), []
    with workspace.preview() if dry_run else workspace.batch():
        before = {doc["id"]: doc for doc in workspace.customers_json(selection)}
        result = change()
        after = workspace.customers_json(Selection(ids=tuple(before))) if before else []
    return result, [doc for doc in after if doc != before[doc["id"]]]


def dry_flag(dry_run: bool) -> dict[str, bool]:
    """``{"dry_run": true}`` to add to a dry run's JSON, which is otherwise what the
    real run prints; nothing for the real run."""
    return {"dry_run": True} if dry_run else {}


def ids_text(ids: list[int], most: int = 20) -> str:
    """Customer ids for a message: the first ``most``, then how many more."""
    shown = ", ".join(map(str, ids[:most]))
    return shown + (f" ... and {len(ids) - most} more" if len(ids) > most else "")


def with_ids(selection: Selection, ids: tuple[int, ...]) -> Selection:
    """The selection limited to the ids given on the command line (if any)."""
    return attrs.evolve(selection, ids=ids) if ids else selection
