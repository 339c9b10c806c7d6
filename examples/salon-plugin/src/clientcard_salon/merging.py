"""The ``salon`` merge strategy: ``clientcard merge ID ID --strategy salon``.

* The survivor is the record with the most visits and history (the card the
  stylists know), then the most complete one, then the oldest.
* ``allergies``: an answer naming an allergy beats "none" and a shorter
  answer; a merge must never hide an allergy from the stylist.
* ``hair_type``: the most recently updated record's answer (hair changes).
* Any other field: the survivor's value.

Whatever it picks, clientcard keeps every losing value in the merge record
(``clientcard merges show``) and ``clientcard unmerge`` undoes the merge.
"""

from __future__ import annotations

from collections.abc import Sequence

from clientcard import Candidate, FieldValue, MergeStrategy

NONE_ANSWERS = frozenset({"none", "no", "nothing", "n/a", "-", "no allergies", "nessuna"})


def _allergy_weight(value: FieldValue) -> tuple[bool, int]:
    text = str(value.value).strip()
    return text.casefold() not in NONE_ANSWERS, len(text)


class SalonMerge(MergeStrategy):
    name = "salon"
    description = (
        "The card with the most visits survives; an allergy is never hidden; "
        "the newest hair type wins."
    )

    def survivor(self, candidates: Sequence[Candidate]) -> int:
        best = max(candidates, key=lambda c: (c.activity, c.filled, -c.customer.id))
        return best.customer.id

    def pick(self, key: str, values: Sequence[FieldValue], survivor: int) -> FieldValue:
        # on a tie, max keeps the first: put the survivor's value first
        ordered = sorted(values, key=lambda v: v.customer_id != survivor)
        if key == "allergies":
            return max(ordered, key=_allergy_weight)
        if key == "hair_type":
            return max(ordered, key=lambda v: v.updated_at)
        return super().pick(key, values, survivor)
