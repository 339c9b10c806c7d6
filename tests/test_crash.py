"""Acceptance: a writer killed with SIGKILL at random moments loses nothing it acknowledged.

A child process adds customers one at a time, forever, printing each new id
(and name) and flushing stdout once ``add_customer`` has returned: a printed
line is an acknowledged, committed customer.  The parent kills it after a
random (seeded) delay, reads its output only once it is dead and counts only
complete lines, then checks the workspace: it opens, every acknowledged
customer is there under its id with its name, ids are unique, at most the one
customer being added when the kill landed is there unacknowledged, and the
lock does not block the next writer.  Rounds rotate between plain journal
appends, compaction after every commit, compaction every few kilobytes and
every commit written as snapshots (a big commit), so that kills land during
appends, snapshot rewrites, pending snapshots and journal resets.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path
from typing import Any

import orjson
import tinydb

from clientcard import Workspace

ROUNDS = 28
SEED = 20240517
MAX_DELAY = 0.3  # seconds between the child being ready and the kill

#: (MIN_COMPACT_BYTES, COMPACT_RATIO, BIG_COMMIT_OPS) per kind of round; None keeps
#: the defaults.  The last mode makes every commit a big one (written as snapshots).
MODES: list[tuple[int, float, int] | None] = [
    None,
    (1, 0.0, 10_000),
    (4096, 0.0, 10_000),
    (1, 0.0, 1),
]

CHILD = textwrap.dedent(
    """
    import os
    import sys

    from clientcard.plugins.storage import tinydb_store

    if os.environ.get("CC_TEST_MIN_COMPACT_BYTES"):
        tinydb_store.MIN_COMPACT_BYTES = int(os.environ["CC_TEST_MIN_COMPACT_BYTES"])
        tinydb_store.COMPACT_RATIO = float(os.environ["CC_TEST_COMPACT_RATIO"])
        tinydb_store.BIG_COMMIT_OPS = int(os.environ["CC_TEST_BIG_COMMIT_OPS"])

    from clientcard import Workspace

    path, prefix, ready_fd = sys.argv[1:]
    parent = os.getppid()
    ws = Workspace.open(path)
    ws.count_customers()  # store opened and loaded
    os.write(int(ready_fd), b"r")
    os.close(int(ready_fd))
    i = 0
    while os.getppid() == parent:  # stop if the test itself went away
        customer = ws.add_customer(f"{prefix}-{i}")
        print(customer.id, customer.name, flush=True)
        i += 1
    """
)


def widen_pipe(fd: int) -> None:
    """Let the child's output pile up unread without it ever blocking on a full pipe."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        # the default 64 KiB would do for MAX_DELAY too
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsize, 1 << 20)


