"""Staffing plans per interval: Erlang C or A for live channels, a deadline backlog model for email.

Live channels (voice, chat) are staffed interval by interval: each interval's offered load goes
through the vectorised Erlang search of erlang.py in one call for the whole plan.

Email is not answered while the customer waits on the line: it queues, agents work it first-in
first-out, and each message must be answered within a deadline (48 hours by default). Staff can
then be moved to when it is cheapest, and the question becomes a small optimisation (see
plan_backlog). The model, in its own units:

* Time is cut into intervals of L seconds. Emails arriving during an interval are counted at its
  start (so the model never sees them later than they came), each carries `aht` seconds of work.
* `required[t]` agents work the email queue during interval t and do L seconds of work each,
  oldest first; none in a closed interval.
* An email that arrives in interval j and is finished in interval m is counted (m - j + 1) L old
  when answered: an upper bound on its true age. The deadline D holds when m <= j + k - 1 with
  k = floor(D / L), that is when every email that arrived by interval t - k + 1 is answered by the
  end of interval t. Under FIFO the backlog then holds only the last k - 1 intervals' arrivals:
      backlog work at the end of t  <=  work that arrived in intervals t - k + 2 .. t.
* The plan is read as one period of a pattern that repeats (a typical day or week, as forecasts
  are): the backlog left at its end is the one waiting at its start. Without this, a plan would
  either leave its last two days' email to nobody or cram it into its last evening.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, sparse

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.erlang import StaffingGrid, ceil_agents, required_agents_a, required_agents_c

MINUTES_PER_DAY: Final = 1440
MAX_INTERVALS: Final = 20_000  # a year of 30-minute intervals is 17,520
MAX_VOLUME: Final = 1e9
MAX_AHT: Final = 7 * 86_400.0
# Work a hair above zero is float dust of the solver, not an email: 1e-6 of a second of work.
WORK_EPSILON: Final = 1e-6


# ---------------------------------------------------------------------------------------- targets


@dataclass(frozen=True, slots=True)
class LiveTarget:
    """What a live queue must achieve; set service_level, asa_seconds or abandon_rate (or several)."""

    target_seconds: float = 20.0
    service_level: float | None = 0.8  # share answered within target_seconds
    patience: float | None = None  # mean patience seconds: Erlang A; None: Erlang C
    asa_seconds: float | None = None
    abandon_rate: float | None = None  # Erlang A only
    shrinkage: float = 0.3
    max_occupancy: float | None = 0.9

    @property
    def model(self) -> str:
        return "erlang_c" if self.patience is None else "erlang_a"


@dataclass(frozen=True, slots=True)
class BacklogTarget:
    """What an email queue must achieve: every message answered within `deadline_hours`."""

    deadline_hours: float = 48.0
    shrinkage: float = 0.3
    open_intervals: Sequence[bool] | None = None  # when agents can work email (default: all)


# ---------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class IntervalPlan:
    """The staff one interval needs and how the queue then performs."""

    start: datetime
    volume: float  # contacts arriving
    aht: float  # seconds
    load: float  # Erlangs (0 for backlog work: see work_seconds)
    required: int  # agents working on it (on the phones / on the email queue)
    scheduled: int  # required grossed up for shrinkage
    service_level: float | None
    asa: float | None
    p_abandon: float | None
    occupancy: float | None
    backlog: float | None = None  # email: items waiting at the interval's end
    p_wait: float | None = None  # live: share of contacts that wait at all
    oldest_age: float | None = None  # email: seconds the oldest waiting item has been in, at the end
    work_seconds: float = 0.0  # volume x aht: the work this interval brings


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """A plan in a few figures, for tiles and totals (weighted by volume where that is the meaning)."""

    intervals: int
    volume: float
    peak_required: int
    peak_scheduled: int
    required_hours: float  # agent-hours working the queue
    scheduled_hours: float  # agent-hours to schedule (shrinkage included)
    service_level: float | None  # share of all contacts answered in time (live)
    asa: float | None  # average speed of answer over the contacts (live)
    p_abandon: float | None  # share of contacts abandoning (Erlang A)
    occupancy: float | None  # work / agent time
    max_backlog: float | None = None  # email
    max_age_hours: float | None = None  # email: the oldest waiting item at any interval's end


@dataclass(frozen=True, slots=True)
class Replay:
    """A FIFO replay of a backlog plan: per interval, what waits at its end and how old the oldest is."""

    backlog: tuple[float, ...]  # items waiting at the end of each interval
    oldest_age: tuple[float, ...]  # seconds since the start of the oldest waiting item's interval (0: none)
    done_work: tuple[float, ...]  # seconds of work done in each interval
    max_response: float  # the longest (m - j + 1) L of any item answered during the replayed period
    late: float  # items still unanswered when their deadline passed, in the replayed period
    first_late: int | None = None  # the first interval at whose end an item was past its deadline


# ------------------------------------------------------------------------------------- validation


def _check_interval(interval_minutes: int) -> float:
    if isinstance(interval_minutes, bool) or not isinstance(interval_minutes, int):
        raise ValidationFailed("interval_minutes must be a whole number of minutes", field="interval_minutes")
    if not 1 <= interval_minutes <= MINUTES_PER_DAY or MINUTES_PER_DAY % interval_minutes:
        raise ValidationFailed(
            "interval_minutes must divide a day (5, 10, 15, 30, 60, ... 1440)", field="interval_minutes"
        )
    return interval_minutes * 60.0


def _check_series(
    starts: Sequence[datetime], volumes: Sequence[float], aht: float | Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    count = len(starts)
    if count == 0:
        raise ValidationFailed("a plan needs at least one interval", field="intervals")
    if count > MAX_INTERVALS:
        raise ValidationFailed(f"a plan holds at most {MAX_INTERVALS:,} intervals", field="intervals")
    if len(volumes) != count:
        raise ValidationFailed("volumes need one value per interval start", field="volumes")
    try:
        v = np.asarray(volumes, dtype=np.float64)
        h = np.broadcast_to(np.asarray(aht, dtype=np.float64), (count,)).copy()
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            "volumes and aht must be numbers, aht one value or one per interval", field="aht"
        ) from exc
    if not np.all(np.isfinite(v)) or np.any(v < 0) or np.any(v > MAX_VOLUME):
        raise ValidationFailed(f"volumes must be finite numbers from 0 to {MAX_VOLUME:g}", field="volumes")
    if not np.all(np.isfinite(h)) or np.any(h <= 0) or np.any(h > MAX_AHT):
        raise ValidationFailed(f"aht must be a number of seconds above 0, at most {MAX_AHT:g}", field="aht")
    aware = {s.tzinfo is not None and s.utcoffset() is not None for s in starts}
    if len(aware) > 1:
        raise ValidationFailed("interval starts must all carry a timezone or none", field="start")
    for i in range(1, count):
        if starts[i] <= starts[i - 1]:
            raise ValidationFailed(
                f"interval starts must increase (row {i + 1}: {starts[i].isoformat()})", field="start"
            )
    return v, h


def _check_contiguous(starts: Sequence[datetime], interval_minutes: int) -> None:
    step = timedelta(minutes=interval_minutes)
    for i in range(1, len(starts)):
        if starts[i] - starts[i - 1] != step:
            raise ValidationFailed(
                f"the email backlog needs consecutive {interval_minutes}-minute intervals "
                f"(row {i + 1}: {starts[i].isoformat()} does not follow {starts[i - 1].isoformat()})",
                field="start",
            )


# ------------------------------------------------------------------------------------ live (Erlang)


def staff_live(loads: np.ndarray, aht: np.ndarray, target: LiveTarget) -> StaffingGrid:
    """Erlang C (patience None) or A staffing of an array of loads, in one vectorised call."""
    if target.patience is None:
        if target.abandon_rate is not None:
            raise ValidationFailed("an abandonment target needs the callers' patience (Erlang A)", field="abandon")
        return required_agents_c(
            loads,
            aht,
            target.target_seconds,
            target.service_level,
            asa_target=target.asa_seconds,
            shrinkage=target.shrinkage,
            max_occupancy=target.max_occupancy,
        )
    return required_agents_a(
        loads,
        aht,
        target.target_seconds,
        target.patience,
        target.service_level,
        asa_target=target.asa_seconds,
        abandon_target=target.abandon_rate,
        shrinkage=target.shrinkage,
        max_occupancy=target.max_occupancy,
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def plan_live(
    starts: Sequence[datetime],
    volumes: Sequence[float],
    aht: float | Sequence[float],
    interval_minutes: int,
    target: LiveTarget,
) -> tuple[IntervalPlan, ...]:
    """Agents per interval for a live channel: each interval staffed on its own offered load.

    Erlang C when `target.patience` is None, else Erlang A; the whole plan is one call of
    required_agents_c / required_agents_a, so a week of 30-minute intervals costs milliseconds."""
    seconds = _check_interval(interval_minutes)
    v, h = _check_series(starts, volumes, aht)
    loads = v * h / seconds  # multiply first: 100 * 180 / 1800 is exactly 10
    grid = staff_live(loads, h, target)
    m = grid.metrics
    erlang_a = target.patience is not None
    return tuple(
        IntervalPlan(
            start=starts[i],
            volume=float(v[i]),
            aht=float(h[i]),
            load=float(loads[i]),
            required=int(grid.required[i]),
            scheduled=int(grid.scheduled[i]),
            service_level=float(m.service_level[i]),
            asa=_finite(float(m.asa[i])),
            p_abandon=float(m.p_abandon[i]) if erlang_a else None,
            occupancy=float(m.occupancy[i]),
            p_wait=float(m.p_wait[i]),
            work_seconds=float(v[i] * h[i]),
        )
        for i in range(len(starts))
    )


# ------------------------------------------------------------------------------------ email backlog


def deadline_intervals(deadline_hours: float, interval_minutes: int) -> int:
    """k: an email arriving in interval j must be answered by the end of interval j + k - 1."""
    if isinstance(deadline_hours, bool) or not isinstance(deadline_hours, int | float):
        raise ValidationFailed("deadline_hours must be a number", field="deadline_hours")
    if not math.isfinite(deadline_hours) or not 0 < deadline_hours <= 24 * 366:
        raise ValidationFailed("deadline_hours must lie in (0, 8784]", field="deadline_hours")
    # A tolerance so that 0.5 h / 30 min is 1, not 0.9999999.
    k = math.floor(deadline_hours * 60 / interval_minutes + 1e-9)
    if k < 1:
        raise ValidationFailed(
            f"a deadline of {deadline_hours:g} h is shorter than one {interval_minutes}-minute interval",
            field="deadline_hours",
        )
    return k


def _open_mask(open_intervals: Sequence[bool] | None, count: int) -> np.ndarray:
    if open_intervals is None:
        return np.ones(count, dtype=bool)
    if len(open_intervals) != count:
        raise ValidationFailed("open_intervals needs one flag per interval", field="open")
    return np.asarray([bool(o) for o in open_intervals], dtype=bool)


def _window_work(work: np.ndarray, k: int) -> np.ndarray:
    """For each t, the work that arrived in the k - 1 intervals ending at t, cyclically.

    That is the most the backlog may hold at the end of t (see the module docstring); with a
    deadline longer than the plan the window wraps round it more than once."""
    count = work.size
    span = k - 1
    whole, rest = divmod(span, count)
    total = whole * work.sum()
    if rest == 0:
        return np.full(count, total)
    doubled = np.concatenate([work, work])
    prefix = np.concatenate([[0.0], np.cumsum(doubled)])
    ends = np.arange(count) + count + 1  # window (t - rest, t] in the doubled series, t shifted by count
    return total + prefix[ends] - prefix[ends - rest]


def _refuse_unreachable(starts: Sequence[datetime], work: np.ndarray, opened: np.ndarray, k: int) -> None:
    """Name the first interval whose email no open interval can answer in time (agents unlimited)."""
    count = work.size
    if not opened.any():
        raise ValidationFailed("no interval is open for email work: nobody can answer the emails", field="open")
    # Distance from each interval to the next open one at or after it, cyclically.
    until_open = np.full(count, count, dtype=np.int64)
    nearest = None
    for t in range(2 * count - 1, -1, -1):
        if opened[t % count]:
            nearest = t
        if t < count and nearest is not None:
            until_open[t] = nearest - t
    late = np.flatnonzero((work > 0) & (until_open >= k))
    if late.size:
        first = int(late[0])
        raise ValidationFailed(
            f"emails arriving at {starts[first].isoformat()} cannot be answered within the deadline: "
            "no interval is open for email work before it passes",
            field="deadline_hours",
        )


@dataclass(frozen=True, slots=True)
class _Relaxation:
    """The linear programme's answer: fractional agents per interval, and its total (a lower bound)."""

    agents: np.ndarray
    bound: float


