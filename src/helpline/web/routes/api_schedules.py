"""Schedules and intraday API: build and publish a week of shifts (center-wide), a tenant's coverage
and roster, today's actual vs forecast with the re-forecast, adherence, and an agent's own shifts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from helpline.domain.errors import PermissionDenied, ValidationFailed
from helpline.services import intraday, schedules
from helpline.services.schedules import MAX_DAYS_READ, ShiftView, TenantWeek
from helpline.services.tenants import tenant_zone
from helpline.web.dependencies import DepsDep, PrincipalDep, TenantDep
from helpline.web.schemas import Input, Output

router = APIRouter(tags=["workforce"])
BASE = "/tenants/{tenant}/workforce"

DateText = Annotated[str, Query(max_length=10, description="YYYY-MM-DD")]


def parse_day(raw: str | None, field: str) -> date | None:
    """A date typed by a person or a script: YYYY-MM-DD only (no timestamps, no times)."""
    if raw is None or raw == "":
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"{field} must be a date written YYYY-MM-DD", field=field) from None


def local_today(tenant: Any, now: datetime) -> date:
    return now.astimezone(tenant_zone(tenant)).date()


# --- shapes ------------------------------------------------------------------------------------------


class BuildIn(Input):
    week_start: str = Field(max_length=10, description="the Monday the week starts (YYYY-MM-DD), 00:00 UTC")
    interval_minutes: int = Field(30, strict=True, description="15, 30 or 60")
    publish: bool = Field(False, strict=True, description="publish at once (agents see it)")


class WeekOut(Output):
    week_id: int
    week_start: date
    status: str
    summary: dict[str, Any]
    groups: list[str]


class ActivityOut(Output):
    kind: str
    start: datetime
    end: datetime


class ShiftOut(Output):
    id: int
    user_id: int | None
    agent_name: str | None
    queue_id: int | None
    skill_group: str
    template: str
    starts_at: datetime
    ends_at: datetime
    activities: list[ActivityOut]


class GroupOut(Output):
    name: str
    queue_id: int | None
    queue_name: str
    required: list[float]
    scheduled: list[float]


class TenantWeekOut(Output):
    week_id: int | None
    week_start: date
    status: str | None = Field(description="draft, published, or null when nothing was built")
    built_at: datetime | None
    interval_minutes: int
    summary: dict[str, Any]
    interval_starts: list[datetime]
    required: list[float] = Field(description="agents needed per interval, over the tenant's queues")
    scheduled: list[float]
    under_coverage_hours: float
    groups: list[GroupOut]
    shifts: list[ShiftOut] | None = Field(description="null for client managers: coverage without names")


class QueueDriftOut(Output):
    queue_id: int | None
    queue_name: str
    model: str
    actual_so_far: float
    forecast_so_far: float
    ratio: float
    forecast_day: float
    reforecast_day: float


class IntradayOut(Output):
    day: date
    queue_id: int | None
    interval_minutes: int
    now: datetime
    completed_intervals: int
    interval_starts: list[datetime]
    forecast: list[float]
    actual: list[float | None]
    reforecast: list[float]
    required_plan: list[int]
    required_now: list[int]
    scheduled: list[float]
    understaffed: list[bool]
    actual_so_far: float
    forecast_so_far: float
    forecast_day: float
    reforecast_day: float
    ratio: float
    raw_ratio: float | None
    queues: list[QueueDriftOut]
    notes: list[str]


class ExceptionOut(Output):
    start: datetime
    end: datetime
    minutes: float
    expected: str
    actual: str


class AdherenceOut(Output):
    user_id: int
    name: str
    shift_start: datetime
    shift_end: datetime
    presence: str
    scheduled_minutes: float
    in_adherence_minutes: float
    adherence: float | None
    conformance: float | None
    exceptions: list[ExceptionOut]


def shift_out(shift: ShiftView) -> ShiftOut:
    return ShiftOut(
        id=shift.id,
        user_id=shift.user_id,
        agent_name=shift.agent_name,
        queue_id=shift.queue_id,
        skill_group=shift.skill_group,
        template=shift.template,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        activities=[ActivityOut.model_validate(a) for a in shift.activities],
    )


def week_out(view: TenantWeek) -> TenantWeekOut:
    return TenantWeekOut(
        week_id=view.week_id,
        week_start=view.week_start,
        status=view.status,
        built_at=view.built_at,
        interval_minutes=view.interval_minutes,
        summary=view.summary,
        interval_starts=list(view.starts),
        required=view.required,
        scheduled=view.scheduled,
        under_coverage_hours=round(view.under_coverage_hours, 2),
        groups=[GroupOut.model_validate(g) for g in view.groups],
        shifts=None if view.shifts is None else [shift_out(s) for s in view.shifts],
    )


# --- building and publishing (center-wide: one week covers every tenant the caller reaches) ----------


@router.post("/schedules/weeks", response_model=WeekOut, status_code=201)
def build_week(body: BuildIn, d: DepsDep, principal: PrincipalDep) -> WeekOut:
    """Build the week's shifts for every tenant you reach from their staffing plans (and publish them)."""
    monday = parse_day(body.week_start, "week_start")
    if monday is None:
        raise ValidationFailed("week_start must be a date written YYYY-MM-DD", field="week_start")
    outcome = schedules.build_week(d, principal, monday, interval_minutes=body.interval_minutes, publish=body.publish)
    return WeekOut(
        week_id=outcome.week_id,
        week_start=outcome.week_start,
        status=outcome.status,
        summary=outcome.summary,
        groups=list(outcome.groups),
    )


