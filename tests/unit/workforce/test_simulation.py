"""The simulator: exact small cases, input checks, and validation against Erlang C and Erlang A."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import numpy as np
import pytest

from helpline.domain.errors import ValidationFailed
from helpline.domain.routing.model import VOICE_ONLY, AgentSpec, QueueSpec
from helpline.domain.workforce.distributions import Duration
from helpline.domain.workforce.erlang import erlang_a_metrics, erlang_c_metrics
from helpline.domain.workforce.simulation import (
    Arrival,
    ShiftBlock,
    SimulationConfig,
    SimulationResult,
    poisson_arrivals,
    simulate,
    single_queue_config,
)


def run(agents: int, arrivals: list[Arrival], **settings: object) -> SimulationResult:
    return simulate(single_queue_config(agents, **settings), arrivals)  # type: ignore[arg-type]


# --- exact small cases -------------------------------------------------------------------------------


def test_one_agent_serves_in_arrival_order_with_exact_waits() -> None:
    calls = [Arrival(0.0, 1, 100.0), Arrival(10.0, 1, 50.0), Arrival(20.0, 1, 10.0)]
    result = run(1, calls, interval_seconds=1800.0, target_seconds=20.0)
    totals = result.totals
    # answered at 0, 100 and 150: waits 0, 90 and 130 s; the agent is busy from 0 to 160 s
    assert (totals.offered, totals.answered, totals.abandoned, totals.unserved) == (3, 3, 0, 0)
    assert (totals.waited, totals.answered_in_target) == (2, 1)
    assert totals.asa == pytest.approx(220.0 / 3)
    assert totals.service_level == pytest.approx(1 / 3)
    assert totals.p_wait == pytest.approx(2 / 3)
    assert totals.occupancy == pytest.approx(160.0 / 1800.0)
    assert totals.agents == pytest.approx(1.0)
    assert result.simulated_seconds == pytest.approx(160.0)
    assert len(result.intervals) == 1 and result.horizon_seconds == 1800.0


def test_a_wait_of_exactly_the_target_is_in_target() -> None:
    result = run(1, [Arrival(0.0, 1, 20.0), Arrival(0.0, 1, 5.0)], target_seconds=20.0)
    assert result.totals.answered_in_target == 2 and result.totals.asa == pytest.approx(10.0)


def test_impatient_callers_hang_up_and_patient_ones_are_answered() -> None:
    calls = [
        Arrival(0.0, 1, 100.0),
        Arrival(10.0, 1, 30.0, patience=30.0),  # hangs up at 40
        Arrival(20.0, 1, 30.0, patience=200.0),  # answered at 100 (waited 80)
        Arrival(30.0, 1, 30.0, patience=95.0),  # would be answered at 130: hangs up at 125
    ]
    totals = run(1, calls, target_seconds=20.0).totals
    assert (totals.answered, totals.abandoned, totals.waited, totals.answered_in_target) == (2, 2, 3, 1)
    assert totals.abandon_rate == pytest.approx(0.5)
    assert totals.service_level == pytest.approx(0.25)  # hung-up callers count as not answered in time
    assert totals.asa == pytest.approx(40.0)


def test_a_caller_answered_at_once_never_abandons() -> None:
    totals = run(1, [Arrival(0.0, 1, 500.0, patience=1.0)]).totals
    assert (totals.answered, totals.abandoned, totals.waited) == (1, 0, 0)


def test_calls_count_in_the_interval_they_arrive_and_busy_time_is_split() -> None:
    calls = [Arrival(50.0, 1, 100.0), Arrival(90.0, 1, 20.0)]  # second answered at 150, in interval 1
    result = run(1, calls, interval_seconds=100.0, target_seconds=20.0, horizon_seconds=200.0)
    first, second = result.intervals
    assert (first.offered, first.answered, first.waited, first.answered_in_target) == (2, 2, 1, 1)
    assert first.asa == pytest.approx(30.0)
    assert second.offered == 0 and second.service_level == 1.0 and second.p_wait == 0.0 and second.asa == 0.0
    assert first.occupancy == pytest.approx(0.5) and second.occupancy == pytest.approx(0.7)  # busy 50..170


def test_the_horizon_stops_arrivals_and_sets_the_intervals() -> None:
    calls = [Arrival(10.0, 1, 5.0), Arrival(250.0, 1, 5.0), Arrival(400.0, 1, 5.0)]
    result = run(2, calls, interval_seconds=100.0, horizon_seconds=300.0)
    assert result.calls == 2 and len(result.intervals) == 3
    assert [r.offered for r in result.intervals] == [1, 0, 1]
    assert all(r.agents == pytest.approx(2.0) for r in result.intervals)


def test_no_calls_gives_no_intervals_unless_a_horizon_is_set() -> None:
    assert run(1, []).intervals == ()
    quiet = run(1, [], horizon_seconds=3600.0, interval_seconds=1800.0)
    assert len(quiet.intervals) == 2 and quiet.totals.service_level == 1.0 and quiet.totals.occupancy == 0.0


def test_shifts_bring_agents_in_and_out_and_a_call_in_progress_is_finished() -> None:
    shifts = (ShiftBlock(1, 50.0, 150.0),)
    calls = [
        Arrival(0.0, 1, 30.0),  # waits for the shift: answered at 50
        Arrival(140.0, 1, 30.0),  # answered at 140, finished at 170 after the shift ended
        Arrival(160.0, 1, 10.0, patience=60.0),  # nobody on shift: hangs up at 220
        Arrival(170.0, 1, 10.0),  # nobody will come: never answered
    ]
    result = run(1, calls, interval_seconds=100.0, shifts=shifts, target_seconds=20.0)
    first, second = result.intervals
    assert first.agents == pytest.approx(0.5) and second.agents == pytest.approx(0.5)
    assert (first.answered, first.waited, first.answered_in_target) == (1, 1, 0)
    assert first.asa == pytest.approx(50.0)
    assert (second.answered, second.abandoned, second.unserved, second.offered) == (1, 1, 1, 3)
    assert first.occupancy == pytest.approx(30.0 / 50.0)
    assert second.occupancy == pytest.approx(30.0 / 50.0)  # 140..170, 20 s of it after the shift's end


def test_overlapping_shift_blocks_merge() -> None:
    shifts = (ShiftBlock(1, 0.0, 60.0), ShiftBlock(1, 30.0, 100.0), ShiftBlock(1, 100.0, 120.0))
    result = run(1, [Arrival(110.0, 1, 5.0)], interval_seconds=200.0, shifts=shifts)
    assert result.totals.answered == 1 and result.totals.agents == pytest.approx(0.6)


def test_a_vip_goes_ahead_of_earlier_callers() -> None:
    calls = [Arrival(0.0, 1, 100.0), Arrival(10.0, 1, 10.0), Arrival(20.0, 1, 10.0, vip=True)]
    totals = run(1, calls, target_seconds=80.0).totals
    # the VIP is answered at 100 (waited 80, in target); the earlier caller at 110 (waited 100)
    assert totals.answered_in_target == 2 and totals.asa == pytest.approx(60.0)


def test_wrap_up_keeps_the_agent_busy_until_the_router_timer_frees_them() -> None:
    calls = [Arrival(0.0, 1, 100.0), Arrival(10.0, 1, 10.0)]
    totals = run(1, calls, wrap_up_seconds=30.0, interval_seconds=1000.0).totals
    assert totals.asa == pytest.approx((0.0 + 120.0) / 2)  # answered after talk 100 + wrap-up 30
    assert totals.occupancy == pytest.approx(170.0 / 1000.0)


def test_agents_only_take_calls_of_queues_they_have_the_skills_for() -> None:
    billing = QueueSpec(1, 1, "billing", "voice", skills={"billing": 1}, wrap_up_seconds=0.0)
    sales = QueueSpec(2, 1, "sales", "voice", skills={"sales": 1}, wrap_up_seconds=0.0)
    people = (
        AgentSpec(1, "Bea", {"billing": 3}, frozenset({"en"}), frozenset({1}), profile=VOICE_ONLY),
        AgentSpec(2, "Sam", {"sales": 3}, frozenset({"en"}), frozenset({1}), profile=VOICE_ONLY),
    )
    config = SimulationConfig((billing, sales), people, interval_seconds=1000.0, target_seconds=0.0)
    # two billing calls at once: the second waits for Bea although Sam is free
    calls = [Arrival(0.0, 1, 50.0), Arrival(0.0, 1, 50.0), Arrival(10.0, 2, 5.0)]
    totals = simulate(config, calls).totals
    assert (totals.answered, totals.waited, totals.answered_in_target) == (3, 1, 2)
    assert totals.asa == pytest.approx(50.0 / 3)


def test_progress_is_reported() -> None:
    seen: list[int] = []
    calls = [Arrival(float(i), 1, 0.5) for i in range(25)]
    simulate(single_queue_config(1), calls, progress=seen.append, progress_every=10)
    assert seen == [10, 20, 25]


# --- refused input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calls", "field"),
    [
        ([Arrival(10.0, 1, 1.0), Arrival(5.0, 1, 1.0)], "arrivals"),
        ([Arrival(math.nan, 1, 1.0)], "arrivals"),
        ([Arrival(1.0, 1, -1.0)], "arrivals"),
        ([Arrival(1.0, 1, math.inf)], "arrivals"),
        ([Arrival(1.0, 1, 1.0, patience=math.nan)], "arrivals"),
        ([Arrival(1.0, 9, 1.0)], "arrivals"),
    ],
)
def test_bad_arrivals_are_refused(calls: list[Arrival], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        run(1, calls)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"interval_seconds": 0.0}, "interval_seconds"),
        ({"interval_seconds": math.inf}, "interval_seconds"),
        ({"target_seconds": -1.0}, "target_seconds"),
        ({"horizon_seconds": 0.0}, "horizon_seconds"),
        ({"horizon_seconds": 1e12}, "horizon_seconds"),
        ({"queues": ()}, "queues"),
        ({"shifts": (ShiftBlock(99, 0.0, 10.0),)}, "shifts"),
        ({"shifts": (ShiftBlock(1, 10.0, 10.0),)}, "shifts"),
        ({"shifts": (ShiftBlock(1, -5.0, 10.0),)}, "shifts.start"),
    ],
)
def test_bad_settings_are_refused(change: dict[str, object], field: str) -> None:
    config = replace(single_queue_config(2), **change)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed) as caught:
        simulate(config, [])
    assert caught.value.field == field


def test_duplicate_ids_are_refused() -> None:
    config = single_queue_config(2)
    with pytest.raises(ValidationFailed):
        simulate(SimulationConfig(config.queues * 2, config.agents), [])
    with pytest.raises(ValidationFailed):
        simulate(SimulationConfig(config.queues, config.agents * 2), [])
    with pytest.raises(ValidationFailed):
        single_queue_config(0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Duration.exponential(0.0),
        lambda: Duration.exponential(math.nan),
        lambda: Duration.lognormal(10.0, -1.0),
        lambda: Duration.empirical([]),
        lambda: Duration.empirical([1.0, -2.0]),
    ],
)
def test_bad_distributions_are_refused(build: object) -> None:
    with pytest.raises(ValidationFailed):
        build()  # type: ignore[operator]


# --- arrivals and distributions ------------------------------------------------------------------------


def test_distributions_have_the_stated_mean_and_spread() -> None:
    rng = np.random.default_rng(5)
    lognormal = Duration.lognormal(300.0, 150.0).sample_block(rng, 200_000)
    assert lognormal.mean() == pytest.approx(300.0, rel=0.01) and lognormal.std() == pytest.approx(150.0, rel=0.03)
    exponential = Duration.exponential(60.0).sample_block(rng, 200_000)
    assert exponential.mean() == pytest.approx(60.0, rel=0.01)
    empirical = Duration.empirical([10.0, 20.0, 60.0])
    assert empirical.mean == pytest.approx(30.0) and set(empirical.sample_block(rng, 100).tolist()) <= {10, 20, 60}
    python_rng = random.Random(3)
    assert Duration.lognormal(50.0, 10.0).sample(python_rng) > 0
    assert empirical.sample(python_rng) in {10.0, 20.0, 60.0}


@pytest.mark.parametrize("rng", [np.random.default_rng(11), random.Random(11)])
def test_poisson_arrivals_follow_the_rates(rng: np.random.Generator | random.Random) -> None:
    rates = [200.0, 0.0, 800.0]
    calls = list(poisson_arrivals(rates, 600.0, 1, Duration.exponential(100.0), rng, patience=Duration.exponential(30)))
    times = [c.at for c in calls]
    assert times == sorted(times)
    counts = [sum(1 for t in times if i * 600 <= t < (i + 1) * 600) for i in range(3)]
    assert abs(counts[0] - 200) < 5 * math.sqrt(200) and counts[1] == 0 and abs(counts[2] - 800) < 5 * math.sqrt(800)
    assert all(c.queue_id == 1 and c.handle >= 0 and c.patience < math.inf for c in calls)
    with pytest.raises(ValidationFailed):
        list(poisson_arrivals([-1.0], 600.0, 1, Duration.exponential(1.0), rng))


# --- validation against the Erlang formulas ---------------------------------------------------------------


def _batch_standard_error(result: SimulationResult, count: str, batch: int = 20) -> float:
    """Standard error of a share (answered_in_target, waited or abandoned per offered call) by batch means:
    batches of `batch` consecutive intervals, long against the queue's memory, so nearly independent."""
    rows = result.intervals
    shares = []
    for first in range(0, len(rows) - batch + 1, batch):
        chunk = rows[first : first + batch]
        shares.append(sum(getattr(r, count) for r in chunk) / sum(r.offered for r in chunk))
    return float(np.std(shares, ddof=1) / math.sqrt(len(shares)))


