"""`helpline forecast`: call volume per interval from a counts file, with a backtest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from helpline.cli.common import Failure, app, console, friendly
from helpline.services import forecasting


@app.command("forecast")
@friendly
def forecast_command(
    file: Annotated[Path, typer.Argument(help="CSV with columns date, start (HH:MM) and calls, one row an interval.")],
    interval: Annotated[int, typer.Option("--interval", help="Minutes per forecast interval (15, 30, 60...).")] = 30,
    backtest_weeks: Annotated[
        int, typer.Option("--backtest-weeks", help="Weeks at the end scored against seasonal naive (0: none).")
    ] = 8,
    days: Annotated[int, typer.Option("--days", help="Days to forecast after the data.")] = 7,
    special_days: Annotated[
        str, typer.Option("--special-days", help="Holidays and peaks, as YYYY-MM-DD separated by commas.")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
) -> None:
    """Forecast call volume per interval from a counts file, with a backtest against seasonal naive (WAPE)."""
    try:
        special = [date.fromisoformat(d.strip()) for d in special_days.split(",") if d.strip()]
    except ValueError:
        raise Failure("--special-days takes dates as YYYY-MM-DD separated by commas") from None
    with file.open(newline="", encoding="utf-8") as stream:
        series = forecasting.read_counts(stream)
    result = forecasting.run(series, interval, backtest_weeks, days, special)
    if as_json:
        print(json.dumps(result))
        return
    if "backtest" in result:
        scored = result["backtest"]
        table = Table(title=f"Backtest, last {len(scored['weeks'])} weeks, {interval}-minute intervals (WAPE)")
        for column in ("week from", "calls", "our forecast", "seasonal naive"):
            table.add_column(column, justify="right")
        for week in scored["weeks"]:
            table.add_row(
                week["from"], f"{week['calls']:,.0f}", f"{week['wape']:.3f}", f"{week['wape_seasonal_naive']:.3f}"
            )
        table.add_row("all", "", f"[bold]{scored['wape']:.3f}[/]", f"{scored['wape_seasonal_naive']:.3f}")
        console.print(table)
    ahead = result["forecast"]
    per_day: dict[str, float] = {}
    for point in ahead:
        per_day[point["start"][:10]] = per_day.get(point["start"][:10], 0.0) + point["calls"]
    table = Table(title=f"Forecast, calls a day ({interval}-minute detail: --json)")
    table.add_column("day")
    table.add_column("calls", justify="right")
    for day, calls in per_day.items():
        table.add_row(day, f"{calls:,.0f}")
    console.print(table)
