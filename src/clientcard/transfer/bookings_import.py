"""Importing bookings from a CSV file: every row checked first, then one write.

The file has a header row naming its columns (in any case; spaces around a
name are ignored): ``customer`` and ``date`` are required; ``status``,
``amount``, ``service``, ``staff`` and ``external_id`` (the booking's own id in
the host system) may follow, in any order.  ``customer`` names an existing
customer by its external_id, its e-mail address or its clientcard id
(``match``).  The delimiter is the one the header row uses: comma, semicolon
or tab.

Every row is checked before anything is written, and every problem is reported
at once in one :class:`ImportRowsError`, each with its row (numbered as a
spreadsheet shows it: the header is row 1), its column and its value.  When the
whole file is good, the missing customers (``create_missing``) and every
booking are written in one operation: all of it lands, or none.

Checking is one pass over the rows doing a few dictionary look-ups per row:
customers are found in one dictionary built once, and each distinct text of a
cell (a date, a status, an amount) goes through its field type once.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from attrs import evolve, frozen

from clientcard.activity.kinds import BOOKING, ActivityValues
from clientcard.core.clock import utc_now
from clientcard.core.errors import ClientcardError, ValidationError
from clientcard.core.memory import gc_paused
from clientcard.core.store import ReadSession, WriteSession
from clientcard.core.text import nfc
from clientcard.customers.records import CUSTOMERS, holders
from clientcard.fields import dates as dates_rule

if TYPE_CHECKING:
    from clientcard.transfer.service import Transfer

#: What the ``customer`` column holds: a customer's external_id, e-mail address or id.
MATCHES = ("external-id", "email", "id")
#: Every column a bookings file may have, in the order a row's problems are listed.
COLUMNS = ("customer", "date", "status", "amount", "service", "staff", "external_id")
REQUIRED_COLUMNS = ("customer", "date")
#: Delimiters a file may use; the header row tells which one it does.
DELIMITERS = (",", ";", "\t")
#: Problems spelled out in an error's message; ``ImportRowsError.problems`` has them all.
MAX_LISTED = 1000
#: customers not found that the hint at another ``--match`` looks up (enough to tell)
HINT_SAMPLE = 1000

_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MATCHED_BY = {"external-id": "external_id", "email": "e-mail address", "id": "id"}
#: header names of a column that likely holds the customers' e-mail addresses
_EMAIL_HEADER = re.compile(r"(customer|client)?[ _-]?e-?mail( address)?")


class ImportFileError(ClientcardError):
    """A file that cannot be imported as a whole: unreadable, or with a wrong header."""


# -- dates written another way (--date-format) ----------------------------------------

#: ``date_format``'s named orders: where day, month and year stand in a date
DATE_ORDERS = {"dmy": "DD/MM/YYYY", "mdy": "MM/DD/YYYY", "ymd": "YYYY/MM/DD"}
#: three numbers with / . or - between, and maybe a time: a date in a named order
_NUMBERS = re.compile(
    r"([0-9]{1,4})([/.-])([0-9]{1,2})\2([0-9]{1,4})"
    r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?",
    re.ASCII,
)
#: a date with the day or the month first (03/04/2025): which, only the user knows
_DAY_OR_MONTH_FIRST = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{2,4})\b", re.ASCII)
_EXAMPLE = datetime(2025, 1, 31, 10, 30)
#: strftime directives of a time of day: a pattern with one of them reads date-times
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%X", "%T", "%R", "%c", "%p")


class DateFormat:
    """How a file writes its dates (``--date-format``): a named order (``dmy``, ``mdy``,
    ``ymd``; any of / . - between, a four-digit year, maybe a time HH:MM) or a
    :meth:`datetime.strptime` pattern such as ``%d/%m/%Y``.

    :meth:`read` gives a :class:`~datetime.date`, or a naive
    :class:`~datetime.datetime` (local time) when the text has a time; an ISO
    8601 date still reads as one (None: leave it to the field type).
    """

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.order = spec.strip().lower()
        if self.order in DATE_ORDERS:
            shown = DATE_ORDERS[self.order]
            example = _EXAMPLE.strftime(
                shown.replace("DD", "%d").replace("MM", "%m").replace("YYYY", "%Y")
            )
            self.expected = (
                f"a date as {shown} (--date-format {self.order}), such as {example}, "
                "maybe with a time HH:MM"
            )
            return
        if "%" not in spec or not self._round_trips(spec):
            raise ValidationError(
                "date-format",
                spec,
                "dmy, mdy, ymd, or a pattern with a day, month and year such as %d/%m/%Y",
            )
        self.order = ""
        self.timed = any(d in spec for d in _TIME_DIRECTIVES)
        self.expected = f"a date as {spec} (--date-format), such as {_EXAMPLE.strftime(spec)}"

    @staticmethod
    def _round_trips(pattern: str) -> bool:
        """Whether the pattern names a whole date: a day and month without a year would
        read every date as one in 1900."""
        try:
            back = datetime.strptime(_EXAMPLE.strftime(pattern), pattern)
        except ValueError:
            return False
        return back.date() == _EXAMPLE.date()

    def read(self, text: str) -> date | datetime | None:
        """The date ``text`` gives; None for an ISO date (the field type's own); raises
        :class:`ValueError` for anything else."""
        text = text.strip()
        if _ISO_START.match(text) and self.order != "ymd":
            return None
        if not self.order:
            found = datetime.strptime(text, self.spec)
            return found if self.timed else found.date()
        numbers = _NUMBERS.fullmatch(text)
        if numbers is None:
            raise ValueError(text)
        first, _, second, third, hour, minute, seconds = numbers.groups()
        if self.order == "ymd":
            year, month, day = first, second, third
        elif self.order == "dmy":
            day, month, year = first, second, third
        else:
            month, day, year = first, second, third
        if len(year) != 4 or len(day) > 2:
            raise ValueError(text)  # a two-digit year could be either century
        if hour is None:
            return date(int(year), int(month), int(day))
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(seconds or 0))


#: the start of an ISO 8601 date (2025-03-01)
_ISO_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def unordered_date(text: str) -> str | None:
    """Why ``text``, a date with its day or month first, needs ``--date-format`` (None:
    it is not one).  It is never read one way silently: 03/04/2025 is 3 April to
    some, March 4 to others."""
    found = _DAY_OR_MONTH_FIRST.match(text.strip())
    if found is None:
        return None
    first, second = int(found[1]), int(found[3])
    if first > 12 >= second:
        return (
            "expected a date as YYYY-MM-DD; for day/month/year dates import with --date-format dmy"
        )
    if second > 12 >= first:
        return (
            "expected a date as YYYY-MM-DD; for month/day/year dates import with --date-format mdy"
        )
    return (
        "expected a date as YYYY-MM-DD; with the day or month first it could be either: "
        "say which with --date-format dmy or --date-format mdy (or a pattern such as %d/%m/%Y)"
    )


@frozen
class RowProblem:
    """A problem of one row: the ``column`` (None: the row as a whole), its cell and why."""

    row: int
    column: str | None
    value: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The problem as a JSON object (``--format json``)."""
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}

    def __str__(self) -> str:
        if self.column is None:
            return f"row {self.row}: {self.reason}"
        return f"row {self.row}, column {self.column}: {_show(self.value or '')} — {self.reason}"


