"""Capacity across channels: limits per channel, exclusive calls, interruptible email (blending)."""

from __future__ import annotations

from helpline.domain.routing.capacity import Load, can_take, within_limits
from helpline.domain.routing.model import BLENDED, DIGITAL, VOICE_ONLY, CapacityProfile, Presence

from .builders import T0, agent, offers, queue, router, work


def test_a_call_blocks_every_new_item() -> None:
    assert can_take(BLENDED, [], "voice")
    assert not can_take(BLENDED, ["voice"], "chat")
    assert not can_take(BLENDED, ["voice"], "email")
    assert not can_take(BLENDED, ["voice"], "voice")


def test_a_chat_in_progress_blocks_a_call_but_an_email_does_not() -> None:
    assert not can_take(BLENDED, ["chat"], "voice")
    assert can_take(BLENDED, ["email", "email"], "voice")  # blending: an idle email agent takes calls
    assert can_take(BLENDED, ["chat", "chat"], "email")


def test_per_channel_limits_and_total_cap() -> None:
    assert can_take(BLENDED, ["chat", "chat"], "chat")
    assert not can_take(BLENDED, ["chat"] * 3, "chat")
    assert can_take(BLENDED, ["chat"] * 3, "email")
    capped = CapacityProfile("capped", {"chat": 3, "email": 5}, max_total=4)
    assert can_take(capped, ["chat", "chat", "email"], "email")
    assert not can_take(capped, ["chat", "chat", "email", "email"], "chat")


def test_a_channel_missing_from_the_profile_is_never_offered() -> None:
    assert not can_take(VOICE_ONLY, [], "chat")
    assert not can_take(DIGITAL, [], "voice")


def test_occupancy_is_the_fullest_channel_and_a_call_fills_it() -> None:
    load = Load(BLENDED)
    assert load.occupancy() == 0.0
    load.add("chat")
    load.add("email")
    assert abs(load.occupancy() - 1 / 3) < 1e-9
    load.remove("chat")
    assert abs(load.occupancy() - 1 / 5) < 1e-9
    load.add("voice")
    assert load.occupancy() == 1.0


def test_refusal_says_why_in_words() -> None:
    load = Load(BLENDED)
    for _ in range(3):
        load.add("chat")
    assert load.refusal("chat") == "busy: at chat capacity 3/3"
    assert load.refusal("voice") == "busy: chat in progress blocks voice"
    assert load.refusal("fax") == "takes no fax"
    assert load.refusal("email") is None
    call = Load(BLENDED)
    call.add("voice")
    assert call.refusal("chat") == "busy: on voice"


def test_within_limits_detects_overload() -> None:
    assert within_limits(BLENDED, ["chat"] * 3 + ["email"] * 5)
    assert not within_limits(BLENDED, ["chat"] * 4)
    assert not within_limits(VOICE_ONLY, ["chat"])


def test_router_fills_an_agent_up_to_the_chat_limit_and_no_further() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)], available=False)
    for i in range(5):
        r.enqueue(work(i, T0 + i), T0 + i)
    got = offers(r.set_presence(1, Presence.AVAILABLE, T0 + 10))
    assert got == [(0, 1), (1, 1), (2, 1)]
    assert r.waiting(1) == [3, 4]


def test_router_offers_a_call_to_an_agent_busy_only_with_email() -> None:
    r = router(queue(1, "email"), queue(2, "voice"), agents=[agent(1)])
    r.enqueue(work(10, qid=1, channel="email"), T0)
    r.accept(10, 1, T0)
    assert offers(r.enqueue(work(20, qid=2, channel="voice"), T0 + 1)) == [(20, 1)]
    # ... and while on the call nothing else comes, not even email.
    assert offers(r.enqueue(work(11, T0 + 2, qid=1, channel="email"), T0 + 2)) == []


def test_router_keeps_calls_from_an_agent_in_a_chat() -> None:
    r = router(queue(1, "chat"), queue(2, "voice"), agents=[agent(1)])
    r.enqueue(work(10, qid=1), T0)
    assert offers(r.enqueue(work(20, qid=2, channel="voice"), T0 + 1)) == []
    assert r.position(20) == 1


def test_voice_only_agent_never_gets_chat() -> None:
    r = router(queue(1, "chat"), agents=[agent(1, profile=VOICE_ONLY)])
    assert offers(r.enqueue(work(10), T0)) == []
    assert r.queue_snapshot(1, T0).eligible_agents == 0
