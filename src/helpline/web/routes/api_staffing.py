"""Staffing calculator API (under /api/v1/staffing): Erlang C/A for one interval, and plans per interval.

Calculators on the caller's own numbers: no tenant data is read, so any signed-in user whose role
may plan (supervisors, admins, client managers) may call them; agents are refused (403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import Field, StrictBool

from helpline.services import staffing
from helpline.web.dependencies import PrincipalDep
from helpline.web.schemas import Input, Output

router = APIRouter(tags=["staffing"])
BASE = "/staffing"
MAX_PLAN_INTERVALS = 2_000  # 41 days of 30-minute intervals; a plan solves in well under a second

# strict=True, allow_inf_nan=False: Python's JSON reader accepts NaN and Infinity, which are no numbers of calls.
Calls = Annotated[
    float, Field(ge=0, le=staffing.MAX_CALLS, strict=True, allow_inf_nan=False, description="contacts arriving")
]
Aht = Annotated[
    float, Field(ge=1, le=staffing.MAX_AHT, strict=True, allow_inf_nan=False, description="average handle time, s")
]
Minutes = Annotated[int, Field(strict=True, ge=5, le=1440, description="interval length; must divide a day")]
Percent = Annotated[float, Field(gt=0, lt=100, strict=True, allow_inf_nan=False)]
Seconds = Annotated[float, Field(gt=0, le=86_400, strict=True, allow_inf_nan=False)]


class TargetsIn(Input):
    """Targets shared by both calculators (percentages and seconds, as people state them)."""

    target_seconds: float = Field(
        20.0, ge=0, le=86_400, strict=True, allow_inf_nan=False, description="answer within, s"
    )
    service_level_percent: Percent | None = Field(80.0, description="share answered within target_seconds; null: none")
    asa_seconds: Seconds | None = Field(None, description="average speed of answer target")
    patience_seconds: Seconds | None = Field(None, description="callers' mean patience: switches to Erlang A")
    abandon_percent: Percent | None = Field(None, description="largest share abandoning (Erlang A)")
    shrinkage_percent: float = Field(30.0, ge=0, le=staffing.MAX_SHRINKAGE_PERCENT, strict=True, allow_inf_nan=False)
    max_occupancy_percent: float | None = Field(
        90.0, gt=0, le=100, strict=True, allow_inf_nan=False, description="null: no cap"
    )

    def targets(self, deadline_hours: float = 48.0) -> staffing.Targets:
        return staffing.Targets(
            target_seconds=self.target_seconds,
            service_level_percent=self.service_level_percent,
            asa_seconds=self.asa_seconds,
            patience_seconds=self.patience_seconds,
            abandon_percent=self.abandon_percent,
            shrinkage_percent=self.shrinkage_percent,
            max_occupancy_percent=self.max_occupancy_percent,
            deadline_hours=deadline_hours,
        )


class ErlangIn(TargetsIn):
    calls: Calls
    interval_minutes: Minutes = 30
    aht: Aht


class NeighbourOut(Output):
    agents: int
    scheduled: int
    service_level: float | None
    asa: float | None
    p_wait: float | None
    p_abandon: float | None
    occupancy: float | None
    meets: bool = Field(description="this many agents meets every target")
    answer: bool = Field(description="the fewest agents meeting every target")


class ErlangOut(Output):
    model: Literal["erlang_c", "erlang_a"]
    calls: float
    interval_minutes: int
    aht: float
    load: float = Field(description="offered load, Erlangs")
    for_target: int
    for_occupancy: int
    required: int = Field(description="agents on the phones")
    scheduled: int = Field(description="required grossed up for shrinkage")
    service_level: float | None
    asa: float | None
    p_wait: float | None
    p_abandon: float | None
    occupancy: float | None
    neighbours: list[NeighbourOut]


class IntervalIn(Input):
    start: datetime
    calls: Calls
    aht: Aht | None = Field(None, description="this interval's handle time; null: the plan's aht")
    open: StrictBool = Field(True, description="email: may agents work the queue in this interval")


class PlanIn(TargetsIn):
    intervals: list[IntervalIn] = Field(min_length=1, max_length=MAX_PLAN_INTERVALS)
    interval_minutes: Minutes = 30
    aht: Aht | None = Field(None, description="handle time of intervals without their own")
    channel: Literal["voice", "chat", "email"] = "voice"
    deadline_hours: float = Field(48.0, gt=0, le=staffing.MAX_DEADLINE_HOURS, strict=True, allow_inf_nan=False)


class IntervalOut(Output):
    start: str
    calls: float
    aht: float
    load: float
    required: int
    scheduled: int
    service_level: float | None
    asa: float | None
    p_wait: float | None
    p_abandon: float | None
    occupancy: float | None
    backlog: float | None = Field(description="email: messages waiting at the interval's end")
    oldest_age_hours: float | None = Field(description="email: age of the oldest waiting message at the end")


class SummaryOut(Output):
    intervals: int
    volume: float
    peak_required: int
    peak_scheduled: int
    required_hours: float
    scheduled_hours: float
    service_level: float | None
    asa: float | None
    p_abandon: float | None
    occupancy: float | None
    max_backlog: float | None
    max_age_hours: float | None


class PlanOut(Output):
    channel: str
    model: Literal["erlang_c", "erlang_a", "backlog"]
    interval_minutes: int
    deadline_hours: float | None = None
    intervals: list[IntervalOut]
    summary: SummaryOut


@router.post(BASE + "/erlang", response_model=ErlangOut)
def erlang(body: ErlangIn, principal: PrincipalDep) -> ErlangOut:
    """Fewest agents for one interval (Erlang C, or Erlang A with patience_seconds), and the staffings around it."""
    answer = staffing.erlang(principal, body.calls, body.interval_minutes, body.aht, body.targets())
    return ErlangOut.model_validate(answer)


@router.post(BASE + "/plan", response_model=PlanOut)
def plan(body: PlanIn, principal: PrincipalDep) -> PlanOut:
    """Agents per interval: Erlang C or A for voice and chat; for email, the fewest agent-intervals
    answering every message within deadline_hours (the plan is read as a repeating period)."""
    rows = [staffing.IntervalRow(i.start, i.calls, i.aht, i.open) for i in body.intervals]
    result = staffing.plan(
        principal, rows, body.interval_minutes, body.channel, body.targets(body.deadline_hours), body.aht
    )
    return PlanOut.model_validate(result)
