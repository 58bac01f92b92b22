"""Discrete-event simulation of a contact center that routes with the real routing engine.

The simulator owns a clock (seconds from the start of the run) and a heap of future events; the
`Router` of domain/routing decides who gets which call exactly as it does in production. Each step
jumps the clock to the earliest of: the next arrival, the next event of the heap (a call ends, a
caller hangs up, a shift starts or ends), the router's own next timer (wrap-up, relaxation...).
Nothing ticks on a fixed step.

The simulated people:
- a caller arrives (`Arrival`), is enqueued, and waits until offered or until their patience runs
  out (then `Router.abandon`);
- an agent accepts every offer at once (so an offer never times out), talks for the call's handle
  time, then `Router.end`; wrap-up follows the queue's `wrap_up_seconds` (0 in the configs built by
  `single_queue_config`), ended by the router's timer;
- an agent follows their shift blocks: AVAILABLE from start to end, then OFFLINE; a call in progress
  at the end of a shift is finished first (the router hands no new work to an offline agent).

Definitions (the same as domain/workforce/erlang.py, so a simulation and an Erlang C or A
prediction compare like with like). Every call is counted in the interval it arrives in
(time-stable: its wait, answer or abandonment belongs to that interval even if it happens later):
- offered: calls that arrived; answered: calls an agent accepted; abandoned: callers who hung up;
  unserved: the rest (still waiting when the run ran out of events, closed queue, partner overflow);
- p_wait = waited / offered, where `waited` counts calls not offered to an agent the instant they
  arrived (Erlang's P(W > 0): every agent busy), whether later answered or abandoned;
- service_level = answered_in_target / offered: answered within `target_seconds` (wait <= target)
  out of all offered calls; abandoned calls count as not answered in time (erlang.py's Erlang A
  definition; under Erlang C nobody abandons and it is P(W <= t));
- asa: mean wait of answered calls (inf when calls were offered but none answered, 0 when none offered);
- abandon_rate = abandoned / offered (Erlang A's P(Ab));
- occupancy: time agents held at least one item (talk and wrap-up) / time agents were staffed, in
  that interval; work finished after a shift's end still counts, so it can exceed 1 in rare cases;
- agents: mean agents staffed over the interval (staffed agent-seconds / interval length).
An interval with no calls has service level 1 and p_wait, asa and abandonment 0 (erlang.py's
convention for a zero load).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from helpline.domain.errors import ValidationFailed
from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import VOICE_ONLY, AgentSpec, EffectKind, Presence, QueueSpec, Work
from helpline.domain.workforce.distributions import Duration, HandleTime, Patience, Rng

__all__ = [
    "Arrival",
    "Duration",
    "HandleTime",
    "IntervalResult",
    "Patience",
    "ShiftBlock",
    "SimulationConfig",
    "SimulationResult",
    "poisson_arrivals",
    "simulate",
    "single_queue_config",
]

VIP_PRIORITY = 10  # the priority services/routing.py gives a VIP customer's item (same rule, same number)
MAX_INTERVALS = 1_000_000  # bounds the per-interval arrays (a year of 30-second intervals)
TENANT_ID = 1  # single_queue_config's tenant
PURGE_EVERY = 256  # events between two calls of Router.next_timer when no timer can be due (see simulate)

# Heap event kinds; at the same instant, lower kinds go first, and every heap event before an arrival.
_END, _SHIFT_OFF, _SHIFT_ON, _ABANDON = range(4)
_OFFERED = EffectKind.OFFERED
_WRAP_UP_ENDED = EffectKind.WRAP_UP_ENDED
_CLOSED = EffectKind.CLOSED
_OVERFLOWED = EffectKind.OVERFLOWED
_INF = math.inf


@dataclass(frozen=True, slots=True)
class Arrival:
    """One contact. Times in seconds: `at` from the simulation start, `handle` the talk time if answered."""

    at: float
    queue_id: int
    handle: float
    patience: float = math.inf  # seconds the caller waits before hanging up
    vip: bool = False
    language: str | None = None


_NO_MORE = Arrival(math.inf, 0, 0.0)  # what the reader yields once the arrivals run out


@dataclass(frozen=True, slots=True)
class ShiftBlock:
    """An agent is available from `start` to `end` (seconds from the start); outside, offline."""

    agent_id: int
    start: float
    end: float


@dataclass(frozen=True)
class SimulationConfig:
    queues: tuple[QueueSpec, ...]
    agents: tuple[AgentSpec, ...]
    shifts: tuple[ShiftBlock, ...] | None = None  # None: every agent available all the time
    interval_seconds: float = 1800.0
    target_seconds: float = 20.0  # service-level threshold
    horizon_seconds: float | None = None  # default: the end of the last arrival's interval


@dataclass(frozen=True)
class IntervalResult:
    start: float  # seconds from the simulation start
    offered: int
    answered: int
    abandoned: int
    answered_in_target: int
    waited: int
    service_level: float
    p_wait: float
    asa: float
    abandon_rate: float
    occupancy: float
    agents: float  # mean agents staffed
    unserved: int = 0  # neither answered nor abandoned (see the module docstring)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: an infinite ASA becomes None."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if math.isinf(self.asa):
            out["asa"] = None
        return out


@dataclass(frozen=True)
class SimulationResult:
    intervals: tuple[IntervalResult, ...]
    totals: IntervalResult  # over every interval
    calls: int  # arrivals simulated
    wall_seconds: float | None  # None in the domain; the service or command line measures it
    interval_seconds: float = 1800.0
    target_seconds: float = 20.0
    horizon_seconds: float = 0.0
    simulated_seconds: float = 0.0  # the clock when the last event ran (calls past the horizon drain)

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "wall_seconds": self.wall_seconds,
            "interval_seconds": self.interval_seconds,
            "target_seconds": self.target_seconds,
            "horizon_seconds": self.horizon_seconds,
            "simulated_seconds": self.simulated_seconds,
            "totals": self.totals.as_dict(),
            "intervals": [interval.as_dict() for interval in self.intervals],
        }


# ----------------------------------------------------------------------------------- configuration


def single_queue_config(
    agents: int,
    *,
    channel: str = "voice",
    wrap_up_seconds: float = 0.0,
    interval_seconds: float = 1800.0,
    target_seconds: float = 20.0,
    horizon_seconds: float | None = None,
    shifts: tuple[ShiftBlock, ...] | None = None,
) -> SimulationConfig:
    """One queue (id 1) with `agents` interchangeable voice agents (ids 1..agents): the M/M/c set-up."""
    if isinstance(agents, bool) or not isinstance(agents, int) or not 1 <= agents <= 100_000:
        raise ValidationFailed("agents must be a whole number from 1 to 100,000", field="agents")
    queue = QueueSpec(
        id=1,
        tenant_id=TENANT_ID,
        name="simulated",
        channel=channel,
        wrap_up_seconds=wrap_up_seconds,
        service_level_seconds=target_seconds,
    )
    people = tuple(
        AgentSpec(
            id=i,
            name=f"agent {i}",
            skills={},
            languages=frozenset(),
            tenants=frozenset({TENANT_ID}),
            profile=VOICE_ONLY,
        )
        for i in range(1, agents + 1)
    )
    return SimulationConfig(
        queues=(queue,),
        agents=people,
        shifts=shifts,
        interval_seconds=interval_seconds,
        target_seconds=target_seconds,
        horizon_seconds=horizon_seconds,
    )


def _finite(value: object, name: str, *, positive: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):  # type: ignore[operator]
        raise ValidationFailed(f"{name} must be a finite number {'> 0' if positive else '>= 0'}", field=name)
    return float(value)  # type: ignore[arg-type]


def _validate(config: SimulationConfig) -> dict[int, list[tuple[float, float]]]:
    """Check the settings; return each agent's shift blocks merged and sorted."""
    if not config.queues:
        raise ValidationFailed("a simulation needs at least one queue", field="queues")
    if len({q.id for q in config.queues}) != len(config.queues):
        raise ValidationFailed("queue ids must be unique", field="queues")
    if len({a.id for a in config.agents}) != len(config.agents):
        raise ValidationFailed("agent ids must be unique", field="agents")
    width = _finite(config.interval_seconds, "interval_seconds", positive=True)
    _finite(config.target_seconds, "target_seconds")
    if config.horizon_seconds is not None:
        horizon = _finite(config.horizon_seconds, "horizon_seconds", positive=True)
        if horizon / width > MAX_INTERVALS:
            raise ValidationFailed(f"at most {MAX_INTERVALS:,} intervals", field="horizon_seconds")
    blocks: dict[int, list[tuple[float, float]]] = {}
    if config.shifts is not None:
        known = {a.id for a in config.agents}
        for block in config.shifts:
            if block.agent_id not in known:
                raise ValidationFailed(f"a shift names agent {block.agent_id}, who is not simulated", field="shifts")
            start = _finite(block.start, "shifts.start")
            end = _finite(block.end, "shifts.end")
            if end <= start:
                raise ValidationFailed("a shift must end after it starts", field="shifts")
            blocks.setdefault(block.agent_id, []).append((start, end))
        for agent_id, spans in blocks.items():
            spans.sort()
            merged = [spans[0]]
            for start, end in spans[1:]:
                if start <= merged[-1][1]:  # overlapping or touching blocks: one stretch of availability
                    merged[-1] = (merged[-1][0], max(merged[-1][1], end))
                else:
                    merged.append((start, end))
            blocks[agent_id] = merged
    return blocks


