"""Bad input: unknown ids are NotFound, wrong phases are Conflict, bad settings are ValidationFailed."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from helpline.domain.errors import Conflict, NotFound, ValidationFailed
from helpline.domain.routing.model import (
    AgentSpec,
    CapacityProfile,
    Hours,
    OverflowTarget,
    Presence,
    RelaxStep,
)

from .builders import T0, agent, queue, router, work


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"skills": {"billing": 0}}, "skills.billing"),
        ({"skills": {"billing": 6}}, "skills.billing"),
        ({"skills": {"": 3}}, "skills"),
        ({"priority": 1.5}, "priority"),
        ({"strategy": "random"}, "strategy"),
        ({"aging_per_minute": -1}, "aging_per_minute"),
        ({"aging_per_minute": math.nan}, "aging_per_minute"),
        ({"preferred_wait_seconds": -5}, "preferred_wait_seconds"),
        ({"offer_timeout_seconds": 0}, "offer_timeout_seconds"),
        ({"wrap_up_seconds": math.inf}, "wrap_up_seconds"),
        ({"service_level_percent": 120}, "service_level_percent"),
        ({"relaxation": (RelaxStep(-1),)}, "relaxation.after_seconds"),
        ({"relaxation": (RelaxStep(10, min_proficiency=9),)}, "relaxation.min_proficiency"),
        ({"relaxation": (RelaxStep(10, overflow_queue_id=1),)}, "relaxation.overflow_queue_id"),
        ({"overflow": (OverflowTarget("a", "moon", 1),)}, "overflow"),
        ({"overflow": (OverflowTarget("a", "site", -1),)}, "overflow"),
        ({"overflow": (OverflowTarget("a", "site", 0),)}, "overflow"),
        ({"overflow": (OverflowTarget("a", "site", 1), OverflowTarget("a", "partner", 1))}, "overflow"),
        ({"hours": Hours("Mars/Olympus", {})}, "hours.timezone"),
        ({"hours": Hours("UTC", {7: ((0, 60),)})}, "hours.weekly"),
        ({"hours": Hours("UTC", {0: ((600, 500),)})}, "hours.weekly"),
        ({"hours": Hours("UTC", {0: ((0, 3000),)})}, "hours.weekly"),
        ({"hours": Hours("UTC", {}, frozenset({"2026-13-45"}))}, "hours.closed_dates"),
    ],
)
def test_bad_queue_settings(settings: dict[str, Any], field: str) -> None:
    r = router()
    with pytest.raises(ValidationFailed) as failed:
        r.set_queue(replace(queue(1, "chat"), **settings), T0)
    assert failed.value.field == field


def test_queue_without_a_channel_or_moving_tenant() -> None:
    r = router(queue(1, "chat"))
    with pytest.raises(ValidationFailed):
        r.set_queue(queue(2, ""), T0)
    with pytest.raises(ValidationFailed) as moved:
        r.set_queue(queue(1, "chat", tenant=2), T0)
    assert moved.value.field == "tenant_id"
    r.enqueue(work(10), T0)
    with pytest.raises(Conflict):
        r.set_queue(queue(1, "voice"), T0)


@pytest.mark.parametrize(
    "spec",
    [
        agent(1, {"billing": 0}),
        agent(1, {"billing": 7}),
        agent(1, profile=CapacityProfile("bad", {"chat": -1})),
        agent(1, profile=CapacityProfile("bad", {"chat": 1}, max_total=-2)),
    ],
)
def test_bad_agent_settings(spec: AgentSpec) -> None:
    with pytest.raises(ValidationFailed):
        router().set_agent(spec, T0)


def test_unknown_ids_are_not_found() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    r.enqueue(work(10), T0)
    calls = [
        lambda: r.set_presence(99, Presence.AVAILABLE, T0),
        lambda: r.enqueue(work(11, qid=99), T0),
        lambda: r.accept(99, 1, T0),
        lambda: r.accept(10, 99, T0),
        lambda: r.reject(99, 1, T0),
        lambda: r.end(99, T0),
        lambda: r.wrap_up(99, 1, T0),
        lambda: r.abandon(99, T0),
        lambda: r.transfer_to_queue(99, 1, T0),
        lambda: r.transfer_to_queue(10, 99, T0),
        lambda: r.transfer_to_agent(10, 99, T0),
        lambda: r.add_agent(99, 1, T0),
        lambda: r.agent_view(99),
        lambda: r.queue_snapshot(99, T0),
        lambda: r.waiting(99),
        lambda: r.set_overflow(99, ()),
        lambda: r.restore_held(work(12), (99,), "active", T0),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()


def test_bad_work_and_restore_input() -> None:
    r = router(queue(1, "chat"), queue(2, "chat", tenant=2), agents=[agent(1)])
    r.enqueue(work(10), T0)
    with pytest.raises(Conflict):
        r.enqueue(work(10), T0)  # already routed
    with pytest.raises(Conflict):
        r.restore_waiting(work(10))
    with pytest.raises(ValidationFailed):
        r.enqueue(work(11, qid=2), T0)  # tenant 1 item, tenant 2 queue
    with pytest.raises(ValidationFailed):
        r.enqueue(work(11, channel="voice"), T0)
    with pytest.raises(ValidationFailed):
        r.enqueue(work(11, at=math.nan), T0)
    with pytest.raises(ValidationFailed):
        r.restore_held(work(12), (1,), "lunch", T0)
    with pytest.raises(ValidationFailed):
        r.restore_held(work(12), (), "active", T0)
    with pytest.raises(ValidationFailed):
        r.set_presence(1, "dancing", T0)  # type: ignore[arg-type]
    assert r.work(11) is None and r.work(12) is None


def test_failed_calls_change_nothing() -> None:
    r = router(queue(1, "chat"), agents=[agent(1)])
    r.enqueue(work(10), T0)
    before = (r.holders(10), r.agent_view(1), r.waiting(1))
    with pytest.raises(Conflict):
        r.wrap_up(10, 1, T0)
    with pytest.raises(ValidationFailed):
        r.set_overflow(1, (OverflowTarget("x", "site", -3),))
    assert r.overflow_targets(1) == ()
    assert before[2] == r.waiting(1)
