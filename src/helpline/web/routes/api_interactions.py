"""Interactions API (tenant-scoped, under /api/v1/tenants/{tenant}/interactions): contacts, lifecycle, messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from helpline.domain import chat as chat_rules
from helpline.domain import interactions as rules
from helpline.domain.pagination import MAX_LIMIT
from helpline.services import conversations, interactions
from helpline.web.dependencies import TenantContext, TenantDep
from helpline.web.routes.api_chat import file_response
from helpline.web.schemas import Input, ListOf, Output

router = APIRouter(tags=["interactions"])
BASE = "/tenants/{tenant}/interactions"

# Ids in bodies: whole numbers only (no "12", no true), within the database's 64-bit range.
Id = Annotated[int, Field(strict=True, ge=1, le=rules.MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


class IdentityIn(Input):
    kind: str = Field(max_length=10, description="email, phone, chat or social")
    value: str = Field(max_length=254)
    provider: str | None = Field(None, max_length=32, description="for social and chat handles, e.g. twitter")


class AttachmentIn(Input):
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=127)
    size: int = Field(strict=True, ge=0, le=rules.MAX_ID)


class MessageIn(Input):
    author_kind: str = Field(max_length=10, description="customer, agent, system or bot")
    body: str = Field(max_length=rules.MAX_BODY)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=rules.MAX_ATTACHMENTS)
    author_name: str | None = Field(
        None, max_length=rules.MAX_AUTHOR_NAME, description="ignored for agent messages, which are signed by the caller"
    )
    at: datetime | None = Field(None, description="when it was written; never in the future")
    visibility: str = Field(
        "all", max_length=10, description="'all' (the customer sees it in a chat) or 'agents' (staff only)"
    )


class WhisperIn(Input):
    body: str = Field(max_length=chat_rules.MAX_MESSAGE)


class InteractionIn(Input):
    channel: str = Field(max_length=20)
    direction: str = Field("inbound", max_length=10)
    customer_id: Id | None = None
    identity: IdentityIn | None = Field(None, description="finds or creates the customer; instead of customer_id")
    customer_name: str | None = Field(
        None, max_length=rules.MAX_AUTHOR_NAME, description="display name if the identity creates a new customer"
    )
    queue_id: Id | None = None
    case_id: Id | None = None
    subject: str | None = Field(None, max_length=rules.MAX_SUBJECT)
    external_ref: str | None = Field(None, max_length=rules.MAX_EXTERNAL_REF)
    attributes: dict[str, Any] | None = None
    messages: list[MessageIn] = Field(default_factory=list, max_length=rules.MAX_INITIAL_MESSAGES)
    created_at: datetime | None = Field(None, description="when it was received, if earlier; never in the future")


class InteractionPatch(Input):
    subject: str | None = Field(None, max_length=rules.MAX_SUBJECT)
    disposition_code: str | None = Field(None, max_length=rules.MAX_DISPOSITION)
    case_id: Id | None = Field(None, description="null unlinks the interaction from its case")
    queue_id: Id | None = None


class StepIn(Input):
    agent_id: Id | None = Field(None, description="for offer and accept")
    at: datetime | None = Field(None, description="when the step happened; default now; never in the future")
    disposition_code: str | None = Field(None, max_length=rules.MAX_DISPOSITION, description="for wrap-up")


class InteractionOut(Output):
    id: int
    customer_id: int
    case_id: int | None
    queue_id: int | None
    agent_id: int | None
    channel: str
    direction: str
    status: str
    subject: str | None
    disposition_code: str | None
    external_ref: str | None
    attributes: dict[str, Any]
    created_at: datetime
    queued_at: datetime | None
    offered_at: datetime | None
    accepted_at: datetime | None
    ended_at: datetime | None
    wrapped_up_at: datetime | None


class MessageOut(Output):
    id: int
    interaction_id: int
    author_kind: str
    author_user_id: int | None
    author_name: str
    at: datetime
    body: str
    attachments: list[dict[str, Any]]
    visibility: str = "all"


def _out(row: object) -> InteractionOut:
    return InteractionOut.model_validate(row)


@router.get(BASE, response_model=ListOf[InteractionOut])
def list_interactions(
    t: TenantDep,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    direction: Annotated[str | None, Query(max_length=10)] = None,
    customer_id: int | None = None,
    case_id: int | None = None,
    agent_id: int | None = None,
    queue_id: int | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    sort: Annotated[
        str | None, Query(max_length=40, description="created_at, queued_at, ...; prefix - for descending")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ListOf[InteractionOut]:
    rows, total = interactions.list_interactions(
        t.deps,
        t.principal,
        t.tenant_id,
        channel=channel,
        status=status,
        direction=direction,
        customer_id=customer_id,
        case_id=case_id,
        agent_id=agent_id,
        queue_id=queue_id,
        created_after=created_after,
        created_before=created_before,
        limit=limit,
        offset=offset,
        sort=sort,
    )
    return ListOf[InteractionOut](items=[_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post(BASE, response_model=InteractionOut, status_code=201)
def create_interaction(body: InteractionIn, t: TenantDep) -> InteractionOut:
    fields = body.model_dump(exclude={"identity", "messages"})
    identity = body.identity.model_dump() if body.identity is not None else None
    messages = [m.model_dump() for m in body.messages]
    return _out(
        interactions.create_interaction(
            t.deps, t.principal, t.tenant_id, identity=identity, messages=messages, **fields
        )
    )


@router.get(BASE + "/{interaction_id}", response_model=InteractionOut)
def get_interaction(interaction_id: int, t: TenantDep) -> InteractionOut:
    return _out(interactions.get_interaction(t.deps, t.principal, t.tenant_id, interaction_id))


@router.patch(BASE + "/{interaction_id}", response_model=InteractionOut)
def update_interaction(interaction_id: int, body: InteractionPatch, t: TenantDep) -> InteractionOut:
    changes = body.model_dump(exclude_unset=True)
    return _out(interactions.update_interaction(t.deps, t.principal, t.tenant_id, interaction_id, changes))


def _step_route(action: str) -> Callable[..., InteractionOut]:
    def step(interaction_id: int, t: TenantDep, body: StepIn | None = None) -> InteractionOut:
        return _step(t, interaction_id, action, body or StepIn())

    step.__doc__ = f"Lifecycle step '{action}': see the interaction lifecycle (queue, offer, accept, end, wrap-up)."
    return step


def _step(t: TenantContext, interaction_id: int, action: str, body: StepIn) -> InteractionOut:
    return _out(
        interactions.lifecycle_step(
            t.deps,
            t.principal,
            t.tenant_id,
            interaction_id,
            action,
            agent_id=body.agent_id,
            at=body.at,
            disposition_code=body.disposition_code,
        )
    )


# Accept, end and wrap-up belong to the router (api_routing); queue and offer stay here as plain
# record-keeping steps for integrations that route elsewhere.
for _path, _action in (
    ("queue", "queue"),
    ("offer", "offer"),
):
    router.add_api_route(
        f"{BASE}/{{interaction_id}}/{_path}",
        _step_route(_action),
        methods=["POST"],
        response_model=InteractionOut,
        name=f"interaction_{_action}",
        summary=f"{_path.replace('-', ' ').capitalize()} an interaction",
    )


@router.get(BASE + "/{interaction_id}/messages", response_model=ListOf[MessageOut])
def list_messages(interaction_id: int, t: TenantDep, limit: Limit = 50, offset: Offset = 0) -> ListOf[MessageOut]:
    rows, total = interactions.list_messages(t.deps, t.principal, t.tenant_id, interaction_id, limit, offset)
    return ListOf[MessageOut](
        items=[MessageOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post(BASE + "/{interaction_id}/messages", response_model=MessageOut, status_code=201)
def add_message(interaction_id: int, body: MessageIn, t: TenantDep) -> MessageOut:
    """Append a message; live listeners get it at once (the customer's chat too, if visibility is 'all').

    While a chat is live, staff messages follow its rules: its agents write to the customer; a
    supervisor whispers (visibility 'agents') or barges in first."""
    fields = body.model_dump()
    return MessageOut.model_validate(
        interactions.add_message(t.deps, t.principal, t.tenant_id, interaction_id, live_rules=True, **fields)
    )


# --- the staff side of a live conversation -------------------------------------------------------


@router.post(BASE + "/{interaction_id}/typing", status_code=204)
def typing(interaction_id: int, t: TenantDep) -> Response:
    """Tell the customer (and monitors) that you are typing; send it every few seconds while typing."""
    conversations.typing(t.deps, t.principal, t.tenant_id, interaction_id)
    return Response(status_code=204)


@router.post(BASE + "/{interaction_id}/whisper", response_model=MessageOut, status_code=201)
def whisper(interaction_id: int, body: WhisperIn, t: TenantDep) -> MessageOut:
    """A supervisor's message to the agents of the conversation; the customer never sees it."""
    return MessageOut.model_validate(conversations.whisper(t.deps, t.principal, t.tenant_id, interaction_id, body.body))


@router.post(BASE + "/{interaction_id}/barge", response_model=InteractionOut)
def barge(interaction_id: int, t: TenantDep) -> InteractionOut:
    """A supervisor joins the live conversation visibly; the customer is told."""
    return _out(conversations.barge(t.deps, t.principal, t.tenant_id, interaction_id))


@router.get(BASE + "/{interaction_id}/attachments/{attachment_id}", response_class=Response)
def download_attachment(
    interaction_id: int, attachment_id: Annotated[int, Path(ge=1, le=rules.MAX_ID)], t: TenantDep
) -> Response:
    """A file sent in the conversation."""
    return file_response(conversations.attachment(t.deps, t.principal, t.tenant_id, interaction_id, attachment_id))
