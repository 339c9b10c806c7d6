"""The ``lead-client-vip`` rule set: leads, clients and VIPs.

A lead becomes a client at the first business interaction; a client becomes a
VIP when a VIP rule (off until you set it) holds.  Every rule can be switched
off, the automatic lead → client change included.  Settings, in
``clientcard.toml``::

    [status.lead-client-vip]
    completed_booking_counts = true   # a completed booking makes a client
    received_payment_counts = true    # so does a received payment (even if refunded later)
    inbound_message_counts = false    # a message from the customer, when switched on
    auto_lead_to_client = true        # false: leads become clients only by hand
    vip_min_received = 1000           # VIP from this total received (unset: rule off)
    vip_min_bookings = 10             # VIP from this many completed bookings ...
    vip_window_days = 365             # ... within this many days
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
from attrs import field, frozen

from clientcard.activity.facts import Facts
from clientcard.core.hookspecs import hookimpl
from clientcard.status.classify import Decision, RuleSet, StatusDef

#: The longest period a setting in days may cover (a hundred years).
MAX_DAYS = 36500


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _flag(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueError("true or false")


def _optional_positive(what: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and (not _whole(value) or value < 1):
            raise ValueError(f"{what}, 1 or more (leave it out to switch the rule off)")

    return check


def _days(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not _whole(value) or not 1 <= value <= MAX_DAYS:
        raise ValueError(f"a whole number of days from 1 to {MAX_DAYS}")


@frozen
class LeadClientVipSettings:
    """``[status.lead-client-vip]``: what makes a lead a client, and a client a VIP."""

    #: a completed booking makes a lead a client
    completed_booking_counts: bool = field(default=True, validator=_flag)
    #: a received payment makes a lead a client (a payment refunded later still counts)
    received_payment_counts: bool = field(default=True, validator=_flag)
    #: a message from the customer makes a lead a client
    inbound_message_counts: bool = field(default=False, validator=_flag)
    #: false: leads stay leads until someone changes their status by hand
    auto_lead_to_client: bool = field(default=True, validator=_flag)
    #: VIP from this total received, in whole currency units (None: rule off)
    vip_min_received: int | None = field(
        default=None, validator=_optional_positive("a whole amount")
    )
    #: VIP from this many completed bookings within ``vip_window_days`` (None: rule off)
    vip_min_bookings: int | None = field(
        default=None, validator=_optional_positive("a whole number of bookings")
    )
    #: the period, in days up to the classification day, for ``vip_min_bookings``
    vip_window_days: int = field(default=365, validator=_days)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")


class LeadClientVip(RuleSet):
    """Lead, client or VIP, from a customer's interactions with the business.

    * **lead**: no interaction yet;
    * **client**: at least one interaction that counts: a completed booking,
      a received payment (refunded or not), an inbound message (only when
      ``inbound_message_counts`` is on).  Each kind can be switched off.
    * **vip**: a customer for whom a VIP rule holds: ``vip_min_received``
      (total received, refunded payments left out) or ``vip_min_bookings``
      completed bookings within ``vip_window_days``.  Both are off until set.

    VIP comes first, then client, then lead.  A client is never sent back to
    lead: if the interaction that made them a client disappears (a completed
    booking later marked as a no-show, a payment refunded), they stay a client;
    only a manual change makes them a lead again.  A VIP for whom no VIP rule
    holds any more goes back to client.

    With ``auto_lead_to_client = false``, leads (and customers without a
    status) stay leads until someone changes them by hand; VIP rules then
    apply only to customers who already are clients or VIPs.
    """

    name = "lead-client-vip"
    label = "Lead, client, VIP"
    description = (
        "Leads until the first completed booking or payment, then clients; "
        "VIPs from a total received or a number of bookings you choose."
    )
    settings_class = LeadClientVipSettings

    def statuses(self, settings: Any) -> list[StatusDef]:
        """Lead, client and VIP, in that order."""
        return [
            StatusDef("lead", "Lead", 0, "#9ca3af"),
            StatusDef("client", "Client", 1, "#22c55e"),
            StatusDef("vip", "VIP", 2, "#ffd700"),
        ]

    def decide(self, facts: Facts, settings: Any, current: str | None) -> Decision:
        """Lead, client or VIP as of ``facts.as_of``; ``current`` keeps clients from lead."""
        s: LeadClientVipSettings = settings if settings is not None else LeadClientVipSettings()
        already_client = current in ("client", "vip")

        if not already_client and not s.auto_lead_to_client:
            return Decision(
                "lead",
                "manual-only",
                "Stays a lead: the automatic change from lead to client is switched off "
                "(change the status by hand).",
            )

        vip = self._vip(facts, s)
        if vip is not None:
            return vip

        found = self._interactions(facts, s)
        was_vip = "No VIP rule holds any more, so back to client. " if current == "vip" else ""
        if found:
            rule, _ = found[0]
            listed = ", ".join(text for _, text in found)
            return Decision("client", rule, f"{was_vip}Client: {listed}.")
        if already_client:
            return Decision(
                "client",
                "kept-client",
                f"{was_vip}No interaction that counts is found any more "
                "(e.g. a completed booking later marked as a no-show), but a client never goes "
                "back to lead automatically; only a manual change does.",
            )
        kinds = self._kinds(s)
        if not kinds:
            return Decision(
                "lead",
                "no-interaction",
                "No kind of interaction is switched on to make a lead a client.",
            )
        return Decision("lead", "no-interaction", f"No {' or '.join(kinds)} by {facts.today}.")

    # -- the rules ---------------------------------------------------------------

    @staticmethod
    def _kinds(s: LeadClientVipSettings) -> list[str]:
        kinds = []
        if s.completed_booking_counts:
            kinds.append("completed booking")
        if s.received_payment_counts:
            kinds.append("received payment")
        if s.inbound_message_counts:
            kinds.append("message from the customer")
        return kinds

    @staticmethod
    def _interactions(facts: Facts, s: LeadClientVipSettings) -> list[tuple[str, str]]:
        """The interactions that count: (rule id, what was found), first the one that decides."""
        found: list[tuple[str, str]] = []
        if s.completed_booking_counts and facts.completed_bookings:
            found.append(
                (
                    "completed-booking",
                    f"{_count(facts.completed_bookings, 'completed booking')}"
                    f" (latest on {facts.last_completed})",
                )
            )
        if s.received_payment_counts and facts.received_payments:
            found.append(("received-payment", _count(facts.received_payments, "received payment")))
        if s.inbound_message_counts and facts.inbound_messages:
            found.append(
                ("inbound-message", _count(facts.inbound_messages, "message from the customer"))
            )
        return found

    @staticmethod
    def _vip(facts: Facts, s: LeadClientVipSettings) -> Decision | None:
        if s.vip_min_received is not None:
            total = facts.received_total
            if total >= Decimal(s.vip_min_received):
                unit = f" {facts.currency}" if facts.currency else ""
                return Decision(
                    "vip",
                    "vip-received",
                    f"Received {total}{unit} in total (VIP from {s.vip_min_received}{unit}).",
                )
        if s.vip_min_bookings is not None:
            since = facts.day(s.vip_window_days)
            recent = facts.completed_since(since)
            if recent >= s.vip_min_bookings:
                return Decision(
                    "vip",
                    "vip-bookings",
                    f"{_count(recent, 'completed booking')} since {since} (VIP from "
                    f"{s.vip_min_bookings} within {s.vip_window_days} days).",
                )
        return None


@hookimpl
def clientcard_register_rule_sets(register: Callable[[RuleSet], None]) -> None:
    """Provide the ``lead-client-vip`` rule set (``[status] rule_set = "lead-client-vip"``)."""
    register(LeadClientVip())
