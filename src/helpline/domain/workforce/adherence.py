"""Schedule adherence: how closely an agent's presence followed the activities scheduled for them.

Definitions (the usual workforce-management ones, made exact here):

* A scheduled activity is `work`, `break` or `lunch`. During `work` the agent should be signed in
  ("in": presence available; an agent in a call is busy but their presence stays available); during
  `break` and `lunch` they should be away or offline ("out"). Time outside every activity is not
  judged: coming in early or staying late is never out of adherence.
* Scheduled minutes: the length of every scheduled activity inside the window judged.
* In-adherence minutes: scheduled minutes in which the actual state is the expected one.
  Adherence = in-adherence minutes / scheduled minutes (None when nothing was scheduled).
* Conformance = minutes signed in ("in", anywhere in the window) / scheduled work minutes: it says
  whether the agent worked as long as planned, whenever they did it (None without scheduled work).
* Grace: a mismatch within `grace_minutes` either side of a moment where the expected state changes
  (shift start and end, break start and end) is forgiven, because logging in two minutes late or
  going to lunch a minute early is noise, not a problem to chase. Forgiven time counts as in adherence.
* Exceptions: the spans still out of adherence after grace, merged when they touch, that last longer
  than `exception_minutes` (default 5). Shorter ones still lower the percentage.

Only the window [start, end) is judged: pass `end = now` to judge today so far.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from helpline.domain.errors import ValidationFailed

IN_PRESENCES: Final = frozenset({"available", "busy"})  # signed in and taking work
OUT_PRESENCES: Final = frozenset({"away", "offline"})
WORK: Final = "work"
OFF_KINDS: Final = frozenset({"break", "lunch"})
DEFAULT_GRACE_MINUTES: Final = 2.0
DEFAULT_EXCEPTION_MINUTES: Final = 5.0
MAX_GRACE_MINUTES: Final = 60.0


class Span(Protocol):
    """A scheduled activity: `kind` work, break or lunch, over [start, end)."""

    @property
    def kind(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class PresenceSpan:
    """The agent's presence over [start, end)."""

    presence: str
    start: datetime
    end: datetime

    @property
    def signed_in(self) -> bool:
        return self.presence in IN_PRESENCES


@dataclass(frozen=True, slots=True)
class AdherenceException:
    """A span out of adherence longer than the threshold: what was expected and what the agent did."""

    start: datetime
    end: datetime
    expected: str  # the scheduled activity kind: work, break or lunch
    actual: str  # the presence the agent had for most of the span

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class Adherence:
    """One agent's adherence over a window. Minutes are real numbers (presence changes to the second)."""

    scheduled_minutes: float
    scheduled_work_minutes: float
    in_adherence_minutes: float
    worked_minutes: float
    exceptions: tuple[AdherenceException, ...]

    @property
    def adherence(self) -> float | None:
        """Share of scheduled time spent as scheduled, 0..1."""
        return self.in_adherence_minutes / self.scheduled_minutes if self.scheduled_minutes > 0 else None

    @property
    def conformance(self) -> float | None:
        """Time signed in over time scheduled to work (may exceed 1)."""
        return self.worked_minutes / self.scheduled_work_minutes if self.scheduled_work_minutes > 0 else None


def presence_timeline(
    changes: Iterable[tuple[datetime, str]], start: datetime, end: datetime, initial: str = "offline"
) -> list[PresenceSpan]:
    """The presence spans covering [start, end) from a log of changes (time, new presence).

    `initial` is the presence in force at `start` (the last change before the window, or offline).
    Changes are sorted here; a change before `start` sets the initial state, those from `end` on are ignored.
    """
    if end < start:
        raise ValidationFailed("the window ends before it starts", field="end")
    current = initial
    cursor = start
    spans: list[PresenceSpan] = []
    for at, presence in sorted(changes, key=lambda change: change[0]):
        if at <= start:
            current = presence
            continue
        if at >= end:
            break
        if presence == current:
            continue
        spans.append(PresenceSpan(current, cursor, at))
        current, cursor = presence, at
    if cursor < end:
        spans.append(PresenceSpan(current, cursor, end))
    return spans


def _expected_kind(activities: Sequence[Span], moment: datetime) -> str | None:
    for activity in activities:
        if activity.start <= moment < activity.end:
            return activity.kind
    return None


def _should_be_in(kind: str | None) -> bool | None:
    if kind is None:
        return None
    return kind not in OFF_KINDS


