"""Call-volume forecasting per interval: weekly profile x damped trend, special days, rolling backtest.

A series is a run of equal intervals (6, 15, 30 or 60 minutes, any length dividing a day) with a
call count each. The forecast works on whole days starting at midnight, laid out as a
(days, intervals-per-day) matrix, with weeks counted back from the forecast origin (so the series
may start on any weekday):

* Special days (holidays, given by the caller as dates) are first replaced in the history by the
  nearest normal day with the same weekday (earlier first, else later), so they neither dent the
  profile nor the trend. The ratio actual / replacement of each past special day is kept.
* Profile: the average of the last `weeks` weeks, week by week (day-of-week x interval-of-day
  seasonality in one 7 x P table), weighted by decay^(age - 1), so recent weeks count most.
* Trend: a least-squares line through the logs of the last `trend_weeks` weekly totals gives a
  growth per week g; the profile sits at the weighted mean age a of its weeks, so the week h weeks
  after the origin (h = 0 first) is scaled by g^(damping x (a + h)). Damping 0 ignores the trend
  (the profile's level stands), 1 extrapolates it in full; the factor is clamped to [1/2, 2].
* A special day in the forecast takes the mean of the past special days on its weekday, if any
  (a bank holiday on a Monday looks like other holiday Mondays); otherwise the normal forecast
  times the median actual / replacement ratio of past special days; with no special day in the
  history there is nothing to learn from, and the normal forecast stands.

The benchmark is seasonal naive, the same interval one week earlier. `backtest` rolls the origin
one week at a time over the last `horizon_weeks` weeks, each week forecast from the history before
it, and scores both by WAPE = sum |actual - forecast| / sum actual. Its parameters are chosen by a
small grid on the weeks before that window only, so the score never profits from the data it is
scored on. Everything here is pure: no I/O, no clock.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpline.domain.errors import ValidationFailed

Floats = NDArray[np.float64]

MINUTES_PER_DAY: Final = 1440
DAYS_PER_WEEK: Final = 7
MAX_TREND_FACTOR: Final = 2.0  # a trend never more than doubles or halves a forecast: guards short, noisy fits
MAX_HORIZON_DAYS: Final = 366


# ------------------------------------------------------------------------------------------ series


@dataclass(frozen=True, slots=True, eq=False)
class Series:
    """Call counts over consecutive intervals of `minutes` minutes, the first one starting at `start`.

    Counts are floats: aggregation to a length that is not a multiple of the source's (6 -> 15
    minutes) splits a source interval's calls in proportion to time."""

    start: datetime
    minutes: int
    counts: Floats

    def __post_init__(self) -> None:
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int):
            raise ValidationFailed("the interval length must be a whole number of minutes", field="minutes")
        if self.minutes <= 0 or MINUTES_PER_DAY % self.minutes:
            raise ValidationFailed("the interval length must divide a day (e.g. 6, 15, 30, 60)", field="minutes")
        if self.start.tzinfo is not None:
            raise ValidationFailed("interval starts are local wall-clock times, without a time zone", field="start")
        if _minute_of_day(self.start) % self.minutes or self.start.second or self.start.microsecond:
            raise ValidationFailed("the first interval must start on an interval boundary", field="start")
        try:
            counts = np.array(self.counts, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValidationFailed("counts must be numbers", field="counts") from exc
        if counts.ndim != 1 or counts.size == 0:
            raise ValidationFailed("a series needs at least one interval", field="counts")
        if not np.all(np.isfinite(counts)):
            raise ValidationFailed("counts must be finite", field="counts")
        if np.any(counts < 0):
            raise ValidationFailed("counts must not be negative", field="counts")
        counts.setflags(write=False)
        object.__setattr__(self, "counts", counts)

    @classmethod
    def from_points(cls, starts: Sequence[datetime], counts: ArrayLike) -> Series:
        """A series from explicit interval starts, which must be evenly spaced (no gap, no repeat)."""
        if len(starts) == 0:
            raise ValidationFailed("a series needs at least one interval", field="counts")
        if len(starts) != len(np.atleast_1d(np.asarray(counts, dtype=object))):
            raise ValidationFailed("one count per interval start", field="counts")
        if len(starts) == 1:
            raise ValidationFailed("the interval length cannot be told from a single interval", field="start")
        step = starts[1] - starts[0]
        if any(b - a != step for a, b in itertools.pairwise(starts)):
            raise ValidationFailed("interval starts must be evenly spaced, with no gap or repeat", field="start")
        minutes, rest = divmod(step, timedelta(minutes=1))
        if rest or minutes <= 0:
            raise ValidationFailed("intervals must be a positive whole number of minutes", field="start")
        return cls(start=starts[0], minutes=int(minutes), counts=np.asarray(counts, dtype=np.float64))

    @property
    def per_day(self) -> int:
        """Intervals per day."""
        return MINUTES_PER_DAY // self.minutes

    @property
    def days(self) -> int:
        """Whole days covered (the forecast requires the series to be exactly that)."""
        return len(self.counts) // self.per_day

    def starts(self) -> list[datetime]:
        """The start of every interval."""
        step = timedelta(minutes=self.minutes)
        return [self.start + i * step for i in range(len(self.counts))]

    def date_of_day(self, day: int) -> date:
        """The calendar date of day `day` (0 = the first) of a series starting at midnight."""
        return self.start.date() + timedelta(days=day)


def _minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def aggregate(series: Series, minutes: int) -> Series:
    """The series in longer intervals of `minutes`, which must divide a day and be at least the source's.

    Calls are taken as spread evenly within each source interval: the cumulative count is
    interpolated linearly at the new boundaries. That is exact when `minutes` is a multiple of the
    source length (6 -> 30 sums five intervals) and splits boundary intervals by time otherwise
    (6 -> 15: two and a half source intervals each). The total is always preserved."""
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0 or MINUTES_PER_DAY % minutes:
        raise ValidationFailed("the interval length must divide a day (e.g. 15, 30, 60)", field="minutes")
    if minutes < series.minutes:
        raise ValidationFailed("aggregation cannot make intervals shorter", field="minutes")
    if _minute_of_day(series.start) % minutes:
        raise ValidationFailed("the series must start on a boundary of the new intervals", field="start")
    span = len(series.counts) * series.minutes
    if span % minutes:
        raise ValidationFailed("the series must cover a whole number of the new intervals", field="minutes")
    source_edges = np.arange(len(series.counts) + 1, dtype=np.float64) * series.minutes
    cumulative = np.concatenate(([0.0], np.cumsum(series.counts)))
    target_edges = np.arange(span // minutes + 1, dtype=np.float64) * minutes
    counts = np.diff(np.interp(target_edges, source_edges, cumulative))
    return Series(start=series.start, minutes=minutes, counts=np.maximum(counts, 0.0))


# ------------------------------------------------------------------------------------------- scores


def wape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Weighted absolute percentage error, sum |actual - forecast| / sum actual (0.1 = 10 %).

    Unlike a mean of per-interval percentages it is not blown up by the many near-empty night
    intervals: every call counts the same."""
    a = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if a.shape != f.shape:
        raise ValidationFailed("actual and forecast must have the same length", field="forecast")
    total = float(a.sum())
    if total <= 0:
        raise ValidationFailed("WAPE is undefined when no call was made", field="actual")
    return float(np.abs(a - f).sum()) / total


# ----------------------------------------------------------------------------------------- forecast


@dataclass(frozen=True, slots=True)
class Params:
    """Forecast settings (see the module docstring); `backtest` chooses them by a small grid."""

    decay: float = 0.7  # weight of a week relative to the week after it
    weeks: int = 8  # weeks in the profile
    damping: float = 0.5  # share of the fitted trend that is extrapolated
    trend_weeks: int = 8  # weekly totals the trend line is fitted on

    def __post_init__(self) -> None:
        if not 0 < self.decay <= 1:
            raise ValidationFailed("decay must lie in (0, 1]", field="decay")
        if not 0 <= self.damping <= 1:
            raise ValidationFailed("damping must lie in [0, 1]", field="damping")
        if self.weeks < 1:
            raise ValidationFailed("the profile needs at least one week", field="weeks")
        if self.trend_weeks < 2:
            raise ValidationFailed("a trend needs at least two weeks", field="trend_weeks")


PARAMETER_GRID: Final = tuple(
    Params(decay=decay, weeks=weeks, damping=damping)
    for decay, weeks, damping in itertools.product((0.3, 0.5, 0.7, 0.85, 1.0), (4, 8, 12), (0.0, 0.5, 1.0))
)


def _days(series: Series) -> Floats:
    """The series as a (days, intervals-per-day) matrix; it must start at midnight and cover whole days."""
    if _minute_of_day(series.start):
        raise ValidationFailed("the series must start at midnight", field="start")
    if len(series.counts) % series.per_day:
        raise ValidationFailed("the series must cover whole days", field="counts")
    return series.counts.reshape(series.days, series.per_day)


def _special_indices(series: Series, days: int, special_days: Iterable[date]) -> set[int]:
    first = series.start.date()
    indices = {(d - first).days for d in special_days}
    return {i for i in indices if 0 <= i < days}


def _clean(history: Floats, special: set[int]) -> tuple[Floats, list[float]]:
    """History with each special day replaced by the nearest normal day on its weekday, and the
    actual / replacement ratios of the special days (where the replacement has calls)."""
    clean = history.copy()
    ratios: list[float] = []
    n = len(history)
    for day in sorted(special):
        if day >= n:
            continue
        candidates = [*range(day - 7, -1, -7), *range(day + 7, n, 7)]
        normal = next((c for c in candidates if c not in special), None)
        if normal is None:
            continue
        clean[day] = history[normal]
        replacement = float(history[normal].sum())
        if replacement > 0:
            ratios.append(float(history[day].sum()) / replacement)
    return clean, ratios


def _normal_forecast(clean: Floats, days: int, params: Params) -> Floats:
    """The weekly profile, scaled by the damped trend, for `days` days after the history."""
    full_weeks = len(clean) // DAYS_PER_WEEK
    weeks = min(params.weeks, full_weeks)
    # Week k (k = 1 the most recent) holds days [n - 7k, n - 7k + 7): aligned on the origin's weekday.
    stacked = np.stack([clean[len(clean) - 7 * k : len(clean) - 7 * k + 7] for k in range(1, weeks + 1)])
    ages = np.arange(1, weeks + 1, dtype=np.float64)
    weights = params.decay ** (ages - 1)
    profile = np.tensordot(weights, stacked, axes=1) / weights.sum()
    centre = float((weights * ages).sum() / weights.sum())

    growth = 0.0
    trend_weeks = min(params.trend_weeks, full_weeks)
    if trend_weeks >= 2 and params.damping > 0:
        totals = np.array([clean[len(clean) - 7 * k : len(clean) - 7 * k + 7].sum() for k in range(1, trend_weeks + 1)])
        if np.all(totals > 0):
            # Slope of log(total) against time; time runs backwards with age, hence the minus.
            growth = -float(np.polyfit(np.arange(1, trend_weeks + 1), np.log(totals), 1)[0])

    out = np.empty((days, clean.shape[1]))
    for day in range(days):
        ahead = centre + day // DAYS_PER_WEEK
        factor = min(max(math.exp(params.damping * growth * ahead), 1 / MAX_TREND_FACTOR), MAX_TREND_FACTOR)
        out[day] = profile[day % DAYS_PER_WEEK] * factor
    return out


def forecast(
    series: Series,
    days: int = DAYS_PER_WEEK,
    params: Params | None = None,
    special_days: Iterable[date] = (),
) -> Series:
    """Forecast the `days` days following the series (which must start at midnight, cover whole
    days and hold at least one week). `special_days` may name dates in the history and in the future."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_HORIZON_DAYS:
        raise ValidationFailed(f"the horizon must be 1 to {MAX_HORIZON_DAYS} days", field="days")
    params = params or Params()
    history = _days(series)
    if len(history) < DAYS_PER_WEEK:
        raise ValidationFailed("forecasting needs at least one week of history", field="counts")
    specials = frozenset(special_days)
    past = _special_indices(series, len(history), specials)
    clean, ratios = _clean(history, past)
    out = _normal_forecast(clean, days, params)

    n = len(history)
    for offset in sorted(_special_indices(series, n + days, specials) - set(range(n))):
        day = offset - n
        same_weekday = [p for p in sorted(past) if (offset - p) % DAYS_PER_WEEK == 0]
        if same_weekday:
            out[day] = history[same_weekday].mean(axis=0)
        elif ratios:
            out[day] *= float(np.median(ratios))
    start = datetime.combine(series.date_of_day(n), time())
    return Series(start=start, minutes=series.minutes, counts=out.reshape(-1))


def seasonal_naive(series: Series, days: int = DAYS_PER_WEEK) -> Series:
    """The benchmark: each interval as it was one week earlier (weeks beyond the first repeat it)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_HORIZON_DAYS:
        raise ValidationFailed(f"the horizon must be 1 to {MAX_HORIZON_DAYS} days", field="days")
    history = _days(series)
    if len(history) < DAYS_PER_WEEK:
        raise ValidationFailed("seasonal naive needs at least one week of history", field="counts")
    last_week = history[-DAYS_PER_WEEK:]
    out = np.stack([last_week[day % DAYS_PER_WEEK] for day in range(days)])
    start = datetime.combine(series.date_of_day(len(history)), time())
    return Series(start=start, minutes=series.minutes, counts=out.reshape(-1))


# ----------------------------------------------------------------------------------------- backtest


@dataclass(frozen=True, slots=True)
class WeekScore:
    """One backtest week: its first day and both methods' WAPE on it."""

    origin: date
    wape: float
    wape_naive: float
    calls: float  # actual calls in the week


@dataclass(frozen=True, slots=True)
class Backtest:
    """Rolling-origin backtest: the chosen parameters, per-week scores and the WAPE over all weeks."""

    params: Params
    weeks: tuple[WeekScore, ...]
    wape: float
    wape_naive: float
    forecasts: tuple[Series, ...]  # our forecast of each week, as made at its origin


def _history(series: Series, days: int) -> Series:
    """The first `days` days of a series that starts at midnight: what is known at that origin."""
    return Series(start=series.start, minutes=series.minutes, counts=series.counts[: days * series.per_day])


def _roll(
    series: Series, first_origin: int, weeks: int, params: Params, special_days: frozenset[date]
) -> tuple[list[WeekScore], Floats, Floats, Floats, list[Series]]:
    """Score `weeks` weeks from day `first_origin`, each forecast from the days before it only."""
    matrix = _days(series)
    scores, actuals, ours, naive, made = [], [], [], [], []
    for week in range(weeks):
        origin = first_origin + week * DAYS_PER_WEEK
        history = _history(series, origin)
        actual = matrix[origin : origin + DAYS_PER_WEEK].reshape(-1)
        predicted = forecast(history, DAYS_PER_WEEK, params, special_days)
        mine = predicted.counts
        made.append(predicted)
        theirs = seasonal_naive(history, DAYS_PER_WEEK).counts
        scores.append(
            WeekScore(
                origin=series.date_of_day(origin),
                wape=wape(actual, mine),
                wape_naive=wape(actual, theirs),
                calls=float(actual.sum()),
            )
        )
        actuals.append(actual)
        ours.append(mine)
        naive.append(theirs)
    return scores, np.concatenate(actuals), np.concatenate(ours), np.concatenate(naive), made


def choose_params(
    series: Series,
    before_day: int,
    weeks: int,
    special_days: Iterable[date] = (),
    grid: Sequence[Params] = PARAMETER_GRID,
) -> Params:
    """The grid point with the lowest WAPE over the `weeks` weeks just before day `before_day`,
    scored only on data before that day; the defaults when there is too little history to tune on."""
    if not grid:
        raise ValidationFailed("the parameter grid is empty", field="grid")
    specials = frozenset(special_days)
    first = before_day - weeks * DAYS_PER_WEEK
    if weeks < 1 or first < 2 * DAYS_PER_WEEK:
        return Params()
    tuning = _history(series, before_day)
    best, best_score = Params(), math.inf
    for params in grid:
        _, actual, mine, _, _ = _roll(tuning, first, weeks, params, specials)
        score = wape(actual, mine)
        if score < best_score:
            best, best_score = params, score
    return best


def backtest(
    series: Series,
    horizon_weeks: int = 8,
    special_days: Iterable[date] = (),
    tuning_weeks: int = 8,
    params: Params | None = None,
) -> Backtest:
    """Rolling-origin backtest over the last `horizon_weeks` whole weeks of the series.

    Parameters are `params` if given, else chosen by `choose_params` on the `tuning_weeks` weeks
    before the window (fewer if the history is short). Each week is then forecast from the data
    before its first day only, by our method and by seasonal naive."""
    if isinstance(horizon_weeks, bool) or not isinstance(horizon_weeks, int) or horizon_weeks < 1:
        raise ValidationFailed("the backtest needs at least one week", field="horizon_weeks")
    total_days = len(_days(series))
    first_origin = total_days - horizon_weeks * DAYS_PER_WEEK
    if first_origin < DAYS_PER_WEEK:
        raise ValidationFailed(
            f"a {horizon_weeks}-week backtest needs at least {horizon_weeks + 1} weeks of data", field="horizon_weeks"
        )
    specials = frozenset(special_days)
    if params is None:
        usable = min(tuning_weeks, (first_origin - 2 * DAYS_PER_WEEK) // DAYS_PER_WEEK)
        params = choose_params(series, first_origin, usable, specials)
    scores, actual, mine, naive, made = _roll(series, first_origin, horizon_weeks, params, specials)
    return Backtest(
        params=params,
        weeks=tuple(scores),
        wape=wape(actual, mine),
        wape_naive=wape(actual, naive),
        forecasts=tuple(made),
    )
