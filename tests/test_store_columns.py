"""Reading a few fields of every document without loading them: the column cache.

A table whose ``TableSpec`` declares ``columns`` gets ``<group>.columns``
beside its snapshot at compaction; ``Table.columns()`` over those fields is
then answered from that file, the journal and the current write, and the group
is never loaded whole.  These tests check that this shortcut never changes an
answer: every result is compared with a model the test keeps itself, and with
what the documents give when they are loaded.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from clientcard import Workspace
from clientcard.core.store import TableSpec
from clientcard.plugins.storage import columns as column_file
from clientcard.plugins.storage import snapshot
from clientcard.plugins.storage.columns import MAGIC, ColumnTable
from clientcard.plugins.storage.tinydb_store import TinyDBStore

BOOKING_COLUMNS = ("customer_id", "date", "status", "amount")
SPECS = (
    TableSpec("customers", group="customers"),
    TableSpec(
        "bookings",
        indexes=("customer_id", "external_id"),
        group="activity",
        unique=("external_id",),
        columns=BOOKING_COLUMNS,
    ),
    TableSpec(
        "payments",
        indexes=("customer_id",),
        group="activity",
        columns=("customer_id", "status", "amount"),
    ),
    # in the same file, without columns of its own
    TableSpec("notes", indexes=("customer_id",), group="activity"),
)
NAMES = ("date", "status", "amount")
STATUSES = ("completed", "upcoming", "cancelled", "no_show")

Doc = dict[str, Any]
Model = dict[str, dict[int, Doc]]
Rows = list[tuple[Any, ...]]
Where = tuple[str, Collection[Any]] | None


class Boom(Exception):
    """Raised inside a write to make it roll back."""


# -- helpers ---------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def stores() -> Iterator[list[TinyDBStore]]:
    """Opened stores, closed at the end of the test."""
    opened: list[TinyDBStore] = []
    yield opened
    for store in opened:
        store.close()


Opener = Callable[[], TinyDBStore]


@pytest.fixture
def open_store(data_dir: Path, stores: list[TinyDBStore]) -> Opener:
    """Open another store on the data directory (another process, as far as files go)."""

    def opener() -> TinyDBStore:
        store = TinyDBStore(data_dir, SPECS)
        stores.append(store)
        return store

    return opener


def booking(id: int, **changes: Any) -> Doc:
    """A booking whose values vary with its id; some lack an amount or a date."""
    doc: Doc = {
        "id": id,
        "customer_id": 1 + id % 6,
        "date": f"2025-{1 + id % 12:02d}-{1 + id % 28:02d}",
        "status": STATUSES[id % 4],
        "service": f"Cut {id}",
        "amount": {"amount": f"{id % 7 * 5}.00", "currency": "EUR"},
    }
    if id % 5 == 0:
        doc["amount"] = None
    if id % 9 == 0:
        del doc["date"]  # no value: reads as None
    doc.update(changes)
    return doc


def payment(id: int, **changes: Any) -> Doc:
    doc: Doc = {
        "id": id,
        "customer_id": 1 + id % 3,
        "status": ("received", "due")[id % 2],
        "amount": {"amount": f"{id}.50", "currency": "EUR"},
        "reference": f"INV-{id}",
    }
    doc.update(changes)
    return doc


def change(
    store: TinyDBStore,
    model: Model,
    table: str,
    puts: Iterable[Doc] = (),
    deletes: Iterable[int] = (),
) -> None:
    """Commit puts and deletes in one write, and make the same changes to the model."""
    puts, deletes = list(puts), list(deletes)
    with store.write() as session:
        t = session.table(table)
        for doc in puts:
            t.put(doc)
        for id in deletes:
            t.delete(id)
    for doc in puts:
        model.setdefault(table, {})[doc["id"]] = doc
    for id in deletes:
        model[table].pop(id, None)


def expected(docs: dict[int, Doc], names: Sequence[str] = NAMES, where: Where = None) -> Rows:
    """What ``columns(names, where)`` must give for these documents, as sorted rows."""
    return sorted(
        (
            (id, *(doc.get(name) for name in names))
            for id, doc in docs.items()
            if where is None or doc.get(where[0]) in where[1]
        ),
        key=lambda row: row[0],
    )


def rows(result: dict[str, list[Any]], names: Sequence[str]) -> Rows:
    """A ``columns()`` result as (id, value, ...) rows sorted by id, checked well formed."""
    assert set(result) == {"id", *names}
    assert len({len(values) for values in result.values()}) == 1, "lists not aligned"
    assert len(set(result["id"])) == len(result["id"]), "an id twice"
    return sorted(zip(result["id"], *(result[n] for n in names), strict=True), key=lambda r: r[0])


def answer(
    store: TinyDBStore, table: str = "bookings", names: Sequence[str] = NAMES, where: Where = None
) -> Rows:
    """``columns()`` in a read of its own, as sorted rows."""
    with store.read() as session:
        return rows(session.table(table).columns(names, where), names)


def from_documents(
    store: TinyDBStore, table: str = "bookings", names: Sequence[str] = NAMES, where: Where = None
) -> Rows:
    """``columns()`` computed from the documents: the group is loaded whole first."""
    with store.read() as session:
        list(session.table(table))
        assert loaded(store)
        return rows(session.table(table).columns(names, where), names)


def loaded(store: TinyDBStore) -> bool:
    return store.groups["activity"].loaded


def exact(value: Any) -> Any:
    """A value with its JSON types made visible, so that 1, 1.0 and True differ."""
    if isinstance(value, dict):
        return ("object", sorted((key, exact(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("array", [exact(item) for item in value])
    return (type(value).__name__, value)


def exact_rows(found: Rows) -> list[Any]:
    return [exact(list(row)) for row in found]


def header(data_dir: Path) -> dict[str, Any]:
    loaded = column_file.load((data_dir / "activity.columns").read_bytes(), data_dir)
    assert loaded is not None
    return loaded[0]


@pytest.fixture
def model(open_store: Opener, data_dir: Path) -> Model:
    """Bookings, payments and notes committed, partly changed, then compacted."""
    store = open_store()
    model: Model = {"bookings": {}, "payments": {}, "notes": {}}
    change(store, model, "bookings", [booking(id) for id in range(1, 61)])
    change(store, model, "payments", [payment(id) for id in range(1, 13)])
    change(store, model, "notes", [{"id": 1, "customer_id": 1, "text": "hi"}])
    change(store, model, "bookings", [booking(3, status="cancelled")], deletes=[7, 30])
    store.compact()
    assert (data_dir / "activity.columns").exists()
    return model


# -- answered from the file --------------------------------------------------------------


def test_the_columns_file_is_stamped_with_its_snapshot(model: Model, data_dir: Path) -> None:
    snapshot = (data_dir / "activity.json").stat()
    found = header(data_dir)
    assert found["snapshot"] == [snapshot.st_size, snapshot.st_mtime_ns]
    snapshot_seq = orjson.loads((data_dir / "activity.json").read_bytes())["_clientcard"]["1"]
    assert found["seq"] == snapshot_seq["seq"] == 4  # four commits before the compaction
    assert set(found["tables"]) == {"bookings", "payments"}  # notes declare no columns
    assert list(found["tables"]["bookings"]["columns"]) == list(BOOKING_COLUMNS)


def test_a_fresh_store_answers_from_the_file_without_loading(
    model: Model, open_store: Opener
) -> None:
    store = open_store()
    assert answer(store) == expected(model["bookings"])
    assert answer(store, names=("status",)) == expected(model["bookings"], ("status",))
    reordered = ("amount", "customer_id", "date")
    assert answer(store, names=reordered) == expected(model["bookings"], reordered)
    payments = ("customer_id", "status", "amount")
    assert answer(store, "payments", payments) == expected(model["payments"], payments)
    assert not loaded(store)
    assert store.groups["activity"].columns is not None
    # the documents give the same answer
    assert from_documents(open_store()) == expected(model["bookings"])


def test_fields_outside_the_columns_are_read_from_the_documents(
    model: Model, open_store: Opener
) -> None:
    store = open_store()
    names = ("date", "service")
    assert answer(store, names=names) == expected(model["bookings"], names)
    assert loaded(store)
    other = open_store()
    where = ("service", {"Cut 4", "Cut 5"})
    assert answer(other, names=("status",), where=where) == expected(
        model["bookings"], ("status",), where
    )
    assert loaded(other)
    third = open_store()
    assert answer(third, "notes", ("customer_id",)) == [(1, 1)]
    assert loaded(third)


@pytest.mark.parametrize("table", ["bookings", "notes", "customers"])
def test_columns_of_no_fields_gives_just_the_ids(
    model: Model, open_store: Opener, table: str
) -> None:
    """Any table, with columns or not; ``customers`` has never been written."""
    store = open_store()
    assert answer(store, table, ()) == [(id,) for id in sorted(model.get(table, {}))]


# -- the journal ---------------------------------------------------------------------------


def test_changes_committed_after_compaction_reach_a_fresh_store(
    model: Model, open_store: Opener, data_dir: Path
) -> None:
    seq = header(data_dir)["seq"]
    writer = open_store()
    change(writer, model, "bookings", [booking(61), booking(62, status="upcoming")])
    updated = booking(4, status="no_show", date="2026-01-01")
    del updated["amount"]  # a field removed by an update
    change(writer, model, "bookings", [updated, booking(10, amount={"amount": "1", "x": [1]})])
    change(writer, model, "bookings", deletes=[1, 61, 200])  # 200 never existed
    change(writer, model, "bookings", [booking(63), booking(1)])  # 1 put back after deletion
    change(writer, model, "payments", [payment(2, status="refunded")], deletes=[3])
    assert header(data_dir)["seq"] == seq, "no compaction: the changes are in the journal"

    store = open_store()
    assert answer(store) == expected(model["bookings"])
    payments = ("customer_id", "status", "amount")
    assert answer(store, "payments", payments) == expected(model["payments"], payments)
    assert not loaded(store)
    assert from_documents(open_store()) == expected(model["bookings"])


def test_changes_by_another_store_after_the_columns_were_read(
    model: Model, open_store: Opener
) -> None:
    reader, writer = open_store(), open_store()
    assert answer(reader) == expected(model["bookings"])
    change(writer, model, "bookings", [booking(61), booking(2, status="no_show")], deletes=[5])
    assert answer(reader) == expected(model["bookings"])
    assert not loaded(reader)
    # the writer compacts: a new snapshot and columns file, a new journal
    change(writer, model, "bookings", [booking(62)], deletes=[6])
    writer.compact()
    change(writer, model, "bookings", [booking(8, status="upcoming")])
    assert answer(reader) == expected(model["bookings"])
    assert not loaded(reader)
    # the reader writes too, without loading the documents
    change(reader, model, "bookings", [booking(64, status="cancelled")])
    assert not loaded(reader)
    assert answer(writer) == expected(model["bookings"])
    assert answer(open_store()) == expected(model["bookings"])


# -- inside a write --------------------------------------------------------------------------


@pytest.mark.parametrize("read_before", [True, False], ids=["read-before", "first-read-inside"])
def test_a_write_sees_its_own_changes_and_a_rollback_undoes_them(
    model: Model, open_store: Opener, read_before: bool
) -> None:
    store = open_store()
    before = expected(model["bookings"])
    if read_before:
        assert answer(store) == before
    pending = dict(model["bookings"])
    with pytest.raises(Boom), store.write() as session:
        table = session.table("bookings")
        new_id = table.new_id()
        for doc in (
            booking(2, status="no_show"),
            booking(new_id, status="upcoming"),
            booking(new_id, status="cancelled"),  # changed again in the same write
            booking(11, amount=None),
        ):
            table.put(doc)
            pending[doc["id"]] = doc
        assert (store.groups["activity"].columns is not None) == read_before
        assert rows(table.columns(NAMES), NAMES) == expected(pending)
        where = ("customer_id", {1 + new_id % 6})
        assert rows(table.columns(NAMES, where), NAMES) == expected(pending, NAMES, where)
        assert not loaded(store)
        raise Boom
    assert answer(store) == before
    assert not loaded(store)
    # the next commit starts from the state before the failed write
    change(store, model, "bookings", [booking(70), booking(12, status="upcoming")])
    assert answer(store) == expected(model["bookings"])
    assert answer(open_store()) == expected(model["bookings"])
    assert not loaded(store)


def test_a_delete_inside_a_write_is_seen_then_rolled_back(model: Model, open_store: Opener) -> None:
    store = open_store()
    before = expected(model["bookings"])
    assert answer(store) == before
    with pytest.raises(Boom), store.write() as session:
        table = session.table("bookings")
        table.put(booking(61))
        table.delete(2)
        pending = {id: doc for id, doc in model["bookings"].items() if id != 2}
        pending[61] = booking(61)
        assert rows(table.columns(NAMES), NAMES) == expected(pending)
        raise Boom
    assert answer(store) == before
    assert answer(open_store()) == before
    change(store, model, "bookings", deletes=[2])
    assert answer(store) == expected(model["bookings"])
    fresh = open_store()
    assert answer(fresh) == expected(model["bookings"])
    assert not loaded(fresh)


# -- where -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        ("customer_id", {1}),
        ("customer_id", {2, 4, 99}),
        ("customer_id", [3, 5]),
        ("customer_id", set()),
        ("status", {"completed", "no_show"}),  # a column that is not indexed
    ],
    ids=repr,
)
@pytest.mark.parametrize("names", [NAMES, ("customer_id", "status")], ids=["values", "key"])
def test_where_gives_the_same_rows_from_the_file_and_the_documents(
    model: Model, open_store: Opener, where: Where, names: Sequence[str]
) -> None:
    store = open_store()
    change(store, model, "bookings", [booking(61, customer_id=1)], deletes=[6])
    want = expected(model["bookings"], names, where)
    fresh = open_store()
    assert answer(fresh, names=names, where=where) == want
    assert not loaded(fresh)
    assert from_documents(open_store(), names=names, where=where) == want


def test_where_none_matches_documents_without_the_field_either_way(
    model: Model, open_store: Opener
) -> None:
    """A missing field reads as None, so None among the values selects those documents."""
    store = open_store()
    change(store, model, "bookings", [{"id": 61, "status": "upcoming"}, booking(62)])
    where = ("customer_id", {None, 2})
    want = expected(model["bookings"], NAMES, where)
    assert 61 in [row[0] for row in want]
    fresh = open_store()
    assert answer(fresh, where=where) == want
    assert not loaded(fresh)
    assert from_documents(open_store(), where=where) == want


# -- stale or damaged files --------------------------------------------------------------------


def edit_snapshot(data_dir: Path, model: Model, id: int, status: str) -> None:
    """Change one booking's status in the snapshot, as a user with an editor would."""
    path = data_dir / "activity.json"
    data = orjson.loads(path.read_bytes())
    meta = data.pop("_clientcard")["1"]
    data["bookings"][str(id)]["status"] = status
    path.write_bytes(snapshot.encode(data, meta, scanned=frozenset()))  # the store's layout
    model["bookings"][id] = {**model["bookings"][id], "status": status}


