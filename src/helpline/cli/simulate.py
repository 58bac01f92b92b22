"""`helpline simulate`: run calls through the real routing engine on a simulated clock.

Three ways to say what arrives:
- stationary: --calls-per-interval X for --calls N calls in all (Poisson; the Erlang C or A
  prediction is printed beside the simulated totals);
- --rates FILE: a CSV with a `calls` column (and optionally `start`), expected calls per interval;
- --trace FILE: a recorded call log replayed (helpline.services.simulation.read_trace).
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from helpline.cli.common import Failure, app, console, friendly
from helpline.domain.workforce.distributions import Duration
from helpline.domain.workforce.erlang import QueueMetrics, erlang_a_metrics, erlang_c_metrics
from helpline.domain.workforce.simulation import (
    Arrival,
    IntervalResult,
    SimulationConfig,
    SimulationResult,
    poisson_arrivals,
    simulate,
    single_queue_config,
)
from helpline.services import simulation as replay

MAX_CALLS = 20_000_000
MAX_AGENTS = 100_000
MAX_RATE_ROWS = 100_000
CHART_ROWS = 48  # more intervals than this are grouped into this many bars
BAR_WIDTH = 40
BLOCKS = " ▏▎▍▌▋▊▉█"


class HandleKind(StrEnum):
    exponential = "exponential"
    lognormal = "lognormal"


@app.command("simulate")
@friendly
def simulate_command(
    agents: Annotated[int, typer.Option("--agents", help="Agents on the phones all the time.")] = 10,
    calls_per_interval: Annotated[
        float | None, typer.Option("--calls-per-interval", help="Expected calls per interval (stationary run).")
    ] = None,
    calls: Annotated[int, typer.Option("--calls", help="Calls in all, for a stationary run.")] = 100_000,
    rates: Annotated[
        Path | None, typer.Option("--rates", help="CSV with a `calls` column: expected calls in each interval.")
    ] = None,
    trace: Annotated[Path | None, typer.Option("--trace", help="Replay a recorded call log (CSV).")] = None,
    interval: Annotated[int, typer.Option("--interval", help="Minutes per interval.")] = 30,
    aht: Annotated[float, typer.Option("--aht", help="Average handle time, seconds.")] = 300.0,
    handle: Annotated[HandleKind, typer.Option("--handle", help="Handle-time distribution.")] = (
        HandleKind.exponential
    ),
    handle_sd: Annotated[
        float | None, typer.Option("--handle-sd", help="Standard deviation of lognormal handle times (default: --aht).")
    ] = None,
    patience: Annotated[
        float | None,
        typer.Option("--patience", help="Mean caller patience, seconds (exponential); omit: nobody hangs up."),
    ] = None,
    target: Annotated[float, typer.Option("--target", help="Service-level threshold, seconds.")] = 20.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same seed gives the same run.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Simulate calls through the real routing engine: service level, ASA, abandonment, occupancy per interval."""
    _check(agents, calls, interval, aht, handle_sd, patience, target, calls_per_interval)
    width = interval * 60.0
    prediction: QueueMetrics | None = None
    expected: int | None
    arrivals: Iterable[Arrival]
    recorded: replay.Trace | None = None
    if trace is not None:
        recorded = _from_trace(trace, seed)
        config, arrivals = recorded.config, recorded.arrivals(seed)
        expected = len(arrivals)
        mode = "trace"
    else:
        durations = Duration.lognormal(aht, aht if handle_sd is None else handle_sd)
        if handle is HandleKind.exponential:
            durations = Duration.exponential(aht)
        waits = Duration.exponential(patience) if patience is not None else None
        if rates is not None:
            per_interval = _read_rates(rates)
            mode = "rates"
        elif calls_per_interval is not None:
            per_interval = [calls_per_interval] * math.ceil(calls / calls_per_interval)
            mode = "stationary"
            load = calls_per_interval * aht / width
            if load > 0:
                prediction = (
                    erlang_a_metrics(load, agents, aht, target, patience)
                    if patience is not None
                    else erlang_c_metrics(load, agents, aht, target)
                )
        else:
            raise Failure("say what arrives: --calls-per-interval, --rates or --trace")
        config = single_queue_config(agents, interval_seconds=width, target_seconds=target)
        expected = round(sum(per_interval))
        rng = np.random.default_rng(seed)
        arrivals = poisson_arrivals(per_interval, width, 1, durations, rng, patience=waits)
    result = _run(config, arrivals, expected, quiet=as_json)
    comparison = _trace_comparison(recorded, result) if recorded is not None else None
    if as_json:
        print(json.dumps({**_as_json(mode, result, prediction, handle, seed), "trace": comparison}))
        return
    _print(mode, result, prediction, handle)
    if comparison is not None:
        console.print(
            f"Abandonment among queued calls: simulated {comparison['simulated_queued_abandon_rate']:.1%}, "
            f"recorded {comparison['recorded_queued_abandon_rate']:.1%} (one replication; seed {seed})."
        )


