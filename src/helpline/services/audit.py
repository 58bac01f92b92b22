"""Audit log: every administrative change is recorded with who did it, inside the same transaction."""

from __future__ import annotations

from typing import Any

from helpline.domain.permissions import Principal
from helpline.services.ports import Deps, UnitOfWork


def record(
    uow: UnitOfWork,
    deps: Deps,
    principal: Principal | None,
    action: str,
    object_type: str,
    object_id: object,
    tenant_id: int | None = None,
    **details: Any,
) -> None:
    uow.center.record_audit(
        tenant_id=tenant_id,
        actor_user_id=principal.user_id if principal else None,
        actor_token_id=principal.token_id if principal else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
        at=deps.clock.now(),
    )
