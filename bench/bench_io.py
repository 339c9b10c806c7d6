"""Export and import timings on a large workspace, against the performance targets.

On a fresh copy of the cached workspace of ``--size`` customers (default
100,000; ``generate.cached_workspace``), measures, each in a new process, end
to end:

- CLI ``clientcard -w DIR export --format csv --output FILE``     target 3 s
- the same with ``--format json``                                  target 2 s
- the same with ``--format xlsx``                                  target 30 s
- the same with ``--format jsonl`` and ``--format vcard``          info
- CLI ``clientcard -w DIR import customers FILE`` of the exported CSV into a
  fresh workspace with the same fields (every value checked by its field
  type)                                                            target 15 s

For each export, the peak memory (max RSS) of the process is shown as info,
and divided by the size of the store (the files under ``data/``): exports
stream, so that ratio must stay below 2 (the "streams" rows).  A format whose
exporter is not installed is reported as "missing", not as a failure.  As a
baseline, ``customers show 1`` (which opens the workspace and loads its data)
shows what loading the store alone takes.  Each command is started from a
small helper process that measures it, since on Linux a child's max RSS
counts the memory of the process it was started from (this one, which loads
the workspace to check the import).

Correctness check: every export must report the workspace's number of
customers; after the import, the new workspace must hold as many customers as
the source, and 100 of them (sampled by external_id) must have the same name,
e-mail, phone, join date, tags and field values.  Otherwise the script prints
the differences and exits with status 1 (so it does when an exporter fails).

Exports run ``--repeat`` times (default 3; xlsx once, as it is slow, unless
``--repeat`` is given); the import ``--import-repeat`` times (default 1).
``--profile DIR`` also runs the CSV and XLSX exports and the import under
cProfile and writes ``.prof`` files and top-function summaries to DIR.

    .venv/bin/python bench/bench_io.py [--size N] [--repeat R] [--import-repeat R]
                                       [--profile DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from bench_classify import add_text, dir_size, profile
from bench_customers import CLI, PYTHON, Report, _fmt

from clientcard import Workspace

#: (format, target in seconds or None for info, repeats when --repeat is not given)
EXPORTS: list[tuple[str, float | None, int]] = [
    ("csv", 3.0, 3),
    ("json", 2.0, 3),
    ("xlsx", 30.0, 1),
    ("jsonl", None, 3),
    ("vcard", None, 3),
]
IMPORT_TARGET = 15.0
#: peak memory of an export over the size of the store that it must stay below
STREAM_RATIO = 2.0
SAMPLE = 100
COMPARED = ("name", "email", "phone", "joined_at", "tags", "fields")
SETTINGS = {"workspace.region": "IT", "workspace.currency": "EUR"}


#: Runs a command (argv[2:]) and writes its wall time, peak RSS and exit status to argv[1].
#: A child's max RSS on Linux includes the memory of the process its exec replaced: a
#: command started straight from this process, which holds a loaded workspace, would
#: report at least this process's size.  Started from this small helper, it reports its own
#: (at least the helper's ~10 MB, well under any clientcard command's).
MEASURE = """\
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    json.dump({"wall": wall, "rss": usage.ru_maxrss * 1024,
               "status": os.waitstatus_to_exitcode(status)}, out)
"""


def run_child(args: list[str]) -> tuple[float, int, str]:
    """Run a command; its wall time, peak RSS in bytes and stdout.  Fails on exit status."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        result = Path(tmp) / "measured.json"
        command = [PYTHON, "-c", MEASURE, str(result), *args]
        subprocess.run(command, stdout=out, stderr=err, check=True)
        measured = json.loads(result.read_text())
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if measured["status"] != 0:
            raise RuntimeError(
                f"{' '.join(args)} exited with status {measured['status']}:\n"
                + err.read().decode("utf-8", "replace")[-3000:]
            )
    return measured["wall"], measured["rss"], stdout


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def exported_count(stdout: str) -> int | None:
    match = re.search(r"exported ([0-9][0-9,]*) customer", stdout)
    return int(match[1].replace(",", "")) if match else None


