"""Wallboard figures: today's service level per queue, and agent occupancy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """`percent`: answered within the target over all contacts that ended waiting today (answered
    plus abandoned), the usual contact-center definition; None when there were none yet."""

    answered: int
    abandoned: int
    within: int
    percent: float | None


def service_level(answer_waits: Iterable[float], abandoned: int, target_seconds: float) -> ServiceLevel:
    """`answer_waits`: seconds each answered contact waited (queued to accepted)."""
    waits = list(answer_waits)
    within = sum(1 for w in waits if w <= target_seconds)
    offered = len(waits) + abandoned
    percent = round(100.0 * within / offered, 1) if offered else None
    return ServiceLevel(answered=len(waits), abandoned=abandoned, within=within, percent=percent)


def occupancy(busy: int, wrap_up: int, available: int) -> float | None:
    """Share (percent) of present, non-away agents who are working (busy or in wrap-up); None if nobody is."""
    staffed = busy + wrap_up + available
    return round(100.0 * (busy + wrap_up) / staffed, 1) if staffed else None


def day_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of `now`'s calendar day in `timezone`, in UTC (DST days are 23 or 25 hours long)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(0), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
