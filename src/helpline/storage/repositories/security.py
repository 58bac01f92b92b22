"""API token and audit repositories (tenant-scoped)."""

from __future__ import annotations

from collections.abc import Sequence

from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import ApiToken, AuditEntry


class ApiTokenRepository(TenantRepository[ApiToken]):
    model = ApiToken
    label = "token"

    def all(self) -> Sequence[ApiToken]:
        return self.session.scalars(self.scoped().order_by(ApiToken.id)).all()


class AuditRepository(TenantRepository[AuditEntry]):
    model = AuditEntry
    label = "audit entry"

    def recent(self, limit: int) -> Sequence[AuditEntry]:
        query = self.scoped().order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        return self.session.scalars(query).all()
