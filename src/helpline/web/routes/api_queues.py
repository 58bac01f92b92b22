"""Queues API (tenant-scoped, under /api/v1/tenants/{tenant}/queues)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import Field

from helpline.domain.pagination import MAX_LIMIT
from helpline.services import queues
from helpline.web.dependencies import TenantDep
from helpline.web.schemas import Input, ListOf, Output

router = APIRouter(tags=["queues"])
BASE = "/tenants/{tenant}/queues"


class QueueOut(Output):
    id: int
    name: str
    channel: str | None
    language: str | None
    created_at: datetime


class QueueIn(Input):
    name: str = Field(max_length=100)
    channel: str | None = Field(None, max_length=20, description="one channel this queue serves, or none for any")
    language: str | None = Field(None, max_length=16, description="language tag such as en or fr-CA")


class QueuePatch(Input):
    name: str | None = Field(None, max_length=100)
    channel: str | None = Field(None, max_length=20)
    language: str | None = Field(None, max_length=16)


@router.get(BASE, response_model=ListOf[QueueOut])
def list_queues(
    t: TenantDep, limit: int = Query(50, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=10_000_000)
) -> ListOf[QueueOut]:
    rows, total = queues.list_queues(t.deps, t.principal, t.tenant_id, limit, offset)
    return ListOf[QueueOut](items=[QueueOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post(BASE, response_model=QueueOut, status_code=201)
def create_queue(body: QueueIn, t: TenantDep) -> QueueOut:
    return QueueOut.model_validate(queues.create_queue(t.deps, t.principal, t.tenant_id, **body.model_dump()))


@router.get(BASE + "/{queue_id}", response_model=QueueOut)
def get_queue(queue_id: int, t: TenantDep) -> QueueOut:
    return QueueOut.model_validate(queues.get_queue(t.deps, t.principal, t.tenant_id, queue_id))


@router.patch(BASE + "/{queue_id}", response_model=QueueOut)
def update_queue(queue_id: int, body: QueuePatch, t: TenantDep) -> QueueOut:
    changes = body.model_dump(exclude_unset=True)
    return QueueOut.model_validate(queues.update_queue(t.deps, t.principal, t.tenant_id, queue_id, changes))
