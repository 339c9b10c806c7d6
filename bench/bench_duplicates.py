"""Duplicate detection: speed on a large workspace, and recall/precision against known truth.

Generates (once, cached under ``bench/.data/``) a workspace of ``--size``
customers (default 100,000; region IT, a ``birth_date`` date field and a
``city``) in which the truth is known:

- people entered more than once: about one in ten has a second record (some a
  third), each written differently -- a typo in the first or last name,
  first and last names swapped, upper or lower case, accents dropped, a
  Persian name in the other script (Shirin, شیرین), or the
  same -- with the phone typed in another format (``+39 347 123 4567``,
  ``347 1234567``, ``0039 3471234567`` ...), the e-mail kept (sometimes in
  other capitals) or not, the birth date kept or not; a few share nothing but
  a similar name (new phone, new e-mail), which no detector can tell from a
  namesake;
- families that are NOT duplicates: households of 2 to 4 people with one last
  name and one home phone (a third also share one e-mail address), each with
  their own first name and birth date; a family member may have a duplicate
  of their own, which must still be found.

Then measures, against these targets:

- CLI ``clientcard -w DIR duplicates --format json``, new process    30 s
- recall over pairs (true duplicate pairs the groups hold)           >= 0.9
- precision over pairs (pairs the groups hold that are true)         >= 0.95

Pairs are every two customers inside one reported group, compared with every
two records of one person.  Info rows: the detection on an open, loaded
workspace (API ``find_duplicates``) and how many pairs blocking compared,
recall and precision at other thresholds, family pairs wrongly grouped, and
the CLI with ``--min-score 0.5`` (low enough for names alone to count, so
names become block keys too).  A CLI run that fails or prints something
other than JSON exits with status 1; a missed target does not.

    .venv/bin/python bench/bench_duplicates.py [--size N] [--repeat R] [--seed S]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
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

import generate
from bench_classify import add_text
from bench_customers import CLI, Report, timed

from clientcard import Workspace

#: bump when the generated data changes, so cached workspaces are rebuilt
DUPLICATES_VERSION = 3
CLI_TARGET = 30.0
RECALL_TARGET = 0.9
PRECISION_TARGET = 0.95
#: share of people with a duplicate record, and of those with a second one
DUPLICATED = 0.10
TWICE = 0.2
#: share of records that start a family (2-4 people, one home phone)
FAMILIES = 0.06
FIELDS: list[dict[str, Any]] = [
    {"key": "birth_date", "type": "date", "label": "Birth date"},
    {"key": "city", "type": "text", "label": "City"},
]


# -- people, families and their duplicates -----------------------------------------------


def _mobile(rng: random.Random) -> tuple[str, str]:
    return str(rng.choice(generate.MOBILE)), f"{rng.randrange(10_000_000):07d}"


def _landline(rng: random.Random) -> tuple[str, str]:
    area, length = rng.choice(generate.LANDLINE)
    return area, str(rng.randrange(1, 10)) + "".join(
        str(rng.randrange(10)) for _ in range(length - 1)
    )


def _typed(number: tuple[str, str], rng: random.Random) -> str:
    """A phone number as someone might type it: with or without +39, spaced or not."""
    prefix, rest = number
    return rng.choice(
        [
            f"+39 {prefix} {rest[:3]} {rest[3:]}",
            f"{prefix} {rest}",
            f"+39{prefix}{rest}",
            f"0039 {prefix} {rest}",
            f"{prefix}-{rest[:3]}-{rest[3:]}",
        ]
    )


def _email(first: str, last: str, rng: random.Random) -> str:
    sep = rng.choice([".", "_", "", "."])
    name = f"{generate._ascii(first)}{sep}{generate._ascii(last)}"
    return f"{name}{rng.randrange(1, 999)}@{rng.choice(generate.DOMAINS)}"


def _born(rng: random.Random) -> str:
    return (date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 80))).isoformat()


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the keyboard: a letter left out, doubled, changed or swapped."""
    if len(word) < 3:
        return word + word[-1]
    at = rng.randrange(1, len(word) - 1)  # people rarely mistype the first letter
    kind = rng.randrange(4)
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at] + word[at:]
    if kind == 2:
        letter = rng.choice("aeioulnrst".replace(word[at].lower(), ""))
        return word[:at] + letter + word[at + 1 :]
    return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _squeezed(name: str) -> str:
    """A first name without case, accents and doubled letters, in Latin letters: its
    spellings agree (Niccolò and Nicolò, Shirin and شیرین)."""
    plain = _plain(generate.PERSIAN_LATIN.get(name, name)).casefold()
    return "".join(c for at, c in enumerate(plain) if at == 0 or plain[at - 1] != c)


