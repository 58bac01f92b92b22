"""Staffing calculator use cases: agents for one interval (with its neighbours), and a plan per interval.

The command line, the JSON API and the calculator page all call these. They read no tenant data:
the inputs are the caller's own numbers, so the only check is that the caller's role may plan.
Targets arrive as people write them (percentages, seconds) and leave as plain dicts of numbers
in which a value that has none (ASA when nobody is answered) is None, never NaN or infinity.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final, TextIO

import numpy as np

from helpline.domain.errors import ValidationFailed
from helpline.domain.permissions import Action, Principal, require
from helpline.domain.workforce.erlang import metrics_a, metrics_c, offered_load
from helpline.domain.workforce.planning import (
    MAX_INTERVALS,
    BacklogTarget,
    IntervalPlan,
    LiveTarget,
    plan_backlog,
    plan_live,
    staff_live,
    summarise,
)

CHANNELS: Final = ("voice", "chat", "email")
LIVE_CHANNELS: Final = frozenset({"voice", "chat"})
MAX_CALLS: Final = 1_000_000.0  # contacts in one interval
MAX_AHT: Final = 86_400.0  # seconds
MAX_TARGET_SECONDS: Final = 86_400.0
MAX_PATIENCE: Final = 86_400.0
MAX_DEADLINE_HOURS: Final = 24 * 31.0
MAX_SHRINKAGE_PERCENT: Final = 95.0
NEIGHBOURS_BELOW: Final = 2
NEIGHBOURS_ABOVE: Final = 3
MAX_NEIGHBOURS: Final = 40


@dataclass(frozen=True, slots=True)
class Targets:
    """Targets as people state them: seconds and percentages (None: not set)."""

    target_seconds: float = 20.0
    service_level_percent: float | None = 80.0
    asa_seconds: float | None = None
    patience_seconds: float | None = None  # set: Erlang A
    abandon_percent: float | None = None
    shrinkage_percent: float = 30.0
    max_occupancy_percent: float | None = 90.0
    deadline_hours: float = 48.0  # email


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One interval of a plan's input: when it starts, the contacts it brings, and optionally its own aht."""

    start: datetime
    calls: float
    aht: float | None = None
    open: bool = True  # email: may agents work the queue then


# ------------------------------------------------------------------------------------ conversions


def _number(value: float | None, field: str, low: float, high: float, *, open_low: bool = False) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(f"{field} must be a finite number", field=field)
    if value < low or value > high or (open_low and value == low):
        bracket = "(" if open_low else "["
        raise ValidationFailed(f"{field} must lie in {bracket}{low:g}, {high:g}]", field=field)
    return float(value)


def _share(percent: float | None, field: str, *, allow_hundred: bool = False) -> float | None:
    if percent is None:
        return None
    value = _number(percent, field, 0.0, 100.0, open_low=True)
    if value == 100.0 and not allow_hundred:
        raise ValidationFailed(f"{field} must be below 100 (no queue answers every call in time)", field=field)
    return value / 100.0


def live_target(targets: Targets) -> LiveTarget:
    """The domain's LiveTarget from percentages, every value checked and named on error."""
    patience = targets.patience_seconds
    if patience is not None:
        patience = _number(patience, "patience_seconds", 0.0, MAX_PATIENCE, open_low=True)
    abandon = _share(targets.abandon_percent, "abandon_percent")
    if abandon is not None and patience is None:
        raise ValidationFailed("an abandonment target needs the callers' patience (Erlang A)", field="abandon_percent")
    asa = targets.asa_seconds
    if asa is not None:
        asa = _number(asa, "asa_seconds", 0.0, MAX_TARGET_SECONDS, open_low=True)
    service_level = _share(targets.service_level_percent, "service_level_percent")
    if service_level is None and asa is None and abandon is None:
        raise ValidationFailed(
            "set a target: service level, average speed of answer or abandonment", field="service_level_percent"
        )
    return LiveTarget(
        target_seconds=_number(targets.target_seconds, "target_seconds", 0.0, MAX_TARGET_SECONDS),
        service_level=service_level,
        patience=patience,
        asa_seconds=asa,
        abandon_rate=abandon,
        shrinkage=_number(targets.shrinkage_percent, "shrinkage_percent", 0.0, MAX_SHRINKAGE_PERCENT) / 100.0,
        max_occupancy=_share(targets.max_occupancy_percent, "max_occupancy_percent", allow_hundred=True),
    )