# ------------------------------------------------------------------------------------- arrivals


def poisson_arrivals(
    rates: Sequence[float],
    interval_seconds: float,
    queue_id: int,
    handle: HandleTime,
    rng: Rng,
    *,
    patience: Patience | None = None,
) -> Iterator[Arrival]:
    """A Poisson process with `rates[i]` expected calls in interval i (constant rate inside it).

    With a numpy Generator the counts, times and durations are drawn per interval in vectorised
    blocks; with random.Random, by exponential gaps (slower, same process)."""
    width = _finite(interval_seconds, "interval_seconds", positive=True)
    checked = [_finite(rate, "rates") for rate in rates]
    if isinstance(rng, random.Random):
        return _poisson_python(checked, width, queue_id, handle, rng, patience)
    return _poisson_numpy(checked, width, queue_id, handle, rng, patience)


def _poisson_numpy(
    rates: list[float],
    width: float,
    queue_id: int,
    handle: HandleTime,
    rng: np.random.Generator,
    patience: Patience | None,
) -> Iterator[Arrival]:
    for index, rate in enumerate(rates):
        count = int(rng.poisson(rate))
        if count == 0:
            continue
        start = index * width
        times = np.sort(rng.uniform(start, start + width, count)).tolist()
        handles = handle.sample_block(rng, count).tolist()
        if patience is None:
            for at, seconds in zip(times, handles, strict=True):
                yield Arrival(at, queue_id, seconds)
        else:
            waits = patience.sample_block(rng, count).tolist()
            for at, seconds, wait in zip(times, handles, waits, strict=True):
                yield Arrival(at, queue_id, seconds, wait)


