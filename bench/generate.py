"""Synthetic clientcard workspaces for the benchmarks.

``make_workspace(path, n, seed=1)`` creates a workspace (region IT, currency
EUR) with four custom fields -- city (text), visits (integer), level (choice
bronze/silver/gold), birthday (date) -- and ``n`` realistic customers, added
with ``Workspace.add_customers`` in batches of 10,000 and then compacted, so the
data sits in the snapshot file as in a long-lived workspace.

``cached_workspace(n)`` returns a ready workspace under ``bench/.data/``, built
once per (n, seed, GENERATOR_VERSION); bump the version when the generated data
changes.

``booking_rows(n, bookings)`` and ``write_bookings_csv`` give a bookings export
for those customers (naming them by external_id), as a host system would hand
it to ``clientcard import bookings``; ``cached_bookings_csv(n, bookings)`` keeps
one under ``bench/.data/``, keyed by sizes, seed and ``BOOKINGS_VERSION``.

Command line: ``python bench/generate.py N DIR [--seed S] [--bookings B --csv FILE]``.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import random
import shutil
import sys
import time
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import clientcard
from clientcard import Workspace

#: bump when the generated data changes, so cached workspaces are rebuilt
#: (5: built by a clientcard that classifies: customers hold status "new", tier and
#: pinned, and a status_changes history; v4 workspaces predate that;
#: 6: the customers snapshot has a line per customer, so exports stream it;
#: 7: the customers' name, e-mail and phone in a column file, for duplicate checks;
#: 8: and their folded e-mails and phones in a lookups file;
#: 9: snapshots and caches sealed with a checksum, the journal's base names them)
GENERATOR_VERSION = 9
#: bump when the generated bookings change, so cached CSV files are rebuilt
BOOKINGS_VERSION = 1
BATCH = 10_000
DATA_DIR = Path(__file__).resolve().parent / ".data"


def compile_bytecode() -> None:
    """Compile clientcard's modules to bytecode, as installing a package does.

    Every benchmark runs CLI commands as new processes; where
    PYTHONDONTWRITEBYTECODE is set (this sandbox sets it), each of them would
    otherwise compile every module from source again (~80 ms), which no
    installed clientcard pays.
    """
    compileall.compile_dir(Path(clientcard.__file__).parent, quiet=1)


compile_bytecode()  # every benchmark imports this module first

FIELDS: list[dict[str, Any]] = [
    {"key": "city", "type": "text", "label": "City"},
    {"key": "visits", "type": "integer", "label": "Visits"},
    {"key": "level", "type": "choice", "label": "Level", "choices": ("bronze", "silver", "gold")},
    {"key": "birthday", "type": "date", "label": "Birthday"},
]

FIRST_NAMES = [
    "Marco",
    "Giulia",
    "Luca",
    "Francesca",
    "Alessandro",
    "Chiara",
    "Matteo",
    "Sara",
    "Lorenzo",
    "Martina",
    "Andrea",
    "Elena",
    "Giuseppe",
    "Valentina",
    "Davide",
    "Federica",
    "Simone",
    "Alessia",
    "Stefano",
    "Anna",
    "Paolo",
    "Silvia",
    "Roberto",
    "Laura",
    # accented
    "Niccolò",
    "Nicolò",
    "Mattìa",
    "Zoë",
    "Noémie",
    "José",
    "Lucía",
    "François",
    "Chloé",
    "Jürgen",
    "Björn",
    "Gökhan",
    "Ştefan",
    "Łukasz",
    "Ana María",
    # Persian (Latin transliteration and Persian script)
    "Dariush",
    "Shirin",
    "Parisa",
    "Kourosh",
    "Nasrin",
    "Reza",
    "Mahsa",
    "Arash",
    "داریوش",
    "شیرین",
    "پریسا",
    "کوروش",
    "نسرین",
    "رضا",
]
LAST_NAMES = [
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "D'Angelo",
    "Dell'Orto",
    "Lo Presti",
    # accented
    "Niccolò",
    "Fabbrò",
    "Müller",
    "Núñez",
    "Lefèvre",
    "Šimić",
    "Özdemir",
    "Sjöberg",
    # Persian (Latin transliteration and Persian script)
    "Ahmadi",
    "Hosseini",
    "Rezaei",
    "Moradi",
    "Karimi",
    "Tehrani",
    "Mohammadi",
    "Jafari",
    "احمدی",
    "حسینی",
    "رضایی",
    "مرادی",
    "کریمی",
    "تهرانی",
]
PERSIAN_LATIN = {
    "داریوش": "dariush",
    "شیرین": "shirin",
    "پریسا": "parisa",
    "کوروش": "kourosh",
    "نسرین": "nasrin",
    "رضا": "reza",
    "احمدی": "ahmadi",
    "حسینی": "hosseini",
    "رضایی": "rezaei",
    "مرادی": "moradi",
    "کریمی": "karimi",
    "تهرانی": "tehrani",
}
_PERSIAN_LAST = [name for name in LAST_NAMES if name in PERSIAN_LATIN]
DOMAINS = [
    "gmail.com",
    "libero.it",
    "hotmail.it",
    "yahoo.it",
    "outlook.com",
    "tiscali.it",
    "virgilio.it",
    "alice.it",
    "fastwebnet.it",
    "studio-rossi.it",
]
CITIES = [
    "Roma",
    "Milano",
    "Napoli",
    "Torino",
    "Palermo",
    "Genova",
    "Bologna",
    "Firenze",
    "Bari",
    "Catania",
    "Venezia",
    "Verona",
    "Forlì",
    "Cantù",
    "Sant'Antìoco",
    "Aosta",
]
#: Italian landline area codes (the number has 6-8 digits after them in total 9-10)
LANDLINE = [("06", 8), ("02", 8), ("011", 7), ("051", 7), ("055", 7), ("081", 7), ("091", 7)]
#: Italian mobile prefixes (3xx + 7 digits)
MOBILE = [
    *range(320, 330),
    *range(330, 340),
    *range(340, 350),
    *range(360, 369),
    *range(380, 390),
    391,
    392,
    393,
]
TAGS = [
    "vip",
    "newsletter",
    "no-show",
    "famiglia",
    "promo estate",
    "Gift card",
    "staff",
    "referral",
    "allergie",
]
LEVELS = ["bronze", "bronze", "bronze", "silver", "silver", "gold"]


def _ascii(text: str) -> str:
    text = PERSIAN_LATIN.get(text, text)
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum()) or "cliente"


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.7:
        prefix = rng.choice(MOBILE)
        digits = f"{rng.randrange(10_000_000):07d}"
        style = rng.random()
        if style < 0.6:
            return f"+39 {prefix} {digits[:3]} {digits[3:]}"
        if style < 0.85:
            return f"{prefix} {digits}"  # local: read with workspace.region IT
        return f"+39{prefix}{digits}"
    area, length = rng.choice(LANDLINE)
    # first digit after the area code is 1-9 for a valid subscriber number
    rest = str(rng.randrange(1, 10)) + "".join(str(rng.randrange(10)) for _ in range(length - 1))
    if area == "06" or area == "02":
        return f"+39 {area} {rest[:4]} {rest[4:]}"
    return f"+39 {area} {rest}"


def rows(n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    """``n`` customer rows for :meth:`Workspace.add_customers`."""
    rng = random.Random(seed)
    start = date(2012, 1, 1)
    span = (date(2025, 6, 30) - start).days
    for i in range(1, n + 1):
        first = rng.choice(FIRST_NAMES)
        # a name in Persian script takes a surname in Persian script
        last = rng.choice(_PERSIAN_LAST if first in PERSIAN_LATIN else LAST_NAMES)
        if rng.random() < 0.05:
            last = f"{last} {rng.choice(LAST_NAMES[:23])}"
        row: dict[str, Any] = {"name": f"{first} {last}"}
        if rng.random() < 0.9:
            sep = rng.choice([".", "_", "", "."])
            number = rng.randrange(1, 999)
            row["email"] = f"{_ascii(first)}{sep}{_ascii(last)}{number}@{rng.choice(DOMAINS)}"
        if rng.random() < 0.85:
            row["phone"] = _phone(rng)
        if rng.random() < 0.8:
            row["external_id"] = f"BK-{seed:02d}-{i:07d}"
        row["joined_at"] = (start + timedelta(days=rng.randrange(span))).isoformat()
        row["tags"] = rng.sample(TAGS, k=rng.choice([0, 0, 0, 1, 1, 2, 3]))
        if rng.random() < 0.7:
            row["city"] = rng.choice(CITIES)
        if rng.random() < 0.8:
            row["visits"] = rng.randrange(0, 120)
        if rng.random() < 0.6:
            row["level"] = rng.choice(LEVELS)
        if rng.random() < 0.5:
            born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
            # half as Python dates, half as text (as a CSV import would give them)
            row["birthday"] = born if i % 2 else born.isoformat()
        yield row


#: the day the bookings benchmark classifies customers as of
AS_OF = date(2025, 6, 30)
#: bookings span about two years around AS_OF ...
BOOKINGS_FROM = AS_OF - timedelta(days=640)
BOOKINGS_TO = AS_OF + timedelta(days=90)
#: ... and were exported on this day: before it they took place (or not), after it
#: they are still to come.  Completed bookings after AS_OF must not count.
EXPORTED = AS_OF + timedelta(days=30)
BOOKING_COLUMNS = ("customer", "date", "status", "amount", "service", "staff", "external_id")
#: (service, price in EUR)
SERVICES = [
    ("Taglio donna", 35),
    ("Taglio uomo", 22),
    ("Piega", 25),
    ("Colore", 55),
    ("Mèches", 85),
    ("Trattamento cheratina", 120),
    ("Manicure", 25),
    ("Pedicure", 35),
    ("Ceretta gambe", 30),
    ("Massaggio 50'", 60),
    ("Pulizia viso", 50),
    ("Barba", 15),
]
STAFF = ["Giulia", "Marco", "Chiara", "Niccolò", "Shirin", "Zoë", "Dariush", "Francesca"]


def booking_rows(n: int, bookings: int, seed: int = 1) -> list[tuple[str, ...]]:
    """``bookings`` rows (``BOOKING_COLUMNS``) for the customers ``rows(n, seed)`` makes.

    Customers are named by external_id, so the fifth without one has no booking,
    nor do 3% of the others (signed up, never came): about 22% have none.  Each
    of the rest has at least one booking and is active over a stretch of the two years
    (from their join date on; half of them still active at the end), booking at
    a rate drawn from a log-normal distribution (median 6 a year, at most 180):
    a few regulars have hundreds of bookings, many one or two.  Times are on
    the half hour, written without an offset (local time); about 80% of the
    bookings are completed.  Rows are in date order, with unique external ids,
    as a host system exports them.
    """
    rng = random.Random(f"bookings-{seed}")
    start, end = BOOKINGS_FROM.toordinal(), BOOKINGS_TO.toordinal()
    spans: list[tuple[str, int, int]] = []
    weights: list[float] = []
    for row in rows(n, seed):
        external_id = row.get("external_id")
        if external_id is None or rng.random() < 0.03:
            continue
        first = max(start, date.fromisoformat(row["joined_at"]).toordinal())
        begin = first + int((end - first) * rng.random() ** 2)
        finish = end if rng.random() < 0.5 else min(end, begin + int(rng.expovariate(1 / 300)))
        spans.append((external_id, begin, finish))
        # bookings a year: median 6, one in a hundred 60 or more, at most 180
        rate = min(6 * rng.lognormvariate(0, 1.0), 180)
        weights.append(rate * (finish - begin + 1) / 365)
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    # every active customer has a booking; the rest go by rate and time active
    chosen = spans[:bookings] + rng.choices(
        spans, cum_weights=cumulative, k=max(0, bookings - len(spans))
    )
    exported = EXPORTED.toordinal()
    out: list[tuple[int, int, str, str, str, str, str]] = []
    for external_id, begin, finish in chosen:
        day = rng.randint(begin, finish)
        slot = rng.randrange(8 * 2, 19 * 2)  # 08:00 to 18:30
        roll = rng.random()
        if day < exported:
            status = "completed" if roll < 0.9 else "cancelled" if roll < 0.96 else "no_show"
        else:
            status = "upcoming" if roll < 0.88 else "cancelled"
        service, price = SERVICES[rng.randrange(len(SERVICES))]
        out.append((day, slot, external_id, status, f"{price}.00", service, rng.choice(STAFF)))
    out.sort()
    return [
        (
            external_id,
            f"{date.fromordinal(day).isoformat()}T{slot // 2:02d}:{30 * (slot % 2):02d}",
            status,
            amount,
            service,
            staff,
            f"APT-{seed:02d}-{number:08d}",
        )
        for number, (day, slot, external_id, status, amount, service, staff) in enumerate(
            out, start=1
        )
    ]


def write_bookings_csv(path: str | Path, n: int, bookings: int, seed: int = 1) -> Path:
    """Write ``booking_rows(n, bookings, seed)`` as a CSV file with a header row."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(BOOKING_COLUMNS)
        writer.writerows(booking_rows(n, bookings, seed))
    return path


