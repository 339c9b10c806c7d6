"""The Workspace's public API, pinned: hosts and vendors call these names.

The facade is assembled from services (docs/architecture.md); what a host
sees must not change when the inside does.  A method may gain keyword
arguments with defaults; any other change to this list is a break.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from clientcard import Workspace

ROOT = Path(__file__).parent.parent

#: name -> its parameters (``*name`` keyword-only, ``=default``), or "property"
PUBLIC = {
    "action_kinds": "names=()",
    "actions": "*as_of=None, *kinds=()",
    "activity": "kind, customer_id=None",
    "add_customer": "name, *email=None, *phone=None, *external_id=None, *joined_at=None, "
    "*tags=(), *fields=None",
    "add_customers": "rows",
    "add_field": "key, *type=None, *label=None, *required=False, *choices=(), *help='', "
    "*forms=(), *options=None, *preset=None",
    "add_note": "customer_id, text, *author=None, *pinned=False",
    "add_referral": "referrer_id, customer_id, *note=None",
    "add_tags": "tags, selection",
    "attach_document": "customer_id, path, *name=None, *type=None, *note=None",
    "backup": "path",
    "batch": "",
    "calendar": "field=None",
    "card": "customer_id, *as_of=None",
    "check": "repair=False",
    "classify": "*as_of=None, *dry_run=False",
    "close": "",
    "count_customers": "selection=None",
    "customers": "selection=None, *sort=None, *limit=None, *offset=0",
    "customers_json": "selection=None, *sort=None, *limit=None, *offset=0",
    "delete_customers": "ids",
    "delete_document": "document_id",
    "delete_segment": "name",
    "delete_selected": "selection",
    "detect_duplicates": "min_score=None",
    "documents": "customer_id",
    "edit_field": "key, *label=None, *type=None, *required=None, *choices=None, *help=None, "
    "*forms=None, *options=None",
    "explain": "id, *as_of=None",
    "export": "format, path, selection=None, *fields=None, *keys=False, *sort=None",
    "field": "key",
    "field_presets": "",
    "field_types": "",
    "fields": "",
    "find_customers": "*external_id=None, *email=None, *phone=None",
    "find_duplicates": "min_score=None",
    "form": "name",
    "form_names": "",
    "form_schema": "name",
    "forms": "",
    "get_customer": "id",
    "get_setting": "key",
    "import_bookings": "path, *match='external-id', *create_missing=False, *encoding=None, "
    "*date_format=None, *dry_run=False",
    "import_customers": "path, *format=None, *mapping=None, *ignore_unknown=False, "
    "*skip_invalid=False, *update_existing=False, *match=None, *reject_duplicates=False, "
    "*encoding=None, *date_format=None, *dry_run=False, *progress=None",
    "init": "path, *settings=None, *plugins=()",
    "link_customers": "customer_id, other_id, kind, *note=None",
    "merge": "ids, *strategy=None, *into=None, *dry_run=False",
    "merge_details": "merge_id",
    "merge_strategy": "name=None",
    "merged_into": "id",
    "merges": "",
    "open": "path=None, *plugins=(), *strict=True",
    "preview": "",
    "read_date": "text, *name='date', *field=None",
    "record": "kind, customer_id, values=None, **more",
    "record_booking": "customer_id, date, **values",
    "record_many": "kind, rows",
    "record_marketing_event": "customer_id, campaign, **values",
    "record_message": "customer_id, **values",
    "record_payment": "customer_id, amount, **values",
    "referrals": "customer_id",
    "relationship_kinds": "",
    "relationships": "customer_id",
    "remove_field": "key, *force=False",
    "remove_referral": "referral_id",
    "remove_tags": "tags, selection",
    "rename_tag": "old, new",
    "restore": "path, into",
    "rule_set": "dimension='status'",
    "save_document": "document_id, target",
    "save_segment": "name, selection, *replace=False",
    "schema": "",
    "segment": "name",
    "segments": "",
    "select": "selection=None, *sort=None, *limit=None, *offset=0",
    "set_setting": "key, value",
    "set_status": "ids, status, *dimension='status', *reason='set by hand'",
    "settings_for": "table",
    "show_date": "value, *field=None",
    "similar_customers": "values, *min_score=None",
    "status_history": "id",
    "store": "property",
    "submit_form": "name, answers, *dry_run=False",
    "tags": "",
    "to_json": "customer",
    "today": "",
    "unlink": "relationship_id",
    "unmerge": "merge_id",
    "unpin": "ids, *dimension='status'",
    "unset_setting": "key",
    "update_activity": "kind, id=None, *external_id=None, *values",
    "update_customer": "id, values=None, *unset=(), *tags=None",
    "update_customers": "selection, values=None, *unset=()",
}

#: what an open workspace carries besides its methods
ATTRIBUTES = ("path", "config_path", "plugins", "settings", "field_context", "problems", "warnings")


def parameters(function: object) -> str:
    shown = []
    for p in inspect.signature(function).parameters.values():  # type: ignore[arg-type]
        if p.name in ("self", "cls"):
            continue
        text = {
            p.KEYWORD_ONLY: f"*{p.name}",
            p.VAR_POSITIONAL: f"*{p.name}...",
            p.VAR_KEYWORD: f"**{p.name}",
        }.get(p.kind, p.name)
        shown.append(text if p.default is p.empty else f"{text}={p.default!r}")
    return ", ".join(shown)


def test_every_public_name_keeps_its_parameters(workspace: Workspace) -> None:
    for name, expected in PUBLIC.items():
        assert hasattr(workspace, name), f"Workspace.{name} is gone"
        if expected == "property":
            assert isinstance(inspect.getattr_static(Workspace, name), property), name
            continue
        assert callable(getattr(workspace, name)), name
        assert parameters(getattr(workspace, name)) == expected, name


def test_an_open_workspace_carries_its_parts(workspace: Workspace) -> None:
    for name in ATTRIBUTES:
        assert hasattr(workspace, name), f"Workspace.{name} is gone"


def test_every_method_the_docs_name_exists(workspace: Workspace) -> None:
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    texts += sorted((ROOT / "examples").glob("*/README.md"))
    named = {
        (path.name, name)
        for path in texts
        for name in re.findall(r"\b(?:ws|workspace|Workspace)\.([a-z_]+)\(", path.read_text())
    }
    assert len(named) > 20  # the pattern still finds what the docs show
    missing = sorted(f"{name} ({doc})" for doc, name in named if not hasattr(workspace, name))
    assert missing == []


def test_a_plugin_importing_the_old_paths_still_works_and_is_told_where_to_look() -> None:
    import warnings

    import clientcard

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from clientcard.core.actions import ActionKind
        from clientcard.core.export import Exporter, neutralise

    assert (Exporter, neutralise, ActionKind) == (
        clientcard.Exporter,
        clientcard.neutralise,
        clientcard.ActionKind,
    )
    assert [str(w.message) for w in caught] == [
        "clientcard.core.actions.ActionKind moved: import it from clientcard",
        "clientcard.core.export.Exporter moved: import it from clientcard",
        "clientcard.core.export.neutralise moved: import it from clientcard",
    ]
