"""Agents' contracts and queues' caller patience over HTTP: accepted, echoed back, hostile bodies
refused by field with nothing saved, and other tenants kept out."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.web.problems import problem

CONTRACT = {
    "min_hours_week": 12,
    "max_hours_week": 30.5,
    "max_days_week": 4,
    "unavailable": [{"day": 0, "from": "00:00", "to": "24:00"}, {"day": 4, "from": "22:00", "to": "06:00"}],
}
STORED = {**CONTRACT, "min_hours_week": 12.0}
WINDOW = {"day": 0, "from": "09:00", "to": "10:00"}


def call(client: TestClient, method: str, url: str, body: Any = None, status: int = 200) -> Any:
    response = client.request(method, url, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_a_contract_is_set_read_kept_and_reset(world: World) -> None:
    me = world.users["acme_agent"].id
    boss = world.client("acme_supervisor")
    url = f"/api/v1/agents/{me}"
    assert call(boss, "GET", url)["contract"] is None
    assert call(boss, "PUT", url, {"contract": CONTRACT})["contract"] == STORED
    assert call(boss, "PUT", url, {"site": "Lisbon"})["contract"] == STORED  # left out: kept
    assert call(world.client("acme_agent"), "GET", url)["contract"] == STORED  # agents read their own
    listed = {a["user_id"]: a for a in call(boss, "GET", "/api/v1/tenants/acme/agents")}
    assert listed[me]["contract"] == STORED
    # Keys left out take the defaults.
    partial = call(boss, "PUT", url, {"contract": {"max_days_week": 2}})["contract"]
    assert partial == {"min_hours_week": 0.0, "max_hours_week": 40.0, "max_days_week": 2, "unavailable": []}
    assert call(boss, "PUT", url, {"contract": None})["contract"] is None  # back to the default contract


def test_hostile_contracts_are_refused_by_field(world: World) -> None:
    me = world.users["acme_agent"].id
    admin = world.client("admin")
    url = f"/api/v1/agents/{me}"
    call(admin, "PUT", url, {"contract": CONTRACT})
    for contract, field in [
        ({"max_hours_week": -1}, "contract.max_hours_week"),
        ({"min_hours_week": -0.5}, "contract.min_hours_week"),
        ({"max_hours_week": 1e9}, "contract.max_hours_week"),
        ({"min_hours_week": 30, "max_hours_week": 20}, "contract.min_hours_week"),
        ({"min_hours_week": 30, "max_days_week": 1}, "contract.min_hours_week"),
        ({"max_hours_week": "40"}, "contract.max_hours_week"),
        ({"max_days_week": 8}, "contract.max_days_week"),
        ({"max_days_week": "5"}, "contract.max_days_week"),
        ({"max_days_week": 2.5}, "contract.max_days_week"),
        ({"unavailable": "mondays"}, "contract.unavailable"),
        ({"unavailable": [WINDOW] * 10_000}, "contract.unavailable"),
        ({"unavailable": [{**WINDOW, "day": 9}]}, "contract.unavailable.0.day"),
        ({"unavailable": [{**WINDOW, "day": True}]}, "contract.unavailable.0.day"),
        ({"unavailable": [WINDOW, {**WINDOW, "from": "25:00"}]}, "contract.unavailable.1.from"),
        ({"unavailable": [{**WINDOW, "to": "9:00"}]}, "contract.unavailable.0.to"),
        ({"unavailable": [{**WINDOW, "to": "24:30"}]}, "contract.unavailable.0.to"),
        ({"unavailable": [{**WINDOW, "from": "24:00"}]}, "contract.unavailable.0.from"),
        ({"unavailable": [{**WINDOW, "to": "09:00"}]}, "contract.unavailable.0.to"),
        ({"unavailable": [{**WINDOW, "from": "x" * 10_000}]}, "contract.unavailable.0.from"),
        ({"unavailable": [{**WINDOW, "from": "09:\x000"}]}, "contract"),  # NUL is refused on the whole field
        ({"unavailable": [{**WINDOW, "note": "dentist"}]}, "contract.unavailable.0.note"),
        ({"unavailable": [{"day": 0, "from_": "09:00", "to": "10:00"}]}, "contract.unavailable.0.from"),
        ({"overtime": True}, "contract.overtime"),
    ]:
        problem(admin.put(url, json={"contract": contract}), 422, field)
    problem(admin.put(url, json={"contract": "full time"}), 422, "contract")
    problem(admin.put(url, json={"contract": [CONTRACT]}), 422, "contract")
    assert call(admin, "GET", url)["contract"] == STORED  # nothing lost


def test_other_tenants_and_roles_cannot_set_a_contract(world: World) -> None:
    acme_agent = world.users["acme_agent"].id
    url = f"/api/v1/agents/{acme_agent}"
    call(world.client("acme_supervisor"), "PUT", url, {"contract": CONTRACT})
    body = {"contract": {"max_days_week": 1}}
    problem(world.client("globex_supervisor").put(url, json=body), 404)
    problem(world.client("globex_supervisor").get(url), 404)
    problem(world.token_client("globex", "supervisor").put(url, json=body), 404)
    problem(world.client("acme_agent").put(url, json=body), 403)  # not even their own
    problem(world.client("acme_client_manager").put(url, json=body), 403)
    assert call(world.client("admin"), "GET", url)["contract"] == STORED
    # globex's supervisor does set a contract on an agent who serves globex too.
    both = world.users["both_agent"].id
    assert (
        call(world.client("globex_supervisor"), "PUT", f"/api/v1/agents/{both}", body)["contract"]["max_days_week"] == 1
    )


def test_queue_patience_is_set_read_and_cleared(world: World) -> None:
    boss = world.client("acme_supervisor")
    base = "/api/v1/tenants/acme/queues"
    created = call(boss, "POST", base, {"name": "Calls", "channel": "voice", "patience_seconds": 120}, 201)
    assert created["patience_seconds"] == 120
    plain = call(boss, "POST", base, {"name": "Plain", "channel": "voice"}, 201)
    assert plain["patience_seconds"] is None
    url = f"{base}/{created['id']}"
    assert call(boss, "GET", url)["patience_seconds"] == 120
    assert call(boss, "PATCH", url, {"priority": 5})["patience_seconds"] == 120  # left out: kept
    assert call(boss, "PATCH", url, {"patience_seconds": 3600})["patience_seconds"] == 3600
    assert call(boss, "PATCH", url, {"patience_seconds": None})["patience_seconds"] is None
    listed = call(boss, "GET", base)["items"]
    assert {q["name"]: q["patience_seconds"] for q in listed} == {"Calls": None, "Plain": None}


def test_hostile_patience_is_refused_and_other_tenants_kept_out(world: World) -> None:
    boss = world.client("acme_supervisor")
    base = "/api/v1/tenants/acme/queues"
    queue = call(boss, "POST", base, {"name": "Calls", "channel": "voice", "patience_seconds": 90}, 201)
    url = f"{base}/{queue['id']}"
    for bad in (0, -1, 3601, 10**30, "120", 12.5, True, [120], {"mean": 120}):
        problem(boss.patch(url, json={"patience_seconds": bad}), 422, "patience_seconds")
        problem(
            boss.post(base, json={"name": "New", "channel": "voice", "patience_seconds": bad}), 422, "patience_seconds"
        )
    problem(boss.patch(url, json={"patience": 60}), 422, "patience")
    globex = world.client("globex_supervisor")
    problem(globex.patch(url, json={"patience_seconds": 30}), 404)
    problem(globex.patch(f"/api/v1/tenants/globex/queues/{queue['id']}", json={"patience_seconds": 30}), 404)
    problem(world.client("acme_agent").patch(url, json={"patience_seconds": 30}), 403)
    problem(world.client("acme_client_manager").patch(url, json={"patience_seconds": 30}), 403)
    assert call(boss, "GET", url)["patience_seconds"] == 90  # nothing changed
    assert [q["name"] for q in call(boss, "GET", base)["items"]] == ["Calls"]