def _relaxation(work: np.ndarray, cap: np.ndarray, opened: np.ndarray, seconds: float) -> _Relaxation:
    """The fewest agent-intervals (fractional) keeping the cyclic FIFO backlog under its deadline caps.

    Variables: agents x_t (0 where closed), backlog work B_t >= 0, and the peak P.
        B_t >= B_{t-1} + work_t - L x_t        (B_{-1} = B_{T-1}: the plan repeats)
        B_t <= cap_t                            (the deadline, module docstring)
        x_t <= P
    B_t is only bounded below by the real FIFO backlog, so any feasible B proves that the real
    one, started empty and replayed for ever, stays under the caps (induction on t). Two linear
    programmes, both solved by HiGHS: the first finds the least total S; the second, among plans
    of total at most ceil(S) (what any whole-agent plan costs anyway), the lowest peak, because a
    plan that crams a week's email into one interval before its deadlines is as cheap but cannot
    be rostered. Each has three non-zeros a row: a year of 30-minute intervals solves in seconds."""
    count = work.size
    rows = np.arange(count)
    prev = (rows - 1) % count
    width = 2 * count + 1  # columns: x (count), B (count), P
    # Balance rows: -B_t + B_{t-1} - L x_t <= -work_t. With one interval, B_{t-1} is B_t itself.
    balance = sparse.csr_array(
        (
            np.concatenate([-np.ones(count), np.ones(count), np.full(count, -seconds)]),
            (np.concatenate([rows, rows, rows]), np.concatenate([count + rows, count + prev, rows])),
        ),
        shape=(count, width),
    )
    peak = sparse.csr_array(
        (
            np.concatenate([np.ones(count), -np.ones(count)]),
            (np.concatenate([rows, rows]), np.concatenate([rows, np.full(count, 2 * count)])),
        ),
        shape=(count, width),
    )
    upper = np.where(opened, math.ceil(work.sum() / seconds) + 1.0, 0.0)
    bounds = optimize.Bounds(np.zeros(width), np.concatenate([upper, cap, [float(upper.max())]]))
    constraints = [
        optimize.LinearConstraint(balance, -np.inf, -work),
        optimize.LinearConstraint(peak, -np.inf, 0.0),
    ]
    total_cost = np.concatenate([np.ones(count), np.zeros(count + 1)])
    first = optimize.milp(total_cost, constraints=constraints, bounds=bounds)
    if first.x is None:  # _refuse_unreachable has ruled this out; a guard, not a path
        raise ValidationFailed("no staffing meets the email deadline", field="deadline_hours")
    bound = float(first.x[:count].sum())
    budget = sparse.csr_array(total_cost.reshape(1, -1))
    ceiling = math.ceil(bound - 1e-7 * max(1.0, bound))
    flattest = optimize.milp(
        np.concatenate([np.zeros(2 * count), [1.0]]),
        constraints=[*constraints, optimize.LinearConstraint(budget, -np.inf, max(ceiling, bound))],
        bounds=bounds,
    )
    chosen = flattest.x if flattest.x is not None else first.x
    return _Relaxation(agents=np.maximum(chosen[:count], 0.0), bound=bound)


