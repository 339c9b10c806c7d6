"""What a new workspace starts with: its commented ``clientcard.toml``.

Every capability's main settings appear in it, commented out where the
default holds, so that a business owner finds them by reading the file.
"""

CONFIG_TEMPLATE = """\
# clientcard workspace settings.
# Edit by hand or with 'clientcard config set KEY VALUE'; 'clientcard config list' shows all.

[workspace]
# Region for phone numbers written without a country code (ISO 3166, e.g. "IT", "US").
# region = "IT"
# Currency for money amounts written without one (ISO 4217, e.g. "EUR").
# currency = "EUR"
# The business's time zone: "joined today" and dates are calendar dates there.
timezone = "UTC"

[plugins]
# Plugins to leave out, built-ins included (names as 'clientcard plugins' lists them).
disabled = []

# Intake forms for your website ('clientcard forms list', docs/forms.md). A form asks
# the fields listed here (else name, e-mail, phone and its usual extras), then every
# field added with '--form NAME', then plugins' questions. Add a form as [forms.NAME].
[forms.signup]
title = "Sign up"
description = "Leave your details and we will be in touch."
# fields = ["name", "email", "phone"]   # asked first, in this order
# required = ["email"]                  # required here though not on every card

[forms.scheduling]
title = "Book an appointment"
description = "Your details for the appointment."

[forms.contact]
title = "Contact us"
description = "Write to us and we will answer soon."

[status]
# The rule set that sets each customer's status from their activity:
# "lifecycle" (new / paid / loyal / churn), "lead-client-vip", or one a plugin adds.
rule_set = "lifecycle"

# [status.lifecycle]
# loyal_min_bookings = 3     # completed bookings ...
# loyal_window_days = 180    # ... within this many days make a customer loyal
# churn_after_days = 180     # no completed booking for this long: churn

# [tier]
# A second dimension, e.g. customer-club tiers from points:
# rule_set = "loyalty-tiers"

# [duplicates]
# Pairs scoring at least this (0 to 1) are likely duplicates: 'clientcard duplicates'
# lists them, 'customers add' and imports warn about them (docs/duplicates.md).
# min_score = 0.8
# A field of your own that identifies a person, e.g. a membership number:
# [duplicates.fields.membership_no]
# match = "exact"    # or "normalised" (case and accents ignored), "fuzzy"
# weight = 0.9       # 0 to 1; 0 leaves a field out
"""
