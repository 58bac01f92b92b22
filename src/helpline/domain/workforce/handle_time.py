"""Handle-time forecasting per interval: a weekly profile of average handle time (AHT), shrunk
toward the queue's overall mean where an interval has seen few contacts, and its backtest.

Inputs are per-interval totals laid out like a forecast.Series: consecutive days from midnight,
`per_day` intervals each, the history ending at the forecast origin. For every interval we know
`handled` (contacts with a handle time) and `seconds` (the sum of their handle times).

The profile. For each interval of the week k (day-of-week x interval-of-day, aligned on the
origin's weekday exactly as forecast.py aligns weeks), over the last `weeks` weeks:

    AHT_k = (S_k + prior x m) / (N_k + prior)

where S_k and N_k are the summed handle seconds and contact count in slot k and m = sum S / sum N
is the overall mean. This is the posterior mean of a slot's AHT when the overall mean acts as a
prior worth `prior` contacts (the empirical-Bayes / credibility blend): a slot with thousands of
calls keeps its own mean, a slot with two calls at 03:00 stays near the queue's mean instead of
swinging with them, and a slot that never saw a contact gets the mean itself. Weighting by
contacts (S_k / N_k, not a mean of means) makes AHT the volume-weighted mean, which is what
workload (volume x AHT) needs.

The backtest rolls the origin one week at a time, like forecast.backtest, and scores by weighted
MAPE: sum |S_i - N_i x f_i| / sum S_i over the week's intervals, i.e. the absolute AHT error of
each interval weighted by its contacts, relative to the actual workload. The benchmark is naive:
the flat mean AHT of the 4 weeks before the origin. The prior's weight is chosen from PRIOR_GRID
by the same rolling score on the weeks just before the scored window (never on the window
itself), so a queue whose handle time has no weekly shape ends up near its plain mean and one
with a strong shape keeps it. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpline.domain.errors import ValidationFailed

Floats = NDArray[np.float64]

DAYS_PER_WEEK: Final = 7
DEFAULT_PRIOR_CONTACTS: Final = 20.0  # a slot's own mean outweighs the overall mean once it has 20 contacts
NAIVE_WEEKS: Final = 4
PRIOR_GRID: Final = (5.0, 20.0, 100.0, 500.0, 2500.0)


def _arrays(seconds: ArrayLike, handled: ArrayLike, per_day: int) -> tuple[Floats, Floats]:
    s = np.asarray(seconds, dtype=np.float64)
    n = np.asarray(handled, dtype=np.float64)
    if s.shape != n.shape or s.ndim != 1:
        raise ValidationFailed("handle seconds and contacts must be equal-length series", field="handled")
    if per_day < 1 or len(s) % per_day:
        raise ValidationFailed("the history must cover whole days", field="handled")
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(n))) or np.any(s < 0) or np.any(n < 0):
        raise ValidationFailed("handle seconds and contacts must be finite and not negative", field="handled")
    return s, n


def overall_mean(seconds: ArrayLike, handled: ArrayLike) -> float | None:
    """Volume-weighted mean handle time in seconds; None when no contact has a handle time."""
    total = float(np.sum(handled))
    return float(np.sum(seconds)) / total if total > 0 else None


@dataclass(frozen=True, slots=True, eq=False)
class AhtProfile:
    """AHT per interval of the week (7 x per_day), slot 0 = the origin's weekday, and the mean."""

    per_day: int
    mean: float
    week: Floats  # shape (7, per_day)
    contacts: Floats  # contacts behind each slot (before shrinkage), shape (7, per_day)


def profile(
    seconds: ArrayLike,
    handled: ArrayLike,
    per_day: int,
    *,
    weeks: int = 8,
    prior: float = DEFAULT_PRIOR_CONTACTS,
    fallback: float | None = None,
) -> AhtProfile:
    """The shrunk weekly AHT profile from the last `weeks` weeks of history (fewer if shorter).

    `fallback` is the mean to use when the history has no handle time at all (a per-channel
    default chosen by the caller); without one that is a ValidationFailed."""
    s, n = _arrays(seconds, handled, per_day)
    if weeks < 1:
        raise ValidationFailed("the profile needs at least one week", field="weeks")
    if prior < 0:
        raise ValidationFailed("the prior weight must not be negative", field="prior")
    days = len(s) // per_day
    keep = min(days, weeks * DAYS_PER_WEEK) * per_day
    s, n = s[len(s) - keep :], n[len(n) - keep :]
    kept_days = keep // per_day
    mean = overall_mean(s, n)
    if mean is None:
        if fallback is None:
            raise ValidationFailed("no contact in the history has a handle time", field="handled")
        mean = float(fallback)
    slot_seconds = np.zeros((DAYS_PER_WEEK, per_day))
    slot_contacts = np.zeros((DAYS_PER_WEEK, per_day))
    # History day d (0 = oldest kept) lies (kept_days - d) days before the origin: its weekday slot
    # relative to the origin is (d - kept_days) mod 7.
    slots = (np.arange(kept_days) - kept_days) % DAYS_PER_WEEK
    np.add.at(slot_seconds, slots, s.reshape(kept_days, per_day))
    np.add.at(slot_contacts, slots, n.reshape(kept_days, per_day))
    if prior == 0:
        week = np.where(slot_contacts > 0, slot_seconds / np.maximum(slot_contacts, 1e-12), mean)
    else:
        week = (slot_seconds + prior * mean) / (slot_contacts + prior)
    return AhtProfile(per_day=per_day, mean=mean, week=week, contacts=slot_contacts)


