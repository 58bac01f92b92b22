"""Stage 2 of scheduling: name an agent for each planned shift (skills, availability, contract, rest).

Stage 1 (`scheduling`) decides how many agents work each shift type (skill group x template x
start); here those seats get names. Seats of one type are interchangeable, so the model has one
binary per (agent, shift type) the agent may work, never per seat:

* a type gets at most as many agents as stage 1 planned seats;
* an agent works at most one shift a day (the day the shift starts), at most `max_days` shifts,
  at most `max_minutes` a week; a shortfall below `min_minutes` is allowed but penalised, so an
  impossible contract never makes the whole roster infeasible;
* two shifts on consecutive days leave at least `min_rest` minutes between the end of the first and
  the start of the second (this also forbids overlaps). For one agent and one pair of days the
  conflicts are a threshold graph: with tau any end time on day d, every shift of day d ending at
  or after tau conflicts with every shift of day d+1 starting before tau + rest, so "at most one of
  them" is one valid clique row per distinct end time, and these rows cover every conflicting pair;
* the objective maximises the staffed minutes (a seat nobody can take is reported as unstaffed by
  the caller, never dropped), minus the penalised shortfall below contract minimums.

A greedy roster (`_assign_greedy`) is built first; the MIP runs when it has at most
MAX_MIP_PAIRS binaries, and its roster replaces the greedy one unless it staffs fewer minutes (a
time-limited search can stop early). Status "greedy" says the greedy roster stands.

The week is cyclic, as in stage 1: Sunday's shift and Monday's shift are consecutive days too.
Everything here is pure: HiGHS through scipy, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

MINUTES_PER_DAY: Final = 1440
MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
SHORTFALL_WEIGHT: Final = 0.5  # per minute under a contract minimum; below 1 so coverage comes first
MAX_MIP_PAIRS: Final = 20_000  # (agent, shift type) pairs; beyond, HiGHS needs more than seconds: greedy only


@dataclass(frozen=True, slots=True)
class AgentContract:
    """Who can work what: skill groups, allowed templates, weekly minutes and days, unavailability.

    `unavailable` holds [start, end) minute ranges counted from the start of the week."""

    agent_id: int
    name: str
    skills: frozenset[str]  # skill groups this agent can cover
    min_minutes: int = 0  # per week
    max_minutes: int = 40 * 60
    max_days: int = 5
    templates: frozenset[str] | None = None  # None: any template
    unavailable: tuple[tuple[int, int], ...] = ()  # [start, end) minutes from week start


@dataclass(frozen=True, slots=True, eq=False)
class ShiftTypes:
    """The planned shift types: one entry per (skill, template, start) with at least one seat."""

    skill: tuple[str, ...]
    template: tuple[str, ...]
    start: NDArray[np.int64]  # minutes from week start (< one week)
    end: NDArray[np.int64]  # start + length; may run past the week end (the week is cyclic)
    seats: NDArray[np.int64]  # agents stage 1 planned on this type


@dataclass(frozen=True, slots=True, eq=False)
class Assignment:
    """`agents[k]` lists the agent ids working type k (at most seats[k] of them)."""

    agents: tuple[tuple[int, ...], ...]
    status: str
    seconds: float


def _compatible(types: ShiftTypes, agent: AgentContract) -> NDArray[np.bool_]:
    """Types this agent may work, ignoring the weekly limits (skill, template, availability)."""
    ok = np.array([s in agent.skills for s in types.skill], dtype=bool)
    if agent.templates is not None:
        ok &= np.array([t in agent.templates for t in types.template], dtype=bool)
    ok &= (types.end - types.start) <= agent.max_minutes
    if agent.max_days <= 0:
        ok[:] = False
    for lo, hi in agent.unavailable:
        for shift in (0, MINUTES_PER_WEEK):  # a shift wrapping past the week end meets next week's start
            ok &= ~((types.start < hi + shift) & (types.end > lo + shift))
    return ok


def assign_agents(
    types: ShiftTypes,
    agents: Sequence[AgentContract],
    *,
    min_rest: int = 11 * 60,
    time_limit: float = 10.0,
    mip_rel_gap: float = 0.005,
) -> Assignment:
    """Name agents for the planned seats; see the module docstring for the model."""
    import time

    started = time.perf_counter()
    n_types = len(types.skill)
    if n_types == 0 or not agents:
        return Assignment(tuple(() for _ in range(n_types)), "optimal", 0.0)
    minutes = (types.end - types.start).astype(np.float64)
    day = types.start // MINUTES_PER_DAY

    pair_agent: list[NDArray[np.int64]] = []
    pair_type: list[NDArray[np.int64]] = []
    for a, agent in enumerate(agents):
        compatible = np.flatnonzero(_compatible(types, agent))
        pair_agent.append(np.full(len(compatible), a, dtype=np.int64))
        pair_type.append(compatible.astype(np.int64))
    p_agent = np.concatenate(pair_agent)
    p_type = np.concatenate(pair_type)
    n_pairs = len(p_agent)
    n_agents = len(agents)
    if n_pairs == 0:
        return Assignment(tuple(() for _ in range(n_types)), "optimal", time.perf_counter() - started)
    greedy = _assign_greedy(types, agents, p_agent, p_type, min_rest)
    if n_pairs > MAX_MIP_PAIRS:
        return Assignment(greedy, "greedy", time.perf_counter() - started)
    # Variables: one binary per pair, then one shortfall (minutes) per agent.
    n_vars = n_pairs + n_agents
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    vals: list[NDArray[np.float64]] = []
    lower: list[NDArray[np.float64]] = []
    upper: list[NDArray[np.float64]] = []
    n_rows = 0

    def block(r: NDArray[np.int64], c: NDArray[np.int64], v: NDArray[np.float64], lo: NDArray[np.float64],
              hi: NDArray[np.float64]) -> None:  # fmt: skip
        nonlocal n_rows
        rows.append(r + n_rows)
        cols.append(c)
        vals.append(v)
        lower.append(lo)
        upper.append(hi)
        n_rows += len(lo)

    pairs = np.arange(n_pairs, dtype=np.int64)
    ones = np.ones(n_pairs)
    inf = np.full(n_types, np.inf)
    # Seats per type.
    block(p_type, pairs, ones, -inf, types.seats.astype(np.float64))
    # One shift a day per agent.
    block(p_agent * 7 + day[p_type], pairs, ones, np.full(n_agents * 7, -np.inf), np.ones(n_agents * 7))
    # Weekly days and minutes; minutes + shortfall >= minimum.
    max_days = np.array([min(a.max_days, 7) for a in agents], dtype=np.float64)
    max_minutes = np.array([a.max_minutes for a in agents], dtype=np.float64)
    min_minutes = np.array([a.min_minutes for a in agents], dtype=np.float64)
    block(p_agent, pairs, ones, np.full(n_agents, -np.inf), max_days)
    block(p_agent, pairs, minutes[p_type], np.full(n_agents, -np.inf), max_minutes)
    agent_index = np.arange(n_agents, dtype=np.int64)
    block(
        np.concatenate([p_agent, agent_index]),
        np.concatenate([pairs, n_pairs + agent_index]),
        np.concatenate([minutes[p_type], np.ones(n_agents)]),
        min_minutes,
        np.full(n_agents, np.inf),
    )
    # Rest between consecutive days: one clique row per (agent, day, distinct end time on that day).
    rest_r, rest_c = _rest_cliques(p_agent, p_type, types, day, min_rest)
    if len(rest_r):
        n_rest = int(rest_r.max()) + 1
        block(rest_r, rest_c, np.ones(len(rest_r)), np.full(n_rest, -np.inf), np.ones(n_rest))

    matrix = coo_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_vars)
    ).tocsr()
    cost = np.concatenate([-minutes[p_type], np.full(n_agents, SHORTFALL_WEIGHT)])
    integrality = np.concatenate([np.ones(n_pairs), np.zeros(n_agents)])
    bounds = Bounds(np.zeros(n_vars), np.concatenate([np.ones(n_pairs), np.full(n_agents, np.inf)]))
    result = milp(
        cost,
        integrality=integrality,
        bounds=bounds,
        constraints=LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper)),
        options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap},
    )
    chosen_by_type: list[list[int]] = [[] for _ in range(n_types)]
    if result.x is None:  # no solution within the time limit: the greedy roster stands
        return Assignment(greedy, "greedy", time.perf_counter() - started)
    for p in np.flatnonzero(result.x[:n_pairs] > 0.5):
        chosen_by_type[int(p_type[p])].append(agents[int(p_agent[p])].agent_id)
    exact = tuple(tuple(c) for c in chosen_by_type)

    def staffed(choice: tuple[tuple[int, ...], ...]) -> float:
        return float(sum(len(ids) * m for ids, m in zip(choice, minutes, strict=True)))

    if staffed(greedy) > staffed(exact) + 1e-9:  # a time-limited MIP may stop below the greedy roster
        return Assignment(greedy, "greedy", time.perf_counter() - started)
    status = "optimal" if result.status == 0 else "feasible"
    return Assignment(exact, status, time.perf_counter() - started)


def _assign_greedy(
    types: ShiftTypes,
    agents: Sequence[AgentContract],
    p_agent: NDArray[np.int64],
    p_type: NDArray[np.int64],
    min_rest: int,
) -> tuple[tuple[int, ...], ...]:
    """Seats in order of start, each to the eligible agent furthest below their contract minimum
    (then with the fewest minutes so far): the fallback when the MIP is too large or too slow.

    Eligible: the pair is compatible (skill, template, availability), the agent has no shift that
    day, has days and minutes left, and keeps `min_rest` to their shifts of the days before and
    after (the week is cyclic). Going by start time fills every day evenly; favouring agents
    below their minimum keeps contracts whole."""
    n_agents, n_types = len(agents), len(types.skill)
    compatible = np.zeros((n_agents, n_types), dtype=bool)
    compatible[p_agent, p_type] = True
    minutes = types.end - types.start
    day = types.start // MINUTES_PER_DAY
    used = np.zeros(n_agents, dtype=np.int64)
    days_used = np.zeros(n_agents, dtype=np.int64)
    ends = np.full((n_agents, 7), -(10**9), dtype=np.int64)  # end of the agent's shift on that day
    starts = np.full((n_agents, 7), 10**9, dtype=np.int64)
    max_minutes = np.array([a.max_minutes for a in agents], dtype=np.int64)
    max_days = np.array([a.max_days for a in agents], dtype=np.int64)
    min_minutes = np.array([a.min_minutes for a in agents], dtype=np.int64)
    chosen: list[list[int]] = [[] for _ in range(n_types)]
    for k in np.argsort(types.start, kind="stable"):
        d = int(day[k])
        before, after = (d - 1) % 7, (d + 1) % 7
        # Yesterday's end is one week earlier when today is the first day (cyclic week).
        shift_before = -MINUTES_PER_WEEK if d == 0 else 0
        shift_after = MINUTES_PER_WEEK if d == 6 else 0
        for _ in range(int(types.seats[k])):
            ok = (
                compatible[:, k]
                & (starts[:, d] == 10**9)
                & (used + minutes[k] <= max_minutes)
                & (days_used < max_days)
                & (ends[:, before] + shift_before + min_rest <= types.start[k])
                & (starts[:, after] + shift_after >= types.end[k] + min_rest)
            )
            if not ok.any():
                break
            score = np.where(ok, (min_minutes - used) * 4 - used, np.iinfo(np.int64).min)
            a = int(np.argmax(score))
            chosen[k].append(agents[a].agent_id)
            used[a] += minutes[k]
            days_used[a] += 1
            starts[a, d], ends[a, d] = types.start[k], types.end[k]
    return tuple(tuple(c) for c in chosen)


def _rest_cliques(
    p_agent: NDArray[np.int64], p_type: NDArray[np.int64], types: ShiftTypes, day: NDArray[np.int64], min_rest: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(row, pair) entries of the rest rows: for agent a, day d and tau an end time of a's day-d
    shifts, the pairs {day d, end >= tau} and {day d+1, start < tau + rest} form a clique."""
    rows: list[NDArray[np.int64]] = []
    cols: list[NDArray[np.int64]] = []
    row = 0
    order = np.lexsort((day[p_type], p_agent))
    p_sorted = order.astype(np.int64)
    agent_sorted = p_agent[p_sorted]
    day_sorted = day[p_type[p_sorted]]
    key = agent_sorted * 7 + day_sorted
    bounds = np.searchsorted(key, np.arange(int(p_agent.max() + 1) * 7 + 1))
    for a in range(int(p_agent.max()) + 1):
        for d in range(7):
            today = p_sorted[bounds[a * 7 + d] : bounds[a * 7 + d + 1]]
            nd = (d + 1) % 7
            tomorrow = p_sorted[bounds[a * 7 + nd] : bounds[a * 7 + nd + 1]]
            if len(today) == 0 or len(tomorrow) == 0:
                continue
            ends = types.end[p_type[today]]
            starts = types.start[p_type[tomorrow]] + (MINUTES_PER_WEEK if nd == 0 else 0)
            taus = np.unique(ends)
            # Keep only the thresholds that forbid something.
            taus = taus[taus + min_rest > starts.min()]
            for tau in taus:
                left = today[ends >= tau]
                right = tomorrow[starts < tau + min_rest]
                members = np.concatenate([left, right])
                rows.append(np.full(len(members), row, dtype=np.int64))
                cols.append(members)
                row += 1
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(cols)
