"""Schedules and intraday over HTTP: build, publish, the tenant slice, intraday, adherence and /me/schedule,
with hostile input, missing credentials, roles that may not, and other tenants' users."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.services import routing
from tests.conftest import FakeClock, World
from tests.services.test_schedules import MONDAY, Scene, make_scene
from tests.web.problems import problem

WEEK = MONDAY.isoformat()


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def call(client: TestClient, method: str, url: str, body: Any = None, status: int = 200) -> Any:
    response = client.request(method, url, json=body)
    assert response.status_code == status, response.text
    return response.json()


def built(world: World, publish: bool = False) -> dict[str, Any]:
    body = {"week_start": WEEK, "interval_minutes": 30, "publish": publish}
    return call(world.client("admin"), "POST", "/api/v1/schedules/weeks", body, 201)  # type: ignore[no-any-return]


def test_build_publish_and_read_the_tenant_slice(scene: Scene) -> None:
    world = scene.world
    week = built(world)
    assert (week["status"], sorted(week["groups"])) == ("draft", ["acme/Cards", "globex/Mobile"])
    assert week["summary"]["shifts"] > 0

    boss = world.client("acme_supervisor")
    view = call(boss, "GET", f"/api/v1/tenants/acme/workforce/schedule?week={WEEK}")
    assert (view["week_id"], view["status"]) == (week["week_id"], "draft")
    assert [g["name"] for g in view["groups"]] == ["acme/Cards"]
    assert len(view["required"]) == len(view["scheduled"]) == len(view["interval_starts"]) == 336
    assert view["shifts"] and {s["agent_name"] for s in view["shifts"] if s["user_id"]} == {"Acme Agent"}
    assert "globex" not in json.dumps(view).lower() and "Bo Both" not in json.dumps(view)
    # Any day of the week names the week.
    assert call(boss, "GET", "/api/v1/tenants/acme/workforce/schedule?week=2026-03-05")["week_id"] == week["week_id"]

    manager = world.client("acme_client_manager")
    assert call(manager, "GET", f"/api/v1/tenants/acme/workforce/schedule?week={WEEK}")["status"] is None
    published = call(world.client("admin"), "POST", f"/api/v1/schedules/weeks/{week['week_id']}/publish")
    assert published["status"] == "published"
    seen = call(manager, "GET", f"/api/v1/tenants/acme/workforce/schedule?week={WEEK}")
    assert seen["status"] == "published" and seen["shifts"] is None and seen["groups"]
    assert "Acme Agent" not in json.dumps(seen)


def test_an_agent_reads_only_their_own_schedule(scene: Scene) -> None:
    world = scene.world
    built(world, publish=True)
    agent = world.client("acme_agent")
    mine = call(agent, "GET", f"/api/v1/me/schedule?from={WEEK}&to=2026-03-08")
    assert mine and {s["user_id"] for s in mine} == {scene.uid("acme_agent")}
    assert {a["kind"] for s in mine for a in s["activities"]} >= {"work"}
    assert call(world.client("globex_supervisor"), "GET", f"/api/v1/me/schedule?from={WEEK}") == []
    problem(agent.get("/api/v1/tenants/acme/workforce/schedule"), 403)
    problem(agent.get("/api/v1/tenants/acme/workforce/adherence"), 403)
    problem(agent.post("/api/v1/schedules/weeks", json={"week_start": WEEK}), 403)
    problem(world.token_client("acme", "agent").get("/api/v1/me/schedule"), 403)


def test_intraday_and_adherence(scene: Scene, clock: FakeClock) -> None:
    world = scene.world
    built(world, publish=True)
    me = scene.uid("acme_agent")
    mine = call(world.client("acme_agent"), "GET", f"/api/v1/me/schedule?from={WEEK}&to=2026-03-08")
    first = mine[0]
    clock.current = datetime.fromisoformat(first["starts_at"])
    routing.set_presence(world.container.deps, scene.who("acme_agent"), me, "available")
    clock.current = datetime.fromisoformat(first["ends_at"])
    day = first["starts_at"][:10]
    rows = call(world.client("acme_supervisor"), "GET", f"/api/v1/tenants/acme/workforce/adherence?date={day}")
    (row,) = [r for r in rows if r["user_id"] == me]
    assert row["scheduled_minutes"] > 0 and 0 < row["adherence"] < 1  # worked through every break
    assert row["exceptions"] and {e["expected"] for e in row["exceptions"]} <= {"break", "lunch"}
    problem(world.client("acme_client_manager").get("/api/v1/tenants/acme/workforce/adherence"), 403)

    clock.current = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    view = call(world.client("globex_client_manager"), "GET", "/api/v1/tenants/globex/workforce/intraday")
    assert view["day"] == WEEK and len(view["forecast"]) == 48 and view["forecast_day"] > 0
    assert view["actual_so_far"] == 0 and view["ratio"] < 1
    queue = scene.queues["globex"].id
    one = call(world.client("globex_supervisor"), "GET", f"/api/v1/tenants/globex/workforce/intraday?queue={queue}")
    assert one["queue_id"] == queue and one["forecast"] == view["forecast"]
    past = call(world.client("globex_supervisor"), "GET", "/api/v1/tenants/globex/workforce/intraday?date=2026-02-23")
    assert past["completed_intervals"] == 48 and past["actual_so_far"] > 0


def test_hostile_and_malformed_input(scene: Scene) -> None:
    world = scene.world
    admin = world.client("admin")
    url = "/api/v1/schedules/weeks"
    for body, field in [
        ({"week_start": "2026-03-03"}, "week_start"),  # a Tuesday
        ({"week_start": "monday"}, "week_start"),
        ({"week_start": 1772409600}, "week_start"),
        ({"week_start": WEEK, "interval_minutes": 7}, "interval_minutes"),
        ({"week_start": WEEK, "interval_minutes": "30"}, "interval_minutes"),
        ({"week_start": WEEK, "publish": "yes"}, "publish"),
        ({"week_start": WEEK, "extra": 1}, "extra"),
        ({}, "week_start"),
        ({"week_start": "2026-03-02\x00"}, "week_start"),
        ({"week_start": "9999-12-27"}, "week_start"),
    ]:
        problem(admin.post(url, json=body), 422, field)
    problem(admin.post(url, content=b"{", headers={"Content-Type": "application/json"}), 400)
    huge = json.dumps({"week_start": WEEK, "pad": "y" * 3_000_000})
    problem(admin.post(url, content=huge, headers={"Content-Type": "application/json"}), 413)
    for path in (
        "/api/v1/schedules/weeks/0/publish",
        "/api/v1/schedules/weeks/99999/publish",
        f"/api/v1/schedules/weeks/{10**30}/publish",
    ):
        problem(admin.post(path), 404)
    problem(admin.post("/api/v1/schedules/weeks/abc/publish"), 422)
    base = "/api/v1/tenants/acme/workforce"
    for path, field in [
        ("/schedule?week=2026-13-01", "week"),
        ("/schedule?week=1772409600", "week"),
        ("/schedule?week=" + "x" * 11, "week"),
        ("/intraday?date=yesterday", "date"),
        ("/intraday?date=1990-01-01", "date"),
        ("/intraday?queue=abc", "queue"),
        ("/intraday?queue=0", "queue"),
        ("/adherence?date=2026-02-30", "date"),
    ]:
        problem(admin.get(base + path), 422, field)
    problem(admin.get(f"{base}/intraday?queue={scene.queues['globex'].id}"), 404, "queue")
    for query, field in [
        ("from=2026-03-09&to=2026-03-02", "to"),
        ("from=2026-03-01&to=2026-05-01", "to"),
        ("to=x", "to"),
    ]:
        problem(world.client("acme_agent").get(f"/api/v1/me/schedule?{query}"), 422, field)
    assert world.client("admin").get(f"{base}/schedule?week={WEEK}").json()["status"] is None  # nothing stored


def test_unauthenticated_and_other_tenants(scene: Scene) -> None:
    world = scene.world
    week = built(world)
    anonymous = TestClient(world.app, raise_server_exceptions=False)
    for method, path in [
        ("POST", "/api/v1/schedules/weeks"),
        ("POST", f"/api/v1/schedules/weeks/{week['week_id']}/publish"),
        ("GET", "/api/v1/tenants/acme/workforce/schedule"),
        ("GET", "/api/v1/tenants/acme/workforce/intraday"),
        ("GET", "/api/v1/tenants/acme/workforce/adherence"),
        ("GET", "/api/v1/me/schedule"),
    ]:
        problem(anonymous.request(method, path, json={"week_start": WEEK}), 401)
    outsider = world.client("globex_supervisor")
    for path in ("schedule", "intraday", "adherence"):
        problem(outsider.get(f"/api/v1/tenants/acme/workforce/{path}"), 404)
        problem(world.token_client("globex", "supervisor").get(f"/api/v1/tenants/acme/workforce/{path}"), 404)
    # The week covers acme too: globex's supervisor cannot publish it, nor even learn it exists.
    problem(outsider.post(f"/api/v1/schedules/weeks/{week['week_id']}/publish"), 404)
    problem(world.client("acme_client_manager").post("/api/v1/schedules/weeks", json={"week_start": WEEK}), 403)
    # Without the CSRF header a cookie session cannot build.
    bare = world.client("acme_supervisor")
    del bare.headers["X-CSRF-Token"]
    problem(bare.post("/api/v1/schedules/weeks", json={"week_start": WEEK}), 403)
    # A week globex's supervisor builds covers globex only, and shows nothing of acme's.
    own = call(outsider, "POST", "/api/v1/schedules/weeks", {"week_start": WEEK}, 201)
    assert own["groups"] == ["globex/Mobile"]
    assert "acme" not in json.dumps(own).lower()
