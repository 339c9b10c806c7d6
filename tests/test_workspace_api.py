"""The Python API a booking application uses: records, batches, events, errors."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from clientcard import (
    Customer,
    DuplicateError,
    NotFoundError,
    StoreError,
    ValidationError,
    Workspace,
    WorkspaceError,
    hookimpl,
)


class Recorder:
    """A host application's event handlers: remembers what it heard and what was on disk then."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    @hookimpl
    def clientcard_customer_created(self, workspace: Workspace, customer: Customer) -> None:
        # the change is already committed: another process would see it
        on_disk = Workspace.open(workspace.path).count_customers()
        self.events.append(("created", customer.id, customer.name, on_disk))

    @hookimpl
    def clientcard_customer_updated(
        self, workspace: Workspace, before: Customer, after: Customer
    ) -> None:
        self.events.append(("updated", before.id, before.name, after.name))

    @hookimpl
    def clientcard_customer_deleted(self, workspace: Workspace, customer: Customer) -> None:
        self.events.append(("deleted", customer.id, customer.name))


@pytest.fixture
def hooked(workspace: Workspace) -> tuple[Workspace, Recorder]:
    recorder = Recorder()
    return Workspace.open(workspace.path, plugins=[recorder]), recorder


def test_events_follow_the_commit(hooked: tuple[Workspace, Recorder]) -> None:
    ws, recorder = hooked
    ana = ws.add_customer("Ana")
    ws.update_customer(ana.id, {"name": "Ana Maria"})
    ws.update_customer(ana.id, {"name": "Ana Maria"})  # no change, no event
    ws.delete_customers([ana.id])
    assert recorder.events == [
        ("created", 1, "Ana", 1),
        ("updated", 1, "Ana", "Ana Maria"),
        ("deleted", 1, "Ana Maria"),
    ]


def test_a_batch_is_one_write_and_its_events_come_after_it(
    hooked: tuple[Workspace, Recorder],
) -> None:
    ws, recorder = hooked
    # a new workspace's first write (its starter fields) is in the journal already
    before = len((ws.path / "data" / "journal").read_bytes().splitlines())
    with ws.batch():
        ws.add_customer("A")
        ws.add_customers([{"name": "B"}, {"name": "C"}])
        assert recorder.events == []
    assert recorder.events == [
        ("created", 1, "A", 3),
        ("created", 2, "B", 3),
        ("created", 3, "C", 3),
    ]
    journal = (ws.path / "data" / "journal").read_bytes().splitlines()
    assert len(journal) == before + 1


def test_a_failing_batch_writes_nothing_and_emits_nothing(
    hooked: tuple[Workspace, Recorder],
) -> None:
    ws, recorder = hooked
    ws.add_customer("Kept", external_id="k")
    with pytest.raises(ValidationError), ws.batch():
        ws.add_customer("A")
        ws.add_customer("B", email="nope")
    with pytest.raises(DuplicateError, match="row 3: external_id 'k'"):
        ws.add_customers([{"name": "C"}, {"name": "D"}, {"name": "E", "external_id": "k"}])
    assert [c.name for c in ws.customers()] == ["Kept"]
    assert [c.name for c in Workspace.open(ws.path).customers()] == ["Kept"]
    assert [e[0] for e in recorder.events] == ["created"]
    # the ids handed out inside the failed writes are not skipped
    assert ws.add_customer("Next").id == 2


def test_row_numbers_in_batch_errors(workspace: Workspace) -> None:
    with pytest.raises(ValidationError) as caught:
        workspace.add_customers([{"name": "A"}, {"name": "B", "phone": "123"}])
    assert caught.value.row == 2
    assert str(caught.value).startswith("row 2: phone: '123' is not valid")


def test_python_values_and_text_both_work(workspace: Workspace) -> None:
    workspace.add_field("birthday", type="date")
    workspace.add_field("visits", type="integer")
    a = workspace.add_customer(
        "A", joined_at=date(2024, 1, 2), fields={"birthday": date(1990, 5, 17), "visits": 4}
    )
    b = workspace.add_customer(
        "B", joined_at="2024-01-02", fields={"birthday": "1990-05-17", "visits": "4"}
    )
    assert a.fields == b.fields == {"birthday": "1990-05-17", "visits": 4}
    assert a.joined_at == b.joined_at == date(2024, 1, 2)