def _check(
    agents: int,
    calls: int,
    interval: int,
    aht: float,
    handle_sd: float | None,
    patience: float | None,
    target: float,
    calls_per_interval: float | None,
) -> None:
    """Refuse impossible settings with one sentence each (the domain would too, less readably)."""
    if not 1 <= agents <= MAX_AGENTS:
        raise Failure(f"--agents must be from 1 to {MAX_AGENTS:,}")
    if not 1 <= calls <= MAX_CALLS:
        raise Failure(f"--calls must be from 1 to {MAX_CALLS:,}")
    if not 1 <= interval <= 1440:
        raise Failure("--interval must be from 1 to 1440 minutes")
    if not (math.isfinite(aht) and 0 < aht <= 86_400):
        raise Failure("--aht must be more than 0 and at most 86,400 seconds")
    if handle_sd is not None and not (math.isfinite(handle_sd) and 0 <= handle_sd <= 10 * 86_400):
        raise Failure("--handle-sd must be from 0 to 864,000 seconds")
    if patience is not None and not (math.isfinite(patience) and 0 < patience <= 86_400):
        raise Failure("--patience must be more than 0 and at most 86,400 seconds")
    if not (math.isfinite(target) and 0 <= target <= 86_400):
        raise Failure("--target must be from 0 to 86,400 seconds")
    if calls_per_interval is not None and not (math.isfinite(calls_per_interval) and 0 < calls_per_interval <= 1e7):
        raise Failure("--calls-per-interval must be more than 0 and at most 10,000,000")


def _read_rates(path: Path) -> list[float]:
    """Expected calls per interval from a CSV with a `calls` column (other columns, such as start, ignored)."""
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        names = {(n or "").strip().lower(): n for n in reader.fieldnames or ()}
        if "calls" not in names:
            raise Failure(f"{path.name}: the rates file needs a `calls` column")
        column = names["calls"]
        values: list[float] = []
        for row in reader:
            if len(values) >= MAX_RATE_ROWS:
                raise Failure(f"{path.name}: more than {MAX_RATE_ROWS:,} intervals")
            cell = (row.get(column) or "").strip()
            try:
                value = float(cell)
            except ValueError:
                raise Failure(f"{path.name}, line {reader.line_num}: calls {cell[:40]!r} is not a number") from None
            if not (math.isfinite(value) and 0 <= value <= 1e7):
                raise Failure(f"{path.name}, line {reader.line_num}: calls must be from 0 to 10,000,000")
            values.append(value)
    if not values:
        raise Failure(f"{path.name}: the rates file has no rows")
    if sum(values) > MAX_CALLS:
        raise Failure(f"{path.name}: more than {MAX_CALLS:,} calls in all")
    return values


def _from_trace(path: Path, seed: int) -> replay.Trace:
    with path.open(newline="", encoding="utf-8") as stream:
        return replay.read_trace(stream)


def _trace_comparison(trace: replay.Trace, result: SimulationResult) -> dict[str, float]:
    """The trace's own abandonment among queued calls beside the replay's (the figure a replay must reproduce)."""
    return {
        "recorded_queued_abandon_rate": round(trace.facts.abandon_rate, 4),
        "simulated_queued_abandon_rate": round(replay.queued_abandon_rate(result), 4),
    }


