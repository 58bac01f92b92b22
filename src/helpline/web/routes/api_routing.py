"""Live routing API: the agent's desktop and presence, offers (accept, reject), end, wrap-up, transfer,
second agents, the routing explanation, and the supervisor's wallboard and agent presence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from helpline.domain import interactions as rules
from helpline.domain.errors import PermissionDenied
from helpline.services import routing
from helpline.services.routing import RouteStatus
from helpline.web.dependencies import DepsDep, PrincipalDep, TenantDep
from helpline.web.schemas import Input, Output

router = APIRouter(tags=["routing"])
BASE = "/tenants/{tenant}/interactions/{interaction_id}"

Id = Annotated[int, Field(strict=True, ge=1, le=rules.MAX_ID)]


class RouteIn(Input):
    queue_id: Id | None = Field(None, description="the queue to wait in; default the interaction's own")


class EmptyIn(Input):
    """No fields (an empty object or no body at all)."""


class WrapUpIn(Input):
    disposition_code: str | None = Field(
        None, max_length=rules.MAX_DISPOSITION, description="required when the queue lists disposition codes"
    )
    note: str | None = Field(None, max_length=10_000, description="stored as a note on the interaction")


class TransferIn(Input):
    queue_id: Id | None = Field(None, description="another queue of this tenant (keeps the waiting time)")
    agent_id: Id | None = Field(None, description="or one agent, who gets the offer")


class ParticipantIn(Input):
    agent_id: Id


class PresenceIn(Input):
    presence: str = Field(max_length=10, description="offline, available or away")
    reason: str | None = Field(None, max_length=40, description="for away: break, lunch, training...")


class RouteStatusOut(Output):
    interaction_id: int
    status: str = Field(description="queued, offered, active, ended, closed, overflowed or new")
    position: int | None
    estimated_wait_seconds: float | None
    leave_message: bool


class AgentStateOut(Output):
    agent_id: int
    presence: str
    state: str
    reason: str | None
    holding: dict[int, str]


def _status(interaction_id: int, status: RouteStatus) -> RouteStatusOut:
    return RouteStatusOut(
        interaction_id=interaction_id,
        status=status.status,
        position=status.position,
        estimated_wait_seconds=status.estimated_wait_seconds,
        leave_message=status.leave_message,
    )


# --- the signed-in agent -------------------------------------------------------------------------


@router.get("/me/desktop", response_model=dict[str, Any])
def my_desktop(d: DepsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Presence and state, pending offers (with expires_at) and held interactions across tenants."""
    return routing.desktop(d, principal)


@router.put("/me/presence", response_model=AgentStateOut)
def my_presence(body: PresenceIn, d: DepsDep, principal: PrincipalDep) -> AgentStateOut:
    if principal.user_id is None:
        raise PermissionDenied("presence belongs to a signed-in person, not an API token")
    state = routing.set_presence(d, principal, principal.user_id, body.presence, body.reason)
    return AgentStateOut.model_validate(state)


# --- one interaction -----------------------------------------------------------------------------


@router.post(BASE + "/route", response_model=RouteStatusOut)
def route(interaction_id: int, t: TenantDep, body: RouteIn | None = None) -> RouteStatusOut:
    """Queue the interaction and let the router offer it; returns where it stands."""
    queue_id = body.queue_id if body is not None else None
    return _status(interaction_id, routing.route(t.deps, t.principal, t.tenant_id, interaction_id, queue_id))


@router.post(BASE + "/accept", response_model=RouteStatusOut)
def accept(interaction_id: int, t: TenantDep, body: EmptyIn | None = None) -> RouteStatusOut:
    return _status(interaction_id, routing.accept(t.deps, t.principal, t.tenant_id, interaction_id))


@router.post(BASE + "/reject", response_model=RouteStatusOut)
def reject(interaction_id: int, t: TenantDep, body: EmptyIn | None = None) -> RouteStatusOut:
    return _status(interaction_id, routing.reject(t.deps, t.principal, t.tenant_id, interaction_id))


@router.post(BASE + "/end", response_model=RouteStatusOut)
def end(interaction_id: int, t: TenantDep, body: EmptyIn | None = None) -> RouteStatusOut:
    """End the conversation: its agents go into wrap-up (a waiting item is abandoned)."""
    return _status(interaction_id, routing.end(t.deps, t.principal, t.tenant_id, interaction_id))


@router.post(BASE + "/wrap-up", response_model=RouteStatusOut)
def wrap_up(interaction_id: int, t: TenantDep, body: WrapUpIn | None = None) -> RouteStatusOut:
    body = body or WrapUpIn()
    status = routing.wrap_up(t.deps, t.principal, t.tenant_id, interaction_id, body.disposition_code, body.note)
    return _status(interaction_id, status)


@router.post(BASE + "/transfer", response_model=RouteStatusOut)
def transfer(interaction_id: int, body: TransferIn, t: TenantDep) -> RouteStatusOut:
    status = routing.transfer(
        t.deps, t.principal, t.tenant_id, interaction_id, queue_id=body.queue_id, agent_id=body.agent_id
    )
    return _status(interaction_id, status)


@router.post(BASE + "/participants", response_model=RouteStatusOut)
def add_participant(interaction_id: int, body: ParticipantIn, t: TenantDep) -> RouteStatusOut:
    """Add a second agent to an active interaction (a consult)."""
    return _status(interaction_id, routing.add_agent(t.deps, t.principal, t.tenant_id, interaction_id, body.agent_id))


@router.get(BASE + "/routing", response_model=list[dict[str, Any]])
def routing_log(interaction_id: int, t: TenantDep) -> list[dict[str, Any]]:
    """Every routing decision, oldest first: who got it, who was passed over and why, what was relaxed."""
    return routing.routing_log(t.deps, t.principal, t.tenant_id, interaction_id)


# --- supervisors ---------------------------------------------------------------------------------


@router.get("/tenants/{tenant}/wallboard", response_model=dict[str, Any])
def wallboard(t: TenantDep) -> dict[str, Any]:
    """Queues (waiting, longest wait, service level today, abandoned), agents by state, occupancy."""
    return routing.wallboard(t.deps, t.principal, t.tenant_id)


@router.put("/tenants/{tenant}/agents/{agent_id}/presence", response_model=AgentStateOut)
def set_agent_presence(agent_id: int, body: PresenceIn, t: TenantDep) -> AgentStateOut:
    """A supervisor changes the presence of an agent who serves this tenant."""
    state = routing.set_presence(t.deps, t.principal, agent_id, body.presence, body.reason, tenant_id=t.tenant_id)
    return AgentStateOut.model_validate(state)
