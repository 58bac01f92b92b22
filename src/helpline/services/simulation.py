"""Simulation use cases: replay a recorded call trace through the simulator (and check it against
what really happened), and what-if comparisons of a day's staffing (the simulator itself is
domain/workforce/simulation.py; it drives the real routing engine).

The trace format is the anonymous-bank call log (one row per call: VRU, queue and service times,
outcome, server). How a row becomes a simulated call, in short:

- Only calls that reached the queue are kept as "queued": `q_start` is not 0:00:00. Of the 26,011
  such calls in August 1999, 310 are PHANTOM (fate unknown) and are dropped; 7,309 of the other
  25,701 hung up: 28.44%, the issue's 28.4%. (Keeping the 49 with q_time 0 matters: they hung up at
  once; `q_time > 0` alone would give 28.3%.)
- Calls an agent answered straight from the VRU (`q_start` 0:00:00, outcome AGENT: 13,010 in August)
  never queued but kept an agent busy, so they are replayed too (arriving at their service start),
  and count in the simulated "queued" share only if the simulation makes them wait.
- Calls that hung up in the VRU never reached an agent and are left out.
- Queue per call type (PS, NW, NE, IN, TT, PE): the bank's agents are specialised. An agent's
  skills are the types that made at least 5% of the calls they took, or of which they took at least
  5% (so the rare TT and PE keep their usual servers); the odd call of another type was an overflow.
- Availability: the trace has no log-in times, so it is rebuilt from what agents did. Serving a
  call: available. Between two calls at most an hour apart: available from the end of one until
  the next starts, or until a call they could serve was left waiting, whichever comes first (the
  bank's router gave a waiting call to a free agent at once, so an agent who let it wait was not
  free: after-call work, a break). A longer gap is time off shift.
- Handle time: `ser_time` for served calls; for callers who hung up, a draw from the served calls of
  the same type.
- Patience: a caller who hung up after waiting q_time had patience q_time exactly. A served caller's
  patience is only known to exceed their wait (censored), so it is drawn from the Kaplan-Meier
  estimate of the patience of their call type and priority class (at least 30 hang-ups, else the
  type's, else all calls'), conditioned on exceeding their wait. Past the last observed hang-up the
  estimate says nothing: such callers wait for ever.
- Priority: bank customers of priority 1 and 2 are `vip` (the router's VIP priority; waiting ages
  everyone's priority, so a long-waiting ordinary caller still gets through).

What each choice does to the replayed abandonment among queued calls (August 1999, observed
28.44%; means of replications): agents on shift in every half-hour they served in, every type they
served as a skill, one patience curve per type: 23.7% (far too much capacity: 12,500 calls waited,
not 25,700). Availability rebuilt as above: 26.2%; with patience per priority class too: 26.9%;
skills by the 5% rule: 27.9%; both (this model): 28.2% +/- 0.1% (10 replications). The replay test
(tests/services/test_simulation_replay.py) states the interval it checks.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from helpline.domain.errors import RateLimited, ValidationFailed
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.routing.model import VOICE_ONLY, AgentSpec, QueueSpec, Strategy
from helpline.domain.workforce.simulation import (
    Arrival,
    HandleTime,
    Patience,
    ShiftBlock,
    SimulationConfig,
    SimulationResult,
    poisson_arrivals,
    simulate,
)
from helpline.services.ports import Deps

MAX_TRACE_ROWS = 2_000_000  # a month of a large center; a year of the bank is 450,000 calls
MAX_CELL = 64  # characters in one cell: every field of the format is short
DAY = 86_400
INTERVAL = 1800.0  # results per half-hour
SKILL_SHARE = 0.05  # see _skills
MAX_IDLE_GAP = 3600.0  # seconds between two calls of an agent beyond which they were off shift
MIN_EVENTS_PER_TYPE = 30  # fewer hang-ups than this: a type borrows the all-types patience estimate
REQUIRED_COLUMNS = ("type", "date", "vru_entry", "vru_exit", "q_start", "q_time", "outcome", "ser_start", "ser_time")
OUTCOMES = ("AGENT", "HANG", "PHANTOM")
NO_SERVER = "NO_SERVER"


# --- the trace --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TraceCall:
    """One call as replayed. `at`: seconds from the first day's midnight when it asked for an agent
    (queue start, or service start for calls answered at once); `wait`: its recorded queue time."""

    at: float
    call_type: str
    vip: bool
    queued: bool
    abandoned: bool
    wait: float
    handle: float | None  # None for callers who hung up: drawn per replication
    server: str | None


@dataclass(frozen=True)
class KaplanMeier:
    """Survival curve of patience: `survival[j]` = P(patience > times[j]) just after `times[j]`."""

    times: NDArray[np.float64]
    survival: NDArray[np.float64]

    @classmethod
    def fit(cls, waits: Sequence[float], hung_up: Sequence[bool]) -> KaplanMeier:
        """Hang-ups are events at their wait; served calls are censored at theirs (they would have
        waited longer). At a tie, events are counted before censorings (the usual convention)."""
        w = np.asarray(waits, dtype=np.float64)
        e = np.asarray(hung_up, dtype=bool)
        times = np.unique(w[e])
        if times.size == 0:
            return cls(np.zeros(0), np.zeros(0))
        at_risk = w.size - np.searchsorted(np.sort(w), times, side="left")  # waits >= t
        events = np.bincount(np.searchsorted(times, w[e]), minlength=times.size)
        survival = np.cumprod(1.0 - events / at_risk).astype(np.float64)
        return cls(times, survival)

    def above(self, waited: float) -> float:
        """P(patience > waited)."""
        j = int(np.searchsorted(self.times, waited, side="right"))
        return 1.0 if j == 0 else float(self.survival[j - 1])

    def draw_above(self, waited: NDArray[np.float64], u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Inverse-transform draws of patience given patience > waited, one per (waited, u in [0, 1))."""
        if self.times.size == 0:
            return np.full(waited.size, math.inf)
        j = np.searchsorted(self.times, waited, side="right")
        s_waited = np.where(j == 0, 1.0, self.survival[np.maximum(j - 1, 0)])
        target = u * s_waited
        # first event time whose survival falls to `target` or below (survival is non-increasing)
        k = np.searchsorted(-self.survival, -target, side="left")
        out = np.full(waited.size, math.inf)
        inside = k < self.times.size
        out[inside] = self.times[k[inside]]
        return out


