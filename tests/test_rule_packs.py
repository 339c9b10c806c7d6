"""The built-in rule packs: lifecycle, lead-client-vip and loyalty-tiers.

Pure tests: facts are built from hand-made activity documents as of one day
(30 June 2025), without a workspace.  Boundary days are pinned exactly.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import pluggy
import pytest

import clientcard.core.hookspecs
from clientcard.core.config import (
    Settings,
    build,
    describe,
    fits,
    parse_setting,
)
from clientcard.core.errors import ConfigError
from clientcard.plugins.status_rules import lead_client_vip, lifecycle, loyalty_tiers
from clientcard.plugins.status_rules.lead_client_vip import LeadClientVip, LeadClientVipSettings
from clientcard.plugins.status_rules.lifecycle import Lifecycle, LifecycleSettings
from clientcard.plugins.status_rules.loyalty_tiers import LoyaltyTiers, LoyaltyTiersSettings
from clientcard.status.classify import Facts, RuleSet
from clientcard.status.service import StatusSettings, TierSettings

A = date(2025, 6, 30)


def ago(days: int) -> str:
    """The ISO date ``days`` days before A (negative: after A)."""
    return (A - timedelta(days=days)).isoformat()


def money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def booking(
    day: str, status: str = "completed", amount: str | None = None, currency: str = "EUR"
) -> dict[str, Any]:
    return {
        "id": 0,
        "customer_id": 1,
        "date": day,
        "start": None,
        "status": status,
        "service": "Haircut",
        "staff": None,
        "amount": money(amount, currency) if amount is not None else None,
        "external_id": None,
        "recorded_at": f"{day}T09:00:00+00:00",
    }


def payment(
    day: str, amount: str, status: str = "received", currency: str = "EUR"
) -> dict[str, Any]:
    return {
        "id": 0,
        "customer_id": 1,
        "amount": money(amount, currency),
        "status": status,
        "due_date": day,
        "paid_at": f"{day}T12:00:00+00:00" if status in ("received", "refunded") else None,
        "reference": None,
        "external_id": None,
        "recorded_at": f"{day}T12:00:00+00:00",
    }


def message(day: str, direction: str = "in") -> dict[str, Any]:
    return {
        "id": 0,
        "customer_id": 1,
        "channel": "email",
        "direction": direction,
        "at": f"{day}T08:30:00+00:00",
        "subject": "Hello",
        "body": "Can I book?",
        "external_id": None,
        "recorded_at": f"{day}T08:30:00+00:00",
    }


def facts(
    *,
    bookings: list[dict[str, Any]] | None = None,
    payments: list[dict[str, Any]] | None = None,
    messages: list[dict[str, Any]] | None = None,
    fields: dict[str, Any] | None = None,
) -> Facts:
    return Facts(
        {"id": 1, "fields": fields or {}},
        A,
        bookings=bookings,
        payments=payments,
        messages=messages,
        currency="EUR",
    )


def completed(*days_ago: int) -> list[dict[str, Any]]:
    return [booking(ago(n)) for n in days_ago]


# -- lifecycle ------------------------------------------------------------------------

LIFE = Lifecycle()
LIFE_DEFAULT = LifecycleSettings()


def life(f: Facts, settings: LifecycleSettings = LIFE_DEFAULT) -> str:
    return LIFE.decide(f, settings, None).status


def test_lifecycle_statuses_and_defaults() -> None:
    assert [s.key for s in LIFE.statuses(LIFE_DEFAULT)] == ["new", "paid", "loyal", "churn"]
    assert all(s.label and s.colour for s in LIFE.statuses(LIFE_DEFAULT))
    assert [s.order for s in LIFE.statuses(LIFE_DEFAULT)] == [0, 1, 2, 3]
    assert (LIFE_DEFAULT.loyal_min_bookings, LIFE_DEFAULT.loyal_window_days) == (3, 180)
    assert LIFE_DEFAULT.churn_after_days == 180
    assert LIFE.name == "lifecycle" and LIFE.settings_class is LifecycleSettings


def test_lifecycle_new_without_a_counted_booking() -> None:
    decision = LIFE.decide(facts(), LIFE_DEFAULT, None)
    assert (decision.status, decision.rule) == ("new", "new")
    # cancelled, no-show and upcoming bookings never count; nor a completed one after A
    not_counted = [
        booking(ago(3), "cancelled"),
        booking(ago(2), "no_show"),
        booking(ago(-5), "upcoming"),
        booking(ago(-1)),
    ]
    assert life(facts(bookings=not_counted)) == "new"
    # a completed booking on A itself counts
    assert life(facts(bookings=[booking(ago(0))])) == "paid"


def test_lifecycle_churn_boundary_day() -> None:
    # latest completed booking exactly churn_after_days ago: not churned yet
    on_boundary = LIFE.decide(facts(bookings=completed(180)), LIFE_DEFAULT, None)
    assert on_boundary.status == "paid"
    # one day earlier: churned
    churned = LIFE.decide(facts(bookings=completed(181, 400)), LIFE_DEFAULT, "paid")
    assert (churned.status, churned.rule) == ("churn", "churn")
    assert ago(181) in churned.reason and "181 days ago" in churned.reason
    assert "180 days" in churned.reason


def test_lifecycle_loyal_window_boundary_day() -> None:
    # a booking exactly loyal_window_days before A is inside the window
    inside = LIFE.decide(facts(bookings=completed(180, 10, 5)), LIFE_DEFAULT, None)
    assert (inside.status, inside.rule) == ("loyal", "loyal")
    assert inside.reason == (
        f"3 completed bookings since {ago(180)} (at least 3 within 180 days make a customer loyal)."
    )
    # one day before the window it is not
    outside = LIFE.decide(facts(bookings=completed(181, 10, 5)), LIFE_DEFAULT, None)
    assert (outside.status, outside.rule) == ("paid", "paid")
    assert f"2 completed bookings since {ago(180)}" in outside.reason
    assert f"latest on {ago(5)}" in outside.reason


def test_lifecycle_reason_counts_every_recent_booking() -> None:
    decision = LIFE.decide(facts(bookings=completed(170, 100, 50, 1)), LIFE_DEFAULT, None)
    assert decision.reason.startswith(
        f"4 completed bookings since {ago(180)} (at least 3 within 180"
    )


def test_lifecycle_bookings_after_the_day_are_ignored() -> None:
    # two in the window plus one completed after A: not loyal
    assert life(facts(bookings=[*completed(20, 10), booking(ago(-1))])) == "paid"
    # an old customer whose only recent booking is dated after A has churned
    assert life(facts(bookings=[*completed(300), booking(ago(-3))])) == "churn"


def test_lifecycle_cancelled_and_no_show_bookings_never_count() -> None:
    recent_misses = [booking(ago(5), "no_show"), booking(ago(4), "cancelled")]
    assert life(facts(bookings=[*completed(20, 10), *recent_misses])) == "paid"
    # the latest *completed* booking decides churn, not a recent no-show
    assert life(facts(bookings=[*completed(200), *recent_misses])) == "churn"
    assert life(facts(bookings=[booking(ago(n), "no_show") for n in (1, 2, 3, 4)])) == "new"


def test_lifecycle_precedence() -> None:
    # churn comes before loyal: enough bookings in the window, but none recent enough
    settings = LifecycleSettings(churn_after_days=30, loyal_window_days=180)
    assert life(facts(bookings=completed(100, 90, 60)), settings) == "churn"
    assert life(facts(bookings=completed(100, 90, 30)), settings) == "loyal"
    # loyal comes before paid
    assert life(facts(bookings=completed(3, 2, 1))) == "loyal"


def test_lifecycle_custom_settings() -> None:
    two = LifecycleSettings(loyal_min_bookings=2)
    assert life(facts(bookings=completed(20, 10)), two) == "loyal"
    assert life(facts(bookings=completed(20)), two) == "paid"
    short = LifecycleSettings(loyal_window_days=30, churn_after_days=60)
    assert life(facts(bookings=completed(30, 20, 10)), short) == "loyal"
    assert life(facts(bookings=completed(31, 20, 10)), short) == "paid"
    assert life(facts(bookings=completed(60)), short) == "paid"
    assert life(facts(bookings=completed(61)), short) == "churn"


def test_lifecycle_settings_come_from_the_config_layer() -> None:
    table = "status.lifecycle"
    assert build(table, LifecycleSettings, {}) == LifecycleSettings()
    assert build(table, LifecycleSettings, {"loyal_min_bookings": 2}).loyal_min_bookings == 2
    with pytest.raises(ConfigError, match=r"status\.lifecycle\.churn_after_days = -1"):
        build(table, LifecycleSettings, {"churn_after_days": -1})
    with pytest.raises(ConfigError, match=r"status\.lifecycle\.loyal_window_days.*days"):
        build(table, LifecycleSettings, {"loyal_window_days": 0})
    with pytest.raises(ConfigError, match=r"status\.lifecycle\.loyal_min_bookings.*1 or more"):
        build(table, LifecycleSettings, {"loyal_min_bookings": 0})
    with pytest.raises(ConfigError, match=r"status\.lifecycle\.churn_after_days.*wrong type"):
        build(table, LifecycleSettings, {"churn_after_days": "six months"})
    with pytest.raises(ConfigError, match=r"unknown key 'status\.lifecycle\.churn_days'"):
        build(table, LifecycleSettings, {"churn_days": 90})
    # too long a period would run dates off the calendar
    with pytest.raises(ConfigError, match=r"status\.lifecycle\.churn_after_days"):
        build(table, LifecycleSettings, {"churn_after_days": 10**9})
    with pytest.raises(ValueError):
        LifecycleSettings(churn_after_days=True)


# -- lead-client-vip --------------------------------------------------------------------

LCV = LeadClientVip()
LCV_DEFAULT = LeadClientVipSettings()


def lcv(f: Facts, settings: LeadClientVipSettings = LCV_DEFAULT, current: str | None = None) -> str:
    return LCV.decide(f, settings, current).status


def test_lead_client_vip_statuses_and_defaults() -> None:
    assert [s.key for s in LCV.statuses(LCV_DEFAULT)] == ["lead", "client", "vip"]
    assert LCV.name == "lead-client-vip" and LCV.settings_class is LeadClientVipSettings
    assert LCV_DEFAULT.completed_booking_counts and LCV_DEFAULT.received_payment_counts
    assert not LCV_DEFAULT.inbound_message_counts
    assert LCV_DEFAULT.auto_lead_to_client
    assert LCV_DEFAULT.vip_min_received is None and LCV_DEFAULT.vip_min_bookings is None
    assert LCV_DEFAULT.vip_window_days == 365


def test_lead_until_an_interaction_counts() -> None:
    decision = LCV.decide(facts(), LCV_DEFAULT, None)
    assert (decision.status, decision.rule) == ("lead", "no-interaction")
    assert "completed booking or received payment" in decision.reason
    nothing = facts(
        bookings=[booking(ago(2), "cancelled"), booking(ago(1), "no_show"), booking(ago(-2))],
        payments=[payment(ago(1), "50.00", "due"), payment(ago(1), "50.00", "overdue")],
        messages=[message(ago(1), "out"), message(ago(1), "in")],  # inbound off by default
    )
    assert lcv(nothing) == "lead"
    # a payment received after A is not known yet
    assert lcv(facts(payments=[payment(ago(-1), "10.00")])) == "lead"


def test_client_from_each_kind_of_interaction() -> None:
    by_booking = LCV.decide(facts(bookings=completed(10, 5)), LCV_DEFAULT, None)
    assert (by_booking.status, by_booking.rule) == ("client", "completed-booking")
    assert "2 completed bookings (latest on " + ago(5) in by_booking.reason
    by_payment = LCV.decide(facts(payments=[payment(ago(0), "20.00")]), LCV_DEFAULT, "lead")
    assert (by_payment.status, by_payment.rule) == ("client", "received-payment")
    assert "1 received payment" in by_payment.reason
    # a refunded payment still was an interaction
    assert lcv(facts(payments=[payment(ago(3), "20.00", "refunded")])) == "client"
    # the booking decides first; every interaction found is listed
    both = LCV.decide(
        facts(bookings=completed(10), payments=[payment(ago(10), "30.00")]), LCV_DEFAULT, None
    )
    assert both.rule == "completed-booking" and "received payment" in both.reason


def test_inbound_messages_count_only_when_switched_on() -> None:
    f = facts(messages=[message(ago(4), "in")])
    assert lcv(f) == "lead"
    on = LeadClientVipSettings(inbound_message_counts=True)
    decision = LCV.decide(f, on, None)
    assert (decision.status, decision.rule) == ("client", "inbound-message")
    assert lcv(facts(messages=[message(ago(4), "out")]), on) == "lead"
    assert lcv(facts(messages=[message(ago(-1), "in")]), on) == "lead"


def test_each_interaction_switch_can_be_turned_off() -> None:
    no_bookings = LeadClientVipSettings(completed_booking_counts=False)
    assert lcv(facts(bookings=completed(5)), no_bookings) == "lead"
    assert lcv(facts(payments=[payment(ago(5), "9.00")]), no_bookings) == "client"
    no_payments = LeadClientVipSettings(received_payment_counts=False)
    assert lcv(facts(payments=[payment(ago(5), "9.00")]), no_payments) == "lead"
    assert lcv(facts(bookings=completed(5)), no_payments) == "client"
    none = LeadClientVipSettings(completed_booking_counts=False, received_payment_counts=False)
    decision = LCV.decide(
        facts(bookings=completed(5), payments=[payment(ago(5), "9.00")]), none, None
    )
    assert decision.status == "lead" and "switched on" in decision.reason


def test_vip_rules_are_off_by_default() -> None:
    big = facts(bookings=completed(*range(1, 40)), payments=[payment(ago(1), "99999.00")])
    assert lcv(big) == "client"


def test_vip_from_total_received() -> None:
    settings = LeadClientVipSettings(vip_min_received=1000)
    exactly = LCV.decide(
        facts(payments=[payment(ago(9), "600.00"), payment(ago(2), "400.00")]), settings, "client"
    )
    assert (exactly.status, exactly.rule) == ("vip", "vip-received")
    assert "1000.00 EUR" in exactly.reason and "VIP from 1000 EUR" in exactly.reason
    assert lcv(facts(payments=[payment(ago(2), "999.99")]), settings) == "client"
    # refunds and other currencies are left out of the total
    refunded = [payment(ago(3), "900.00"), payment(ago(2), "500.00", "refunded")]
    assert lcv(facts(payments=refunded), settings) == "client"
    dollars = [payment(ago(3), "900.00"), payment(ago(2), "500.00", currency="USD")]
    assert lcv(facts(payments=dollars), settings) == "client"


def test_vip_from_bookings_within_the_window_boundary() -> None:
    settings = LeadClientVipSettings(vip_min_bookings=3)
    inside = LCV.decide(facts(bookings=completed(365, 100, 1)), settings, "client")
    assert (inside.status, inside.rule) == ("vip", "vip-bookings")
    assert inside.reason == f"3 completed bookings since {ago(365)} (VIP from 3 within 365 days)."
    assert lcv(facts(bookings=completed(366, 100, 1)), settings) == "client"
    misses = [booking(ago(2), "no_show"), booking(ago(3), "cancelled"), booking(ago(-1))]
    assert lcv(facts(bookings=[*completed(100, 1), *misses]), settings) == "client"
    short = LeadClientVipSettings(vip_min_bookings=2, vip_window_days=30)
    assert lcv(facts(bookings=completed(30, 1)), short) == "vip"
    assert lcv(facts(bookings=completed(31, 1)), short) == "client"


def test_vip_comes_before_client_before_lead() -> None:
    settings = LeadClientVipSettings(vip_min_bookings=1)
    assert lcv(facts(bookings=completed(1)), settings, "lead") == "vip"
    assert lcv(facts(bookings=completed(1)), LCV_DEFAULT, "lead") == "client"
    assert lcv(facts(), settings, None) == "lead"


def test_a_no_show_or_refund_never_demotes_a_client_to_lead() -> None:
    # the completed booking that made them a client was later marked as a no-show
    f = facts(bookings=[booking(ago(5), "no_show")])
    kept = LCV.decide(f, LCV_DEFAULT, "client")
    assert (kept.status, kept.rule) == ("client", "kept-client")
    assert "never goes back to lead" in kept.reason
    assert lcv(f, LCV_DEFAULT, None) == "lead"
    # a refunded payment: still a client
    assert lcv(facts(payments=[payment(ago(5), "80.00", "refunded")]), current="client") == "client"
    # a VIP who lost every interaction goes back to client, never to lead
    vip_settings = LeadClientVipSettings(vip_min_received=50)
    back = LCV.decide(f, vip_settings, "vip")
    assert (back.status, back.rule) == ("client", "kept-client")
    assert back.reason.startswith("No VIP rule holds any more")


def test_a_vip_whose_rules_no_longer_hold_goes_back_to_client() -> None:
    settings = LeadClientVipSettings(vip_min_received=1000)
    decision = LCV.decide(facts(payments=[payment(ago(5), "100.00")]), settings, "vip")
    assert (decision.status, decision.rule) == ("client", "received-payment")
    assert decision.reason.startswith("No VIP rule holds any more, so back to client.")


def test_automatic_lead_to_client_switched_off() -> None:
    manual = LeadClientVipSettings(auto_lead_to_client=False, vip_min_bookings=1)
    f = facts(bookings=completed(3))
    for current in (None, "lead"):
        decision = LCV.decide(f, manual, current)
        assert (decision.status, decision.rule) == ("lead", "manual-only")
    # customers already made clients (by hand) still follow the VIP rules both ways
    assert lcv(f, manual, "client") == "vip"
    assert lcv(facts(payments=[payment(ago(3), "5.00")]), manual, "vip") == "client"
    assert lcv(facts(), manual, "client") == "client"


def test_lead_client_vip_settings_come_from_the_config_layer() -> None:
    table = "status.lead-client-vip"
    built = build(table, LeadClientVipSettings, {"vip_min_received": 500, "vip_window_days": 90})
    assert (built.vip_min_received, built.vip_window_days) == (500, 90)
    with pytest.raises(ConfigError, match=r"status\.lead-client-vip\.vip_min_received = 0"):
        build(table, LeadClientVipSettings, {"vip_min_received": 0})
    with pytest.raises(ConfigError, match=r"status\.lead-client-vip\.vip_min_bookings = -2"):
        build(table, LeadClientVipSettings, {"vip_min_bookings": -2})
    with pytest.raises(ConfigError, match=r"status\.lead-client-vip\.vip_window_days = -1"):
        build(table, LeadClientVipSettings, {"vip_window_days": -1})
    with pytest.raises(ConfigError, match=r"auto_lead_to_client.*true or false"):
        build(table, LeadClientVipSettings, {"auto_lead_to_client": "no"})
    with pytest.raises(ConfigError, match=r"vip_min_received.*wrong type"):
        build(table, LeadClientVipSettings, {"vip_min_received": 99.5})


# -- loyalty-tiers -------------------------------------------------------------------

TIERS = LoyaltyTiers()
TIERS_DEFAULT = LoyaltyTiersSettings()


def tier(f: Facts, settings: LoyaltyTiersSettings = TIERS_DEFAULT) -> str:
    return TIERS.decide(f, settings, None).status


def spent(*amounts: str, status: str = "completed", currency: str = "EUR") -> list[dict[str, Any]]:
    return [booking(ago(10), status, amount, currency) for amount in amounts]


def test_tier_statuses_are_ordered_by_points() -> None:
    statuses = TIERS.statuses(TIERS_DEFAULT)
    assert [(s.key, s.label, s.order, s.colour) for s in statuses] == [
        ("bronze", "Bronze", 0, "#cd7f32"),
        ("silver", "Silver", 1, "#c0c0c0"),
        ("gold", "Gold", 2, "#ffd700"),
    ]
    custom = LoyaltyTiersSettings(tiers={"gold": 900, "platinum_plus": 5000, "member": 0})
    assert [(s.key, s.label, s.colour) for s in TIERS.statuses(custom)] == [
        ("member", "Member", ""),
        ("gold", "Gold", "#ffd700"),
        ("platinum_plus", "Platinum plus", ""),
    ]
    assert TIERS.name == "loyalty-tiers" and TIERS.settings_class is LoyaltyTiersSettings


def test_points_from_completed_bookings() -> None:
    assert tier(facts()) == "bronze"
    assert tier(facts(bookings=spent("250.00", "249.99"))) == "bronze"
    decision = TIERS.decide(facts(bookings=spent("250.00", "250.00")), TIERS_DEFAULT, None)
    assert (decision.status, decision.rule) == ("silver", "points")
    assert decision.reason == (
        "500 points (500.00 EUR of completed bookings, at 1 per unit): "
        "silver from 500 points, gold from 2000."
    )
    assert tier(facts(bookings=spent("2000"))) == "gold"
    # only completed bookings dated by A count
    misses = [
        *spent("5000", status="no_show"),
        *spent("5000", status="cancelled"),
        *spent("5000", status="upcoming"),
        booking(ago(-1), "completed", "5000"),
    ]
    assert tier(facts(bookings=misses)) == "bronze"


def test_points_from_received_payments() -> None:
    settings = LoyaltyTiersSettings(spend_source="payments")
    paid = facts(
        bookings=spent("9000"),  # bookings are not the source now
        payments=[
            payment(ago(5), "600.00"),
            payment(ago(5), "3000.00", "refunded"),
            payment(ago(5), "3000.00", "due"),
            payment(ago(-1), "3000.00"),
        ],
    )
    decision = TIERS.decide(paid, settings, None)
    assert decision.status == "silver"
    assert decision.reason.startswith("600 points (600.00 EUR of received payments")
    assert tier(paid) == "gold"  # the same customer, counted by bookings


def test_amounts_in_another_currency_do_not_count() -> None:
    assert tier(facts(bookings=spent("400", currency="USD") + spent("200"))) == "bronze"
    payments = [payment(ago(1), "5000", currency="CHF")]
    assert tier(facts(payments=payments), LoyaltyTiersSettings(spend_source="payments")) == "bronze"


def test_opening_total_from_a_custom_field() -> None:
    # a money value counts fully, whatever its currency
    f = facts(fields={"opening_total": money("500000", "USD")})
    decision = TIERS.decide(f, TIERS_DEFAULT, None)
    assert decision.status == "gold"
    assert decision.reason.startswith("500000 points (0 EUR of completed bookings + 500000 opening")
    # decimal text and plain numbers, added to the spend
    assert tier(facts(bookings=spent("49.50"), fields={"opening_total": "450.50"})) == "silver"
    assert tier(facts(bookings=spent("49.50"), fields={"opening_total": "450.49"})) == "bronze"
    assert tier(facts(fields={"opening_total": 1999})) == "silver"
    assert tier(facts(fields={"opening_total": 2000.0})) == "gold"
    # missing or unreadable: nothing
    for unreadable in (None, "", "lots", "NaN", "Infinity", True, [1], {"currency": "EUR"}):
        assert tier(facts(fields={"opening_total": unreadable})) == "bronze"
    # the field's key is a setting; "" means no opening total
    legacy = LoyaltyTiersSettings(opening_total_field="legacy_spend")
    assert tier(facts(fields={"legacy_spend": "700"}), legacy) == "silver"
    assert tier(facts(fields={"opening_total": "700"}), legacy) == "bronze"
    off = LoyaltyTiersSettings(opening_total_field="")
    assert tier(facts(fields={"opening_total": "700"}), off) == "bronze"


def test_points_per_unit_with_exact_decimals() -> None:
    settings = LoyaltyTiersSettings(points_per_unit=0.29, tiers={"none": 0, "some": 29})
    # in floating point 100 * 0.29 is 28.999999999999996
    assert TIERS.points(facts(bookings=spent("100")), settings)[0] == 29
    assert tier(facts(bookings=spent("100")), settings) == "some"
    assert tier(facts(bookings=spent("99.99")), settings) == "none"
    tenth = LoyaltyTiersSettings(points_per_unit=0.1)
    assert tier(facts(bookings=spent("4999.99")), tenth) == "bronze"
    assert tier(facts(bookings=spent("5000")), tenth) == "silver"
    assert tier(facts(bookings=spent("99999")), LoyaltyTiersSettings(points_per_unit=0)) == "bronze"
    # whole points, rounded down; never below zero
    assert TIERS.points(facts(bookings=spent("10.99")), TIERS_DEFAULT)[0] == 10
    negative = facts(fields={"opening_total": "-50"})
    assert TIERS.points(negative, TIERS_DEFAULT)[0] == 0
    assert tier(negative) == "bronze"


def test_custom_tiers() -> None:
    settings = LoyaltyTiersSettings(tiers={"member": 0, "friend": 100, "patron": 1000, "x": 50})
    assert tier(facts(bookings=spent("49")), settings) == "member"
    assert tier(facts(bookings=spent("50")), settings) == "x"
    assert tier(facts(bookings=spent("999.99")), settings) == "friend"
    top = TIERS.decide(facts(bookings=spent("1000")), settings, None)
    assert top.status == "patron" and top.reason.endswith("patron from 1000 points.")
    only = LoyaltyTiersSettings(tiers={"everyone": 0})
    assert tier(facts(bookings=spent("1000000")), only) == "everyone"


def test_loyalty_tiers_settings_come_from_the_config_layer() -> None:
    table = "status.loyalty-tiers"
    built = build(table, LoyaltyTiersSettings, {"tiers": {"a": 0, "b": 10}, "points_per_unit": 2})
    assert built.tiers == {"a": 0, "b": 10} and built.points_per_unit == 2
    assert build(table, LoyaltyTiersSettings, {}) == LoyaltyTiersSettings()
    for bad in ({}, {"silver": 500}, {"a": 0, "b": -5}, {"a": 0, "b": 0}, {"": 0}):
        with pytest.raises(ConfigError, match=r"status\.loyalty-tiers\.tiers = .*one of them at 0"):
            build(table, LoyaltyTiersSettings, {"tiers": bad})
    for wrong in ({"a": "0"}, {"a": True}, {"a": 1.5}, [0, 500]):
        with pytest.raises(ConfigError, match=r"tiers = .*wrong type.*table of whole numbers"):
            build(table, LoyaltyTiersSettings, {"tiers": wrong})
    with pytest.raises(ConfigError, match=r"status\.loyalty-tiers\.points_per_unit = -1"):
        build(table, LoyaltyTiersSettings, {"points_per_unit": -1})
    with pytest.raises(ConfigError, match=r"points_per_unit = nan"):
        build(table, LoyaltyTiersSettings, {"points_per_unit": float("nan")})
    with pytest.raises(ConfigError, match=r"spend_source = 'visits'.*'bookings', 'payments'"):
        build(table, LoyaltyTiersSettings, {"spend_source": "visits"})
    with pytest.raises(ValueError, match="one of them at 0"):
        LoyaltyTiersSettings(tiers={"gold": 2000})


# -- config: tables of values ---------------------------------------------------------


def test_fits_and_describe_tables() -> None:
    hint = dict[str, int]
    assert fits({}, hint) and fits({"a": 1, "b": 0}, hint)
    assert not fits({"a": True}, hint)
    assert not fits({"a": "1"}, hint)
    assert not fits({1: 1}, hint)
    assert not fits([("a", 1)], hint)
    assert not fits("a=1", hint)
    assert fits({"a": 1.5, "b": 2}, dict[str, float])
    assert fits({"a": ["x"]}, dict[str, list[str]])
    assert not fits({"a": [1]}, dict[str, list[str]])
    assert describe(hint) == "a table of whole numbers by name"
    assert describe(dict[str, int] | None) == "a table of whole numbers by name"


def test_a_table_valued_setting_is_read_from_the_file() -> None:
    declared = {
        "status": StatusSettings,
        "tier": TierSettings,
        "status.loyalty-tiers": LoyaltyTiersSettings,
    }
    raw = {
        "tier": {"rule_set": "loyalty-tiers"},
        "status": {
            "loyalty-tiers": {"tiers": {"member": 0, "vip": 300}},
            "regulars": {"min": 3},  # a rule set whose plugin is missing
        },
    }
    settings = Settings(raw, declared)
    assert settings["status.loyalty-tiers"].tiers == {"member": 0, "vip": 300}
    assert settings.value("status.loyalty-tiers.tiers") == {"member": 0, "vip": 300}
    assert len(settings.warnings) == 1 and "[status.regulars]" in settings.warnings[0]
    bad = {"status": {"loyalty-tiers": {"tiers": {"vip": 300}}}}
    with pytest.raises(ConfigError, match=r"status\.loyalty-tiers\.tiers"):
        Settings(bad, declared)


def test_a_table_valued_setting_from_the_command_line() -> None:
    hint = typing.get_type_hints(LoyaltyTiersSettings)["tiers"]
    assert parse_setting("{ bronze = 0, gold = 10 }", hint) == {"bronze": 0, "gold": 10}


# -- registration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "cls", "name"),
    [
        (lifecycle, Lifecycle, "lifecycle"),
        (lead_client_vip, LeadClientVip, "lead-client-vip"),
        (loyalty_tiers, LoyaltyTiers, "loyalty-tiers"),
    ],
)
def test_each_module_registers_exactly_its_rule_set(
    module: ModuleType, cls: type[RuleSet], name: str
) -> None:
    pm = pluggy.PluginManager("clientcard")
    pm.add_hookspecs(clientcard.core.hookspecs)
    pm.register(module)
    found: list[RuleSet] = []
    register: Callable[[RuleSet], None] = found.append
    pm.hook.clientcard_register_rule_sets(register=register)
    assert len(found) == 1
    (rule_set,) = found
    assert type(rule_set) is cls and rule_set.name == name
    assert rule_set.label and rule_set.description and rule_set.settings_class is not None
    # the defaults are valid settings, and every status has a unique key
    defaults = rule_set.settings_class()
    keys = [s.key for s in rule_set.statuses(defaults)]
    assert len(keys) == len(set(keys))
