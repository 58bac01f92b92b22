"""Relaxation over time: required proficiency drops, then any level, then an overflow queue."""

from __future__ import annotations

from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import EffectKind, Presence, RelaxStep

from .builders import T0, agent, kinds, offers, only_offer, queue, router, work

STEPS = (
    RelaxStep(60, min_proficiency=2),
    RelaxStep(120, min_proficiency=None),
    RelaxStep(180, overflow_queue_id=2),
)


def _router() -> Router:
    r = router(queue(1, "chat", skills={"billing": 4}, relaxation=STEPS), queue(2, "chat", skills={"general": 1}))
    r.set_agent(agent(1, {"billing": 2}), T0)
    r.set_agent(agent(2, {"billing": 1}), T0)
    r.set_agent(agent(3, {"general": 3}), T0)
    return r


def test_proficiency_drops_at_each_step_and_the_item_is_tried_at_once() -> None:
    r = _router()
    r.set_presence(1, Presence.AVAILABLE, T0)
    assert offers(r.enqueue(work(10), T0)) == []
    assert r.next_timer() == T0 + 60
    assert r.tick(T0 + 59.9) == []
    effects = r.tick(T0 + 60)
    assert kinds(effects) == [EffectKind.RELAXED, EffectKind.OFFERED]
    assert effects[0].detail == "proficiency billing>=4 -> >=2 after 60 s"
    explanation = effects[1].explanation
    assert explanation is not None
    assert explanation.relaxed == ("proficiency billing>=4 -> >=2 after 60 s",)


def test_any_level_after_the_second_step() -> None:
    r = _router()
    r.set_presence(2, Presence.AVAILABLE, T0)  # billing 1: only "any level" lets them in
    r.enqueue(work(10), T0)
    assert offers(r.tick(T0 + 60)) == []
    effects = r.tick(T0 + 120)
    assert [e.detail for e in effects if e.kind is EffectKind.RELAXED] == [
        "proficiency billing>=4 -> any level after 120 s"
    ]
    assert offers(effects) == [(10, 2)]


def test_overflow_step_moves_the_item_keeping_its_arrival_time() -> None:
    r = _router()
    r.enqueue(work(10, T0), T0)
    r.enqueue(work(20, T0 + 100, qid=2), T0 + 100)  # arrived in queue 2 later
    effects = r.tick(T0 + 180)
    overflowed = [e for e in effects if e.kind is EffectKind.OVERFLOWED]
    assert [(e.work_id, e.to_queue_id) for e in overflowed] == [(10, 2)]
    assert overflowed[0].detail == "overflowed from q1 to q2 after 180 s"
    assert r.waiting(1) == []
    assert r.waiting(2) == [10, 20]  # it kept its enqueued_at: ahead of the later arrival
    work10 = r.work(10)
    assert work10 is not None
    assert work10.queue_id == 2
    got = r.set_presence(3, Presence.AVAILABLE, T0 + 181)
    assert offers(got) == [(10, 3), (20, 3)]
    offer = got[0]
    assert offer.explanation is not None
    assert offer.explanation.relaxed[0] == "overflowed from q1 to q2 after 180 s"


def test_overflow_never_loops_back() -> None:
    r = router(
        queue(1, "chat", skills={"a": 1}, relaxation=(RelaxStep(10, overflow_queue_id=2),)),
        queue(2, "chat", skills={"b": 1}, relaxation=(RelaxStep(20, overflow_queue_id=1),)),
    )
    r.enqueue(work(10), T0)
    assert [e.to_queue_id for e in r.tick(T0 + 10) if e.kind is EffectKind.OVERFLOWED] == [2]
    assert r.tick(T0 + 1000) == []  # queue 2's step points back at queue 1: skipped
    assert r.waiting(2) == [10]


