"""Run every benchmark script (``bench/bench_*.py``) and print their tables.

    .venv/bin/python bench/run.py [--size N] [--repeat R] [-k NAME]

Options other than ``-k`` are passed to every script.  ``-k NAME`` runs only
the scripts whose file name contains NAME.  The exit status is 1 when a script
fails (a missed target is reported in the table, not as a failure).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    only: list[str] = []
    passed: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "-k":
            only.append(next(args, ""))
        else:
            passed.append(arg)
    scripts = sorted(
        p for p in HERE.glob("bench_*.py") if not only or any(k in p.name for k in only)
    )
    if not scripts:
        print("no benchmark scripts matched", file=sys.stderr)
        return 1
    failed = []
    started = time.perf_counter()
    for script in scripts:
        print(f"=== {script.name} ===", flush=True)
        result = subprocess.run([sys.executable, str(script), *passed], check=False)
        if result.returncode != 0:
            failed.append(script.name)
            print(f"!!! {script.name} exited with status {result.returncode}", flush=True)
    print(
        f"\n{len(scripts)} script(s) in {time.perf_counter() - started:.0f} s"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
