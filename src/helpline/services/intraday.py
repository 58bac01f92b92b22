"""Intraday use cases: today's contacts against the forecast, the re-forecast of the rest of the day
and the staff it needs against the published schedule; and agents' adherence to their schedule.

Days are the tenant's local days, like the staffing plans (services.workforce). Re-forecast and
re-planning are per queue (each queue's level may drift differently), then summed for the page:
live queues are re-staffed with Erlang C at the queue's own service level (as the plan was), backlog
queues have their planned staff scaled by the queue's ratio (domain/workforce/intraday.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import numpy as np

from helpline.domain.errors import NotFound, ValidationFailed
from helpline.domain.pagination import MAX_LIMIT, Page
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.workforce import adherence as adherence_maths
from helpline.domain.workforce import intraday as maths
from helpline.domain.workforce.planning import plan_live
from helpline.services import workforce
from helpline.services.ports import Deps
from helpline.services.tenants import tenant_zone

MAX_SERVICE_LEVEL: Final = 0.99  # as services.workforce plans it
MAX_DAYS_BACK: Final = 366


@dataclass(frozen=True, slots=True)
class QueueDrift:
    """How one queue's day is going: its re-forecast ratio and totals so far."""

    queue_id: int | None
    queue_name: str
    model: str
    actual_so_far: float
    forecast_so_far: float
    ratio: float
    forecast_day: float
    reforecast_day: float


