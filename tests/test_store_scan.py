"""Reading a whole table a document at a time (``Table.scan``), and the snapshot layout
that makes it possible.

Each test compares what a scan yields with what the same store yields when the
table is loaded whole, and checks that the scan did not load it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import tinydb

from clientcard import Workspace
from clientcard.core.errors import StoreError
from clientcard.core.store import TableSpec
from clientcard.plugins.storage import snapshot
from clientcard.plugins.storage.tinydb_store import TinyDBStore

SPECS = (
    TableSpec("customers", indexes=("email",), group="customers", scanned=True),
    TableSpec("notes", group="customers"),
    TableSpec("bookings", group="activity"),
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def open_store(data_dir: Path) -> Iterator[Any]:
    opened: list[TinyDBStore] = []

    def opener(specs: tuple[TableSpec, ...] = SPECS) -> TinyDBStore:
        store = TinyDBStore(data_dir, specs)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


def fill(store: TinyDBStore, n: int) -> None:
    with store.write() as session:
        customers, notes = session.table("customers"), session.table("notes")
        for i, id in enumerate(customers.new_ids(n)):
            customers.put({"id": id, "name": f"Ann {i}", "note": 'a "quoted"\nline, {x}'})
        notes.put({"id": notes.new_id(), "text": "one line"})


def scanned(store: TinyDBStore, table: str = "customers") -> list[dict[str, Any]]:
    with store.read() as session:
        docs = session.table(table).scan()
    return [dict(doc) for doc in docs]  # read after the context ended: allowed


def loaded(store: TinyDBStore, table: str = "customers") -> list[dict[str, Any]]:
    with store.read() as session:
        return [dict(doc) for doc in session.table(table)]


def test_a_scanned_table_has_a_line_per_document_and_plain_tinydb_reads_the_file(
    open_store: Any, data_dir: Path
) -> None:
    store = open_store()
    fill(store, 3)
    store.compact()
    lines = (data_dir / "customers.json").read_bytes().split(b"\n")
    assert lines[0].startswith(b'{"_clientcard":')
    assert lines[1] == b'"customers":{'
    assert [orjson.loads(line.rstrip(b",").split(b":", 1)[1])["name"] for line in lines[2:5]] == [
        "Ann 0",
        "Ann 1",
        "Ann 2",
    ]
    assert lines[5] == b"},"
    assert lines[6].startswith(b'"notes":{"1":')  # not scanned: one line
    db = tinydb.TinyDB(data_dir / "customers.json", access_mode="r")
    try:
        assert [doc["name"] for doc in db.table("customers").all()] == ["Ann 0", "Ann 1", "Ann 2"]
        assert db.table("notes").all()[0]["text"] == "one line"
    finally:
        db.close()


def test_a_scan_lays_the_journal_over_the_snapshot_without_loading_the_table(
    open_store: Any,
) -> None:
    writer = open_store()
    fill(writer, 6)
    writer.compact()
    with writer.write() as session:
        customers = session.table("customers")
        customers.put({**customers.get(2), "name": "Bea"})  # changed
        customers.delete(4)  # deleted
        customers.put({"id": customers.new_id(), "name": "Cy"})  # new, id 7
        customers.delete(6)  # the last one of the snapshot

    reader = open_store()
    docs = scanned(reader)
    assert not reader.groups["customers"].loaded
    assert [d["id"] for d in docs] == [1, 2, 3, 5, 7]
    assert [d["name"] for d in docs] == ["Ann 0", "Bea", "Ann 2", "Ann 4", "Cy"]
    assert docs == loaded(open_store())
    assert docs[0]["note"] == 'a "quoted"\nline, {x}'


def test_only_journal_and_no_snapshot_yet(open_store: Any) -> None:
    writer = open_store()
    fill(writer, 2)
    reader = open_store()
    assert [d["name"] for d in scanned(reader)] == ["Ann 0", "Ann 1"]


def test_a_loaded_table_is_scanned_from_memory_and_a_write_sees_its_own_changes(
    open_store: Any,
) -> None:
    store = open_store()
    fill(store, 2)
    store.compact()
    assert [d["id"] for d in loaded(store)] == [1, 2]
    assert scanned(store) == loaded(store)
    with store.write() as session:
        customers = session.table("customers")
        customers.delete(1)
        assert [d["id"] for d in customers.scan()] == [2]


def test_a_snapshot_in_the_older_layout_is_read_whole(open_store: Any, data_dir: Path) -> None:
    store = open_store()
    fill(store, 3)
    store.compact()
    path = data_dir / "customers.json"
    path.write_bytes(orjson.dumps(orjson.loads(path.read_bytes())))  # one line, meta last
    assert snapshot.stream_table(path, "customers") is None
    reader = open_store()
    assert [d["name"] for d in scanned(reader)] == ["Ann 0", "Ann 1", "Ann 2"]


def test_a_table_written_before_it_was_scanned_is_read_from_its_line(
    open_store: Any,
) -> None:
    unscanned = tuple(TableSpec(s.name, s.indexes, s.group) for s in SPECS)
    store = open_store(unscanned)
    fill(store, 3)
    store.compact()
    reader = open_store()
    assert [d["name"] for d in scanned(reader)] == ["Ann 0", "Ann 1", "Ann 2"]
    assert not reader.groups["customers"].loaded


def test_a_damaged_line_is_a_clear_error(open_store: Any, data_dir: Path) -> None:
    store = open_store()
    fill(store, 3)
    store.compact()
    path = data_dir / "customers.json"
    path.write_bytes(path.read_bytes().replace(b'"Ann 1"', b'Ann 1"'))
    with pytest.raises(StoreError, match=r"customers.json is damaged near .*restore it"):
        scanned(open_store())


def test_overlay_merges_in_id_order() -> None:
    stream = [(1, {"id": 1}), (3, {"id": 3}), (5, {"id": 5})]
    changed: dict[int, Any] = {0: {"id": 0}, 3: None, 4: {"id": 4}, 5: {"id": 5, "x": 1}, 9: None}
    assert list(snapshot.overlay(stream, changed)) == [
        {"id": 0},
        {"id": 1},
        {"id": 4},
        {"id": 5, "x": 1},
    ]


def test_exporting_everyone_does_not_load_the_customers(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    with Workspace.init(root) as ws:
        rows = [{"name": f"Ann {i}", "email": f"a{i}@example.com"} for i in range(5)]
        ids = [customer.id for customer in ws.add_customers(rows)]
        store = ws.store
        assert isinstance(store, TinyDBStore)
        store.compact()
        ws.update_customer(ids[1], {"name": "Bea"})
        ws.delete_customers([ids[3]])
    with Workspace.open(root) as ws:
        count = ws.export("csv", tmp_path / "all.csv", keys=True)
        store = ws.store
        assert isinstance(store, TinyDBStore)
        assert not store.groups["customers"].loaded
        # a filtered export still works, loading what it needs
        assert ws.export("csv", tmp_path / "some.csv", [ids[0]], keys=True) == 1
    with open(tmp_path / "all.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert count == 4
    assert [row["name"] for row in rows] == ["Ann 0", "Bea", "Ann 2", "Ann 4"]