def run_and_kill(
    script: Path, ws_path: Path, prefix: str, env: dict[str, str], delay: float
) -> tuple[list[tuple[int, str]], bytes]:
    """Start a writer, kill it ``delay`` seconds after it is ready; its acknowledged adds."""
    ready_r, ready_w = os.pipe()
    try:
        child = subprocess.Popen(
            [sys.executable, str(script), str(ws_path), prefix, str(ready_w)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            pass_fds=(ready_w,),
        )
    finally:
        os.close(ready_w)
    try:
        assert child.stdout is not None
        widen_pipe(child.stdout.fileno())
        with os.fdopen(ready_r, "rb", buffering=0) as ready:
            started = ready.read(1)
        if started:
            time.sleep(delay)  # a random moment, not a measurement
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert started, f"the writer died before it was ready: {err.decode()}"
    assert child.returncode == -signal.SIGKILL, err.decode()
    complete = out.split(b"\n")[:-1]  # the piece after the last newline was never acknowledged
    acked = []
    for line in complete:
        id, name = line.decode().split()
        acked.append((int(id), name))
    return acked, err


def assert_lock_free(lock: Path) -> None:
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if anyone still holds it
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read_snapshot(path: Path) -> tuple[dict[int, str], int]:
    """Customer names by id in one TinyDB file, and the journal seq it reflects."""
    db = tinydb.TinyDB(path, access_mode="r")
    try:
        names = {}
        for doc in db.table("customers").all():
            assert doc["id"] == doc.doc_id
            names[doc.doc_id] = doc["name"]
        seq: int = db.table("_clientcard").get(doc_id=1)["seq"]  # type: ignore[index]
    finally:
        db.close()
    return names, seq


def files_on_their_own(data: Path) -> dict[int, str]:
    """Customer names by id as the snapshot and journal say, read without the store code.

    A kill can leave at most one torn piece after the journal's last newline;
    every complete line must be whole and checksummed.
    """
    names: dict[int, str] = {}
    seq = 0
    snapshot = data / "customers.json"
    if snapshot.exists():
        names, seq = read_snapshot(snapshot)
    raw = (data / "journal").read_bytes()
    seqs = []
    for line in raw.split(b"\n")[:-1]:
        body, tab, crc = line.rpartition(b"\t")
        assert tab and format(zlib.crc32(body), "08x").encode() == crc, line[:200]
        record: dict[str, Any] = orjson.loads(body)
        seqs.append(record["seq"])
        if record["seq"] <= seq:
            continue
        if "customers" in record.get("snapshots", ()):
            # a big commit: the customers as of this record are in its pending file
            # until that file replaces the snapshot (and then in the snapshot)
            pending = data / f".customers.json.{record['seq']}.pending"
            names, seq = read_snapshot(pending if pending.exists() else snapshot)
            assert seq == record["seq"], (seq, record["seq"])
        for table, id, doc in record["ops"]:
            if table == "customers":
                assert doc is not None
                names[id] = doc["name"]
    assert seqs == sorted(set(seqs)), "journal sequence numbers must strictly increase"
    return names


def test_sigkilled_writer_loses_nothing_it_acknowledged(tmp_path: Path) -> None:
    ws_path = tmp_path / "ws"
    Workspace.init(ws_path).close()
    data = ws_path / "data"
    script = tmp_path / "writer.py"
    script.write_text(CHILD)
    rng = random.Random(SEED)

    expected: dict[int, str] = {}  # every customer the workspace must hold, by id
    unacknowledged = 0  # committed but killed before printing: allowed, at most one a round
    acked_by_mode = [0] * len(MODES)
    for round in range(ROUNDS):
        mode = MODES[round % len(MODES)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CC_TEST_")}
        if mode is not None:
            env["CC_TEST_MIN_COMPACT_BYTES"] = str(mode[0])
            env["CC_TEST_COMPACT_RATIO"] = str(mode[1])
            env["CC_TEST_BIG_COMMIT_OPS"] = str(mode[2])
        prefix = f"r{round}"
        acked, err = run_and_kill(script, ws_path, prefix, env, rng.uniform(0.0, MAX_DELAY))
        acked_by_mode[round % len(MODES)] += len(acked)
        context = f"round {round} (mode {mode}, {len(acked)} acknowledged): {err.decode()}"

        # the acknowledged adds are contiguous and each got a fresh id above every older one
        assert [name for _, name in acked] == [f"{prefix}-{i}" for i in range(len(acked))]
        assert all(id > max(expected, default=0) for id, _ in acked), context
        assert_lock_free(data / "lock")

        with Workspace.open(ws_path) as ws:
            customers = ws.customers()
            by_id = {c.id: c.name for c in customers}
            assert len(by_id) == len(customers) == ws.count_customers(), context
            assert len(set(by_id.values())) == len(by_id), "a customer was committed twice"
            for id, name in acked:
                assert by_id.get(id) == name, context
            # besides what was there and what was acknowledged, at most the add in flight
            new = {id: name for id, name in by_id.items() if id not in expected}
            extra = {id: name for id, name in new.items() if (id, name) not in acked}
            assert len(extra) <= 1, context
            if extra:
                ((id, name),) = extra.items()
                assert name == f"{prefix}-{len(acked)}", context
                assert id > max((i for i, _ in acked), default=max(expected, default=0))
                unacknowledged += 1
            assert {id: by_id[id] for id in expected} == expected, context
            expected.update(new)

            # the next writer is not blocked, and its id is fresh
            check = ws.add_customer(f"parent-{round}")
            assert check.id > max(expected)
            expected[check.id] = check.name

        assert files_on_their_own(data) == expected, context

    # the kills did land while customers were being added, in every kind of round
    assert all(n >= 10 for n in acked_by_mode), acked_by_mode
    assert unacknowledged <= ROUNDS
    with Workspace.open(ws_path) as ws:
        assert {c.id: c.name for c in ws.customers()} == expected
    leftovers = [
        p.name for p in data.iterdir() if not re.fullmatch(r"customers\.json|journal|lock", p.name)
    ]
    print(
        f"{ROUNDS} kills: {acked_by_mode} acknowledged adds by mode, {unacknowledged} committed "
        f"unacknowledged, {len(leftovers)} temporary files left by kills mid-rewrite"
    )
