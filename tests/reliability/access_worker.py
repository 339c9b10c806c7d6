"""The children of test_concurrent_access.py: writers and readers of one workspace.

``python access_worker.py ROLE WORKSPACE TAG SEED OPS READY_FD GO_FD STOP_FD``

- ``writer``: OPS seeded random operations on its own customers (adds,
  batches of customers with a booking each, CSV imports, notes, tags,
  deletes), printing each acknowledged one (``add 7 a-a3``) once it returned;
- ``reader``: reads until STOP_FD reaches its end (the parent closes it when
  the writers are done), checking every view (see :func:`check_view`); prints
  ``reads N``;
- ``threads``: in one process, two writer threads and a reader thread, each
  with its own Workspace; the writers' lines begin with their tags (``ta add 9 ta-a0``).

Every child waits for GO_FD to reach its end before starting, so they all
start together.  The storage tuning comes from CC_TEST_* variables, as in
tests/test_concurrency.py.  A failed check raises: the child exits non-zero
with the traceback on stderr.
"""

from __future__ import annotations

import os
import random
import re
import select
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clientcard.plugins.storage import tinydb_store

if os.environ.get("CC_TEST_MIN_COMPACT_BYTES"):
    tinydb_store.MIN_COMPACT_BYTES = int(os.environ["CC_TEST_MIN_COMPACT_BYTES"])
if os.environ.get("CC_TEST_BIG_COMMIT_OPS"):
    tinydb_store.BIG_COMMIT_OPS = int(os.environ["CC_TEST_BIG_COMMIT_OPS"])

from clientcard import Selection, Workspace

#: a customer added in a group (batch or import) of k: ``<tag>-b<i>k<k>.<j>``
GROUP = re.compile(r"(.+-[bi]\d+)k(\d+)\.\d+")


def writer(path: str, tag: str, seed: int, ops: int, say: Callable[[str], None]) -> None:
    """OPS random operations, each acknowledged with a line once it returned."""
    rng = random.Random(seed)
    scratch = Path(path) / f"scratch-{tag}"
    scratch.mkdir()
    singles: list[int] = []  # customers added alone: the ones notes, tags and deletes touch
    with Workspace.open(path) as ws:
        for i in range(ops):
            op = rng.choice(["add"] * 4 + ["batch", "import", "note", "tag", "delete"])
            if op in ("note", "tag", "delete") and not singles:
                op = "add"
            if op == "add":
                customer = ws.add_customer(f"{tag}-a{i}")
                singles.append(customer.id)
                say(f"add {customer.id} {customer.name}")
            elif op == "batch":
                k = rng.randint(2, 5)
                ids = []
                with ws.batch():
                    for j in range(k):
                        customer = ws.add_customer(f"{tag}-b{i}k{k}.{j}")
                        ws.record_booking(
                            customer.id, "2024-05-01", external_id=f"bk-{tag}-{i}.{j}"
                        )
                        ids.append(customer.id)
                say(f"batch {' '.join(map(str, ids))}")
            elif op == "import":
                k = rng.randint(1, 30)
                csv = scratch / f"{i}.csv"
                csv.write_text("Name\n" + "".join(f"{tag}-i{i}k{k}.{j}\n" for j in range(k)))
                report = ws.import_customers(csv)
                say(f"import {' '.join(map(str, report.created_ids))}")
            elif op == "note":
                id = rng.choice(singles)
                ws.update_customer(id, {"note": f"{tag}-n{i}"})
                say(f"note {id} {tag}-n{i}")
            elif op == "tag":
                ids = rng.sample(singles, min(len(singles), rng.randint(1, 4)))
                ws.add_tags([f"t-{tag}"], ids)
                say(f"tag {' '.join(map(str, ids))}")
            else:
                id = singles.pop(rng.randrange(len(singles)))
                ws.delete_customers([id])
                say(f"delete {id}")


def check_view(ws: Workspace, seen: dict[str, Any]) -> None:
    """One consistent view (under one read lock) must show whole groups only, a booking
    for every batch customer and for no other, one id and one name per customer, every
    group an earlier view showed, and the --where index agreeing with the documents."""
    with ws.store.read():
        customers = ws.customers()
        count = ws.count_customers()
        bookings = ws.activity("booking")
        noted = ws.customers(Selection(where="note is not empty"))
    ids = [c.id for c in customers]
    assert len(set(ids)) == len(ids) == count, "an id shown twice, or a wrong count"
    names = [c.name for c in customers]
    assert len(set(names)) == len(names), "a customer shown twice"
    groups: dict[str, list[int]] = {}
    for customer in customers:
        match = GROUP.fullmatch(customer.name)
        if match:
            groups.setdefault(match[1], [int(match[2])]).append(customer.id)
    for group, (size, *members) in groups.items():
        assert len(members) == size, f"half a group: {group} shows {len(members)} of {size}"
    batch_ids = {id for group, (_, *members) in groups.items() if "-b" in group for id in members}
    booked = [b["customer_id"] for b in bookings]
    assert sorted(booked) == sorted(batch_ids), "bookings and batch customers differ"
    # groups are never deleted: a view without one seen before would be an older state
    assert seen["groups"] <= groups.keys(), "a group seen before is gone"
    assert [c.id for c in noted] == [c.id for c in customers if c.fields.get("note")]
    seen["groups"] = set(groups)
    seen["reads"] += 1


def reader(path: str, stopped: Callable[[], bool]) -> int:
    """Check views until ``stopped()``, then once more; how many views were checked."""
    seen: dict[str, Any] = {"groups": set(), "reads": 0}
    with Workspace.open(path) as ws:
        while not stopped():
            check_view(ws, seen)
        check_view(ws, seen)
    reads: int = seen["reads"]
    return reads


def threads(path: str, seed: int, ops: int, say: Callable[[str], None]) -> None:
    """Two writer threads and a reader thread, each with its own Workspace."""
    failures: list[BaseException] = []
    lock = threading.Lock()
    done = threading.Event()

    def said(tag: str) -> Callable[[str], None]:
        def line(text: str) -> None:
            with lock:
                say(f"{tag} {text}")

        return line

    def run(target: Callable[..., Any], *args: Any) -> None:
        try:
            target(*args)
        except BaseException as exc:
            failures.append(exc)
            done.set()

    workers = [
        threading.Thread(target=run, args=(writer, path, tag, seed + n, ops, said(tag)))
        for n, tag in enumerate(["ta", "tb"])
    ]
    reads = [0]

    def read() -> None:
        reads[0] = reader(path, done.is_set)

    checker = threading.Thread(target=run, args=(read,))
    for thread in [*workers, checker]:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    checker.join()
    if failures:
        raise failures[0]
    say(f"reads {reads[0]}")


def main() -> None:
    role, path, tag, seed, ops, ready, go, stop = sys.argv[1:]
    os.write(int(ready), b"r")
    os.close(int(ready))
    os.read(int(go), 1)  # returns (empty) when the parent closes its end: go

    def say(line: str) -> None:
        print(line, flush=True)

    if role == "writer":
        writer(path, tag, int(seed), int(ops), say)
    elif role == "reader":

        def stopped() -> bool:
            return bool(select.select([int(stop)], [], [], 0)[0])

        say(f"reads {reader(path, stopped)}")
    else:
        threads(path, int(seed), int(ops), say)


if __name__ == "__main__":
    main()
