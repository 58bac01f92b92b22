"""Workforce planning use cases: a tenant's contact history per interval, and per queue a forecast
of volume and handle time with the staffing it needs.

Time. Everything is laid out on the tenant's local wall clock: a day is midnight to midnight in
the tenant's zone and always has 24 h / interval intervals, DST or not (storage buckets the
history that way). Plan intervals carry timezone-aware starts in the tenant's zone
(`datetime(..., tzinfo=ZoneInfo(tenant zone))`): comparisons and `.astimezone(UTC)` give the true
instant, while the differences between consecutive starts stay one interval (wall-clock
arithmetic), which the backlog planner requires. On the spring DST change the skipped wall-clock
intervals get no volume (they do not exist); on the autumn change the repeated hour is planned
once, with the staffing of one real interval (its load is the same on both passes).

Volume: forecast.py (weekly profile x damped trend), parameters chosen and scored by its rolling
backtest against seasonal naive when the history holds enough whole weeks. Handle time:
handle_time.py (a shrunk weekly profile). Contacts with no handle time (never accepted, or email
imported without its timestamps) count in the volume but not the AHT; when a queue has no handle
time at all, DEFAULT_AHT_SECONDS of its channel stands in, and the plan's notes say so.

Staffing: live channels (voice, chat, SMS, social) through planning.plan_live at the queue's own
service level (e.g. 80 % in 20 s), with Erlang C when callers are assumed to wait, or Erlang A when
the queue states its callers' mean patience (`patience_seconds`: they hang up after it); deferred
channels (email, web forms, letters, faxes, work items) through planning.plan_backlog with the
queue's target as the answer deadline.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from helpline.domain.errors import NotFound, ValidationFailed
from helpline.domain.pagination import MAX_LIMIT, make_page
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.routing.model import DEFAULT_SERVICE_LEVEL_SECONDS
from helpline.domain.vocabulary import Channel, parse_enum
from helpline.domain.workforce import handle_time
from helpline.domain.workforce.forecast import Series, backtest, forecast
from helpline.domain.workforce.planning import BacklogTarget, IntervalPlan, LiveTarget, plan_backlog, plan_live
from helpline.services.ports import Deps
from helpline.services.tenants import tenant_zone

INTERVALS: Final = (15, 30, 60)
MIN_WEEKS, MAX_WEEKS = 2, 52
MAX_DAYS: Final = 28
MAX_BACKTEST_WEEKS: Final = 12
MAX_SPECIAL_DAYS: Final = 366
PAST_START_DAYS: Final = 366  # a plan may start up to a year back (to compare with what happened)
FUTURE_START_DAYS: Final = 90
DAYS_PER_WEEK: Final = 7

LIVE_CHANNELS: Final = frozenset({Channel.VOICE, Channel.CHAT, Channel.SMS, Channel.SOCIAL})
# Typical handle time (talk or work + wrap-up), seconds, used only when a queue has none recorded.
DEFAULT_AHT_SECONDS: Final[dict[str, float]] = {
    "voice": 360.0,
    "chat": 600.0,
    "sms": 300.0,
    "social": 360.0,
    "email": 480.0,
    "web_form": 480.0,
    "letter": 600.0,
    "fax": 600.0,
    "work_item": 900.0,
}
MIXED_DEFAULT_AHT: Final = 420.0  # a queue taking several channels, none chosen
# Erlang cannot promise 100 % within the target: a queue asking for it is planned at 99 %.
MAX_SERVICE_LEVEL: Final = 0.99

Floats = NDArray[np.float64]


# ------------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True, eq=False)
class History:
    """Inbound contacts per local interval, from local midnight, with their handle times."""

    tenant_id: int
    zone: str
    queue_id: int | None
    queue_name: str
    channel: str | None
    interval_minutes: int
    series: Series  # volumes; naive local wall-clock starts
    handled: Floats  # contacts with a handle time, per interval
    handle_seconds: Floats  # their summed handle time, per interval

    @property
    def aht(self) -> Floats:
        """Mean handle seconds per interval (NaN where no contact had one)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.handled > 0, self.handle_seconds / np.maximum(self.handled, 1), np.nan)

    @property
    def total(self) -> float:
        return float(self.series.counts.sum())

    @property
    def mean_aht(self) -> float | None:
        return handle_time.overall_mean(self.handle_seconds, self.handled)


