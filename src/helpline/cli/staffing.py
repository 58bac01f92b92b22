"""`helpline staffing`: agents for one interval (Erlang C or A), or a plan per interval from a file."""

from __future__ import annotations

import json
from datetime import datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from helpline.cli.common import CLI_PRINCIPAL, Failure, app, console, friendly
from helpline.services import staffing


class ChannelChoice(StrEnum):
    voice = "voice"
    chat = "chat"
    email = "email"


def _pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} s"


def _optional_percent(value: float | None) -> float | None:
    """0 switches a percentage target off (no service-level target, no occupancy cap)."""
    return None if value is None or value == 0 else value


@app.command("staffing")
@friendly
def staffing_command(
    calls: Annotated[
        float | None, typer.Option("--calls", help="Contacts arriving in one interval.", show_default=False)
    ] = None,
    calls_file: Annotated[
        Path | None,
        typer.Option(
            "--calls-file",
            help="CSV with columns start (ISO date and time), calls, and optionally aht and open (email): a plan.",
            show_default=False,
        ),
    ] = None,
    interval: Annotated[int, typer.Option("--interval", help="Minutes per interval (divides a day).")] = 30,
    aht: Annotated[
        float | None, typer.Option("--aht", help="Average handle time, seconds (a file's aht column wins).")
    ] = None,
    target: Annotated[float, typer.Option("--target", help="Answer within this many seconds.")] = 20.0,
    service_level: Annotated[
        float, typer.Option("--service-level", help="Percent answered within --target (0: no such target).")
    ] = 80.0,
    asa: Annotated[float | None, typer.Option("--asa", help="Average speed of answer target, seconds.")] = None,
    patience: Annotated[
        float | None, typer.Option("--patience", help="Callers' mean patience, seconds: switches to Erlang A.")
    ] = None,
    abandon: Annotated[
        float | None, typer.Option("--abandon", help="Most callers abandoning, percent (needs --patience).")
    ] = None,
    shrinkage: Annotated[float, typer.Option("--shrinkage", help="Percent of paid time off the queue.")] = 30.0,
    max_occupancy: Annotated[
        float, typer.Option("--max-occupancy", help="Highest occupancy allowed, percent (0: no cap).")
    ] = 90.0,
    channel: Annotated[
        ChannelChoice, typer.Option("--channel", help="voice and chat: Erlang; email: the deadline backlog.")
    ] = ChannelChoice.voice,
    deadline_hours: Annotated[
        float, typer.Option("--deadline-hours", help="Email: answer every message within this many hours.")
    ] = 48.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Agents needed for a service-level, ASA or abandonment target, with shrinkage and a maximum occupancy.

    One interval (--calls): the answer and the staffings around it. A file (--calls-file): a plan
    per interval and its totals. Email plans answer every message within --deadline-hours."""
    if (calls is None) == (calls_file is None):
        raise Failure("give either --calls (one interval) or --calls-file (a plan), not both or neither")
    targets = staffing.Targets(
        target_seconds=target,
        service_level_percent=_optional_percent(service_level),
        asa_seconds=asa,
        patience_seconds=patience,
        abandon_percent=abandon,
        shrinkage_percent=shrinkage,
        max_occupancy_percent=_optional_percent(max_occupancy),
        deadline_hours=deadline_hours,
    )
    if calls is not None and channel is not ChannelChoice.email:
        if aht is None:
            raise Failure("--aht (average handle time in seconds) is needed")
        answer = staffing.erlang(CLI_PRINCIPAL, calls, interval, aht, targets)
        if as_json:
            print(json.dumps(answer))
        else:
            _print_answer(answer)
        return
    if calls_file is not None:
        with calls_file.open(newline="", encoding="utf-8") as stream:
            rows = staffing.read_intervals(stream)
    else:
        # One email interval on its own: the plan repeats it, so this is the steady level it needs.
        rows = [staffing.IntervalRow(datetime.combine(datetime.now().date(), time()), float(calls or 0.0))]
    result = staffing.plan(CLI_PRINCIPAL, rows, interval, channel.value, targets, aht)
    if as_json:
        print(json.dumps(result))
    else:
        _print_plan(result)


def _print_answer(answer: dict[str, Any]) -> None:
    model = "Erlang C" if answer["model"] == "erlang_c" else "Erlang A"
    targets = answer["targets"]
    console.print(
        f"{model}: {answer['calls']:,g} calls in {answer['interval_minutes']} minutes, "
        f"handle time {answer['aht']:,g} s: {answer['load']:,.2f} Erlangs."
    )
    table = Table(title="Agents on the phones and what they achieve")
    for column in ("agents", "scheduled", "service level", "ASA", "P(wait)", "abandon", "occupancy", ""):
        table.add_column(column, justify="right")
    for row in answer["neighbours"]:
        style = "bold" if row["answer"] else ("dim" if not row["meets"] else "")
        table.add_row(
            str(row["agents"]),
            str(row["scheduled"]),
            _pct(row["service_level"]),
            _secs(row["asa"]),
            _pct(row["p_wait"]),
            _pct(row["p_abandon"]),
            _pct(row["occupancy"]),
            "answer" if row["answer"] else ("meets" if row["meets"] else "misses"),
            style=style,
        )
    console.print(table)
    bound = "occupancy cap" if answer["for_occupancy"] > answer["for_target"] else "targets"
    console.print(
        f"[bold]{answer['required']} agents[/] on the phones (set by the {bound}); "
        f"{answer['scheduled']} to schedule with {targets['shrinkage_percent']:g}% shrinkage."
    )


def _print_plan(result: dict[str, Any]) -> None:
    email = result["model"] == "backlog"
    title = (
        f"Email plan: every message answered within {result['deadline_hours']:g} h"
        if email
        else f"{'Erlang C' if result['model'] == 'erlang_c' else 'Erlang A'} plan, {result['channel']}"
    )
    table = Table(title=f"{title}, {result['interval_minutes']}-minute intervals")
    columns = ["start", "calls", "aht", "required", "scheduled"]
    columns += (
        ["backlog", "oldest (h)", "occupancy"] if email else ["load", "service level", "ASA", "abandon", "occupancy"]
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "start" else "right")
    for row in result["intervals"]:
        cells = [
            row["start"].replace("T", " ")[:16],
            f"{row['calls']:,.1f}",
            f"{row['aht']:,.0f}",
            str(row["required"]),
            str(row["scheduled"]),
        ]
        if email:
            cells += [f"{row['backlog']:,.1f}", f"{row['oldest_age_hours']:.1f}", _pct(row["occupancy"])]
        else:
            cells += [
                f"{row['load']:,.2f}",
                _pct(row["service_level"]),
                _secs(row["asa"]),
                _pct(row["p_abandon"]),
                _pct(row["occupancy"]),
            ]
        table.add_row(*cells)
    console.print(table)
    s = result["summary"]
    console.print(
        f"{s['intervals']:,} intervals, {s['volume']:,.0f} contacts; peak {s['peak_required']} agents "
        f"({s['peak_scheduled']} scheduled); {s['required_hours']:,.1f} agent-hours on the queue, "
        f"{s['scheduled_hours']:,.1f} to schedule."
    )
    if email:
        console.print(f"Largest backlog {s['max_backlog']:,.1f} messages; oldest waiting {s['max_age_hours']:.1f} h.")
    else:
        console.print(
            f"Service level {_pct(s['service_level'])}, ASA {_secs(s['asa'])}, occupancy {_pct(s['occupancy'])}."
        )