#: Persian names in Persian script, by their Latin spelling
_PERSIAN = {latin: name for name, latin in generate.PERSIAN_LATIN.items()}


def _other_script(word: str) -> str | None:
    """A Persian name in the other script (Shirin: شیرین), or None."""
    if word in generate.PERSIAN_LATIN:
        return generate.PERSIAN_LATIN[word].capitalize()
    return _PERSIAN.get(word.lower())


def _variant(first: str, last: str, rng: random.Random) -> tuple[str, str]:
    """How the name of a duplicate record is written, and which change that was."""
    # a Persian name is written in Latin letters one time, in Persian the other
    first_, last_ = _other_script(first), _other_script(last)
    if (first_ or last_) and rng.random() < 0.3:
        return f"{first_ or first} {last_ or last}", "script"
    roll = rng.random()
    if roll < 0.3:
        if rng.random() < 0.5:
            return f"{_typo(first, rng)} {last}", "typo"
        return f"{first} {_typo(last, rng)}", "typo"
    if roll < 0.5:
        return f"{last} {first}", "swapped"
    if roll < 0.65:
        name = f"{first} {last}"
        return (name.upper() if rng.random() < 0.5 else name.lower()), "case"
    if roll < 0.8:
        plain = _plain(f"{first} {last}")
        if plain != f"{first} {last}":
            return plain, "accents"
        return f"{first} {last}".lower(), "case"
    return f"{first} {last}", "same"


class Population:
    """Records in the order they are added, with the person and household of each."""

    def __init__(self, size: int, seed: int) -> None:
        self.rng = random.Random(f"duplicates-{seed}")
        self.size = size
        self.rows: list[dict[str, Any]] = []
        self.person: list[int] = []
        self.household: list[int] = []
        self.kinds: Counter[str] = Counter()
        self._people = 0
        self._households = 0

    def build(self) -> Population:
        rng = self.rng
        while len(self.rows) < self.size:
            if rng.random() < FAMILIES:
                self._family()
            else:
                last = rng.choice(generate.LAST_NAMES)
                if rng.random() < 0.05:
                    last = f"{last} {rng.choice(generate.LAST_NAMES[:23])}"
                phone = _mobile(rng) if rng.random() < 0.7 else _landline(rng)
                self._person(
                    rng.choice(generate.FIRST_NAMES),
                    last,
                    phone if rng.random() < 0.85 else None,
                    email=None,
                    household=-1,
                )
        del self.rows[self.size :], self.person[self.size :], self.household[self.size :]
        return self

    def _family(self) -> None:
        rng = self.rng
        self._households += 1
        last = rng.choice(generate.LAST_NAMES)
        home = _landline(rng)
        number, domain = rng.randrange(1, 999), rng.choice(generate.DOMAINS)
        shared = f"famiglia.{generate._ascii(last)}{number}@{domain}"
        firsts: dict[str, str] = {}
        members = rng.randint(2, 4)
        while len(firsts) < members:
            first = rng.choice(generate.FIRST_NAMES)
            # one name per family member: Niccolò and Nicolò are one name spelt twice
            firsts.setdefault(_squeezed(first), first)
        email = shared if rng.random() < 0.3 else None
        for first in firsts.values():
            self._person(first, last, home, email=email, household=self._households)

    def _person(
        self,
        first: str,
        last: str,
        phone: tuple[str, str] | None,
        *,
        email: str | None,
        household: int,
    ) -> None:
        rng = self.rng
        self._people += 1
        row: dict[str, Any] = {"name": f"{first} {last}"}
        if phone is not None:
            row["phone"] = _typed(phone, rng)
        if email is None and rng.random() < 0.9:
            email = _email(first, last, rng)
        if email is not None:
            row["email"] = email
        if rng.random() < 0.6:
            row["birth_date"] = _born(rng)
        if rng.random() < 0.7:
            row["city"] = rng.choice(generate.CITIES)
        self._add(row, household)
        if rng.random() < DUPLICATED:
            for _ in range(2 if rng.random() < TWICE else 1):
                self._add(self._duplicate(first, last, phone, row), household)

    def _duplicate(
        self, first: str, last: str, phone: tuple[str, str] | None, row: dict[str, Any]
    ) -> dict[str, Any]:
        """The same person entered again, written differently."""
        rng = self.rng
        name, kind = _variant(first, last, rng)
        self.kinds[kind] += 1
        copy: dict[str, Any] = {"name": name}
        if phone is not None and rng.random() < 0.75:
            copy["phone"] = _typed(phone, rng)
        elif rng.random() < 0.4:
            copy["phone"] = _typed(_mobile(rng), rng)  # a new number
        email = row.get("email")
        if email and rng.random() < 0.6:
            local, _, domain = email.partition("@")
            if rng.random() < 0.5:
                local = local.capitalize() if rng.random() < 0.5 else local.upper()
            copy["email"] = f"{local}@{domain}"
        elif rng.random() < 0.4:
            copy["email"] = _email(first, last, rng)  # a new address
        born = row.get("birth_date")
        if born and rng.random() < 0.85:
            copy["birth_date"] = born
        if row.get("city") and rng.random() < 0.8:
            copy["city"] = row["city"]
        return copy

    def _add(self, row: dict[str, Any], household: int) -> None:
        self.rows.append(row)
        self.person.append(self._people)
        self.household.append(household)


