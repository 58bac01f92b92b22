"""Intraday maths: the damped re-forecast ratio, scaled staffing, and staff counted per interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.intraday import (
    MAX_RATIO,
    MIN_RATIO,
    completed_intervals,
    reforecast,
    scale_required,
    staffed,
)

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def test_on_forecast_the_rest_of_the_day_is_unchanged() -> None:
    result = reforecast([10, 20, 30, 40], [10, 20])
    assert result.ratio == 1.0
    assert result.raw_ratio == 1.0
    assert list(result.volumes) == [10, 20, 30, 40]
    assert (result.actual_so_far, result.forecast_so_far, result.forecast_day, result.reforecast_day) == (
        30,
        30,
        100,
        100,
    )


def test_the_ratio_is_shrunk_toward_one_when_little_has_been_seen() -> None:
    few = reforecast([2, 10, 10], [3])
    assert few.raw_ratio == 1.5
    assert few.ratio == pytest.approx(23 / 22)  # the prior of 20 contacts dominates
    many = reforecast([200, 100, 100], [300])
    assert many.ratio == pytest.approx(320 / 220)
    assert list(many.volumes) == pytest.approx([300, 100 * 320 / 220, 100 * 320 / 220])
    assert reforecast([200, 100], [300], prior_contacts=1e-9).ratio == pytest.approx(1.5)


def test_the_ratio_is_clamped() -> None:
    assert reforecast([1000, 10], [0]).ratio == MIN_RATIO
    assert reforecast([10, 10], [5000]).ratio == MAX_RATIO


def test_before_anything_is_known_the_forecast_stands() -> None:
    result = reforecast([5, 5, 5], [])
    assert (result.elapsed, result.ratio, result.raw_ratio) == (0, 1.0, None)
    assert list(result.volumes) == [5, 5, 5]
    assert reforecast([0, 0, 4], [0, 0]).raw_ratio is None


@pytest.mark.parametrize(
    ("forecast", "actual", "field"),
    [
        ([1, 2], [1, 2, 3], "actual"),
        ([1, -1], [], "forecast"),
        ([1, float("nan")], [], "forecast"),
        ([1], [-2], "actual"),
    ],
)
def test_bad_series_are_refused(forecast: list[float], actual: list[float], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        reforecast(forecast, actual)
    assert caught.value.field == field


def test_bad_prior_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        reforecast([1], [], prior_contacts=0)


def test_scale_required_rounds_up_only_the_remaining_intervals() -> None:
    assert list(scale_required([3, 3, 3, 0], 1.2, start=2)) == [3, 3, 4, 0]
    assert list(scale_required([5, 10], 1.0)) == [5, 10]  # no float dust turns 10 into 11


def test_staffed_counts_partial_intervals() -> None:
    spans = [
        (DAY + timedelta(hours=9), DAY + timedelta(hours=10)),
        (DAY + timedelta(hours=9, minutes=15), DAY + timedelta(hours=9, minutes=30)),
        (DAY - timedelta(hours=1), DAY + timedelta(minutes=30)),  # started the day before
    ]
    staff = staffed(spans, DAY, 30, 48)
    assert staff[0] == 1.0
    assert staff[18] == 1.5
    assert staff[19] == 1.0
    assert staff[20] == 0.0
    assert staff.sum() == pytest.approx(1 + 2 + 0.5)
    assert np.all(staffed([], DAY, 30, 4) == 0)
    with pytest.raises(ValidationFailed):
        staffed([], DAY, 0, 4)


def test_completed_intervals() -> None:
    assert completed_intervals(DAY, DAY - timedelta(hours=1), 30, 48) == 0
    assert completed_intervals(DAY, DAY + timedelta(minutes=29), 30, 48) == 0
    assert completed_intervals(DAY, DAY + timedelta(minutes=30), 30, 48) == 1
    assert completed_intervals(DAY, DAY + timedelta(days=2), 30, 48) == 48
