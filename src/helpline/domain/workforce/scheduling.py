"""Shift scheduling: how many agents work which shifts, with breaks, to cover a week's requirement.

Stage 1 is one covering MIP over the week for every skill group at once (HiGHS via scipy.milp):

* x[s], integer: agents working shift s = (skill group, template, day, start). Starts run from the
  template's earliest to latest start every `start_step` minutes, on the template's days.
* Breaks are explicit: every shift comes in a few break patterns, one integer column each
  (x[s, k] = agents working shift s with pattern k). Pattern k puts every break rule at the same
  relative point of its window, from all at the earliest (k = 0) to all at the latest, one step
  per interval of the widest window; so breaks are staggered across agents while the model stays
  a pure covering problem (no equality rows) with a tight LP relaxation. (An implicit break
  model, Bechtold and Jacobs 1990, is smaller, but its balance equalities defeated HiGHS's primal
  heuristics: no solution at all in 10 s on the benchmark week.) Break windows of one template
  may not overlap (checked), so an agent's breaks never collide.
* Coverage per group and interval: working - on break + under - over = required, under and over
  >= 0. Objective: cost_per_hour x shift hours + under_penalty x under + over_penalty x over.
* Solving (`_solve_covering`): HiGHS's LP relaxation gives the bound; LP diving on its support
  and a greedy add/drop/swap local search give an integer plan, usually within a fraction of a
  percent of the bound in a fraction of a second. Only when that is not within `mip_rel_gap` does
  HiGHS's branch and bound run on the remaining `time_limit`, and the better plan is kept.
* With agents, stage 1 may not plan more than they can give: per group and day no more shifts
  than agents with that skill, per day no more than agents, per week no more shift-days and
  minutes (per group and in total) than the contracts allow.

Stage 2 (`roster.assign_agents`) names an agent for each planned seat; the seats nobody can take
stay in the result with agent_id None and count as unstaffed. The final coverage
(`scheduled`, `under_coverage`) is computed from the named roster only.

The week is cyclic (it repeats): a shift running past the end of the week covers the first
intervals of the same week, as next week's identical Monday would. Template days are counted
from `week_start` (0 = the first day; Monday when the week starts on a Monday), which must be at
midnight. Everything is pure: no I/O, no clock beyond timing the solver.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, csc_array, csr_array, eye_array, hstack

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.roster import AgentContract, ShiftTypes, assign_agents

__all__ = [
    "Activity",
    "AgentContract",
    "BreakRule",
    "RosterShift",
    "ScheduleResult",
    "ShiftTemplate",
    "build_schedule",
    "default_templates",
]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

MINUTES_PER_DAY: Final = 1440
MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
MIN_SHIFT_MINUTES: Final = 240
MAX_SHIFT_MINUTES: Final = 600
MAX_VARIABLES: Final = 200_000  # beyond this HiGHS needs far more than the seconds a page can wait
MAX_REQUIRED: Final = 100_000.0  # agents in one interval of one group
MAX_GROUPS: Final = 50
MAX_AGENTS: Final = 5_000


@dataclass(frozen=True, slots=True)
class BreakRule:
    """A break of `minutes` starting between `earliest_after` and `latest_after` minutes into the shift."""

    kind: Literal["break", "lunch"]
    minutes: int  # multiple of the interval length
    earliest_after: int  # minutes after the shift starts
    latest_after: int


@dataclass(frozen=True, slots=True)
class ShiftTemplate:
    """A family of shifts: one length, a range of start times, the breaks every such shift takes."""

    name: str
    minutes: int  # 240..600
    earliest_start: int  # minute of the day
    latest_start: int
    start_step: int = 30  # minutes, a multiple of the interval
    breaks: tuple[BreakRule, ...] = ()
    cost_per_hour: float = 1.0
    days: frozenset[int] = frozenset(range(7))  # 0 = the week's first day (Monday if week_start is one)


@dataclass(frozen=True, slots=True)
class Activity:
    kind: Literal["work", "break", "lunch"]
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class RosterShift:
    agent_id: int | None  # None: planned but unstaffed (or stage 1 only)
    template: str
    skill: str
    start: datetime
    end: datetime
    activities: tuple[Activity, ...]  # consecutive, covering start..end


@dataclass(frozen=True)
class ScheduleResult:
    """The plan, its roster and how good they are.

    `cost` is the cost of the shifts in the roster (with agents: the staffed ones; stage 1 only:
    all planned ones); `objective` and `lp_bound` are stage 1's (the bound is the LP relaxation's,
    or HiGHS's MIP dual bound when the MIP ran and proved more; never above the optimum). Status
    "optimal" means proven within `mip_rel_gap` of that bound. `under_coverage` counts the
    agent-intervals short in the roster."""

    week_start: datetime
    interval_minutes: int
    required: dict[str, np.ndarray]  # per skill group, one value per interval of the week
    planned: dict[str, np.ndarray]  # stage 1: agents working (not on break) per interval
    scheduled: dict[str, np.ndarray]  # from the named roster
    shifts: tuple[RosterShift, ...]
    under_coverage: float  # agent-intervals short (roster)
    cost: float
    objective: float
    lp_bound: float
    gap: float  # (objective - lp_bound) / max(|objective|, 1e-9)
    status: str  # "optimal" | "feasible" | "failed"
    solve_seconds: float
    unstaffed: int
    build_seconds: float = 0.0  # stage 1 model construction
    variables: int = 0
    constraints: int = 0
    planned_cost: float = 0.0
    planned_under: float = 0.0  # agent-intervals short in stage 1's plan
    roster_status: str = "none"  # stage 2: "optimal" | "feasible" | "greedy" | "none" (no agents)
    roster_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    lp_relaxation: float = 0.0  # the pure LP bound (lp_bound is the tighter of it and HiGHS's MIP dual bound)


def default_templates(interval_minutes: int = 15) -> tuple[ShiftTemplate, ...]:
    """4, 6, 8 (with lunch) and 10 hours, starting every 30 minutes from 06:00 to 14:00."""
    step = max(30, interval_minutes) if 30 % interval_minutes == 0 else interval_minutes
    short_break = max(15, interval_minutes)

    def rule(kind: Literal["break", "lunch"], minutes: int, lo: int, hi: int) -> BreakRule:
        return BreakRule(kind, _round_up(minutes, interval_minutes), _round_up(lo, interval_minutes),
                         _round_up(hi, interval_minutes))  # fmt: skip

    return (
        ShiftTemplate("4h", 240, 360, 840, step, (rule("break", short_break, 90, 150),)),
        ShiftTemplate("6h", 360, 360, 840, step, (rule("break", short_break, 90, 150), rule("lunch", 30, 180, 240))),
        ShiftTemplate(
            "8h",
            480,
            360,
            840,
            step,
            (rule("break", short_break, 90, 150), rule("lunch", 30, 210, 270), rule("break", short_break, 330, 390)),
        ),
        ShiftTemplate(
            "10h",
            600,
            360,
            840,
            step,
            (rule("break", short_break, 90, 150), rule("lunch", 60, 240, 330), rule("break", short_break, 420, 480)),
        ),
    )


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


# ------------------------------------------------------------------------------------ validation


def _validate(
    week_start: datetime,
    interval_minutes: int,
    required: Mapping[str, Sequence[float]],
    templates: Sequence[ShiftTemplate],
    agents: Sequence[AgentContract] | None,
    under_penalty: float,
    over_penalty: float,
) -> dict[str, Floats]:
    m = interval_minutes
    if not isinstance(m, int) or m <= 0 or MINUTES_PER_DAY % m:
        raise ValidationFailed("interval_minutes must be a whole number of minutes dividing a day", "interval_minutes")
    if (week_start.hour, week_start.minute, week_start.second, week_start.microsecond) != (0, 0, 0, 0):
        raise ValidationFailed("week_start must be at midnight", "week_start")
    if not required:
        raise ValidationFailed("required needs at least one skill group", "required")
    if len(required) > MAX_GROUPS:
        raise ValidationFailed(f"at most {MAX_GROUPS} skill groups", "required")
    n = MINUTES_PER_WEEK // m
    arrays: dict[str, Floats] = {}
    for group, values in required.items():
        if not isinstance(group, str) or not group.strip():
            raise ValidationFailed("a skill group needs a name", "required")
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValidationFailed(f"required[{group!r}] must be numbers", "required") from None
        if array.shape != (n,):
            raise ValidationFailed(
                f"required[{group!r}] has {array.size} values; a week of {m}-minute intervals has {n}", "required"
            )
        if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array > MAX_REQUIRED):
            raise ValidationFailed(f"required[{group!r}] must be finite numbers from 0 to {MAX_REQUIRED:g}", "required")
        arrays[group] = array
    if not templates:
        raise ValidationFailed("at least one shift template is needed", "templates")
    names = [t.name for t in templates]
    if len(set(names)) != len(names):
        raise ValidationFailed("shift template names must be unique", "templates")
    for t in templates:
        _validate_template(t, m)
    for name, value in (("under_penalty", under_penalty), ("over_penalty", over_penalty)):
        if not math.isfinite(value) or value < 0:
            raise ValidationFailed(f"{name} must be a finite number >= 0", name)
    if agents is not None:
        _validate_agents(agents, set(names))
    return arrays


def _validate_template(t: ShiftTemplate, m: int) -> None:
    where = f"template {t.name!r}"
    if not t.name.strip():
        raise ValidationFailed("a shift template needs a name", "templates")
    if not MIN_SHIFT_MINUTES <= t.minutes <= MAX_SHIFT_MINUTES or t.minutes % m:
        raise ValidationFailed(
            f"{where}: length must be {MIN_SHIFT_MINUTES}-{MAX_SHIFT_MINUTES} minutes, a multiple of {m}", "templates"
        )
    if not 0 <= t.earliest_start <= t.latest_start < MINUTES_PER_DAY:
        raise ValidationFailed(f"{where}: starts must satisfy 0 <= earliest <= latest < 1440", "templates")
    if t.start_step <= 0 or t.start_step % m or t.earliest_start % m:
        raise ValidationFailed(
            f"{where}: start step and earliest start must be multiples of the {m}-minute interval", "templates"
        )
    if not t.days or not all(isinstance(d, int) and 0 <= d <= 6 for d in t.days):
        raise ValidationFailed(f"{where}: days must be a non-empty set of 0-6", "templates")
    if not math.isfinite(t.cost_per_hour) or t.cost_per_hour < 0:
        raise ValidationFailed(f"{where}: cost per hour must be a finite number >= 0", "templates")
    previous_end = 0
    for b in t.breaks:
        if b.kind not in ("break", "lunch"):
            raise ValidationFailed(f"{where}: a break's kind is 'break' or 'lunch'", "templates")
        if b.minutes <= 0 or b.minutes % m or b.earliest_after % m or b.latest_after % m:
            raise ValidationFailed(f"{where}: break lengths and windows must be multiples of {m} minutes", "templates")
        if not 0 < b.earliest_after <= b.latest_after or b.latest_after + b.minutes >= t.minutes:
            raise ValidationFailed(
                f"{where}: a {b.kind} window must start after the shift starts and end before it ends", "templates"
            )
        if b.earliest_after < previous_end:
            raise ValidationFailed(
                f"{where}: break windows must be in order and may not overlap (earlier break's latest end first)",
                "templates",
            )
        previous_end = b.latest_after + b.minutes


def _validate_agents(agents: Sequence[AgentContract], template_names: set[str]) -> None:
    if len(agents) > MAX_AGENTS:
        raise ValidationFailed(f"at most {MAX_AGENTS} agents", "agents")
    ids = [a.agent_id for a in agents]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("agent ids must be unique", "agents")
    for a in agents:
        where = f"agent {a.agent_id}"
        if not 0 <= a.min_minutes <= a.max_minutes <= MINUTES_PER_WEEK:
            raise ValidationFailed(f"{where}: need 0 <= min_minutes <= max_minutes <= 10080", "agents")
        if not 0 <= a.max_days <= 7:
            raise ValidationFailed(f"{where}: max_days must be 0-7", "agents")
        if a.templates is not None and not a.templates <= template_names:
            unknown = ", ".join(sorted(a.templates - template_names))
            raise ValidationFailed(f"{where}: unknown template(s) {unknown}", "agents")
        for lo, hi in a.unavailable:
            if not 0 <= lo < hi <= MINUTES_PER_WEEK:
                raise ValidationFailed(f"{where}: unavailable ranges need 0 <= start < end <= 10080", "agents")


# ------------------------------------------------------------------------------------------ model


@dataclass(frozen=True, slots=True, eq=False)
class _Columns:
    """Every candidate (shift, break pattern), in order of group, template, day and start."""

    group: Ints
    template: Ints
    start: Ints  # interval index from week start (< one week)
    length: Ints  # intervals
    breaks: Ints  # (columns, most rules): interval where each break starts (unwrapped), -1 none
    durations: Ints  # (columns, most rules): intervals of each break, 0 none
    shift: Ints  # the shift (group, template, start) a column belongs to, numbered from 0


def _patterns(t: ShiftTemplate, m: int) -> Ints:
    """(patterns, rules): each rule's offset from the shift start, in intervals."""
    if not t.breaks:
        return np.zeros((1, 0), dtype=np.int64)
    earliest = np.array([b.earliest_after // m for b in t.breaks], dtype=np.int64)
    width = np.array([(b.latest_after - b.earliest_after) // m for b in t.breaks], dtype=np.int64)
    count = int(width.max()) + 1
    k = np.arange(count, dtype=np.int64)[:, None]
    # Rule r at k/(count-1) of its window, rounded to the interval (half up, in integers).
    share = (2 * k * width[None, :] + max(count - 1, 1)) // (2 * max(count - 1, 1))
    return np.unique(earliest[None, :] + share, axis=0)


def _enumerate_columns(groups: Sequence[str], templates: Sequence[ShiftTemplate], m: int) -> _Columns:
    most = max((len(t.breaks) for t in templates), default=0)
    parts: list[tuple[Ints, ...]] = []
    shifts_so_far = 0
    for g in range(len(groups)):
        for k, t in enumerate(templates):
            minutes = np.arange(t.earliest_start, t.latest_start + 1, t.start_step, dtype=np.int64)
            days = np.array(sorted(t.days), dtype=np.int64)
            starts = ((days[:, None] * MINUTES_PER_DAY + minutes[None, :]) // m).ravel()
            offsets = _patterns(t, m)
            n_shifts, n_patterns = len(starts), len(offsets)
            start = np.repeat(starts, n_patterns)
            breaks = np.full((n_shifts * n_patterns, most), -1, dtype=np.int64)
            durations = np.zeros((n_shifts * n_patterns, most), dtype=np.int64)
            rules = len(t.breaks)
            breaks[:, :rules] = start[:, None] + np.tile(offsets, (n_shifts, 1))
            durations[:, :rules] = [b.minutes // m for b in t.breaks]
            size = len(start)
            shift = shifts_so_far + np.repeat(np.arange(n_shifts, dtype=np.int64), n_patterns)
            shifts_so_far += n_shifts
            parts.append((np.full(size, g, np.int64), np.full(size, k, np.int64), start,
                          np.full(size, t.minutes // m, np.int64), breaks, durations, shift))  # fmt: skip
    return _Columns(*(np.concatenate([p[i] for p in parts]) for i in range(7)))


def _work_entries(start: Ints, length: Ints, n: int) -> tuple[Ints, Ints]:
    """(owner position, interval mod n) for every interval each span covers."""
    owner = np.repeat(np.arange(len(start), dtype=np.int64), length)
    first = np.repeat(np.cumsum(length) - length, length)
    offset = np.arange(int(length.sum()), dtype=np.int64) - first
    return owner, (start[owner] + offset) % n


def _on_floor(cols: _Columns, n: int) -> tuple[Ints, Ints, Floats]:
    """(column, group x interval cell, +1 working / -1 on break) entries of the coverage matrix."""
    owner, interval = _work_entries(cols.start, cols.length, n)
    col_parts, cell_parts, val_parts = [owner], [cols.group[owner] * n + interval], [np.ones(len(owner))]
    for r in range(cols.breaks.shape[1]):
        has = np.flatnonzero(cols.durations[:, r] > 0).astype(np.int64)
        b_owner, b_interval = _work_entries(cols.breaks[has, r], cols.durations[has, r], n)
        col_parts.append(has[b_owner])
        cell_parts.append(cols.group[has[b_owner]] * n + b_interval)
        val_parts.append(-np.ones(len(b_owner)))
    return np.concatenate(col_parts), np.concatenate(cell_parts), np.concatenate(val_parts)


class _Rows:
    """Accumulates sparse constraint blocks (COO triplets with bounds)."""

    def __init__(self) -> None:
        self.rows: list[Ints] = []
        self.cols: list[Ints] = []
        self.vals: list[Floats] = []
        self.lower: list[Floats] = []
        self.upper: list[Floats] = []
        self.count = 0

    def add(self, rows: Ints, cols: Ints, vals: Floats, lower: Floats, upper: Floats) -> None:
        self.rows.append(rows + self.count)
        self.cols.append(cols)
        self.vals.append(vals)
        self.lower.append(lower)
        self.upper.append(upper)
        self.count += len(lower)

    def constraint(self, n_vars: int) -> LinearConstraint:
        matrix = coo_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, n_vars),
        ).tocsr()
        return LinearConstraint(matrix, np.concatenate(self.lower), np.concatenate(self.upper))


def _agent_rows(
    cols: _Columns, groups: Sequence[str], minutes: Floats, agents: Sequence[AgentContract], m: int, out: _Rows
) -> None:
    """What the agents can give bounds what stage 1 may plan (per group and day, per day, per week)."""
    n_groups = len(groups)
    day = (cols.start * m) // MINUTES_PER_DAY
    index = np.arange(len(cols.start), dtype=np.int64)
    skilled = np.array([[g in a.skills and a.max_days > 0 for g in groups] for a in agents], dtype=bool)
    skilled = skilled.reshape(len(agents), n_groups)
    useful = skilled.any(axis=1)
    max_days = np.array([min(a.max_days, 7) for a in agents], dtype=np.float64)
    max_minutes = np.array([a.max_minutes for a in agents], dtype=np.float64)
    ones = np.ones(len(index))
    out.add(cols.group * 7 + day, index, ones, np.full(n_groups * 7, -np.inf),
            np.repeat(skilled.sum(axis=0).astype(np.float64), 7))  # fmt: skip
    out.add(day, index, ones, np.full(7, -np.inf), np.full(7, float(useful.sum())))
    per_group = skilled.T.astype(np.float64)
    out.add(cols.group, index, ones, np.full(n_groups, -np.inf), per_group @ max_days)
    out.add(cols.group, index, minutes, np.full(n_groups, -np.inf), per_group @ max_minutes)
    zero = np.zeros(len(index), dtype=np.int64)
    out.add(zero, index, ones, np.full(1, -np.inf), np.full(1, float(max_days[useful].sum())))
    out.add(zero, index, minutes, np.full(1, -np.inf), np.full(1, float(max_minutes[useful].sum())))


# ---------------------------------------------------------------------------------------- solving


def build_schedule(
    week_start: datetime,
    interval_minutes: int,
    required: Mapping[str, Sequence[float]],
    templates: Sequence[ShiftTemplate],
    agents: Sequence[AgentContract] | None = None,
    *,
    under_penalty: float = 10.0,
    over_penalty: float = 0.01,
    time_limit: float = 10.0,
    mip_rel_gap: float = 0.005,
    min_rest: int = 11 * 60,
) -> ScheduleResult:
    """Plan shifts (stage 1) and, given agents, name them (stage 2). See the module docstring."""
    started = time.perf_counter()
    m = interval_minutes
    req = _validate(week_start, m, required, templates, agents, under_penalty, over_penalty)
    groups = list(req)
    n = MINUTES_PER_WEEK // m
    n_groups = len(groups)
    estimate = n_groups * sum(
        len(t.days) * ((t.latest_start - t.earliest_start) // t.start_step + 1) * len(_patterns(t, m))
        for t in templates
    )
    if estimate + 2 * n_groups * n > MAX_VARIABLES:
        raise ValidationFailed(
            f"the model would have {estimate + 2 * n_groups * n:,} variables (at most {MAX_VARIABLES:,}): use fewer "
            "templates or skill groups, a coarser start step or narrower break windows",
            "templates",
        )
    cols = _enumerate_columns(groups, templates, m)
    n_cols = len(cols.start)
    n_cells = n_groups * n
    n_vars = n_cols + 2 * n_cells  # x, then under and over per cell
    col_minutes = (cols.length * m).astype(np.float64)
    col_cost = np.array([t.cost_per_hour for t in templates])[cols.template] * col_minutes / 60.0

    c_index, c_cell, c_value = _on_floor(cols, n)
    need = np.concatenate([req[g] for g in groups])
    cover_matrix = coo_array((c_value, (c_cell, c_index)), shape=(n_cells, n_cols)).tocsc()
    cover_matrix.eliminate_zeros()  # a break's -1 cancels its work +1
    limits = None
    if agents is not None:
        limit_rows = _Rows()
        _agent_rows(cols, groups, col_minutes, agents, m, limit_rows)
        limits = (limit_rows.constraint(n_cols).A.tocsr(), np.concatenate(limit_rows.upper))
    build_seconds = time.perf_counter() - started

    solution = _solve_covering(
        cover_matrix, col_cost, need, limits, under_penalty, over_penalty, time_limit, mip_rel_gap
    )
    seats = solution.seats
    objective, lp_bound, status, solve_seconds = solution.objective, solution.bound, solution.status, solution.seconds
    gap = max(0.0, (objective - lp_bound) / max(abs(objective), 1e-9))
    seat_col = np.repeat(np.arange(n_cols, dtype=np.int64), seats)
    planned_cover = _coverage(cols, seat_col, n, n_groups)
    planned = {g: planned_cover[i] for i, g in enumerate(groups)}
    planned_under = float(sum(np.maximum(req[g] - planned[g], 0).sum() for g in groups))

    seat_agent: list[int | None] = [None] * len(seat_col)
    roster_status, roster_seconds = "none", 0.0
    notes: list[str] = []
    if agents is not None:
        seat_agent, roster_status, roster_seconds = _name_agents(
            cols, seat_col, groups, templates, agents, m, min_rest, time_limit, mip_rel_gap
        )
        staffed = np.array([a is not None for a in seat_agent], dtype=bool)
        scheduled_cover = _coverage(cols, seat_col[staffed], n, n_groups)
        scheduled = {g: scheduled_cover[i] for i, g in enumerate(groups)}
        unstaffed = int((~staffed).sum())
        if unstaffed:
            notes.append(f"{unstaffed} planned shift(s) could not be staffed by the given agents")
        roster_cost = float(col_cost[seat_col[staffed]].sum())
    else:
        scheduled, unstaffed = planned, 0
        roster_cost = float(col_cost[seat_col].sum())
    under = float(sum(np.maximum(req[g] - scheduled[g], 0).sum() for g in groups))

    return ScheduleResult(
        week_start=week_start,
        interval_minutes=m,
        required={g: req[g].copy() for g in groups},
        planned=planned,
        scheduled=scheduled,
        shifts=_roster_shifts(week_start, m, cols, seat_col, seat_agent, groups, templates),
        under_coverage=under,
        cost=roster_cost,
        objective=objective,
        lp_bound=lp_bound,
        gap=gap,
        status=status,
        solve_seconds=solve_seconds,
        unstaffed=unstaffed,
        build_seconds=build_seconds,
        variables=n_vars,
        constraints=n_cells + (len(limits[1]) if limits is not None else 0),
        planned_cost=float(col_cost @ seats),
        planned_under=planned_under,
        roster_status=roster_status,
        roster_seconds=roster_seconds,
        notes=tuple(notes),
        lp_relaxation=solution.lp_relaxation,
    )


@dataclass(frozen=True, slots=True, eq=False)
class _Solution:
    seats: Ints
    objective: float
    bound: float
    lp_relaxation: float
    status: str
    seconds: float


def _solve_covering(
    cover: csc_array,
    col_cost: Floats,
    need: Floats,
    limits: tuple[csr_array, Floats] | None,
    under_penalty: float,
    over_penalty: float,
    time_limit: float,
    mip_rel_gap: float,
) -> _Solution:
    """Stage 1: LP relaxation (the bound), LP diving and local search; the MIP only if needed.

    HiGHS solves the LP in a fraction of the time its MIP search takes on these highly symmetric
    covering models (many shifts and break patterns cover almost the same intervals; on the
    benchmark week its branch and bound needed about a minute to get within 0.5%), while the
    dived LP solution polished by add/drop/swap moves is within half a percent of the bound when
    a few dozen agents work at once. If not within `mip_rel_gap`, the full MIP runs on the
    remaining time and the better of the two solutions is kept (its dual bound may tighten the
    bound)."""
    started = time.perf_counter()
    n_cells, n_cols = cover.shape
    # cover x + under - over = need with both slacks priced equals, since over = cover x + under -
    # need at the optimum, cover x + under >= need with the over price folded into the costs:
    # column j pays O |j| more, under pays U + O, and the constant O sum(need) comes off.
    size = np.asarray(cover.sum(axis=0)).ravel()
    folded = np.concatenate([col_cost + over_penalty * size, np.full(n_cells, under_penalty + over_penalty)])
    constant = -over_penalty * float(need.sum())
    blocks = [LinearConstraint(hstack([cover, eye_array(n_cells, format="csc")]).tocsr(), need, np.inf)]
    if limits is not None:
        padded = hstack([limits[0], csr_array((limits[0].shape[0], n_cells))]).tocsr()
        blocks.append(LinearConstraint(padded, np.full(len(limits[1]), -np.inf), limits[1]))
    bounds = Bounds(np.zeros(len(folded)), np.full(len(folded), np.inf))
    # Presolve off: on these models it costs more than the simplex it saves.
    relaxed = milp(folded, bounds=bounds, constraints=blocks, options={"time_limit": time_limit, "presolve": False})
    if relaxed.x is None:
        raise ValidationFailed(f"the solver found no schedule in {time_limit:g} s ({relaxed.message})", "templates")
    bound = lp_relaxation = float(relaxed.fun) + constant
    x_lp = np.asarray(relaxed.x)[:n_cols]
    search = _LocalSearch(cover, col_cost, need, limits, under_penalty, over_penalty)
    dived = _dive(x_lp, folded, cover, need, limits, time_limit)
    seats = search.improve(dived)
    objective = search.objective(seats)

    def within() -> bool:
        return objective - bound <= mip_rel_gap * max(abs(objective), 1e-9)

    status = "optimal" if within() else "feasible"
    remaining = time_limit - (time.perf_counter() - started)
    if not within() and remaining > 0.05:
        integrality = np.concatenate([np.ones(n_cols), np.zeros(n_cells)])
        exact = milp(folded, integrality=integrality, bounds=bounds, constraints=blocks,
                     options={"time_limit": remaining, "mip_rel_gap": mip_rel_gap})  # fmt: skip
        dual = getattr(exact, "mip_dual_bound", None)
        if dual is not None and math.isfinite(dual):
            bound = max(bound, float(dual) + constant)
        if exact.x is not None and float(exact.fun) + constant < objective:
            seats = search.improve(np.rint(np.asarray(exact.x)[:n_cols]).astype(np.int64))
            objective = search.objective(seats)
        status = "optimal" if exact.status == 0 or within() else "feasible"
    return _Solution(seats, objective, min(bound, objective), lp_relaxation, status, time.perf_counter() - started)


def _dive(
    x_lp: Floats,
    folded: Floats,
    cover: csc_array,
    need: Floats,
    limits: tuple[csr_array, Floats] | None,
    time_limit: float,
    max_rounds: int = 30,
) -> Ints:
    """LP diving on the LP's support: fix every variable at least at its integer part, round up the
    fractional parts of at least one half (else the largest), re-solve, until integral.

    The re-solved LPs only hold the few hundred columns the relaxation used, so each takes
    milliseconds; rounding the LP at once instead loses several times more."""
    n_cells = cover.shape[0]
    support = np.flatnonzero(x_lp > 1e-6)
    matrix = hstack([cover[:, support], eye_array(n_cells, format="csc")]).tocsr()
    blocks = [LinearConstraint(matrix, need, np.inf)]
    if limits is not None:
        padded = hstack([limits[0][:, support], csr_array((limits[0].shape[0], n_cells))]).tocsr()
        blocks.append(LinearConstraint(padded, np.full(len(limits[1]), -np.inf), limits[1]))
    cost = np.concatenate([folded[support], folded[-n_cells:]])
    x = x_lp[support]
    for _ in range(max_rounds):
        whole = np.floor(x + 1e-6)
        fraction = x - whole
        if fraction.max(initial=0.0) <= 1e-6:
            break
        lower = whole.copy()
        up = fraction >= 0.5
        if not up.any():
            up = fraction >= fraction.max() - 1e-9
        lower[up] += 1
        solved = milp(
            cost,
            bounds=Bounds(np.concatenate([lower, np.zeros(n_cells)]), np.inf),
            constraints=blocks,
            options={"time_limit": time_limit, "presolve": False},
        )
        if solved.x is None:  # the agent limits refuse the rounding: keep the integer part
            x = whole
            break
        x = np.asarray(solved.x)[: len(support)]
    seats = np.zeros(cover.shape[1], dtype=np.int64)
    seats[support] = np.floor(x + 1e-6).astype(np.int64)
    return seats


class _LocalSearch:
    """Greedy add/drop moves on integer seat counts for the covering objective.

    Adding one agent to column j changes the objective by cost_j - (U + O) sum min(1, short_i) +
    O |j| over the cells i it covers (short = required - covered, clipped at 0); dropping one by
    -cost_j + U sum clip(1 - excess_i, 0, 1) - O sum clip(excess_i, 0, 1). Each pass takes the best
    move on all columns at once (two sparse products), until no move pays."""

    def __init__(
        self,
        cover: csc_array,
        col_cost: Floats,
        need: Floats,
        limits: tuple[csr_array, Floats] | None,
        under_penalty: float,
        over_penalty: float,
    ) -> None:
        self.cover = cover
        self.cover_t = cover.T.tocsr()
        self.rows = cover.tocsr()  # row slices: the columns covering a cell
        self.cost = col_cost
        self.need = need
        self.limits = limits
        self.under = under_penalty
        self.over = over_penalty
        self.size = np.asarray(cover.sum(axis=0)).ravel()

    def objective(self, seats: Ints) -> float:
        gap = self.need - self.cover @ seats
        return float(self.cost @ seats + self.under * np.maximum(gap, 0).sum() + self.over * np.maximum(-gap, 0).sum())

    def _blocked(self, seats: Ints) -> NDArray[np.bool_]:
        """Columns that one more agent would push over an agent limit."""
        blocked = np.zeros(len(seats), dtype=bool)
        if self.limits is None:
            return blocked
        matrix, cap = self.limits
        free = cap - matrix @ seats
        row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        blocked[matrix.indices[matrix.data > free[row_of] + 1e-9]] = True
        return blocked

    def improve(self, seats: Ints, max_rounds: int = 50) -> Ints:
        """Add/drop until no single move pays, then swaps (drop one, add the best other) likewise."""
        seats = self._within_limits(seats.copy())
        covered = self.cover @ seats
        for _ in range(max_rounds):
            covered = self._add_drop(seats, covered)
            if not self._swap(seats, covered):
                break
            covered = self.cover @ seats
        return seats

    def _within_limits(self, seats: Ints) -> Ints:
        """Drop seats until the agent limits hold (a rounded-up start may break them)."""
        if self.limits is None:
            return seats
        matrix, cap = self.limits
        while np.any(matrix @ seats > cap + 1e-9):
            over_rows = np.flatnonzero(matrix @ seats > cap + 1e-9)
            culprits = np.flatnonzero((np.asarray(matrix[over_rows].sum(axis=0)).ravel() > 0) & (seats > 0))
            seats[culprits[np.argmax(seats[culprits])]] -= 1
        return seats

    def _add_gain(self, seats: Ints, covered: Floats) -> Floats:
        short = np.clip(self.need - covered, 0.0, 1.0)
        gain = (self.under + self.over) * (self.cover_t @ short) - self.over * self.size - self.cost
        gain[self._blocked(seats)] = -np.inf
        return gain

    def _drop_saving(self, seats: Ints, covered: Floats) -> Floats:
        excess = covered - self.need
        saving = (
            self.cost
            - self.under * (self.cover_t @ np.clip(1.0 - excess, 0.0, 1.0))
            + self.over * (self.cover_t @ np.clip(excess, 0.0, 1.0))
        )
        saving[seats == 0] = -np.inf
        return saving

    def _add_drop(self, seats: Ints, covered: Floats, max_moves: int = 100_000) -> Floats:
        for _ in range(max_moves):
            gain = self._add_gain(seats, covered)
            j = int(np.argmax(gain))
            if gain[j] > 1e-9:
                seats[j] += 1
                covered = covered + self._column(j)
                continue
            saving = self._drop_saving(seats, covered)
            j = int(np.argmax(saving))
            if saving[j] <= 1e-9:
                break
            seats[j] -= 1
            covered = covered - self._column(j)
        return covered

    def _column(self, j: int) -> Floats:
        column = np.zeros(self.cover.shape[0])
        lo, hi = self.cover.indptr[j], self.cover.indptr[j + 1]
        column[self.cover.indices[lo:hi]] = self.cover.data[lo:hi]
        return column

    def _row_product(self, cells: Ints, weights: Floats) -> Floats:
        """rows[cells].T @ weights without building the slice (this runs once per column in use)."""
        starts, ends = self.rows.indptr[cells], self.rows.indptr[cells + 1]
        lengths = ends - starts
        entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        product = np.bincount(
            self.rows.indices[entries],
            weights=self.rows.data[entries] * np.repeat(weights, lengths),
            minlength=self.rows.shape[1],
        )
        return product.astype(np.float64)

    def _swap(self, seats: Ints, covered: Floats) -> bool:
        """One pass of drop j / add best k != j over the columns in use; True if any move was made.

        Dropping j only changes the shortfall on j's own cells, so the add gains after the drop
        are the current ones plus a product over those few cells' rows."""
        improved = False
        gain = self._add_gain(seats, covered)
        saving = self._drop_saving(seats, covered)
        for j in map(int, np.flatnonzero(seats > 0)):
            lo, hi = self.cover.indptr[j], self.cover.indptr[j + 1]
            cells = self.cover.indices[lo:hi]
            before = np.clip(self.need[cells] - covered[cells], 0.0, 1.0)
            after = np.clip(self.need[cells] - covered[cells] + self.cover.data[lo:hi], 0.0, 1.0)
            changed = (self.under + self.over) * self._row_product(cells, after - before)
            candidate = gain + changed
            candidate[j] = -np.inf
            if self.limits is not None:
                seats[j] -= 1
                candidate[self._blocked(seats)] = -np.inf
                seats[j] += 1
            k = int(np.argmax(candidate))
            if saving[j] + candidate[k] > 1e-9:
                seats[j] -= 1
                seats[k] += 1
                covered = covered - self._column(j) + self._column(k)
                gain = self._add_gain(seats, covered)
                saving = self._drop_saving(seats, covered)
                improved = True
        return improved


def _coverage(cols: _Columns, seat_col: Ints, n: int, groups: int) -> Floats:
    """Agents working (not on break) per group and interval, for the given seats."""
    counts = np.bincount(seat_col, minlength=len(cols.start)).astype(np.float64)
    c_index, c_cell, c_value = _on_floor(cols, n)
    cover = np.bincount(c_cell, weights=c_value * counts[c_index], minlength=groups * n)
    return cover.astype(np.float64).reshape(groups, n)


def _name_agents(
    cols: _Columns,
    seat_col: Ints,
    groups: Sequence[str],
    templates: Sequence[ShiftTemplate],
    agents: Sequence[AgentContract],
    m: int,
    min_rest: int,
    time_limit: float,
    mip_rel_gap: float,
) -> tuple[list[int | None], str, float]:
    """Stage 2 on shift types (break patterns of one shift merged: they differ only in breaks)."""
    seat_shift = cols.shift[seat_col]
    used, seats = np.unique(seat_shift, return_counts=True)
    first_col = np.searchsorted(cols.shift, used)  # columns are grouped by shift
    types = ShiftTypes(
        skill=tuple(groups[g] for g in cols.group[first_col]),
        template=tuple(templates[k].name for k in cols.template[first_col]),
        start=cols.start[first_col] * m,
        end=(cols.start[first_col] + cols.length[first_col]) * m,
        seats=seats.astype(np.int64),
    )
    assignment = assign_agents(types, agents, min_rest=min_rest, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    pools = {int(s): list(ids) for s, ids in zip(used, assignment.agents, strict=True)}
    seat_agent: list[int | None] = []
    for s in seat_shift:
        pool = pools[int(s)]
        seat_agent.append(pool.pop(0) if pool else None)
    return seat_agent, assignment.status, assignment.seconds


def _roster_shifts(
    week_start: datetime,
    m: int,
    cols: _Columns,
    seat_col: Ints,
    seat_agent: Sequence[int | None],
    groups: Sequence[str],
    templates: Sequence[ShiftTemplate],
) -> tuple[RosterShift, ...]:
    def at(interval: int) -> datetime:
        return week_start + timedelta(minutes=int(interval) * m)

    out: list[RosterShift] = []
    for seat, c in enumerate(seat_col):
        template = templates[int(cols.template[c])]
        begin = int(cols.start[c])
        finish = begin + int(cols.length[c])
        activities: list[Activity] = []
        cursor = begin
        for r, rule in enumerate(template.breaks):
            b = int(cols.breaks[c, r])
            if b > cursor:
                activities.append(Activity("work", at(cursor), at(b)))
            cursor = b + int(cols.durations[c, r])
            activities.append(Activity(rule.kind, at(b), at(cursor)))
        activities.append(Activity("work", at(cursor), at(finish)))
        out.append(
            RosterShift(
                agent_id=seat_agent[seat],
                template=template.name,
                skill=groups[int(cols.group[c])],
                start=at(begin),
                end=at(finish),
                activities=tuple(activities),
            )
        )
    out.sort(key=lambda r: (r.agent_id is None, r.agent_id or 0, r.start, r.skill))
    return tuple(out)
