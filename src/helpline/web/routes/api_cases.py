"""Cases API (tenant-scoped, under /api/v1/tenants/{tenant}/cases): cases, history, notes, interactions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from helpline.domain import cases as rules
from helpline.services import cases
from helpline.web.dependencies import TenantDep
from helpline.web.routes.api_interactions import Id, InteractionOut, Limit, Offset
from helpline.web.schemas import Input, ListOf, Output

router = APIRouter(tags=["cases"])
BASE = "/tenants/{tenant}/cases"

Tag = Annotated[str, Field(max_length=rules.MAX_TAG_LENGTH)]


class CaseIn(Input):
    customer_id: Id
    subject: str = Field(max_length=rules.MAX_SUBJECT)
    priority: str = Field("normal", max_length=10, description="low, normal, high or urgent")
    category: str | None = Field(None, max_length=rules.MAX_CATEGORY)
    tags: list[Tag] = Field(default_factory=list, max_length=rules.MAX_TAGS)
    assignee_id: Id | None = None
    queue_id: Id | None = None
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None


class CasePatch(Input):
    subject: str | None = Field(None, max_length=rules.MAX_SUBJECT)
    status: str | None = Field(None, max_length=10, description="new, open, pending, resolved or closed")
    priority: str | None = Field(None, max_length=10)
    category: str | None = Field(None, max_length=rules.MAX_CATEGORY)
    escalation_tier: int | None = Field(None, strict=True, ge=0, le=rules.MAX_TIER)
    assignee_id: Id | None = Field(None, description="null unassigns")
    queue_id: Id | None = None
    tags: list[Tag] | None = Field(None, max_length=rules.MAX_TAGS)
    first_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None


class CaseOut(Output):
    id: int
    customer_id: int
    subject: str
    status: str
    priority: str
    category: str | None
    escalation_tier: int
    assignee_id: int | None
    queue_id: int | None
    tags: list[str]
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None


class HistoryOut(Output):
    id: int
    at: datetime
    field: str
    old_value: str | None
    new_value: str | None
    actor_user_id: int | None
    actor_name: str


class NoteIn(Input):
    body: str = Field(max_length=rules.MAX_NOTE)


class NoteOut(Output):
    id: int
    case_id: int | None
    author_user_id: int | None
    author_name: str
    body: str
    created_at: datetime


class LinkIn(Input):
    interaction_id: Id


@router.get(BASE, response_model=ListOf[CaseOut])
def list_cases(
    t: TenantDep,
    status: Annotated[list[str] | None, Query(description="repeat to ask for several")] = None,
    open_only: bool = False,
    priority: Annotated[str | None, Query(max_length=10)] = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    category: Annotated[str | None, Query(max_length=rules.MAX_CATEGORY)] = None,
    tag: Annotated[str | None, Query(max_length=rules.MAX_TAG_LENGTH)] = None,
    customer_id: int | None = None,
    q: Annotated[str | None, Query(max_length=rules.MAX_QUERY, description="words in the subject")] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=40,
            description="created_at, updated_at, priority, status, resolution_due_at; prefix - for descending",
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ListOf[CaseOut]:
    rows, total = cases.list_cases(
        t.deps,
        t.principal,
        t.tenant_id,
        status=status,
        open_only=open_only,
        priority=priority,
        assignee_id=assignee_id,
        unassigned=unassigned,
        category=category,
        tag=tag,
        customer_id=customer_id,
        q=q,
        limit=limit,
        offset=offset,
        sort=sort,
    )
    return ListOf[CaseOut](items=[CaseOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post(BASE, response_model=CaseOut, status_code=201)
def create_case(body: CaseIn, t: TenantDep) -> CaseOut:
    return CaseOut.model_validate(cases.create_case(t.deps, t.principal, t.tenant_id, **body.model_dump()))


@router.get(BASE + "/{case_id}", response_model=CaseOut)
def get_case(case_id: int, t: TenantDep) -> CaseOut:
    return CaseOut.model_validate(cases.get_case(t.deps, t.principal, t.tenant_id, case_id))


@router.patch(BASE + "/{case_id}", response_model=CaseOut)
def update_case(case_id: int, body: CasePatch, t: TenantDep) -> CaseOut:
    changes = body.model_dump(exclude_unset=True)
    return CaseOut.model_validate(cases.update_case(t.deps, t.principal, t.tenant_id, case_id, changes))


@router.get(BASE + "/{case_id}/history", response_model=ListOf[HistoryOut])
def case_history(case_id: int, t: TenantDep, limit: Limit = 50, offset: Offset = 0) -> ListOf[HistoryOut]:
    rows, total = cases.case_history(t.deps, t.principal, t.tenant_id, case_id, limit, offset)
    return ListOf[HistoryOut](
        items=[HistoryOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get(BASE + "/{case_id}/notes", response_model=ListOf[NoteOut])
def case_notes(case_id: int, t: TenantDep, limit: Limit = 50, offset: Offset = 0) -> ListOf[NoteOut]:
    rows, total = cases.case_notes(t.deps, t.principal, t.tenant_id, case_id, limit, offset)
    return ListOf[NoteOut](items=[NoteOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post(BASE + "/{case_id}/notes", response_model=NoteOut, status_code=201)
def add_note(case_id: int, body: NoteIn, t: TenantDep) -> NoteOut:
    return NoteOut.model_validate(cases.add_note(t.deps, t.principal, t.tenant_id, case_id, body.body))


@router.get(BASE + "/{case_id}/interactions", response_model=ListOf[InteractionOut])
def case_interactions(case_id: int, t: TenantDep, limit: Limit = 50, offset: Offset = 0) -> ListOf[InteractionOut]:
    rows, total = cases.case_interactions(t.deps, t.principal, t.tenant_id, case_id, limit, offset)
    return ListOf[InteractionOut](
        items=[InteractionOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post(BASE + "/{case_id}/interactions", response_model=InteractionOut)
def link_interaction(case_id: int, body: LinkIn, t: TenantDep) -> InteractionOut:
    return InteractionOut.model_validate(
        cases.link_interaction(t.deps, t.principal, t.tenant_id, case_id, body.interaction_id)
    )
