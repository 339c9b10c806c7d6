"""Bookings import and classification timings, checked against plain SQL.

On a workspace of ``--size`` customers (default 100,000; the cached workspace
of ``generate.py``) and a CSV export of ``--bookings`` bookings (default
1,000,000; ``generate.cached_bookings_csv``, customers named by external_id,
about two years of bookings around ``generate.AS_OF``), measures:

- CLI ``clientcard -w DIR import bookings FILE`` on a fresh copy of the
  customers-only workspace, end to end                            target 20 s
- CLI ``clientcard -w DIR classify --as-of A`` on a fresh copy of the imported
  workspace, a new process (the API ``ws.classify(as_of=A)`` on an open,
  loaded workspace is shown as info)                              target 5 s
- API ``record_booking`` on an open workspace, which re-classifies that
  customer (median of 20)                                         target 50 ms
- the same lifecycle classification as one SQL query with the standard
  library's ``sqlite3`` over the same customers and bookings (loading them is
  info), and the ratio of clientcard's time to it.

Correctness check: the counts per status of clientcard's classify (the CLI's
output and the API report) and every customer's stored status after the CLI
run must equal what the SQL query gives; otherwise the script prints the
differences and exits with status 1.

The imported workspace is cached under ``bench/.data/`` (keyed by sizes, seed
and the versions below) so the classify and record metrics can run without
an import (``--skip-import``).  Peak memory (max RSS) of the CLI processes and
of this process is shown as info.  ``--profile DIR`` also runs the CLI import
and classify under cProfile and writes ``import.prof``/``classify.prof`` and a
text summary of each to DIR.

    .venv/bin/python bench/bench_classify.py [--size N] [--bookings B] [--repeat R]
                                             [--import-repeat R] [--skip-import]
                                             [--profile DIR]
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from bench_customers import CLI, PYTHON, Report, timed

from clientcard import Workspace

#: bump when what the cached imported workspace holds changes for another reason
#: than the customers (GENERATOR_VERSION) or the bookings (BOOKINGS_VERSION)
IMPORTED_VERSION = 2
AS_OF = generate.AS_OF
STATUSES = ("new", "paid", "loyal", "churn")
RECORDS = 20

# The lifecycle rule set as SQL.  As of :as_of a booking counts when it is
# completed and dated on or before :as_of; the first rule that applies wins:
# new (none counted), churn (latest counted before :churn_day), loyal (at least
# :min_bookings counted on or after :since), paid.
LIFECYCLE_SQL = """
WITH counted AS (
    SELECT customer_id, MAX(day) AS last, SUM(day >= :since) AS recent
    FROM bookings
    WHERE status = 'completed' AND day <= :as_of
    GROUP BY customer_id
)
SELECT c.id,
       CASE
           WHEN counted.last IS NULL THEN 'new'
           WHEN counted.last < :churn_day THEN 'churn'
           WHEN counted.recent >= :min_bookings THEN 'loyal'
           ELSE 'paid'
       END AS status
FROM customers AS c LEFT JOIN counted ON counted.customer_id = c.id
"""


class Failed(Exception):
    """The correctness check found clientcard and SQL disagreeing."""


# -- helpers ---------------------------------------------------------------------------


def run_child(args: list[str], **kwargs: Any) -> tuple[float, int, str]:
    """Run a command; its wall time, peak RSS in bytes and stdout.  Fails on exit status."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, **kwargs)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} exited with status {proc.returncode}:\n"
                + err.read().decode("utf-8", "replace")[-3000:]
            )
    return wall, usage.ru_maxrss * 1024, stdout


def add_text(report: Report, metric: str, value: str, n: str = "1") -> None:
    report.rows.append((metric, value, "-", "info", n))
    print(f"  {metric}: {value}", file=sys.stderr, flush=True)


def gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.2f} GB"


def self_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def cli_import_available() -> bool:
    """Whether this clientcard has ``import bookings`` (written by someone else right now)."""
    result = subprocess.run([CLI, "import", "bookings", "--help"], capture_output=True, check=False)
    return result.returncode == 0


