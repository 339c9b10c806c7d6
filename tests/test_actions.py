"""Actions needing attention: the three built-in kinds, settings, a plugin's own kind, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import pytest
from tests.conftest import RunCLI

from clientcard import Workspace, hookimpl
from clientcard.actions.kinds import Action, ActionKind
from clientcard.activity.facts import Facts

TODAY = date(2025, 6, 30)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def found(ws: Workspace, kind: str) -> list[tuple[int, str | None, Any]]:
    return [(a.customer_id, a.date, a.amount) for a in ws.actions(as_of=TODAY, kinds=[kind])]


def test_overdue_payments(workspace: Workspace) -> None:
    ann = workspace.add_customer("Ann").id
    marked = workspace.record_payment(ann, "15 EUR", status="overdue")
    late = workspace.record_payment(ann, "20 EUR", status="due", due_date=day(-1))
    workspace.record_payment(ann, "30 EUR", status="due", due_date=day(0))  # due today: not yet
    workspace.record_payment(ann, "40 EUR")  # received
    actions = workspace.actions(as_of=TODAY, kinds=["overdue-payments"])
    assert [(a.refs, a.amount, a.date) for a in actions] == [
        ({"payments": [late["id"]]}, {"amount": "20.00", "currency": "EUR"}, day(-1)),
        ({"payments": [marked["id"]]}, {"amount": "15.00", "currency": "EUR"}, None),
    ]
    assert (
        actions[0].summary
        == f"remind: payment {late['id']} of 20.00 EUR is overdue (due {day(-1)})"
    )


def test_unpaid_bookings_are_covered_by_payments_oldest_first(workspace: Workspace) -> None:
    ann = workspace.add_customer("Ann").id
    first = workspace.record_booking(ann, day(-30), amount="50 EUR")
    second = workspace.record_booking(ann, day(-20), amount="40 EUR")
    third = workspace.record_booking(ann, day(-10), amount="30 EUR")
    workspace.record_booking(ann, day(-5), amount="99 EUR", status="cancelled")
    workspace.record_booking(ann, day(-4))  # no amount: nothing to charge
    workspace.record_booking(ann, day(5), amount="70 EUR", status="upcoming")
    # received by as_of: covers the first and 10 of the second
    workspace.record_payment(ann, "60 EUR", paid_at=day(-1) + "T10:00:00+00:00")
    workspace.record_payment(ann, "100 EUR", status="refunded")  # not money received
    actions = workspace.actions(as_of=TODAY, kinds=["unpaid-bookings"])
    assert [(a.refs["bookings"], a.amount) for a in actions] == [
        ([second["id"]], {"amount": "30.00", "currency": "EUR"}),
        ([third["id"]], {"amount": "30.00", "currency": "EUR"}),
    ]
    assert first["id"] not in [a.refs["bookings"][0] for a in actions]
    workspace.record_payment(ann, "60 EUR", paid_at=day(0) + "T10:00:00+00:00")
    assert found(workspace, "unpaid-bookings") == []


def test_win_back_after_the_usual_interval_with_nothing_upcoming(workspace: Workspace) -> None:
    regular = workspace.add_customer("Regular").id  # every 30 days, last 31 days ago
    for offset in (-91, -61, -31):
        workspace.record_booking(regular, day(offset))
    recent = workspace.add_customer("Recent").id  # every 30 days, last 29 days ago
    for offset in (-89, -59, -29):
        workspace.record_booking(recent, day(offset))
    booked = workspace.add_customer("Booked").id  # overdue but already booked again
    for offset in (-91, -61, -31):
        workspace.record_booking(booked, day(offset))
    workspace.record_booking(booked, day(3), status="upcoming")
    twice = workspace.add_customer("Twice").id  # two visits: no usual interval yet
    for offset in (-250, -150):
        workspace.record_booking(twice, day(offset))
    assert found(workspace, "win-back") == [(regular, day(-1), None)]
    action = workspace.actions(as_of=TODAY, kinds=["win-back"])[0]
    assert action.summary == f"invite back: usually every 30 days, last visit {day(-31)}"

    workspace.set_setting("actions.win-back.min_visits", 2)  # one interval is enough
    assert found(Workspace.open(workspace.path), "win-back") == [
        (twice, day(-50), None),
        (regular, day(-1), None),
    ]
    # 1.5 intervals: regular is due in 14 days, twice exactly today (not yet past)
    workspace.set_setting("actions.win-back.factor", 1.5)
    assert found(Workspace.open(workspace.path), "win-back") == []
    with pytest.raises(Exception, match=r"actions.win-back.factor.*at least 1"):
        workspace.set_setting("actions.win-back.factor", 0.5)


class Birthdays(ActionKind):
    """A vendor's kind: greet customers whose birthday is today."""

    name = "birthday"
    label = "Send birthday wishes"
    description = "Customers whose birthday is today."

    def find(self, facts: Facts, settings: Any) -> Iterable[Action]:
        born = facts.field("birthday")
        if born and born[5:] == facts.today[5:]:
            yield Action(self.name, facts.id, "send birthday wishes", date=facts.today)


class BirthdayPlugin:
    @hookimpl
    def clientcard_register_action_kinds(self, register: Any) -> None:
        register(Birthdays())


def test_a_plugin_adds_its_own_kind_of_action(workspace: Workspace) -> None:
    workspace.add_field("birthday", type="date")
    ann = workspace.add_customer("Ann", fields={"birthday": "1990-06-30"}).id
    workspace.add_customer("Bo", fields={"birthday": "1990-07-01"})
    ws = Workspace.open(workspace.path, plugins=[BirthdayPlugin()])
    assert "birthday" in [k.name for k in ws.action_kinds()]
    assert [(a.kind, a.customer_id) for a in ws.actions(as_of=TODAY)] == [("birthday", ann)]
    with pytest.raises(Exception, match="no action kind 'nope'"):
        ws.actions(kinds=["nope"])


def test_actions_from_the_cli(run: RunCLI, workspace: Workspace) -> None:
    assert run("actions").stdout == "nothing needs attention\n"
    ann = workspace.add_customer("Ann Lee").id
    workspace.record_payment(ann, "15 EUR", status="overdue")
    workspace.record_booking(ann, "2025-01-10", amount="25 EUR")
    data = json.loads(run("actions", "--format", "json", "--as-of", "2025-06-30").stdout)
    assert data == [
        {
            "kind": "unpaid-bookings",
            "customer_id": ann,
            "name": "Ann Lee",
            "summary": "charge: booking 1 of 2025-01-10 is unpaid (25.00 EUR)",
            "date": "2025-01-10",
            "amount": {"amount": "25.00", "currency": "EUR"},
            "refs": {"bookings": [1]},
        },
        {
            "kind": "overdue-payments",
            "customer_id": ann,
            "name": "Ann Lee",
            "summary": "remind: payment 1 of 15.00 EUR is overdue",
            "date": None,
            "amount": {"amount": "15.00", "currency": "EUR"},
            "refs": {"payments": [1]},
        },
    ]
    only = run("actions", "--kind", "overdue-payments").stdout
    assert "remind: payment 1" in only and "charge" not in only
    kinds = run("actions", "--list-kinds").stdout
    assert all(k in kinds for k in ("overdue-payments", "unpaid-bookings", "win-back"))
    bad = run("actions", "--kind", "nope")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: no action kind 'nope'")
