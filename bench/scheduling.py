"""Shift scheduling benchmark: a week of 15-minute intervals with flexible shifts, ours against a greedy peer.

The requirement: one week of the anonymous bank's calls (1999, 6-minute counts aggregated to 15
minutes), staffed by Erlang C (handle time 200 s, 80% answered in 20 s); if the file is missing,
a synthetic two-peak week. Templates: 4 to 10 hours in whole hours, starts every --step minutes
from 06:00 to 16:00 (later shifts cover the evening), a 15-minute break in each half and a lunch
for shifts over 5 hours, each in a window.

Rows, in one run:
- stage 1 (median wall time of --runs runs, time limit = the 0.5 s budget; CPU time too, as the
  bench machine may be shared): build and solve time, status, objective, LP bound and gap, for
  the bank's week at --scale times its 1999 volume (default 4: a center of ~100 full-time agents)
  and as it was (peak 15 agents, where small counts make rounding hardest);
- the greedy peer on the same shifts (breaks in the middle of their windows): repeatedly place
  the shift covering the most still-uncovered requirement per unit of cost, while that pays;
  cost, under-coverage and objective, and their ratio to ours;
- stage 1 + stage 2 with --agents named agents (contract hours, days off, rest), no time budget.
Target (workforce issue): optimal or within 0.5% of the LP bound in <= 0.5 s for stage 1.

    python -m bench.scheduling [--scale 4] [--step 30] [--window 30] [--runs 5] [--agents 150]
"""

from __future__ import annotations

import argparse
import csv
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.harness import console, report
from helpline.domain.workforce.erlang import required_agents_c
from helpline.domain.workforce.scheduling import AgentContract, BreakRule, ShiftTemplate, build_schedule

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "datasets"
    / "anonymous-bank"
    / "anonymous_bank_1999_6min_counts.csv"
)
WEEK_START = datetime(1999, 10, 4)  # a Monday
INTERVAL = 15
INTERVALS = 7 * 96
AHT, TARGET_SECONDS, SL = 200.0, 20.0, 0.8
BUDGET_S = 0.5
UNDER_PENALTY, OVER_PENALTY = 10.0, 0.01


