"""The workspace lock across fork(), on read-only media, behind a hung holder, and shared
by two Workspace objects of one process (issue 15: A, B, F, G).

- A: a Workspace opened before fork() (gunicorn --preload, multiprocessing's fork
  start method) is used by the children: each child locks on its own descriptor,
  so no acknowledged write is lost and the journal stays sound.
- B: a workspace that can only be read (a read-only mount, a lock file this user
  cannot write, no lock file and none can be made) is read; a change is refused
  in one line naming what cannot be written.
- F: a holder that hangs makes the others give up after ``[storage] lock_timeout``
  with one line naming it (pid and command), instead of waiting forever.
- G: a second Workspace on the same directory reads inside the first's batch()
  (committed state) instead of waiting for itself forever, and cannot write there.

No test sleeps to measure time: timeouts are tiny settings (0.2 s) and a real
second process holds the lock until the test closes a pipe.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clientcard import LockTimeoutError, ReadOnlyError, StoreError, Workspace
from clientcard.plugins.storage import lock as lock_module
from conftest import RunCLI, make_runner

#: how long a test waits for something that, before the fix, never happened
HANG = 60


def journal_sound(data: Path) -> int:
    """Every journal line is whole and its checksum right; returns how many there are."""
    raw = (data / "journal").read_bytes()
    assert raw.endswith(b"\n")
    lines = raw[:-1].split(b"\n")
    for line in lines:
        body, tab, crc = line.rpartition(b"\t")
        assert tab and format(zlib.crc32(body), "08x").encode() == crc, line[:200]
    return len(lines)


def in_thread(work: Callable[[], object]) -> object:
    """Run ``work`` in a thread and return what it returns (or raise what it raises);
    fails, rather than hangs, when it never returns (a deadlock before the fix)."""
    result: list[object] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:
            error.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), "deadlocked"
    if error:
        raise error[0]
    return result[0]


# -- A: fork ------------------------------------------------------------------------------

FORKED_CHILDREN = 3
PER_CHILD = 300


def test_forked_children_lock_on_their_own_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.init(path).close()
    ws = Workspace.open(path)
    first = ws.add_customer("parent")  # the store and its lock are open before the fork
    acks_r, acks_w = os.pipe()
    go_r, go_w = os.pipe()
    children = []
    for child in range(FORKED_CHILDREN):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            code = 0
            try:
                os.close(acks_r)
                os.close(go_w)
                os.read(go_r, 1)  # all start together: the most contention
                for i in range(PER_CHILD):
                    name = f"c{child}-{i}"
                    os.write(acks_w, f"{ws.add_customer(name).id} {name}\n".encode())
            except BaseException as exc:
                os.write(2, f"child {child}: {exc!r}\n".encode())
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    os.close(acks_w)
    os.close(go_r)
    os.close(go_w)  # go
    with os.fdopen(acks_r, "rb") as acks:
        acked = [line.decode().split() for line in acks]
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    assert codes == [0] * FORKED_CHILDREN
    assert len(acked) == FORKED_CHILDREN * PER_CHILD
    ids = [int(id) for id, _ in acked]
    assert len(set(ids)) == len(ids) and first.id not in ids

    # the parent's own workspace object sees every child's write, and goes on writing
    assert ws.count_customers() == 1 + len(acked)
    assert ws.add_customer("after").id == max(ids) + 1
    ws.close()
    with Workspace.open(path) as fresh:
        names = {c.id: c.name for c in fresh.customers()}
    assert names == {first.id: "parent", **{int(id): n for id, n in acked}, max(ids) + 1: "after"}
    assert journal_sound(path / "data") >= 1


def test_a_child_forked_inside_a_write_cannot_commit_it(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.init(path).close()
    ws = Workspace.open(path)
    ws.add_customer("before")
    report_r, report_w = os.pipe()
    pid = -1
    try:
        with ws.batch():
            ws.add_customer("in the batch")
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child goes on as the parent would
                ws.add_customer("child")
        said = b"committed"
    except StoreError as exc:
        said = str(exc).encode()
    finally:
        if pid == 0:  # pragma: no cover - never back into pytest from the child
            os.write(report_w, locals().get("said", b"failed"))
            os._exit(0)
    os.close(report_w)
    assert said == b"committed"  # the parent's write is the parent's
    with os.fdopen(report_r, "rb") as report:
        child_said = report.read().decode()
    os.waitpid(pid, 0)
    assert "forked inside a write" in child_said and "Workspace.open" in child_said
    assert [c.name for c in ws.customers()] == ["before", "in the batch"]
    ws.close()


# -- B: read-only workspaces ------------------------------------------------------------


@pytest.fixture
def ro_workspace(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.add_customer("Ana")
        ws.add_customer("Bruno")
    return path


def refuse_opening(
    monkeypatch: pytest.MonkeyPatch, lock: Path, *, write: int, read: int | None = None
) -> None:
    """Opening ``lock`` for writing fails with errno ``write`` (for reading with ``read``):
    what a read-only mount or another user's file does, which root does not feel."""
    real_open = os.open

    def fake_open(file: object, flags: int, *args: object, **kwargs: object) -> int:
        if os.fspath(file) == str(lock):  # type: ignore[call-overload]
            writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            code = write if writing else read
            if code is not None:
                raise OSError(code, os.strerror(code), str(lock))
        return real_open(file, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", fake_open)


def test_a_lock_file_that_cannot_be_written_is_locked_shared_for_reading(
    ro_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = ro_workspace / "data" / "lock"
    refuse_opening(monkeypatch, lock, write=errno.EACCES)
    with Workspace.open(ro_workspace) as ws:
        with ws.ctx.read():
            # held shared through a read-only descriptor: writers elsewhere wait
            probe = os.open(lock, os.O_RDONLY)
            try:
                with pytest.raises(BlockingIOError):
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
            finally:
                os.close(probe)
        assert [c.name for c in ws.customers()] == ["Ana", "Bruno"]
        with pytest.raises(ReadOnlyError) as refused:
            ws.add_customer("Carla")
        assert f"cannot write {lock}: Permission denied" in str(refused.value)
        assert "read-only" in str(refused.value) and "\n" not in str(refused.value)
        assert ws.count_customers() == 2


def test_without_a_lock_file_reads_go_unlocked_and_writes_are_refused(
    ro_workspace: Path, monkeypatch: pytest.MonkeyPatch, run_in: Callable[[Path], RunCLI]
) -> None:
    lock = ro_workspace / "data" / "lock"
    lock.unlink()  # a copy made without it, on media that cannot take a new one
    refuse_opening(monkeypatch, lock, write=errno.EROFS)
    run = run_in(ro_workspace)
    listed = run("customers", "list", "--count")
    assert (listed.exit_code, listed.stdout.strip()) == (0, "2")
    added = run("customers", "add", "--name", "Carla")
    assert added.exit_code == 1
    assert added.stderr.count("\n") == 1 and "Traceback" not in added.output
    assert f"cannot write {lock}: Read-only file system" in added.stderr
    assert not lock.exists()


def test_an_unlocked_read_that_a_writer_changes_is_refused(
    ro_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = ro_workspace / "data" / "lock"
    lock.unlink()
    refuse_opening(monkeypatch, lock, write=errno.EROFS)
    with Workspace.open(ro_workspace) as ws:
        assert ws.count_customers() == 2
        changed = "changed while it was read without its lock"
        with pytest.raises(StoreError, match=changed), ws.ctx.read():
            # another process, which can write, adds a customer meanwhile
            cli = [sys.executable, "-m", "clientcard", "-w", str(ro_workspace)]
            writer = subprocess.run(
                [*cli, "customers", "add", "--name", "Carla"], capture_output=True, text=True
            )
            assert writer.returncode == 0, writer.stderr
        assert ws.count_customers() == 3  # the next read sees it whole


def can_mount_read_only() -> bool:
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not can_mount_read_only(), reason="needs unshare -m (a private mount)")
def test_a_workspace_on_a_read_only_mount_is_read_and_refuses_changes(ro_workspace: Path) -> None:
    """The real thing: the workspace bind-mounted read-only in a private mount namespace."""
    cli = f"{sys.executable} -m clientcard -w {ro_workspace}"
    script = textwrap.dedent(
        f"""
        mount --bind {ro_workspace} {ro_workspace} || exit 99
        mount -o remount,bind,ro {ro_workspace} || exit 99
        {cli} customers list --count; echo "list: $?"
        {cli} customers show 2 --format json >/dev/null; echo "show: $?"
        {cli} customers add --name Carla; echo "add: $?"
        """
    )
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    if done.returncode == 99:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert done.stdout.splitlines() == ["2", "list: 0", "show: 0", "add: 1"], done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"the workspace {ro_workspace.resolve()} is read-only" in done.stderr
    assert f"cannot write {(ro_workspace / 'data' / 'lock').resolve()}" in done.stderr
    with Workspace.open(ro_workspace) as ws:
        assert ws.count_customers() == 2


# -- F: a hung holder ---------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys
    from clientcard import Workspace

    ws = Workspace.open(sys.argv[1])
    with (ws.batch() if sys.argv[2] == "write" else ws.ctx.read()):
        if sys.argv[2] == "write":
            ws.add_customer("held")
        print("holding", flush=True)
        sys.stdin.read()  # until the test closes the pipe: a holder that hangs
    ws.close()
    """
)


@pytest.fixture
def quick(tmp_path: Path) -> Path:
    """A workspace that waits 0.2 s for its lock."""
    path = tmp_path / "ws"
    with Workspace.init(path, settings={"storage.lock_timeout": 0.2}) as ws:
        ws.add_customer("Ana")
    return path


@pytest.fixture
def holding(tmp_path: Path) -> Iterator[Callable[[Path, str], subprocess.Popen[str]]]:
    """``holding(path, "write" | "read")``: a second process holding the workspace's lock
    until the test ends."""
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    started: list[subprocess.Popen[str]] = []

    def start(path: Path, kind: str) -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, str(script), str(path), kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(holder)
        assert holder.stdout is not None
        assert holder.stdout.readline() == "holding\n", holder.communicate()[1]
        return holder

    yield start
    for holder in started:
        if holder.poll() is None:
            holder.kill()
        holder.wait()
        for pipe in (holder.stdin, holder.stdout, holder.stderr):
            if pipe is not None:
                pipe.close()


def test_a_hung_writer_is_named_and_waited_for_no_longer_than_the_timeout(
    quick: Path,
    holding: Callable[[Path, str], subprocess.Popen[str]],
    run_in: Callable[[Path], RunCLI],
) -> None:
    holder = holding(quick, "write")
    named = f"process {holder.pid} (holder.py {quick} write)"
    with Workspace.open(quick) as ws:
        with pytest.raises(LockTimeoutError) as timed_out:
            ws.add_customer("Bruno")
        assert named in str(timed_out.value)
        assert "more than 0.2 s" in str(timed_out.value)
        assert "[storage] lock_timeout" in str(timed_out.value)
        with pytest.raises(LockTimeoutError, match=named.replace("(", r"\(").replace(")", r"\)")):
            ws.count_customers()  # readers too: the writer holds it exclusively
        listed = run_in(quick)("customers", "list")
        assert listed.exit_code == 1 and "Traceback" not in listed.output
        assert listed.stderr.count("\n") == 1 and named in listed.stderr

        assert holder.stdin is not None
        holder.stdin.close()  # the holder finishes: the same workspace goes on
        assert holder.wait(HANG) == 0
        assert ws.add_customer("Bruno").id == 3
        assert [c.name for c in ws.customers()] == ["Ana", "held", "Bruno"]


def test_a_reader_holding_the_lock_is_another_process_and_a_dead_holder_is_not_named(
    quick: Path, holding: Callable[[Path, str], subprocess.Popen[str]]
) -> None:
    lock = quick / "data" / "lock"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    lock.write_text(f"{int(dead.stdout)}\tkilled while writing\n")  # left by a SIGKILL
    holder = holding(quick, "read")
    with Workspace.open(quick) as ws:
        assert ws.count_customers() == 1  # readers share it
        with pytest.raises(LockTimeoutError) as timed_out:
            ws.add_customer("Bruno")
        assert "held by another process for more than 0.2 s" in str(timed_out.value)
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(HANG) == 0
        ws.add_customer("Bruno")
    # a writer that finished leaves no name behind
    assert lock_module.lock_for(lock).holder() is None and not lock.read_text().strip()


def test_a_thread_holding_the_lock_is_named_as_this_processs(quick: Path) -> None:
    entered, leave = threading.Event(), threading.Event()
    with Workspace.open(quick) as ws:

        def hold() -> None:
            with ws.batch():
                entered.set()
                leave.wait(HANG)

        thread = threading.Thread(target=hold, daemon=True)
        thread.start()
        assert entered.wait(HANG)
        try:
            with pytest.raises(LockTimeoutError, match="another thread of this process"):
                ws.count_customers()
        finally:
            leave.set()
            thread.join(HANG)
        assert ws.count_customers() == 1


def when_waiting(then: Callable[[], None]) -> threading.Thread:
    """Call ``then`` once this process waits for the workspace lock (its wait thread runs)."""

    def watch() -> None:
        seen = threading.Event()
        while not any(t.name == "clientcard-lock-wait" for t in threading.enumerate()):
            seen.wait(0.005)  # a condition to wait for, not a time to measure
        then()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def test_a_write_inside_a_read_waits_for_another_reader_then_goes_on(
    tmp_path: Path, holding: Callable[[Path, str], subprocess.Popen[str]]
) -> None:
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.add_customer("Ana")
    holder = holding(path, "read")
    assert holder.stdin is not None
    watcher = when_waiting(holder.stdin.close)  # the reader finishes while we wait
    with Workspace.open(path) as ws:
        with ws.ctx.read():
            # shared -> exclusive while the other process reads: the kernel hands the
            # lock over when it lets go, on the wait's own descriptor
            assert ws.add_customer("Bruno").id == 2
            assert ws.count_customers() == 2  # the read goes on, shared again
        watcher.join(HANG)
        assert holder.wait(HANG) == 0
        assert ws.add_customer("Carla").id == 3


def test_an_upgrade_that_times_out_leaves_the_read_around_it_working(
    quick: Path, holding: Callable[[Path, str], subprocess.Popen[str]]
) -> None:
    holder = holding(quick, "read")
    with Workspace.open(quick) as ws:
        with ws.ctx.read():
            with pytest.raises(LockTimeoutError):
                ws.add_customer("Bruno")
            assert ws.count_customers() == 1
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(HANG) == 0
        # the wait abandoned at the timeout is taken over, or let go: nothing stays held
        assert ws.add_customer("Bruno").id == 2
    with Workspace.open(quick) as again:
        assert again.add_customer("Carla").id == 3


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_lock_timeout_is_a_number_of_seconds(workspace: Workspace, value: str) -> None:
    with pytest.raises(Exception, match=r"lock_timeout .* expected a number of seconds"):
        workspace.set_setting("storage.lock_timeout", value)
    workspace.set_setting("storage.lock_timeout", "0.5")
    assert workspace.get_setting("storage.lock_timeout") == 0.5


# -- G: two Workspace objects on one directory -----------------------------------------


def test_a_second_workspace_reads_committed_state_inside_the_firsts_batch(
    workspace: Workspace,
) -> None:
    workspace.add_customer("Ana")
    second = Workspace.open(workspace.path)

    def read_inside() -> tuple[int, list[str]]:
        with workspace.batch():
            workspace.add_customer("Bruno")
            return second.count_customers(), [c.name for c in second.customers()]

    assert in_thread(read_inside) == (1, ["Ana"])  # what is committed, not the batch
    assert [c.name for c in second.customers()] == ["Ana", "Bruno"]
    second.close()
    assert workspace.count_customers() == 2  # closing one leaves the other's lock open


def test_a_second_workspace_cannot_write_inside_the_firsts_batch(workspace: Workspace) -> None:
    second = Workspace.open(workspace.path)

    def write_inside() -> None:
        with workspace.batch():
            workspace.add_customer("Ana")
            with pytest.raises(StoreError, match=r"a second Workspace on .* same thread"):
                second.add_customer("Bruno")

    in_thread(write_inside)
    assert [c.name for c in second.customers()] == ["Ana"]
    assert second.add_customer("Bruno").id == 2
    second.close()


def test_workspaces_on_one_directory_share_one_lock_until_it_is_made_anew(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace.init(path).close()
    first, second = Workspace.open(path), Workspace.open(tmp_path / "." / "ws")
    first.count_customers()
    second.count_customers()
    assert first.ctx.store.lock is second.ctx.store.lock  # type: ignore[attr-defined]
    first.close()
    second.close()
    # a directory removed and made again under the same name is another lock
    kept = Workspace.open(path)
    kept.count_customers()
    shutil.rmtree(path)
    Workspace.init(path).close()
    again = Workspace.open(path)
    again.count_customers()
    assert again.ctx.store.lock is not kept.ctx.store.lock  # type: ignore[attr-defined]
    again.close()
    kept.close()
    assert lock_module.lock_for(path / "data" / "lock").users == 1


@pytest.fixture
def run_in() -> Callable[[Path], RunCLI]:
    """``run_in(path)("customers", "list")``: the CLI (in this process) on workspace ``path``."""

    def runner(path: Path) -> RunCLI:
        def invoke(*args: str, input: str | None = None) -> object:
            return make_runner()("-w", str(path), *args, input=input)

        return invoke  # type: ignore[return-value]

    return runner
