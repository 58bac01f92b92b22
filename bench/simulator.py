"""Simulator benchmark: M/M/50 at 85% occupancy through the real routing engine, against ciw.

The model: 50 agents, 42.5 Erlangs offered (85% occupancy), exponential handle times of 300 s,
Poisson arrivals, nobody hangs up, service level at 20 s. Deterministic from --seed.

- ours: `simulate` with every call enqueued, offered, accepted and ended through the real `Router`
  (arrivals drawn beforehand; their drawing is timed apart);
- ciw (the `bench` extra): the same queue as a ciw network, `simulate_until_max_customers`;
- both against Erlang C (service level and P(wait)). Each share over n calls has a standard error
  well above the binomial one (waits are correlated); it is estimated by batch means and printed.
Target (workforce issue): >= 100,000 calls/s with the real router.

    python -m bench.simulator [--seed 7] [--calls 300000] [--ciw-calls 100000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import time
from typing import Any

import numpy as np

from bench.harness import console, report
from helpline.domain.workforce.distributions import Duration
from helpline.domain.workforce.erlang import erlang_c_metrics
from helpline.domain.workforce.simulation import SimulationResult, poisson_arrivals, simulate, single_queue_config

AGENTS, LOAD, AHT, TARGET = 50, 42.5, 300.0, 20.0
INTERVAL = 3600.0
TARGET_RATE = 100_000


def batch_error(result: SimulationResult, count: str, batch: int = 10) -> float:
    """Standard error of a share per offered call, by means over batches of consecutive intervals."""
    rows = result.intervals
    shares = [
        sum(getattr(r, count) for r in rows[i : i + batch]) / max(1, sum(r.offered for r in rows[i : i + batch]))
        for i in range(0, len(rows) - batch + 1, batch)
    ]
    return float(np.std(shares, ddof=1) / math.sqrt(len(shares))) if len(shares) > 1 else math.nan


def run_ours(seed: int, calls: int, profile: bool) -> dict[str, Any]:
    per_interval = LOAD / AHT * INTERVAL
    rates = [per_interval] * math.ceil(calls / per_interval)
    started = time.perf_counter()
    arrivals = list(poisson_arrivals(rates, INTERVAL, 1, Duration.exponential(AHT), np.random.default_rng(seed)))
    drawn = time.perf_counter() - started
    config = single_queue_config(AGENTS, interval_seconds=INTERVAL, target_seconds=TARGET)
    profiler = cProfile.Profile() if profile else None
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = simulate(config, arrivals)
    if profiler:
        profiler.disable()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(25)
    totals = result.totals
    return {
        "calls": result.calls,
        "seconds": round(seconds, 2),
        "calls_per_s": round(result.calls / seconds),
        "cpu_seconds": round(cpu, 2),
        "calls_per_cpu_s": round(result.calls / cpu),
        "arrival_draw_seconds": round(drawn, 2),
        "service_level": round(totals.service_level, 4),
        "p_wait": round(totals.p_wait, 4),
        "asa": round(totals.asa, 2),
        "occupancy": round(totals.occupancy, 4),
        "standard_error_service_level": round(batch_error(result, "answered_in_target"), 4),
        "standard_error_p_wait": round(batch_error(result, "waited"), 4),
    }


def run_ciw(seed: int, calls: int) -> dict[str, Any] | None:
    try:
        import ciw
    except ImportError:
        console.print("[yellow]ciw is not installed (pip install -e '.[bench]'); skipping its row")
        return None
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LOAD / AHT)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / AHT)],
        number_of_servers=[AGENTS],
    )
    ciw.seed(seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(calls, method="Finish")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    waits = np.array([record.waiting_time for record in simulation.get_all_records()])
    return {
        "calls": int(waits.size),
        "seconds": round(seconds, 2),
        "calls_per_s": round(waits.size / seconds),
        "cpu_seconds": round(cpu, 2),
        "calls_per_cpu_s": round(waits.size / cpu),
        "service_level": round(float(np.mean(waits <= TARGET)), 4),
        "p_wait": round(float(np.mean(waits > 0)), 4),
        "asa": round(float(waits.mean()), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300_000, help="calls through our simulator")
    parser.add_argument("--ciw-calls", type=int, default=100_000, help="calls through ciw (0: skip ciw)")
    parser.add_argument("--profile", action="store_true", help="cProfile our run (slows it down)")
    args = parser.parse_args()
    exact = erlang_c_metrics(LOAD, AGENTS, AHT, TARGET)
    ours = run_ours(args.seed, args.calls, args.profile)
    theirs = run_ciw(args.seed, args.ciw_calls) if args.ciw_calls > 0 else None
    rows = [
        [
            "ours (real router)",
            f"{ours['calls']:,}",
            ours["seconds"],
            f"{ours['calls_per_s']:,}",
            f"{ours['calls_per_cpu_s']:,}",
            ours["service_level"],
            ours["p_wait"],
            ours["asa"],
        ]
    ]
    if theirs:
        rows.append(
            [
                "ciw",
                f"{theirs['calls']:,}",
                theirs["seconds"],
                f"{theirs['calls_per_s']:,}",
                f"{theirs['calls_per_cpu_s']:,}",
                theirs["service_level"],
                theirs["p_wait"],
                theirs["asa"],
            ]
        )
    rows.append(
        ["Erlang C", "", "", "", "", round(exact.service_level, 4), round(exact.p_wait, 4), round(exact.asa, 2)]
    )
    figures = {
        "model": {"agents": AGENTS, "load_erlangs": LOAD, "aht_seconds": AHT, "target_seconds": TARGET},
        "erlang_c": {"service_level": exact.service_level, "p_wait": exact.p_wait, "asa": exact.asa},
        "ours": ours,
        "ciw": theirs,
        # CPU time: the fairer comparison on a shared machine (wall time counts other processes' turns)
        "speed_ratio_ours_over_ciw": round(ours["calls_per_cpu_s"] / theirs["calls_per_cpu_s"], 2) if theirs else None,
        "targets": {"calls_per_s": TARGET_RATE, "met": ours["calls_per_cpu_s"] >= TARGET_RATE},
    }
    report(
        "simulator M/M/50 at 85% occupancy",
        ["simulator", "calls", "seconds", "calls/s", "calls/CPU s", "service level", "P(wait)", "ASA s"],
        rows,
        figures,
    )


if __name__ == "__main__":
    main()
