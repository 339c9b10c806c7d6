"""Acceptance: two processes adding customers to one workspace at the same time.

Each child adds 500 customers, one ``add_customer`` call (one operation, one
commit) at a time; both are released together from a barrier.  Afterwards the
workspace holds exactly the 1,000 customers with 1,000 distinct ids, and its
files parse on their own (the journal line by line, the snapshot with plain
TinyDB).  A second run forces compaction every few kilobytes in both children,
so that snapshot rewrites and journal replacements race with the other writer.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest
import tinydb

from clientcard import Workspace

PER_PROCESS = 500

CHILD = textwrap.dedent(
    """
    import os
    import sys

    from clientcard.plugins.storage import tinydb_store

    compactions = 0
    if os.environ.get("CC_TEST_MIN_COMPACT_BYTES"):
        tinydb_store.MIN_COMPACT_BYTES = int(os.environ["CC_TEST_MIN_COMPACT_BYTES"])
        real_compact = tinydb_store.TinyDBStore.compact

        def counting_compact(self):
            global compactions
            compactions += 1
            real_compact(self)

        tinydb_store.TinyDBStore.compact = counting_compact

    from clientcard import Workspace

    path, tag, count, ready_fd, go_fd = sys.argv[1:]
    ws = Workspace.open(path)
    ws.count_customers()  # store opened and loaded before the start
    os.write(int(ready_fd), b"r")
    os.close(int(ready_fd))  # so the parent sees the end if the other child dies
    os.read(int(go_fd), 1)  # returns (empty) when the parent closes its end: go
    for i in range(int(count)):
        customer = ws.add_customer(f"{tag}-{i}")
        print(customer.id, customer.name, flush=True)
    ws.close()
    print("compactions", compactions, flush=True)
    """
)


def independent_replay(data: Path) -> dict[int, dict[str, Any]]:
    """The customers as the files say, read without clientcard's store code."""
    customers: dict[int, dict[str, Any]] = {}
    seq = 0
    snapshot = data / "customers.json"
    if snapshot.exists():
        db = tinydb.TinyDB(snapshot, access_mode="r")
        try:
            customers = {doc.doc_id: dict(doc) for doc in db.table("customers").all()}
            seq = db.table("_clientcard").get(doc_id=1)["seq"]  # type: ignore[index]
        finally:
            db.close()
    raw = (data / "journal").read_bytes()
    assert raw.endswith(b"\n"), "after clean exits the journal ends with a whole line"
    for line in raw[:-1].split(b"\n"):
        body, tab, crc = line.rpartition(b"\t")
        assert tab and format(zlib.crc32(body), "08x").encode() == crc, line[:200]
        record = orjson.loads(body)
        if record["seq"] <= seq:
            continue
        for table, id, doc in record["ops"]:
            if table != "customers":
                continue
            if doc is None:
                customers.pop(id, None)
            else:
                customers[id] = doc
    return customers


@pytest.mark.parametrize("compact_bytes", [None, 4096], ids=["default", "compacting-often"])
def test_two_processes_each_add_500_customers(tmp_path: Path, compact_bytes: int | None) -> None:
    ws_path = tmp_path / "ws"
    Workspace.init(ws_path).close()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ)
    env.pop("CC_TEST_MIN_COMPACT_BYTES", None)
    if compact_bytes is not None:
        env["CC_TEST_MIN_COMPACT_BYTES"] = str(compact_bytes)

    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    open_fds = {ready_r, ready_w, go_r, go_w}

    def close(fd: int) -> None:
        open_fds.discard(fd)
        os.close(fd)

    children = []
    try:
        for tag in ("a", "b"):
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(script),
                        str(ws_path),
                        tag,
                        str(PER_PROCESS),
                        str(ready_w),
                        str(go_r),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=env,
                    pass_fds=(ready_w, go_r),
                )
            )
        close(ready_w)
        close(go_r)
        ready = b""
        while len(ready) < 2:
            got = os.read(ready_r, 2)
            assert got, "a child died before the start"
            ready += got
        close(go_w)  # both children start now
        outputs = [child.communicate(timeout=120) for child in children]
    finally:
        for fd in list(open_fds):
            close(fd)
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()

    acked: dict[str, list[tuple[int, str]]] = {}
    compactions: dict[str, int] = {}
    for tag, child, (out, err) in zip(("a", "b"), children, outputs, strict=True):
        assert child.returncode == 0, err.decode()
        lines = out.decode().splitlines()
        assert lines[-1].startswith("compactions ")
        compactions[tag] = int(lines[-1].split()[1])
        acked[tag] = [(int(id), name) for id, name in (line.split() for line in lines[:-1])]
        assert [name for _, name in acked[tag]] == [f"{tag}-{i}" for i in range(PER_PROCESS)]

    # the two writers really interleaved (else this test would prove little)
    a_ids = [id for id, _ in acked["a"]]
    b_ids = [id for id, _ in acked["b"]]
    a_set = set(a_ids)
    in_order = sorted(a_ids + b_ids)
    switches = sum((x in a_set) != (y in a_set) for x, y in itertools.pairwise(in_order))
    assert switches >= 50, f"the writers took turns only {switches} times"
    if compact_bytes is not None:
        assert compactions["a"] >= 1 and compactions["b"] >= 1, compactions
        assert compactions["a"] + compactions["b"] >= 10, compactions
    else:
        assert compactions == {"a": 0, "b": 0}

    with Workspace.open(ws_path) as ws:
        assert ws.count_customers() == 2 * PER_PROCESS
        customers = ws.customers()
        ids = [c.id for c in customers]
        assert len(set(ids)) == 2 * PER_PROCESS
        assert ids == list(range(1, 2 * PER_PROCESS + 1))  # in id order, none skipped
        names = {c.id: c.name for c in customers}
        for tag in ("a", "b"):
            for id, name in acked[tag]:
                assert names[id] == name
        assert sorted(names.values()) == sorted(
            f"{tag}-{i}" for tag in ("a", "b") for i in range(PER_PROCESS)
        )
        # the workspace keeps working after the race
        assert ws.add_customer("after").id == 2 * PER_PROCESS + 1

    on_disk = independent_replay(ws_path / "data")
    assert {id: doc["name"] for id, doc in on_disk.items()} == {
        **names,
        2 * PER_PROCESS + 1: "after",
    }
    if compact_bytes is not None:
        assert (ws_path / "data" / "customers.json").exists()
