"""The child of test_kill_points.py: store work that SIGKILLs itself at a chosen I/O step.

Run as ``python kill_worker.py``.  It imports clientcard once, then reads one
JSON request a line from stdin; for each it forks a worker (a fresh process
that has opened no workspace, so nothing is shared with this one) and
answers with one JSON line: how the worker ended and everything it logged.

A worker counts its calls of ``os.write``, ``os.fsync``, ``os.replace``,
``os.ftruncate`` and ``os.unlink`` (every step by which the store changes
its files: journal appends, atomic rewrites, directory syncs, torn-tail cuts,
leftover removal) and kills itself with SIGKILL at call ``kill_at``: before
it, after it, or (``os.write`` only) half-way through it, as a large write
cut short.  Until then it runs a seeded random sequence of operations: adds,
deletes, updates, batches (customers with a booking each: two table groups
in one write), CSV imports and compactions.

It logs through a pipe before going on: ``T <op> ...`` before each
operation, ``A <op> ...`` once it returned (acknowledged), ``K <call>
<when> <n>`` just before the kill.  The parent therefore knows every
acknowledged change and the one operation in flight.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

COUNTED = ("write", "fsync", "replace", "ftruncate", "unlink")
#: operations a worker runs at most (it is meant to be killed long before)
MAX_OPS = 5_000


def main() -> None:
    import clientcard  # noqa: F401 - loaded once, before the forks

    for line in sys.stdin:
        request = json.loads(line)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_end)
            try:
                work(request, write_end)
            except BaseException:
                message = traceback.format_exc().replace("\n", "\\n")
                os.write(write_end, f"E {message}\n".encode())
                os._exit(1)
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            log = pipe.read()  # until the worker is gone
        _, status = os.waitpid(pid, 0)
        reply = {
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "log": log.decode(),
        }
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def install_faults(kill_at: int, when: str, log: Any) -> None:
    """Count the store's I/O calls and SIGKILL this process at call ``kill_at``."""
    real = {name: getattr(os, name) for name in COUNTED}
    calls = [0]

    def die(name: str) -> None:
        log(f"K {name} {when} {calls[0]}")
        os.kill(os.getpid(), signal.SIGKILL)

    def counted(name: str) -> Any:
        function = real[name]

        def call(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] == kill_at:
                if when == "torn" and name == "write" and len(args[1]) > 1:
                    fd, data = args
                    function(fd, memoryview(data)[: len(data) // 2])
                    die(name)
                if when != "after":
                    die(name)
            result = function(*args, **kwargs)
            if calls[0] == kill_at:
                die(name)
            return result

        return call

    for name in COUNTED:
        setattr(os, name, counted(name))


def work(request: dict[str, Any], pipe: int) -> None:
    from clientcard import Workspace
    from clientcard.plugins.storage import tinydb_store

    write = os.write  # the real one: the log is not the store's I/O

    def log(line: str) -> None:
        write(pipe, (line + "\n").encode())

    if request["mode"] is not None:
        min_bytes, ratio, big_ops = request["mode"]
        tinydb_store.MIN_COMPACT_BYTES = min_bytes
        tinydb_store.COMPACT_RATIO = ratio
        tinydb_store.BIG_COMMIT_OPS = big_ops
    rng = random.Random(request["seed"])
    prefix = request["prefix"]
    scratch = Path(request["scratch"])
    ws = Workspace.open(request["path"])
    alive = [c.id for c in ws.customers()]
    install_faults(request["kill_at"], request["when"], log)
    ops = ["add"] * 6 + ["delete", "update", "batch", "batch", "import", "compact"]
    for i in range(MAX_OPS):
        op = rng.choice(ops)
        if op in ("delete", "update") and not alive:
            op = "add"
        if op == "add":
            name = f"{prefix}-a{i}"
            log(f"T add {name}")
            extra = {"external_id": f"{prefix}-x{i}"} if rng.random() < 0.5 else {}
            customer = ws.add_customer(name, **extra)
            alive.append(customer.id)
            log(f"A add {customer.id} {name}")
        elif op == "delete":
            id = alive.pop(rng.randrange(len(alive)))
            log(f"T delete {id}")
            ws.delete_customers([id])
            log(f"A delete {id}")
        elif op == "update":
            id = rng.choice(alive)
            name = f"{prefix}-u{i}"
            log(f"T update {id} {name}")
            ws.update_customer(id, {"name": name})
            log(f"A update {id} {name}")
        elif op == "batch":
            names = [f"{prefix}-b{i}.{j}" for j in range(rng.randint(2, 6))]
            log(f"T batch {' '.join(names)}")
            ids = []
            with ws.batch():
                for name in names:
                    customer = ws.add_customer(name)
                    ws.record_booking(customer.id, "2024-05-01", external_id=f"bk-{name}")
                    ids.append(customer.id)
            alive += ids
            log(f"A batch {' '.join(map(str, ids))}")
        elif op == "import":
            names = [f"{prefix}-i{i}.{j}" for j in range(rng.randint(1, 40))]
            csv = scratch / f"{prefix}-{i}.csv"
            csv.write_text("Name\n" + "".join(f"{name}\n" for name in names))
            log(f"T import {' '.join(names)}")
            report = ws.import_customers(csv)
            alive += report.created_ids
            log(f"A import {' '.join(map(str, report.created_ids))}")
        else:
            log("T compact")
            ws.store.compact()  # type: ignore[attr-defined]
            log("A compact")
    log("D")


if __name__ == "__main__":
    main()
