"""Center-wide repositories: tenants, users, web sessions, login attempts, token look-up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from helpline.domain.errors import NotFound
from helpline.storage.tables import ApiToken, AuditEntry, LoginAttempt, Tenant, User, UserTenant, WebSession

R = TypeVar("R")


class CenterRepositories:
    def __init__(self, session: Session) -> None:
        self.session = session

    # tenants
    def tenant_by_slug(self, slug: str) -> Tenant | None:
        return self.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()

    def tenant(self, tenant_id: int) -> Tenant:
        row = self.session.get(Tenant, tenant_id) if 0 < tenant_id < 2**63 else None
        if row is None:
            raise NotFound(f"tenant {tenant_id} not found", field="tenant")
        return row

    def tenants(self, ids: frozenset[int] | None = None) -> Sequence[Tenant]:
        query = select(Tenant).order_by(Tenant.name)
        if ids is not None:
            query = query.where(Tenant.id.in_(ids))
        return self.session.scalars(query).all()

    def create_tenant(self, **fields: Any) -> Tenant:
        return self._insert(Tenant(**fields))

    def create_user(self, **fields: Any) -> User:
        return self._insert(User(**fields))

    def create_web_session(self, **fields: Any) -> WebSession:
        return self._insert(WebSession(**fields))

    def record_audit(self, **fields: Any) -> AuditEntry:
        return self._insert(AuditEntry(**fields))

    def _insert(self, row: R) -> R:
        self.session.add(row)
        self.session.flush()
        return row

    # users
    def user(self, user_id: int) -> User | None:
        return self.session.get(User, user_id) if 0 < user_id < 2**63 else None

    def user_names(self, user_ids: Sequence[int]) -> dict[int, str]:
        """Names of many users in one query (rosters and adherence tables list dozens of agents)."""
        if not user_ids:
            return {}
        rows = self.session.execute(select(User.id, User.name).where(User.id.in_(sorted(set(user_ids)))))
        return {int(user_id): str(name) for user_id, name in rows}

    def user_by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(User.email == email.strip().lower())).first()

    def users(self, tenant_id: int | None = None) -> Sequence[User]:
        query = select(User).order_by(User.name)
        if tenant_id is not None:
            query = query.join(UserTenant, UserTenant.user_id == User.id).where(UserTenant.tenant_id == tenant_id)
        return self.session.scalars(query).all()

    def user_tenant_ids(self, user_id: int) -> frozenset[int]:
        rows = self.session.scalars(select(UserTenant.tenant_id).where(UserTenant.user_id == user_id))
        return frozenset(rows)

    def set_user_tenants(self, user_id: int, tenant_ids: frozenset[int]) -> None:
        self.session.execute(delete(UserTenant).where(UserTenant.user_id == user_id))
        self.session.add_all(UserTenant(user_id=user_id, tenant_id=t) for t in sorted(tenant_ids))
        self.session.flush()

    # web sessions
    def web_session(self, token_hash: str) -> WebSession | None:
        return self.session.scalars(select(WebSession).where(WebSession.token_hash == token_hash)).first()

    def delete_web_session(self, token_hash: str) -> None:
        self.session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))

    def purge_expired_sessions(self, now: datetime) -> None:
        self.session.execute(delete(WebSession).where(WebSession.expires_at < now))

    # login rate limiting
    def login_failures(self, key: str, since: datetime) -> list[datetime]:
        query = select(LoginAttempt.at).where(LoginAttempt.key == key, LoginAttempt.at >= since)
        return list(self.session.scalars(query))

    def record_login_failure(self, key: str, at: datetime) -> None:
        self.session.add(LoginAttempt(key=key, at=at))

    def clear_login_failures(self, key: str) -> None:
        self.session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))

    # API tokens: looked up by hash before the tenant is known
    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        return self.session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()

    # center-wide audit (tenant creation, user management)
    def audit(self, limit: int = 100) -> Sequence[AuditEntry]:
        return self.session.scalars(
            select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        ).all()

    def count_users(self) -> int:
        return self.session.scalar(select(func.count()).select_from(User)) or 0