def _round_cumulative(fractional: np.ndarray) -> np.ndarray:
    """Whole agents whose running total is the fractional running total rounded up, at every interval.

    The total is then the least whole number at or above the fractional one, and no stretch of
    intervals has less capacity than the fractional plan by a whole agent-interval or more, so
    the replay rarely finds an email late and the repair adds at most a few agents."""
    running = np.cumsum(fractional)
    whole = np.ceil(running - 1e-7 * np.maximum(1.0, running))
    return np.diff(np.concatenate([[0.0], whole]))


def replay_backlog(
    volumes: ArrayLike,
    aht: ArrayLike,
    agents: ArrayLike,
    interval_minutes: int,
    deadline_hours: float,
    *,
    cycles: int = 1,
) -> Replay:
    """Replay a backlog plan batch by batch, oldest first, and report its last repetition.

    Each interval's arrivals join the queue at its start; its agents then do L seconds of work
    each on the oldest items. `cycles` > 1 repeats the plan (the first repetition starting empty)
    and reports the last, which is how the repeating plans of plan_backlog are checked in their
    steady state. An item is late when it still waits at the end of the k-th interval counted
    from its own (k = deadline_intervals): its answer would then come after the deadline."""
    seconds = _check_interval(interval_minutes)
    staff = np.asarray(agents, dtype=np.float64).ravel()
    count = staff.size
    v = np.asarray(volumes, dtype=np.float64)
    h = np.broadcast_to(np.asarray(aht, dtype=np.float64), (count,))
    if count == 0 or v.shape != (count,):
        raise ValidationFailed("volumes need one value per interval", field="volumes")
    if cycles < 1:
        raise ValidationFailed("cycles must be at least 1", field="cycles")
    k = deadline_intervals(deadline_hours, interval_minutes)
    queue: deque[list[float]] = deque()  # batches: [arrival interval over all cycles, work seconds left, aht]
    backlog = [0.0] * count
    oldest = [0.0] * count
    done_work = [0.0] * count
    max_response = 0.0
    late = 0.0
    first_late: int | None = None
    for cycle in range(cycles):
        last = cycle == cycles - 1
        for t in range(count):
            now = cycle * count + t
            if v[t] > 0:
                queue.append([float(now), float(v[t] * h[t]), float(h[t])])
            capacity = staff[t] * seconds
            done = 0.0
            while queue and capacity > 0:
                batch = queue[0]
                step = min(capacity, batch[1])
                batch[1] -= step
                capacity -= step
                done += step
                if last:
                    max_response = max(max_response, (now - batch[0] + 1) * seconds)
                if batch[1] <= WORK_EPSILON * max(1.0, batch[2]):
                    queue.popleft()
            if not last:
                continue
            done_work[t] = done
            backlog[t] = sum(b[1] / b[2] for b in queue)
            oldest[t] = (now - queue[0][0] + 1) * seconds if queue else 0.0
            # Batches reaching their k-th interval end unanswered (at the first interval also any
            # carried over from the repetition before, already past it).
            overdue = [b for b in queue if now - b[0] + 1 == k or (t == 0 and now - b[0] + 1 > k)]
            if overdue:
                late += sum(b[1] / b[2] for b in overdue)
                first_late = t if first_late is None else first_late
    return Replay(
        backlog=tuple(backlog),
        oldest_age=tuple(oldest),
        done_work=tuple(done_work),
        max_response=max_response,
        late=late,
        first_late=first_late,
    )


