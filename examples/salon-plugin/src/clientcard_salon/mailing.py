"""The ``mailing-list`` exporter: opted-in customers for an e-mail campaign.

``clientcard export --format mailing-list --output list.csv [FILTERS]`` writes a
CSV a campaign tool imports: ``email``, ``first_name``, ``name``,
``hair_type``, ``status`` and ``opted_in_at``, one row per selected customer
who has an e-mail address **and** has opted in.  Filters pick the campaign's
audience: ``--status at-risk`` for a "we miss you" offer, ``--tag colour``.
``--fields`` does not change the columns.

Who has opted in is read from, in this order:

1. a field of type ``consent`` with the key ``marketing_email`` (what
   ``clientcard fields add --preset marketing-email`` adds): its value must be
   given (``yes``); ``opted_in_at`` is when it was given;
2. else the workspace's only ``consent``-type field, whatever its key;
3. else a ``boolean`` field with the key ``newsletter``: it must be true.

Without any of these (or with several consent fields, none of them
``marketing_email``) nothing is written and the error says what to add.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, Any

from clientcard import ClientcardError, ExportContext, Exporter, FieldSchema, neutralise

HEADER = ("email", "first_name", "name", "hair_type", "status", "opted_in_at")
CONSENT_KEY = "marketing_email"
NEWSLETTER_KEY = "newsletter"


def opt_in_field(schema: FieldSchema) -> tuple[str, str]:
    """The field that says who opted in, and its type (``consent`` or ``boolean``)."""
    consent = [d for d in schema.defs.values() if d.type == "consent"]
    chosen = next((d for d in consent if d.key == CONSENT_KEY), None)
    if chosen is None and len(consent) == 1:
        chosen = consent[0]
    if chosen is not None:
        return chosen.key, "consent"
    if consent:
        keys = ", ".join(d.key for d in consent)
        raise ClientcardError(
            f"mailing-list: several consent fields ({keys}) and none named {CONSENT_KEY!r}; "
            f"name the marketing one {CONSENT_KEY!r} (clientcard fields add --preset "
            "marketing-email)"
        )
    newsletter = schema.defs.get(NEWSLETTER_KEY)
    if newsletter is not None and newsletter.type == "boolean":
        return NEWSLETTER_KEY, "boolean"
    raise ClientcardError(
        "mailing-list needs to know who opted in: add a consent field "
        "('clientcard fields add --preset marketing-email') or a boolean field "
        "'newsletter'"
    )


def opted_in(value: Any, kind: str) -> tuple[bool, str]:
    """Whether a stored value says yes, and since when ("" when not known)."""
    if kind == "consent":
        if isinstance(value, dict) and value.get("given") is True:
            return True, str(value.get("at") or "")
        return False, ""
    return value is True, ""


class MailingList(Exporter):
    name = "mailing-list"
    label = "Mailing list"
    description = "Opted-in customers with an e-mail address, as CSV for a campaign tool."
    extension = ".csv"

    def write(self, docs: Iterable[dict[str, Any]], context: ExportContext, out: IO[bytes]) -> None:
        key, kind = opt_in_field(context.schema)  # before a single row is written
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(HEADER)
        for doc in docs:
            fields = doc.get("fields") or {}
            yes, since = opted_in(fields.get(key), kind)
            if not yes or not doc.get("email"):
                continue
            name = doc.get("name") or ""
            row = (
                doc["email"],
                name.split()[0] if name.strip() else "",
                name,
                fields.get("hair_type") or "",
                doc.get("status") or "",
                since,
            )
            writer.writerow([neutralise(str(cell)) for cell in row])
        text.flush()
        text.detach()
