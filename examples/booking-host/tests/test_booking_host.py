"""The booking application end to end: bookings, payments, daily runs, reactions.

Dates are counted from today, because clientcard re-classifies a customer as of
today whenever their activity is recorded; the daily runs then look ahead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from booking_host import BookingApp, BookingError, demo

TODAY = datetime.now(UTC).date()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


@pytest.fixture
def app(tmp_path: Path):
    with BookingApp(tmp_path / "salon", settings={"workspace.timezone": "UTC"}) as app:
        yield app


def test_a_churned_customer_is_won_back_with_a_promo_code(app: BookingApp) -> None:
    giulia = app.sign_up("Giulia Bianchi", email="giulia@example.com")
    marco = app.sign_up("Marco Rossi", email="marco@example.com")
    # the previous system's history: Giulia comes monthly, Marco came once, long ago
    app.import_history(
        [(giulia, ago(d), "cut") for d in (150, 120, 90)] + [(marco, ago(176), "colour")]
    )
    statuses = {id: app.customers.get_customer(id).status for id in (giulia, marco)}
    assert statuses == {giulia: "loyal", marco: "paid"}
    assert app.outbox() == []  # loading history sends nothing

    # a week of daily runs: Marco passes 180 days without a visit
    changes = [change for day in range(8) for change in app.daily(TODAY + timedelta(day)).changes]
    assert changes == [(marco, "paid", "churn")]
    (promo,) = app.promo_codes(marco)
    assert promo["percent"] == 20 and promo["redeemed_by"] is None
    assert "Latest completed booking" in promo["reason"]
    (mail,) = app.outbox(marco)
    assert mail["to_address"] == "marco@example.com" and promo["code"] in mail["body"]
    (note,) = app.customers.activity("note", marco)
    assert promo["code"] in note["text"]
    assert app.promo_codes(giulia) == []

    # Marco comes back with the code: 20% off, once
    app.book("A-7", marco, f"{TODAY}T15:00", "colour", "60.00")
    assert app.check_out("A-7", code=promo["code"]) == Decimal("48.00")
    assert app.customers.get_customer(marco).status == "paid"
    (payment,) = app.customers.activity("payment", marco)
    assert payment["amount"] == {"amount": "48.00", "currency": "EUR"}
    assert payment["reference"] == promo["code"]
    app.book("A-8", marco, f"{TODAY}T16:00", "cut", "30.00")
    with pytest.raises(BookingError, match="already used for A-7"):
        app.check_out("A-8", code=promo["code"])


def test_bookings_and_payments_as_they_happen(app: BookingApp) -> None:
    ana = app.sign_up("Ana Verdi", email="ana@example.com", phone="333 765 4321")
    assert app.customers.get_customer(ana).status == "new"
    app.book("A-1", ana, f"{ago(20)}T10:00", "cut", "35.00")
    app.book("A-2", ana, f"{ago(10)}T10:00", "cut", "35.00")
    app.book("A-3", ana, f"{TODAY + timedelta(days=3)}T10:00", "cut", "35.00")
    assert [b["status"] for b in app.customers.activity("booking", ana)] == ["upcoming"] * 3

    app.check_out("A-1")
    assert app.customers.get_customer(ana).status == "paid"
    app.check_out("A-2", pay=False)  # the card machine was down
    app.no_show("A-3")
    assert [a["state"] for a in app.appointments(ana)] == ["completed", "completed", "no_show"]

    report = app.daily(TODAY)
    assert report.counts["paid"] == 1
    (charge,) = [a for a in report.actions if a.kind == "unpaid-bookings"]
    assert charge.customer_id == ana and charge.amount == {"amount": "35.00", "currency": "EUR"}

    # the third visit in the window makes her loyal: a thank-you goes out
    app.book("A-4", ana, f"{TODAY}T09:00", "cut", "35.00")
    app.check_out("A-4")
    assert app.customers.get_customer(ana).status == "loyal"
    assert [m["subject"] for m in app.outbox(ana)] == ["Thank you"]


def test_merged_customers_keep_their_appointments(app: BookingApp) -> None:
    walk_in = app.sign_up("Giulia Bianchi", phone="333 123 4567")
    online = app.sign_up("Giulia Bianchi", email="giulia@example.com")
    app.book("A-1", walk_in, f"{ago(3)}T10:00", "cut", "35.00")
    app.book("A-2", online, f"{TODAY + timedelta(days=30)}T10:00", "colour", "60.00")

    result = app.customers.merge([walk_in, online])
    survivor = result.survivor.id
    assert {a["customer_id"] for a in app.appointments()} == {survivor}
    assert len(app.customers.activity("booking", survivor)) == 2

    app.customers.delete_customers([survivor])
    assert app.appointments() == []


def test_unknown_appointment_and_other_customers_codes(app: BookingApp) -> None:
    ana = app.sign_up("Ana")
    with pytest.raises(BookingError, match="no appointment"):
        app.check_out("nope")
    app.book("A-1", ana, f"{TODAY}T10:00", "cut", "35.00")
    with pytest.raises(BookingError, match="not this customer's"):
        app.check_out("A-1", code="BACK-000000")


def test_the_data_survives_a_restart(tmp_path: Path) -> None:
    with BookingApp(tmp_path / "salon") as app:
        ana = app.sign_up("Ana", email="ana@example.com")
        app.book("A-1", ana, f"{TODAY}T10:00", "cut", "35.00")
    with BookingApp(tmp_path / "salon") as app:
        assert app.check_out("A-1") == Decimal("35.00")
        assert app.customers.get_setting("workspace.timezone") == "Europe/Rome"


def test_the_demonstration(tmp_path: Path) -> None:
    lines = demo(tmp_path / "demo")
    assert any("Marco Rossi paid -> churn" in line for line in lines)
    assert any(line.startswith("mail to marco@example.com: We miss you") for line in lines)
    assert any("charge: booking" in line for line in lines)
    assert any("invite back" in line for line in lines)
