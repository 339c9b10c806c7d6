"""``keep-primary``: the first id given survives and its values win."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from clientcard.core.hookspecs import hookimpl
from clientcard.dedupe.merge import Candidate, MergeStrategy


class KeepPrimary(MergeStrategy):
    name = "keep-primary"
    description = "The first id given survives and its values win; the others fill its blanks."

    def survivor(self, candidates: Sequence[Candidate]) -> int:
        return candidates[0].customer.id


@hookimpl
def clientcard_register_merge_strategies(register: Callable[[MergeStrategy], None]) -> None:
    register(KeepPrimary())
