"""The TinyDB backend, driven through the Store protocol.

Every test checks what is stored (documents, ids, index results, the bytes of
the journal and snapshot files), not just that calls ran.  A second
``TinyDBStore`` object on the same directory stands in for another process:
it has its own memory, its own open lock file and reads the files afresh.
"""

from __future__ import annotations

import errno
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import tinydb

from clientcard.core.errors import StoreError
from clientcard.core.store import TableSpec
from clientcard.plugins.storage import tinydb_store
from clientcard.plugins.storage.journal import encode
from clientcard.plugins.storage.tinydb_store import TinyDBStore

SPECS = (
    TableSpec("customers", indexes=("email",), group="customers"),
    TableSpec("fields", group="customers"),
)


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def stores(data_dir: Path) -> Iterator[list[TinyDBStore]]:
    """Opened stores, closed at the end of the test."""
    opened: list[TinyDBStore] = []
    yield opened
    for store in opened:
        store.close()


@pytest.fixture
def open_store(data_dir: Path, stores: list[TinyDBStore]) -> Any:
    def opener() -> TinyDBStore:
        store = TinyDBStore(data_dir, SPECS)
        stores.append(store)
        return store

    return opener


@pytest.fixture
def store(open_store: Any) -> TinyDBStore:
    return open_store()  # type: ignore[no-any-return]


def add(store: TinyDBStore, table: str = "customers", **fields: Any) -> int:
    """Insert one document in its own write; return its id."""
    with store.write() as session:
        t = session.table(table)
        id = t.new_id()
        t.put({"id": id, **fields})
    return id


def docs(store: TinyDBStore, table: str = "customers") -> list[dict[str, Any]]:
    """Every document of ``table``, in the order the store iterates them."""
    with store.read() as session:
        return [dict(doc) for doc in session.table(table)]


def find(store: TinyDBStore, value: Any, table: str = "customers") -> list[int]:
    with store.read() as session:
        return session.table(table).find("email", value)


def journal_lines(data_dir: Path) -> list[dict[str, Any]]:
    """Parse the journal independently of the backend: every line must be whole and valid."""
    raw = (data_dir / "journal").read_bytes()
    assert raw.endswith(b"\n"), "the journal must end with a complete line"
    records = []
    for line in raw[:-1].split(b"\n"):
        body, tab, crc = line.rpartition(b"\t")
        assert tab, line
        assert format(zlib.crc32(body), "08x").encode() == crc, line
        records.append(orjson.loads(body))
    return records


def snapshot_docs(path: Path, table: str) -> dict[int, dict[str, Any]]:
    """Read a snapshot with plain TinyDB, as a user or another tool would."""
    db = tinydb.TinyDB(path, access_mode="r")
    try:
        return {doc.doc_id: dict(doc) for doc in db.table(table).all()}
    finally:
        db.close()


def fill(store: TinyDBStore, n: int, prefix: str = "c") -> list[int]:
    return [add(store, name=f"{prefix}{i}", email=f"{prefix}{i}@example.com") for i in range(n)]


# -- basic operations ----------------------------------------------------------------------


def test_put_get_delete_len_and_iteration(store: TinyDBStore) -> None:
    ids = [add(store, name=name) for name in ("Ann", "Bob", "Cid")]
    assert ids == [1, 2, 3]
    with store.read() as session:
        table = session.table("customers")
        assert len(table) == 3
        assert table.get(2) == {"id": 2, "name": "Bob"}
        assert table.get(99) is None
        assert [doc["name"] for doc in table] == ["Ann", "Bob", "Cid"]

    with store.write() as session:
        table = session.table("customers")
        table.put({"id": 2, "name": "Robert"})  # replace
        table.delete(1)
        table.delete(42)  # absent: ignored
    assert docs(store) == [{"id": 2, "name": "Robert"}, {"id": 3, "name": "Cid"}]
    with store.read() as session:
        assert len(session.table("customers")) == 2
        assert session.table("customers").get(1) is None
        assert len(session.table("fields")) == 0


def test_iteration_is_in_id_order_whatever_the_put_order(
    store: TinyDBStore, open_store: Any
) -> None:
    fill(store, 2)
    with store.write() as session:
        table = session.table("customers")
        a, b, c = table.new_id(), table.new_id(), table.new_id()
        for id in (c, a, b):
            table.put({"id": id, "name": f"n{id}"})
    # a deleted document put back (an undo, a restore) goes back in its place
    with store.write() as session:
        session.table("customers").delete(1)
    with store.write() as session:
        session.table("customers").put({"id": 1, "name": "back"})
    expected = [1, 2, 3, 4, 5]
    assert [doc["id"] for doc in docs(store)] == expected
    assert [doc["id"] for doc in docs(open_store())] == expected


