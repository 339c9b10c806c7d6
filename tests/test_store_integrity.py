"""Damaged files are reported, never read as less data (issue 15, C, D and E).

Each test damages one file of a workspace the way a mistake, a bad disk or
a half-finished restore would, then checks the data: every command says in
one line which file is wrong (exit status 1, no traceback), no id is handed
out twice, and once the file is back, nothing acknowledged is missing.  What
proves what is in plugins/storage/integrity.py.
"""

from __future__ import annotations

import builtins
import json
import re
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from clientcard import StoreError, Workspace
from clientcard.plugins.storage import journal as journal_module
from clientcard.plugins.storage import seal, snapshot
from conftest import RunCLI


def names(ws_path: Path) -> dict[int, str]:
    with Workspace.open(ws_path) as ws:
        return {c.id: c.name for c in ws.customers()}


def fails_in_one_line(result: Any, *phrases: str) -> str:
    """The CLI refused in one line (no traceback) naming each phrase; that line."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return str(lines[0])


@pytest.fixture
def compacted(workspace: Workspace) -> Path:
    """Customers 1-3 in the snapshot, 4 and 5 in the journal after it."""
    workspace.add_customers([{"name": f"C{n}"} for n in range(1, 4)])
    workspace.store.compact()  # type: ignore[attr-defined]
    workspace.add_customer("C4")
    workspace.add_customer("C5")
    return workspace.path


EXPECTED = {1: "C1", 2: "C2", 3: "C3", 4: "C4", 5: "C5"}


# -- C: a snapshot or journal emptied, deleted or flipped ----------------------------------


@pytest.mark.parametrize("damage", ["emptied", "deleted"])
def test_a_lost_snapshot_is_reported_not_read_as_an_empty_table(
    compacted: Path, run: RunCLI, damage: str
) -> None:
    snapshot = compacted / "data" / "customers.json"
    saved = snapshot.read_bytes()
    if damage == "emptied":
        snapshot.write_bytes(b"")  # : > data/customers.json
    else:
        snapshot.unlink()
    fails_in_one_line(run("customers", "list", "--count"), "customers.json", "backup")
    fails_in_one_line(run("customers", "add", "--name", "New"), "customers.json")
    with pytest.raises(StoreError, match=r"the journal .* says it holds the customers"):
        Workspace.open(compacted).count_customers()
    snapshot.write_bytes(saved)  # the backup: nothing was written meanwhile
    assert names(compacted) == EXPECTED
    assert Workspace.open(compacted).add_customer("New").id == 6


def test_lost_snapshots_and_journal_are_noticed_by_the_caches(compacted: Path) -> None:
    data = compacted / "data"
    for lost in [*data.glob("*.json"), data / "journal"]:
        if not lost.name.endswith(".keys.json"):
            lost.unlink()
    with pytest.raises(StoreError, match=r"\.json is missing, but .*\.keys\.json was written"):
        Workspace.open(compacted).add_customer("Would be 1")


def test_an_emptied_journal_is_reported_and_no_id_is_reused(compacted: Path, run: RunCLI) -> None:
    journal = compacted / "data" / "journal"
    saved = journal.read_bytes()
    journal.write_bytes(b"")  # customers 4 and 5 were only there
    line = fails_in_one_line(run("customers", "list", "--count"), "journal", "lost")
    assert "customers.json" in line
    fails_in_one_line(run("customers", "add", "--name", "Would be 4"), "journal")
    journal.unlink()
    fails_in_one_line(run("customers", "add", "--name", "Would be 4"), "journal")
    journal.write_bytes(saved)
    assert names(compacted) == EXPECTED


def test_an_open_workspace_notices_the_journal_emptied_under_it(compacted: Path) -> None:
    ws = Workspace.open(compacted)
    assert ws.count_customers() == 5
    (compacted / "data" / "journal").write_bytes(b"")
    with pytest.raises(StoreError, match="lost"):
        ws.add_customer("Would be 6 in memory, 4 on disk")


def test_an_older_snapshot_than_the_journal_says_is_reported(workspace: Workspace) -> None:
    snapshot = workspace.path / "data" / "customers.json"
    workspace.add_customer("C1")
    workspace.store.compact()  # type: ignore[attr-defined]
    older = snapshot.read_bytes()
    workspace.add_customer("C2")
    workspace.store.compact()  # type: ignore[attr-defined]
    snapshot.write_bytes(older)  # one file put back from an older copy
    with pytest.raises(StoreError, match="an older copy replaced it"):
        Workspace.open(workspace.path).add_customer("Would be 2")


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x04]) + data[at + 1 :]


def test_a_flipped_bit_in_the_last_journal_line_is_corruption_not_a_torn_write(
    workspace: Workspace, run: RunCLI
) -> None:
    for name in ("Ann", "Bob", "Cleo"):
        workspace.add_customer(name)
    journal = workspace.path / "data" / "journal"
    saved = journal.read_bytes()
    last = saved.rindex(b'"Cleo"') + 2
    journal.write_bytes(_flip(saved, last))  # a whole line, newline and all
    fails_in_one_line(run("customers", "list", "--count"), "journal", "corrupt", "checksum")
    fails_in_one_line(run("customers", "add", "--name", "Would be 3"), "journal")
    assert journal.read_bytes() == _flip(saved, last)  # nothing cut off
    journal.write_bytes(saved)
    assert names(workspace.path) == {1: "Ann", 2: "Bob", 3: "Cleo"}


def test_a_damaged_newline_after_a_whole_record_is_corruption(workspace: Workspace) -> None:
    workspace.add_customer("Ann")
    workspace.add_customer("Bob")
    journal = workspace.path / "data" / "journal"
    journal.write_bytes(journal.read_bytes()[:-1] + b"\x0e")  # "\n" with a bit flipped
    with pytest.raises(StoreError, match="line end is damaged"):
        Workspace.open(workspace.path).add_customer("Would be 2")


def test_a_torn_last_line_is_still_ignored_and_cut_off(workspace: Workspace) -> None:
    workspace.add_customer("Ann")
    journal = workspace.path / "data" / "journal"
    good = journal.read_bytes()
    with journal.open("ab") as handle:
        handle.write(good[: len(good) // 2])  # a crash half-way through an append
    assert Workspace.open(workspace.path).add_customer("Bob").id == 2
    assert names(workspace.path) == {1: "Ann", 2: "Bob"}


def test_a_power_cuts_zeros_on_a_whole_line_are_a_torn_write(workspace: Workspace) -> None:
    workspace.add_customer("Ann")
    journal = workspace.path / "data" / "journal"
    with journal.open("ab") as handle:
        handle.write(b"\x00" * 100 + b"\n")  # the file grew, the record never landed
    assert Workspace.open(workspace.path).add_customer("Bob").id == 2


def test_a_flipped_bit_in_a_snapshot_is_found_by_its_checksum(compacted: Path) -> None:
    snapshot = compacted / "data" / "customers.json"
    saved = snapshot.read_bytes()
    at = saved.index(b'"C2"') + 2
    snapshot.write_bytes(_flip(saved, at))  # still valid JSON: "C6" instead of "C2"
    with pytest.raises(StoreError, match=r"customers\.json is damaged: its checksum"):
        Workspace.open(compacted).customers()
    with pytest.raises(StoreError, match="checksum"):  # the export's scan checks it too
        Workspace.open(compacted).export("csv", compacted / "out.csv")
    assert not (compacted / "out.csv").exists()


# -- D: the keys cache ----------------------------------------------------------------------


@pytest.fixture
def fifty(workspace: Workspace) -> Path:
    workspace.add_customers([{"name": f"C{n}", "external_id": f"x{n}"} for n in range(1, 51)])
    workspace.store.compact()  # type: ignore[attr-defined]
    return workspace.path


def _keys(ws_path: Path) -> Path:
    return ws_path / "data" / "customers.keys.json"


def test_a_hand_lowered_id_counter_in_the_keys_file_is_not_trusted(fifty: Path) -> None:
    keys = _keys(fifty)
    keys.write_bytes(keys.read_bytes().replace(b'"next_id":51', b'"next_id":5'))
    json.loads(keys.read_text())  # still valid JSON
    ws = Workspace.open(fifty)
    assert ws.add_customer("New").id == 51
    assert ws.get_customer(5).name == "C5"  # not overwritten
    assert names(fifty)[5] == "C5" and names(fifty)[51] == "New"


def test_a_sealed_keys_file_cannot_lower_the_snapshots_counter(fifty: Path) -> None:
    keys = _keys(fifty)
    data = orjson.loads(keys.read_bytes())
    data.pop("crc")
    data["tables"]["customers"]["next_id"] = 5
    keys.write_bytes(b"".join(seal.seal(orjson.dumps(data))))  # a checksum that holds
    ws = Workspace.open(fifty)
    assert ws.add_customer("New").id == 51  # the snapshot says 51: a floor
    assert not ws.store.groups["customers"].loaded  # type: ignore[attr-defined]
    assert names(fifty)[5] == "C5"


@pytest.mark.parametrize("garbage", [b"\x00garbage", b"", b"[]", b'{"tables": 1}'])
def test_a_garbage_keys_file_is_rebuilt_not_a_dead_end(
    fifty: Path, run: RunCLI, garbage: bytes
) -> None:
    _keys(fifty).write_bytes(garbage)
    result = run("customers", "add", "--name", "New", "--external-id", "new")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "51\n"
    # rebuilt by the add that found it unusable: the next add reads it, not the customers
    assert seal.check(_keys(fifty).read_bytes()) is True
    ws = Workspace.open(fifty)
    assert ws.add_customer("Newer").id == 52
    assert not ws.store.groups["customers"].loaded  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="already belongs to customer 51"):
        ws.add_customer("Dup", external_id="new")


def test_a_keys_file_from_an_older_version_is_rebuilt(fifty: Path) -> None:
    keys = _keys(fifty)
    unsealed = orjson.loads(keys.read_bytes())
    unsealed.pop("crc")
    keys.write_bytes(orjson.dumps(unsealed))  # as version 0.2 wrote it
    assert Workspace.open(fifty).add_customer("New").id == 51
    assert seal.check(keys.read_bytes()) is True


# -- E: unreadable files and records of the wrong shape ------------------------------------


def _unreadable(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """``path`` as a file this user may not read (tests run as root: chmod would not do)."""
    real_open = builtins.open
    real_read_bytes = Path.read_bytes

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    def fake_read_bytes(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_bytes(self)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(Path, "read_bytes", fake_read_bytes)


@pytest.mark.parametrize("how", ["no permission", "a directory"])
@pytest.mark.parametrize("name", ["customers.json", "journal"])
def test_an_unreadable_snapshot_or_journal_is_one_line(
    compacted: Path, run: RunCLI, monkeypatch: pytest.MonkeyPatch, name: str, how: str
) -> None:
    path = compacted / "data" / name
    if how == "a directory":
        saved = path.read_bytes()
        path.unlink()
        path.mkdir()
        phrase = "Is a directory"
    else:
        _unreadable(monkeypatch, path)
        phrase = "Permission denied"
    # (an add reads the keys file, not the snapshot: it may go ahead, ids intact)
    commands: list[tuple[str, ...]] = [("customers", "list", "--count"), ("customers", "show", "1")]
    if name == "journal":
        commands.append(("customers", "add", "--name", "X"))
    for args in commands:
        fails_in_one_line(run(*args), f"cannot read {path}", phrase)
    monkeypatch.undo()
    if how == "a directory":
        path.rmdir()
        path.write_bytes(saved)
    assert names(compacted) == EXPECTED


@pytest.mark.parametrize("how", ["no permission", "a directory"])
def test_an_unreadable_keys_file_is_passed_over(
    fifty: Path, run: RunCLI, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    keys = _keys(fifty)
    if how == "a directory":
        keys.unlink()
        keys.mkdir()
    else:
        _unreadable(monkeypatch, keys)
    result = run("customers", "add", "--name", "New")
    assert (result.exit_code, result.stdout) == (0, "51\n"), result.stderr
    assert run("customers", "list", "--count").stdout == "51\n"


def _record(body: dict[str, Any] | bytes) -> bytes:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return raw + b"\t" + format(zlib.crc32(raw), "08x").encode() + b"\n"


WRONG_SHAPES: dict[str, dict[str, Any] | bytes] = {
    "not JSON": b"{not json",
    "an array": b"[1, 2]",
    "no seq": {"ops": [], "next": {}},
    "seq as text": {"seq": "9", "ops": [], "next": {}},
    "ops not a list": {"seq": 9, "ops": {}, "next": {}},
    "an op of two": {"seq": 9, "ops": [["customers", 9]], "next": {}},
    "an id as text": {"seq": 9, "ops": [["customers", "x", None]], "next": {}},
    "a document not an object": {"seq": 9, "ops": [["customers", 9, 5]], "next": {}},
    "a document without its id": {"seq": 9, "ops": [["customers", 9, {"name": "x"}]], "next": {}},
    "counters not numbers": {"seq": 9, "ops": [], "next": {"customers": "x"}},
    "no counters": {"seq": 9, "ops": []},
}


@pytest.mark.parametrize("shape", list(WRONG_SHAPES))
def test_a_journal_record_of_the_wrong_shape_is_one_line(
    compacted: Path, run: RunCLI, shape: str
) -> None:
    journal = compacted / "data" / "journal"
    saved = journal.read_bytes()
    with journal.open("ab") as handle:
        handle.write(_record(WRONG_SHAPES[shape]))  # its checksum holds: written whole
    line = fails_in_one_line(run("customers", "list", "--count"), "journal", "corrupt")
    assert re.search(r"not JSON|wrong shape", line), line
    fails_in_one_line(run("customers", "add", "--name", "X"), "journal")
    journal.write_bytes(saved)
    assert names(compacted) == EXPECTED


def test_the_journal_reader_reports_every_kind_of_damage_in_its_message(tmp_path: Path) -> None:
    path = tmp_path / "journal"
    path.write_bytes(_record({"seq": 1, "ops": [["t", 1, None]], "next": {}}) + b"junk\n")
    with pytest.raises(StoreError, match="the last record was written whole"):
        journal_module.Journal(path).read(0)


# -- workspaces written before seals ------------------------------------------------------


def _unsealed(data: Path) -> None:
    """Make ``data`` as an earlier version left it: no seal in any file, and a journal
    whose base record names no snapshot."""
    for path in data.glob("*.json"):
        raw = path.read_bytes()
        if path.name.endswith(".keys.json"):
            found = orjson.loads(raw)
            found.pop("crc")
            path.write_bytes(orjson.dumps(found))
        else:
            path.write_bytes(re.sub(rb'"crc":"[0-9a-f]{8}",', b"", raw, count=1))
    lookups = data / "customers.lookups"
    head, _, body = lookups.read_bytes().partition(b"\n")
    lookups.write_bytes(re.sub(rb'"crc":"[0-9a-f]{8}",', b"", head, count=1) + b"\n" + body)
    columns = data / "customers.columns"
    raw = columns.read_bytes()
    magic = raw[: raw.index(b"\n") + 1]
    size = int.from_bytes(raw[len(magic) : len(magic) + 8], "little")
    header = orjson.loads(raw[len(magic) + 8 : len(magic) + 8 + size])
    header.pop("crc")
    new = orjson.dumps(header)
    rest = raw[len(magic) + 8 + size :]
    columns.write_bytes(magic + len(new).to_bytes(8, "little") + new + rest)
    journal = data / "journal"
    first, _, later = journal.read_bytes().partition(b"\n")
    base = orjson.loads(first.rpartition(b"\t")[0])
    base.pop("base")
    journal.write_bytes(_record(base) + later)


def test_a_workspace_from_before_seals_is_read_and_sealed_as_it_is_used(compacted: Path) -> None:
    data = compacted / "data"
    _unsealed(data)
    assert seal.check((data / "customers.json").read_bytes(), snapshot.SEAL_AT) is None
    assert names(compacted) == EXPECTED
    ws = Workspace.open(compacted)
    report = ws.check()
    assert report.problems and all(f.repairable for f in report.problems), report
    assert any("has no checksum" in f.message for f in report.problems)
    assert Workspace.open(compacted).add_customer("C6").id == 6
    assert Workspace.open(compacted).check(repair=True).ok
    # the next compaction seals the snapshot and names it in the journal's base
    ws = Workspace.open(compacted)
    ws.add_customer("C7")
    ws.store.compact()  # type: ignore[attr-defined]
    first = (data / "journal").read_bytes().split(b"\t")[0]
    assert orjson.loads(first)["base"]["customers"] >= 1
    assert seal.check((data / "customers.json").read_bytes(), snapshot.SEAL_AT) is True
    assert names(compacted) == {**EXPECTED, 6: "C6", 7: "C7"}
    assert Workspace.open(compacted).check().findings == ()
