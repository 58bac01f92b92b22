"""Forecast backtest on the anonymous-bank 1999 call counts: ours against seasonal naive, last 8 weeks.

The 6-minute counts are aggregated to 30- and 15-minute intervals; for each, `backtest` chooses the
parameters on the 8 weeks before the window, then forecasts each of the last 8 weeks from the data
before it. Per-week WAPE of both methods goes to the table, overall figures and timing to the JSON.

    python -m bench.forecast [--csv PATH] [--weeks 8] [--intervals 30 15]
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.harness import console, report
from helpline.domain.workforce.forecast import Series, aggregate, backtest

DATASETS = Path(os.environ.get("HELPLINE_DATASETS", Path(__file__).resolve().parents[1].parent / "shared" / "datasets"))
BANK = DATASETS / "anonymous-bank" / "anonymous_bank_1999_6min_counts.csv"


def load(path: Path) -> Series:
    """The file's columns date,weekday,interval,start,calls as one 6-minute series."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    starts = [datetime.fromisoformat(f"{row['date']}T{row['start']}") for row in rows]
    return Series.from_points(starts, [float(row["calls"]) for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=BANK)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--intervals", type=int, nargs="+", default=[30, 15])
    args = parser.parse_args()

    started = time.perf_counter()
    raw = load(args.csv)
    load_ms = (time.perf_counter() - started) * 1000
    console.print(f"{args.csv.name}: {len(raw.counts)} intervals of {raw.minutes} min, {raw.counts.sum():.0f} calls")

    rows: list[list[Any]] = []
    figures: dict[str, Any] = {"file": args.csv.name, "weeks": args.weeks, "load_ms": round(load_ms, 1)}
    for minutes in args.intervals:
        started = time.perf_counter()
        result = backtest(aggregate(raw, minutes), horizon_weeks=args.weeks)
        ms = (time.perf_counter() - started) * 1000
        for week in result.weeks:
            better = "yes" if week.wape < week.wape_naive else "no"
            rows.append(
                [
                    f"{minutes} min",
                    week.origin.isoformat(),
                    f"{week.calls:.0f}",
                    f"{week.wape:.3f}",
                    f"{week.wape_naive:.3f}",
                    better,
                ]
            )
        gain = 1 - result.wape / result.wape_naive
        rows.append([f"{minutes} min", "overall", "", f"{result.wape:.3f}", f"{result.wape_naive:.3f}", f"-{gain:.0%}"])
        figures[f"min{minutes}"] = {
            "wape": round(result.wape, 4),
            "wape_seasonal_naive": round(result.wape_naive, 4),
            "relative_improvement": round(gain, 4),
            "weeks_better": sum(w.wape < w.wape_naive for w in result.weeks),
            "params": {
                "decay": result.params.decay,
                "weeks": result.params.weeks,
                "damping": result.params.damping,
                "trend_weeks": result.params.trend_weeks,
            },
            "per_week": [
                {
                    "origin": w.origin.isoformat(),
                    "wape": round(w.wape, 4),
                    "wape_seasonal_naive": round(w.wape_naive, 4),
                }
                for w in result.weeks
            ],
            "backtest_ms": round(ms, 1),
        }
    report(
        f"Forecast backtest, last {args.weeks} weeks (WAPE, lower is better)",
        ["interval", "week from", "calls", "ours", "seasonal naive", "ours better"],
        rows,
        figures,
    )


if __name__ == "__main__":
    main()