def _run(config: SimulationConfig, arrivals: Any, expected: int | None, *, quiet: bool) -> SimulationResult:
    started = time.perf_counter()
    progress = Progress(
        TextColumn("Simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("calls"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    )
    with progress:
        task = progress.add_task("simulate", total=expected)
        result = simulate(config, arrivals, progress=lambda done: progress.update(task, completed=done))
    elapsed = time.perf_counter() - started
    return SimulationResult(
        intervals=result.intervals,
        totals=result.totals,
        calls=result.calls,
        wall_seconds=elapsed,
        interval_seconds=result.interval_seconds,
        target_seconds=result.target_seconds,
        horizon_seconds=result.horizon_seconds,
        simulated_seconds=result.simulated_seconds,
    )


def _prediction_dict(metrics: QueueMetrics | None) -> dict[str, float] | None:
    if metrics is None:
        return None
    return {
        "load": metrics.load,
        "agents": metrics.agents,
        "service_level": metrics.service_level,
        "p_wait": metrics.p_wait,
        "asa": metrics.asa,
        "abandon_rate": metrics.p_abandon,
        "occupancy": metrics.occupancy,
    }


def _as_json(
    mode: str, result: SimulationResult, prediction: QueueMetrics | None, handle: HandleKind, seed: int
) -> dict[str, Any]:
    wall = result.wall_seconds or 0.0
    return {
        "mode": mode,
        "seed": seed,
        "handle": handle.value,
        "calls_per_second": round(result.calls / wall) if wall > 0 else None,
        **result.as_dict(),
        "erlang": _prediction_dict(prediction),
        "erlang_model": None if prediction is None else ("A" if prediction.p_abandon > 0 else "C"),
    }


# --- tables and chart ---------------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86_400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"d{days + 1} {text}" if days else text


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _seconds(value: float) -> str:
    return "-" if math.isinf(value) else f"{value:.1f}"


def _print(mode: str, result: SimulationResult, prediction: QueueMetrics | None, handle: HandleKind) -> None:
    wall = result.wall_seconds or 0.0
    rate = f", {result.calls / wall:,.0f} calls/s" if wall > 0 else ""
    console.print(f"Simulated {result.calls:,} calls in {wall:.1f} s{rate} (real routing engine).")
    if mode != "stationary" and len(result.intervals) <= 200:
        table = Table(title=f"Per interval ({result.interval_seconds / 60:g} minutes)")
        for column in ("start", "offered", "answered", "abandoned", "service level", "ASA s", "occupancy", "agents"):
            table.add_column(column, justify="right")
        for row in result.intervals:
            table.add_row(
                _clock(row.start),
                f"{row.offered:,}",
                f"{row.answered:,}",
                f"{row.abandoned:,}",
                _percent(row.service_level),
                _seconds(row.asa),
                _percent(row.occupancy),
                f"{row.agents:.1f}",
            )
        console.print(table)
    _print_totals(result.totals, prediction, handle, result.target_seconds)
    console.print(_chart(result))


def _print_totals(totals: IntervalResult, prediction: QueueMetrics | None, handle: HandleKind, target: float) -> None:
    title = "Totals" if prediction is None else f"Totals against Erlang {'A' if prediction.p_abandon > 0 else 'C'}"
    table = Table(title=title)
    table.add_column("")
    table.add_column("simulated", justify="right")
    if prediction is not None:
        table.add_column("Erlang", justify="right")
    rows: list[tuple[str, str, str]] = [
        ("calls offered", f"{totals.offered:,}", ""),
        (
            f"service level ({target:g} s)",
            _percent(totals.service_level),
            _percent(prediction.service_level) if prediction else "",
        ),
        ("waited (P(wait))", _percent(totals.p_wait), _percent(prediction.p_wait) if prediction else ""),
        ("ASA, seconds", _seconds(totals.asa), _seconds(prediction.asa) if prediction else ""),
        ("abandoned", _percent(totals.abandon_rate), _percent(prediction.p_abandon) if prediction else ""),
        ("occupancy", _percent(totals.occupancy), _percent(prediction.occupancy) if prediction else ""),
    ]
    for label, simulated, erlang in rows:
        table.add_row(label, simulated, *((erlang,) if prediction is not None else ()))
    console.print(table)
    if prediction is not None and handle is not HandleKind.exponential:
        console.print("Erlang assumes exponential handle times: expect a gap with lognormal ones.")


def _chart(result: SimulationResult) -> Text:
    """Service level per interval as horizontal bars of unicode blocks (intervals grouped when there are many)."""
    rows = result.intervals
    text = Text(f"Service level per interval (answered within {result.target_seconds:g} s)\n", style="bold")
    if not rows:
        return text.append("no intervals", style="dim")
    group = math.ceil(len(rows) / CHART_ROWS)
    if group > 1:
        text.append(f"(one bar per {group} intervals)\n", style="dim")
    for first in range(0, len(rows), group):
        chunk = rows[first : first + group]
        offered = sum(r.offered for r in chunk)
        level = sum(r.answered_in_target for r in chunk) / offered if offered else 1.0
        eighths = round(level * BAR_WIDTH * 8)
        bar = "█" * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")
        style = "green" if level >= 0.8 else "yellow" if level >= 0.6 else "red"
        text.append(f"{_clock(chunk[0].start):>9} ")
        text.append(f"{bar:<{BAR_WIDTH}}", style=style)
        text.append(f" {_percent(level):>6}\n")
    return text