def steady_cycles(count: int, k: int) -> int:
    """Repetitions after which a replay of a deadline-meeting cyclic plan shows its steady state.

    Whatever waits at the end of an interval arrived in the k - 1 before it, so a warm-up longer
    than the deadline forgets the empty start; one more repetition is the one reported."""
    return 2 + math.ceil(k / count)


def _repair(
    work: np.ndarray, aht: np.ndarray, agents: np.ndarray, opened: np.ndarray, seconds: float, k: int, cycles: int
) -> bool:
    """One FIFO pass over `cycles` repetitions that adds agents wherever an email would be late.

    Where work falls due at the end of an open interval, that interval gets just the whole agents
    it lacks (and works them at once, so the pass goes on consistently); where it falls due in a
    closed one, the latest open interval of its window gets them, and the pass must be run again.
    Agents are only ever added, and a FIFO queue only shortens with more of them, so repeated
    passes end. Returns True when this pass changed nothing: the plan meets every deadline."""
    count = work.size
    unchanged = True
    queue: deque[list[float]] = deque()  # [arrival interval over all cycles, work seconds left]
    for cycle in range(cycles):
        for t in range(count):
            now = cycle * count + t
            if work[t] > 0:
                queue.append([float(now), float(work[t])])
            capacity = agents[t] * seconds
            due = 0.0
            while True:
                while queue and capacity > 0:
                    step = min(capacity, queue[0][1])
                    queue[0][1] -= step
                    capacity -= step
                    if queue[0][1] <= WORK_EPSILON * max(1.0, aht[t]):
                        queue.popleft()
                due = sum(b[1] for b in queue if now - b[0] + 1 >= k)
                if due <= WORK_EPSILON * max(1.0, float(aht.max())) or not opened[t]:
                    break
                extra = max(1, math.ceil(due / seconds - 1e-9))
                agents[t] += extra
                capacity += extra * seconds
                unchanged = False
            if due > WORK_EPSILON * max(1.0, float(aht.max())):  # due in a closed interval
                for back in range(1, min(k, count)):
                    earlier = (t - back) % count
                    if opened[earlier]:
                        agents[earlier] += max(1, math.ceil(due / seconds - 1e-9))
                        return False
                raise ValidationFailed("no open interval can answer the email in time", field="deadline_hours")
    return unchanged


