"""``clientcard check [--repair]``, ``backup`` and ``restore`` (issue 15, items 3 and 5).

Each damage below is made by hand to one file or record; the check must name
it in one line, ``--repair`` must rebuild what is derived (caches) and leave
the rest reported, and a backup restored into an empty directory must give
the same customers and check clean.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from clientcard import StoreError, Workspace, WorkspaceError
from clientcard.core.check import CheckReport
from conftest import RunCLI


def messages(report: CheckReport) -> list[str]:
    return [finding.message for finding in report.problems]


def one_line_each(report: CheckReport) -> None:
    for finding in report.findings:
        assert "\n" not in finding.message and finding.message.strip(), finding


@pytest.fixture
def busy(workspace: Workspace, tmp_path: Path) -> Workspace:
    """A workspace using every kind of file and reference: customers in a snapshot and
    in the journal, a customer-reference field, bookings, a note, a link, a merge and a
    document's file."""
    workspace.add_field("partner", type="customer")
    workspace.add_customers(
        [
            {"name": f"Customer {n}", "email": f"c{n}@example.com", "external_id": f"x{n}"}
            for n in range(1, 21)
        ]
    )
    workspace.update_customer(2, {"partner": 1})
    workspace.record_booking(1, "2025-01-10", amount="30")
    workspace.add_note(3, "likes mornings")
    workspace.link_customers(3, 4, "family")
    workspace.merge([5, 6], into=5)
    paper = tmp_path / "consent.txt"
    paper.write_text("signed")
    workspace.attach_document(7, paper)
    workspace.store.compact()  # type: ignore[attr-defined]
    workspace.add_customer("After compaction", email="after@example.com")
    return workspace


def test_a_sound_workspace_checks_clean(busy: Workspace, run: RunCLI) -> None:
    report = busy.check()
    assert report.ok and report.findings == (), messages(report)
    result = run("check")
    assert (result.exit_code, result.stdout) == (0, "no problems found\n")
    data = json.loads(run("check", "--format", "json").stdout)
    assert data == {"ok": True, "problems": [], "repaired": []}


def test_a_new_workspace_checks_clean(workspace: Workspace) -> None:
    assert workspace.check().findings == ()
    workspace.add_customer("Only in the journal")
    assert workspace.check().findings == ()


# -- damaged files ------------------------------------------------------------------------

Damage = Callable[[Path], object]


def _flip(path: Path, marker: bytes, offset: int = 1) -> None:
    data = path.read_bytes()
    at = data.index(marker) + offset
    path.write_bytes(data[:at] + bytes([data[at] ^ 0x02]) + data[at + 1 :])


def _emptied(name: str) -> Damage:
    return lambda data: (data / name).write_bytes(b"")


DATA_DAMAGE: dict[str, tuple[Damage, str]] = {
    "snapshot emptied": (_emptied("customers.json"), "customers.json is empty, but the journal"),
    "snapshot deleted": (lambda d: (d / "customers.json").unlink(), "customers.json is missing"),
    "snapshot bit flip": (
        lambda d: _flip(d / "customers.json", b'"Customer 3"', 3),
        "customers.json is damaged: its checksum",
    ),
    "snapshot not JSON": (
        lambda d: (d / "customers.json").write_bytes(b'{"customers": {'),
        "customers.json is not valid JSON",
    ),
    "journal emptied": (_emptied("journal"), "the changes since are lost"),
    "journal bit flip": (
        lambda d: _flip(d / "journal", b"After compaction"),
        "was written whole but fails its checksum",
    ),
    "journal line end flipped": (
        lambda d: (d / "journal").write_bytes((d / "journal").read_bytes()[:-1] + b"\x0e"),
        "a whole record whose line end is damaged",
    ),
}


