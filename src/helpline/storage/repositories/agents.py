"""Agent routing profiles, capacity profiles and the presence log (center-wide: an agent serves several tenants)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpline.storage.tables import Agent, CapacityProfile, PresenceLog, Tenant, User, UserTenant


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """An agent as routing needs them: the user, their routing profile (None if never configured) and tenants."""

    user: User
    agent: Agent | None
    tenant_ids: frozenset[int]


class AgentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- agents ---------------------------------------------------------------------------------
    def get(self, user_id: int) -> Agent | None:
        return self.session.get(Agent, user_id) if 0 < user_id < 2**63 else None

    def get_for_update(self, user_id: int) -> Agent | None:
        if not 0 < user_id < 2**63:
            return None
        return self.session.scalars(select(Agent).where(Agent.user_id == user_id).with_for_update()).first()

    def create(self, **fields: Any) -> Agent:
        row = Agent(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def records(self, user_ids: Iterable[int] | None = None, tenant_id: int | None = None) -> list[AgentRecord]:
        """Active staff who may take work (not client managers), with their routing rows and tenants.

        `user_ids` limits to those users; `tenant_id` to staff serving that tenant. Three queries
        whatever the number of agents.
        """
        query = (
            select(User, Agent)
            .outerjoin(Agent, Agent.user_id == User.id)
            .where(User.is_active.is_(True), User.role != "client_manager")
        )
        if user_ids is not None:
            ids = sorted({i for i in user_ids if 0 < i < 2**63})
            if not ids:
                return []
            query = query.where(User.id.in_(ids))
        if tenant_id is not None:
            served = select(UserTenant.user_id).where(UserTenant.tenant_id == tenant_id)
            query = query.where(User.id.in_(served))
        rows = list(self.session.execute(query.order_by(User.name, User.id)))
        tenants = self.tenants_of([user.id for user, _agent in rows])
        return [AgentRecord(user, agent, tenants.get(user.id, frozenset())) for user, agent in rows]

    def configured(self) -> list[AgentRecord]:
        """Every active user with a routing row: the router's agents after a restart."""
        query = (
            select(User, Agent)
            .join(Agent, Agent.user_id == User.id)
            .where(User.is_active.is_(True), User.role != "client_manager")
            .order_by(User.id)
        )
        rows = list(self.session.execute(query))
        tenants = self.tenants_of([user.id for user, _agent in rows])
        return [AgentRecord(user, agent, tenants.get(user.id, frozenset())) for user, agent in rows]

    def tenants_of(self, user_ids: Sequence[int]) -> dict[int, frozenset[int]]:
        """user id -> tenants served; an admin serves every tenant."""
        if not user_ids:
            return {}
        found: dict[int, set[int]] = {}
        query = select(UserTenant.user_id, UserTenant.tenant_id).where(UserTenant.user_id.in_(sorted(set(user_ids))))
        for user_id, tenant_id in self.session.execute(query):
            found.setdefault(user_id, set()).add(tenant_id)
        admins = list(
            self.session.scalars(select(User.id).where(User.id.in_(sorted(set(user_ids))), User.role == "admin"))
        )
        if admins:
            every = set(self.session.scalars(select(Tenant.id)))
            for admin in admins:
                found[admin] = every
        return {user_id: frozenset(tenants) for user_id, tenants in found.items()}

    def default_languages(self, tenant_ids: Iterable[int]) -> list[str]:
        ids = sorted(set(tenant_ids))
        if not ids:
            return []
        return sorted(set(self.session.scalars(select(Tenant.default_language).where(Tenant.id.in_(ids)))))

    # --- presence -------------------------------------------------------------------------------
    def log_presence(
        self, user_id: int, presence: str, reason: str | None, changed_by: int | None, at: datetime
    ) -> None:
        self.session.add(PresenceLog(user_id=user_id, presence=presence, reason=reason, changed_by=changed_by, at=at))

    def presence_log(self, user_id: int, limit: int = 50) -> list[PresenceLog]:
        query = (
            select(PresenceLog)
            .where(PresenceLog.user_id == user_id)
            .order_by(PresenceLog.at.desc(), PresenceLog.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    # --- capacity profiles ----------------------------------------------------------------------
    def profiles(self) -> list[CapacityProfile]:
        return list(self.session.scalars(select(CapacityProfile).order_by(CapacityProfile.name)))

    def profile(self, profile_id: int) -> CapacityProfile | None:
        return self.session.get(CapacityProfile, profile_id) if 0 < profile_id < 2**63 else None

    def profile_by_name(self, name: str) -> CapacityProfile | None:
        return self.session.scalars(select(CapacityProfile).where(CapacityProfile.name == name)).first()

    def create_profile(self, **fields: Any) -> CapacityProfile:
        row = CapacityProfile(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def with_profile(self, profile_id: int) -> list[int]:
        return list(self.session.scalars(select(Agent.user_id).where(Agent.profile_id == profile_id)))
