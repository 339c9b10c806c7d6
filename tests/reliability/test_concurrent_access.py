"""Writers and readers of one workspace at once: processes, and threads in one process.

tests/test_concurrency.py races two processes that only add.  Here three
writer processes and a process of two writer threads (each thread with its
own Workspace) run seeded random mixes of adds, batches (customers with a
booking each), CSV imports, notes, tags and deletes on their own customers,
while a reader process and a reader thread check every view they get (whole
batches and imports only, bookings matching, the --where index agreeing with
the documents, nothing seen before going missing; see access_worker.py).
Runs rotate the storage tuning: the defaults, a compaction every few
kilobytes, and every commit written as snapshots.

At the end the workspace holds exactly what every writer acknowledged, the
ids handed out are 1..N without a gap or a repeat, and the next add takes
N + 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from clientcard import Customer, Workspace, hookimpl

pytestmark = pytest.mark.reliability

WORKER = Path(__file__).with_name("access_worker.py")
OPS = 60  # per writer, scaled by CLIENTCARD_RELIABILITY_SCALE
WRITERS = ("a", "b", "c")


class Model:
    """What the writers acknowledged: names, notes, tags and bookings by customer id."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.notes: dict[int, str] = {}
        self.tags: dict[int, set[str]] = {}
        self.booked: set[int] = set()
        self.given: list[int] = []
        self.lines = 0

    def apply(self, tag: str, line: str) -> None:
        op, *args = line.split()
        self.lines += 1
        if op == "add":
            self.add(int(args[0]), args[1])
        elif op in ("batch", "import"):
            # the names are not in the line: they are read back and checked for shape
            for id in map(int, args):
                self.add(id, None)
                if op == "batch":
                    self.booked.add(id)
        elif op == "note":
            self.notes[int(args[0])] = args[1]
        elif op == "tag":
            for id in map(int, args):
                self.tags.setdefault(id, set()).add(f"t-{tag}")
        elif op == "delete":
            id = int(args[0])
            del self.names[id]
            self.notes.pop(id, None)
            self.tags.pop(id, None)
        else:
            raise AssertionError(f"unknown line from writer {tag}: {line}")

    def add(self, id: int, name: str | None) -> None:
        self.given.append(id)
        self.names[id] = name or ""


def start(
    role: str,
    ws: Path,
    tag: str,
    seed: int,
    ops: int,
    fds: tuple[int, int, int],
    env: dict[str, str],
) -> subprocess.Popen[bytes]:
    ready, go, stop = fds
    return subprocess.Popen(
        [sys.executable, str(WORKER), role, str(ws), tag, str(seed), str(ops), *map(str, fds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        pass_fds=(ready, go, stop),
    )


@pytest.mark.parametrize(
    "tuning",
    [{}, {"CC_TEST_MIN_COMPACT_BYTES": "4096"}, {"CC_TEST_BIG_COMMIT_OPS": "1"}],
    ids=["default", "compacting-often", "big-commits"],
)
def test_writers_and_readers_at_once_keep_every_invariant(
    tmp_path: Path,
    tuning: dict[str, str],
    scaled: Callable[[int], int],
    figure: Callable[[str], None],
) -> None:
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.add_field("note", type="text")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_TEST_")} | tuning
    ops = scaled(OPS)

    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    stop_r, stop_w = os.pipe()
    fds = (ready_w, go_r, stop_r)
    roles = [("writer", tag) for tag in WRITERS] + [("threads", "t"), ("reader", "r")]
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for seed, (role, tag) in enumerate(roles):
            children[tag] = start(role, path, tag, seed, ops, fds, env)
        for fd in fds:
            os.close(fd)
        ready = b""
        while len(ready) < len(roles):
            got = os.read(ready_r, len(roles))
            assert got, "a child died before the start"
            ready += got
        os.close(go_w)  # every child starts now
        go_w = -1
        outputs = {tag: children[tag].communicate(timeout=600) for tag in (*WRITERS, "t")}
        os.close(stop_w)  # the writers are done: the reader reads once more and stops
        stop_w = -1
        outputs["r"] = children["r"].communicate(timeout=600)
    finally:
        for fd in (ready_r, go_w, stop_w):
            if fd >= 0:
                os.close(fd)
        for child in children.values():
            if child.poll() is None:
                child.kill()
                child.communicate()

    model = Model()
    reads = 0
    for tag, (out, err) in outputs.items():
        assert children[tag].returncode == 0, f"{tag}: {err.decode()}"
        for line in out.decode().splitlines():
            if line.startswith("reads "):
                reads += int(line.split()[1])
            elif tag == "t":  # the threads' lines begin with the thread's tag
                thread, _, rest = line.partition(" ")
                model.apply(thread, rest)
            else:
                model.apply(tag, line)

    given = sorted(model.given)
    assert given == list(range(1, len(given) + 1)), "ids skipped or given twice"
    with Workspace.open(path) as ws:
        customers = {c.id: c for c in ws.customers()}
        assert customers.keys() == model.names.keys()
        for id, name in model.names.items():
            if name:
                assert customers[id].name == name
        assert {id: c.fields["note"] for id, c in customers.items() if "note" in c.fields} == (
            model.notes
        )
        assert {id: set(c.tags) for id, c in customers.items() if c.tags} == model.tags
        assert sorted(b["customer_id"] for b in ws.activity("booking")) == sorted(model.booked)
        assert ws.add_customer("after").id == len(given) + 1
    figure(
        f"{len(WRITERS) + 2} writers ({len(WRITERS)} processes, 2 threads) x {ops} operations, "
        f"{model.lines} acknowledged, {len(given)} ids: 0 lost, 0 reused, 0 skipped; "
        f"{reads} views checked by 2 readers: 0 half batches or imports"
    )


class Listener:
    """A host's event hooks: which customers it was told were created."""

    def __init__(self) -> None:
        self.created: list[int] = []

    @hookimpl
    def clientcard_customer_created(self, workspace: Workspace, customer: Customer) -> None:
        self.created.append(customer.id)


def test_threads_sharing_one_workspace_each_write_whole(
    tmp_path: Path, scaled: Callable[[int], int], figure: Callable[[str], None]
) -> None:
    """A web host's threads share the Workspace it opened: every write of every thread
    lands whole, and the host hears of each customer once, after its write committed."""
    path = tmp_path / "ws"
    Workspace.init(path).close()
    listener = Listener()
    per_thread = scaled(100)
    failures: list[str] = []
    added: list[int] = []
    with Workspace.open(path, plugins=[listener]) as ws:

        def work(tag: str) -> None:
            for i in range(per_thread):
                try:
                    with ws.batch():
                        customer = ws.add_customer(f"{tag}-{i}")
                        ws.record_booking(customer.id, "2024-05-01")
                    ws.update_customer(customer.id, {"name": f"{tag}-{i}-renamed"})
                    added.append(customer.id)
                except Exception as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=work, args=(tag,)) for tag in "abc"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == [], f"{len(failures)} writes failed, such as {failures[0]}"
        assert ws.count_customers() == len(added) == 3 * per_thread
        assert sorted(listener.created) == sorted(added)
    figure(f"3 threads sharing one Workspace: {len(added)} batches and updates, 0 failed")
