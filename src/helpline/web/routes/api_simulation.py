"""What-if simulation API (tenant-scoped): a day as planned against the same day changed, simulated
on the same random numbers through the real routing engine (services/simulation.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import Field, StrictInt

from helpline.domain.workforce.simulation import IntervalResult
from helpline.services import simulation
from helpline.web.dependencies import TenantDep
from helpline.web.schemas import Input, Output

router = APIRouter(tags=["workforce"])
BASE = "/tenants/{tenant}/workforce"

Percent = Annotated[float, Field(ge=-100, le=500, allow_inf_nan=False)]
StrategyName = Literal["longest_idle", "most_proficient", "least_occupied"]


class WhatIfInput(Input):
    """The day (a flat manual volume, or the tenant's forecast) and the changes to try."""

    source: Literal["manual", "forecast"] = "manual"
    volume: float = Field(100, ge=0, le=100_000, allow_inf_nan=False, description="manual: calls per interval")
    hours: StrictInt = Field(8, ge=1, le=24, description="manual: hours simulated")
    aht_seconds: float = Field(180, ge=1, le=86_400, allow_inf_nan=False, description="average handle time")
    agents: StrictInt = Field(14, ge=0, le=simulation.MAX_AGENTS, description="manual: agents on duty")
    queue_id: StrictInt | None = Field(None, ge=1, lt=2**63, description="forecast: one queue (default: all)")
    day: date | None = Field(None, description="forecast: the day (default: tomorrow)")
    interval_minutes: Literal[15, 30, 60] = 30
    patience_seconds: float | None = Field(
        120, ge=1, le=86_400, allow_inf_nan=False, description="mean patience (exponential); null: nobody hangs up"
    )
    target_seconds: float = Field(20, ge=0, le=86_400, allow_inf_nan=False, description="service-level target")
    staff_change_pct: Percent = 0
    volume_change_pct: Percent = 0
    aht_change_pct: float = Field(0, ge=-90, le=500, allow_inf_nan=False)
    strategy: StrategyName = "longest_idle"
    scenario_strategy: StrategyName | None = Field(None, description="the changed routing (default: unchanged)")
    seed: StrictInt = Field(1, ge=0, le=2**31 - 1)


class IntervalOut(Output):
    start: str  # HH:MM
    offered: int
    answered: int
    abandoned: int
    agents: int
    service_level: float
    asa: float | None  # null when calls were offered but none answered
    abandon_rate: float
    occupancy: float


class TotalsOut(Output):
    offered: int
    answered: int
    abandoned: int
    service_level: float
    asa: float | None
    abandon_rate: float
    occupancy: float
    agent_hours: float


class RunOut(Output):
    strategy: str
    totals: TotalsOut
    intervals: list[IntervalOut]


class WhatIfOutput(Output):
    source: str
    calls: int
    wall_seconds: float
    baseline: RunOut
    scenario: RunOut


def _asa(value: float) -> float | None:
    return None if value == float("inf") else round(value, 2)


def _run(run: simulation.WhatIfRun, labels: tuple[str, ...]) -> RunOut:
    result = run.result
    totals: IntervalResult = result.totals
    return RunOut(
        strategy=run.strategy,
        totals=TotalsOut(
            offered=totals.offered,
            answered=totals.answered,
            abandoned=totals.abandoned,
            service_level=round(totals.service_level, 4),
            asa=_asa(totals.asa),
            abandon_rate=round(totals.abandon_rate, 4),
            occupancy=round(totals.occupancy, 4),
            agent_hours=round(totals.agents * result.horizon_seconds / 3600, 2),
        ),
        intervals=[
            IntervalOut(
                start=label,
                offered=i.offered,
                answered=i.answered,
                abandoned=i.abandoned,
                agents=agents,
                service_level=round(i.service_level, 4),
                asa=_asa(i.asa),
                abandon_rate=round(i.abandon_rate, 4),
                occupancy=round(i.occupancy, 4),
            )
            for label, i, agents in zip(labels, result.intervals, run.agents, strict=False)
        ],
    )


def scenario_of(body: dict[str, Any]) -> simulation.Scenario:
    """The service's scenario from validated input fields (shared with the page)."""
    return simulation.Scenario(**body)


@router.post(BASE + "/what-if", response_model=WhatIfOutput)
def what_if(body: WhatIfInput, t: TenantDep) -> WhatIfOutput:
    """Simulate the day as planned and as changed (staff, volume, handle time, routing) and compare."""
    result = simulation.what_if(t.deps, t.principal, t.tenant_id, scenario_of(body.model_dump()))
    return WhatIfOutput(
        source=result.source_note,
        calls=result.baseline.result.calls + result.changed.result.calls,
        wall_seconds=round(result.wall_seconds, 3),
        baseline=_run(result.baseline, result.labels),
        scenario=_run(result.changed, result.labels),
    )


__all__ = ["WhatIfInput", "WhatIfOutput", "router"]
