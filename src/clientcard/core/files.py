"""Files clientcard writes for the user (exports, document copies)."""

from __future__ import annotations

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