def _stationary(
    agents: int, load: float, aht: float, calls: int, seed: int, patience: float | None
) -> SimulationResult:
    interval = 3600.0
    per_interval = load / aht * interval
    rates = [per_interval] * math.ceil(1.005 * calls / per_interval)  # Poisson counts: 0.5% spare (5 sd)
    rng = np.random.default_rng(seed)
    waits = Duration.exponential(patience) if patience is not None else None
    arrivals = poisson_arrivals(rates, interval, 1, Duration.exponential(aht), rng, patience=waits)
    return simulate(single_queue_config(agents, interval_seconds=interval, target_seconds=20.0), arrivals)


def test_m_m_c_matches_erlang_c_over_a_million_calls() -> None:
    # M/M/10, 6.5 Erlangs (65% occupancy), AHT 180 s, target 20 s: Erlang C gives P(wait) ~0.14 and
    # service level ~0.90. Waits are correlated from call to call (a caller who waits makes the next one
    # likelier to), which inflates the variance of the shares well beyond the binomial p(1-p)/n: measured
    # by batch means, the standard error over 1,000,000 calls is about 0.0013 for both, so the 0.005
    # tolerance is close to 4 standard errors (and the batch estimate is checked below).
    agents, load, aht = 10, 6.5, 180.0
    result = _stationary(agents, load, aht, 1_000_000, seed=20261123, patience=None)
    exact = erlang_c_metrics(load, agents, aht, 20.0)
    totals = result.totals
    assert totals.offered >= 1_000_000 and totals.abandoned == 0 and totals.unserved == 0
    assert abs(totals.service_level - exact.service_level) <= 0.005
    assert abs(totals.p_wait - exact.p_wait) <= 0.005
    assert abs(totals.occupancy - exact.occupancy) <= 0.005
    assert totals.asa == pytest.approx(exact.asa, rel=0.05)
    for count in ("answered_in_target", "waited"):
        assert _batch_standard_error(result, count) < 0.005 / 3


