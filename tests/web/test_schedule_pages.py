"""The Schedule and Intraday pages: build and publish through the forms, who sees the roster, the
coverage-only view of client managers, bad input as a page with the error, and other tenants' 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock, World
from tests.services.test_schedules import MONDAY, Scene, make_scene
from tests.web.test_pages import anonymous, csrf_of, html_ok, sign_in

WEEK = MONDAY.isoformat()
SCHEDULE = "/t/acme/workforce/schedule"
INTRADAY = "/t/acme/workforce/intraday"


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def build_through_the_form(client: TestClient) -> str:
    page = html_ok(client.get(f"{SCHEDULE}?week={WEEK}"))
    assert "No schedule for the week of 2026-03-02" in page and "Build schedule" in page
    built = client.post(f"{SCHEDULE}/build", data={"csrf_token": csrf_of(page), "week": WEEK, "interval": "30"})
    assert built.status_code == 303, built.text[:500]
    assert built.headers["location"] == f"{SCHEDULE}?week={WEEK}"
    return html_ok(client.get(built.headers["location"]))


def test_supervisor_builds_and_publishes_and_sees_the_roster(scene: Scene) -> None:
    boss = sign_in(scene.world, "acme_supervisor")
    page = build_through_the_form(boss)
    assert 'aria-current="page">Schedule<' in page
    assert "Draft" in page and "<svg" in page and "Required" in page
    assert "Roster" in page and "Acme Agent" in page
    assert "Globex" not in page and "Bo Both" not in page and "Mobile" not in page
    match = page.split(f'action="{SCHEDULE}/', 2)
    assert len(match) == 3, "build and publish forms"
    week_id = match[2].split("/publish", 1)[0]
    published = boss.post(f"{SCHEDULE}/{week_id}/publish", data={"csrf_token": csrf_of(page)})
    assert published.status_code == 303
    page = html_ok(boss.get(published.headers["location"]))
    assert "Published" in page and "/publish" not in page


def test_client_manager_sees_coverage_without_names_and_agents_are_refused(scene: Scene) -> None:
    world = scene.world
    manager = sign_in(world, "acme_client_manager")
    page = html_ok(manager.get(SCHEDULE + f"?week={WEEK}"))
    assert "not published one yet" in page and "Build schedule" not in page
    boss = sign_in(world, "admin")
    built = build_through_the_form(boss)
    week_id = built.split(f'action="{SCHEDULE}/', 2)[2].split("/publish", 1)[0]
    assert boss.post(f"{SCHEDULE}/{week_id}/publish", data={"csrf_token": csrf_of(built)}).status_code == 303
    page = html_ok(manager.get(SCHEDULE + f"?week={WEEK}"))
    assert "Published" in page and "<svg" in page
    assert "Roster" not in page and "Acme Agent" not in page and "Build schedule" not in page
    # The client manager cannot build, even with a valid form token.
    refused = manager.post(f"{SCHEDULE}/build", data={"csrf_token": csrf_of(page), "week": WEEK})
    assert refused.status_code == 403
    agent = sign_in(world, "acme_agent")
    assert agent.get(SCHEDULE).status_code == 403
    assert agent.get(INTRADAY).status_code == 403


def test_forms_without_csrf_and_other_tenants(scene: Scene) -> None:
    world = scene.world
    boss = sign_in(world, "acme_supervisor")
    assert boss.post(f"{SCHEDULE}/build", data={"week": WEEK}).status_code == 403
    assert boss.post(f"{SCHEDULE}/build", data={"week": WEEK, "csrf_token": "forged"}).status_code == 403
    assert "No schedule" in html_ok(boss.get(SCHEDULE + f"?week={WEEK}"))  # nothing was built
    outsider = sign_in(world, "globex_supervisor")
    for url in (SCHEDULE, INTRADAY):
        page = html_ok(outsider.get(url), 404)
        assert "Acme" not in page
    token = csrf_of(html_ok(outsider.get("/t/globex/workforce/schedule")))
    assert outsider.post(f"{SCHEDULE}/build", data={"csrf_token": token, "week": WEEK}).status_code == 404
    assert outsider.post(f"{SCHEDULE}/1/publish", data={"csrf_token": token}).status_code == 404
    visitor = anonymous(world)
    for url in (SCHEDULE, INTRADAY):
        response = visitor.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_bad_input_shows_the_error_on_the_page(scene: Scene) -> None:
    boss = sign_in(scene.world, "acme_supervisor")
    for url in (f"{SCHEDULE}?week=2026-02-30", f"{SCHEDULE}?week=<script>x", f"{INTRADAY}?date=tomorrow"):
        page = html_ok(boss.get(url), 422)
        assert 'class="wf-error"' in page and "<script>x" not in page
    page = html_ok(boss.get(f"{INTRADAY}?queue=abc"), 422)
    assert "Queue must be a queue of this client" in page
    page = html_ok(boss.get(f"{INTRADAY}?queue={scene.queues['globex'].id}"), 422)  # another tenant's queue
    assert "Mobile" not in page
    html_ok(boss.get(f"{SCHEDULE}?week=" + "9" * 50), 400)
    token = csrf_of(html_ok(boss.get(SCHEDULE)))
    page = html_ok(boss.post(f"{SCHEDULE}/build", data={"csrf_token": token, "week": "soon"}), 422)
    assert "Week must be a date" in page
    page = html_ok(boss.post(f"{SCHEDULE}/build", data={"csrf_token": token, "week": WEEK, "interval": "7"}), 422)
    assert "Interval_minutes must be 15, 30 or 60" in page
    assert boss.post(f"{SCHEDULE}/abc/publish", data={"csrf_token": token}).status_code == 404


def test_intraday_page_for_supervisors_and_client_managers(scene: Scene, clock: FakeClock) -> None:
    world = scene.world
    admin = sign_in(world, "admin")
    build_through_the_form(admin)
    page = html_ok(admin.get(SCHEDULE + f"?week={WEEK}"))
    week_id = page.split(f'action="{SCHEDULE}/', 2)[2].split("/publish", 1)[0]
    admin.post(f"{SCHEDULE}/{week_id}/publish", data={"csrf_token": csrf_of(page)})
    clock.current = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    boss = sign_in(world, "acme_supervisor")
    page = html_ok(boss.get(INTRADAY))
    assert 'aria-current="page">Intraday<' in page
    assert "Contacts so far" in page and "Re-forecast for the day" in page and page.count('<svg class="chart"') == 2
    assert "Adherence" in page
    queue = scene.queues["acme"].id
    page = html_ok(boss.get(f"{INTRADAY}?queue={queue}&date=2026-02-23"))
    assert f'value="{queue}" selected' in page
    manager = sign_in(world, "acme_client_manager")
    page = html_ok(manager.get(INTRADAY))
    assert "Contacts so far" in page and "Adherence" not in page and "Acme Agent" not in page
    empty = html_ok(boss.get(f"{INTRADAY}?date=2025-06-02"))
    assert "No forecast for this day" in empty