def bank_week() -> tuple[NDArray[np.float64], str]:
    """Calls per 15 minutes over WEEK_START's week, or a synthetic week if the file is absent."""
    if not DATA.exists():
        return synthetic_week(), "synthetic two-peak week (bank file not found)"
    first = WEEK_START.strftime("%Y-%m-%d")
    calls = np.zeros(7 * 240)  # 6-minute slots of the week
    with DATA.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if row["date"] < first:
                continue
            day = (datetime.strptime(row["date"], "%Y-%m-%d") - WEEK_START).days
            if day >= 7:
                break
            hh, mm = row["start"].split(":")
            calls[day * 240 + (int(hh) * 60 + int(mm)) // 6] = float(row["calls"])
    # 6 -> 15 minutes: each 6-minute slot spreads its calls over the minutes it spans.
    per_minute = np.repeat(calls / 6.0, 6)
    return per_minute.reshape(INTERVALS, INTERVAL).sum(axis=1), f"anonymous bank, week of {first}"


def synthetic_week() -> NDArray[np.float64]:
    hours = (np.arange(96) + 0.5) / 4
    day = 6 + 120 * np.exp(-0.5 * ((hours - 10.5) / 1.8) ** 2) + 90 * np.exp(-0.5 * ((hours - 15) / 2.2) ** 2)
    day[hours < 7] = 0
    scale = np.array([1.0, 0.95, 0.9, 0.9, 0.85, 0.5, 0.3])
    return (scale[:, None] * day[None, :]).ravel()


def requirement(calls: NDArray[np.float64]) -> NDArray[np.float64]:
    loads = calls * AHT / (INTERVAL * 60)
    staffed = required_agents_c(np.maximum(loads, 1e-9), AHT, TARGET_SECONDS, SL).required
    return np.where(calls > 0, staffed, 0).astype(np.float64)


def templates(step: int, window: int = 30) -> tuple[ShiftTemplate, ...]:
    """4 to 10 hours; breaks start anywhere in a `window`-minute window (so window / 15 + 1 places)."""
    out = []
    for hours in range(4, 11):
        minutes = hours * 60
        half = minutes // 2
        if hours <= 5:  # short shifts: one break, mid-shift
            rules = [BreakRule("break", 15, half - window // 2 - 15, half + window // 2 - 15)]
        else:  # a break in each half around a lunch
            rules = [
                BreakRule("break", 15, 90, 90 + window),
                BreakRule("lunch", 30, half - 30, half - 30 + window),
                BreakRule("break", 15, minutes - 120, minutes - 120 + window),
            ]
        out.append(ShiftTemplate(f"{hours}h", minutes, 6 * 60, 16 * 60, step, tuple(rules)))
    return tuple(out)


def agents(count: int, seed: int) -> list[AgentContract]:
    """A mix: full-timers (5 x 8 h), part-timers (20-30 h, 4-6 h shifts), some with days off."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        kind = rng.choice(["full", "part", "flex"], p=[0.5, 0.3, 0.2])
        unavailable: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.3:  # one day off fixed by the agent
            day = int(rng.integers(0, 7))
            unavailable = ((day * 1440, (day + 1) * 1440),)
        if kind == "full":
            contract = AgentContract(i + 1, f"Agent {i + 1}", frozenset({"calls"}), 32 * 60, 40 * 60, 5,
                                     None, unavailable)  # fmt: skip
        elif kind == "part":
            contract = AgentContract(i + 1, f"Agent {i + 1}", frozenset({"calls"}), 16 * 60, 30 * 60, 5,
                                     frozenset({"4h", "5h", "6h"}), unavailable)  # fmt: skip
        else:
            contract = AgentContract(i + 1, f"Agent {i + 1}", frozenset({"calls"}), 0, 45 * 60, 6, None, unavailable)
        out.append(contract)
    return out


def greedy(req: NDArray[np.float64], temps: tuple[ShiftTemplate, ...]) -> dict[str, Any]:
    """The peer: place, one at a time, the shift (breaks mid-window) with the most uncovered
    requirement per unit of cost, while the under-coverage it removes is worth its cost."""
    started = time.perf_counter()
    columns = []
    costs = []
    for t in temps:
        for day in sorted(t.days):
            for start in range(t.earliest_start, t.latest_start + 1, t.start_step):
                first = (day * 1440 + start) // INTERVAL
                on = np.zeros(INTERVALS)
                on[(first + np.arange(t.minutes // INTERVAL)) % INTERVALS] = 1
                for b in t.breaks:
                    middle = (b.earliest_after + b.latest_after) // 2 // INTERVAL * INTERVAL
                    at = first + middle // INTERVAL
                    on[(at + np.arange(b.minutes // INTERVAL)) % INTERVALS] = 0
                columns.append(on)
                costs.append(t.cost_per_hour * t.minutes / 60)
    cover = np.array(columns)
    cost = np.array(costs)
    remaining = req.copy()
    placed = np.zeros(len(cost), dtype=np.int64)
    while True:
        gain = cover @ np.clip(remaining, 0.0, 1.0)
        score = gain / cost
        best = int(np.argmax(score))
        if gain[best] * UNDER_PENALTY <= cost[best]:
            break
        placed[best] += 1
        remaining -= cover[best]
    seconds = time.perf_counter() - started
    scheduled = placed @ cover
    under = float(np.maximum(req - scheduled, 0).sum())
    over = float(np.maximum(scheduled - req, 0).sum())
    total = float(cost @ placed)
    return {
        "seconds": round(seconds, 3),
        "shifts": int(placed.sum()),
        "cost": round(total, 2),
        "under": round(under, 2),
        "objective": round(total + UNDER_PENALTY * under + OVER_PENALTY * over, 2),
    }


def stage_one(req: NDArray[np.float64], temps: tuple[ShiftTemplate, ...], runs: int) -> tuple[Any, float, float]:
    """Median wall and CPU seconds of `runs` stage-1 solves (after one warm-up), and the median run's result."""
    build_schedule(WEEK_START, INTERVAL, {"calls": req}, temps, time_limit=BUDGET_S)  # warm-up (imports)
    runs_done = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = build_schedule(WEEK_START, INTERVAL, {"calls": req}, temps, under_penalty=UNDER_PENALTY,
                                time_limit=BUDGET_S)  # fmt: skip
        runs_done.append((time.perf_counter() - wall, time.process_time() - cpu, result))
    runs_done.sort(key=lambda r: r[0])
    wall_s, cpu_s, result = runs_done[len(runs_done) // 2]
    return result, wall_s, cpu_s


def row_for(label: str, r: Any, wall_s: float, cpu_s: float) -> list[Any]:
    within = (r.status == "optimal" or r.gap <= 0.005) and wall_s <= BUDGET_S
    return [label, f"{r.build_seconds * 1000:.0f}", f"{r.solve_seconds * 1000:.0f}", f"{wall_s * 1000:.0f}",
            f"{cpu_s * 1000:.0f}", r.status, f"{r.objective:,.2f}", f"{r.lp_bound:,.2f}", f"{r.gap:.3%}",
            f"{r.cost:,.1f}", f"{r.under_coverage:,.0f}", "yes" if within else "NO"]  # fmt: skip


def figures_for(r: Any, wall_s: float, cpu_s: float, peer: dict[str, Any]) -> dict[str, Any]:
    return {
        "peak_agents": None,
        "variables": r.variables,
        "build_ms": round(r.build_seconds * 1000, 1),
        "solve_ms": round(r.solve_seconds * 1000, 1),
        "total_ms": round(wall_s * 1000, 1),
        "cpu_ms": round(cpu_s * 1000, 1),
        "status": r.status,
        "objective": round(r.objective, 3),
        "lp_bound": round(r.lp_bound, 3),
        "lp_relaxation": round(r.lp_relaxation, 3),
        "gap": round(r.gap, 5),
        "cost": round(r.cost, 2),
        "under_coverage": r.under_coverage,
        "within_target": (r.status == "optimal" or r.gap <= 0.005) and wall_s <= BUDGET_S,
        "greedy": peer,
        "greedy_cost_ratio": round(peer["cost"] / r.cost, 3),
        "greedy_under_ratio": round(peer["under"] / r.under_coverage, 3) if r.under_coverage else None,
        "greedy_objective_ratio": round(peer["objective"] / r.objective, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=30, help="start granularity, minutes (15 or 30)")
    parser.add_argument("--window", type=int, default=30, help="break windows, minutes wide")
    parser.add_argument("--scale", type=float, default=4.0, help="volume multiplier of the bank's week")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--agents", type=int, default=150)
    parser.add_argument("--seed", type=int, default=19991004)
    args = parser.parse_args()

    calls, source = bank_week()
    temps = templates(args.step, args.window)
    columns = ["what", "build ms", "solve ms", "total ms", "cpu ms", "status", "objective", "LP bound", "gap",
               "cost", "under", "within / vs ours"]  # fmt: skip
    rows: list[list[Any]] = []
    figures: dict[str, Any] = {
        "source": source,
        "intervals": INTERVALS,
        "interval_minutes": INTERVAL,
        "start_step": args.step,
        "break_window": args.window,
        "templates": [t.name for t in temps],
        "budget_s": BUDGET_S,
        "weeks": {},
    }
    main_req: NDArray[np.float64] | None = None
    for scale in dict.fromkeys((args.scale, 1.0)):
        req = requirement(calls * scale)
        label = f"x{scale:g} (peak {req.max():.0f}, {req.sum() / 4:,.0f} agent-h)"
        console.print(f"{source} {label}: {calls.sum() * scale:,.0f} calls")
        ours, wall_s, cpu_s = stage_one(req, temps, args.runs)
        peer = greedy(req, temps)
        rows.append(row_for(f"ours, stage 1, {label}", ours, wall_s, cpu_s))
        rows.append(["  greedy peer", "", "", f"{peer['seconds'] * 1000:.0f}", "", "", f"{peer['objective']:,.2f}",
                     "", "", f"{peer['cost']:,.1f}", f"{peer['under']:,.0f}",
                     f"x{peer['objective'] / ours.objective:.2f} objective"])  # fmt: skip
        week = figures_for(ours, wall_s, cpu_s, peer)
        week["peak_agents"] = float(req.max())
        figures["weeks"][f"x{scale:g}"] = week
        if main_req is None:
            main_req = req
    assert main_req is not None

    staff = agents(args.agents, args.seed)
    started = time.perf_counter()
    named = build_schedule(WEEK_START, INTERVAL, {"calls": main_req}, temps, staff, under_penalty=UNDER_PENALTY)
    named_s = time.perf_counter() - started
    rows.append([f"ours + roster, {args.agents} agents, x{args.scale:g}", f"{named.build_seconds * 1000:.0f}",
                 f"{(named.solve_seconds + named.roster_seconds) * 1000:.0f}", f"{named_s * 1000:.0f}", "",
                 f"{named.status}/{named.roster_status}", f"{named.objective:,.2f}", f"{named.lp_bound:,.2f}",
                 f"{named.gap:.3%}", f"{named.cost:,.1f}", f"{named.under_coverage:,.0f}",
                 f"{named.unstaffed} unstaffed"])  # fmt: skip
    figures["roster"] = {
        "agents": args.agents,
        "total_ms": round(named_s * 1000, 1),
        "stage1_ms": round(named.solve_seconds * 1000, 1),
        "stage2_ms": round(named.roster_seconds * 1000, 1),
        "status": named.status,
        "gap": round(named.gap, 5),
        "roster_status": named.roster_status,
        "planned_shifts": len(named.shifts),
        "staffed_shifts": len(named.shifts) - named.unstaffed,
        "unstaffed": named.unstaffed,
        "planned_under": named.planned_under,
        "under_coverage": named.under_coverage,
        "cost": round(named.cost, 2),
    }
    report("Shift scheduling, a week of 15-minute intervals", columns, rows, figures)


if __name__ == "__main__":
    main()
