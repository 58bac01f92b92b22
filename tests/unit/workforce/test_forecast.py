"""Forecasting: aggregation, WAPE, profile x trend recovery, special days, no peeking, bad input, real data."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.forecast import (
    Params,
    Series,
    aggregate,
    backtest,
    choose_params,
    forecast,
    seasonal_naive,
    wape,
)

START = datetime(2024, 1, 1)  # a Monday
PER_DAY = 48  # 30-minute intervals
REPO = Path(__file__).resolve().parents[3]
BANK = Path(os.environ.get("HELPLINE_DATASETS", REPO.parent / "shared" / "datasets")) / (
    "anonymous-bank/anonymous_bank_1999_6min_counts.csv"
)


def weekly_pattern() -> np.ndarray:
    """7 x 48: a two-peak working day, quieter Fridays, near-empty weekends."""
    hours = (np.arange(PER_DAY) + 0.5) / 2
    day = 1 + 40 * np.exp(-0.5 * ((hours - 10.5) / 1.8) ** 2) + 30 * np.exp(-0.5 * ((hours - 15) / 2.2) ** 2)
    level = np.array([1.2, 1.0, 1.0, 1.0, 0.8, 0.2, 0.1])
    return level[:, None] * day[None, :]


def synthetic(weeks: int, growth: float = 1.0, noise_seed: int | None = None) -> Series:
    """`weeks` weeks of the weekly pattern, multiplied by growth^week (smoothly, day by day)."""
    days = weeks * 7
    pattern = np.tile(weekly_pattern(), (weeks, 1))
    trend = growth ** (np.arange(days) / 7)
    counts = pattern * trend[:, None]
    if noise_seed is not None:
        counts = np.random.default_rng(noise_seed).poisson(counts).astype(np.float64)
    return Series(start=START, minutes=30, counts=counts.reshape(-1))


# ------------------------------------------------------------------------------------- aggregation


def test_aggregation_to_a_multiple_sums_whole_intervals() -> None:
    counts = np.arange(240, dtype=np.float64)  # one day of 6-minute intervals
    series = Series(start=START, minutes=6, counts=counts)
    half_hours = aggregate(series, 30)
    assert half_hours.minutes == 30 and len(half_hours.counts) == 48
    np.testing.assert_allclose(half_hours.counts, counts.reshape(48, 5).sum(axis=1))
    np.testing.assert_allclose(aggregate(series, 60).counts, counts.reshape(24, 10).sum(axis=1))


def test_aggregation_to_15_minutes_splits_boundary_intervals_by_time() -> None:
    # 6-minute counts 10, 20, 30, 40, 50: the first quarter-hour holds 10 + 20 + half of 30.
    series = Series(start=START, minutes=6, counts=np.array([10, 20, 30, 40, 50] * 48, dtype=np.float64))
    quarters = aggregate(series, 15)
    assert len(quarters.counts) == 96
    assert quarters.counts[0] == pytest.approx(45.0)
    assert quarters.counts[1] == pytest.approx(15.0 + 40 + 50)
    assert quarters.counts.sum() == pytest.approx(series.counts.sum())


@pytest.mark.parametrize("minutes", [7, 3, 0, -30])
def test_aggregation_refuses_impossible_lengths(minutes: int) -> None:
    series = Series(start=START, minutes=6, counts=np.ones(240))
    with pytest.raises(ValidationFailed) as err:
        aggregate(series, minutes)
    assert err.value.field == "minutes"


def test_aggregation_refuses_a_partial_last_interval() -> None:
    with pytest.raises(ValidationFailed):
        aggregate(Series(start=START, minutes=6, counts=np.ones(7)), 30)


# -------------------------------------------------------------------------------------------- WAPE


def test_wape_is_absolute_errors_over_actual_calls() -> None:
    assert wape([10, 0, 30], [12, 1, 27]) == pytest.approx((2 + 1 + 3) / 40)
    assert wape([5, 5], [5, 5]) == 0.0
    with pytest.raises(ValidationFailed) as err:
        wape([0, 0], [1, 1])
    assert err.value.field == "actual"
    with pytest.raises(ValidationFailed):
        wape([1, 2], [1])


# -------------------------------------------------------------------------------------- recovering


def test_a_stable_weekly_pattern_is_recovered_exactly() -> None:
    series = synthetic(10)
    predicted = forecast(series, 7, Params(decay=0.5, weeks=4, damping=1.0))
    assert predicted.start == START + timedelta(days=70)
    np.testing.assert_allclose(predicted.counts.reshape(7, PER_DAY), weekly_pattern(), rtol=1e-9)


def test_the_trend_is_recovered_and_seasonal_naive_lags_it() -> None:
    growth = 1.03  # 3 % a week
    series = synthetic(13, growth)
    history = Series(start=START, minutes=30, counts=series.counts[: 12 * 7 * PER_DAY])
    actual = series.counts[12 * 7 * PER_DAY :]
    ours = wape(actual, forecast(history, 7, Params(decay=0.7, weeks=8, damping=1.0)).counts)
    naive = wape(actual, seasonal_naive(history, 7).counts)
    assert naive == pytest.approx(1 - 1 / growth, rel=1e-6)  # a week of growth behind
    assert ours < 0.002
    no_trend = wape(actual, forecast(history, 7, Params(decay=0.7, weeks=8, damping=0.0)).counts)
    assert ours < no_trend


def test_backtest_on_a_noisy_trending_series_beats_seasonal_naive() -> None:
    result = backtest(synthetic(30, 1.02, noise_seed=7), horizon_weeks=8)
    assert len(result.weeks) == 8
    assert result.wape < result.wape_naive
    assert result.weeks[0].origin == (START + timedelta(days=22 * 7)).date()
    # The overall figure weighs each week by its calls.
    calls = np.array([w.calls for w in result.weeks])
    assert result.wape == pytest.approx(float((calls * [w.wape for w in result.weeks]).sum() / calls.sum()))


def test_a_longer_horizon_repeats_the_profile_with_the_trend_carried_on() -> None:
    predicted = forecast(synthetic(10, 1.02), 14, Params(damping=1.0)).counts.reshape(2, 7, PER_DAY)
    np.testing.assert_allclose(predicted[1] / predicted[0], 1.02, rtol=1e-6)


# ------------------------------------------------------------------------------------- no peeking


def test_the_backtest_never_reads_data_at_or_after_an_origin() -> None:
    series = synthetic(30, 1.01, noise_seed=3)
    honest = backtest(series, horizon_weeks=8)
    matrix = series.counts.reshape(-1, PER_DAY).copy()
    corrupt_from = 22 * 7 + 3 * 7  # the fourth backtest week's origin
    matrix[corrupt_from:] = np.random.default_rng(0).uniform(0, 1000, matrix[corrupt_from:].shape)
    corrupted = backtest(Series(start=START, minutes=30, counts=matrix.reshape(-1)), horizon_weeks=8)
    assert corrupted.params == honest.params
    assert corrupted.weeks[:3] == honest.weeks[:3]
    # The fourth week's forecast is made at its origin: the corrupted week itself is not seen.
    for ours, theirs in zip(honest.forecasts[:4], corrupted.forecasts[:4], strict=True):
        np.testing.assert_array_equal(ours.counts, theirs.counts)
    assert corrupted.weeks[3] != honest.weeks[3]  # the corruption is real: it changes the actuals
    assert not np.array_equal(corrupted.forecasts[4].counts, honest.forecasts[4].counts)  # and later forecasts


def test_parameters_are_tuned_on_data_before_the_window_only() -> None:
    series = synthetic(30, 1.01, noise_seed=5)
    window_start = 22 * 7
    chosen = choose_params(series, window_start, 8)
    matrix = series.counts.reshape(-1, PER_DAY).copy()
    matrix[window_start:] *= 5.0
    assert choose_params(Series(start=START, minutes=30, counts=matrix.reshape(-1)), window_start, 8) == chosen
    assert backtest(series, 8).params == chosen


# ------------------------------------------------------------------------------------ special days


def test_special_days_use_the_holiday_history_of_their_weekday_else_a_learnt_factor() -> None:
    weeks = 10
    matrix = np.tile(weekly_pattern(), (weeks, 1))
    mondays = [date(2024, 1, 1) + timedelta(days=7 * w) for w in (2, 5)]
    wednesday = date(2024, 1, 1) + timedelta(days=7 * 7 + 2)
    for holiday in [*mondays, wednesday]:
        matrix[(holiday - START.date()).days] *= 0.3
    series = Series(start=START, minutes=30, counts=matrix.reshape(-1))
    next_monday = date(2024, 1, 1) + timedelta(days=7 * weeks)
    next_tuesday = next_monday + timedelta(days=1)
    params = Params(decay=0.7, weeks=8, damping=0.0)

    plain = forecast(series, 7, params, special_days=[*mondays, wednesday]).counts.reshape(7, PER_DAY)
    # Past holidays do not dent the normal profile.
    np.testing.assert_allclose(plain, weekly_pattern(), rtol=1e-9)

    special = forecast(series, 7, params, special_days=[*mondays, wednesday, next_monday, next_tuesday])
    days = special.counts.reshape(7, PER_DAY)
    np.testing.assert_allclose(days[0], 0.3 * weekly_pattern()[0], rtol=1e-9)  # from holiday Mondays
    np.testing.assert_allclose(days[1], 0.3 * weekly_pattern()[1], rtol=1e-9)  # no holiday Tuesday: factor 0.3
    np.testing.assert_allclose(days[2:], weekly_pattern()[2:], rtol=1e-9)

    # Without any past holiday there is nothing to learn: the normal forecast stands.
    clean = Series(start=START, minutes=30, counts=np.tile(weekly_pattern(), (weeks, 1)).reshape(-1))
    alone = forecast(clean, 7, params, special_days=[next_tuesday]).counts.reshape(7, PER_DAY)
    np.testing.assert_allclose(alone, weekly_pattern(), rtol=1e-9)


# -------------------------------------------------------------------------------------- bad input


def _irregular() -> Series:
    starts = [START, START + timedelta(minutes=30), START + timedelta(minutes=90)]
    return Series.from_points(starts, [1, 2, 3])


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: Series(start=START, minutes=30, counts=np.array([])), "counts"),
        (lambda: Series(start=START, minutes=30, counts=np.array([1.0, -1.0])), "counts"),
        (lambda: Series(start=START, minutes=30, counts=np.array([1.0, np.nan])), "counts"),
        (lambda: Series(start=START, minutes=30, counts=np.ones((2, 2))), "counts"),
        (lambda: Series(start=START, minutes=7, counts=np.ones(3)), "minutes"),
        (lambda: Series(start=START + timedelta(minutes=10), minutes=30, counts=np.ones(3)), "start"),
        (lambda: Series.from_points([], []), "counts"),
        (_irregular, "start"),
        (lambda: Series.from_points([START, START], [1, 2]), "start"),
        (lambda: Series.from_points([START, START + timedelta(minutes=30)], [1]), "counts"),
        (lambda: forecast(Series(start=START, minutes=30, counts=np.ones(6 * PER_DAY))), "counts"),
        (lambda: forecast(Series(start=START, minutes=30, counts=np.ones(7 * PER_DAY + 1))), "counts"),
        (lambda: forecast(Series(start=START.replace(hour=1), minutes=30, counts=np.ones(7 * PER_DAY))), "start"),
        (lambda: forecast(synthetic(2), 0), "days"),
        (lambda: backtest(synthetic(8), horizon_weeks=8), "horizon_weeks"),
        (lambda: backtest(synthetic(8), horizon_weeks=0), "horizon_weeks"),
        (lambda: Params(decay=0), "decay"),
        (lambda: Params(damping=1.5), "damping"),
    ],
)
def test_bad_input_is_refused_naming_the_field(call: Callable[[], Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        call()
    assert err.value.field == field


# -------------------------------------------------------------------------------------- real data


def load_bank(path: Path) -> Series:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    starts = [datetime.fromisoformat(f"{row['date']}T{row['start']}") for row in rows]
    return Series.from_points(starts, [float(row["calls"]) for row in rows])


@pytest.mark.skipif(not BANK.is_file(), reason=f"anonymous-bank data not found at {BANK} (set HELPLINE_DATASETS)")
def test_on_the_anonymous_bank_last_8_weeks_we_beat_seasonal_naive() -> None:
    series = aggregate(load_bank(BANK), 30)
    assert series.days == 365
    result = backtest(series, horizon_weeks=8)
    assert result.weeks[-1].origin == date(1999, 12, 25)
    assert result.wape < result.wape_naive
    assert sum(w.wape < w.wape_naive for w in result.weeks) >= 6
