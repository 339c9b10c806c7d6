"""``clientcard relationships|referrals|documents``: what links a card to people and files.

Notes, reviews and memberships are recorded like activity (``clientcard notes
add --customer ID --text ...``, see cli/activity.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from clientcard.actions.kinds import money_text
from clientcard.cli.context import pass_workspace
from clientcard.cli.output import Whole, format_option, print_json, print_table
from clientcard.fields import dates
from clientcard.workspace import Workspace


@click.group("relationships")
def relationships() -> None:
    """Link customers: family, colleague, friend, or a kind of your own."""


@relationships.command("add")
@click.argument("customer", type=int)
@click.argument("other", type=int)
@click.option(
    "--kind", required=True, help="family, colleague, friend, or [card] relationship_kinds."
)
@click.option("--note", help="A note on the link.")
@pass_workspace()
def link(workspace: Workspace, customer: int, other: int, kind: str, note: str | None) -> None:
    """Link CUSTOMER and OTHER; print the relationship's id."""
    click.echo(workspace.link_customers(customer, other, kind, note=note)["id"])


@relationships.command("list")
@click.argument("customer", type=int)
@format_option("table", "json")
@pass_workspace()
def list_relationships(workspace: Workspace, customer: int, fmt: str) -> None:
    """A customer's relationships, from that customer's side."""
    found = workspace.relationships(customer)
    if fmt == "json":
        print_json(found)
        return
    print_table(
        ("id", "kind", "customer", "name", "note"),
        [(r["id"], r["kind"], r["customer_id"], r["name"] or "", r["note"] or "") for r in found],
    )


@relationships.command("remove")
@click.argument("relationship_id", type=int)
@pass_workspace()
def unlink(workspace: Workspace, relationship_id: int) -> None:
    """Remove a relationship."""
    workspace.unlink(relationship_id)
    click.echo(f"removed relationship {relationship_id}")


@click.group("referrals")
def referrals() -> None:
    """Who referred whom."""


@referrals.command("add")
@click.argument("referrer", type=int)
@click.argument("customer", type=int)
@click.option("--note", help="A note on the referral.")
@pass_workspace()
def refer(workspace: Workspace, referrer: int, customer: int, note: str | None) -> None:
    """Record that REFERRER referred CUSTOMER; print the referral's id."""
    click.echo(workspace.add_referral(referrer, customer, note=note)["id"])


@referrals.command("list")
@click.argument("customer", type=int)
@format_option("table", "json")
@pass_workspace()
def list_referrals(workspace: Workspace, customer: int, fmt: str) -> None:
    """Who referred a customer, and whom they referred."""
    found = workspace.referrals(customer)
    if fmt == "json":
        print_json(found)
        return
    by = found["referred_by"]
    rows = [("referred by", by["customer_id"], by["name"] or "", by["id"])] if by else []
    rows += [("referred", r["customer_id"], r["name"] or "", r["id"]) for r in found["referred"]]
    print_table(("", "customer", "name", "referral"), rows)


@referrals.command("remove")
@click.argument("referral_id", type=int)
@pass_workspace()
def remove_referral(workspace: Workspace, referral_id: int) -> None:
    """Remove a referral."""
    workspace.remove_referral(referral_id)
    click.echo(f"removed referral {referral_id}")


@click.group("documents")
def documents() -> None:
    """Files on a customer's card, kept inside the workspace."""


