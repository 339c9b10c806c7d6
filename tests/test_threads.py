"""A Workspace shared by a host's threads: each thread's write is its own.

Found by tests/reliability/test_concurrent_access.py: three threads writing
through one Workspace saw writes fail with "an event was raised outside a
write" (a write waiting for another thread's took it for its outer write, and
found no queue once that one ended), and threads first using a fresh Workspace
together opened a store each.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from clientcard import Customer, Workspace, hookimpl
from clientcard.core import context


class Listener:
    def __init__(self) -> None:
        self.created: list[int] = []

    @hookimpl
    def clientcard_customer_created(self, workspace: Workspace, customer: Customer) -> None:
        self.created.append(customer.id)


def test_a_write_waiting_for_another_threads_write_is_not_part_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.init(tmp_path / "ws").close()
    listener = Listener()
    with Workspace.open(tmp_path / "ws", plugins=[listener]) as ws:
        store = ws.store
        real_write = store.write
        waiting = threading.Event()
        result: dict[str, Any] = {}

        def write() -> Any:
            if threading.current_thread() is other:
                waiting.set()  # the other thread's write has begun: it waits for the lock
            return real_write()

        def add() -> None:
            try:
                result["customer"] = ws.add_customer("Bruno")
            except Exception as exc:
                result["customer"] = exc

        monkeypatch.setattr(store, "write", write)
        other = threading.Thread(target=add)
        with ws.batch():
            anna = ws.add_customer("Anna")
            other.start()
            assert waiting.wait(timeout=60)
        other.join()
        bruno = result["customer"]
        assert isinstance(bruno, Customer), bruno
        assert sorted(listener.created) == [anna.id, bruno.id]
        assert ws.count_customers() == 2


def test_threads_first_using_a_workspace_together_open_one_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Workspace.init(tmp_path / "ws").close()
    opened: list[object] = []
    seen: list[object] = []
    real_open = context.open_store

    with Workspace.open(tmp_path / "ws") as ws:

        def open_store(*args: Any) -> Any:
            opened.append(args)
            if len(opened) == 1:
                other = threading.Thread(target=lambda: seen.append(ws.store))
                other.start()
                # unguarded, the other thread opens a second store meanwhile; guarded,
                # it waits for this one (the bounded wait only lets it try)
                other.join(timeout=0.5)
                threads.append(other)
            return real_open(*args)

        threads: list[threading.Thread] = []
        monkeypatch.setattr(context, "open_store", open_store)
        store = ws.store
        threads[0].join()
        assert len(opened) == 1
        assert seen == [store]