def test_changes_need_a_write_context(store: TinyDBStore) -> None:
    add(store, name="Ann")
    with store.read() as session:
        table = session.table("customers")
        with pytest.raises(RuntimeError):
            table.put({"id": 1, "name": "X"})
        with pytest.raises(RuntimeError):
            table.new_id()
        with pytest.raises(RuntimeError):
            table.delete(1)
    assert docs(store) == [{"id": 1, "name": "Ann"}]


def test_unknown_table_and_unknown_index_are_store_errors(store: TinyDBStore) -> None:
    with store.read() as session:
        with pytest.raises(StoreError, match="nope"):
            session.table("nope")
        with pytest.raises(StoreError, match="phone"):
            session.table("customers").find("phone", "1")


@pytest.mark.parametrize("build_index_first", [True, False])
def test_find_by_index_follows_updates_and_deletes(
    store: TinyDBStore, open_store: Any, build_index_first: bool
) -> None:
    a = add(store, name="Ann", email="ann@x.org")
    b = add(store, name="Bob", email="bob@x.org")
    c = add(store, name="Cid", email="ann@x.org")  # values need not be unique
    add(store, name="Dee")  # no value: not indexed
    if build_index_first:
        assert find(store, "ann@x.org") == [a, c]

    with store.write() as session:
        table = session.table("customers")
        table.put({"id": a, "name": "Ann", "email": "ann@new.org"})
        table.delete(b)
        # inside the write the index already reflects the changes
        assert table.find("email", "ann@x.org") == [c]
        assert table.find("email", "ann@new.org") == [a]
        assert table.find("email", "bob@x.org") == []

    assert find(store, "ann@x.org") == [c]
    assert find(store, "ann@new.org") == [a]
    assert find(store, "bob@x.org") == []
    assert find(store, None) == []

    with store.write() as session:
        session.table("customers").put({"id": c, "name": "Cid"})  # value removed
    assert find(store, "ann@x.org") == []
    # another process replaying the journal agrees
    other = open_store()
    assert find(other, "ann@x.org") == []
    assert find(other, "ann@new.org") == [a]
    assert find(other, "bob@x.org") == []


# -- ids -------------------------------------------------------------------------------------


def test_new_id_never_reuses_an_id_after_deletion(store: TinyDBStore, open_store: Any) -> None:
    ids = fill(store, 3)
    with store.write() as session:
        session.table("customers").delete(ids[-1])
        session.table("customers").delete(ids[-2])
    assert add(store, name="after-delete") == 4
    with store.write() as session:
        session.table("customers").delete(4)

    # reopened: the counter comes back from the journal, not from the highest live id
    store.close()
    reopened = open_store()
    assert [doc["id"] for doc in docs(reopened)] == [1]
    assert add(reopened, name="reopened") == 5

    # an id allocated but never put is burnt too
    with reopened.write() as session:
        assert session.table("customers").new_id() == 6
    assert add(open_store(), name="x") == 7

    # tables have their own counters
    assert add(reopened, "fields", key="f") == 1


def test_new_id_survives_compaction(store: TinyDBStore, open_store: Any, data_dir: Path) -> None:
    fill(store, 5)
    with store.write() as session:
        session.table("customers").delete(5)
        session.table("customers").delete(4)
    store.compact()
    # the base record names the snapshot it starts from: proof that it must exist
    assert journal_lines(data_dir) == [{"seq": 6, "ops": [], "next": {}, "base": {"customers": 6}}]
    meta = snapshot_docs(data_dir / "customers.json", "_clientcard")
    assert meta[1]["next_ids"]["customers"] == 6

    assert add(store, name="mem") == 6
    with store.write() as session:
        session.table("customers").delete(6)
    store.compact()
    reopened = open_store()
    assert [doc["id"] for doc in docs(reopened)] == [1, 2, 3]
    assert add(reopened, name="disk") == 7
    assert add(store, name="mem-again") == 8


# -- all or nothing ---------------------------------------------------------------------------


