"""What-if simulations: a day as planned against the same day changed, on common random numbers,
with the permission and tenant checks (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from helpline.domain.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from helpline.services.simulation import MAX_CALLS, Scenario, what_if
from tests.conftest import World
from tests.services.test_workforce import Seeder, weekday_traffic

SMALL = Scenario(volume=60, hours=2, aht_seconds=180, agents=8, patience_seconds=120)


def test_more_staff_gives_a_better_service_level_on_the_same_callers(world: World) -> None:
    d, acme = world.container.deps, world.tenants["acme"].id
    result = what_if(
        d, world.principal("acme_supervisor"), acme, Scenario(**{**SMALL.__dict__, "staff_change_pct": 25})
    )
    base, more = result.baseline.result.totals, result.changed.result.totals
    assert result.baseline.agents == (8,) * 4 and result.changed.agents == (10,) * 4
    assert base.offered == more.offered > 0  # the very same callers
    assert more.service_level > base.service_level
    assert more.asa < base.asa
    assert more.abandoned <= base.abandoned
    assert more.occupancy < base.occupancy
    assert result.labels == ("00:00", "00:30", "01:00", "01:30")
    assert len(result.baseline.result.intervals) == 4


def test_the_baseline_does_not_move_when_only_the_change_does(world: World) -> None:
    d, acme, boss = world.container.deps, world.tenants["acme"].id, world.principal("acme_supervisor")
    plain = what_if(d, boss, acme, SMALL)
    busier = what_if(d, boss, acme, Scenario(**{**SMALL.__dict__, "volume_change_pct": 30, "aht_change_pct": 10}))
    assert plain.baseline.result.totals == busier.baseline.result.totals
    assert plain.changed.result.totals == plain.baseline.result.totals  # no change: the same run
    assert busier.changed.result.totals.offered > busier.baseline.result.totals.offered
    assert busier.changed.result.totals.service_level < busier.baseline.result.totals.service_level
    quieter = what_if(d, boss, acme, Scenario(**{**SMALL.__dict__, "volume_change_pct": -50}))
    assert quieter.changed.result.totals.offered < quieter.baseline.result.totals.offered
    routed = what_if(d, boss, acme, Scenario(**{**SMALL.__dict__, "scenario_strategy": "least_occupied"}))
    assert routed.changed.strategy == "least_occupied" and routed.baseline.strategy == "longest_idle"
    assert routed.changed.result.totals.offered == routed.baseline.result.totals.offered


def test_admins_and_client_managers_may_run_it_agents_may_not(world: World) -> None:
    d, acme = world.container.deps, world.tenants["acme"].id
    assert what_if(d, world.principal("admin"), acme, SMALL).baseline.result.calls > 0
    assert what_if(d, world.principal("acme_client_manager"), acme, SMALL).baseline.result.calls > 0
    with pytest.raises(PermissionDenied):
        what_if(d, world.principal("acme_agent"), acme, SMALL)


def test_another_tenant_is_not_found(world: World) -> None:
    d, globex = world.container.deps, world.tenants["globex"].id
    for name in ("acme_supervisor", "acme_client_manager", "acme_agent"):
        with pytest.raises(NotFound):
            what_if(d, world.principal(name), globex, SMALL)
    with pytest.raises(NotFound):
        what_if(d, world.principal("acme_supervisor"), 999_999, SMALL)


BAD: list[tuple[dict[str, object], str]] = [
    ({"source": "guess"}, "source"),
    ({"volume": -1}, "volume"),
    ({"volume": float("nan")}, "volume"),
    ({"aht_seconds": float("inf")}, "aht_seconds"),
    ({"agents": 10_000}, "agents"),
    ({"hours": 0}, "hours"),
    ({"interval_minutes": 7}, "interval_minutes"),
    ({"staff_change_pct": -101}, "staff_change_pct"),
    ({"strategy": "random"}, "strategy"),
    ({"scenario_strategy": "fastest"}, "scenario_strategy"),
    ({"volume": 100_000, "hours": 24}, "volume"),  # 4.8 million calls: over the bound
    ({"agents": 2_000, "staff_change_pct": 50}, "staff_change_pct"),
]


def test_bad_or_oversized_scenarios_are_refused_by_field(world: World) -> None:
    d, acme = world.container.deps, world.tenants["acme"].id
    for changes, field in BAD:
        with pytest.raises(ValidationFailed) as caught:
            what_if(d, world.principal("acme_supervisor"), acme, Scenario(**{**SMALL.__dict__, **changes}))
        assert caught.value.field == field, changes
    assert MAX_CALLS == 60_000


def test_a_forecast_day_without_history_says_so(world: World) -> None:
    d, acme = world.container.deps, world.tenants["acme"].id
    with pytest.raises(ValidationFailed, match="no forecast") as caught:
        what_if(d, world.principal("acme_supervisor"), acme, Scenario(source="forecast"))
    assert caught.value.field == "source"


def test_a_forecast_day_runs_the_plans_volumes_and_staff(world: World) -> None:
    acme = Seeder(world, "acme")
    calls = acme.queue("Calls", "voice")
    weekday_traffic(acme, calls, "voice", date(2026, 2, 2), 28, per_hour=20)  # 09:00-11:00 New York, weekdays
    d, boss = world.container.deps, world.principal("acme_supervisor")
    day = Scenario(source="forecast", queue_id=calls, day=date(2026, 3, 3), staff_change_pct=-50, patience_seconds=60)
    result = what_if(d, boss, acme.tenant_id, day)
    assert len(result.labels) == 48 and result.labels[18] == "09:00"  # the tenant's wall clock
    busy = [i for i, n in enumerate(result.baseline.agents) if n > 0]
    assert busy and set(busy) <= set(range(16, 24))  # staffed around the 09:00-11:00 peak only
    base, fewer = result.baseline.result.totals, result.changed.result.totals
    assert 20 <= base.offered <= 70  # about 40 forecast calls
    assert fewer.offered == base.offered
    assert fewer.service_level <= base.service_level and fewer.abandoned >= base.abandoned
    assert "Calls" in result.source_note

    mail = acme.queue("Mail", "email")
    weekday_traffic(acme, mail, "email", date(2026, 2, 2), 28, per_hour=6)
    with pytest.raises(ValidationFailed, match="backlog") as caught:
        what_if(d, boss, acme.tenant_id, Scenario(source="forecast", queue_id=mail, day=date(2026, 3, 3)))
    assert caught.value.field == "queue_id"
    with pytest.raises(NotFound):  # a queue of another tenant is not there
        what_if(d, boss, acme.tenant_id, Scenario(source="forecast", queue_id=calls + 10_000))


def test_one_simulation_at_a_time_per_server(world: World) -> None:
    from helpline.services import simulation

    d, acme = world.container.deps, world.tenants["acme"].id
    assert simulation._RUNNING.acquire(blocking=False)  # another request's run is under way
    try:
        with pytest.raises(RateLimited) as caught:
            what_if(d, world.principal("acme_supervisor"), acme, SMALL)
        assert caught.value.retry_after > 0
    finally:
        simulation._RUNNING.release()
    assert what_if(d, world.principal("acme_supervisor"), acme, SMALL).baseline.result.calls > 0
