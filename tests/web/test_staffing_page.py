"""The staffing calculator page: the textbook answer, who may see it, form errors, and tenant isolation."""

from __future__ import annotations

import re

from tests.conftest import World
from tests.web.test_pages import XSS, anonymous, html_ok, sign_in

PAGE = "/t/acme/workforce/staffing"


def answer_row(html: str) -> str:
    match = re.search(r'<tr class="answer" aria-current="true">(.*?)</tr>', html, re.S)
    assert match, "no highlighted answer row"
    return match.group(1)


def test_default_case_shows_fourteen_agents(world: World) -> None:
    html = html_ok(sign_in(world, "acme_supervisor").get(PAGE))
    assert 'aria-current="page">Staffing calculator</a>' in html  # the workforce tab
    assert 'name="calls" value="100"' in html and 'name="aht" value="180"' in html
    required = re.search(r'id="kpi-required">.*?<div class="value">(\d+)</div>', html, re.S)
    assert required and required.group(1) == "14"
    assert re.search(r'id="kpi-scheduled">.*?<div class="value">20</div>', html, re.S)
    assert "<strong>14</strong>" in answer_row(html)
    assert html.count('class="under"') == 3  # 11, 12 and 13 agents miss 80% in 20 s
    assert '<svg class="chart"' in html and "Service level (%)" in html and "Occupancy (%)" in html
    assert "<script>" not in html and "style=" not in html  # CSP: no inline script or style


def test_erlang_a_from_the_form(world: World) -> None:
    client = sign_in(world, "acme_client_manager")  # client managers may use the calculator
    html = html_ok(
        client.get(
            PAGE,
            params={
                "calls": "100",
                "interval": "30",
                "aht": "180",
                "target": "20",
                "service_level": "80",
                "patience": "120",
                "abandon": "5",
                "shrinkage": "30",
                "max_occupancy": "90",
            },
        )
    )
    assert "Erlang A" in html and "Abandoned (%)" in html
    assert 'name="patience" value="120"' in html
    assert 'id="kpi-abandon"' in html


def test_admin_may_use_it_and_agents_may_not(world: World) -> None:
    html_ok(sign_in(world, "admin").get(PAGE))
    refused = html_ok(sign_in(world, "acme_agent").get(PAGE), 403)
    assert "plan" in refused and "kpi-required" not in refused


def test_bad_values_are_shown_beside_the_kept_form(world: World) -> None:
    client = sign_in(world, "acme_supervisor")
    cases = [
        ({"calls": "lots", "aht": "180"}, "calls", "Calls per interval must be a number"),
        ({"calls": "100", "aht": ""}, "aht", "Average handle time is needed"),
        ({"calls": "100", "aht": "180", "interval": "7"}, "interval", "divide a day"),
        ({"calls": "100", "aht": "180", "interval": "7.5"}, "interval", "whole number of minutes"),
        ({"calls": "-3", "aht": "180"}, "calls", "Calls must lie in"),
        ({"calls": "100", "aht": "180", "abandon": "5"}, "abandon", "patience"),
        ({"calls": "100", "aht": "180", "service_level": "100"}, "service_level", "below 100"),
        ({"calls": "inf", "aht": "180"}, "calls", "must be a number"),
        ({"calls": XSS, "aht": "180"}, "calls", "must be a number"),
    ]
    for params, field, message in cases:
        html = html_ok(client.get(PAGE, params={"interval": "30", "target": "20", "shrinkage": "30", **params}), 422)
        assert 'class="wf-error"' in html, params
        assert message in html, (params, message)
        assert f'id="f-{field}" name="{field}"' in html and 'aria-invalid="true"' in html, params
        assert "kpi-required" not in html  # no answer from bad input
        assert XSS not in html  # the typed value comes back escaped
        assert "Traceback" not in html
    # An overlong value is refused by the URL check: an error page, never a 500.
    assert sign_in(world, "acme_supervisor").get(PAGE, params={"calls": "1" * 100}).status_code == 400


def test_empty_form_shows_the_empty_state_errors(world: World) -> None:
    html = html_ok(sign_in(world, "acme_supervisor").get(PAGE, params={"calls": ""}), 422)
    assert "Calls per interval is needed" in html


def test_another_tenant_is_not_found_and_signed_out_goes_to_login(world: World) -> None:
    client = sign_in(world, "acme_supervisor")
    html_ok(client.get("/t/globex/workforce/staffing"), 404)
    html_ok(sign_in(world, "globex_client_manager").get(PAGE), 404)
    html_ok(sign_in(world, "globex_supervisor").get("/t/globex/workforce/staffing"))
    response = anonymous(world).get(PAGE)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_bookmark_with_some_values_keeps_the_defaults_for_the_rest(world: World) -> None:
    html = html_ok(sign_in(world, "acme_supervisor").get(PAGE, params={"calls": "200", "max_occupancy": ""}))
    assert 'name="calls" value="200"' in html and 'name="aht" value="180"' in html
    assert "no cap" in html  # the occupancy cap sent empty is off
    assert "20.00 Erlangs" in html
