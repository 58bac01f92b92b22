"""A supervisor's planning session in headless Chromium: the staffing calculator driven from the
keyboard, the forecast and plan, and a what-if run, with every page free of script errors and
Content-Security-Policy refusals (the page fixture fails the test on either)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.browser


def sign_in_as_supervisor(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill("sam@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/acme/"))


def test_supervisor_sizes_a_queue_plans_the_week_and_tries_a_what_if(page: Any, live_server: LiveServer) -> None:
    sign_in_as_supervisor(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workforce").click()
    page.wait_for_url(re.compile(r"/t/acme/workforce$"))
    expect(page.get_by_role("navigation", name="Workforce")).to_be_visible()
    # The seeded client has a few months of contacts: a plan with its charts, or the empty state.
    assert page.locator("svg.chart").count() >= 1 or page.locator(".wf-empty").count() == 1

    # Staffing calculator: the textbook case answers 14; 250 calls typed and Enter pressed answers more.
    page.get_by_role("navigation", name="Workforce").get_by_role("link", name="Staffing calculator").click()
    page.wait_for_url(re.compile(r"/workforce/staffing$"))
    required = page.locator(".wf-kpi").first.locator(".value")
    expect(required).to_have_text("14")
    calls = page.get_by_label(re.compile(r"^Calls per interval"))
    calls.fill("250")
    calls.press("Enter")
    page.wait_for_url(re.compile(r"calls=250"))
    assert int(required.inner_text()) > 14
    expect(page.locator("svg.chart")).to_have_count(1)
    # A bad value is explained next to the form and the field is marked; nothing else breaks.
    calls.fill("-3")
    calls.press("Enter")
    expect(page.locator(".wf-error")).to_be_visible()
    assert calls.get_attribute("aria-invalid") == "true"

    # What-if: ten percent more staff on a flat day improves the service level against the baseline.
    page.goto("/t/acme/workforce/what-if")
    expect(page.locator(".wf-empty")).to_be_visible()
    page.get_by_label(re.compile(r"^Calls per interval")).fill("120")
    page.get_by_label(re.compile(r"^Hours simulated")).fill("4")
    page.get_by_label(re.compile(r"^Agents on duty")).fill("14")
    page.get_by_label(re.compile(r"^Staff change")).fill("10")
    page.get_by_role("button", name="Simulate").click()
    page.wait_for_url(re.compile(r"staff_change_pct=10"))
    tiles = page.locator(".wf-kpi")
    expect(tiles.first).to_contain_text("Service level")
    assert "better" in tiles.first.inner_text()
    expect(page.locator("svg.chart")).to_have_count(2)
