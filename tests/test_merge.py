"""Merging customers: the strategies, the engine's guarantees, undo, events and the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from tests.conftest import RunCLI

from clientcard import (
    Candidate,
    Customer,
    FieldValue,
    MergeError,
    MergeStrategy,
    NotFoundError,
    ValidationError,
    Workspace,
    hookimpl,
)
from clientcard.core.convert import from_json


def customers_table(ws: Workspace) -> dict[int, dict[str, Any]]:
    return {c.id: ws.to_json(c) for c in ws.customers()}


def everything(ws: Workspace, ids: Sequence[int]) -> dict[str, Any]:
    """The records and all they own, as the API shows them."""
    return {
        "customers": {id: ws.to_json(ws.get_customer(id)) for id in ids},
        "bookings": {id: ws.activity("booking", id) for id in ids},
        "payments": {id: ws.activity("payment", id) for id in ids},
        "messages": {id: ws.activity("message", id) for id in ids},
        "history": {id: ws.status_history(id) for id in ids},
    }


@pytest.fixture
def family(workspace: Workspace) -> list[Customer]:
    """Three records of one person: the second is the most complete."""
    workspace.add_field("opening_total", type="money", label="Opening total")
    workspace.add_field("city", type="text", label="City")
    workspace.add_field("allergies", type="text", label="Allergies")
    ann = workspace.add_customer(
        "Ann Lee",
        email="ann@example.com",
        phone="347 123 4567",
        tags=["vip"],
        fields={"opening_total": "10 EUR", "city": "Roma"},
        joined_at="2024-03-01",
    )
    anne = workspace.add_customer(
        "Anne Lee",
        email="anne.lee@example.org",
        external_id="H-2",
        tags=["VIP", "promo"],
        fields={"opening_total": "5.50 EUR", "city": "Milano", "allergies": "latex"},
        joined_at="2024-06-01",
    )
    a = workspace.add_customer("A. Lee", phone="06 1234 5678", joined_at="2025-01-01")
    return [ann, anne, a]


def test_most_complete_keeps_the_fullest_record_and_fills_its_blanks(
    workspace: Workspace, family: list[Customer]
) -> None:
    ann, anne, a = family
    result = workspace.merge([ann.id, anne.id, a.id])
    assert result.plan.strategy == "most-complete"
    survivor = workspace.get_customer(anne.id)
    assert result.survivor == survivor
    assert result.plan.survivor == anne.id and result.plan.merged == (ann.id, a.id)
    assert survivor.name == "Anne Lee"  # its values win
    assert survivor.email == "anne.lee@example.org"
    assert survivor.fields["city"] == "Milano"
    assert survivor.phone == "+393471234567"  # its blank filled from the first given
    assert survivor.external_id == "H-2"
    assert survivor.joined_at.isoformat() == "2024-03-01"  # the earliest
    # unions: tags once each (case-insensitively), every address and number
    assert survivor.tags == ("vip", "promo")  # (the workspace spells "VIP" as first written)
    assert survivor.other_emails == ("ann@example.com",)
    assert survivor.other_phones == ("+390612345678",)
    # opening totals are added up
    assert survivor.fields["opening_total"] == {"amount": "15.50", "currency": "EUR"}
    assert [c.id for c in workspace.customers()] == [anne.id]


def test_keep_primary_keeps_the_first_id_and_its_values(
    workspace: Workspace, family: list[Customer]
) -> None:
    ann, anne, a = family
    result = workspace.merge([a.id, ann.id, anne.id], strategy="keep-primary")
    survivor = workspace.get_customer(a.id)
    assert result.plan.survivor == a.id
    assert survivor.name == "A. Lee"
    assert survivor.phone == "+390612345678"
    assert survivor.other_phones == ("+393471234567",)
    # blanks filled in the order the ids were given: ann before anne
    assert survivor.email == "ann@example.com"
    assert survivor.other_emails == ("anne.lee@example.org",)
    assert survivor.fields["city"] == "Roma"
    assert survivor.fields["allergies"] == "latex"
    lost = {(x["field"], x["value"], x["from"]) for x in workspace.merge_details(1)["lost"]}
    assert lost == {
        ("name", "Ann Lee", ann.id),
        ("name", "Anne Lee", anne.id),
        ("city", "Milano", anne.id),
    }


def test_newest_wins_takes_each_value_from_the_latest_updated_record(
    workspace: Workspace, family: list[Customer]
) -> None:
    ann, anne, a = family
    workspace.update_customer(ann.id, {"city": "Torino"})  # ann is now the newest
    result = workspace.merge([ann.id, anne.id, a.id], strategy="newest-wins")
    survivor = workspace.get_customer(result.plan.survivor)
    assert result.plan.survivor == anne.id  # the most complete survives
    assert survivor.name == "Ann Lee"  # newest record's value wins over the survivor's
    assert survivor.fields["city"] == "Torino"
    assert survivor.email == "ann@example.com"
    assert survivor.other_emails == ("anne.lee@example.org",)
    assert survivor.fields["allergies"] == "latex"  # only anne had one


def test_into_chooses_the_survivor(workspace: Workspace, family: list[Customer]) -> None:
    ann, anne, a = family
    with pytest.raises(ValidationError, match=r"one of the ids being merged \(1, 2\)"):
        workspace.merge([ann.id, anne.id], into=a.id)
    result = workspace.merge([ann.id, anne.id, a.id], into=a.id)
    assert result.plan.survivor == a.id
    assert workspace.get_customer(a.id).name == "A. Lee"


def test_five_records_in_one_call_and_nothing_is_lost(workspace: Workspace) -> None:
    workspace.add_field("city", type="text", label="City")
    people = [
        workspace.add_customer(
            f"Bo Rossi {'x' * i}",
            email=f"bo{i}@example.com",
            phone=f"347 000 000{i}",
            external_id=f"E{i}",
            tags=[f"t{i}"],
            fields={"city": f"City {i}"},
        )
        for i in range(5)
    ]
    ids = [p.id for p in people]
    for i, id in enumerate(ids):
        workspace.record_booking(id, f"2025-0{i + 1}-10", amount=f"{10 + i} EUR")
        workspace.record_payment(id, f"{10 + i} EUR")
        workspace.record_message(id, channel="sms", direction="out", body=f"hello {i}")
    before = everything(workspace, ids)

    result = workspace.merge(ids)
    survivor = result.plan.survivor
    assert len(result.plan.merged) == 4
    merge = workspace.merge_details(result.merge_id or 0)
    # every record as it was is in the merge record
    assert {int(id): from_json(doc, Customer) for id, doc in merge["before"].items()} == {
        id: from_json(before["customers"][id], Customer) for id in ids
    }
    # every value is on the survivor, or in other e-mails/phones, or kept as lost
    kept = workspace.get_customer(survivor)
    lost = {(x["field"], json.dumps(x["value"])) for x in merge["lost"]}
    for id in ids:
        old = before["customers"][id]
        assert old["email"] in (kept.email, *kept.other_emails)
        assert old["phone"] in (kept.phone, *kept.other_phones)
        assert set(old["tags"]) <= set(kept.tags)
        for key in ("name", "external_id"):
            assert old[key] == getattr(kept, key) or (key, json.dumps(old[key])) in lost
        assert (
            old["fields"]["city"] == kept.fields["city"]
            or ("city", '"' + old["fields"]["city"] + '"') in lost
        )
    # every activity now belongs to the survivor, unchanged otherwise
    for kind, name in (("booking", "bookings"), ("payment", "payments"), ("message", "messages")):
        moved = workspace.activity(kind, survivor)
        expected = sorted((r for id in ids for r in before[name][id]), key=lambda r: r["id"])
        assert [{**r, "customer_id": 0} for r in moved] == [
            {**r, "customer_id": 0} for r in expected
        ]
    assert result.moved["bookings"] == 4


def test_unmerge_gives_back_the_records_and_their_activity(
    workspace: Workspace, family: list[Customer]
) -> None:
    ids = [c.id for c in family]
    for id in ids:
        workspace.record_booking(id, "2025-05-01", amount="20 EUR")
    workspace.set_status([family[2].id], "loyal")
    before = everything(workspace, ids)
    result = workspace.merge(ids)
    survivor = result.plan.survivor
    workspace.record_booking(survivor, "2025-06-01")  # after the merge: stays with the survivor
    restored = workspace.unmerge(result.merge_id or 0)
    assert [c.id for c in restored] == [survivor, *result.plan.merged]
    after = everything(workspace, ids)
    assert after["customers"] == before["customers"]
    assert after["history"] == before["history"]
    assert after["payments"] == before["payments"]
    for id in ids:
        if id != survivor:
            assert after["bookings"][id] == before["bookings"][id]
    assert [b["date"] for b in after["bookings"][survivor]] == ["2025-05-01", "2025-06-01"]
    listed = workspace.merges()
    assert listed[0].undone_at is not None
    with pytest.raises(MergeError, match="already undone"):
        workspace.unmerge(result.merge_id or 0)


def test_unmerge_refuses_when_the_survivor_was_merged_again(
    workspace: Workspace, family: list[Customer]
) -> None:
    ann, anne, a = family
    first = workspace.merge([ann.id, anne.id], into=anne.id)
    second = workspace.merge([anne.id, a.id], into=a.id)
    with pytest.raises(MergeError, match=f"merged again \\(merge {second.merge_id}\\)"):
        workspace.unmerge(first.merge_id or 0)
    with pytest.raises(NotFoundError, match=f"customer {ann.id} was merged into customer {a.id}"):
        workspace.get_customer(ann.id)
    assert workspace.merged_into(ann.id) == (a.id, second.merge_id)
    workspace.unmerge(second.merge_id or 0)
    workspace.unmerge(first.merge_id or 0)
    assert [c.id for c in workspace.customers()] == [ann.id, anne.id, a.id]
    assert workspace.get_customer(ann.id) == ann


def test_a_pinned_status_survives_else_the_status_is_reclassified(
    workspace: Workspace, family: list[Customer]
) -> None:
    ann, anne, a = family
    today = workspace.today()
    workspace.record_booking(ann.id, (today - timedelta(days=10)).isoformat())
    workspace.set_status([a.id], "loyal")  # pinned, on a record that will not survive
    survivor = workspace.merge([ann.id, anne.id, a.id]).survivor
    assert (survivor.status, survivor.pinned) == ("loyal", ("status",))

    other = workspace.add_customer("Cy")
    workspace.record_booking(other.id, (today - timedelta(days=5)).isoformat())
    plain = workspace.add_customer("Cy", email="cy@example.com")
    assert workspace.get_customer(plain.id).status == "new"
    merged = workspace.merge([plain.id, other.id], into=plain.id).survivor
    assert merged.status == "paid"  # the moved booking counts now
    assert merged.pinned == ()


def test_a_dry_run_writes_nothing(workspace: Workspace, family: list[Customer]) -> None:
    ids = [c.id for c in family]
    before = customers_table(workspace)
    result = workspace.merge(ids, dry_run=True)
    assert result.merge_id is None
    assert result.survivor.name == "Anne Lee"
    assert customers_table(workspace) == before
    assert workspace.merges() == []
    name = next(v for v in result.plan.values if v.key == "name")
    assert name.source == family[1].id
    assert {v.customer_id for v in name.lost} == {family[0].id, family[2].id}


def test_bad_merges_are_refused(workspace: Workspace, family: list[Customer]) -> None:
    with pytest.raises(ValidationError, match="two or more different customer ids"):
        workspace.merge([family[0].id])
    with pytest.raises(ValidationError, match="two or more different"):
        workspace.merge([family[0].id, family[0].id])
    with pytest.raises(NotFoundError, match="no customer with id 99"):
        workspace.merge([family[0].id, 99])
    with pytest.raises(Exception, match="no merge strategy 'nope'"):
        workspace.merge([family[0].id, family[1].id], strategy="nope")
    assert len(workspace.customers()) == 3


class Listener:
    def __init__(self) -> None:
        self.heard: list[tuple[str, Any, Any, int]] = []

    @hookimpl
    def clientcard_customers_merged(
        self, workspace: Workspace, survivor: Customer, merged: list[int], merge_id: int
    ) -> None:
        # the host sees the merge on disk already
        assert workspace.get_customer(survivor.id) == survivor
        self.heard.append(("merged", survivor.id, merged, merge_id))

    @hookimpl
    def clientcard_customers_unmerged(
        self, workspace: Workspace, customers: list[Customer], merge_id: int
    ) -> None:
        self.heard.append(("unmerged", [c.id for c in customers], None, merge_id))


def test_hosts_hear_of_merges_and_unmerges_once(
    workspace: Workspace, family: list[Customer]
) -> None:
    listener = Listener()
    ws = Workspace.open(workspace.path, plugins=[listener])
    ids = [c.id for c in family]
    ws.merge(ids, dry_run=True)
    result = ws.merge(ids)
    ws.unmerge(result.merge_id or 0)
    assert listener.heard == [
        ("merged", family[1].id, [family[0].id, family[2].id], result.merge_id),
        ("unmerged", [family[1].id, family[0].id, family[2].id], None, result.merge_id),
    ]


class LongestName(MergeStrategy):
    """A vendor's strategy: the record with the longest name survives; longest values win."""

    name = "longest"
    description = "Longest values win."

    def survivor(self, candidates: Sequence[Candidate]) -> int:
        return max(candidates, key=lambda c: len(c.customer.name)).customer.id

    def pick(self, key: str, values: Sequence[FieldValue], survivor: int) -> FieldValue:
        return max(values, key=lambda v: len(str(v.value)))