@documents.command("add")
@click.argument("customer", type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", help="The name to keep [default: the file's].")
@click.option("--type", "type_", help="Its media type [default: guessed from the name].")
@click.option("--note", help="A note on the document.")
@pass_workspace()
def attach(
    workspace: Workspace,
    customer: int,
    file: Path,
    name: str | None,
    type_: str | None,
    note: str | None,
) -> None:
    """Attach FILE to a customer's card; print the document's id."""
    doc = workspace.attach_document(customer, file, name=name, type=type_, note=note)
    click.echo(doc["id"])


@documents.command("list")
@click.argument("customer", type=int)
@format_option("table", "json")
@pass_workspace()
def list_documents(workspace: Workspace, customer: int, fmt: str) -> None:
    """A customer's documents."""
    found = workspace.documents(customer)
    if fmt == "json":
        print_json(found)
        return
    print_table(
        ("id", "name", "type", "bytes", "added"),
        [(d["id"], d["name"], d["type"], d["size"], workspace.show_date(d["at"])) for d in found],
    )


@documents.command("get")
@click.argument("document_id", type=int)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("."),
    help="A new file, or a directory [default: the current directory].",
)
@pass_workspace()
def get(workspace: Workspace, document_id: int, output: Path) -> None:
    """Write a copy of a document out; print where."""
    click.echo(workspace.save_document(document_id, output))


@documents.command("delete")
@click.argument("document_id", type=int)
@pass_workspace()
def delete(workspace: Workspace, document_id: int) -> None:
    """Remove a document from its card."""
    workspace.delete_document(document_id)
    click.echo(f"deleted document {document_id}")


commands = (relationships, referrals, documents)


def print_card(data: dict[str, Any], workspace: Workspace) -> None:
    """``clientcard customers show``: the card, section by section (empty ones left out).

    Dates are shown in the workspace's calendar, date-times to the minute in
    its time zone, phones in the international form: as ``customers list``.
    """
    customer, main, numbers = data["customer"], data["main"], data["analytics"]
    schema = workspace.schema()
    calendar, zone = workspace.calendar(), workspace.field_context.timezone

    def day(value: Any) -> str:
        return dates.show_date(value, calendar)

    def moment(value: Any) -> str:
        return dates.show_moment(value, calendar, zone)

    status = main["status"] or "-"
    if main["pinned"]:
        status += " (set by hand)"
    if main["status_since"]:
        status += f" since {day(main['status_since'][:10])}"
    pairs: list[tuple[str, Any]] = [("id", customer["id"]), ("Status", status)]
    if main["tier"]:
        pairs.append(("Tier", f"{main['tier']}: {main['tier_reason'] or ''}".rstrip(": ")))
    pairs += [("Important", n["text"]) for n in main["important_notes"]]
    print_table(("", ""), pairs, title=f"{customer['name']} (customer {customer['id']})")
    for group, fields in data["info"].items():
        rows = [
            (f["label"], Whole(f["text"]) if schema.get(f["key"]).type == "phone" else f["text"])
            for f in fields
            if f["value"] not in (None, "", [])
        ]
        if group == "Contact":
            rows += [("Tags", ", ".join(customer["tags"]))] if customer["tags"] else []
            for label, key, type_ in OTHERS:
                if customer.get(key):
                    shown = ", ".join(schema.render(type_, v) for v in customer[key])
                    rows.append((label, Whole(shown) if type_ == "phone" else shown))
        if rows:
            print_table(("field", "value"), rows, title=group)
    print_table(
        ("", ""),
        [
            ("Total spent", money_text(numbers["total_spent"])),
            *[
                ("  not added", f"{money_text(left['amount'])}: {left['why']}")
                for left in numbers["left_out"]
            ],
            ("Completed visits", numbers["completed_visits"]),
            ("Average spend", money_text(numbers["average_spend"])),
            (
                "First / last visit",
                f"{day(numbers['first_visit']) or '-'} / {day(numbers['last_visit']) or '-'}",
            ),
            ("Next booking", day(numbers["next_booking"]) or "-"),
            (
                "No-show rate",
                "-" if numbers["no_show_rate"] is None else f"{numbers['no_show_rate']:.0%}",
            ),
            ("Overdue", money_text(numbers["overdue_amount"])),
        ],
        title="Analytics",
    )
    bookings = [("upcoming", b) for b in data["bookings"]["upcoming"]]
    bookings += [("past", b) for b in data["bookings"]["past"]]
    _section(
        "Bookings",
        ("", "date", "status", "service", "staff", "amount"),
        [
            (
                w,
                day(b["date"]),
                b["status"],
                b.get("service"),
                b.get("staff"),
                money_text(b.get("amount")),
            )
            for w, b in bookings
        ],
    )
    payments = [("overdue", p) for p in data["payments"]["overdue"]]
    payments += [("received", p) for p in data["payments"]["received"]]
    payments += [(p.get("status") or "", p) for p in data["payments"]["other"]]
    _section(
        "Payments",
        ("", "amount", "due", "paid", "reference"),
        [
            (
                w,
                money_text(p.get("amount")),
                day(p.get("due_date")),
                moment(p.get("paid_at")),
                p.get("reference"),
            )
            for w, p in payments
        ],
    )
    _section(
        "Conversations",
        ("at", "channel", "direction", "subject"),
        [
            (
                moment(m.get("at") or m["recorded_at"]),
                m.get("channel"),
                m.get("direction"),
                m.get("subject") or (m.get("body") or "")[:60],
            )
            for m in data["conversations"]
        ],
    )
    _section(
        "Notes",
        ("id", "at", "author", "text"),
        [
            (
                n["id"],
                moment(n["recorded_at"]),
                n.get("author"),
                ("(pinned) " if n.get("pinned") else "") + n["text"],
            )
            for n in data["notes"]
        ],
    )
    _section(
        "Documents",
        ("id", "name", "type", "bytes"),
        [(d["id"], d["name"], d["type"], d["size"]) for d in data["documents"]],
    )
    reviews = [("order", r) for r in data["reviews"]["order"]]
    reviews += [("staff", r) for r in data["reviews"]["staff"]]
    _section(
        "Reviews",
        ("about", "rating", "staff", "text"),
        [(w, f"{r['rating']}/5", r.get("staff"), r.get("text")) for w, r in reviews],
    )
    referrals = data["referrals"]
    links: list[tuple[Any, ...]] = []
    if referrals["referred_by"]:
        by = referrals["referred_by"]
        links.append(("referred by", by["customer_id"], by["name"]))
    links += [("referred", r["customer_id"], r["name"]) for r in referrals["referred"]]
    _section("Referrals", ("", "customer", "name"), links)
    _section(
        "Related people",
        ("kind", "customer", "name"),
        [(r["kind"], r["customer_id"], r["name"]) for r in data["related"]],
    )
    _section(
        "Memberships",
        ("plan", "start", "end", "state"),
        [(m["plan"], day(m["start"]), day(m.get("end")), m["state"]) for m in data["memberships"]],
    )


#: (label, customer key, field key whose type shows each value)
OTHERS = (("Other e-mails", "other_emails", "email"), ("Other phones", "other_phones", "phone"))


def _section(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    if rows:
        print_table(columns, rows, title=title)