def forecast_aht(profile_: AhtProfile, days: int) -> Floats:
    """AHT in seconds for each interval of the `days` days after the origin."""
    if days < 1:
        raise ValidationFailed("the horizon must be at least one day", field="days")
    return np.concatenate([profile_.week[day % DAYS_PER_WEEK] for day in range(days)])


def weighted_mape(seconds: ArrayLike, handled: ArrayLike, forecast: ArrayLike) -> float:
    """sum |S_i - N_i x f_i| / sum S_i: per-interval AHT error weighted by contacts (0.1 = 10 %)."""
    s = np.asarray(seconds, dtype=np.float64)
    n = np.asarray(handled, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if not s.shape == n.shape == f.shape:
        raise ValidationFailed("actual and forecast must have the same length", field="forecast")
    total = float(s.sum())
    if total <= 0:
        raise ValidationFailed("weighted MAPE is undefined without handled contacts", field="handled")
    return float(np.abs(s - n * f).sum()) / total


@dataclass(frozen=True, slots=True)
class AhtBacktest:
    """Rolling-origin AHT backtest: weighted MAPE of the profile and of the naive 4-week mean."""

    weeks: int
    wmape: float
    wmape_naive: float
    prior: float = DEFAULT_PRIOR_CONTACTS  # the prior weight used (chosen before the window)


def _roll(
    s: Floats, n: Floats, per_day: int, first_day: int, horizon_weeks: int, weeks: int, prior: float
) -> tuple[Floats, Floats, Floats, Floats]:
    """Actual seconds and contacts, our forecast and naive's, for `horizon_weeks` weeks from `first_day`."""
    week_len = DAYS_PER_WEEK * per_day
    actual_s, actual_n, ours, naive = [], [], [], []
    for week in range(horizon_weeks):
        origin = (first_day + week * DAYS_PER_WEEK) * per_day
        past_s, past_n = s[:origin], n[:origin]
        recent = slice(max(0, origin - NAIVE_WEEKS * week_len), origin)
        naive_mean = overall_mean(past_s[recent], past_n[recent])
        if naive_mean is None:
            raise ValidationFailed("no handle time in the weeks before the backtest", field="handled")
        fitted = profile(past_s, past_n, per_day, weeks=weeks, prior=prior)
        actual_s.append(s[origin : origin + week_len])
        actual_n.append(n[origin : origin + week_len])
        ours.append(forecast_aht(fitted, DAYS_PER_WEEK))
        naive.append(np.full(week_len, naive_mean))
    return np.concatenate(actual_s), np.concatenate(actual_n), np.concatenate(ours), np.concatenate(naive)


def choose_prior(
    seconds: ArrayLike, handled: ArrayLike, per_day: int, before_day: int, tuning_weeks: int, *, weeks: int = 8
) -> float:
    """The PRIOR_GRID weight with the lowest weighted MAPE over the `tuning_weeks` weeks before day
    `before_day`, using data before that day only; the default when that history is too short."""
    s, n = _arrays(seconds, handled, per_day)
    first = before_day - tuning_weeks * DAYS_PER_WEEK
    if tuning_weeks < 1 or first < DAYS_PER_WEEK:
        return DEFAULT_PRIOR_CONTACTS
    best, best_score = DEFAULT_PRIOR_CONTACTS, float("inf")
    for prior in PRIOR_GRID:
        try:
            a_s, a_n, ours, _naive = _roll(s, n, per_day, first, tuning_weeks, weeks, prior)
            score = weighted_mape(a_s, a_n, ours)
        except ValidationFailed:  # a tuning week without handled contacts: keep the default
            return DEFAULT_PRIOR_CONTACTS
        if score < best_score:
            best, best_score = prior, score
    return best


def backtest(
    seconds: ArrayLike,
    handled: ArrayLike,
    per_day: int,
    horizon_weeks: int = 4,
    *,
    weeks: int = 8,
    prior: float | None = None,
    tuning_weeks: int = 4,
) -> AhtBacktest:
    """Score the last `horizon_weeks` weeks, each forecast from the history before it only.

    `prior` None: chosen by `choose_prior` on up to `tuning_weeks` weeks before the window. Needs
    at least one week of history before the window and handled contacts in every scored week
    (and before it); a ValidationFailed says what is missing otherwise."""
    s, n = _arrays(seconds, handled, per_day)
    if horizon_weeks < 1:
        raise ValidationFailed("the backtest needs at least one week", field="horizon_weeks")
    days = len(s) // per_day
    first = days - horizon_weeks * DAYS_PER_WEEK
    if first < DAYS_PER_WEEK:
        raise ValidationFailed(
            f"a {horizon_weeks}-week AHT backtest needs at least {horizon_weeks + 1} weeks of data",
            field="horizon_weeks",
        )
    if prior is None:
        usable = min(tuning_weeks, (first - DAYS_PER_WEEK) // DAYS_PER_WEEK)
        prior = choose_prior(s, n, per_day, first, usable, weeks=weeks)
    a_s, a_n, ours, naive = _roll(s, n, per_day, first, horizon_weeks, weeks, prior)
    return AhtBacktest(
        weeks=horizon_weeks,
        wmape=weighted_mape(a_s, a_n, ours),
        wmape_naive=weighted_mape(a_s, a_n, naive),
        prior=prior,
    )