def make_workspace(path: Path, size: int, seed: int) -> Population:
    """Create the workspace at ``path`` (ids 1..size in the population's order)."""
    population = Population(size, seed).build()
    ws = Workspace.init(path, settings={"workspace.region": "IT"})
    try:
        known = ws.schema().defs
        for spec in FIELDS:
            if spec["key"] not in known:  # (a new workspace may start with birth_date)
                ws.add_field(spec["key"], type=spec["type"], label=spec["label"])
        for start in range(0, size, generate.BATCH):
            added = ws.add_customers(population.rows[start : start + generate.BATCH])
            assert added[0].id == start + 1, "ids must follow the population's order"
        compact = getattr(ws.store, "compact", None)
        if compact is not None:
            compact()
    finally:
        ws.close()
    return population


def cached(size: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The generated workspace and its truth (person and household per id), built once."""
    target = generate.DATA_DIR / f"dups-v{DUPLICATES_VERSION}-s{seed}-n{size}"
    truth_path = target / "truth.json"
    if (target / ".complete").is_file():
        return target, json.loads(truth_path.read_text())
    generate.DATA_DIR.mkdir(parents=True, exist_ok=True)
    building = generate.DATA_DIR / f".building-{target.name}"
    shutil.rmtree(building, ignore_errors=True)
    print(f"generating {size:,} customers with known duplicates into {target} ...", file=sys.stderr)
    started = time.perf_counter()
    population = make_workspace(building / "ws", size, seed)
    truth = {
        "person": population.person,
        "household": population.household,
        "kinds": dict(population.kinds),
    }
    (building / "truth.json").write_text(json.dumps(truth))
    (building / ".complete").write_text(f"v{DUPLICATES_VERSION} seed={seed} n={size}\n")
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return target, truth


# -- quality ---------------------------------------------------------------------------


def true_pairs(person: list[int]) -> set[tuple[int, int]]:
    """Every two ids (id = position + 1) of one person."""
    by_person: dict[int, list[int]] = {}
    for at, who in enumerate(person):
        by_person.setdefault(who, []).append(at + 1)
    return {
        pair
        for ids in by_person.values()
        if len(ids) > 1
        for pair in itertools.combinations(ids, 2)
    }


def found_pairs(groups: list[dict[str, Any]]) -> set[tuple[int, int]]:
    return {pair for group in groups for pair in itertools.combinations(sorted(group["ids"]), 2)}


def quality(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    hits = len(found & truth)
    recall = hits / len(truth) if truth else 1.0
    precision = hits / len(found) if found else 1.0
    return recall, precision


def family_pairs(found: set[tuple[int, int]], truth: dict[str, Any]) -> int:
    """Pairs wrongly grouped that are two people of one household."""
    person, household = truth["person"], truth["household"]
    return sum(
        1
        for a, b in found
        if person[a - 1] != person[b - 1] and household[a - 1] == household[b - 1] != -1
    )


def add_quality(
    report: Report, label: str, value: float, target: float | None, n: str = "1"
) -> None:
    ok = "info" if target is None else ("ok" if value >= target else "MISS")
    report.rows.append((label, f"{value:.3f}", "-" if target is None else f">= {target}", ok, n))
    print(f"  {label}: {value:.3f}  [{ok}]", file=sys.stderr, flush=True)


def sharing(ws: Workspace, pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pairs that share an e-mail (any case), a phone or a birth date: the ones
    any detector has more than a name to go on for."""
    docs = {d["id"]: d for d in ws.customers_json()}

    def values(id: int) -> set[tuple[str, str]]:
        doc = docs[id]
        found = {("phone", doc["phone"]), ("email", (doc["email"] or "").casefold())}
        found.add(("birth_date", doc["fields"].get("birth_date")))
        return {(k, v) for k, v in found if v}

    return {(a, b) for a, b in pairs if values(a) & values(b)}


# -- the measurements --------------------------------------------------------------------


def run_cli(path: Path, *extra: str) -> tuple[float, list[dict[str, Any]]]:
    args = [CLI, "-w", str(path), "duplicates", "--format", "json", *extra]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return elapsed, json.loads(done.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="clientcard duplicate detection benchmark")
    parser.add_argument("--size", type=int, default=100_000, help="customers in the workspace")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the CLI command")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    source, truth = cached(args.size, args.seed)
    expected = true_pairs(truth["person"])
    report = Report(
        f"clientcard duplicates, {args.size:,} customers "
        f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)"
    )
    households = len({h for h in truth["household"] if h != -1})
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(truth["kinds"].items()))
    add_text(report, "  info: true duplicate pairs", f"{len(expected):,} ({kinds})")
    add_text(report, "  info: households sharing a phone (not duplicates)", f"{households:,}")
    with tempfile.TemporaryDirectory(prefix="clientcard-bench-", dir=generate.DATA_DIR) as tmp:
        path = generate.copy_workspace(source / "ws", Path(tmp) / "ws")
        print("CLI duplicates ...", file=sys.stderr)
        times, groups = [], []
        for _ in range(max(1, args.repeat)):
            elapsed, groups = run_cli(path)
            times.append(elapsed)
        report.add("CLI: duplicates --format json (new process)", times, CLI_TARGET)
        found = found_pairs(groups)
        recall, precision = quality(found, expected)
        add_quality(
            report, f"recall over pairs ({len(found & expected):,} found)", recall, RECALL_TARGET
        )
        add_quality(
            report, f"precision over pairs ({len(found):,} grouped)", precision, PRECISION_TARGET
        )
        add_text(
            report,
            "  info: groups / family pairs wrongly grouped",
            f"{len(groups):,} / {family_pairs(found, truth):,}",
        )

        print("API ...", file=sys.stderr)
        with Workspace.open(path) as ws:
            ws.count_customers()  # loaded, as a long-running host has it
            t, detection = timed(ws.detect_duplicates)
            report.add("  info: API detect_duplicates() (open, loaded workspace)", [t], None)
            stats = detection.stats
            all_pairs = stats.records * (stats.records - 1) // 2
            add_text(
                report,
                "  info: pairs compared (blocking) / all pairs",
                f"{stats.compared:,} / {all_pairs:,} ({stats.blocks:,} blocks, "
                f"{stats.oversized} oversized)",
            )
            shared = sharing(ws, expected)
            r, _ = quality(found & shared, shared)
            add_text(
                report,
                "  info: recall over pairs sharing an e-mail, phone or birth date",
                f"{r:.3f} (of {len(shared):,}; the rest share only a similar name)",
            )
            for threshold in (0.7, 0.9):
                other = [g.to_json() for g in ws.find_duplicates(threshold)]
                r, p = quality(found_pairs(other), expected)
                add_text(
                    report,
                    f"  info: recall / precision at min score {threshold}",
                    f"{r:.3f} / {p:.3f}",
                )
        print("CLI duplicates --min-score 0.5 ...", file=sys.stderr)
        elapsed, low = run_cli(path, "--min-score", "0.5")
        report.add("  info: CLI duplicates --min-score 0.5 (names alone count)", [elapsed], None)
        r, p = quality(found_pairs(low), expected)
        add_text(report, "  info: recall / precision at min score 0.5", f"{r:.3f} / {p:.3f}")
    report.print()
    print(f"(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
