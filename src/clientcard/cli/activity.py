"""``clientcard bookings|payments|messages|marketing|notes|reviews|memberships``: record,
change and list what a customer's card holds besides its fields.

One command group per activity kind, built from the kind's fields, so the
options always match what the API accepts.
"""

from __future__ import annotations

from typing import Any

import click

from clientcard.actions.kinds import money_text
from clientcard.activity.kinds import KINDS, ActivityKind
from clientcard.cli.context import pass_workspace
from clientcard.cli.customers import parse_assignments, set_option
from clientcard.cli.output import DATE_HELP, format_option, print_json, print_table
from clientcard.core.errors import ClientcardError, NotFoundError
from clientcard.fields import dates
from clientcard.workspace import Workspace

GROUP_NAMES = {
    "booking": "bookings",
    "payment": "payments",
    "message": "messages",
    "note": "notes",
    "review": "reviews",
    "membership": "memberships",
}


def resolve_customer(workspace: Workspace, id: int | None, external_id: str | None) -> int:
    """The customer id from ``--customer`` or ``--customer-external-id``."""
    if (id is None) == (external_id is None):
        raise ClientcardError("give the customer: --customer ID or --customer-external-id X")
    if id is not None:
        return id
    found = workspace.find_customers(external_id=external_id)
    if not found:
        raise NotFoundError(f"no customer with external_id {external_id!r}")
    return found[0].id


def make_group(kind: ActivityKind) -> click.Group:
    name = GROUP_NAMES.get(kind.name, kind.name)

    @click.group(name, help=f"Record and list {name}.")
    def group() -> None:
        pass

    def add(
        workspace: Workspace, customer: int | None, customer_external_id: str | None, **values: Any
    ) -> None:
        cid = resolve_customer(workspace, customer, customer_external_id)
        given = {key: value for key, value in values.items() if value is not None}
        record = workspace.record(kind.name, cid, given)
        click.echo(record["id"])

    add.__doc__ = f"Record a {kind.name} for a customer; print its id."
    command = pass_workspace()(add)
    for field in reversed(
        [f for f in kind.fields if not (kind.name == "booking" and f.key == "start")]
    ):
        option = "--" + field.key.replace("_", "-")
        hint = f"one of: {', '.join(field.choices)}" if field.choices else field.type
        required = field.key in kind.required
        if kind.name == "booking" and field.key == "date":
            hint = f"{DATE_HELP}; or with a time, such as 2025-03-01T10:30"
            required = True
        if kind.status_field == field.key:
            hint += f" [default: {kind.default_status}]"
        # click marks a required option [required] in --help and names it when missing
        command = click.option(
            option, field.key, required=required, help=f"{field.label} ({hint})."
        )(command)
    command = click.option(
        "--customer-external-id", help="The customer, by your system's id (or --customer)."
    )(command)
    command = click.option(
        "--customer", type=int, help="The customer's id (or --customer-external-id)."
    )(command)
    group.command("add")(command)

    @group.command("update")
    @click.argument("id", type=int, required=False)
    @click.option("--external-id", "ref", help=f"Find the {kind.name} by your system's id.")
    @set_option
    @pass_workspace()
    def update(
        workspace: Workspace, id: int | None, ref: str | None, assignments: tuple[str, ...]
    ) -> None:
        """Change a recorded activity (by ID or --external-id)."""
        if not assignments:
            raise ClientcardError("nothing to change: give --set KEY=VALUE")
        record = workspace.update_activity(
            kind.name, id, external_id=ref, values=parse_assignments(assignments)
        )
        click.echo(f"updated {kind.name} {record['id']}")

    update.__doc__ = f"Change a recorded {kind.name}, found by ID or --external-id."

    @group.command("list")
    @click.option("--customer", type=int, help="Only this customer's.")
    @format_option("table", "json")
    @pass_workspace()
    def list_(workspace: Workspace, customer: int | None, fmt: str) -> None:
        records = workspace.activity(kind.name, customer)
        if fmt == "json":
            print_json(records)
            return
        keys = [f.key for f in kind.fields if f.key not in ("body", "start")]
        types = {f.key: f.type for f in kind.fields}
        calendar, zone = workspace.calendar(), workspace.field_context.timezone

        def cell(key: str, value: Any) -> str:
            # dates as the card shows them: the workspace's calendar and time zone
            if types[key] == "date":
                return dates.show_date(value, calendar)
            if types[key] == "datetime":
                return dates.show_moment(value, calendar, zone)
            return money_text(value)

        print_table(
            ("id", "customer", *keys),
            [(r["id"], r["customer_id"], *(cell(k, r.get(k)) for k in keys)) for r in records],
        )

    list_.__doc__ = f"List recorded {name}."
    return group


commands = [make_group(kind) for kind in KINDS.values()]
