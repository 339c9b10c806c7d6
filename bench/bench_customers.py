"""Customer-record timings on a large workspace, against the performance targets.

Measures on a workspace of ``--size`` customers (default 100,000; built once by
``generate.py`` and cached under ``bench/.data/``):

- open the workspace (``Workspace.open``), and open + the first read that loads
  the data (``get_customer``)                                    target 0.5 s
- add one customer through the CLI, end to end (a new process)    target 0.3 s
- add one customer through the API, workspace already open         target 100 ms
- show one customer through the API (``get_customer``, warm)       target 20 ms
- list every customer as JSON: CLI ``customers list --format json``
  and API ``[ws.to_json(c) for c in ws.customers()]``              target 2 s
- add 10,000 customers through the API in one ``add_customers``    target 5 s

Rows marked "info" have no target: they show where the time of a measured
row goes (process start-up, imports, first-call costs).

Everything that writes works on a fresh copy of the cached workspace, so runs
are repeatable.  Times are wall-clock (``time.perf_counter``), median of the
repeats shown in the "n" column; the page cache is warm.

    .venv/bin/python bench/bench_customers.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

from clientcard import Workspace

PYTHON = sys.executable
CLI = str(Path(sys.executable).with_name("clientcard"))


class Report:
    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, metric: str, times: list[float], target: float | None) -> float:
        value = statistics.median(times)
        ok = "info" if target is None else ("ok" if value <= target else "MISS")
        spread = f" ({_fmt(min(times))}-{_fmt(max(times))})" if len(times) > 1 else ""
        extra = f"{len(times)}{spread}"
        self.rows.append((metric, _fmt(value), "-" if target is None else _fmt(target), ok, extra))
        print(f"  {metric}: {_fmt(value)}  [{ok}]", file=sys.stderr, flush=True)
        return value

    def print(self) -> None:
        header = ("metric", "measured", "target", "ok?", "n (min-max)")
        widths = [max(len(r[i]) for r in [header, *self.rows]) for i in range(5)]
        line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
        print(f"\n{self.title}\n")
        print(line)
        print("-|-".join("-" * w for w in widths))
        for row in self.rows:
            print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        misses = sum(r[3] == "MISS" for r in self.rows)
        print(f"\n{misses} target(s) missed" if misses else "\nall targets met")


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_wall(args: list[str], **kwargs: Any) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - start


def opened(path: Path) -> Workspace:
    """An open workspace with its customers loaded (as a long-running host has it)."""
    ws = Workspace.open(path)
    ws.get_customer(1)
    return ws


def bench_open(report: Report, ws_path: Path, repeat: int) -> None:
    opens, loads = [], []
    for _ in range(repeat):
        t_open, ws = timed(lambda: Workspace.open(ws_path))
        t_load, _ = timed(lambda ws=ws: ws.get_customer(1))
        ws.close()
        opens.append(t_open)
        loads.append(t_open + t_load)
    report.add("open: Workspace.open()", opens, 0.5)
    report.add("open + load all data (first get_customer)", loads, 0.5)


def bench_cli_add(report: Report, ws_path: Path, repeat: int) -> None:
    startup = [run_wall([PYTHON, "-c", "pass"]) for _ in range(repeat)]
    report.add("  info: python start-up (python -c pass)", startup, None)
    imports = [run_wall([PYTHON, "-c", "import clientcard.cli"]) for _ in range(repeat)]
    report.add("  info: start-up + import clientcard.cli", imports, None)
    with tempfile.TemporaryDirectory() as tmp:
        version = [run_wall([CLI, "--version"], cwd=tmp) for _ in range(repeat)]
    report.add("  info: clientcard --version (no workspace)", version, None)
    show = [
        run_wall([CLI, "-w", str(ws_path), "customers", "show", "7", "--format", "json"])
        for _ in range(repeat)
    ]
    report.add("  info: CLI customers show 7 --format json", show, None)
    times = []
    for i in range(repeat):
        times.append(
            run_wall(
                [
                    CLI,
                    "-w",
                    str(ws_path),
                    "customers",
                    "add",
                    "--name",
                    f"Niccolò Bench {i}",
                    "--email",
                    f"bench.cli{i}@example.it",
                    "--phone",
                    f"+39 347 123 45{i % 100:02d}",
                    "--external-id",
                    f"BENCH-CLI-{i}",
                    "--tag",
                    "bench",
                    "--set",
                    "city=Forlì",
                    "--set",
                    "visits=3",
                ]
            )
        )
    report.add("CLI: customers add (end to end)", times, 0.3)


def bench_api(report: Report, ws_path: Path, repeat: int) -> None:
    ws = opened(ws_path)
    try:
        n = ws.count_customers()
        first, _ = timed(
            lambda: ws.add_customer(
                "Shirin Tehrani",
                email="shirin.first@example.it",
                phone="+39 06 1234 5678",
                external_id="BENCH-API-FIRST",
                tags=["bench"],
                fields={"city": "Roma"},
            )
        )
        report.add("  info: API add_customer, first after load", [first], None)
        times = []
        for i in range(max(repeat * 4, 10)):
            t, _ = timed(
                lambda i=i: ws.add_customer(
                    f"Dariush Ahmadi {i}",
                    email=f"dariush{i}@example.it",
                    phone=f"+39 347 765 43{i % 100:02d}",
                    external_id=f"BENCH-API-{i}",
                    joined_at="2024-05-01",
                    tags=["bench"],
                    fields={
                        "city": "Milano",
                        "visits": i,
                        "level": "gold",
                        "birthday": "1990-01-31",
                    },
                )
            )
            times.append(t)
        report.add("API: add_customer (open workspace)", times, 0.100)

        ids = [1 + (i * 7919) % n for i in range(200)]
        shows = []
        for id in ids:
            t, _ = timed(lambda id=id: ws.get_customer(id))
            shows.append(t)
        report.add("API: get_customer (warm)", shows, 0.020)
    finally:
        ws.close()


def bench_list(report: Report, ws_path: Path, repeat: int) -> None:
    reps = max(2, repeat // 2)
    times = [
        run_wall([CLI, "-w", str(ws_path), "customers", "list", "--format", "json"])
        for _ in range(reps)
    ]
    report.add("CLI: customers list --format json > /dev/null", times, 2.0)

    ws = opened(ws_path)
    try:
        fetch, convert = [], []
        for _ in range(reps):
            t_fetch, customers = timed(ws.customers)
            t_json, _ = timed(lambda customers=customers: [ws.to_json(c) for c in customers])
            fetch.append(t_fetch)
            convert.append(t_fetch + t_json)
        report.add("  info: API ws.customers() alone", fetch, None)
        report.add("API: [ws.to_json(c) for c in ws.customers()]", convert, 2.0)
    finally:
        ws.close()


def bench_batch(report: Report, cached: Path, scratch: Path, repeat: int) -> None:
    batch = list(generate.rows(10_000, seed=2))  # other external ids than the cached data
    batch2 = list(generate.rows(10_000, seed=3))
    firsts, seconds = [], []
    for i in range(max(2, repeat // 2)):
        path = generate.copy_workspace(cached, scratch / f"batch{i}")
        ws = opened(path)
        try:
            t, added = timed(lambda ws=ws: ws.add_customers(batch))
            assert len(added) == 10_000
            firsts.append(t)
            # a second batch pushes the journal past the compaction threshold
            if i == 0:
                t2, _ = timed(lambda ws=ws: ws.add_customers(batch2))
                seconds.append(t2)
        finally:
            ws.close()
        shutil.rmtree(path, ignore_errors=True)
    report.add("API: add_customers(10,000 rows), one batch", firsts, 5.0)
    report.add("  info: a 2nd batch of 10,000 (journal compaction)", seconds, None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="clientcard customer benchmarks")
    parser.add_argument("--size", type=int, default=100_000, help="customers in the workspace")
    parser.add_argument("--repeat", type=int, default=5, help="repeats for the cheap metrics")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    cached = generate.cached_workspace(args.size)
    report = Report(
        f"clientcard customers, {args.size:,} customers "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    with tempfile.TemporaryDirectory(prefix="clientcard-bench-") as tmp:
        scratch = Path(tmp)
        reads = generate.copy_workspace(cached, scratch / "read")
        print("open ...", file=sys.stderr)
        bench_open(report, reads, args.repeat)
        writes = generate.copy_workspace(cached, scratch / "write")
        print("CLI add ...", file=sys.stderr)
        bench_cli_add(report, writes, args.repeat)
        print("API add / show ...", file=sys.stderr)
        bench_api(report, writes, args.repeat)
        print("list ...", file=sys.stderr)
        bench_list(report, reads, args.repeat)
        print("batch ...", file=sys.stderr)
        bench_batch(report, cached, scratch, args.repeat)
    report.print()
    print(f"(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
