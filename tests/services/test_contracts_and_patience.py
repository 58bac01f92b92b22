"""Agents' stored contracts drive the week's roster; queues' caller patience switches the staffing
plan (and intraday's re-plan) to Erlang A. Real databases, both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from helpline.domain.errors import NotFound, ValidationFailed
from helpline.services import agents, intraday, queues, schedules, workforce
from tests.conftest import World
from tests.services.test_schedules import MONDAY, Scene, build, make_scene
from tests.services.test_workforce import Seeder, weekday_traffic

NO_MONDAYS = {"max_days_week": 2, "unavailable": [{"day": 0, "from": "00:00", "to": "24:00"}]}


def _shifts_of(scene: Scene, name: str) -> list[Any]:
    week = schedules.week(scene.deps, scene.who("admin"), scene.tid("acme"), MONDAY)
    assert week.shifts is not None
    return [s for s in week.shifts if s.user_id == scene.uid(name)]


def _touches_monday(shift: Any) -> bool:
    """Whether the shift covers any of Monday (UTC), this week's or, for a shift running past the
    week's end, next week's (the schedule's week is cyclic)."""
    for week in (0, 1):
        monday = datetime.combine(MONDAY + timedelta(weeks=week), datetime.min.time(), UTC)
        if shift.starts_at < monday + timedelta(days=1) and shift.ends_at > monday:
            return True
    return False


def test_an_agents_contract_limits_their_days_and_keeps_them_off_unavailable_days(world: World) -> None:
    scene = make_scene(world)
    # On the default contract acme_agent (the only one with the Cards skill) works five days, Monday too.
    first = build(scene)
    before = _shifts_of(scene, "acme_agent")
    assert len(before) == 5 and any(_touches_monday(s) for s in before)

    agents.configure_agent(scene.deps, scene.who("acme_supervisor"), scene.uid("acme_agent"), contract=NO_MONDAYS)
    outcome = build(scene)
    after = _shifts_of(scene, "acme_agent")
    assert 1 <= len(after) <= 2
    assert not any(_touches_monday(s) for s in after)
    assert len({s.starts_at.date() for s in after}) == len(after)  # one shift a day
    # Nobody else has the skill: Cards is now short of more agent-intervals than before.
    assert outcome.summary["under_coverage"] > first.summary["under_coverage"]


def test_contract_hours_bound_the_roster(world: World) -> None:
    scene = make_scene(world)
    contract = {"min_hours_week": 0, "max_hours_week": 16, "max_days_week": 7}
    agents.configure_agent(scene.deps, scene.who("admin"), scene.uid("acme_agent"), contract=contract)
    build(scene)
    worked = _shifts_of(scene, "acme_agent")
    hours = sum((s.ends_at - s.starts_at).total_seconds() for s in worked) / 3600
    assert worked and hours <= 16


def test_the_contract_round_trips_and_is_kept_unless_given(world: World) -> None:
    deps, boss = world.container.deps, world.principal("acme_supervisor")
    me = world.users["acme_agent"].id
    assert agents.get_agent(deps, boss, me)["contract"] is None  # never configured: the default contract
    view = agents.configure_agent(
        deps,
        boss,
        me,
        contract={
            "min_hours_week": 10,
            "max_days_week": 3,
            "unavailable": [{"day": 6, "from": "22:00", "to": "06:00"}],
        },
    )
    stored = {
        "min_hours_week": 10.0,
        "max_hours_week": 40.0,
        "max_days_week": 3,
        "unavailable": [{"day": 6, "from": "22:00", "to": "06:00"}],
    }
    assert view["contract"] == stored
    agents.configure_agent(deps, boss, me, site="Lisbon")  # contract left out: kept
    assert agents.get_agent(deps, boss, me)["contract"] == stored
    listed = {a["user_id"]: a for a in agents.list_agents(deps, boss, world.tenants["acme"].id)}
    assert listed[me]["contract"] == stored
    assert agents.configure_agent(deps, boss, me, contract=None)["contract"] is None  # back to the default

    with pytest.raises(ValidationFailed) as caught:
        agents.configure_agent(deps, boss, me, contract={"min_hours_week": 30, "max_hours_week": 20})
    assert caught.value.field == "contract.min_hours_week"
    assert agents.get_agent(deps, boss, me)["contract"] is None  # nothing half-saved
    # A supervisor of another tenant cannot reach acme's agent at all.
    with pytest.raises(NotFound):
        agents.configure_agent(deps, world.principal("globex_supervisor"), me, contract={"max_days_week": 1})
    assert agents.get_agent(deps, boss, me)["contract"] is None


def test_patience_round_trips_through_the_queue_services(world: World) -> None:
    deps, boss = world.container.deps, world.principal("acme_supervisor")
    tenant_id = world.tenants["acme"].id
    queue = queues.create_queue(deps, boss, tenant_id, "Calls", "voice", patience_seconds=120)
    assert queues.get_queue(deps, boss, tenant_id, queue.id).patience_seconds == 120
    assert queues.create_queue(deps, boss, tenant_id, "Other", "voice").patience_seconds is None
    queues.update_queue(deps, boss, tenant_id, queue.id, {"patience_seconds": 3600})
    assert queues.get_queue(deps, boss, tenant_id, queue.id).patience_seconds == 3600
    queues.update_queue(deps, boss, tenant_id, queue.id, {"patience_seconds": None})
    assert queues.get_queue(deps, boss, tenant_id, queue.id).patience_seconds is None
    for bad in (0, 3601, -5, "120", 12.5, True):
        with pytest.raises(ValidationFailed) as caught:
            queues.update_queue(deps, boss, tenant_id, queue.id, {"patience_seconds": bad})
        assert caught.value.field == "patience_seconds"
    assert queues.get_queue(deps, boss, tenant_id, queue.id).patience_seconds is None


def test_a_queue_with_patience_is_planned_with_erlang_a(world: World) -> None:
    acme = Seeder(world, "acme")
    waiting = acme.queue("Waiting", "voice")
    impatient = acme.queue("Impatient", "voice", patience_seconds=120)
    for queue_id in (waiting, impatient):
        weekday_traffic(acme, queue_id, "voice", date(2026, 2, 2), 28, per_hour=60)
    deps, boss = world.container.deps, world.principal("acme_supervisor")

    def plan(queue_id: int) -> workforce.QueuePlan:
        return workforce.plan(deps, boss, acme.tenant_id, queue_id=queue_id, days=7, weeks=4, backtest_weeks=0)

    c, a = plan(waiting), plan(impatient)
    assert (c.model, c.erlang, c.patience, c.target) == ("live", "erlang_c", None, "80% answered within 20 s")
    assert (a.model, a.erlang, a.patience) == ("live", "erlang_a", 120.0)
    assert a.target == "80% answered within 20 s; callers hang up after 2 min on average (Erlang A)"
    assert [i.volume for i in a.intervals] == pytest.approx([i.volume for i in c.intervals])
    assert all(ia.required <= ic.required for ia, ic in zip(a.intervals, c.intervals, strict=True))
    assert sum(i.required for i in a.intervals) < sum(i.required for i in c.intervals)
    busy = [i for i in a.intervals if i.volume > 0]
    assert busy and all(i.p_abandon is not None and 0 < i.p_abandon < 0.2 for i in busy)
    assert all(i.p_abandon is None for i in c.intervals)
    # Every queue of the tenant at once plans the same way.
    by_name = {p.queue_name: p for p in workforce.plans(deps, boss, acme.tenant_id, days=7, weeks=4, backtest_weeks=0)}
    assert by_name["Impatient"].erlang == "erlang_a" and by_name["Waiting"].erlang == "erlang_c"
    assert [i.required for i in by_name["Impatient"].intervals] == [i.required for i in a.intervals]


def test_intraday_replans_an_impatient_queue_with_erlang_a(world: World) -> None:
    acme = Seeder(world, "acme")
    calls = acme.queue("Calls", "voice", patience_seconds=120)
    weekday_traffic(acme, calls, "voice", date(2026, 2, 2), 28, per_hour=60)
    deps, boss = world.container.deps, world.principal("acme_supervisor")
    # At local midnight nothing has happened yet: the re-forecast equals the forecast, so the
    # re-plan must equal the plan, which it only does on the same (Erlang A) model: at this load
    # Erlang C would want more agents.
    midnight = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 00:00 in New York
    view = intraday.today(deps, boss, acme.tenant_id, now=midnight)
    assert view.completed == 0 and view.ratio == pytest.approx(1.0)
    plan = workforce.plan(deps, boss, acme.tenant_id, queue_id=calls, days=1, start=MONDAY, backtest_weeks=0)
    assert plan.erlang == "erlang_a" and list(view.required_plan) == [i.required for i in plan.intervals]
    assert sum(view.required_plan) > 0
    assert view.required_now == view.required_plan