@dataclass(frozen=True)
class TraceFacts:
    """What the trace itself says, to compare the replay with."""

    rows: int  # data rows read (every outcome)
    queued: int
    abandoned: int
    answered_at_once: int
    phantom: int
    days: int
    first_day: date
    agents: int
    types: tuple[str, ...]

    @property
    def abandon_rate(self) -> float:
        """Hang-ups among calls that queued (PHANTOM calls excluded)."""
        return self.abandoned / self.queued if self.queued else 0.0


@dataclass(frozen=True)
class Trace:
    calls: tuple[TraceCall, ...]
    config: SimulationConfig
    facts: TraceFacts
    patience: dict[tuple[str, bool], KaplanMeier]  # (call type, vip) -> patience curve
    handles: dict[str, NDArray[np.float64]]  # served handle times per type
    queue_of: dict[str, int] = field(default_factory=dict)

    def arrivals(self, seed: int) -> list[Arrival]:
        """The calls as simulator arrivals, with this replication's patience and handle draws."""
        rng = np.random.default_rng(seed)
        n = len(self.calls)
        u = rng.random(n)
        picks = rng.random(n)
        waits = np.fromiter((c.wait for c in self.calls), dtype=np.float64, count=n)
        patience = np.empty(n)
        by_class: dict[tuple[str, bool], list[int]] = defaultdict(list)
        for i, call in enumerate(self.calls):
            if call.abandoned:
                patience[i] = call.wait
            else:
                by_class[call.call_type, call.vip].append(i)
        for key, idx in by_class.items():
            rows = np.asarray(idx)
            # a call answered at once has waits 0: its patience is a draw from the whole curve
            patience[rows] = self.patience[key].draw_above(waits[rows], u[rows])
        out: list[Arrival] = []
        for i, call in enumerate(self.calls):
            handle = call.handle
            if handle is None:
                pool = self.handles[call.call_type]
                handle = float(pool[int(picks[i] * pool.size)])
            out.append(
                Arrival(
                    at=call.at,
                    queue_id=self.queue_of[call.call_type],
                    handle=handle,
                    patience=float(patience[i]),
                    vip=call.vip,
                )
            )
        return out


