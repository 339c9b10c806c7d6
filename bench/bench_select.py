"""Selection timings: filters, search and bulk tags on a workspace with bookings.

On a fresh copy of the imported workspace of ``bench_classify.py`` (``--size``
customers, default 100,000, with 10 bookings per customer: 1,000,000; built
and cached under ``bench/.data/`` on first use), classified as of
``generate.AS_OF`` first (not timed) so that every status occurs, measures on
an open workspace (``ws.select(Selection(...))``):

- any single filter: status, tag, joined range, e-mail, phone (a real number
  typed in the local format), ``where`` on an integer and on a text field,
  search by a fragment of a name (Latin letters, and Persian script), last
  completed booking before a day, an upcoming booking          target 50 ms
- a combination of three filters (statuses + tag + where)       target 100 ms
- ``add_tags`` on 10,000 customers (one write; undone with
  ``remove_tags``, a new tag each repeat)                       target 2 s

Info rows: the first select after open (it loads the customers and builds
the search texts), the first activity filter (it reads the bookings from the
column cache), ``remove_tags``, and the CLI ``customers list --status loyal
--count`` end to end (a new process, loading included).  Each filter's row
says how many customers it matched, so one matching nothing shows.  The
workspace's "today" is set to ``generate.EXPORTED``, the day the bookings were
exported, so that upcoming bookings exist.  A CLI count that differs from the
API's fails the run (exit status 1); a missed target does not.

    .venv/bin/python bench/bench_select.py [--size N] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_classify
import generate
from bench_customers import CLI, Report, timed

from clientcard import Workspace
from clientcard.find.selection import Selection

AS_OF = generate.AS_OF
SEED = 1
FILTER = 0.050
COMBINED = 0.100
BULK = 2.0
BULK_SIZE = 10_000


def imported_workspace(size: int, bookings: int) -> Path:
    """The cached imported workspace of ``bench_classify.py``, built on first use."""
    target = bench_classify.imported_key(size, bookings, SEED)
    if not (target / ".complete").is_file():
        cached = generate.cached_workspace(size, SEED)
        csv_path = generate.cached_bookings_csv(size, bookings, SEED)
        bench_classify.build_imported(cached, csv_path, target, bookings)
    return target


def classify(path: Path) -> Counter[str]:
    """Classify as of AS_OF (setup, not timed): the import classified as of today."""
    with Workspace.open(path) as ws:
        ws.classify(as_of=AS_OF)
        statuses = Counter(c["status"] for c in ws.customers_json())
    gc.collect()
    return statuses


# -- picking real values -----------------------------------------------------------------


def _plain(text: str) -> str:
    """Lowercase ASCII letters of a Latin name ("Niccolò" -> "niccolo")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalpha())


def _persian(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def pick(customers: list[dict[str, Any]]) -> dict[str, str]:
    """An e-mail, a phone (local format), and name fragments of real customers."""
    start = len(customers) // 2  # away from the first ids, which the bulk tag uses
    ordered = customers[start:] + customers[:start]
    found: dict[str, str] = {}
    for c in ordered:
        if "email" not in found and c.get("email"):
            found["email"] = c["email"]
        phone = c.get("phone") or ""
        if "phone" not in found and phone.startswith("+39"):
            found["phone"] = phone[3:]  # the national number: read with region IT
        words = (c.get("name") or "").split()
        last = words[-1] if words else ""
        if "latin" not in found and last.isalpha() and not _persian(last):
            plain = _plain(last)
            if len(plain) >= 6:
                found["latin"] = plain[1:5]  # "Moretti" -> "oret"
        if "persian" not in found and _persian(last) and len(last) >= 4:
            found["persian"] = last[:3]
        if len(found) == 4:
            break
    return found


# -- the measurements --------------------------------------------------------------------


def measure(
    report: Report,
    ws: Workspace,
    label: str,
    selection: Selection,
    repeat: int,
    target: float | None = FILTER,
) -> list[int]:
    times, ids = [], []
    for _ in range(repeat):
        t, ids = timed(lambda: ws.select(selection))
        times.append(t)
    report.add(f"{label} ({len(ids):,} matched)", times, target)
    return ids


def bench_cli(report: Report, path: Path, repeat: int) -> int:
    """CLI ``customers list --status loyal --count``, a new process (info); its count."""
    args = [CLI, "-w", str(path), "customers", "list", "--status", "loyal", "--count"]
    times, count = [], -1
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - start)
        match = re.search(r"[0-9][0-9,]*", out)
        count = int(match[0].replace(",", "")) if match else -1
    report.add(
        f"  info: CLI customers list --status loyal --count, new process ({count:,})", times, None
    )
    return count


