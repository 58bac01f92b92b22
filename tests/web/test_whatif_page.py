"""The what-if page: empty state, a run (tiles, charts, table), errors kept in the form, roles and tenants."""

from __future__ import annotations

import re

from tests.conftest import World
from tests.web.test_pages import XSS, anonymous, html_ok, sign_in

PAGE = "/t/acme/workforce/what-if"
RUN = PAGE + "?volume=60&hours=2&aht_seconds=180&agents=8&patience_seconds=120&staff_change_pct=25"


def tile(html: str, key: str) -> str:
    match = re.search(rf'<div class="wf-kpi([^"]*)" id="kpi-{key}">(.*?)</div>\s*</div>', html, re.S)
    assert match, key
    return match.group(1) + match.group(2)


def test_first_visit_shows_the_form_and_an_empty_state(world: World) -> None:
    html = html_ok(sign_in(world, "acme_supervisor").get(PAGE))
    assert 'aria-current="page">What-if simulator' in html
    assert 'class="wf-empty"' in html
    assert 'id="kpi-sl"' not in html
    for name in ("volume", "agents", "staff_change_pct", "volume_change_pct", "aht_change_pct", "seed"):
        assert f'<label for="f-{name}">' in html and f'id="f-{name}"' in html
    assert 'id="f-scenario_strategy"' in html and 'value="most_proficient"' in html
    assert "<script>" not in html.split("</head>")[1] or "nonce" in html  # no inline script (CSP)


def test_a_run_compares_baseline_and_scenario(world: World) -> None:
    html = html_ok(sign_in(world, "acme_supervisor").get(RUN))
    assert 'class="wf-empty"' not in html and "wf-error" not in html
    service = tile(html, "sl")
    assert " good" in service.split(">")[0]  # more staff: better service level, coloured good
    assert "baseline" in service and "pts" in service
    assert " good" in tile(html, "asa").split(">")[0]
    assert "good" not in tile(html, "occupancy").split(">")[0] and "bad" not in tile(html, "occupancy").split(">")[0]
    assert html.count("<svg") >= 2
    assert "Service level per interval" in html and "Abandoned calls per interval" in html
    rows = re.findall(r'<th scope="row">(\d\d:\d\d)</th>\s*<td>(\d+) / (\d+)</td>', html)
    assert rows == [("00:00", "8", "10"), ("00:30", "8", "10"), ("01:00", "8", "10"), ("01:30", "8", "10")]
    assert 'value="60"' in html  # the form keeps what was asked


def test_a_change_for_the_worse_is_coloured_bad(world: World) -> None:
    html = html_ok(sign_in(world, "acme_supervisor").get(RUN.replace("staff_change_pct=25", "staff_change_pct=-25")))
    assert " bad" in tile(html, "sl").split(">")[0]
    assert 'class="under"' in html


def test_invalid_input_is_shown_beside_the_kept_form(world: World) -> None:
    client = sign_in(world, "acme_supervisor")
    html = html_ok(client.get(PAGE + "?volume=lots&agents=2.5&strategy=random&day=31-12-2025"), 422)
    assert 'class="wf-error"' in html
    assert 'value="lots"' in html
    assert 'id="f-volume" name="volume" value="lots" inputmode="decimal" maxlength="32" aria-invalid="true"' in html
    assert 'id="e-agents"' in html and 'id="e-strategy"' in html and 'id="e-day"' in html
    html = html_ok(client.get(PAGE + "?volume=100000&hours=24"), 422)
    assert "60,000" in html and 'id="e-volume"' in html
    html = html_ok(client.get(PAGE + "?source=forecast"), 422)
    assert "No forecast for this day" in html
    html = html_ok(client.get(PAGE + "?volume=" + XSS[:30]), 422)
    assert XSS[:30] not in html
    assert "not valid" in html_ok(client.get(PAGE + "?volume=" + "9" * 40), 400)  # longer than the input allows


def test_client_managers_and_admins_may_use_it_agents_may_not(world: World) -> None:
    assert 'class="wf-empty"' in html_ok(sign_in(world, "acme_client_manager").get(PAGE))
    assert 'id="kpi-sl"' in html_ok(sign_in(world, "admin").get(RUN.replace("/acme/", "/globex/")))
    html_ok(sign_in(world, "acme_agent").get(PAGE), 403)
    html_ok(sign_in(world, "acme_agent").get(RUN), 403)
    response = anonymous(world).get(PAGE, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_another_tenant_is_not_found(world: World) -> None:
    for name in ("acme_supervisor", "acme_client_manager", "acme_agent"):
        html_ok(sign_in(world, name).get(RUN.replace("/acme/", "/globex/")), 404)


def test_while_another_simulation_runs_the_form_says_to_try_again(world: World) -> None:
    from helpline.services import simulation

    client = sign_in(world, "acme_supervisor")
    assert simulation._RUNNING.acquire(blocking=False)  # another request's run is under way
    try:
        html = html_ok(client.get(RUN), 429)
    finally:
        simulation._RUNNING.release()
    assert "another simulation is running" in html.lower() and 'value="60"' in html
    assert html_ok(client.get(RUN)).count("<svg") >= 2  # and once it is over, it runs
