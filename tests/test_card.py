"""The customer card: notes, documents, relationships, referrals, reviews, memberships,
the sections and quick analytics, from the API and the CLI."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.conftest import RunCLI

from clientcard import DuplicateError, NotFoundError, ValidationError, Workspace

TODAY = date(2025, 6, 30)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture
def ann(workspace: Workspace) -> int:
    workspace.add_field("opening_total", type="money", label="Opening total")
    return workspace.add_customer(
        "Ann Lee", email="ann@example.com", fields={"opening_total": "100 EUR"}
    ).id


def test_analytics_from_bookings_and_payments(workspace: Workspace, ann: int) -> None:
    workspace.record_booking(ann, day(-60), amount="30 EUR")
    workspace.record_booking(ann, day(-30), amount="50 EUR")
    workspace.record_booking(ann, day(-10), status="no_show")
    workspace.record_booking(ann, day(-5), status="cancelled")
    workspace.record_booking(ann, day(7), status="upcoming")
    workspace.record_booking(ann, day(3), status="upcoming")
    # received by the card's day (analytics count as of that day, as rule sets do)
    workspace.record_payment(ann, "30 EUR", paid_at=day(-59) + "T10:00:00+00:00")
    workspace.record_payment(ann, "50 EUR", paid_at=day(-29) + "T10:00:00+00:00")
    workspace.record_payment(ann, "20 EUR", status="due", due_date=day(-1))  # past due
    workspace.record_payment(ann, "15 EUR", status="overdue")
    workspace.record_payment(ann, "99 EUR", status="due", due_date=day(10))  # not yet due
    workspace.record_payment(ann, "12 USD")  # another currency: left out
    numbers = workspace.card(ann, as_of=TODAY)["analytics"]
    assert numbers == {
        "total_spent": {"amount": "180.00", "currency": "EUR"},
        "opening_total": {"amount": "100.00", "currency": "EUR"},
        "completed_visits": 2,
        "average_spend": {"amount": "40.00", "currency": "EUR"},
        "first_visit": day(-60),
        "last_visit": day(-30),
        "next_booking": day(3),
        "no_show_rate": round(1 / 3, 3),
        "overdue_amount": {"amount": "35.00", "currency": "EUR"},
        "spent_from": "payments",
        # the bookings' prices are not added to what was paid for them
        "left_out": [
            {
                "amount": {"amount": "80.00", "currency": "EUR"},
                "why": "prices of completed bookings: with payments recorded, "
                "spend is what was received",
            }
        ],
    }


def test_spend_from_bookings_when_no_payment_is_recorded(workspace: Workspace) -> None:
    bo = workspace.add_customer("Bo").id
    workspace.record_booking(bo, day(-3), amount="25 EUR")
    workspace.record_booking(bo, day(-2), amount="35 EUR")
    numbers = workspace.card(bo, as_of=TODAY)["analytics"]
    assert numbers["total_spent"] == {"amount": "60.00", "currency": "EUR"}
    assert numbers["average_spend"] == {"amount": "30.00", "currency": "EUR"}
    assert numbers["no_show_rate"] == 0.0
    empty = workspace.card(workspace.add_customer("Cy").id, as_of=TODAY)["analytics"]
    assert empty["average_spend"] is None and empty["no_show_rate"] is None
    assert empty["first_visit"] is None and empty["next_booking"] is None


def test_a_total_that_leaves_amounts_out_says_which_and_why(
    run: RunCLI, workspace: Workspace
) -> None:
    # prices in another currency: never added to euros, and shown apart
    dee = workspace.add_customer("Dee").id
    workspace.record_booking(dee, day(-9), amount="40 USD")
    workspace.record_booking(dee, day(-8), amount="15 USD")
    workspace.record_booking(dee, day(-7), amount="25 GBP")
    workspace.record_booking(dee, day(-6), amount="10 EUR")
    workspace.record_booking(dee, day(5), amount="99 USD", status="upcoming")  # not spent yet
    numbers = workspace.card(dee, as_of=TODAY)["analytics"]
    assert numbers["total_spent"] == {"amount": "10.00", "currency": "EUR"}
    assert numbers["spent_from"] == "bookings"
    assert numbers["left_out"] == [
        {
            "amount": {"amount": "25.00", "currency": "GBP"},
            "why": "in GBP, not the workspace currency EUR",
        },
        {
            "amount": {"amount": "55.00", "currency": "USD"},
            "why": "in USD, not the workspace currency EUR",
        },
    ]
    # a payment beside the bookings: spend is what was received (nothing yet)
    eve = workspace.add_customer("Eve").id
    workspace.record_booking(eve, day(-3), amount="60 EUR")
    workspace.record_booking(eve, day(-2), amount="20 USD")
    workspace.record_payment(eve, "60 EUR", status="due", due_date=day(20))
    numbers = workspace.card(eve, as_of=TODAY)["analytics"]
    assert numbers["total_spent"] == {"amount": "0.00", "currency": "EUR"}
    assert numbers["spent_from"] == "payments"
    assert [(n["amount"]["amount"], n["amount"]["currency"]) for n in numbers["left_out"]] == [
        ("60.00", "EUR"),
        ("20.00", "USD"),
    ]
    assert all("spend is what was received" in n["why"] for n in numbers["left_out"])
    # the card says it under the total, where the reader wonders
    shown = run("customers", "show", str(eve)).stdout
    assert "60.00 EUR: prices of completed bookings" in " ".join(shown.split())
    # nothing left out: nothing to say
    fay = workspace.add_customer("Fay").id
    workspace.record_booking(fay, day(-3), amount="60 EUR")
    assert workspace.card(fay, as_of=TODAY)["analytics"]["left_out"] == []


def test_the_card_holds_every_section(workspace: Workspace, ann: int, tmp_path: Path) -> None:
    bo = workspace.add_customer("Bo Lee").id
    cy = workspace.add_customer("Cy").id
    workspace.add_note(ann, "Allergic to latex", author="reception", pinned=True)
    workspace.add_note(ann, "Prefers mornings")
    workspace.record_message(ann, channel="sms", direction="in", body="See you!")
    workspace.record("review", ann, rating=5, text="Lovely", about="order")
    workspace.record("review", ann, rating=3, about="staff", staff="Mia")
    workspace.record("membership", ann, plan="Gold", start=day(-400), end=day(-35))
    workspace.record("membership", ann, plan="Platinum", start=day(-34))
    workspace.record("membership", ann, plan="Next", start=day(30), end=day(400))
    workspace.link_customers(ann, bo, "family", note="sister")
    workspace.add_referral(cy, ann)
    workspace.add_referral(ann, bo)
    (tmp_path / "consent.pdf").write_bytes(b"%PDF-1.4 consent")
    workspace.attach_document(ann, tmp_path / "consent.pdf")
    workspace.record_booking(ann, day(-1))
    workspace.set_status([ann], "loyal")

    data = workspace.card(ann, as_of=TODAY)
    assert data["customer"]["name"] == "Ann Lee"
    main = data["main"]
    assert (main["status"], main["pinned"]) == ("loyal", True)
    assert main["status_since"] == workspace.status_history(ann)[-1]["as_of"]
    assert [n["text"] for n in main["important_notes"]] == ["Allergic to latex"]
    assert [n["text"] for n in data["notes"]] == ["Allergic to latex", "Prefers mornings"]
    assert data["notes"][0]["author"] == "reception"
    contact = {f["key"]: f["text"] for f in data["info"]["Contact"]}
    assert contact["email"] == "ann@example.com"
    details = {f["label"]: f["text"] for f in data["info"]["Details"] if f["value"] is not None}
    assert details == {"Opening total": "100.00 EUR"}
    assert [m["body"] for m in data["conversations"]] == ["See you!"]
    assert [r["rating"] for r in data["reviews"]["order"]] == [5]
    assert [(r["rating"], r["staff"]) for r in data["reviews"]["staff"]] == [(3, "Mia")]
    assert data["reviews"]["average_rating"] == 4
    assert [(m["plan"], m["state"]) for m in data["memberships"]] == [
        ("Next", "future"),
        ("Platinum", "active"),
        ("Gold", "expired"),
    ]
    assert [(r["kind"], r["customer_id"], r["name"], r["note"]) for r in data["related"]] == [
        ("family", bo, "Bo Lee", "sister")
    ]
    assert data["referrals"]["referred_by"]["customer_id"] == cy
    assert [r["customer_id"] for r in data["referrals"]["referred"]] == [bo]
    assert [(d["name"], d["type"], d["size"]) for d in data["documents"]] == [
        ("consent.pdf", "application/pdf", 16)
    ]
    assert [b["date"] for b in data["bookings"]["past"]] == [day(-1)]
    # the other side of the relationship sees it too
    assert [(r["kind"], r["customer_id"]) for r in workspace.relationships(bo)] == [("family", ann)]
    assert workspace.referrals(bo)["referred_by"]["customer_id"] == ann


def test_notes_reviews_and_memberships_are_checked(workspace: Workspace, ann: int) -> None:
    with pytest.raises(ValidationError, match="text"):
        workspace.record("note", ann, author="me")
    with pytest.raises(ValidationError, match="rating: 6 is not valid; expected a whole number"):
        workspace.record("review", ann, rating=6)
    with pytest.raises(ValidationError, match="about"):
        workspace.record("review", ann, rating=4, about="food")
    with pytest.raises(ValidationError, match="start"):
        workspace.record("membership", ann, plan="Gold")
    with pytest.raises(NotFoundError):
        workspace.add_note(999, "nobody")
    note = workspace.add_note(ann, "first")
    workspace.update_activity("note", note["id"], values={"pinned": "yes"})
    assert workspace.activity("note", ann)[0]["pinned"] is True
    # a note does not touch the status history (nothing to re-classify)
    assert len(workspace.status_history(ann)) == 1


def test_relationship_and_referral_rules(workspace: Workspace, ann: int) -> None:
    bo = workspace.add_customer("Bo").id
    with pytest.raises(ValidationError, match="family, colleague, friend"):
        workspace.link_customers(ann, bo, "neighbour")
    workspace.set_setting("card.relationship_kinds", ["neighbour"])
    ws = Workspace.open(workspace.path)
    link = ws.link_customers(ann, bo, "neighbour")
    with pytest.raises(DuplicateError, match="already linked as neighbour"):
        ws.link_customers(bo, ann, "neighbour")
    with pytest.raises(ValidationError, match="another customer"):
        ws.link_customers(ann, ann, "family")
    ws.unlink(link["id"])
    assert ws.relationships(ann) == []
    ws.add_referral(ann, bo)
    with pytest.raises(DuplicateError, match="already referred by customer"):
        ws.add_referral(ann, bo)


def test_deleting_a_customer_removes_its_links_and_unused_files(
    workspace: Workspace, ann: int, tmp_path: Path
) -> None:
    bo = workspace.add_customer("Bo").id
    cy = workspace.add_customer("Cy").id
    workspace.link_customers(ann, bo, "friend")
    workspace.link_customers(cy, ann, "colleague")
    workspace.add_referral(ann, bo)
    shared = tmp_path / "shared.txt"
    shared.write_text("same bytes")
    mine = tmp_path / "mine.txt"
    mine.write_text("only ann")
    kept = workspace.attach_document(bo, shared)
    workspace.attach_document(ann, shared)
    only = workspace.attach_document(ann, mine)
    files = workspace.path / "documents"
    assert len(list(files.glob("*/*"))) == 2
    workspace.delete_customers([ann])
    assert workspace.relationships(bo) == [] and workspace.relationships(cy) == []
    assert workspace.referrals(bo)["referred_by"] is None
    stored = sorted(p.name for p in files.glob("*/*"))
    assert stored == [kept["sha256"]]  # the shared file stays with bo, ann's own is gone
    assert only["sha256"] not in stored


@pytest.mark.parametrize(
    "hostile",
    ["../../x", "/etc/passwd", "..\\..\\x.txt", "a\x00b.txt", "..", "sub/../../../x"],
)
def test_a_hostile_document_name_never_writes_outside_the_workspace(
    workspace: Workspace, ann: int, tmp_path: Path, hostile: str
) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(b"\x00\x01payload")
    before = {p for p in tmp_path.rglob("*")}
    doc = workspace.attach_document(ann, source, name=hostile)
    assert doc["name"] == hostile  # kept as given, as metadata only
    created = {p for p in tmp_path.rglob("*")} - before
    inside = workspace.path.resolve()
    assert created and all(p.resolve().is_relative_to(inside) for p in created)
    stored = workspace.path / "documents" / doc["sha256"][:2] / doc["sha256"]
    assert stored.read_bytes() == b"\x00\x01payload"
    # a copy written to a directory takes a safe name inside it
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    written = workspace.save_document(doc["id"], out_dir)
    assert written.parent == out_dir
    assert "\x00" not in written.name and "/" not in written.name
    assert written.read_bytes() == b"\x00\x01payload"
    with pytest.raises(ValidationError, match="no file exists yet"):
        workspace.save_document(doc["id"], written)


def test_a_document_over_the_size_limit_is_refused(
    workspace: Workspace, ann: int, tmp_path: Path
) -> None:
    workspace.set_setting("card.document_max_mb", 0.001)  # 1,000 bytes
    ws = Workspace.open(workspace.path)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(ValidationError, match=r"at most 1,000 bytes .*document_max_mb"):
        ws.attach_document(ann, big)
    assert ws.documents(ann) == []
    assert not any((ws.path / "documents").glob("*/*"))


def test_the_card_from_the_cli(run: RunCLI, workspace: Workspace, ann: int, tmp_path: Path) -> None:
    bo = workspace.add_customer("Bo Lee").id
    assert (
        run("notes", "add", "--customer", str(ann), "--text", "VIP", "--pinned", "yes").exit_code
        == 0
    )
    assert run("reviews", "add", "--customer", str(ann), "--rating", "4").exit_code == 0
    assert (
        run(
            "memberships", "add", "--customer", str(ann), "--plan", "Gold", "--start", "2025-01-01"
        ).exit_code
        == 0
    )
    assert run("relationships", "add", str(ann), str(bo), "--kind", "family").stdout == "1\n"
    assert run("referrals", "add", str(bo), str(ann)).stdout == "1\n"
    paper = tmp_path / "id card.png"
    paper.write_bytes(b"\x89PNG....")
    assert run("documents", "add", str(ann), str(paper)).stdout == "1\n"
    listed = json.loads(run("documents", "list", str(ann), "--format", "json").stdout)
    assert [(d["name"], d["type"]) for d in listed] == [("id card.png", "image/png")]
    out = tmp_path / "copy.png"
    got = run("documents", "get", "1", "--output", str(out))
    assert got.exit_code == 0 and out.read_bytes() == b"\x89PNG...."

    shown = json.loads(run("customers", "show", str(ann), "--format", "json").stdout)
    assert shown["name"] == "Ann Lee"  # the record's keys stay at the top
    card = shown["card"]
    assert set(card) == {
        "main",
        "info",
        "analytics",
        "bookings",
        "payments",
        "conversations",
        "notes",
        "documents",
        "reviews",
        "referrals",
        "related",
        "memberships",
    }
    assert card["main"]["important_notes"][0]["text"] == "VIP"
    assert card["related"][0]["name"] == "Bo Lee"
    assert card["referrals"]["referred_by"]["customer_id"] == bo

    text = run("customers", "show", str(ann)).stdout
    for expected in (
        "Ann Lee",
        "(pinned) VIP",
        "Analytics",
        "Total spent",
        "100.00 EUR",
        "Memberships",
        "Gold",
        "Related people",
        "Bo Lee",
        "id card.png",
        "referred by",
        "4/5",
    ):
        assert expected in text, expected
    bad = run("reviews", "add", "--customer", str(ann), "--rating", "9")
    assert bad.exit_code == 1
    assert bad.stderr == "error: rating: 9 is not valid; expected a whole number from 1 to 5\n"
    missing = run("documents", "add", str(ann), str(tmp_path / "nope.pdf"))
    assert missing.exit_code == 1 and len(missing.stderr.splitlines()) == 1
    assert os.listdir(workspace.path / "documents")  # the one stored file, nothing more


def test_a_customer_reference_must_name_a_customer(workspace: Workspace) -> None:
    workspace.add_field("guardian", type="customer", label="Guardian")
    parent = workspace.add_customer("Parent").id
    child = workspace.add_customer("Child", fields={"guardian": parent})
    assert child.fields["guardian"] == parent
    with pytest.raises(
        ValidationError,
        match=r"guardian: 999 is not valid; expected the id of an existing customer",
    ):
        workspace.add_customer("Orphan", fields={"guardian": 999})
    with pytest.raises(ValidationError, match="guardian: 998"):
        workspace.update_customer(child.id, {"guardian": 998})
    with pytest.raises(ValidationError, match="guardian: 997"):
        workspace.update_customers([child.id, parent], {"guardian": 997})  # in bulk too
    assert workspace.get_customer(child.id).fields["guardian"] == parent
    assert [c.name for c in workspace.customers()] == ["Parent", "Child"]


def test_deleting_a_document_keeps_a_file_another_card_still_has(
    workspace: Workspace, run: RunCLI, ann: int, tmp_path: Path
) -> None:
    bo = workspace.add_customer("Bo").id
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF same bytes")
    first = workspace.attach_document(ann, scan)
    second = workspace.attach_document(bo, scan)
    stored = workspace.path / "documents" / first["sha256"][:2] / first["sha256"]
    workspace.delete_document(first["id"])
    assert workspace.documents(ann) == [] and stored.exists()  # bo's card still has it
    deleted = run("documents", "delete", str(second["id"]))
    assert deleted.stdout == f"deleted document {second['id']}\n"
    assert workspace.documents(bo) == [] and not stored.exists()
    missing = run("documents", "delete", str(second["id"]))
    assert missing.exit_code == 1
    assert missing.stderr == f"error: no document with id {second['id']}\n"
