"""The staffing calculator page: agents for one interval (Erlang C, or A with patience), as a GET form.

The form is a plain GET (bookmarkable, nothing changes, so no CSRF token); its values are read as
text so that a bad one is shown beside the form (422, the form kept as typed), never as an error page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from helpline.domain.errors import ValidationFailed
from helpline.domain.permissions import Action
from helpline.services import staffing
from helpline.web.charts import ChartSeries, chart
from helpline.web.routes.pages import InTenant, PageRoute, mark_page, render

router = APIRouter(include_in_schema=False, route_class=PageRoute, dependencies=[Depends(mark_page)])

Text = Annotated[str | None, Query(max_length=32)]
PAGE_BELOW, PAGE_ABOVE = 3, 5  # rows of the table and points of the chart around the answer


@dataclass(frozen=True)
class FormField:
    """One input of the calculator: its name in the URL, its label, default, and whether it may be empty."""

    name: str
    label: str
    default: str
    unit: str
    optional: bool = False
    hint: str = ""


FIELDS = (
    FormField("calls", "Calls per interval", "100", "calls"),
    FormField("interval", "Interval length", "30", "minutes", hint="5 to 1440 minutes, dividing a day"),
    FormField("aht", "Average handle time", "180", "seconds"),
    FormField("target", "Answer within", "20", "seconds"),
    FormField("service_level", "Service level target", "80", "%", optional=True, hint="empty: no service-level target"),
    FormField("asa", "Average speed of answer target", "", "seconds", optional=True),
    FormField("patience", "Mean patience", "", "seconds", optional=True, hint="set it to use Erlang A (abandonment)"),
    FormField("abandon", "Abandonment target", "", "%", optional=True, hint="needs patience"),
    FormField("shrinkage", "Shrinkage", "30", "%"),
    FormField("max_occupancy", "Maximum occupancy", "90", "%", optional=True, hint="empty: no cap"),
)


def _read(values: dict[str, str], errors: dict[str, str]) -> dict[str, float | None]:
    """Numbers from the form's text; a field that is not a number gets an error of its own."""
    numbers: dict[str, float | None] = {}
    for f in FIELDS:
        raw = values[f.name]
        if not raw:
            if not f.optional:
                errors[f.name] = f"{f.label} is needed."
            numbers[f.name] = None
            continue
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            errors[f.name] = f"{f.label} must be a number."
            numbers[f.name] = None
        else:
            numbers[f.name] = number
    return numbers


# The service names fields as the API does; the form's own names, to mark the right input.
SERVICE_FIELDS = {
    "calls": "calls",
    "interval_minutes": "interval",
    "aht": "aht",
    "target_seconds": "target",
    "service_level_percent": "service_level",
    "asa_seconds": "asa",
    "patience_seconds": "patience",
    "abandon_percent": "abandon",
    "shrinkage_percent": "shrinkage",
    "max_occupancy_percent": "max_occupancy",
    "abandon": "abandon",
    "load": "calls",
}


def _calculate(numbers: dict[str, float | None], tp: InTenant) -> dict[str, Any]:
    interval = numbers["interval"]
    if interval is None or interval != int(interval):
        raise ValidationFailed("the interval must be a whole number of minutes", field="interval_minutes")
    targets = staffing.Targets(
        target_seconds=numbers["target"] or 0.0,
        service_level_percent=numbers["service_level"],
        asa_seconds=numbers["asa"],
        patience_seconds=numbers["patience"],
        abandon_percent=numbers["abandon"],
        shrinkage_percent=numbers["shrinkage"] or 0.0,
        max_occupancy_percent=numbers["max_occupancy"],
    )
    return staffing.erlang(
        tp.t.principal,
        numbers["calls"] or 0.0,
        int(interval),
        numbers["aht"] or 0.0,
        targets,
        below=PAGE_BELOW,
        above=PAGE_ABOVE,
    )


def _chart(answer: dict[str, Any]) -> Any:
    rows = answer["neighbours"]
    labels = [str(r["agents"]) for r in rows]

    def percent(key: str) -> list[float | None]:
        return [None if r[key] is None else 100 * r[key] for r in rows]

    series = [
        ChartSeries("Service level (%)", percent("service_level"), kind="line", tone="primary"),
        ChartSeries("Occupancy (%)", percent("occupancy"), kind="line", tone="secondary"),
    ]
    if answer["model"] == "erlang_a":
        series.append(ChartSeries("Abandoned (%)", percent("p_abandon"), kind="line", tone="bad"))
    return chart(labels, series, title="Service level and occupancy by agents on the phones", y_label="%", y_max=100)


@router.get("/t/{tenant}/workforce/staffing")
def staffing_page(
    tp: InTenant,
    calls: Text = None,
    interval: Text = None,
    aht: Text = None,
    target: Text = None,
    service_level: Text = None,
    asa: Text = None,
    patience: Text = None,
    abandon: Text = None,
    shrinkage: Text = None,
    max_occupancy: Text = None,
) -> Response:
    """The calculator: the form on the left (prefilled with the textbook case), the answer on the right."""
    tp.t.require(Action.PLAN)
    tp.page.section = "workforce"
    given = {
        "calls": calls,
        "interval": interval,
        "aht": aht,
        "target": target,
        "service_level": service_level,
        "asa": asa,
        "patience": patience,
        "abandon": abandon,
        "shrinkage": shrinkage,
        "max_occupancy": max_occupancy,
    }
    # A parameter left out of the URL takes its default (the textbook case on a first visit, and a
    # bookmark such as ?calls=250 works); one sent empty stays empty (an optional target switched off).
    values = {f.name: f.default if given[f.name] is None else (given[f.name] or "").strip() for f in FIELDS}
    errors: dict[str, str] = {}
    numbers = _read(values, errors)
    answer = None
    if not errors:
        try:
            answer = _calculate(numbers, tp)
        except ValidationFailed as exc:
            errors[SERVICE_FIELDS.get(exc.field or "", "")] = exc.detail[:1].upper() + exc.detail[1:] + "."
    return render(
        "workforce_staffing.html",
        tp.page,
        status=422 if errors else 200,
        fields=FIELDS,
        values=values,
        errors=errors,
        answer=answer,
        chart=_chart(answer) if answer else None,
    )