def bench_filters(report: Report, ws: Workspace, repeat: int) -> int:
    """Every filter on its own and the combination of three; the API count of loyal."""
    customers = ws.customers_json()
    values = pick(customers)
    del customers
    print(f"  picked: {values}", file=sys.stderr)

    loyal = measure(report, ws, "filter: status loyal", Selection(statuses=("loyal",)), repeat)
    measure(report, ws, "filter: tag vip", Selection(tags=("vip",)), repeat)
    measure(
        report,
        ws,
        "filter: joined 2020-01-01..2020-12-31",
        Selection(joined_from=date(2020, 1, 1), joined_to=date(2020, 12, 31)),
        repeat,
    )
    email = values["email"]
    measure(report, ws, f"filter: email {email}", Selection(email=email), repeat)
    phone = values["phone"]
    measure(report, ws, f"filter: phone {phone} (local format)", Selection(phone=phone), repeat)
    measure(report, ws, "filter: where visits >= 3", Selection(where="visits >= 3"), repeat)
    measure(report, ws, "filter: where city = Roma", Selection(where="city = Roma"), repeat)
    latin = values["latin"]
    measure(report, ws, f"search: {latin!r} (name fragment)", Selection(search=latin), repeat)
    persian = values.get("persian")
    if persian is not None:
        measure(
            report,
            ws,
            f"search: {persian!r} (Persian name fragment)",
            Selection(search=persian),
            repeat,
        )

    before = AS_OF - timedelta(days=365)
    t_first, ids = timed(lambda: ws.select(Selection(last_booking_before=before)))
    report.add(
        f"  info: first activity filter (reads the column cache) ({len(ids):,} matched)",
        [t_first],
        None,
    )
    measure(
        report,
        ws,
        f"filter: last booking before {before}",
        Selection(last_booking_before=before),
        repeat,
    )
    measure(report, ws, "filter: upcoming booking", Selection(upcoming_booking=True), repeat)

    measure(
        report,
        ws,
        "combined: status loyal|paid + tag newsletter + where visits >= 3",
        Selection(statuses=("loyal", "paid"), tags=("newsletter",), where="visits >= 3"),
        repeat,
        COMBINED,
    )
    return len(loyal)


def bench_bulk(report: Report, ws: Workspace, repeat: int) -> None:
    ids = tuple(sorted(ws.select())[:BULK_SIZE])
    adds, removes = [], []
    for i in range(repeat):
        tag = f"bench-bulk-{i}"
        t_add, added = timed(lambda tag=tag: ws.add_tags([tag], Selection(ids=ids)))
        t_remove, removed = timed(lambda tag=tag: ws.remove_tags([tag], Selection(ids=ids)))
        if added != len(ids) or removed != len(ids):
            raise SystemExit(f"add_tags changed {added:,}, remove_tags {removed:,} of {len(ids):,}")
        adds.append(t_add)
        removes.append(t_remove)
    report.add(f"bulk: add_tags on {len(ids):,} ids (one write)", adds, BULK)
    report.add(f"  info: remove_tags on {len(ids):,} ids (undo)", removes, None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="clientcard selection benchmarks")
    parser.add_argument("--size", type=int, default=100_000, help="customers in the workspace")
    parser.add_argument("--repeat", type=int, default=5, help="repeats of each measurement")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    bookings = 10 * args.size

    started = time.perf_counter()
    imported = imported_workspace(args.size, bookings)
    report = Report(
        f"clientcard selections, {args.size:,} customers, {bookings:,} bookings "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    with tempfile.TemporaryDirectory(prefix="clientcard-bench-", dir=generate.DATA_DIR) as tmp:
        path = generate.copy_workspace(imported, Path(tmp) / "select")
        print(f"classify as of {AS_OF} (setup) ...", file=sys.stderr)
        statuses = classify(path)
        print("CLI count ...", file=sys.stderr)
        cli_count = bench_cli(report, path, min(repeat, 3))

        print("API selections ...", file=sys.stderr)
        ws = Workspace.open(path)
        try:
            # the bookings were exported on EXPORTED: "today" for the activity filters
            ws.today = lambda: generate.EXPORTED  # type: ignore[method-assign]
            warm = Selection(search="ross")
            t_first, ids = timed(lambda: ws.select(warm))
            report.add(
                f"  info: first select after open (loads, builds search texts) "
                f"(search 'ross', {len(ids):,} matched)",
                [t_first],
                None,
            )
            api_count = bench_filters(report, ws, repeat)
            print("bulk tags ...", file=sys.stderr)
            bench_bulk(report, ws, repeat)
        finally:
            ws.close()
    agree = cli_count == api_count
    report.rows.append(
        (
            "check: CLI --status loyal --count == API",
            "agree" if agree else f"CLI {cli_count:,}, API {api_count:,}",
            "agree",
            "ok" if agree else "FAIL",
            "1",
        )
    )
    report.print()
    print(
        f"statuses as of {AS_OF} (classified before the run): "
        + ", ".join(f"{s} {statuses[s]:,}" for s in bench_classify.STATUSES)
    )
    print(f"(bench took {time.perf_counter() - started:.0f} s)")
    if not agree:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