def test_exception_inside_write_leaves_nothing_behind(
    store: TinyDBStore, open_store: Any, data_dir: Path
) -> None:
    fill(store, 3)
    add(store, "fields", key="f")
    before = docs(store)
    journal_before = (data_dir / "journal").read_bytes()

    with pytest.raises(RuntimeError, match="boom"), store.write() as session:
        table = session.table("customers")
        table.put({"id": table.new_id(), "name": "new", "email": "c0@example.com"})
        table.put({"id": 1, "name": "changed", "email": "changed@example.com"})
        table.delete(2)
        table.delete(3)
        fields = session.table("fields")
        fields.delete(1)
        fields.put({"id": fields.new_id(), "key": "g"})
        raise RuntimeError("boom")

    # memory: documents (in order), indexes and counters are as before
    assert docs(store) == before
    assert docs(store, "fields") == [{"id": 1, "key": "f"}]
    assert find(store, "c0@example.com") == [1]
    assert find(store, "c1@example.com") == [2]
    assert find(store, "changed@example.com") == []
    # disk: not a byte was written
    assert (data_dir / "journal").read_bytes() == journal_before
    assert not (data_dir / "customers.json").exists()
    reopened = open_store()
    assert docs(reopened) == before
    assert find(reopened, "c0@example.com") == [1]
    # the rolled-back ids were never used: both views agree on the next one
    assert add(store, name="next") == 4
    assert add(reopened, name="next") == 5


def test_exception_after_a_nested_write_undoes_the_nested_one_too(
    store: TinyDBStore, open_store: Any
) -> None:
    add(store, name="Ann")
    with pytest.raises(KeyError), store.write() as outer:
        with store.write() as inner:
            assert inner is outer
            inner.table("customers").put({"id": 1, "name": "inner"})
            inner.table("customers").put({"id": inner.table("customers").new_id(), "name": "x"})
        raise KeyError("outer")
    assert docs(store) == [{"id": 1, "name": "Ann"}]
    assert docs(open_store()) == [{"id": 1, "name": "Ann"}]


def test_a_write_that_changes_nothing_writes_nothing(store: TinyDBStore, data_dir: Path) -> None:
    add(store, name="Ann")
    size = (data_dir / "journal").stat().st_size
    with store.write() as session:
        assert session.table("customers").get(1) == {"id": 1, "name": "Ann"}
    assert (data_dir / "journal").stat().st_size == size


# -- other processes --------------------------------------------------------------------------


def test_second_store_sees_commits_of_the_first(open_store: Any) -> None:
    first, second = open_store(), open_store()
    assert docs(second) == []  # loaded (empty) before the first commits
    fill(first, 3)
    assert [doc["name"] for doc in docs(second)] == ["c0", "c1", "c2"]
    assert find(second, "c1@example.com") == [2]

    # the second writes on top of what it saw, with fresh ids
    assert add(second, name="from-second") == 4
    with first.write() as session:
        session.table("customers").delete(4)
        session.table("customers").put({"id": 1, "name": "renamed"})
    assert docs(second)[0] == {"id": 1, "name": "renamed"}
    assert [doc["id"] for doc in docs(second)] == [1, 2, 3]
    assert add(second, name="no reuse") == 5
    assert docs(first) == docs(second)


def test_second_store_sees_commits_across_a_compaction(open_store: Any, data_dir: Path) -> None:
    first, second = open_store(), open_store()
    fill(first, 3)
    assert len(docs(second)) == 3

    with first.write() as session:
        session.table("customers").delete(3)
    first.compact()
    add(first, name="after-compaction")  # appended to the new journal
    assert (data_dir / "customers.json").exists()
    assert [doc["id"] for doc in docs(second)] == [1, 2, 4]
    assert find(second, "c2@example.com") == []
    assert add(second, name="second") == 5

    # compacted by the second while the first holds an older view
    second.compact()
    with second.write() as session:
        session.table("customers").delete(1)
    assert [doc["id"] for doc in docs(first)] == [2, 4, 5]
    assert add(first, name="first") == 6
    assert docs(first) == docs(second) == docs(open_store())


def test_store_opened_after_compaction_loads_snapshot_and_journal(
    store: TinyDBStore, open_store: Any
) -> None:
    fill(store, 4)
    store.compact()
    fill(store, 2, prefix="late")
    late = open_store()
    assert [doc["name"] for doc in docs(late)] == ["c0", "c1", "c2", "c3", "late0", "late1"]
    assert find(late, "late1@example.com") == [6]
    assert add(late, name="x") == 7


# -- compaction ----------------------------------------------------------------------------------