def _check(activities: Sequence[Span], grace_minutes: float, exception_minutes: float) -> None:
    if not 0 <= grace_minutes <= MAX_GRACE_MINUTES:
        raise ValidationFailed(f"grace must be 0 to {MAX_GRACE_MINUTES:g} minutes", field="grace_minutes")
    if exception_minutes < 0:
        raise ValidationFailed("the exception threshold cannot be negative", field="exception_minutes")
    for activity in activities:
        if activity.kind != WORK and activity.kind not in OFF_KINDS:
            raise ValidationFailed(f"unknown activity kind {activity.kind!r}", field="kind")
        if activity.end < activity.start:
            raise ValidationFailed("an activity ends before it starts", field="activities")


def adherence(
    activities: Sequence[Span],
    presence: Sequence[PresenceSpan],
    start: datetime,
    end: datetime,
    *,
    grace_minutes: float = DEFAULT_GRACE_MINUTES,
    exception_minutes: float = DEFAULT_EXCEPTION_MINUTES,
) -> Adherence:
    """Adherence of `presence` (covering [start, end), see presence_timeline) to `activities`.

    Activities may overlap the window's edges; only their part inside it is judged. They should not
    overlap each other (a roster's activities never do); if they do, the earliest-listed wins.
    """
    _check(activities, grace_minutes, exception_minutes)
    grace = timedelta(minutes=grace_minutes)
    # Every moment where something changes: the window, activities, presence, and grace edges.
    changes_of_state: set[datetime] = set()
    for activity in activities:
        changes_of_state.update((activity.start, activity.end))
    cuts = {start, end, *changes_of_state}
    for span in presence:
        cuts.update((span.start, span.end))
    # Grace applies only where the expected state really flips (work -> break, not work -> work).
    flips = [
        moment
        for moment in sorted(changes_of_state)
        if _should_be_in(_expected_kind(activities, moment - timedelta(microseconds=1)))
        != _should_be_in(_expected_kind(activities, moment))
    ]
    for moment in flips:
        cuts.update((moment - grace, moment + grace))
    points = sorted(point for point in cuts if start <= point <= end)

    scheduled = scheduled_work = in_adherence = worked = 0.0
    out_spans: list[tuple[datetime, datetime, str, str]] = []
    presence_index = 0
    for left, right in itertools.pairwise(points):
        minutes = (right - left).total_seconds() / 60
        if minutes <= 0:
            continue
        while presence_index < len(presence) and presence[presence_index].end <= left:
            presence_index += 1
        actual = presence[presence_index] if presence_index < len(presence) else None
        signed_in = actual is not None and actual.start <= left and actual.signed_in
        worked += minutes if signed_in else 0.0
        kind = _expected_kind(activities, left)
        if kind is None:
            continue
        scheduled += minutes
        should_be_in = _should_be_in(kind)
        if kind == WORK:
            scheduled_work += minutes
        # Grace edges are cut points, so a piece lies wholly inside or wholly outside each grace window.
        forgiven = any(moment - grace <= left < moment + grace for moment in flips)
        if signed_in == should_be_in or forgiven:
            in_adherence += minutes
        else:
            out_spans.append((left, right, kind, actual.presence if actual else "offline"))
    return Adherence(
        scheduled_minutes=scheduled,
        scheduled_work_minutes=scheduled_work,
        in_adherence_minutes=in_adherence,
        worked_minutes=worked,
        exceptions=tuple(_exceptions(out_spans, exception_minutes)),
    )


def _exceptions(
    spans: Sequence[tuple[datetime, datetime, str, str]], threshold_minutes: float
) -> list[AdherenceException]:
    """Touching out-of-adherence pieces merged into spans; those longer than the threshold kept."""
    merged: list[list[tuple[datetime, datetime, str, str]]] = []
    for piece in spans:
        if merged and merged[-1][-1][1] == piece[0]:
            merged[-1].append(piece)
        else:
            merged.append([piece])
    found = []
    for group in merged:
        first, last = group[0][0], group[-1][1]
        if (last - first).total_seconds() / 60 <= threshold_minutes:
            continue
        weight: dict[tuple[str, str], float] = {}
        for left, right, kind, actual in group:
            key = (kind, actual)
            weight[key] = weight.get(key, 0.0) + (right - left).total_seconds()
        expected, actual = max(weight, key=lambda key: weight[key])
        found.append(AdherenceException(first, last, expected, actual))
    return found
