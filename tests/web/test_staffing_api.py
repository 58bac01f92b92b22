"""Staffing calculator API: Erlang answers, plans per interval, who may call, and hostile input."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import World
from tests.web.problems import problem

ERLANG = "/api/v1/staffing/erlang"
PLAN = "/api/v1/staffing/plan"
TEXTBOOK = {"calls": 100, "interval_minutes": 30, "aht": 180, "target_seconds": 20, "service_level_percent": 80}


def intervals(count: int, calls: float = 50.0, minutes: int = 30, **extra: Any) -> list[dict[str, Any]]:
    start = datetime(2026, 3, 2, 8, 0)
    return [
        {"start": (start + timedelta(minutes=minutes * i)).isoformat(), "calls": calls, **extra} for i in range(count)
    ]


def test_textbook_answer_with_neighbours(world: World) -> None:
    response = world.client("acme_supervisor").post(ERLANG, json=TEXTBOOK)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model"], body["load"], body["required"], body["scheduled"]) == ("erlang_c", 10.0, 14, 20)
    assert body["service_level"] == pytest.approx(0.8883, abs=1e-4)
    rows = body["neighbours"]
    assert [r["agents"] for r in rows] == [12, 13, 14, 15, 16, 17]
    assert [r["answer"] for r in rows].index(True) == 2
    assert rows[1]["service_level"] < 0.8 <= rows[2]["service_level"]


def test_erlang_a_and_asa_targets(world: World) -> None:
    client = world.client("acme_client_manager")  # client managers may plan
    body = client.post(ERLANG, json={**TEXTBOOK, "patience_seconds": 120, "abandon_percent": 3}).json()
    assert body["model"] == "erlang_a" and body["p_abandon"] <= 0.03
    only_asa = client.post(ERLANG, json={**TEXTBOOK, "service_level_percent": None, "asa_seconds": 10}).json()
    assert only_asa["asa"] <= 10
    capped = client.post(ERLANG, json={**TEXTBOOK, "calls": 300, "max_occupancy_percent": 70}).json()
    assert capped["for_occupancy"] >= capped["for_target"] and capped["occupancy"] <= 0.7


def test_live_plan(world: World) -> None:
    rows = intervals(4, calls=100)
    rows[1]["aht"] = 360
    response = world.client("admin").post(PLAN, json={"intervals": rows, "aht": 180, "channel": "voice"})
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["intervals"][0]["required"] == 14
    assert plan["intervals"][1]["load"] == 20.0
    assert plan["summary"]["peak_required"] == max(r["required"] for r in plan["intervals"])


def test_email_plan_meets_the_deadline_and_rests_when_closed(world: World) -> None:
    rows = intervals(48, calls=20, aht=300)
    for i, row in enumerate(rows):
        row["open"] = i < 24  # 08:00 to 20:00 open, then closed overnight
    body = {"intervals": rows, "channel": "email", "deadline_hours": 24, "shrinkage_percent": 25}
    response = world.client("acme_supervisor").post(PLAN, json=body)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["model"] == "backlog" and plan["deadline_hours"] == 24
    assert all(r["required"] == 0 for r in plan["intervals"][24:])
    assert plan["summary"]["max_age_hours"] < 24
    assert sum(r["required"] for r in plan["intervals"]) * 1800 >= 48 * 20 * 300


def test_impossible_email_deadline_is_a_clear_422(world: World) -> None:
    rows = intervals(4, calls=5, aht=300, open=False)
    response = world.client("acme_supervisor").post(PLAN, json={"intervals": rows, "channel": "email"})
    assert "no interval is open" in problem(response, 422, "open")["detail"]


def test_signed_out_is_401_and_agents_are_403(world: World) -> None:
    problem(world.client().post(ERLANG, json=TEXTBOOK), 401)
    problem(world.client().post(PLAN, json={"intervals": intervals(1), "aht": 180}), 401)
    problem(world.client("acme_agent").post(ERLANG, json=TEXTBOOK), 403)
    problem(world.client("both_agent").post(PLAN, json={"intervals": intervals(1), "aht": 180}), 403)
    # An agent's API token is refused too; a supervisor's token of either tenant may calculate.
    problem(world.token_client("acme", "agent").post(ERLANG, json=TEXTBOOK), 403)
    assert world.token_client("globex", "supervisor").post(ERLANG, json=TEXTBOOK).status_code == 200


def test_a_cookie_session_needs_its_csrf_token(world: World) -> None:
    client = world.client("acme_supervisor")
    del client.headers["X-CSRF-Token"]
    problem(client.post(ERLANG, json=TEXTBOOK), 403)


BAD_ERLANG = [
    ({"calls": -1}, "calls"),
    ({"calls": 1e7}, "calls"),
    ({"calls": "100"}, "calls"),
    ({"calls": None}, "calls"),
    ({"calls": True}, "calls"),
    ({"aht": 0}, "aht"),
    ({"aht": 86_401}, "aht"),
    ({"interval_minutes": 7}, "interval_minutes"),
    ({"interval_minutes": 4}, "interval_minutes"),
    ({"interval_minutes": 30.5}, "interval_minutes"),
    ({"service_level_percent": 100}, "service_level_percent"),
    ({"shrinkage_percent": 96}, "shrinkage_percent"),
    ({"max_occupancy_percent": 0}, "max_occupancy_percent"),
    ({"abandon_percent": 5}, "abandon_percent"),  # abandonment without patience: Erlang C has none
    ({"service_level_percent": None}, "service_level_percent"),  # no target at all
    ({"patience_seconds": -3}, "patience_seconds"),
    ({"surprise": 1}, "surprise"),
]


def test_bad_erlang_input_names_the_field(world: World) -> None:
    client = world.client("acme_supervisor")
    for change, field in BAD_ERLANG:
        problem(client.post(ERLANG, json={**TEXTBOOK, **change}), 422, field)
    for number in ("NaN", "Infinity", "-Infinity", "1e999"):  # Python's JSON reader accepts these
        raw = '{"calls": ' + number + ', "interval_minutes": 30, "aht": 180}'
        response = client.post(ERLANG, content=raw, headers={"content-type": "application/json"})
        problem(response, 422, "calls")


def test_hostile_plans(world: World) -> None:
    client = world.client("acme_supervisor")
    problem(client.post(PLAN, json={"intervals": intervals(2_001), "aht": 180}), 422, "intervals")
    problem(client.post(PLAN, json={"intervals": [], "aht": 180}), 422, "intervals")
    problem(client.post(PLAN, json={"intervals": intervals(2)}), 422, "aht")  # no handle time anywhere
    problem(client.post(PLAN, json={"intervals": intervals(2), "aht": 180, "channel": "fax"}), 422, "channel")
    wrong = intervals(2)
    wrong[1]["start"] = "not a time"
    problem(client.post(PLAN, json={"intervals": wrong, "aht": 180}), 422, "intervals.1.start")
    backwards = list(reversed(intervals(3)))
    problem(client.post(PLAN, json={"intervals": backwards, "aht": 180}), 422, "start")
    gap = intervals(3)
    del gap[1]
    problem(client.post(PLAN, json={"intervals": gap, "aht": 180, "channel": "email"}), 422, "start")
    mixed = intervals(2)
    mixed[1]["start"] += "+00:00"
    problem(client.post(PLAN, json={"intervals": mixed, "aht": 180}), 422, "start")
    extra = intervals(1, note="<script>")
    problem(client.post(PLAN, json={"intervals": extra, "aht": 180}), 422, "intervals.0.note")
    problem(client.post(PLAN, json={"intervals": "lots", "aht": 180}), 422, "intervals")
    problem(client.post(PLAN, content=b"{not json", headers={"content-type": "application/json"}), 400)
    huge = b'{"intervals": [' + b'{"start": "2026-03-02T08:00", "calls": 1},' * 60_000 + b"{}]}"
    problem(client.post(PLAN, content=huge, headers={"content-type": "application/json"}), 413)
    # A load past what the maths accepts is a 422, not a hang or a 500.
    body = {"intervals": intervals(1, calls=1e6), "aht": 86_400, "interval_minutes": 5}
    assert client.post(PLAN, json=body).status_code == 422


def test_largest_plan_is_answered(world: World) -> None:
    rows = intervals(2_000, calls=40, minutes=15)
    response = world.client("acme_supervisor").post(
        PLAN, json={"intervals": rows, "aht": 300, "interval_minutes": 15, "channel": "email"}
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["intervals"]) == 2_000
