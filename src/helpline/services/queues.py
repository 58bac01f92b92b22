"""Queues: where a tenant's interactions wait (name, channel, language; routing comes later)."""

from __future__ import annotations

import re
from typing import Any

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.interactions import check_text
from helpline.domain.pagination import make_page
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.vocabulary import Channel, parse_enum
from helpline.services import audit
from helpline.services.ports import Deps

MAX_NAME = 100
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_FIELDS = ("name", "channel", "language")


def create_queue(
    deps: Deps, principal: Principal, tenant_id: int, name: str, channel: str | None = None, language: str | None = None
) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    values = _checked({"name": name, "channel": channel, "language": language})
    with deps.uow() as uow:
        queues = uow.tenant(tenant_id).queues
        if queues.by_name(values["name"]) is not None:
            raise Conflict("a queue with this name already exists", field="name")
        queue = queues.save(**values, created_at=deps.clock.now())
        audit.record(uow, deps, principal, "queue.create", "queue", queue.id, tenant_id=tenant_id, **values)
        uow.commit()
        return queue


def update_queue(deps: Deps, principal: Principal, tenant_id: int, queue_id: int, changes: dict[str, Any]) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise ValidationFailed(f"cannot change {sorted(unknown)[0]}", field=sorted(unknown)[0])
    with deps.uow() as uow:
        queues = uow.tenant(tenant_id).queues
        queue = queues.get(queue_id, for_update=True)
        values = _checked({**{f: getattr(queue, f) for f in _FIELDS}, **changes})
        if values["name"] != queue.name:
            clash = queues.by_name(values["name"])
            if clash is not None and clash.id != queue.id:
                raise Conflict("a queue with this name already exists", field="name")
        changed = {f: v for f, v in values.items() if getattr(queue, f) != v}
        for field, value in changed.items():
            setattr(queue, field, value)
        if changed:
            queues.flush_unique()
            audit.record(uow, deps, principal, "queue.update", "queue", queue.id, tenant_id=tenant_id, **changed)
            uow.commit()
        return queue


def get_queue(deps: Deps, principal: Principal, tenant_id: int, queue_id: int) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        return uow.tenant(tenant_id).queues.get(queue_id)


def list_queues(
    deps: Deps, principal: Principal, tenant_id: int, limit: int | None = None, offset: int | None = None
) -> tuple[list[Any], int]:
    """Queues by name."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    page = make_page(limit, offset)
    with deps.uow() as uow:
        rows, total = uow.tenant(tenant_id).queues.listed(page)
        return rows, total


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    channel, language = values.get("channel"), values.get("language")
    if isinstance(language, str) and not language.strip():
        language = None
    if language is not None and (not isinstance(language, str) or not _LANGUAGE.match(language.strip())):
        raise ValidationFailed("language must be a language tag such as en or fr-CA", field="language")
    return {
        "name": check_text(values.get("name"), "name", MAX_NAME),
        "channel": parse_enum(Channel, channel, "channel").value if channel not in (None, "") else None,
        "language": language.strip() if language is not None else None,
    }
