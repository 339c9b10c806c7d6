"""``clientcard fields``: the business's own fields (and the built-in ones)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.core.convert import to_json
from clientcard.core.plugins import FIELD_PRESETS
from clientcard.workspace import Workspace


@click.group("fields")
def command() -> None:
    """Define the fields customer records have."""


def _pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE")
        pairs[name.strip()] = value.strip()
    return pairs


def _option_values(pairs: Mapping[str, str]) -> dict[str, Any]:
    """``--option`` values: JSON when they read as JSON, else text; empty is None (remove)."""
    options: dict[str, Any] = {}
    for name, text in pairs.items():
        if not text:
            options[name] = None
            continue
        try:
            options[name] = json.loads(text)
        except ValueError:
            options[name] = text
    return options


def _with_colours(options: dict[str, Any], colours: Mapping[str, str], base: Any) -> dict[str, Any]:
    """``--colour CHOICE=#RRGGBB`` added to the colours the field (or its preset) has."""
    if colours:
        start = options.get("colours") if "colours" in options else base
        options["colours"] = {**(start if isinstance(start, Mapping) else {}), **colours}
    return options


_OPTION_HELP = (
    "A setting of the field's type, e.g. calendar=jalali or scheme=ir (value read as JSON "
    "when it is JSON; empty removes it); repeat."
)
_COLOUR_HELP = "A colour for a choice, e.g. Instagram=#E1306C; repeat."


@command.command("add")
@click.argument("key", required=False)
@click.option(
    "--type", "type_", help="Field type (see 'clientcard fields types'); required, or --preset."
)
@click.option("--preset", help="Start from a ready-made field (see 'clientcard fields presets').")
@click.option("--label", help="Display name [default: from the key].")
@click.option("--required", is_flag=True, help="New records must have a value.")
@click.option("--choice", "choices", multiple=True, help="An allowed value (choice types); repeat.")
@click.option("--colour", "colours", multiple=True, callback=_pairs, help=_COLOUR_HELP)
@click.option("--option", "option_pairs", multiple=True, callback=_pairs, help=_OPTION_HELP)
@click.option("--form", "forms", multiple=True, help="An intake form that collects it; repeat.")
@click.option("--help-text", default="", help="A hint shown with the field.")
@format_option("text", "json")
@pass_workspace()
def add(
    workspace: Workspace,
    key: str | None,
    type_: str | None,
    preset: str | None,
    label: str | None,
    required: bool,
    choices: tuple[str, ...],
    colours: dict[str, str],
    option_pairs: dict[str, str],
    forms: tuple[str, ...],
    help_text: str,
    fmt: str,
) -> None:
    """Add a custom field KEY (with --preset, KEY defaults to the preset's).

    --format json prints the new definition, as 'fields list --format json' does.
    """
    start = workspace.plugins.registry(FIELD_PRESETS).get(preset) if preset is not None else None
    if key is None:
        if start is None:
            raise click.UsageError("give the field's KEY (or --preset NAME)")
        key = start.key
    if type_ is None and start is None:
        raise click.UsageError("give --type TYPE (or --preset NAME)")
    options = _option_values(option_pairs)
    base = start.options.get("colours") if start is not None else None
    field = workspace.add_field(
        key,
        type=type_,
        label=label,
        required=required,
        choices=choices,
        forms=forms,
        help=help_text,
        options=_with_colours(options, colours, base),
        preset=preset,
    )
    if fmt == "json":
        print_json(to_json(field))
    else:
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
        ("key", "label", "type", "required", "choices", "forms", "built-in", "options"),
        [
            (
                f.key,
                f.label,
                f.type,
                "yes" if f.required else "",
                ", ".join(f.choices),
                ", ".join(f.forms),
                "yes" if f.builtin else "",
                _options_text(f.options),
            )
            for f in fields
        ],
    )


def _options_text(options: Mapping[str, Any]) -> str:
    """Options in a table cell: a mapping (colours) as its size; --format json has it whole."""
    return ", ".join(
        f"{name} ({len(value)})"
        if isinstance(value, Mapping)
        else f"{name}={value if isinstance(value, str) else json.dumps(value)}"
        for name, value in options.items()
    )


@command.command("edit")
@click.argument("key")
@click.option("--label", help="New display name.")
@click.option("--type", "type_", help="New type; existing values are re-checked.")
@click.option("--required/--optional", default=None, help="Whether new records need a value.")
@click.option("--choice", "choices", multiple=True, help="Replace the allowed values; repeat.")
@click.option("--colour", "colours", multiple=True, callback=_pairs, help=_COLOUR_HELP)
@click.option("--option", "option_pairs", multiple=True, callback=_pairs, help=_OPTION_HELP)
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
    colours: dict[str, str],
    option_pairs: dict[str, str],
    forms: tuple[str, ...],
    no_forms: bool,
    help_text: str | None,
) -> None:
    """Change field KEY."""
    options = _option_values(option_pairs)
    if colours:
        options = _with_colours(options, colours, workspace.field(key).options.get("colours"))
    field = workspace.edit_field(
        key,
        label=label,
        type=type_,
        required=required,
        choices=choices or None,
        forms=() if no_forms else (forms or None),
        help=help_text,
        options=options or None,
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


@command.command("presets")
@format_option("table", "json")
@pass_workspace()
def presets(workspace: Workspace, fmt: str) -> None:
    """List the ready-made fields 'fields add --preset NAME' adds."""
    provided = sorted(workspace.field_presets().items())
    if fmt == "json":
        print_json([to_json(p) for _, p in provided])
        return
    print_table(
        ("preset", "key", "type", "label", "choices", "description"),
        [(n, p.key, p.type, p.label, ", ".join(p.choices), p.description) for n, p in provided],
    )
