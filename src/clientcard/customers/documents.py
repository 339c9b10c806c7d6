"""Documents attached to a customer: files kept inside the workspace by content.

A file is copied to ``documents/<first two hex digits>/<sha256>`` under the
workspace, so its stored name is derived from its bytes alone: whatever the
original name holds (``../../x``, an absolute path, a NUL), it is only ever
kept as metadata, never used as a path.  Two customers attaching the same file
share one copy; a copy is removed when no record refers to it any more.  The
metadata (original name, type, size, hash) lives in the ``documents`` table.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from clientcard.core.errors import StoreError, ValidationError
from clientcard.core.files import written_whole
from clientcard.core.store import TableSpec

DOCUMENTS = "documents"
DOCUMENTS_DIR = "documents"
SPEC = TableSpec(DOCUMENTS, indexes=("customer_id", "sha256"), group="card")
CHUNK = 1 << 20


def display_name(name: str) -> str:
    """The original name, made safe to show and to offer as a file name: its last path
    part, without control characters (NUL included); "document" when nothing is left."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in last if unicodedata.category(ch)[0] != "C").strip()
    return clean if clean not in ("", ".", "..") else "document"


def guess_type(name: str) -> str:
    import mimetypes  # (imported when used: every command imports this module)

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class DocumentFiles:
    """The files of one workspace's documents, addressed by their SHA-256.

    Every directory from the workspace down to a stored file must be a real
    directory: a symbolic link planted there (``documents/`` pointing elsewhere)
    is refused, never followed, so that a copy is only ever written, read or
    removed inside the workspace.
    """

    def __init__(self, root: Path) -> None:
        self.workspace = root
        self.root = root / DOCUMENTS_DIR

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise ValidationError("sha256", sha256, "64 lower-case hex digits")
        return self.root / sha256[:2] / sha256

    def _directory(self, *parts: str, create: bool) -> Path:
        """``documents/<parts>`` as a real directory (made when missing and ``create``).

        Checked a part at a time with lstat: a link there is a
        :class:`~clientcard.core.errors.StoreError`, a missing part (not
        ``create``) a :class:`FileNotFoundError`."""
        path = self.workspace
        for part in (DOCUMENTS_DIR, *parts):
            path = path / part
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                if not create:
                    raise
                with suppress(FileExistsError):
                    os.mkdir(path)
                info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
                what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a directory"
                raise StoreError(
                    f"{path} is {what}: documents are kept only in a real directory "
                    "inside the workspace; remove it, or put back the directory it replaced"
                )
        return path

    def store(self, source: Path, max_bytes: int) -> tuple[str, int]:
        """Copy ``source`` in (atomically); return its hash and size: the bytes copied,
        not what the file system says (``/proc`` files say 0).  Refuses a file over
        ``max_bytes`` (by its bytes, counted while copying) before anything is kept."""
        import hashlib
        import tempfile

        try:
            info = source.stat()
        except OSError as exc:
            raise ValidationError(
                "file", str(source), f"a readable file ({exc.strerror})"
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise ValidationError("file", str(source), "a regular file")
        if info.st_size > max_bytes:
            raise _too_big(source, max_bytes, f"it has {info.st_size:,}")
        try:
            handle = open(source, "rb")  # noqa: SIM115 (closed below, with the copy)
        except OSError as exc:
            raise ValidationError(
                "file", str(source), f"a readable file ({exc.strerror})"
            ) from None
        with handle:
            try:
                fd, tmp = tempfile.mkstemp(prefix=".incoming.", dir=self._directory(create=True))
            except OSError as exc:
                raise self._unwritable(source, exc) from None
            digest = hashlib.sha256()
            size = 0
            try:
                with os.fdopen(fd, "wb") as out:
                    # one byte more than allowed is enough to refuse the file
                    while chunk := _read(handle, source, min(CHUNK, max_bytes + 1 - size)):
                        size += len(chunk)
                        if size > max_bytes:
                            raise _too_big(source, max_bytes, f"it has more than {max_bytes:,}")
                        digest.update(chunk)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                sha256 = digest.hexdigest()
                target = self._directory(sha256[:2], create=True) / sha256
                os.replace(tmp, target)
            except OSError as exc:
                Path(tmp).unlink(missing_ok=True)
                raise self._unwritable(source, exc) from None
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return sha256, size

    def _unwritable(self, source: Path, exc: OSError) -> StoreError:
        return StoreError(f"cannot copy {source} into {self.root}: {exc.strerror or exc}")

    def copy_out(self, sha256: str, target: Path) -> None:
        """Write a copy of a stored file to ``target`` (refusing to overwrite a file)."""
        name = self.path(sha256)
        try:
            # O_NOFOLLOW: a link planted in place of a stored file is not read through
            fd = os.open(
                self._directory(sha256[:2], create=False) / sha256,
                os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0),
            )
        except FileNotFoundError:
            raise ValidationError(
                "document", sha256, f"a stored file; {name} is missing (restore it from a backup)"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot read {name}: {exc.strerror or exc}") from None
        if target.exists():
            os.close(fd)
            raise ValidationError("output", str(target), "a path where no file exists yet")
        with os.fdopen(fd, "rb") as handle, written_whole(target) as out:
            while chunk := handle.read(CHUNK):
                out.write(chunk)

    def remove(self, sha256: str) -> None:
        """Remove a stored file no record refers to.  It runs after the change is saved:
        a file that cannot be removed (or lies past a link) is left behind (it costs
        only space)."""
        name = self.path(sha256)
        with suppress(OSError, StoreError):
            (self._directory(sha256[:2], create=False) / name.name).unlink(missing_ok=True)

    def verify(self, sha256: str, size: int | None) -> str | None:
        """What is wrong with the stored file of a document record (None: it is there,
        of that size, and its bytes hash to its name)."""
        import hashlib

        try:
            name = self.path(sha256)
        except ValidationError:
            return f"its hash {sha256!r} is not 64 lower-case hex digits"
        try:
            fd = os.open(
                self._directory(sha256[:2], create=False) / sha256,
                os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0),
            )
        except FileNotFoundError:
            return f"its file {name} is missing"
        except (OSError, StoreError) as exc:
            why = exc.message if isinstance(exc, StoreError) else exc.strerror or exc
            return f"its file {name} cannot be read ({why})"
        digest = hashlib.sha256()
        count = 0
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                count += len(chunk)
        if digest.hexdigest() != sha256:
            return f"its file {name} does not hold the bytes it was stored with (damaged)"
        if size is not None and size != count:
            return f"it says {size:,} bytes, but its file {name} holds {count:,}"
        return None


def _read(handle: BinaryIO, source: Path, size: int) -> bytes:
    try:
        return handle.read(size)
    except OSError as exc:
        raise ValidationError("file", str(source), f"a readable file ({exc.strerror})") from None


def _too_big(source: Path, max_bytes: int, has: str) -> ValidationError:
    return ValidationError(
        "file",
        str(source),
        f"a file of at most {max_bytes:,} bytes ({has}; "
        "raise [card] document_max_mb to allow more)",
    )
