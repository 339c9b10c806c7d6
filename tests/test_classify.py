"""The classification engine: classify, dry runs, pins, history, events, explain."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

import pytest

from clientcard import Customer, ValidationError, Workspace, hookimpl
from conftest import RunCLI
from test_cli_customers import add, assert_user_error

A = date(2025, 6, 30)


class Listener:
    """A booking host's plugin: remembers every status change it is told of."""

    def __init__(self) -> None:
        self.changes: list[tuple[int, str, str | None, str, bool]] = []
        self.recorded: list[tuple[str, int, bool]] = []

    @hookimpl
    def clientcard_status_changed(
        self,
        workspace: Workspace,
        customer: Customer,
        dimension: str,
        old: str | None,
        new: str,
        reason: str,
        manual: bool,
    ) -> None:
        assert getattr(customer, dimension) == new  # the record already carries it
        self.changes.append((customer.id, dimension, old, new, manual))

    @hookimpl
    def clientcard_activity_recorded(
        self,
        workspace: Workspace,
        customer: Customer,
        kind: str,
        record: dict[str, Any],
        created: bool,
    ) -> None:
        self.recorded.append((kind, record["id"], created))


def test_a_host_hears_each_change_exactly_once(workspace: Workspace) -> None:
    listener = Listener()
    ws = Workspace.open(workspace.path, plugins=[listener])
    today = ws.today()

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    ana, bo = ws.add_customer("Ana"), ws.add_customer("Bo")
    for days in (60, 30, 10):
        ws.record_booking(ana.id, ago(days))
    ws.record_booking(bo.id, ago(100), external_id="old")
    ws.classify()
    ws.classify()  # nothing new: no events
    ws.classify(as_of=today + timedelta(days=100))  # bo's only booking gets too old
    ws.update_activity("booking", external_id="old", values={"status": "cancelled"})
    ws.set_status([bo.id], "loyal")
    ws.set_status([bo.id], "loyal")  # already so: no event
    ws.unpin([bo.id])
    history = [
        (h["customer_id"], h["dimension"], h["from"], h["to"], h["mode"] == "manual")
        for id in (ana.id, bo.id)
        for h in ws.status_history(id)
    ]
    assert sorted(listener.changes, key=str) == sorted(history, key=str)
    bo_changes = [c[2:] for c in listener.changes if c[0] == bo.id]
    assert bo_changes == [
        (None, "new", False),  # first status when added
        ("new", "paid", False),  # a completed booking was recorded
        ("paid", "churn", False),  # 100 days later the booking is 200 days old
        ("churn", "new", False),  # the booking was cancelled: no completed booking
        ("new", "loyal", True),  # by hand
        ("loyal", "new", False),  # unpinned: automation decides again
    ]
    ana_changes = [c[2:4] for c in listener.changes if c[0] == ana.id]
    assert ana_changes == [(None, "new"), ("new", "paid"), ("paid", "loyal")]
    assert listener.recorded == [
        ("booking", 1, True),
        ("booking", 2, True),
        ("booking", 3, True),
        ("booking", 4, True),
        ("booking", 4, False),
    ]


def test_dry_run_writes_nothing_and_lists_transitions(workspace: Workspace) -> None:
    ana = workspace.add_customer("Ana")
    workspace.record_booking(ana.id, workspace.today().isoformat())
    journal = (workspace.path / "data" / "journal").read_bytes()
    report = workspace.classify(as_of=workspace.today() + timedelta(days=365), dry_run=True)
    assert [(t.customer_id, t.old, t.new) for t in report.transitions] == [
        (ana.id, "paid", "churn")
    ]
    assert report.counts["status"] == {"new": 0, "paid": 0, "loyal": 0, "churn": 1}
    assert (workspace.path / "data" / "journal").read_bytes() == journal
    assert workspace.get_customer(ana.id).status == "paid"


def test_pinned_statuses_are_left_alone(workspace: Workspace) -> None:
    ana = workspace.add_customer("Ana")
    workspace.set_status([ana.id], "loyal")
    report = workspace.classify(as_of=A)
    assert report.transitions == [] and report.counts["status"]["loyal"] == 1
    assert workspace.get_customer(ana.id).pinned == ("status",)
    changes = workspace.unpin([ana.id])
    assert [(c.old, c.new) for c in changes] == [("loyal", "new")]
    assert workspace.get_customer(ana.id).pinned == ()


def test_manual_status_must_be_known(workspace: Workspace) -> None:
    ana = workspace.add_customer("Ana")
    with pytest.raises(
        ValidationError, match="'gold' is not valid; expected one of: new, paid, loyal, churn"
    ):
        workspace.set_status([ana.id], "gold")
    with pytest.raises(ValidationError, match="dimension"):
        workspace.set_status([ana.id], "new", dimension="mood")


