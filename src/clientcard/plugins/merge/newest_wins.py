"""``newest-wins``: where the records disagree, the most recently updated one's value wins.

clientcard keeps one change time per record, not per field: a record's
``updated_at`` stands for every value in it.  The survivor is the most
complete record, as with ``most-complete``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clientcard.core.hookspecs import hookimpl
from clientcard.dedupe.merge import FieldValue, MergeStrategy


class NewestWins(MergeStrategy):
    name = "newest-wins"
    description = "Per field, the value of the most recently updated record wins."

    def pick(self, key: str, values: Sequence[FieldValue], survivor: int) -> FieldValue:
        # the survivor's value on a tie: max keeps the first of equals
        ordered = sorted(values, key=lambda v: v.customer_id != survivor)
        return max(ordered, key=lambda v: v.updated_at)


@hookimpl
def clientcard_register_merge_strategies(register: Callable[[MergeStrategy], None]) -> None:
    register(NewestWins())
