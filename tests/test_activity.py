"""Recording activity: bookings, payments, messages, marketing events."""

from __future__ import annotations

import json

import pytest

from clientcard import DuplicateError, NotFoundError, ValidationError, Workspace
from conftest import RunCLI
from test_cli_customers import add, assert_user_error


def test_bookings_are_validated_and_normalised(workspace: Workspace) -> None:
    ws = workspace
    ws.set_setting("workspace.timezone", "Europe/Rome")
    ana = ws.add_customer("Ana")
    plain = ws.record_booking(ana.id, "2025-03-01", amount="35", service="Cut", external_id="b1")
    assert plain["date"] == "2025-03-01" and plain["start"] is None
    assert plain["status"] == "completed"
    assert plain["amount"] == {"amount": "35.00", "currency": "EUR"}
    # 23:30 UTC is already the next day in Rome: the booking's date is Rome's
    late = ws.record_booking(ana.id, "2025-03-01T23:30:00+00:00", status="upcoming")
    assert late["date"] == "2025-03-02" and late["start"] == "2025-03-01T23:30:00+00:00"
    assert [b["id"] for b in ws.activity("booking", ana.id)] == [plain["id"], late["id"]]


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"date": "2025-02-30"}, ["date", "2025-02-30"]),
        ({"date": "yesterday"}, ["date", "yesterday"]),
        ({"date": "2025-01-01", "status": "done"}, ["status", "done", "completed"]),
        ({"date": "2025-01-01", "amount": "lots"}, ["amount", "lots"]),
        ({"date": "2025-01-01", "colour": "red"}, ["colour"]),
    ],
)
def test_bad_activity_values_name_the_field(
    workspace: Workspace, values: dict[str, str], words: list[str]
) -> None:
    ana = workspace.add_customer("Ana")
    with pytest.raises(Exception) as caught:
        workspace.record("booking", ana.id, values)
    for word in words:
        assert word in str(caught.value)
    assert workspace.activity("booking") == []


def test_unknown_customer_and_duplicate_external_id(workspace: Workspace) -> None:
    ana = workspace.add_customer("Ana")
    with pytest.raises(NotFoundError, match="no customer with id 99"):
        workspace.record_booking(99, "2025-01-01")
    workspace.record_booking(ana.id, "2025-01-01", external_id="b1")
    with pytest.raises(DuplicateError, match="'b1' is already recorded"):
        workspace.record_booking(ana.id, "2025-01-02", external_id="b1")


def test_a_booking_is_updated_by_the_hosts_id(workspace: Workspace) -> None:
    ana = workspace.add_customer("Ana")
    workspace.record_booking(ana.id, "2025-01-01", external_id="b1")
    updated = workspace.update_activity("booking", external_id="b1", values={"status": "cancelled"})
    assert updated["status"] == "cancelled"
    assert workspace.activity("booking", ana.id)[0]["status"] == "cancelled"
    with pytest.raises(NotFoundError, match="no booking with external_id 'zz'"):
        workspace.update_activity("booking", external_id="zz", values={"status": "cancelled"})
    with pytest.raises(ValidationError):
        workspace.update_activity("booking", 1, values={"status": "gone"})


def test_payments_messages_and_marketing(workspace: Workspace) -> None:
    ana = workspace.add_customer("Ana")
    paid = workspace.record_payment(
        ana.id, "20.5 EUR", paid_at="2025-01-02T10:00", reference="INV-1"
    )
    assert paid["status"] == "received" and paid["amount"] == {"amount": "20.50", "currency": "EUR"}
    due = workspace.record_payment(ana.id, "10", status="overdue", due_date="2025-01-31")
    assert due["due_date"] == "2025-01-31"
    note = workspace.record_message(
        ana.id, channel="whatsapp", direction="in", at="2025-01-03T09:00", body="Hi!"
    )
    assert note["direction"] == "in" and note["body"] == "Hi!"
    seen = workspace.record_marketing_event(
        ana.id, "spring-sale", event="clicked", at="2025-03-01T08:00"
    )
    assert seen["event"] == "clicked"
    assert [len(workspace.activity(k, ana.id)) for k in ("payment", "message", "marketing")] == [
        2,
        1,
        1,
    ]
    with pytest.raises(ValidationError, match="direction"):
        workspace.record_message(ana.id, direction="sideways")


