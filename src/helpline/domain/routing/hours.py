"""Queue business hours: is a queue open at an instant, and when does it open next (zoneinfo, DST-safe)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpline.domain.errors import ValidationFailed
from helpline.domain.routing.model import Hours

DAY_MINUTES = 24 * 60
# A window may run past midnight (22:00-02:00 is (1320, 1560)), never past the next midnight.
LATEST_CLOSE = 2 * DAY_MINUTES


def validate_hours(hours: Hours) -> None:
    try:
        ZoneInfo(hours.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(f"unknown timezone {hours.timezone!r}", field="hours.timezone") from exc
    for weekday, windows in hours.weekly.items():
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationFailed(f"weekday must be 0 (Monday) to 6, not {weekday!r}", field="hours.weekly")
        for window in windows:
            if len(window) != 2:
                raise ValidationFailed("an opening window is [open, close] in minutes", field="hours.weekly")
            start, end = window
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= LATEST_CLOSE):
                raise ValidationFailed(
                    f"opening window {list(window)} must satisfy 0 <= open < close <= {LATEST_CLOSE}",
                    field="hours.weekly",
                )
    for day in hours.closed_dates:
        try:
            date.fromisoformat(day)
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(f"closed date {day!r} is not an ISO date", field="hours.closed_dates") from exc


def _local(hours: Hours, at_epoch: float) -> datetime:
    return datetime.fromtimestamp(at_epoch, UTC).astimezone(ZoneInfo(hours.timezone))


def _windows(hours: Hours, day: date) -> list[tuple[int, int]]:
    """Minute windows of `day` (relative to its midnight), counting windows of the day before that run past midnight."""
    found: list[tuple[int, int]] = []
    if day.isoformat() not in hours.closed_dates:
        found.extend((start, end) for start, end in hours.weekly.get(day.weekday(), ()))
    before = day - timedelta(days=1)
    if before.isoformat() not in hours.closed_dates:
        for start, end in hours.weekly.get(before.weekday(), ()):
            if end > DAY_MINUTES:
                found.append((max(0, start - DAY_MINUTES), end - DAY_MINUTES))
    return sorted(found)


def _wall(hours: Hours, day: date, minutes: int) -> float:
    """Epoch seconds of `minutes` after local midnight of `day` (wall-clock minutes, DST-aware)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(hours.timezone))
    return (midnight + timedelta(minutes=minutes)).timestamp()


def is_open(hours: Hours | None, at_epoch: float) -> bool:
    """Whether the queue takes new items at `at_epoch` (None hours = always open)."""
    if hours is None:
        return True
    local = _local(hours, at_epoch)
    minute = local.hour * 60 + local.minute + local.second / 60
    return any(start <= minute < end for start, end in _windows(hours, local.date()))


def next_open(hours: Hours | None, at_epoch: float) -> float | None:
    """`at_epoch` if open then, else the epoch second the queue next opens; None if it never opens (within a year)."""
    if is_open(hours, at_epoch):
        return at_epoch
    assert hours is not None
    local = _local(hours, at_epoch)
    for offset in range(0, 370):
        day = local.date() + timedelta(days=offset)
        for start, _end in _windows(hours, day):
            opens = _wall(hours, day, start)
            if opens > at_epoch:
                return opens
    return None