@dataclass(frozen=True, slots=True)
class VolumeBacktest:
    """Rolling-origin backtest of the volume forecast: WAPE of ours and of seasonal naive."""

    wape: float
    wape_naive: float
    weeks: int

    @property
    def improvement(self) -> float | None:
        """Share of seasonal naive's error removed (0.25: a quarter less error); None if naive is perfect."""
        return 1 - self.wape / self.wape_naive if self.wape_naive > 0 else None


@dataclass(frozen=True, slots=True)
class QueuePlan:
    """A queue's forecast and staffing for `days` days from `start` (local dates), interval by interval.

    `intervals[i].start` is timezone-aware in the tenant's zone (see the module docstring);
    `last_week[i]` is what arrived at the same wall-clock time 7 days before each interval (None
    where that lies outside the history); `model` is "live" or "backlog"; `patience` is the mean
    caller patience a live plan used (Erlang A), None for Erlang C (and backlog plans)."""

    tenant_id: int
    queue_id: int | None
    queue_name: str
    channel: str | None
    interval_minutes: int
    zone: str
    start: date
    days: int
    model: str
    target: str  # the goal planned for, in words
    intervals: tuple[IntervalPlan, ...]
    backtest: VolumeBacktest | None
    aht_backtest: handle_time.AhtBacktest | None
    notes: tuple[str, ...]
    last_week: tuple[float | None, ...] = ()
    history_contacts: float = 0.0
    patience: float | None = None

    @property
    def erlang(self) -> str | None:
        """ "erlang_c" or "erlang_a" for a live plan; None for a backlog plan."""
        if self.model != "live":
            return None
        return "erlang_c" if self.patience is None else "erlang_a"

    @property
    def has_history(self) -> bool:
        return bool(self.intervals)

    @property
    def volume(self) -> float:
        return sum(i.volume for i in self.intervals)

    @property
    def peak_required(self) -> int:
        return max((i.required for i in self.intervals), default=0)

    @property
    def scheduled_hours(self) -> float:
        return sum(i.scheduled for i in self.intervals) * self.interval_minutes / 60

    @property
    def required_hours(self) -> float:
        return sum(i.required for i in self.intervals) * self.interval_minutes / 60


# --------------------------------------------------------------------------------------- validation


def _interval(minutes: object) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes not in INTERVALS:
        raise ValidationFailed("interval must be 15, 30 or 60 minutes", field="interval")
    return minutes