class ImportRowsError(ImportFileError):
    """Rows of the file are invalid, so nothing was imported.

    ``problems`` holds every problem found, in row order; ``rows`` is how many
    data rows the file has and ``invalid`` how many of them have a problem.
    The message is a summary line, then one line per problem (the first
    :data:`MAX_LISTED`), such as ``row 7, column date: '2025-13-01' — expected ...``.
    """

    def __init__(self, problems: list[RowProblem], rows: int, *, hint: str | None = None) -> None:
        self.problems = problems
        self.rows = rows
        self.invalid = len({p.row for p in problems})
        #: what would likely fix most of the problems (a last line "hint: ...")
        self.hint = hint
        verb = "is" if self.invalid == 1 else "are"
        self.summary = f"{self.invalid:,} of {rows:,} rows {verb} invalid; nothing was imported"
        lines = [self.summary]
        lines += [str(p) for p in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(f"... and {len(problems) - MAX_LISTED:,} more problems")
        if hint:
            lines.append(f"hint: {hint}")
        super().__init__("\n".join(lines))

    def to_json(self) -> dict[str, Any]:
        """What ``--format json`` reports for a refused import."""
        return {
            "imported": False,
            "rows": self.rows,
            "invalid": self.invalid,
            "problems": [p.to_json() for p in self.problems],
            "hint": self.hint,
        }


@frozen
class ImportReport:
    """What an import did or, with ``dry_run``, would do."""

    path: Path
    #: data rows in the file (blank lines not counted)
    rows: int
    #: bookings recorded
    bookings: int
    #: customers created for rows naming one the workspace lacked (``create_missing``)
    new_customers: int
    #: distinct customers the bookings belong to, new ones included
    customers: int
    dry_run: bool = False
    #: the file's encoding when it is not UTF-8 (detected, unless given)
    encoding: str | None = None
    #: ids of the bookings recorded and of the customers created (none on a dry run)
    ids: Sequence[int] = ()
    new_customer_ids: Sequence[int] = ()

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object (``--format json``)."""
        return {
            "imported": not self.dry_run,
            "dry_run": self.dry_run,
            "file": str(self.path),
            "encoding": self.encoding or "utf-8",
            "rows": self.rows,
            "created": self.bookings,
            "updated": 0,
            "skipped": 0,
            "ids": list(self.ids),
            "new_customers": self.new_customers,
            "new_customer_ids": list(self.new_customer_ids),
            "customers": self.customers,
            "warnings": [],
            "problems": [],
        }


def import_bookings(
    transfer: Transfer,
    path: str | Path,
    *,
    match: str = "external-id",
    create_missing: bool = False,
    encoding: str | None = None,
    date_format: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import the bookings of a CSV file: all of them, or (on any problem) none.

    ``match`` says what the ``customer`` column holds: ``"external-id"`` (the
    customer's external_id), ``"email"`` (an e-mail address, normalised and
    matched as :meth:`~clientcard.Workspace.find_customers` does) or ``"id"``
    (clientcard's id).  With ``create_missing`` a customer a row names but the
    workspace lacks is created, in the same write as the bookings: its name is
    the cell's text, which also becomes its external_id or e-mail address.
    ``encoding`` is the file's encoding; by default UTF-8 (with or without a
    byte-order mark) is read, and another encoding detected (see
    :func:`read_text`).  ``date_format`` reads dates written another way than
    ISO 8601 (see :class:`DateFormat`); without it a date with the day or month
    first (03/04/2025) is a bad row.  With ``dry_run`` every row is checked,
    nothing written.

    Raises :class:`ImportFileError` for a file that cannot be read or whose
    header is wrong, and :class:`ImportRowsError` listing every invalid row.
    """
    path = Path(path)
    match = match.replace("_", "-")  # "external_id", as the customers import spells it
    if match not in MATCHES:
        raise ValidationError("match", match, f"one of: {', '.join(MATCHES)}")
    dates = DateFormat(date_format) if date_format else None
    if create_missing and match == "id":
        raise ImportFileError(
            "--create-missing needs customers named by external-id or email "
            "(a new customer cannot be given a clientcard id); use --match external-id "
            "or --match email, or add the customers first"
        )
    text, encoding = read_text(path, encoding, region=transfer.ctx.field_context.region)
    # A real import holds the workspace lock from the first check to the last
    # booking written: no other process can invalidate what was checked.
    opened = transfer.ctx.read() if dry_run else transfer.ctx.write()
    with gc_paused(), opened as session:
        plan = _Plan(transfer, session, path, match, create_missing, dates)
        plan.check(text)
        del text
        if plan.problems:
            raise ImportRowsError(plan.problems, plan.rows, hint=plan.hint())
        report = ImportReport(
            path=path,
            rows=plan.rows,
            bookings=len(plan.bookings),
            new_customers=len(plan.new),
            customers=len({b["customer_id"] for b in plan.bookings}),
            dry_run=dry_run,
            encoding=encoding,
        )
        if not dry_run:
            plan.write()
            report = evolve(
                report,
                ids=_ids(plan.bookings),
                new_customer_ids=tuple(n.id for n in plan.new.values()),
            )
    return report


def _ids(docs: Sequence[dict[str, Any]]) -> Sequence[int]:
    """The ids of documents added together: a range, as ``new_ids`` hands them out (a
    million bookings' ids as a list would cost 30 MB for a report)."""
    if docs and docs[-1]["id"] - docs[0]["id"] == len(docs) - 1:
        return range(docs[0]["id"], docs[-1]["id"] + 1)
    return [doc["id"] for doc in docs]


#: optional columns holding one value each, checked by the bookings' field types
OPTIONAL = ("status", "amount", "service", "staff")
#: the order a row's problems are listed in (a stray cell first)
_RANK = {name: at for at, name in enumerate(COLUMNS, start=1)}


def _NOTHING_RECORDED(external_id: str) -> int | None:
    return None


class _Memo(dict[str, Any]):
    """A cell's text → what it means, worked out once per distinct text."""

    def __init__(self, convert: Callable[[str], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, text: str) -> Any:
        value = self[text] = self.convert(text)
        return value


class _Bad:
    """A cell's text its field refuses, and why; memoised like a good value."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _New:
    """A customer the file names and the workspace lacks: created by the import."""

    __slots__ = ("id", "key", "name")

    def __init__(self, key: str, name: str) -> None:
        self.key = key
        self.name = name
        self.id = 0


class _Plan:
    """A file being checked: its problems, the bookings to record, customers to create."""

    def __init__(
        self,
        transfer: Transfer,
        session: ReadSession,
        path: Path,
        match: str,
        create_missing: bool,
        dates: DateFormat | None = None,
    ) -> None:
        self.transfer = transfer
        self.dates = dates
        self.session = session
        self.path = path
        self.match = match
        self.create_missing = create_missing
        self.values = ActivityValues(transfer.fields.types(), transfer.ctx.field_context)
        #: what a date cell should look like in the workspace's calendar
        self.date_expected = dates_rule.DAY_OR_MOMENT_EXPECTED[
            dates_rule.calendar_of(transfer.ctx.field_context.locale)
        ]
        self.schema = transfer.fields.schema()
        self.problems: list[RowProblem] = []
        self.rows = 0
        #: the bookings to record (checked documents without ids), in file order
        self.bookings: list[dict[str, Any]] = []
        #: customers to create, by their external_id or e-mail address
        self.new: dict[str, _New] = {}
        if create_missing:
            self._check_creatable()

    # -- the header --------------------------------------------------------------------

    def _header(self, cells: list[str]) -> dict[str, int]:
        """Column name → position in the row; columns without a name are left out."""
        positions: dict[str, int] = {}
        unknown: list[str] = []
        for position, cell in enumerate(cells):
            name = cell.lstrip("\ufeff").strip().lower()
            if not name:
                continue  # e.g. a trailing delimiter; a value in it is a row problem
            if name not in COLUMNS:
                unknown.append(cell.strip())
            elif name in positions:
                raise ImportFileError(
                    f"{self.path}: the header names column {name!r} twice "
                    f"(columns {positions[name] + 1} and {position + 1}); keep one"
                )
            else:
                positions[name] = position
        if unknown:
            s = "s" if len(unknown) > 1 else ""
            emails = [u for u in unknown if _EMAIL_HEADER.fullmatch(u.casefold())]
            hint = (
                f"; if {emails[0]!r} holds the customers' e-mail addresses, name it 'customer' "
                "and import with --match email"
                if emails and "customer" not in positions
                else ""
            )
            raise ImportFileError(
                f"{self.path}: unknown column{s} {', '.join(map(repr, unknown))} in the header; "
                f"known columns: {', '.join(COLUMNS)}{hint}"
            )
        missing = [c for c in REQUIRED_COLUMNS if c not in positions]
        if missing:
            found = ", ".join(repr(c.strip()) for c in cells if c.strip()) or "none"
            raise ImportFileError(
                f"{self.path}: the header row has no {' and no '.join(map(repr, missing))} "
                f"column (columns found: {found}); required columns: "
                f"{', '.join(REQUIRED_COLUMNS)}"
            )
        return positions

    # -- the rows ----------------------------------------------------------------------

    def check(self, text: str) -> None:
        """Read every row, collecting its problems or the booking it records."""
        lines = io.StringIO(text, newline="")
        first = lines.readline()
        delimiter = _delimiter(first)
        with cells_up_to(len(text)):
            header = next(csv.reader([first], delimiter=delimiter), [])
            positions = self._header(header)
            reader = csv.reader(lines, delimiter=delimiter)
            try:
                rows, numbers = self._read(reader, positions, len(header))
            except csv.Error as exc:
                raise ImportFileError(
                    f"{self.path}: line {reader.line_num + 1} cannot be read as CSV: {exc}"
                ) from None
        self.rows = len(rows)
        if rows:
            columns = {at: list(map(itemgetter(at), rows)) for at in positions.values()}
            del rows  # a million lists: free them for what comes next
            self._check(columns, numbers, positions)
        self.problems.sort(key=lambda p: (p.row, _RANK.get(p.column or "", 0)))

    def _read(
        self, reader: Any, positions: dict[str, int], width: int
    ) -> tuple[list[list[str]], Sequence[int]]:
        """The data rows, each as wide as the header, and their row numbers."""
        read: list[list[str]] = list(reader)
        customer_at = positions["customer"]
        unnamed = len(positions) < width
        if (
            not unnamed
            and set(map(len, read)) <= {width}
            and "" not in map(str.strip, map(itemgetter(customer_at), read))
        ):
            return read, range(2, len(read) + 2)  # the usual file: every row as it is
        rows: list[list[str]] = []
        numbers: list[int] = []
        for number, cells in enumerate(read, start=2):
            if len(cells) != width:
                if not any(c.strip() for c in cells):
                    continue  # a blank line
                if len(cells) < width:  # spreadsheets leave trailing empty cells out
                    cells += [""] * (width - len(cells))
            elif not cells[customer_at].strip() and not any(c.strip() for c in cells):
                continue  # a row of empty cells
            if unnamed or len(cells) > width:
                self._stray_cells(number, cells, positions, width)
                del cells[width:]
            rows.append(cells)
            numbers.append(number)
        return rows, numbers

    def _check(
        self, columns: dict[int, list[str]], numbers: Sequence[int], positions: dict[str, int]
    ) -> None:
        # A column at a time: each distinct text of a cell goes through its field
        # type once (a memo), and a column whose texts are all good is never
        # looked at row by row.  A million rows cost a few passes at C speed.
        values: dict[str, list[Any]] = {}
        for name, convert in (
            ("customer", self._resolver()),
            ("date", self._when),
            *((n, self._coercer(n)) for n in OPTIONAL if n in positions),
        ):
            memo = _Memo(convert)
            raw = columns[positions[name]]
            values[name] = list(map(memo.__getitem__, raw))
            if any(v.__class__ is _Bad for v in memo.values()):
                self.problems += [
                    RowProblem(numbers[at], name, raw[at], value.reason)
                    for at, value in enumerate(values[name])
                    if value.__class__ is _Bad
                ]
        if "external_id" in positions:
            values["external_id"] = self._external_ids(columns[positions["external_id"]], numbers)
        if self.problems:
            return  # nothing is written: no need for the bookings
        # every document in one pass at C speed: a column per key (constants
        # repeated), zipped into rows, each row zipped with the keys into a dict
        dates, starts = zip(*values.pop("date"), strict=True)
        given: dict[str, Any] = {
            "customer_id": values.pop("customer"),
            "date": dates,
            "start": starts,
            **values,
        }
        keys = ("id", "customer_id", *BOOKING.keys, "recorded_at")
        constant = {"id": 0, "status": BOOKING.default_status, "recorded_at": utc_now().isoformat()}
        columns_ = [given[k] if k in given else repeat(constant.get(k)) for k in keys]
        rows = zip(*columns_, strict=False)  # (the repeat() columns never end)
        self.bookings = list(map(dict, map(zip, repeat(keys), rows)))
        columns.clear()  # the cells' texts: the documents hold what they meant

    def _external_ids(self, raw: list[str], numbers: Sequence[int]) -> list[str | None]:
        """The bookings' own ids: each new to the file and to the workspace."""
        # composed (NFC) as the field type would: the fast path below skips it
        given = list(map(nfc, map(str.strip, raw)))
        found: list[str | None] = list(given)
        if "" in given:
            found = [text or None for text in given]
            given = [text for text in given if text]
        recorded = self._recorded()
        if (
            len(set(given)) == len(given)
            and all(map(str.isprintable, given))
            and (recorded is _NOTHING_RECORDED or not any(map(recorded, given)))
        ):
            return found
        # the rare case: the slower path says what is wrong, row by row
        seen: dict[str, int] = {}
        return [
            None if text is None else self._external_id(number, text, seen, recorded)
            for number, text in zip(numbers, found, strict=True)
        ]

    def _stray_cells(
        self, number: int, cells: list[str], positions: dict[str, int], width: int
    ) -> None:
        """A value in a column the header does not name (none, or past its end)."""
        named = set(positions.values())
        for at, cell in enumerate(cells):
            if at not in named and cell.strip():
                reason = (
                    "a value in a column without a name in the header row"
                    if at < width
                    else f"a value past the last column (the header names {width}); "
                    "a delimiter inside a value needs quotes around the value"
                )
                self.problems.append(RowProblem(number, f"#{at + 1}", cell, reason))

    def _external_id(
        self, number: int, raw: str, seen: dict[str, int], recorded: Callable[[str], int | None]
    ) -> str | None:
        """The booking's external_id, after checking it is new to the file and the workspace."""
        external_id = raw.strip()
        if not external_id.isprintable():  # rare: let the field type judge it
            try:
                external_id = self.values.coerce(BOOKING, {"external_id": raw})["external_id"]
            except ValidationError as exc:
                self.problems.append(
                    RowProblem(number, "external_id", raw, f"expected {exc.expected}")
                )
                return None
        first = seen.get(external_id)
        if first is not None:
            self.problems.append(
                RowProblem(
                    number,
                    "external_id",
                    raw,
                    f"row {first} has the same external_id; each booking needs its own",
                )
            )
            return None
        seen[external_id] = number
        found = recorded(external_id)
        if found is not None:
            self.problems.append(
                RowProblem(
                    number,
                    "external_id",
                    raw,
                    f"a booking with this external_id is already recorded (id {found}); "
                    "leave that row out, or change the booking with update_activity",
                )
            )
            return None
        return external_id

    def _recorded(self) -> Callable[[str], int | None]:
        """external_id → the id of the booking already recorded with it, or None."""
        table = self.session.table(BOOKING.table)
        if not table.columns(())["id"]:
            return _NOTHING_RECORDED  # the first import

        def find(external_id: str) -> int | None:
            found = holders(table, "external_id", external_id)
            return found[0] if found else None

        return find

    def hint(self) -> str | None:
        """The ``--match`` that fits the customers no row found (None: none fits better).

        Tried only when the import already failed, on the first
        :data:`HINT_SAMPLE` texts: each other way of matching looks them up once."""
        found_texts = (
            p.value.strip()
            for p in self.problems
            if p.column == "customer" and p.value and p.value.strip()
        )
        texts = list(islice(dict.fromkeys(found_texts), HINT_SAMPLE))
        if not texts:
            return None
        counts = [
            (sum(map(self._finds(match), texts)), match) for match in MATCHES if match != self.match
        ]
        found, match = max(counts, key=lambda pair: pair[0])
        if found:
            total = len(texts)
            which = f"the {total:,}" if found == total else f"{found:,} of the {total:,}"
            verb = "is" if found == 1 else "are"
            return (
                f"{which} customer{'' if total == 1 else 's'} not found by "
                f"{_MATCHED_BY[self.match]} {verb} found by "
                f"{_MATCHED_BY[match]}: import with --match {match}"
            )
        if self.match != "email" and all("@" in text for text in texts):
            return (
                "the customer column holds e-mail addresses: import with --match email "
                "(and --create-missing to add the customers)"
            )
        return None

    def _finds(self, match: str) -> Callable[[str], bool]:
        """Whether a customer cell's text names a customer when matched by ``match``."""
        table = self.session.table(CUSTOMERS)
        if match == "id":
            return lambda text: (
                text.isascii() and text.isdigit() and table.get(int(text)) is not None
            )
        key = "external_id" if match == "external-id" else "email"
        schema = self.schema

        def finds(text: str) -> bool:
            try:
                value = schema.coerce(key, text)
            except ValidationError:
                return False
            return bool(table.find(key, value))

        return finds

    # -- what a cell's text means (memoised per distinct text) ---------------------------

    def _when(self, raw: str) -> Any:
        """A booking's (date, start): its local day, and the moment (UTC) when a time is
        given."""
        if not raw.strip():
            return _Bad(f"missing; every booking needs a date: {self.date_expected}")
        value: Any = raw
        if self.dates is not None:
            try:
                written = self.dates.read(raw)
            except ValueError:
                return _Bad(f"expected {self.dates.expected}")
            if written is not None:
                value = written
        else:
            unordered = unordered_date(raw)
            if unordered is not None:
                return _Bad(unordered)
        try:
            got = self.values.coerce(BOOKING, {"date": value})
        except ValidationError as exc:
            # a date-only failure says "a date as YYYY-MM-DD": right for text shaped
            # like one (2025-02-30), too narrow for other text, as times are welcome
            shaped = _DATE_SHAPE.fullmatch(raw.strip())
            return _Bad(f"expected {exc.expected if shaped else self.date_expected}")
        return got["date"], got["start"]

    def _coercer(self, key: str) -> Callable[[str], Any]:
        values = self.values
        # an empty cell is no value: the field's default (status: completed)
        default = BOOKING.default_status if key == BOOKING.status_field else None

        def coerce(raw: str) -> Any:
            if not raw:
                return default
            try:
                found = values.coerce(BOOKING, {key: raw})[key]
            except ValidationError as exc:
                return _Bad(f"expected {exc.expected}")
            return default if found is None else found

        return coerce

    def _resolver(self) -> Callable[[str], Any]:
        """Customer cell → customer id, a :class:`_New` customer, or a :class:`_Bad`."""
        docs = self.session.table(CUSTOMERS)
        schema = self.schema
        missing = self._missing

        if self.match == "id":
            ids = {doc["id"] for doc in docs}

            def by_id(raw: str) -> Any:
                text = raw.strip()
                if not text:
                    return _Bad("missing; every booking needs its customer")
                if not (text.isascii() and text.isdigit()):
                    return _Bad("expected a clientcard customer id (a whole number)")
                return int(text) if int(text) in ids else missing(text, text)

            return by_id

        key = "external_id" if self.match == "external-id" else "email"
        index: dict[str, list[int]] = {}
        for doc in docs:
            value = doc.get(key)
            if value is not None:
                # composed: a value stored before text was composed on entry may not be,
                # and the cell's is (coerced)
                index.setdefault(nfc(value), []).append(doc["id"])

        def by_key(raw: str) -> Any:
            if not raw.strip():
                return _Bad("missing; every booking needs its customer")
            try:
                value = schema.coerce(key, raw)
            except ValidationError as exc:
                return _Bad(f"expected {exc.expected}")
            found = index.get(value)
            if not found:
                return missing(value, raw.strip())
            if len(found) > 1:
                shown = ", ".join(map(str, found[:5])) + (", ..." if len(found) > 5 else "")
                return _Bad(
                    f"{len(found)} customers have this {_MATCHED_BY[self.match]} (ids {shown}); "
                    "name them with --match id"
                )
            return found[0]

        return by_key

    def _missing(self, key: str, name: str) -> Any:
        what = _MATCHED_BY[self.match]
        if not self.create_missing:
            hint = "" if self.match == "id" else ", or import with --create-missing"
            return _Bad(f"no customer has this {what}; add the customer first{hint}")
        new = self.new.get(key)
        if new is None:
            new = self.new[key] = _New(key, name)
        return new

    def _check_creatable(self) -> None:
        """Refuse up front when new customers would lack a required field."""
        given = {"name", "external_id" if self.match == "external-id" else "email"}
        required = [f.key for f in self.schema.defs.values() if f.required and f.key not in given]
        if required:
            s = "s" if len(required) > 1 else ""
            raise ImportFileError(
                f"--create-missing cannot create customers: the field{s} "
                f"{', '.join(map(repr, required))} {'are' if s else 'is'} required and a "
                "bookings file gives no value for them; add the customers first"
            )

    # -- writing -------------------------------------------------------------------------

    def write(self) -> None:
        """Create the missing customers and record every booking (inside one write)."""
        if self.new:
            key = "external_id" if self.match == "external-id" else "email"
            new = list(self.new.values())
            try:
                created = self.transfer.customers.add_many(
                    [{"name": n.name, key: n.key} for n in new]
                )
            except ClientcardError as exc:
                raise ImportFileError(
                    f"{self.path}: creating the missing customers failed: {exc}"
                ) from None
            for one, customer in zip(new, created, strict=True):
                one.id = customer.id
            for booking in self.bookings:
                customer_id = booking["customer_id"]
                if customer_id.__class__ is _New:
                    booking["customer_id"] = customer_id.id
        if self.bookings:
            # a real import checks inside the write it then writes in (import_bookings)
            session = cast(WriteSession, self.session)
            self.transfer.activity.add_in(session, BOOKING, self.bookings)


#: byte-order marks that settle a file's encoding (UTF-32's first, as FF FE starts both)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: what Excel saves as "CSV" on Windows: the system's ANSI code page, which follows
#: the region; cp1252 everywhere else (Western Europe, the Americas, Africa, Oceania)
ANSI_CODE_PAGES = {
    **dict.fromkeys(("AL", "BA", "CZ", "HR", "HU", "ME", "PL", "RO", "SI", "SK"), "cp1250"),
    **dict.fromkeys(("BG", "BY", "KG", "KZ", "MK", "MN", "RS", "RU", "TJ", "UA", "UZ"), "cp1251"),
    **dict.fromkeys(("CY", "GR"), "cp1253"),
    **dict.fromkeys(("AZ", "TR"), "cp1254"),
    "IL": "cp1255",
    **dict.fromkeys(
        (
            *("AE", "AF", "BH", "DZ", "EG", "IQ", "IR", "JO", "KW", "LB", "LY", "MA", "OM"),
            *("PK", "QA", "SA", "SY", "TN", "YE"),
        ),
        "cp1256",
    ),
    **dict.fromkeys(("EE", "LT", "LV"), "cp1257"),
    "VN": "cp1258",
    "TH": "cp874",
    "JP": "cp932",
    **dict.fromkeys(("CN", "SG"), "cp936"),
    "KR": "cp949",
    **dict.fromkeys(("HK", "MO", "TW"), "cp950"),
}
#: the encodings a guess chooses among: every ANSI code page (a file that is not
#: Unicode comes from a Windows program, Excel most often)
_GUESSES = tuple(sorted(set(ANSI_CODE_PAGES.values()) | {"cp1252"}))


def code_page(region: str | None) -> str:
    """The ANSI code page of Windows in ``region`` (ISO 3166 code): what Excel writes
    a "CSV" file in there."""
    return ANSI_CODE_PAGES.get((region or "").upper(), "cp1252")


def read_text(
    path: Path, encoding: str | None = None, *, region: str | None = None
) -> tuple[str, str | None]:
    """The whole file as text, and the encoding it was read in when that is not UTF-8.

    ``encoding`` None: UTF-8 (with or without a byte-order mark) first, which
    is most files and costs one decode; a UTF-16 or UTF-32 byte-order mark
    (Excel's "Unicode Text") settles the encoding; any other file's encoding
    is detected with charset-normalizer, preferring the code page Excel
    writes in ``region`` (:func:`code_page`) when that reads the file well.
    A byte that does not decode in the given encoding is reported with its line.
    """
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ImportFileError(
                f"unknown encoding {encoding!r}; e.g. utf-8, utf-16, cp1252 or latin-1"
            ) from None
    data = _read_bytes(path)
    if encoding is not None:
        text = _decode(path, data, encoding)
        return text, None if name.startswith("utf-8") else name
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _decode(path, data, name), name
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        # text that was valid UTF-8 up to the bad byte is UTF-8 with a damaged
        # byte, not another encoding: a guess would garble every accent in it
        if data.startswith(codecs.BOM_UTF8) or not data[: exc.start].isascii():
            _decode(path, data, "utf-8-sig")  # raises, naming the line
        found = _detect(data, code_page(region))
    if found is None:
        raise ImportFileError(
            f"{path}: not UTF-8 text, and its encoding could not be recognised; "
            "give it with --encoding, e.g. --encoding cp1252"
        )
    return _decode(path, data, found), found


def _detect(data: bytes, preferred: str) -> str | None:
    """The encoding of ``data``: ``preferred`` when charset-normalizer finds the text
    it gives plausible, else its best guess among the ANSI code pages (cp1252 among
    equals)."""
    # imported here: only a file that is not UTF-8 needs it
    from charset_normalizer import from_bytes

    # a few accented names are read equally well by many code pages, and charset-
    # normalizer then picks one by name (cp1258 for Italian): what the region's
    # Excel writes is the likelier, when it reads the file as plausible text
    if from_bytes(data, cp_isolation=[preferred]).best() is not None:
        return preferred
    matches = list(from_bytes(data, cp_isolation=list(_GUESSES)))
    if not matches:
        return None
    best = matches[0]
    ties = [m for m in matches if m.chaos == best.chaos]
    if any("cp1252" in m.could_be_from_charset for m in ties):
        return "cp1252"
    return str(codecs.lookup(best.encoding).name)


@contextmanager
def cells_up_to(size: int) -> Iterator[None]:
    """The csv module's limit on one cell raised to ``size`` characters while a file of
    that length is read, then put back.

    The limit (131,072 by default, one for the whole process) would refuse a
    long note the workspace itself accepted and exported.  A cell can be no
    longer than the file, and the file is in memory already, whole: as the
    file's length, the limit refuses nothing and lets no cell take more
    memory than the file does.  The limit is put back unless someone else
    changed it meanwhile (another thread reading a larger file).
    """
    before = csv.field_size_limit()
    if size <= before:
        yield
        return
    csv.field_size_limit(size)
    try:
        yield
    finally:
        if csv.field_size_limit() == size:
            csv.field_size_limit(before)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        name = "UTF-8" if codecs.lookup(encoding).name.startswith("utf-8") else encoding
        raise ImportFileError(
            f"{path}: line {line} is not valid {name} text (byte {data[exc.start]:#04x}); "
            "give the file's encoding with --encoding, e.g. --encoding cp1252"
        ) from None


def _delimiter(line: str) -> str:
    """The delimiter the header row uses: the most frequent of comma, semicolon and tab."""
    count, _, found = max((line.count(d), -i, d) for i, d in enumerate(DELIMITERS))
    return found if count else ","


def _show(value: str, limit: int = 60) -> str:
    """A cell as a problem line shows it: quoted, and shortened when long."""
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return repr(value)
