"""Shift scheduling: known optima, breaks in their windows, a roster that keeps every rule, bad input."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce import roster
from helpline.domain.workforce.scheduling import (
    AgentContract,
    BreakRule,
    ScheduleResult,
    ShiftTemplate,
    build_schedule,
    default_templates,
)

MONDAY = datetime(2026, 11, 23)
M = 15  # minutes per interval
PER_DAY = 1440 // M
WEEK = 7 * PER_DAY


def need(spans: dict[tuple[int, int], float], days: range = range(7)) -> np.ndarray:
    """A week's requirement: {(from hour, to hour): agents} on each of `days`."""
    required = np.zeros(WEEK)
    for d in days:
        for (lo, hi), agents in spans.items():
            required[d * PER_DAY + lo * 60 // M : d * PER_DAY + hi * 60 // M] += agents
    return required


def coverage_from_roster(result: ScheduleResult, skill: str, staffed_only: bool = True) -> np.ndarray:
    """Agents on the floor per interval, recomputed from the roster's activities (the week is cyclic)."""
    cover = np.zeros(WEEK)
    for shift in result.shifts:
        if shift.skill != skill or (staffed_only and shift.agent_id is None):
            continue
        for activity in shift.activities:
            if activity.kind != "work":
                continue
            first = int((activity.start - result.week_start) / timedelta(minutes=M))
            last = int((activity.end - result.week_start) / timedelta(minutes=M))
            cover[np.arange(first, last) % WEEK] += 1
    return cover


def test_a_flat_requirement_needs_exactly_one_shift_per_agent() -> None:
    eight = ShiftTemplate("8h", 480, 6 * 60, 12 * 60, 30)
    result = build_schedule(MONDAY, M, {"all": need({(9, 17): 3})}, [eight])
    assert result.status == "optimal" and result.gap <= 0.005
    assert len(result.shifts) == 21 and all(s.start.hour == 9 for s in result.shifts)
    assert result.cost == pytest.approx(21 * 8) and result.objective == pytest.approx(168)
    assert result.under_coverage == 0 and result.unstaffed == 0
    assert np.array_equal(result.planned["all"], result.required["all"])
    assert np.array_equal(result.scheduled["all"], coverage_from_roster(result, "all", staffed_only=False))


def test_a_peak_is_covered_by_a_cheap_short_shift() -> None:
    # Part-time hours cost a little more, so the base is two 8-hour shifts and the peak one 4-hour shift.
    templates = [
        ShiftTemplate("8h", 480, 6 * 60, 12 * 60, 30),
        ShiftTemplate("4h", 240, 6 * 60, 16 * 60, 30, cost_per_hour=1.2),
    ]
    required = need({(9, 17): 2, (11, 15): 1}, days=range(5))
    result = build_schedule(MONDAY, M, {"all": required}, templates)
    assert result.status == "optimal" and result.gap <= 0.005
    per_day = [sorted((s.template, s.start.hour) for s in result.shifts if s.start.weekday() == d) for d in range(7)]
    assert per_day[:5] == [[("4h", 11), ("8h", 9), ("8h", 9)]] * 5 and per_day[5:] == [[], []]
    assert result.cost == pytest.approx(5 * (16 + 4.8)) and result.under_coverage == 0


def test_breaks_sit_inside_their_windows_and_activities_tile_the_shift() -> None:
    rules = (BreakRule("break", 15, 60, 120), BreakRule("lunch", 30, 180, 240), BreakRule("break", 15, 300, 360))
    eight = ShiftTemplate("8h", 480, 7 * 60, 10 * 60, 30, rules)
    result = build_schedule(MONDAY, M, {"all": need({(8, 18): 4})}, [eight], time_limit=5)
    assert result.shifts and result.gap <= 0.005
    for shift in result.shifts:
        acts = shift.activities
        assert acts[0].start == shift.start and acts[-1].end == shift.end
        assert all(a.end == b.start for a, b in itertools.pairwise(acts))
        pauses = [a for a in acts if a.kind != "work"]
        assert [p.kind for p in pauses] == ["break", "lunch", "break"]
        for pause, rule in zip(pauses, rules, strict=True):
            offset = (pause.start - shift.start) / timedelta(minutes=1)
            assert rule.earliest_after <= offset <= rule.latest_after
            assert pause.end - pause.start == timedelta(minutes=rule.minutes)
    # Breaks are staggered: nobody leaves the floor empty, and the plan is the roster's coverage.
    assert np.array_equal(result.planned["all"], coverage_from_roster(result, "all", staffed_only=False))
    assert result.under_coverage == pytest.approx(
        float(np.maximum(result.required["all"] - result.planned["all"], 0).sum())
    )


def test_a_shift_running_past_the_week_end_covers_the_next_monday_morning() -> None:
    night = ShiftTemplate("night", 600, 20 * 60, 20 * 60, 30, days=frozenset({6}))
    required = np.zeros(WEEK)
    required[6 * PER_DAY + 20 * 4 :] = 1  # Sunday 20:00-24:00
    required[: 6 * 4] = 1  # Monday 00:00-06:00: the week repeats
    start = datetime(2026, 11, 23, tzinfo=UTC)
    result = build_schedule(start, M, {"all": required}, [night])
    (shift,) = result.shifts
    assert shift.start == start + timedelta(days=6, hours=20) and shift.end == start + timedelta(days=7, hours=6)
    assert shift.start.tzinfo is UTC and result.under_coverage == 0


def test_stage_one_only_leaves_shifts_unnamed() -> None:
    result = build_schedule(MONDAY, M, {"all": need({(9, 17): 1})}, [ShiftTemplate("8h", 480, 540, 540)])
    assert all(s.agent_id is None for s in result.shifts) and result.unstaffed == 0
    assert result.roster_status == "none" and result.scheduled["all"] is result.planned["all"]


# --- the roster -----------------------------------------------------------------------------------------------


def roster_case() -> tuple[ScheduleResult, list[AgentContract]]:
    """Two skills, eight agents with every kind of restriction."""
    templates = [ShiftTemplate("8h", 480, 6 * 60, 14 * 60, 60), ShiftTemplate("4h", 240, 6 * 60, 18 * 60, 60)]
    required = {"en": need({(7, 21): 2}), "fr": need({(9, 17): 1}, days=range(5))}
    tuesday = 1440
    agents = [
        AgentContract(1, "Ann", frozenset({"en"}), 20 * 60, 40 * 60, 5),
        AgentContract(2, "Bob", frozenset({"en"}), 0, 24 * 60, 4, templates=frozenset({"4h"})),
        AgentContract(3, "Cid", frozenset({"en", "fr"}), 0, 40 * 60, 5, unavailable=((tuesday, 2 * tuesday),)),
        AgentContract(4, "Dee", frozenset({"fr"}), 0, 40 * 60, 5),
        AgentContract(5, "Eve", frozenset({"en"}), 0, 32 * 60, 4),
        AgentContract(6, "Fay", frozenset({"en", "fr"}), 0, 40 * 60, 5),
        AgentContract(7, "Gus", frozenset({"en"}), 0, 40 * 60, 5),
        AgentContract(8, "Hal", frozenset({"en"}), 0, 40 * 60, 6),
    ]
    return build_schedule(MONDAY, M, required, templates, agents, time_limit=5), agents


@pytest.mark.parametrize("solver", ["mip", "greedy"])
def test_the_roster_keeps_skills_availability_contracts_days_and_rest(
    solver: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if solver == "greedy":  # the fallback for large rosters, forced here
        monkeypatch.setattr(roster, "MAX_MIP_PAIRS", 0)
    result, agents = roster_case()
    assert result.roster_status == ("greedy" if solver == "greedy" else "optimal")
    by_id = {a.agent_id: a for a in agents}
    staffed = [s for s in result.shifts if s.agent_id is not None]
    assert staffed
    for agent_id in {s.agent_id for s in staffed}:
        assert agent_id is not None
        agent = by_id[agent_id]
        mine = sorted((s for s in staffed if s.agent_id == agent_id), key=lambda s: s.start)
        assert all(s.skill in agent.skills for s in mine)
        assert agent.templates is None or all(s.template in agent.templates for s in mine)
        minutes = sum((s.end - s.start) / timedelta(minutes=1) for s in mine)
        assert minutes <= agent.max_minutes and len(mine) <= agent.max_days
        days = [(s.start - MONDAY).days for s in mine]
        assert len(days) == len(set(days)), "one shift a day"
        for lo, hi in agent.unavailable:
            for s in mine:
                begin, end = (s.start - MONDAY) / timedelta(minutes=1), (s.end - MONDAY) / timedelta(minutes=1)
                assert end <= lo or begin >= hi
        for first, second in itertools.pairwise(mine):
            assert second.start - first.end >= timedelta(hours=11)
    # The coverage reported is the named roster's, per skill.
    for skill in ("en", "fr"):
        assert np.array_equal(result.scheduled[skill], coverage_from_roster(result, skill))
    short = sum(float(np.maximum(result.required[g] - result.scheduled[g], 0).sum()) for g in ("en", "fr"))
    assert result.under_coverage == pytest.approx(short)
    assert result.unstaffed == sum(1 for s in result.shifts if s.agent_id is None)


def test_shifts_nobody_can_take_are_reported_unstaffed() -> None:
    # Two agents, both away on Tuesday: stage 1 still plans Tuesday (it counts agents per day, not
    # who is away), and the roster leaves those shifts unnamed instead of dropping them.
    away = ((1440, 2 * 1440),)
    agents = [AgentContract(i, f"A{i}", frozenset({"all"}), 0, 48 * 60, 6, unavailable=away) for i in (1, 2)]
    eight = ShiftTemplate("8h", 480, 9 * 60, 9 * 60)
    result = build_schedule(MONDAY, M, {"all": need({(9, 17): 1})}, [eight], agents)
    unstaffed = [s for s in result.shifts if s.agent_id is None]
    assert result.unstaffed == len(unstaffed) >= 1
    assert all(s.start.weekday() == 1 for s in unstaffed)
    tuesday = slice(PER_DAY, 2 * PER_DAY)
    assert result.planned["all"][tuesday].sum() > 0 and result.scheduled["all"][tuesday].sum() == 0
    assert result.under_coverage == pytest.approx(8 * 4) and result.notes


def test_stage_one_plans_no_more_than_the_agents_can_work() -> None:
    agents = [AgentContract(1, "Solo", frozenset({"all"}), 0, 40 * 60, 5)]
    result = build_schedule(MONDAY, M, {"all": need({(9, 17): 3})}, [ShiftTemplate("8h", 480, 540, 540)], agents)
    assert len(result.shifts) == 5 and result.unstaffed == 0
    assert {s.agent_id for s in result.shifts} == {1}


# --- bad input ------------------------------------------------------------------------------------------------

GOOD = ShiftTemplate("8h", 480, 540, 540)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"required": {}}, "at least one skill group"),
        ({"required": {"all": [1.0] * 10}}, "has 10 values"),
        ({"required": {"all": [-1.0] * WEEK}}, "finite numbers"),
        ({"required": {"all": [float("nan")] * WEEK}}, "finite numbers"),
        ({"required": {"all": [float("inf")] * WEEK}}, "finite numbers"),
        ({"templates": []}, "at least one shift template"),
        ({"templates": [ShiftTemplate("3h", 180, 540, 540)]}, "240-600"),
        ({"templates": [ShiftTemplate("11h", 660, 540, 540)]}, "240-600"),
        ({"templates": [ShiftTemplate("8h", 480, 540, 600, 20)]}, "multiples of the 15-minute"),
        ({"templates": [ShiftTemplate("8h", 480, 600, 540)]}, "earliest <= latest"),
        ({"templates": [ShiftTemplate("8h", 480, 540, 540, breaks=(BreakRule("break", 15, 420, 480),))]}, "end before"),
        (
            {"templates": [ShiftTemplate("8h", 480, 540, 540, breaks=(BreakRule("break", 10, 60, 60),))]},
            "multiples of 15",
        ),
        (
            {
                "templates": [
                    ShiftTemplate(
                        "8h", 480, 540, 540, breaks=(BreakRule("lunch", 30, 120, 180), BreakRule("break", 15, 150, 195))
                    )
                ]
            },
            "overlap",
        ),
        ({"templates": [GOOD, GOOD]}, "unique"),
        ({"templates": [ShiftTemplate("8h", 480, 540, 540, days=frozenset({7}))]}, "0-6"),
        ({"interval_minutes": 7}, "dividing a day"),
        ({"week_start": datetime(2026, 11, 23, 6)}, "midnight"),
        ({"agents": [AgentContract(1, "A", frozenset()), AgentContract(1, "B", frozenset())]}, "unique"),
        ({"agents": [AgentContract(1, "A", frozenset(), min_minutes=600, max_minutes=60)]}, "min_minutes"),
        ({"agents": [AgentContract(1, "A", frozenset(), templates=frozenset({"nope"}))]}, "unknown template"),
        ({"agents": [AgentContract(1, "A", frozenset(), unavailable=((50, 10),))]}, "unavailable"),
        ({"under_penalty": -1.0}, "under_penalty"),
    ],
)
def test_bad_input_is_refused_with_a_reason(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "week_start": MONDAY,
        "interval_minutes": M,
        "required": {"all": [1.0] * WEEK},
        "templates": [GOOD],
    }
    args.update(kwargs)
    if "interval_minutes" in kwargs:
        args["required"] = {"all": [1.0] * (7 * 1440 // int(kwargs["interval_minutes"]))}  # type: ignore[call-overload]
    with pytest.raises(ValidationFailed, match=message):
        build_schedule(**args)  # type: ignore[arg-type]


def test_too_large_a_model_is_refused_before_building_it() -> None:
    many = [ShiftTemplate(f"t{i}", 240 + 15 * i, 0, 1425, 5) for i in range(25)]
    required = {f"g{i}": [1.0] * (7 * 288) for i in range(10)}
    with pytest.raises(ValidationFailed, match="variables"):
        build_schedule(MONDAY, 5, required, many)


def test_default_templates_are_valid_and_solve() -> None:
    result = build_schedule(MONDAY, M, {"all": need({(8, 12): 2})}, default_templates(M), time_limit=5)
    assert result.under_coverage == 0 and result.shifts
    assert {t.minutes for t in default_templates(M)} == {240, 360, 480, 600}
