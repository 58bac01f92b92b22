"""End, wrap-up (manual or by timer) and abandoned items."""

from __future__ import annotations

import pytest

from helpline.domain.errors import Conflict
from helpline.domain.routing.model import AgentState, EffectKind, Presence

from .builders import T0, agent, kinds, offers, queue, router, work


def test_end_starts_wrap_up_and_the_timer_frees_the_slot() -> None:
    r = router(queue(1, "voice", wrap_up_seconds=45), agents=[agent(1)])
    r.enqueue(work(10, channel="voice"), T0)
    r.accept(10, 1, T0 + 1)
    assert r.end(10, T0 + 100) == []
    assert r.holders(10) == {1: "wrap_up"}
    assert r.agent_view(1).state is AgentState.WRAP_UP
    assert offers(r.enqueue(work(11, T0 + 101, channel="voice"), T0 + 101)) == []  # the slot is still held
    assert r.next_timer() == T0 + 145
    assert r.tick(T0 + 144) == []
    effects = r.tick(T0 + 145)
    assert kinds(effects) == [EffectKind.WRAP_UP_ENDED, EffectKind.OFFERED]
    assert (effects[0].work_id, effects[0].agent_id) == (10, 1)
    assert offers(effects) == [(11, 1)]
    assert r.work(10) is None  # nobody holds it: forgotten


def test_manual_wrap_up_frees_the_slot_before_the_timer() -> None:
    r = router(queue(1, "voice"), agents=[agent(1)])
    r.enqueue(work(10, channel="voice"), T0)
    r.accept(10, 1, T0)
    r.end(10, T0 + 10)
    r.enqueue(work(11, T0 + 11, channel="voice"), T0 + 11)
    assert offers(r.wrap_up(10, 1, T0 + 20)) == [(11, 1)]
    assert r.tick(T0 + 1000)[0].kind is EffectKind.OFFER_TIMED_OUT  # the old wrap-up timer is stale


def test_wrap_up_needs_the_wrap_up_phase() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    r.enqueue(work(10), T0)
    with pytest.raises(Conflict):
        r.wrap_up(10, 1, T0)
    r.accept(10, 1, T0)
    with pytest.raises(Conflict):
        r.wrap_up(10, 1, T0)
    r.end(10, T0)
    with pytest.raises(Conflict):
        r.end(10, T0)


def test_zero_wrap_up_frees_at_once() -> None:
    r = router(queue(1, "chat", wrap_up_seconds=0), agents=[agent(1)])
    r.enqueue(work(10), T0)
    r.accept(10, 1, T0)
    effects = r.end(10, T0 + 5)
    assert kinds(effects) == [EffectKind.WRAP_UP_ENDED]
    assert r.agent_view(1).state is AgentState.AVAILABLE


def test_abandon_a_waiting_item() -> None:
    r = router(queue(1, "chat"))
    r.enqueue(work(10, T0), T0)
    r.enqueue(work(11, T0 + 1), T0 + 1)
    assert r.abandon(10, T0 + 5) == []
    assert r.waiting(1) == [11]
    assert r.work(10) is None
    assert r.position(11) == 1


def test_abandon_an_offered_item_withdraws_the_offer_and_the_agent_gets_the_next() -> None:
    one = agent(1)
    r = router(queue(1, "voice"), agents=[one])
    r.enqueue(work(10, T0, channel="voice"), T0)
    r.enqueue(work(11, T0 + 1, channel="voice"), T0 + 1)
    effects = r.abandon(10, T0 + 2)
    first = effects[0]
    assert (first.kind, first.work_id, first.detail) == (EffectKind.OFFER_WITHDRAWN, 10, "customer_left")
    assert offers(effects) == [(11, 1)]


def test_abandon_an_active_item_ends_it_and_an_ended_one_is_left_alone() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    r.enqueue(work(10), T0)
    r.accept(10, 1, T0)
    assert r.abandon(10, T0 + 1) == []
    assert r.holders(10) == {1: "wrap_up"}
    assert r.abandon(10, T0 + 2) == []
    assert r.holders(10) == {1: "wrap_up"}


def test_end_of_a_waiting_item_abandons_it() -> None:
    r = router(queue(1, "chat"))
    r.enqueue(work(10), T0)
    r.end(10, T0 + 1)
    assert r.work(10) is None


def test_an_agent_going_offline_in_wrap_up_keeps_the_slot_until_done() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    r.enqueue(work(10), T0)
    r.accept(10, 1, T0)
    r.end(10, T0 + 1)
    r.set_presence(1, Presence.OFFLINE, T0 + 2)
    assert r.agent_view(1).state is AgentState.OFFLINE
    assert kinds(r.tick(T0 + 100)) == [EffectKind.WRAP_UP_ENDED]
    assert r.agent_view(1).holding == {}
