"""Every hook a clientcard plugin can implement.

A plugin is a module (or any object) with functions decorated by
:data:`clientcard.hookimpl` whose names are the hooks below.  A package makes
its plugin known through an entry point in the group ``clientcard``::

    [project.entry-points.clientcard]
    salon = "clientcard_salon.plugin"

Register-style hooks receive a ``register`` callable: call it once per item you
provide.  Names must be unique across all plugins; two plugins registering the
same name is an error naming both.  Event hooks are called after the change is
safely on disk; they return nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
import pluggy

if TYPE_CHECKING:
    from clientcard.core.classify import RuleSet
    from clientcard.core.export import Exporter
    from clientcard.core.fields import FieldType
    from clientcard.core.model import Customer
    from clientcard.core.store import StoreFactory
    from clientcard.core.workspace import Workspace

hookspec = pluggy.HookspecMarker("clientcard")
#: Decorate your plugin's hook functions with this (re-exported as ``clientcard.hookimpl``).
hookimpl = pluggy.HookimplMarker("clientcard")


# -- registration ------------------------------------------------------------


@hookspec
def clientcard_register_field_types(register: Callable[[FieldType], None]) -> None:
    """Provide field types that businesses can give their fields.

    Call ``register(field_type)`` with an instance of a
    :class:`clientcard.FieldType` subclass for each type.  Its ``name`` is what a
    business writes in ``clientcard fields add KEY --type NAME``.
    """


@hookspec
def clientcard_register_rule_sets(register: Callable[[RuleSet], None]) -> None:
    """Provide rule sets that classify customers from their activity.

    Call ``register(rule_set)`` with an instance of a :class:`clientcard.RuleSet`
    subclass.  A business picks it by name: ``[status] rule_set = "NAME"`` (or
    ``[tier] rule_set = "NAME"``).  Its ``settings_class``, if any, is read from
    ``[status.NAME]``.
    """


@hookspec
def clientcard_register_exporters(register: Callable[[Exporter], None]) -> None:
    """Provide export formats, used as ``clientcard export --format NAME``.

    Call ``register(exporter)`` with an instance of a
    :class:`clientcard.core.export.Exporter` subclass.  Its ``write(docs,
    context, out)`` gets the selected customer documents as a stream, the
    columns asked for (``context.columns``, with ``context.value`` and
    ``context.text`` to read them) and a binary file.  ``clientcard export
    --list-formats`` shows every registered exporter.
    """


@hookspec
def clientcard_register_storage_backends(register: Callable[[str, StoreFactory], None]) -> None:
    """Provide storage backends, selected by ``[storage] backend = "NAME"``.

    Call ``register(name, factory)``; ``factory(data_dir, schema)`` returns an
    object implementing :class:`clientcard.core.store.Store` for the workspace's
    data directory.
    """


@hookspec
def clientcard_register_settings(register: Callable[[str, type[Any]], None]) -> None:
    """Declare your plugin's settings, read from its own table in ``clientcard.toml``.

    Call ``register(table, settings_class)`` where ``table`` is a dotted table
    name (e.g. ``"salon"`` or ``"status.regulars"``) and ``settings_class`` is an
    attrs class whose attributes all have defaults.  clientcard validates the
    table against it (unknown keys and wrong types are errors naming the key)
    and ``workspace.settings(table)`` returns the instance.  Raise ``ValueError``
    from an attrs validator to reject a value; its message should say what is
    expected.
    """


@hookspec
def clientcard_register_commands(cli: click.Group) -> None:
    """Add commands to the ``clientcard`` command line.

    ``cli`` is the top-level click group: use ``cli.command()`` or
    ``cli.add_command()``.  Commands receive the workspace through
    ``clientcard.cli.pass_workspace``.
    """


# -- events for host applications ----------------------------------------------


@hookspec
def clientcard_customer_created(workspace: Workspace, customer: Customer) -> None:
    """A customer record was created (added one by one, in a batch, or imported)."""


@hookspec
def clientcard_customer_updated(workspace: Workspace, before: Customer, after: Customer) -> None:
    """A customer record was changed; ``before`` and ``after`` are the two versions."""


@hookspec
def clientcard_status_changed(
    workspace: Workspace,
    customer: Customer,
    dimension: str,
    old: str | None,
    new: str,
    reason: str,
    manual: bool,
) -> None:
    """A customer's status (``dimension`` "status") or tier ("tier") changed.

    ``customer`` is the record after the change; ``reason`` says which rule
    decided (or who set it, when ``manual``).  Called once per change, after
    the change is on disk: e.g. send a win-back promo code when ``new`` is
    ``"churn"``.
    """


@hookspec
def clientcard_activity_recorded(
    workspace: Workspace, customer: Customer, kind: str, record: dict[str, Any], created: bool
) -> None:
    """A booking, payment, message or marketing event was recorded or updated.

    ``kind`` is ``"booking"``, ``"payment"``, ``"message"`` or ``"marketing"``;
    ``record`` is its stored JSON form; ``created`` is False for an update.
    """


@hookspec
def clientcard_customer_deleted(workspace: Workspace, customer: Customer) -> None:
    """A customer record was deleted; ``customer`` is the record as it was."""