def test_compaction_triggers_and_keeps_every_document(
    store: TinyDBStore, open_store: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tinydb_store, "MIN_COMPACT_BYTES", 2048)
    journal = data_dir / "journal"
    snapshot = data_dir / "customers.json"
    add(store, "fields", key="vip", type="text")
    sizes = [journal.stat().st_size]
    compacted_at = None
    for i in range(40):
        add(store, name=f"c{i}", email=f"c{i}@example.com")
        sizes.append(journal.stat().st_size)
        if sizes[-1] < sizes[-2]:
            compacted_at = i
            break
    assert compacted_at is not None, f"no compaction happened; journal sizes {sizes}"
    assert snapshot.exists()

    # the snapshot is plain TinyDB holding exactly what the store holds
    by_id = {doc["id"]: doc for doc in docs(store)}
    assert snapshot_docs(snapshot, "customers") == by_id
    assert snapshot_docs(snapshot, "fields") == {1: {"id": 1, "key": "vip", "type": "text"}}
    meta = snapshot_docs(snapshot, "_clientcard")[1]
    assert meta["next_ids"] == {"customers": compacted_at + 2, "fields": 2}
    # the new journal starts at the snapshot's sequence number
    assert journal_lines(data_dir) == [
        {"seq": meta["seq"], "ops": [], "next": {}, "base": {"customers": meta["seq"]}}
    ]

    # later commits go to the journal; reopening gives the same data
    add(store, name="after", email="after@example.com")
    assert [r["seq"] for r in journal_lines(data_dir)] == [meta["seq"], meta["seq"] + 1]
    reopened = open_store()
    assert docs(reopened) == docs(store)
    assert find(reopened, "after@example.com") == [compacted_at + 2]
    assert docs(reopened, "fields") == docs(store, "fields")


def test_compaction_happens_again_and_again(
    store: TinyDBStore, open_store: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tinydb_store, "MIN_COMPACT_BYTES", 300)
    reader = open_store()
    compactions = 0
    for i in range(60):
        size = (data_dir / "journal").stat().st_size if i else 0
        add(store, name=f"c{i}")
        if (data_dir / "journal").stat().st_size < size:
            compactions += 1
        if i % 7 == 0:
            with store.write() as session:
                session.table("customers").delete(i + 1)
        if i % 5 == 0:
            assert docs(reader) == docs(store)
    assert compactions >= 5
    assert docs(open_store()) == docs(reader) == docs(store)


