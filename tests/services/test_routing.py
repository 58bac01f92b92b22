"""Routing use cases on a real database: offers, accept, end, wrap-up, timeouts, transfers, priorities,
closed hours, overflow, the stored explanation, the events announced, and a restart rebuilding the router."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.domain.pagination import make_page
from helpline.services import agents, customers, interactions, queues, routing, users
from helpline.services.routing import Routing
from tests.conftest import PASSWORD, SYSTEM, FakeClock, World


def acme(world: World) -> int:
    return int(world.tenants["acme"].id)


def deps(world: World) -> Any:
    return world.container.deps


def make_queue(world: World, name: str = "Support chat", tenant: str = "acme", **settings: Any) -> Any:
    settings.setdefault("channel", "chat")
    return queues.create_queue(deps(world), world.principal("admin"), world.tenants[tenant].id, name, **settings)


def make_agent(world: World, name: str, tenant: str = "acme", **config: Any) -> int:
    user = users.create_user(
        deps(world), SYSTEM, f"{name.lower()}@center.test", name, "agent", PASSWORD, [world.tenants[tenant].id]
    )
    world.users[name] = user
    config.setdefault("languages", ["en"])
    agents.configure_agent(deps(world), world.principal("admin"), user.id, **config)
    return int(user.id)


def available(world: World, user_id: int) -> None:
    routing.set_presence(deps(world), world.principal("admin"), user_id, "available")


def contact(world: World, tenant: str = "acme", channel: str = "chat", customer: Any = None, **fields: Any) -> Any:
    d, admin, tid = deps(world), world.principal("admin"), world.tenants[tenant].id
    if customer is None:
        customer = customers.create_customer(d, admin, tid, {"display_name": "Dana Doe"})
    return interactions.create_interaction(d, admin, tid, channel=channel, customer_id=customer.id, **fields)


def route(world: World, interaction: Any, queue: Any, who: str = "admin") -> routing.RouteStatus:
    return routing.route(deps(world), world.principal(who), interaction.tenant_id, interaction.id, queue.id)


def stored(world: World, interaction: Any) -> Any:
    return interactions.get_interaction(deps(world), world.principal("admin"), interaction.tenant_id, interaction.id)


def events_of(world: World, kind: str) -> list[dict[str, Any]]:
    return [e for e in deps(world).events.published if e["type"] == kind]


def as_agent(world: World, user_id: int) -> Any:
    name = next(n for n, u in world.users.items() if u.id == user_id)
    return world.principal(name)


# --- the happy path ------------------------------------------------------------------------------


def test_route_offers_to_the_free_agent_then_accept_end_and_wrap_up(world: World, clock: FakeClock) -> None:
    queue = make_queue(world, disposition_codes=["resolved", "callback"], wrap_up_seconds=120)
    ann = make_agent(world, "Ann")
    available(world, ann)
    chat = contact(
        world, subject="Card blocked", messages=[{"author_kind": "customer", "body": "Hello, my card is blocked"}]
    )
    status = route(world, chat, queue)
    assert status.status == "offered"
    row = stored(world, chat)
    assert (row.status, row.agent_id, row.queue_id) == ("offered", ann, queue.id)
    assert row.queued_at == clock.now() and row.offered_at == clock.now()
    offer = events_of(world, "offer")[-1]
    assert offer["topics"] == [f"agent:{ann}"]
    assert offer["interaction_id"] == chat.id and offer["tenant_slug"] == "acme"
    assert offer["queue_name"] == "Support chat" and offer["customer_name"] == "Dana Doe"
    assert offer["subject"] == "Card blocked" and offer["expires_at"].startswith("2026-03-02T09:00:20")
    assert offer["explanation"]["strategy"] == "longest_idle"

    clock.advance(seconds=5)
    routing.accept(deps(world), as_agent(world, ann), acme(world), chat.id)
    row = stored(world, chat)
    assert (row.status, row.agent_id, row.accepted_at) == ("active", ann, clock.now())
    assert deps(world).routing.holders(chat.id) == {ann: "active"}
    joined = events_of(world, "chat.joined")[-1]
    assert joined["topics"][:2] == [f"chat:{chat.id}", f"interaction:{chat.id}"] and joined["role"] == "agent"

    clock.advance(minutes=3)
    routing.end(deps(world), as_agent(world, ann), acme(world), chat.id)
    row = stored(world, chat)
    assert (row.status, row.ended_at) == ("ended", clock.now())
    assert deps(world).routing.holders(chat.id) == {ann: "wrap_up"}
    assert events_of(world, "chat.ended")[-1]["reason"] == "agent_ended"

    with pytest.raises(ValidationFailed) as missing:
        routing.wrap_up(deps(world), as_agent(world, ann), acme(world), chat.id, None)
    assert missing.value.field == "disposition_code"
    with pytest.raises(ValidationFailed):
        routing.wrap_up(deps(world), as_agent(world, ann), acme(world), chat.id, "not-a-code")
    clock.advance(seconds=30)
    routing.wrap_up(deps(world), as_agent(world, ann), acme(world), chat.id, "resolved", note="Unblocked the card")
    row = stored(world, chat)
    assert (row.status, row.disposition_code, row.wrapped_up_at) == ("wrapped_up", "resolved", clock.now())
    assert deps(world).routing.holders(chat.id) == {}
    # The conversation itself is untouched by routing.
    messages, total = interactions.list_messages(deps(world), world.principal("admin"), acme(world), chat.id)
    assert total == 1 and messages[0].body == "Hello, my card is blocked"
    kinds = [
        e["kind"] for e in routing.routing_log(deps(world), world.principal("acme_supervisor"), acme(world), chat.id)
    ]
    assert kinds == ["queued", "offered", "accepted", "ended", "wrapped_up"]
    updated = [e for e in events_of(world, "interaction.updated") if e["interaction_id"] == chat.id and "step" in e]
    assert [e["step"] for e in updated][-4:] == ["offer", "accept", "end", "wrap_up"]
    assert all(f"tenant:{acme(world)}" in e["topics"] and f"interaction:{chat.id}" in e["topics"] for e in updated[-4:])
    states = [e for e in events_of(world, "agent.state") if e["agent_id"] == ann]
    assert [e["state"] for e in states][-4:] == ["busy", "busy", "wrap_up", "available"]
    assert f"tenant:{acme(world)}" in states[-1]["topics"] and f"agent:{ann}" in states[-1]["topics"]


def test_queued_when_nobody_is_free_with_position_and_estimate(world: World, clock: FakeClock) -> None:
    queue = make_queue(world, "Calls", channel="voice", leave_message_after_seconds=120)
    ann = make_agent(world, "Ann")  # offline; takes one call at a time
    first, second = contact(world, channel="voice"), contact(world, channel="voice")
    assert route(world, first, queue) == routing.RouteStatus("queued", 1, 180.0, False)
    assert route(world, second, queue) == routing.RouteStatus("queued", 2, 360.0, False)
    clock.advance(seconds=121)
    assert routing.wait_status(deps(world), acme(world), first.id).leave_message is True
    available(world, ann)
    assert stored(world, first).agent_id == ann  # the oldest goes first
    assert routing.wait_status(deps(world), acme(world), second.id) == routing.RouteStatus("queued", 1, 180.0, True)
    assert routing.wait_status(deps(world), acme(world), first.id).status == "offered"
    # Routing twice is harmless; the customer leaving ends a waiting item (abandoned).
    assert route(world, second, queue).position == 1
    routing.end(deps(world), None, acme(world), second.id, reason="customer_left")
    assert stored(world, second).status == "ended"
    assert routing.wait_status(deps(world), acme(world), second.id).status == "ended"
    routing.end(deps(world), None, acme(world), second.id, reason="customer_left")  # again: nothing happens
    assert deps(world).routing.router.waiting(queue.id) == []


def test_offer_timeout_makes_the_agent_away_missed_and_offers_to_another(world: World, clock: FakeClock) -> None:
    queue = make_queue(world, offer_timeout_seconds=20)
    ann = make_agent(world, "Ann")
    available(world, ann)
    clock.advance(seconds=10)
    bob = make_agent(world, "Bob")
    available(world, bob)
    chat = contact(world)
    route(world, chat, queue)
    assert stored(world, chat).agent_id == ann  # idle the longest
    clock.advance(seconds=19)
    assert deps(world).routing.tick() == 0
    clock.advance(seconds=2)
    assert deps(world).routing.tick() > 0
    row = stored(world, chat)
    assert (row.status, row.agent_id) == ("offered", bob)
    me = agents.get_agent(deps(world), world.principal("admin"), ann)
    assert (me["presence"], me["reason"]) == ("away", "missed")
    withdrawn = events_of(world, "offer.withdrawn")[-1]
    assert (withdrawn["topics"], withdrawn["reason"]) == ([f"agent:{ann}"], "timeout")
    with world.container.deps.uow() as uow:
        log = uow.center.agents.presence_log(ann)
        assert (log[0].presence, log[0].reason, log[0].changed_by) == ("away", "missed", None)
        assert uow.center.agents.get(ann).away_reason == "missed"
    kinds = [e["kind"] for e in stored(world, chat).routing]
    assert kinds == ["queued", "offered", "offer_timed_out", "offered"]


def test_reject_gives_it_to_the_next_agent_and_only_the_holder_may_act(world: World, clock: FakeClock) -> None:
    queue = make_queue(world)
    ann = make_agent(world, "Ann")
    available(world, ann)
    clock.advance(seconds=1)
    bob = make_agent(world, "Bob")
    available(world, bob)
    chat = contact(world)
    route(world, chat, queue)
    with pytest.raises(PermissionDenied):
        routing.accept(deps(world), as_agent(world, bob), acme(world), chat.id)
    with pytest.raises(PermissionDenied):
        routing.accept(deps(world), world.principal("acme_client_manager"), acme(world), chat.id)
    with pytest.raises(NotFound):
        routing.accept(deps(world), world.principal("globex_supervisor"), acme(world), chat.id)
    with pytest.raises(NotFound):
        routing.accept(deps(world), world.principal("both_agent"), world.tenants["globex"].id, chat.id)
    routing.reject(deps(world), as_agent(world, ann), acme(world), chat.id)
    assert stored(world, chat).agent_id == bob
    assert agents.get_agent(deps(world), world.principal("admin"), ann)["presence"] == "available"
    with pytest.raises(Conflict):
        routing.wrap_up(deps(world), as_agent(world, bob), acme(world), chat.id, None)
    # A supervisor may accept on the agent's behalf.
    routing.accept(deps(world), world.principal("acme_supervisor"), acme(world), chat.id)
    assert stored(world, chat).status == "active"
    with pytest.raises(Conflict):
        routing.accept(deps(world), as_agent(world, bob), acme(world), chat.id)


def test_transfer_to_a_queue_and_to_an_agent_and_add_a_second_agent(world: World, clock: FakeClock) -> None:
    sales = make_queue(world, "Sales chat", skills={"sales": 2})
    support = make_queue(world)
    ann = make_agent(world, "Ann")
    bob = make_agent(world, "Bob", skills={"sales": 3})
    cat = make_agent(world, "Cat")
    for agent in (ann, bob, cat):
        available(world, agent)
        clock.advance(seconds=1)
    chat = contact(world)
    route(world, chat, support)
    holder = stored(world, chat).agent_id
    assert holder == ann
    routing.accept(deps(world), as_agent(world, ann), acme(world), chat.id)
    with pytest.raises(ValidationFailed):
        routing.transfer(deps(world), as_agent(world, ann), acme(world), chat.id)
    with pytest.raises(ValidationFailed):
        routing.transfer(deps(world), as_agent(world, ann), acme(world), chat.id, queue_id=10**9)
    routing.transfer(deps(world), as_agent(world, ann), acme(world), chat.id, queue_id=sales.id)
    row = stored(world, chat)
    assert (row.queue_id, row.status, row.agent_id) == (sales.id, "offered", bob)  # only Bob has the skill
    assert deps(world).routing.holders(chat.id) == {bob: "offered"}
    routing.accept(deps(world), as_agent(world, bob), acme(world), chat.id)
    routing.transfer(deps(world), as_agent(world, bob), acme(world), chat.id, agent_id=cat)
    assert deps(world).routing.holders(chat.id) == {cat: "offered"}
    routing.accept(deps(world), as_agent(world, cat), acme(world), chat.id)
    with pytest.raises(ValidationFailed):
        routing.add_agent(deps(world), as_agent(world, cat), acme(world), chat.id, world.users["globex_agent"].id)
    with pytest.raises(Conflict):
        routing.add_agent(deps(world), as_agent(world, cat), acme(world), chat.id, cat)
    routing.add_agent(deps(world), as_agent(world, cat), acme(world), chat.id, ann)
    assert deps(world).routing.holders(chat.id) == {cat: "active", ann: "active"}
    routing.end(deps(world), as_agent(world, cat), acme(world), chat.id)
    assert deps(world).routing.holders(chat.id) == {cat: "wrap_up", ann: "wrap_up"}
    routing.wrap_up(deps(world), as_agent(world, cat), acme(world), chat.id, None)
    assert stored(world, chat).status == "ended"  # Ann is still wrapping up
    routing.wrap_up(deps(world), as_agent(world, ann), acme(world), chat.id, None)
    assert stored(world, chat).status == "wrapped_up"
    with world.container.deps.uow() as uow:
        rows = {(r.user_id, r.phase) for r in uow.tenant(acme(world)).routing.holder_rows(chat.id)}
    assert rows == {(ann, "left"), (bob, "left"), (cat, "left")}


def test_wrap_up_timer_frees_the_agent(world: World, clock: FakeClock) -> None:
    queue = make_queue(world, wrap_up_seconds=30)
    ann = make_agent(world, "Ann", profile="voice")
    available(world, ann)
    first, second = contact(world), contact(world)
    route(world, first, queue)
    route(world, second, queue)
    assert stored(world, second).status == "queued"  # voice profile: no chats at all
    routing.set_presence(deps(world), world.principal("admin"), ann, "offline")
    agents.configure_agent(deps(world), world.principal("admin"), ann, profile="blended")
    available(world, ann)
    assert {stored(world, first).agent_id, stored(world, second).agent_id} == {ann}
    routing.accept(deps(world), as_agent(world, ann), acme(world), first.id)
    routing.end(deps(world), None, acme(world), first.id, reason="customer_left")
    clock.advance(seconds=31)
    deps(world).routing.tick()
    assert stored(world, first).status == "wrapped_up"
    assert "wrap_up_ended" in [e["kind"] for e in stored(world, first).routing]


# --- customer-centric, priority, hours, overflow --------------------------------------------------


def test_vip_goes_first_and_the_dedicated_agent_is_waited_for(world: World, clock: FakeClock) -> None:
    queue = make_queue(world, preferred_wait_seconds=30)
    ann = make_agent(world, "Ann")
    bob = make_agent(world, "Bob")
    d, admin, tid = deps(world), world.principal("admin"), acme(world)
    plain = contact(world)
    clock.advance(seconds=30)
    vip_customer = customers.create_customer(d, admin, tid, {"display_name": "Vera VIP", "tier": "vip"})
    vip = contact(world, customer=vip_customer)
    route(world, plain, queue)
    route(world, vip, queue)
    assert deps(world).routing.router.waiting(queue.id) == [vip.id, plain.id]
    assert stored(world, vip).routing[0]["vip"] is True

    loyal = customers.create_customer(d, admin, tid, {"display_name": "Lou Loyal", "dedicated_agent_id": bob})
    routing.set_presence(d, as_agent(world, bob), bob, "away", "lunch")  # present, so waited for
    mine = contact(world, customer=loyal)
    route(world, mine, queue)
    available(world, ann)
    assert stored(world, vip).agent_id == ann
    assert stored(world, mine).status == "queued"  # not given to Ann: Bob is waited for
    available(world, bob)
    row = stored(world, mine)
    assert row.agent_id == bob
    assert row.routing[0]["preferred"] == [[bob, "dedicated"]]
    assert row.routing[-1]["preferred"] == "dedicated"


def test_recent_agent_is_preferred(world: World, clock: FakeClock) -> None:
    queue = make_queue(world, preferred_wait_seconds=30, recent_agent_days=7)
    ann = make_agent(world, "Ann")
    bob = make_agent(world, "Bob")
    d, admin, tid = deps(world), world.principal("admin"), acme(world)
    dana = customers.create_customer(d, admin, tid, {"display_name": "Dana"})
    available(world, bob)
    first = contact(world, customer=dana)
    route(world, first, queue)
    routing.accept(d, as_agent(world, bob), tid, first.id)
    routing.end(d, None, tid, first.id, reason="customer_left")
    routing.wrap_up(d, as_agent(world, bob), tid, first.id, None)
    routing.set_presence(d, as_agent(world, bob), bob, "away", "break")
    clock.advance(days=2)
    available(world, ann)
    again = contact(world, customer=dana)
    route(world, again, queue)
    assert stored(world, again).status == "queued"
    available(world, bob)
    assert stored(world, again).agent_id == bob
    clock.advance(days=8)
    third = contact(world, customer=dana)
    route(world, third, queue)
    assert stored(world, third).agent_id == ann  # too long ago: no preference


def test_closed_queue_tells_the_customer_and_keeps_nothing(world: World, clock: FakeClock) -> None:
    # Monday 09:00 UTC is 04:00 in New York: closed.
    hours = {"timezone": "America/New_York", "weekly": {"0": [[540, 1020]]}, "closed_dates": []}
    queue = make_queue(world, hours=hours)
    chat = contact(world)
    assert route(world, chat, queue) == routing.RouteStatus("closed", leave_message=True)
    row = stored(world, chat)
    assert row.status == "new" and row.routing[-1]["kind"] == "closed"
    assert routing.wait_status(deps(world), acme(world), chat.id).status == "closed"
    clock.advance(hours=6)  # 10:00 in New York
    assert route(world, chat, queue).status == "queued"


def test_overflow_to_a_partner_ends_it_here(world: World) -> None:
    queue = make_queue(world, overflow=[{"name": "outsourcer", "kind": "partner", "weight": 100}])
    chat = contact(world)
    assert route(world, chat, queue).status == "overflowed"
    row = stored(world, chat)
    assert (row.status, row.disposition_code) == ("ended", "overflow:outsourcer")
    assert routing.wait_status(deps(world), acme(world), chat.id).status == "overflowed"
    changed = routing.set_overflow(deps(world), world.principal("acme_supervisor"), acme(world), queue.id, [])
    assert changed.overflow == []
    assert route(world, contact(world), queue).status == "queued"
    with pytest.raises(ValidationFailed):
        routing.set_overflow(
            deps(world), world.principal("acme_supervisor"), acme(world), queue.id, [{"name": "x", "kind": "moon"}]
        )
    with pytest.raises(PermissionDenied):
        routing.set_overflow(deps(world), world.principal("acme_agent"), acme(world), queue.id, [])


def test_route_refuses_what_cannot_be_routed(world: World) -> None:
    d, admin, tid = deps(world), world.principal("admin"), acme(world)
    chat = contact(world)
    anywhere = queues.create_queue(d, admin, tid, "Anything")
    with pytest.raises(Conflict):
        route(world, chat, anywhere)  # a queue without a channel
    calls = make_queue(world, "Calls", channel="voice")
    with pytest.raises(ValidationFailed):
        route(world, chat, calls)
    with pytest.raises(ValidationFailed):
        routing.route(d, admin, tid, chat.id)  # no queue at all
    other = make_queue(world, "Theirs", tenant="globex")
    with pytest.raises(ValidationFailed):
        routing.route(d, admin, tid, chat.id, other.id)
    with pytest.raises(NotFound):
        routing.route(d, world.principal("globex_agent"), world.tenants["globex"].id, chat.id, other.id)
    with pytest.raises(PermissionDenied):
        route(world, chat, make_queue(world), who="acme_client_manager")


def test_supervisor_changes_an_agents_presence_within_their_tenants_only(world: World) -> None:
    ann = make_agent(world, "Ann")
    d = deps(world)
    state = routing.set_presence(d, world.principal("acme_supervisor"), ann, "away", "training", tenant_id=acme(world))
    assert (state["presence"], state["reason"]) == ("away", "training")
    with pytest.raises(NotFound):
        routing.set_presence(
            d, world.principal("globex_supervisor"), ann, "available", tenant_id=world.tenants["globex"].id
        )
    with pytest.raises(PermissionDenied):
        routing.set_presence(d, world.principal("acme_agent"), ann, "available")
    with pytest.raises(PermissionDenied):
        routing.set_presence(d, world.principal("acme_client_manager"), world.users["acme_client_manager"].id, "away")
    with pytest.raises(ValidationFailed):
        routing.set_presence(d, world.principal("admin"), ann, "sleeping")
    # An agent never configured gets a routing profile on first sign-in, speaking their tenants' languages.
    me = world.users["both_agent"].id
    routing.set_presence(d, world.principal("both_agent"), me, "available")
    view = agents.get_agent(d, world.principal("both_agent"), me)
    assert (view["languages"], view["profile"], view["state"]) == (["en", "fr"], "blended", "available")


def test_desktop_and_wallboard(world: World, clock: FakeClock) -> None:
    queue = make_queue(world, service_level_seconds=20)
    ann = make_agent(world, "Ann")
    available(world, ann)
    first, second = contact(world, subject="First"), contact(world, subject="Second")
    route(world, first, queue)
    route(world, second, queue)
    clock.advance(seconds=5)
    desk = routing.desktop(deps(world), as_agent(world, ann))
    assert (desk["presence"], desk["state"]) == ("available", "busy")
    assert [o["interaction_id"] for o in desk["offers"]] == [first.id, second.id]
    assert desk["offers"][0]["tenant_slug"] == "acme" and desk["offers"][0]["customer_name"] == "Dana Doe"
    assert desk["offers"][0]["expires_at"].startswith("2026-03-02T09:00:20")
    routing.accept(deps(world), as_agent(world, ann), acme(world), first.id)
    desk = routing.desktop(deps(world), as_agent(world, ann))
    assert [(i["interaction_id"], i["phase"]) for i in desk["interactions"]] == [(first.id, "active")]
    board = routing.wallboard(deps(world), world.principal("acme_client_manager"), acme(world))
    row = board["queues"][0]
    assert (row["name"], row["offered"], row["active"], row["answered_today"]) == ("Support chat", 1, 1, 1)
    assert row["service_level_today"] == 100.0
    assert board["agents_by_state"]["busy"] == 1 and board["occupancy_percent"] == 100.0
    assert [a["name"] for a in board["agents"]] == ["Ann"]
    with pytest.raises(NotFound):
        routing.wallboard(deps(world), world.principal("globex_supervisor"), acme(world))
    with pytest.raises(PermissionDenied):
        routing.desktop(deps(world), world.principal("acme_client_manager"))


# --- restart -------------------------------------------------------------------------------------


def test_restart_rebuilds_the_same_waiting_order_and_held_work(world: World, clock: FakeClock) -> None:
    d = deps(world)
    agents.save_profile(d, world.principal("admin"), "one-chat", limits={"chat": 1})
    queue = make_queue(world, offer_timeout_seconds=30)
    ann = make_agent(world, "Ann")
    bob = make_agent(world, "Bob", profile="one-chat")
    available(world, ann)
    held = contact(world)
    route(world, held, queue)
    routing.accept(d, as_agent(world, ann), acme(world), held.id)
    routing.set_presence(d, as_agent(world, ann), ann, "away", "break")
    vip = customers.create_customer(d, world.principal("admin"), acme(world), {"display_name": "V", "tier": "vip"})
    waiting = []
    for i in range(6):
        clock.advance(seconds=7)
        waiting.append(contact(world, customer=vip if i == 4 else None))
        route(world, waiting[-1], queue)
    order = d.routing.router.waiting(queue.id)
    assert order == [waiting[i].id for i in (4, 0, 1, 2, 3, 5)]  # the VIP first, then in arrival order
    available(world, bob)
    assert d.routing.holders(waiting[4].id) == {bob: "offered"}
    before = d.routing.router
    order = before.waiting(queue.id)
    fresh = Routing(d)
    with fresh.lock:
        fresh.load()
        assert fresh.router.waiting(queue.id) == order
        for item in [held, *waiting]:
            assert fresh.router.holders(item.id) == before.holders(item.id)
            assert fresh.router.position(item.id) == before.position(item.id)
        assert fresh.router.agent_view(ann).presence.value == "away"
        assert fresh.router.agent_view(ann).holding == before.agent_view(ann).holding == {held.id: "active"}
        assert fresh.router.agent_view(bob).holding == before.agent_view(bob).holding
    # The restored offer still times out at its original time, and the next item goes to nobody (Ann is away).
    d.routing = fresh
    clock.advance(seconds=29)
    assert fresh.tick() == 0
    clock.advance(seconds=2)
    assert fresh.tick() > 0
    assert agents.get_agent(d, world.principal("admin"), bob)["reason"] == "missed"
    assert stored(world, waiting[4]).status == "queued"
    assert fresh.router.waiting(queue.id)[0] == waiting[4].id  # back to its place


# --- the clock worker and the overflow re-plan -----------------------------------------------------


def test_replan_moves_site_weights_to_where_agents_are(world: World) -> None:
    plan = [
        {"name": "main", "kind": "site", "weight": 60},
        {"name": "lisbon", "kind": "site", "weight": 30},
        {"name": "partner-co", "kind": "partner", "weight": 10},
    ]
    queue = make_queue(world, overflow=plan)
    for name, site in (("Ann", "main"), ("Bob", "lisbon"), ("Cat", "lisbon")):
        available(world, make_agent(world, name, site=site))
    assert routing.replan_overflow(deps(world)) == 1
    weights = {
        t["name"]: t["weight"]
        for t in queues.get_queue(deps(world), world.principal("admin"), acme(world), queue.id).overflow
    }
    assert weights == {"main": 30.0, "lisbon": 60.0, "partner-co": 10.0}
    live = {t.name: t.weight for t in deps(world).routing.router.overflow_targets(queue.id)}
    assert live == weights
    assert routing.replan_overflow(deps(world)) == 0  # nothing moved since


def test_router_clock_fires_timers_and_pushes_changed_wallboards(world: World, clock: FakeClock) -> None:
    import asyncio
    import contextlib

    from helpline.workers import router_clock

    queue = make_queue(world, offer_timeout_seconds=20)
    ann = make_agent(world, "Ann")
    available(world, ann)
    chat = contact(world)
    route(world, chat, queue)
    clock.advance(seconds=25)

    async def briefly() -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(router_clock.run(world.container), timeout=0.4)

    asyncio.run(briefly())
    assert stored(world, chat).status == "queued"  # the offer timed out on the clock's tick
    boards = [e for e in events_of(world, "wallboard") if e["tenant_id"] == acme(world)]
    assert len(boards) == 1 and boards[0]["topics"] == [f"tenant:{acme(world)}"]
    assert boards[0]["queues"][0]["waiting"] == 1
    last: dict[int, Any] = {}
    assert router_clock.push_wallboards(world.container, last) == 2  # both tenants, first time
    assert router_clock.push_wallboards(world.container, last) == 0  # unchanged: nothing pushed


def test_demo_agents_sign_in_and_take_chats_from_the_live_queues(container: Any) -> None:
    from datetime import UTC, datetime

    from helpline.domain.permissions import Principal
    from helpline.domain.vocabulary import Role
    from helpline.services import demo

    d = container.deps
    demo.load_demo(d, seed=7, base=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), scale=0.05)
    admin = Principal(Role.ADMIN, None, None)
    with d.uow() as uow:
        north = uow.center.tenant_by_slug("northwave").id
        french = next(
            q for q in uow.tenant(north).queues.listed(make_page(100, 0))[0] if q.language == "fr" and q.channel
        )
        emilie = uow.center.user_by_email("emilie.gagnon@helpline.demo")
        ethan = uow.center.user_by_email("ethan.clarke@helpline.demo")
    assert agents.get_agent(d, admin, emilie.id)["presence"] == "offline"  # everyone starts signed out
    for user in (ethan, emilie):
        routing.set_presence(d, admin, user.id, "available")
    customer = customers.create_customer(d, admin, north, {"display_name": "Chloé", "language": "fr"})
    chat = interactions.create_interaction(d, admin, north, channel="chat", customer_id=customer.id)
    assert routing.route(d, admin, north, chat.id, french.id).status == "offered"
    assert d.routing.holders(chat.id) == {emilie.id: "offered"}  # Ethan speaks no French
    board = routing.wallboard(d, admin, north)
    assert {q["name"] for q in board["queues"]} == {"Live chat: Support", "Clavardage : Soutien"}


def test_steps_recorded_by_an_integration_follow_the_plain_lifecycle(world: World, clock: FakeClock) -> None:
    """An interaction the router never held (an outside ACD recorded queue and offer) can still be
    accepted, ended and wrapped up through the routing use cases, by its agent or a supervisor."""
    d, tid = deps(world), acme(world)
    me = world.users["acme_agent"].id
    call = contact(world, channel="voice")
    interactions.lifecycle_step(d, world.principal("acme_agent"), tid, call.id, "queue")
    interactions.lifecycle_step(d, world.principal("acme_agent"), tid, call.id, "offer", agent_id=me)
    with pytest.raises(PermissionDenied):
        routing.accept(d, world.principal("both_agent"), tid, call.id)
    routing.accept(d, world.principal("acme_agent"), tid, call.id)
    with pytest.raises(Conflict):
        routing.wrap_up(d, world.principal("acme_agent"), tid, call.id, "resolved")
    clock.advance(minutes=2)
    routing.end(d, world.principal("acme_agent"), tid, call.id)
    with pytest.raises(Conflict):
        routing.end(d, world.principal("acme_agent"), tid, call.id)
    routing.wrap_up(d, world.principal("acme_supervisor"), tid, call.id, "resolved", note="Called back")
    row = stored(world, call)
    assert (row.status, row.disposition_code, row.agent_id) == ("wrapped_up", "resolved", me)
    assert row.ended_at == clock.now() and row.wrapped_up_at == clock.now()


def test_an_agent_taken_off_a_tenant_or_deactivated_gets_none_of_its_work(world: World) -> None:
    queue = make_queue(world)
    moved, leaving = make_agent(world, "Moved"), make_agent(world, "Leaving")
    available(world, moved)
    available(world, leaving)
    admin = world.principal("admin")
    users.update_user(deps(world), admin, moved, {"tenant_ids": [world.tenants["globex"].id]})
    users.update_user(deps(world), admin, leaving, {"is_active": False})
    status = route(world, contact(world), queue)
    assert status.status == "queued"  # nobody left who may take acme's chat
    stay = make_agent(world, "Stays")
    available(world, stay)
    assert [e["interaction_id"] for e in events_of(world, "offer") if e["topics"] == [f"agent:{stay}"]]


@pytest.mark.parametrize(("channel", "seconds"), [("voice", 20), ("email", 2 * 86_400), ("letter", 10 * 86_400)])
def test_a_queue_is_measured_by_its_channels_usual_promise_unless_told_otherwise(
    world: World, channel: str, seconds: int
) -> None:
    assert make_queue(world, f"{channel} queue", channel=channel).service_level_seconds == seconds
    assert make_queue(world, f"{channel} fast", channel=channel, service_level_seconds=60).service_level_seconds == 60
