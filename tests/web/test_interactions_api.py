"""Interactions and queues API: receive, lifecycle, messages, lists, and hostile input of every shape."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from helpline.services import customers
from helpline.services.ports import NullPublisher
from tests.conftest import FakeClock, World
from tests.web.problems import problem

ACME = "/api/v1/tenants/acme"
GLOBEX = "/api/v1/tenants/globex"


def new_customer(world: World, tenant: str = "acme", name: str = "Dana Doe") -> int:
    row = customers.create_customer(
        world.container.deps, world.principal(f"{tenant}_agent"), world.tenants[tenant].id, {"display_name": name}
    )
    return int(row.id)


def post(client: TestClient, url: str, body: Any = None, status: int = 201) -> Any:
    response = client.post(url, json=body)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def agent(world: World) -> TestClient:
    return world.client("acme_agent")


# --- queues ------------------------------------------------------------------------------------


def test_queue_crud_and_unique_names(world: World) -> None:
    boss = world.client("acme_supervisor")
    created = post(boss, f"{ACME}/queues", {"name": "Cards", "channel": "Voice", "language": "en"})
    assert (created["name"], created["channel"], created["language"]) == ("Cards", "voice", "en")
    problem(boss.post(f"{ACME}/queues", json={"name": "cards"}), 409, "name")
    other = post(boss, f"{ACME}/queues", {"name": "Loans"})
    problem(boss.patch(f"{ACME}/queues/{other['id']}", json={"name": "CARDS"}), 409, "name")
    renamed = boss.patch(f"{ACME}/queues/{other['id']}", json={"name": "Mortgages", "channel": None})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Mortgages"
    # The same name in another tenant is fine.
    post(world.client("globex_supervisor"), f"{GLOBEX}/queues", {"name": "Cards"})
    listed = world.client("acme_agent").get(f"{ACME}/queues").json()
    assert [q["name"] for q in listed["items"]] == ["Cards", "Mortgages"] and listed["total"] == 2
    assert world.client("acme_agent").get(f"{ACME}/queues/{created['id']}").json()["name"] == "Cards"


def test_queue_permissions_and_hostile_input(world: World) -> None:
    boss = world.client("acme_supervisor")
    queue = post(boss, f"{ACME}/queues", {"name": "Cards"})
    problem(world.client("acme_agent").post(f"{ACME}/queues", json={"name": "Mine"}), 403)
    problem(world.client("acme_client_manager").patch(f"{ACME}/queues/{queue['id']}", json={"name": "X"}), 403)
    theirs = world.client("globex_supervisor")
    problem(theirs.get(f"{GLOBEX}/queues/{queue['id']}"), 404)
    problem(theirs.patch(f"{GLOBEX}/queues/{queue['id']}", json={"name": "Mine now"}), 404)
    problem(theirs.get(f"{ACME}/queues"), 404)
    for body, field in [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"name": "Q", "channel": "pigeon"}, "channel"),
        ({"name": "Q", "language": "klingon!"}, "language"),
        ({"name": "Q", "evil": 1}, "evil"),
        ({"name": 5}, "name"),
    ]:
        problem(boss.post(f"{ACME}/queues", json=body), 422, field)
    problem(boss.get(f"{ACME}/queues/99999999999999999999999"), 404)
    problem(boss.get(f"{ACME}/queues?limit=0"), 422, "limit")


# --- create ------------------------------------------------------------------------------------


def test_create_get_and_messages(world: World, agent: TestClient, clock: FakeClock) -> None:
    customer_id = new_customer(world)
    body = {
        "channel": "email",
        "customer_id": customer_id,
        "subject": "Card blocked",
        "external_ref": "<abc@example.com>",
        "attributes": {"ivr": {"choice": 2}},
        "messages": [
            {
                "author_kind": "customer",
                "body": "Help, my card is blocked",
                "attachments": [{"filename": "card.jpg", "content_type": "image/jpeg", "size": 2048}],
            }
        ],
    }
    created = post(agent, f"{ACME}/interactions", body)
    assert created["status"] == "new" and created["attributes"] == {"ivr": {"choice": 2}}
    fetched = agent.get(f"{ACME}/interactions/{created['id']}").json()
    assert fetched == created
    reply = post(
        agent,
        f"{ACME}/interactions/{created['id']}/messages",
        {"author_kind": "agent", "body": "Unblocked it.", "author_name": "Impostor"},
    )
    assert reply["author_name"] == "Acme Agent" and reply["author_user_id"] == world.users["acme_agent"].id
    listed = agent.get(f"{ACME}/interactions/{created['id']}/messages").json()
    assert [m["body"] for m in listed["items"]] == ["Help, my card is blocked", "Unblocked it."]
    assert listed["items"][0]["attachments"][0]["size"] == 2048


def test_create_by_identity_with_an_api_token(world: World) -> None:
    bot = world.token_client("acme", "agent")
    body = {
        "channel": "sms",
        "identity": {"kind": "phone", "value": "212-555-0142"},
        "customer_name": "Sam",
        "messages": [{"author_kind": "customer", "body": "STOP"}, {"author_kind": "agent", "body": "ok"}],
    }
    first = post(bot, f"{ACME}/interactions", body)
    second = post(bot, f"{ACME}/interactions", {**body, "messages": []})
    assert first["customer_id"] == second["customer_id"]
    messages = bot.get(f"{ACME}/interactions/{first['id']}/messages").json()["items"]
    assert [(m["author_name"], m["author_user_id"]) for m in messages] == [("Sam", None), ("token agent token", None)]


def test_create_refuses_other_tenants_and_forged_references(world: World, agent: TestClient) -> None:
    ours = new_customer(world)
    theirs = new_customer(world, "globex")
    their_queue = post(world.client("globex_supervisor"), f"{GLOBEX}/queues", {"name": "Ventes"})
    their_case = post(world.client("globex_agent"), f"{GLOBEX}/cases", {"customer_id": theirs, "subject": "x"})
    missing = problem(
        agent.post(f"{ACME}/interactions", json={"channel": "voice", "customer_id": 10**12}), 422, "customer_id"
    )
    foreign = problem(
        agent.post(f"{ACME}/interactions", json={"channel": "voice", "customer_id": theirs}), 422, "customer_id"
    )
    assert foreign["detail"] == missing["detail"]  # nothing tells the two apart
    assert str(theirs) not in foreign["detail"]
    for extra, field in [
        ({"queue_id": their_queue["id"]}, "queue_id"),
        ({"case_id": their_case["id"]}, "case_id"),
        ({"queue_id": 2**64}, "queue_id"),
        ({"case_id": 0}, "case_id"),
        ({"queue_id": "1"}, "queue_id"),
        ({"case_id": True}, "case_id"),
    ]:
        problem(agent.post(f"{ACME}/interactions", json={"channel": "voice", "customer_id": ours, **extra}), 422, field)
    problem(agent.post(f"{ACME}/interactions", json={"channel": "voice", "customer_id": 2**64}), 422, "customer_id")
    problem(agent.post(f"{ACME}/interactions", json={"channel": "voice", "customer_id": -1}), 422, "customer_id")
    # Through their own tenant, a globex agent cannot use an acme customer either.
    problem(
        world.client("globex_agent").post(f"{GLOBEX}/interactions", json={"channel": "voice", "customer_id": ours}),
        422,
        "customer_id",
    )


def test_create_refuses_bad_values(world: World, agent: TestClient, clock: FakeClock) -> None:
    ours = new_customer(world)
    base = {"channel": "voice", "customer_id": ours}
    future = (clock.now() + timedelta(minutes=1)).isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"channel": "pigeon", "customer_id": ours}, "channel"),
        ({**base, "direction": "sideways"}, "direction"),
        ({**base, "created_at": future}, "created_at"),
        ({**base, "created_at": "yesterday"}, "created_at"),
        ({**base, "subject": "x" * 301}, "subject"),
        ({**base, "subject": "nul\u0000byte"}, "subject"),
        ({**base, "external_ref": "x" * 201}, "external_ref"),
        ({**base, "attributes": [1, 2]}, "attributes"),
        ({**base, "attributes": {"blob": "x" * 20_000}}, "attributes"),
        ({**base, "messages": [{"author_kind": "alien", "body": "hi"}]}, "author_kind"),
        ({**base, "messages": [{"author_kind": "customer", "body": "x" * 100_001}]}, "messages.0.body"),
        ({**base, "messages": [{"author_kind": "customer", "body": "   "}]}, "body"),
        ({**base, "messages": [{"author_kind": "customer", "body": "hi"}] * 51}, "messages"),
        (
            {
                **base,
                "messages": [
                    {
                        "author_kind": "customer",
                        "body": "hi",
                        "attachments": [{"filename": "a", "content_type": "nope", "size": 1}],
                    }
                ],
            },
            "attachments",
        ),
        (
            {
                **base,
                "messages": [
                    {
                        "author_kind": "customer",
                        "body": "hi",
                        "attachments": [{"filename": "a", "content_type": "text/plain", "size": -1}],
                    }
                ],
            },
            "messages.0.attachments.0.size",
        ),
        ({**base, "identity": {"kind": "email", "value": "a@b.co"}}, "customer_id"),
        ({"channel": "voice", "identity": {"kind": "fax", "value": "1"}}, "kind"),
        ({"channel": "voice", "identity": {"kind": "email", "value": "not-an-email"}}, "value"),
        ({"channel": "voice", "identity": {"kind": "email", "value": "a@b.co", "extra": 1}}, "identity.extra"),
        ({**base, "status": "active"}, "status"),
    ]
    for body, field in cases:
        problem(agent.post(f"{ACME}/interactions", json=body), 422, field)
    assert agent.get(f"{ACME}/interactions").json()["total"] == 0


def test_create_refuses_json_that_databases_choke_on(world: World, agent: TestClient) -> None:
    ours = new_customer(world)
    start = f'{{"channel": "voice", "customer_id": {ours}, '
    raw = [
        '"attributes": {"x": NaN}}',
        '"attributes": {"x": Infinity}}',
        '"subject": "\\ud800"}',
        '"attributes": {"k": "\\udc00"}}',
        '"messages": [{"author_kind": "agent", "body": "a\\u0000b"}]}',
    ]
    for content in (start + rest for rest in raw):
        response = agent.post(f"{ACME}/interactions", content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, (content, response.text)
    deep = start + '"attributes": ' + '{"a":' * 50_000 + "1" + "}" * 50_000 + "}"
    response = agent.post(f"{ACME}/interactions", content=deep, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422) and response.headers["content-type"] == "application/problem+json"
    huge = json.dumps({"channel": "voice", "customer_id": ours, "subject": "x" * 3_000_000})
    problem(agent.post(f"{ACME}/interactions", content=huge, headers={"Content-Type": "application/json"}), 413)
    assert agent.get(f"{ACME}/interactions").json()["total"] == 0


# --- lifecycle ---------------------------------------------------------------------------------


def test_lifecycle_over_http(world: World, agent: TestClient, clock: FakeClock) -> None:
    customer_id = new_customer(world)
    me = world.users["acme_agent"].id
    call = post(agent, f"{ACME}/interactions", {"channel": "voice", "customer_id": customer_id})
    url = f"{ACME}/interactions/{call['id']}"
    clock.advance(seconds=10)
    assert post(agent, f"{url}/queue", status=200)["status"] == "queued"  # no body at all
    offered = post(agent, f"{url}/offer", {"agent_id": me}, 200)
    assert (offered["status"], offered["agent_id"]) == ("offered", me)
    back = post(agent, f"{url}/queue", {}, 200)
    assert (back["status"], back["agent_id"]) == ("queued", None)
    post(agent, f"{url}/offer", {"agent_id": me}, 200)
    clock.advance(seconds=5)
    assert post(agent, f"{url}/accept", {}, 200)["status"] == "active"
    problem(agent.post(f"{url}/wrap-up", json={}), 409, "interaction_id")
    post(agent, f"{url}/end", {}, 200)
    post(agent, f"{url}/wrap-up", {"disposition_code": "resolved"}, 200)
    done = agent.get(url).json()
    assert (done["status"], done["disposition_code"]) == ("wrapped_up", "resolved")
    problem(agent.post(f"{url}/queue", json={}), 409, "action")
    problem(agent.post(f"{url}/transfer", json={}), 422, "queue_id")
    events = cast(NullPublisher, world.container.deps.events)
    created = [e for e in events.published if e.get("interaction_id") == call["id"]]
    assert [e["type"] for e in created] == ["interaction.created"] + ["interaction.updated"] * 7


def test_lifecycle_hostile_input(world: World, agent: TestClient, clock: FakeClock) -> None:
    customer_id = new_customer(world)
    call = post(agent, f"{ACME}/interactions", {"channel": "voice", "customer_id": customer_id})
    url = f"{ACME}/interactions/{call['id']}"
    post(agent, f"{url}/queue", {}, 200)
    for body, field in [
        ({"agent_id": world.users["globex_agent"].id}, "agent_id"),
        ({"agent_id": world.users["acme_client_manager"].id}, "agent_id"),
        ({"agent_id": 10**12}, "agent_id"),
        ({"agent_id": 2**63}, "agent_id"),
        ({"agent_id": "7"}, "agent_id"),
        ({}, "agent_id"),
        ({"agent_id": world.users["acme_agent"].id, "at": (clock.now() + timedelta(hours=1)).isoformat()}, "at"),
        ({"agent_id": world.users["acme_agent"].id, "at": "2020-01-01T00:00:00Z"}, "at"),
        ({"agent_id": world.users["acme_agent"].id, "disposition_code": "x"}, "disposition_code"),
        ({"agent_id": world.users["acme_agent"].id, "surprise": 1}, "surprise"),
    ]:
        problem(agent.post(f"{url}/offer", json=body), 422, field)
    assert agent.get(url).json()["status"] == "queued"
    problem(world.client("acme_client_manager").post(f"{url}/end", json={}), 403)
    for client, path in [
        (world.client("globex_agent"), f"{GLOBEX}/interactions/{call['id']}/end"),
        (world.client("globex_agent"), f"{url}/end"),
        (agent, f"{ACME}/interactions/99999999999999999999999/end"),
        (agent, f"{ACME}/interactions/0/end"),
    ]:
        problem(client.post(path, json={}), 404)
    problem(agent.post(f"{ACME}/interactions/abc/end", json={}), 422)


# --- patch, list, messages -----------------------------------------------------------------------


def test_patch_links_cases_of_the_same_customer_only(world: World, agent: TestClient) -> None:
    dana, eve = new_customer(world), new_customer(world, name="Eve")
    case = post(agent, f"{ACME}/cases", {"customer_id": dana, "subject": "Refund"})
    eves_case = post(agent, f"{ACME}/cases", {"customer_id": eve, "subject": "Other"})
    call = post(agent, f"{ACME}/interactions", {"channel": "voice", "customer_id": dana})
    url = f"{ACME}/interactions/{call['id']}"
    assert agent.patch(url, json={"case_id": case["id"], "subject": "Refund call"}).json()["case_id"] == case["id"]
    problem(agent.patch(url, json={"case_id": eves_case["id"]}), 422, "case_id")
    problem(agent.patch(url, json={"status": "ended"}), 422, "status")
    problem(agent.patch(url, json={"disposition_code": "x" * 65}), 422, "disposition_code")
    assert agent.patch(url, json={"case_id": None}).json()["case_id"] is None
    problem(world.client("acme_client_manager").patch(url, json={"subject": "x"}), 403)
    problem(world.client("globex_agent").patch(f"{GLOBEX}/interactions/{call['id']}", json={"subject": "x"}), 404)


def test_list_filters_and_query_hostility(world: World, agent: TestClient, clock: FakeClock) -> None:
    dana = new_customer(world)
    first = post(agent, f"{ACME}/interactions", {"channel": "email", "customer_id": dana})
    clock.advance(minutes=5)
    second = post(agent, f"{ACME}/interactions", {"channel": "voice", "customer_id": dana, "direction": "outbound"})
    post(
        world.client("globex_agent"),
        f"{GLOBEX}/interactions",
        {"channel": "voice", "customer_id": new_customer(world, "globex")},
    )

    def ids(query: str) -> list[int]:
        response = agent.get(f"{ACME}/interactions?{query}")
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert ids("") == [second["id"], first["id"]]
    assert ids("sort=created_at") == [first["id"], second["id"]]
    assert ids("channel=email") == [first["id"]]
    assert ids("direction=outbound") == [second["id"]]
    assert ids(f"customer_id={dana}") == [second["id"], first["id"]]
    assert ids("created_after=2026-03-02T09:01:00") == [second["id"]]  # no offset: UTC
    assert ids("created_before=2026-03-02T10:01:00%2B01:00") == [first["id"]]
    assert ids("limit=1&offset=1") == [first["id"]]
    for query, field in [
        ("channel=pigeon", "channel"),
        ("status=lost", "status"),
        ("sort=subject", "sort"),
        ("sort=" + "x" * 41, "sort"),
        ("customer_id=abc", "customer_id"),
        ("customer_id=99999999999999999999999", "customer_id"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("offset=-1", "offset"),
        ("created_after=soon", "created_after"),
        ("created_after=9999-12-31T23:59:59-23:00", "created_after"),
    ]:
        problem(agent.get(f"{ACME}/interactions?{query}"), 422, field)
    problem(world.client("globex_agent").get(f"{ACME}/interactions"), 404)


def test_messages_hostile_input(world: World, agent: TestClient, clock: FakeClock) -> None:
    call = post(agent, f"{ACME}/interactions", {"channel": "chat", "customer_id": new_customer(world)})
    url = f"{ACME}/interactions/{call['id']}/messages"
    for body, field in [
        ({"author_kind": "agent", "body": "x" * 100_001}, "body"),
        ({"author_kind": "agent", "body": ""}, "body"),
        ({"author_kind": "robot", "body": "hi"}, "author_kind"),
        ({"author_kind": "agent", "body": "hi", "at": (clock.now() + timedelta(days=1)).isoformat()}, "at"),
        ({"author_kind": "agent", "body": "hi", "attachments": [{"filename": "a"}] * 21}, "attachments"),
        ({"author_kind": "agent", "body": ["hi"]}, "body"),
        ({"author_kind": "agent", "body": "hi", "author_user_id": 1}, "author_user_id"),
    ]:
        problem(agent.post(url, json=body), 422, field)
    big = agent.post(url, json={"author_kind": "customer", "body": "é" * 100_000})
    assert big.status_code == 201 and len(big.json()["body"]) == 100_000
    problem(world.client("acme_client_manager").post(url, json={"author_kind": "agent", "body": "hi"}), 403)
    problem(world.client("globex_agent").get(f"{GLOBEX}/interactions/{call['id']}/messages"), 404)
    problem(agent.get(f"{ACME}/interactions/10000000/messages"), 404)
    problem(agent.get(f"{url}?limit=501"), 422, "limit")
