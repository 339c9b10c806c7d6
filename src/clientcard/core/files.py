"""Files clientcard writes for the user (exports, document copies, clientcard.toml)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from clientcard.core.errors import ValidationError


@contextmanager
def written_whole(target: Path) -> Iterator[BinaryIO]:
    """A binary file written beside ``target`` and moved there once complete: a failure
    (an unwritable place, an error while writing) leaves nothing behind."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as out:
            yield out
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ValidationError(
            "output", str(target), f"a file that can be written ({exc.strerror})"
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def replace_whole(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` in one step: readers and a crash see the old
    file or the new one, never a part.  On any failure (a full disk) ``target`` is
    as it was and no temporary file is left; the :class:`OSError` is raised for the
    caller to name what it was writing."""
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes the file private (0600): keep the mode the file had
        try:
            mode = os.stat(target).st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        if hasattr(os, "fchmod"):  # (not on Windows before Python 3.13)
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
