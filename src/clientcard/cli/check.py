"""``clientcard check``, ``backup`` and ``restore``: is the workspace sound, and copies of it."""

from __future__ import annotations

from pathlib import Path

import click

from clientcard.cli.context import AppContext, pass_workspace
from clientcard.cli.output import format_option, print_json
from clientcard.core.check import CheckReport
from clientcard.workspace import Workspace


def _show(report: CheckReport, fmt: str, *, done: str) -> None:
    """Each finding on a line of its own, then a summary; exit status 1 while any
    problem remains."""
    if fmt == "json":
        print_json(
            {
                "ok": report.ok,
                "problems": [f.message for f in report.problems],
                "repaired": [f.message for f in report.repaired],
            }
        )
    else:
        for finding in report.repaired:
            click.echo(f"repaired: {finding.message}")
        for finding in report.problems:
            click.echo(f"problem: {finding.message}")
        if report.ok:
            click.echo(done)
        else:
            count = len(report.problems)
            fixable = sum(f.repairable for f in report.problems)
            hint = f" ({fixable} rebuilt by 'clientcard check --repair')" if fixable else ""
            click.echo(f"{count} problem{'' if count == 1 else 's'}{hint}")
    if not report.ok:
        click.get_current_context().exit(1)


@click.command("check")
@click.option(
    "--repair",
    is_flag=True,
    help="Rebuild what is derived from the data (the keys, lookups and columns caches); "
    "data itself is never changed.",
)
@format_option("text", "json")
@pass_workspace(strict=False)
def check(workspace: Workspace, repair: bool, fmt: str) -> None:
    """Verify the workspace: every data file against its checksum and against the others,
    id counters, caches, and what records point at (customers, merges, documents' files).

    One line per problem; exit status 1 while any remains.
    """
    _show(workspace.check(repair=repair), fmt, done="no problems found")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_workspace()
def backup(workspace: Workspace, file: Path) -> None:
    """Copy the workspace (clientcard.toml, data/, documents/) into FILE, a .tar, .tar.gz,
    .tgz, .tar.xz or .tar.bz2 file, consistently: no change lands half in it."""
    made = workspace.backup(file)
    click.echo(f"backed up {made.files} files ({made.size:,} bytes) to {made.path}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@format_option("text", "json")
def restore(file: Path, directory: Path | None, fmt: str) -> None:
    """Restore the backup FILE into DIRECTORY (new or empty) [default: the workspace
    directory, --workspace or $CLIENTCARD_WORKSPACE], then check it."""
    app = click.get_current_context().find_object(AppContext)
    into = directory or (app.workspace_path if app else None) or Path.cwd()
    report = Workspace.restore(file, into)
    _show(report, fmt, done=f"restored into {Path(into).resolve()}; no problems found")


commands = (check, backup, restore)
