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
    from clientcard.actions.kinds import ActionKind
    from clientcard.core.fields import FieldPreset, FieldType, IdScheme
    from clientcard.core.model import Customer
    from clientcard.core.store import StoreFactory
    from clientcard.dedupe.merge import MergeStrategy
    from clientcard.forms.intake import FormCollector
    from clientcard.status.classify import RuleSet
    from clientcard.transfer.export import Exporter
    from clientcard.workspace import Workspace

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
def clientcard_register_id_schemes(register: Callable[[IdScheme], None]) -> None:
    """Provide identity-number schemes with their checksums, for ``national-id`` fields.

    Call ``register(scheme)`` with an instance of a :class:`clientcard.IdScheme`
    subclass: ``name`` (what a field's option ``scheme`` takes), ``label``,
    ``description``, ``example`` (a valid number), ``normalise(text)`` (the
    number as stored) and ``check(text)`` (whether a normalised number is
    valid).  A business uses it with
    ``clientcard fields add KEY --type national-id --option scheme=NAME``.
    """


@hookspec
def clientcard_register_field_presets(register: Callable[[FieldPreset], None]) -> None:
    """Provide ready-made field definitions: ``clientcard fields add [KEY] --preset NAME``.

    Call ``register(preset)`` with a :class:`clientcard.FieldPreset`: its
    ``name``, the ``key`` used when none is given, the field's ``type``,
    ``label``, a ``description`` of the preset, and starting ``choices``,
    ``options`` and ``help``.  The type must be one some enabled plugin
    provides when the business adds the field.
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
    :class:`clientcard.transfer.export.Exporter` subclass.  Its ``write(docs,
    context, out)`` gets the selected customer documents as a stream, the
    columns asked for (``context.columns``, with ``context.value`` and
    ``context.text`` to read them) and a binary file.  ``clientcard export
    --list-formats`` shows every registered exporter.
    """


@hookspec
def clientcard_register_merge_strategies(register: Callable[[MergeStrategy], None]) -> None:
    """Provide merge strategies, used as ``clientcard merge --strategy NAME``.

    Call ``register(strategy)`` with an instance of a
    :class:`clientcard.dedupe.merge.MergeStrategy` subclass.  It decides which
    record survives (``survivor``) and, where records disagree, whose value is
    kept (``pick``); the engine does the rest whatever it decides (tags,
    e-mails and phones unioned, activity moved, losing values kept, undo).
    A business makes one the default with ``[merge] strategy = "NAME"``.
    """


@hookspec
def clientcard_register_action_kinds(register: Callable[[ActionKind], None]) -> None:
    """Provide kinds of action needing attention, listed by ``clientcard actions``.

    Call ``register(kind)`` with an instance of a
    :class:`clientcard.actions.kinds.ActionKind` subclass.  Its pure
    ``find(facts, settings)`` looks at one customer's facts (as rule sets see
    them) and returns the :class:`~clientcard.actions.kinds.Action` items it
    finds; its ``settings_class``, if any, is read from ``[actions.NAME]``.
    """


@hookspec
def clientcard_register_storage_backends(register: Callable[[str, StoreFactory], None]) -> None:
    """Provide storage backends, selected by ``[storage] backend = "NAME"``.

    Call ``register(name, factory)``; ``factory(data_dir, schema)`` returns an
    object implementing :class:`clientcard.core.store.Store` for the workspace's
    data directory.
    """


@hookspec
def clientcard_register_form_collectors(register: Callable[[FormCollector], None]) -> None:
    """Add your own questions to intake forms (``signup``, ``scheduling``, ``contact`` ...).

    Call ``register(collector)`` with an instance of a
    :class:`clientcard.FormCollector` subclass.  Its ``questions(form)``
    returns the :class:`clientcard.FieldDef` questions it adds to that form
    (key, label, type, required, choices, help; none for forms it does not
    serve); its optional ``check(form, answers)`` returns problems across
    answers by field key.  Answers are stored on the card under the question's
    key; a key no field defines becomes a field your plugin provides.  The
    questions appear in ``clientcard forms schema FORM`` and are checked by
    ``clientcard forms submit``.
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
    """A booking, payment, message, marketing event, note, review or membership was
    recorded or updated.

    ``kind`` is ``"booking"``, ``"payment"``, ``"message"``, ``"marketing"``,
    ``"note"``, ``"review"`` or ``"membership"``;
    ``record`` is its stored JSON form; ``created`` is False for an update.
    """


@hookspec
def clientcard_customer_deleted(workspace: Workspace, customer: Customer) -> None:
    """A customer record was deleted; ``customer`` is the record as it was."""


@hookspec
def clientcard_customers_merged(
    workspace: Workspace, survivor: Customer, merged: list[int], merge_id: int
) -> None:
    """Customer records were merged into ``survivor`` (the record after the merge).

    ``merged`` are the ids that no longer exist: point the host's own
    references at ``survivor.id``.  ``merge_id`` names the merge for
    ``clientcard unmerge``.  Called once, after the merge is on disk.
    """


@hookspec
def clientcard_customers_unmerged(
    workspace: Workspace, customers: list[Customer], merge_id: int
) -> None:
    """Merge ``merge_id`` was undone: ``customers`` are the records restored,
    the survivor first, the others back under their own ids."""