def fresh_workspace(path: Path) -> Path:
    """An empty workspace with the bench's custom fields (as ``generate.make_workspace``)."""
    ws = Workspace.init(path, settings=SETTINGS)
    try:
        for spec in generate.FIELDS:
            ws.add_field(
                spec["key"],
                type=spec["type"],
                label=spec["label"],
                choices=spec.get("choices", ()),
            )
    finally:
        ws.close()
    return path


# -- the measurements ----------------------------------------------------------------


def bench_baseline(report: Report, ws_path: Path, store: int) -> int:
    """What opening the workspace and loading its data costs, without exporting: its RSS."""
    wall, rss, _ = run_child([CLI, "-w", str(ws_path), "customers", "show", "1"])
    report.add("  info: CLI customers show 1 (opens, loads the store)", [wall], None)
    add_text(report, "  info:   its peak memory (max RSS)", f"{mb(rss)} ({rss / store:.1f}x store)")
    return rss


def bench_export(
    report: Report,
    ws_path: Path,
    out_dir: Path,
    fmt: str,
    target: float | None,
    repeat: int,
    available: set[str],
    store: int,
    loaded: int,
    count: int,
    problems: list[str],
) -> Path | None:
    """Time ``repeat`` CLI exports in one format; the file written, or None."""
    metric = f"CLI: export --format {fmt} (new process)"
    shown_target = "-" if target is None else _fmt(target)
    if fmt not in available:
        report.rows.append((metric, "missing", shown_target, "missing", "0"))
        print(f"  {metric}: no {fmt} exporter installed", file=sys.stderr, flush=True)
        return None
    output = out_dir / f"customers.{fmt}"
    times, peak = [], 0
    for _ in range(repeat):
        output.unlink(missing_ok=True)
        try:
            wall, rss, out = run_child(
                [CLI, "-w", str(ws_path), "export", "--format", fmt, "--output", str(output)]
            )
        except RuntimeError as exc:
            report.rows.append((metric, "ERROR", shown_target, "FAIL", "0"))
            problems.append(f"export --format {fmt} failed: {exc}")
            print(f"  {metric}: failed", file=sys.stderr, flush=True)
            return None
        times.append(wall)
        peak = max(peak, rss)
        said = exported_count(out)
        if said != count:
            problems.append(f"export --format {fmt} said {out.strip()!r}, not {count:,} customers")
    size = output.stat().st_size
    report.add(f"CLI: export --format {fmt} ({mb(size)} file, new process)", times, target)
    more = f"{mb(peak)} ({(peak - loaded) / 1e6:+.1f} MB against show 1)"
    add_text(report, f"  info: {fmt} export, peak memory (max RSS)", more, str(repeat))
    ratio = peak / store
    report.rows.append(
        (
            f"streams: {fmt} export peak RSS / store size",
            f"{ratio:.1f}x",
            f"{STREAM_RATIO:.0f}x",
            "ok" if ratio < STREAM_RATIO else "MISS",
            str(repeat),
        )
    )
    return output


