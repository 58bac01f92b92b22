"""Schedules and intraday on a real database: build a week for two tenants, the tenant slices, publish,
an agent's own shifts, actual vs forecast, adherence from logged presence changes, and refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from helpline.domain.errors import NotFound, PermissionDenied, ValidationFailed
from helpline.services import agents, customers, intraday, queues, routing, schedules
from helpline.storage.tables import Interaction
from tests.conftest import FakeClock, World

MONDAY = date(2026, 3, 2)  # the FakeClock's first day
HISTORY_WEEKS = 3


@dataclass
class Scene:
    world: World
    queues: dict[str, Any]

    @property
    def deps(self) -> Any:
        return self.world.container.deps

    def who(self, name: str) -> Any:
        return self.world.principal(name)

    def tid(self, slug: str) -> int:
        return int(self.world.tenants[slug].id)

    def uid(self, name: str) -> int:
        return int(self.world.users[name].id)


def arrivals(world: World, slug: str, queue: Any, starts: list[datetime]) -> None:
    """Inbound calls of one queue at these instants (inserted in bulk: weeks of history)."""
    d, admin = world.container.deps, world.principal("admin")
    tenant_id = world.tenants[slug].id
    customer = customers.create_customer(d, admin, tenant_id, {"display_name": "Caller"})
    rows = [
        {
            "tenant_id": tenant_id,
            "customer_id": customer.id,
            "queue_id": queue.id,
            "channel": "voice",
            "direction": "inbound",
            "status": "closed",
            "attributes": {},
            "routing": [],
            "created_at": at,
            "accepted_at": at + timedelta(seconds=20),
            "ended_at": at + timedelta(seconds=320),
        }
        for at in starts
    ]
    with world.container.engine.begin() as conn:
        conn.execute(insert(Interaction), rows)


def office_hours(first: date, days: int, per_interval: int, hours: range = range(9, 17)) -> list[datetime]:
    """`per_interval` calls in every half hour of `hours` (UTC) on each of `days` days from `first`."""
    out = []
    for day in range(days):
        midnight = datetime.combine(first + timedelta(days=day), datetime.min.time(), UTC)
        for hour in hours:
            for half in (0, 30):
                out.extend(midnight + timedelta(hours=hour, minutes=half, seconds=60 * k) for k in range(per_interval))
    return out


def make_scene(world: World) -> Scene:
    """acme: queue Cards (needs skill cards >= 2); globex: queue Mobile (no skill). Three weeks of
    history. acme_agent (cards 3) and globex_agent serve one tenant each; both_agent (cards 1)
    serves both but may only take Mobile."""
    d, admin = world.container.deps, world.principal("admin")
    cards = queues.create_queue(d, admin, world.tenants["acme"].id, "Cards", channel="voice", skills={"cards": 2})
    mobile = queues.create_queue(d, admin, world.tenants["globex"].id, "Mobile", channel="voice")
    first = MONDAY - timedelta(weeks=HISTORY_WEEKS)
    arrivals(world, "acme", cards, office_hours(first, 7 * HISTORY_WEEKS, 3))
    arrivals(world, "globex", mobile, office_hours(first, 7 * HISTORY_WEEKS, 3))
    agents.configure_agent(d, admin, world.users["acme_agent"].id, skills={"cards": 3})
    agents.configure_agent(d, admin, world.users["globex_agent"].id, skills={"phones": 2})
    agents.configure_agent(d, admin, world.users["both_agent"].id, skills={"cards": 1})
    return Scene(world, {"acme": cards, "globex": mobile})


@pytest.fixture
def scene(world: World) -> Scene:
    return make_scene(world)


def build(scene: Scene, who: str = "admin", publish: bool = False) -> schedules.BuildOutcome:
    return schedules.build_week(scene.deps, scene.who(who), MONDAY, publish=publish, time_limit=5.0)


def test_build_covers_every_reached_tenant_and_slices_never_mix(scene: Scene) -> None:
    outcome = build(scene)
    assert outcome.status == "draft"
    assert set(outcome.groups) == {"acme/Cards", "globex/Mobile"}
    assert outcome.summary["shifts"] > 0 and outcome.summary["solve_seconds"] >= 0

    acme = schedules.week(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), MONDAY)
    assert (acme.week_id, acme.status) == (outcome.week_id, "draft")
    assert [g.name for g in acme.groups] == ["acme/Cards"]
    assert len(acme.starts) == len(acme.required) == 7 * 48
    assert max(acme.required) > 0
    assert acme.shifts is not None and acme.shifts
    assert {s.skill_group for s in acme.shifts} == {"acme/Cards"}
    staffed = {s.user_id for s in acme.shifts if s.user_id is not None}
    # Only acme_agent has the cards skill at level 2: both_agent and globex_agent never cover Cards.
    assert staffed == {scene.uid("acme_agent")}
    assert all(s.tenant_id == scene.tid("acme") for s in acme.shifts)

    globex = schedules.week(scene.deps, scene.who("globex_supervisor"), scene.tid("globex"), MONDAY)
    assert [g.name for g in globex.groups] == ["globex/Mobile"]
    assert globex.shifts is not None
    assert {s.user_id for s in globex.shifts if s.user_id} <= {scene.uid("globex_agent"), scene.uid("both_agent")}
    assert "acme" not in repr(globex)

    # A week built by acme's supervisor covers acme only.
    own = build(scene, "acme_supervisor")
    assert own.groups == ("acme/Cards",)


def test_publish_client_manager_sees_coverage_only_after_publishing(scene: Scene) -> None:
    outcome = build(scene)
    manager = scene.who("acme_client_manager")
    before = schedules.week(scene.deps, manager, scene.tid("acme"), MONDAY)
    assert (before.status, before.groups, before.shifts) == (None, (), None)
    published = schedules.publish(scene.deps, scene.who("admin"), outcome.week_id)
    assert published.status == "published"
    after = schedules.week(scene.deps, manager, scene.tid("acme"), MONDAY)
    assert after.status == "published" and [g.name for g in after.groups] == ["acme/Cards"]
    assert after.shifts is None and after.agents_rostered is None  # no names for client managers
    # Nor the center's figures across every client (head count, cost, shortfall): only how it was solved.
    assert set(after.summary) <= {"status", "gap", "solve_seconds", "roster_seconds"} and "status" in after.summary
    supervisor_view = schedules.week(scene.deps, scene.who("admin"), scene.tid("acme"), MONDAY)
    assert {"agents", "cost", "under_coverage"} <= set(supervisor_view.summary)

    # A newer published week for the same tenants replaces it; the old one returns to draft.
    newer = build(scene, publish=True)
    assert newer.status == "published"
    again = schedules.week(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), MONDAY)
    assert again.week_id == newer.week_id

    # acme's supervisor publishes a week of acme only: globex keeps the admin's published week.
    globex_before = schedules.week(scene.deps, scene.who("globex_supervisor"), scene.tid("globex"), MONDAY)
    mine = build(scene, "acme_supervisor", publish=True)
    acme_now = schedules.week(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), MONDAY)
    globex_now = schedules.week(scene.deps, scene.who("globex_supervisor"), scene.tid("globex"), MONDAY)
    assert (acme_now.week_id, acme_now.status) == (mine.week_id, "published")
    assert (globex_now.week_id, globex_now.status) == (newer.week_id, "published")
    assert globex_now.shifts == globex_before.shifts and globex_now.groups == globex_before.groups
    assert globex_now.shifts


def test_agents_read_their_own_published_shifts(scene: Scene) -> None:
    outcome = build(scene)
    me = scene.uid("acme_agent")
    agent = scene.who("acme_agent")
    assert schedules.shifts_for(scene.deps, agent, me, MONDAY, days=7) == []  # drafts are not shown
    schedules.publish(scene.deps, scene.who("admin"), outcome.week_id)
    mine = schedules.shifts_for(scene.deps, agent, me, MONDAY, days=7)
    assert mine and all(s.user_id == me for s in mine)
    assert all(MONDAY <= s.starts_at.date() < MONDAY + timedelta(days=7) for s in mine)
    kinds = {a["kind"] for s in mine for a in s.activities}
    assert "work" in kinds and kinds <= {"work", "break", "lunch"}
    # A supervisor of the agent's tenant reads them; one of another tenant does not know them.
    assert schedules.shifts_for(scene.deps, scene.who("acme_supervisor"), me, MONDAY, days=7) == mine
    with pytest.raises(NotFound):
        schedules.shifts_for(scene.deps, scene.who("globex_supervisor"), me, MONDAY, days=7)
    with pytest.raises(PermissionDenied):
        schedules.shifts_for(scene.deps, scene.who("both_agent"), me, MONDAY)
    with pytest.raises(PermissionDenied):
        schedules.shifts_for(scene.deps, scene.who("acme_client_manager"), me, MONDAY)
    # both_agent's shifts seen by acme's supervisor: only acme's (there are none: no cards skill).
    both = scene.uid("both_agent")
    assert schedules.shifts_for(scene.deps, scene.who("acme_supervisor"), both, MONDAY, days=7) == []
    with pytest.raises(ValidationFailed):
        schedules.shifts_for(scene.deps, agent, me, MONDAY, days=32)


def test_refusals_and_bad_input(scene: Scene) -> None:
    for who in ("acme_agent", "acme_client_manager"):
        with pytest.raises(PermissionDenied):
            build(scene, who)
    with pytest.raises(ValidationFailed) as caught:
        schedules.build_week(scene.deps, scene.who("admin"), MONDAY + timedelta(days=1))
    assert caught.value.field == "week_start"
    with pytest.raises(ValidationFailed) as caught:
        schedules.build_week(scene.deps, scene.who("admin"), MONDAY, interval_minutes=7)
    assert caught.value.field == "interval_minutes"
    with pytest.raises(ValidationFailed):  # no history that far back: nothing to schedule
        schedules.build_week(scene.deps, scene.who("admin"), MONDAY - timedelta(weeks=30))
    outcome = build(scene)
    with pytest.raises(NotFound):  # the week covers globex too, which acme's supervisor does not reach
        schedules.publish(scene.deps, scene.who("acme_supervisor"), outcome.week_id)
    with pytest.raises(NotFound):
        schedules.publish(scene.deps, scene.who("admin"), outcome.week_id + 1000)
    with pytest.raises(PermissionDenied):
        schedules.week(scene.deps, scene.who("acme_agent"), scene.tid("acme"), MONDAY)
    with pytest.raises(NotFound):
        schedules.week(scene.deps, scene.who("globex_supervisor"), scene.tid("acme"), MONDAY)
    with pytest.raises(PermissionDenied):
        intraday.adherence(scene.deps, scene.who("acme_client_manager"), scene.tid("acme"), MONDAY)
    with pytest.raises(NotFound):
        intraday.today(scene.deps, scene.who("globex_supervisor"), scene.tid("acme"))
    with pytest.raises(NotFound):
        intraday.today(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), queue_id=scene.queues["globex"].id)


def test_intraday_actual_vs_forecast_and_reforecast(scene: Scene, clock: FakeClock) -> None:
    outcome = build(scene, publish=True)
    assert outcome.status == "published"
    clock.current = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # 14:00 in Paris
    # Today globex gets three times its usual calls from 09:00 to 13:00 UTC.
    arrivals(scene.world, "globex", scene.queues["globex"], office_hours(MONDAY, 1, 9, range(9, 13)))
    view = intraday.today(scene.deps, scene.who("globex_client_manager"), scene.tid("globex"))
    assert view.day == MONDAY and len(view.starts) == 48
    assert view.completed == 28  # 00:00-14:00 Paris
    assert view.actual_so_far == 9 * 8
    assert view.forecast_so_far == pytest.approx(3 * 8, rel=0.35)
    assert view.ratio > 1.5 and view.raw_ratio is not None and view.raw_ratio > view.ratio
    assert view.reforecast_day > view.forecast_day
    assert view.actual[27] is not None and view.actual[29] is None
    later = range(view.completed, 48)
    assert all(view.required_now[i] >= view.required_plan[i] for i in later)
    assert any(view.required_now[i] > view.required_plan[i] for i in later)
    assert sum(view.scheduled) > 0  # the published shifts of globex's agents
    assert len(view.understaffed) == 48
    (drift,) = view.queues
    assert drift.queue_name == "Mobile" and drift.model == "live"
    one = intraday.today(
        scene.deps, scene.who("globex_supervisor"), scene.tid("globex"), queue_id=scene.queues["globex"].id
    )
    assert one.forecast == view.forecast and one.ratio == view.ratio
    # acme had an ordinary day: nothing arrived today, the ratio falls below 1.
    acme = intraday.today(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"))
    assert acme.actual_so_far == 0 and acme.ratio < 1


def test_intraday_counts_the_repeated_autumn_hour_on_the_wall_clock(scene: Scene, clock: FakeClock) -> None:
    # New York falls back on Sunday 1 November 2026: 01:00-02:00 happens twice (EDT, then EST).
    fall_back = date(2026, 11, 1)
    clock.current = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    twice = [datetime(2026, 11, 1, 5, 15, tzinfo=UTC), datetime(2026, 11, 1, 6, 15, tzinfo=UTC)]  # 01:15 both times
    arrivals(scene.world, "acme", scene.queues["acme"], office_hours(date(2026, 10, 4), 28, 1) + twice)
    view = intraday.today(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), day=fall_back)
    assert view.actual[2] == 2 and view.actual[3] == 0  # both in 01:00-01:30, as the history buckets them


def test_adherence_from_logged_presence_changes(scene: Scene, clock: FakeClock) -> None:
    outcome = build(scene, publish=True)
    me = scene.uid("acme_agent")
    shift = schedules.shifts_for(scene.deps, scene.who("acme_agent"), me, MONDAY, days=7)[0]
    day = shift.starts_at.date()
    # Follow the schedule exactly, except come back from the first break 20 minutes late.
    off = [a for a in shift.activities if a["kind"] != "work"]
    assert off, "every default template has a break"
    moves: list[tuple[datetime, str, str | None]] = [(shift.starts_at, "available", None)]
    late = None
    for activity in off:
        start, end = datetime.fromisoformat(activity["start"]), datetime.fromisoformat(activity["end"])
        back = end + timedelta(minutes=20) if late is None else end
        late = late or (end, back)
        moves += [(start, "away", activity["kind"]), (back, "available", None)]
    moves.append((shift.ends_at, "offline", None))
    agent = scene.who("acme_agent")
    for at, presence, reason in moves:
        clock.current = at
        routing.set_presence(scene.deps, agent, me, presence, reason)
    clock.current = shift.ends_at + timedelta(hours=1)
    rows = intraday.adherence(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), day)
    row = next(r for r in rows if r.user_id == me)
    assert row.name == "Acme Agent" and row.presence == "offline"
    result = row.result
    minutes = (shift.ends_at - shift.starts_at).total_seconds() / 60
    assert result.scheduled_minutes == minutes
    assert result.in_adherence_minutes == pytest.approx(minutes - 18)  # 20 late, 2 forgiven
    (exception,) = result.exceptions
    assert (exception.expected, exception.actual) == ("work", "away")
    assert exception.end == late[1]
    # No other tenant's agents appear; a tenant with nobody scheduled that day has no rows.
    assert {r.user_id for r in rows} <= {me}
    with pytest.raises(PermissionDenied):
        intraday.adherence(scene.deps, scene.who("acme_agent"), scene.tid("acme"), day)
    assert outcome.week_id
    # Signed in again after the shift (working for another client, say): not this client's work time.
    clock.current = shift.ends_at + timedelta(minutes=30)
    routing.set_presence(scene.deps, agent, me, "available", None)
    clock.current = shift.ends_at + timedelta(hours=4)
    again = intraday.adherence(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), day)
    conformance = next(r for r in again if r.user_id == me).result.conformance
    assert conformance is not None and conformance <= 1.0


def test_seed_demo_builds_and_publishes_the_current_week(scene: Scene) -> None:
    outcome = schedules.seed_demo(scene.deps)
    assert outcome is not None and outcome.status == "published"
    assert outcome.week_start == MONDAY


def test_a_partial_build_never_double_books_a_shared_agent(scene: Scene) -> None:
    """both_agent (now able to take Cards too) is shared: a week of globex only, built after the
    admin published both tenants, leaves both_agent's published acme shifts free of new work."""
    agents.configure_agent(scene.deps, scene.who("admin"), scene.uid("both_agent"), skills={"cards": 3})
    build(scene, publish=True)
    both = scene.uid("both_agent")
    acme = schedules.week(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), MONDAY).shifts or ()
    taken = [(s.starts_at, s.ends_at) for s in acme if s.user_id == both]
    assert taken, "the solver gave the shared agent some acme shifts"
    build(scene, "globex_supervisor", publish=True)
    globex = schedules.week(scene.deps, scene.who("globex_supervisor"), scene.tid("globex"), MONDAY).shifts or ()
    for shift in (s for s in globex if s.user_id == both):
        assert all(shift.ends_at <= start or shift.starts_at >= end for start, end in taken), shift
    # The acme week stays published with both_agent's shifts.
    again = schedules.week(scene.deps, scene.who("acme_supervisor"), scene.tid("acme"), MONDAY).shifts or ()
    assert [(s.starts_at, s.ends_at) for s in again if s.user_id == both] == taken
