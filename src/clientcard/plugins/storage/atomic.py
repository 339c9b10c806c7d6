"""Crash-safe files: a TinyDB storage that never leaves a torn file behind."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from clientcard.core.errors import StoreError


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | Sequence[bytes]) -> None:
    """Replace ``path`` with ``data`` (bytes, or pieces written one after the other):
    readers and crashes see the old file or the new, whole."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); keep the mode the file had
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                handle.writelines(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def loads(data: bytes, source: Path) -> Any:
    """Parse JSON with the cyclic garbage collector paused (3-4x faster on big files)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StoreError(
            f"{source} is not valid JSON ({exc}); restore it from a backup or fix it by hand"
        ) from None
    finally:
        if enabled:
            gc.enable()


class AtomicJSONStorage(Storage):
    """TinyDB storage writing through :func:`atomic_write` and parsing with orjson.

    Files written by it are ordinary TinyDB JSON files: ``TinyDB(path)`` opens them.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not data.strip():
            return None
        parsed = loads(data, self.path)
        if not isinstance(parsed, dict):
            raise StoreError(f"{self.path} does not hold TinyDB tables (an object of tables)")
        return parsed

    def write(self, data: dict[str, dict[Any, Any]]) -> None:
        # document ids may be ints: written as the strings TinyDB expects, without
        # building a second dict of a million string keys first
        atomic_write(self.path, orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS))

    def close(self) -> None:
        pass
