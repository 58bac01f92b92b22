"""Handle-time forecast: volume weighting, shrinkage toward the mean, weekday alignment, backtest."""

from __future__ import annotations

import numpy as np
import pytest

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.handle_time import (
    DEFAULT_PRIOR_CONTACTS,
    PRIOR_GRID,
    backtest,
    choose_prior,
    forecast_aht,
    overall_mean,
    profile,
    weighted_mape,
)

PER_DAY = 4  # 6-hour intervals keep the arrays readable


def weeks_of(handled_day: list[float], aht_day: list[float], weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """`weeks` identical weeks where every day looks like `handled_day` contacts with `aht_day` AHT."""
    n = np.tile(np.array(handled_day, dtype=float), 7 * weeks)
    s = n * np.tile(np.array(aht_day, dtype=float), 7 * weeks)
    return s, n


def test_the_mean_is_weighted_by_contacts_not_a_mean_of_interval_means() -> None:
    # 99 calls of 100 s and 1 call of 1000 s: the average call lasts 109 s, not (100 + 1000) / 2.
    assert overall_mean([9900.0, 1000.0], [99.0, 1.0]) == pytest.approx(109.0)
    assert overall_mean([0.0, 0.0], [0.0, 0.0]) is None


def test_a_busy_interval_keeps_its_own_mean_and_a_quiet_one_is_shrunk_toward_the_overall() -> None:
    s, n = weeks_of([1000, 1000, 1000, 1], [200, 200, 200, 2000], weeks=2)
    fitted = profile(s, n, PER_DAY, prior=20)
    mean = float(s.sum() / n.sum())
    assert fitted.mean == pytest.approx(mean)
    # 2000 contacts over the two weeks in each busy slot: the prior of 20 barely moves them.
    assert fitted.week[0, 0] == pytest.approx((2000 * 200 + 20 * mean) / 2020)
    assert abs(fitted.week[0, 0] - 200) < 0.02 * 200
    # Two contacts of 2000 s in the quiet slot: mostly the overall mean, pulled a little up.
    quiet = fitted.week[0, 3]
    assert quiet == pytest.approx((2 * 2000 + 20 * mean) / 22)
    assert mean < quiet < 0.25 * 2000 + mean
    # No shrinkage: each slot's own mean.
    raw = profile(s, n, PER_DAY, prior=0)
    assert raw.week[0, 3] == pytest.approx(2000.0)


def test_a_slot_without_contacts_gets_the_mean_and_no_history_takes_the_fallback() -> None:
    s, n = weeks_of([10, 10, 0, 10], [300, 300, 0, 300], weeks=1)
    assert profile(s, n, PER_DAY).week[:, 2] == pytest.approx(300.0)
    zeros = np.zeros(7 * PER_DAY)
    assert profile(zeros, zeros, PER_DAY, fallback=480.0).week == pytest.approx(np.full((7, PER_DAY), 480.0))
    with pytest.raises(ValidationFailed, match="no contact"):
        profile(zeros, zeros, PER_DAY)


def test_weekdays_are_aligned_on_the_origin_whatever_weekday_the_history_starts() -> None:
    # 10 days of history: day d has AHT 100 + 10 x (weekday slot relative to the origin).
    days = 10
    n = np.full(days * PER_DAY, 50.0)
    slot = (np.arange(days) - days) % 7
    s = n * np.repeat(100.0 + 10 * slot, PER_DAY)
    ahead = forecast_aht(profile(s, n, PER_DAY, prior=0), 9).reshape(9, PER_DAY)
    # The day after the history is slot 0, then 1, ... and 7 days on, slot 0 again.
    assert list(ahead[:, 0]) == pytest.approx([100, 110, 120, 130, 140, 150, 160, 100, 110])


def test_only_the_last_weeks_count() -> None:
    old_s, old_n = weeks_of([10] * PER_DAY, [900] * PER_DAY, weeks=4)
    new_s, new_n = weeks_of([10] * PER_DAY, [300] * PER_DAY, weeks=2)
    s, n = np.concatenate([old_s, new_s]), np.concatenate([old_n, new_n])
    assert profile(s, n, PER_DAY, weeks=2).mean == pytest.approx(300.0)
    assert profile(s, n, PER_DAY, weeks=6).mean == pytest.approx((4 * 900 + 2 * 300) / 6)


def test_weighted_mape_weights_each_interval_by_its_contacts() -> None:
    # Actual AHT 100 s on 9 calls and 200 s on 1 call; forecast 100 s everywhere: off by 100 s on 1 call.
    assert weighted_mape([900.0, 200.0], [9.0, 1.0], [100.0, 100.0]) == pytest.approx(100 / 1100)
    assert weighted_mape([900.0, 200.0], [9.0, 1.0], [100.0, 200.0]) == 0.0
    with pytest.raises(ValidationFailed):
        weighted_mape([0.0], [0.0], [1.0])
    with pytest.raises(ValidationFailed):
        weighted_mape([1.0, 2.0], [1.0, 1.0], [1.0])


def test_the_profile_beats_the_flat_naive_mean_when_handle_time_has_a_weekly_shape() -> None:
    rng = np.random.default_rng(3)
    weeks = 10
    n = rng.poisson(40, 7 * weeks * PER_DAY).astype(float)
    shape = np.tile(np.repeat([300.0, 300, 300, 300, 300, 600, 600], PER_DAY), weeks)  # long weekend calls
    s = n * shape * rng.normal(1, 0.05, n.size)
    scored = backtest(s, n, PER_DAY, horizon_weeks=4)
    assert scored.weeks == 4
    assert scored.wmape < 0.1 < scored.wmape_naive


def test_the_backtest_never_peeks_at_the_week_it_scores() -> None:
    # Flat 300 s for 5 weeks, then the last week jumps to 900 s: a forecast made before it cannot know.
    s, n = weeks_of([10] * PER_DAY, [300] * PER_DAY, weeks=6)
    s[-7 * PER_DAY :] *= 3
    scored = backtest(s, n, PER_DAY, horizon_weeks=1)
    assert scored.wmape == pytest.approx(600 / 900)


def test_bad_input_is_refused_by_name() -> None:
    s, n = weeks_of([1] * PER_DAY, [100] * PER_DAY, weeks=2)
    with pytest.raises(ValidationFailed, match="whole days"):
        profile(s[:-1], n[:-1], PER_DAY)
    with pytest.raises(ValidationFailed, match="equal-length"):
        profile(s, n[:-4], PER_DAY)
    with pytest.raises(ValidationFailed, match="not negative"):
        profile(-s, n, PER_DAY)
    with pytest.raises(ValidationFailed, match="finite"):
        profile(s * np.inf, n, PER_DAY)
    with pytest.raises(ValidationFailed, match="3 weeks"):
        backtest(s, n, PER_DAY, horizon_weeks=2)
    with pytest.raises(ValidationFailed):
        forecast_aht(profile(s, n, PER_DAY), 0)


def test_the_prior_is_chosen_before_the_window_small_for_a_real_shape_large_for_noise() -> None:
    rng = np.random.default_rng(5)
    weeks = 10
    n = rng.poisson(5, 7 * weeks * PER_DAY).astype(float)
    noise = n * rng.uniform(100, 900, n.size)  # no weekly shape: any slot mean is noise
    assert choose_prior(noise, n, PER_DAY, 7 * 6, 4) == max(PRIOR_GRID)
    shaped = n * np.tile(np.repeat([200.0, 200, 200, 200, 200, 900, 900], PER_DAY), weeks)
    assert choose_prior(shaped, n, PER_DAY, 7 * 6, 4) == min(PRIOR_GRID)
    # Too little history before the window to tune on: the default.
    assert choose_prior(shaped, n, PER_DAY, 7 * 2, 4) == DEFAULT_PRIOR_CONTACTS
    scored = backtest(noise, n, PER_DAY, horizon_weeks=4)
    assert scored.prior == max(PRIOR_GRID) and scored.wmape == pytest.approx(scored.wmape_naive, rel=0.05)