def test_find_customers_by_normalised_keys(workspace: Workspace) -> None:
    workspace.add_customer("A", email="a@example.com", phone="06 1234 5678", external_id="x")
    workspace.add_customer("B", email="b@example.com", phone="+39 06 1234 5678")
    assert [c.name for c in workspace.find_customers(phone="+390612345678")] == ["A", "B"]
    assert [
        c.name for c in workspace.find_customers(phone="06 12345678", email="b@example.com")
    ] == ["B"]
    assert [c.name for c in workspace.find_customers(external_id="x")] == ["A"]
    assert workspace.find_customers(external_id="nobody") == []


def test_external_id_stays_unique_on_update(workspace: Workspace) -> None:
    workspace.add_customer("A", external_id="x")
    b = workspace.add_customer("B")
    with pytest.raises(DuplicateError):
        workspace.update_customer(b.id, {"external_id": "x"})
    workspace.update_customer(1, {"external_id": "y"})
    assert workspace.update_customer(b.id, {"external_id": "x"}).external_id == "x"


def test_unknown_ids(workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="no customer with id 5"):
        workspace.get_customer(5)
    with pytest.raises(NotFoundError):
        workspace.delete_customers([5])


def test_open_and_init_errors(tmp_path: Path, workspace: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="not a clientcard workspace"):
        Workspace.open(tmp_path / "nothing")
    with pytest.raises(WorkspaceError, match="already a clientcard workspace"):
        Workspace.init(workspace.path)


def test_a_corrupt_store_is_a_clear_error(workspace: Workspace, tmp_path: Path) -> None:
    workspace.add_customer("A")
    workspace.store.compact()  # type: ignore[attr-defined]
    snapshot = workspace.path / "data" / "customers.json"
    snapshot.write_text(snapshot.read_text()[:-10])
    with pytest.raises(StoreError, match=r"customers\.json is not valid JSON"):
        Workspace.open(workspace.path).customers()


def test_a_hand_edited_record_is_a_clear_error(workspace: Workspace) -> None:
    workspace.add_customer("A")
    workspace.store.compact()  # type: ignore[attr-defined]
    snapshot = workspace.path / "data" / "customers.json"
    data = json.loads(snapshot.read_text())
    data["customers"]["1"]["joined_at"] = "yesterday"
    snapshot.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="customer 1 in the store is damaged"):
        Workspace.open(workspace.path).get_customer(1)


def test_the_store_is_a_tinydb_database(workspace: Workspace) -> None:
    from tinydb import TinyDB

    workspace.add_customer("Ana", email="ana@example.com")
    workspace.store.compact()  # type: ignore[attr-defined]
    with TinyDB(workspace.path / "data" / "customers.json") as db:
        (doc,) = db.table("customers").all()
    assert doc.doc_id == 1 and doc["name"] == "Ana" and doc["email"] == "ana@example.com"


def test_json_forms_agree(workspace: Workspace) -> None:
    import attrs

    from clientcard.core.convert import from_json, to_json

    workspace.add_field("visits", type="integer")
    workspace.add_customer("A", email="a@example.com", tags=["x"], fields={"visits": 2})
    workspace.add_customer("B", joined_at="2020-01-01")
    customers = workspace.customers()
    assert workspace.customers_json() == [to_json(c) for c in customers]
    assert workspace.customers_json(limit=1, offset=1) == [to_json(customers[1])]
    for customer in customers:
        data = to_json(customer)
        assert set(data) == set(attrs.fields_dict(Customer))
        assert from_json(data, Customer) == customer


def test_a_record_missing_a_key_is_a_clear_error_in_json_listings(workspace: Workspace) -> None:
    workspace.add_customer("A")
    workspace.store.compact()  # type: ignore[attr-defined]
    snapshot = workspace.path / "data" / "customers.json"
    data = json.loads(snapshot.read_text())
    del data["customers"]["1"]["created_at"]
    snapshot.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="customer 1 in the store is damaged"):
        Workspace.open(workspace.path).customers_json()
