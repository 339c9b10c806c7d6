"""Adding a record without loading the table: keys files and blind writes.

``clientcard customers add`` in a fresh process only needs the id counter and
the external ids, so the store reads ``customers.keys.json`` instead of every
customer.  These tests check that this shortcut never changes an answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clientcard import DuplicateError, ValidationError, Workspace


def customers_loaded(ws: Workspace) -> bool:
    return bool(ws.store.groups["customers"].loaded)  # type: ignore[attr-defined]


@pytest.fixture
def compacted(workspace: Workspace) -> Path:
    """A workspace whose customers sit in a snapshot with its keys file beside it."""
    workspace.add_customers(
        [
            {"name": f"C{n}", "external_id": f"x{n}", "email": f"c{n}@example.com"}
            for n in range(1, 51)
        ]
    )
    workspace.delete_customers([50])
    workspace.store.compact()  # type: ignore[attr-defined]
    assert (workspace.path / "data" / "customers.keys.json").exists()
    return workspace.path


def test_adding_reads_keys_not_customers(compacted: Path) -> None:
    ws = Workspace.open(compacted)
    added = ws.add_customer("New", external_id="new-1")
    assert added.id == 51  # 50 was deleted: never reused
    assert not customers_loaded(ws)
    with pytest.raises(DuplicateError, match="'x7' already belongs to customer 7"):
        ws.add_customer("Dup", external_id="x7")
    with pytest.raises(DuplicateError, match="already belongs to customer 51"):
        Workspace.open(compacted).add_customer("Dup", external_id="new-1")
    assert not customers_loaded(ws)
    # the full view agrees
    fresh = Workspace.open(compacted)
    assert [c.id for c in fresh.customers()][-2:] == [49, 51]
    assert fresh.get_customer(51).external_id == "new-1"


def test_a_failed_batch_leaves_the_keys_as_they_were(compacted: Path) -> None:
    ws = Workspace.open(compacted)
    with pytest.raises(DuplicateError, match="row 2"):
        ws.add_customers([{"name": "A", "external_id": "a"}, {"name": "B", "external_id": "a"}])
    with pytest.raises(ValidationError):
        ws.add_customers([{"name": "C", "external_id": "c"}, {"name": "D", "email": "bad"}])
    assert not customers_loaded(ws)
    assert ws.add_customer("A", external_id="a").id == 51
    assert ws.add_customer("C", external_id="c").id == 52
    assert [c.external_id for c in Workspace.open(compacted).customers()][-2:] == ["a", "c"]


def test_reading_inside_a_write_sees_the_blind_writes(compacted: Path) -> None:
    ws = Workspace.open(compacted)
    with pytest.raises(RuntimeError, match="stop"), ws.batch():
        first = ws.add_customer("First", external_id="f")
        assert not customers_loaded(ws)
        assert ws.get_customer(first.id).name == "First"  # loads the table mid-write
        assert customers_loaded(ws)
        assert ws.count_customers() == 50
        raise RuntimeError("stop")
    assert ws.count_customers() == 49
    assert ws.add_customer("Again", external_id="f").id == 51


def test_changed_external_ids_are_followed_through_the_journal(compacted: Path) -> None:
    Workspace.open(compacted).update_customer(3, {"external_id": "renamed"})
    ws = Workspace.open(compacted)
    assert ws.add_customer("Takes the old id", external_id="x3").id == 51
    with pytest.raises(DuplicateError, match="customer 3"):
        Workspace.open(compacted).add_customer("Clash", external_id="renamed")
    Workspace.open(compacted).delete_customers([4])
    assert Workspace.open(compacted).add_customer("Reuses x4", external_id="x4").id == 52


def test_a_keys_file_that_does_not_match_its_snapshot_is_ignored(compacted: Path) -> None:
    keys = compacted / "data" / "customers.keys.json"
    keys.write_text(keys.read_text().replace('"x7"', '"zz"'))
    snapshot = compacted / "data" / "customers.json"
    snapshot.write_text(snapshot.read_text())  # a hand edit: new inode and time
    ws = Workspace.open(compacted)
    with pytest.raises(DuplicateError, match="customer 7"):
        ws.add_customer("Dup", external_id="x7")
    assert customers_loaded(ws)  # it fell back to reading the customers


def test_another_process_compacting_in_between(compacted: Path) -> None:
    ws = Workspace.open(compacted)
    ws.add_customer("Mine", external_id="m")
    other = Workspace.open(compacted)
    other.add_customer("Theirs", external_id="t")
    other.store.compact()  # type: ignore[attr-defined]
    assert ws.add_customer("Mine again", external_id="m2").id == 53
    with pytest.raises(DuplicateError, match="customer 52"):
        ws.add_customer("Clash", external_id="t")
