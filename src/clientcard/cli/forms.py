"""``clientcard forms``: intake forms for a website: list, JSON Schema, submit."""

from __future__ import annotations

from typing import IO, Any

import click
import orjson

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.core.errors import ClientcardError, FormError
from clientcard.forms.intake import FormResult
from clientcard.workspace import Workspace


@click.group("forms")
def command() -> None:
    """Intake forms a website widget renders: what they ask, their schema, submissions.

    Forms are declared in clientcard.toml as [forms.NAME] tables; a field joins
    a form with 'clientcard fields add KEY --form NAME' (docs/forms.md).
    """


@command.command("list")
@format_option("table", "json")
@pass_workspace()
def list_(workspace: Workspace, fmt: str) -> None:
    """List the forms with the fields each asks (* marks a required one)."""
    forms = workspace.forms()
    if fmt == "json":
        print_json([form.to_json() for form in forms])
        return
    print_table(
        ("form", "title", "fields"),
        [
            (
                form.name,
                form.title,
                ", ".join(f"{f.key}*" if f.required else f.key for f in form.fields),
            )
            for form in forms
        ],
    )


@command.command("schema")
@click.argument("form")
@pass_workspace()
def schema(workspace: Workspace, form: str) -> None:
    """Print FORM as a JSON Schema (2020-12) for a website widget to render and validate."""
    print_json(workspace.form_schema(form))


@command.command("submit")
@click.argument("form")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check and match only; write nothing.")
@format_option("text", "json")
@pass_workspace()
def submit(workspace: Workspace, form: str, file: IO[bytes], dry_run: bool, fmt: str) -> None:
    """Check the answers in FILE (a JSON object; - for stdin) and create or update a card.

    The card whose e-mail address, else phone number, matches is updated;
    otherwise a card is created.  Problems are reported for every field at
    once (as {"errors": {FIELD: PROBLEM}} with --format json), exit status 1,
    and nothing is written.
    """
    answers = _read_answers(file)
    try:
        result = workspace.submit_form(form, answers, dry_run=dry_run)
    except FormError as exc:
        if fmt == "json":
            print_json({"form": exc.form, "errors": exc.errors})
        else:
            for key, problem in exc.errors.items():
                click.echo(f"error: {key}: {problem}", err=True)
        click.get_current_context().exit(1)
    if fmt == "json":
        print_json(_result_json(workspace, result))
        return
    click.echo(_describe(result))


def _read_answers(file: IO[bytes]) -> Any:
    name = getattr(file, "name", "-")
    try:
        answers = orjson.loads(file.read())
    except orjson.JSONDecodeError as exc:
        raise ClientcardError(f"{name}: not valid JSON: {exc}") from None
    if not isinstance(answers, dict):
        raise ClientcardError(
            f"{name}: expected a JSON object of answers by field key, such as "
            '{"name": "Ann", "email": "ann@example.com"}'
        )
    return answers


def _result_json(workspace: Workspace, result: FormResult) -> dict[str, Any]:
    customer = result.customer
    return {
        "form": result.form,
        "id": None if customer is None else customer.id,
        "created": result.created,
        "matched_by": result.matched_by,
        "dry_run": result.dry_run,
        "answers": dict(result.answers),
        "customer": None if customer is None else workspace.to_json(customer),
    }


def _describe(result: FormResult) -> str:
    matched = f", matched by {result.matched_by}" if result.matched_by else ""
    if result.dry_run:
        if result.customer is None:
            return f"would create a customer (form {result.form}); nothing written"
        return (
            f"would update customer {result.customer.id} ({result.customer.name}){matched}; "
            "nothing written"
        )
    assert result.customer is not None
    done = "created" if result.created else "updated"
    return f"{done} customer {result.customer.id} ({result.customer.name}){matched}"
