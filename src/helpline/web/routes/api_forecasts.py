"""Forecast and staffing-plan API (tenant-scoped, under /api/v1/tenants/{tenant}/workforce).

Both read the tenant's own contact history: `forecast` gives volumes and handle time per interval
with their backtests, `plan` adds the agents each interval needs at the queue's service level.
Interval starts are ISO 8601 with the tenant's UTC offset (local wall clock)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from helpline.domain.workforce.handle_time import AhtBacktest
from helpline.services import workforce
from helpline.web.dependencies import TenantDep
from helpline.web.schemas import Output

router = APIRouter(tags=["workforce"])
BASE = "/tenants/{tenant}/workforce"

QueueParam = Annotated[
    int | None, Query(alias="queue", ge=1, lt=2**63, description="a queue id; omitted: all the tenant's queues")
]
ChannelParam = Annotated[str | None, Query(max_length=20, description="only this channel (voice, email, chat...)")]
IntervalParam = Annotated[int, Query(alias="interval", ge=15, le=60, description="15, 30 or 60 minutes")]
DaysParam = Annotated[int, Query(ge=1, le=workforce.MAX_DAYS, description="days to forecast")]
StartParam = Annotated[date | None, Query(description="first local day (YYYY-MM-DD); default: tomorrow")]
WeeksParam = Annotated[
    int, Query(ge=workforce.MIN_WEEKS, le=workforce.MAX_WEEKS, description="weeks of history to read")
]
SpecialParam = Annotated[
    str,
    Query(
        alias="special_days",
        max_length=4000,
        description="holidays and campaign peaks, YYYY-MM-DD separated by commas (the queues' closed dates are added)",
    ),
]
BacktestParam = Annotated[
    int, Query(ge=0, le=workforce.MAX_BACKTEST_WEEKS, description="weeks to backtest on (0: none)")
]


class BacktestOut(BaseModel):
    weeks: int
    wape: float
    wape_seasonal_naive: float
    improvement: float | None  # share of seasonal naive's error removed


class AhtBacktestOut(BaseModel):
    weeks: int
    wmape: float
    wmape_naive: float  # the flat mean of the last 4 weeks


class ForecastIntervalOut(BaseModel):
    start: datetime
    volume: float
    aht: float
    last_week: float | None


class ForecastOut(Output):
    queue_id: int | None
    queue_name: str
    channel: str | None
    zone: str
    interval_minutes: int
    start: date
    days: int
    history_contacts: float
    volume: float
    intervals: list[ForecastIntervalOut]
    backtest: BacktestOut | None
    aht_backtest: AhtBacktestOut | None
    notes: list[str]


class PlanIntervalOut(BaseModel):
    start: datetime
    volume: float
    aht: float
    load: float
    required: int
    scheduled: int
    service_level: float | None
    asa: float | None
    occupancy: float | None
    backlog: float | None


class PlanOut(Output):
    queue_id: int | None
    queue_name: str
    channel: str | None
    zone: str
    interval_minutes: int
    start: date
    days: int
    model: str
    target: str
    history_contacts: float
    volume: float
    peak_required: int
    required_hours: float
    scheduled_hours: float
    intervals: list[PlanIntervalOut]
    backtest: BacktestOut | None
    aht_backtest: AhtBacktestOut | None
    notes: list[str]


def _backtest(result: workforce.VolumeBacktest | None) -> BacktestOut | None:
    if result is None:
        return None
    return BacktestOut(
        weeks=result.weeks,
        wape=round(result.wape, 4),
        wape_seasonal_naive=round(result.wape_naive, 4),
        improvement=None if result.improvement is None else round(result.improvement, 4),
    )


def _aht_backtest(result: AhtBacktest | None) -> AhtBacktestOut | None:
    if result is None:
        return None
    return AhtBacktestOut(weeks=result.weeks, wmape=round(result.wmape, 4), wmape_naive=round(result.wmape_naive, 4))


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


@router.get(BASE + "/forecast", response_model=ForecastOut)
def get_forecast(
    t: TenantDep,
    queue: QueueParam = None,
    channel: ChannelParam = None,
    interval: IntervalParam = 30,
    days: DaysParam = 7,
    start: StartParam = None,
    weeks: WeeksParam = 12,
    backtest: BacktestParam = 4,
    special: SpecialParam = "",
) -> ForecastOut:
    """Contacts and average handle time per interval for `days` days, from the tenant's history."""
    fc = workforce.forecast_queue(
        t.deps,
        t.principal,
        t.tenant_id,
        queue_id=queue,
        channel=channel,
        interval_minutes=interval,
        days=days,
        start=start,
        weeks=weeks,
        backtest_weeks=backtest,
        special_days=workforce.parse_special_days(special),
    )
    return ForecastOut(
        queue_id=fc.queue_id,
        queue_name=fc.queue_name,
        channel=fc.channel,
        zone=fc.zone,
        interval_minutes=fc.interval_minutes,
        start=fc.start,
        days=fc.days,
        history_contacts=fc.history_contacts,
        volume=round(float(fc.volumes.sum()), 2),
        intervals=[
            ForecastIntervalOut(start=s, volume=round(float(v), 3), aht=round(float(a), 1), last_week=w)
            for s, v, a, w in zip(fc.starts, fc.volumes, fc.aht, fc.last_week, strict=True)
        ],
        backtest=_backtest(fc.backtest),
        aht_backtest=_aht_backtest(fc.aht_backtest),
        notes=list(fc.notes),
    )


@router.get(BASE + "/plan", response_model=PlanOut)
def get_plan(
    t: TenantDep,
    queue: QueueParam = None,
    channel: ChannelParam = None,
    interval: IntervalParam = 30,
    days: DaysParam = 7,
    start: StartParam = None,
    weeks: WeeksParam = 12,
    backtest: BacktestParam = 4,
    special: SpecialParam = "",
) -> PlanOut:
    """Agents required and to schedule per interval, at the queue's service level (live channels)
    or answer deadline (email, letters, work items), from the forecast."""
    result = workforce.plan(
        t.deps,
        t.principal,
        t.tenant_id,
        queue_id=queue,
        channel=channel,
        interval_minutes=interval,
        days=days,
        start=start,
        weeks=weeks,
        backtest_weeks=backtest,
        special_days=workforce.parse_special_days(special),
    )
    return PlanOut(
        queue_id=result.queue_id,
        queue_name=result.queue_name,
        channel=result.channel,
        zone=result.zone,
        interval_minutes=result.interval_minutes,
        start=result.start,
        days=result.days,
        model=result.model,
        target=result.target,
        history_contacts=result.history_contacts,
        volume=round(result.volume, 2),
        peak_required=result.peak_required,
        required_hours=round(result.required_hours, 2),
        scheduled_hours=round(result.scheduled_hours, 2),
        intervals=[
            PlanIntervalOut(
                start=i.start,
                volume=round(i.volume, 3),
                aht=round(i.aht, 1),
                load=round(i.load, 3),
                required=i.required,
                scheduled=i.scheduled,
                service_level=_round(i.service_level, 4),
                asa=_round(i.asa, 1),
                occupancy=_round(i.occupancy, 4),
                backlog=_round(i.backlog, 2),
            )
            for i in result.intervals
        ],
        backtest=_backtest(result.backtest),
        aht_backtest=_aht_backtest(result.aht_backtest),
        notes=list(result.notes),
    )