def _backlog_inputs(
    starts: Sequence[datetime],
    volumes: Sequence[float],
    aht: float | Sequence[float],
    interval_minutes: int,
    target: BacklogTarget,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
    """Checked volumes, aht, open flags, deadline in intervals and work per interval."""
    _check_interval(interval_minutes)
    v, h = _check_series(starts, volumes, aht)
    _check_contiguous(starts, interval_minutes)
    shrinkage = target.shrinkage
    if isinstance(shrinkage, bool) or not isinstance(shrinkage, int | float) or not 0 <= shrinkage < 1:
        raise ValidationFailed("shrinkage must lie in [0, 1)", field="shrinkage")
    k = deadline_intervals(target.deadline_hours, interval_minutes)
    opened = _open_mask(target.open_intervals, len(starts))
    work = v * h
    _refuse_unreachable(starts, work, opened, k)
    return v, h, opened, k, work


def backlog_bound(
    starts: Sequence[datetime],
    volumes: Sequence[float],
    aht: float | Sequence[float],
    interval_minutes: int,
    target: BacklogTarget,
) -> float:
    """The least agent-intervals any plan, even one with fractional agents, needs to meet the deadline.

    A whole plan costs at least the ceiling of this; plan_backlog's cost equals it unless the
    replay had to repair the rounding."""
    _v, _h, opened, k, work = _backlog_inputs(starts, volumes, aht, interval_minutes, target)
    if work.sum() <= 0:
        return 0.0
    return _relaxation(work, _window_work(work, k), opened, interval_minutes * 60.0).bound


def plan_backlog(
    starts: Sequence[datetime],
    volumes: Sequence[float],
    aht: float | Sequence[float],
    interval_minutes: int,
    target: BacklogTarget,
) -> tuple[IntervalPlan, ...]:
    """The fewest agent-intervals on the email queue that answer every email within the deadline.

    Why a linear programme: the deadline couples intervals (work may move to any open interval
    up to 48 hours later), so the cheapest plan is a global choice that a per-interval rule or a
    constant level per day cannot make. The programme (see _relaxation) is small and sparse, and
    HiGHS, already with us through SciPy, solves a week of 30-minute intervals in milliseconds.
    A mixed-integer version was tried first: exact, but HiGHS needed over 10 s on 1,000 hourly
    intervals, while the relaxation rounded by running totals (_round_cumulative) already costs
    ceil(LP bound) agent-intervals, the least any whole plan can, in nearly every case; see
    backlog_bound. The plan is then replayed FIFO (replay_backlog) in its steady state: the
    backlog and oldest age reported per interval are the replay's, and the replay, not the
    solver, has the last word on the deadline: where rounding would leave an email late, _repair
    adds the whole agents missing where it falls due (or at the latest open interval before),
    in one FIFO pass. Work that no open interval can reach in time is refused with
    ValidationFailed."""
    v, h, opened, k, work = _backlog_inputs(starts, volumes, aht, interval_minutes, target)
    seconds = interval_minutes * 60.0
    cap = _window_work(work, k)
    agents = np.zeros(len(starts))
    if work.sum() > 0:
        agents = np.where(opened, _round_cumulative(_relaxation(work, cap, opened, seconds).agents), 0.0)
    cycles = steady_cycles(len(starts), k)
    for _ in range(4 * len(starts) + 10):
        if _repair(work, h, agents, opened, seconds, k, cycles):
            break
    else:  # pragma: no cover - each pass adds capacity where it is missing; this is a guard
        raise ValidationFailed("could not find a staffing that meets the email deadline", field="deadline_hours")
    replay = replay_backlog(v, h, agents.astype(np.int64), interval_minutes, target.deadline_hours, cycles=cycles)
    if replay.first_late is not None:  # pragma: no cover - the passes above replay the same queue
        raise ValidationFailed("could not find a staffing that meets the email deadline", field="deadline_hours")
    required = agents.astype(np.int64)
    scheduled = ceil_agents(required / (1.0 - target.shrinkage))
    return tuple(
        IntervalPlan(
            start=starts[i],
            volume=float(v[i]),
            aht=float(h[i]),
            load=0.0,
            required=int(required[i]),
            scheduled=int(scheduled[i]),
            service_level=None,
            asa=None,
            p_abandon=None,
            occupancy=replay.done_work[i] / (required[i] * seconds) if required[i] else None,
            backlog=replay.backlog[i],
            oldest_age=replay.oldest_age[i],
            work_seconds=float(work[i]),
        )
        for i in range(len(starts))
    )


# ---------------------------------------------------------------------------------------- summary


def summarise(plans: Sequence[IntervalPlan], interval_minutes: int) -> PlanSummary:
    """Totals and volume-weighted averages of a plan (live or email)."""
    hours = _check_interval(interval_minutes) / 3600.0
    volume = sum(p.volume for p in plans)
    live = [p for p in plans if p.service_level is not None]
    answered_weight = sum(p.volume for p in live)

    def weighted(values: list[tuple[float, float | None]]) -> float | None:
        total = sum(w for w, x in values if x is not None)
        if total <= 0:
            return None
        return sum(w * x for w, x in values if x is not None) / total

    staffed = sum(p.required for p in plans) * hours * 3600.0
    worked = sum(p.work_seconds for p in plans)
    backlogs = [p.backlog for p in plans if p.backlog is not None]
    ages = [p.oldest_age for p in plans if p.oldest_age is not None]
    return PlanSummary(
        intervals=len(plans),
        volume=volume,
        peak_required=max((p.required for p in plans), default=0),
        peak_scheduled=max((p.scheduled for p in plans), default=0),
        required_hours=sum(p.required for p in plans) * hours,
        scheduled_hours=sum(p.scheduled for p in plans) * hours,
        service_level=weighted([(p.volume, p.service_level) for p in live]) if answered_weight > 0 else None,
        asa=weighted([(p.volume, p.asa) for p in live]) if answered_weight > 0 else None,
        p_abandon=weighted([(p.volume, p.p_abandon) for p in live]) if answered_weight > 0 else None,
        occupancy=min(1.0, worked / staffed) if staffed > 0 else None,
        max_backlog=float(max(backlogs)) if backlogs else None,
        max_age_hours=max(ages) / 3600.0 if ages else None,
    )
