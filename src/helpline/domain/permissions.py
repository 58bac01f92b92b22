"""Who may do what: roles, the tenants a principal reaches, and the actions each role may take."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from helpline.domain.errors import NotFound, PermissionDenied
from helpline.domain.vocabulary import Role


class Action(StrEnum):
    READ = "read"  # customers, interactions, cases, notes of a tenant
    WRITE = "write"  # create and change customers, interactions, cases, notes
    MERGE = "merge"  # merge customers
    MANAGE_TENANT = "manage_tenant"  # tokens, queues, tenant settings, audit log
    MANAGE_CENTER = "manage_center"  # create tenants and users (center-wide)
    PLAN = "plan"  # read a tenant's forecasts, staffing plans, intraday volumes, run what-if simulations
    SCHEDULE = "schedule"  # build and publish rosters, see agents' schedules and adherence


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.SUPERVISOR: frozenset(
        {Action.READ, Action.WRITE, Action.MERGE, Action.MANAGE_TENANT, Action.PLAN, Action.SCHEDULE}
    ),
    Role.AGENT: frozenset({Action.READ, Action.WRITE}),
    # A client company's manager sees its own volumes and plans, never the agents' rosters.
    Role.CLIENT_MANAGER: frozenset({Action.READ, Action.PLAN}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a signed-in user or an API token acting with one role.

    `tenant_ids` is None for a center admin (every tenant) and otherwise the tenants reached.
    """

    role: Role
    tenant_ids: frozenset[int] | None
    user_id: int | None = None
    token_id: int | None = None
    name: str = ""

    def reaches(self, tenant_id: int) -> bool:
        return self.tenant_ids is None or tenant_id in self.tenant_ids

    def may(self, action: Action) -> bool:
        return action in ROLE_ACTIONS[self.role]


def require_tenant(principal: Principal, tenant_id: int | None) -> int:
    """A tenant the caller does not reach is reported exactly like one that does not exist."""
    if tenant_id is None or not principal.reaches(tenant_id):
        raise NotFound("tenant not found", field="tenant")
    return tenant_id


def require(principal: Principal, action: Action) -> None:
    if not principal.may(action):
        raise PermissionDenied(f"the {principal.role.value} role may not {action.value.replace('_', ' ')}")
