"""Queues API (tenant-scoped, under /api/v1/tenants/{tenant}/queues): names, channels and routing settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field, StrictInt

from helpline.domain.pagination import MAX_LIMIT
from helpline.services import queues, routing
from helpline.web.dependencies import TenantDep
from helpline.web.schemas import Input, ListOf, Output

router = APIRouter(tags=["queues"])
BASE = "/tenants/{tenant}/queues"

Seconds = Annotated[int, Field(strict=True, ge=0, le=30 * 86_400)]
Weight = Annotated[float, Field(strict=True, ge=0, le=100)]
Level = Annotated[int, Field(strict=True, ge=1, le=5)]


class RelaxStepIn(Input):
    after_seconds: Seconds
    min_proficiency: Level | None = Field(None, description="every queue skill now needs this level; null: any level")
    overflow_queue_id: StrictInt | None = Field(None, description="move the item to this queue instead")


class OverflowTargetIn(Input):
    name: str = Field(max_length=40, description="a site of this center, or a partner center")
    kind: str = Field(max_length=10, description="site or partner")
    weight: Weight = Field(description="relative share of arrivals")


class HoursIn(Input):
    timezone: str = Field(max_length=64, description="IANA timezone, e.g. America/New_York")
    weekly: dict[str, list[list[StrictInt]]] = Field(
        default_factory=dict, description='weekday "0" (Monday) to "6" -> [[open, close], ...] minutes since midnight'
    )
    closed_dates: list[str] = Field(default_factory=list, max_length=400, description="ISO dates closed all day")


class RoutingSettings(Input):
    """Every field optional: only those sent are set (on create, the others keep their defaults)."""

    priority: int | None = Field(None, strict=True, ge=-100, le=100)
    skills: dict[str, Level] | None = Field(None, description="required skill -> minimum proficiency 1..5")
    strategy: str | None = Field(None, max_length=20, description="longest_idle, most_proficient or least_occupied")
    aging_per_minute: float | None = Field(None, strict=True, ge=0, le=100)
    preferred_wait_seconds: int | None = Field(None, strict=True, ge=0, le=3600)
    recent_agent_days: int | None = Field(None, strict=True, ge=0, le=365)
    language_wait_seconds: int | None = Field(None, strict=True, ge=0, le=86_400)
    relaxation: list[RelaxStepIn] | None = Field(None, max_length=10)
    overflow: list[OverflowTargetIn] | None = Field(None, max_length=10)
    offer_timeout_seconds: int | None = Field(None, strict=True, ge=5, le=600)
    wrap_up_seconds: int | None = Field(None, strict=True, ge=0, le=3600)
    hours: HoursIn | None = Field(None, description="null: always open")
    service_level_seconds: int | None = Field(None, strict=True, ge=1, le=30 * 86_400)
    service_level_percent: float | None = Field(None, strict=True, ge=0, le=100)
    leave_message_after_seconds: int | None = Field(None, strict=True, ge=0, le=86_400)
    disposition_codes: list[str] | None = Field(None, max_length=100)
    patience_seconds: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=3600,
        description="mean seconds callers wait before hanging up: staffing plans "
        "with Erlang A; null: callers wait (Erlang C)",
    )


class QueueOut(Output):
    id: int
    name: str
    channel: str | None
    language: str | None
    created_at: datetime
    priority: int
    skills: dict[str, int]
    strategy: str
    aging_per_minute: float
    preferred_wait_seconds: int
    recent_agent_days: int
    language_wait_seconds: int
    relaxation: list[dict[str, Any]]
    overflow: list[dict[str, Any]]
    offer_timeout_seconds: int
    wrap_up_seconds: int
    hours: dict[str, Any] | None
    service_level_seconds: int
    service_level_percent: float
    leave_message_after_seconds: int
    disposition_codes: list[str]
    patience_seconds: int | None


class QueueIn(RoutingSettings):
    name: str = Field(max_length=100)
    channel: str | None = Field(None, max_length=20, description="the channel this queue serves (routing needs one)")
    language: str | None = Field(None, max_length=16, description="language tag such as en or fr-CA")


class QueuePatch(RoutingSettings):
    name: str | None = Field(None, max_length=100)
    channel: str | None = Field(None, max_length=20)
    language: str | None = Field(None, max_length=16)


class OverflowIn(Input):
    targets: list[OverflowTargetIn] = Field(max_length=10, description="empty: no overflow")


def _settings(body: RoutingSettings) -> dict[str, Any]:
    """The fields the caller sent (null included: hours null means always open)."""
    return body.model_dump(exclude_unset=True)


@router.get(BASE, response_model=ListOf[QueueOut])
def list_queues(
    t: TenantDep, limit: int = Query(50, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=10_000_000)
) -> ListOf[QueueOut]:
    rows, total = queues.list_queues(t.deps, t.principal, t.tenant_id, limit, offset)
    return ListOf[QueueOut](items=[QueueOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post(BASE, response_model=QueueOut, status_code=201)
def create_queue(body: QueueIn, t: TenantDep) -> QueueOut:
    fields = _settings(body)
    name, channel, language = fields.pop("name"), fields.pop("channel", None), fields.pop("language", None)
    return QueueOut.model_validate(
        queues.create_queue(t.deps, t.principal, t.tenant_id, name, channel, language, **fields)
    )


@router.get(BASE + "/{queue_id}", response_model=QueueOut)
def get_queue(queue_id: int, t: TenantDep) -> QueueOut:
    return QueueOut.model_validate(queues.get_queue(t.deps, t.principal, t.tenant_id, queue_id))


@router.patch(BASE + "/{queue_id}", response_model=QueueOut)
def update_queue(queue_id: int, body: QueuePatch, t: TenantDep) -> QueueOut:
    return QueueOut.model_validate(queues.update_queue(t.deps, t.principal, t.tenant_id, queue_id, _settings(body)))


@router.put(BASE + "/{queue_id}/overflow", response_model=QueueOut)
def set_overflow(queue_id: int, body: OverflowIn, t: TenantDep) -> QueueOut:
    """Edit the overflow percentages at runtime (supervisors): live at once for new arrivals."""
    targets = [target.model_dump() for target in body.targets]
    return QueueOut.model_validate(routing.set_overflow(t.deps, t.principal, t.tenant_id, queue_id, targets))