def _poisson_python(
    rates: list[float],
    width: float,
    queue_id: int,
    handle: HandleTime,
    rng: random.Random,
    patience: Patience | None,
) -> Iterator[Arrival]:
    for index, rate in enumerate(rates):
        if rate <= 0:
            continue
        start, end = index * width, (index + 1) * width
        at = start + rng.expovariate(rate / width)
        while at < end:
            wait = patience.sample(rng) if patience is not None else math.inf
            yield Arrival(at, queue_id, handle.sample(rng), wait)
            at += rng.expovariate(rate / width)


# ------------------------------------------------------------------------------------ the run


class _Tally:
    """Per-interval counters, grown as calls arrive in later intervals."""

    __slots__ = ("abandoned", "answered", "busy", "in_target", "offered", "unserved", "wait_sum", "waited")

    def __init__(self) -> None:
        self.offered: list[int] = []
        self.answered: list[int] = []
        self.in_target: list[int] = []
        self.waited: list[int] = []
        self.abandoned: list[int] = []
        self.unserved: list[int] = []
        self.wait_sum: list[float] = []
        self.busy: list[float] = []  # agent-seconds holding work

    def grow(self, size: int) -> None:
        missing = size - len(self.offered)
        if missing > 0:
            for counts in (self.offered, self.answered, self.in_target, self.waited, self.abandoned, self.unserved):
                counts.extend([0] * missing)
            self.wait_sum.extend([0.0] * missing)
        missing = size - len(self.busy)
        if missing > 0:
            self.busy.extend([0.0] * missing)