@pytest.mark.parametrize("damage", list(DATA_DAMAGE))
def test_damaged_data_is_reported_and_never_repaired(
    busy: Workspace, run: RunCLI, damage: str
) -> None:
    make, phrase = DATA_DAMAGE[damage]
    make(busy.path / "data")
    report = Workspace.open(busy.path).check()
    one_line_each(report)
    assert any(phrase in m for m in messages(report)), messages(report)
    result = run("check", "--repair")
    assert result.exit_code == 1
    assert any(phrase in line for line in result.stdout.splitlines())
    assert result.stdout.splitlines()[-1].endswith(("problem", "problems"))
    # nothing guessed: still reported
    assert any(phrase in m for m in messages(Workspace.open(busy.path).check()))


CACHE_DAMAGE: dict[str, tuple[Damage, str]] = {
    "keys garbage": (
        lambda d: (d / "customers.keys.json").write_bytes(b"not json"),
        "customers.keys.json has no checksum",
    ),
    "keys counter lowered": (
        lambda d: (d / "customers.keys.json").write_bytes(
            (d / "customers.keys.json").read_bytes().replace(b'"next_id":21', b'"next_id":5')
        ),
        "customers.keys.json is damaged (its checksum does not match)",
    ),
    "keys missing": (lambda d: (d / "customers.keys.json").unlink(), "keys.json is missing"),
    "lookups bit flip": (
        lambda d: _flip(d / "customers.lookups", b"c12@example"),
        "customers.lookups is damaged",
    ),
    "columns cut short": (
        lambda d: (d / "customers.columns").write_bytes(
            (d / "customers.columns").read_bytes()[:-3]
        ),
        "customers.columns",
    ),
    "columns deleted": (lambda d: (d / "customers.columns").unlink(), "columns is missing"),
    "history keys garbage": (
        lambda d: (d / "history.keys.json").write_bytes(b"[]"),
        "history.keys.json",
    ),
}


@pytest.mark.parametrize("damage", list(CACHE_DAMAGE))
def test_a_damaged_cache_is_reported_then_rebuilt_by_repair(
    busy: Workspace, run: RunCLI, damage: str
) -> None:
    make, phrase = CACHE_DAMAGE[damage]
    make(busy.path / "data")
    report = Workspace.open(busy.path).check()
    one_line_each(report)
    (problem,) = report.problems
    assert phrase in problem.message and problem.repairable, problem
    assert "check --repair" in problem.message
    result = run("check")
    assert result.exit_code == 1 and phrase in result.stdout
    result = run("check", "--repair")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.startswith("repaired: ") and phrase in result.stdout
    assert Workspace.open(busy.path).check().findings == ()
    # the rebuilt cache is used: adding reads it, not every customer, and takes id 22
    ws = Workspace.open(busy.path)
    assert ws.add_customer("New", external_id="new").id == 22
    assert not ws.store.groups["customers"].loaded  # type: ignore[attr-defined]


def test_a_cache_of_an_older_snapshot_is_stale(busy: Workspace) -> None:
    data = busy.path / "data"
    old = (data / "customers.keys.json").read_bytes()
    busy.store.compact()  # type: ignore[attr-defined]
    (data / "customers.keys.json").write_bytes(old)  # put back from an older copy
    (problem,) = Workspace.open(busy.path).check().problems
    assert "was written for another version of customers.json" in problem.message
    assert Workspace.open(busy.path).check(repair=True).ok


def test_a_torn_journal_tail_is_reported_and_cut_by_repair(busy: Workspace) -> None:
    journal = busy.path / "data" / "journal"
    good = journal.read_bytes()
    journal.write_bytes(good + b'{"seq":99,"ops":[["custo')
    (problem,) = Workspace.open(busy.path).check().problems
    assert "unfinished record" in problem.message and problem.repairable
    report = Workspace.open(busy.path).check(repair=True)
    assert report.ok and len(report.repaired) == 1
    assert journal.read_bytes() == good


