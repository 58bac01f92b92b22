"""Business hours: open/closed in the queue's timezone, holidays, overnight windows, DST, next opening."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from helpline.domain.routing.hours import is_open, next_open
from helpline.domain.routing.model import EffectKind, Hours

from .builders import agent, offers, queue, router, work

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_9_TO_18 = Hours("Europe/Paris", {d: ((540, 1080),) for d in range(5)}, frozenset({"2026-12-25"}))


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).timestamp()


def test_open_inside_the_window_in_the_queue_timezone() -> None:
    assert is_open(WEEKDAYS_9_TO_18, at(2026, 3, 2, 9, 0))  # a Monday
    assert is_open(WEEKDAYS_9_TO_18, at(2026, 3, 2, 17, 59))
    assert not is_open(WEEKDAYS_9_TO_18, at(2026, 3, 2, 18, 0))
    assert not is_open(WEEKDAYS_9_TO_18, at(2026, 3, 2, 8, 59))
    assert not is_open(WEEKDAYS_9_TO_18, at(2026, 3, 7, 12, 0))  # Saturday
    assert is_open(None, 0.0)


def test_holidays_are_closed_all_day() -> None:
    assert not is_open(WEEKDAYS_9_TO_18, at(2026, 12, 25, 12, 0))  # a Friday
    assert is_open(WEEKDAYS_9_TO_18, at(2026, 12, 24, 12, 0))


def test_overnight_windows_run_past_midnight() -> None:
    nights = Hours("UTC", {4: ((1320, 1560),)})  # Friday 22:00 to Saturday 02:00
    utc = ZoneInfo("UTC")
    assert is_open(nights, datetime(2026, 3, 6, 23, 0, tzinfo=utc).timestamp())
    assert is_open(nights, datetime(2026, 3, 7, 1, 59, tzinfo=utc).timestamp())
    assert not is_open(nights, datetime(2026, 3, 7, 2, 0, tzinfo=utc).timestamp())
    assert not is_open(nights, datetime(2026, 3, 5, 1, 0, tzinfo=utc).timestamp())


def test_wall_clock_hours_survive_daylight_saving_changes() -> None:
    # Paris moves to summer time on 2026-03-29; 09:00 local stays the opening on both sides.
    assert not is_open(WEEKDAYS_9_TO_18, at(2026, 3, 27, 8, 30))
    assert is_open(WEEKDAYS_9_TO_18, at(2026, 3, 30, 9, 0))
    assert next_open(WEEKDAYS_9_TO_18, at(2026, 3, 28, 12, 0)) == at(2026, 3, 30, 9, 0)


def test_next_open() -> None:
    friday_evening = at(2026, 3, 6, 19, 0)
    assert next_open(WEEKDAYS_9_TO_18, friday_evening) == at(2026, 3, 9, 9, 0)
    assert next_open(WEEKDAYS_9_TO_18, at(2026, 3, 9, 10, 0)) == at(2026, 3, 9, 10, 0)  # open now
    assert next_open(WEEKDAYS_9_TO_18, at(2026, 12, 24, 19, 0)) == at(2026, 12, 28, 9, 0)  # skips the holiday
    assert next_open(Hours("UTC", {}), 0.0) is None


def test_enqueue_at_a_closed_queue_is_closed_and_keeps_nothing() -> None:
    r = router(queue(1, "chat", hours=WEEKDAYS_9_TO_18), agents=[agent(1)])
    effects = r.enqueue(work(10, at(2026, 3, 7, 12, 0)), at(2026, 3, 7, 12, 0))
    assert [(e.kind, e.work_id, e.to_queue_id) for e in effects] == [(EffectKind.CLOSED, 10, 1)]
    assert r.work(10) is None
    assert offers(r.enqueue(work(11, at(2026, 3, 9, 12, 0)), at(2026, 3, 9, 12, 0))) == [(11, 1)]
