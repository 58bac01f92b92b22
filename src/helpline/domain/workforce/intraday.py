"""Intraday management: today's actual volume against the forecast, a re-forecast of the rest of
the day, and the staff the published schedule puts on each interval. (The staff the re-forecast
needs comes from planning.plan_live for live channels, and scale_required here for backlog work.)

Re-forecast (the choice, and why). The shape of a day is the forecast's strongest part (intraday
seasonality is stable), its level the weakest (a campaign, an outage, the weather). So the rest of
the day keeps the forecast's shape and takes a new level: remaining forecast x r, with

    r = (actual so far + k) / (forecast so far + k)

the ratio of what came to what was expected over the elapsed intervals, shrunk toward 1 by a prior
of k contacts (default 20). It is the posterior mean of a multiplicative Poisson level with a
Gamma(k, k) prior centred on 1 (the forecast is right until the data says otherwise): after 3 calls
where 2 were expected r = 23/22 = 1.05, not 1.5; after 300 where 200 were expected r = 320/220 = 1.45.
r is clamped to [1/4, 4] so one odd morning cannot plan a day of zero or of ten times the staff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from helpline.domain.errors import ValidationFailed

DEFAULT_PRIOR_CONTACTS: Final = 20.0
MIN_RATIO: Final = 0.25
MAX_RATIO: Final = 4.0

Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Reforecast:
    """Today's volumes: `volumes` holds the actual counts of completed intervals and the re-forecast after."""

    elapsed: int  # completed intervals (actuals known)
    ratio: float  # r applied to the remaining forecast
    raw_ratio: float | None  # actual / forecast so far, unshrunk (None when nothing was forecast yet)
    actual_so_far: float
    forecast_so_far: float
    forecast_day: float
    volumes: Floats  # per interval: actual for the elapsed ones, forecast x r for the rest

    @property
    def reforecast_day(self) -> float:
        """The day's expected total now: what came plus what is still expected."""
        return float(self.volumes.sum())


def _floats(values: ArrayLike, field: str) -> Floats:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValidationFailed(f"{field} must be finite counts, zero or more", field=field)
    return array


def reforecast(
    forecast: ArrayLike,
    actual: ArrayLike,
    *,
    prior_contacts: float = DEFAULT_PRIOR_CONTACTS,
) -> Reforecast:
    """Re-forecast the day: `forecast` has one value per interval of the day, `actual` one per
    completed interval (so len(actual) <= len(forecast)). The interval under way is left out: its
    count so far would be compared with a whole interval's forecast and pull r down."""
    planned = _floats(forecast, "forecast")
    seen = _floats(actual, "actual")
    if len(seen) > len(planned):
        raise ValidationFailed("more actual intervals than forecast ones", field="actual")
    if not prior_contacts > 0:
        raise ValidationFailed("the prior must be a positive number of contacts", field="prior_contacts")
    elapsed = len(seen)
    actual_so_far = float(seen.sum())
    forecast_so_far = float(planned[:elapsed].sum())
    ratio = (actual_so_far + prior_contacts) / (forecast_so_far + prior_contacts)
    ratio = min(max(ratio, MIN_RATIO), MAX_RATIO)
    volumes = np.concatenate([seen, planned[elapsed:] * ratio])
    return Reforecast(
        elapsed=elapsed,
        ratio=ratio,
        raw_ratio=actual_so_far / forecast_so_far if forecast_so_far > 0 else None,
        actual_so_far=actual_so_far,
        forecast_so_far=forecast_so_far,
        forecast_day=float(planned.sum()),
        volumes=volumes,
    )


def scale_required(required: ArrayLike, ratio: float, start: int = 0) -> NDArray[np.int64]:
    """For work without a queueing model (email's backlog plan): the plan's staff scaled by the
    re-forecast ratio from interval `start` on, rounded up."""
    staff = np.asarray(required, dtype=np.float64).copy()
    staff[start:] = staff[start:] * ratio
    return np.ceil(staff - 1e-9).astype(np.int64)


def staffed(
    spans: Iterable[tuple[datetime, datetime]], day_start: datetime, interval_minutes: int, count: int
) -> Floats:
    """Agents scheduled per interval: each working span adds the share of each interval it covers
    (an agent on break for 15 minutes of a 30-minute interval counts as half an agent there)."""
    if interval_minutes <= 0 or count < 0:
        raise ValidationFailed("intervals must have a positive length", field="interval_minutes")
    size = timedelta(minutes=interval_minutes)
    staff = np.zeros(count, dtype=np.float64)
    seconds = size.total_seconds()
    for start, end in spans:
        first = max(0, int((start - day_start) // size))
        last = min(count - 1, int((end - day_start) // size))
        for index in range(first, last + 1):
            left = day_start + index * size
            overlap = (min(end, left + size) - max(start, left)).total_seconds()
            if overlap > 0:
                staff[index] += overlap / seconds
    return staff


def completed_intervals(day_start: datetime, now: datetime, interval_minutes: int, count: int) -> int:
    """How many intervals of the day have ended by `now` (0 before the day, `count` after it)."""
    if now <= day_start:
        return 0
    return min(int((now - day_start) // timedelta(minutes=interval_minutes)), count)
