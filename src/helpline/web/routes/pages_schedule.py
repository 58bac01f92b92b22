"""Workforce pages "Schedule" and "Intraday": the week's coverage and roster (build and publish), and
today's actual vs forecast, re-forecast, required vs scheduled, and agents' adherence.

Filters are GET forms (bookmarkable); building and publishing are POST forms with the CSRF field.
Charts are server-side SVG (web/charts.py), so the pages need no script. Times are shown in the
tenant's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Response
from fastapi import Path as FastPath
from fastapi.responses import RedirectResponse

from helpline.domain.errors import ValidationFailed
from helpline.domain.pagination import MAX_LIMIT
from helpline.domain.permissions import Action
from helpline.services import intraday, queues, schedules
from helpline.web.charts import ChartSeries, chart
from helpline.web.routes.pages import CsrfChecked, InTenant, PageRoute, TenantPage, mark_page, render

router = APIRouter(include_in_schema=False, route_class=PageRoute, dependencies=[Depends(mark_page)])

# Raw strings: a bad value is shown beside its field on the page, not turned into an error page.
Text = Annotated[str, Query(max_length=20)]
FormText = Annotated[str, Form(max_length=20)]
WeekId = Annotated[int, FastPath(ge=1, lt=2**63)]
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day(raw: str, field: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"{field} must be a date (YYYY-MM-DD)", field=field) from None


def _today(tp: TenantPage) -> date:
    return tp.page.now.astimezone(tp.page.zone).date()


# --- schedule ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftCell:
    """One shift in a roster cell, in the tenant's local time: "09:00", "17:00", "break 10:30, lunch 12:30"."""

    start: str
    end: str
    breaks: str


@dataclass(frozen=True)
class RosterRow:
    """One agent's week on the roster: per day of the week, the shifts starting that day."""

    name: str
    days: tuple[tuple[ShiftCell, ...], ...]
    hours: float


def _cell(shift: Any, zone: Any) -> ShiftCell:
    def hhmm(value: Any) -> str:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.astimezone(zone).strftime("%H:%M")

    off = [f"{a['kind']} {hhmm(a['start'])}" for a in shift.activities if a.get("kind") != "work"]
    return ShiftCell(hhmm(shift.starts_at), hhmm(shift.ends_at), ", ".join(off))


def _roster(tp: TenantPage, view: schedules.TenantWeek) -> tuple[list[RosterRow], list[int]]:
    """Roster rows by agent name, and the unstaffed shifts per day."""
    zone = tp.page.zone
    monday = view.week_start
    by_agent: dict[int, list[Any]] = {}
    unstaffed = [0] * 7
    for shift in view.shifts or ():
        offset = (shift.starts_at.astimezone(zone).date() - monday).days
        if shift.user_id is None:
            if 0 <= offset < 7:
                unstaffed[offset] += 1
            continue
        by_agent.setdefault(shift.user_id, []).append(shift)
    rows = []
    for shifts in by_agent.values():
        days: list[list[ShiftCell]] = [[] for _ in range(7)]
        for shift in shifts:
            offset = (shift.starts_at.astimezone(zone).date() - monday).days
            days[min(max(offset, 0), 6)].append(_cell(shift, zone))
        hours = sum((s.ends_at - s.starts_at).total_seconds() for s in shifts) / 3600
        rows.append(RosterRow(shifts[0].agent_name or "", tuple(tuple(d) for d in days), hours))
    rows.sort(key=lambda r: r.name.lower())
    return rows, unstaffed


def _schedule_page(tp: TenantPage, week: str, *, error: str | None = None, status: int = 200) -> Response:
    t = tp.t
    tp.page.section = "workforce"
    may_schedule = t.principal.may(Action.SCHEDULE)
    view = None
    try:
        day = _day(week, "week") or _today(tp)
        monday = schedules.monday_of(day)
        view = schedules.week(t.deps, t.principal, t.tenant_id, monday)
    except ValidationFailed as exc:
        error, status = exc.detail, 422
        monday = schedules.monday_of(_today(tp))
    values: dict[str, Any] = {}
    if view is not None and view.status is not None:
        zone = tp.page.zone
        labels = [s.astimezone(zone).strftime("%a %H:%M") for s in view.starts]
        values["coverage_chart"] = chart(
            labels,
            [
                ChartSeries("Required", view.required, kind="bar", tone="primary"),
                ChartSeries("Scheduled", view.scheduled, kind="step", tone="good"),
            ],
            title=f"Agents per {view.interval_minutes} minutes, required vs scheduled",
            y_label="agents",
        )
        hours = view.interval_minutes / 60
        values["group_rows"] = [
            {
                "name": g.queue_name,
                "required": sum(g.required) * hours,
                "scheduled": sum(g.scheduled) * hours,
                "short": sum(max(r - s, 0.0) for r, s in zip(g.required, g.scheduled, strict=False)) * hours,
            }
            for g in view.groups
        ]
        if view.shifts is not None:
            values["roster"], values["unstaffed"] = _roster(tp, view)
    return render(
        "workforce_schedule.html",
        tp.page,
        status=status,
        error=error,
        week=week.strip() or monday.isoformat(),
        monday=monday,
        days=[(DAY_NAMES[i], monday + timedelta(days=i)) for i in range(7)],
        view=view,
        may_schedule=may_schedule,
        intervals=schedules.INTERVALS,
        previous_week=(monday - timedelta(days=7)).isoformat(),
        next_week=(monday + timedelta(days=7)).isoformat(),
        **values,
    )


