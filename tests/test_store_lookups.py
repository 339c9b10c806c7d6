"""``Table.lookup``: ids by folded value, answered from the lookups file without loading
the documents, with later changes laid over it; and the look-alike check that uses it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clientcard import Workspace
from clientcard.core.store import TableSpec
from clientcard.plugins.storage.lookups import LookupFile, dump
from clientcard.plugins.storage.tinydb_store import TinyDBStore

SPECS = (TableSpec("people", group="people", lookups=("email", "phone")),)


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[Any]:
    opened: list[TinyDBStore] = []

    def opener() -> TinyDBStore:
        store = TinyDBStore(tmp_path / "data", SPECS)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


def put(store: TinyDBStore, *docs: dict[str, Any]) -> None:
    with store.write() as session:
        table = session.table("people")
        for doc in docs:
            table.put(doc)


def lookup(store: TinyDBStore, field: str, key: str) -> list[int]:
    with store.read() as session:
        return session.table("people").lookup(field, key)


def test_the_file_answers_without_loading_and_folds_case_and_accents(open_store: Any) -> None:
    store = open_store()
    put(
        store,
        {"id": 1, "email": "Ann@Example.com", "phone": "+39061"},
        {"id": 2, "email": "ann@example.com", "phone": None},
        {"id": 3, "email": "ANNE@example.com", "phone": "+39061"},
        {"id": 4, "email": "josé@example.com"},
        {"id": 5, "email": 7},  # not text: never looked up
    )
    store.compact()
    reader = open_store()
    assert lookup(reader, "email", "ann@example.com") == [1, 2]
    assert lookup(reader, "email", "jose@example.com") == [4]
    assert lookup(reader, "phone", "+39061") == [1, 3]
    assert lookup(reader, "email", "nobody@example.com") == []
    assert not reader.groups["people"].loaded


def test_later_changes_are_laid_over_the_file(open_store: Any) -> None:
    store = open_store()
    put(
        store,
        {"id": 1, "email": "a@x.it"},
        {"id": 2, "email": "a@x.it"},
        {"id": 3, "email": "b@x.it"},
    )
    store.compact()
    put(store, {"id": 1, "email": "c@x.it"}, {"id": 4, "email": "A@X.IT"})  # moved away, new
    with store.write() as session:
        session.table("people").delete(2)
    reader = open_store()
    assert lookup(reader, "email", "a@x.it") == [4]
    assert lookup(reader, "email", "c@x.it") == [1]
    assert not reader.groups["people"].loaded
    with reader.write() as session:  # the write's own changes count too
        session.table("people").put({"id": 5, "email": "a@x.it"})
        assert session.table("people").lookup("email", "a@x.it") == [4, 5]
        assert not reader.groups["people"].loaded


def test_without_a_matching_file_the_documents_answer(open_store: Any, tmp_path: Path) -> None:
    store = open_store()
    put(store, {"id": 1, "email": "a@x.it"})
    assert lookup(open_store(), "email", "a@x.it") == [1]  # no snapshot yet: loaded
    store.compact()
    snapshot = tmp_path / "data" / "people.json"
    edited = snapshot.read_bytes().replace(b"a@x.it", b"z@x.it")  # by hand, dropping the
    snapshot.write_bytes(re.sub(rb'"crc":"[0-9a-f]{8}",', b"", edited, count=1))  # seal
    reader = open_store()
    assert lookup(reader, "email", "a@x.it") == []
    assert lookup(reader, "email", "z@x.it") == [1]
    assert reader.groups["people"].loaded


def test_the_binary_search_finds_every_id_of_a_key_and_no_neighbour() -> None:
    docs = [
        {"id": i, "email": email}
        for i, email in enumerate(
            ["ann@x.com", "ann@x.comm", "ann@x.co", "ann@x.com", "an@x.com", "bob@x.com"] * 50, 1
        )
    ]
    found = LookupFile.read(dump({"people": (("email",), docs)}, {"seq": 3}))
    assert found is not None and found.stamp == {"seq": 3}
    for key in ("ann@x.com", "ann@x.comm", "ann@x.co", "an@x.com", "bob@x.com", "zzz", "a"):
        expected = sorted(d["id"] for d in docs if d["email"] == key)
        assert sorted(found.ids("people", "email", key)) == expected, key
    assert found.ids("people", "phone", "ann@x.com") == []
    assert LookupFile.read(b"not a lookups file\n") is None


def test_adding_a_customer_like_nobody_reads_no_other_customer(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    with Workspace.init(root, settings={"workspace.region": "IT"}) as ws:
        ws.add_customers([{"name": f"Person {i}", "email": f"p{i}@example.it"} for i in range(20)])
        store = ws.store
        assert isinstance(store, TinyDBStore)
        store.compact()
    with Workspace.open(root) as ws:
        assert ws.similar_customers({"name": "New One", "email": "new@example.it"}) == []
        store = ws.store
        assert isinstance(store, TinyDBStore)
        group = store.groups["customers"]
        assert not group.loaded and group.columns is None
        alike = ws.similar_customers({"name": "Person 3", "email": "P3@Example.it"})
        assert [a.id for a in alike] == [4]


def test_without_the_file_a_cached_column_answers(tmp_path: Path) -> None:
    """A workspace from before lookups: its column file answers until the next compaction."""
    specs = (TableSpec("people", group="people", lookups=("email",), columns=("email",)),)
    store = TinyDBStore(tmp_path / "data", specs)
    try:
        put(store, {"id": 1, "email": "A@x.it"}, {"id": 2, "email": "b@x.it"})
        store.compact()
    finally:
        store.close()
    (tmp_path / "data" / "people.lookups").unlink()
    reader = TinyDBStore(tmp_path / "data", specs)
    try:
        assert lookup(reader, "email", "a@x.it") == [1]
        assert not reader.groups["people"].loaded
    finally:
        reader.close()