def _bounded(value: object, low: int, high: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {high}", field=name)
    return value


def _channel(value: str | None) -> str | None:
    return None if value is None else parse_enum(Channel, value, "channel").value


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant local `day` starts (midnight exists in every zone we know; fold 0 if repeated)."""
    return datetime.combine(day, time(), zone)


# ------------------------------------------------------------------------------------------ history


@dataclass(frozen=True, slots=True)
class _Scope:
    """What one plan or history reads: the queue (or all queues) and the channel (or all)."""

    queue: Any  # Queue row, or None for the whole tenant
    channel: str | None

    @property
    def queue_id(self) -> int | None:
        return None if self.queue is None else int(self.queue.id)

    @property
    def name(self) -> str:
        return "All queues" if self.queue is None else str(self.queue.name)

    @property
    def effective_channel(self) -> str | None:
        return self.channel or (None if self.queue is None else self.queue.channel)


def _read(
    deps: Deps, principal: Principal, tenant_id: int, queue_id: int | None
) -> tuple[Any, ZoneInfo, Any, list[Any]]:
    """Check the caller, then load the tenant, its zone, the queue (404 if not the tenant's) and all queues."""
    require_tenant(principal, tenant_id)
    require(principal, Action.PLAN)
    if queue_id is not None and (isinstance(queue_id, bool) or not isinstance(queue_id, int)):
        raise ValidationFailed("queue must be a queue id", field="queue")
    with deps.uow() as uow:
        tenant = uow.center.tenant(tenant_id)
        scope = uow.tenant(tenant_id)
        queue = None
        if queue_id is not None:
            queue = scope.queues.find(queue_id)
            if queue is None:
                raise NotFound(f"queue {queue_id} not found", field="queue")
        all_queues, _total = scope.queues.listed(make_page(MAX_LIMIT, 0))
        return tenant, tenant_zone(tenant), queue, list(all_queues)


def _bucketed(deps: Deps, tenant_id: int, first_day: date, days: int, minutes: int, zone: ZoneInfo, **only: Any) -> Any:
    with deps.uow() as uow:
        return uow.tenant(tenant_id).workforce_history.buckets(
            _midnight(first_day, zone), _midnight(first_day + timedelta(days=days), zone), minutes, **only
        )


def _select(bucketed: Any, tenant_id: int, scope: _Scope, first_day: date, minutes: int, zone: ZoneInfo) -> History:
    keys = [k for k in bucketed.groups if (scope.queue_id is None or k[0] == scope.queue_id)]
    keys = [k for k in keys if scope.channel is None or k[1] == scope.channel]
    totals = bucketed.total(keys)
    return History(
        tenant_id=tenant_id,
        zone=zone.key,
        queue_id=scope.queue_id,
        queue_name=scope.name,
        channel=scope.effective_channel,
        interval_minutes=minutes,
        series=Series(start=datetime.combine(first_day, time()), minutes=minutes, counts=totals.volumes),
        handled=totals.handled.astype(np.float64),
        handle_seconds=totals.handle_seconds,
    )


def history(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    queue_id: int | None,
    channel: str | None,
    interval_minutes: int,
    weeks: int,
    until: datetime | None = None,
) -> History:
    """The `weeks` whole weeks of inbound contacts before the local day holding `until` (default:
    now), per local interval, optionally of one queue and/or one channel."""
    minutes = _interval(interval_minutes)
    weeks = _bounded(weeks, MIN_WEEKS, MAX_WEEKS, "weeks")
    chosen = _channel(channel)
    _tenant, zone, queue, _queues = _read(deps, principal, tenant_id, queue_id)
    if until is not None and until.tzinfo is None:
        raise ValidationFailed("until must carry a time zone", field="until")
    end_day = (until or deps.clock.now()).astimezone(zone).date()
    first_day = end_day - timedelta(days=weeks * DAYS_PER_WEEK)
    bucketed = _bucketed(
        deps, tenant_id, first_day, weeks * DAYS_PER_WEEK, minutes, zone, queue_id=queue_id, channel=chosen
    )
    return _select(bucketed, tenant_id, _Scope(queue, chosen), first_day, minutes, zone)


# --------------------------------------------------------------------------------------------- plan


@dataclass
class _Window:
    """The dates one plan covers: history [first_day, history_end), forecast [start, start + days)."""

    start: date
    days: int
    weeks: int
    history_end: date
    minutes: int
    backtest_weeks: int
    zone: ZoneInfo
    # Holidays and campaign peaks: taken out of the normal pattern and forecast from past special days.
    special_days: frozenset[date] = frozenset()

    @property
    def first_day(self) -> date:
        return self.history_end - timedelta(days=self.weeks * DAYS_PER_WEEK)

    @property
    def gap(self) -> int:
        """Days between the history's end and the plan's start (today, when planning from tomorrow)."""
        return (self.start - self.history_end).days


def _window(
    deps: Deps,
    zone: ZoneInfo,
    minutes: int,
    days: int,
    start: date | None,
    weeks: int,
    backtest_weeks: int,
    special_days: Iterable[date] = (),
) -> _Window:
    minutes = _interval(minutes)
    days = _bounded(days, 1, MAX_DAYS, "days")
    weeks = _bounded(weeks, MIN_WEEKS, MAX_WEEKS, "weeks")
    backtest_weeks = _bounded(backtest_weeks, 0, MAX_BACKTEST_WEEKS, "backtest_weeks")
    today = deps.clock.now().astimezone(zone).date()
    if start is None:
        start = today + timedelta(days=1)
    elif not isinstance(start, date) or isinstance(start, datetime):
        raise ValidationFailed("start must be a date (YYYY-MM-DD)", field="start")
    if not today - timedelta(days=PAST_START_DAYS) <= start <= today + timedelta(days=FUTURE_START_DAYS):
        raise ValidationFailed(
            f"start must lie between {PAST_START_DAYS} days ago and {FUTURE_START_DAYS} days ahead", field="start"
        )
    # Today is not over: its contacts so far would read as a quiet day. History stops at today's
    # midnight (or at the start, for a plan of past days) and the forecast bridges the gap.
    special = frozenset(special_days)
    if len(special) > MAX_SPECIAL_DAYS or any(not isinstance(d, date) or isinstance(d, datetime) for d in special):
        raise ValidationFailed(f"special days are up to {MAX_SPECIAL_DAYS} dates (YYYY-MM-DD)", field="special_days")
    return _Window(start, days, weeks, min(start, today), minutes, backtest_weeks, zone, special)


def parse_special_days(text: str) -> list[date]:
    """Special days typed as YYYY-MM-DD separated by commas or spaces (a form field, a query string)."""
    out: list[date] = []
    for number, part in enumerate(text.replace(",", " ").split(), start=1):
        try:
            out.append(date.fromisoformat(part))
        except ValueError:
            raise ValidationFailed(
                f"special days are dates as YYYY-MM-DD separated by commas (item {number} is not one)",
                field="special_days",
            ) from None
    return out


def closed_dates(queues: Iterable[Any]) -> set[date]:
    """Days a queue's business hours close all day (holidays): special days for its forecast."""
    out: set[date] = set()
    for queue in queues:
        for text in (getattr(queue, "hours", None) or {}).get("closed_dates") or ():
            with contextlib.suppress(TypeError, ValueError):
                out.add(date.fromisoformat(text))
    return out


def _trim(hist: History) -> tuple[Series, Floats, Floats, int]:
    """The history without its leading empty weeks (a queue opened last month), whole weeks kept
    from the end; and how many weeks remain (0: no contact at all)."""
    per_day = hist.series.per_day
    counts = hist.series.counts
    nonzero = np.flatnonzero(counts)
    if nonzero.size == 0:
        return hist.series, hist.handled, hist.handle_seconds, 0
    days = hist.series.days
    first_day = int(nonzero[0]) // per_day
    weeks = (days - first_day) // DAYS_PER_WEEK
    keep_days = weeks * DAYS_PER_WEEK
    cut = (days - keep_days) * per_day
    series = Series(
        start=hist.series.start + timedelta(days=days - keep_days), minutes=hist.series.minutes, counts=counts[cut:]
    )
    return series, hist.handled[cut:], hist.handle_seconds[cut:], weeks


def _target_seconds(scope: _Scope, channel: str | None) -> tuple[float, float]:
    """The queue's own service-level target (seconds, share); the channel's default for the whole tenant."""
    if scope.queue is not None:
        return float(scope.queue.service_level_seconds), float(scope.queue.service_level_percent) / 100
    return float(DEFAULT_SERVICE_LEVEL_SECONDS.get(channel or "voice", 20)), 0.8


def patience_of(queue: Any) -> float | None:
    """The queue's mean caller patience in seconds (Erlang A); None: callers wait (Erlang C)."""
    value = getattr(queue, "patience_seconds", None) if queue is not None else None
    return float(value) if value is not None else None


def live_target(target_seconds: float, share: float, patience: float | None) -> LiveTarget:
    """The target a live queue is planned for: its service level, with Erlang A when it has a patience."""
    return LiveTarget(target_seconds=target_seconds, service_level=share, patience=patience)


def _is_live(channel: str | None, target_seconds: float) -> bool:
    """Live (Erlang) for live channels; backlog for deferred ones. A queue of no single channel is
    live when its target is within the hour (as the defaults of SMS and social are)."""
    if channel is not None:
        return Channel(channel) in LIVE_CHANNELS
    return target_seconds <= 3600


def _open_flags(hours: Any, starts: Sequence[datetime]) -> list[bool] | None:
    """Whether the queue is open at each interval start (its hours are in their own zone); None: always."""
    if not isinstance(hours, dict) or not hours.get("weekly"):
        return None
    try:
        zone = ZoneInfo(str(hours.get("timezone") or "UTC"))
    except (KeyError, ValueError):
        return None
    weekly = {int(k): [tuple(r) for r in v] for k, v in hours["weekly"].items()}
    closed = set(hours.get("closed_dates") or ())
    flags = []
    for start in starts:
        local = start.astimezone(zone)
        minute = local.hour * 60 + local.minute
        spans = weekly.get(local.weekday(), [])
        flags.append(local.date().isoformat() not in closed and any(a <= minute < b for a, b in spans))
    return flags


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    """False for a wall-clock time skipped by a DST change (02:30 on a spring-forward night)."""
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


@dataclass(frozen=True, slots=True, eq=False)
class QueueForecast:
    """Volume and handle time forecast of a queue (or the tenant) for `days` local days from `start`.

    `starts` are timezone-aware in the tenant's zone; `last_week[i]` is what arrived at the same
    wall-clock time 7 days earlier (None outside the history read). Empty `starts`: no history."""

    tenant_id: int
    queue_id: int | None
    queue_name: str
    channel: str | None
    interval_minutes: int
    zone: str
    start: date
    days: int
    starts: tuple[datetime, ...]
    volumes: Floats
    aht: Floats
    last_week: tuple[float | None, ...]
    backtest: VolumeBacktest | None
    aht_backtest: handle_time.AhtBacktest | None
    notes: tuple[str, ...]
    history_contacts: float = 0.0

    @property
    def has_history(self) -> bool:
        return bool(self.starts)


def _forecast_one(tenant_id: int, scope: _Scope, hist: History, w: _Window) -> QueueForecast:
    notes: list[str] = []
    channel = scope.effective_channel
    per_day = hist.series.per_day
    base: dict[str, Any] = {
        "tenant_id": tenant_id,
        "queue_id": scope.queue_id,
        "queue_name": scope.name,
        "channel": channel,
        "interval_minutes": w.minutes,
        "zone": w.zone.key,
        "start": w.start,
        "days": w.days,
    }
    series, handled, seconds, weeks = _trim(hist)
    if weeks == 0:
        notes.append(
            f"no inbound contacts in the {w.weeks} weeks before {w.history_end.isoformat()}: nothing to forecast"
        )
        empty = np.zeros(0)
        return QueueForecast(
            **base,
            starts=(),
            volumes=empty,
            aht=empty,
            last_week=(),
            backtest=None,
            aht_backtest=None,
            notes=tuple(notes),
        )
    if weeks < w.weeks:
        notes.append(
            f"history starts {series.start.date().isoformat()}: {weeks} whole weeks used of the {w.weeks} asked"
        )
    if scope.queue is not None and scope.queue.channel is None and scope.channel is None:
        notes.append("this queue takes several channels: planned as one queue; choose a channel to plan one")

    # Volume: backtest (which also tunes the parameters), then forecast.
    scored = None
    params = None
    enough = weeks >= w.backtest_weeks + 1
    if w.backtest_weeks and not enough:
        notes.append(
            f"no backtest: {w.backtest_weeks} backtest weeks need {w.backtest_weeks + 1} weeks of history, "
            f"there are {weeks}"
        )
    if w.backtest_weeks and enough:
        try:
            result = backtest(series, horizon_weeks=w.backtest_weeks, special_days=w.special_days)
            scored = VolumeBacktest(result.wape, result.wape_naive, w.backtest_weeks)
            params = result.params
        except ValidationFailed as exc:
            notes.append(f"no volume backtest: {exc.detail}")
    horizon = w.gap + w.days
    volumes = forecast(series, horizon, params, special_days=w.special_days).counts[w.gap * per_day :].copy()

    # Handle time.
    fallback = DEFAULT_AHT_SECONDS.get(channel or "", MIXED_DEFAULT_AHT)
    if handle_time.overall_mean(seconds, handled) is None:
        notes.append(f"no handle time recorded: {fallback:.0f} s assumed ({channel or 'mixed'} default)")
    aht_scored = None
    if w.backtest_weeks and enough and handle_time.overall_mean(seconds, handled) is not None:
        try:
            aht_scored = handle_time.backtest(seconds, handled, per_day, w.backtest_weeks)
        except ValidationFailed as exc:
            notes.append(f"no handle-time backtest: {exc.detail}")
    # The prior weight the backtest chose (on the weeks before its window) serves the forecast too.
    prior = aht_scored.prior if aht_scored is not None else handle_time.DEFAULT_PRIOR_CONTACTS
    fitted = handle_time.profile(seconds, handled, per_day, fallback=fallback, prior=prior)
    aht = np.maximum(handle_time.forecast_aht(fitted, horizon)[w.gap * per_day :], 1.0)

    # Interval starts on the local wall clock; skipped DST times carry no contact.
    first = datetime.combine(w.start, time())
    step = timedelta(minutes=w.minutes)
    naive = [first + i * step for i in range(w.days * per_day)]
    skipped = [i for i, t in enumerate(naive) if not _exists(t, w.zone)]
    if skipped:
        volumes[skipped] = 0.0
        notes.append(f"{len(skipped)} interval(s) skipped by the DST change carry no contacts")

    # Actuals a week before each interval, for the chart (None where outside the history read).
    counts = hist.series.counts
    offset = (w.start - timedelta(days=DAYS_PER_WEEK) - w.first_day).days * per_day
    last_week = tuple(float(counts[offset + i]) if 0 <= offset + i < len(counts) else None for i in range(len(naive)))
    return QueueForecast(
        **base,
        starts=tuple(t.replace(tzinfo=w.zone) for t in naive),
        volumes=volumes,
        aht=aht,
        last_week=last_week,
        backtest=scored,
        aht_backtest=aht_scored,
        notes=tuple(notes),
        history_contacts=float(series.counts.sum()),
    )


def _staff(scope: _Scope, fc: QueueForecast) -> QueuePlan:
    """The staffing a forecast needs at the queue's target (live or backlog, by channel)."""
    notes = list(fc.notes)
    target_seconds, share = _target_seconds(scope, fc.channel)
    live = _is_live(fc.channel, target_seconds)
    base: dict[str, Any] = {
        "tenant_id": fc.tenant_id,
        "queue_id": fc.queue_id,
        "queue_name": fc.queue_name,
        "channel": fc.channel,
        "interval_minutes": fc.interval_minutes,
        "zone": fc.zone,
        "start": fc.start,
        "days": fc.days,
        "model": "live" if live else "backlog",
        "backtest": fc.backtest,
        "aht_backtest": fc.aht_backtest,
        "last_week": fc.last_week,
        "history_contacts": fc.history_contacts,
    }
    if not fc.has_history:
        return QueuePlan(**base, target="", intervals=(), notes=tuple(notes))
    starts, volumes, aht, minutes = list(fc.starts), list(fc.volumes), list(fc.aht), fc.interval_minutes
    if live:
        if share > MAX_SERVICE_LEVEL:
            notes.append(f"service level {share:.0%} planned as {MAX_SERVICE_LEVEL:.0%}: Erlang cannot promise 100 %")
            share = MAX_SERVICE_LEVEL
        target = f"{share:.0%} answered within {_duration(target_seconds)}"
        patience = patience_of(scope.queue)
        if patience is not None:
            target += f"; callers hang up after {_duration(patience)} on average (Erlang A)"
            base["patience"] = patience
        intervals = plan_live(starts, volumes, aht, minutes, live_target(target_seconds, share, patience))
    else:
        deadline = target_seconds / 3600
        if deadline * 60 < minutes:
            notes.append(f"deadline {_duration(target_seconds)} is shorter than one interval: planned as one interval")
            deadline = minutes / 60
        opened = _open_flags(getattr(scope.queue, "hours", None), starts)
        target = f"every item answered within {_duration(deadline * 3600)}"
        if opened is not None:
            target += " (worked during opening hours)"
        intervals = plan_backlog(
            starts, volumes, aht, minutes, BacklogTarget(deadline_hours=deadline, open_intervals=opened)
        )
    return QueuePlan(**base, target=target, intervals=intervals, notes=tuple(notes))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds <= 4 * 86_400:  # email targets are said in hours: "48 h"
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} days"


def forecast_queue(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    queue_id: int | None = None,
    channel: str | None = None,
    interval_minutes: int = 30,
    days: int = 7,
    start: date | None = None,
    weeks: int = 12,
    backtest_weeks: int = 4,
    special_days: Iterable[date] = (),
) -> QueueForecast:
    """Volume and handle-time forecast (no staffing) with its backtests: see `plan` for the arguments."""
    _scope, forecast = _forecast_scope(
        deps,
        principal,
        tenant_id,
        queue_id,
        channel,
        interval_minutes,
        days,
        start,
        weeks,
        backtest_weeks,
        special_days,
    )
    return forecast


def _forecast_scope(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    queue_id: int | None,
    channel: str | None,
    interval_minutes: int,
    days: int,
    start: date | None,
    weeks: int,
    backtest_weeks: int,
    special_days: Iterable[date],
) -> tuple[_Scope, QueueForecast]:
    """The forecast of one queue (or the whole tenant), optionally of one channel, and what it covers.
    Special days are the ones given plus the days the queue (or any of the tenant's) closes all day."""
    chosen = _channel(channel)
    _tenant, zone, queue, queues = _read(deps, principal, tenant_id, queue_id)
    closed = closed_dates([queue] if queue is not None else queues)
    w = _window(deps, zone, interval_minutes, days, start, weeks, backtest_weeks, [*special_days, *closed])
    bucketed = _bucketed(
        deps, tenant_id, w.first_day, w.weeks * DAYS_PER_WEEK, w.minutes, zone, queue_id=queue_id, channel=chosen
    )
    scope = _Scope(queue, chosen)
    return scope, _forecast_one(tenant_id, scope, _select(bucketed, tenant_id, scope, w.first_day, w.minutes, zone), w)


def plan(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    queue_id: int | None = None,
    channel: str | None = None,
    interval_minutes: int = 30,
    days: int = 7,
    start: date | None = None,
    weeks: int = 12,
    backtest_weeks: int = 4,
    special_days: Iterable[date] = (),
) -> QueuePlan:
    """Forecast and staffing of one queue (all the tenant's queues together when `queue_id` is
    None), optionally of one channel, for `days` local days from `start` (default: tomorrow),
    from the `weeks` weeks of history before it."""
    scope, forecast = _forecast_scope(
        deps,
        principal,
        tenant_id,
        queue_id,
        channel,
        interval_minutes,
        days,
        start,
        weeks,
        backtest_weeks,
        special_days,
    )
    if queue_id is not None:
        return _staff(scope, forecast)
    # The whole tenant: its queues differ in channel and target (calls in 20 s, email in 2 days),
    # so each queue is staffed on its own terms and the agents are added up.
    per_queue = plans(
        deps,
        principal,
        tenant_id,
        channel=channel,
        interval_minutes=interval_minutes,
        days=days,
        start=start,
        weeks=weeks,
        backtest_weeks=0,
        special_days=special_days,
    )
    return _combined(forecast, per_queue)


def _combined(fc: QueueForecast, parts: Sequence[QueuePlan]) -> QueuePlan:
    """The tenant's plan: the forecast of all its contacts, and per interval the sum of the agents
    each queue needs at its own target. Service level and the like belong to a queue: left empty."""
    staffed = [p for p in parts if p.intervals]
    models = {p.model for p in staffed}
    model = models.pop() if len(models) == 1 else "mixed"
    notes = [*fc.notes, *(f"{p.queue_name}: {n}" for p in staffed for n in p.notes if "backtest" not in n)]
    base: dict[str, Any] = {
        "tenant_id": fc.tenant_id,
        "queue_id": None,
        "queue_name": fc.queue_name,
        "channel": fc.channel,
        "interval_minutes": fc.interval_minutes,
        "zone": fc.zone,
        "start": fc.start,
        "days": fc.days,
        "model": model,
        "backtest": fc.backtest,
        "aht_backtest": fc.aht_backtest,
        "last_week": fc.last_week,
        "history_contacts": fc.history_contacts,
    }
    if not fc.has_history:
        return QueuePlan(**base, target="", intervals=(), notes=tuple(notes))
    intervals = []
    for i, (start, volume, aht) in enumerate(zip(fc.starts, fc.volumes, fc.aht, strict=True)):
        here = [p.intervals[i] for p in staffed if i < len(p.intervals)]
        backlogs = [x.backlog for x in here if x.backlog is not None]
        intervals.append(
            IntervalPlan(
                start=start,
                volume=float(volume),
                aht=float(aht),
                load=sum(x.load for x in here),
                required=sum(x.required for x in here),
                scheduled=sum(x.scheduled for x in here),
                service_level=None,
                asa=None,
                p_abandon=None,
                occupancy=None,
                backlog=sum(backlogs) if backlogs else None,
                work_seconds=sum(x.work_seconds for x in here),
            )
        )
    target = f"each of {len(staffed)} queues at its own target" if staffed else "no queue has history"
    notes += [f"{p.queue_name}: {p.target}" for p in staffed]
    return QueuePlan(**base, target=target, intervals=tuple(intervals), notes=tuple(notes))


def plans(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    channel: str | None = None,
    interval_minutes: int = 30,
    days: int = 7,
    start: date | None = None,
    weeks: int = 12,
    backtest_weeks: int = 4,
    special_days: Iterable[date] = (),
) -> list[QueuePlan]:
    """One plan per queue of the tenant, by queue name. The history is read once for all of them.
    A queue without history gets a plan with no intervals (`has_history` False) and a note saying so."""
    chosen = _channel(channel)
    _tenant, zone, _queue, queues = _read(deps, principal, tenant_id, None)
    w = _window(deps, zone, interval_minutes, days, start, weeks, backtest_weeks, special_days)
    bucketed = _bucketed(deps, tenant_id, w.first_day, w.weeks * DAYS_PER_WEEK, w.minutes, zone, channel=chosen)
    out = []
    for queue in queues:
        scope = _Scope(queue, chosen)
        hist = _select(bucketed, tenant_id, scope, w.first_day, w.minutes, zone)
        own = replace(w, special_days=w.special_days | closed_dates([queue]))
        out.append(_staff(scope, _forecast_one(tenant_id, scope, hist, own)))
    return out


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One local day of a plan: contacts, peak agents, agent-hours."""

    day: date
    volume: float
    peak_required: int
    required_hours: float
    scheduled_hours: float
    intervals: list[IntervalPlan] = field(default_factory=list)


def by_day(result: QueuePlan) -> list[DaySummary]:
    """The plan summed per local day (for tables)."""
    days: dict[date, list[IntervalPlan]] = {}
    for interval in result.intervals:
        days.setdefault(interval.start.date(), []).append(interval)
    hours = result.interval_minutes / 60
    return [
        DaySummary(
            day=day,
            volume=sum(i.volume for i in rows),
            peak_required=max(i.required for i in rows),
            required_hours=sum(i.required for i in rows) * hours,
            scheduled_hours=sum(i.scheduled for i in rows) * hours,
            intervals=rows,
        )
        for day, rows in days.items()
    ]
