"""Output for every listing and report: ``--format table|json|...`` in one decorator."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Collection, Sequence
from datetime import date
from typing import Any, TypeVar

import click
import orjson

F = TypeVar("F", bound=Callable[..., Any])


def format_option(*formats: str) -> Callable[[F], F]:
    """Add ``--format`` with these choices (the first is the default) to a command."""
    choices = formats or ("table", "json")
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def date_callback(
    field: str | None = None,
) -> Callable[[click.Context, click.Parameter, Any], date | None]:
    """A click callback reading an option's date by the workspace's one rule for dates
    (``Workspace.read_date``): in ``field``'s calendar, else the workspace's.

    A date that does not fit is clientcard's one-line error naming the option
    and the calendar expected, not a usage screen.
    """

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> date | None:
        if value is None:
            return None
        from clientcard.cli.context import AppContext

        app = ctx.find_object(AppContext)
        assert app is not None
        workspace = app.workspace()
        return workspace.read_date(str(value), name=param.opts[0], field=field)

    return callback


#: what a date option's help says it takes
DATE_HELP = "YYYY-MM-DD; YYYY/MM/DD in a Jalali workspace"

#: ``--as-of DATE`` given to the command as a :class:`datetime.date` (or None).
as_of_option = click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    callback=date_callback(),
    help=f"As of this date ({DATE_HELP}) [default: today].",
)


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON to stdout."""
    sys.stdout.buffer.write(
        orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    )
    sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


class Whole(str):
    """Text a table never wraps nor cuts, such as a phone number written with spaces.

    Cells without spaces (ids, e-mail addresses, dates) are never cut anyway;
    ``print_table(keep=...)`` keeps whole columns.
    """

    __slots__ = ()


