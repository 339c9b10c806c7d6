"""A document's copy inside the workspace (issue 15, J): its size is the bytes copied,
the limit counts them, and a symbolic link planted inside the workspace is never
followed: nothing is written, read or removed outside it."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from clientcard import StoreError, ValidationError, Workspace
from conftest import RunCLI
from test_cli_customers import assert_user_error

PAYLOAD = b"%PDF-1.4 consent form\n" * 10
SHA = hashlib.sha256(PAYLOAD).hexdigest()

needs_links = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")


@pytest.fixture
def ann(workspace: Workspace) -> int:
    return workspace.add_customer("Ann").id


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    path = tmp_path / "consent.pdf"
    path.write_bytes(PAYLOAD)
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside"
    path.mkdir()
    return path


def stored(ws: Workspace, sha: str) -> Path:
    return ws.path / "documents" / sha[:2] / sha


# -- sizes -------------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="no /proc")
def test_a_file_whose_stat_says_0_bytes_records_the_bytes_copied(
    workspace: Workspace, ann: int
) -> None:
    assert os.stat("/proc/self/status").st_size == 0
    doc = workspace.attach_document(ann, "/proc/self/status")
    kept = stored(workspace, doc["sha256"]).read_bytes()
    assert len(kept) > 0 and doc["size"] == len(kept)
    assert workspace.documents(ann)[0]["size"] == len(kept)


def _stat_says(monkeypatch: pytest.MonkeyPatch, path: Path, size: int) -> None:
    """``path``'s stat() says ``size`` bytes (a file still growing, a /proc file)."""
    real = Path.stat

    def stat(self: Path, *args: Any, **kwargs: Any) -> os.stat_result:
        found = real(self, *args, **kwargs)
        if self != path:
            return found
        fields = list(found)
        fields[6] = size  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(Path, "stat", stat)


def test_the_size_limit_counts_the_bytes_copied_not_what_stat_says(
    workspace: Workspace, ann: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.set_setting("card.document_max_mb", 0.001)  # 1,000 bytes
    ws = Workspace.open(workspace.path)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 5000)
    _stat_says(monkeypatch, big, 10)
    with pytest.raises(ValidationError, match=r"at most 1,000 bytes \(it has more than 1,000"):
        ws.attach_document(ann, big)
    assert ws.documents(ann) == []
    assert not [p for p in (ws.path / "documents").rglob("*") if p.is_file()]
    # exactly at the limit is kept, with its real size
    exact = tmp_path / "exact.bin"
    exact.write_bytes(b"y" * 1000)
    _stat_says(monkeypatch, exact, 0)
    assert ws.attach_document(ann, exact)["size"] == 1000


# -- links inside the workspace ------------------------------------------------------------


@needs_links
def test_a_documents_link_inside_the_workspace_is_refused(
    workspace: Workspace, ann: int, paper: Path, outside: Path, run: RunCLI
) -> None:
    documents = workspace.path / "documents"
    shutil.rmtree(documents, ignore_errors=True)
    documents.symlink_to(outside, target_is_directory=True)
    with pytest.raises(StoreError, match="documents is a symbolic link"):
        workspace.attach_document(ann, paper)
    result = run("documents", "add", str(ann), str(paper))
    assert_user_error(result, "symbolic link", str(documents))
    assert list(outside.iterdir()) == []  # nothing written where it points
    assert workspace.documents(ann) == []


@needs_links
def test_a_link_in_place_of_a_hash_directory_is_refused(
    workspace: Workspace, ann: int, paper: Path, outside: Path
) -> None:
    (workspace.path / "documents").mkdir(exist_ok=True)
    (workspace.path / "documents" / SHA[:2]).symlink_to(outside, target_is_directory=True)
    with pytest.raises(StoreError, match=f"{SHA[:2]} is a symbolic link"):
        workspace.attach_document(ann, paper)
    assert list(outside.iterdir()) == []
    assert workspace.documents(ann) == []
    assert not list((workspace.path / "documents").glob(".incoming.*"))


@needs_links
def test_a_stored_file_swapped_for_a_link_is_not_read_through(
    workspace: Workspace, ann: int, paper: Path, outside: Path, tmp_path: Path
) -> None:
    doc = workspace.attach_document(ann, paper)
    secret = outside / "secret"
    secret.write_bytes(b"not the document")
    copy = stored(workspace, doc["sha256"])
    copy.unlink()
    copy.symlink_to(secret)
    with pytest.raises(StoreError, match="cannot read"):
        workspace.save_document(doc["id"], tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()


@needs_links
def test_removing_a_document_never_deletes_past_a_link(
    workspace: Workspace, ann: int, paper: Path, outside: Path
) -> None:
    doc = workspace.attach_document(ann, paper)
    # the hash directory swapped for a link to a directory holding a file of that name
    shutil.rmtree(workspace.path / "documents" / SHA[:2])
    (workspace.path / "documents" / SHA[:2]).symlink_to(outside, target_is_directory=True)
    victim = outside / SHA
    victim.write_bytes(b"someone else's file")
    workspace.delete_document(doc["id"])
    assert workspace.documents(ann) == []
    assert victim.read_bytes() == b"someone else's file"


def test_a_real_documents_directory_still_works(
    workspace: Workspace, ann: int, paper: Path, tmp_path: Path
) -> None:
    doc = workspace.attach_document(ann, paper)
    assert (doc["size"], doc["sha256"]) == (len(PAYLOAD), SHA)
    assert stored(workspace, SHA).read_bytes() == PAYLOAD
    out = workspace.save_document(doc["id"], tmp_path / "copy.pdf")
    assert out.read_bytes() == PAYLOAD
    workspace.delete_document(doc["id"])
    assert not stored(workspace, SHA).exists()


def test_a_source_that_is_not_a_regular_file_is_refused(
    workspace: Workspace, ann: int, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="expected a regular file"):
        workspace.attach_document(ann, tmp_path)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        with pytest.raises(ValidationError, match="expected a regular file"):
            workspace.attach_document(ann, fifo)  # refused before it is opened: no hang