def wait_for_field_types(timeout: float = 1800.0) -> None:
    """Field types are written by someone else right now: wait until all we use exist."""
    import tempfile

    wanted = {"text", "integer", "choice", "date", "email", "phone"}
    deadline = time.monotonic() + timeout
    while True:
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace.init(Path(tmp) / "ws")
            missing = wanted - set(ws.field_types())
            ws.close()
        if not missing:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"field types still missing after {timeout:.0f}s: {sorted(missing)}")
        print(f"waiting for field types {sorted(missing)} ...", file=sys.stderr)
        time.sleep(60)


def make_workspace(path: str | Path, n: int, seed: int = 1, *, verbose: bool = False) -> Path:
    """Create a workspace at ``path`` with the bench fields and ``n`` customers; compact it."""
    path = Path(path)
    started = time.perf_counter()
    ws = Workspace.init(path, settings={"workspace.region": "IT", "workspace.currency": "EUR"})
    try:
        for spec in FIELDS:
            ws.add_field(
                spec["key"], type=spec["type"], label=spec["label"], choices=spec.get("choices", ())
            )
        batch: list[dict[str, Any]] = []
        done = 0
        for row in rows(n, seed):
            batch.append(row)
            if len(batch) == BATCH:
                ws.add_customers(batch)
                done += len(batch)
                batch = []
                if verbose:
                    print(
                        f"  {done:>9,} customers  {time.perf_counter() - started:6.1f} s",
                        file=sys.stderr,
                    )
        if batch:
            ws.add_customers(batch)
        compact = getattr(ws.store, "compact", None)
        if compact is not None:
            compact()
    finally:
        ws.close()
    if verbose:
        print(f"  built {n:,} customers in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def cached_workspace(n: int, seed: int = 1, *, verbose: bool = True) -> Path:
    """A workspace with ``n`` customers under ``bench/.data/``, built on first use.

    Do not write to it: copy it (:func:`copy_workspace`) first.
    """
    target = DATA_DIR / f"ws-v{GENERATOR_VERSION}-s{seed}-n{n}"
    if (target / "clientcard.toml").is_file() and (target / ".complete").is_file():
        return target
    wait_for_field_types()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    building = DATA_DIR / f".building-{target.name}"
    shutil.rmtree(building, ignore_errors=True)
    if verbose:
        print(
            f"generating {n:,} customers into {target} (cached for next runs) ...", file=sys.stderr
        )
    make_workspace(building, n, seed, verbose=verbose)
    (building / ".complete").write_text(f"v{GENERATOR_VERSION} seed={seed} n={n}\n")
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    return target


def cached_bookings_csv(n: int, bookings: int, seed: int = 1, *, verbose: bool = True) -> Path:
    """A bookings CSV for the customers of ``cached_workspace(n, seed)``, built on first use."""
    name = f"bookings-v{BOOKINGS_VERSION}-g{GENERATOR_VERSION}-s{seed}-n{n}-b{bookings}.csv"
    target = DATA_DIR / name
    if target.is_file():
        return target
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if verbose:
        print(
            f"generating {bookings:,} bookings into {target} (cached for next runs) ...",
            file=sys.stderr,
        )
    building = DATA_DIR / f".building-{target.name}"
    write_bookings_csv(building, n, bookings, seed)
    building.rename(target)
    if verbose:
        print(
            f"  wrote {bookings:,} bookings in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return target


def copy_workspace(source: Path, dest: Path) -> Path:
    """A writable copy of a (cached) workspace."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("lock", ".complete"))
    return dest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of customers")
    parser.add_argument("dir", type=Path, help="workspace directory to create")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--bookings", type=int, default=1_000_000, help="bookings in the CSV file (with --csv)"
    )
    parser.add_argument("--csv", type=Path, help="also write a bookings CSV file here")
    args = parser.parse_args(argv)
    wait_for_field_types()
    make_workspace(args.dir, args.n, args.seed, verbose=True)
    print(args.dir)
    if args.csv is not None:
        write_bookings_csv(args.csv, args.n, args.bookings, args.seed)
        print(args.csv)


if __name__ == "__main__":
    main()
