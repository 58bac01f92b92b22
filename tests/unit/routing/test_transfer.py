"""Transfers to a queue or an agent, and a second agent joining a chat."""

from __future__ import annotations

import pytest

from helpline.domain.errors import Conflict, NotFound, ValidationFailed
from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import VOICE_ONLY, AgentState, EffectKind, Presence

from .builders import T0, agent, offers, only_offer, queue, router, work


def _active(r: Router, wid: int = 10, aid: int = 1, at: float = T0) -> None:
    r.enqueue(work(wid, at), at)
    assert r.holders(wid) == {aid: "offered"}
    r.accept(wid, aid, at)


def test_transfer_to_queue_frees_the_agent_and_keeps_the_arrival_time() -> None:
    r = router(queue(1, "chat"), queue(2, "chat", skills={"tech": 1}), agents=[agent(1, {"tech": 3})])
    _active(r)
    r.set_presence(1, Presence.AWAY, T0 + 1, "x")
    r.enqueue(work(20, T0 + 5, qid=2), T0 + 5)
    assert r.transfer_to_queue(10, 2, T0 + 10) == []
    assert r.holders(10) == {}
    assert r.agent_view(1).holding == {}
    assert r.waiting(2) == [10, 20]  # arrived before 20: keeps its place by enqueued_at
    work10 = r.work(10)
    assert work10 is not None
    assert work10.queue_id == 2


def test_transfer_to_queue_is_not_offered_back_to_the_agent_who_let_go() -> None:
    r = router(queue(1, "chat"), queue(2, "chat"), agents=[agent(1)])
    _active(r)
    assert offers(r.transfer_to_queue(10, 2, T0 + 10)) == []
    r.set_agent(agent(2), T0 + 11)
    assert offers(r.set_presence(2, Presence.AVAILABLE, T0 + 11)) == [(10, 2)]


def test_transfer_of_an_offered_item_withdraws_the_offer() -> None:
    r = router(queue(1, "chat"), queue(2, "chat", skills={"x": 1}), agents=[agent(1)])
    r.enqueue(work(10), T0)
    effects = r.transfer_to_queue(10, 2, T0 + 1)
    assert [(e.kind, e.agent_id, e.detail) for e in effects] == [(EffectKind.OFFER_WITHDRAWN, 1, "transfer")]
    assert r.waiting(2) == [10]


def test_transfer_to_queue_checks_tenant_channel_and_phase() -> None:
    r = router(queue(1, "chat"), queue(3, "chat", tenant=2), queue(4, "voice"), agents=[agent(1)])
    _active(r)
    with pytest.raises(NotFound):
        r.transfer_to_queue(10, 99, T0)
    with pytest.raises(ValidationFailed) as foreign:
        r.transfer_to_queue(10, 3, T0)
    assert foreign.value.field == "queue_id"
    with pytest.raises(ValidationFailed):
        r.transfer_to_queue(10, 4, T0)
    r.end(10, T0 + 1)
    with pytest.raises(Conflict):
        r.transfer_to_queue(10, 1, T0 + 2)


def test_transfer_to_agent_offers_it_directly_and_frees_the_first_agent() -> None:
    r = router(queue(1, "chat", skills={"billing": 5}), agents=[agent(1, {"billing": 5})])
    _active(r)
    r.set_agent(agent(2), T0)  # no billing skill: a human chose them, skills do not apply
    r.set_presence(2, Presence.AVAILABLE, T0)
    offer = only_offer(r.transfer_to_agent(10, 2, T0 + 5))
    assert offer.agent_id == 2
    assert offer.explanation is not None
    assert (offer.explanation.strategy, offer.explanation.reason) == ("direct", "transferred directly to agent2")
    assert r.holders(10) == {2: "offered"}
    assert r.agent_view(1).holding == {}
    r.accept(10, 2, T0 + 6)
    assert r.holders(10) == {2: "active"}


def test_a_rejected_direct_transfer_waits_in_the_queue() -> None:
    r = router(queue(1, "chat"), agents=[agent(1), agent(2)])
    _active(r)
    r.transfer_to_agent(10, 2, T0 + 5)
    r.set_presence(1, Presence.AWAY, T0 + 6, "x")
    assert offers(r.reject(10, 2, T0 + 7)) == []
    assert r.waiting(1) == [10]


def test_transfer_to_an_agent_who_cannot_take_it_is_a_conflict() -> None:
    r = router(queue(1, "chat"), agents=[agent(1), agent(3, profile=VOICE_ONLY)])
    r.set_agent(agent(2), T0)  # offline
    r.set_agent(agent(4, tenants=[2]), T0)
    r.set_presence(4, Presence.AVAILABLE, T0)
    _active(r)
    for target in (1, 2, 3, 4):
        with pytest.raises(Conflict):
            r.transfer_to_agent(10, target, T0 + 1)
    with pytest.raises(NotFound):
        r.transfer_to_agent(10, 99, T0 + 1)
    assert r.holders(10) == {1: "active"}  # nothing changed


def test_add_a_second_agent_to_a_chat_counts_against_their_capacity() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    _active(r)
    r.set_agent(agent(2), T0)
    with pytest.raises(Conflict):
        r.add_agent(10, 2, T0 + 1)  # offline
    r.set_presence(2, Presence.AVAILABLE, T0 + 1)
    r.add_agent(10, 2, T0 + 2)
    assert r.holders(10) == {1: "active", 2: "active"}
    assert r.agent_view(2).state is AgentState.BUSY
    with pytest.raises(Conflict):
        r.add_agent(10, 2, T0 + 3)
    r.set_presence(1, Presence.AWAY, T0 + 3, "consult")
    r.enqueue(work(11, T0 + 4), T0 + 4)
    r.enqueue(work(12, T0 + 5), T0 + 5)
    r.enqueue(work(13, T0 + 6), T0 + 6)
    assert r.agent_view(2).holding == {10: "active", 11: "offered", 12: "offered"}  # chat limit 3
    assert r.waiting(1) == [13]
    r.end(10, T0 + 10)
    assert r.holders(10) == {1: "wrap_up", 2: "wrap_up"}


def test_add_agent_needs_an_active_item() -> None:
    r = router(queue(1, "chat"), agents=[agent(1), agent(2)])
    r.enqueue(work(10), T0)
    with pytest.raises(Conflict):
        r.add_agent(10, 2, T0)