def backlog_target(targets: Targets, open_intervals: Sequence[bool] | None) -> BacklogTarget:
    return BacklogTarget(
        deadline_hours=_number(targets.deadline_hours, "deadline_hours", 0.0, MAX_DEADLINE_HOURS, open_low=True),
        shrinkage=_number(targets.shrinkage_percent, "shrinkage_percent", 0.0, MAX_SHRINKAGE_PERCENT) / 100.0,
        open_intervals=open_intervals,
    )


def check_interval_minutes(minutes: int) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 1440 or 1440 % minutes:
        raise ValidationFailed(
            "interval_minutes must be 5 to 1440 and divide a day (5, 10, 15, 20, 30, 60 ...)", field="interval_minutes"
        )
    return minutes


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# ---------------------------------------------------------------------------------- one interval


def erlang(
    principal: Principal,
    calls: float,
    interval_minutes: int,
    aht: float,
    targets: Targets,
    *,
    below: int = NEIGHBOURS_BELOW,
    above: int = NEIGHBOURS_ABOVE,
) -> dict[str, Any]:
    """Agents one interval needs (Erlang C, or A when patience is set) and the staffings around it.

    `neighbours` runs from `below` agents under the answer to `above` over it, each row with its
    service level, ASA, P(wait), abandonment and occupancy, so the price of one agent more or less
    is plain to see; `meets` marks the rows that reach every target."""
    require(principal, Action.PLAN)
    count = _number(calls, "calls", 0.0, MAX_CALLS)
    handle = _number(aht, "aht", 1.0, MAX_AHT)
    minutes = check_interval_minutes(interval_minutes)
    target = live_target(targets)
    if not (0 <= below <= MAX_NEIGHBOURS and 0 <= above <= MAX_NEIGHBOURS):
        raise ValidationFailed(f"show at most {MAX_NEIGHBOURS} neighbours each side", field="neighbours")
    load = offered_load(count, minutes * 60.0, handle)
    staffing = staff_live(np.asarray([load]), np.asarray([handle]), target).at((0,))
    lowest = 1 if load > 0 else 0
    agents = np.arange(max(lowest, staffing.required - below), staffing.required + above + 1)
    if target.patience is None:
        grid = metrics_c(load, agents, handle, target.target_seconds)
    else:
        grid = metrics_a(load, agents, handle, target.target_seconds, target.patience)
    shrinkage = target.shrinkage
    neighbours = []
    for i, n in enumerate(agents.tolist()):
        neighbours.append(
            {
                "agents": n,
                "scheduled": math.ceil(n / (1.0 - shrinkage) - 1e-9),
                "service_level": _finite(grid.service_level[i]),
                "asa": _finite(grid.asa[i]),
                "p_wait": _finite(grid.p_wait[i]),
                "p_abandon": _finite(grid.p_abandon[i]) if target.patience is not None else None,
                "occupancy": _finite(grid.occupancy[i]),
                # The search returns the fewest agents meeting every target, and each metric
                # improves with every agent: the rows from the answer up meet, those below miss.
                "meets": n >= staffing.required,
                "answer": n == staffing.required,
            }
        )
    m = staffing.metrics
    return {
        "model": target.model,
        "calls": count,
        "interval_minutes": minutes,
        "aht": handle,
        "load": load,
        "for_target": staffing.for_target,
        "for_occupancy": staffing.for_occupancy,
        "required": staffing.required,
        "scheduled": staffing.scheduled,
        "service_level": _finite(m.service_level),
        "asa": _finite(m.asa),
        "p_wait": _finite(m.p_wait),
        "p_abandon": _finite(m.p_abandon) if target.patience is not None else None,
        "occupancy": _finite(m.occupancy),
        "targets": {key: value for key, value in asdict(targets).items() if key != "deadline_hours"},
        "neighbours": neighbours,
    }


# ------------------------------------------------------------------------------ many intervals


