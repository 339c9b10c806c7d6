"""Exporting: the exporter hook, the csv/json/jsonl exporters, spreadsheet safety."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

import pytest

from clientcard import PluginError, ValidationError, Workspace, hookimpl
from clientcard.core.store import Doc
from clientcard.find.selection import Selection
from clientcard.transfer.export import FORMULA_STARTS, ExportContext, Exporter, neutralise, restore
from conftest import RunCLI, install_plugin
from test_cli_customers import assert_user_error

HOSTILE = [
    "=SUM(A1:A9)",
    "+39 06 1234",
    "-5",
    "@cmd",
    "\tindented",
    "\rreturn",
    "'=already quoted",
    "''=twice",
    "'plain apostrophe",
    'say "hi", then\nleave',
    "علی کریمی",
    "Zoë 🎉",
    "007",
]


@pytest.mark.parametrize("text", [*HOSTILE, "", "'", "=", "''"])
def test_neutralise_is_undone_exactly_by_restore(text: str) -> None:
    safe = neutralise(text)
    assert restore(safe) == text
    assert not safe.startswith(FORMULA_STARTS)


@pytest.fixture
def filled(workspace: Workspace) -> Workspace:
    workspace.add_field("postal_code", type="text", label="Postal code")
    workspace.add_field("visits", type="integer")
    workspace.add_field("notes", type="long-text")
    workspace.add_customers(
        [
            {
                "name": value.replace("\n", " "),  # a name is one line
                "notes": value,
                "postal_code": "00123",
                "visits": n,
                "tags": ["vip"] if n % 2 else [],
            }
            for n, value in enumerate(HOSTILE)
        ]
    )
    return workspace


def stored_notes(ws: Workspace) -> list[str]:
    """The notes as stored (the field type trims surrounding spaces, tabs included)."""
    notes = [c.fields["notes"] for c in ws.customers()]
    assert "=SUM(A1:A9)" in notes and "''=twice" in notes and "@cmd" in notes
    return notes


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_is_read_back_by_the_csv_module(filled: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    assert filled.export("csv", out) == len(HOSTILE)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheets
    rows = read_csv(out)
    assert rows[0] == [
        "Id", "Name", "E-mail", "Phone", "External id", "Joined", "Birth date", "Postal code",
        "Visits", "Notes", "Status", "Tier", "Tags",
    ]  # fmt: skip
    assert [restore(r[9]) for r in rows[1:]] == stored_notes(filled)
    assert all(not (r[1] + r[9]).startswith(FORMULA_STARTS) for r in rows[1:])
    assert {r[7] for r in rows[1:]} == {"00123"}  # leading zeros kept
    assert [r[12] for r in rows[1:3]] == ["", "vip"]


def test_columns_by_key_or_label_and_headers_as_keys(filled: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "some.csv"
    filled.export("csv", out, Selection(tags=["vip"]), fields=["name", "Postal Code"], keys=True)
    rows = read_csv(out)
    assert rows[0] == ["name", "postal_code"]
    assert len(rows) == 1 + len(HOSTILE) // 2
    with pytest.raises(ValidationError, match="fields to export among: id, name"):
        filled.export("csv", out, fields=["shoe"])


def test_json_and_jsonl_keep_stored_values(filled: Workspace, tmp_path: Path) -> None:
    filled.export("json", tmp_path / "a.json", fields=["id", "notes", "visits", "tags"])
    array = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    # as stored, no neutralising: JSON is not a spreadsheet
    assert [c["notes"] for c in array] == stored_notes(filled)
    assert array[1] == {"id": 2, "notes": "+39 06 1234", "visits": 1, "tags": ["vip"]}
    filled.export("jsonl", tmp_path / "a.jsonl", Selection(search="zoe"))
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["name"] == "Zoë 🎉"


def test_an_empty_selection_still_writes_a_valid_file(filled: Workspace, tmp_path: Path) -> None:
    filled.export("json", tmp_path / "none.json", Selection(search="nobody"))
    assert json.loads((tmp_path / "none.json").read_text()) == []
    filled.export("csv", tmp_path / "none.csv", Selection(search="nobody"))
    assert len(read_csv(tmp_path / "none.csv")) == 1


class Broken(Exporter):
    name = "broken"
    extension = ".txt"

    def write(self, docs: Iterable[Doc], context: ExportContext, out: IO[bytes]) -> None:
        out.write(b"half a file")
        raise RuntimeError("the disk went away")


class Names(Exporter):
    """A host's own format: one name a line."""

    name = "names"
    label = "Names"
    description = "One name a line."
    extension = ".txt"

    def write(self, docs: Iterable[Doc], context: ExportContext, out: IO[bytes]) -> None:
        assert not isinstance(docs, list)  # a stream
        for doc in docs:
            out.write(doc["name"].encode() + b"\n")


class ExporterPlugin:
    @hookimpl
    def clientcard_register_exporters(self, register: Callable[[Exporter], None]) -> None:
        register(Names())
        register(Broken())