def test_a_cache_ahead_of_the_journal_is_evidence_kept(busy: Workspace) -> None:
    """A cache written at change N proves the journal reached N: a journal put back
    from an older copy is reported, and repair does not rebuild away the proof."""
    data = busy.path / "data"
    busy.store.compact()  # type: ignore[attr-defined]
    older = (data / "journal").read_bytes()
    busy.add_customer("X")
    (data / "customers.keys.json").write_bytes(b"garbage")
    Workspace.open(busy.path).add_customer("Y")  # rebuilds the keys where the journal is
    (data / "journal").write_bytes(older)  # X and Y are lost
    for _ in range(2):
        report = Workspace.open(busy.path).check(repair=True)
        assert any("customers.keys.json reflects change" in m for m in messages(report))
        assert not report.repaired


# -- references ---------------------------------------------------------------------------


def test_a_customer_field_naming_nobody_is_reported(busy: Workspace) -> None:
    busy.delete_customers([1])  # customer 2's partner
    (problem,) = busy.check().problems
    assert problem.message.startswith("customer 2: partner names customer 1, which does not")
    assert "clientcard customers edit 2 --set partner=ID" in problem.message
    assert not problem.repairable


def test_activity_pointing_at_no_customer_is_reported(busy: Workspace) -> None:
    with busy.store.write() as session:  # past the services: what damage would do
        session.table("customers").delete(1)
    found = messages(busy.check())
    assert any(m.startswith("bookings 1: its customer_id names customer 1") for m in found)
    assert any(m.startswith("customer 2: partner names customer 1") for m in found)


def test_a_merged_away_customer_still_there_is_reported(busy: Workspace) -> None:
    before = busy.merge_details(1)["before"]["6"]
    with busy.store.write() as session:
        session.table("customers").put(before)
    (problem,) = busy.check().problems
    assert problem.message.startswith(
        "merge 1 merged customer 6 into customer 5, but customer 6 is still there"
    )


def test_a_reference_to_a_merged_away_customer_names_the_survivor(busy: Workspace) -> None:
    with busy.store.write() as session:
        note = next(iter(session.table("notes")))
        session.table("notes").put({**note, "customer_id": 6})
    (problem,) = busy.check().problems
    assert "names customer 6, merged into customer 5 (merge 1)" in problem.message


@pytest.mark.parametrize("damage", ["missing", "changed"])
def test_a_documents_file_missing_or_changed_is_reported(busy: Workspace, damage: str) -> None:
    (stored,) = [p for p in (busy.path / "documents").rglob("*") if p.is_file()]
    if damage == "missing":
        stored.unlink()
        phrase = "is missing"
    else:
        stored.write_text("forged")
        phrase = "does not hold the bytes it was stored with"
    (problem,) = busy.check().problems
    assert problem.message.startswith("document 1 ('consent.txt' of customer 7): its file")
    assert phrase in problem.message


# -- backup and restore -------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".tar", ".tar.gz", ".tgz", ".tar.xz"])
def test_backup_then_restore_into_an_empty_directory_gives_the_same_workspace(
    busy: Workspace, tmp_path: Path, suffix: str
) -> None:
    archive = tmp_path / f"backup{suffix}"
    made = busy.backup(archive)
    assert made.path == archive and made.files >= 10 and archive.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    report = Workspace.restore(archive, empty)
    assert report.ok and report.findings == (), messages(report)
    with Workspace.open(empty) as restored:
        assert restored.customers_json() == busy.customers_json()
        assert restored.merges() == busy.merges()
        (doc,) = restored.documents(7)
        out = tmp_path / "copy.txt"
        restored.save_document(doc["id"], out)
        assert out.read_text() == "signed"
    with Workspace.open(empty) as fresh:
        # the caches came back valid: an add reads the keys, not every customer
        assert fresh.add_customer("Next").id == 22
        assert not fresh.store.groups["customers"].loaded  # type: ignore[attr-defined]


