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
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from clientcard.core.activity import BOOKING, ActivityValues
from clientcard.core.clock import utc_now
from clientcard.core.customers import CUSTOMERS
from clientcard.core.errors import ClientcardError, ValidationError
from clientcard.core.memory import gc_paused

if TYPE_CHECKING:
    from clientcard.core.workspace import Workspace

#: What the ``customer`` column holds: a customer's external_id, e-mail address or id.
MATCHES = ("external-id", "email", "id")
#: Every column a bookings file may have, in the order a row's problems are listed.
COLUMNS = ("customer", "date", "status", "amount", "service", "staff", "external_id")
REQUIRED_COLUMNS = ("customer", "date")
#: Delimiters a file may use; the header row tells which one it does.
DELIMITERS = (",", ";", "\t")
#: Problems spelled out in an error's message; ``ImportRowsError.problems`` has them all.
MAX_LISTED = 1000

_DATE_EXPECTED = "an ISO 8601 date (2025-03-01) or date-time (2025-03-01T10:30)"
_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MATCHED_BY = {"external-id": "external_id", "email": "e-mail address", "id": "id"}


class ImportFileError(ClientcardError):
    """A file that cannot be imported as a whole: unreadable, or with a wrong header."""


@frozen
class RowProblem:
    """A problem of one row: the ``column`` (None: the row as a whole), its cell and why."""

    row: int
    column: str | None
    value: str | None
    reason: str

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

    def __init__(self, problems: list[RowProblem], rows: int) -> None:
        self.problems = problems
        self.rows = rows
        self.invalid = len({p.row for p in problems})
        verb = "is" if self.invalid == 1 else "are"
        lines = [f"{self.invalid:,} of {rows:,} rows {verb} invalid; nothing was imported"]
        lines += [str(p) for p in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(f"... and {len(problems) - MAX_LISTED:,} more problems")
        super().__init__("\n".join(lines))


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


def import_bookings(
    workspace: Workspace,
    path: str | Path,
    *,
    match: str = "external-id",
    create_missing: bool = False,
    encoding: str = "utf-8-sig",
    dry_run: bool = False,
) -> ImportReport:
    """Import the bookings of a CSV file: all of them, or (on any problem) none.

    ``match`` says what the ``customer`` column holds: ``"external-id"`` (the
    customer's external_id), ``"email"`` (an e-mail address, normalised and
    matched as :meth:`~clientcard.Workspace.find_customers` does) or ``"id"``
    (clientcard's id).  With ``create_missing`` a customer a row names but the
    workspace lacks is created, in the same write as the bookings: its name is
    the cell's text, which also becomes its external_id or e-mail address.
    ``encoding`` is the file's encoding; the default reads UTF-8 with or without
    a byte-order mark.  With ``dry_run`` every row is checked, nothing written.

    Raises :class:`ImportFileError` for a file that cannot be read or whose
    header is wrong, and :class:`ImportRowsError` listing every invalid row.
    """
    path = Path(path)
    if match not in MATCHES:
        raise ValidationError("match", match, f"one of: {', '.join(MATCHES)}")
    if create_missing and match == "id":
        raise ImportFileError(
            "--create-missing needs customers named by external-id or email "
            "(a new customer cannot be given a clientcard id); use --match external-id "
            "or --match email, or add the customers first"
        )
    text = _read(path, encoding)
    # A real import holds the workspace lock from the first check to the last
    # booking written: no other process can invalidate what was checked.
    outer = nullcontext() if dry_run else workspace.batch()
    inner = workspace.store.read() if dry_run else workspace.store.write()
    with gc_paused(), outer, inner as session:
        plan = _Plan(workspace, session, path, match, create_missing)
        plan.check(text)
        del text
        if plan.problems:
            raise ImportRowsError(plan.problems, plan.rows)
        report = ImportReport(
            path=path,
            rows=plan.rows,
            bookings=len(plan.bookings),
            new_customers=len(plan.new),
            customers=len({b["customer_id"] for b in plan.bookings}),
            dry_run=dry_run,
        )
        if not dry_run:
            plan.write()
    return report


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
        workspace: Workspace,
        session: Any,
        path: Path,
        match: str,
        create_missing: bool,
    ) -> None:
        self.workspace = workspace
        self.session = session
        self.path = path
        self.match = match
        self.create_missing = create_missing
        self.values = ActivityValues(workspace.field_types(), workspace.field_context)
        self.schema = workspace.schema()
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
            raise ImportFileError(
                f"{self.path}: unknown column{s} {', '.join(map(repr, unknown))} in the header; "
                f"known columns: {', '.join(COLUMNS)}"
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
        given = list(map(str.strip, raw))
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
            found = table.find("external_id", external_id)
            return found[0] if found else None

        return find

    # -- what a cell's text means (memoised per distinct text) ---------------------------

    def _when(self, raw: str) -> Any:
        """A booking's (date, start): its local day, and the moment (UTC) when a time is
        given."""
        if not raw.strip():
            return _Bad(f"missing; every booking needs a date: {_DATE_EXPECTED}")
        try:
            got = self.values.coerce(BOOKING, {"date": raw})
        except ValidationError as exc:
            # a date-only failure says "a date as YYYY-MM-DD": right for text shaped
            # like one (2025-02-30), too narrow for other text, as times are welcome
            shaped = _DATE_SHAPE.fullmatch(raw.strip())
            return _Bad(f"expected {exc.expected if shaped else _DATE_EXPECTED}")
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
                index.setdefault(value, []).append(doc["id"])

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
                created = self.workspace.add_customers([{"name": n.name, key: n.key} for n in new])
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
            self.workspace._add_activity(self.session, BOOKING, self.bookings)


def _read(path: Path, encoding: str) -> str:
    """The whole file as text; a byte that does not decode is reported with its line."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFileError(
            f"unknown encoding {encoding!r}; e.g. utf-8, utf-16, cp1252 or latin-1"
        ) from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
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