def table_width() -> int | None:
    """How wide tables may be: ``COLUMNS`` when set, else the terminal's width; None
    (no limit) when the output is piped, so a pipe never gets an assumed 80 columns."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


#: a free-text column may be folded inside its words down to this width, no further
_NARROWEST = 8
#: the space between two columns (padding 1 on each side, none at the table's edges)
_GAP = 2
_SPACE = re.compile(r"\s")


def _unbreakable(cell: str) -> bool:
    return isinstance(cell, Whole) or _SPACE.search(cell) is None


def _layout(
    headers: Sequence[str],
    cells: Sequence[Sequence[str]],
    whole: Sequence[bool],
    drop: Sequence[int],
    width: int,
) -> tuple[list[int], list[int]]:
    """The columns to show (indexes) and the width of each, to fit ``width``.

    A column is as wide as its widest cell unless the table would not fit.
    Then free-text columns wrap at spaces, the widest first, down to their
    longest word; if even that is too wide, the columns in ``drop`` are left
    out, in that order; then free text folds inside words.  Cells kept whole
    (no spaces, a :class:`Whole`, a column in ``keep``) never narrow, so a
    table of them may stay wider than ``width``: the terminal wraps its lines,
    and nothing is lost.
    """
    from rich.cells import cell_len

    need, word, least = [], [], []
    for index, header in enumerate(headers):
        lines = [
            line
            for text in [header, *(row[index] for row in cells)]
            for line in text.splitlines() or [""]
        ]
        widest = max(cell_len(line) for line in lines)
        # a cell of one word (an e-mail, an id, a URL) is never broken, nor a Whole one
        unbreakable = max([0, *(cell_len(row[index]) for row in cells if _unbreakable(row[index]))])
        longest_word = max([unbreakable, *(cell_len(w) for line in lines for w in line.split())])
        need.append(widest)
        word.append(widest if whole[index] else longest_word)
        least.append(widest if whole[index] else max(unbreakable, min(widest, _NARROWEST)))

    shown = list(range(len(headers)))

    def fits(floor: list[int]) -> bool:
        return sum(floor[i] for i in shown) + _GAP * (len(shown) - 1) <= width

    for index in drop:
        if fits(word) or len(shown) == 1:
            break
        shown.remove(index)
    floor = word if fits(word) else least
    room = width - _GAP * (len(shown) - 1)
    return shown, _fill([need[i] for i in shown], [floor[i] for i in shown], room)


def _fill(need: list[int], floor: list[int], room: int) -> list[int]:
    """Widths from ``floor`` up to ``need`` using at most ``room`` (more only when the
    floors alone take more): the widest columns are capped first."""
    if sum(need) <= room:
        return need
    low, high = 0, max(need)
    while low < high:  # the highest cap that fits
        cap = (low + high + 1) // 2
        if sum(max(f, min(n, cap)) for n, f in zip(need, floor, strict=True)) <= room:
            low = cap
        else:
            high = cap - 1
    widths = [max(f, min(n, low)) for n, f in zip(need, floor, strict=True)]
    spare = room - sum(widths)
    for index, (width, most) in enumerate(zip(widths, need, strict=True)):
        if spare > 0 and width < most:
            widths[index] += 1
            spare -= 1
    return widths


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    keep: Collection[str] = (),
    drop: Sequence[str] = (),
) -> None:
    """Write rows as an aligned table (rich renders it; plain text when piped).

    The table fits :func:`table_width`: free text wraps, and nothing is ever
    cut with an ellipsis.  Columns named in ``keep`` (and cells without
    spaces, and :class:`Whole` cells) are never wrapped; when the table still
    cannot fit, the columns named in ``drop`` are left out, in that order,
    and a note on stderr says which.
    """
    from rich.console import Console
    from rich.table import Column, Table
    from rich.text import Text

    cells = [
        ["" if cell is None else cell if isinstance(cell, str) else str(cell) for cell in row]
        for row in rows
    ]
    width = table_width()
    whole = [False] * len(columns)
    if width is None:
        # no limit: every column as wide as it needs (and no pass over every cell)
        shown, widths = list(range(len(columns))), None
    else:
        whole = [
            name in keep or all(_unbreakable(row[index]) for row in cells)
            for index, name in enumerate(columns)
        ]
        order = [columns.index(name) for name in drop if name in columns]
        shown, widths = _layout(columns, cells, whole, order, width)
    left_out = [columns[i] for i in range(len(columns)) if i not in shown]
    table = Table(
        *(
            Column(
                columns[i],
                width=None if widths is None else widths[n],
                no_wrap=whole[i],
                overflow="fold",
            )
            for n, i in enumerate(shown)
        ),
        title=title,
        box=None,
        header_style="bold",
        pad_edge=False,
    )
    for row in cells:
        # Text, not markup: a name such as "Anna [VIP]" is shown as it is
        table.add_row(*(Text(row[i]) for i in shown))
    total = None if widths is None else sum(widths) + _GAP * (len(shown) - 1)
    # piped without COLUMNS, the table is never cut to an assumed 80 columns
    console_width = 100_000 if total is None else max(total, width or 0)
    Console(width=console_width, soft_wrap=True).print(table)
    if left_out:
        click.echo(
            f"note: left out the column(s) {', '.join(left_out)} to fit {width} columns; "
            "a wider terminal (or COLUMNS) shows them",
            err=True,
        )


def print_pairs(pairs: Sequence[tuple[str, Any]], *, title: str | None = None) -> None:
    """Write label/value pairs as a two-column table."""
    print_table(("field", "value"), pairs, title=title)


def print_csv(workspace: Any, docs: Sequence[dict[str, Any]]) -> None:
    """Customers (JSON form) as CSV on stdout: built-in fields, status, tier, tags, then
    custom fields, headed by keys; each value as the CSV exporter writes it (unguarded:
    this is for pipes, not spreadsheets)."""
    import csv

    from clientcard.transfer.export import ExportContext, columns

    schema = workspace.schema()
    builtin = [f.key for f in schema.defs.values() if f.builtin]
    custom = [f.key for f in schema.defs.values() if not f.builtin]
    context = ExportContext(
        columns(schema, ["id", *builtin, "status", "tier", "tags", *custom]), schema, keys=True
    )
    writer = csv.writer(sys.stdout)
    writer.writerow(context.headers)
    for doc in docs:
        writer.writerow(context.row(doc))