def plan(
    principal: Principal,
    rows: Sequence[IntervalRow],
    interval_minutes: int,
    channel: str,
    targets: Targets,
    aht: float | None = None,
) -> dict[str, Any]:
    """A staffing plan per interval: Erlang C or A for voice and chat, the deadline backlog for email.

    Each row may carry its own handle time; `aht` serves the rows that do not."""
    require(principal, Action.PLAN)
    if channel not in CHANNELS:
        raise ValidationFailed(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    minutes = check_interval_minutes(interval_minutes)
    if not rows:
        raise ValidationFailed("a plan needs at least one interval", field="intervals")
    if len(rows) > MAX_INTERVALS:
        raise ValidationFailed(f"a plan holds at most {MAX_INTERVALS:,} intervals", field="intervals")
    default_aht = None if aht is None else _number(aht, "aht", 1.0, MAX_AHT)
    handle: list[float] = []
    for number, row in enumerate(rows, start=1):
        own = row.aht if row.aht is not None else default_aht
        if own is None:
            raise ValidationFailed(f"interval {number} has no handle time: give aht for it or for all", field="aht")
        try:
            handle.append(_number(own, "aht", 1.0, MAX_AHT))
            _number(row.calls, "calls", 0.0, MAX_CALLS)
        except ValidationFailed as exc:
            raise ValidationFailed(f"interval {number}: {exc.detail}", field=exc.field) from None
    starts = [row.start for row in rows]
    volumes = [float(row.calls) for row in rows]
    result: dict[str, Any] = {"channel": channel, "interval_minutes": minutes}
    if channel in LIVE_CHANNELS:
        live = live_target(targets)
        plans = plan_live(starts, volumes, handle, minutes, live)
        result["model"] = live.model
    else:
        backlog = backlog_target(targets, [row.open for row in rows])
        plans = plan_backlog(starts, volumes, handle, minutes, backlog)
        result["model"] = "backlog"
        result["deadline_hours"] = backlog.deadline_hours
    summary = summarise(plans, minutes)
    result["intervals"] = [_interval(p) for p in plans]
    result["summary"] = {
        key: _finite(value) if isinstance(value, float) else value for key, value in asdict(summary).items()
    }
    return result


def _interval(p: IntervalPlan) -> dict[str, Any]:
    return {
        "start": p.start.isoformat(),
        "calls": p.volume,
        "aht": p.aht,
        "load": p.load,
        "required": p.required,
        "scheduled": p.scheduled,
        "service_level": _finite(p.service_level),
        "asa": _finite(p.asa),
        "p_wait": _finite(p.p_wait),
        "p_abandon": _finite(p.p_abandon),
        "occupancy": _finite(p.occupancy),
        "backlog": _finite(p.backlog),
        "oldest_age_hours": None if p.oldest_age is None else p.oldest_age / 3600.0,
    }


# ---------------------------------------------------------------------------------------- files


def read_intervals(stream: TextIO, max_rows: int = MAX_INTERVALS) -> list[IntervalRow]:
    """Rows with columns `start` (ISO date and time) and `calls`, optionally `aht` (seconds) and `open`
    (1/0, yes/no, true/false: may agents work email then). A bad row is refused with its line number."""
    reader = csv.DictReader(stream)
    names = {(name or "").strip().lower() for name in reader.fieldnames or ()}
    missing = {"start", "calls"} - names
    if missing:
        raise ValidationFailed(
            f"the file needs the columns start and calls (missing: {', '.join(sorted(missing))})", field="file"
        )
    rows: list[IntervalRow] = []
    for row in reader:
        line = reader.line_num
        if len(rows) >= max_rows:
            raise ValidationFailed(f"line {line}: more than {max_rows:,} intervals", field="file")
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str | None)}
        try:
            start = datetime.fromisoformat(cells["start"])
            calls = float(cells["calls"])
            aht = float(cells["aht"]) if cells.get("aht") else None
        except ValueError:
            raise ValidationFailed(f"line {line}: start, calls or aht is not readable", field="file") from None
        opened = cells.get("open", "") or "1"
        if opened.lower() not in {"1", "0", "yes", "no", "true", "false"}:
            raise ValidationFailed(f"line {line}: open must be 1 or 0 (yes/no, true/false)", field="file")
        for name, value in (("calls", calls), ("aht", aht)):
            if value is not None and not math.isfinite(value):
                raise ValidationFailed(f"line {line}: {name} must be a finite number", field="file")
        rows.append(IntervalRow(start, calls, aht, opened.lower() in {"1", "yes", "true"}))
    if not rows:
        raise ValidationFailed("the file holds no intervals", field="file")
    return rows
