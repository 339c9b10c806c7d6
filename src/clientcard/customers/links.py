"""Links between customers: relationships (family, colleague ...) and referrals.

A relationship is stored once, ``customer_id`` → ``other_id`` with a kind, and
shown on both cards.  A referral records who referred a customer
(``referrer_id``); a customer has at most one referrer.  Both are removed with
either customer, and follow a merge (:func:`customer_references`).
"""

from __future__ import annotations

from clientcard.activity import kinds as activity
from clientcard.core.store import TableSpec
from clientcard.customers.documents import DOCUMENTS
from clientcard.customers.documents import SPEC as DOCUMENTS_SPEC
from clientcard.status.classify import HISTORY

RELATIONSHIPS = "relationships"
REFERRALS = "referrals"
#: the kinds every workspace knows; ``[card] relationship_kinds`` adds the business's own
RELATIONSHIP_KINDS = ("family", "colleague", "friend")

SPECS = (
    TableSpec(RELATIONSHIPS, indexes=("customer_id", "other_id"), group="card"),
    TableSpec(REFERRALS, indexes=("customer_id", "referrer_id"), group="card"),
    DOCUMENTS_SPEC,
)


def customer_references() -> list[tuple[str, str]]:
    """(table, field) of every indexed field that holds a customer's id.

    A deleted customer takes these documents along; a merge points them at the
    survivor (and an unmerge back).
    """
    return [
        *((kind.table, "customer_id") for kind in activity.KINDS.values()),
        (HISTORY, "customer_id"),
        (RELATIONSHIPS, "customer_id"),
        (RELATIONSHIPS, "other_id"),
        (REFERRALS, "customer_id"),
        (REFERRALS, "referrer_id"),
        (DOCUMENTS, "customer_id"),
    ]


#: links that, once both ends are one customer, mean nothing: a merge removes them
SELF_LINKS = {RELATIONSHIPS: ("customer_id", "other_id"), REFERRALS: ("customer_id", "referrer_id")}