@router.post("/schedules/weeks/{week_id}/publish", response_model=WeekOut)
def publish_week(week_id: int, d: DepsDep, principal: PrincipalDep) -> WeekOut:
    outcome = schedules.publish(d, principal, week_id)
    return WeekOut(
        week_id=outcome.week_id,
        week_start=outcome.week_start,
        status=outcome.status,
        summary=outcome.summary,
        groups=list(outcome.groups),
    )


# --- a tenant's views -----------------------------------------------------------------------------------


@router.get(BASE + "/schedule", response_model=TenantWeekOut)
def tenant_schedule(t: TenantDep, week: DateText = "") -> TenantWeekOut:
    """Required vs scheduled per interval for the tenant's queues; with the roster for supervisors.
    `week`: any day of the week wanted (default: this week)."""
    day = parse_day(week, "week") or local_today(t.tenant, t.deps.clock.now())
    return week_out(schedules.week(t.deps, t.principal, t.tenant_id, schedules.monday_of(day)))


@router.get(BASE + "/intraday", response_model=IntradayOut)
def tenant_intraday(
    t: TenantDep,
    queue: Annotated[int | None, Query(ge=1, lt=2**63)] = None,
    date_: Annotated[str, Query(alias="date", max_length=10, description="YYYY-MM-DD; default today")] = "",
) -> IntradayOut:
    """Actual vs forecast so far today, the re-forecast of the rest of the day, and required vs scheduled."""
    view = intraday.today(t.deps, t.principal, t.tenant_id, queue_id=queue, day=parse_day(date_, "date"))
    return IntradayOut(
        day=view.day,
        queue_id=view.queue_id,
        interval_minutes=view.interval_minutes,
        now=view.now,
        completed_intervals=view.completed,
        interval_starts=list(view.starts),
        forecast=list(view.forecast),
        actual=list(view.actual),
        reforecast=list(view.reforecast),
        required_plan=list(view.required_plan),
        required_now=list(view.required_now),
        scheduled=list(view.scheduled),
        understaffed=list(view.understaffed),
        actual_so_far=view.actual_so_far,
        forecast_so_far=view.forecast_so_far,
        forecast_day=view.forecast_day,
        reforecast_day=view.reforecast_day,
        ratio=view.ratio,
        raw_ratio=view.raw_ratio,
        queues=[QueueDriftOut.model_validate(q) for q in view.queues],
        notes=list(view.notes),
    )


@router.get(BASE + "/adherence", response_model=list[AdherenceOut])
def tenant_adherence(
    t: TenantDep,
    date_: Annotated[str, Query(alias="date", max_length=10, description="YYYY-MM-DD; default today")] = "",
) -> list[AdherenceOut]:
    """Each scheduled agent's adherence to their shifts for this tenant on the day (so far)."""
    day = parse_day(date_, "date") or local_today(t.tenant, t.deps.clock.now())
    rows = intraday.adherence(t.deps, t.principal, t.tenant_id, day)
    return [
        AdherenceOut(
            user_id=r.user_id,
            name=r.name,
            shift_start=r.shift_start,
            shift_end=r.shift_end,
            presence=r.presence,
            scheduled_minutes=round(r.result.scheduled_minutes, 2),
            in_adherence_minutes=round(r.result.in_adherence_minutes, 2),
            adherence=r.result.adherence,
            conformance=r.result.conformance,
            exceptions=[
                ExceptionOut(
                    start=e.start, end=e.end, minutes=round(e.minutes, 2), expected=e.expected, actual=e.actual
                )
                for e in r.result.exceptions
            ],
        )
        for r in rows
    ]


# --- the signed-in agent --------------------------------------------------------------------------------


@router.get("/me/schedule", response_model=list[ShiftOut])
def my_schedule(
    d: DepsDep,
    principal: PrincipalDep,
    from_: Annotated[str, Query(alias="from", max_length=10, description="YYYY-MM-DD; default today (UTC)")] = "",
    to: Annotated[str, Query(max_length=10, description="YYYY-MM-DD, inclusive; default from + 6 days")] = "",
) -> list[ShiftOut]:
    """Your own published shifts starting from `from` to `to` (at most a month)."""
    if principal.user_id is None:
        raise PermissionDenied("API tokens have no schedule of their own; sign in as the agent")
    first = parse_day(from_, "from") or d.clock.now().astimezone(UTC).date()
    last = parse_day(to, "to") or first + timedelta(days=6)
    days = (last - first).days + 1
    if not 1 <= days <= MAX_DAYS_READ:
        raise ValidationFailed(f"to must be on or after from, and at most {MAX_DAYS_READ} days later", field="to")
    return [shift_out(s) for s in schedules.shifts_for(d, principal, principal.user_id, first, days)]
