"""Staffing plans per interval: the live plan is Erlang staffing cell by cell; the email plan meets its
deadline in a FIFO replay, costs the least a whole plan can, and refuses what no staff can do."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.erlang import staffing_a, staffing_c
from helpline.domain.workforce.planning import (
    BacklogTarget,
    LiveTarget,
    backlog_bound,
    deadline_intervals,
    plan_backlog,
    plan_live,
    replay_backlog,
    steady_cycles,
    summarise,
)

MONDAY = datetime(2026, 3, 2)


def starts(count: int, minutes: int = 30) -> list[datetime]:
    return [MONDAY + timedelta(minutes=minutes * i) for i in range(count)]


# --------------------------------------------------------------------------------------- live


def test_textbook_interval_needs_fourteen_and_twenty_scheduled() -> None:
    (plan,) = plan_live(starts(1), [100], 180, 30, LiveTarget())
    assert (plan.load, plan.required, plan.scheduled) == (10.0, 14, 20)
    assert plan.service_level == pytest.approx(0.8883, abs=1e-4)
    assert plan.occupancy == pytest.approx(10 / 14)
    assert plan.p_abandon is None  # Erlang C: nobody abandons, so no figure is claimed


def test_live_plan_equals_erlang_c_interval_by_interval() -> None:
    rng = np.random.default_rng(7)
    volumes = rng.uniform(0, 400, 48).round(1)
    aht = rng.uniform(60, 600, 48).round(0)
    target = LiveTarget(target_seconds=30, service_level=0.85, asa_seconds=25, shrinkage=0.35, max_occupancy=0.88)
    plans = plan_live(starts(48), volumes, aht, 30, target)
    for plan, v, h in zip(plans, volumes, aht, strict=True):
        one = staffing_c(v * h / 1800, h, 30, 0.85, asa_target=25, shrinkage=0.35, max_occupancy=0.88)
        assert (plan.required, plan.scheduled) == (one.required, one.scheduled)
        assert plan.service_level == pytest.approx(one.metrics.service_level, rel=1e-12)


def test_live_plan_with_patience_is_erlang_a() -> None:
    volumes = [0.0, 40.0, 100.0, 250.0, 1000.0]
    target = LiveTarget(service_level=0.8, patience=90.0, abandon_rate=0.03, shrinkage=0.25, max_occupancy=None)
    plans = plan_live(starts(5, 15), volumes, 240.0, 15, target)
    assert plans[0].required == 0
    for plan, v in zip(plans[1:], volumes[1:], strict=True):
        one = staffing_a(v * 240 / 900, 240, 20, 90, 0.8, abandon_target=0.03, shrinkage=0.25)
        assert (plan.required, plan.scheduled) == (one.required, one.scheduled)
        assert plan.p_abandon is not None and plan.p_abandon <= 0.03
    # For the same service level, abandonment lightens the queue: Erlang A never asks for more.
    a_plans = plan_live(starts(5, 15), volumes, 240.0, 15, LiveTarget(patience=90.0, max_occupancy=None))
    c_plans = plan_live(starts(5, 15), volumes, 240.0, 15, LiveTarget(max_occupancy=None))
    assert all(a.required <= c.required for a, c in zip(a_plans, c_plans, strict=True))


def test_shrinkage_rounds_exactly() -> None:
    # 14 / 0.7 is 20.000000000000004 in floats: exactly 20 agents, not 21.
    (plan,) = plan_live(starts(1), [100], 180, 30, LiveTarget(shrinkage=0.3))
    assert plan.scheduled == 20
    (plan,) = plan_live(starts(1), [100], 180, 30, LiveTarget(shrinkage=0.0))
    assert plan.scheduled == 14


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"volumes": [1.0, 2.0]}, "volumes"),
        ({"volumes": [-1.0]}, "volumes"),
        ({"volumes": [math.nan]}, "volumes"),
        ({"aht": 0.0}, "aht"),
        ({"interval_minutes": 7}, "interval_minutes"),
        ({"target": LiveTarget(abandon_rate=0.05)}, "abandon"),
        ({"target": LiveTarget(service_level=None)}, "sl_target"),
    ],
)
def test_live_plan_refuses_bad_input(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "starts": starts(1),
        "volumes": [10.0],
        "aht": 180.0,
        "interval_minutes": 30,
        "target": LiveTarget(),
    }
    args.update(kwargs)
    with pytest.raises(ValidationFailed) as caught:
        plan_live(**args)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_starts_must_increase() -> None:
    with pytest.raises(ValidationFailed, match="increase"):
        plan_live([MONDAY, MONDAY], [1, 1], 180, 30, LiveTarget())


def test_a_week_of_live_intervals_is_one_fast_call() -> None:
    rng = np.random.default_rng(1)
    plans = plan_live(starts(336), rng.uniform(0, 2000, 336), 300.0, 30, LiveTarget(patience=120.0))
    assert len(plans) == 336 and all(p.required >= 0 for p in plans)
    summary = summarise(plans, 30)
    assert summary.peak_required == max(p.required for p in plans)
    assert summary.required_hours == pytest.approx(sum(p.required for p in plans) / 2)
    assert summary.service_level is not None and summary.service_level >= 0.8


# ------------------------------------------------------------------------------------- backlog


def test_replay_by_hand() -> None:
    # 10 emails of 180 s arrive with nobody there; one agent does all 1,800 s in the next half hour.
    replay = replay_backlog([10, 0], 180, [0, 1], 30, 48)
    assert replay.backlog == (10.0, 0.0)
    assert replay.oldest_age == (1800.0, 0.0)
    assert replay.max_response == 3600.0
    assert replay.late == 0 and replay.first_late is None
    # With a one-hour deadline the same plan is just in time; with nobody at all it is late.
    assert replay_backlog([10, 0], 180, [0, 1], 30, 1).first_late is None
    late = replay_backlog([10, 0], 180, [0, 0], 30, 1)
    assert late.first_late == 1 and late.late == pytest.approx(10)


def check_plan(volumes: list[float], aht: float | list[float], minutes: int, target: BacklogTarget) -> int:
    """Plan, then prove it: every email answered in time in a long steady replay; cost at the bound."""
    count = len(volumes)
    plans = plan_backlog(starts(count, minutes), volumes, aht, minutes, target)
    agents = [p.required for p in plans]
    k = deadline_intervals(target.deadline_hours, minutes)
    replay = replay_backlog(volumes, aht, agents, minutes, target.deadline_hours, cycles=steady_cycles(count, k) + 3)
    assert replay.first_late is None and replay.late == 0
    assert replay.max_response <= target.deadline_hours * 3600 + 1e-6
    # The plan reports the steady replay's backlog.
    assert [p.backlog for p in plans] == pytest.approx(list(replay.backlog), abs=1e-6)
    if target.open_intervals is not None:
        assert all(a == 0 for a, o in zip(agents, target.open_intervals, strict=True) if not o)
    bound = backlog_bound(starts(count, minutes), volumes, aht, minutes, target)
    total = sum(agents)
    assert total >= math.ceil(bound - 1e-6)
    return total - math.ceil(bound - 1e-6)


def test_a_week_with_closed_nights_meets_48_hours_at_the_least_cost() -> None:
    rng = np.random.default_rng(3)
    grid = starts(336)
    volumes = [float(v) for v in rng.poisson(25, 336)]
    opened = [(8 <= s.hour < 20) if s.weekday() < 5 else (10 <= s.hour < 16) for s in grid]
    target = BacklogTarget(deadline_hours=48, shrinkage=0.3, open_intervals=opened)
    assert check_plan(volumes, 300.0, 30, target) == 0  # ceil(LP bound): no whole plan costs less
    plans = plan_backlog(grid, volumes, 300.0, 30, target)
    summary = summarise(plans, 30)
    assert summary.max_age_hours is not None and summary.max_age_hours < 48
    assert all(p.scheduled == math.ceil(p.required / 0.7 - 1e-9) for p in plans)
    # The flattest of the cheapest plans: weekday staffing does not swing from 0 to a crowd.
    weekday = [p.required for p in plans if p.start.weekday() < 5 and 8 <= p.start.hour < 20]
    assert max(weekday) - min(weekday) <= 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    volumes=st.lists(st.integers(0, 60), min_size=1, max_size=40),
    aht=st.sampled_from([60.0, 180.0, 420.0, 1000.0]),
    minutes=st.sampled_from([15, 30, 60]),
    deadline=st.sampled_from([1.0, 2.0, 4.0, 8.0, 48.0]),
    closed=st.sets(st.integers(0, 39), max_size=15),
)
def test_random_arrivals_meet_the_deadline_in_a_fifo_replay(
    volumes: list[int], aht: float, minutes: int, deadline: float, closed: set[int]
) -> None:
    count = len(volumes)
    opened = [i not in closed for i in range(count)]
    target = BacklogTarget(deadline_hours=deadline, open_intervals=opened)
    try:
        extra = check_plan([float(v) for v in volumes], aht, minutes, target)
    except ValidationFailed as refused:
        # Refused only when some arrivals truly have no open interval within their deadline.
        k = deadline_intervals(deadline, minutes)
        assert not any(opened) or any(
            volumes[j] and not any(opened[(j + d) % count] for d in range(k)) for j in range(count)
        ), refused.detail
        return
    assert extra <= 3  # rounding repairs cost a few agent-intervals at most


def brute_force_least(volumes: list[float], aht: float, minutes: int, deadline: float, cap: int) -> int:
    """The cheapest whole plan by trying them all (tiny cases only)."""
    k = deadline_intervals(deadline, minutes)
    best = math.inf
    for agents in itertools.product(range(cap + 1), repeat=len(volumes)):
        if sum(agents) >= best:
            continue
        replay = replay_backlog(
            volumes, aht, list(agents), minutes, deadline, cycles=steady_cycles(len(volumes), k) + 2
        )
        if replay.first_late is None:
            best = sum(agents)
    return int(best)


@pytest.mark.parametrize(
    ("volumes", "deadline"),
    [([7, 0, 0, 13], 1.0), ([20, 1, 5, 0], 1.5), ([3, 3, 3, 3], 0.5), ([0, 25, 0, 2], 2.0), ([11, 0, 9, 4], 1.0)],
)
def test_no_whole_plan_is_cheaper(volumes: list[float], deadline: float) -> None:
    plans = plan_backlog(starts(4), volumes, 300.0, 30, BacklogTarget(deadline_hours=deadline))
    least = brute_force_least(volumes, 300.0, 30, deadline, cap=6)
    assert sum(p.required for p in plans) == least
    bound = backlog_bound(starts(4), volumes, 300.0, 30, BacklogTarget(deadline_hours=deadline))
    assert bound <= least + 1e-9


def test_one_agent_interval_fewer_breaks_the_deadline() -> None:
    volumes = [12.0, 30.0, 0.0, 5.0, 40.0, 8.0, 0.0, 0.0]
    target = BacklogTarget(deadline_hours=2.0)
    agents = [p.required for p in plan_backlog(starts(8), volumes, 240.0, 30, target)]
    k = deadline_intervals(2.0, 30)
    for i, a in enumerate(agents):
        if a == 0:
            continue
        fewer = [*agents[:i], a - 1, *agents[i + 1 :]]
        replay = replay_backlog(volumes, 240.0, fewer, 30, 2.0, cycles=steady_cycles(8, k) + 2)
        assert replay.first_late is not None, f"one agent fewer in interval {i} still meets the deadline"


def test_impossible_deadlines_are_refused_with_a_reason() -> None:
    with pytest.raises(ValidationFailed, match="no interval is open"):
        plan_backlog(starts(4), [1, 2, 3, 4], 300.0, 30, BacklogTarget(open_intervals=[False] * 4))
    # A Friday-evening email with the office shut until Monday morning misses a 48-hour deadline.
    grid = starts(336)
    weekdays = [s.weekday() < 5 and 9 <= s.hour < 17 for s in grid]
    with pytest.raises(ValidationFailed, match="cannot be answered within the deadline") as caught:
        plan_backlog(grid, [5.0] * 336, 300.0, 30, BacklogTarget(open_intervals=weekdays))
    assert "2026-03-06T17:00" in caught.value.detail
    with pytest.raises(ValidationFailed, match="shorter than one"):
        plan_backlog(starts(4, 60), [1, 2, 3, 4], 300.0, 60, BacklogTarget(deadline_hours=0.5))


def test_backlog_needs_consecutive_intervals() -> None:
    gap = [MONDAY, MONDAY + timedelta(minutes=30), MONDAY + timedelta(minutes=90)]
    with pytest.raises(ValidationFailed, match="consecutive"):
        plan_backlog(gap, [1, 1, 1], 300.0, 30, BacklogTarget())


def test_no_email_needs_nobody() -> None:
    plans = plan_backlog(starts(10), [0.0] * 10, 300.0, 30, BacklogTarget())
    assert all(p.required == 0 and p.backlog == 0 for p in plans)


def test_a_deadline_of_one_interval_staffs_each_interval_for_its_own_work() -> None:
    # Nothing may wait past its own interval: the least plan is ceil(work / L) in each, exactly.
    rng = np.random.default_rng(11)
    volumes = [float(v) for v in rng.poisson(rng.uniform(0, 40, 600))]
    aht = [float(a) for a in rng.uniform(100, 900, 600).round()]
    plans = plan_backlog(starts(600), volumes, aht, 30, BacklogTarget(deadline_hours=0.5))
    assert [p.required for p in plans] == [math.ceil(v * a / 1800 - 1e-9) for v, a in zip(volumes, aht, strict=True)]
    assert all(p.backlog == 0 for p in plans)
