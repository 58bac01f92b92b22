"""Agents API: routing profiles (skills, languages, site, capacity profile), the tenant's agents with their
live state, and capacity profiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from helpline.services import agents
from helpline.web.dependencies import DepsDep, PrincipalDep, TenantDep
from helpline.web.schemas import Input, Output

router = APIRouter(tags=["agents"])

Level = Annotated[int, Field(strict=True, ge=1, le=5)]
Limit = Annotated[int, Field(strict=True, ge=0, le=50)]
Hours = Annotated[float, Field(strict=True, ge=0, le=80)]
Clock = Annotated[str, Field(max_length=5, pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$")]


class WindowIn(Input):
    """A weekly time the agent cannot work; `to` before `from` ends the next day."""

    day: int = Field(strict=True, ge=0, le=6, description="0 = Monday .. 6 = Sunday")
    from_: Clock = Field(alias="from", description='"HH:MM" (UTC, the schedule\'s clock)')
    to: Clock = Field(description='"HH:MM", "24:00" for the end of the day')


class ContractIn(Input):
    """The agent's weekly contract for scheduling; keys left out take the default (0 h, 40 h, 5 days)."""

    min_hours_week: Hours | None = None
    max_hours_week: Hours | None = None
    max_days_week: int | None = Field(None, strict=True, ge=0, le=7)
    unavailable: list[WindowIn] | None = Field(None, max_length=100)


class AgentIn(Input):
    """Fields left out keep their value."""

    skills: dict[str, Level] | None = Field(None, description="skill -> proficiency 1..5 (replaces all skills)")
    languages: list[Annotated[str, Field(max_length=16)]] | None = Field(None, max_length=20)
    site: str | None = Field(None, max_length=40)
    profile: str | None = Field(None, max_length=40, description="capacity profile name: voice, blended, digital...")
    contract: ContractIn | None = Field(
        None, description="weekly contract for scheduling; null resets the default contract, left out keeps it"
    )


class AgentOut(Output):
    user_id: int
    name: str
    role: str
    configured: bool
    skills: dict[str, int]
    languages: list[str]
    site: str
    profile: str
    tenant_ids: list[int]
    contract: dict[str, Any] | None = Field(description="null: the default contract (0-40 h, 5 days, always available)")
    presence: str
    state: str
    reason: str | None
    holding: dict[int, str]


class ProfileIn(Input):
    limits: dict[str, Limit] = Field(description="channel -> most items at once, e.g. {chat: 3, email: 5}")
    exclusive: list[Annotated[str, Field(max_length=20)]] | None = Field(
        None, max_length=20, description="channels that block all new work while held (default voice)"
    )
    interruptible: list[Annotated[str, Field(max_length=20)]] | None = Field(
        None, max_length=20, description="channels an exclusive item may interrupt (blending)"
    )
    max_total: int | None = Field(None, strict=True, ge=1, le=100)


class ProfileOut(Output):
    name: str
    limits: dict[str, int]
    exclusive: list[str]
    interruptible: list[str]
    max_total: int | None
    builtin: bool


@router.get("/tenants/{tenant}/agents", response_model=list[AgentOut])
def tenant_agents(t: TenantDep) -> list[AgentOut]:
    """Agents and supervisors serving the tenant, with skills and live state."""
    return [AgentOut.model_validate(a) for a in agents.list_agents(t.deps, t.principal, t.tenant_id)]


@router.get("/agents/{user_id}", response_model=AgentOut)
def get_agent(user_id: int, d: DepsDep, principal: PrincipalDep) -> AgentOut:
    return AgentOut.model_validate(agents.get_agent(d, principal, user_id))


@router.put("/agents/{user_id}", response_model=AgentOut)
def configure_agent(user_id: int, body: AgentIn, d: DepsDep, principal: PrincipalDep) -> AgentOut:
    """Admins configure anyone; supervisors the agents of their tenants."""
    fields = body.model_dump(exclude={"contract"})
    if "contract" in body.model_fields_set:
        contract = body.contract
        fields["contract"] = None if contract is None else contract.model_dump(by_alias=True, exclude_none=True)
    return AgentOut.model_validate(agents.configure_agent(d, principal, user_id, **fields))


@router.get("/capacity-profiles", response_model=list[ProfileOut])
def list_profiles(d: DepsDep, principal: PrincipalDep) -> list[ProfileOut]:
    return [ProfileOut.model_validate(p) for p in agents.list_profiles(d, principal)]


@router.put("/capacity-profiles/{name}", response_model=ProfileOut)
def save_profile(
    body: ProfileIn, d: DepsDep, principal: PrincipalDep, name: Annotated[str, Path(max_length=40)]
) -> ProfileOut:
    """Create or replace a capacity profile (admins); agents with it get the new limits at once."""
    return ProfileOut.model_validate(agents.save_profile(d, principal, name, **body.model_dump()))