def test_a_snapshot_edited_by_hand_is_read_instead_of_stale_columns(
    model: Model, open_store: Opener, data_dir: Path
) -> None:
    reader = open_store()
    assert answer(reader) == expected(model["bookings"])
    size = (data_dir / "activity.json").stat().st_size
    edit_snapshot(data_dir, model, 2, "no_show")  # was "cancelled": a new size
    assert (data_dir / "activity.json").stat().st_size != size
    fresh = open_store()
    assert answer(fresh) == expected(model["bookings"])
    assert loaded(fresh)
    assert answer(reader) == expected(model["bookings"])  # it had the columns in memory


def test_an_edit_keeping_the_size_is_noticed_by_its_time(
    model: Model, open_store: Opener, data_dir: Path
) -> None:
    path = data_dir / "activity.json"
    before = path.stat()
    edit_snapshot(data_dir, model, 4, "cancelled")  # was "completed": the same length
    # an editor saves at least a clock tick later; say so rather than wait for it
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert path.stat().st_size == before.st_size
    fresh = open_store()
    assert answer(fresh) == expected(model["bookings"])
    assert loaded(fresh)


def test_a_columns_file_older_than_its_snapshot_is_ignored(
    model: Model, open_store: Opener, data_dir: Path
) -> None:
    old = (data_dir / "activity.columns").read_bytes()
    writer = open_store()
    change(writer, model, "bookings", [booking(2, status="no_show")], deletes=[3])
    writer.compact()
    (data_dir / "activity.columns").write_bytes(old)  # a backup restored over it
    fresh = open_store()
    assert answer(fresh) == expected(model["bookings"])
    assert loaded(fresh)