def _spread(into: list[float], start: float, end: float, width: float) -> None:
    """Add the span [start, end) to the per-interval seconds, split at interval boundaries."""
    index = int(start // width)
    while start < end:
        stop = min(end, (index + 1) * width)
        if index >= len(into):
            into.extend([0.0] * (index + 1 - len(into)))
        into[index] += stop - start
        start = stop
        index += 1


def simulate(
    config: SimulationConfig,
    arrivals: Iterable[Arrival],
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 10_000,
) -> SimulationResult:
    """Run the calls through the real router; per-interval and total results (definitions: module docstring).

    `arrivals` must come in time order (a generator is fine: it is read lazily, and reading stops at
    the horizon). `progress(n)` is called with the number of calls read so far every `progress_every`
    calls and once at the end."""
    shift_blocks = _validate(config)
    if isinstance(progress_every, bool) or not isinstance(progress_every, int) or progress_every < 1:
        raise ValidationFailed("progress_every must be a whole number >= 1", field="progress_every")
    width = float(config.interval_seconds)
    target = float(config.target_seconds)
    horizon = _INF if config.horizon_seconds is None else float(config.horizon_seconds)

    router = Router(explain=False)  # decisions only: nobody reads the reasons here
    for queue in config.queues:
        router.set_queue(queue, 0.0)
    for agent in config.agents:
        router.set_agent(agent, 0.0)
    queue_keys = {q.id: (q.tenant_id, q.channel) for q in config.queues}
    # Whether the router can hold a timer that is due (live): wrap-up, relaxation, language or site waits.
    # Offer timers never are: every offer is accepted at once. Without live timers, asking the router for
    # its next timer only clears the spent offer timers from its heap, so it is enough to ask now and then.
    live_timers = any(q.wrap_up_seconds > 0 or q.relaxation or q.language or q.overflow for q in config.queues)
    skip = 0

    tally = _Tally()
    offered, answered, in_target = tally.offered, tally.answered, tally.in_target
    waited, abandoned, unserved, wait_sum, busy = (
        tally.waited,
        tally.abandoned,
        tally.unserved,
        tally.wait_sum,
        tally.busy,
    )
    size = 0  # intervals the tally holds

    events: list[tuple[float, int, int]] = []  # (at, kind, work or agent id)
    push, pop = heapq.heappush, heapq.heappop
    if config.shifts is None:
        effects_at_start = [router.set_presence(agent.id, Presence.AVAILABLE, 0.0) for agent in config.agents]
    else:
        effects_at_start = []
        for agent_id, spans in shift_blocks.items():
            for start, end in spans:
                events.append((start, _SHIFT_ON, agent_id))
                events.append((end, _SHIFT_OFF, agent_id))
        heapq.heapify(events)

    pending: dict[int, Arrival] = {}  # work id -> the caller, while waiting
    held: dict[int, int] = {}  # agent id -> items held (offered, active or in wrap-up)
    busy_since: dict[int, float] = {}  # agent id -> when they took their first item
    accept = router.accept
    enqueue = router.enqueue
    end_call = router.end
    next_timer = router.next_timer

    def absorb(effects: list[Any], now: float) -> None:
        """React to the router: accept offers at once, note when agents are freed."""
        for effect in effects:
            kind = effect.kind
            if kind is _OFFERED:
                work_id = effect.work_id
                agent_id = effect.agent_id
                caller = pending.pop(work_id)
                accept(work_id, agent_id, now)
                wait = now - caller.at
                index = int(caller.at // width)
                answered[index] += 1
                wait_sum[index] += wait
                if wait <= target:
                    in_target[index] += 1
                push(events, (now + caller.handle, _END, work_id))
                count = held.get(agent_id, 0)
                if count == 0:
                    busy_since[agent_id] = now
                held[agent_id] = count + 1
            elif kind is _WRAP_UP_ENDED:
                agent_id = effect.agent_id
                count = held[agent_id] - 1
                held[agent_id] = count
                if count == 0:
                    since = busy_since[agent_id]
                    index = int(since // width)
                    if now <= (index + 1) * width and index < len(busy):
                        busy[index] += now - since
                    else:
                        _spread(busy, since, now, width)
            elif kind is _CLOSED or (kind is _OVERFLOWED and effect.to_queue_id is None):
                caller = pending.pop(effect.work_id)  # not queued: the closed message, or a partner center
                unserved[int(caller.at // width)] += 1

    for effects in effects_at_start:
        absorb(effects, 0.0)

    reader = iter(arrivals)
    upcoming = next(reader, _NO_MORE)
    next_at = upcoming.at
    calls = 0
    last_at = 0.0
    work_id = 0
    now = 0.0
    report_at = progress_every
    if next_at >= horizon:
        next_at = _INF  # the horizon: read no more arrivals
    while True:
        if live_timers:
            timer = next_timer()
        else:
            timer = None
            skip += 1
            if skip >= PURGE_EVERY:
                skip = 0
                next_timer()
        due = events[0][0] if events else _INF
        if timer is not None and timer <= due and timer <= next_at:
            now = timer
            absorb(router.tick(now), now)
        elif due <= next_at:
            if due == _INF:
                break
            now, kind, key = pop(events)
            if kind == _END:
                absorb(end_call(key, now), now)
            elif kind == _ABANDON:
                caller = pending.pop(key, None)
                if caller is not None:  # still waiting (else answered before its patience ran out)
                    absorb(router.abandon(key, now), now)
                    abandoned[int(caller.at // width)] += 1
            elif kind == _SHIFT_ON:
                absorb(router.set_presence(key, Presence.AVAILABLE, now), now)
            else:
                absorb(router.set_presence(key, Presence.OFFLINE, now), now)
        else:
            caller = upcoming
            now = next_at
            if not now >= last_at:  # also refuses NaN
                raise ValidationFailed(f"arrivals must come in time order (call {calls + 1})", field="arrivals")
            handle, wait_limit = caller.handle, caller.patience
            if not 0.0 <= handle < _INF or not wait_limit >= 0.0:
                raise ValidationFailed(
                    f"call {calls + 1}: handle must be finite and >= 0, patience >= 0", field="arrivals"
                )
            keys = queue_keys.get(caller.queue_id)
            if keys is None:
                raise ValidationFailed(f"call {calls + 1} names unknown queue {caller.queue_id}", field="arrivals")
            if caller.language is not None:
                live_timers = True  # a language wait may come due
            last_at = now
            index = int(now // width)
            if index >= size:
                if index >= MAX_INTERVALS:
                    raise ValidationFailed(f"at most {MAX_INTERVALS:,} intervals", field="arrivals")
                size = index + 1
                tally.grow(size)
            offered[index] += 1
            calls += 1
            work_id += 1
            effects = enqueue(
                Work(
                    work_id,
                    keys[0],
                    caller.queue_id,
                    keys[1],
                    now,
                    VIP_PRIORITY if caller.vip else 0,
                    caller.language,
                ),
                now,
                adopt=True,  # the Work is built for the router and never used here again
            )
            if len(effects) == 1 and effects[0].kind is _OFFERED:
                # Answered at once (absorb's OFFERED branch for a wait of 0: in target, nothing to add to
                # the wait sum, and the caller was never pending).
                taker = effects[0].agent_id
                assert taker is not None  # an offer names its agent
                accept(work_id, taker, now)
                answered[index] += 1
                in_target[index] += 1
                push(events, (now + handle, _END, work_id))
                count = held.get(taker, 0)
                if count == 0:
                    busy_since[taker] = now
                held[taker] = count + 1
            else:
                pending[work_id] = caller
                if effects:
                    absorb(effects, now)
                if work_id in pending:  # every agent busy: the caller waits
                    waited[index] += 1
                    if wait_limit < _INF:
                        push(events, (now + wait_limit, _ABANDON, work_id))
            if calls >= report_at and progress is not None:
                progress(calls)
                report_at += progress_every
            upcoming = next(reader, _NO_MORE)
            next_at = upcoming.at
            if next_at >= horizon:
                next_at = _INF  # the horizon: read no more arrivals
    for caller in pending.values():  # still waiting: nobody left to answer, and no patience ran out
        unserved[int(caller.at // width)] += 1
    if progress is not None:
        progress(calls)
    for agent_id, count in held.items():  # work held when the events ran out (a wrap-up with no timer)
        if count:
            _spread(busy, busy_since[agent_id], now, width)

    intervals = size if config.horizon_seconds is None else math.ceil(horizon / width - 1e-9)
    tally.grow(intervals)
    staffed = _staffed(config, shift_blocks, intervals, width)
    results = tuple(
        _result(
            i * width,
            offered[i],
            answered[i],
            abandoned[i],
            in_target[i],
            waited[i],
            unserved[i],
            wait_sum[i],
            busy[i],
            staffed[i],
            width,
        )
        for i in range(intervals)
    )
    totals = _result(
        0.0,
        sum(offered[:intervals]),
        sum(answered[:intervals]),
        sum(abandoned[:intervals]),
        sum(in_target[:intervals]),
        sum(waited[:intervals]),
        sum(unserved[:intervals]),
        math.fsum(wait_sum[:intervals]),
        math.fsum(busy[:intervals]),
        math.fsum(staffed),
        width * intervals,
    )
    return SimulationResult(
        intervals=results,
        totals=totals,
        calls=calls,
        wall_seconds=None,
        interval_seconds=width,
        target_seconds=target,
        horizon_seconds=width * intervals,
        simulated_seconds=now,
    )


def _staffed(
    config: SimulationConfig, blocks: dict[int, list[tuple[float, float]]], intervals: int, width: float
) -> list[float]:
    """Agent-seconds staffed in each interval."""
    if config.shifts is None:
        return [len(config.agents) * width] * intervals
    staffed = [0.0] * intervals
    horizon = intervals * width
    for spans in blocks.values():
        for start, end in spans:
            if start < horizon:
                _spread(staffed, start, min(end, horizon), width)
    return staffed[:intervals]


def _result(
    start: float,
    offered: int,
    answered: int,
    abandoned: int,
    in_target: int,
    waited: int,
    unserved: int,
    wait_sum: float,
    busy: float,
    staffed: float,
    length: float,
) -> IntervalResult:
    if offered:
        service_level, p_wait, abandon_rate = in_target / offered, waited / offered, abandoned / offered
        asa = wait_sum / answered if answered else _INF
    else:
        service_level, p_wait, abandon_rate, asa = 1.0, 0.0, 0.0, 0.0
    return IntervalResult(
        start=start,
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        answered_in_target=in_target,
        waited=waited,
        service_level=service_level,
        p_wait=p_wait,
        asa=asa,
        abandon_rate=abandon_rate,
        occupancy=busy / staffed if staffed > 0 else 0.0,
        agents=staffed / length if length > 0 else 0.0,
        unserved=unserved,
    )
