"""The "Forecast & plan" page: charts and tables from the history, empty state, bad filters, who may see it."""

from __future__ import annotations

from datetime import date

from tests.conftest import World
from tests.services.test_workforce import Seeder, weekday_traffic
from tests.web.test_pages import XSS, anonymous, html_ok, sign_in


def seed_calls(world: World) -> int:
    acme = Seeder(world, "acme")
    queue_id = acme.queue("Calls <b>", "voice")
    weekday_traffic(acme, queue_id, "voice", date(2026, 1, 26), 35, per_hour=6)  # 5 weeks
    return queue_id


def test_the_plan_page_draws_the_forecast_and_the_staffing(world: World) -> None:
    queue_id = seed_calls(world)
    page = html_ok(sign_in(world, "acme_supervisor").get(f"/t/acme/workforce?queue={queue_id}&interval=60&days=7"))
    assert 'aria-current="page">Forecast &amp; plan' in page  # the section's tab
    assert page.count('<svg class="chart"') == 2
    assert "Same time last week" in page and "Required" in page and "To schedule" in page
    for tile in ("Forecast contacts", "Peak agents required", "Agent-hours scheduled", "Backtest WAPE"):
        assert tile in page
    assert "seasonal naive" in page and "<details" in page and "Every interval (168)" in page
    assert "Tue 2026-03-03" in page and "80% answered within 20 s" in page
    assert "Calls &lt;b&gt;" in page and "Calls <b>" not in page  # names are escaped
    assert f'<option value="{queue_id}" selected>' in page
    assert "<script>" not in page.split("</head>")[1]  # no inline script in the body (CSP)


def test_a_client_manager_sees_the_plan_of_all_queues(world: World) -> None:
    seed_calls(world)
    page = html_ok(sign_in(world, "acme_client_manager").get("/t/acme/workforce"))
    assert '<svg class="chart"' in page and "All queues" in page and "Every interval (336)" in page


def test_a_tenant_without_history_gets_the_empty_state(world: World) -> None:
    page = html_ok(sign_in(world, "globex_supervisor").get("/t/globex/workforce"))
    assert "wf-empty" in page and "No contact history" in page and '<svg class="chart"' not in page


def test_bad_filters_are_explained_on_the_page(world: World) -> None:
    seed_calls(world)
    client = sign_in(world, "acme_supervisor")
    for query, message in (
        ("days=abc", "Days must be a whole number"),
        ("days=99", "Days must be a whole number from 1 to 28"),
        ("interval=20", "Interval must be 15, 30 or 60 minutes"),
        ("start=someday", "Start must be a date"),
        (f"special_days=2026-03-01,{XSS[:40]}", "Special days are dates as YYYY-MM-DD separated by commas (item 2"),
        ("queue=-1", "Queue must be a queue of this client"),
        (f"channel={XSS[:20]}", "Channel must be one of"),
    ):
        page = html_ok(client.get(f"/t/acme/workforce?{query}"), 422)
        assert 'class="wf-error"' in page and message in page, query
        field = query.split("=")[0]
        assert f'name="{field}" aria-invalid="true"' in page, query  # the field in error is marked
        assert "<script>alert" not in page
    assert html_ok(client.get("/t/acme/workforce?queue=999999"), 404)
    assert html_ok(client.get("/t/acme/workforce?channel=" + "x" * 500), 400)


def test_agents_are_refused_and_other_tenants_not_found(world: World) -> None:
    seed_calls(world)
    assert "Not allowed" in html_ok(sign_in(world, "acme_agent").get("/t/acme/workforce"), 403)
    for who, path in (("globex_supervisor", "/t/acme/workforce"), ("acme_client_manager", "/t/globex/workforce")):
        page = html_ok(sign_in(world, who).get(path), 404)
        assert "Calls" not in page and "<svg" not in page.split("</header>")[-1]
    response = anonymous(world).get("/t/acme/workforce")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
