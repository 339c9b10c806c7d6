"""Text as it enters a workspace (issue 15, E and I): what is not Unicode is refused in
one line naming the field; the rest is kept composed (NFC), so two encodings of one
accented letter are one external id, one tag, one choice."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from clientcard import DuplicateError, Selection, ValidationError, Workspace
from clientcard.customers.tags import TAGS
from clientcard.transfer.bookings_import import ImportRowsError
from conftest import RunCLI
from test_cli_customers import assert_user_error

CLIENTCARD = Path(sys.executable).parent / "clientcard"
NFC = "Café"
NFD = unicodedata.normalize("NFD", NFC)
UNICODE = "expected valid Unicode text"


def test_the_two_spellings_differ() -> None:
    assert NFC != NFD and unicodedata.normalize("NFC", NFD) == NFC


# -- E: text that is not Unicode ---------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "call"),
    [
        ("name", lambda ws: ws.add_customer("\ud800")),
        ("name", lambda ws: ws.add_customer("Ann\udcff Lee")),
        ("external_id", lambda ws: ws.add_customer("Ann", external_id="x\ud800")),
        ("tags", lambda ws: ws.add_customer("Ann", tags=["vip", "\udcff"])),
        ("nickname", lambda ws: ws.add_customer("Ann", fields={"nickname": "\ud800"})),
        ("level", lambda ws: ws.add_customer("Ann", fields={"level": ["\ud800"]})),
    ],
)
def test_a_lone_surrogate_through_the_api_is_refused_naming_the_field(
    workspace: Workspace, where: str, call: Any
) -> None:
    workspace.add_field("nickname", type="text")
    workspace.add_field("level", type="multi-choice", choices=["gold", "silver"])
    with pytest.raises(ValidationError, match=f"^{where}: .* is not valid; {UNICODE}") as info:
        call(workspace)
    assert info.value.field == where
    assert "\n" not in str(info.value)
    assert workspace.count_customers() == 0


def test_lone_surrogates_in_a_card_s_text_are_refused(workspace: Workspace, tmp_path: Path) -> None:
    ann = workspace.add_customer("Ann").id
    bo = workspace.add_customer("Bo").id
    paper = tmp_path / "paper.txt"
    paper.write_bytes(b"hello")
    attempts = [
        ("text", lambda: workspace.add_note(ann, "call \ud800 back")),
        ("note", lambda: workspace.link_customers(ann, bo, "family", note="\udcff")),
        ("note", lambda: workspace.add_referral(ann, bo, note="\udcff")),
        ("name", lambda: workspace.attach_document(ann, paper, name="\udcff.txt")),
        ("tags", lambda: workspace.add_tags(["\ud800"], [ann])),
        ("label", lambda: workspace.add_field("shoe", type="text", label="\ud800")),
        ("workspace.locale", lambda: workspace.set_setting("workspace.locale", "\udcff")),
        ("reason", lambda: workspace.set_status([ann], "loyal", reason="\udcff")),
        ("status", lambda: workspace.set_status([ann], "\udcff")),
    ]
    for field, attempt in attempts:
        with pytest.raises(ValidationError, match=f"^{field}: .*{UNICODE}"):
            attempt()
    assert workspace.documents(ann) == [] and workspace.activity("note", ann) == []
    assert workspace.relationships(ann) == [] and workspace.get_customer(ann).tags == ()


def test_non_utf8_bytes_in_a_cli_argument_are_one_line(
    workspace: Workspace, tmp_path: Path
) -> None:
    # as a shell passes $'\xff': bytes, which Python gives click as a lone surrogate
    env = {**os.environ, "CLIENTCARD_WORKSPACE": str(workspace.path), "LC_ALL": "C.UTF-8"}
    result = subprocess.run(
        [str(CLIENTCARD), "customers", "add", "--name", b"\xff"],  # type: ignore[list-item]
        env=env,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.decode("utf-8", "replace").splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    assert lines[0].startswith("error: name: ") and UNICODE in lines[0]
    assert workspace.count_customers() == 0


@pytest.mark.parametrize(
    "args",
    [
        ("customers", "add", "--name", "\udcff"),
        ("customers", "add", "--name", "Ann", "--tag", "\udcff"),
        ("customers", "add", "--name", "Ann", "--external-id", "a\udcffb"),
    ],
)
def test_surrogates_from_the_cli_are_refused_in_one_line(
    run: RunCLI, workspace: Workspace, args: tuple[str, ...]
) -> None:
    assert_user_error(run(*args), UNICODE)
    assert workspace.count_customers() == 0


def test_a_document_s_own_file_name_that_is_not_utf8_is_kept_readable(
    workspace: Workspace, tmp_path: Path
) -> None:
    ann = workspace.add_customer("Ann").id
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.txt"))
    try:
        odd.write_bytes(b"menu")
    except (OSError, UnicodeEncodeError):
        pytest.skip("the file system takes no such name")
    doc = workspace.attach_document(ann, odd)
    assert doc["name"] == "caf\ufffd.txt" and doc["size"] == 4


# -- I: one composed form --------------------------------------------------------------


def test_an_external_id_in_two_spellings_is_one_id(workspace: Workspace, run: RunCLI) -> None:
    first = workspace.add_customer("Ann", external_id=NFC)
    assert first.external_id == NFC
    with pytest.raises(DuplicateError, match="already belongs to customer 1"):
        workspace.add_customer("Bo", external_id=NFD)
    second = workspace.add_customer("Bo", external_id=NFD + "2")
    assert second.external_id == NFC + "2"  # stored composed
    assert [c.id for c in workspace.find_customers(external_id=NFD)] == [first.id]
    listed = run("customers", "list", "--where", f"external_id = {NFC}", "--count")
    assert listed.stdout.strip() == "1"


def test_a_tag_in_two_spellings_is_one_tag(workspace: Workspace) -> None:
    ann = workspace.add_customer("Ann", tags=[NFC, NFD, "café"])
    assert ann.tags == (NFC,)
    bo = workspace.add_customer("Bo", tags=[NFD])
    assert bo.tags == (NFC,)  # as first spelt
    assert workspace.tags() == [(NFC, 2)]
    assert workspace.count_customers(Selection(tags=(NFD,))) == 2


def test_a_choice_typed_in_the_other_spelling_is_the_choice(workspace: Workspace) -> None:
    workspace.add_field("place", type="choice", choices=[NFD, "Bar"])
    assert workspace.field("place").choices == (NFC, "Bar")
    ann = workspace.add_customer("Ann", fields={"place": NFD})
    assert ann.fields["place"] == NFC


def _plant(ws: Workspace, id: int, **values: Any) -> None:
    """Write values into a stored customer as a version before NFC on entry kept them."""
    with ws.ctx.write() as session:
        table = session.table("customers")
        table.put({**table.get(id), **values})


def test_values_stored_decomposed_before_compare_composed(workspace: Workspace) -> None:
    old = workspace.add_customer("Old").id
    _plant(workspace, old, external_id=NFD, tags=[NFD])
    with workspace.ctx.write() as session:  # the tag's first spelling, as then stored
        table = session.table(TAGS)
        table.put({"id": table.new_id(), "key": NFD.casefold(), "name": NFD})
    with pytest.raises(DuplicateError, match=f"already belongs to customer {old}"):
        workspace.add_customer("New", external_id=NFC)
    assert [c.id for c in workspace.find_customers(external_id=NFC)] == [old]
    new = workspace.add_customer("New", tags=[NFC])
    assert new.tags == (NFD,)  # the spelling first used, not a second tag
    assert workspace.add_tags([NFC], [old]) == 0  # it has the tag already
    assert workspace.tags() == [(NFD, 2)]


def test_a_booking_external_id_in_two_spellings_is_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    ann = workspace.add_customer("Ann", external_id="C1").id
    first = workspace.record_booking(ann, "2025-03-01", external_id=NFD)
    assert first["external_id"] == NFC
    with pytest.raises(DuplicateError, match="is already recorded"):
        workspace.record_booking(ann, "2025-03-02", external_id=NFC)
    path = tmp_path / "bookings.csv"
    path.write_text(f"customer,date,external_id\nC1,2025-03-03,{NFD}\n", encoding="utf-8")
    with pytest.raises(ImportRowsError, match="already recorded"):
        workspace.import_bookings(path)
    assert len(workspace.activity("booking")) == 1


def test_bookings_find_what_was_stored_decomposed(workspace: Workspace, tmp_path: Path) -> None:
    old = workspace.add_customer("Old").id
    _plant(workspace, old, external_id=NFD)
    workspace.record_booking(old, "2025-03-01", external_id="B1")
    with workspace.ctx.write() as session:  # a booking id as an older version kept it
        table = session.table("bookings")
        table.put({**table.get(1), "external_id": "B" + NFD})
    with pytest.raises(DuplicateError, match="is already recorded"):
        workspace.record_booking(old, "2025-03-02", external_id="B" + NFC)
    path = tmp_path / "bookings.csv"
    path.write_text(f"customer,date\n{NFC},2025-03-03\n", encoding="utf-8")
    assert workspace.import_bookings(path).bookings == 1
    assert [b["customer_id"] for b in workspace.activity("booking")] == [old, old]