def test_a_plugin_exporter_is_listed_and_works(
    workspace: Workspace, run: RunCLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.add_customers([{"name": "Ana", "tags": ["vip"]}, {"name": "Bo"}])
    with Workspace.open(workspace.path, plugins=[ExporterPlugin()]) as ws:
        assert ws.export("names", tmp_path / "names.txt", Selection(tags=["VIP"])) == 1
        assert (tmp_path / "names.txt").read_text() == "Ana\n"
        with pytest.raises(RuntimeError, match="disk"):
            ws.export("broken", tmp_path / "broken.txt")
        assert not (tmp_path / "broken.txt").exists()  # nothing half-written
        assert list(tmp_path.glob(".*partial")) == []
        assert "names" in ws.plugins.exporters
    with pytest.raises(PluginError, match="no exporter 'names'; available: csv, json"):
        workspace.export("names", tmp_path / "x.txt")


def test_export_from_the_cli(run: RunCLI, filled: Workspace, tmp_path: Path) -> None:
    listed = run("export", "--list-formats").stdout
    assert "csv" in listed and "jsonl" in listed and "exporters-json" in listed
    out = tmp_path / "vip.csv"
    result = run("export", "--format", "csv", "--output", str(out), "--tag", "vip", "--keys")
    assert result.stdout == f"exported {len(HOSTILE) // 2} customer(s) to {out}\n"
    assert read_csv(out)[0][:2] == ["id", "name"]
    picked = run("export", "--format", "json", "-o", str(tmp_path / "2.json"), "--id", "2")
    assert picked.exit_code == 0
    assert [c["id"] for c in json.loads((tmp_path / "2.json").read_text())] == [2]
    assert_user_error(run("export", "--format", "csv"), "--output")
    assert_user_error(run("export", "--format", "pdf", "-o", str(out)), "no exporter 'pdf'")
    assert_user_error(
        run("export", "--format", "csv", "-o", str(tmp_path / "no" / "dir.csv")), "output"
    )


def test_export_to_stdout_with_a_dash(
    run: RunCLI, filled: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "vip.csv"
    run("export", "--format", "csv", "-o", str(out), "--tag", "vip")
    piped = run("export", "--format", "csv", "-o", "-", "--tag", "vip")
    assert piped.exit_code == 0
    assert piped.stdout_bytes == out.read_bytes()  # the same bytes a file gets
    assert piped.stderr == f"exported {len(HOSTILE) // 2} customer(s) to stdout\n"
    lines = run("export", "--format", "jsonl", "--output", "-", "--id", "2").stdout
    assert [json.loads(line)["id"] for line in lines.splitlines()] == [2]
    # a binary format is written whole when piped (the runner's stdout is not a terminal)
    book = run("export", "--format", "xlsx", "-o", "-")
    assert book.exit_code == 0
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(book.stdout_bytes)).active
    assert sheet is not None and sheet.max_row == len(HOSTILE) + 1
    # ... and refused, with one line, on a terminal
    monkeypatch.setattr("clientcard.cli.export._stdout_is_terminal", lambda: True)
    refused = run("export", "--format", "xlsx", "-o", "-")
    assert_user_error(refused, "xlsx is a binary format", "--output FILE.xlsx", "pipe")
    assert refused.stdout_bytes == b""
    assert run("export", "--format", "jsonl", "-o", "-", "--id", "2").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vip.csv", "ws"]  # no file "-"


MAILING_LIST = """
    import io
    from clientcard import hookimpl
    from clientcard.transfer.export import Exporter

    class MailingList(Exporter):
        name = "mailing-list"
        label = "Mailing list"
        description = "Name and e-mail of each customer, for a campaign tool."
        extension = ".txt"

        def write(self, docs, context, out):
            text = io.TextIOWrapper(out, encoding="utf-8")
            for doc in docs:
                if doc.get("email"):
                    text.write(f"{doc['name']} <{doc['email']}>\\n")
            text.flush()
            text.detach()

    @hookimpl
    def clientcard_register_exporters(register):
        register(MailingList())
"""


def test_an_installed_exporter_shows_in_list_formats_and_works(
    run: RunCLI, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = install_plugin(
        tmp_path / "site",
        "clientcard-mailing",
        {"cc_mailing": textwrap.dedent(MAILING_LIST)},
        {"mailing": "cc_mailing"},
    )
    monkeypatch.syspath_prepend(str(site))
    workspace.add_customers(
        [{"name": "Ana", "email": "ana@example.com", "tags": ["news"]}, {"name": "Bo"}]
    )
    listed = run("export", "--list-formats").stdout
    assert "mailing-list" in listed and "mailing" in listed and ".txt" in listed
    out = tmp_path / "list.txt"
    result = run("export", "--format", "mailing-list", "-o", str(out), "--tag", "news")
    assert result.stdout == f"exported 1 customer(s) to {out}\n"
    assert out.read_text(encoding="utf-8") == "Ana <ana@example.com>\n"
