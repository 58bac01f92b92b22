"""Order inside a queue, restore after a restart, and the questions the service asks (snapshots, states)."""

from __future__ import annotations

from helpline.domain.routing.model import AgentState, EffectKind, Presence

from .builders import T0, agent, offers, queue, router, work


def test_equal_priority_is_fifo_and_priority_goes_first() -> None:
    r = router(queue(1, "chat"))
    r.enqueue(work(10, T0), T0)
    r.enqueue(work(11, T0 + 1), T0 + 1)
    r.enqueue(work(12, T0 + 2, priority=5), T0 + 2)  # VIP
    r.enqueue(work(13, T0 + 3), T0 + 3)
    assert r.waiting(1) == [12, 10, 11, 13]
    assert [r.position(i) for i in (12, 10, 11, 13)] == [1, 2, 3, 4]


def test_aging_lets_a_long_wait_overtake_a_later_higher_priority() -> None:
    # aging 1/min: an item waiting 3 minutes more has gained 3; a later item with +2 stays behind it.
    r = router(queue(1, "chat", aging_per_minute=1.0))
    r.enqueue(work(10, T0), T0)
    r.enqueue(work(11, T0 + 180, priority=2), T0 + 180)
    r.enqueue(work(12, T0 + 181, priority=4), T0 + 181)
    assert r.waiting(1) == [12, 10, 11]


def test_changing_queue_aging_rekeys_waiting_items() -> None:
    r = router(queue(1, "chat", aging_per_minute=0.0))
    r.enqueue(work(10, T0), T0)
    r.enqueue(work(11, T0 + 60, priority=1), T0 + 60)
    assert r.waiting(1) == [11, 10]  # no aging: priority alone
    r.set_queue(queue(1, "chat", aging_per_minute=2.0), T0 + 70)  # a minute more of waiting is worth +2
    assert r.waiting(1) == [10, 11]
    assert r.position(11) == 2


def test_restore_waiting_keeps_order_and_routes_only_on_route_all() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    for i, at in enumerate([T0 + 5, T0 + 5, T0 + 7]):
        r.restore_waiting(work(10 + i, at))
    assert r.waiting(1) == [10, 11, 12]
    assert r.position(11) == 2
    effects = r.route_all(T0 + 100)
    assert offers(effects) == [(10, 1), (11, 1), (12, 1)]


def test_restore_held_rebuilds_holders_capacity_and_timers() -> None:
    r = router(queue(1, "chat", offer_timeout_seconds=20, wrap_up_seconds=30), agents=[agent(1), agent(2)])
    r.restore_held(work(10, T0), (1,), "offered", T0 + 10)
    r.restore_held(work(11, T0), (1, 2), "active", T0 + 5)
    r.restore_held(work(12, T0), (2,), "wrap_up", T0 + 8)
    assert r.holders(10) == {1: "offered"}
    assert r.holders(11) == {1: "active", 2: "active"}
    assert r.agent_view(2).holding == {11: "active", 12: "wrap_up"}
    assert r.next_timer() == T0 + 30
    r.restore_waiting(work(13, T0 + 1))
    effects = r.route_all(T0 + 40)
    # agent 1 missed 10 at T0 + 30 (now away) and agent 2's wrap-up of 12 ended at T0 + 38; once every
    # due timer has fired, agent 2 (two chat slots free) takes 10, then 13, in arrival order.
    assert [(e.kind, e.work_id, e.agent_id) for e in effects] == [
        (EffectKind.OFFER_TIMED_OUT, 10, 1),
        (EffectKind.WRAP_UP_ENDED, 12, 2),
        (EffectKind.OFFERED, 10, 2),
        (EffectKind.OFFERED, 13, 2),
    ]
    assert r.agent_view(1).reason == "missed"
    r.accept(10, 2, T0 + 41)
    assert r.holders(10) == {2: "active"}


def test_restored_offer_rejected_goes_back_into_its_queue() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    r.restore_held(work(10, T0), (1,), "offered", T0 + 10)
    r.route_all(T0 + 11)
    r.set_presence(1, Presence.AWAY, T0 + 12, "x")  # withdraws the restored offer
    assert r.waiting(1) == [10]
    assert r.position(10) == 1


def test_queue_snapshot_counts() -> None:
    r = router(queue(1, "chat", skills={"billing": 1}), agents=[agent(1, {"billing": 2})])
    r.set_agent(agent(2, {"billing": 5}), T0)
    r.set_agent(agent(3, {"billing": 5}), T0)
    r.set_presence(3, Presence.AWAY, T0, "lunch")
    r.set_agent(agent(4), T0)  # no billing: not eligible
    r.set_presence(4, Presence.AVAILABLE, T0)
    r.enqueue(work(10, T0), T0)
    r.accept(10, 1, T0)
    r.enqueue(work(11, T0 + 1), T0 + 1)
    r.set_presence(1, Presence.AWAY, T0 + 2, "x")
    r.enqueue(work(12, T0 + 2), T0 + 2)
    r.enqueue(work(13, T0 + 3), T0 + 3)
    snap = r.queue_snapshot(1, T0 + 10)
    # 11 was offered to agent 1, withdrawn when they went away: 11, 12, 13 wait.
    assert (snap.waiting, snap.longest_wait_seconds, snap.offered, snap.active) == (3, 9.0, 0, 1)
    assert (snap.eligible_agents, snap.available_agents) == (2, 0)
    r.set_presence(1, Presence.AVAILABLE, T0 + 11)
    snap = r.queue_snapshot(1, T0 + 11)
    assert (snap.waiting, snap.offered, snap.active, snap.available_agents) == (1, 2, 1, 0)


def test_agents_by_state_covers_every_state() -> None:
    r = router(queue(1, "chat"), queue(2, "chat", tenant=2), agents=[agent(1), agent(2)])
    r.enqueue(work(10, T0 + 1), T0 + 1)  # tie on idle time: agent 1
    r.enqueue(work(11, T0 + 2), T0 + 2)  # agent 2 is now idle longer
    r.accept(10, 1, T0 + 3)
    r.accept(11, 2, T0 + 3)
    r.end(11, T0 + 4)
    r.set_agent(agent(3), T0)  # offline
    r.set_agent(agent(4), T0)
    r.set_presence(4, Presence.AWAY, T0, "lunch")
    r.set_agent(agent(5, tenants=[2]), T0)  # another tenant's agent
    r.set_agent(agent(6, tenants=[1, 2]), T0)
    r.set_presence(6, Presence.AVAILABLE, T0 + 5)
    assert r.agents_by_state(1) == {
        AgentState.OFFLINE: 1,
        AgentState.AVAILABLE: 1,
        AgentState.BUSY: 1,
        AgentState.WRAP_UP: 1,
        AgentState.AWAY: 1,
    }
    assert r.agents_by_state(2) == dict.fromkeys(AgentState, 0) | {AgentState.OFFLINE: 1, AgentState.AVAILABLE: 1}
    assert r.agents_by_state(3) == dict.fromkeys(AgentState, 0)


def test_questions_about_unknown_or_waiting_items() -> None:
    r = router(queue(1, "chat"))
    r.enqueue(work(10), T0)
    assert r.holders(10) == {}
    assert r.holders(99) == {}
    assert r.position(99) is None
    assert r.work(99) is None
    assert r.phase(10) == "waiting"
    assert r.offer_expires_at(10) is None