#: the API import in a new process, for when the CLI command is not there yet
API_IMPORT = """\
import sys
from clientcard import Workspace
from clientcard.transfer.bookings_import import import_bookings
with Workspace.open(sys.argv[1]) as ws:
    print(ws.import_bookings(sys.argv[2]))
"""


def import_command(ws_path: Path, csv_path: Path, cli: bool) -> list[str]:
    if cli:
        return [CLI, "-w", str(ws_path), "import", "bookings", str(csv_path)]
    return [PYTHON, "-c", API_IMPORT, str(ws_path), str(csv_path)]


def parse_counts(text: str) -> dict[str, int]:
    """Counts per status from the table ``clientcard classify`` prints."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        match = re.fullmatch(r"\s*(new|paid|loyal|churn)\s+([0-9][0-9,]*)\s*", line)
        if match:
            counts[match[1]] = int(match[2].replace(",", ""))
    return counts


def imported_key(size: int, bookings: int, seed: int) -> Path:
    return generate.DATA_DIR / (
        f"ws-imported-v{IMPORTED_VERSION}-g{generate.GENERATOR_VERSION}"
        f"-b{generate.BOOKINGS_VERSION}-s{seed}-n{size}-b{bookings}"
    )


def profile(out_dir: Path, name: str, command: list[str]) -> None:
    """Run a command (CLI or API) under cProfile; write NAME.prof and NAME.txt (top functions)."""
    import pstats

    out_dir.mkdir(parents=True, exist_ok=True)
    prof = out_dir / f"{name}.prof"
    if command[0] == CLI:
        run = ["-m", "clientcard", *command[1:]]
    else:  # [PYTHON, "-c", code, args...]: cProfile runs scripts, not -c
        script = out_dir / f"{name}.py"
        script.write_text(command[2])
        run = [str(script), *command[3:]]
    wall, rss, _ = run_child([PYTHON, "-m", "cProfile", "-o", str(prof), *run])
    with (out_dir / f"{name}.txt").open("w") as text:
        text.write(f"{' '.join(run)}\nwall under cProfile {wall:.2f} s, max RSS {gb(rss)}\n")
        stats = pstats.Stats(str(prof), stream=text)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    print(f"  profile of {name}: {out_dir / (name + '.txt')} ({wall:.1f} s)", file=sys.stderr)


# -- the measurements ----------------------------------------------------------------


def bench_import(
    report: Report,
    cached: Path,
    csv_path: Path,
    target: Path,
    scratch: Path,
    repeat: int,
    bookings: int,
) -> None:
    cli = cli_import_available()
    if not cli:
        print(
            "  'clientcard import bookings' is not available: timing the API "
            "import_bookings in a new process instead",
            file=sys.stderr,
        )
    times, peak = [], 0
    for i in range(repeat):
        path = generate.copy_workspace(cached, scratch / f"import{i}")
        wall, rss, out = run_child(import_command(path, csv_path, cli))
        times.append(wall)
        peak = max(peak, rss)
        if i == 0:
            print(f"  import said: {out.strip()[:300]}", file=sys.stderr)
        if i == 0 and not (target / ".complete").is_file():
            keep(path, target, bookings)
        else:
            shutil.rmtree(path, ignore_errors=True)
    if cli:
        report.add(f"CLI: import bookings ({bookings:,} rows, new process)", times, 20.0)
    else:
        report.add(
            "CLI: import bookings -- NOT AVAILABLE; API import_bookings, new process", times, 20.0
        )
    add_text(report, "  info: import, peak memory (max RSS)", gb(peak))


def keep(path: Path, target: Path, bookings: int) -> None:
    """Keep an imported workspace as the cache, once it holds every booking."""
    with Workspace.open(path) as ws, ws.store.read() as session:
        found = len(session.table("bookings"))
    if found != bookings:
        raise Failed(f"the import recorded {found:,} bookings, not {bookings:,}")
    (path / ".complete").write_text(f"{bookings} bookings\n")
    shutil.rmtree(target, ignore_errors=True)
    shutil.move(str(path), str(target))
    gc.collect()


def build_imported(cached: Path, csv_path: Path, target: Path, bookings: int) -> None:
    """The imported workspace for --skip-import, when it is not cached yet (not timed)."""
    print(
        f"importing {bookings:,} bookings into {target} (cached for next runs) ...", file=sys.stderr
    )
    building = generate.copy_workspace(cached, target.with_name(f".building-{target.name}"))
    run_child(import_command(building, csv_path, cli_import_available()))
    keep(building, target, bookings)


def bench_cli_classify(
    report: Report, imported: Path, scratch: Path, repeat: int
) -> tuple[float, dict[str, int], dict[int, str | None]]:
    times, peak, printed, statuses = [], 0, {}, {}
    for i in range(repeat):
        path = generate.copy_workspace(imported, scratch / f"classify{i}")
        wall, rss, out = run_child([CLI, "-w", str(path), "classify", "--as-of", AS_OF.isoformat()])
        times.append(wall)
        peak = max(peak, rss)
        if i == 0:
            printed = parse_counts(out)
            print("  classify said: " + " ".join(out.split())[:300], file=sys.stderr)
            with Workspace.open(path) as ws:
                statuses = {c["id"]: c["status"] for c in ws.customers_json()}
        shutil.rmtree(path, ignore_errors=True)
    value = report.add(f"CLI: classify --as-of {AS_OF} (new process)", times, 5.0)
    add_text(report, "  info: classify, peak memory (max RSS)", gb(peak))
    return value, printed, statuses


def bench_cli_record(report: Report, imported: Path, scratch: Path) -> None:
    """One booking through the CLI: a new process re-classifies the customer (info)."""
    path = generate.copy_workspace(imported, scratch / "cli-record")
    wall, rss, _ = run_child(
        [
            CLI, "-w", str(path), "bookings", "add", "--customer", "7",
            "--date", "2025-07-01T10:30", "--amount", "35.00", "--service", "Piega",
            "--staff", "Marco", "--external-id", "BENCH-CLI-REC-1",
        ]
    )  # fmt: skip
    report.add("  info: CLI bookings add (new process, one booking)", [wall], None)
    add_text(report, "  info: bookings add, peak memory (max RSS)", gb(rss))
    shutil.rmtree(path, ignore_errors=True)


def bench_api(
    report: Report, imported: Path, scratch: Path, repeat: int, bookings: int
) -> tuple[float, dict[str, int]]:
    path = generate.copy_workspace(imported, scratch / "api")
    ws = Workspace.open(path)
    try:
        t_dry, _ = timed(lambda: ws.classify(as_of=AS_OF, dry_run=True))
        report.add("  info: API classify(dry_run=True), first call: loads the data", [t_dry], None)
        with ws.store.read() as session:
            found = len(session.table("bookings"))
        if found != bookings:
            raise Failed(f"the imported workspace holds {found:,} bookings, not {bookings:,}")
        t_api, result = timed(lambda: ws.classify(as_of=AS_OF))
        report.add(
            f"  info: API classify(as_of=A), loaded workspace "
            f"({len(result.transitions):,} changes stored)",
            [t_api],
            None,
        )
        again = [timed(lambda: ws.classify(as_of=AS_OF))[0] for _ in range(max(1, repeat))]
        report.add("  info: API classify(as_of=A) again (no changes)", again, None)

        # record one booking: the customer is re-classified (as of today)
        n = ws.count_customers()
        ids = [1 + (i * 7919) % n for i in range(RECORDS + 1)]

        def record(i: int, customer_id: int) -> None:
            ws.record_booking(
                customer_id,
                "2025-07-01T10:30",
                status="completed",
                amount="35.00",
                service="Taglio donna",
                staff="Giulia",
                external_id=f"BENCH-REC-{i}",
            )

        first, _ = timed(lambda: record(0, ids[0]))
        report.add(
            "  info: API record_booking, first (builds the customer_id index)", [first], None
        )
        times = []
        for i, customer_id in enumerate(ids[1:], start=1):
            start = time.perf_counter()
            record(i, customer_id)
            times.append(time.perf_counter() - start)
        report.add("API: record_booking (open workspace)", times, 0.050)
    finally:
        ws.close()
    shutil.rmtree(path, ignore_errors=True)
    add_text(report, "  info: this process, peak memory (max RSS)", gb(self_rss()))
    return t_api, result.counts.get("status", {})


def bench_sql(
    report: Report, customers_ws: Path, csv_path: Path, settings: Any, repeat: int
) -> tuple[float, dict[int, str]]:
    db = sqlite3.connect(":memory:")
    start = time.perf_counter()
    with Workspace.open(customers_ws) as ws:
        customers = [(c["id"], c["external_id"]) for c in ws.customers_json()]
    t_customers = time.perf_counter() - start
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, external_id TEXT)")
    db.executemany("INSERT INTO customers VALUES (?, ?)", customers)
    by_external = {e: i for i, e in customers if e is not None}
    db.execute(
        "CREATE TABLE bookings (customer_id INTEGER, day TEXT, status TEXT, "
        "amount TEXT, service TEXT, staff TEXT, external_id TEXT)"
    )
    with csv_path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        at = {name: header.index(name) for name in generate.BOOKING_COLUMNS}
        # the booking's day is the date part: the times are local (no offset)
        db.executemany(
            "INSERT INTO bookings VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    by_external[r[at["customer"]]],
                    r[at["date"]][:10],
                    r[at["status"]],
                    r[at["amount"]],
                    r[at["service"]],
                    r[at["staff"]],
                    r[at["external_id"]],
                )
                for r in reader
            ),
        )
    db.execute("CREATE INDEX bookings_customer ON bookings (customer_id, status, day)")
    db.commit()
    t_load = time.perf_counter() - start
    report.add("  info: SQL load: customers (from the workspace) + CSV + index", [t_load], None)
    report.add("  info:   of which reading the customers (customers_json)", [t_customers], None)

    params = {
        "as_of": AS_OF.isoformat(),
        "since": (AS_OF - _days(settings.loyal_window_days)).isoformat(),
        "churn_day": (AS_OF - _days(settings.churn_after_days)).isoformat(),
        "min_bookings": settings.loyal_min_bookings,
    }
    times: list[float] = []
    rows: list[tuple[int, str]] = []
    for _ in range(max(3, repeat)):
        t, rows = timed(lambda: db.execute(LIFECYCLE_SQL, params).fetchall())
        times.append(t)
    value = report.add("SQL: lifecycle status of every customer (sqlite3, one query)", times, None)
    db.close()
    return value, dict(rows)


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


def check(
    sql: dict[int, str],
    cli_counts: dict[str, int],
    api_counts: dict[str, int],
    stored: dict[int, str | None],
) -> list[str]:
    """Every disagreement between clientcard and the SQL query, as lines."""
    expected = Counter(sql.values())
    want = {s: expected.get(s, 0) for s in STATUSES}
    problems = []
    for name, counts in (("CLI classify output", cli_counts), ("API classify report", api_counts)):
        got = {s: counts.get(s, 0) for s in STATUSES}
        if got != want or set(counts) - set(STATUSES):
            problems.append(f"{name}: counts {counts} != SQL {want}")
    differ: list[tuple[int, str | None, str | None]] = [
        (i, stored.get(i), s) for i, s in sql.items() if stored.get(i) != s
    ]
    differ += [(i, stored[i], None) for i in stored.keys() - sql.keys()]
    if differ:
        shown = ", ".join(f"customer {i}: clientcard {a!r}, SQL {b!r}" for i, a, b in differ[:10])
        problems.append(f"{len(differ):,} customers' stored statuses differ from SQL: {shown}")
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="clientcard import/classify benchmarks")
    parser.add_argument("--size", type=int, default=100_000, help="customers in the workspace")
    parser.add_argument(
        "--bookings", type=int, help="bookings in the CSV [default: 10 per customer, 1,000,000]"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="repeats of the CLI classify (others scale with it)"
    )
    parser.add_argument("--import-repeat", type=int, default=1, help="repeats of the import")
    parser.add_argument(
        "--skip-import",
        action="store_true",
        help="do not time the import (use the cached imported workspace)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also profile the CLI import and classify; write them to DIR",
    )
    args = parser.parse_args(argv)
    if args.bookings is None:
        args.bookings = 10 * args.size
    # run.py passes one --repeat to every script; beyond 3 this one takes too long
    repeat = max(1, min(args.repeat, 3))

    started = time.perf_counter()
    seed = 1
    cached = generate.cached_workspace(args.size, seed)
    csv_path = generate.cached_bookings_csv(args.size, args.bookings, seed)
    imported = imported_key(args.size, args.bookings, seed)
    report = Report(
        f"clientcard import + classify, {args.size:,} customers, {args.bookings:,} bookings, "
        f"as of {AS_OF} (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    with Workspace.open(cached) as ws:
        rules = ws.rule_set("status")
    if rules is None or rules[0].name != "lifecycle":
        raise SystemExit("the bench workspace must use the lifecycle rule set")
    settings = rules[1]

    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="clientcard-bench-", dir=generate.DATA_DIR) as tmp:
        scratch = Path(tmp)
        add_text(report, "  info: bookings CSV size", f"{csv_path.stat().st_size / 1e6:.0f} MB")
        if args.skip_import:
            if not (imported / ".complete").is_file():
                build_imported(cached, csv_path, imported, args.bookings)
        else:
            print("import ...", file=sys.stderr)
            bench_import(
                report, cached, csv_path, imported, scratch, args.import_repeat, args.bookings
            )
        add_text(
            report,
            "  info: imported workspace data size",
            f"{dir_size(imported / 'data') / 1e6:.0f} MB",
        )
        print("CLI classify ...", file=sys.stderr)
        cli_time, cli_counts, stored = bench_cli_classify(report, imported, scratch, repeat)
        print("CLI bookings add ...", file=sys.stderr)
        bench_cli_record(report, imported, scratch)
        print("API classify, record_booking ...", file=sys.stderr)
        api_time, api_counts = bench_api(report, imported, scratch, repeat, args.bookings)
        gc.collect()  # the workspace bench_api loaded
        print("SQL ...", file=sys.stderr)
        sql_time, sql = bench_sql(report, cached, csv_path, settings, repeat)
        add_text(report, "ratio: CLI classify / SQL query", f"{cli_time / sql_time:,.0f}x")
        add_text(report, "ratio: API classify (loaded) / SQL query", f"{api_time / sql_time:,.0f}x")
        failed = check(sql, cli_counts, api_counts, stored)
        counts = Counter(sql.values())
        report.rows.append(
            (
                "check: clientcard statuses == SQL statuses",
                "DISAGREE" if failed else "agree",
                "agree",
                "FAIL" if failed else "ok",
                f"{len(sql):,} customers",
            )
        )
        if args.profile is not None:
            print("profiles ...", file=sys.stderr)
            path = generate.copy_workspace(cached, scratch / "profile-import")
            profile(args.profile, "import", import_command(path, csv_path, cli_import_available()))
            shutil.rmtree(path, ignore_errors=True)
            path = generate.copy_workspace(imported, scratch / "profile-classify")
            profile(
                args.profile,
                "classify",
                [CLI, "-w", str(path), "classify", "--as-of", AS_OF.isoformat()],
            )
    report.print()
    print(f"statuses as of {AS_OF} (SQL): " + ", ".join(f"{s} {counts[s]:,}" for s in STATUSES))
    print(f"(bench took {time.perf_counter() - started:.0f} s)")
    if failed:
        print("\nCORRECTNESS CHECK FAILED: clientcard and SQL disagree", file=sys.stderr)
        for line in failed:
            print(f"  {line}", file=sys.stderr)
        raise SystemExit(1)


def _run(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Failed as exc:
        raise SystemExit(f"CORRECTNESS CHECK FAILED: {exc}") from None


if __name__ == "__main__":
    _run(main)
