"""Customer-centric routing: the dedicated or recent agent gets the first offer and is waited for."""

from __future__ import annotations

from helpline.domain.routing.engine import SCAN_LIMIT
from helpline.domain.routing.model import EffectKind, Presence

from .builders import T0, agent, kinds, offers, only_offer, queue, router, work


def test_item_waits_for_a_present_preferred_agent_and_gets_them_when_free() -> None:
    r = router(queue(1, "chat", preferred_wait_seconds=30), queue(9, "voice"), agents=[agent(1), agent(2)])
    r.set_agent(agent(3), T0)
    r.set_presence(3, Presence.AVAILABLE, T0 + 1)
    r.enqueue(work(90, qid=9, channel="voice"), T0 + 2)  # agent 1 (idle longest, lowest id) takes a call
    assert r.holders(90) == {1: "offered"}
    r.accept(90, 1, T0 + 3)
    got = r.enqueue(work(10, T0 + 4, preferred=[(1, "dedicated")]), T0 + 4)
    assert offers(got) == []  # agents 2 and 3 are free, but the dedicated agent is present: wait
    assert r.position(10) == 1
    r.end(90, T0 + 10)
    offer = only_offer(r.wrap_up(90, 1, T0 + 12))
    assert (offer.work_id, offer.agent_id) == (10, 1)
    assert offer.explanation is not None
    assert offer.explanation.preferred == "dedicated"


def test_the_window_ends_and_anyone_may_take_it() -> None:
    r = router(queue(1, "chat", preferred_wait_seconds=30), queue(9, "voice"), agents=[agent(1), agent(2)])
    r.enqueue(work(90, qid=9, channel="voice"), T0)
    r.accept(90, 1, T0)
    assert offers(r.enqueue(work(10, T0 + 1, preferred=[(1, "recent")]), T0 + 1)) == []
    assert r.next_timer() == T0 + 1 + 30
    assert offers(r.tick(T0 + 30)) == []
    effects = r.tick(T0 + 31)
    assert kinds(effects) == [EffectKind.RELAXED, EffectKind.OFFERED]
    assert effects[0].detail == "preferred agents -> any after 30 s"
    assert offers(effects) == [(10, 2)]
    explanation = effects[1].explanation
    assert explanation is not None
    assert explanation.preferred is None
    assert "preferred agents -> any after 30 s" in explanation.relaxed


def test_an_offline_preferred_agent_is_not_waited_for() -> None:
    r = router(queue(1, "chat"), agents=[agent(2)])
    r.set_agent(agent(1), T0)  # offline
    assert offers(r.enqueue(work(10, preferred=[(1, "dedicated")]), T0)) == [(10, 2)]


def test_an_unknown_preferred_agent_is_not_waited_for() -> None:
    r = router(queue(1, "chat"), agents=[agent(2)])
    assert offers(r.enqueue(work(10, preferred=[(77, "recent")]), T0)) == [(10, 2)]


def test_preferred_agent_going_offline_releases_the_item_at_once() -> None:
    r = router(queue(1, "chat"), agents=[agent(2)])
    r.set_agent(agent(1), T0)
    r.set_presence(1, Presence.AWAY, T0, "break")  # away is present: the item waits for them
    assert offers(r.enqueue(work(10, preferred=[(1, "dedicated")]), T0)) == []
    assert offers(r.set_presence(1, Presence.OFFLINE, T0 + 5)) == [(10, 2)]


def test_first_preferred_agent_in_order_who_is_eligible_gets_it() -> None:
    r = router(queue(1, "chat"), agents=[agent(1), agent(2), agent(3)])
    offer = only_offer(r.enqueue(work(10, preferred=[(3, "dedicated"), (2, "recent")]), T0))
    assert offer.agent_id == 3
    assert offer.explanation is not None
    assert offer.explanation.preferred == "dedicated"
    assert offer.explanation.reason == "the customer's dedicated agent was free"
    # With the dedicated agent away (present, not free), the recent one who is free gets it.
    r.set_presence(3, Presence.AWAY, T0 + 1, "lunch")
    assert offers(r.enqueue(work(11, T0 + 2, preferred=[(3, "dedicated"), (2, "recent")]), T0 + 2)) == [(11, 2)]


def test_a_reject_by_the_preferred_agent_ends_the_window() -> None:
    r = router(queue(1, "chat", preferred_wait_seconds=300), agents=[agent(1), agent(2)])
    assert offers(r.enqueue(work(10, preferred=[(1, "dedicated")]), T0)) == [(10, 1)]
    assert offers(r.reject(10, 1, T0 + 2)) == [(10, 2)]


def test_a_preferred_agent_who_frees_up_gets_their_customer_before_older_items() -> None:
    r = router(queue(1, "chat", preferred_wait_seconds=60), queue(9, "voice"), agents=[agent(1)])
    r.enqueue(work(90, qid=9, channel="voice"), T0)  # agent 1 is on a call
    r.accept(90, 1, T0)
    for i in range(SCAN_LIMIT + 10):  # older items of equal priority, far ahead of the customer
        r.enqueue(work(100 + i, T0 + 1), T0 + 1)
    r.enqueue(work(10, T0 + 2, preferred=[(1, "dedicated")]), T0 + 2)
    assert r.position(10) == SCAN_LIMIT + 11
    r.end(90, T0 + 3)
    got = r.wrap_up(90, 1, T0 + 4)
    assert offers(got) == [(10, 1), (100, 1), (101, 1)]  # reserved first, then FIFO up to the chat limit
    first = got[0].explanation
    assert first is not None
    assert first.preferred == "dedicated"
    assert first.reason == "reserved for agent1 as the customer's dedicated agent"
