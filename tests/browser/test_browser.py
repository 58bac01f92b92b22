"""An agent's day in headless Chromium: sign in, find a customer, read the 360 view, work a case.

Runs the real app under uvicorn on a loopback port against a temporary SQLite database seeded
through the services (see conftest.seed_demo). No request may leave the loopback server.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from helpline.services import cases
from tests.browser import conftest as browser_fixtures
from tests.browser.conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.browser


def sign_in(page: Any, server: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(server.demo.agent_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/acme/customers$"))


def test_agent_finds_customer_reads_360_and_adds_a_case_note(page: Any, live_server: LiveServer) -> None:
    demo = live_server.demo
    sign_in(page, live_server)
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert page.locator(".me").inner_text().startswith(demo.agent_name)

    # "/" focuses the search box; typing searches live; Enter opens the highlighted (first) result.
    page.evaluate("document.activeElement.blur()")  # the box has autofocus; prove "/" brings focus back
    page.keyboard.press("/")
    search = page.get_by_label("Search customers by name, email, phone or reference")
    assert search.evaluate("el => el === document.activeElement")
    search.press_sequentially("gonza", delay=30)
    results = page.locator("#results tbody tr")
    results.first.wait_for()
    expect(results).to_have_count(1)
    assert "Maria Gonzalez" in results.first.inner_text()
    assert "q=gonza" in page.url  # the search is in the address, so Back and reload keep it
    page.wait_for_selector("#results tr.is-active")
    search.press("Enter")
    page.wait_for_url(re.compile(rf"/t/acme/customers/{demo.customer_id}$"))

    # Customer 360: the summary line, VIP badge, channel counts and the timeline, newest first.
    summary = page.locator("#summary").inner_text()
    assert re.fullmatch(rf"Last contact: email, 3 days ago, case #{demo.case_id} open", summary.strip()), summary
    assert page.locator("h1 .badge-vip").is_visible()
    timeline = page.locator("#timeline > li.item")
    assert timeline.count() == 25
    assert "Re: your card is blocked" in timeline.first.inner_text()
    assert "Email" in page.locator(".bars").inner_text()
    page.get_by_role("link", name=re.compile("Load older contacts")).click()
    expect(timeline).to_have_count(33)
    assert "statement #4100" in timeline.last.inner_text()  # the very first contact, months ago
    assert page.locator("#timeline-more").count() == 0

    # Open the case from the open-cases panel and add a note with the keyboard-friendly form.
    page.get_by_role("link", name=re.compile(demo.case_subject)).first.click()
    page.wait_for_url(re.compile(rf"/t/acme/cases/{demo.case_id}$"))
    assert demo.case_subject in page.locator("h1").inner_text()
    note = "Called Maria back: card unblocked, travel notice set until the 30th."
    page.get_by_label("Add a note").fill(note)
    page.get_by_role("button", name="Add note").click()
    page.locator("#notes .alert-ok").wait_for()
    assert note in page.locator("#notes .notes").inner_text()
    assert page.get_by_label("Add a note").input_value() == ""
    notes, total = cases.case_notes(live_server.container.deps, demo.admin, demo.tenant_id, demo.case_id)
    assert total == 1 and notes[0].body == note and notes[0].author_name == demo.agent_name


def test_case_status_change_and_an_illegal_one_shown_inline(page: Any, live_server: LiveServer) -> None:
    demo = live_server.demo
    case = cases.create_case(
        live_server.container.deps,
        demo.admin,
        demo.tenant_id,
        customer_id=demo.customer_id,
        subject="Replacement card not received",
    )
    sign_in(page, live_server)
    page.goto(f"/t/acme/cases/{case.id}")
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r"\?saved=true$"))
    assert "Changes saved." in page.locator("main").inner_text()
    assert "resolved" in page.locator(".history").inner_text()
    # The form only offers legal moves; a stale form (another tab) can still ask for an illegal one.
    assert page.locator("#c-status option[value='pending']").count() == 0
    page.evaluate("""() => { const o = document.createElement('option'); o.value = 'pending'; o.text = 'Pending';
                             document.querySelector('#c-status').appendChild(o); }""")
    page.get_by_label("Status").select_option("pending")
    page.get_by_role("button", name="Save changes").click()
    error = page.locator("#status-error")
    error.wait_for()
    assert "A resolved case cannot become pending" in error.inner_text()


def test_signed_out_visitor_returns_to_the_page_they_asked_for(page: Any, live_server: LiveServer) -> None:
    demo = live_server.demo
    page.goto(f"/t/acme/customers/{demo.customer_id}")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(demo.agent_email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_label("Password").press("Enter")
    assert "Wrong email or password." in page.locator("[role=alert]").inner_text()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(rf"/t/acme/customers/{demo.customer_id}$"))
    assert demo.customer_name in page.locator("h1").inner_text()


def test_missing_chromium_is_a_clear_skip_or_else_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser_fixtures, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setattr(browser_fixtures, "REQUIRE_BROWSER", False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found at /nonexistent/chromium"):
        browser_fixtures.require_chromium()
    monkeypatch.setattr(browser_fixtures, "REQUIRE_BROWSER", True)
    with pytest.raises(pytest.fail.Exception, match="HELPLINE_REQUIRE_BROWSER=1"):
        browser_fixtures.require_chromium()
