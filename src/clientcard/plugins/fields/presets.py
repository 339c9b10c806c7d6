"""Ready-made fields: ``clientcard fields add [KEY] --preset NAME``.

Each preset is a field definition a business would otherwise type out: its
type, label, choices with colours, options.  ``clientcard fields presets``
lists them; ``--choice`` adds choices, ``--colour`` colours, ``--option``
options, and the business's own arguments win over the preset's.
"""

from __future__ import annotations

from collections.abc import Callable

from clientcard.core.fields import FieldPreset
from clientcard.core.hookspecs import hookimpl

PRESETS = (
    FieldPreset(
        name="acquisition-source",
        key="source",
        type="choice",
        label="Acquisition source",
        description="How the customer found the business: social media, search, a friend ...",
        choices=("Instagram", "Facebook", "Google", "Website", "Referral", "Walk-in", "Other"),
        options={
            "colours": {
                "Instagram": "#E1306C",
                "Facebook": "#1877F2",
                "Google": "#34A853",
                "Website": "#6D4C41",
                "Referral": "#FB8C00",
                "Walk-in": "#00897B",
                "Other": "#9E9E9E",
            }
        },
        help="How this customer first heard of us.",
    ),
    FieldPreset(
        name="contact-channel",
        key="contact_channel",
        type="choice",
        label="Preferred contact channel",
        description="How the customer prefers to be reached.",
        choices=("Phone", "SMS", "WhatsApp", "Telegram", "E-mail"),
        options={
            "colours": {
                "Phone": "#3949AB",
                "SMS": "#8E24AA",
                "WhatsApp": "#25D366",
                "Telegram": "#229ED9",
                "E-mail": "#F4B400",
            }
        },
    ),
    FieldPreset(
        name="payment-terms",
        key="payment_terms",
        type="choice",
        label="Payment terms",
        description="Whether the customer pays before or after delivery.",
        choices=("before delivery", "after delivery"),
        options={"colours": {"before delivery": "#43A047", "after delivery": "#FB8C00"}},
    ),
    FieldPreset(
        name="purchase-status",
        key="purchase_status",
        type="choice",
        label="Purchase status",
        description="Whether the customer's purchase is paid, pending or needs no payment.",
        choices=("paid", "pending", "not needed"),
        options={"colours": {"paid": "#43A047", "pending": "#FB8C00", "not needed": "#9E9E9E"}},
    ),
    FieldPreset(
        name="opening-total",
        key="opening_total",
        type="money",
        label="Purchases before clientcard",
        description=(
            "The total a customer spent before their records came to clientcard; "
            "loyalty tiers, the customer card and merges count it."
        ),
        help="What the customer had spent with us before these records were kept.",
    ),
    FieldPreset(
        name="marketing-email",
        key="marketing_email",
        type="consent",
        label="Marketing e-mails",
        description="Whether the customer agreed to marketing e-mails, and when.",
    ),
    FieldPreset(
        name="referred-by",
        key="referred_by",
        type="customer",
        label="Referred by",
        description="The customer who referred this one.",
    ),
    FieldPreset(
        name="address",
        key="address",
        type="address",
        label="Address",
        description="The customer's postal address (vCard export reads it).",
    ),
    FieldPreset(
        name="shipping-address",
        key="shipping_address",
        type="shipping-address",
        label="Shipping address",
        description="Where goods go: an address, or the same as the field 'address'.",
        options={"main": "address"},
    ),
    FieldPreset(
        name="national-code-ir",
        key="national_id",
        type="national-id",
        label="National code",
        description="Iran's 10-digit national code, its check digit checked.",
        options={"scheme": "ir"},
    ),
    FieldPreset(
        name="birth-date",
        key="birth_date",
        type="date",
        label="Birth date",
        description="The customer's birthday (new workspaces have it; this adds it back).",
    ),
)


@hookimpl
def clientcard_register_field_presets(register: Callable[[FieldPreset], None]) -> None:
    for preset in PRESETS:
        register(preset)
