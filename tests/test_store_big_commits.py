"""Big commits: written as whole snapshots behind a small journal record.

A commit whose journal line would be compacted away at once (a million-row
import) is written as the snapshots a compaction would write, each first to a
pending file, then a journal record naming them (the commit point), then the
pending files put in place.  These tests pin what each crash point leaves and
that every reader (a fresh store, one with the documents loaded, one with only
keys or columns) sees the commit exactly once.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clientcard.core.errors import StoreError
from clientcard.core.store import TableSpec
from clientcard.plugins.storage import tinydb_store
from clientcard.plugins.storage.journal import Journal
from clientcard.plugins.storage.tinydb_store import Group, TinyDBStore

SPECS = (
    TableSpec("customers", group="customers"),
    TableSpec(
        "bookings",
        indexes=("customer_id", "external_id"),
        group="activity",
        unique=("external_id",),
        columns=("customer_id", "status"),
    ),
)
BIG = 200


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a few hundred documents a big commit."""
    monkeypatch.setattr(tinydb_store, "BIG_COMMIT_OPS", 100)
    monkeypatch.setattr(tinydb_store, "MIN_COMPACT_BYTES", 1024)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def open_store(data_dir: Path) -> Iterator[Any]:
    opened: list[TinyDBStore] = []

    def opener() -> TinyDBStore:
        store = TinyDBStore(data_dir, SPECS)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


def seed(store: TinyDBStore) -> None:
    """Two customers and one booking, committed through the journal."""
    with store.write() as session:
        customers = session.table("customers")
        for id in customers.new_ids(2):
            customers.put({"id": id, "name": f"c{id}"})
        bookings = session.table("bookings")
        bookings.put({"id": bookings.new_id(), "customer_id": 1, "status": "completed"})


def import_many(store: TinyDBStore, count: int = BIG) -> None:
    """A big commit: many bookings and a change to a customer."""
    with store.write() as session:
        bookings = session.table("bookings")
        docs = [
            {"id": id, "customer_id": 2, "status": "upcoming", "external_id": f"b{id}"}
            for id in bookings.new_ids(count)
        ]
        bookings.add_many(docs)
        session.table("customers").put({"id": 2, "name": "c2", "status": "paid"})


def state(store: TinyDBStore) -> tuple[list[dict[str, Any]], int, list[int]]:
    """Customers, bookings count, and ids of the bookings of customer 2 (by column)."""
    with store.read() as session:
        customers = [dict(d) for d in session.table("customers")]
        bookings = session.table("bookings")
        by_column = bookings.columns(["status"], where=("customer_id", {2}))
        return customers, len(bookings), sorted(by_column["id"])


EXPECTED_CUSTOMERS = [{"id": 1, "name": "c1"}, {"id": 2, "name": "c2", "status": "paid"}]


def journal_records(data_dir: Path) -> list[Any]:
    records, _, torn = Journal(data_dir / "journal").read(0)
    assert not torn
    return records


def test_a_big_commit_writes_snapshots_not_a_journal_line(open_store: Any, data_dir: Path) -> None:
    store = open_store()
    seed(store)
    readers = [open_store() for _ in range(3)]
    state(readers[0])  # documents loaded
    with readers[1].read() as session:  # columns only
        session.table("bookings").columns(["status"])
    with readers[2].read() as session:  # keys only
        session.table("bookings").find("external_id", "b1")
    import_many(store)
    expected = (EXPECTED_CUSTOMERS, BIG + 1, list(range(2, BIG + 2)))
    assert [state(reader) for reader in readers] == [expected] * 3
    # the journal holds only the base record of a fresh start
    records = journal_records(data_dir)
    assert [(r.ops, r.snapshots) for r in records] == [([], [])]
    assert not list(data_dir.glob(".*.pending"))
    assert state(open_store()) == expected
    # the keys and columns written beside the new snapshot answer without loading
    other = open_store()
    with other.write() as session:
        assert session.table("bookings").find("external_id", "b7") == [7]
        assert session.table("bookings").new_id() == BIG + 2
        view = session.table("bookings").columns(["status"], where=("customer_id", {2}))
        assert len(view["id"]) == BIG
    assert not other.groups["activity"].loaded


