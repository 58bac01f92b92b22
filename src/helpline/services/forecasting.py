"""Forecasting use cases: read interval counts from a CSV, backtest our forecast against seasonal
naive, and forecast the days after the data (the maths is in domain/workforce/forecast.py)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.forecast import Series, aggregate, backtest, forecast

MAX_ROWS = 2_000_000  # a year of 6-minute intervals is 87,600 rows: far more is not a count file


def read_counts(stream: TextIO) -> Series:
    """Rows with columns `date` (YYYY-MM-DD), `start` (HH:MM) and `calls`, one per interval, in order.

    Other columns are ignored. A bad row is refused with its line number."""
    reader = csv.DictReader(stream)
    missing = {"date", "start", "calls"} - {name.strip().lower() for name in reader.fieldnames or ()}
    if missing:
        raise ValidationFailed(
            f"the file needs the columns date, start and calls (missing: {', '.join(sorted(missing))})"
        )
    starts: list[datetime] = []
    counts: list[float] = []
    for row in reader:
        line = reader.line_num
        if len(starts) >= MAX_ROWS:
            raise ValidationFailed(f"line {line}: more than {MAX_ROWS:,} rows")
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            starts.append(datetime.fromisoformat(f"{cells['date']}T{cells['start']}"))
            counts.append(float(cells["calls"]))
        except ValueError:
            raise ValidationFailed(f"line {line}: date, start or calls is not readable") from None
    if not starts:
        raise ValidationFailed("the file holds no rows")
    return Series.from_points(starts, counts)


def run(
    series: Series,
    interval_minutes: int,
    backtest_weeks: int = 8,
    days: int = 7,
    special_days: Iterable[date] = (),
) -> dict[str, Any]:
    """Backtest (when `backtest_weeks` > 0) and forecast `days` days after the data, as plain data."""
    special = tuple(special_days)
    data = aggregate(series, interval_minutes) if interval_minutes != series.minutes else series
    result: dict[str, Any] = {"interval_minutes": interval_minutes}
    params = None
    if backtest_weeks > 0:
        scored = backtest(data, horizon_weeks=backtest_weeks, special_days=special)
        params = scored.params
        result["backtest"] = {
            "wape": round(scored.wape, 4),
            "wape_seasonal_naive": round(scored.wape_naive, 4),
            "weeks": [
                {
                    "from": week.origin.isoformat(),
                    "calls": round(week.calls, 1),
                    "wape": round(week.wape, 4),
                    "wape_seasonal_naive": round(week.wape_naive, 4),
                }
                for week in scored.weeks
            ],
        }
        result["params"] = asdict(params)
    ahead = forecast(data, days, params, special)
    result["forecast"] = [
        {"start": (ahead.start + timedelta(minutes=i * ahead.minutes)).isoformat(), "calls": round(float(count), 2)}
        for i, count in enumerate(ahead.counts)
    ]
    return result
