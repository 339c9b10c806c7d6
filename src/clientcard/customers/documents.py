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
import unicodedata
from contextlib import suppress
from pathlib import Path

from clientcard.core.errors import ValidationError
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
    """The files of one workspace's documents, addressed by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self.root = root / DOCUMENTS_DIR

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise ValidationError("sha256", sha256, "64 lower-case hex digits")
        return self.root / sha256[:2] / sha256

    def store(self, source: Path, max_bytes: int) -> tuple[str, int]:
        """Copy ``source`` in (atomically); return its hash and size.  Refuses a file over
        ``max_bytes`` before anything is kept."""
        import hashlib
        import tempfile

        try:
            size = source.stat().st_size
        except OSError as exc:
            raise ValidationError(
                "file", str(source), f"a readable file ({exc.strerror})"
            ) from None
        if not source.is_file():
            raise ValidationError("file", str(source), "a regular file")
        if size > max_bytes:
            raise ValidationError(
                "file",
                str(source),
                f"a file of at most {max_bytes:,} bytes (it has {size:,}; "
                "raise [card] document_max_mb to allow more)",
            )
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(prefix=".incoming.", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            target = self.path(sha256)
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256, size

    def copy_out(self, sha256: str, target: Path) -> None:
        """Write a copy of a stored file to ``target`` (refusing to overwrite a file)."""
        source = self.path(sha256)
        if not source.is_file():
            raise ValidationError(
                "document", sha256, f"a stored file; {source} is missing (restore it from a backup)"
            )
        if target.exists():
            raise ValidationError("output", str(target), "a path where no file exists yet")
        with open(source, "rb") as handle, written_whole(target) as out:
            while chunk := handle.read(CHUNK):
                out.write(chunk)

    def remove(self, sha256: str) -> None:
        """Remove a stored file no record refers to.  It runs after the change is saved:
        a file that cannot be removed is left behind (it costs only space)."""
        with suppress(OSError):
            self.path(sha256).unlink(missing_ok=True)
