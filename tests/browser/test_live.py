"""The issue's scenario end to end in headless Chromium, with three people in three browser contexts.

A customer opens the chat widget on the client's sample page and waits in the queue; the agent goes
available on the desktop, gets the offer with its countdown and accepts with Enter; they write to
each other (typing shows); the supervisor watches it on the wallboard, monitors it and whispers (the
agent sees the whisper, the customer never does); the agent ends and wraps up with a disposition;
the chat is then in the customer's Customer 360 with its transcript.

Real app under uvicorn with its background loops (router clock) on a temporary SQLite database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from helpline.services import interactions, routing
from tests.browser.conftest import PASSWORD, GuardedContexts, LiveServer

pytestmark = pytest.mark.browser

CUSTOMER_EMAIL = "maria.gonzalez@example.com"  # known to the CRM: the chat joins Maria's history
WHISPER = "She is VIP: offer the free travel notice."


@pytest.fixture
def people(browser: Any, live_chat_server: LiveServer) -> Iterator[GuardedContexts]:
    guarded = GuardedContexts(browser, live_chat_server.url)
    yield guarded
    guarded.close()


def sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/t/acme/customers$"))


def test_customer_chats_agent_answers_supervisor_whispers_transcript_in_360(
    people: GuardedContexts, live_chat_server: LiveServer
) -> None:
    demo, chat = live_chat_server.demo, live_chat_server.chat
    assert chat is not None
    deps = live_chat_server.container.deps
    customer = people.new_page("customer")
    agent = people.new_page("agent")
    supervisor = people.new_page("supervisor")

    # The agent opens the desktop (offline), the supervisor the wallboard.
    sign_in(agent, demo.agent_email)
    agent.get_by_role("link", name="Desktop").click()
    agent.wait_for_url(re.compile(r"/desktop$"))
    expect(agent.locator("#conn")).to_have_attribute("data-state", "live")
    expect(agent.locator("#desk-empty-title")).to_have_text("You are offline")
    sign_in(supervisor, chat.supervisor_email)
    supervisor.get_by_role("link", name="Wallboard").click()
    expect(supervisor.locator("#conn")).to_have_attribute("data-state", "live")
    queue_row = supervisor.locator(f"#queues tr[data-queue-id='{chat.queue_id}']")
    expect(queue_row).to_contain_text(chat.queue_name)

    # The customer starts a chat from the client's page and waits in the queue.
    customer.goto("/chat-demo/acme")
    customer.get_by_test_id("chat-launcher").click()
    customer.get_by_test_id("chat-name").fill("Maria Gonzalez")
    customer.get_by_test_id("chat-email").fill(CUSTOMER_EMAIL)
    customer.get_by_test_id("chat-topic").select_option(str(chat.queue_id))
    customer.get_by_test_id("chat-first-message").fill("My card was declined at the airport in Lisbon.")
    customer.get_by_test_id("chat-start").click()
    expect(customer.get_by_test_id("chat-position")).to_contain_text("next in line")
    expect(queue_row.locator("td[data-col=waiting]")).to_have_text("1")  # the wallboard sees the wait
    expect(supervisor.locator("#live")).to_contain_text("Waiting")

    # The agent goes available with the keyboard, gets the offer with a countdown, accepts with Enter.
    agent.keyboard.press("Alt+a")
    expect(agent.locator(".pres-available")).to_have_attribute("aria-pressed", "true")
    offer = agent.locator(".offer")
    expect(offer).to_contain_text("Maria Gonzalez")
    expect(offer.locator(".offer-secs")).to_have_text(re.compile(r"^\d+s$"))
    agent.keyboard.press("Enter")
    expect(offer).to_have_count(0)
    tab = agent.locator(".tab")
    expect(tab).to_have_count(1)
    interaction_id = int(tab.get_attribute("data-interaction-id") or 0)
    conv = agent.locator(f"#conv-{interaction_id}")
    expect(conv.locator(".thread")).to_contain_text("My card was declined at the airport in Lisbon.")
    expect(conv.locator(".panel")).to_contain_text("Gonzalez Design Studio")  # Customer 360 beside the chat
    expect(customer.get_by_test_id("chat-status")).to_contain_text("Chatting with")

    # Messages both ways, with typing indicators.
    reply = conv.locator(".composer textarea")
    expect(reply).to_be_focused()
    reply.press_sequentially("Hello Maria, I can see the decline.", delay=5)
    expect(customer.get_by_test_id("chat-typing")).to_contain_text("typing")
    reply.press("Enter")
    expect(customer.locator("[data-testid=chat-message][data-author=agent]")).to_contain_text(
        "Hello Maria, I can see the decline."
    )
    customer.get_by_test_id("chat-input").press_sequentially("Thank you! I am at the gate.", delay=5)
    expect(conv.locator(".typing")).to_contain_text("is typing")
    customer.get_by_test_id("chat-send").click()
    expect(conv.locator(".msg-customer").last).to_contain_text("Thank you! I am at the gate.")

    # The supervisor sees the live chat, monitors it and whispers to the agent.
    live_row = supervisor.locator(f"#live tr[data-interaction-id='{interaction_id}']")
    expect(live_row).to_contain_text("Active")
    expect(live_row).to_contain_text(demo.agent_name)
    live_row.get_by_role("button", name="Monitor").click()
    monitor = supervisor.locator("#monitor")
    expect(monitor.locator(".thread")).to_contain_text("Thank you! I am at the gate.")
    monitor.get_by_label("Whisper to the agent").fill(WHISPER)
    monitor.get_by_role("button", name="Whisper", exact=True).click()
    whisper = conv.locator(".msg-internal")
    expect(whisper).to_contain_text(WHISPER)
    expect(whisper).to_contain_text("only you see this")
    expect(monitor.locator(".msg-internal")).to_contain_text(WHISPER)
    reply.fill("Done: the travel notice is on, at no cost.")
    reply.press("Enter")
    expect(customer.locator("[data-testid=chat-message][data-author=agent]").last).to_contain_text("travel notice")
    assert WHISPER not in customer.get_by_test_id("chat-log").inner_text()  # the customer never sees it

    # The agent ends the chat and wraps up with a disposition and a note.
    conv.get_by_label("Notes on this conversation").fill("Travel notice set until the 30th.")
    conv.get_by_role("button", name="End", exact=True).click()
    expect(customer.get_by_test_id("chat-done")).to_be_visible()
    wrap_up = conv.locator(".wrapup")
    expect(wrap_up).to_be_visible()
    expect(wrap_up.locator(".wrapup-timer")).to_contain_text("of 2:00")
    wrap_up.get_by_label("Disposition").select_option("resolved")
    wrap_up.get_by_role("button", name="Finish wrap-up").click()
    expect(tab).to_have_count(0)
    expect(agent.locator("#desk-empty-title")).to_have_text("You are available")
    row = interactions.get_interaction(deps, demo.admin, demo.tenant_id, interaction_id)
    assert (row.status, row.disposition_code, row.customer_id) == ("wrapped_up", "resolved", demo.customer_id)
    assert routing.desktop(deps, _agent(live_chat_server))["interactions"] == []

    # The chat is in Maria's Customer 360, newest first, and opens its transcript.
    supervisor.locator("#monitor-close").click()
    supervisor.goto(f"/t/acme/customers/{demo.customer_id}")
    newest = supervisor.locator("#timeline > li.item").first
    expect(newest).to_contain_text("Chat")
    newest.locator(f"a[href='/t/acme/interactions/{interaction_id}']").click()
    supervisor.wait_for_url(re.compile(rf"/t/acme/interactions/{interaction_id}$"))
    transcript = supervisor.locator("#transcript")
    for text in ("My card was declined", "Hello Maria, I can see the decline.", "Thank you! I am at the gate."):
        expect(transcript).to_contain_text(text)
    expect(transcript.locator(".msg-internal")).to_contain_text(WHISPER)
    expect(transcript.locator(".msg-internal")).to_contain_text("Internal")
    expect(supervisor.locator(".kv")).to_contain_text("resolved")
    expect(supervisor.locator(".decisions")).to_contain_text(f"Offered → {demo.agent_name}")
    expect(supervisor.locator("#interaction-notes")).to_contain_text("Travel notice set until the 30th.")


def test_desktop_resumes_after_a_dropped_stream_without_losing_a_message(
    people: GuardedContexts, live_chat_server: LiveServer
) -> None:
    demo, chat = live_chat_server.demo, live_chat_server.chat
    assert chat is not None
    customer = people.new_page("customer")
    agent = people.new_page("agent")
    sign_in(agent, demo.agent_email)
    agent.goto("/desktop")
    expect(agent.locator("#conn")).to_have_attribute("data-state", "live")
    agent.get_by_role("button", name="Available").click()
    expect(agent.locator(".pres-available")).to_have_attribute("aria-pressed", "true")
    customer.goto("/chat-demo/acme")
    customer.get_by_test_id("chat-launcher").click()
    customer.get_by_test_id("chat-name").fill("Liam O'Brien")
    customer.get_by_test_id("chat-email").fill("liam.obrien@example.net")
    customer.get_by_test_id("chat-topic").select_option(str(chat.queue_id))
    customer.get_by_test_id("chat-start").click()
    agent.locator(".offer").get_by_role("button", name="Accept").click()
    conv = agent.locator(".conv:not([hidden])")
    expect(conv.locator(".conv-name")).to_have_text("Liam O'Brien")
    expect(customer.get_by_test_id("chat-status")).to_contain_text("Chatting with")

    # The network drops: the stream ends and, for a while, reconnecting fails.
    agent.route("**/api/v1/events*", lambda route: route.abort())
    dropped = _drop_streams(live_chat_server, f"agent:{chat.agent_id}")
    assert dropped >= 1
    expect(agent.locator("#conn")).to_have_attribute("data-state", "reconnecting")
    expect(agent.locator("#conn-text")).to_have_text("Reconnecting…")
    customer.get_by_test_id("chat-input").fill("Hello? Are you still there?")
    customer.get_by_test_id("chat-send").click()
    expect(customer.locator("[data-testid=chat-message][data-author=customer]")).to_contain_text("still there")

    # Back online: the browser resumes from its last event id and gets exactly what it missed.
    agent.unroute("**/api/v1/events*")
    expect(agent.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    missed = conv.locator(".msg-customer", has_text="Hello? Are you still there?")
    expect(missed).to_have_count(1)
    conv.locator(".composer textarea").fill("Still here, sorry for the wait.")
    conv.locator(".composer textarea").press("Enter")
    expect(customer.locator("[data-testid=chat-message][data-author=agent]")).to_contain_text("Still here")


def _drop_streams(server: LiveServer, topic: str) -> int:
    """End the server side of every event stream following `topic`, as a dropped connection would."""
    broker = server.container.deps.events
    subscriptions = [s for s in list(getattr(broker, "_subscribers", ())) if topic in s.topics]

    def cut(subscription: Any) -> None:
        subscription.close()
        subscription.queue.put_nowait(None)

    for subscription in subscriptions:
        subscription.loop.call_soon_threadsafe(cut, subscription)
    return len(subscriptions)


def _agent(server: LiveServer) -> Any:
    from helpline.domain.permissions import Principal
    from helpline.domain.vocabulary import Role

    assert server.chat is not None
    acme = frozenset({server.demo.tenant_id})
    return Principal(role=Role.AGENT, tenant_ids=acme, user_id=server.chat.agent_id, name=server.demo.agent_name)