def lifecycle_by_hand(
    bookings: list[tuple[int, str, str]],
    customers: list[int],
    as_of: date,
    min_bookings: int = 3,
    window: int = 180,
    churn_after: int = 180,
) -> dict[int, str]:
    """The lifecycle definitions of issue 3, written as plainly as possible."""
    result = {}
    for customer in customers:
        counted = [
            date.fromisoformat(day)
            for who, day, status in bookings
            if who == customer and status == "completed" and date.fromisoformat(day) <= as_of
        ]
        if not counted:
            result[customer] = "new"
        elif max(counted) < as_of - timedelta(days=churn_after):
            result[customer] = "churn"
        elif len([d for d in counted if d >= as_of - timedelta(days=window)]) >= min_bookings:
            result[customer] = "loyal"
        else:
            result[customer] = "paid"
    return result


def test_classify_agrees_with_a_plain_implementation(workspace: Workspace) -> None:
    rng = random.Random(3)
    ws = workspace
    ws.set_setting("status.lifecycle.loyal_min_bookings", 2)
    ws.set_setting("status.lifecycle.churn_after_days", 120)
    customers = [c.id for c in ws.add_customers([{"name": f"C{n}"} for n in range(1500)])]
    statuses = ["completed"] * 6 + ["cancelled", "no_show", "upcoming"]
    bookings = []
    for _ in range(12_000):
        day = A + timedelta(days=rng.randint(-400, 30))
        bookings.append((rng.choice(customers[:1300]), day.isoformat(), rng.choice(statuses)))
    # the boundary days, on purpose
    for offset in (0, 1, 119, 120, 121, 179, 180, 181, -1):
        bookings.append(
            (rng.choice(customers), (A - timedelta(days=offset)).isoformat(), "completed")
        )
    ws.record_many("booking", [{"customer_id": c, "date": d, "status": s} for c, d, s in bookings])
    for as_of in (A, A - timedelta(days=90), A + timedelta(days=150)):
        ws.classify(as_of=as_of)
        expected = lifecycle_by_hand(bookings, customers, as_of, 2, 180, 120)
        got = {c["id"]: c["status"] for c in ws.customers_json()}
        assert got == expected
        assert set(expected.values()) == {"new", "paid", "loyal", "churn"}


def test_classify_from_the_cli(run: RunCLI, workspace: Workspace) -> None:
    for name in ("A", "B", "C"):
        add(run, "--name", name)
    run("bookings", "add", "--customer", "1", "--date", "2025-06-01")
    result = run("classify", "--as-of", "2025-06-30", "--format", "json")
    assert json.loads(result.stdout) == {
        "as_of": "2025-06-30",
        "rule_set": "lifecycle",
        "dry_run": False,
        "counts": {"new": 2, "paid": 1, "loyal": 0, "churn": 0},
        "changed": 1,  # recorded today, a 2025 booking made customer 1 churn; as of June: paid
    }
    preview = json.loads(
        run("classify", "--as-of", "2026-06-30", "--dry-run", "--format", "json").stdout
    )
    assert preview["changed"] == 1
    assert preview["transitions"][0] | {"reason": ""} == {
        "customer_id": 1,
        "dimension": "status",
        "from": "paid",
        "to": "churn",
        "rule": "churn",
        "reason": "",
    }
    assert workspace.get_customer(1).status == "paid"
    table = run("classify", "--as-of", "2026-06-30").stdout
    assert "churn" in table and "changed: 1" in table
    assert run("customers", "status", "loyal", "2", "3").exit_code == 0
    assert [c.status for c in workspace.customers()] == ["churn", "loyal", "loyal"]
    assert run("customers", "status", "--unpin", "3").exit_code == 0
    assert workspace.get_customer(3).status == "new"
    assert_user_error(run("customers", "status", "gold", "2"), "gold", "new, paid, loyal, churn")
    assert_user_error(run("customers", "status", "loyal", "x"), "'x'")
    explained = json.loads(run("customers", "explain", "2", "--format", "json").stdout)
    assert explained["dimensions"]["status"]["pinned"] is True
    assert [h["to"] for h in explained["history"]] == ["new", "loyal"]
    text = run("customers", "explain", "1").stdout
    assert "lifecycle says" in text and "history" in text
    earlier = json.loads(
        run("customers", "explain", "1", "--as-of", "2025-06-30", "--format", "json").stdout
    )
    assert earlier["as_of"] == "2025-06-30"
    assert earlier["dimensions"]["status"]["decision"]["status"] == "paid"


def test_an_empty_rule_set_means_statuses_by_hand_only(workspace: Workspace) -> None:
    workspace.set_setting("status.rule_set", "")
    ana = workspace.add_customer("Ana")
    assert ana.status is None
    workspace.record_booking(ana.id, "2025-01-01")
    report = workspace.classify()
    assert report.rule_sets == {} and report.transitions == []
    workspace.set_status([ana.id], "vip")
    assert workspace.get_customer(ana.id).status == "vip"


