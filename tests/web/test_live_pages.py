"""The live pages: agent desktop, supervisor wallboard (and its live list), the desktop's Customer 360
panel, and the interaction transcript. Who may see what, tenant isolation, escaping and bad input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.services import agents, cases, conversations, customers, interactions, queues, routing
from helpline.web.routes.pages_live import _decision
from tests.conftest import World
from tests.web.test_pages import XSS, anonymous, html_ok, sign_in


@dataclass
class Live:
    """Acme with routing: a chat queue and an agent; one chat active (with a whisper and a file), one waiting."""

    queue_id: int
    other_queue_id: int
    customer_id: int
    case_id: int
    active_id: int
    waiting_id: int
    waiting_customer: str
    globex_interaction_id: int


@pytest.fixture
def live(world: World) -> Live:
    d = world.container.deps
    acme = world.tenants["acme"].id
    sup, agent = world.principal("acme_supervisor"), world.principal("acme_agent")
    agent_id = world.users["acme_agent"].id
    chat = queues.create_queue(
        d,
        sup,
        acme,
        "Card support chat",
        channel="chat",
        skills={"cards": 1},
        disposition_codes=["resolved", "follow_up"],
        wrap_up_seconds=90,
    )
    other = queues.create_queue(d, sup, acme, "Billing chat", channel="chat")
    agents.configure_agent(d, sup, agent_id, skills={"cards": 3}, languages=["en"], profile="digital")
    agents.configure_agent(d, world.principal("admin"), world.users["both_agent"].id, skills={"cards": 1})
    routing.set_presence(d, agent, agent_id, "available")
    maria = customers.create_customer(
        d,
        agent,
        acme,
        {"display_name": "Maria Gonzalez", "tier": "vip", "identities": [{"kind": "email", "value": "maria@x.test"}]},
    )
    case = cases.create_case(d, agent, acme, customer_id=maria.id, subject="Card blocked abroad")
    first = interactions.create_interaction(
        d,
        agent,
        acme,
        channel="chat",
        customer_id=maria.id,
        queue_id=chat.id,
        subject="Card declined at the airport",
        messages=[{"author_kind": "customer", "body": "My card was declined in Lisbon."}],
    )
    assert routing.route(d, agent, acme, first.id).status == "offered"
    routing.accept(d, agent, acme, first.id)
    conversations.send_message(d, agent, acme, first.id, "Hello Maria, let me check.")
    conversations.whisper(d, sup, acme, first.id, "She is VIP: offer the travel notice.")
    conversations.upload_attachment(d, agent, acme, first.id, "steps.txt", b"1. open the app\n2. travel notice\n")
    # Away now, so the next chat waits in the queue.
    routing.set_presence(d, agent, agent_id, "away", "lunch")
    hostile = customers.create_customer(d, agent, acme, {"display_name": f"Eve {XSS}"})
    second = interactions.create_interaction(d, agent, acme, channel="chat", customer_id=hostile.id, queue_id=chat.id)
    assert routing.route(d, agent, acme, second.id).status == "queued"
    globex, g_agent = world.tenants["globex"].id, world.principal("globex_agent")
    secret = customers.create_customer(d, g_agent, globex, {"display_name": "Globex Secret Person"})
    g_chat = interactions.create_interaction(
        d, g_agent, globex, channel="chat", customer_id=secret.id, subject="Globex secret matter"
    )
    return Live(chat.id, other.id, maria.id, case.id, first.id, second.id, hostile.display_name, g_chat.id)


def nav(html: str) -> str:
    match = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert match, "no main navigation"
    return match.group(0)


# --- the desktop -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["acme_agent", "acme_supervisor", "admin", "both_agent"])
def test_desktop_renders_for_everyone_who_takes_work(world: World, who: str) -> None:
    page = html_ok(sign_in(world, who).get("/desktop"))
    assert 'id="desk"' in page and f'data-user-id="{world.users[who].id}"' in page
    assert "/static/desktop.js" in page and "/static/live.css" in page
    assert '<a href="/desktop" aria-current="page">Desktop</a>' in page
    for control in ("Available", "Away", "Offline", "Lunch", "Training", "Meeting", "Shortcuts", "Connecting"):
        assert control in page, control
    for template in ("tpl-offer", "tpl-tab", "tpl-conv", "tpl-msg"):
        assert f'id="{template}"' in page
    assert "<script>" not in page and "style=" not in page  # the CSP allows no inline script or style


def test_desktop_is_not_for_client_managers_or_visitors(world: World) -> None:
    refused = html_ok(sign_in(world, "acme_client_manager").get("/desktop"), 403)
    assert "Not allowed" in refused and "The desktop is for agents" in refused
    response = anonymous(world).get("/desktop")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fdesktop"


def test_navigation_shows_desktop_and_wallboard_by_role(world: World) -> None:
    agent = nav(html_ok(sign_in(world, "acme_agent").get("/t/acme/customers")))
    assert 'href="/desktop"' in agent and "wallboard" not in agent
    supervisor = nav(html_ok(sign_in(world, "acme_supervisor").get("/t/acme/customers")))
    assert 'href="/desktop"' in supervisor and 'href="/t/acme/wallboard"' in supervisor
    manager = nav(html_ok(sign_in(world, "acme_client_manager").get("/t/acme/customers")))
    assert 'href="/desktop"' not in manager and 'href="/t/acme/wallboard"' in manager
    picker = nav(html_ok(sign_in(world, "both_agent").get("/")))  # no tenant chosen yet: the desktop still is
    assert 'href="/desktop"' in picker and "/customers" not in picker


def test_panel_shows_the_customer_cases_dispositions_and_transfer_targets(world: World, live: Live) -> None:
    d, acme = world.container.deps, world.tenants["acme"].id
    phone = queues.create_queue(d, world.principal("acme_supervisor"), acme, "Phone line", channel="voice")
    panel = html_ok(sign_in(world, "acme_agent").get(f"/t/acme/desktop/interactions/{live.active_id}/panel"))
    assert "<html" not in panel  # a fragment for the desktop
    assert "Maria Gonzalez" in panel and "VIP" in panel and "maria@x.test" in panel
    assert f'data-customer-id="{live.customer_id}"' in panel and 'data-case-id=""' in panel
    assert f'data-act="link-case" data-case-id="{live.case_id}"' in panel and "Card blocked abroad" in panel
    assert 'data-dispositions=\'["resolved", "follow_up"]\'' in panel and 'data-wrap-up-seconds="90"' in panel
    assert f'value="queue:{live.other_queue_id}">Billing chat' in panel
    assert f'value="queue:{live.queue_id}"' not in panel  # not the queue it came from
    assert f'value="queue:{phone.id}"' not in panel  # a chat cannot wait in a voice queue
    assert f'value="agent:{world.users["both_agent"].id}">Bo Both · offline' in panel
    assert f'value="agent:{world.users["acme_supervisor"].id}"' not in panel  # takes no routed work
    assert f'value="agent:{world.users["acme_agent"].id}"' not in panel  # not to yourself
    assert 'data-form="create-case"' in panel and 'value="Card declined at the airport"' in panel


def test_panel_after_linking_a_case_and_for_the_wrong_people(world: World, live: Live) -> None:
    d, acme = world.container.deps, world.tenants["acme"].id
    cases.link_interaction(d, world.principal("acme_agent"), acme, live.case_id, live.active_id)
    client = sign_in(world, "acme_agent")
    panel = html_ok(client.get(f"/t/acme/desktop/interactions/{live.active_id}/panel"))
    assert f'data-case-id="{live.case_id}"' in panel and f'Linked to <a href="/t/acme/cases/{live.case_id}"' in panel
    assert 'data-act="note-to-case"' in panel and 'data-act="link-case"' not in panel
    escaped = html_ok(client.get(f"/t/acme/desktop/interactions/{live.waiting_id}/panel"))
    assert XSS not in escaped and "Eve &lt;script&gt;alert(1)&lt;/script&gt;" in escaped
    assert html_ok(client.get(f"/t/acme/desktop/interactions/{live.globex_interaction_id}/panel"), 404)
    assert "Globex" not in client.get(f"/t/acme/desktop/interactions/{live.globex_interaction_id}/panel").text
    manager = sign_in(world, "acme_client_manager")
    assert html_ok(manager.get(f"/t/acme/desktop/interactions/{live.active_id}/panel"), 403)


# --- the wallboard ------------------------------------------------------------------------------------------------


def test_wallboard_for_a_supervisor_has_the_controls(world: World) -> None:
    page = html_ok(sign_in(world, "acme_supervisor").get("/t/acme/wallboard"))
    assert 'data-tenant="acme"' in page and 'data-supervising="true"' in page
    assert 'id="monitor"' in page and 'id="whisper-form"' in page and "Barge in" in page
    assert "/static/wallboard.js" in page and "readonly-note" not in page
    assert '<a href="/t/acme/wallboard" aria-current="page">Wallboard</a>' in page
    assert "<script>" not in page and "style=" not in page
    admin = html_ok(sign_in(world, "admin").get("/t/globex/wallboard"))
    assert 'data-tenant="globex"' in admin and 'data-supervising="true"' in admin


def test_wallboard_is_read_only_for_a_client_manager_and_closed_to_agents(world: World) -> None:
    page = html_ok(sign_in(world, "acme_client_manager").get("/t/acme/wallboard"))
    assert 'data-supervising="false"' in page and "Read-only" in page
    assert 'id="monitor"' not in page and "whisper" not in page.lower() and "Barge" not in page
    refused = html_ok(sign_in(world, "acme_agent").get("/t/acme/wallboard"), 403)
    assert "The wallboard is for supervisors" in refused
    assert html_ok(sign_in(world, "acme_agent").get("/t/acme/wallboard/live"), 403)


def test_wallboard_of_another_tenant_is_not_found(world: World, live: Live) -> None:
    for who, path in (
        ("acme_supervisor", "/t/globex/wallboard"),
        ("acme_supervisor", "/t/globex/wallboard/live"),
        ("globex_client_manager", "/t/acme/wallboard"),
        ("globex_supervisor", "/t/acme/wallboard/live"),
    ):
        page = html_ok(sign_in(world, who).get(path), 404)
        assert "Not found" in page and "Maria" not in page and "Globex Secret" not in page, (who, path)


def test_live_list_shows_waiting_and_active_chats(world: World, live: Live) -> None:
    html = html_ok(sign_in(world, "acme_supervisor").get("/t/acme/wallboard/live"))
    assert "<html" not in html
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r'<tr data-interaction-id="(\d+)".*?</tr>', html, re.S)}
    assert set(rows) == {live.active_id, live.waiting_id}
    active, waiting = rows[live.active_id], rows[live.waiting_id]
    assert "Maria Gonzalez" in active and "Active" in active and "Acme Agent" in active
    assert "Card support chat" in active and f'href="/t/acme/interactions/{live.active_id}"' in active
    assert 'data-act="monitor"' in active and 'data-act="routing"' in active
    assert "Waiting" in waiting and 'data-act="monitor"' not in waiting and 'data-act="routing"' in waiting
    assert XSS not in html and "Eve &lt;script&gt;" in html
    assert re.search(r'data-since="\d{4}-\d\d-\d\dT', active)
    read_only = html_ok(sign_in(world, "acme_client_manager").get("/t/acme/wallboard/live"))
    assert "Maria Gonzalez" in read_only and "data-act=" not in read_only


def test_live_list_when_nothing_is_live(world: World) -> None:
    html = html_ok(sign_in(world, "acme_supervisor").get("/t/acme/wallboard/live"))
    assert "Nothing live right now." in html and "<table" not in html


# --- the transcript -----------------------------------------------------------------------------------------------


def test_transcript_shows_messages_whispers_files_lifecycle_and_routing(world: World, live: Live) -> None:
    d, acme, agent = world.container.deps, world.tenants["acme"].id, world.principal("acme_agent")
    routing.end(d, agent, acme, live.active_id)
    routing.wrap_up(d, agent, acme, live.active_id, "resolved", "Travel notice set.")
    page = html_ok(sign_in(world, "acme_supervisor").get(f"/t/acme/interactions/{live.active_id}"))
    assert "Card declined at the airport" in page and "wrapped up" in page
    thread = page[page.index('id="transcript"') : page.index("</ol>", page.index('id="transcript"'))]
    order = ["My card was declined in Lisbon.", "Hello Maria, let me check.", "She is VIP", "steps.txt"]
    assert [thread.index(text) for text in order] == sorted(thread.index(text) for text in order)
    whisper = re.search(r'<li class="msg msg-agent msg-internal".*?</li>', thread, re.S)
    assert whisper and "She is VIP" in whisper.group(0) and "Internal · whisper" in whisper.group(0)
    assert thread.count("msg-internal") == 1
    assert re.search(
        rf'href="/api/v1/tenants/acme/interactions/{live.active_id}/attachments/\d+"[^>]*>steps.txt', thread
    )
    assert thread.count("steps.txt") == 1  # sent on its own: the link, not the name twice
    details = page[page.index('id="details-title"') :]
    # The supervisor only whispered: they did not handle it.
    assert "Card support chat" in details and '<dd id="agents">Acme Agent</dd>' in details
    assert "<dd>resolved</dd>" in details
    for step in ("Received", "Queued", "Offered", "Accepted", "Ended", "Wrapped up"):
        assert f'<span class="grow">{step}</span>' in page, step
    routing_card = page[page.index('id="routing-title"') :]
    assert "Offered → Acme Agent" in routing_card and "longest idle" in routing_card
    assert "Wrapped up → Acme Agent" in routing_card and "Disposition resolved" in routing_card
    assert "Queue Card support chat" in routing_card and '<div class="meta"></div>' not in routing_card


def test_agents_read_the_transcript_without_the_routing_explanations(world: World, live: Live) -> None:
    for who in ("acme_agent", "acme_client_manager"):
        page = html_ok(sign_in(world, who).get(f"/t/acme/interactions/{live.active_id}"))
        assert "Hello Maria, let me check." in page and 'id="routing-title"' not in page, who


def test_customer_360_links_each_contact_to_its_transcript(world: World, live: Live) -> None:
    client = sign_in(world, "acme_agent")
    page = html_ok(client.get(f"/t/acme/customers/{live.customer_id}"))
    link = (
        f'<a href="/t/acme/interactions/{live.active_id}" title="Open the transcript">Card declined at the airport</a>'
    )
    assert link in page
    assert "/static/live.css" in page


def test_transcript_of_a_contact_without_messages_or_queue(world: World, live: Live) -> None:
    d, acme = world.container.deps, world.tenants["acme"].id
    letter = interactions.create_interaction(
        d, world.principal("acme_agent"), acme, channel="letter", customer_id=live.customer_id
    )
    page = html_ok(sign_in(world, "acme_supervisor").get(f"/t/acme/interactions/{letter.id}"))
    assert "Letter with Maria Gonzalez" in page and "No messages." in page and "nobody yet" in page
    assert "No routing decision." in page


def test_transcripts_of_another_tenant_and_hostile_ids_are_not_found(world: World, live: Live) -> None:
    client = sign_in(world, "acme_supervisor")
    for path in (
        f"/t/acme/interactions/{live.globex_interaction_id}",
        f"/t/globex/interactions/{live.globex_interaction_id}",
        f"/t/globex/interactions/{live.active_id}",
        "/t/acme/interactions/abc",
        "/t/acme/interactions/0",
        "/t/acme/interactions/-3",
        f"/t/acme/interactions/{2**63}",
        "/t/acme/interactions/1e3",
        "/t/acme/interactions/%00",
        f"/t/acme/desktop/interactions/{2**70}/panel",
        "/t/acme/desktop/interactions/0/panel",
        "/t/acme/desktop/interactions/abc/panel",
        "/t/" + "a" * 41 + "/wallboard",
        "/t/acme/interactions",
    ):
        page = html_ok(client.get(path), 404)
        assert "Not found" in page and "Globex secret" not in page and "Globex Secret" not in page, path


def test_transcript_escapes_what_customers_wrote(world: World, live: Live) -> None:
    d, acme = world.container.deps, world.tenants["acme"].id
    interactions.add_message(d, world.principal("acme_agent"), acme, live.waiting_id, author_kind="customer", body=XSS)
    page = html_ok(sign_in(world, "acme_supervisor").get(f"/t/acme/interactions/{live.waiting_id}"))
    assert XSS not in page and page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # name and message


# --- routing entries as stored: whatever their shape, the page shows something sensible ------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "not a dict",
        [],
        {},
        {"kind": 5, "at": "yesterday", "agent_id": "x", "candidates": True, "passed_over": "nobody", "relaxed": None},
        {"kind": "offered", "passed_over": [{"id": 99, "reason": "busy"}, "junk", {"id": None}], "candidates": 3},
        {"kind": "queued", "queue_id": 7, "preferred": [[5, "dedicated"], ["bad"], 3]},
        {"kind": "transferred", "to_queue_id": 7, "by": "system", "reason": "agent_ended"},
    ],
)
def test_routing_entries_of_any_shape_render(raw: Any) -> None:
    decision = _decision(raw, {5: "Dee Dedicated", 99: "Bo Busy"}, {7: "Billing"})
    assert isinstance(decision.kind, str) and isinstance(decision.detail, str)
    if isinstance(raw, dict) and raw.get("kind") == "offered":
        assert decision.passed_over == [("Bo Busy", "busy"), ("?", "")] and decision.candidates == 3
    if isinstance(raw, dict) and raw.get("kind") == "queued":
        assert decision.detail == "queue Billing · waits first for Dee Dedicated (dedicated)"
    if isinstance(raw, dict) and raw.get("kind") == "transferred":
        assert decision.detail == "to queue Billing · by system" and decision.reason == "agent ended"
    if isinstance(raw, dict) and raw.get("kind") == 5:
        assert decision.at is None and decision.candidates is None and decision.agent == "x"


def test_the_live_scripts_and_styles_are_served(world: World) -> None:
    client: TestClient = anonymous(world)
    for name in ("desktop.js", "wallboard.js", "live.css"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and len(response.content) > 1000, name
