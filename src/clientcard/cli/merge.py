"""``clientcard merge``, ``merges list|show`` and ``unmerge``."""

from __future__ import annotations

from typing import Any

import click

from clientcard.cli.context import pass_workspace
from clientcard.cli.output import format_option, print_json, print_table
from clientcard.core.fields import FieldSchema
from clientcard.dedupe.merge import MergePlan
from clientcard.dedupe.service import MergeRecord, MergeResult
from clientcard.workspace import Workspace


@click.command("merge")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--strategy", metavar="NAME", help="A merge strategy [default: [merge] strategy].")
@click.option("--into", type=int, metavar="ID", help="The record that survives.")
@click.option(
    "--dry-run", is_flag=True, help="Show the merged record, field by field; write nothing."
)
@format_option("table", "json")
@pass_workspace()
def merge(
    workspace: Workspace,
    ids: tuple[int, ...],
    strategy: str | None,
    into: int | None,
    dry_run: bool,
    fmt: str,
) -> None:
    """Merge customers ID ID... into one; nothing is lost, and 'unmerge' undoes it."""
    result = workspace.merge(ids, strategy=strategy, into=into, dry_run=dry_run)
    schema = workspace.schema()
    if fmt == "json":
        print_json(result_json(result, schema, dry_run=dry_run))
        return
    decided = result.plan
    merged = ", ".join(map(str, decided.merged))
    title = (
        f"would merge {merged} into {decided.survivor} ({decided.strategy})"
        if dry_run
        else f"merge {result.merge_id}: merged {merged} into {decided.survivor} "
        f"({decided.strategy})"
    )
    print_table(("field", "value", "from", "not kept"), _rows(decided, schema), title=title)
    moved = ", ".join(f"{count} {name}" for name, count in result.moved.items() if count)
    verb = "would move" if dry_run else "moved"
    click.echo(f"{verb} to {decided.survivor}: {moved or 'nothing'}")
    if not dry_run:
        status = result.survivor.status or "-"
        click.echo(f"status: {status}; undo with: clientcard unmerge {result.merge_id}")


def _rows(decided: MergePlan, schema: FieldSchema) -> list[tuple[str, str, str, str]]:
    def text(key: str, raw: Any) -> str:
        return schema.render(key, raw) if key in schema.defs else str(raw)

    rows: list[tuple[str, str, str, str]] = []
    for planned in decided.values:
        if planned.value is None and not planned.lost:
            continue
        label = schema.defs[planned.key].label if planned.key in schema.defs else planned.key
        source = "added up" if planned.source is None and planned.value is not None else ""
        rows.append(
            (
                label,
                text(planned.key, planned.value) if planned.value is not None else "",
                source or str(planned.source or ""),
                "; ".join(f"{text(planned.key, v.value)} ({v.customer_id})" for v in planned.lost),
            )
        )
    rows += [
        ("Tags", ", ".join(decided.tags), "all", ""),
        ("Other e-mails", ", ".join(decided.other_emails), "all", ""),
        ("Other phones", ", ".join(text("phone", v) for v in decided.other_phones), "all", ""),
    ]
    for dimension, (value, holder) in decided.pinned.items():
        rows.append((f"{dimension.capitalize()} (pinned)", value or "", str(holder), ""))
    return rows


def result_json(result: MergeResult, schema: FieldSchema, *, dry_run: bool) -> dict[str, Any]:
    """The JSON of ``clientcard merge --format json``."""
    decided = result.plan
    return {
        "merge_id": result.merge_id,
        "dry_run": dry_run,
        "strategy": decided.strategy,
        "survivor": decided.survivor,
        "merged": list(decided.merged),
        "fields": [
            {
                "key": planned.key,
                "label": schema.defs[planned.key].label if planned.key in schema.defs else "",
                "value": planned.value,
                "from": planned.source,
                "lost": [{"value": v.value, "from": v.customer_id} for v in planned.lost],
            }
            for planned in decided.values
        ],
        "tags": list(decided.tags),
        "other_emails": list(decided.other_emails),
        "other_phones": list(decided.other_phones),
        "pinned": {d: {"value": v, "from": s} for d, (v, s) in decided.pinned.items()},
        "moved": result.moved,
        "customer": Workspace.to_json(result.survivor),
    }


@click.group("merges")
def merges() -> None:
    """Merges done so far: list them, show one."""


def _record_json(record: MergeRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at.isoformat(),
        "strategy": record.strategy,
        "survivor": record.survivor,
        "merged": list(record.merged),
        "undone_at": None if record.undone_at is None else record.undone_at.isoformat(),
    }


@merges.command("list")
@format_option("table", "json")
@pass_workspace()
def list_merges(workspace: Workspace, fmt: str) -> None:
    """Every merge: id, time, strategy, survivor, merged-away ids, whether undone."""
    found = workspace.merges()
    if fmt == "json":
        print_json([_record_json(record) for record in found])
        return
    print_table(
        ("id", "at", "strategy", "survivor", "merged", "undone"),
        [
            (
                r.id,
                workspace.show_date(r.at),
                r.strategy,
                r.survivor,
                " ".join(map(str, r.merged)),
                workspace.show_date(r.undone_at),
            )
            for r in found
        ],
    )


@merges.command("show")
@click.argument("merge_id", type=int)
@pass_workspace()
def show_merge(workspace: Workspace, merge_id: int) -> None:
    """The whole merge record as JSON: the records as they were, every value not kept."""
    print_json(workspace.merge_details(merge_id))


@click.command("unmerge")
@click.argument("merge_id", type=int)
@format_option("table", "json")
@pass_workspace()
def unmerge(workspace: Workspace, merge_id: int, fmt: str) -> None:
    """Undo merge MERGE_ID: the records come back as they were, under their own ids."""
    restored = workspace.unmerge(merge_id)
    if fmt == "json":
        print_json([Workspace.to_json(customer) for customer in restored])
        return
    ids = " ".join(str(customer.id) for customer in restored)
    click.echo(f"undid merge {merge_id}: customers {ids} restored")


commands = (merge, merges, unmerge)
