"""Tables at 80 columns: ids, e-mails and phones are never cut, free text wraps,
low-priority columns make way (and a note says so), COLUMNS rules piped output,
and phones look the same in the list and on the card."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clientcard import Workspace
from clientcard.cli.output import Whole, print_table
from conftest import RunCLI

EMAIL = "antonietta.lombardi@studio-legale-esempio.it"
PHONE = "+39 333 111 2222"  # the readable international form of +393331112222
NAME = "Maria Antonietta Lombardi Castiglioni della Valle"


@pytest.fixture
def long_one(workspace: Workspace) -> int:
    return workspace.add_customer(
        NAME, email=EMAIL, phone="333 111 2222", tags=["wedding guest", "newsletter"]
    ).id


def test_at_80_columns_the_list_shows_whole_emails_and_phones(
    run: RunCLI, long_one: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = run("customers", "list")
    assert result.exit_code == 0, result.stderr
    assert EMAIL in result.stdout and PHONE in result.stdout
    assert "…" not in result.stdout
    assert all(len(line.rstrip()) <= 80 for line in result.stdout.splitlines())
    # the name wraps, every word of it still there
    for word in NAME.split():
        assert word in result.stdout
    # the columns left out to make room are named, on stderr
    assert "note: left out the column(s)" in result.stderr and "tags" in result.stderr


def test_a_wide_enough_table_leaves_nothing_out(
    run: RunCLI, long_one: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    result = run("customers", "list")
    assert "wedding guest, newsletter" in result.stdout and NAME in result.stdout
    assert result.stderr == ""


def test_piped_without_columns_nothing_is_cut(run: RunCLI, long_one: int) -> None:
    # CliRunner's output is not a terminal: no assumed 80 columns
    result = run("customers", "list")
    line = next(line for line in result.stdout.splitlines() if EMAIL in line)
    assert NAME in line and PHONE in line and "wedding guest, newsletter" in line
    assert result.stderr == ""


def test_phones_look_the_same_in_the_list_and_on_the_card(
    run: RunCLI, long_one: int, workspace: Workspace
) -> None:
    assert PHONE in run("customers", "list").stdout
    assert PHONE in run("customers", "show", str(long_one)).stdout
    # machine formats keep E.164
    listed = json.loads(run("customers", "list", "--format", "json").stdout)
    assert listed[0]["phone"] == "+393331112222"
    csv = run("customers", "list", "--format", "csv").stdout
    assert "+393331112222" in csv and PHONE not in csv


def test_the_card_keeps_phones_and_emails_whole_when_narrow(
    run: RunCLI, long_one: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    card = run("customers", "show", str(long_one)).stdout
    assert PHONE in card and EMAIL in card
    assert "…" not in card


def test_the_plugins_table_shows_full_plugin_names(
    run: RunCLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [p["name"] for p in json.loads(run("plugins", "--format", "json").stdout)]
    monkeypatch.setenv("COLUMNS", "80")
    table = run("plugins")
    assert table.exit_code == 0, table.stderr
    assert "…" not in table.stdout
    shown = {line.split()[0] for line in table.stdout.splitlines() if line.strip()}
    for name in names:
        assert name in shown, name


def test_print_table_never_cuts_and_drops_in_the_order_given(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    print_table(
        ("id", "who", "phone", "extra", "more"),
        [(1, "a few words of free text", Whole("+39 06 1234 5678"), "x" * 12, "y" * 12)],
        drop=("more", "extra"),
    )
    out, err = capsys.readouterr()
    assert "+39 06 1234 5678" in out and "…" not in out
    assert "yyyy" not in out and "xxxx" not in out
    assert "more, extra" not in err and "extra, more" in err  # named in column order
    for word in ["a", "few", "words", "of", "free", "text"]:
        assert word in out
    assert all(len(line.rstrip()) <= 30 for line in out.splitlines())


def test_columns_in_the_environment_rule_piped_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = " ".join(["word"] * 30)
    monkeypatch.delenv("COLUMNS", raising=False)
    print_table(("n", "text"), [(1, text)])
    assert text in capsys.readouterr().out  # one line: not cut to 80
    monkeypatch.setenv("COLUMNS", "40")
    print_table(("n", "text"), [(1, text)])
    out = capsys.readouterr().out
    assert text not in out and out.count("word") == 30
    assert all(len(line.rstrip()) <= 40 for line in out.splitlines())


def test_an_email_wider_than_the_room_left_is_still_whole(
    run: RunCLI, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = "maria.antonietta.lombardi-castiglioni@studio-legale-associato-esempio.it"
    workspace.add_customer("Maria", email=email, phone="333 111 2222")
    monkeypatch.setenv("COLUMNS", "80")
    result = run("customers", "list")
    # the line is longer than 80 (the terminal wraps it), but nothing is cut
    assert email in result.stdout and PHONE in result.stdout and "…" not in result.stdout


def in_terminal(args: list[str], columns: int, cwd: Path) -> str:
    """What ``clientcard ARGS`` shows in a terminal ``columns`` wide (a pseudo-terminal;
    COLUMNS unset, so the width comes from the terminal as it would for a person)."""
    import fcntl
    import struct
    import termios

    main, side = os.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    with subprocess.Popen(
        [sys.executable, "-m", "clientcard", *args],
        stdin=subprocess.DEVNULL,
        stdout=side,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env={**env, "TERM": "dumb", "NO_COLOR": "1"},
    ) as process:
        os.close(side)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait()
    os.close(main)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode()).replace("\r", "")


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX pseudo-terminal")
def test_in_an_80_column_terminal_nothing_is_cut(workspace: Workspace) -> None:
    workspace.add_customer(NAME, email=EMAIL, phone="333 111 2222")
    listed = in_terminal(["customers", "list"], 80, workspace.path)
    assert EMAIL in listed and PHONE in listed and "…" not in listed
    plugins = in_terminal(["plugins", "--format", "json"], 80, workspace.path)
    names = [p["name"] for p in json.loads(plugins)]
    table = in_terminal(["plugins"], 80, workspace.path)
    assert "…" not in table
    assert all(len(line.rstrip()) <= 80 for line in table.splitlines())
    shown = {line.split()[0] for line in table.splitlines() if line.strip()}
    for name in names:
        assert name in shown, name
