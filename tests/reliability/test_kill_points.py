"""SIGKILL at chosen I/O steps of adds, deletes, updates, batches, imports and compactions.

tests/test_crash.py kills a writer at random moments (by time); here the
worker (kill_worker.py) kills itself at a seeded random call of the store's
I/O (``os.write``, ``os.fsync``, ``os.replace``, ``os.ftruncate``,
``os.unlink``), before it, after it or half-way through a write, so that kills
land between the steps of every write path: journal appends, compaction's
snapshot/keys/columns/lookups rewrites, a big commit's pending snapshots,
journal resets.  Rounds rotate through the storage modes of test_crash.py.

After each kill the workspace is opened afresh and must hold exactly what
was acknowledged, plus or minus the one operation in flight, whole: an
add (its customer, or none), a batch of customers with a booking each
across two table groups (all of them or none), an import (every row or
none), a delete or an update (before or after).  No id, of a customer or a
booking, is ever given twice: the next add in the parent takes a new one.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from clientcard import Workspace

pytestmark = pytest.mark.reliability

SEED = 15_0006
ROUNDS = 150
#: a new workspace every this many rounds: kills also land on the first writes
ROUNDS_PER_WORKSPACE = 30
#: the kill lands at a call from 1 to this (an add takes ~3 calls, a compaction ~30)
MAX_CALL = 150
#: (MIN_COMPACT_BYTES, COMPACT_RATIO, BIG_COMMIT_OPS), None for the defaults
MODES: list[tuple[int, float, int] | None] = [
    None,
    (1, 0.0, 10_000),  # a compaction after every commit
    (4096, 0.0, 10_000),  # a compaction every few kilobytes
    (1, 0.0, 1),  # every commit written as snapshots (a big commit)
]
WORKER = Path(__file__).with_name("kill_worker.py")


@pytest.fixture
def worker() -> Iterator[Callable[[dict[str, Any]], dict[str, Any]]]:
    """Send a request to the kill worker, get its answer (one worker for the test)."""
    process = subprocess.Popen(
        [sys.executable, str(WORKER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None

    def ask(request: dict[str, Any]) -> dict[str, Any]:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        answer = process.stdout.readline()
        assert answer, "the kill worker died"
        reply: dict[str, Any] = json.loads(answer)
        return reply

    try:
        yield ask
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


class Model:
    """What the workspace must hold: customers by id, bookings by external id, and every
    id ever given out."""

    def __init__(self) -> None:
        self.customers: dict[int, str] = {}
        self.bookings: dict[str, int] = {}  # external id -> customer id
        self.customer_ids: set[int] = set()
        self.booking_ids: set[int] = set()

    def new_customer(self, id: int, name: str) -> None:
        assert id not in self.customer_ids, f"customer id {id} given twice"
        assert id > max(self.customer_ids, default=0), f"id {id} below one given before"
        self.customer_ids.add(id)
        self.customers[id] = name

    def delete(self, id: int) -> None:
        del self.customers[id]
        self.bookings = {ext: c for ext, c in self.bookings.items() if c != id}

    def apply(self, op: str, args: list[str], acked: list[str]) -> None:
        """Apply an acknowledged operation (``args`` of its T line, ``acked`` of its A)."""
        if op == "add":
            self.new_customer(int(acked[0]), acked[1])
        elif op == "delete":
            self.delete(int(acked[0]))
        elif op == "update":
            self.customers[int(acked[0])] = acked[1]
        elif op in ("batch", "import"):
            assert len(acked) == len(args), (op, args, acked)
            for id, name in zip(acked, args, strict=True):
                self.new_customer(int(id), name)
                if op == "batch":
                    self.bookings[f"bk-{name}"] = int(id)


def parse_log(log: str) -> tuple[list[tuple[str, list[str], list[str]]], list[str] | None, str]:
    """(acknowledged operations, the operation in flight or None, the K line)."""
    done = []
    pending: list[str] | None = None
    killed = ""
    for line in log.splitlines():
        kind, _, rest = line.partition(" ")
        words = rest.split()
        if kind == "T":
            assert pending is None, log
            pending = words
        elif kind == "A":
            assert pending is not None and pending[0] == words[0], log
            done.append((pending[0], pending[1:], words[1:]))
            pending = None
        elif kind == "K":
            killed = rest
        else:
            failure = line.replace("\\n", "\n")
            raise AssertionError(f"the worker failed: {failure}")
    return done, pending, killed


def read_workspace(path: Path) -> tuple[dict[int, str], dict[str, tuple[int, int]]]:
    """Customers (id -> name) and bookings (external id -> (booking id, customer id))."""
    with Workspace.open(path) as ws:
        customers = ws.customers()
        by_id = {c.id: c.name for c in customers}
        assert len(by_id) == len(customers) == ws.count_customers()
        bookings = {b["external_id"]: (b["id"], b["customer_id"]) for b in ws.activity("booking")}
    return by_id, bookings


def resolve_in_flight(
    model: Model,
    pending: list[str] | None,
    found: dict[int, str],
    bookings: dict[str, tuple[int, int]],
) -> str:
    """Check what the workspace holds against the model and the operation in flight;
    apply the operation to the model when it landed.  Returns "landed" or "lost" (the
    in-flight operation: both are allowed) or "none"."""
    new = {id: name for id, name in found.items() if id not in model.customers}
    gone = model.customers.keys() - found.keys()
    changed = {
        id for id in model.customers.keys() & found.keys() if model.customers[id] != found[id]
    }
    context = f"in flight: {pending}; new {new}, gone {gone}, changed {changed}"
    op, args = (pending[0], pending[1:]) if pending else ("none", [])
    landed = bool(new or gone or changed)
    if op in ("add", "batch", "import"):
        assert not gone and not changed, context
        assert sorted(new.values()) in ([], sorted(args)), f"half a {op}: {context}"
        for id in sorted(new):
            model.new_customer(id, new[id])
            if op == "batch":
                model.bookings[f"bk-{new[id]}"] = id
    elif op == "delete":
        assert not new and not changed and gone <= {int(args[0])}, context
        if gone:
            model.delete(int(args[0]))
    elif op == "update":
        assert not new and not gone and changed <= {int(args[0])}, context
        if changed:
            assert found[int(args[0])] == args[1], context
            model.customers[int(args[0])] = args[1]
    else:  # nothing in flight, or a compaction: no change at all
        assert not landed, context
    assert found == model.customers, context
    assert {ext: c for ext, (_, c) in bookings.items()} == model.bookings, (
        f"bookings differ from their customers' batches ({context})"
    )
    booking_ids = {b for b, _ in bookings.values()}
    fresh = booking_ids - model.booking_ids
    assert all(b > max(model.booking_ids, default=0) for b in fresh), "a booking id was reused"
    model.booking_ids |= fresh
    return "none" if op in ("none", "compact") else "landed" if landed else "lost"


def test_kills_at_io_steps_lose_no_acknowledged_write(
    tmp_path: Path,
    worker: Callable[[dict[str, Any]], dict[str, Any]],
    scaled: Callable[[int], int],
    figure: Callable[[str], None],
) -> None:
    rng = random.Random(SEED)
    rounds = scaled(ROUNDS)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    points: Counter[str] = Counter()
    in_flight: Counter[str] = Counter()
    during: Counter[str] = Counter()  # the operation each kill landed in
    acked = 0
    ids: set[tuple[int, int]] = set()  # (workspace, id) of every customer checked
    model = Model()
    ws_path = tmp_path
    for round in range(rounds):
        if round % ROUNDS_PER_WORKSPACE == 0:
            ws_path = tmp_path / f"ws{round // ROUNDS_PER_WORKSPACE}"
            Workspace.init(ws_path).close()
            model = Model()
        mode = MODES[round % len(MODES)]
        request = {
            "path": str(ws_path),
            "scratch": str(scratch),
            "prefix": f"r{round}",
            "seed": rng.randrange(1 << 30),
            "mode": mode,
            "kill_at": rng.randint(1, MAX_CALL),
            "when": rng.choice(["before", "after", "torn"]),
        }
        reply = worker(request)
        context = f"round {round}: {request}\n{reply['log'][-3000:]}"
        done, pending, killed = parse_log(reply["log"])
        assert reply["signal"] == 9, f"the worker was not killed: {context}"
        name, when, _ = killed.split()
        during[pending[0] if pending else "none"] += 1
        points[f"{name} {when if name == 'write' else 'before' if when == 'torn' else when}"] += 1

        for op, args, answer in done:
            model.apply(op, args, answer)
        acked += len(done)
        found, bookings = read_workspace(ws_path)
        try:
            in_flight[resolve_in_flight(model, pending, found, bookings)] += 1
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{context}") from None

        # the next writer is not blocked, and takes an id never given before
        with Workspace.open(ws_path) as ws:
            after = ws.add_customer(f"parent-{round}")
        model.new_customer(after.id, after.name)  # (fails on an id given before)
        ids.update((round // ROUNDS_PER_WORKSPACE, id) for id in model.customer_ids)

    where = ", ".join(f"{n} {point}" for point, n in sorted(points.items()))
    ops = ", ".join(f"{n} {op}" for op, n in sorted(during.items()))
    figure(
        f"kills: {rounds} runs, at ({where}), in ({ops}); {acked} acknowledged operations "
        f"and {len(ids)} ids checked: 0 lost writes, 0 half batches or imports, 0 reused "
        f"ids; the operation in flight landed {in_flight['landed']} times, did not "
        f"{in_flight['lost']} times ({in_flight['none']} kills in a compaction or between "
        "operations)"
    )
    if rounds >= ROUNDS:  # the kills did land on every kind of step (a short run may not)
        assert {"fsync before", "fsync after", "replace before", "write torn"} <= set(points)
