"""The workspace lock: shared for readers, exclusive for writers, across processes and threads."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WorkspaceLock:
    """An ``flock`` on one file plus a re-entrant thread lock.

    The thread lock serialises threads of this process (``flock`` is per open
    file, so it cannot tell two threads apart); the file lock serialises
    processes.  Re-entering from the thread that holds the lock is free; a
    shared hold is upgraded when an exclusive one is asked for inside it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._fd: int | None = None
        self._depth = 0
        self._mode = 0

    @contextmanager
    def hold(self, exclusive: bool) -> Iterator[None]:
        wanted = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        with self._thread_lock:
            previous = self._mode
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if self._depth == 0 or (wanted == fcntl.LOCK_EX and previous != fcntl.LOCK_EX):
                fcntl.flock(self._fd, wanted)
                self._mode = wanted
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    self._mode = 0
                elif self._mode != previous:
                    fcntl.flock(self._fd, previous)
                    self._mode = previous

    def close(self) -> None:
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
