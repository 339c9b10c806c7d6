"""Working with many long-lived objects: pausing the cyclic garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many long-lived objects.

    A snapshot is hundreds of thousands of dicts that live as long as the
    process: scanning them for cycles, while loading and ever after, costs
    more than parsing them.  After the block they are frozen out of its sight.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
