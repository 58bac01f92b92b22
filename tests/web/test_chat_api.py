"""The public web chat API end to end (widget side and staff side), and hostile input of every shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.domain import chat as rules
from helpline.services import customers, queues, routing
from tests.conftest import FakeClock, World
from tests.web.problems import problem

CHAT = "/api/v1/chat"
ACME = "/api/v1/tenants/acme"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def chat_queue(world: World, tenant: str = "acme", name: str = "Cards", **settings: Any) -> int:
    boss = world.principal(f"{tenant}_supervisor")
    row = queues.create_queue(world.container.deps, boss, world.tenants[tenant].id, name, "chat", "en", **settings)
    return int(row.id)


def available(world: World, who: str = "acme_agent") -> int:
    user_id = int(world.users[who].id)
    routing.set_presence(world.container.deps, world.principal(who), user_id, "available")
    return user_id


def public() -> dict[str, str]:
    return {"Origin": "https://shop.example"}


def start(client: TestClient, queue_id: int, tenant: str = "acme", status: int = 201, **extra: Any) -> Any:
    body = {"name": "Dana Doe", "email": "dana@example.com", "language": "en", "queue_id": queue_id, **extra}
    response = client.post(f"{CHAT}/{tenant}/sessions", json=body, headers=public())
    assert response.status_code == status, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    return response.json()


def session_url(started: dict[str, Any], tenant: str = "acme") -> str:
    return f"{CHAT}/{tenant}/sessions/{started['session_id']}"


def as_customer(started: dict[str, Any]) -> dict[str, str]:
    return {"X-Chat-Token": started["token"], **public()}


def events_of(world: World, kind: str) -> list[dict[str, Any]]:
    published: list[dict[str, Any]] = world.container.deps.events.published  # type: ignore[attr-defined]
    return [e for e in published if e["type"] == kind]


@pytest.fixture
def anon(world: World) -> TestClient:
    return TestClient(world.app, raise_server_exceptions=False)


# --- the whole flow ----------------------------------------------------------------------------


def test_a_chat_from_form_to_transcript(world: World, anon: TestClient, clock: FakeClock) -> None:
    queue_id = chat_queue(world)
    known = customers.create_customer(
        world.container.deps,
        world.principal("acme_agent"),
        world.tenants["acme"].id,
        {"display_name": "Dana Doe (CRM)", "identities": [{"kind": "email", "value": "dana@example.com"}]},
    )
    config = anon.get(f"{CHAT}/acme/config", headers=public())
    assert config.status_code == 200 and config.headers["access-control-allow-origin"] == "*"
    assert config.json()["topics"] == [{"queue_id": queue_id, "name": "Cards", "language": "en", "open": True}]
    assert config.json()["limits"]["attachment_bytes"] == rules.MAX_ATTACHMENT_BYTES

    started = start(anon, queue_id, email="DANA@Example.com", message="Hello, my card is blocked")
    assert started["status"] == "queued" and started["position"] == 1 and started["leave_message"] is False
    agent_id = available(world)  # the agent comes on: the waiting chat is offered to them
    me = session_url(started)
    status = anon.get(me, headers=as_customer(started)).json()
    assert status["status"] == "offered" and status["closed"] is False
    assert [m["body"] for m in status["messages"]] == ["Hello, my card is blocked"]

    agent = world.client("acme_agent")
    staff_view = agent.get(f"{ACME}/interactions/{started['interaction_id']}").json()
    assert staff_view["customer_id"] == known.id and staff_view["channel"] == "chat"  # matched by email
    routing.accept(world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, staff_view["id"])
    assert anon.get(me, headers=as_customer(started)).json()["agent_name"] == "Acme Agent"

    iurl = f"{ACME}/interactions/{started['interaction_id']}"
    assert agent.post(f"{iurl}/typing").status_code == 204
    reply = agent.post(f"{iurl}/messages", json={"author_kind": "agent", "body": "Hi Dana, let me look."})
    assert reply.status_code == 201 and reply.json()["visibility"] == "all"
    assert anon.post(f"{me}/typing", headers=as_customer(started)).status_code == 204
    said = anon.post(f"{me}/messages", json={"body": "Thanks!"}, headers=as_customer(started))
    assert said.status_code == 201 and said.json()["author_name"] == "Dana Doe"
    whisper = world.client("acme_supervisor").post(f"{iurl}/whisper", json={"body": "Offer the fee refund"})
    assert whisper.status_code == 201 and whisper.json()["visibility"] == "agents"

    seen = anon.get(me, headers=as_customer(started)).json()
    assert [m["body"] for m in seen["messages"]] == ["Hello, my card is blocked", "Hi Dana, let me look.", "Thanks!"]
    messages = events_of(world, "message")
    to_customer = [e["message"]["body"] for e in messages if f"chat:{staff_view['id']}" in e["topics"]]
    assert to_customer == ["Hi Dana, let me look.", "Thanks!"]
    assert all(f"agent:{agent_id}" in e["topics"] for e in messages)  # the holder hears everything
    typing = events_of(world, "typing")
    assert [(e["who"], f"chat:{staff_view['id']}" in e["topics"]) for e in typing] == [
        ("agent", True),
        ("customer", False),
    ]

    assert anon.post(f"{me}/close?token={started['token']}").status_code == 204  # sendBeacon: token in query
    assert anon.post(f"{me}/close?token={started['token']}").status_code == 204  # twice is harmless
    ended = agent.get(iurl).json()
    assert ended["status"] == "ended"
    assert events_of(world, "chat.ended")[-1]["reason"] == "customer_left"
    transcript = agent.get(f"{iurl}/messages").json()["items"]
    assert [(m["author_kind"], m["visibility"]) for m in transcript] == [
        ("customer", "all"),
        ("agent", "all"),
        ("customer", "all"),
        ("agent", "agents"),
    ]
    problem(anon.post(f"{me}/messages", json={"body": "still there?"}, headers=as_customer(started)), 409, "session")
    assert anon.get(me, headers=as_customer(started)).json()["closed"] is True


def test_a_new_email_makes_a_new_customer_and_the_first_form_values_stick(world: World, anon: TestClient) -> None:
    queue_id = chat_queue(world)
    started = start(anon, queue_id, name="  Eve  ", email="eve@example.org", language="FR-ca")
    staff = world.client("acme_agent").get(f"{ACME}/interactions/{started['interaction_id']}").json()
    customer = world.client("acme_agent").get(f"{ACME}/customers/{staff['customer_id']}").json()
    assert customer["display_name"] == "Eve"
    again = start(anon, queue_id, name="Someone Else", email="EVE@example.org")
    assert again["session_id"] != started["session_id"]
    assert (
        world.client("acme_agent").get(f"{ACME}/interactions/{again['interaction_id']}").json()["customer_id"]
        == (staff["customer_id"])
    )


def test_closed_topic_offers_leave_a_message_which_opens_a_case(world: World, anon: TestClient) -> None:
    never = {"timezone": "UTC", "weekly": {}, "closed_dates": []}
    queue_id = chat_queue(world, name="Loans", hours=never)
    assert anon.get(f"{CHAT}/acme/config").json()["topics"][0]["open"] is False
    started = start(anon, queue_id)
    assert started["status"] == "closed" and started["leave_message"] is True
    me = session_url(started)
    problem(anon.post(f"{me}/leave-message", json={"body": ""}, headers=as_customer(started)), 422, "body")
    left = anon.post(f"{me}/leave-message", json={"body": "Call me back please"}, headers=as_customer(started))
    assert left.status_code == 201, left.text
    case_id = left.json()["case_reference"]
    agent = world.client("acme_agent")
    case = agent.get(f"{ACME}/cases/{case_id}").json()
    assert case["subject"] == "Message left in chat: Loans" and case["status"] == "new"
    notes = agent.get(f"{ACME}/cases/{case_id}/notes").json()["items"]
    assert [n["body"] for n in notes] == ["Call me back please"]
    interaction = agent.get(f"{ACME}/interactions/{started['interaction_id']}").json()
    assert interaction["status"] == "ended" and interaction["case_id"] == case_id
    problem(anon.post(f"{me}/leave-message", json={"body": "again"}, headers=as_customer(started)), 409)


def test_attachments_are_sniffed_named_safely_and_served_inertly(world: World, anon: TestClient) -> None:
    queue_id = chat_queue(world)
    started = start(anon, queue_id)
    me, who = session_url(started), as_customer(started)
    sent = anon.post(f"{me}/attachments", files={"file": ("../../etc/passwd.png", PNG, "text/html")}, headers=who)
    assert sent.status_code == 201, sent.text
    (listed,) = sent.json()["attachments"]
    assert listed == {"id": listed["id"], "filename": "passwd.png", "content_type": "image/png", "size": len(PNG)}
    text = anon.post(
        f"{me}/attachments", files={"file": ("evil<b>.html", b"just text\n", "text/html")}, headers=who
    ).json()["attachments"][0]
    assert (text["filename"], text["content_type"]) == ("evil_b.txt", "text/plain")
    pdf = anon.post(f"{me}/attachments", files={"file": ("invoice.pdf", PDF, "application/pdf")}, headers=who)
    assert pdf.status_code == 201

    got = anon.get(f"{me}/attachments/{listed['id']}?token={started['token']}")
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png" and got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith('inline; filename="passwd.png"')
    assert "sandbox" in got.headers["content-security-policy"]
    got_text = anon.get(f"{me}/attachments/{text['id']}", headers=who)
    assert got_text.headers["content-disposition"].startswith("attachment;")
    staff = world.client("acme_agent").get(
        f"{ACME}/interactions/{started['interaction_id']}/attachments/{listed['id']}"
    )
    assert staff.status_code == 200 and staff.content == PNG
    problem(
        world.client("globex_agent").get(
            f"/api/v1/tenants/globex/interactions/{started['interaction_id']}/attachments/{listed['id']}"
        ),
        404,
    )

    for name, data in [
        ("big.png", PNG + b"\x00" * rules.MAX_ATTACHMENT_BYTES),
        ("page.png", b"<html><script>alert(1)</script></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100),
        ("zip.pdf", b"PK\x03\x04" + b"\x00" * 100),
        ("binary.txt", b"abc\x00def"),
        ("empty.txt", b""),
    ]:
        problem(anon.post(f"{me}/attachments", files={"file": (name, data, "image/png")}, headers=who), 422, "file")
    problem(anon.post(f"{me}/attachments", headers=who), 422, "file")
    problem(anon.get(f"{me}/attachments/999999", headers=who), 404)
    problem(anon.get(f"{me}/attachments/{listed['id']}"), 404)  # no token
    # A file of someone else's chat is not reachable through one's own session.
    other = start(anon, queue_id, email="other@example.com")
    problem(anon.get(f"{session_url(other)}/attachments/{listed['id']}", headers=as_customer(other)), 404)


# --- hostile input -------------------------------------------------------------------------------


def test_start_refuses_bad_forms(world: World, anon: TestClient) -> None:
    queue_id = chat_queue(world)
    voice = queues.create_queue(
        world.container.deps,
        world.principal("acme_supervisor"),
        world.tenants["acme"].id,
        "Phones",
        "voice",
    ).id
    theirs = chat_queue(world, "globex", "Ventes")
    base = {"name": "Dana", "email": "dana@example.com", "language": "en", "queue_id": queue_id}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**base, "queue_id": 999_999}, "queue_id"),
        ({**base, "queue_id": voice}, "queue_id"),
        ({**base, "queue_id": theirs}, "queue_id"),
        ({**base, "queue_id": "1"}, "queue_id"),
        ({**base, "queue_id": 2**64}, "queue_id"),
        ({**base, "name": ""}, "name"),
        ({**base, "name": "x" * (rules.MAX_NAME + 1)}, "name"),
        ({**base, "name": "Da\x00na"}, "name"),
        ({**base, "name": "Da\x07na"}, "name"),
        ({**base, "email": "not an email"}, "email"),
        ({**base, "email": "a@b.c\x00"}, "email"),
        ({**base, "language": "klingon!"}, "language"),
        ({**base, "language": ""}, "language"),
        ({**base, "message": "x" * (rules.MAX_MESSAGE + 1)}, "message"),
        ({**base, "message": "bell\x07"}, "message"),
        ({**base, "surprise": True}, "surprise"),
        ({k: v for k, v in base.items() if k != "email"}, "email"),
    ]
    for body, field in cases:
        response = anon.post(f"{CHAT}/acme/sessions", json=body)
        problem(response, 422, field)
        assert response.headers["access-control-allow-origin"] == "*"  # errors reach the widget too
    bad = anon.post(f"{CHAT}/acme/sessions", content=b'{"name": ', headers={"Content-Type": "application/json"})
    problem(bad, 400, "body")
    problem(anon.post(f"{CHAT}/nope/sessions", json=base), 404, "tenant")
    problem(anon.get(f"{CHAT}/nope/config"), 404, "tenant")
    problem(anon.get(f"{CHAT}/{'x' * 41}/config"), 422)
    assert world.client("acme_agent").get(f"{ACME}/interactions").json()["total"] == 0


def test_sessions_are_reachable_only_with_their_own_token_and_tenant(world: World, anon: TestClient) -> None:
    queue_id = chat_queue(world)
    chat_queue(world, "globex", "Ventes")
    mine = start(anon, queue_id)
    theirs = start(anon, queue_id, email="someone@example.com")
    me = session_url(mine)
    attempts = [
        (me, {}),  # no token
        (me, {"X-Chat-Token": ""}),
        (me, {"X-Chat-Token": theirs["token"]}),  # another customer's token
        (me, {"X-Chat-Token": mine["token"] + "x"}),
        (me, {"X-Chat-Token": "hc_" + "A" * 43}),
        (f"{CHAT}/acme/sessions/{mine['session_id'] + 100}", {"X-Chat-Token": mine["token"]}),  # forged id
        (session_url(mine, "globex"), {"X-Chat-Token": mine["token"]}),  # another tenant
        (f"{CHAT}/acme/sessions/99999999999999999999", {"X-Chat-Token": mine["token"]}),
    ]
    for url, headers in attempts:
        for method, path, body in [
            ("GET", "", None),
            ("POST", "/messages", {"body": "hi"}),
            ("POST", "/typing", None),
            ("POST", "/close", None),
            ("POST", "/leave-message", {"body": "hi"}),
            ("GET", "/attachments/1", None),
        ]:
            response = anon.request(method, url + path, json=body, headers=headers)
            assert response.status_code in (404, 422), (url, path, response.status_code, response.text)
            assert "Dana" not in response.text
    assert anon.get(me, headers=as_customer(mine)).json()["closed"] is False  # nothing above closed it
    problem(anon.get(me, headers={"X-Chat-Token": "x" * 201}), 422)
    problem(anon.get(f"{CHAT}/acme/sessions/abc", headers=as_customer(mine)), 422)
    problem(anon.get(f"{me}/events?token={theirs['token']}", headers={"Accept": "text/event-stream"}), 404)
    problem(anon.get(f"{me}/events?token={mine['token']}"), 406, "accept")  # not asked for as a stream


def test_messages_hostile_input(world: World, anon: TestClient) -> None:
    started = start(anon, chat_queue(world))
    me, who = session_url(started), as_customer(started)
    for body, field in [
        ({"body": "x" * (rules.MAX_MESSAGE + 1)}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "nul\x00"}, "body"),
        ({"body": "bell\x07"}, "body"),
        ({"body": ["hi"]}, "body"),
        ({"body": "hi", "author_kind": "agent"}, "author_kind"),
        ({}, "body"),
    ]:
        problem(anon.post(f"{me}/messages", json=body, headers=who), 422, field)
    for raw in (b"{", b"\xff\xfe", b'{"body": "\\ud800"}'):
        response = anon.post(f"{me}/messages", content=raw, headers={**who, "Content-Type": "application/json"})
        assert response.status_code in (400, 422), response.text
    huge = json.dumps({"body": "x" * 3_000_000})
    too_large = anon.post(f"{me}/messages", content=huge, headers={**who, "Content-Type": "application/json"})
    problem(too_large, 413)
    assert too_large.headers["access-control-allow-origin"] == "*"  # the widget on a client's site can read it
    ok = anon.post(f"{me}/messages", json={"body": "é" * rules.MAX_MESSAGE}, headers=who)
    assert ok.status_code == 201
    listed = world.client("acme_agent").get(f"{ACME}/interactions/{started['interaction_id']}/messages").json()
    assert listed["total"] == 1


def test_preflight_and_rate_limits(world: World, anon: TestClient) -> None:
    queue_id = chat_queue(world)
    pre = anon.options(
        f"{CHAT}/acme/sessions",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "X-Chat-Token" in pre.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in pre.headers
    from helpline.web.routes.api_chat import SESSIONS_PER_WINDOW

    for _ in range(SESSIONS_PER_WINDOW):
        start(anon, queue_id)
    limited = anon.post(
        f"{CHAT}/acme/sessions",
        json={"name": "D", "email": "d@example.com", "language": "en", "queue_id": queue_id},
    )
    problem(limited, 429)
    assert int(limited.headers["retry-after"]) > 0 and limited.headers["access-control-allow-origin"] == "*"
    # Another address is not affected.
    other = TestClient(world.app, raise_server_exceptions=False, client=("203.0.113.9", 4000))
    started = start(other, queue_id)
    me, who = session_url(started), as_customer(started)
    from helpline.web.routes.api_chat import MESSAGES_PER_MINUTE

    for i in range(MESSAGES_PER_MINUTE):
        assert other.post(f"{me}/messages", json={"body": f"m{i}"}, headers=who).status_code == 201
    problem(other.post(f"{me}/messages", json={"body": "one too many"}, headers=who), 429)


# --- the staff side: whisper, barge, who may speak ------------------------------------------------------


def test_supervisor_whispers_then_barges_in_visibly(world: World, anon: TestClient) -> None:
    started = start(anon, chat_queue(world))
    available(world)
    interaction_id = started["interaction_id"]
    routing.accept(world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, interaction_id)
    iurl = f"{ACME}/interactions/{interaction_id}"
    boss, agent = world.client("acme_supervisor"), world.client("acme_supervisor")
    agent = world.client("acme_agent")
    problem(agent.post(f"{iurl}/whisper", json={"body": "x"}), 403)
    problem(world.client("acme_client_manager").post(f"{iurl}/whisper", json={"body": "x"}), 403)
    problem(world.client("acme_client_manager").post(f"{iurl}/barge"), 403)
    problem(boss.post(f"{iurl}/whisper", json={"body": "x" * (rules.MAX_MESSAGE + 1)}), 422, "body")
    problem(boss.post(f"{iurl}/whisper", json={"body": "hi", "visibility": "all"}), 422, "visibility")
    # Before barging in, a supervisor cannot write to the customer.
    problem(boss.post(f"{iurl}/messages", json={"author_kind": "agent", "body": "Hello"}), 409, "visibility")
    problem(boss.post(f"{iurl}/messages", json={"author_kind": "agent", "body": "hi", "visibility": "x"}), 422)
    # Another agent of the tenant who does not hold the chat may not take part.
    problem(world.client("both_agent").post(f"{iurl}/messages", json={"author_kind": "agent", "body": "hi"}), 403)
    problem(world.client("both_agent").post(f"{iurl}/typing"), 403)
    note = agent.post(f"{iurl}/messages", json={"author_kind": "agent", "body": "checking", "visibility": "agents"})
    assert note.status_code == 201

    joined = boss.post(f"{iurl}/barge")
    assert joined.status_code == 200 and joined.json()["id"] == interaction_id
    assert boss.post(f"{iurl}/barge").status_code == 200  # twice changes nothing
    assert boss.post(f"{iurl}/messages", json={"author_kind": "agent", "body": "I am here too"}).status_code == 201
    seen = [m["body"] for m in anon.get(session_url(started), headers=as_customer(started)).json()["messages"]]
    assert seen == ["Acme Supervisor (supervisor) joined the conversation", "I am here too"]
    joins = events_of(world, "chat.joined")
    assert [(e["name"], e["role"]) for e in joins] == [("Acme Agent", "agent"), ("Acme Supervisor", "supervisor")]
    problem(world.client("globex_supervisor").post(f"/api/v1/tenants/globex/interactions/{interaction_id}/barge"), 404)


# Every public (not tenant-authenticated) chat route, each covered by the session/tenant checks above.
PUBLIC = {
    ("GET", "/api/v1/chat/{tenant}/config"),
    ("POST", "/api/v1/chat/{tenant}/sessions"),
    ("GET", "/api/v1/chat/{tenant}/sessions/{session_id}"),
    ("GET", "/api/v1/chat/{tenant}/sessions/{session_id}/events"),
    ("POST", "/api/v1/chat/{tenant}/sessions/{session_id}/messages"),
    ("POST", "/api/v1/chat/{tenant}/sessions/{session_id}/typing"),
    ("POST", "/api/v1/chat/{tenant}/sessions/{session_id}/attachments"),
    ("GET", "/api/v1/chat/{tenant}/sessions/{session_id}/attachments/{attachment_id}"),
    ("POST", "/api/v1/chat/{tenant}/sessions/{session_id}/close"),
    ("POST", "/api/v1/chat/{tenant}/sessions/{session_id}/leave-message"),
}


def test_the_public_chat_routes_are_exactly_the_reviewed_ones(world: World) -> None:
    """A new route without staff authentication must be added here, after its own token checks are tested."""
    paths = world.app.openapi()["paths"]
    unauthenticated = {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if not path.startswith(("/api/v1/tenants/", "/api/v1/auth/")) and path.startswith("/api/v1/chat")
    }
    assert unauthenticated == PUBLIC


def test_the_demo_shop_embeds_the_widget_with_one_script_tag_under_a_strict_csp(world: World, anon: TestClient) -> None:
    chat_queue(world)
    page = anon.get("/chat-demo/acme")
    assert page.status_code == 200
    assert '<script src="/static/widget/helpline-chat.js" data-tenant="acme" defer></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<style" not in page.text and " style=" not in page.text and page.text.count("<script") == 1
    assert "Acme Cards" in page.text and "Cards" in page.text
    assert anon.get("/chat-demo/nope").status_code == 404
    widget = anon.get("/static/widget/helpline-chat.js")
    assert widget.status_code == 200 and "data-tenant" in widget.text
    assert anon.get("/static/widget/helpline-chat.css").status_code == 200
