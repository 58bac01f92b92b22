"""Erlang staffing benchmark: required agents for a 96-interval x 50-queue day, ours against pyworkforce.

One run, same grid for everyone (loads 1-500 Erlangs, deterministic from --seed):
- ours, Erlang C: `required_agents_c` on the whole grid in one call (median of --runs runs);
- ours, Erlang A: `required_agents_a` with each queue's mean patience (median of --runs-a runs);
- pyworkforce's ErlangC, one `required_positions` call per cell (median of --runs-pyworkforce runs),
  and a cell-by-cell comparison of the agent counts (mismatches are listed).
Targets (workforce issue): Erlang C grid <= 5 ms, Erlang A grid <= 0.5 s.

    python -m bench.erlang [--seed 20240611] [--runs 31] [--runs-a 5] [--runs-pyworkforce 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.harness import console, report
from helpline.domain.workforce.erlang import StaffingGrid, required_agents_a, required_agents_c

INTERVALS, QUEUES = 96, 50
BUDGET_C_MS, BUDGET_A_MS = 5.0, 500.0


@dataclass(frozen=True)
class Day:
    """One day of 15-minute intervals for a set of queues, each with its own parameters."""

    loads: NDArray[np.float64]  # (intervals, queues), Erlangs
    aht: NDArray[np.float64]  # (queues,), seconds
    target_seconds: NDArray[np.float64]  # (queues,)
    sl_target: NDArray[np.float64]  # (queues,)
    patience: NDArray[np.float64]  # (queues,), seconds


def make_day(seed: int) -> Day:
    """Loads follow a two-peak working-day curve per queue, with noise, clipped to 1-500 Erlangs."""
    rng = np.random.default_rng(seed)
    hours = (np.arange(INTERVALS) + 0.5) / 4
    curve = 0.08 + np.exp(-0.5 * ((hours - 10.5) / 1.8) ** 2) + 0.8 * np.exp(-0.5 * ((hours - 15) / 2.2) ** 2)
    peaks = rng.uniform(10, 500, QUEUES)
    noise = rng.lognormal(0.0, 0.15, (INTERVALS, QUEUES))
    loads = np.clip(curve[:, None] / curve.max() * peaks[None, :] * noise, 1.0, 500.0)
    return Day(
        loads=loads,
        aht=rng.uniform(120, 600, QUEUES),
        target_seconds=rng.choice([10.0, 15.0, 20.0, 30.0, 60.0], QUEUES),
        sl_target=rng.choice([0.7, 0.8, 0.85, 0.9, 0.95], QUEUES),
        patience=rng.uniform(60, 600, QUEUES),
    )


def median_ms(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    result = work()  # warm-up (imports, caches); not timed
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def pyworkforce_counts(day: Day) -> NDArray[np.int64]:
    """pyworkforce's raw positions per cell. Its units are per interval: with interval = aht = 1 its
    intensity is the load itself and its `asa` is the target time in handle times."""
    from pyworkforce.queuing import ErlangC

    counts = np.zeros(day.loads.shape, dtype=np.int64)
    for (i, q), load in np.ndenumerate(day.loads):
        erlang = ErlangC(transactions=float(load), aht=1.0, asa=float(day.target_seconds[q] / day.aht[q]), interval=1)
        counts[i, q] = erlang.required_positions(service_level=float(day.sl_target[q]))["raw_positions"]
    return counts


def compare(day: Day, ours: StaffingGrid, theirs: NDArray[np.int64]) -> dict[str, Any]:
    differ = np.argwhere(ours.required != theirs)
    examples = []
    for i, q in differ[:10]:
        examples.append(
            {
                "interval": int(i),
                "queue": int(q),
                "load": round(float(day.loads[i, q]), 6),
                "ours": int(ours.required[i, q]),
                "pyworkforce": int(theirs[i, q]),
                "our_service_level": round(float(ours.metrics.service_level[i, q]), 6),
                "sl_target": float(day.sl_target[q]),
            }
        )
    return {
        "cells": int(theirs.size),
        "mismatches": len(differ),
        "pyworkforce_higher": int(np.sum(theirs > ours.required)),
        "pyworkforce_lower": int(np.sum(theirs < ours.required)),
        "examples": examples,
    }


def run_pyworkforce(day: Day, ours: StaffingGrid, runs: int) -> dict[str, Any]:
    try:
        import importlib.metadata

        version = importlib.metadata.version("pyworkforce")
        ms, theirs = median_ms(runs, lambda: pyworkforce_counts(day))
    except Exception as exc:  # not installed or broken: say so in the table and the JSON
        return {"available": False, "error": f"{exc.__class__.__name__}: {exc}"}
    return {"available": True, "version": version, "erlang_c_ms": round(ms, 1), **compare(day, ours, theirs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--runs-a", type=int, default=5)
    parser.add_argument("--runs-pyworkforce", type=int, default=3)
    args = parser.parse_args()

    day = make_day(args.seed)
    console.print(f"grid {INTERVALS} x {QUEUES}, loads {day.loads.min():.2f}-{day.loads.max():.2f} Erlangs")
    c_ms, ours_c = median_ms(
        args.runs, lambda: required_agents_c(day.loads, day.aht, day.target_seconds, day.sl_target)
    )
    a_ms, ours_a = median_ms(
        args.runs_a, lambda: required_agents_a(day.loads, day.aht, day.target_seconds, day.patience, day.sl_target)
    )
    console.print("pyworkforce: one ErlangC per cell ...")
    theirs = run_pyworkforce(day, ours_c, args.runs_pyworkforce)

    rows: list[list[Any]] = [
        [
            "ours, Erlang C (one grid call)",
            f"{c_ms:.2f}",
            f"<= {BUDGET_C_MS:g}",
            "yes" if c_ms <= BUDGET_C_MS else "NO",
            "",
        ],
        [
            "ours, Erlang A (one grid call)",
            f"{a_ms:.1f}",
            f"<= {BUDGET_A_MS:g}",
            "yes" if a_ms <= BUDGET_A_MS else "NO",
            "",
        ],
    ]
    figures: dict[str, Any] = {
        "seed": args.seed,
        "grid": [INTERVALS, QUEUES],
        "load_range": [round(float(day.loads.min()), 3), round(float(day.loads.max()), 3)],
        "erlang_c_ms": round(c_ms, 3),
        "erlang_a_ms": round(a_ms, 1),
        "budget_c_ms": BUDGET_C_MS,
        "budget_a_ms": BUDGET_A_MS,
        "erlang_c_within_budget": c_ms <= BUDGET_C_MS,
        "erlang_a_within_budget": a_ms <= BUDGET_A_MS,
        "agents_c_total": int(ours_c.required.sum()),
        "agents_a_total": int(ours_a.required.sum()),
        "pyworkforce": theirs,
    }
    if theirs["available"]:
        ratio = theirs["erlang_c_ms"] / c_ms
        figures["pyworkforce"]["slower_by"] = round(ratio, 1)
        agree = f"{theirs['cells'] - theirs['mismatches']}/{theirs['cells']} cells agree"
        rows.append(
            ["pyworkforce ErlangC (per cell)", f"{theirs['erlang_c_ms']:.0f}", "", "", f"x{ratio:,.0f}; {agree}"]
        )
    else:
        rows.append(["pyworkforce ErlangC", "n/a", "", "", f"unavailable: {theirs['error']}"])
    report("Erlang staffing, 96 x 50 grid", ["what", "median ms", "budget ms", "within", "vs ours"], rows, figures)


if __name__ == "__main__":
    main()
