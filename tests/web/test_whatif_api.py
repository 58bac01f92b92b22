"""What-if API over HTTP: the comparison, hostile and oversized input as problem+json, and who may
call it for which tenant."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World
from tests.web.problems import problem

ACME = "/api/v1/tenants/acme/workforce/what-if"
GLOBEX = "/api/v1/tenants/globex/workforce/what-if"
SMALL = {"volume": 60, "hours": 2, "aht_seconds": 180, "agents": 8, "patience_seconds": 120}


def test_more_staff_answers_more_calls_in_target(world: World) -> None:
    body = world.client("acme_supervisor").post(ACME, json={**SMALL, "staff_change_pct": 25}).json()
    base, scenario = body["baseline"], body["scenario"]
    assert base["totals"]["offered"] == scenario["totals"]["offered"] > 0
    assert scenario["totals"]["service_level"] > base["totals"]["service_level"]
    assert scenario["totals"]["agent_hours"] == pytest.approx(10 * 2)
    assert base["totals"]["agent_hours"] == pytest.approx(8 * 2)
    assert [i["start"] for i in base["intervals"]] == ["00:00", "00:30", "01:00", "01:30"]
    assert [i["agents"] for i in scenario["intervals"]] == [10] * 4
    first = base["intervals"][0]
    assert set(first) == {
        "start",
        "offered",
        "answered",
        "abandoned",
        "agents",
        "service_level",
        "asa",
        "abandon_rate",
        "occupancy",
    }
    assert body["calls"] == 2 * base["totals"]["offered"]
    assert body["source"].startswith("60 calls per 30 minutes")


def test_defaults_and_a_routing_change(world: World) -> None:
    client = world.client("acme_client_manager")
    response = client.post(ACME, json={"hours": 1, "scenario_strategy": "most_proficient"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["baseline"]["strategy"] == "longest_idle" and body["scenario"]["strategy"] == "most_proficient"


def test_nobody_answers_when_nobody_is_on_duty(world: World) -> None:
    body = world.client("acme_supervisor").post(ACME, json={**SMALL, "agents": 0, "patience_seconds": None}).json()
    assert body["baseline"]["totals"]["answered"] == 0
    assert body["baseline"]["totals"]["asa"] is None  # infinite: JSON has no such number
    assert body["baseline"]["totals"]["service_level"] == 0


MALFORMED: list[tuple[dict[str, Any], str]] = [
    ({"volume": -5}, "volume"),
    ({"volume": "many"}, "volume"),
    ({"hours": 25}, "hours"),
    ({"hours": 1.5}, "hours"),
    ({"agents": True}, "agents"),
    ({"interval_minutes": 7}, "interval_minutes"),
    ({"staff_change_pct": 1e9}, "staff_change_pct"),
    ({"aht_change_pct": -95}, "aht_change_pct"),
    ({"strategy": "<script>"}, "strategy"),
    ({"source": "forecast\x00"}, "source"),
    ({"day": "not-a-day"}, "day"),
    ({"queue_id": 2**70}, "queue_id"),
    ({"seed": -1}, "seed"),
    ({"surprise": 1}, "surprise"),
]


def test_malformed_input_is_a_problem_naming_the_field(world: World) -> None:
    client = world.client("acme_supervisor")
    for payload, field in MALFORMED:
        body = problem(client.post(ACME, json={**SMALL, **payload}), 422)
        assert field in str(body), (payload, body)


def test_hostile_bodies_are_refused(world: World) -> None:
    client = world.client("acme_supervisor")
    problem(client.post(ACME, content=b"{not json", headers={"content-type": "application/json"}), 400, "body")
    problem(client.post(ACME, json=[1, 2, 3]), 422)
    problem(client.post(ACME, content=b"x" * 2_000_001, headers={"content-type": "application/json"}), 413)
    # NaN and infinity are not JSON numbers the schema takes
    response = client.post(ACME, content=b'{"volume": NaN}', headers={"content-type": "application/json"})
    problem(response, 422)


def test_a_day_too_big_to_simulate_is_refused_before_running(world: World) -> None:
    response = world.client("acme_supervisor").post(ACME, json={"volume": 100_000, "hours": 24})
    body = problem(response, 422, "volume")
    assert "60,000" in body["detail"]


def test_a_forecast_without_history_is_a_clear_problem(world: World) -> None:
    body = problem(world.client("acme_supervisor").post(ACME, json={"source": "forecast"}), 422, "source")
    assert "no forecast" in body["detail"]


def test_who_may_call_it(world: World) -> None:
    problem(world.client().post(ACME, json=SMALL), 401)
    problem(world.client("acme_agent").post(ACME, json=SMALL), 403)
    problem(world.token_client("acme", "agent").post(ACME, json=SMALL), 403)
    assert world.token_client("acme", "supervisor").post(ACME, json=SMALL).status_code == 200
    assert world.client("admin").post(GLOBEX, json=SMALL).status_code == 200


def test_another_tenant_is_not_found(world: World) -> None:
    for name in ("acme_supervisor", "acme_client_manager", "acme_agent"):
        problem(world.client(name).post(GLOBEX, json=SMALL), 404)
    problem(world.token_client("acme", "supervisor").post(GLOBEX, json=SMALL), 404)
    problem(world.client("acme_supervisor").post("/api/v1/tenants/nope/workforce/what-if", json=SMALL), 404)
