"""Cases API: create, change with history, filters, notes, linked interactions, and hostile input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from helpline.services import customers
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


def patch(client: TestClient, url: str, body: Any, status: int = 200) -> Any:
    response = client.patch(url, json=body)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def agent(world: World) -> TestClient:
    return world.client("acme_agent")


def test_create_change_and_read_history(world: World, agent: TestClient, clock: FakeClock) -> None:
    dana = new_customer(world)
    due = (clock.now() + timedelta(hours=8)).isoformat()
    case = post(
        agent,
        f"{ACME}/cases",
        {
            "customer_id": dana,
            "subject": "Card lost",
            "priority": "high",
            "tags": ["Card", "card", "fraud"],
            "resolution_due_at": due,
        },
    )
    assert (case["status"], case["priority"], case["tags"]) == ("new", "high", ["card", "fraud"])
    url = f"{ACME}/cases/{case['id']}"
    assert agent.get(url).json() == case
    clock.advance(minutes=10)
    boss = world.client("acme_supervisor")
    changed = patch(boss, url, {"status": "open", "escalation_tier": 1, "assignee_id": world.users["acme_agent"].id})
    assert changed["updated_at"] != case["updated_at"]
    history = agent.get(f"{url}/history").json()
    assert history["total"] == 4
    assert [(h["field"], h["old_value"], h["new_value"], h["actor_name"]) for h in history["items"]] == [
        ("created", None, "Card lost", "Acme Agent"),
        ("status", "new", "open", "Acme Supervisor"),
        ("escalation_tier", "0", "1", "Acme Supervisor"),
        ("assignee_id", None, str(world.users["acme_agent"].id), "Acme Supervisor"),
    ]
    resolved = patch(agent, url, {"status": "resolved"})
    assert resolved["resolved_at"] is not None
    closed = patch(agent, url, {"status": "closed"})
    assert closed["closed_at"] is not None
    problem(agent.patch(url, json={"status": "open"}), 409, "status")
    problem(agent.patch(url, json={"subject": "too late"}), 409)


def test_notes_and_linked_interactions(world: World, agent: TestClient) -> None:
    dana, eve = new_customer(world), new_customer(world, name="Eve")
    case = post(agent, f"{ACME}/cases", {"customer_id": dana, "subject": "Refund"})
    url = f"{ACME}/cases/{case['id']}"
    note = post(agent, f"{url}/notes", {"body": "Customer called twice.\nPromised a callback."})
    assert (note["author_name"], note["author_user_id"]) == ("Acme Agent", world.users["acme_agent"].id)
    assert agent.get(f"{url}/notes").json()["items"] == [note]
    call = post(agent, f"{ACME}/interactions", {"channel": "voice", "customer_id": dana})
    eves_call = post(agent, f"{ACME}/interactions", {"channel": "voice", "customer_id": eve})
    theirs = post(
        world.client("globex_agent"),
        f"{GLOBEX}/interactions",
        {"channel": "voice", "customer_id": new_customer(world, "globex")},
    )
    assert post(agent, f"{url}/interactions", {"interaction_id": call["id"]}, 200)["case_id"] == case["id"]
    listed = agent.get(f"{url}/interactions").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == call["id"]
    missing = problem(agent.post(f"{url}/interactions", json={"interaction_id": 10**12}), 422, "interaction_id")
    foreign = problem(agent.post(f"{url}/interactions", json={"interaction_id": theirs["id"]}), 422, "interaction_id")
    assert missing["detail"] == foreign["detail"]
    problem(agent.post(f"{url}/interactions", json={"interaction_id": eves_call["id"]}), 422, "interaction_id")
    problem(agent.post(f"{url}/interactions", json={"interaction_id": "1"}), 422, "interaction_id")
    for body in ({"body": ""}, {"body": "x" * 20_001}, {"body": "a\u0000"}, {"body": 42}, {"text": "hi"}):
        assert agent.post(f"{url}/notes", json=body).status_code == 422
    assert agent.get(f"{url}/notes").json()["total"] == 1


def test_list_filters_over_http(world: World, agent: TestClient, clock: FakeClock) -> None:
    dana, eve = new_customer(world), new_customer(world, name="Eve")
    a = post(
        agent,
        f"{ACME}/cases",
        {"customer_id": dana, "subject": "Refund please", "priority": "low", "category": "Billing", "tags": ["refund"]},
    )
    clock.advance(minutes=1)
    b = post(
        agent,
        f"{ACME}/cases",
        {
            "customer_id": eve,
            "subject": "Card stuck",
            "priority": "urgent",
            "assignee_id": world.users["acme_agent"].id,
        },
    )
    clock.advance(minutes=1)
    c = post(agent, f"{ACME}/cases", {"customer_id": dana, "subject": "Address change"})
    patch(agent, f"{ACME}/cases/{c['id']}", {"status": "closed"})

    def ids(query: str) -> list[int]:
        response = agent.get(f"{ACME}/cases?{query}")
        assert response.status_code == 200, response.text
        return [x["id"] for x in response.json()["items"]]

    assert ids("") == [c["id"], b["id"], a["id"]]
    assert ids("status=new&status=closed&sort=created_at") == [a["id"], b["id"], c["id"]]
    assert ids("open_only=true") == [b["id"], a["id"]]
    assert ids("priority=urgent") == [b["id"]]
    assert ids(f"assignee_id={world.users['acme_agent'].id}") == [b["id"]]
    assert ids("unassigned=true&open_only=true") == [a["id"]]
    assert ids("category=Billing") == [a["id"]]
    assert ids("tag=REFUND") == [a["id"]]
    assert ids(f"customer_id={dana}") == [c["id"], a["id"]]
    assert ids("q=card") == [b["id"]]
    assert ids("sort=-priority") == [b["id"], c["id"], a["id"]]
    listed = agent.get(f"{ACME}/cases?limit=2&sort=created_at").json()
    assert listed["total"] == 3 and len(listed["items"]) == 2 and listed["limit"] == 2
    for query, field in [
        ("status=lost", "status"),
        ("&".join(["status=open"] * 11), "status"),
        ("priority=asap", "priority"),
        ("sort=subject", "sort"),
        ("sort=-password_hash", "sort"),
        ("q=" + "x" * 201, "q"),
        ("tag=" + "x" * 41, "tag"),
        ("assignee_id=0", "assignee_id"),
        ("customer_id=99999999999999999999", "customer_id"),
        ("open_only=maybe", "open_only"),
        ("unassigned=true&assignee_id=3", "unassigned"),
        ("limit=-1", "limit"),
    ]:
        problem(agent.get(f"{ACME}/cases?{query}"), 422, field)
    assert ids("q=%25") == []  # a lone % matches only a literal percent sign


def test_hostile_bodies(world: World, agent: TestClient, clock: FakeClock) -> None:
    dana = new_customer(world)
    theirs = new_customer(world, "globex")
    their_queue = post(world.client("globex_supervisor"), f"{GLOBEX}/queues", {"name": "Q"})
    base = {"customer_id": dana, "subject": "Subject"}
    for body, field in [
        ({**base, "tags": [f"t{i}" for i in range(10_000)]}, "tags"),
        ({**base, "tags": ["x" * 41]}, "tags.0"),
        ({**base, "tags": ["a\u0000b"]}, "tags"),
        ({**base, "priority": "asap"}, "priority"),
        ({**base, "subject": ""}, "subject"),
        ({**base, "subject": "x" * 301}, "subject"),
        ({**base, "category": "x" * 65}, "category"),
        ({**base, "assignee_id": world.users["globex_agent"].id}, "assignee_id"),
        ({**base, "assignee_id": world.users["acme_client_manager"].id}, "assignee_id"),
        ({**base, "assignee_id": 10**12}, "assignee_id"),
        ({**base, "queue_id": their_queue["id"]}, "queue_id"),
        ({**base, "customer_id": theirs}, "customer_id"),
        ({**base, "customer_id": 2**64}, "customer_id"),
        ({**base, "customer_id": "1"}, "customer_id"),
        ({**base, "resolution_due_at": "tomorrow"}, "resolution_due_at"),
        ({**base, "status": "closed"}, "status"),
        ({"subject": "no customer"}, "customer_id"),
    ]:
        problem(agent.post(f"{ACME}/cases", json=body), 422, field)
    assert agent.get(f"{ACME}/cases").json()["total"] == 0
    case = post(agent, f"{ACME}/cases", base)
    url = f"{ACME}/cases/{case['id']}"
    for body, field in cast(
        list[tuple[dict[str, Any], str]],
        [
            ({"escalation_tier": "2"}, "escalation_tier"),
            ({"escalation_tier": 6}, "escalation_tier"),
            ({"status": "finished"}, "status"),
            ({"customer_id": theirs}, "customer_id"),
            ({"assignee_id": world.users["globex_supervisor"].id}, "assignee_id"),
            ({"tags": ["ok"] * 31}, "tags"),
            ({"created_at": clock.now().isoformat()}, "created_at"),
            ({"resolution_due_at": "9999-12-31T23:59:59-23:00"}, "resolution_due_at"),
        ],
    ):
        problem(agent.patch(url, json=body), 422, field)
    assert agent.get(f"{url}/history").json()["total"] == 1


def test_other_tenants_and_read_only_roles(world: World, agent: TestClient) -> None:
    case = post(agent, f"{ACME}/cases", {"customer_id": new_customer(world), "subject": "Private"})
    url_tail = f"/cases/{case['id']}"
    viewer = world.client("acme_client_manager")
    assert viewer.get(f"{ACME}{url_tail}").status_code == 200
    assert viewer.get(f"{ACME}{url_tail}/history").status_code == 200
    problem(viewer.patch(f"{ACME}{url_tail}", json={"priority": "high"}), 403)
    problem(viewer.post(f"{ACME}{url_tail}/notes", json={"body": "hi"}), 403)
    problem(viewer.post(f"{ACME}/cases", json={"customer_id": case["customer_id"], "subject": "x"}), 403)
    read_token = world.token_client("acme", "client_manager")
    assert read_token.get(f"{ACME}{url_tail}").status_code == 200
    problem(read_token.patch(f"{ACME}{url_tail}", json={"priority": "high"}), 403)
    outsider = world.client("globex_agent")
    nothing = problem(outsider.get(f"{GLOBEX}/cases/99999999"), 404)
    for method, path, body in [
        ("GET", f"{GLOBEX}{url_tail}", None),
        ("PATCH", f"{GLOBEX}{url_tail}", {"subject": "x"}),
        ("GET", f"{GLOBEX}{url_tail}/history", None),
        ("GET", f"{GLOBEX}{url_tail}/notes", None),
        ("POST", f"{GLOBEX}{url_tail}/notes", {"body": "x"}),
        ("GET", f"{GLOBEX}{url_tail}/interactions", None),
        ("GET", f"{ACME}{url_tail}", None),
    ]:
        response = outsider.request(method, path, json=body)
        problem(response, 404)
        assert "Private" not in response.text
    assert nothing["title"] == "Not found"
    assert outsider.get(f"{GLOBEX}/cases").json()["total"] == 0
    problem(agent.get(f"{ACME}/cases/99999999999999999999999"), 404)
    problem(agent.get(f"{ACME}/cases/-1"), 404)