def _header_size(data: bytes) -> int:
    (size,) = struct.unpack_from("<Q", data, len(MAGIC))
    return int(size)


def _with_header(data: bytes, edit: Callable[[dict[str, Any]], Any]) -> bytes:
    """The file with its header changed by ``edit`` (the body left as it is)."""
    start = len(MAGIC) + 8
    size = _header_size(data)
    found = orjson.loads(data[start : start + size])
    new = orjson.dumps(edit(found))
    return MAGIC + struct.pack("<Q", len(new)) + new + data[start + size :]


def _shorter_ids(found: dict[str, Any]) -> dict[str, Any]:
    found["tables"]["bookings"]["ids"][2] -= 1
    return found


def _shorter_codes(found: dict[str, Any]) -> dict[str, Any]:
    found["tables"]["bookings"]["columns"]["status"]["codes"][2] -= 1
    return found


def _tables_not_an_object(found: dict[str, Any]) -> dict[str, Any]:
    found["tables"] = list(found["tables"])
    return found


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "cut in the magic line": lambda data: data[: len(MAGIC) - 3],
    "cut in the header size": lambda data: data[: len(MAGIC) + 3],
    "cut in the header": lambda data: data[: len(MAGIC) + 8 + _header_size(data) // 2],
    "cut in the body": lambda data: data[:-1],
    "cut after the header": lambda data: data[: len(MAGIC) + 8 + _header_size(data)],
    "garbage": lambda data: bytes(range(256)) * 8,
    "garbage after the magic line": lambda data: MAGIC + b"\xff" * 300,
    "header not JSON": lambda data: data.replace(b'"tables"', b'"tables!', 1),
    "other byte order": lambda data: data.replace(b'"little"', b'"LITTLE"', 1),
    "header is a JSON array": lambda data: MAGIC + struct.pack("<Q", 2) + b"[]",
    "tables not an object": lambda data: _with_header(data, _tables_not_an_object),
    "fewer ids than values": lambda data: _with_header(data, _shorter_ids),
    "fewer codes than ids": lambda data: _with_header(data, _shorter_codes),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_columns_file_is_ignored(
    model: Model, open_store: Opener, data_dir: Path, damage: str
) -> None:
    path = data_dir / "activity.columns"
    path.write_bytes(DAMAGES[damage](path.read_bytes()))
    store = open_store()
    assert answer(store) == expected(model["bookings"])
    assert loaded(store)


def test_a_missing_columns_file_loads_the_documents(
    model: Model, open_store: Opener, data_dir: Path
) -> None:
    (data_dir / "activity.columns").unlink()
    store = open_store()
    assert answer(store) == expected(model["bookings"])
    assert loaded(store)


def _drop_payments(tables: dict[str, ColumnTable]) -> dict[str, ColumnTable]:
    return {"bookings": tables["bookings"]}


def _fewer_booking_columns(tables: dict[str, ColumnTable]) -> dict[str, ColumnTable]:
    bookings = tables["bookings"]
    names = ("customer_id", "date", "status")
    view = bookings.view(names)
    kept = ColumnTable(names, list(view["id"]), {n: list(view[n]) for n in names})
    return {**tables, "bookings": kept}


def _renamed_booking_column(tables: dict[str, ColumnTable]) -> dict[str, ColumnTable]:
    bookings = tables["bookings"]
    view = bookings.view(bookings.names)
    names = ("customer_id", "date", "state", "amount")
    data = {new: list(view[old]) for new, old in zip(names, bookings.names, strict=True)}
    return {**tables, "bookings": ColumnTable(names, list(view["id"]), data)}


def _extra_table(tables: dict[str, ColumnTable]) -> dict[str, ColumnTable]:
    return {**tables, "notes": ColumnTable(("customer_id",), [1], {"customer_id": [1]})}


OTHER_COLUMNS: dict[str, Callable[[dict[str, ColumnTable]], dict[str, ColumnTable]]] = {
    "a table missing": _drop_payments,
    "a column missing": _fewer_booking_columns,
    "a column renamed": _renamed_booking_column,
    "a table more": _extra_table,
}


@pytest.mark.parametrize("other", list(OTHER_COLUMNS))
def test_a_columns_file_for_other_columns_is_ignored(
    model: Model, open_store: Opener, data_dir: Path, other: str
) -> None:
    """Written by a version whose tables declare other columns, stamped for this snapshot."""
    path = data_dir / "activity.columns"
    found = column_file.load(path.read_bytes(), path)
    assert found is not None
    head, tables = found
    stamp = {"snapshot": head["snapshot"], "seq": head["seq"]}
    path.write_bytes(column_file.dump(OTHER_COLUMNS[other](tables), stamp))
    store = open_store()
    assert answer(store) == expected(model["bookings"])
    assert loaded(store)


def test_a_stale_columns_file_is_written_afresh_for_the_next_reader(
    model: Model, open_store: Opener, data_dir: Path
) -> None:
    """After an upgrade that changes the columns, one reader pays the whole load, not all."""
    path = data_dir / "activity.columns"
    head, tables = column_file.load(path.read_bytes(), path) or ({}, {})
    stamp = {"snapshot": head["snapshot"], "seq": head["seq"]}
    path.write_bytes(column_file.dump(OTHER_COLUMNS["a column missing"](tables), stamp))
    writer = open_store()  # a change in the journal that the fresh file must account for
    with writer.write() as session:
        bookings = session.table("bookings")
        doc = {**bookings.get(2), "status": "no_show"}
        bookings.put(doc)
    model["bookings"][2] = doc
    first = open_store()
    assert answer(first) == expected(model["bookings"])
    assert loaded(first)
    second = open_store()
    assert answer(second) == expected(model["bookings"])
    assert not loaded(second)  # the columns file was rewritten, journal position included


# -- values ----------------------------------------------------------------------------------


def test_unusual_values_come_back_exactly(open_store: Opener, data_dir: Path) -> None:
    store = open_store()
    shared = {"amount": "35.00", "currency": "EUR"}
    values: list[Any] = [
        shared,
        shared,
        {"amount": "35.00", "currency": "EUR"},  # equal, not the same object
        {"currency": "EUR", "amount": "35.00"},  # equal, keys in another order
        {"amount": "35.00", "currency": "USD"},
        {"amount": "1", "currency": "EUR", "note": {"nested": [1, "two", None]}},
        {},
        [],
        ["a", {"b": 2}],
        None,
        "",
        "Žofia 🎉 汉字",
        'quote " backslash \\ newline \n tab \t nul \x00 line sep \u2028',
        "35.00",
        2**53 + 1,
        -(2**63),
        0.1,
        -2.5e-300,
        "completed",
    ]
    docs = {
        id: {"id": id, "customer_id": id % 3, "status": value, "amount": value, "date": value}
        for id, value in enumerate(values, start=1)
    }
    docs[2**40] = {"id": 2**40, "customer_id": None, "status": "far"}  # a huge id, no values
    model: Model = {}
    change(store, model, "bookings", docs.values())
    store.compact()
    fresh = open_store()
    want = expected(docs, BOOKING_COLUMNS)
    assert exact_rows(answer(fresh, names=BOOKING_COLUMNS)) == exact_rows(want)
    assert not loaded(fresh)


def test_numbers_and_booleans_keep_their_json_type(open_store: Opener) -> None:
    """1, 1.0 and true are different JSON values; the documents keep them apart."""
    store = open_store()
    values = [1, True, 1.0, 0, False, 0.0, -0.0]
    docs = {
        id: {"id": id, "customer_id": 1, "status": value, "date": "2025-01-01"}
        for id, value in enumerate(values, start=1)
    }
    model: Model = {}
    change(store, model, "bookings", docs.values())
    store.compact()
    from_docs = from_documents(open_store(), names=("status",))
    assert exact_rows(from_docs) == exact_rows(expected(docs, ("status",)))
    fresh = open_store()
    assert exact_rows(answer(fresh, names=("status",))) == exact_rows(from_docs)
    assert not loaded(fresh)


@pytest.mark.parametrize(
    ("distinct", "typecode"),
    [(1, "B"), (256, "B"), (257, "H"), (65_536, "H"), (65_537, "I")],
)
def test_codes_take_the_smallest_width_and_round_trip(
    tmp_path: Path, distinct: int, typecode: str
) -> None:
    count = distinct + 100
    ids: list[int | None] = [id * 3 for id in range(1, count + 1)]
    values = [f"v{n % distinct}" for n in range(count)]
    small = [n % 5 for n in range(count)]
    table = ColumnTable(("value", "small"), ids, {"value": values, "small": small})
    data = column_file.dump({"t": table}, {"snapshot": [1, 2], "seq": 7})
    found = column_file.load(data, tmp_path / "x.columns")
    assert found is not None
    head, tables = found
    columns = head["tables"]["t"]["columns"]
    assert columns["value"]["codes"][1] == typecode
    assert columns["small"]["codes"][1] == "B"
    assert len(columns["value"]["values"]) == distinct
    assert (head["snapshot"], head["seq"]) == ([1, 2], 7)
    back = tables["t"].view(("value", "small"))
    assert (back["id"], back["value"], back["small"]) == (ids, values, small)


def test_deleted_rows_are_left_out_of_the_file(tmp_path: Path) -> None:
    table = ColumnTable.of(("v",), [{"id": id, "v": id * 10} for id in range(1, 6)])
    table.set(2, None)
    table.set(4, {"id": 4, "v": "four"})
    table.set(9, {"id": 9})
    found = column_file.load(column_file.dump({"t": table}, {"seq": 1}), tmp_path)
    assert found is not None
    back = found[1]["t"].view(("v",))
    assert sorted(zip(back["id"], back["v"], strict=True)) == [
        (1, 10),
        (3, 30),
        (4, "four"),
        (5, 50),
        (9, None),
    ]


def test_seventy_thousand_distinct_values_through_the_store(
    open_store: Opener, data_dir: Path
) -> None:
    """One big commit: compacted at once, the dates need four-byte codes."""
    store = open_store()
    docs = {
        id: {"id": id, "customer_id": id % 40, "date": f"d{id}", "status": STATUSES[id % 4]}
        for id in range(1, 70_001)
    }
    model: Model = {}
    change(store, model, "bookings", docs.values())
    assert (data_dir / "activity.columns").exists(), "a big commit compacts"
    columns = header(data_dir)["tables"]["bookings"]["columns"]
    assert [columns[n]["codes"][1] for n in BOOKING_COLUMNS] == ["B", "I", "B", "B"]
    fresh = open_store()
    names = ("customer_id", "date", "status")
    assert answer(fresh, names=names) == expected(docs, names)
    where = ("customer_id", {7})
    assert answer(fresh, names=names, where=where) == expected(docs, names, where)
    assert not loaded(fresh)


# -- through the workspace ---------------------------------------------------------------------


def activity_loaded(ws: Workspace) -> bool:
    return bool(ws.store.groups["activity"].loaded)  # type: ignore[attr-defined]


def statuses(ws: Workspace, ids: Iterable[int]) -> list[str | None]:
    return [ws.get_customer(id).status for id in ids]


def test_classify_and_explain_from_the_cache_after_reopening(workspace: Workspace) -> None:
    ws = workspace
    today = ws.today()

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    ana, bo, cy, di, ed = (ws.add_customer(name).id for name in ("Ana", "Bo", "Cy", "Di", "Ed"))
    ws.record_booking(ana, ago(100), amount="35")
    ws.record_booking(ana, ago(50), amount="35")
    ws.record_booking(ana, ago(10), amount="40", external_id="ana-3")
    ws.record_booking(bo, ago(20), amount="20.5")
    ws.record_booking(bo, ago(3), status="no_show")
    ws.record_booking(cy, ago(400))
    ws.record_booking(di, ago(5), status="cancelled")
    ws.record_booking(di, ago(-10), status="upcoming")
    people = (ana, bo, cy, di, ed)
    assert statuses(ws, people) == ["loyal", "paid", "churn", "new", "new"]
    ws.store.compact()  # type: ignore[attr-defined]
    assert (ws.path / "data" / "activity.columns").exists()

    with Workspace.open(ws.path) as again:
        report = again.classify()
        assert report.transitions == []
        assert report.counts["status"] == {"new": 2, "paid": 1, "loyal": 1, "churn": 1}
        facts = again.explain(ana)["facts"]
        assert (facts["completed_bookings"], facts["first_completed"]) == (3, ago(100))
        assert (facts["last_completed"], facts["completed_spend"]) == (ago(10), "110.00")
        bo_facts = again.explain(bo)
        assert (bo_facts["facts"]["no_shows"], bo_facts["facts"]["completed_spend"]) == (
            1,
            "20.50",
        )
        assert bo_facts["dimensions"]["status"]["decision"]["status"] == "paid"
        di_facts = again.explain(di)["facts"]
        assert (di_facts["completed_bookings"], di_facts["cancelled"]) == (0, 1)
        assert di_facts["next_booking"] == ago(-10)
        later = again.classify(as_of=today + timedelta(days=200), dry_run=True)
        assert {(t.customer_id, t.old, t.new) for t in later.transitions} == {
            (ana, "loyal", "churn"),
            (bo, "paid", "churn"),
        }
        assert not activity_loaded(again)

    # changes after the compaction, by another workspace object: in the journal
    with Workspace.open(ws.path) as writer:
        writer.record_booking(bo, ago(2), amount="10")
        writer.record_booking(bo, ago(1))
        writer.record_booking(ed, ago(0))
        writer.update_activity("booking", external_id="ana-3", values={"status": "cancelled"})

    with Workspace.open(ws.path) as reader:
        assert reader.classify().counts["status"] == {"new": 1, "paid": 2, "loyal": 1, "churn": 1}
        facts = reader.explain(ana)["facts"]
        assert (facts["completed_bookings"], facts["cancelled"]) == (2, 1)
        assert reader.explain(bo)["facts"]["completed_spend"] == "30.50"
        report = reader.classify(as_of=today + timedelta(days=200))
        assert {(t.customer_id, t.old, t.new) for t in report.transitions} == {
            (ana, "paid", "churn"),
            (bo, "loyal", "churn"),
            (ed, "paid", "churn"),
        }
        assert statuses(reader, people) == ["churn", "churn", "churn", "new", "churn"]
        assert not activity_loaded(reader)
