"""Importing customers from CSV or XLSX: every value checked by its field type, then one write.

The header row names each column's field, by key or by label, in any case
(``--map COLUMN=FIELD`` for the rest); ``tags`` takes tags separated by
commas; ``id``, ``status`` and ``tier`` (which ``clientcard export`` writes)
are read past.  Every cell goes through its field's type, exactly as a value
typed on the command line does, after :func:`~clientcard.core.export.restore`
takes off the apostrophe an export put before a formula-like value, so an
export imports back to the same records.

All or nothing by default: every problem of every row is reported (row as a
spreadsheet numbers it, column, value, reason) and nothing is written.  With
``skip_invalid`` the good rows are imported and the others written, with
their reasons, to ``<file>.rejected.csv`` beside the input.  With
``update_existing`` a row whose external_id, else e-mail address, belongs to
a customer updates that customer instead of being refused as a duplicate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from clientcard.core import customers as records
from clientcard.core.clock import utc_now
from clientcard.core.customers import CUSTOMERS
from clientcard.core.duplicates import LookAlike, LookAlikeFinder
from clientcard.core.errors import ValidationError
from clientcard.core.export import restore
from clientcard.core.fields import FieldSchema
from clientcard.core.importing import (
    ImportFileError,
    ImportRowsError,
    RowProblem,
    _delimiter,
    _read,
)
from clientcard.core.memory import gc_paused

if TYPE_CHECKING:
    from clientcard.core.workspace import Workspace

FORMATS = ("csv", "xlsx")
#: columns an export writes that an import reads past (ids are the workspace's own)
IGNORED = ("id", "status", "tier")
TAGS = "tags"


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


def import_customers(
    workspace: Workspace,
    path: str | Path,
    *,
    format: str | None = None,
    mapping: Mapping[str, str] | None = None,
    ignore_unknown: bool = False,
    skip_invalid: bool = False,
    update_existing: bool = False,
    reject_duplicates: bool = False,
    encoding: str = "utf-8-sig",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> CustomerImportReport:
    """Import the customers of a CSV or XLSX file (``format`` defaults to its suffix).

    Raises :class:`~clientcard.core.importing.ImportFileError` for a file
    that cannot be read or a header that names unknown fields, and
    :class:`~clientcard.core.importing.ImportRowsError` listing every bad row
    (unless ``skip_invalid``).  ``progress`` is called with each row read.

    A new row that looks like a stored customer, or like an earlier row of
    the file, is imported and listed in the report's ``look_alikes``; with
    ``reject_duplicates`` it is a bad row instead.
    """
    path = Path(path)
    format = (format or path.suffix.lstrip(".") or "csv").lower()
    if format not in FORMATS:
        raise ValidationError("format", format, f"one of: {', '.join(FORMATS)}")
    header, rows = _xlsx_rows(path) if format == "xlsx" else _csv_rows(path, encoding)
    # gc paused: 100,000 rows are that many long-lived documents, and the look-alike
    # check's blocks as many more; scanning them all for cycles, again and again,
    # took a third of the import
    with gc_paused(), workspace.batch(), workspace.store.write() as session:
        schema = workspace.schema()
        targets = _targets(path, header, schema, mapping or {}, ignore_unknown)
        finder = workspace._look_alike_finder(session, schema)
        plan = _Plan(schema, session, targets, update_existing, finder, reject_duplicates)
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
        )
        if not dry_run:
            now, today = utc_now(), workspace._today()
            docs = [
                records.new_doc(
                    schema, values, tags or (), id=0, now=now, today=today, checked=True
                )
                for values, tags in plan.new
            ]
            workspace._insert_customers(session, schema, docs)
            for id, (values, tags) in plan.changes.items():
                workspace.update_customer(id, values, tags=tags)
    return report


# -- reading --------------------------------------------------------------------------


def _csv_rows(path: Path, encoding: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    text = _read(path, encoding)
    lines = io.StringIO(text, newline="")
    first = lines.readline()
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    if not any(h.strip() for h in header):
        raise ImportFileError(f"{path}: the first row must name the columns; it is empty")
    reader = csv.reader(lines, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, cells in enumerate(reader, start=2):
                if any(c.strip() for c in cells):
                    yield number, cells
        except csv.Error as exc:
            raise ImportFileError(
                f"{path}: line {reader.line_num + 1} cannot be read as CSV: {exc}"
            ) from None

    return header, rows()


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        raise ImportFileError(f"cannot read {path} as an XLSX workbook: {exc}") from None
    sheet = book.worksheets[0]
    found = sheet.iter_rows(values_only=True)
    header = [_cell_text(v) for v in next(found, ())]
    if not any(h.strip() for h in header):
        raise ImportFileError(f"{path}: the first row must name the columns; it is empty")

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(found, start=2):
            cells = [_cell_text(v) for v in values]
            if any(c.strip() for c in cells):
                yield number, cells
        book.close()

    return header, rows()


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
        session: Any,
        targets: list[str | None],
        update_existing: bool,
        finder: LookAlikeFinder | None = None,
        reject_duplicates: bool = False,
    ) -> None:
        self.schema = schema
        self.targets = targets
        self.update_existing = update_existing
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
        self._emails: dict[str, int] | None = None
        #: external ids and e-mail addresses the file itself uses, by row
        self._in_file: dict[tuple[str, str], int] = {}
        self._header_of = {key: at for at, key in enumerate(targets) if key is not None}

    def check(self, number: int, cells: list[str]) -> None:
        self.rows += 1
        problems: list[RowProblem] = []
        values: dict[str, Any] = {}
        tags: list[str] | None = None
        for at, key in enumerate(self.targets):
            if key is None or at >= len(cells):
                continue
            text = restore(cells[at])
            if key == TAGS:
                tags = [t for t in (part.strip() for part in text.split(",")) if t]
                continue
            if not text.strip():
                continue
            try:
                values[key] = self.schema.coerce(key, text)
            except ValidationError as exc:
                problems.append(RowProblem(number, key, cells[at], f"expected {exc.expected}"))
        existing = self._existing(values) if self.update_existing else None
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
        else:
            self.changes[existing] = (values, tags)

    def _look_alike(self, number: int, values: dict[str, Any]) -> list[RowProblem]:
        """Note (or, rejecting duplicates, refuse) a new row that looks like a customer
        or an earlier row; a row that is imported is compared with the later ones."""
        if self.finder is None:
            return []
        found = tuple(self.finder.find(values))
        if found and self.reject_duplicates:
            described = "; ".join(f.describe() for f in found)
            return [RowProblem(number, None, None, f"looks like {described} (--reject-duplicates)")]
        if found:
            self.look_alikes.append((number, found))
        self.finder.add(number, values)
        return []

    def _existing(self, values: Mapping[str, Any]) -> int | None:
        """The customer a row updates: by external_id, else by e-mail address."""
        external_id = values.get("external_id")
        if external_id is not None:
            found = self.table.find("external_id", external_id)
            if found:
                return int(found[0])
        email = values.get("email")
        if email is not None:
            if self._emails is None:
                self._emails = {}
                for doc in self.table:
                    if doc.get("email"):
                        self._emails.setdefault(doc["email"].casefold(), doc["id"])
            return self._emails.get(str(email).casefold())
        return None

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
        elif existing is None:
            holder = self.table.find("external_id", external_id)
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


def _write_rejected(path: Path, header: Sequence[str], plan: _Plan) -> Path:
    """The rejected rows, as they were, with their row number and reasons, beside the input."""
    target = path.with_name(f"{path.stem}.rejected.csv")
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", *header, "problems"])
        for number, cells, problems in plan.rejected:
            reasons = "; ".join(
                f"{p.column}: {p.reason}" if p.column else p.reason for p in problems
            )
            writer.writerow([number, *cells, reasons])
    return target