def test_overflow_to_an_unknown_or_foreign_queue_is_skipped() -> None:
    r = router(
        queue(1, "chat", relaxation=(RelaxStep(10, overflow_queue_id=99), RelaxStep(20, overflow_queue_id=3))),
        queue(3, "chat", tenant=2),
    )
    r.enqueue(work(10), T0)
    assert r.tick(T0 + 100) == []
    assert r.waiting(1) == [10]


def test_an_overflow_step_due_while_offered_waits_for_the_offer_to_end() -> None:
    r = router(queue(1, "chat", relaxation=(RelaxStep(10, overflow_queue_id=2),)), queue(2, "chat", skills={"x": 1}))
    r.set_agent(agent(1), T0)
    r.set_presence(1, Presence.AVAILABLE, T0 + 5)
    r.enqueue(work(10), T0)
    assert r.holders(10) == {1: "offered"}
    assert r.tick(T0 + 10) == []  # offered: not moved
    r.reject(10, 1, T0 + 12)
    assert r.waiting(1) == [10]
    effects = r.tick(T0 + 25)  # the offer would have run out at T0 + 25: the step is looked at again
    assert [e.kind for e in effects] == [EffectKind.OVERFLOWED]
    assert r.waiting(2) == [10]


def test_an_accepted_item_has_no_more_relaxation() -> None:
    r = _router()
    r.set_agent(agent(4, {"billing": 5}), T0)
    r.set_presence(4, Presence.AVAILABLE, T0)
    r.enqueue(work(10), T0)
    r.accept(10, 4, T0 + 1)
    assert r.tick(T0 + 1000) == []
    assert r.next_timer() is None


def test_transfer_into_a_queue_applies_its_due_proficiency_steps_at_once() -> None:
    r = _router()
    r.set_queue(queue(5, "chat", skills={"general": 5}, relaxation=(RelaxStep(30, min_proficiency=3),)), T0)
    r.enqueue(work(10), T0)
    r.set_presence(3, Presence.AVAILABLE, T0 + 40)  # general 3: only after the step
    offer = only_offer(r.transfer_to_queue(10, 5, T0 + 50))
    assert offer.agent_id == 3
    assert offer.explanation is not None
    assert offer.explanation.relaxed == ("proficiency general>=5 -> >=3 after 30 s",)


def test_timers_of_one_tick_are_all_applied_before_anyone_is_offered_work() -> None:
    """Found by the state machine: an older item opened by a later timer of the same tick lost its
    turn to a newer item whose step had come due first."""
    r = router(
        queue(
            1, "voice", skills={"billing": 3}, relaxation=(RelaxStep(20, min_proficiency=1),), language_wait_seconds=30
        ),
        agents=[agent(1, {"billing": 1}, languages=("en",))],
    )
    assert offers(r.enqueue(work(7, T0, channel="voice", language="fr"), T0)) == []  # too junior, no French
    assert offers(r.enqueue(work(3, T0 + 5, channel="voice", language="en"), T0 + 5)) == []  # too junior
    # By T0 + 31: 7's proficiency step (T0 + 20), 3's (T0 + 25) and 7's language wait (T0 + 30) are all due.
    effects = r.tick(T0 + 31)
    assert offers(effects) == [(7, 1)]
    assert only_offer(effects).explanation.interpreter_needed  # type: ignore[union-attr]
    assert r.waiting(1) == [3]


def test_steps_removed_while_an_offered_item_has_a_timer_pending_relax_nothing() -> None:
    # The item is offered with its first step armed; the supervisor then removes the queue's steps.
    r = _router()
    r.set_agent(agent(4, {"billing": 5}), T0)
    r.set_presence(4, Presence.AVAILABLE, T0)
    r.enqueue(work(10), T0)
    assert r.holders(10) == {4: "offered"}
    r.set_queue(queue(1, "chat", skills={"billing": 4}), T0 + 1)
    effects = r.tick(T0 + 200)  # the offer runs out, then the removed step's old timer comes due
    assert EffectKind.RELAXED not in kinds(effects)
    assert r.waiting(1) == [10]
