"""Tags: one tag whatever its case and spacing, spelt as it was first used.

``VIP``, ``vip`` and `` Vip `` are one tag.  The workspace keeps each tag's
first spelling in a small table (beside the field definitions, so adding a
customer need not read every customer), and every write that tags a customer
spells the tag that way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clientcard.core.store import WriteSession
from clientcard.core.text import nfc

TAGS = "tags"


def tag_key(tag: str) -> str:
    """What makes two tags the same tag: case, spacing and how an accent is encoded
    do not ("Café" composed or as "e" + accent, the way tags stored before clientcard
    composed text on entry may be spelt)."""
    return nfc(" ".join(nfc(tag).split()).casefold())


class TagSpellings:
    """The first spelling of every tag, read from and added to the ``tags`` table."""

    def __init__(self, session: WriteSession) -> None:
        self.table = session.table(TAGS)
        self.known: dict[str, dict[str, Any]] = {}
        for doc in self.table:
            # keyed anew, not by the stored key: one stored before keys were composed
            # (NFC) must meet the composed spelling of the same tag
            self.known.setdefault(tag_key(doc["name"]), doc)

    def learn(self, docs: Iterable[dict[str, Any]]) -> None:
        """Register the tags of these documents not known yet (records tagged before the
        table existed), each as the first of them (in the order given) spells it."""
        for doc in docs:
            for tag in doc.get("tags") or ():
                if tag_key(tag) not in self.known:
                    self.spell([tag])

    def spell(self, tags: Iterable[str]) -> list[str]:
        """``tags`` (already normalised) as first spelt; new ones are registered."""
        out = []
        for tag in tags:
            key = tag_key(tag)
            found = self.known.get(key)
            if found is None:
                found = self.known[key] = {"id": self.table.new_id(), "key": key, "name": tag}
                self.table.put(found)
            out.append(found["name"])
        return out

    def rename(self, old: str, new: str) -> None:
        """From now on the tag ``old`` is ``new`` (which may merge it with another)."""
        gone = self.known.pop(tag_key(old), None)
        if gone is not None:
            self.table.delete(gone["id"])
        found = self.known.get(tag_key(new))
        if found is not None and found["name"] != new:
            found = {**found, "name": new}
            self.known[tag_key(new)] = found
            self.table.put(found)
        elif found is None:
            self.spell([new])
