"""Actions needing attention, from every installed action kind.

One part of :class:`~clientcard.core.workspace.Workspace`; the facade's own
docstring says what every operation guarantees.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from clientcard.actions.kinds import ACTION_KINDS, Action, ActionKind
from clientcard.core.workspace_status import StatusPart


class ActionsPart(StatusPart):
    def action_kinds(self, names: Sequence[str] = ()) -> list[ActionKind]:
        """The installed action kinds (those named, when ``names`` are given)."""
        found = self.plugins.registry(ACTION_KINDS)
        if names:
            return [found.get(name) for name in dict.fromkeys(names)]
        return [registered.item for registered in found]

    def actions(self, *, as_of: date | None = None, kinds: Sequence[str] = ()) -> list[Action]:
        """What needs doing as of ``as_of`` (default today): overdue payments to remind
        about, completed bookings to charge for, customers to invite back, and whatever
        plugins add.  Sorted by date (undated last), then kind and customer."""
        chosen = self.action_kinds(kinds)
        settings = {
            kind.name: self.settings_for(f"actions.{kind.name}") if kind.settings_class else None
            for kind in chosen
        }
        with self.store.read() as session:
            facts = self._classifier().facts(session, as_of or self.today())
        found = [
            action
            for one in facts
            for kind in chosen
            for action in kind.find(one, settings[kind.name])
        ]
        return sorted(found, key=lambda a: (a.date is None, a.date or "", a.kind, a.customer_id))