def test_m_m_c_m_matches_erlang_a_over_a_million_calls() -> None:
    # M/M/10+M, 8 Erlangs offered (80%), AHT 180 s, mean patience 120 s, target 20 s: Erlang A gives
    # P(wait) ~0.26, service level ~0.83, P(abandon) ~0.06. Abandonment shortens the queue's memory: by
    # batch means the standard errors over 1,000,000 calls are about 0.0015 (P(wait)), 0.0012 (service
    # level) and 0.0005 (abandonment), so 0.005 is more than 3 standard errors for each.
    agents, load, aht, patience = 10, 8.0, 180.0, 120.0
    result = _stationary(agents, load, aht, 1_000_000, seed=4, patience=patience)
    exact = erlang_a_metrics(load, agents, aht, 20.0, patience)
    totals = result.totals
    assert totals.offered >= 1_000_000 and totals.unserved == 0
    assert abs(totals.p_wait - exact.p_wait) <= 0.005
    assert abs(totals.service_level - exact.service_level) <= 0.005
    assert abs(totals.abandon_rate - exact.p_abandon) <= 0.005
    assert abs(totals.occupancy - exact.occupancy) <= 0.005
    for count in ("answered_in_target", "waited", "abandoned"):
        assert _batch_standard_error(result, count) < 0.005 / 3
