"""The ``regulars`` rule pack: pure decisions first, then through a workspace."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from clientcard import ConfigError, Facts

from clientcard_salon.regulars import Regulars, RegularsSettings

RULES = Regulars()
#: every four weeks
VISITS = ["2025-03-01", "2025-03-29", "2025-04-26"]


def decide(
    visits: list[str], as_of: str, upcoming: tuple[str, ...] = (), **settings: Any
) -> tuple[str, str]:
    bookings = [
        {"id": n, "date": day, "status": "completed", "amount": None}
        for n, day in enumerate(visits, start=1)
    ]
    bookings += [
        {"id": 100 + n, "date": day, "status": "upcoming", "amount": None}
        for n, day in enumerate(upcoming)
    ]
    facts = Facts({"id": 1}, date.fromisoformat(as_of), bookings=bookings)
    decision = RULES.decide(facts, RegularsSettings(**settings), None)
    return decision.status, decision.reason


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        ("2025-05-20", "regular"),  # 24 days after the last visit
        ("2025-06-07", "regular"),  # 42 days: exactly 1.5 intervals is not yet late
        ("2025-06-08", "at-risk"),  # 43 days: more than 1.5 intervals
        ("2025-07-19", "at-risk"),  # 84 days: exactly 3 intervals
        ("2025-07-20", "lapsed"),  # 85 days
    ],
)
def test_each_customers_own_interval(as_of: str, status: str) -> None:
    assert decide(VISITS, as_of)[0] == status


def test_the_reason_gives_the_numbers() -> None:
    status, reason = decide(VISITS, "2025-06-10")
    assert status == "at-risk"
    assert reason == (
        "Last visit on 2025-04-26, 45 days ago (1.6 intervals; usually 28 days between "
        "visits): more than 1.5 intervals with nothing booked."
    )


def test_a_booked_visit_keeps_a_customer_regular() -> None:
    status, reason = decide(VISITS, "2025-09-01", upcoming=("2025-09-05",))
    assert status == "regular"
    assert "Next visit booked for 2025-09-05" in reason


def test_new_customers() -> None:
    assert decide([], "2025-06-01")[0] == "new"
    assert decide([], "2025-06-01", upcoming=("2025-06-03",)) == (
        "new",
        "First visit booked for 2025-06-03.",
    )


def test_until_the_interval_is_known_the_usual_one_is_assumed() -> None:
    one = ["2025-01-10"]
    assert decide(one, "2025-03-10")[0] == "regular"  # 59 days < 1.5 x 42
    status, reason = decide(one, "2025-03-15")  # 64 days
    assert status == "at-risk" and "assumed 42 days" in reason
    assert decide(one, "2025-03-15", usual_interval_days=56)[0] == "regular"
    assert decide(one, "2025-06-15")[0] == "lapsed"  # 156 days > 3 x 42


def test_a_cut_and_a_colour_on_one_day_are_one_visit() -> None:
    twice = ["2025-03-01", "2025-03-01", "2025-03-29", "2025-03-29", "2025-04-26"]
    assert decide(twice, "2025-06-08")[0] == "at-risk"


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="lapsed_after"):
        RegularsSettings(at_risk_after=2, lapsed_after=2)
    with pytest.raises(ValueError, match="whole number, 2 or more"):
        RegularsSettings(min_visits=1)


def test_clientcard_toml_selects_and_configures_the_rule_pack(clientcard_workspace: Any) -> None:
    ws = clientcard_workspace
    assert ws.get_setting("status.rule_set") == "regulars"
    ws.set_setting("status.regulars.at_risk_after", "2")
    assert ws.settings_for("status.regulars").at_risk_after == 2
    with pytest.raises(ConfigError, match=r"\[status.regulars\] is not valid"):
        ws.set_setting("status.regulars.lapsed_after", "1.5")


def test_classify_uses_the_rule_pack(clientcard_workspace: Any, clientcard_cli: Any) -> None:
    ws = clientcard_workspace
    giulia = ws.add_customer("Giulia Bianchi").id
    marco = ws.add_customer("Marco Rossi").id
    ana = ws.add_customer("Ana Verdi").id
    for day in VISITS:
        ws.record_booking(giulia, day)
        ws.record_booking(marco, day)
    ws.record_booking(marco, "2025-08-05", status="upcoming")

    report = ws.classify(as_of=date(2025, 6, 10))
    assert report.rule_sets["status"] == "regulars"
    assert {id: ws.get_customer(id).status for id in (giulia, marco, ana)} == {
        giulia: "at-risk",
        marco: "regular",
        ana: "new",
    }
    explained = ws.explain(giulia, as_of=date(2025, 6, 10))["dimensions"]["status"]
    assert "usually 28 days between visits" in json.dumps(explained)

    result = clientcard_cli("classify", "--as-of", "2025-08-01", "--format", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["rule_set"] == "regulars"
    assert out["counts"] == {"new": 1, "regular": 1, "at-risk": 0, "lapsed": 1}
