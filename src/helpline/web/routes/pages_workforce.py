"""Workforce-management pages: "Forecast & plan", the section's first tab.

The filter bar is a GET form (bookmarkable, no CSRF needed); the forecast, staffing and charts
are computed on the server and drawn as SVG, so the page needs no script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from helpline.domain.errors import ValidationFailed
from helpline.domain.pagination import MAX_LIMIT
from helpline.domain.permissions import Action
from helpline.domain.vocabulary import Channel
from helpline.services import queues, workforce
from helpline.web.charts import ChartSeries, chart
from helpline.web.routes.pages import InTenant, PageRoute, mark_page, render

router = APIRouter(include_in_schema=False, route_class=PageRoute, dependencies=[Depends(mark_page)])

# Raw strings: a bad value is shown beside its field on the page, not turned into an error page.
Text = Annotated[str, Query(max_length=20)]
Dates = Annotated[str, Query(max_length=4000)]


@dataclass(frozen=True)
class Filters:
    """The filter bar as typed (echoed back into the form) and as understood."""

    queue: str
    channel: str
    interval: str
    days: str
    start: str
    special_days: str = ""


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", field=name) from None


def _parse(f: Filters) -> dict[str, Any]:
    queue_id = _int(f.queue, "queue") if f.queue else None
    if queue_id is not None and not 0 < queue_id < 2**63:
        raise ValidationFailed("queue must be a queue of this client", field="queue")
    start = None
    if f.start:
        try:
            start = date.fromisoformat(f.start)
        except ValueError:
            raise ValidationFailed("start must be a date (YYYY-MM-DD)", field="start") from None
    return {
        "queue_id": queue_id,
        "channel": f.channel or None,
        "interval_minutes": _int(f.interval, "interval"),
        "days": _int(f.days, "days"),
        "start": start,
        "special_days": workforce.parse_special_days(f.special_days),
    }


@router.get("/t/{tenant}/workforce")
def forecast_and_plan(
    tp: InTenant,
    queue: Text = "",
    channel: Text = "",
    interval: Text = "30",
    days: Text = "7",
    start: Text = "",
    special_days: Dates = "",
) -> Response:
    """A queue's forecast (volume, handle time), its backtest and the agents it needs, interval by interval."""
    t = tp.t
    t.require(Action.PLAN)  # agents: 403 before anything is read
    tp.page.section = "workforce"
    filters = Filters(
        queue.strip(), channel.strip().lower(), interval.strip(), days.strip(), start.strip(), special_days.strip()
    )
    all_queues, _total = queues.list_queues(t.deps, t.principal, t.tenant_id, limit=MAX_LIMIT)
    error: str | None = None
    error_field: str | None = None
    result = None
    try:
        result = workforce.plan(t.deps, t.principal, t.tenant_id, **_parse(filters))
    except ValidationFailed as exc:
        error, error_field = exc.detail, exc.field
    values: dict[str, Any] = {}
    if result is not None and result.has_history:
        values = _views(result)
    return render(
        "workforce_plan.html",
        tp.page,
        status=422 if error else 200,
        filters=filters,
        queues=all_queues,
        channels=[c.value for c in Channel],
        intervals=workforce.INTERVALS,
        max_days=workforce.MAX_DAYS,
        error=error,
        error_field=error_field,
        result=result,
        **values,
    )


def _views(result: workforce.QueuePlan) -> dict[str, Any]:
    """Charts, tiles and tables of a plan."""
    labels = [i.start.strftime("%a %H:%M") for i in result.intervals]
    volume_chart = chart(
        labels,
        [
            ChartSeries("Same time last week", list(result.last_week), kind="line", tone="muted"),
            ChartSeries("Forecast", [i.volume for i in result.intervals], kind="line", tone="primary"),
        ],
        title=f"Contacts per {result.interval_minutes} minutes",
        y_label="contacts",
    )
    staff_chart = chart(
        labels,
        [
            ChartSeries("Required", [float(i.required) for i in result.intervals], kind="bar", tone="primary"),
            ChartSeries(
                "To schedule (with shrinkage)",
                [float(i.scheduled) for i in result.intervals],
                kind="step",
                tone="secondary",
            ),
        ],
        title="Agents per interval",
        y_label="agents",
    )
    bt = result.backtest
    tone = "" if bt is None or bt.improvement is None else ("good" if bt.improvement > 0 else "bad")
    return {
        "volume_chart": volume_chart,
        "staff_chart": staff_chart,
        "day_rows": workforce.by_day(result),
        "backtest_tone": tone,
    }