def bench_import(
    report: Report, csv_path: Path, scratch: Path, repeat: int
) -> tuple[Path, list[float]]:
    """Time ``repeat`` CLI imports of the CSV, each into a fresh workspace; the first one."""
    times, peak = [], 0
    first = scratch / "import0"
    for i in range(repeat):
        path = fresh_workspace(scratch / f"import{i}")
        wall, rss, out = run_child([CLI, "-w", str(path), "import", "customers", str(csv_path)])
        times.append(wall)
        peak = max(peak, rss)
        if i == 0:
            print(f"  import said: {out.strip()[:300]}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)
    report.add("CLI: import customers (the exported CSV, fresh workspace)", times, IMPORT_TARGET)
    add_text(report, "  info: import, peak memory (max RSS)", mb(peak), str(repeat))
    return first, times


def check_import(source: Path, imported: Path) -> list[str]:
    """Differences between the source and the imported workspace (count and a sample)."""
    with Workspace.open(source) as ws:
        before = {c["external_id"]: c for c in ws.customers_json() if c["external_id"]}
        count = ws.count_customers()
    with Workspace.open(imported) as ws:
        after = {c["external_id"]: c for c in ws.customers_json() if c["external_id"]}
        got = ws.count_customers()
    problems = []
    if got != count:
        problems.append(f"the import holds {got:,} customers, the source {count:,}")
    keys = sorted(before)
    sample = random.Random(1).sample(keys, min(SAMPLE, len(keys)))
    differ = []
    for key in sample:
        if key not in after:
            differ.append(f"{key}: not imported")
            continue
        for name in COMPARED:
            if before[key][name] != after[key][name]:
                differ.append(
                    f"{key} {name}: source {before[key][name]!r}, imported {after[key][name]!r}"
                )
    if differ:
        problems.append(
            f"{len(differ)} difference(s) in {len(sample)} sampled customers: "
            + "; ".join(differ[:10])
        )
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="clientcard export/import benchmarks")
    parser.add_argument("--size", type=int, default=100_000, help="customers in the workspace")
    parser.add_argument("--repeat", type=int, help="repeats of each export [default: 3; xlsx 1]")
    parser.add_argument("--import-repeat", type=int, default=1, help="repeats of the import")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also profile the CSV and XLSX exports and the import; write them to DIR",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    cached = generate.cached_workspace(args.size)
    report = Report(
        f"clientcard export + import, {args.size:,} customers "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="clientcard-bench-", dir=generate.DATA_DIR) as tmp:
        scratch = Path(tmp)
        source = generate.copy_workspace(cached, scratch / "source")
        out_dir = scratch / "out"
        out_dir.mkdir()
        with Workspace.open(source) as ws:
            available = {r.name for r in ws.plugins.exporters}
            count = ws.count_customers()
        store = dir_size(source / "data")
        add_text(report, "  info: store size (files under data/)", mb(store))
        loaded = bench_baseline(report, source, store)

        exported: dict[str, Path | None] = {}
        for fmt, target, default_repeat in EXPORTS:
            print(f"export {fmt} ...", file=sys.stderr)
            exported[fmt] = bench_export(
                report,
                source,
                out_dir,
                fmt,
                target,
                args.repeat or default_repeat,
                available,
                store,
                loaded,
                count,
                problems,
            )

        csv_path = exported.get("csv")
        if csv_path is None:
            problems.append("no CSV export to import")
        else:
            print("import ...", file=sys.stderr)
            imported, _ = bench_import(report, csv_path, scratch, max(1, args.import_repeat))
            gc.collect()
            failed = check_import(source, imported)
            problems += failed
            report.rows.append(
                (
                    "check: import == source (count, 100 sampled by external_id)",
                    "DIFFER" if failed else "equal",
                    "equal",
                    "FAIL" if failed else "ok",
                    f"{count:,} customers",
                )
            )
            shutil.rmtree(imported, ignore_errors=True)

        if args.profile is not None:
            print("profiles ...", file=sys.stderr)
            for fmt in ("csv", "xlsx"):
                if fmt in available:
                    output = out_dir / f"profile.{fmt}"
                    command = [CLI, "-w", str(source), "export", "--format", fmt]
                    profile(args.profile, f"export-{fmt}", [*command, "--output", str(output)])
            if csv_path is not None:
                path = fresh_workspace(scratch / "profile-import")
                command = [CLI, "-w", str(path), "import", "customers", str(csv_path)]
                profile(args.profile, "import", command)
    report.print()
    print(f"(bench took {time.perf_counter() - started:.0f} s)")
    if problems:
        print("\nCHECK FAILED:", file=sys.stderr)
        for line in problems:
            print(f"  {line[:3000]}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
