"""The hooks of the ``salon`` plugin: what it gives clientcard.

This module is what the entry point names (``pyproject.toml``)::

    [project.entry-points.clientcard]
    salon = "clientcard_salon.plugin"

clientcard imports it and calls each ``@hookimpl`` function below with a
``register`` callable; ``clientcard plugins`` then lists what each registered.
"""

from __future__ import annotations

from collections.abc import Callable

from clientcard import Exporter, FormCollector, MergeStrategy, RuleSet, hookimpl

from clientcard_salon.intake import SalonQuestions
from clientcard_salon.mailing import MailingList
from clientcard_salon.merging import SalonMerge
from clientcard_salon.regulars import Regulars


@hookimpl
def clientcard_register_rule_sets(register: Callable[[RuleSet], None]) -> None:
    """The ``regulars`` rule pack: ``[status] rule_set = "regulars"``.

    Its settings (``RegularsSettings``) are declared with it and read from
    ``[status.regulars]``.
    """
    register(Regulars())


@hookimpl
def clientcard_register_form_collectors(register: Callable[[FormCollector], None]) -> None:
    """Hair type and allergies on the ``scheduling`` form."""
    register(SalonQuestions())


@hookimpl
def clientcard_register_exporters(register: Callable[[Exporter], None]) -> None:
    """``clientcard export --format mailing-list``."""
    register(MailingList())


@hookimpl
def clientcard_register_merge_strategies(register: Callable[[MergeStrategy], None]) -> None:
    """``clientcard merge ... --strategy salon`` (or ``[merge] strategy = "salon"``)."""
    register(SalonMerge())
