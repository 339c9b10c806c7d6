"""``most-complete``, the default merge strategy (source 001's best practice).

The record holding the most information survives (filled fields, then
activity, then the oldest); its values win where the records disagree, and
the others fill its blanks.
"""

from __future__ import annotations

from collections.abc import Callable

from clientcard.core.hookspecs import hookimpl
from clientcard.dedupe.merge import MergeStrategy


class MostComplete(MergeStrategy):
    name = "most-complete"
    description = "The most complete record survives; its values win; the others fill its blanks."


@hookimpl
def clientcard_register_merge_strategies(register: Callable[[MergeStrategy], None]) -> None:
    register(MostComplete())
