"""``clientcard fields``: the business's own fields (and the built-in ones)."""

from __future__ import annotations

import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.core.convert import to_json
from clientcard.core.workspace import Workspace


@click.group("fields")
def command() -> None:
    """Define the fields customer records have."""


@command.command("add")
@click.argument("key")
@click.option("--type", "type_", required=True, help="Field type (see 'clientcard fields types').")
@click.option("--label", help="Display name [default: from the key].")
@click.option("--required", is_flag=True, help="New records must have a value.")
@click.option("--choice", "choices", multiple=True, help="An allowed value (choice types); repeat.")
@click.option("--form", "forms", multiple=True, help="An intake form that collects it; repeat.")
@click.option("--help-text", default="", help="A hint shown with the field.")
@pass_workspace()
def add(
    workspace: Workspace,
    key: str,
    type_: str,
    label: str | None,
    required: bool,
    choices: tuple[str, ...],
    forms: tuple[str, ...],
    help_text: str,
) -> None:
    """Add a custom field KEY."""
    field = workspace.add_field(
        key,
        type=type_,
        label=label,
        required=required,
        choices=choices,
        forms=forms,
        help=help_text,
    )
    click.echo(f"added field {field.key} ({field.type})")
    if required:
        missing = workspace.count_customers()
        if missing:
            click.echo(
                f"note: {missing} existing record(s) have no value for {field.key}; "
                "it is required from now on",
                err=True,
            )


@command.command("list")
@format_option("table", "json")
@pass_workspace()
def list_(workspace: Workspace, fmt: str) -> None:
    """List every field, built-in first."""
    fields = workspace.fields()
    if fmt == "json":
        print_json([to_json(f) for f in fields])
        return
    print_table(
        ("key", "label", "type", "required", "choices", "forms", "built-in"),
        [
            (
                f.key,
                f.label,
                f.type,
                "yes" if f.required else "",
                ", ".join(f.choices),
                ", ".join(f.forms),
                "yes" if f.builtin else "",
            )
            for f in fields
        ],
    )


@command.command("edit")
@click.argument("key")
@click.option("--label", help="New display name.")
@click.option("--type", "type_", help="New type; existing values are re-checked.")
@click.option("--required/--optional", default=None, help="Whether new records need a value.")
@click.option("--choice", "choices", multiple=True, help="Replace the allowed values; repeat.")
@click.option("--form", "forms", multiple=True, help="Replace the intake forms; repeat.")
@click.option("--no-forms", is_flag=True, help="Collect it on no intake form.")
@click.option("--help-text", default=None, help="A hint shown with the field.")
@pass_workspace()
def edit(
    workspace: Workspace,
    key: str,
    label: str | None,
    type_: str | None,
    required: bool | None,
    choices: tuple[str, ...],
    forms: tuple[str, ...],
    no_forms: bool,
    help_text: str | None,
) -> None:
    """Change field KEY."""
    field = workspace.edit_field(
        key,
        label=label,
        type=type_,
        required=required,
        choices=choices or None,
        forms=() if no_forms else (forms or None),
        help=help_text,
    )
    click.echo(f"updated field {field.key} ({field.type})")


@command.command("remove")
@click.argument("key")
@click.option("--force", is_flag=True, help="Also delete the values records hold.")
@pass_workspace()
def remove(workspace: Workspace, key: str, force: bool) -> None:
    """Remove custom field KEY."""
    held = workspace.remove_field(key, force=force)
    suffix = f"; cleared its value in {held} record(s)" if held else ""
    click.echo(f"removed field {key}{suffix}")


@command.command("types")
@format_option("table", "json")
@pass_workspace()
def types(workspace: Workspace, fmt: str) -> None:
    """List the field types the installed plugins provide."""
    provided = sorted(workspace.field_types().items())
    if fmt == "json":
        print_json(
            [{"name": n, "label": t.label, "description": t.description} for n, t in provided]
        )
        return
    print_table(
        ("type", "label", "description"), [(n, t.label, t.description) for n, t in provided]
    )