class LongestPlugin:
    @hookimpl
    def clientcard_register_merge_strategies(self, register: Any) -> None:
        register(LongestName())


def test_a_third_party_strategy_is_selectable_by_name_and_by_config(
    workspace: Workspace, family: list[Customer]
) -> None:
    ws = Workspace.open(workspace.path, plugins=[LongestPlugin()])
    assert "longest" in [r.name for r in ws.plugins.merge_strategies]
    ann, anne, a = family
    ws.update_customer(a.id, {"city": "Sant'Antioco"})
    result = ws.merge([ann.id, a.id], strategy="longest")
    assert result.plan.survivor == ann.id  # the longer name
    assert ws.get_customer(ann.id).fields["city"] == "Sant'Antioco"  # the longer value
    ws.set_setting("merge.strategy", "longest")
    ws2 = Workspace.open(workspace.path, plugins=[LongestPlugin()])
    assert ws2.merge([ann.id, anne.id], dry_run=True).plan.strategy == "longest"


class Cheating(MergeStrategy):
    name = "cheating"

    def pick(self, key: str, values: Sequence[FieldValue], survivor: int) -> FieldValue:
        return FieldValue(survivor, "made up", values[0].updated_at)


def test_a_strategy_cannot_invent_values(workspace: Workspace, family: list[Customer]) -> None:
    class Plugin:
        @hookimpl
        def clientcard_register_merge_strategies(self, register: Any) -> None:
            register(Cheating())

    ws = Workspace.open(workspace.path, plugins=[Plugin()])
    with pytest.raises(ValidationError, match="picking one of the values of 'name'"):
        ws.merge([family[0].id, family[1].id], strategy="cheating")
    assert len(ws.customers()) == 3


