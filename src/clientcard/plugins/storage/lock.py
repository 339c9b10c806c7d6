"""The workspace lock: shared for readers, exclusive for writers, across processes and threads.

``flock`` on ``data/lock`` serialises processes; a re-entrant thread lock
serialises the threads of one process (``flock`` belongs to an open file, so it
cannot tell two threads apart).  Besides that:

- **One lock per file per process** (:func:`lock_for`): two ``Workspace``
  objects on one directory share it.  Two descriptors of one file would
  exclude each other even inside one thread: a read through the second
  object inside the first's ``batch()`` would wait for itself forever.
- **A wait with a timeout**: a hung holder (a stopped process) makes the
  others fail after ``[storage] lock_timeout`` seconds with one line naming
  it, instead of waiting forever.  An exclusive holder writes its pid and
  command into the lock file, which is how the line can name it.
- **Fork**: a child process gets its own descriptor (a descriptor inherited
  across ``fork()`` is the parent's lock: it would exclude nobody).
- **Read-only workspaces**: when the lock file cannot be opened for writing
  (a read-only mount, a file of another user) readers lock it shared through
  a read-only descriptor, or, when it cannot be opened at all, read without
  it (the store checks that nothing changed meanwhile); writers are refused
  with one line saying why.

See docs/architecture.md ("Storage").
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from clientcard.core.errors import LockTimeoutError, ReadOnlyError, StoreError

SHARED, EXCLUSIVE = fcntl.LOCK_SH, fcntl.LOCK_EX
#: what opening the lock file for writing fails with when the workspace can only be read
_CANNOT_WRITE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
#: the size of the holder's line in the lock file.  Written in place, never truncated:
#: rewriting a few bytes inside a file costs ~0.6 us, a truncate ~3 us, on every write
_RECORD = 256
#: the line while no writer holds the lock
_FREE = b" " * (_RECORD - 1) + b"\n"


def _holder_line() -> bytes:
    """``pid<TAB>command``, padded to :data:`_RECORD` bytes, for a timeout message."""
    argv = list(sys.argv)
    if not argv or argv[0] in ("", "-c"):  # python -c ..., or embedded: the interpreter's
        argv = list(sys.orig_argv) or ["python"]
    argv[0] = os.path.basename(argv[0]) or "python"
    command = " ".join(argv).replace("\t", " ").replace("\n", " ")
    line = f"{os.getpid()}\t{command}".encode("utf-8", "replace")
    if len(line) >= _RECORD:
        line = line[: _RECORD - 4] + b"..."  # (a character cut in two reads as U+FFFD)
    return line.ljust(_RECORD - 1) + b"\n"


class _Waiter:
    """A blocking ``flock`` in a thread of its own, on a descriptor of its own.

    Why a thread rather than polling with ``LOCK_NB``: the kernel hands a freed
    lock to a blocked waiter at once, while a poller only gets it if it happens
    to look in a gap between a busy writer's operations, so it would starve (and
    time out) behind one.  Why not a signal to cut the wait short: a library must
    not take over the host's signals.  The caller waits for the thread with a
    timeout; on timeout the thread is abandoned and, should it get the lock
    later, closes its descriptor (which frees it) unless a later wait for the
    same kind of lock has taken it over.  ``live`` holds every waiter whose
    descriptor is open, so that a forked child can close its copies: a copy
    would keep an abandoned waiter's lock held after the parent closed it.
    """

    def __init__(self, path: Path, flags: int, mode: int, live: set[_Waiter]) -> None:
        self.path = path
        self.mode = mode
        self.fd = os.open(path, flags)
        self._live = live
        live.add(self)
        self._done = threading.Event()
        self._guard = threading.Lock()
        self._abandoned = False
        self._closed = False
        self._error: OSError | None = None
        threading.Thread(target=self._run, name="clientcard-lock-wait", daemon=True).start()

    def _run(self) -> None:
        try:
            fcntl.flock(self.fd, self.mode)
        except OSError as exc:
            self._error = exc
        with self._guard:
            if self._abandoned:
                self._close()
            else:
                self._done.set()

    def _close(self) -> None:
        if not self._closed:
            self._closed = True
            self._live.discard(self)
            os.close(self.fd)

    def revive(self) -> bool:
        """Take over an abandoned wait; False when it is over (start a new one)."""
        with self._guard:
            if self._closed:
                return False
            self._abandoned = False
            return True

    def take(self, timeout: float) -> int | None:
        """The descriptor now holding the lock (the caller's from now on), or None if
        the lock was not free in time."""
        try:
            self._done.wait(timeout)
        except BaseException:  # interrupted (Ctrl-C): nobody wants the lock now
            with self._guard:
                if self._done.is_set():
                    self._close()
                else:
                    self._abandoned = True
            raise
        with self._guard:
            if not self._done.is_set():
                self._abandoned = True
                return None
        if self._error is not None:
            self._close()
            raise StoreError(f"cannot lock {self.path}: {self._error.strerror or self._error}")
        self._closed = True  # handed over: closing it is the caller's now
        self._live.discard(self)
        return self.fd


class WorkspaceLock:
    """The lock on one file, for every store of this process opened on it.

    Get it with :func:`lock_for`; hold it with :meth:`hold`.  Re-entering from
    the thread that holds it is free; a shared hold is upgraded when an
    exclusive one is asked for inside it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        #: stores using this lock (:func:`lock_for`, :meth:`close`)
        self.users = 0
        #: the store whose write is under way in the holding thread (TinyDBStore.write)
        self.writer: object | None = None
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._flags = os.O_RDWR
        #: why this process cannot write the workspace (None: it can, or has not looked)
        self.read_only: str | None = None
        self._depth = 0
        self._mode = 0
        self._waiter: _Waiter | None = None
        self._waiters: set[_Waiter] = set()
        self._thread_lock = threading.RLock()
        self._pid = os.getpid()
        #: changes when the process forks: a hold taken before no longer holds anything
        self._generation = 0
        self._holder = _holder_line()

    # -- opening ---------------------------------------------------------------------

    def _open(self) -> None:
        """Open the lock file: for writing if we may, else for reading, else not at all."""
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._flags, self.read_only = os.O_RDWR, None
        except OSError as exc:
            if exc.errno not in _CANNOT_WRITE:
                raise StoreError(f"cannot open {self.path}: {exc.strerror or exc}") from None
            self.read_only = f"cannot write {self.path}: {exc.strerror or exc}"
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
                self._flags = os.O_RDONLY
            except OSError as second:
                if second.errno not in _CANNOT_WRITE | {errno.ENOENT}:
                    raise StoreError(
                        f"cannot open {self.path}: {second.strerror or second}"
                    ) from None
                self._fd = None  # no lock to take: readers go without (see hold)
        if self._fd is not None:
            st = os.fstat(self._fd)
            self._identity = st.st_dev, st.st_ino

    def is_at(self, path: str) -> bool:
        """Whether the file this lock has open is (still) the one at ``path``."""
        if self._identity is None:
            return True
        try:
            st = os.stat(path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._identity

    # -- holding ---------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """A number a holder compares before committing: it changes in a forked child,
        where what the parent held is not held."""
        if self._pid != os.getpid():
            self._forked()
        return self._generation

    @contextmanager
    def hold(self, exclusive: bool, timeout: float) -> Iterator[bool]:
        """Hold the lock (``exclusive`` for a write), waiting at most ``timeout`` seconds.

        Yields whether the file is locked: False for a reader of a workspace
        whose lock file cannot be opened at all, who reads without it.  Raises
        :class:`ReadOnlyError` for a write to a workspace this process cannot
        write, :class:`LockTimeoutError` when the wait runs out.
        """
        if self._pid != os.getpid():
            self._forked()  # a fork the at-fork hook did not see (a fork from C)
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            raise LockTimeoutError(self._timeout_message(timeout, thread=True))
        generation = self._generation
        try:
            previous = self._mode
            if self._depth == 0 and self._fd is None:
                self._open()  # first use, or no lock file yet: a writer may have made one
            if exclusive and self.read_only is not None:
                raise ReadOnlyError(
                    f"the workspace {self.path.parent.parent} is read-only ({self.read_only}); "
                    "reading works, a change needs write access to its data directory"
                )
            if self._fd is not None and (self._depth == 0 or (exclusive and previous != EXCLUSIVE)):
                self._acquire(EXCLUSIVE if exclusive else SHARED, deadline, timeout)
            self._depth += 1
            try:
                yield self._fd is not None
            finally:
                # after a fork inside the hold (we are the child): the parent's lock is
                # the parent's to release, and this child's bookkeeping started afresh
                if self.generation == generation:
                    self._depth -= 1
                    if self._fd is not None and self._depth == 0:
                        self._release()
                    elif self._fd is not None and self._mode != previous:
                        self._downgrade(previous, timeout)
        finally:
            if self.generation == generation:
                self._thread_lock.release()

    def _acquire(self, mode: int, deadline: float, timeout: float) -> None:
        assert self._fd is not None
        try:
            fcntl.flock(self._fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            self._wait(mode, deadline, timeout)
        self._mode = mode
        if mode == EXCLUSIVE:
            self._say_holder()

    def _wait(self, mode: int, deadline: float, timeout: float) -> None:
        """Wait for the lock on a second descriptor (see :class:`_Waiter`), then keep it."""
        assert self._fd is not None
        previous = self._mode
        if previous:
            # an upgrade: the second descriptor would wait for our own shared lock.
            # flock's own upgrade drops the shared lock first too (it is not atomic)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._mode = 0
        waiter, self._waiter = self._waiter, None
        if waiter is None or waiter.mode != mode or not waiter.revive():
            try:
                waiter = _Waiter(self.path, self._flags, mode, self._waiters)
            except OSError as exc:  # the lock file removed meanwhile, say
                raise StoreError(f"cannot open {self.path}: {exc.strerror or exc}") from None
        fd = waiter.take(max(0.0, deadline - time.monotonic()))
        if fd is None:
            self._waiter = waiter  # still waiting: the next attempt takes it over
            if previous == SHARED:
                # an upgrade that timed out: the read around it keeps its shared lock
                # when it can have it back at once (else it goes on unlocked)
                with suppress(BlockingIOError):
                    fcntl.flock(self._fd, previous | fcntl.LOCK_NB)
                    self._mode = previous
            raise LockTimeoutError(self._timeout_message(timeout))
        os.close(self._fd)  # holds nothing now
        self._fd = fd

    def _release(self) -> None:
        assert self._fd is not None
        if self._mode == EXCLUSIVE:
            self._clear_holder()
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._mode = 0

    def _downgrade(self, mode: int, timeout: float) -> None:
        """Back to the shared lock of the read around a write that ended."""
        self._clear_holder()
        try:
            self._acquire(mode, time.monotonic() + timeout, timeout)
        except LockTimeoutError:
            # the write is done; the read around it goes on unlocked, as a read of
            # a workspace without a lock file does, rather than fail after the fact
            self._mode = 0

    # -- who holds it ------------------------------------------------------------------

    def _say_holder(self) -> None:
        """Write our pid and command into the lock file, for a timed-out waiter to show."""
        assert self._fd is not None
        with suppress(OSError):  # only ever a help for a message
            os.pwrite(self._fd, self._holder, 0)

    def _clear_holder(self) -> None:
        if self._fd is not None and self._flags == os.O_RDWR:
            with suppress(OSError):
                os.pwrite(self._fd, _FREE, 0)

    def holder(self) -> str | None:
        """The process holding the lock exclusively, as written in the lock file, if it
        is still alive ("process 123 (clientcard customers add ...)"); else None."""
        try:
            with open(self.path, "rb") as file:
                data = file.readline(_RECORD)
        except OSError:
            return None
        pid_text, tab, command = data.decode("utf-8", "replace").partition("\t")
        try:
            pid = int(pid_text)
        except ValueError:
            return None
        if not tab or pid <= 0:
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None  # died without clearing it (killed): not who holds it now
        except PermissionError:
            pass  # alive, someone else's
        command = command.strip()
        return f"process {pid} ({command})" if command else f"process {pid}"

    def _timeout_message(self, timeout: float, *, thread: bool = False) -> str:
        if thread:
            who = f"another thread of this process ({os.getpid()})"
        else:
            who = self.holder() or "another process"
        return (
            f"the workspace lock {self.path} was held by {who} for more than {timeout:g} s; "
            "if that process hangs, stop it, or wait longer with [storage] lock_timeout"
        )

    # -- fork and close ------------------------------------------------------------------

    def _forked(self) -> None:
        """In a child process: start afresh, holding nothing, on a descriptor of its own.

        Closing the inherited descriptor releases nothing of the parent's (its own
        descriptor still refers to the lock), whereas unlocking it would.
        """
        if self._fd is not None:
            with suppress(OSError):
                os.close(self._fd)
        for waiter in list(self._waiters):
            with suppress(OSError):
                os.close(waiter.fd)
        self._waiters = set()
        self._fd = self._identity = self._waiter = None
        self.read_only = self.writer = None
        self._depth = self._mode = 0
        self._thread_lock = threading.RLock()
        self._pid = os.getpid()
        self._holder = _holder_line()
        self._generation += 1

    def close(self) -> None:
        """One store is done with the lock; the last one closes the file."""
        with _registry.guard:
            self.users -= 1
            if self.users > 0:
                return
            key = str(self.path)
            if _registry.locks.get(key) is self:
                del _registry.locks[key]
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = self._identity = None
                self._mode = 0


class _Registry:
    """Every workspace lock of this process, by the real path of its file.

    The one piece of process-wide state in clientcard, and on purpose: the lock
    it stands for (an ``flock``) is the process's, not a Workspace's, so two
    Workspace objects on one directory must share one (see :class:`WorkspaceLock`).
    Weak values: a lock lives as long as a store uses it.  Reset in a forked child.
    """

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.locks: weakref.WeakValueDictionary[str, WorkspaceLock] = weakref.WeakValueDictionary()

    def after_fork_in_child(self) -> None:
        self.guard = threading.Lock()  # another thread may have held it at the fork
        for lock in list(self.locks.values()):
            lock._forked()


_registry = _Registry()
os.register_at_fork(after_in_child=_registry.after_fork_in_child)


def lock_for(path: Path) -> WorkspaceLock:
    """The process's lock on ``path``, shared with every store already using it."""
    key = os.path.realpath(path)
    with _registry.guard:
        lock = _registry.locks.get(key)
        if lock is None or not lock.is_at(key):
            # (a directory deleted and made anew under the same name is another lock)
            lock = _registry.locks[key] = WorkspaceLock(Path(key))
        lock.users += 1
        return lock
