"""The Workspace: the one facade the CLI and host applications use.

A workspace is a directory holding ``clientcard.toml`` and ``data/``.  Opening
one builds its plugin host (built-ins and installed plugins), checks its
settings and opens its store.  Every method is one operation: it sees every
change other processes committed before it, and its changes reach the disk
together or not at all.  ``with workspace.batch():`` makes many operations one.
"""

from __future__ import annotations

from clientcard.core.workspace_activity import ActivityPart
from clientcard.core.workspace_base import (
    CONFIG_TEMPLATE,
    DATA_DIR,
    TABLES,
    WORKSPACE_ENV,
)
from clientcard.core.workspace_customers import CustomersPart

__all__ = ["CONFIG_TEMPLATE", "DATA_DIR", "TABLES", "WORKSPACE_ENV", "Workspace"]


class Workspace(CustomersPart, ActivityPart):
    """A clientcard workspace: customers, fields, activity, statuses, settings and plugins.

    Open one with :meth:`open` (or create it with :meth:`init`) and use it as a
    context manager.  ``plugins`` are extra plugin objects registered for this
    workspace only, after the installed ones: a host application passes the
    object that implements its event hooks.

    The methods come in parts, one module each: ``workspace_base`` (opening,
    settings, writes and events), ``workspace_fields``, ``workspace_status``,
    ``workspace_customers`` and ``workspace_activity``.
    """
