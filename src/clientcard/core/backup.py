"""Backups of a workspace: one tar file of its settings, data and documents' files.

:func:`write` archives the files it is given the roots of (the workspace
reads them under its read lock, so the copy is consistent: no write can
happen meanwhile), then a manifest, ``clientcard-backup.json``: every file's
size and CRC-32.  :func:`extract` writes an archive's files into a new
directory and checks each against the manifest; it accepts regular files
under the roots only (no absolute path, no ``..``, no link, no device), so a
crafted archive cannot write anywhere else.  Either way the result appears
whole or not at all: the archive is written beside its name and moved there
when complete, and a restore is extracted into a hidden directory beside its
target and renamed at the end.
"""

from __future__ import annotations

import io
import os
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import orjson
from attrs import frozen

from clientcard.core.errors import StoreError, WorkspaceError

MANIFEST = "clientcard-backup.json"
FORMAT = 1
#: archive suffix -> tarfile's compression
COMPRESSION = {".tar": "", ".tar.gz": "gz", ".tgz": "gz", ".tar.xz": "xz", ".tar.bz2": "bz2"}
CHUNK = 1 << 20


@frozen
class Backup:
    """What :func:`write` archived: where, how many files, how many bytes before compression."""

    path: Path
    files: int
    size: int


def _compression(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(COMPRESSION, key=len, reverse=True):
        if name.endswith(suffix):
            return COMPRESSION[suffix]
    raise WorkspaceError(
        f"{path}: a backup is a .tar, .tar.gz (.tgz), .tar.xz or .tar.bz2 file; "
        "name it with one of those"
    )


def _files(root: Path, names: Iterable[str], skip: Iterable[str]) -> Iterator[tuple[str, Path]]:
    """(name in the archive, path) of every regular file under ``names`` in ``root``,
    sorted; names matching a pattern of ``skip`` (lock files, temporary files) left out."""
    patterns = list(skip)
    for name in names:
        top = root / name
        if top.is_file() and not top.is_symlink():
            yield name, top
            continue
        if not top.is_dir() or top.is_symlink():
            continue
        for path in sorted(top.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            inside = path.relative_to(root).as_posix()
            if not any(PurePosixPath(inside).match(pattern) for pattern in patterns):
                yield inside, path


class _Counting(io.RawIOBase):
    """A file read through: its CRC-32 and size as tarfile copies it."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.crc = 0
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        return data


def write(
    root: Path, target: Path, names: Iterable[str], skip: Iterable[str] = (), version: str = ""
) -> Backup:
    """Archive the files under ``names`` (relative to ``root``) into ``target``.  The
    caller holds what keeps them still (the workspace's read lock)."""
    compression = _compression(target)
    target = target.resolve()
    partial = target.with_name(f".{target.name}.partial")
    manifest: dict[str, dict[str, Any]] = {}
    mode: Any = f"w:{compression}" if compression else "w"
    try:
        with tarfile.open(partial, mode) as tar:
            for name, path in _files(root, names, skip):
                with open(path, "rb") as handle:
                    info = tar.gettarinfo(fileobj=handle, arcname=name)
                    mtime = os.fstat(handle.fileno()).st_mtime_ns
                    counting = _Counting(handle)
                    tar.addfile(info, counting)
                if counting.size != info.size:
                    raise StoreError(f"{path} changed while it was backed up; run it again")
                manifest[name] = {
                    "size": info.size,
                    "crc32": format(counting.crc, "08x"),
                    # exact: caches name their snapshot by size and time (tar keeps less)
                    "mtime_ns": mtime,
                }
            data = orjson.dumps(
                {
                    "format": FORMAT,
                    "clientcard": version,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "files": manifest,
                },
                option=orjson.OPT_INDENT_2,
            )
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(datetime.now().timestamp()), 0o644
            tar.addfile(info, io.BytesIO(data))
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"cannot write the backup {target}: {exc.strerror or exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Backup(target, len(manifest), sum(entry["size"] for entry in manifest.values()))


def _safe_name(name: str, roots: Iterable[str]) -> PurePosixPath | None:
    """The member's path when it is plainly inside one of ``roots``; else None."""
    path = PurePosixPath(name)
    if path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        return None
    return path if path.parts and path.parts[0] in set(roots) else None


def extract(source: Path, into: Path, roots: Iterable[str]) -> int:
    """Write the files of the backup ``source`` into ``into`` (new, or an empty
    directory), each checked against the manifest; return how many."""
    roots = list(roots)
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise WorkspaceError(f"{into} is not empty; restore into a new or empty directory")
    into.parent.mkdir(parents=True, exist_ok=True)
    # (not mkdtemp: its directory is private, and it becomes the workspace)
    staging = into.parent / f".{into.name}.restoring.{os.getpid()}.{os.urandom(4).hex()}"
    staging.mkdir()
    try:
        found = _extract_all(source, staging, roots)
        if into.exists():
            into.rmdir()
        os.replace(staging, into)
    except BaseException:
        _remove_tree(staging)
        raise
    _fsync_dir(into.parent)
    return found


def _extract_all(source: Path, staging: Path, roots: list[str]) -> int:
    written: dict[str, tuple[int, str]] = {}
    manifest: dict[str, Any] | None = None
    try:
        tar = tarfile.open(source, "r:*")  # noqa: SIM115 (closed below)
    except (OSError, tarfile.TarError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise StoreError(f"{source} is not a backup clientcard can read ({reason})") from None
    try:
        with tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile():
                    manifest = _read_manifest(source, tar, member)
                    continue
                name = _safe_name(member.name, roots)
                if name is None or not (member.isfile() or member.isdir()):
                    raise StoreError(
                        f"{source} holds {member.name!r}, which is not a file of a workspace "
                        "(only clientcard.toml, data/ and documents/ are restored)"
                    )
                if member.isdir():
                    continue
                target = staging.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                extracted = tar.extractfile(member)
                assert extracted is not None  # a regular file
                crc = 0
                with extracted, open(target, "xb") as out:
                    while chunk := extracted.read(CHUNK):
                        crc = zlib.crc32(chunk, crc)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(target, member.mode & 0o777)
                written[str(name)] = member.size, format(crc, "08x")
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise StoreError(f"{source} cannot be read whole ({why}); it is damaged") from None
    if manifest is None:
        raise StoreError(f"{source} has no {MANIFEST}: not a clientcard backup, or cut short")
    expected = {name: (entry["size"], entry["crc32"]) for name, entry in manifest["files"].items()}
    for file in sorted(expected.keys() | written.keys()):
        if expected.get(file) != written.get(file):
            what = "is missing" if file not in written else "differs from what was backed up"
            if file not in expected:
                what = "is not in its manifest"
            raise StoreError(f"{source}: {file} {what}; the backup is damaged")
    for file, entry in manifest["files"].items():
        if isinstance(entry.get("mtime_ns"), int):
            mtime = entry["mtime_ns"]
            os.utime(staging.joinpath(*PurePosixPath(file).parts), ns=(mtime, mtime))
    for directory in {staging.joinpath(*PurePosixPath(n).parts[:-1]) for n in written}:
        _fsync_dir(directory)
    return len(written)


def _read_manifest(source: Path, tar: tarfile.TarFile, member: tarfile.TarInfo) -> dict[str, Any]:
    extracted = tar.extractfile(member)
    try:
        data = orjson.loads(extracted.read() if extracted else b"")
        if data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
            raise ValueError
        for entry in data["files"].values():
            int(entry["size"]), str(entry["crc32"])
    except (orjson.JSONDecodeError, ValueError, AttributeError, KeyError, TypeError):
        raise StoreError(
            f"{source}: its {MANIFEST} is not one this version of clientcard reads"
        ) from None
    return dict(data)


def _fsync_dir(directory: Path) -> None:
    with suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
