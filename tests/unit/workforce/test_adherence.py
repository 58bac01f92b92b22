"""Adherence of a presence timeline to scheduled activities: percentages, conformance, grace, exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from helpline.domain.errors import ValidationFailed
from helpline.domain.workforce.adherence import PresenceSpan, adherence, presence_timeline

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


@dataclass(frozen=True)
class Act:
    kind: str
    start: datetime
    end: datetime


# 09:00-13:00 work with a 15-minute break at 11:00.
SHIFT = [
    Act("work", at(9), at(11)),
    Act("break", at(11), at(11, 15)),
    Act("work", at(11, 15), at(13)),
]


def judge(changes: list[tuple[datetime, str]], end: datetime | None = None, **kw: float) -> object:
    stop = end or at(23, 59)
    return adherence(SHIFT, presence_timeline(changes, DAY, stop), DAY, stop, **kw)


def test_perfect_day_is_fully_adherent_and_conformant() -> None:
    result = judge([(at(9), "available"), (at(11), "away"), (at(11, 15), "available"), (at(13), "offline")])
    assert result.scheduled_minutes == 240
    assert result.scheduled_work_minutes == 225
    assert result.in_adherence_minutes == 240
    assert result.adherence == 1.0
    assert result.conformance == 1.0
    assert result.exceptions == ()


def test_never_signing_in_only_the_break_is_adherent() -> None:
    result = judge([], grace_minutes=0)
    assert result.in_adherence_minutes == 15  # the break: offline is where they should be
    assert result.adherence == pytest.approx(15 / 240)
    assert result.conformance == 0.0
    # Two spans out of adherence around the break (in adherence itself), so they do not merge.
    assert [(e.start, e.end, e.expected, e.actual) for e in result.exceptions] == [
        (at(9), at(11), "work", "offline"),
        (at(11, 15), at(13), "work", "offline"),
    ]
    # With grace, 2 minutes either side of each of the 4 changes of scheduled state are forgiven.
    assert judge([], grace_minutes=2).in_adherence_minutes == 15 + 4 * 2


def test_late_login_beyond_grace_is_an_exception_with_expected_and_actual() -> None:
    result = judge(
        [(at(9, 20), "available"), (at(11), "away"), (at(11, 15), "available"), (at(13), "offline")],
        grace_minutes=2,
    )
    # 20 minutes late, 2 forgiven by grace: 18 minutes out.
    assert result.in_adherence_minutes == pytest.approx(240 - 18)
    (late,) = result.exceptions
    assert (late.start, late.end, late.expected, late.actual) == (at(9, 2), at(9, 20), "work", "offline")
    assert late.minutes == 18
    assert result.conformance == pytest.approx((225 - 20) / 225)


def test_grace_forgives_small_slips_at_boundaries() -> None:
    changes = [(at(9, 2), "available"), (at(10, 59), "away"), (at(11, 16), "available"), (at(13), "offline")]
    strict = judge(changes, grace_minutes=0)
    assert strict.in_adherence_minutes == 240 - 2 - 1 - 1
    assert strict.exceptions == ()  # each slip is under the 5-minute threshold
    lenient = judge(changes, grace_minutes=2)
    assert lenient.in_adherence_minutes == 240


def test_long_break_and_working_through_break() -> None:
    overrun = judge(
        [(at(9), "available"), (at(11), "away"), (at(11, 45), "available"), (at(13), "offline")], grace_minutes=0
    )
    (late_back,) = overrun.exceptions
    assert (late_back.start, late_back.end, late_back.expected, late_back.actual) == (
        at(11, 15),
        at(11, 45),
        "work",
        "away",
    )
    skipped = judge([(at(9), "available"), (at(13), "offline")], grace_minutes=0)
    (worked_through,) = skipped.exceptions
    assert (worked_through.expected, worked_through.actual) == ("break", "available")
    assert skipped.in_adherence_minutes == 225
    assert skipped.conformance == pytest.approx(240 / 225)


def test_time_outside_the_schedule_is_not_judged_but_counts_as_worked() -> None:
    result = judge([(at(8), "available"), (at(11), "away"), (at(11, 15), "available"), (at(14), "offline")])
    assert result.adherence == 1.0
    assert result.worked_minutes == 60 + 180 + 105
    assert result.conformance == pytest.approx(345 / 225)


def test_window_cut_at_now_judges_only_the_time_elapsed() -> None:
    result = judge([(at(9), "available")], end=at(10))
    assert result.scheduled_minutes == 60
    assert result.adherence == 1.0


def test_presence_timeline_uses_the_state_before_the_window_and_ignores_repeats() -> None:
    spans = presence_timeline(
        [(at(12), "available"), (DAY - timedelta(hours=1), "away"), (at(12, 30), "available"), (at(13), "offline")],
        DAY,
        at(14),
    )
    assert spans == [
        PresenceSpan("away", DAY, at(12)),
        PresenceSpan("available", at(12), at(13)),
        PresenceSpan("offline", at(13), at(14)),
    ]
    assert presence_timeline([], DAY, DAY) == []
    with pytest.raises(ValidationFailed):
        presence_timeline([], at(2), at(1))


def test_nothing_scheduled_gives_no_percentages() -> None:
    result = adherence([], presence_timeline([(at(9), "available")], DAY, at(10)), DAY, at(10))
    assert (result.adherence, result.conformance, result.worked_minutes) == (None, None, 60)


@pytest.mark.parametrize(
    ("activities", "kw", "field"),
    [
        ([Act("nap", at(9), at(10))], {}, "kind"),
        ([Act("work", at(10), at(9))], {}, "activities"),
        (SHIFT, {"grace_minutes": -1}, "grace_minutes"),
        (SHIFT, {"grace_minutes": 61}, "grace_minutes"),
        (SHIFT, {"exception_minutes": -1}, "exception_minutes"),
    ],
)
def test_bad_input_is_refused_by_name(activities: list[Act], kw: dict[str, float], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        adherence(activities, [], DAY, at(12), **kw)
    assert caught.value.field == field
