"""``clientcard customers``: add, show, edit, list and delete customer records."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.duplicates import describe_look_alikes
from clientcard.cli.output import (
    DATE_HELP,
    Whole,
    as_of_option,
    format_option,
    print_csv,
    print_json,
    print_pairs,
    print_table,
)
from clientcard.cli.selection import (
    changed_records,
    dry_flag,
    ids_text,
    selection_options,
    with_ids,
)
from clientcard.core.errors import ClientcardError, LikelyDuplicateError
from clientcard.core.fields import FieldSchema
from clientcard.core.model import Customer
from clientcard.fields.dates import show_date, show_dates_in
from clientcard.find.selection import Selection
from clientcard.workspace import Workspace


def parse_assignments(pairs: tuple[str, ...], *, option: str = "--set") -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; a pair without ``=`` is an error naming it."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ClientcardError(f"{option} {pair!r}: expected KEY=VALUE, e.g. {option} city=Roma")
        values[key.strip()] = value
    return values


#: ``--set KEY=VALUE``, repeatable: built-in or custom field values.
set_option = click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="A field value; repeat for more.",
)


@click.group("customers")
def command() -> None:
    """Add, show, edit, list and delete customers."""


@command.command("add")
@click.option("--name", required=True, help="Full name.")
@click.option("--email", help="E-mail address.")
@click.option("--phone", help="Phone number (E.164, or local to workspace.region).")
@click.option("--external-id", help="Your booking system's id for this customer (unique).")
@click.option("--joined-at", metavar="DATE", help=f"Date joined ({DATE_HELP}) [default: today].")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@set_option
@click.option(
    "--reject-duplicates",
    is_flag=True,
    help="Refuse a customer who looks like one already stored (else: a warning).",
)
@format_option("id", "json")
@pass_workspace()
def add(
    workspace: Workspace,
    name: str,
    email: str | None,
    phone: str | None,
    external_id: str | None,
    joined_at: str | None,
    tags: tuple[str, ...],
    assignments: tuple[str, ...],
    reject_duplicates: bool,
    fmt: str,
) -> None:
    """Add a customer and print its id (alone, for scripts); --format json prints the
    new record instead.

    A customer who looks like one already stored (same e-mail or phone with a
    similar name...; see 'clientcard duplicates') is added with a warning on
    stderr naming that customer, or refused with --reject-duplicates.
    """
    fields = parse_assignments(assignments)
    # one write: the customers compared are exactly those the new one joins
    with workspace.batch():
        look_alikes = workspace.similar_customers(
            {**fields, "name": name, "email": email, "phone": phone}
        )
        if look_alikes and reject_duplicates:
            raise LikelyDuplicateError(
                f"not added: the new customer looks like {describe_look_alikes(look_alikes)} "
                "(--reject-duplicates)",
                tuple(look_alikes),
            )
        customer = workspace.add_customer(
            name,
            email=email,
            phone=phone,
            external_id=external_id,
            joined_at=joined_at,
            tags=tags,
            fields=fields,
        )
    for found in look_alikes:
        click.echo(
            f"warning: the new customer {customer.id} looks like {found.describe()}", err=True
        )
    if fmt == "json":
        print_json(Workspace.to_json(customer))
    else:
        click.echo(customer.id)


@command.command("show")
@click.argument("id", type=int)
@format_option("table", "json")
@pass_workspace()
def show(workspace: Workspace, id: int, fmt: str) -> None:
    """Show one customer's card: status, fields, analytics, activity, notes, documents,
    reviews, referrals, related people and memberships."""
    from clientcard.cli.card import print_card

    data = workspace.card(id)
    if fmt == "json":
        print_json({**data["customer"], "card": {k: v for k, v in data.items() if k != "customer"}})
        return
    print_card(data, workspace)


@command.command("edit")
@click.argument("ids", nargs=-1, type=int)
@set_option
@click.option(
    "--unset", "unset", multiple=True, metavar="KEY", help="Clear a field; repeat for more."
)
@selection_options
@click.option("--dry-run", is_flag=True, help="Show how many would change; change nothing.")
@format_option("text", "json")
@pass_workspace()
def edit(
    workspace: Workspace,
    ids: tuple[int, ...],
    assignments: tuple[str, ...],
    unset: tuple[str, ...],
    selection: Selection,
    dry_run: bool,
    fmt: str,
) -> None:
    """Change field values of customers: by ID, or every one the filters select.

    One write: if any selected customer refuses a value, none is changed.
    --format json prints {"updated": N, "customers": [each changed record, as now]}.
    """
    if not assignments and not unset:
        raise ClientcardError("nothing to change: give --set KEY=VALUE or --unset KEY")
    one = len(ids) == 1 and selection.is_empty()
    selection = _chosen(selection, ids, "edit")
    values = parse_assignments(assignments)
    changed, records = changed_records(
        workspace,
        selection,
        lambda: workspace.update_customers(selection, values, unset=unset),
        wanted=fmt == "json",
        dry_run=dry_run,
    )
    if fmt == "json":
        print_json({"updated": changed, "customers": records} | dry_flag(dry_run))
    elif dry_run:
        click.echo(f"would change {changed} customer(s): {ids_text([r['id'] for r in records])}")
    else:
        click.echo(f"updated customer {ids[0]}" if one else f"updated {changed} customer(s)")


def _chosen(selection: Selection, ids: tuple[int, ...], verb: str) -> Selection:
    """IDs and filters together; refuse to act on everyone by accident."""
    if not ids and selection.is_empty():
        raise ClientcardError(
            f"no customer selected: give IDs or filters (--status, --tag, --where ...) to {verb}"
        )
    return with_ids(selection, ids)


def _row(customer: Customer, schema: FieldSchema) -> tuple[Any, ...]:
    # shown as the card shows them (the fields' own text): phones in the readable
    # international form, the join date in the workspace's calendar
    return (
        customer.id,
        customer.name,
        customer.email,
        Whole(schema.render("phone", customer.phone)),
        schema.render("joined_at", customer.joined_at.isoformat() if customer.joined_at else None),
        customer.status,
        ", ".join(customer.tags),
    )


@command.command("list")
@selection_options
@click.option("--sort", metavar="FIELD[:desc]", help="Order by a field, e.g. joined_at:desc.")
@click.option("--limit", type=click.IntRange(min=0), help="Show at most this many.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many first.")
@click.option("--count", "count_only", is_flag=True, help="Print how many match, nothing else.")
@format_option("table", "json", "csv")
@pass_workspace()
def list_(
    workspace: Workspace,
    selection: Selection,
    sort: str | None,
    limit: int | None,
    offset: int,
    count_only: bool,
    fmt: str,
) -> None:
    """List customers: every one, or those the filters select (docs/filters.md)."""
    if count_only:
        click.echo(len(workspace.select(selection)))
        return
    if fmt in ("json", "csv"):
        docs = workspace.customers_json(selection, sort=sort, limit=limit, offset=offset)
        if fmt == "json":
            print_json(docs)
        else:
            print_csv(workspace, docs)
        return
    customers = workspace.customers(selection, sort=sort, limit=limit, offset=offset)
    schema = workspace.schema()
    print_table(
        ("id", "name", "email", "phone", "joined", "status", "tags"),
        [_row(c, schema) for c in customers],
        keep=("phone",),
        drop=("tags", "joined", "status"),
    )


@command.command("delete")
@click.argument("ids", nargs=-1, type=int)
@selection_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="List who would be deleted; delete nothing.")
@format_option("text", "json")
@pass_workspace()
def delete(
    workspace: Workspace,
    ids: tuple[int, ...],
    selection: Selection,
    yes: bool,
    dry_run: bool,
    fmt: str,
) -> None:
    """Delete customers by ID, or every one the filters select, with their activity.

    --format json prints {"deleted": N, "customers": [each record as it was]}.
    """
    selection = _chosen(selection, ids, "delete")
    chosen = workspace.select(selection)  # an unknown id is reported before asking
    if not chosen:
        raise ClientcardError("no customer selected: none matches the filters; nothing deleted")
    if not (yes or dry_run):
        click.confirm(f"Delete {_who(workspace, chosen)}?", abort=True)
    if dry_run:
        with workspace.preview():
            deleted = workspace.delete_selected(selection)
    else:
        deleted = workspace.delete_selected(selection)
    if fmt == "json":
        gone = [Workspace.to_json(c) for c in deleted]
        print_json({"deleted": len(deleted), "customers": gone} | dry_flag(dry_run))
    elif dry_run:
        click.echo(f"would delete {len(deleted)} customer(s): {ids_text([c.id for c in deleted])}")
    else:
        click.echo(f"deleted {len(deleted)} customer(s)")


def _who(workspace: Workspace, ids: list[int], most: int = 3) -> str:
    """How many customers and which: "2 customers: Ana Rossi (1), Bruno Verdi (2)",
    the first few by name, then "and N more"."""
    named = ", ".join(f"{workspace.get_customer(id).name} ({id})" for id in ids[:most])
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return f"{len(ids)} customer{'' if len(ids) == 1 else 's'}: {named}{more}"


@command.command("status")
@click.argument("args", nargs=-1, metavar="[STATUS] [ID]...")
@click.option("--dimension", default="status", show_default=True, help="status or tier.")
@click.option("--unpin", is_flag=True, help="Hand the customers back to automation (no STATUS).")
@click.option("--reason", default="set by hand", help="Why, kept in the history.")
@selection_options
@click.option("--dry-run", is_flag=True, help="List who would change; change nothing.")
@pass_workspace()
def status(
    workspace: Workspace,
    args: tuple[str, ...],
    dimension: str,
    unpin: bool,
    reason: str,
    selection: Selection,
    dry_run: bool,
) -> None:
    """Set STATUS on customers by hand and pin it, or --unpin them.

    Customers are given by ID, or selected by filters (bulk change, e.g. every
    lead to client: 'customers status client --status lead').  A pinned status
    is never changed by classification.
    """
    if not unpin and not args:
        raise ClientcardError("give the STATUS to set (or --unpin), then IDs or filters")
    label, given = (None, args) if unpin else (args[0], args[1:])
    ids = []
    for id in given:
        if not id.isdigit():
            raise ClientcardError(f"{id!r} is not a customer id (a whole number)")
        ids.append(int(id))
    chosen = _chosen(selection, tuple(ids), "change")
    numbers = workspace.select(chosen)
    if not numbers:
        raise ClientcardError("no customer selected: none matches the filters; nothing changed")
    with workspace.preview() if dry_run else contextlib.nullcontext():
        if label is None:
            changes = workspace.unpin(chosen, dimension=dimension)
        else:
            changes = workspace.set_status(chosen, label, dimension=dimension, reason=reason)
    if dry_run:
        what = "unpin" if label is None else f"set {dimension} {label} on"
        click.echo(
            f"would {what} {len(numbers)} customer(s): {ids_text(numbers)}; "
            f"{len(changes)} would change"
        )
    elif label is None:
        click.echo(f"unpinned {len(numbers)} customer(s); {len(changes)} status change(s)")
    else:
        click.echo(f"set {dimension} {label} on {len(numbers)} customer(s); {len(changes)} changed")


@command.command("explain")
@click.argument("id", type=int)
@as_of_option
@format_option("table", "json")
@pass_workspace()
def explain(workspace: Workspace, id: int, as_of: date | None, fmt: str) -> None:
    """Why customer ID has its status: facts, the deciding rule, the history."""
    data = workspace.explain(id, as_of=as_of)
    if fmt == "json":
        print_json(data)
        return
    # every date in the workspace's calendar, those in the rule sets' reasons too
    calendar = workspace.calendar()
    as_of_shown = show_date(data["as_of"], calendar)
    print_pairs(
        [
            (k, show_date(v, calendar) if isinstance(v, str) else v)
            for k, v in data["facts"].items()
        ],
        title=f"facts of customer {id} as of {as_of_shown}",
    )
    for dimension, part in data["dimensions"].items():
        if part["rule_set"] is None and part["status"] is None:
            continue
        decision = part["decision"] or {}
        click.echo(
            f"{dimension}: {part['status']}"
            + (" (pinned: set by hand)" if part["pinned"] else "")
            + (f"; since {show_date(part['since'][:10], calendar)}" if part["since"] else "")
        )
        if decision:
            click.echo(
                f"  {part['rule_set']} says {decision['status']} as of {as_of_shown} "
                f"(rule {decision['rule']}): {show_dates_in(decision['reason'], calendar)}"
            )
        if not part["up_to_date"]:
            click.echo(
                f"  the stored {dimension} comes from a classification as of another day; "
                f"'clientcard classify' sets what {part['rule_set']} says as of today"
            )
    if data["history"]:
        print_table(
            ("as of", "dimension", "from", "to", "how", "why"),
            [
                (
                    show_date(h["as_of"], calendar),
                    h["dimension"],
                    h["from"] or "",
                    h["to"],
                    h["mode"],
                    show_dates_in(h["reason"], calendar),
                )
                for h in data["history"]
            ],
            title="history",
        )
