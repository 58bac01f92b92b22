"""The offer protocol: accept, reject, timeout (away "missed" + re-route), withdrawal on presence changes."""

from __future__ import annotations

import pytest

from helpline.domain.errors import Conflict
from helpline.domain.routing.model import MISSED, AgentState, CapacityProfile, EffectKind, Presence

from .builders import T0, agent, kinds, offers, queue, router, work


def test_accept_makes_the_item_active() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    assert offers(r.enqueue(work(10), T0)) == [(10, 1)]
    assert r.agent_view(1).state is AgentState.BUSY
    r.accept(10, 1, T0 + 1)
    assert r.holders(10) == {1: "active"}
    assert r.phase(10) == "active"
    assert r.next_timer() is None  # the offer timer is gone


def test_only_the_agent_it_is_offered_to_may_accept_or_reject() -> None:
    r = router(queue(1, "chat"), agents=[agent(1), agent(2)])
    r.enqueue(work(10), T0)
    with pytest.raises(Conflict):
        r.accept(10, 2, T0)
    with pytest.raises(Conflict):
        r.reject(10, 2, T0)
    r.accept(10, 1, T0)
    with pytest.raises(Conflict):
        r.accept(10, 1, T0)


def test_offer_timeout_sets_away_missed_withdraws_other_offers_and_reroutes() -> None:
    r = router(queue(1, "chat", offer_timeout_seconds=20), agents=[agent(1)])
    r.enqueue(work(10, T0), T0)
    r.enqueue(work(11, T0 + 1), T0 + 1)
    assert r.holders(11) == {1: "offered"}
    r.set_agent(agent(2), T0 + 2)
    r.set_presence(2, Presence.AWAY, T0 + 2, "lunch")
    r.set_presence(2, Presence.AVAILABLE, T0 + 5)  # agent 2 has room but nothing waits
    assert r.next_timer() == T0 + 20
    effects = r.tick(T0 + 20)
    assert kinds(effects)[:2] == [EffectKind.OFFER_TIMED_OUT, EffectKind.OFFER_WITHDRAWN]
    assert (effects[0].work_id, effects[0].agent_id, effects[0].detail) == (10, 1, "no answer in 20 s")
    assert (effects[1].work_id, effects[1].detail) == (11, "presence")
    assert offers(effects) == [(10, 2), (11, 2)]
    view = r.agent_view(1)
    assert (view.presence, view.reason, view.state) == (Presence.AWAY, MISSED, AgentState.AWAY)


def test_an_agent_who_missed_an_item_is_not_offered_it_again_in_that_queue() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    r.enqueue(work(10), T0)
    r.tick(T0 + 20)
    assert r.position(10) == 1
    assert offers(r.set_presence(1, Presence.AVAILABLE, T0 + 30)) == []
    assert offers(r.enqueue(work(11, T0 + 31), T0 + 31)) == [(11, 1)]


def test_reject_returns_the_item_to_its_place_and_the_rejecter_gets_the_next_item() -> None:
    one_chat = CapacityProfile("one-chat", {"chat": 1})
    r = router(queue(1, "chat"), agents=[agent(1, profile=one_chat)], available=False)
    for i in range(3):
        r.enqueue(work(10 + i, T0 + i), T0 + i)
    assert offers(r.set_presence(1, Presence.AVAILABLE, T0 + 5)) == [(10, 1)]
    effects = r.reject(10, 1, T0 + 6)
    assert offers(effects) == [(11, 1)]
    assert r.agent_view(1).presence is Presence.AVAILABLE
    assert r.waiting(1) == [10, 12]  # it kept its key, hence its place at the head
    assert r.position(10) == 1


def test_reject_gives_the_item_to_the_next_free_agent() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)], available=False)
    r.set_agent(agent(2), T0)
    r.enqueue(work(10, T0), T0)
    r.enqueue(work(11, T0 + 1), T0 + 1)
    assert offers(r.set_presence(1, Presence.AVAILABLE, T0 + 2)) == [(10, 1), (11, 1)]
    assert offers(r.set_presence(2, Presence.AVAILABLE, T0 + 3)) == []
    assert offers(r.reject(10, 1, T0 + 5)) == [(10, 2)]


def test_going_away_withdraws_pending_offers_but_keeps_active_work() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    r.enqueue(work(10, T0), T0)
    r.enqueue(work(11, T0 + 1), T0 + 1)
    r.accept(10, 1, T0 + 2)
    effects = r.set_presence(1, Presence.AWAY, T0 + 3, "lunch")
    assert [(e.kind, e.work_id, e.detail) for e in effects] == [(EffectKind.OFFER_WITHDRAWN, 11, "presence")]
    assert r.holders(10) == {1: "active"}
    assert r.waiting(1) == [11]
    view = r.agent_view(1)
    assert (view.state, view.reason) == (AgentState.AWAY, "lunch")


def test_coming_back_brings_offers_and_offline_is_not_routed_to() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)], available=False)
    assert offers(r.enqueue(work(10), T0)) == []
    assert r.set_presence(1, Presence.AWAY, T0 + 1, "training") == []
    assert offers(r.set_presence(1, Presence.AVAILABLE, T0 + 2)) == [(10, 1)]
