"""Choosing among free agents: longest idle, most proficient, least occupied, with ties and explanations."""

from __future__ import annotations

from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import Presence, Strategy
from helpline.domain.routing.strategies import Option, pick

from .builders import T0, agent, only_offer, queue, router, work


def test_pick_breaks_ties_by_idle_time_then_id() -> None:
    a = Option(1, T0 + 5, 3, 0.5)
    b = Option(2, T0, 3, 0.5)
    c = Option(3, T0, 3, 0.5)
    assert pick(Strategy.LONGEST_IDLE, [a, b, c]) is b
    assert pick(Strategy.MOST_PROFICIENT, [a, c, b]) is b
    assert pick(Strategy.LEAST_OCCUPIED, [c, a, b]) is b


def _three_agents(strategy: Strategy) -> Router:
    r = router(queue(1, "chat", skills={"billing": 1}, strategy=strategy))
    r.set_agent(agent(1, {"billing": 2}), T0)
    r.set_agent(agent(2, {"billing": 5}), T0)
    r.set_agent(agent(3, {"billing": 3}), T0)
    r.set_presence(3, Presence.AVAILABLE, T0)
    r.set_presence(1, Presence.AVAILABLE, T0 + 10)
    r.set_presence(2, Presence.AVAILABLE, T0 + 20)
    return r


def test_longest_idle_takes_the_agent_free_the_longest() -> None:
    r = _three_agents(Strategy.LONGEST_IDLE)
    offer = only_offer(r.enqueue(work(10, T0 + 30), T0 + 30))
    assert offer.agent_id == 3
    assert offer.explanation is not None
    assert offer.explanation.strategy == "longest_idle"
    assert offer.explanation.candidates == 3
    assert offer.explanation.reason == "longest idle (30 s) of 3 free agents with billing>=1"


def test_most_proficient_takes_the_highest_skill_total() -> None:
    r = _three_agents(Strategy.MOST_PROFICIENT)
    offer = only_offer(r.enqueue(work(10, T0 + 30), T0 + 30))
    assert offer.agent_id == 2
    assert offer.explanation is not None
    assert "most proficient (skill total 5)" in offer.explanation.reason


def test_least_occupied_takes_the_agent_with_most_room() -> None:
    r = _three_agents(Strategy.LEAST_OCCUPIED)
    first = only_offer(r.enqueue(work(10, T0 + 30), T0 + 30))  # empty-handed agents tie: longest idle
    assert first.agent_id == 3
    r.accept(10, 3, T0 + 31)
    second = only_offer(r.enqueue(work(11, T0 + 32), T0 + 32))
    assert second.agent_id == 1  # 3 holds a chat now; 1 and 2 are empty, 1 idle longer
    third = only_offer(r.enqueue(work(12, T0 + 33), T0 + 33))
    assert third.agent_id == 2
    assert third.explanation is not None
    assert "least occupied (0% of capacity in use)" in third.explanation.reason


def test_explanation_lists_passed_over_agents_with_reasons() -> None:
    r = router(queue(1, "chat", skills={"billing": 3}))
    r.set_agent(agent(1, {"billing": 4}), T0)
    r.set_agent(agent(2, {"billing": 1}), T0)
    r.set_agent(agent(3, {"billing": 5}), T0)
    r.set_agent(agent(4, {"billing": 5}), T0)
    for a in (1, 2, 4):
        r.set_presence(a, Presence.AVAILABLE, T0)
    r.set_presence(4, Presence.AWAY, T0, "lunch")
    offer = only_offer(r.enqueue(work(10), T0 + 1))
    assert offer.agent_id == 1
    assert offer.explanation is not None
    reasons = {p.id: p.reason for p in offer.explanation.passed_over}
    assert reasons == {2: "lacks skill billing>=3", 3: "offline", 4: "away: lunch"}
