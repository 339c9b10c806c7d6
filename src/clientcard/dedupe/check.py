"""Merges must agree with the customers: the duplicates' part of ``Workspace.check``.

A merge that is not undone deleted the records it merged away; one of them
still present means the merge record and the customers disagree (a restore of
one file, a hand edit), and every lookup of that id would answer two ways.
Reported in one line each; nothing is changed (which side is right is not
derivable).
"""

from __future__ import annotations

from clientcard.core.store import ReadSession
from clientcard.customers.records import CUSTOMERS, MERGES


def problems(session: ReadSession) -> list[str]:
    """Every merge record that is damaged or contradicts the customers."""
    found: list[str] = []
    ids = set(session.table(CUSTOMERS).columns([])["id"])
    for doc in session.table(MERGES):
        merged, survivor = doc.get("merged"), doc.get("survivor")
        if (
            not isinstance(merged, list)
            or not all(isinstance(id, int) for id in merged)
            or not isinstance(survivor, int)
            or not isinstance(doc.get("before"), dict)
        ):
            found.append(
                f"merge {doc['id']} is damaged (no survivor, merged ids or records before "
                "it); restore the data directory from a backup ('clientcard restore')"
            )
            continue
        if doc.get("undone_at") is not None:
            continue
        for id in merged:
            if id in ids:
                found.append(
                    f"merge {doc['id']} merged customer {id} into customer {survivor}, but "
                    f"customer {id} is still there; restore the data directory from a "
                    "backup ('clientcard restore')"
                )
    return found