@router.get("/t/{tenant}/workforce/schedule")
def schedule_page(tp: InTenant, week: Text = "") -> Response:
    """The week's required vs scheduled coverage; the roster, Build and Publish for supervisors."""
    tp.t.require(Action.PLAN)
    return _schedule_page(tp, week)


@router.post("/t/{tenant}/workforce/schedule/build", dependencies=[CsrfChecked])
def schedule_build(tp: InTenant, week: FormText = "", interval: FormText = "30") -> Response:
    """Build the week for every client you reach (it stays a draft until published)."""
    t = tp.t
    t.require(Action.SCHEDULE)
    try:
        monday = schedules.check_week_start(schedules.monday_of(_day(week, "week") or _today(tp)))
        try:
            minutes = int(interval)
        except ValueError:
            raise ValidationFailed("interval must be 15, 30 or 60 minutes", field="interval") from None
        schedules.build_week(t.deps, t.principal, monday, interval_minutes=minutes)
    except ValidationFailed as exc:
        return _schedule_page(tp, week, error=exc.detail, status=422)
    return RedirectResponse(f"/t/{t.tenant.slug}/workforce/schedule?week={monday.isoformat()}", status_code=303)


@router.post("/t/{tenant}/workforce/schedule/{week_id}/publish", dependencies=[CsrfChecked])
def schedule_publish(tp: InTenant, week_id: WeekId) -> Response:
    t = tp.t
    t.require(Action.SCHEDULE)
    outcome = schedules.publish(t.deps, t.principal, week_id)
    return RedirectResponse(
        f"/t/{t.tenant.slug}/workforce/schedule?week={outcome.week_start.isoformat()}", status_code=303
    )


# --- intraday ---------------------------------------------------------------------------------------------


@router.get("/t/{tenant}/workforce/intraday")
def intraday_page(
    tp: InTenant, queue: Text = "", date_: Annotated[str, Query(alias="date", max_length=20)] = ""
) -> Response:
    """Actual vs forecast today, the re-forecast, required vs scheduled; adherence for supervisors."""
    t = tp.t
    t.require(Action.PLAN)
    tp.page.section = "workforce"
    all_queues, _total = queues.list_queues(t.deps, t.principal, t.tenant_id, limit=MAX_LIMIT)
    error: str | None = None
    view = None
    adherence_rows = None
    day = _today(tp)
    try:
        queue_id = None
        if queue.strip():
            try:
                queue_id = int(queue)
            except ValueError:
                raise ValidationFailed("queue must be a queue of this client", field="queue") from None
            if not any(q.id == queue_id for q in all_queues):
                raise ValidationFailed("queue must be a queue of this client", field="queue")
        day = _day(date_, "date") or day
        view = intraday.today(t.deps, t.principal, t.tenant_id, queue_id=queue_id, day=day, now=tp.page.now)
        if t.principal.may(Action.SCHEDULE):
            adherence_rows = intraday.adherence(t.deps, t.principal, t.tenant_id, day, now=tp.page.now)
    except ValidationFailed as exc:
        error = exc.detail
    values: dict[str, Any] = {}
    if view is not None and view.starts:
        zone = tp.page.zone
        labels = [s.astimezone(zone).strftime("%H:%M") for s in view.starts]
        values["volume_chart"] = chart(
            labels,
            [
                ChartSeries("Actual", list(view.actual), kind="bar", tone="primary"),
                ChartSeries("Forecast", list(view.forecast), kind="line", tone="muted"),
                ChartSeries(
                    "Re-forecast",
                    [v if i >= view.completed else None for i, v in enumerate(view.reforecast)],
                    kind="line",
                    tone="secondary",
                ),
            ],
            title=f"Contacts per {view.interval_minutes} minutes",
            y_label="contacts",
        )
        values["staff_chart"] = chart(
            labels,
            [
                ChartSeries("Required (re-planned)", [float(v) for v in view.required_now], kind="bar", tone="primary"),
                ChartSeries("Scheduled", list(view.scheduled), kind="step", tone="good"),
            ],
            title="Agents per interval, required vs scheduled",
            y_label="agents",
        )
        values["under_left"] = sum(1 for i, u in enumerate(view.understaffed) if u and i >= view.completed)
    return render(
        "workforce_intraday.html",
        tp.page,
        status=422 if error else 200,
        error=error,
        queues=all_queues,
        queue=queue.strip(),
        date=date_.strip() or day.isoformat(),
        view=view,
        adherence=adherence_rows,
        **values,
    )
