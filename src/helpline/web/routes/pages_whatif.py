"""The what-if simulator page: a day as planned against the same day changed, as a GET form.

The form is a plain GET (bookmarkable, nothing is stored, so no CSRF token); its values are read as
text so that a bad one is shown beside the form (422, the form kept as typed). A first visit, with
no parameters, shows the form and an empty state: a simulation runs only when asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from helpline.domain.errors import RateLimited, ValidationFailed
from helpline.domain.pagination import MAX_LIMIT
from helpline.domain.permissions import Action
from helpline.domain.routing.model import Strategy
from helpline.services import queues, simulation
from helpline.web.charts import ChartSeries, chart
from helpline.web.routes.pages import InTenant, PageRoute, mark_page, render

router = APIRouter(include_in_schema=False, route_class=PageRoute, dependencies=[Depends(mark_page)])

Text = Annotated[str | None, Query(max_length=32)]
STRATEGIES = (
    (Strategy.LONGEST_IDLE.value, "Longest idle"),
    (Strategy.MOST_PROFICIENT.value, "Most proficient"),
    (Strategy.LEAST_OCCUPIED.value, "Least occupied"),
)


@dataclass(frozen=True)
class NumberField:
    """A numeric input: its name in the URL (and in the service's Scenario), label, unit, default."""

    name: str
    label: str
    unit: str
    default: str
    optional: bool = False
    whole: bool = False
    hint: str = ""


DAY_FIELDS = (
    NumberField("volume", "Calls per interval", "calls", "100", hint="manual day: the same volume every interval"),
    NumberField("hours", "Hours simulated", "h", "8", whole=True, hint="manual day: 1 to 24"),
    NumberField("aht_seconds", "Average handle time", "s", "180", hint="forecast: used where the plan has none"),
    NumberField("agents", "Agents on duty", "agents", "14", whole=True, hint="manual day; a forecast uses its plan"),
    NumberField("patience_seconds", "Mean patience", "s", "120", optional=True, hint="empty: nobody hangs up"),
    NumberField("target_seconds", "Answer within", "s", "20"),
)
CHANGE_FIELDS = (
    NumberField("staff_change_pct", "Staff change", "%", "10", hint="+10: one agent more in ten"),
    NumberField("volume_change_pct", "Volume change", "%", "0"),
    NumberField("aht_change_pct", "Handle time change", "%", "0"),
    NumberField("seed", "Random seed", "", "1", whole=True, hint="the same seed gives the same calls"),
)
NUMBER_FIELDS = DAY_FIELDS + CHANGE_FIELDS
CHOICES = {
    "source": ("manual", "forecast"),
    "interval_minutes": ("15", "30", "60"),
    "strategy": tuple(s for s, _ in STRATEGIES),
    "scenario_strategy": ("", *(s for s, _ in STRATEGIES)),
}
CHOICE_DEFAULTS = {"source": "manual", "interval_minutes": "30", "strategy": "longest_idle", "scenario_strategy": ""}
FORM_NAMES = (*(f.name for f in NUMBER_FIELDS), *CHOICES, "queue_id", "day")


def _read(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The Scenario's arguments from the form's text; each unreadable field gets its own error."""
    out: dict[str, Any] = {}
    for f in NUMBER_FIELDS:
        raw = values[f.name]
        if not raw:
            if f.optional:
                out[f.name] = None
            else:
                errors[f.name] = f"{f.label} is needed."
            continue
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or (f.whole and number != int(number)):
            errors[f.name] = f"{f.label} must be a {'whole ' if f.whole else ''}number."
            continue
        out[f.name] = int(number) if f.whole else number
    for name, allowed in CHOICES.items():
        if values[name] not in allowed:
            errors[name] = f"Choose one of the listed {name.replace('_', ' ')} options."
    out["source"] = values["source"]
    out["interval_minutes"] = int(values["interval_minutes"]) if values["interval_minutes"].isdigit() else 30
    out["strategy"] = values["strategy"]
    out["scenario_strategy"] = values["scenario_strategy"] or None
    queue_text = values["queue_id"]
    if queue_text:
        if not queue_text.isdigit() or len(queue_text) > 18:
            errors["queue_id"] = "Choose a queue from the list."
        else:
            out["queue_id"] = int(queue_text)
    if values["day"]:
        try:
            out["day"] = date.fromisoformat(values["day"])
        except ValueError:
            errors["day"] = "The day must be a date (YYYY-MM-DD)."
    return out


def _percent(values: Any, key: str) -> list[float | None]:
    return [100 * getattr(i, key) for i in values]


def _charts(result: simulation.WhatIf) -> tuple[Any, Any]:
    labels = list(result.labels)
    base, changed = result.baseline.result.intervals, result.changed.result.intervals
    service = chart(
        labels,
        [
            ChartSeries("Baseline", _percent(base, "service_level"), kind="line", tone="muted"),
            ChartSeries("Scenario", _percent(changed, "service_level"), kind="line", tone="primary"),
        ],
        title="Service level per interval (%)",
        y_label="%",
        y_max=100,
    )
    abandon = chart(
        labels,
        [
            ChartSeries("Baseline", _percent(base, "abandon_rate"), kind="line", tone="muted"),
            ChartSeries("Scenario", _percent(changed, "abandon_rate"), kind="line", tone="bad"),
        ],
        title="Abandoned calls per interval (%)",
        y_label="%",
    )
    return service, abandon


@dataclass(frozen=True)
class Tile:
    """One KPI baseline vs scenario; `tone` says whether the change is good or bad news."""

    key: str
    label: str
    baseline: str
    scenario: str
    delta: str
    tone: str


def _tiles(result: simulation.WhatIf) -> list[Tile]:
    b, c = result.baseline.result.totals, result.changed.result.totals

    def pct(v: float) -> str:
        return f"{100 * v:.1f}%"

    def tone(delta: float, higher_is_better: bool, noise: float) -> str:
        if math.isnan(delta) or abs(delta) <= noise:
            return ""
        return "good" if (delta > 0) == higher_is_better else "bad"

    asa_delta = c.asa - b.asa if math.isfinite(c.asa) and math.isfinite(b.asa) else math.nan
    return [
        Tile(
            "sl",
            "Service level",
            pct(b.service_level),
            pct(c.service_level),
            f"{100 * (c.service_level - b.service_level):+.1f} pts",
            tone(c.service_level - b.service_level, True, 0.0005),
        ),
        Tile(
            "asa",
            "ASA",
            _seconds(b.asa),
            _seconds(c.asa),
            "–" if math.isnan(asa_delta) else f"{asa_delta:+.1f} s",
            tone(asa_delta, False, 0.05),
        ),
        Tile(
            "abandon",
            "Abandoned",
            pct(b.abandon_rate),
            pct(c.abandon_rate),
            f"{100 * (c.abandon_rate - b.abandon_rate):+.1f} pts",
            tone(c.abandon_rate - b.abandon_rate, False, 0.0005),
        ),
        # Occupancy is neither good nor bad by itself: the tile shows it without a verdict.
        Tile(
            "occupancy",
            "Occupancy",
            pct(b.occupancy),
            pct(c.occupancy),
            f"{100 * (c.occupancy - b.occupancy):+.1f} pts",
            "",
        ),
    ]


def _seconds(value: float) -> str:
    return "–" if math.isinf(value) else f"{value:.1f} s"


def _rows(result: simulation.WhatIf) -> list[dict[str, Any]]:
    rows = []
    for label, b, c, nb, nc in zip(
        result.labels,
        result.baseline.result.intervals,
        result.changed.result.intervals,
        result.baseline.agents,
        result.changed.agents,
        strict=False,
    ):
        rows.append(
            {
                "start": label,
                "b": b,
                "c": c,
                "asa_b": _seconds(b.asa),
                "asa_c": _seconds(c.asa),
                "agents_b": nb,
                "agents_c": nc,
                "worse": c.service_level < b.service_level,
            }
        )
    return rows


# The service's field names are the form's, except the error that names the whole scenario.
FIELD_OF_ERROR = {name: name for name in FORM_NAMES} | {"seeds": "seed"}


@router.get("/t/{tenant}/workforce/what-if")
def what_if_page(
    tp: InTenant,
    source: Text = None,
    volume: Text = None,
    hours: Text = None,
    aht_seconds: Text = None,
    agents: Text = None,
    patience_seconds: Text = None,
    target_seconds: Text = None,
    interval_minutes: Text = None,
    queue_id: Text = None,
    day: Text = None,
    staff_change_pct: Text = None,
    volume_change_pct: Text = None,
    aht_change_pct: Text = None,
    strategy: Text = None,
    scenario_strategy: Text = None,
    seed: Text = None,
) -> Response:
    """The form on the left; after a run, baseline vs scenario on the right (tiles, charts, table)."""
    tp.t.require(Action.PLAN)
    tp.page.section = "workforce"
    given = {
        "source": source,
        "volume": volume,
        "hours": hours,
        "aht_seconds": aht_seconds,
        "agents": agents,
        "patience_seconds": patience_seconds,
        "target_seconds": target_seconds,
        "interval_minutes": interval_minutes,
        "queue_id": queue_id,
        "day": day,
        "staff_change_pct": staff_change_pct,
        "volume_change_pct": volume_change_pct,
        "aht_change_pct": aht_change_pct,
        "strategy": strategy,
        "scenario_strategy": scenario_strategy,
        "seed": seed,
    }
    # A first visit (no parameters) shows the form and no result; a parameter left out of a link
    # takes its default, one sent empty stays empty (an error if it is needed).
    fresh = all(v is None for v in given.values())
    defaults = {f.name: f.default for f in NUMBER_FIELDS} | CHOICE_DEFAULTS | {"queue_id": "", "day": ""}
    values = {name: defaults[name] if given[name] is None else str(given[name]).strip() for name in FORM_NAMES}
    for name, default in CHOICE_DEFAULTS.items():
        values[name] = values[name] or default
    errors: dict[str, str] = {}
    result = None
    busy = False
    if not fresh:
        arguments = _read(values, errors)
        if not errors:
            try:
                result = simulation.what_if(tp.t.deps, tp.t.principal, tp.t.tenant_id, simulation.Scenario(**arguments))
            except ValidationFailed as exc:
                errors[FIELD_OF_ERROR.get(exc.field or "", "form")] = exc.detail[:1].upper() + exc.detail[1:] + "."
            except RateLimited as exc:  # another run is under way: keep the form, say to try again
                errors["form"] = exc.detail[:1].upper() + exc.detail[1:] + "."
                busy = True
    queue_list, _total = queues.list_queues(tp.t.deps, tp.t.principal, tp.t.tenant_id, limit=MAX_LIMIT)
    charts = _charts(result) if result else (None, None)
    return render(
        "workforce_whatif.html",
        tp.page,
        status=429 if busy else 422 if errors else 200,
        day_fields=DAY_FIELDS,
        change_fields=CHANGE_FIELDS,
        strategies=STRATEGIES,
        queues=queue_list,
        values=values,
        errors=errors,
        result=result,
        tiles=_tiles(result) if result else [],
        rows=_rows(result) if result else [],
        sl_chart=charts[0],
        abandon_chart=charts[1],
    )
