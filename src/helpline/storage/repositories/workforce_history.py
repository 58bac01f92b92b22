"""Contact history for workforce planning: inbound contacts and handle time per interval, per
(queue, channel), bucketed by wall-clock interval in the tenant's own time zone.

Six months of a busy tenant are tens of thousands of rows, so the query is narrow: SQL returns
four numbers per contact (queue, channel, arrival and handle seconds, the last two computed by
the database as epoch seconds so no datetime object is ever built in Python) and numpy buckets them.

Wall clock, not UTC: a forecast of "Mondays at 09:00" must mean 09:00 at the tenant's, winter and
summer alike. So each arrival is shifted by its own UTC offset before bucketing. On the spring
DST change the skipped hour's intervals stay empty; on the autumn change the repeated hour's
contacts land in the same wall-clock intervals (they hold two real hours). Every local day keeps
its full number of intervals, which is what the forecast's day x interval grid expects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from helpline.storage.tables import Interaction, Tenant

EPOCH = datetime(1970, 1, 1)
JULIAN_UNIX_EPOCH = 2440587.5  # julianday('1970-01-01')
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True, eq=False)
class IntervalTotals:
    """One (queue, channel)'s contacts per interval: how many arrived, how many of them have a
    handle time, and the sum of those handle times in seconds."""

    volumes: NDArray[np.int64]
    handled: NDArray[np.int64]
    handle_seconds: NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class BucketedHistory:
    """Interval totals from `start` (local wall-clock, naive) for `intervals` intervals of `minutes`."""

    zone: str
    start: datetime
    minutes: int
    intervals: int
    groups: dict[tuple[int | None, str], IntervalTotals]

    def total(self, keys: Sequence[tuple[int | None, str]] | None = None) -> IntervalTotals:
        """The sum over `keys` (all groups when None); zeros when none match."""
        chosen = [self.groups[k] for k in (self.groups if keys is None else keys) if k in self.groups]
        volumes = np.zeros(self.intervals, dtype=np.int64)
        handled = np.zeros(self.intervals, dtype=np.int64)
        seconds = np.zeros(self.intervals, dtype=np.float64)
        for group in chosen:
            volumes += group.volumes
            handled += group.handled
            seconds += group.handle_seconds
        return IntervalTotals(volumes, handled, seconds)


class WorkforceHistoryRepository:
    """Read-only history queries of one tenant."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def zone(self) -> ZoneInfo:
        """The tenant's time zone (UTC when unset or unknown to this machine)."""
        name = self.session.scalar(select(Tenant.timezone).where(Tenant.id == self.tenant_id))
        try:
            return ZoneInfo(name or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def buckets(
        self,
        start: datetime,
        end: datetime,
        minutes: int,
        *,
        queue_id: int | None = None,
        channel: str | None = None,
    ) -> BucketedHistory:
        """Inbound contacts created in [start, end) (aware instants) per wall-clock interval of
        `minutes` in the tenant's zone, per (queue id, channel); optionally one queue or channel only.

        The first interval is the local interval holding `start`; the grid runs to the local wall
        clock of `end`. Handle time is accepted -> wrapped up (or -> ended when there was no
        wrap-up); a contact never accepted (abandoned, still waiting) counts in the volume only.
        """
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        zone = self.zone()
        step = minutes * 60
        first_local = _floor(_local_seconds(start, zone), step)
        last_local = _local_seconds(end, zone)
        intervals = max(0, -(-(last_local - first_local) // step))

        created, handle = _epoch(self._dialect(), Interaction.created_at), self._handle_expression()
        query = select(Interaction.queue_id, Interaction.channel, created, handle).where(
            Interaction.tenant_id == self.tenant_id,
            Interaction.direction == "inbound",
            Interaction.created_at >= start,
            Interaction.created_at < end,
        )
        if queue_id is not None:
            query = query.where(Interaction.queue_id == queue_id)
        if channel is not None:
            query = query.where(Interaction.channel == channel)
        # Core rows, not ORM ones: no per-row entity processing for a result that is only numbers.
        rows = self.session.connection().execute(query).fetchall()

        groups: dict[tuple[int | None, str], IntervalTotals] = {}
        start_naive = EPOCH + timedelta(seconds=first_local)
        if not rows or intervals == 0:
            return BucketedHistory(zone.key, start_naive, minutes, intervals, groups)
        queues, channels, created_at, handle_seconds = zip(*rows, strict=True)
        # Rounded to the millisecond: julianday() arithmetic puts 14:30:00 a few microseconds early,
        # which would drop a contact on a boundary into the interval before.
        arrivals = np.round(np.array(created_at, dtype=np.float64), 3).astype(np.float64)
        seconds = np.array(handle_seconds, dtype=np.float64)
        local = arrivals + _offsets(arrivals, zone)
        index = np.floor((local - first_local) / step).astype(np.int64)
        inside = (index >= 0) & (index < intervals)  # a row at the very edge of a DST jump
        has_handle = seconds >= 0

        # Group codes without a Python loop: queue ids (None becomes NaN) and channels each numbered.
        queue_values, queue_codes = np.unique(np.array(queues, dtype=np.float64), return_inverse=True)
        channel_values, channel_codes = np.unique(np.array(channels, dtype=str), return_inverse=True)
        codes = queue_codes.reshape(-1) * len(channel_values) + channel_codes.reshape(-1)
        flat = codes * intervals + index
        size = len(queue_values) * len(channel_values) * intervals
        shape = (len(queue_values) * len(channel_values), intervals)
        volumes = np.bincount(flat[inside], minlength=size).reshape(shape)
        mask = inside & has_handle
        handled = np.bincount(flat[mask], minlength=size).reshape(shape)
        totals = np.bincount(flat[mask], weights=seconds[mask], minlength=size).reshape(shape)
        for code in np.unique(codes):
            queue_value = queue_values[code // len(channel_values)]
            key = (None if np.isnan(queue_value) else int(queue_value), str(channel_values[code % len(channel_values)]))
            groups[key] = IntervalTotals(volumes[code], handled[code], totals[code])
        return BucketedHistory(zone.key, start_naive, minutes, intervals, groups)

    # --- helpers -------------------------------------------------------------------------------------

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _handle_expression(self) -> ColumnElement[Any]:
        """Handle seconds, or -1 where there is none (never accepted, or no end yet)."""
        dialect = self._dialect()
        finished = func.coalesce(Interaction.wrapped_up_at, Interaction.ended_at)
        spent = _epoch(dialect, finished) - _epoch(dialect, Interaction.accepted_at)
        return func.coalesce(spent, -1.0)


def _epoch(dialect: str, column: Any) -> ColumnElement[Any]:
    """Seconds since 1970 (UTC) of a UTC timestamp column, as a float, computed by the database.

    SQLite stores the UTC wall time as text: julianday() reads it (to about a millisecond)."""
    if dialect == "sqlite":
        return (func.julianday(column) - JULIAN_UNIX_EPOCH) * float(SECONDS_PER_DAY)
    return cast(func.extract("epoch", column), Float)


def _local_seconds(moment: datetime, zone: ZoneInfo) -> int:
    """The local wall-clock time of an instant, as seconds since 1970-01-01 00:00 (wall clock)."""
    local = moment.astimezone(zone).replace(tzinfo=None)
    return int((local - EPOCH).total_seconds())


def _floor(seconds: int, step: int) -> int:
    return seconds - seconds % step


def _offset(at: float, zone: ZoneInfo) -> float:
    delta = datetime.fromtimestamp(at, UTC).astimezone(zone).utcoffset()
    return delta.total_seconds() if delta is not None else 0.0


def _offsets(arrivals: NDArray[np.float64], zone: ZoneInfo) -> NDArray[np.float64]:
    """Each arrival's UTC offset in seconds in `zone`.

    The offset is read at each UTC midnight of the span (a few hundred look-ups for six months);
    within a day where it changes, the exact second of the change is found by bisection. Zones
    change their offset at most a few times a year, never twice within a day."""
    first = math.floor(float(arrivals.min()) / SECONDS_PER_DAY) * SECONDS_PER_DAY
    last = math.floor(float(arrivals.max()) / SECONDS_PER_DAY + 1) * SECONDS_PER_DAY
    changes: list[float] = []  # instants from which a new offset applies
    values = [_offset(first, zone)]
    for day in range(int(first), int(last), SECONDS_PER_DAY):
        after = _offset(day + SECONDS_PER_DAY, zone)
        if after == values[-1]:
            continue
        low, high = float(day), float(day + SECONDS_PER_DAY)  # offset(low) is old, offset(high) new
        while high - low > 1:
            middle = math.floor((low + high) / 2)
            if _offset(middle, zone) == values[-1]:
                low = middle
            else:
                high = middle
        changes.append(high)
        values.append(after)
    return np.array(values)[np.searchsorted(np.array(changes), arrivals, side="right")]