def test_a_small_commit_still_goes_to_the_journal(
    open_store: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tinydb_store, "MIN_COMPACT_BYTES", 1 << 20)
    store = open_store()
    seed(store)
    import_many(store, count=20)
    assert [len(r.ops) for r in journal_records(data_dir)] == [3, 21]


def test_a_crash_after_the_record_leaves_pending_snapshots_readers_follow(
    open_store: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store()
    seed(store)
    # a reader with everything loaded, one with only columns, one with keys
    loaded, by_columns, by_keys = open_store(), open_store(), open_store()
    assert state(loaded)[1] == 1
    with by_columns.read() as session:
        session.table("bookings").columns(["status"])
    with by_keys.read() as session:
        session.table("bookings").find("external_id", "b1")
    assert by_columns.groups["activity"].columns is not None

    def crash(self: Group, seq: int) -> None:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patched, warnings.catch_warnings(record=True) as caught:
        patched.setattr(Group, "install_pending", crash)
        warnings.simplefilter("always")
        import_many(store)
    assert "the change is saved" in str(caught[0].message)
    assert sorted(p.name for p in data_dir.glob(".*.pending")) == [
        ".activity.json.2.pending",
        ".customers.json.2.pending",
    ]
    assert journal_records(data_dir)[-1].snapshots == ["activity", "customers"]

    expected = (EXPECTED_CUSTOMERS, BIG + 1, list(range(2, BIG + 2)))
    for reader in (store, loaded, by_columns, by_keys, open_store()):
        assert state(reader) == expected
    with by_keys.read() as session:
        assert session.table("bookings").find("external_id", "b9") == [9]
    findings = open_store().check(repair=True)
    assert all(f.repairable and f.repaired for f in findings), findings
    assert open_store().check() == []
    assert state(open_store()) == expected

    # the next compaction installs them and cleans up
    fresh = open_store()
    fresh.compact()
    assert not list(data_dir.glob(".*.pending"))
    assert state(open_store()) == expected
    seed_more = open_store()
    with seed_more.write() as session:
        assert session.table("bookings").new_id() == BIG + 2


def test_a_check_after_such_a_crash_finds_stale_caches_only(
    open_store: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store()
    seed(store)
    store.compact()  # caches beside the snapshots, which the big commit leaves behind

    def crash(self: Group, seq: int) -> None:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patched, warnings.catch_warnings():
        patched.setattr(Group, "install_pending", crash)
        warnings.simplefilter("ignore")
        import_many(store)
    findings = open_store().check()
    assert findings and all("before a big commit" in f.message for f in findings), findings
    assert all(f.repairable and not f.repaired for f in findings)
    assert all(f.repaired for f in open_store().check(repair=True))
    assert open_store().check() == []
    assert state(open_store()) == (EXPECTED_CUSTOMERS, BIG + 1, list(range(2, BIG + 2)))


def test_a_crash_before_the_record_changes_nothing(
    open_store: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store()
    seed(store)
    before = state(store)

    def full_disk(self: Journal, data: list[bytes], expected_size: int) -> int:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched, pytest.raises(StoreError, match="No space left"):
        patched.setattr(Journal, "append", full_disk)
        import_many(store)
    assert state(store) == before  # rolled back in memory
    assert state(open_store()) == before  # and on disk: the pending files are unused
    assert list(data_dir.glob(".*.pending"))
    import_many(store)  # the next big commit replaces them and cleans up
    assert state(open_store()) == (EXPECTED_CUSTOMERS, BIG + 1, list(range(2, BIG + 2)))
    assert not list(data_dir.glob(".*.pending"))


def test_a_record_without_its_snapshot_is_reported(
    open_store: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store()
    seed(store)

    def crash(self: Group, seq: int) -> None:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patched, warnings.catch_warnings():
        patched.setattr(Group, "install_pending", crash)
        warnings.simplefilter("ignore")
        import_many(store)
    for pending in data_dir.glob(".*.pending"):
        pending.unlink()  # lost: the journal promises a snapshot nobody has
    with pytest.raises(StoreError, match="restore the data directory from a backup"):
        state(open_store())
