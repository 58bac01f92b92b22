"""Agents and capacity profiles over HTTP, with hostile input: bad skills, forged ids, other tenants' agents."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.web.problems import problem


def call(client: TestClient, method: str, url: str, body: Any = None, status: int = 200) -> Any:
    response = client.request(method, url, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_configure_read_and_list_agents(world: World) -> None:
    me = world.users["acme_agent"].id
    boss = world.client("acme_supervisor")
    view = call(boss, "PUT", f"/api/v1/agents/{me}", {"skills": {"cards": 5}, "languages": ["en"], "site": "Lisbon"})
    assert (view["skills"], view["site"], view["profile"], view["presence"]) == (
        {"cards": 5},
        "Lisbon",
        "blended",
        "offline",
    )
    assert call(world.client("acme_agent"), "GET", f"/api/v1/agents/{me}")["skills"] == {"cards": 5}
    listed = call(world.client("acme_client_manager"), "GET", "/api/v1/tenants/acme/agents")
    assert {a["name"] for a in listed} == {"Acme Agent", "Acme Supervisor", "Bo Both"}
    assert "Globex Agent" not in json.dumps(listed)
    problem(world.client("globex_supervisor").get("/api/v1/tenants/acme/agents"), 404)
    problem(world.client("globex_supervisor").get(f"/api/v1/agents/{me}"), 404)
    problem(world.client("globex_supervisor").put(f"/api/v1/agents/{me}", json={"site": "x"}), 404)
    problem(world.client("acme_agent").put(f"/api/v1/agents/{me}", json={"site": "x"}), 403)
    problem(world.client("acme_client_manager").get(f"/api/v1/agents/{me}"), 403)
    problem(world.token_client("acme", "supervisor").get(f"/api/v1/agents/{world.users['globex_agent'].id}"), 404)


def test_hostile_agent_bodies(world: World) -> None:
    admin = world.client("admin")
    me = world.users["acme_agent"].id
    url = f"/api/v1/agents/{me}"
    for body, field in [
        ({"skills": {"cards": 6}}, "skills.cards"),
        ({"skills": {"cards": 0}}, "skills.cards"),
        ({"skills": {"cards": "5"}}, "skills.cards"),
        ({"skills": {"cards": 2.5}}, "skills.cards"),
        ({"skills": {"no way!": 2}}, "skills"),
        ({"skills": ["cards"]}, "skills"),
        ({"languages": ["en"] * 21}, "languages"),
        ({"languages": ["x" * 17]}, "languages.0"),
        ({"languages": ["xx_YY"]}, "languages"),
        ({"site": "x" * 41}, "site"),
        ({"site": "a\x00b"}, "site"),
        ({"profile": "turbo"}, "profile"),
        ({"presence": "available"}, "presence"),
    ]:
        problem(admin.put(url, json=body), 422, field)
    for path in ("/api/v1/agents/0", "/api/v1/agents/99999999999999999999999", f"/api/v1/agents/{10**12}"):
        problem(admin.get(path), 404)
        problem(admin.put(path, json={"site": "x"}), 404)
    problem(admin.get("/api/v1/agents/abc"), 422)
    problem(admin.put(url, content=b"{", headers={"Content-Type": "application/json"}), 400)
    huge = json.dumps({"site": "x", "pad": "y" * 3_000_000})
    problem(admin.put(url, content=huge, headers={"Content-Type": "application/json"}), 413)
    problem(admin.put(f"/api/v1/agents/{world.users['acme_client_manager'].id}", json={"site": "x"}), 404)
    assert call(admin, "GET", url)["configured"] is False  # nothing was stored


def test_capacity_profiles(world: World) -> None:
    admin = world.client("admin")
    names = [p["name"] for p in call(world.client("acme_supervisor"), "GET", "/api/v1/capacity-profiles")]
    assert names == ["blended", "digital", "voice"]
    saved = call(admin, "PUT", "/api/v1/capacity-profiles/email-heavy", {"limits": {"email": 10, "chat": 1}})
    assert (saved["limits"], saved["builtin"]) == ({"email": 10, "chat": 1}, False)
    blended = call(admin, "PUT", "/api/v1/capacity-profiles/blended", {"limits": {"voice": 1, "chat": 2}})
    assert blended["builtin"] is True and blended["limits"] == {"voice": 1, "chat": 2}
    problem(world.client("acme_supervisor").put("/api/v1/capacity-profiles/x", json={"limits": {"chat": 1}}), 403)
    problem(world.client("acme_agent").get("/api/v1/capacity-profiles"), 403)
    for name, body, status, field in [
        ("ok", {"limits": {"chat": 51}}, 422, "limits.chat"),
        ("ok", {"limits": {"chat": "1"}}, 422, "limits.chat"),
        ("ok", {"limits": {"pigeon": 1}}, 422, "limits"),
        ("ok", {"limits": {}}, 422, "limits"),
        ("ok", {"limits": {"chat": 1}, "exclusive": ["moon"]}, 422, "exclusive"),
        ("ok", {"limits": {"chat": 1}, "max_total": 0}, 422, "max_total"),
        ("ok", {"limits": {"chat": 1}, "extra": True}, 422, "extra"),
        ("Bad%20Name", {"limits": {"chat": 1}}, 422, "name"),
        ("x" * 41, {"limits": {"chat": 1}}, 422, "name"),
    ]:
        problem(admin.put(f"/api/v1/capacity-profiles/{name}", json=body), status, field)
    assert "ok" not in [p["name"] for p in call(admin, "GET", "/api/v1/capacity-profiles")]
