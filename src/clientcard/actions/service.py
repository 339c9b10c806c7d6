"""Actions needing attention, from every installed action kind.

:class:`Actions` is the workspace's actions service (``workspace.actions``):
each kind is a plugin (:class:`~clientcard.actions.kinds.ActionKind`) that
reads the same per-customer facts rule sets read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from clientcard.actions.kinds import ACTION_KINDS, Action, ActionKind
from clientcard.core.context import Context
from clientcard.status.service import Status


class Actions:
    """Overdue payments to remind about, bookings to charge for, customers to invite
    back, and what plugins add.  Calling the service lists them
    (``workspace.actions(as_of=..., kinds=...)``)."""

    def __init__(self, ctx: Context, status: Status) -> None:
        self.ctx = ctx
        self.status = status

    def kinds(self, names: Sequence[str] = ()) -> list[ActionKind]:
        """The installed action kinds (those named, when ``names`` are given)."""
        found = self.ctx.plugins.registry(ACTION_KINDS)
        if names:
            return [found.get(name) for name in dict.fromkeys(names)]
        return [registered.item for registered in found]

    def __call__(self, *, as_of: date | None = None, kinds: Sequence[str] = ()) -> list[Action]:
        """What needs doing as of ``as_of`` (default today): overdue payments to remind
        about, completed bookings to charge for, customers to invite back, and whatever
        plugins add.  Sorted by date (undated last), then kind and customer."""
        chosen = self.kinds(kinds)
        settings = {
            kind.name: (
                self.ctx.settings_for(f"actions.{kind.name}") if kind.settings_class else None
            )
            for kind in chosen
        }
        with self.ctx.read() as session:
            facts = self.status.classifier().facts(session, as_of or self.ctx.today())
        found = [
            action
            for one in facts
            for kind in chosen
            for action in kind.find(one, settings[kind.name])
        ]
        return sorted(found, key=lambda a: (a.date is None, a.date or "", a.kind, a.customer_id))
