"""Memory and time of the commands that must not load what they do not need (issue 15, K).

On a fresh copy of ``bench_classify.py``'s imported workspace (``--size``
customers, default 100,000, with 10 bookings each: 1,000,000), each command in
a new process, its wall time and peak memory (max RSS, from ``wait4``):

- CLI ``customers show 7`` (the card: every section of one customer)
                                                   target 0.5 s and 200 MB
- CLI ``tags add X --where "id > 0"`` (a bulk tag of every customer) after
  one booking was recorded, which must not rewrite the activity snapshot
                                                    target 3 s
- CLI ``import bookings`` of the 1,000,000-row CSV into the customers-only
  workspace                                         target 600 MB

    .venv/bin/python bench/bench_memory.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from bench_classify import build_imported, import_command, imported_key, run_child
from bench_customers import CLI, Report

MB = 1e6


def snapshot_identity(workspace: Path, group: str) -> tuple[int, int] | None:
    """(inode, mtime) of a group's snapshot: a rewrite changes one or both."""
    path = workspace / "data" / f"{group}.json"
    if not path.exists():
        return None
    found = path.stat()
    return found.st_ino, found.st_mtime_ns


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="clientcard memory benchmarks (issue 15, K)")
    parser.add_argument("--size", type=int, default=100_000, help="customers in the workspace")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each command")
    args = parser.parse_args(argv)
    bookings = 10 * args.size
    repeat = max(1, args.repeat)
    started = time.perf_counter()
    cached = generate.cached_workspace(args.size, 1)
    csv_path = generate.cached_bookings_csv(args.size, bookings, 1)
    imported = imported_key(args.size, bookings, 1)
    if not (imported / ".complete").is_file():
        build_imported(cached, csv_path, imported, bookings)
    report = Report(
        f"clientcard memory, {args.size:,} customers, {bookings:,} bookings "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    with tempfile.TemporaryDirectory(prefix="clientcard-bench-", dir=generate.DATA_DIR) as tmp:
        scratch = Path(tmp)

        times, peak = [], 0
        for i in range(repeat):
            path = generate.copy_workspace(imported, scratch / f"show{i}")
            wall, rss, _ = run_child([CLI, "-w", str(path), "customers", "show", "7"])
            times.append(wall)
            peak = max(peak, rss)
        report.add("CLI: customers show 7 (new process)", times, 0.5)
        report.rows.append(
            (
                "  memory: customers show 7 (max RSS)",
                f"{peak / MB:.0f} MB",
                "200 MB",
                "ok" if peak <= 200 * MB else "MISS",
                str(repeat),
            )
        )

        times, peak, touched = [], 0, 0
        for i in range(repeat):
            path = generate.copy_workspace(imported, scratch / f"tag{i}")
            # a booking recorded since the last compaction: the journal holds activity,
            # which a big commit of customers must not make it rewrite
            run_child([CLI, "-w", str(path), "bookings", "add", "--customer", "1",
                       "--date", "2025-01-01"])  # fmt: skip
            before = snapshot_identity(path, "activity")
            wall, rss, _ = run_child(
                [CLI, "-w", str(path), "tags", "add", f"bulk{i}", "--where", "id > 0"]
            )
            times.append(wall)
            peak = max(peak, rss)
            touched += snapshot_identity(path, "activity") != before
        report.add('CLI: tags add X --where "id > 0" (every customer)', times, 3.0)
        report.rows.append(
            (
                "  check: the bulk tag leaves the activity snapshot alone",
                f"rewritten {touched} of {repeat}",
                "0",
                "ok" if touched == 0 else "MISS",
                str(repeat),
            )
        )
        report.rows.append(
            ("  info: tags add, max RSS", f"{peak / MB:.0f} MB", "-", "info", str(repeat))
        )

        path = generate.copy_workspace(cached, scratch / "import")
        wall, rss, _ = run_child(import_command(path, csv_path, cli=True))
        report.rows.append(
            (
                f"  memory: import bookings, {bookings:,} rows (max RSS)",
                f"{rss / MB:.0f} MB",
                "600 MB",
                "ok" if rss <= 600 * MB else "MISS",
                "1",
            )
        )
        report.rows.append(("  info: import bookings, wall", f"{wall:.1f} s", "-", "info", "1"))
    report.print()
    print(f"(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