def test_failed_compaction_does_not_undo_the_commit(
    store: TinyDBStore, open_store: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit is durable once the journal line is written; compaction is only upkeep."""
    fill(store, 2)
    monkeypatch.setattr(tinydb_store, "MIN_COMPACT_BYTES", 0)
    real_write = tinydb_store.Group.write_snapshot
    failures = [OSError(errno.ENOSPC, "No space left on device")]

    def flaky_write(group: Any, seq: int) -> None:
        if failures:
            raise failures.pop()
        real_write(group, seq)

    monkeypatch.setattr(tinydb_store.Group, "write_snapshot", flaky_write)
    with pytest.warns(RuntimeWarning, match="compact"):
        id = add(store, name="durable")
    assert id == 3
    assert docs(store)[-1] == {"id": 3, "name": "durable"}
    assert docs(open_store())[-1] == {"id": 3, "name": "durable"}
    # the id is not handed out again, and the next commit compacts fine
    assert add(store, name="next") == 4
    assert [r["seq"] for r in journal_lines(data_dir)] == [4]
    assert [doc["name"] for doc in docs(open_store())] == ["c0", "c1", "durable", "next"]


# -- damaged files --------------------------------------------------------------------------------


def line(seq: int, ops: list[list[Any]], next_ids: dict[str, int]) -> bytes:
    """One journal record, as it sits in the file."""
    return b"".join(encode(seq, ops, next_ids))


TORN_TAILS = {
    "garbage without newline": b"\x00garbage",
    "partial record": line(99, [["customers", 99, {"id": 99, "name": "torn"}]], {})[:40],
    "record without its newline": line(
        5, [["customers", 99, {"id": 99, "name": "torn"}]], {"customers": 100}
    )[:-1],
    "zeroed block": b"\x00" * 512,
}


@pytest.mark.parametrize("tail", TORN_TAILS.values(), ids=TORN_TAILS.keys())
def test_torn_journal_tail_is_ignored_then_cut_off(
    store: TinyDBStore, open_store: Any, data_dir: Path, tail: bytes
) -> None:
    fill(store, 3)
    journal = data_dir / "journal"
    good = journal.read_bytes()
    with journal.open("ab") as handle:
        handle.write(tail)

    expected = docs(store)
    other = open_store()
    assert docs(other) == expected  # a new reader ignores the tail
    assert docs(store) == expected  # so does one that had read up to it
    assert journal.read_bytes() == good + tail  # reading leaves the file alone

    assert add(other, name="after") == 4
    data = journal.read_bytes()
    assert data.startswith(good)
    assert tail not in data[len(good) :]
    assert [r["seq"] for r in journal_lines(data_dir)] == [1, 2, 3, 4]
    assert [doc["name"] for doc in docs(store)] == ["c0", "c1", "c2", "after"]
    assert docs(open_store()) == docs(store)


def test_bad_line_in_the_middle_of_the_journal_is_an_error(
    store: TinyDBStore, open_store: Any, data_dir: Path
) -> None:
    fill(store, 3)
    journal = data_dir / "journal"
    lines = journal.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"c1"', b'"cX"')  # the checksum no longer matches
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(StoreError, match="journal is corrupt at byte"):
        docs(open_store())
    with pytest.raises(StoreError, match="corrupt"), open_store().write():
        pass
    # nothing was cut off or rewritten by the failed attempts
    assert journal.read_bytes() == b"\n".join(lines)


def test_garbage_line_between_good_ones_is_an_error(
    store: TinyDBStore, open_store: Any, data_dir: Path
) -> None:
    fill(store, 2)
    journal = data_dir / "journal"
    with journal.open("ab") as handle:
        handle.write(b"not a record\n")
        handle.write(line(9, [["customers", 9, {"id": 9}]], {}))
    with pytest.raises(StoreError, match=re.escape(str(journal))):
        docs(open_store())


@pytest.mark.parametrize("content", [b'{"customers": {"1": {"id": 1', b"[1, 2]", b'{"a": 1,}'])
def test_invalid_snapshot_is_an_error_naming_the_file(
    store: TinyDBStore, open_store: Any, data_dir: Path, content: bytes
) -> None:
    fill(store, 2)
    store.compact()
    snapshot = data_dir / "customers.json"
    snapshot.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        docs(open_store())
    assert str(snapshot) in str(caught.value)
    # a store that loaded the good snapshot earlier notices the change too
    with pytest.raises(StoreError, match=re.escape(str(snapshot))):
        docs(store)


def test_snapshot_with_a_bad_document_id_is_an_error(
    store: TinyDBStore, open_store: Any, data_dir: Path
) -> None:
    fill(store, 1)
    store.compact()
    snapshot = data_dir / "customers.json"
    snapshot.write_bytes(b'{"customers": {"one": {"name": "x"}}}')
    with pytest.raises(StoreError, match="'one'"):
        docs(open_store())


def test_reader_is_not_fooled_by_a_new_journal_reusing_the_old_inode(
    data_dir: Path, stores: list[TinyDBStore]
) -> None:
    """Groups apart: compacting only ``activity`` replaces the journal, not ``customers.json``.

    A reader that knows only the customers must still notice the new journal,
    even where the filesystem hands the old journal's inode number to a new
    file (ext4 does so at once).  It used to read the new file from its old
    offset: a false "corrupt" error, or changes silently skipped.
    """
    specs = (*SPECS, TableSpec("activity", group="activity"))
    reader, writer = TinyDBStore(data_dir, specs), TinyDBStore(data_dir, specs)
    stores += [reader, writer]
    add(writer, name="c1")
    writer.compact()
    add(writer, "activity", what="a1")
    add(writer, "activity", what="a2")
    assert [doc["name"] for doc in docs(reader)] == ["c1"]
    journal = data_dir / "journal"
    offset, inode = journal.stat().st_size, journal.stat().st_ino

    for i in range(20):  # compactions that rewrite activity.json only
        add(writer, "activity", what=f"x{i}")
        writer.compact()
        if journal.stat().st_ino == inode:
            break  # the filesystem reused the number: the case that went wrong
    names = ["c1"]
    while journal.stat().st_size <= offset + 20:
        names.append(f"c{len(names) + 1}")
        add(writer, name=names[-1])
    assert [doc["name"] for doc in docs(reader)] == names
    assert add(reader, name="from-reader") == len(names) + 1
    fresh = TinyDBStore(data_dir, specs)
    stores.append(fresh)
    assert [doc["name"] for doc in docs(fresh)] == [*names, "from-reader"]