def _seconds(text: str, column: str, line: int) -> int:
    """'H:MM:SS' (hours 0-23, the file writes 0:10:10) as seconds since midnight."""
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 2 for p in parts):
        raise ValidationFailed(f"line {line}: {column} must be a time H:MM:SS, not {text[:20]!r}", field=column)
    h, m, s = (int(p) for p in parts)
    if h > 23 or m > 59 or s > 59:
        raise ValidationFailed(f"line {line}: {column} {text!r} is not a time of day", field=column)
    return h * 3600 + m * 60 + s


def _duration(text: str, column: str, line: int) -> int:
    if not text.isdigit() or len(text) > 6 or int(text) >= DAY:
        raise ValidationFailed(f"line {line}: {column} must be whole seconds from 0 to 86399", field=column)
    return int(text)


@dataclass(slots=True)
class _Row:
    day: date
    call_type: str
    priority: int
    outcome: str
    queued: bool
    at: int  # seconds since the row's own midnight (may exceed a day: past midnight)
    wait: int
    ser_start: int
    ser_time: int
    server: str | None


def _parse_row(cells: dict[str, str], line: int) -> _Row:
    try:
        day = date.fromisoformat(cells["date"])
    except ValueError:
        raise ValidationFailed(f"line {line}: date must be YYYY-MM-DD", field="date") from None
    call_type = cells["type"]
    if not call_type or not call_type.isalnum() or len(call_type) > 8:
        raise ValidationFailed(f"line {line}: type must be a short code such as PS", field="type")
    outcome = cells["outcome"]
    if outcome not in OUTCOMES:
        raise ValidationFailed(f"line {line}: outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
    priority_text = cells.get("priority", "0") or "0"
    if priority_text not in ("0", "1", "2"):
        raise ValidationFailed(f"line {line}: priority must be 0, 1 or 2", field="priority")
    entry = _seconds(cells["vru_entry"], "vru_entry", line)

    def later(seconds: int) -> int:
        # A time earlier in the day than the VRU entry is after midnight (the file keeps one date per call).
        return seconds + DAY if seconds < entry else seconds

    q_start_text = cells["q_start"]
    queued = q_start_text not in ("0:00:00", "00:00:00")
    q_start = later(_seconds(q_start_text, "q_start", line))
    ser_start = later(_seconds(cells["ser_start"], "ser_start", line))
    vru_exit = later(_seconds(cells["vru_exit"], "vru_exit", line))
    server = cells.get("server", "") or NO_SERVER
    if len(server) > 40:
        raise ValidationFailed(f"line {line}: server name longer than 40 characters", field="server")
    return _Row(
        day=day,
        call_type=call_type,
        priority=int(priority_text),
        outcome=outcome,
        queued=queued,
        at=q_start if queued else max(vru_exit, ser_start),
        wait=_duration(cells["q_time"], "q_time", line),
        ser_start=ser_start,
        ser_time=_duration(cells["ser_time"], "ser_time", line),
        server=None if server == NO_SERVER else server,
    )


def read_trace(stream: TextIO | str) -> Trace:
    """Parse an anonymous-bank style call log into a replayable trace (see the module doc).

    A malformed row is refused with its line number; nothing is half-read."""
    reader = csv.DictReader(io.StringIO(stream) if isinstance(stream, str) else stream)
    names = [(n or "").strip().lower() for n in reader.fieldnames or ()]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValidationFailed(f"the trace needs the columns {', '.join(missing)}", field="file")
    rows: list[_Row] = []
    phantom = 0
    read = 0
    try:
        for raw in reader:
            line = reader.line_num
            read += 1
            if read > MAX_TRACE_ROWS:
                raise ValidationFailed(f"line {line}: more than {MAX_TRACE_ROWS:,} calls", field="file")
            if None in raw or any(v is None for v in raw.values()):
                raise ValidationFailed(f"line {line}: wrong number of columns", field="file")
            cells = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
            if any(len(v) > MAX_CELL for v in cells.values()):
                raise ValidationFailed(f"line {line}: a cell is longer than {MAX_CELL} characters", field="file")
            row = _parse_row(cells, line)
            if row.outcome == "PHANTOM":
                phantom += 1 if row.queued else 0
                continue
            if row.outcome == "HANG" and not row.queued:
                continue  # hung up in the VRU: never asked for an agent
            rows.append(row)
    except csv.Error as exc:
        raise ValidationFailed(f"line {reader.line_num}: not readable as CSV ({exc})", field="file") from None
    if not rows:
        raise ValidationFailed("the trace holds no call that reached an agent or the queue", field="file")
    return _build(rows, phantom, read)


def _build(rows: list[_Row], phantom: int, read: int) -> Trace:
    first = min(r.day for r in rows)
    types = tuple(sorted({r.call_type for r in rows}))
    queue_of = {t: i + 1 for i, t in enumerate(types)}
    calls: list[TraceCall] = []
    busy: dict[str, list[tuple[float, float]]] = defaultdict(list)
    served: dict[str, Counter[str]] = defaultdict(Counter)  # agent -> type -> calls served
    handles: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        offset = (r.day - first).days * DAY
        answered = r.outcome == "AGENT"
        calls.append(
            TraceCall(
                at=float(offset + r.at),
                call_type=r.call_type,
                vip=r.priority > 0,
                queued=r.queued,
                abandoned=not answered,
                wait=float(r.wait) if r.queued else 0.0,
                handle=float(r.ser_time) if answered else None,
                server=r.server,
            )
        )
        if answered:
            handles[r.call_type].append(float(r.ser_time))
            if r.server is not None:
                start = offset + r.ser_start
                busy[r.server].append((start, start + r.ser_time))
                served[r.server][r.call_type] += 1
    calls.sort(key=lambda c: c.at)
    all_handles = [h for hs in handles.values() for h in hs] or [0.0]
    handle_pools = {t: np.asarray(handles.get(t) or all_handles, dtype=np.float64) for t in types}

    queued = [c for c in calls if c.queued]
    overall = KaplanMeier.fit([c.wait for c in queued], [c.abandoned for c in queued])
    patience: dict[tuple[str, bool], KaplanMeier] = {}
    for t in types:
        of_type = [c for c in queued if c.call_type == t]
        for_type = _fit(of_type) or overall
        for vip in (False, True):
            patience[t, vip] = _fit([c for c in of_type if c.vip is vip]) or for_type

    queues = tuple(
        QueueSpec(
            id=queue_of[t],
            tenant_id=1,
            name=t,
            channel="voice",
            skills={t.lower(): 1},
            wrap_up_seconds=0.0,  # ser_time is all the agent time the trace records for a call
            preferred_wait_seconds=0.0,
        )
        for t in types
    )
    skills = _skills(served)
    waiting = _waiting_by_type(queued)
    agents: list[AgentSpec] = []
    shifts: list[ShiftBlock] = []
    for agent_id, name in enumerate(sorted(busy), start=1):
        agents.append(
            AgentSpec(
                id=agent_id,
                name=name,
                skills={t.lower(): 1 for t in sorted(skills[name])},
                languages=frozenset({"en"}),
                tenants=frozenset({1}),
                profile=VOICE_ONLY,
            )
        )
        blocks = _presence(busy[name], _union([w for t in skills[name] for w in waiting.get(t, ())]))
        shifts.extend(ShiftBlock(agent_id, s, e) for s, e in blocks)
    horizon = max(c.at for c in calls) + DAY / 2
    days = math.ceil(horizon / DAY)
    config = SimulationConfig(
        queues=queues,
        agents=tuple(agents),
        shifts=tuple(sorted(shifts, key=lambda b: (b.start, b.agent_id))),
        interval_seconds=INTERVAL,
        target_seconds=20.0,
        horizon_seconds=float(days * DAY),
    )
    facts = TraceFacts(
        rows=read,
        queued=len(queued),
        abandoned=sum(c.abandoned for c in queued),
        answered_at_once=len(calls) - len(queued),
        phantom=phantom,
        days=days,
        first_day=first,
        agents=len(agents),
        types=types,
    )
    return Trace(tuple(calls), config, facts, patience, handle_pools, queue_of)


def _fit(calls: list[TraceCall]) -> KaplanMeier | None:
    """The patience curve of these calls, or None when too few hung up to estimate one."""
    if sum(c.abandoned for c in calls) < MIN_EVENTS_PER_TYPE:
        return None
    return KaplanMeier.fit([c.wait for c in calls], [c.abandoned for c in calls])


def _skills(served: dict[str, Counter[str]]) -> dict[str, set[str]]:
    """An agent's skills: the types that made at least SKILL_SHARE of the calls they took, and the
    types of which they took at least SKILL_SHARE (so a rare type keeps its main servers). The odd
    call of another type was an overflow by the bank's router, not a routine skill."""
    by_type: Counter[str] = Counter()
    for counts in served.values():
        by_type.update(counts)
    return {
        name: {t for t, n in counts.items() if n >= SKILL_SHARE * sum(counts.values()) or n >= SKILL_SHARE * by_type[t]}
        for name, counts in served.items()
    }


def _waiting_by_type(queued: list[TraceCall]) -> dict[str, list[tuple[float, float]]]:
    """Per type, the stretches of time during which at least one call of that type was waiting."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for call in queued:
        if call.wait > 0:
            spans[call.call_type].append((call.at, call.at + call.wait))
    return {t: _union(s) for t, s in spans.items()}


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _presence(spans: list[tuple[float, float]], waiting: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """When an agent was available, rebuilt from what they did (the trace has no log-in times).

    Serving a call: available. Between two calls at most MAX_IDLE_GAP apart: available from the end
    of one call until the next starts, or until a call they could serve was left waiting, whichever
    comes first: the bank's router gave a waiting call to a free agent at once, so an agent who let
    it wait was not free (after-call work, a break). A longer gap is time off shift."""
    starts = [s for s, _ in waiting]
    blocks: list[tuple[float, float]] = []
    ordered = sorted(spans)
    for i, (start, end) in enumerate(ordered):
        free_until = end
        if i + 1 < len(ordered) and ordered[i + 1][0] - end <= MAX_IDLE_GAP:
            free_until = max(end, min(ordered[i + 1][0], _first_waiting(waiting, starts, end)))
        blocks.append((start, free_until))
    return [(s, e) for s, e in _union(blocks) if e > s]


def _first_waiting(waiting: list[tuple[float, float]], starts: list[float], t: float) -> float:
    """The first moment at or after `t` at which a call was waiting (inf if none)."""
    i = bisect.bisect_right(starts, t) - 1
    if i >= 0 and waiting[i][1] > t:
        return t
    return waiting[i + 1][0] if i + 1 < len(waiting) else math.inf


# --- replay and its confidence interval -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayFigures:
    """Abandonment among calls that had to wait, over independent replications."""

    mean: float
    half_width: float  # 95% confidence, Student t
    runs: tuple[float, ...]
    calls: int
    seconds: float

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds if self.seconds > 0 else 0.0


def replay(trace: Trace, seed: int) -> SimulationResult:
    """One replication of the trace (its own patience draws, handle draws and tie-breaks)."""
    return simulate(trace.config, trace.arrivals(seed))


def queued_abandon_rate(result: SimulationResult) -> float:
    """Abandoned / calls that waited (answered after a wait, or abandoned), as the trace counts it."""
    totals = result.totals
    waited = totals.waited
    return totals.abandoned / waited if waited else 0.0


def replication_ci(trace: Trace, seeds: Iterable[int]) -> tuple[float, float]:
    """(mean abandonment among queued calls, 95% CI half-width) over one replication per seed."""
    figures = replicate(trace, seeds)
    return figures.mean, figures.half_width


def replicate(trace: Trace, seeds: Iterable[int]) -> ReplayFigures:
    from scipy.stats import t as student_t

    runs: list[float] = []
    calls = 0
    started = time.perf_counter()
    for seed in seeds:
        result = replay(trace, seed)
        runs.append(queued_abandon_rate(result))
        calls += result.calls
    seconds = time.perf_counter() - started
    if len(runs) < 2:
        raise ValidationFailed("a confidence interval needs at least two replications", field="seeds")
    values = np.asarray(runs)
    half = float(student_t.ppf(0.975, len(runs) - 1) * values.std(ddof=1) / math.sqrt(len(runs)))
    return ReplayFigures(float(values.mean()), half, tuple(runs), calls, seconds)


# --- what-if: a day's staffing, then the same day changed -------------------------------------------------------------

# A what-if runs inside a web request: bounded so that one run takes a few seconds at most, and one
# at a time per server (the simulation holds the interpreter; parallel runs would stall every page).
MAX_CALLS = 60_000  # the baseline and the scenario together: a few seconds
_RUNNING = threading.BoundedSemaphore(1)
MAX_AGENTS = 2_000
MAX_INTERVALS_PER_DAY = 96
SOURCES = ("manual", "forecast")


@dataclass(frozen=True)
class Scenario:
    """A day to simulate and what to change in it.

    The day: `source` "manual" (a flat `volume` of calls per interval for `hours` hours, `aht_seconds`,
    `agents` on duty) or "forecast" (the tenant's plan for `day`: its volumes, handle times and
    required agents per interval; `queue_id` None: all the tenant's queues). Callers wait
    `patience_seconds` on average (exponential) before hanging up; None: they never hang up.
    The change: staff, volume and handle time in percent, and the routing strategy."""

    source: str = "manual"
    volume: float = 100.0
    hours: int = 8
    aht_seconds: float = 180.0
    agents: int = 14
    queue_id: int | None = None
    day: date | None = None
    interval_minutes: int = 30
    patience_seconds: float | None = 120.0
    target_seconds: float = 20.0
    staff_change_pct: float = 0.0
    volume_change_pct: float = 0.0
    aht_change_pct: float = 0.0
    strategy: str = Strategy.LONGEST_IDLE.value
    scenario_strategy: str | None = None  # None: the baseline's
    seed: int = 1


@dataclass(frozen=True)
class WhatIfRun:
    """One side of the comparison: the simulator's results and the staffing it ran with."""

    result: SimulationResult
    agents: tuple[int, ...]  # on duty per interval
    strategy: str


@dataclass(frozen=True)
class WhatIf:
    scenario: Scenario
    labels: tuple[str, ...]  # interval starts, "HH:MM" (the tenant's local time for a forecast)
    baseline: WhatIfRun
    changed: WhatIfRun
    wall_seconds: float
    source_note: str  # where the day came from, in words


def _number(value: object, field: str, low: float, high: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= value <= high:  # type: ignore[operator]
        raise ValidationFailed(f"{field} must be a number from {low:g} to {high:g}", field=field)
    return float(value)  # type: ignore[arg-type]


def _check(s: Scenario) -> None:
    if s.source not in SOURCES:
        raise ValidationFailed("source must be manual or forecast", field="source")
    if s.interval_minutes not in (15, 30, 60):
        raise ValidationFailed("interval must be 15, 30 or 60 minutes", field="interval_minutes")
    _number(s.volume, "volume", 0, 100_000)
    _number(s.hours, "hours", 1, 24)
    _number(s.aht_seconds, "aht_seconds", 1, 86_400)
    _number(s.agents, "agents", 0, MAX_AGENTS)
    if s.patience_seconds is not None:
        _number(s.patience_seconds, "patience_seconds", 1, 86_400)
    _number(s.target_seconds, "target_seconds", 0, 86_400)
    _number(s.staff_change_pct, "staff_change_pct", -100, 500)
    _number(s.volume_change_pct, "volume_change_pct", -100, 500)
    _number(s.aht_change_pct, "aht_change_pct", -90, 500)
    _number(s.seed, "seed", 0, 2**31 - 1)
    for field_name, value in (("strategy", s.strategy), ("scenario_strategy", s.scenario_strategy)):
        if value is not None and value not in {m.value for m in Strategy}:
            raise ValidationFailed(f"{field_name} must be one of {', '.join(m.value for m in Strategy)}", field_name)


@dataclass(frozen=True)
class _Day:
    labels: tuple[str, ...]
    volumes: tuple[float, ...]
    ahts: tuple[float, ...]
    agents: tuple[int, ...]
    note: str


def _manual_day(s: Scenario) -> _Day:
    count = int(s.hours) * 60 // s.interval_minutes
    labels = tuple(f"{(i * s.interval_minutes) // 60:02d}:{(i * s.interval_minutes) % 60:02d}" for i in range(count))
    note = f"{s.volume:g} calls per {s.interval_minutes} minutes for {int(s.hours)} h, AHT {s.aht_seconds:g} s"
    return _Day(labels, (float(s.volume),) * count, (float(s.aht_seconds),) * count, (int(s.agents),) * count, note)


def _forecast_day(deps: Deps, principal: Principal, tenant_id: int, s: Scenario) -> _Day:
    from helpline.services import workforce

    day_plan = workforce.plan(
        deps,
        principal,
        tenant_id,
        queue_id=s.queue_id,
        interval_minutes=s.interval_minutes,
        days=1,
        start=s.day,
        backtest_weeks=0,
    )
    if not day_plan.intervals or day_plan.volume <= 0:
        raise ValidationFailed("no forecast for this day (no history yet): enter a volume instead", field="source")
    if day_plan.model != "live":
        raise ValidationFailed(
            "the simulator replays live channels (calls, chats), not a backlog: choose a live queue", field="queue_id"
        )
    intervals = day_plan.intervals
    return _Day(
        tuple(i.start.strftime("%H:%M") for i in intervals),
        tuple(float(i.volume) for i in intervals),
        tuple(float(i.aht) if i.aht > 0 else float(s.aht_seconds) for i in intervals),
        tuple(int(i.required) for i in intervals),
        f"forecast of {day_plan.queue_name} for {day_plan.start.isoformat()} ({day_plan.target})",
    )


def _staff_shifts(agents: Sequence[int], width: float) -> tuple[ShiftBlock, ...]:
    """Agent k (1-based) is on duty in every interval that needs at least k agents."""
    blocks: list[ShiftBlock] = []
    for k in range(1, max(agents, default=0) + 1):
        start: float | None = None
        for i, n in enumerate([*agents, 0]):
            if n >= k and start is None:
                start = i * width
            elif n < k and start is not None:
                blocks.append(ShiftBlock(k, start, i * width))
                start = None
    return tuple(blocks)


def _config(agents: Sequence[int], strategy: str, s: Scenario, width: float) -> SimulationConfig:
    queue = QueueSpec(
        id=1,
        tenant_id=1,
        name="what-if",
        channel="voice",
        strategy=Strategy(strategy),
        wrap_up_seconds=0.0,
        service_level_seconds=s.target_seconds,
    )
    people = tuple(
        AgentSpec(i, f"agent {i}", {}, frozenset(), frozenset({1}), profile=VOICE_ONLY)
        for i in range(1, max(agents, default=0) + 1)
    )
    return SimulationConfig(
        queues=(queue,),
        agents=people,
        shifts=_staff_shifts(agents, width),
        interval_seconds=width,
        target_seconds=float(s.target_seconds),
        horizon_seconds=width * len(agents),
    )


def _common_arrivals(day: _Day, s: Scenario, width: float) -> tuple[list[Arrival], list[Arrival]]:
    """Baseline and changed arrivals from the same random numbers (common random numbers).

    The baseline's calls depend on the seed alone, whatever the change. The changed side reuses
    them: with less volume it keeps each call with probability (1 + change) (thinning), with more it
    adds a second, independent Poisson stream of the extra volume (superposition); either way it is
    again a Poisson process of the changed rate. Its handle times are the same draws scaled, its
    patience the same draws. So the difference between the two runs comes from the change, not luck."""
    volume_factor = 1 + s.volume_change_pct / 100
    aht_factor = 1 + s.aht_change_pct / 100
    rng = np.random.default_rng(s.seed)
    keep_rng = np.random.default_rng([s.seed, 1])
    extra_rng = np.random.default_rng([s.seed, 2])
    patience = Patience.exponential(s.patience_seconds) if s.patience_seconds is not None else None
    base: list[Arrival] = []
    changed: list[Arrival] = []
    for i, (volume, aht) in enumerate(zip(day.volumes, day.ahts, strict=True)):
        if volume <= 0:
            continue
        handle = HandleTime.exponential(aht)
        offset = i * width
        drawn = [
            replace(c, at=c.at + offset) for c in poisson_arrivals([volume], width, 1, handle, rng, patience=patience)
        ]
        keep = keep_rng.random(len(drawn))
        base.extend(drawn)
        kept = [replace(c, handle=c.handle * aht_factor) for c, u in zip(drawn, keep, strict=True) if u < volume_factor]
        if volume_factor > 1:
            more = poisson_arrivals([volume * (volume_factor - 1)], width, 1, handle, extra_rng, patience=patience)
            kept.extend(replace(c, at=c.at + offset, handle=c.handle * aht_factor) for c in more)
            kept.sort(key=lambda c: c.at)
        changed.extend(kept)
    return base, changed


def what_if(deps: Deps, principal: Principal, tenant_id: int, scenario: Scenario) -> WhatIf:
    """Simulate a day as planned and as changed, on common random numbers, and return both."""
    require_tenant(principal, tenant_id)
    require(principal, Action.PLAN)
    _check(scenario)
    s = scenario
    day = _forecast_day(deps, principal, tenant_id, s) if s.source == "forecast" else _manual_day(s)
    width = s.interval_minutes * 60.0
    staff_factor = 1 + s.staff_change_pct / 100
    changed_agents = tuple(max(0, round(n * staff_factor)) for n in day.agents)
    if max(changed_agents, default=0) > MAX_AGENTS:
        raise ValidationFailed(f"at most {MAX_AGENTS:,} agents on duty", field="staff_change_pct")
    expected = sum(day.volumes) * (2 + s.volume_change_pct / 100)
    if expected > MAX_CALLS:
        raise ValidationFailed(
            f"this day would simulate about {expected:,.0f} calls (baseline and change); at most {MAX_CALLS:,}",
            field="volume",
        )
    if not _RUNNING.acquire(blocking=False):
        raise RateLimited("another simulation is running on this server; try again in a few seconds", retry_after=5)
    try:
        started = time.perf_counter()
        base_calls, changed_calls = _common_arrivals(day, s, width)
        strategy = s.strategy
        changed_strategy = s.scenario_strategy or strategy
        base = simulate(_config(day.agents, strategy, s, width), base_calls)
        changed = simulate(_config(changed_agents, changed_strategy, s, width), changed_calls)
    finally:
        _RUNNING.release()
    return WhatIf(
        scenario=s,
        labels=day.labels,
        baseline=WhatIfRun(base, day.agents, strategy),
        changed=WhatIfRun(changed, changed_agents, changed_strategy),
        wall_seconds=time.perf_counter() - started,
        source_note=day.note,
    )