def test_backup_and_restore_from_the_cli(busy: Workspace, run: RunCLI, tmp_path: Path) -> None:
    archive = tmp_path / "nightly.tar.gz"
    result = run("backup", str(archive))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("backed up ") and str(archive) in result.stdout
    target = tmp_path / "restored"
    result = run("restore", str(archive), str(target))
    assert result.exit_code == 0, result.stderr
    assert "no problems found" in result.stdout
    result = run("-w", str(target), "customers", "list", "--count")
    assert result.stdout == "20\n"  # 21 added, one merged away
    # a second restore into the same, now full, directory is refused in one line
    result = run("restore", str(archive), str(target))
    assert result.exit_code == 1 and result.stderr.startswith("error: ")
    assert "is not empty" in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_backup_is_replaced_whole_and_never_written_inside_data(
    busy: Workspace, tmp_path: Path
) -> None:
    archive = tmp_path / "b.tar"
    archive.write_text("an older backup")
    busy.backup(archive)
    assert tarfile.is_tarfile(archive)
    assert not list(tmp_path.glob(".*.partial"))
    with pytest.raises(WorkspaceError, match="outside"):
        busy.backup(busy.path / "data" / "b.tar")
    with pytest.raises(WorkspaceError, match=r"\.tar, \.tar\.gz"):
        busy.backup(tmp_path / "b.zip")


def _rewrite(archive: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """Copy a backup, member by member, changing (or, with None, leaving out) some."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            changed = change(member.name, data)
            if changed is not None:
                member.size = len(changed)
                out.addfile(member, io.BytesIO(changed))


def test_a_damaged_backup_is_refused_and_leaves_nothing(busy: Workspace, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar"
    busy.backup(archive)
    cases: dict[str, Callable[[str, bytes], bytes | None]] = {
        "differs from what was backed up": lambda name, data: (
            data.replace(b"Customer 3", b"Customer 8") if name == "data/customers.json" else data
        ),
        "is missing": lambda name, data: None if name == "data/journal" else data,
        "has no clientcard-backup.json": lambda name, data: (
            None if name == "clientcard-backup.json" else data
        ),
    }
    for phrase, change in cases.items():
        broken = tmp_path / f"broken-{len(phrase)}.tar"
        _rewrite(archive, broken, change)
        target = tmp_path / f"into-{len(phrase)}"
        with pytest.raises(StoreError, match=phrase):
            Workspace.restore(broken, target)
        assert not target.exists()
        assert not list(tmp_path.glob(".into-*"))  # no half-restored directory either


def test_a_backup_cannot_write_outside_its_directory(tmp_path: Path) -> None:
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        for name in ("../outside.txt", "/etc/owned", "data/../../x", "notes.txt"):
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    target = tmp_path / "ws"
    with pytest.raises(StoreError, match="not a file of a workspace"):
        Workspace.restore(evil, target)
    assert not (tmp_path / "outside.txt").exists() and not target.exists()
    link = tmp_path / "link.tar"
    with tarfile.open(link, "w") as tar:
        info = tarfile.TarInfo("data/customers.json")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    with pytest.raises(StoreError, match="not a file of a workspace"):
        Workspace.restore(link, tmp_path / "ws2")


def test_a_restore_that_checks_badly_says_so(busy: Workspace, tmp_path: Path, run: RunCLI) -> None:
    """The backup holds what the workspace held: damage included, reported at once."""
    (busy.path / "data" / "customers.keys.json").write_bytes(b"garbage")
    archive = tmp_path / "b.tar"
    busy.backup(archive)
    result = run("restore", str(archive), str(tmp_path / "r"))
    assert result.exit_code == 1
    assert "problem: " in result.stdout and "customers.keys.json" in result.stdout
    with tarfile.open(archive) as tar:
        manifest = orjson.loads(tar.extractfile("clientcard-backup.json").read())  # type: ignore[union-attr]
    assert set(manifest["files"]) >= {"clientcard.toml", "data/customers.json", "data/journal"}
    assert "data/lock" not in manifest["files"]