def test_a_second_dimension_tiers_from_points(workspace: Workspace, run: RunCLI) -> None:
    ws = workspace
    ws.set_setting("tier.rule_set", "loyalty-tiers")
    ws.set_setting("status.loyalty-tiers.tiers", "{ member = 0, star = 100 }")
    ws.add_field("opening_total", type="money")
    ana = ws.add_customer("Ana", fields={"opening_total": "60 EUR"})
    bo = ws.add_customer("Bo")
    assert (ana.tier, bo.tier) == ("member", "member")
    ws.record_booking(ana.id, "2025-01-01", amount="45")
    assert ws.get_customer(ana.id).tier == "star"  # 60 opening + 45 spent = 105 points
    report = ws.classify(as_of=A)
    assert report.counts["tier"] == {"member": 1, "star": 1}
    assert report.to_json()["dimensions"]["tier"] == {
        "rule_set": "loyalty-tiers",
        "counts": {"member": 1, "star": 1},
        "changed": 0,
    }
    ws.set_status([bo.id], "star", dimension="tier")
    assert ws.get_customer(bo.id).pinned == ("tier",)
    assert ws.get_customer(bo.id).status == "new"  # the other dimension is untouched
    assert "tier" in run("classify").stdout
    assert "tiers = {member = 0, star = 100}\n\n[tier]" in ws.config_path.read_text()


def test_bulk_status_change_over_a_selection(run: RunCLI, workspace: Workspace) -> None:
    for name in ("A", "B", "C"):
        add(run, "--name", name)
    run("bookings", "add", "--customer", "3", "--date", workspace.today().isoformat())
    result = run("customers", "status", "loyal", "--status", "new")
    assert result.stdout == "set status loyal on 2 customer(s); 2 changed\n"
    assert [c.status for c in workspace.customers()] == ["loyal", "loyal", "paid"]
    assert [c.pinned for c in workspace.customers()] == [("status",), ("status",), ()]
    assert run("customers", "status", "--unpin", "--status", "loyal").exit_code == 0
    assert [c.status for c in workspace.customers()] == ["new", "new", "paid"]
    assert_user_error(
        run("customers", "status", "vip", "--status", "churn"), "no customer selected"
    )


def test_the_card_shows_a_pinned_status(run: RunCLI) -> None:
    add(run, "--name", "Ana")
    run("customers", "status", "churn", "1")
    assert "churn (set by hand)" in run("customers", "show", "1").stdout


def test_a_back_dated_booking_gives_today_s_status_and_explain_agrees(
    run: RunCLI, workspace: Workspace
) -> None:
    """README's status example: a status is as of a day, and explain says which."""
    today = workspace.today().isoformat()
    add(run, "--name", "Giulia")
    run("bookings", "add", "--customer", "1", "--date", "2025-06-01", "--amount", "35")
    # recorded today, a visit 18 months ago makes a churned customer as of today
    assert workspace.get_customer(1).status == "churn"
    now = json.loads(run("customers", "explain", "1", "--format", "json").stdout)
    status = now["dimensions"]["status"]
    assert (status["status"], status["since"], status["up_to_date"]) == ("churn", today, True)
    assert status["decision"]["status"] == "churn"

    # a look back without storing leaves today's status alone, and says nothing
    looked = run("classify", "--as-of", "2025-06-30", "--dry-run")
    assert looked.stderr == "" and workspace.get_customer(1).status == "churn"

    # stored as of a past day: the status holds since that day, and explain
    # tells that today's answer differs instead of contradicting itself
    stored = run("classify", "--as-of", "2025-06-30")
    assert "statuses are now as of 2025-06-30, not today" in stored.stderr
    assert workspace.get_customer(1).status == "paid"
    then = json.loads(run("customers", "explain", "1", "--format", "json").stdout)
    status = then["dimensions"]["status"]
    assert (status["status"], status["since"], status["up_to_date"]) == (
        "paid",
        "2025-06-30",
        False,
    )
    assert status["decision"]["status"] == "churn"
    text = run("customers", "explain", "1").stdout
    assert "status: paid; since 2025-06-30" in text
    assert f"lifecycle says churn as of {today}" in text
    assert "'clientcard classify' sets what lifecycle says as of today" in text
    assert workspace.card(1)["main"]["status_since"] == "2025-06-30"

    # and classify as of today makes them agree again
    run("classify")
    again = json.loads(run("customers", "explain", "1", "--format", "json").stdout)
    assert again["dimensions"]["status"]["status"] == "churn"
    assert again["dimensions"]["status"]["up_to_date"] is True
    assert again["dimensions"]["status"]["since"] == today
