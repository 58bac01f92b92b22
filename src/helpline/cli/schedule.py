"""`helpline schedule`: shifts (and a roster per agent) covering a week's requirement, from files.

Input: a requirements CSV (columns start as YYYY-MM-DD HH:MM, skill (optional, default "all"),
required) covering one week from the first row's midnight, and optionally a JSON file with
"templates" and "agents" (see `schedule --help`). Missing intervals require nobody. No JSON: the
default templates (4, 6, 8 and 10 hours from 06:00 to 14:00) and stage 1 only (no named agents).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from helpline.cli.common import Failure, app, console, friendly
from helpline.domain.workforce.scheduling import (
    AgentContract,
    BreakRule,
    ScheduleResult,
    ShiftTemplate,
    build_schedule,
    default_templates,
)

MINUTES_PER_WEEK = 7 * 1440
MAX_ROWS = 7 * 1440 * 50  # a week of 1-minute intervals for 50 skill groups
CONFIG_HELP = (
    'JSON: {"templates": [{"name", "minutes", "earliest_start" ("HH:MM"), "latest_start", "start_step", '
    '"breaks": [{"kind": "break"|"lunch", "minutes", "earliest_after", "latest_after"}], "cost_per_hour", '
    '"days": [0-6]}], "agents": [{"id", "name", "skills": [...], "min_minutes", "max_minutes", "max_days", '
    '"templates": [...], "unavailable": [["YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM"], ...]}]}'
)


# --- reading the inputs -----------------------------------------------------------------------------


def read_requirements(path: Path, interval: int | None) -> tuple[datetime, int, dict[str, list[float]]]:
    """The week's start (midnight of the first row), the interval and the requirement per skill."""
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        columns = {(c or "").strip().lower(): c for c in reader.fieldnames or []}
        if "start" not in columns or "required" not in columns:
            raise Failure(f"{path.name}: the first line must name the columns start and required (and skill)")
        rows: list[tuple[int, datetime, str, float]] = []
        for row in reader:
            line = reader.line_num
            if len(rows) >= MAX_ROWS:
                raise Failure(f"{path.name}, line {line}: more than {MAX_ROWS:,} rows")
            text = (row.get(columns["start"]) or "").strip()
            try:
                start = datetime.strptime(text, "%Y-%m-%d %H:%M")
            except ValueError:
                raise Failure(f"{path.name}, line {line}: start {text!r} is not YYYY-MM-DD HH:MM") from None
            skill = (row.get(columns["skill"]) or "").strip() if "skill" in columns else ""
            raw = (row.get(columns["required"]) or "").strip()
            try:
                value = float(raw)
            except ValueError:
                raise Failure(f"{path.name}, line {line}: required {raw!r} is not a number") from None
            if not math.isfinite(value) or value < 0:
                raise Failure(f"{path.name}, line {line}: required must be a number >= 0, not {raw!r}")
            rows.append((line, start, skill or "all", value))
    if not rows:
        raise Failure(f"{path.name}: no rows")
    first = min(r[1] for r in rows)
    week_start = first.replace(hour=0, minute=0)
    if interval is None:  # the coarsest grid every row sits on
        interval = math.gcd(*(int((r[1] - week_start).total_seconds() // 60) for r in rows)) or 15
        interval = math.gcd(interval, 1440)
    if interval <= 0 or 1440 % interval:
        raise Failure(f"--interval must divide a day (1440 minutes), not {interval}")
    size = MINUTES_PER_WEEK // interval
    required: dict[str, list[float]] = {}
    seen: set[tuple[str, int]] = set()
    for line, start, skill, value in rows:
        minutes = int((start - week_start).total_seconds() // 60)
        if minutes >= MINUTES_PER_WEEK:
            raise Failure(
                f"{path.name}, line {line}: {start:%Y-%m-%d %H:%M} is past the week starting {week_start:%Y-%m-%d}"
            )
        if minutes % interval:
            raise Failure(f"{path.name}, line {line}: {start:%H:%M} is not on the {interval}-minute grid")
        slot = minutes // interval
        if (skill, slot) in seen:
            raise Failure(f"{path.name}, line {line}: a second row for {skill} at {start:%Y-%m-%d %H:%M}")
        seen.add((skill, slot))
        required.setdefault(skill, [0.0] * size)[slot] = value
    return week_start, interval, required


def _minutes_of_day(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            hours, minutes = value.split(":")
            return int(hours) * 60 + int(minutes)
        except ValueError:
            pass
    raise Failure(f"{where} must be HH:MM or minutes, not {value!r}")


def _int(item: dict[str, Any], key: str, where: str, default: int | None = None) -> int:
    value = item.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Failure(f"{where}.{key} must be a whole number, not {value!r}")
    return value


def _at(value: Any, week_start: datetime, where: str) -> int:
    """Minutes from the week start: a number as is, or a YYYY-MM-DD HH:MM date and time."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int((datetime.strptime(value, "%Y-%m-%d %H:%M") - week_start).total_seconds() // 60)
        except ValueError:
            pass
    raise Failure(f"{where} must be minutes from the week start or YYYY-MM-DD HH:MM, not {value!r}")


def read_config(path: Path, week_start: datetime) -> tuple[list[ShiftTemplate] | None, list[AgentContract] | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise Failure(f"{path.name}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or set(data) - {"templates", "agents"}:
        raise Failure(f"{path.name}: expected an object with templates and/or agents")
    templates = None
    if "templates" in data:
        templates = [_template(item, f"templates[{i}]") for i, item in enumerate(_list(data["templates"], "templates"))]
    agents = None
    if "agents" in data:
        agents = [_agent(item, f"agents[{i}]", week_start) for i, item in enumerate(_list(data["agents"], "agents"))]
    return templates, agents


def _list(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Failure(f"{where} must be a list of objects")
    return value


def _template(item: dict[str, Any], where: str) -> ShiftTemplate:
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Failure(f"{where}.name must be a non-empty text")
    breaks = []
    for j, b in enumerate(_list(item.get("breaks", []), f"{where}.breaks")):
        kind = b.get("kind", "break")
        if kind not in ("break", "lunch"):
            raise Failure(f"{where}.breaks[{j}].kind must be break or lunch")
        inner = f"{where}.breaks[{j}]"
        breaks.append(BreakRule(kind, _int(b, "minutes", inner), _int(b, "earliest_after", inner),
                                _int(b, "latest_after", inner)))  # fmt: skip
    days = item.get("days", list(range(7)))
    if not isinstance(days, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in days):
        raise Failure(f"{where}.days must be a list of day numbers (0 = the week's first day)")
    cost = item.get("cost_per_hour", 1.0)
    if not isinstance(cost, int | float) or isinstance(cost, bool):
        raise Failure(f"{where}.cost_per_hour must be a number")
    return ShiftTemplate(
        name=name,
        minutes=_int(item, "minutes", where),
        earliest_start=_minutes_of_day(item.get("earliest_start"), f"{where}.earliest_start"),
        latest_start=_minutes_of_day(item.get("latest_start", item.get("earliest_start")), f"{where}.latest_start"),
        start_step=_int(item, "start_step", where, 30),
        breaks=tuple(breaks),
        cost_per_hour=float(cost),
        days=frozenset(days),
    )


def _agent(item: dict[str, Any], where: str, week_start: datetime) -> AgentContract:
    skills = item.get("skills")
    if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
        raise Failure(f"{where}.skills must be a list of skill names")
    templates = item.get("templates")
    if templates is not None and (not isinstance(templates, list) or not all(isinstance(t, str) for t in templates)):
        raise Failure(f"{where}.templates must be a list of template names")
    unavailable = []
    for j, span in enumerate(item.get("unavailable", [])):
        if not isinstance(span, list) or len(span) != 2:
            raise Failure(f"{where}.unavailable[{j}] must be [start, end]")
        unavailable.append((_at(span[0], week_start, f"{where}.unavailable[{j}]"),
                            _at(span[1], week_start, f"{where}.unavailable[{j}]")))  # fmt: skip
    agent_id = _int(item, "id", where)
    return AgentContract(
        agent_id=agent_id,
        name=str(item.get("name", f"Agent {agent_id}")),
        skills=frozenset(skills),
        min_minutes=_int(item, "min_minutes", where, 0),
        max_minutes=_int(item, "max_minutes", where, 40 * 60),
        max_days=_int(item, "max_days", where, 5),
        templates=frozenset(templates) if templates is not None else None,
        unavailable=tuple(unavailable),
    )


# --- output -----------------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def as_json(result: ScheduleResult, agents: Iterable[AgentContract] | None) -> dict[str, Any]:
    names = {a.agent_id: a.name for a in agents or ()}
    return {
        "week_start": _stamp(result.week_start),
        "interval_minutes": result.interval_minutes,
        "summary": summary(result),
        "required": {g: [round(float(v), 3) for v in a] for g, a in result.required.items()},
        "planned": {g: [round(float(v), 3) for v in a] for g, a in result.planned.items()},
        "scheduled": {g: [round(float(v), 3) for v in a] for g, a in result.scheduled.items()},
        "shifts": [
            {
                "agent_id": s.agent_id,
                "agent": names.get(s.agent_id) if s.agent_id is not None else None,
                "template": s.template,
                "skill": s.skill,
                "start": _stamp(s.start),
                "end": _stamp(s.end),
                "activities": [{"kind": a.kind, "start": _stamp(a.start), "end": _stamp(a.end)} for a in s.activities],
            }
            for s in result.shifts
        ],
    }


def summary(result: ScheduleResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "objective": round(result.objective, 4),
        "lp_bound": round(result.lp_bound, 4),
        "lp_relaxation": round(result.lp_relaxation, 4),
        "gap": round(result.gap, 6),
        "build_seconds": round(result.build_seconds, 4),
        "solve_seconds": round(result.solve_seconds, 4),
        "roster_status": result.roster_status,
        "roster_seconds": round(result.roster_seconds, 4),
        "cost": round(result.cost, 4),
        "under_coverage": result.under_coverage,
        "planned_under": result.planned_under,
        "shifts": len(result.shifts),
        "unstaffed": result.unstaffed,
        "variables": result.variables,
        "notes": list(result.notes),
    }


def _print_summary(result: ScheduleResult) -> None:
    table = Table(title="Schedule", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("status", result.status + (f" (roster: {result.roster_status})" if result.roster_status != "none" else "")),
        ("objective", f"{result.objective:,.2f}"),
        ("LP bound", f"{result.lp_bound:,.2f}"),
        ("gap", f"{result.gap:.3%}"),
        ("solve time", f"{result.build_seconds + result.solve_seconds:.3f} s"
         + (f" + roster {result.roster_seconds:.3f} s" if result.roster_status != "none" else "")),
        ("shift cost", f"{result.cost:,.2f}"),
        ("under-coverage", f"{result.under_coverage:,.1f} agent-intervals of {result.interval_minutes} min"),
        ("shifts", f"{len(result.shifts):,}" + (f" ({result.unstaffed} unstaffed)" if result.unstaffed else "")),
    ]  # fmt: skip
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)


def _print_chart(result: ScheduleResult) -> None:
    """Scheduled / required agents per hour and day (hourly means), short hours in red."""
    required = np.sum(list(result.required.values()), axis=0)
    scheduled = np.sum(list(result.scheduled.values()), axis=0)
    # Through minutes, so any interval dividing a day works: 7 days x 24 hours x 60 minutes.
    need = np.repeat(required, result.interval_minutes).reshape(7, 24, 60).mean(axis=2)
    have = np.repeat(scheduled, result.interval_minutes).reshape(7, 24, 60).mean(axis=2)
    table = Table(title="Scheduled / required agents per hour (hourly mean; red: short)", title_justify="left")
    table.add_column("hour")
    for d in range(7):
        day = result.week_start + timedelta(days=d)
        table.add_column(f"{day:%a %d}", justify="right")
    for h in range(need.shape[1]):
        if not need[:, h].any() and not have[:, h].any():
            continue
        cells = []
        for d in range(7):
            text = f"{have[d, h]:.0f}/{need[d, h]:.0f}" if need[d, h] or have[d, h] else ""
            cells.append(f"[red]{text}[/]" if have[d, h] + 1e-9 < need[d, h] else text)
        table.add_row(f"{h:02d}:00", *cells)
    console.print(table)


def _print_roster(result: ScheduleResult, agents: Iterable[AgentContract] | None) -> None:
    names = {a.agent_id: a.name for a in agents or ()}
    table = Table(title="Roster" if names else "Planned shifts (no agents given)", title_justify="left")
    for column in ("agent", "day", "shift", "skill", "template", "breaks"):
        table.add_column(column)
    for s in result.shifts:
        who = (
            names.get(s.agent_id, str(s.agent_id))
            if s.agent_id is not None
            else ("[red]unstaffed[/]" if names else "-")
        )
        pauses = ", ".join(f"{a.kind} {a.start:%H:%M}-{a.end:%H:%M}" for a in s.activities if a.kind != "work")
        table.add_row(who, f"{s.start:%a %d}", f"{s.start:%H:%M}-{s.end:%H:%M}", s.skill, s.template, pauses)
    console.print(table)


# --- the command ------------------------------------------------------------------------------------


@app.command("schedule")
@friendly
def schedule_command(
    requirements: Annotated[
        Path, typer.Argument(help="CSV with columns start (YYYY-MM-DD HH:MM), skill (optional) and required.")
    ],
    config: Annotated[Path | None, typer.Option("--config", help=CONFIG_HELP, show_default=False)] = None,
    interval: Annotated[
        int | None, typer.Option("--interval", help="Minutes per interval (default: the CSV's spacing).")
    ] = None,
    under_penalty: Annotated[
        float, typer.Option("--under-penalty", help="Cost of one agent-interval short, in cost units.")
    ] = 10.0,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds the solver may take.")] = 10.0,
    output_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Plan shifts with breaks that cover a week's requirement at the least cost (a MIP solved with HiGHS),
    then name agents for them (skills, availability, contract hours, days, 11 h rest)."""
    if not 0 < time_limit <= 600:
        raise Failure("--time-limit must be between 0 and 600 seconds")
    week_start, minutes, required = read_requirements(requirements, interval)
    templates: list[ShiftTemplate] | None = None
    agents: list[AgentContract] | None = None
    if config is not None:
        templates, agents = read_config(config, week_start)
    result = build_schedule(
        week_start,
        minutes,
        required,
        templates or default_templates(minutes),
        agents,
        under_penalty=under_penalty,
        time_limit=time_limit,
    )
    if output_json:
        print(json.dumps(as_json(result, agents)))
        return
    _print_summary(result)
    _print_chart(result)
    _print_roster(result, agents)
