"""Workforce use cases on a real database: history per local interval (DST included), handle
time, plans per channel (voice live, email backlog), tenant isolation and permissions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from helpline.domain.errors import NotFound, PermissionDenied, ValidationFailed
from helpline.services import customers, queues, workforce
from tests.conftest import World

NEW_YORK = ZoneInfo("America/New_York")  # acme's zone; globex is in Paris
PARIS = ZoneInfo("Europe/Paris")


def contact(
    customer_id: int,
    queue_id: int | None,
    channel: str,
    at: datetime,
    handle: float | None = None,
    wrap: float | None = None,
    direction: str = "inbound",
) -> dict[str, Any]:
    """An interaction row arriving at `at`, accepted 10 s later and talked for `handle` s, then
    wrapped up for `wrap` s (None: never accepted / no wrap-up)."""
    accepted = at + timedelta(seconds=10) if handle is not None else None
    ended = accepted + timedelta(seconds=handle) if accepted is not None and handle is not None else None
    wrapped = ended + timedelta(seconds=wrap) if ended is not None and wrap is not None else None
    return {
        "customer_id": customer_id, "case_id": None, "queue_id": queue_id, "agent_id": None, "channel": channel,
        "direction": direction, "status": "ended" if ended else "queued", "subject": None, "disposition_code": None,
        "external_ref": None, "attributes": {}, "created_at": at, "queued_at": at, "offered_at": None,
        "accepted_at": accepted, "ended_at": ended, "wrapped_up_at": wrapped,
    }  # fmt: skip


class Seeder:
    """One tenant's queues, a customer, and a bulk insert of contacts."""

    def __init__(self, world: World, slug: str) -> None:
        self.world = world
        self.deps = world.container.deps
        self.admin = world.principal("admin")
        self.tenant_id = world.tenants[slug].id
        self.customer_id = customers.create_customer(self.deps, self.admin, self.tenant_id, {"display_name": "Ann"}).id

    def queue(self, name: str, channel: str | None, **settings: Any) -> int:
        return int(queues.create_queue(self.deps, self.admin, self.tenant_id, name, channel, **settings).id)

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        with self.deps.uow() as uow:
            uow.tenant(self.tenant_id).bulk.insert_interactions(list(rows))
            uow.commit()


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def weekday_traffic(s: Seeder, queue_id: int, channel: str, first: date, days: int, per_hour: int) -> None:
    """`per_hour` contacts of 300 s talk + 60 s wrap-up between 09:00 and 11:00 local each weekday."""
    rows = []
    for d in range(days):
        day = first + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for hour in (9, 10):
            for k in range(per_hour):
                rows.append(contact(s.customer_id, queue_id, channel, local(day, hour, k * 60 // per_hour), 300, 60))
    s.add(rows)


def test_history_is_bucketed_on_the_tenants_wall_clock_with_handle_time(world: World) -> None:
    acme, globex = Seeder(world, "acme"), Seeder(world, "globex")
    calls = acme.queue("Calls", "voice")
    paris_calls = globex.queue("Appels", "voice")
    at = datetime(2026, 2, 20, 14, 30, tzinfo=UTC)  # 09:30 in New York (EST), 15:30 in Paris (CET)
    acme.add([
        contact(acme.customer_id, calls, "voice", at, handle=300, wrap=60),  # 300 s talk + 60 s wrap-up: 360 s
        contact(acme.customer_id, calls, "voice", at + timedelta(minutes=5), handle=200),  # no wrap-up: 200 s
        contact(acme.customer_id, calls, "voice", at + timedelta(minutes=10)),  # abandoned: volume only
        contact(acme.customer_id, calls, "voice", at, handle=100, direction="outbound"),  # not inbound: ignored
        contact(acme.customer_id, None, "email", at + timedelta(minutes=20)),  # another queue and channel
    ])  # fmt: skip
    globex.add([contact(globex.customer_id, paris_calls, "voice", at, handle=50)])
    deps, admin = world.container.deps, world.principal("admin")
    until = datetime(2026, 3, 2, 12, tzinfo=UTC)

    h = workforce.history(
        deps, admin, acme.tenant_id, queue_id=calls, channel=None, interval_minutes=60, weeks=2, until=until
    )
    assert (h.zone, h.queue_name, h.channel, h.interval_minutes) == ("America/New_York", "Calls", "voice", 60)
    assert h.series.start == datetime(2026, 2, 16) and h.series.days == 14  # local midnights, 2 weeks before Mar 2
    index = 4 * 24 + 9  # Friday Feb 20, 09:00 local
    assert h.series.counts[index] == 3 and h.total == 3
    assert h.handled[index] == 2 and h.handle_seconds[index] == pytest.approx(560, abs=0.05)
    assert h.aht[index] == pytest.approx(280, abs=0.05) and np.isnan(h.aht[index - 1])
    assert h.mean_aht == pytest.approx(280, abs=0.05)

    everything = workforce.history(
        deps, admin, acme.tenant_id, queue_id=None, channel=None, interval_minutes=30, weeks=2, until=until
    )
    assert everything.total == 4 and everything.series.counts[(4 * 24 + 9) * 2 + 1] == 4  # 09:30-10:00
    emails = workforce.history(
        deps, admin, acme.tenant_id, queue_id=None, channel="email", interval_minutes=15, weeks=2, until=until
    )
    assert emails.total == 1 and emails.series.counts[(4 * 24 + 9) * 4 + 3] == 1  # 09:50 -> 09:45
    assert emails.mean_aht is None

    paris = workforce.history(
        deps, admin, globex.tenant_id, queue_id=None, channel=None, interval_minutes=60, weeks=2, until=until
    )
    assert paris.total == 1 and paris.series.counts[4 * 24 + 15] == 1  # 15:30 in Paris


def test_a_dst_change_keeps_local_hours_in_place(world: World) -> None:
    acme = Seeder(world, "acme")
    calls = acme.queue("Calls", "voice")
    # New York springs forward on Sunday 8 March 2026 at 02:00 (EST -5 -> EDT -4).
    before = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # Friday 09:30 EST
    after = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)  # Monday 09:30 EDT: an hour earlier in UTC
    on_the_night = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT (02:00-03:00 does not exist)
    acme.add([contact(acme.customer_id, calls, "voice", t, handle=100) for t in (before, after, on_the_night)])
    h = workforce.history(
        world.container.deps,
        world.principal("admin"),
        acme.tenant_id,
        queue_id=calls,
        channel=None,
        interval_minutes=60,
        weeks=2,
        until=datetime(2026, 3, 16, 12, tzinfo=UTC),
    )
    counts = h.series.counts.reshape(14, 24)  # every local day keeps 24 hourly intervals
    first = date(2026, 3, 2)
    assert counts[(date(2026, 3, 6) - first).days, 9] == 1
    assert counts[(date(2026, 3, 9) - first).days, 9] == 1
    assert counts[(date(2026, 3, 8) - first).days, 3] == 1 and counts.sum() == 3


def test_voice_is_planned_live_at_the_queues_service_level(world: World) -> None:
    acme = Seeder(world, "acme")
    calls = acme.queue("Calls", "voice", service_level_seconds=30, service_level_percent=90.0)
    weekday_traffic(acme, calls, "voice", date(2026, 2, 2), 28, per_hour=20)  # 4 weeks before Mar 2
    deps, supervisor = world.container.deps, world.principal("acme_supervisor")

    result = workforce.plan(deps, supervisor, acme.tenant_id, queue_id=calls, days=7, weeks=4, backtest_weeks=2)
    assert (result.model, result.queue_name, result.channel, result.zone) == (
        "live",
        "Calls",
        "voice",
        "America/New_York",
    )
    assert result.target == "90% answered within 30 s"
    assert result.start == date(2026, 3, 3)  # tomorrow in New York (the clock reads Mar 2, 04:00 there)
    assert len(result.intervals) == 7 * 48
    first = result.intervals[0].start
    assert first == datetime(2026, 3, 3, tzinfo=NEW_YORK) and first.utcoffset() == timedelta(hours=-5)
    by_start = {i.start.replace(tzinfo=None): i for i in result.intervals}
    busy = by_start[datetime(2026, 3, 3, 9, 0)]
    assert busy.volume == pytest.approx(10.0)  # 20 an hour, every week the same
    assert busy.aht == pytest.approx(360, rel=0.01)  # talk + wrap-up
    assert busy.required > 0 and busy.service_level is not None and busy.service_level >= 0.9
    assert by_start[datetime(2026, 3, 3, 3, 0)].required == 0  # nobody calls at night
    assert by_start[datetime(2026, 3, 7, 9, 0)].volume == pytest.approx(0.0)  # nor on Saturday
    assert result.volume == pytest.approx(5 * 40)
    assert result.backtest is not None and result.backtest.wape == pytest.approx(0.0, abs=1e-9)
    assert result.aht_backtest is not None and result.aht_backtest.wmape < 0.01
    assert result.last_week[18] == 10.0  # Tuesday 09:00 a week earlier
    assert result.peak_required == max(i.required for i in result.intervals)
    days = workforce.by_day(result)
    assert [d.day for d in days] == [date(2026, 3, 3) + timedelta(days=n) for n in range(7)]
    assert days[0].volume == pytest.approx(40) and days[4].volume == pytest.approx(0)


def test_special_days_are_forecast_from_past_special_days_and_kept_out_of_the_pattern(world: World) -> None:
    acme = Seeder(world, "acme")
    calls = acme.queue("Calls", "voice")
    weekday_traffic(acme, calls, "voice", date(2026, 2, 2), 28, per_hour=20)
    weekday_traffic(acme, calls, "voice", date(2026, 2, 10), 1, per_hour=20)  # a campaign Tuesday: twice the calls
    deps, supervisor = world.container.deps, world.principal("acme_supervisor")
    campaign, tomorrow = date(2026, 2, 10), date(2026, 3, 3)  # both Tuesdays

    def nine_o_clock(special: list[date]) -> float:
        result = workforce.plan(
            deps, supervisor, acme.tenant_id, queue_id=calls, days=1, weeks=4, backtest_weeks=0, special_days=special
        )
        return next(i.volume for i in result.intervals if (i.start.hour, i.start.minute) == (9, 0))

    assert nine_o_clock([campaign, tomorrow]) == pytest.approx(20.0)  # as on the last campaign Tuesday
    assert nine_o_clock([campaign]) == pytest.approx(10.0)  # the campaign is kept out of a normal day
    assert nine_o_clock([]) > 10.0  # unflagged, the campaign leaks into the normal pattern


def test_days_a_queue_is_closed_are_special_days(world: World) -> None:
    acme = Seeder(world, "acme")
    hours = {
        "timezone": "America/New_York",
        "weekly": {str(day): [[0, 1440]] for day in range(5)},
        "closed_dates": ["2026-02-16", "2026-03-03"],  # two Monday/Tuesday holidays
    }
    calls = acme.queue("Calls", "voice", hours=hours)
    weekday_traffic(acme, calls, "voice", date(2026, 2, 2), 14, per_hour=20)
    weekday_traffic(acme, calls, "voice", date(2026, 2, 17), 13, per_hour=20)  # closed on Monday 16 Feb
    result = workforce.plan(
        world.container.deps, world.principal("admin"), acme.tenant_id, queue_id=calls, days=1, weeks=4
    )
    # The Tuesday holiday has no past Tuesday holiday: a normal Tuesday (40 calls) scaled by the
    # past holidays' ratio to their normal days: the Monday holiday had none, so neither will it.
    assert result.volume == pytest.approx(0.0)
    # And the empty Monday did not drag down the normal Mondays.
    monday = workforce.plan(
        world.container.deps, world.principal("admin"), acme.tenant_id, queue_id=calls, days=7, weeks=4
    )
    assert workforce.by_day(monday)[6].volume == pytest.approx(40.0)  # Monday 9 March


def test_the_whole_tenant_is_each_queue_at_its_own_target_added_up(world: World) -> None:
    acme = Seeder(world, "acme")
    calls = acme.queue("Calls", "voice")
    mail = acme.queue("Mail", "email")
    weekday_traffic(acme, calls, "voice", date(2026, 2, 2), 28, per_hour=20)
    weekday_traffic(acme, mail, "email", date(2026, 2, 2), 28, per_hour=6)
    deps, admin = world.container.deps, world.principal("admin")
    whole = workforce.plan(deps, admin, acme.tenant_id, days=2, weeks=4, backtest_weeks=0)
    parts = [
        workforce.plan(deps, admin, acme.tenant_id, queue_id=queue, days=2, weeks=4, backtest_weeks=0)
        for queue in (calls, mail)
    ]
    assert whole.model == "mixed" and whole.target == "each of 2 queues at its own target"
    assert [i.required for i in whole.intervals] == [
        a.required + b.required for a, b in zip(parts[0].intervals, parts[1].intervals, strict=True)
    ]
    # The forecast covers both queues, and email keeps its own deadline model.
    assert whole.volume == pytest.approx(parts[0].volume + parts[1].volume)
    assert any("Mail: every item answered within 48 h" in n for n in whole.notes)


def test_email_is_planned_as_a_backlog_against_its_deadline(world: World) -> None:
    acme = Seeder(world, "acme")
    mail = acme.queue("Mail", "email")  # 2 days by default
    weekday_traffic(acme, mail, "email", date(2026, 2, 2), 28, per_hour=6)
    result = workforce.plan(
        world.container.deps, world.principal("admin"), acme.tenant_id, queue_id=mail, interval_minutes=60, days=7
    )
    assert result.model == "backlog" and "48 h" in result.target
    assert all(i.backlog is not None for i in result.intervals)
    # Every email answered: the work planned covers the work forecast.
    work = sum(i.volume * i.aht for i in result.intervals)
    assert sum(i.required for i in result.intervals) * 3600 >= work > 0
    assert any("4 whole weeks used of the 12" in n for n in result.notes)


def test_a_missing_handle_time_falls_back_to_the_channel_default(world: World) -> None:
    acme = Seeder(world, "acme")
    letters = acme.queue("Letters", "letter")
    rows = [
        contact(acme.customer_id, letters, "letter", local(date(2026, 2, 2) + timedelta(days=d), 10)) for d in range(28)
    ]
    acme.add(rows)
    fc = workforce.forecast_queue(world.container.deps, world.principal("admin"), acme.tenant_id, queue_id=letters)
    assert fc.aht == pytest.approx(workforce.DEFAULT_AHT_SECONDS["letter"])
    assert any("no handle time recorded: 600 s assumed" in n for n in fc.notes)


def test_the_dst_day_of_a_plan_has_no_contacts_in_the_skipped_hour(world: World) -> None:
    acme = Seeder(world, "acme")
    calls = acme.queue("Night line", "voice")
    rows = [
        contact(acme.customer_id, calls, "voice", local(date(2026, 2, 1) + timedelta(days=d), hour, 10), 120)
        for d in range(28)
        for hour in range(24)
    ]
    acme.add(rows)
    result = workforce.plan(
        world.container.deps, world.principal("admin"), acme.tenant_id, queue_id=calls, start=date(2026, 3, 8), days=1
    )
    assert len(result.intervals) == 48
    volumes = {i.start.strftime("%H:%M"): i.volume for i in result.intervals}
    assert volumes["02:00"] == volumes["02:30"] == 0.0 and volumes["03:00"] > 0
    assert result.intervals[6].start.utcoffset() == timedelta(hours=-4)  # 03:00 is already summer time
    assert any("DST" in n for n in result.notes)


def test_plans_cover_every_queue_and_say_which_have_no_history(world: World) -> None:
    acme = Seeder(world, "acme")
    calls = acme.queue("Calls", "voice")
    acme.queue("Empty", "chat")
    weekday_traffic(acme, calls, "voice", date(2026, 2, 2), 28, per_hour=4)
    result = workforce.plans(world.container.deps, world.principal("acme_client_manager"), acme.tenant_id)
    assert [(p.queue_name, p.has_history) for p in result] == [("Calls", True), ("Empty", False)]
    assert "no inbound contacts" in result[1].notes[0] and result[1].intervals == ()


def test_a_tenant_sees_only_its_own_history_and_queues(world: World) -> None:
    acme, globex = Seeder(world, "acme"), Seeder(world, "globex")
    calls = acme.queue("Calls", "voice")
    weekday_traffic(acme, calls, "voice", date(2026, 2, 2), 28, per_hour=4)
    deps = world.container.deps
    # globex has no history, even though acme's is there.
    assert not workforce.plan(deps, world.principal("globex_supervisor"), globex.tenant_id).has_history
    # acme's queue does not exist for globex.
    with pytest.raises(NotFound):
        workforce.plan(deps, world.principal("admin"), globex.tenant_id, queue_id=calls)
    # globex's staff cannot reach acme at all.
    for name in ("globex_supervisor", "globex_client_manager"):
        with pytest.raises(NotFound):
            workforce.plan(deps, world.principal(name), acme.tenant_id, queue_id=calls)
        with pytest.raises(NotFound):
            workforce.history(
                deps, world.principal(name), acme.tenant_id, queue_id=None, channel=None, interval_minutes=30, weeks=4
            )


def test_agents_may_not_read_plans(world: World) -> None:
    acme = Seeder(world, "acme")
    deps = world.container.deps
    for call in (
        lambda p: workforce.plan(deps, p, acme.tenant_id),
        lambda p: workforce.plans(deps, p, acme.tenant_id),
        lambda p: workforce.forecast_queue(deps, p, acme.tenant_id),
        lambda p: workforce.history(deps, p, acme.tenant_id, queue_id=None, channel=None, interval_minutes=30, weeks=4),
    ):
        with pytest.raises(PermissionDenied):
            call(world.principal("acme_agent"))


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"interval_minutes": 20}, "interval"),
        ({"interval_minutes": True}, "interval"),
        ({"days": 0}, "days"),
        ({"days": 29}, "days"),
        ({"weeks": 1}, "weeks"),
        ({"weeks": 53}, "weeks"),
        ({"backtest_weeks": -1}, "backtest_weeks"),
        ({"channel": "pigeon"}, "channel"),
        ({"start": date(2027, 3, 1)}, "start"),
        ({"start": date(2024, 1, 1)}, "start"),
        ({"special_days": ["2026-03-03"]}, "special_days"),
        ({"special_days": [date(2026, 1, 1) + timedelta(days=n) for n in range(400)]}, "special_days"),
    ],
)
def test_bad_arguments_are_refused_by_name(world: World, arguments: dict[str, Any], field: str) -> None:
    acme = Seeder(world, "acme")
    with pytest.raises(ValidationFailed) as refused:
        workforce.plan(world.container.deps, world.principal("admin"), acme.tenant_id, **arguments)
    assert refused.value.field == field
