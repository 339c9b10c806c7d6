"""What points at a customer must find one: the customers' part of ``Workspace.check``.

Deleting a customer removes what points at it and a merge re-points it
(:func:`~clientcard.customers.links.customer_references`), and a
customer-reference field (type ``customer``) is checked when written; so a
reference to no customer is damage or a hand edit.  Each is reported in one
line naming the record, the customer it names and, for one merged away, where
it went.  A document's stored file must be there and hold the bytes its hash
names.  Nothing here changes anything: which customer was meant is not
derivable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clientcard.core.fields import FieldSchema
from clientcard.core.store import ReadSession
from clientcard.customers.documents import DOCUMENTS, DocumentFiles
from clientcard.customers.links import customer_references
from clientcard.customers.records import CUSTOMERS, MERGES


def _merged_away(session: ReadSession) -> dict[int, tuple[Any, int]]:
    """Each id merged away (and not unmerged) -> (survivor, merge), chains followed."""
    gone: dict[int, tuple[Any, int]] = {}
    for doc in session.table(MERGES):  # oldest first
        if doc.get("undone_at") is None:
            for id in doc.get("merged", ()):
                gone[id] = (doc.get("survivor"), doc["id"])
    for id, (survivor, merge) in list(gone.items()):
        seen = {id}
        while survivor in gone and survivor not in seen:
            seen.add(survivor)
            survivor = gone[survivor][0]
        gone[id] = (survivor, merge)
    return gone


def _missing(value: object, gone: dict[int, tuple[Any, int]]) -> str:
    if isinstance(value, int) and value in gone:
        survivor, merge = gone[value]
        return f"customer {value}, merged into customer {survivor} (merge {merge})"
    return f"customer {value!r}, which does not exist"


def problems(session: ReadSession, schema: FieldSchema, root: Path) -> list[str]:
    """Every reference to no customer, and every document whose file is not sound."""
    found: list[str] = []
    customers = session.table(CUSTOMERS)
    ids = set(customers.columns([])["id"])
    gone = _merged_away(session)
    keys = [d.key for d in schema.defs.values() if d.type == "customer"]
    if keys:
        for doc in customers:
            for key in keys:
                value = doc.get("fields", {}).get(key)
                if value is not None and value not in ids:
                    found.append(
                        f"customer {doc['id']}: {key} names {_missing(value, gone)}; "
                        f"set it with 'clientcard customers edit {doc['id']} --set {key}=ID' "
                        f"or clear it with '--unset {key}'"
                    )
    for name, field in customer_references():
        values = session.table(name).columns([field])
        for id, value in zip(values["id"], values[field], strict=True):
            if value not in ids:
                found.append(
                    f"{name} {id}: its {field} names {_missing(value, gone)}; restore the "
                    "data directory from a backup ('clientcard restore')"
                )
    files = DocumentFiles(root)
    for doc in session.table(DOCUMENTS):
        problem = files.verify(str(doc.get("sha256")), doc.get("size"))
        if problem is not None:
            found.append(
                f"document {doc['id']} ({doc.get('name')!r} of customer "
                f"{doc.get('customer_id')}): {problem}; restore it from a backup"
            )
    return found