@dataclass(frozen=True, slots=True)
class IntradayView:
    """Today's picture for a tenant (or one queue), per interval of the local day.

    `actual` holds None for intervals not yet started; the interval under way holds its count so
    far. `required_now` is the staff the re-forecast needs (the plan's for completed intervals)."""

    tenant_id: int
    queue_id: int | None
    day: date
    interval_minutes: int
    now: datetime
    completed: int
    starts: tuple[datetime, ...]
    forecast: tuple[float, ...]
    actual: tuple[float | None, ...]
    reforecast: tuple[float, ...]
    required_plan: tuple[int, ...]
    required_now: tuple[int, ...]
    scheduled: tuple[float, ...]
    actual_so_far: float
    forecast_so_far: float
    forecast_day: float
    reforecast_day: float
    ratio: float
    raw_ratio: float | None
    queues: tuple[QueueDrift, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def understaffed(self) -> tuple[bool, ...]:
        """Intervals where the schedule puts fewer agents than the re-forecast needs."""
        return tuple(s + 1e-9 < r for s, r in zip(self.scheduled, self.required_now, strict=True))


def _check_queue(queue_id: object) -> int | None:
    if queue_id is None:
        return None
    if isinstance(queue_id, bool) or not isinstance(queue_id, int) or not 0 < queue_id < 2**63:
        raise NotFound("queue not found", field="queue")
    return queue_id


def today(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    queue_id: int | None = None,
    interval_minutes: int = 30,
    day: date | None = None,
    now: datetime | None = None,
) -> IntradayView:
    """Actual vs forecast, re-forecast and required vs scheduled for the tenant's `day` (default:
    today in its zone), as it stands at `now` (default: the clock)."""
    require_tenant(principal, tenant_id)
    require(principal, Action.PLAN)
    queue_id = _check_queue(queue_id)
    now = now or deps.clock.now()
    with deps.uow() as uow:
        tenant = uow.center.tenant(tenant_id)
        queues = {q.id: q for q in _queues(uow, tenant_id)}
    zone = tenant_zone(tenant)
    local_today = now.astimezone(zone).date()
    if day is None:
        day = local_today
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValidationFailed("date must be a date (YYYY-MM-DD)", field="date")
    if not local_today - timedelta(days=MAX_DAYS_BACK) <= day <= local_today + timedelta(days=1):
        raise ValidationFailed(f"date must lie within the last {MAX_DAYS_BACK} days", field="date")
    if queue_id is not None:
        if queue_id not in queues:
            raise NotFound(f"queue {queue_id} not found", field="queue")
        plans = [
            workforce.plan(
                deps, principal, tenant_id, queue_id=queue_id, interval_minutes=interval_minutes, days=1, start=day,
                backtest_weeks=0,
            )
        ]  # fmt: skip
    else:
        plans = workforce.plans(
            deps, principal, tenant_id, interval_minutes=interval_minutes, days=1, start=day, backtest_weeks=0
        )
    notes = [f"{p.queue_name}: {n}" for p in plans for n in p.notes]
    plans = [p for p in plans if p.intervals and p.queue_id is not None]
    day_start = datetime.combine(day, time(), zone)
    day_end = datetime.combine(day + timedelta(days=1), time(), zone)
    if not plans:
        return _empty(tenant_id, queue_id, day, interval_minutes, now, day_start, notes)
    starts = tuple(i.start for i in plans[0].intervals)
    count = len(starts)
    edges = [s.astimezone(UTC) for s in starts]
    completed = sum(1 for s in edges if s + timedelta(minutes=interval_minutes) <= now)
    started = sum(1 for s in edges if s <= now)

    with deps.uow() as uow:
        arrivals = uow.tenant(tenant_id).intraday.arrivals(
            day_start.astimezone(UTC), min(day_end.astimezone(UTC), now), [p.queue_id for p in plans]
        )
        shifts = uow.center.schedules.published_shifts(
            day_start.astimezone(UTC), day_end.astimezone(UTC), tenant_id=tenant_id, queue_id=queue_id
        )
    per_queue: dict[int | None, np.ndarray] = {p.queue_id: np.zeros(count) for p in plans}
    # Bucketed on the local wall clock, as the history the forecast learnt from: on the autumn
    # change both passes of the repeated hour fall in its intervals, as they did in the history.
    midnight = datetime.combine(day, time())
    size = timedelta(minutes=interval_minutes)
    for at, queue in arrivals:
        index = int((at.astimezone(zone).replace(tzinfo=None) - midnight) // size)
        if 0 <= index < count and queue in per_queue:
            per_queue[queue][index] += 1

    total_forecast = np.zeros(count)
    total_actual = np.zeros(count)
    total_reforecast = np.zeros(count)
    required_plan = np.zeros(count, dtype=np.int64)
    required_now = np.zeros(count, dtype=np.int64)
    drifts = []
    for plan in plans:
        forecast = np.array([i.volume for i in plan.intervals])
        actual = per_queue[plan.queue_id]
        redone = maths.reforecast(forecast, actual[:completed])
        planned = np.array([i.required for i in plan.intervals], dtype=np.int64)
        total_forecast += forecast
        total_actual += actual
        total_reforecast += redone.volumes
        required_plan += planned
        required_now += _replanned(plan, queues[plan.queue_id], redone, planned, completed)
        drifts.append(
            QueueDrift(
                queue_id=plan.queue_id,
                queue_name=plan.queue_name,
                model=plan.model,
                actual_so_far=redone.actual_so_far,
                forecast_so_far=redone.forecast_so_far,
                ratio=redone.ratio,
                forecast_day=redone.forecast_day,
                reforecast_day=redone.reforecast_day,
            )
        )
    overall = maths.reforecast(total_forecast, total_actual[:completed])
    spans = [
        (datetime.fromisoformat(a["start"]), datetime.fromisoformat(a["end"]))
        for shift in shifts
        if shift.user_id is not None
        for a in shift.activities or ()
        if a.get("kind") == "work"
    ]
    scheduled = _staffed(spans, edges, interval_minutes)
    return IntradayView(
        tenant_id=tenant_id,
        queue_id=queue_id,
        day=day,
        interval_minutes=interval_minutes,
        now=now,
        completed=completed,
        starts=starts,
        forecast=tuple(float(v) for v in total_forecast),
        actual=tuple(float(v) if i < started else None for i, v in enumerate(total_actual)),
        reforecast=tuple(float(v) for v in total_reforecast),
        required_plan=tuple(int(v) for v in required_plan),
        required_now=tuple(int(v) for v in required_now),
        scheduled=tuple(round(float(v), 3) for v in scheduled),
        actual_so_far=overall.actual_so_far,
        forecast_so_far=overall.forecast_so_far,
        forecast_day=float(total_forecast.sum()),
        reforecast_day=float(total_reforecast.sum()),
        ratio=overall.ratio,
        raw_ratio=overall.raw_ratio,
        queues=tuple(drifts),
        notes=tuple(notes[:20]),
    )


def _queues(uow: Any, tenant_id: int) -> list[Any]:
    return list(uow.tenant(tenant_id).queues.listed(Page(limit=MAX_LIMIT))[0])


def _replanned(
    plan: workforce.QueuePlan, queue: Any, redone: maths.Reforecast, planned: np.ndarray, completed: int
) -> np.ndarray:
    """Staff per interval after the re-forecast: the plan's for completed intervals, re-planned after."""
    if completed >= len(planned):
        return planned
    if plan.model != "live":
        return maths.scale_required(planned, redone.ratio, start=completed)
    rest = plan.intervals[completed:]
    target = workforce.live_target(
        float(queue.service_level_seconds),
        min(float(queue.service_level_percent) / 100, MAX_SERVICE_LEVEL),
        workforce.patience_of(queue),
    )
    again = plan_live(
        [i.start for i in rest], list(redone.volumes[completed:]), [i.aht for i in rest], plan.interval_minutes, target
    )
    return np.concatenate([planned[:completed], np.array([i.required for i in again], dtype=np.int64)])


def _staffed(spans: Sequence[tuple[datetime, datetime]], edges: Sequence[datetime], minutes: int) -> np.ndarray:
    """Agents at work per interval (intervals are consecutive real instants, except across a DST change,
    where each interval is measured on its own)."""
    staff = np.zeros(len(edges))
    for index, left in enumerate(edges):
        staff[index] = maths.staffed(spans, left, minutes, 1)[0]
    return staff


def _empty(
    tenant_id: int, queue_id: int | None, day: date, minutes: int, now: datetime, start: datetime, notes: list[str]
) -> IntradayView:
    return IntradayView(
        tenant_id=tenant_id,
        queue_id=queue_id,
        day=day,
        interval_minutes=minutes,
        now=now,
        completed=0,
        starts=(),
        forecast=(),
        actual=(),
        reforecast=(),
        required_plan=(),
        required_now=(),
        scheduled=(),
        actual_so_far=0.0,
        forecast_so_far=0.0,
        forecast_day=0.0,
        reforecast_day=0.0,
        ratio=1.0,
        raw_ratio=None,
        queues=(),
        notes=tuple(notes[:20]) or ("no queue has contact history to forecast this day",),
    )


# --- adherence ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentAdherence:
    """One agent's adherence on the day, to the shifts they were scheduled for this tenant."""

    user_id: int
    name: str
    shift_start: datetime
    shift_end: datetime
    result: adherence_maths.Adherence
    presence: str  # their presence at the end of the window judged


@dataclass(frozen=True, slots=True)
class _Activity:
    kind: str
    start: datetime
    end: datetime


def adherence(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    day: date,
    *,
    now: datetime | None = None,
    grace_minutes: float = adherence_maths.DEFAULT_GRACE_MINUTES,
    exception_minutes: float = adherence_maths.DEFAULT_EXCEPTION_MINUTES,
) -> list[AgentAdherence]:
    """Adherence of the tenant's scheduled agents on its local `day`, judged up to `now`, from the
    presence log against the published shifts of this tenant's queues."""
    require_tenant(principal, tenant_id)
    require(principal, Action.SCHEDULE)
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValidationFailed("date must be a date (YYYY-MM-DD)", field="date")
    now = now or deps.clock.now()
    with deps.uow() as uow:
        zone = tenant_zone(uow.center.tenant(tenant_id))
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        shifts = [
            s for s in uow.center.schedules.published_shifts(start, end, tenant_id=tenant_id) if s.user_id is not None
        ]
        user_ids = sorted({s.user_id for s in shifts if s.user_id is not None})
        serving = uow.center.agents.tenants_of(user_ids)
        user_ids = [u for u in user_ids if tenant_id in serving.get(u, frozenset())]
        found = uow.center.user_names(user_ids)
        names = {u: found.get(u, f"#{u}") for u in user_ids}
        window_end = max(start, min(end, now))
        changes = uow.center.schedules.presence_changes(user_ids, start, window_end)
    rows = []
    for user_id in user_ids:
        own = [s for s in shifts if s.user_id == user_id]
        activities = [
            _Activity(str(a["kind"]), datetime.fromisoformat(a["start"]), datetime.fromisoformat(a["end"]))
            for s in own
            for a in s.activities or ()
        ]
        # Judged around this client's shifts only: an agent shared between clients is signed in for
        # the others too, and that time must not count as working for this one.
        margin = timedelta(minutes=grace_minutes)
        judged_from = max(start, min(s.starts_at for s in own) - margin)
        judged_to = max(judged_from, min(window_end, max(s.ends_at for s in own) + margin))
        timeline = adherence_maths.presence_timeline(changes.get(user_id, []), judged_from, judged_to)
        result = adherence_maths.adherence(
            activities,
            timeline,
            judged_from,
            judged_to,
            grace_minutes=grace_minutes,
            exception_minutes=exception_minutes,
        )
        last = changes.get(user_id, [])
        rows.append(
            AgentAdherence(
                user_id=user_id,
                name=names[user_id],
                shift_start=min(s.starts_at for s in own),
                shift_end=max(s.ends_at for s in own),
                result=result,
                presence=last[-1][1] if last else "offline",
            )
        )
    rows.sort(key=lambda r: (r.shift_start, r.name))
    return rows