def test_merge_from_the_cli(run: RunCLI, workspace: Workspace, family: list[Customer]) -> None:
    ann, anne, a = family
    dry = run("merge", str(ann.id), str(anne.id), str(a.id), "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.stdout.splitlines()
    assert lines[0] == f"would merge {ann.id}, {a.id} into {anne.id} (most-complete)"
    name_row = next(line for line in lines if line.startswith("Name "))
    assert name_row.split()[:4] == ["Name", "Anne", "Lee", str(anne.id)]
    assert f"Ann Lee ({ann.id}); A. Lee ({a.id})" in name_row
    assert any(line.startswith("Opening total") and "added up" in line for line in lines)
    assert len(workspace.customers()) == 3

    done = run("merge", str(ann.id), str(anne.id), "--strategy", "keep-primary", "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["merge_id"] == 1 and data["survivor"] == ann.id and data["merged"] == [anne.id]
    assert data["customer"]["other_emails"] == ["anne.lee@example.org"]
    name = next(f for f in data["fields"] if f["key"] == "name")
    assert name == {
        "key": "name",
        "label": "Name",
        "value": "Ann Lee",
        "from": ann.id,
        "lost": [{"value": "Anne Lee", "from": anne.id}],
    }

    listed = json.loads(run("merges", "list", "--format", "json").stdout)
    assert [
        (m["id"], m["strategy"], m["survivor"], m["merged"], m["undone_at"]) for m in listed
    ] == [(1, "keep-primary", ann.id, [anne.id], None)]
    shown = run("customers", "show", str(anne.id))
    assert shown.exit_code == 1
    assert shown.stderr == (
        f"error: customer {anne.id} was merged into customer {ann.id} (merge 1); "
        f"see 'clientcard customers show {ann.id}'\n"
    )
    undone = run("unmerge", "1")
    assert undone.exit_code == 0
    assert undone.stdout == f"undid merge 1: customers {ann.id} {anne.id} restored\n"
    assert workspace.get_customer(anne.id) == anne
    again = run("unmerge", "1")
    assert again.exit_code == 1 and again.stderr.startswith("error: merge 1 was already undone")
    assert len(again.stderr.splitlines()) == 1
    bad = run("merge", str(ann.id))
    assert bad.exit_code == 1
    assert "two or more different customer ids" in bad.stderr


def test_links_and_references_follow_the_merge_and_come_back(
    workspace: Workspace, family: list[Customer]
) -> None:
    ann, anne, _ = family
    friend = workspace.add_customer("Friend").id
    workspace.add_field("guardian", type="customer", label="Guardian")
    child = workspace.add_customer("Child", fields={"guardian": ann.id}).id
    between = workspace.link_customers(ann.id, anne.id, "family")  # the two duplicates
    outside = workspace.link_customers(friend, ann.id, "friend")
    workspace.add_referral(ann.id, friend)
    before = {
        "friend": workspace.relationships(friend),
        "referrals": workspace.referrals(friend),
        "child": workspace.get_customer(child),
    }
    result = workspace.merge([ann.id, anne.id], into=anne.id)
    # re-pointed at the survivor; the link between the two is gone
    assert [(r["id"], r["customer_id"]) for r in workspace.relationships(friend)] == [
        (outside["id"], anne.id)
    ]
    assert [r["id"] for r in workspace.relationships(anne.id)] == [outside["id"]]
    assert workspace.referrals(friend)["referred_by"]["customer_id"] == anne.id
    assert workspace.get_customer(child).fields["guardian"] == anne.id
    workspace.unmerge(result.merge_id or 0)
    assert workspace.relationships(friend) == before["friend"]
    assert [r["id"] for r in workspace.relationships(ann.id)] == [between["id"], outside["id"]]
    assert workspace.referrals(friend) == before["referrals"]
    assert workspace.get_customer(child) == before["child"]


def test_a_merged_customer_is_found_by_every_address_and_number(
    workspace: Workspace, family: list[Customer]
) -> None:
    from clientcard.find.selection import Selection

    ann, anne, a = family
    workspace.merge([ann.id, anne.id, a.id], into=anne.id)
    for text in ("ann@example.com", "anne.lee@example.org", "0612345678", "3471234567"):
        assert workspace.select(Selection(search=text)) == [anne.id], text


def test_every_operation_on_a_merged_away_id_names_where_it_went(
    workspace: Workspace, family: list[Customer]
) -> None:
    """One merge-aware lookup: a host recording a booking for an old id is told where
    to look, not that the customer does not exist."""
    ann, anne, _ = family
    result = workspace.merge([ann.id, anne.id], into=ann.id)
    where = f"customer {anne.id} was merged into customer {ann.id} \\(merge {result.merge_id}\\)"
    for attempt in (
        lambda: workspace.get_customer(anne.id),
        lambda: workspace.record_booking(anne.id, "2025-06-01"),
        lambda: workspace.update_customer(anne.id, {"name": "Anne"}),
        lambda: workspace.status_history(anne.id),
        lambda: workspace.explain(anne.id),
        lambda: workspace.set_status([anne.id], "loyal"),
        lambda: workspace.add_note(anne.id, "called"),
        lambda: workspace.link_customers(ann.id, anne.id, "family"),
        lambda: workspace.delete_customers([anne.id]),
        lambda: workspace.select([anne.id]),
    ):
        with pytest.raises(NotFoundError, match=where):
            attempt()
    with pytest.raises(NotFoundError, match="no customer with id 999"):
        workspace.record_booking(999, "2025-06-01")
