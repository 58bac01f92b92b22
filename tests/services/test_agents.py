"""Agent routing profiles and capacity profiles on a real database: validation, who may configure whom,
live state, and changes reaching the running router."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.domain.errors import NotFound, PermissionDenied, ValidationFailed
from helpline.services import agents, customers, interactions, queues, routing
from tests.conftest import World


def deps(world: World) -> Any:
    return world.container.deps


def test_configure_validates_and_is_live(world: World) -> None:
    d, admin = deps(world), world.principal("admin")
    me = world.users["acme_agent"].id
    view = agents.configure_agent(
        d, admin, me, skills={"Cards": 4, "loans": 1}, languages=["en", "fr-CA", "en"], site="Lisbon", profile="digital"
    )
    assert (view["skills"], view["languages"], view["site"], view["profile"]) == (
        {"cards": 4, "loans": 1},
        ["en", "fr-CA"],
        "Lisbon",
        "digital",
    )
    assert (view["configured"], view["state"], view["tenant_ids"]) == (True, "offline", [world.tenants["acme"].id])
    kept = agents.configure_agent(d, admin, me, site="Porto")
    assert (kept["skills"], kept["site"]) == ({"cards": 4, "loans": 1}, "Porto")
    bad: list[tuple[dict[str, Any], str]] = [
        ({"skills": {"cards": 6}}, "skills"),
        ({"skills": {"cards": 0}}, "skills"),
        ({"skills": {"cards": True}}, "skills"),
        ({"skills": {"cards": "3"}}, "skills"),
        ({"skills": {"two words": 3}}, "skills"),
        ({"skills": {f"s{i}": 1 for i in range(51)}}, "skills"),
        ({"skills": ["cards"]}, "skills"),
        ({"languages": ["english"]}, "languages"),
        ({"languages": "en"}, "languages"),
        ({"languages": ["en"] * 21}, "languages"),
        ({"site": ""}, "site"),
        ({"site": "x" * 41}, "site"),
        ({"profile": "turbo"}, "profile"),
    ]
    for kwargs, field in bad:
        with pytest.raises(ValidationFailed) as error:
            agents.configure_agent(d, admin, me, **kwargs)
        assert error.value.field == field, kwargs
    assert agents.get_agent(d, admin, me)["site"] == "Porto"  # nothing half-written


def test_who_may_configure_and_read_whom(world: World) -> None:
    d = deps(world)
    me = world.users["acme_agent"].id
    agents.configure_agent(d, world.principal("acme_supervisor"), me, skills={"cards": 2})
    assert agents.get_agent(d, world.principal("acme_agent"), me)["skills"] == {"cards": 2}  # one's own
    with pytest.raises(PermissionDenied):
        agents.configure_agent(d, world.principal("acme_agent"), me, skills={"cards": 5})
    with pytest.raises(PermissionDenied):
        agents.get_agent(d, world.principal("acme_agent"), world.users["both_agent"].id)
    with pytest.raises(PermissionDenied):
        agents.get_agent(d, world.principal("acme_client_manager"), me)
    with pytest.raises(NotFound):
        agents.configure_agent(d, world.principal("globex_supervisor"), me, skills={})
    with pytest.raises(NotFound):
        agents.get_agent(d, world.principal("globex_supervisor"), me)
    with pytest.raises(NotFound):
        agents.configure_agent(d, world.principal("admin"), world.users["acme_client_manager"].id, skills={})
    with pytest.raises(NotFound):
        agents.get_agent(d, world.principal("admin"), 10**15)
    # The agent serving both tenants is reachable by either tenant's supervisor.
    both = world.users["both_agent"].id
    agents.configure_agent(d, world.principal("globex_supervisor"), both, languages=["fr"])
    assert agents.get_agent(d, world.principal("acme_supervisor"), both)["languages"] == ["fr"]


def test_list_agents_of_a_tenant_with_live_state(world: World) -> None:
    d = deps(world)
    acme = world.tenants["acme"].id
    routing.set_presence(d, world.principal("acme_agent"), world.users["acme_agent"].id, "available")
    listed = agents.list_agents(d, world.principal("acme_client_manager"), acme)
    names = {a["name"]: (a["state"], a["configured"]) for a in listed}
    assert names == {
        "Acme Agent": ("available", True),
        "Acme Supervisor": ("offline", False),
        "Bo Both": ("offline", False),
    }
    with pytest.raises(NotFound):
        agents.list_agents(d, world.principal("globex_agent"), acme)


def test_capacity_profiles_builtin_custom_and_live(world: World) -> None:
    d, admin = deps(world), world.principal("admin")
    assert [p["name"] for p in agents.list_profiles(d, world.principal("acme_supervisor"))] == [
        "blended",
        "digital",
        "voice",
    ]
    with pytest.raises(PermissionDenied):
        agents.list_profiles(d, world.principal("acme_agent"))
    with pytest.raises(PermissionDenied):
        agents.save_profile(d, world.principal("acme_supervisor"), "x", limits={"chat": 1})
    invalid: list[tuple[str, dict[str, Any], str]] = [
        ("Bad Name", {"limits": {"chat": 1}}, "name"),
        ("ok", {"limits": {}}, "limits"),
        ("ok", {"limits": {"pigeon": 1}}, "limits"),
        ("ok", {"limits": {"chat": 51}}, "limits"),
        ("ok", {"limits": {"chat": -1}}, "limits"),
        ("ok", {"limits": {"chat": 1}, "exclusive": ["moon"]}, "exclusive"),
        ("ok", {"limits": {"chat": 1}, "exclusive": ["email"], "interruptible": ["email"]}, "interruptible"),
        ("ok", {"limits": {"chat": 1}, "max_total": 0}, "max_total"),
    ]
    for name, kwargs, field in invalid:
        with pytest.raises(ValidationFailed) as error:
            agents.save_profile(d, admin, name, **kwargs)
        assert error.value.field == field, (name, kwargs)
    saved = agents.save_profile(d, admin, "two-chats", limits={"chat": 2}, max_total=2)
    assert (saved["limits"], saved["exclusive"], saved["builtin"]) == ({"chat": 2}, ["voice"], False)

    # An agent on the profile gets two chats; shrinking the profile applies to the next offer.
    tid = world.tenants["acme"].id
    queue = queues.create_queue(d, admin, tid, "Chat", "chat")
    me = world.users["acme_agent"].id
    agents.configure_agent(d, admin, me, profile="two-chats")
    routing.set_presence(d, world.principal("acme_agent"), me, "available")
    customer = customers.create_customer(d, admin, tid, {"display_name": "Dana"})
    chats = [interactions.create_interaction(d, admin, tid, channel="chat", customer_id=customer.id) for _ in range(3)]
    for chat in chats:
        routing.route(d, admin, tid, chat.id, queue.id)
    assert [routing.wait_status(d, tid, c.id).status for c in chats] == ["offered", "offered", "queued"]
    agents.save_profile(d, admin, "two-chats", limits={"chat": 3})
    assert routing.wait_status(d, tid, chats[2].id).status == "offered"
