"""A full disk while writing clientcard.toml or a document's copy (issue 15, E): one line,
exit status 1, the file as it was, no temporary file left behind."""

from __future__ import annotations

import builtins
import errno
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clientcard import ClientcardError, Workspace
from conftest import RunCLI
from test_cli_customers import assert_user_error

NO_SPACE = os.strerror(errno.ENOSPC)


class _FullFile:
    """A file on a full disk: opening it worked (it exists, empty), writing fails."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, NO_SPACE)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> _FullFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every file opened for writing through io.open (pathlib, os.fdopen) is on a full disk."""
    real_open = io.open

    def full_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        return _FullFile(handle) if any(c in mode for c in "wax+") else handle

    monkeypatch.setattr(io, "open", full_open)
    yield
    monkeypatch.setattr(io, "open", real_open)


def files_in(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def test_config_set_on_a_full_disk_is_one_line_and_leaves_the_file(
    run: RunCLI, workspace: Workspace, full_disk: None
) -> None:
    config = workspace.path / "clientcard.toml"
    before, listed = config.read_bytes(), files_in(workspace.path)
    result = run("config", "set", "workspace.locale", "it")
    assert_user_error(result)
    assert result.stderr == f"error: cannot write clientcard.toml: {NO_SPACE}\n"
    assert config.read_bytes() == before
    assert files_in(workspace.path) == listed  # no .clientcard.toml.tmp


def test_set_setting_on_a_full_disk_raises_a_config_error(
    workspace: Workspace, full_disk: None
) -> None:
    before = (workspace.path / "clientcard.toml").read_bytes()
    with pytest.raises(ClientcardError, match=f"^cannot write clientcard.toml: {NO_SPACE}$"):
        workspace.set_setting("workspace.locale", "it")
    assert (workspace.path / "clientcard.toml").read_bytes() == before
    assert workspace.ctx.settings["workspace"].locale != "it"


def test_config_unset_on_a_full_disk_is_one_line(
    run: RunCLI, workspace: Workspace, full_disk: None
) -> None:
    result = run("config", "unset", "workspace.currency")
    assert result.stderr == f"error: cannot write clientcard.toml: {NO_SPACE}\n"
    assert "EUR" in (workspace.path / "clientcard.toml").read_text()


def test_init_on_a_full_disk_is_one_line_and_leaves_nothing(
    tmp_path: Path, full_disk: None
) -> None:
    with pytest.raises(ClientcardError, match=f"cannot write .*clientcard.toml: {NO_SPACE}$"):
        Workspace.init(tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_documents_add_on_a_full_disk_is_one_line_and_stores_nothing(
    run: RunCLI, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = workspace.add_customer("Ann").id
    paper = tmp_path / "paper.pdf"
    paper.write_bytes(b"%PDF" + b"x" * 5000)
    run("documents", "list", str(ann))  # the workspace opened before the disk fills
    real_open = io.open

    def full_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        return _FullFile(handle) if "w" in mode else handle

    monkeypatch.setattr(io, "open", full_open)
    result = run("documents", "add", str(ann), str(paper))
    monkeypatch.setattr(io, "open", real_open)
    assert_user_error(result, "cannot copy", str(paper), NO_SPACE)
    assert result.stderr.endswith(f": {NO_SPACE}\n")
    assert workspace.documents(ann) == []
    assert not [p for p in (workspace.path / "documents").rglob("*") if p.is_file()]


def test_an_import_s_rejected_rows_on_a_full_disk_are_one_line(
    run: RunCLI, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("name,email\nAnn,ann@example.com\nBo,not-an-e-mail\n", encoding="utf-8")
    run("customers", "list")  # the workspace opened before the disk fills
    real_open = builtins.open

    def full_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        return _FullFile(handle) if "w" in mode else handle

    monkeypatch.setattr(builtins, "open", full_open)
    result = run("import", "customers", str(source), "--skip-invalid")
    monkeypatch.setattr(builtins, "open", real_open)
    assert_user_error(result, "in.rejected.csv", NO_SPACE)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["in.csv"]
    assert workspace.count_customers() == 0
