"""Importing customers from CSV or XLSX: every value checked by its field type, then one write.

The header row names each column's field, by key or by label, in any case
(``--map COLUMN=FIELD`` for the rest); ``tags`` takes tags separated by
commas (``\\,`` is a comma inside a tag: :func:`~clientcard.transfer.export.split_tags`);
``id``, ``status`` and ``tier`` (which ``clientcard export`` writes)
are read past.  Every cell goes through its field's type, exactly as a value
typed on the command line does, after :func:`~clientcard.transfer.export.restore`
takes off the apostrophe a CSV export put before a formula-like value, so an
export imports back to the same records.  An XLSX export holds its values as
they are (marked :data:`~clientcard.transfer.export.XLSX_UNGUARDED`); a workbook
without that mark is read as older exports wrote it, with apostrophes.

All or nothing by default: every problem of every row is reported (row as a
spreadsheet numbers it, column, value, reason) and nothing is written.  With
``skip_invalid`` the good rows are imported and the others written, with
their reasons, to ``<file>.rejected.csv`` beside the input.

With ``update_existing`` a row that finds a customer updates it (``match``
says how rows find customers; by default the ``Id`` column an export writes,
then external_id, then e-mail address).  A row that finds a customer by an
e-mail address or phone number alone, but names someone else (a spouse, a
parent sharing one address), is not that customer: it is added as a new one
and listed in the report's ``shared``, never written over the other person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import evolve, frozen

from clientcard.core.clock import utc_now
from clientcard.core.errors import ValidationError
from clientcard.core.fields import FieldSchema
from clientcard.core.files import written_whole
from clientcard.core.memory import gc_paused
from clientcard.core.store import WriteSession
from clientcard.customers import records
from clientcard.customers.records import CUSTOMERS
from clientcard.dedupe.detect import (
    GATE_HIGH,
    LookAlike,
    LookAlikeFinder,
    compare_names,
    name_tokens,
)
from clientcard.transfer.bookings_import import (
    DateFormat,
    ImportFileError,
    ImportRowsError,
    RowProblem,
    _delimiter,
    cells_up_to,
    read_text,
    unordered_date,
)
from clientcard.transfer.export import (
    FORMULA_STARTS,
    XLSX_UNGUARDED,
    neutralise,
    restore,
    split_tags,
)

if TYPE_CHECKING:
    from openpyxl import Workbook

    from clientcard.transfer.service import Transfer

FORMATS = ("csv", "xlsx")
#: suffixes of delimited text files, read as CSV
TEXT_SUFFIXES = {".tsv": "csv", ".txt": "csv", ".tab": "csv"}
#: columns an export writes that an import reads past (ids are the workspace's own)
IGNORED = ("id", "status", "tier")
TAGS = "tags"
ID = "id"
#: how rows find the customers they update (``match``; None: id, then external_id, then
#: e-mail address)
MATCHES = ("external_id", "email", "phone", "id", "email+name")
#: what each way of matching compares, for messages
_MATCHED_BY = {
    "external_id": "external_id",
    "email": "e-mail address",
    "phone": "phone number",
    "id": "id",
    "email+name": "e-mail address and name",
}
#: field types whose cells ``date_format`` reads
DATE_TYPES = ("date", "datetime")


@frozen
class SharedContact:
    """A row whose e-mail address or phone number a customer of another name has: a
    different person (family members share them), so added as a new customer."""

    row: int
    #: the row's name, and the field and value it shares
    name: str
    field: str
    value: str
    #: the customers (id, name) who have that value
    customers: tuple[tuple[int, str], ...]

    def describe(self) -> str:
        """``row 4 (Marco Rossi) has the e-mail address ... of customer 3 (Ana Rossi) ...``"""
        what = _MATCHED_BY[self.field]
        who = ", ".join(f"customer {id} ({name})" for id, name in self.customers)
        return (
            f"row {self.row} ({self.name}) has the {what} {self.value} of {who}, another "
            "name: added as a new customer, not written over"
        )

    def to_json(self) -> dict[str, Any]:
        """The row as a JSON object (``--format json``)."""
        return {
            "row": self.row,
            "name": self.name,
            "field": self.field,
            "value": self.value,
            "customers": [{"id": id, "name": name} for id, name in self.customers],
        }


@frozen
class CustomerImportReport:
    """What an import did or, with ``dry_run``, would do."""

    path: Path
    rows: int
    created: int
    updated: int
    #: rows left out (``skip_invalid``), and where they were written with their reasons
    rejected: int = 0
    rejected_path: Path | None = None
    dry_run: bool = False
    #: rows that look like a stored customer or an earlier row (imported all the same)
    look_alikes: tuple[tuple[int, tuple[LookAlike, ...]], ...] = ()
    #: rows sharing an e-mail address or phone with a customer of another name (new)
    shared: tuple[SharedContact, ...] = ()
    #: the file's encoding when it is not UTF-8 (detected, unless given)
    encoding: str | None = None
    #: ids of the customers created (none on a dry run) and updated
    created_ids: Sequence[int] = ()
    updated_ids: tuple[int, ...] = ()
    #: the problems of the rows left out (``skip_invalid``)
    problems: tuple[RowProblem, ...] = ()

    def warnings(self) -> list[str]:
        """One line for each warning about a row imported, in row order: a customer
        sharing its e-mail or phone, look-alikes."""
        lines = [(s.row, s.describe()) for s in self.shared]
        for number, found in self.look_alikes:
            lines.append((number, f"row {number} looks like {'; '.join(map(_described, found))}"))
        return [line for _, line in sorted(lines, key=lambda pair: pair[0])]

    def to_json(self) -> dict[str, Any]:
        """The report as a JSON object (``--format json``)."""
        return {
            "imported": not self.dry_run,
            "dry_run": self.dry_run,
            "file": str(self.path),
            "encoding": self.encoding or "utf-8",
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.rejected,
            "ids": {"created": list(self.created_ids), "updated": list(self.updated_ids)},
            "rejected_file": None if self.rejected_path is None else str(self.rejected_path),
            "warnings": self.warnings(),
            "shared": [s.to_json() for s in self.shared],
            "look_alikes": [
                {
                    "row": number,
                    "like": [
                        {"id": f.id, "row": f.row, "name": f.name, "reasons": list(f.reasons)}
                        for f in found
                    ],
                }
                for number, found in self.look_alikes
            ],
            "problems": [p.to_json() for p in self.problems],
        }


def import_customers(
    transfer: Transfer,
    path: str | Path,
    *,
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    ignore_unknown: bool = False,
    skip_invalid: bool = False,
    update_existing: bool = False,
    match: str | None = None,
    reject_duplicates: bool = False,
    encoding: str | None = None,
    date_format: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> CustomerImportReport:
    """Import the customers of a CSV or XLSX file (``format`` defaults to its suffix).

    ``match`` says how a row finds the customer it updates (with
    ``update_existing``; without it, a row that finds one is a bad row):
    ``"external_id"``, ``"email"``, ``"phone"``, ``"id"`` (the ``Id`` column of
    an export: an unknown id is a bad row, an empty cell a new customer) or
    ``"email+name"`` (the same e-mail address and the same name).  None (the
    default) tries the ``Id`` column, then external_id, then e-mail address,
    and without ``update_existing`` matches nothing (only an external_id
    already taken is a bad row).  By e-mail address or phone, a customer whose
    name is not the row's (not even with a typo) is someone else: the row is
    added as a new customer and listed in the report's ``shared``.  By the
    ``Id`` column without ``match="id"``, a customer of another name is a bad
    row (the ids may be another workspace's).

    ``encoding`` None reads UTF-8 and detects any other encoding
    (:func:`~clientcard.transfer.bookings_import.read_text`).  ``date_format`` reads
    date and date-time fields written another way than ISO 8601 (``"dmy"``,
    ``"mdy"``, ``"ymd"`` or a pattern such as ``"%d/%m/%Y"``); without it a
    date with the day or month first (03/04/2025) is a bad row.

    Raises :class:`~clientcard.transfer.bookings_import.ImportFileError` for a file
    that cannot be read or a header that names unknown fields, and
    :class:`~clientcard.transfer.bookings_import.ImportRowsError` listing every bad row
    (unless ``skip_invalid``).  ``progress`` is called with each row read.

    A new row that looks like a stored customer, or like an earlier row of
    the file, is imported and listed in the report's ``look_alikes``; with
    ``reject_duplicates`` it is a bad row instead.
    """
    path = Path(path)
    # Excel saves "Unicode Text" as .txt: tab-separated, which the CSV reader takes
    format = (format or TEXT_SUFFIXES.get(path.suffix.lower(), path.suffix[1:]) or "csv").lower()
    if format not in FORMATS:
        raise ValidationError("format", format, f"one of: {', '.join(FORMATS)}")
    if match is not None:
        match = match.replace("-", "_")  # "external-id", as the bookings import spells it
        if match not in MATCHES:
            raise ValidationError("match", match, f"one of: {', '.join(MATCHES)}")
    dates = DateFormat(date_format) if date_format else None
    if format == "xlsx":
        header, rows = _xlsx_rows(path)
        encoding = None
    else:
        header, rows, encoding = _csv_rows(path, encoding, transfer.ctx.field_context.region)
    # gc paused: 100,000 rows are that many long-lived documents, and the look-alike
    # check's blocks as many more; scanning them all for cycles, again and again,
    # took a third of the import
    with gc_paused(), transfer.ctx.write() as session:
        schema = transfer.fields.schema_in(session)
        targets = _targets(path, header, schema, mapping or {}, ignore_unknown)
        id_at = _id_column(header, targets)
        if match == "id" and id_at is None:
            raise ImportFileError(
                f"{path}: --match id needs a column 'id' (or 'Id') of clientcard customer "
                "ids, such as 'clientcard export' writes"
            )
        finder = transfer.dedupe.look_alike_finder(session, schema)
        plan = _Plan(
            schema,
            session,
            targets,
            update_existing,
            finder,
            reject_duplicates,
            match=match,
            id_at=id_at,
            dates=dates,
        )
        for number, cells in rows:
            plan.check(number, cells)
            if progress is not None:
                progress(1)
        if plan.problems and not skip_invalid:
            raise ImportRowsError(plan.problems, plan.rows)
        rejected_path = None
        if plan.rejected and not dry_run:
            rejected_path = _write_rejected(path, header, plan)
        report = CustomerImportReport(
            path=path,
            rows=plan.rows,
            created=len(plan.new),
            updated=len(plan.changes),
            rejected=len(plan.rejected),
            rejected_path=rejected_path,
            dry_run=dry_run,
            look_alikes=tuple(plan.look_alikes),
            shared=tuple(plan.shared),
            encoding=encoding,
            updated_ids=tuple(plan.changes),
            problems=tuple(plan.problems),
        )
        if not dry_run:
            now, today = utc_now(), transfer.ctx.today()
            docs = [
                records.new_doc(
                    schema, values, tags or (), id=0, now=now, today=today, checked=True
                )
                for values, tags in plan.new
            ]
            transfer.customers.insert_in(session, schema, docs)
            for id, (values, tags) in plan.changes.items():
                transfer.customers.update(id, values, tags=tags)
            report = evolve(report, created_ids=_ids(docs))
    return report


def _described(found: LookAlike) -> str:
    return found.describe()


def _ids(docs: Sequence[dict[str, Any]]) -> Sequence[int]:
    """The ids of customers added together: a range, as ``new_ids`` hands them out."""
    if docs and docs[-1]["id"] - docs[0]["id"] == len(docs) - 1:
        return range(docs[0]["id"], docs[-1]["id"] + 1)
    return [doc["id"] for doc in docs]


# -- reading --------------------------------------------------------------------------


def _csv_rows(
    path: Path, encoding: str | None, region: str | None
) -> tuple[list[str], Iterator[tuple[int, list[str]]], str | None]:
    """The header, the rows, and the encoding read when not UTF-8."""
    text, encoding = read_text(path, encoding, region=region)
    size = len(text)
    lines = io.StringIO(text, newline="")
    del text  # (the StringIO holds its own copy)
    first = lines.readline()
    delimiter = _delimiter(first)
    with cells_up_to(size):
        header = next(csv.reader([first], delimiter=delimiter), [])
    if not any(h.strip() for h in header):
        raise ImportFileError(f"{path}: the first row must name the columns; it is empty")
    reader = csv.reader(lines, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        # a cell as long as the workspace's own export writes it (a long note)
        with cells_up_to(size):
            try:
                for number, cells in enumerate(reader, start=2):
                    if any(c.strip() for c in cells):
                        yield number, cells
            except csv.Error as exc:
                raise ImportFileError(
                    f"{path}: line {reader.line_num + 1} cannot be read as CSV: {exc}"
                ) from None

    return header, rows(), encoding


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        raise ImportFileError(f"cannot read {path} as an XLSX workbook: {exc}") from None
    sheet = book.worksheets[0]
    guard = _xlsx_guard(book)
    found = sheet.iter_rows(values_only=True)
    header = [guard(_cell_text(v)) for v in next(found, ())]
    if not any(h.strip() for h in header):
        raise ImportFileError(f"{path}: the first row must name the columns; it is empty")

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(found, start=2):
            cells = [guard(_cell_text(v)) for v in values]
            if any(c.strip() for c in cells):
                yield number, cells
        book.close()

    return header, rows()


def _xlsx_guard(book: Workbook) -> Callable[[str], str]:
    """How a cell's text becomes the same value as a CSV export holds it (guarded by
    :func:`neutralise`): the form the checks :func:`restore` and the rejected rows'
    CSV file keeps, whichever way the workbook was written."""
    # (types-openpyxl lacks custom_doc_props, which openpyxl has had since 3.1)
    marks = book.custom_doc_props  # type: ignore[attr-defined]
    if any(p.name == XLSX_UNGUARDED for p in marks):
        return neutralise  # the cells hold the values as they are
    # not marked: an apostrophe before a formula start is the guard an older export
    # put there (or a CSV export saved as a workbook); guard what has none
    return lambda text: neutralise(text) if text.startswith(FORMULA_STARTS) else text


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the header ------------------------------------------------------------------------


def _targets(
    path: Path,
    header: Sequence[str],
    schema: FieldSchema,
    mapping: Mapping[str, str],
    ignore_unknown: bool,
) -> list[str | None]:
    """For each column, the field key it fills (TAGS for tags; None: read past)."""
    by_name: dict[str, str] = {}
    for field in schema.defs.values():
        by_name.setdefault(field.label.casefold(), field.key)
        by_name[field.key.casefold()] = field.key
    mapped = {column.strip().casefold(): target for column, target in mapping.items()}
    targets: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for cell in header:
        name = restore(cell.lstrip("\ufeff").strip())
        wanted = mapped.get(name.casefold(), name)
        key = by_name.get(wanted.casefold())
        if key is None and wanted.casefold() == TAGS:
            key = TAGS
        if key is None:
            if wanted.casefold() not in IGNORED and name:
                if name.casefold() in mapped:
                    raise ImportFileError(
                        f"--map {name}={wanted}: no field {wanted!r}; "
                        f"fields: {', '.join(schema.defs)}"
                    )
                unknown.append(name)
            targets.append(None)
            continue
        if key in seen:
            raise ImportFileError(
                f"{path}: columns {seen[key]!r} and {name!r} both fill field {key!r}; keep one"
            )
        seen[key] = name
        targets.append(key)
    named = {cell.lstrip("\ufeff").strip().casefold() for cell in header}
    for column, target in mapping.items():
        if column.strip().casefold() not in named:
            raise ImportFileError(
                f"--map {column}={target}: no column {column!r} in the header of {path}"
            )
    if unknown and not ignore_unknown:
        s = "s" if len(unknown) > 1 else ""
        raise ImportFileError(
            f"{path}: unknown column{s} {', '.join(map(repr, unknown))}; name a field by its "
            f"key or label ({', '.join(schema.defs)}), map it with --map COLUMN=FIELD, "
            "or leave it out with --ignore-unknown"
        )
    return targets


# -- the rows --------------------------------------------------------------------------


class _Plan:
    """Rows being checked: their problems, the customers to create and to update."""

    def __init__(
        self,
        schema: FieldSchema,
        session: WriteSession,
        targets: list[str | None],
        update_existing: bool,
        finder: LookAlikeFinder | None = None,
        reject_duplicates: bool = False,
        *,
        match: str | None = None,
        id_at: int | None = None,
        dates: DateFormat | None = None,
    ) -> None:
        self.schema = schema
        self.targets = targets
        self.update_existing = update_existing
        self.match = match
        #: the position of the Id column, if any
        self.id_at = id_at
        self.dates = dates
        #: whether rows look for the customer they are: to update it, or (``match``
        #: without ``update_existing``) to refuse the row
        self.finds = update_existing or match is not None
        #: each column's position, field and whether it holds dates, but those read past
        self.cells = [
            (at, key, key != TAGS and schema.get(key).type in DATE_TYPES)
            for at, key in enumerate(targets)
            if key is not None
        ]
        self.shared: list[SharedContact] = []
        #: the customer a row found and how (field, value), while the row is checked
        self._found_by: tuple[str, Any] | None = None
        self._sharing: SharedContact | None = None
        #: customers updated so far, by the row that updates each
        self._updated_by: dict[int, int] = {}
        #: folded e-mail address or phone number -> the customers who have it
        self._contacts: dict[str, dict[str, list[int]]] = {}
        self.finder = finder
        self.reject_duplicates = reject_duplicates
        self.look_alikes: list[tuple[int, tuple[LookAlike, ...]]] = []
        self.table = session.table(CUSTOMERS)
        self.problems: list[RowProblem] = []
        self.rows = 0
        #: checked values (stored form) and tags of each customer to create
        self.new: list[tuple[dict[str, Any], list[str] | None]] = []
        self.changes: dict[int, tuple[dict[str, Any], list[str] | None]] = {}
        self.rejected: list[tuple[int, list[str], list[RowProblem]]] = []
        #: external ids and e-mail addresses the file itself uses, by row
        self._in_file: dict[tuple[str, str], int] = {}
        self._header_of = {key: at for at, key in enumerate(targets) if key is not None}

    def check(self, number: int, cells: list[str]) -> None:
        self.rows += 1
        problems: list[RowProblem] = []
        values: dict[str, Any] = {}
        tags: list[str] | None = None
        for at, key, dated in self.cells:
            if at >= len(cells):
                continue
            text = restore(cells[at])
            if key == TAGS:
                tags = split_tags(text)
                continue
            if not text.strip():
                continue
            try:
                values[key] = self._date(key, text) if dated else self.schema.coerce(key, text)
            except ValidationError as exc:
                problems.append(RowProblem(number, key, cells[at], f"expected {exc.expected}"))
            except _Unordered as exc:
                problems.append(RowProblem(number, key, cells[at], str(exc)))
        existing = None
        if self.finds:
            self._found_by = self._sharing = None
            existing = self._existing(number, values, cells, problems)
            if existing is not None:
                problems += self._updating(number, existing)
        if existing is None:
            for field in self.schema.defs.values():
                if field.required and values.get(field.key) is None:
                    problems.append(
                        RowProblem(number, field.key, "", f"missing; {field.label} is required")
                    )
        problems += self._unique(number, values, existing)
        if not problems and existing is None:
            problems += self._look_alike(number, values)
        if problems:
            self.problems += problems
            self.rejected.append((number, cells, problems))
            return
        if existing is None:
            self.new.append((values, tags))
            if self._sharing is not None:
                self.shared.append(self._sharing)
        else:
            self.changes[existing] = (values, tags)

    def _date(self, key: str, text: str) -> Any:
        """A date or date-time cell: in the file's ``--date-format``, else ISO 8601 (a
        date with the day or month first is never read one way silently)."""
        if self.dates is None:
            unordered = unordered_date(text)
            if unordered is not None:
                raise _Unordered(unordered)
            return self.schema.coerce(key, text)
        try:
            written = self.dates.read(text)
        except ValueError:
            raise ValidationError(key, text, self.dates.expected) from None
        return self.schema.coerce(key, text if written is None else written)

    def _updating(self, number: int, existing: int) -> list[RowProblem]:
        """Problems of a row that found customer ``existing``: refused without
        ``update_existing``; one row per customer."""
        if not self.update_existing:
            field, value = self._found_by or ("id", existing)
            name = (self.table.get(existing) or {}).get("name")
            what = _MATCHED_BY.get(self.match or field, field)
            return [
                RowProblem(
                    number,
                    field,
                    str(value),
                    f"customer {existing} ({name}) has this {what}; import with "
                    "--update-existing to update it",
                )
            ]
        earlier = self._updated_by.setdefault(existing, number)
        if earlier != number:
            return [
                RowProblem(
                    number,
                    None,
                    None,
                    f"updates customer {existing}, as row {earlier} does; keep one row for "
                    "each customer",
                )
            ]
        return []

    def _look_alike(self, number: int, values: dict[str, Any]) -> list[RowProblem]:
        """Note (or, rejecting duplicates, refuse) a new row that looks like a customer
        or an earlier row; a row that is imported is compared with the later ones."""
        if self.finder is None:
            return []
        found = tuple(self.finder.find(values))
        if found and self.reject_duplicates:
            described = "; ".join(f.describe() for f in found)
            return [RowProblem(number, None, None, f"looks like {described} (--reject-duplicates)")]
        if found and self._sharing is not None:
            # the row's warning already names the customers it shares an address with
            named = {id for id, _ in self._sharing.customers}
            found = tuple(f for f in found if f.id not in named)
        if found:
            self.look_alikes.append((number, found))
        self.finder.add(number, values)
        return []

    def _existing(
        self, number: int, values: Mapping[str, Any], cells: list[str], problems: list[RowProblem]
    ) -> int | None:
        """The customer the row is, found as ``match`` says (None: a new customer).

        A problem (an unknown id, a customer of another name under the Id column,
        two customers the row could be) goes to ``problems``."""
        match = self.match
        if self.id_at is not None and match in (None, "id"):
            before = len(problems)
            found = self._by_id(number, values, cells, problems, trusted=match == "id")
            if found is not None or match == "id" or len(problems) > before:
                return found
        if match in (None, "external_id"):
            external_id = values.get("external_id")
            if external_id is not None:
                held = records.holders(self.table, "external_id", external_id)
                if held:
                    self._found_by = ("external_id", external_id)
                    return int(held[0])
            if match == "external_id":
                return None
        key = "phone" if match == "phone" else "email"
        return self._by_contact(number, key, values, problems, strict=match == "email+name")

    def _by_id(
        self,
        number: int,
        values: Mapping[str, Any],
        cells: list[str],
        problems: list[RowProblem],
        *,
        trusted: bool,
    ) -> int | None:
        """The customer the Id column names.  ``trusted`` (``--match id``): an id that no
        customer has is a problem; else the column may come from another system or
        workspace, so an unknown id is left for the next way of matching, and a
        customer of another name is a problem."""
        assert self.id_at is not None
        text = cells[self.id_at].strip() if self.id_at < len(cells) else ""
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            if trusted:
                problems.append(
                    RowProblem(
                        number,
                        ID,
                        text,
                        "expected a clientcard customer id (a whole number), or nothing for "
                        "a new customer",
                    )
                )
            return None
        doc = self.table.get(int(text))
        if doc is None:
            if trusted:
                problems.append(
                    RowProblem(
                        number,
                        ID,
                        text,
                        "no customer has this id; leave the cell empty to add the row as a "
                        "new customer",
                    )
                )
            return None
        self._found_by = (ID, text)
        name = values.get("name")
        if trusted or name is None or _same_person(name, doc["name"], strict=False):
            return int(doc["id"])
        problems.append(
            RowProblem(
                number,
                ID,
                text,
                f"customer {doc['id']} is {doc['name']}, this row names {name}: if the ids are "
                "another workspace's, import with --match external_id or --match email; to "
                f"rename customer {doc['id']}, with --match id",
            )
        )
        return None

    def _by_contact(
        self,
        number: int,
        key: str,
        values: Mapping[str, Any],
        problems: list[RowProblem],
        *,
        strict: bool,
    ) -> int | None:
        """The customer with the row's e-mail address or phone number, and its name.

        A name other than the row's (beyond a typo; ``strict``: beyond case,
        accents, spacing and order) is another person sharing the address or
        number: the row is a new customer, noted in ``_sharing``."""
        value = values.get(key)
        if value is None:
            return None
        ids = self._holders(key).get(_folded(key, value))
        if not ids:
            return None
        docs = [doc for doc in map(self.table.get, ids) if doc is not None]
        name = values.get("name")
        if name is None:
            same = [] if strict else docs
        else:
            same = [d for d in docs if _same_person(name, d["name"], strict=strict)]
        if len(same) == 1:
            self._found_by = (key, value)
            return int(same[0]["id"])
        what = _MATCHED_BY[key] + ("" if name is None else " and name")
        if same:
            who = ", ".join(f"{d['id']} ({d['name']})" for d in same[:5])
            problems.append(
                RowProblem(
                    number,
                    key,
                    str(value),
                    f"customers {who} have this {what}; say which with an Id column and "
                    "--match id, or by external_id",
                )
            )
        elif name is not None:
            shared = tuple((int(d["id"]), str(d["name"])) for d in docs)
            self._sharing = SharedContact(number, name, key, str(value), shared)
        return None

    def _holders(self, key: str) -> dict[str, list[int]]:
        """Folded e-mail address (or phone number) -> the customers who have it, their
        other addresses (kept by a merge) included; built once, on first use."""
        index = self._contacts.get(key)
        if index is None:
            index = self._contacts[key] = {}
            others = "other_emails" if key == "email" else "other_phones"
            for doc in self.table:
                for value in (doc.get(key), *(doc.get(others) or ())):
                    if value:
                        ids = index.setdefault(_folded(key, value), [])
                        if doc["id"] not in ids:
                            ids.append(doc["id"])
        return index

    def _unique(
        self, number: int, values: Mapping[str, Any], existing: int | None
    ) -> list[RowProblem]:
        found: list[RowProblem] = []
        external_id = values.get("external_id")
        if external_id is None:
            return found
        earlier = self._in_file.setdefault(("external_id", external_id), number)
        if earlier != number:
            found.append(
                RowProblem(
                    number, "external_id", external_id, f"row {earlier} has the same external_id"
                )
            )
        else:
            # another customer than the one the row updates (found by id or e-mail)
            holder = [
                id
                for id in records.holders(self.table, "external_id", external_id)
                if id != existing
            ]
            if holder:
                hint = "" if self.update_existing else "; import with --update-existing to update"
                found.append(
                    RowProblem(
                        number,
                        "external_id",
                        external_id,
                        f"customer {holder[0]} already has this external_id{hint}",
                    )
                )
        return found


class _Unordered(Exception):
    """A date cell with the day or month first, and no ``--date-format``: why."""


def _same_person(a: str, b: str, *, strict: bool) -> bool:
    """Whether names ``a`` and ``b`` can be one person's: the same name, or a typo of it
    (:func:`~clientcard.dedupe.detect.compare_names`); ``strict``: the same name,
    apart from case, accents, spacing and word order.  "Marco Rossi" and "Maria
    Rossi" are two people, even though their names are partly similar."""
    similarity, _ = compare_names(a, b, name_tokens(a), name_tokens(b))
    return similarity >= (1.0 if strict else GATE_HIGH)


def _folded(key: str, value: Any) -> str:
    """An e-mail address or phone number as matched: addresses in any case."""
    return str(value).casefold() if key == "email" else str(value)


def _id_column(header: Sequence[str], targets: Sequence[str | None]) -> int | None:
    """The position of the column of clientcard ids (``Id``, as exports write it)."""
    for at, (cell, key) in enumerate(zip(header, targets, strict=False)):
        if key is None and restore(cell.lstrip("\ufeff").strip()).casefold() == ID:
            return at
    return None


def _write_rejected(path: Path, header: Sequence[str], plan: _Plan) -> Path:
    """The rejected rows, as they were, with their row number and reasons, beside the input."""
    target = path.with_name(f"{path.stem}.rejected.csv")
    # whole or not at all: a full disk is one line, and nothing is imported
    with written_whole(target) as out:
        handle = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        writer = csv.writer(handle)
        writer.writerow(["row", *header, "problems"])
        for number, cells, problems in plan.rejected:
            reasons = "; ".join(
                f"{p.column}: {p.reason}" if p.column else p.reason for p in problems
            )
            writer.writerow([number, *cells, reasons])
        handle.flush()
        handle.detach()
    return target
