"""The Workspace: the one facade the CLI and host applications use.

A workspace is a directory holding ``clientcard.toml`` and ``data/``.  Opening
one builds its plugin host (built-ins and installed plugins), checks its
settings and opens its store.  Every method is one operation: it sees every
change other processes committed before it, and its changes reach the disk
together or not at all.  ``with workspace.batch():`` makes many operations one.
"""

from __future__ import annotations

from clientcard.core.workspace_actions import ActionsPart
from clientcard.core.workspace_activity import ActivityPart
from clientcard.core.workspace_base import (
    CONFIG_TEMPLATE,
    DATA_DIR,
    TABLES,
    WORKSPACE_ENV,
)
from clientcard.core.workspace_card import CardPart
from clientcard.core.workspace_customers import CustomersPart
from clientcard.core.workspace_duplicates import DuplicatesPart
from clientcard.core.workspace_forms import FormsPart
from clientcard.core.workspace_merge import MergePart

__all__ = ["CONFIG_TEMPLATE", "DATA_DIR", "TABLES", "WORKSPACE_ENV", "Workspace"]


class Workspace(
    MergePart, CardPart, FormsPart, CustomersPart, ActivityPart, DuplicatesPart, ActionsPart
):
    """A clientcard workspace: customers, fields, activity, statuses, settings and plugins.

    Open one with :meth:`open` (or create it with :meth:`init`) and use it as a
    context manager.  ``plugins`` are extra plugin objects registered for this
    workspace only, after the installed ones: a host application passes the
    object that implements its event hooks.

    The methods come in parts, one module each: ``workspace_base`` (opening,
    settings, writes and events), ``workspace_fields``, ``workspace_status``,
    ``workspace_customers``, ``workspace_activity``, ``workspace_duplicates``,
    ``workspace_merge``, ``workspace_card`` and ``workspace_forms``.
    """