def test_activity_lives_apart_from_customers(workspace: Workspace) -> None:
    ana = workspace.add_customer("Ana")
    workspace.store.compact()  # type: ignore[attr-defined]
    customers_file = workspace.path / "data" / "customers.json"
    before = customers_file.stat().st_mtime_ns
    workspace.record_booking(ana.id, "2025-01-01")
    workspace.store.compact()  # type: ignore[attr-defined]
    # the booking went to activity.json; the customer changed only if its status did
    activity = json.loads((workspace.path / "data" / "activity.json").read_text())
    assert [b["date"] for b in activity["bookings"].values()] == ["2025-01-01"]
    assert customers_file.stat().st_mtime_ns != before  # status new → paid rewrote it


def test_activity_from_the_cli(run: RunCLI, workspace: Workspace) -> None:
    add(run, "--name", "Ana", "--external-id", "a1")
    assert (
        run(
            "bookings",
            "add",
            "--customer-external-id",
            "a1",
            "--date",
            "2025-01-05",
            "--amount",
            "30",
            "--external-id",
            "b1",
        ).stdout
        == "1\n"
    )
    assert run("payments", "add", "--customer", "1", "--amount", "30").stdout == "1\n"
    assert (
        run("messages", "add", "--customer", "1", "--direction", "in", "--channel", "sms").exit_code
        == 0
    )
    assert (
        run(
            "marketing", "add", "--customer", "1", "--campaign", "spring", "--event", "viewed"
        ).exit_code
        == 0
    )
    assert (
        run("bookings", "update", "--external-id", "b1", "--set", "status=no_show").exit_code == 0
    )
    listed = json.loads(run("bookings", "list", "--customer", "1", "--format", "json").stdout)
    assert [(b["date"], b["status"]) for b in listed] == [("2025-01-05", "no_show")]
    assert "30.00 EUR" in run("bookings", "list").stdout
    assert_user_error(run("bookings", "add", "--customer", "1", "--date", "nope"), "date", "nope")
    assert_user_error(run("bookings", "add", "--date", "2025-01-01"), "--customer")
    assert_user_error(
        run("bookings", "add", "--customer-external-id", "zz", "--date", "2025-01-01"), "zz"
    )
    assert_user_error(
        run("bookings", "update", "7", "--set", "status=cancelled"), "no booking with id 7"
    )
    assert len(workspace.activity("booking")) == 1


def test_deleting_a_customer_deletes_their_activity_and_history(workspace: Workspace) -> None:
    ana, bo = workspace.add_customer("Ana"), workspace.add_customer("Bo")
    for who in (ana, bo):
        workspace.record_booking(who.id, "2025-01-01", external_id=f"b-{who.id}")
        workspace.record_payment(who.id, "10")
    workspace.delete_customers([ana.id])
    reopened = Workspace.open(workspace.path)
    assert [b["customer_id"] for b in reopened.activity("booking")] == [bo.id]
    assert [p["customer_id"] for p in reopened.activity("payment")] == [bo.id]
    assert reopened.status_history(bo.id)
    # the host's booking id is free again
    carl = reopened.add_customer("Carl")
    assert reopened.record_booking(carl.id, "2025-02-01", external_id=f"b-{ana.id}")["id"] == 3


def test_one_batch_cannot_record_an_external_id_twice(workspace: Workspace) -> None:
    ana = workspace.add_customer(name="Ana")
    rows = [
        {"customer_id": ana.id, "date": "2025-01-01", "external_id": "b1"},
        {"customer_id": ana.id, "date": "2025-01-02", "external_id": "b2"},
        {"customer_id": ana.id, "date": "2025-01-03", "external_id": "b1"},
    ]
    with pytest.raises(DuplicateError, match="row 3: booking external_id 'b1' is also in row 1"):
        workspace.record_many("booking", rows)
    assert workspace.activity("booking") == []
    recorded = workspace.record_many("booking", rows[:2])
    assert [(b["id"], b["external_id"]) for b in recorded] == [(1, "b1"), (2, "b2")]
