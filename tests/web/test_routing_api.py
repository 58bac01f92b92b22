"""Routing API over HTTP: presence, route, desktop, accept, end, wrap-up, transfer, wallboard, queue routing
settings, overflow, and hostile input (malformed and oversized bodies, unknown queues, forged and foreign ids)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.services import customers, interactions
from tests.conftest import FakeClock, World
from tests.web.problems import problem

ACME = "/api/v1/tenants/acme"
GLOBEX = "/api/v1/tenants/globex"


def call(client: TestClient, method: str, url: str, body: Any = None, status: int = 200) -> Any:
    response = client.request(method, url, json=body)
    assert response.status_code == status, response.text
    return response.json()


def new_chat(world: World, tenant: str = "acme") -> int:
    d, admin, tid = world.container.deps, world.principal("admin"), world.tenants[tenant].id
    customer = customers.create_customer(d, admin, tid, {"display_name": "Dana Doe"})
    row = interactions.create_interaction(d, admin, tid, channel="chat", customer_id=customer.id, subject="Help")
    return int(row.id)


@pytest.fixture
def boss(world: World) -> TestClient:
    return world.client("acme_supervisor")


@pytest.fixture
def agent(world: World) -> TestClient:
    return world.client("acme_agent")


@pytest.fixture
def queue(boss: TestClient) -> dict[str, Any]:
    body = {
        "name": "Cards chat",
        "channel": "chat",
        "skills": {"cards": 2},
        "strategy": "most_proficient",
        "disposition_codes": ["resolved", "escalated"],
        "offer_timeout_seconds": 30,
    }
    created: dict[str, Any] = call(boss, "POST", f"{ACME}/queues", body, 201)
    return created


def test_an_agent_takes_a_chat_from_offer_to_wrap_up(
    world: World, boss: TestClient, agent: TestClient, queue: dict[str, Any], clock: FakeClock
) -> None:
    me = world.users["acme_agent"].id
    admin = world.client("admin")
    configured = call(admin, "PUT", f"/api/v1/agents/{me}", {"skills": {"cards": 4}, "languages": ["en"]})
    assert (configured["skills"], configured["profile"], configured["state"]) == ({"cards": 4}, "blended", "offline")
    state = call(agent, "PUT", "/api/v1/me/presence", {"presence": "available"})
    assert (state["presence"], state["state"]) == ("available", "available")
    chat = new_chat(world)
    url = f"{ACME}/interactions/{chat}"
    routed = call(agent, "POST", f"{url}/route", {"queue_id": queue["id"]})
    assert routed == {
        "interaction_id": chat,
        "status": "offered",
        "position": None,
        "estimated_wait_seconds": None,
        "leave_message": False,
    }
    desk = call(agent, "GET", "/api/v1/me/desktop")
    assert [o["interaction_id"] for o in desk["offers"]] == [chat]
    assert desk["offers"][0]["expires_at"].startswith("2026-03-02T09:00:30")
    assert desk["tenants"] == [{"id": world.tenants["acme"].id, "slug": "acme", "name": "Acme Cards"}]
    assert call(agent, "POST", f"{url}/accept")["status"] == "active"  # no body at all
    problem(agent.post(f"{url}/accept", json={}), 409, "interaction_id")
    assert call(agent, "POST", f"{url}/end", {})["status"] == "ended"
    problem(agent.post(f"{url}/wrap-up", json={"disposition_code": "lost"}), 422, "disposition_code")
    call(agent, "POST", f"{url}/wrap-up", {"disposition_code": "resolved", "note": "Card unblocked"})
    stored = call(agent, "GET", url)
    assert (stored["status"], stored["disposition_code"], stored["agent_id"]) == ("wrapped_up", "resolved", me)
    log = call(boss, "GET", f"{url}/routing")
    assert [e["kind"] for e in log] == ["queued", "offered", "accepted", "ended", "wrapped_up"]
    assert log[1]["agent_id"] == me and log[1]["strategy"] == "most_proficient" and log[1]["reason"]
    board = call(world.client("acme_client_manager"), "GET", f"{ACME}/wallboard")
    assert board["queues"][0]["answered_today"] == 1 and board["agents_by_state"]["available"] >= 1
    listed = call(boss, "GET", f"{ACME}/agents")
    assert {a["name"]: a["state"] for a in listed}["Acme Agent"] == "available"


def test_supervisor_tools_transfer_participants_presence_and_overflow(
    world: World, boss: TestClient, agent: TestClient, queue: dict[str, Any]
) -> None:
    me = world.users["acme_agent"].id
    call(world.client("admin"), "PUT", f"/api/v1/agents/{me}", {"skills": {"cards": 4}})
    call(agent, "PUT", "/api/v1/me/presence", {"presence": "available"})
    other = call(boss, "POST", f"{ACME}/queues", {"name": "General chat", "channel": "chat"}, 201)
    chat = new_chat(world)
    url = f"{ACME}/interactions/{chat}"
    call(agent, "POST", f"{url}/route", {"queue_id": queue["id"]})
    assert call(agent, "POST", f"{url}/reject")["status"] == "queued"  # nobody else: it waits
    problem(agent.post(f"{url}/transfer", json={"queue_id": other["id"]}), 403)  # not theirs to move
    # The supervisor moves the waiting chat to another queue, where the agent gets it again.
    assert call(boss, "POST", f"{url}/transfer", {"queue_id": other["id"]})["status"] == "offered"
    call(agent, "POST", f"{url}/accept")
    both = world.users["both_agent"].id
    problem(agent.post(f"{url}/participants", json={"agent_id": world.users["globex_agent"].id}), 422, "agent_id")
    problem(agent.post(f"{url}/participants", json={"agent_id": both}), 409, "agent_id")  # never signed in
    call(world.client("admin"), "PUT", f"/api/v1/agents/{both}", {"languages": ["en"]})
    problem(agent.post(f"{url}/participants", json={"agent_id": both}), 409, "agent_id")  # offline
    call(world.client("both_agent"), "PUT", "/api/v1/me/presence", {"presence": "available"})
    assert call(agent, "POST", f"{url}/participants", {"agent_id": both})["status"] == "active"
    desk = call(world.client("both_agent"), "GET", "/api/v1/me/desktop")
    assert [(i["interaction_id"], i["phase"]) for i in desk["interactions"]] == [(chat, "active")]
    # The supervisor sends the agent away: what they hold stays theirs.
    state = call(boss, "PUT", f"{ACME}/agents/{me}/presence", {"presence": "away", "reason": "coaching"})
    assert (state["presence"], state["reason"], state["state"]) == ("away", "coaching", "away")
    assert state["holding"] == {str(chat): "active"}
    problem(agent.put(f"{ACME}/agents/{me}/presence", json={"presence": "available"}), 403)
    problem(world.client("globex_supervisor").put(f"{GLOBEX}/agents/{me}/presence", json={"presence": "away"}), 404)
    problem(boss.put(f"{ACME}/agents/{world.users['globex_agent'].id}/presence", json={"presence": "away"}), 404)
    problem(boss.put(f"{ACME}/agents/{2**64}/presence", json={"presence": "away"}), 404)
    targets: list[dict[str, Any]] = [
        {"name": "lisbon", "kind": "site", "weight": 30.5},
        {"name": "partner-co", "kind": "partner", "weight": 10},
    ]
    changed = call(boss, "PUT", f"{ACME}/queues/{queue['id']}/overflow", {"targets": targets})
    assert changed["overflow"] == [targets[0], {**targets[1], "weight": 10.0}]
    problem(agent.put(f"{ACME}/queues/{queue['id']}/overflow", json={"targets": []}), 403)
    board = call(boss, "GET", f"{ACME}/wallboard")
    assert {q["name"]: len(q["overflow"]) for q in board["queues"]}["Cards chat"] == 2


def test_queue_routing_settings_are_validated(world: World, boss: TestClient, queue: dict[str, Any]) -> None:
    base = f"{ACME}/queues"
    hours = {
        "timezone": "Europe/Paris",
        "weekly": {"0": [[540, 1080]], "5": [[600, 720]]},
        "closed_dates": ["2026-12-25"],
    }
    full = {
        "name": "Loans",
        "channel": "voice",
        "priority": 5,
        "skills": {"loans": 3, "French": 1},
        "strategy": "least_occupied",
        "aging_per_minute": 2,
        "preferred_wait_seconds": 15,
        "recent_agent_days": 30,
        "language_wait_seconds": 45,
        "relaxation": [
            {"after_seconds": 30, "min_proficiency": 1},
            {"after_seconds": 90, "overflow_queue_id": queue["id"]},
        ],
        "overflow": [{"name": "partner-co", "kind": "partner", "weight": 5}],
        "offer_timeout_seconds": 15,
        "wrap_up_seconds": 45,
        "hours": hours,
        "service_level_seconds": 30,
        "service_level_percent": 90,
        "leave_message_after_seconds": 600,
        "disposition_codes": ["sold", "declined"],
    }
    created = call(boss, "POST", base, full, 201)
    assert created["skills"] == {"loans": 3, "french": 1} and created["hours"] == hours
    assert created["relaxation"][1] == {"after_seconds": 90, "min_proficiency": None, "overflow_queue_id": queue["id"]}
    always = call(boss, "PATCH", f"{base}/{created['id']}", {"hours": None, "priority": -3})
    assert (always["hours"], always["priority"], always["strategy"]) == (None, -3, "least_occupied")
    bad: list[tuple[dict[str, Any], str]] = [
        ({"skills": {"loans": 6}}, "skills.loans"),
        ({"skills": {"loans": 0}}, "skills.loans"),
        ({"skills": {"loans": "3"}}, "skills.loans"),
        ({"skills": {"bad skill!": 3}}, "skills"),
        ({"skills": {f"s{i}": 1 for i in range(51)}}, "skills"),
        ({"strategy": "random"}, "strategy"),
        ({"priority": 1000}, "priority"),
        ({"offer_timeout_seconds": 1}, "offer_timeout_seconds"),
        ({"aging_per_minute": "fast"}, "aging_per_minute"),
        ({"hours": {"timezone": "Mars/Olympus", "weekly": {}}}, "hours"),
        ({"hours": {"timezone": "UTC", "weekly": {"7": [[0, 60]]}}}, "hours"),
        ({"hours": {"timezone": "UTC", "weekly": {"0": [[600, 540]]}}}, "hours"),
        ({"hours": {"timezone": "UTC", "weekly": {"0": [[0, 2000]]}}}, "hours"),
        ({"hours": {"timezone": "UTC", "closed_dates": ["2026-02-30"]}}, "hours"),
        ({"relaxation": [{"after_seconds": 60}, {"after_seconds": 30}]}, "relaxation"),
        ({"relaxation": [{"after_seconds": 60, "overflow_queue_id": 10**12}]}, "relaxation"),
        ({"relaxation": [{"after_seconds": 60, "min_proficiency": 9}]}, "relaxation.0.min_proficiency"),
        ({"overflow": [{"name": "x", "kind": "moon", "weight": 1}]}, "overflow"),
        ({"overflow": [{"name": "x", "kind": "site", "weight": 0}]}, "overflow"),
        ({"overflow": [{"name": "x", "kind": "site", "weight": 101}]}, "overflow.0.weight"),
        ({"disposition_codes": ["ok"] * 101}, "disposition_codes"),
        ({"disposition_codes": [""]}, "disposition_codes"),
        ({"surprise": 1}, "surprise"),
    ]
    for body, field in bad:
        problem(boss.patch(f"{base}/{created['id']}", json=body), 422, field)
    # Overflow into another tenant's queue names nothing here.
    theirs = call(world.client("globex_supervisor"), "POST", f"{GLOBEX}/queues", {"name": "X", "channel": "voice"}, 201)
    relax = {"relaxation": [{"after_seconds": 5, "overflow_queue_id": theirs["id"]}]}
    problem(boss.patch(f"{base}/{created['id']}", json=relax), 422, "relaxation")
    assert call(boss, "GET", f"{base}/{created['id']}")["relaxation"] == created["relaxation"]
    problem(world.client("acme_agent").patch(f"{base}/{created['id']}", json={"priority": 1}), 403)


def test_hostile_input_on_routing_routes(world: World, agent: TestClient, queue: dict[str, Any]) -> None:
    chat = new_chat(world)
    theirs = new_chat(world, "globex")
    url = f"{ACME}/interactions/{chat}"
    for path, body, status, field in [
        (f"{url}/route", {"queue_id": 10**12}, 422, "queue_id"),
        (f"{url}/route", {"queue_id": "1"}, 422, "queue_id"),
        (f"{url}/route", {"queue_id": 2**63}, 422, "queue_id"),
        (f"{url}/route", {"queue_id": queue["id"], "priority": 99}, 422, "priority"),
        (f"{url}/route", {}, 422, "queue_id"),  # the interaction has no queue of its own
        (f"{url}/transfer", {}, 422, "queue_id"),
        (f"{url}/transfer", {"queue_id": queue["id"], "agent_id": 1}, 422, "queue_id"),
        (f"{url}/participants", {"agent_id": True}, 422, "agent_id"),
        (f"{url}/wrap-up", {"disposition_code": "x" * 65}, 422, "disposition_code"),
        (f"{url}/wrap-up", {"note": "x\x00y"}, 422, "note"),
        (f"{url}/accept", {"agent_id": 1}, 422, "agent_id"),
        (f"{ACME}/interactions/{theirs}/route", {"queue_id": queue["id"]}, 404, None),
        (f"{ACME}/interactions/{theirs}/accept", {}, 404, None),
        (f"{ACME}/interactions/{theirs}/end", {}, 404, None),
        (f"{GLOBEX}/interactions/{chat}/end", {}, 404, None),
        (f"{ACME}/interactions/0/reject", {}, 404, None),
        (f"{ACME}/interactions/99999999999999999999999/end", {}, 404, None),
    ]:
        problem(agent.post(path, json=body), status, field)
    problem(agent.post(f"{ACME}/interactions/abc/route", json={}), 422)
    problem(agent.get(f"{ACME}/interactions/{theirs}/routing"), 404)
    malformed = agent.post(f"{url}/route", content=b"{not json", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400
    huge = json.dumps({"queue_id": queue["id"], "pad": "x" * 3_000_000})
    problem(agent.post(f"{url}/route", content=huge, headers={"Content-Type": "application/json"}), 413)
    for body, field in [
        ({"presence": "sleeping"}, "presence"),
        ({"presence": "away", "reason": "x" * 41}, "reason"),
        ({"presence": "available", "extra": 1}, "extra"),
        ({}, "presence"),
    ]:
        problem(agent.put("/api/v1/me/presence", json=body), 422, field)
    assert call(agent, "GET", f"{url}")["status"] == "new"  # nothing changed
    problem(world.client("acme_client_manager").put("/api/v1/me/presence", json={"presence": "available"}), 403)
    problem(world.client("acme_client_manager").post(f"{url}/route", json={"queue_id": queue["id"]}), 403)
    problem(TestClient(world.app).get("/api/v1/me/desktop"), 401)


def test_wallboard_reach(world: World) -> None:
    for name in ("acme_supervisor", "acme_client_manager", "acme_agent", "admin"):
        assert world.client(name).get(f"{ACME}/wallboard").status_code == 200
    problem(world.client("globex_supervisor").get(f"{ACME}/wallboard"), 404)
    token = world.token_client("acme", "client_manager")
    board = call(token, "GET", f"{ACME}/wallboard")
    assert set(board) >= {"queues", "agents_by_state", "agents", "occupancy_percent", "totals"}
