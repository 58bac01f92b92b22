"""Tenants: the client companies the center serves."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.services import audit
from helpline.services.ports import Deps

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_REGION = re.compile(r"^[A-Z]{2}$")


def create_tenant(
    deps: Deps,
    principal: Principal | None,
    slug: str,
    name: str,
    timezone: str = "UTC",
    default_language: str = "en",
    default_region: str | None = None,
) -> Any:
    """Create a client company. `principal` None means the CLI or demo loader (trusted)."""
    if principal is not None:
        require(principal, Action.MANAGE_CENTER)
    _check(slug, name, timezone, default_language, default_region)
    with deps.uow() as uow:
        if uow.center.tenant_by_slug(slug) is not None:
            raise Conflict(f"a tenant with slug {slug!r} already exists", field="slug")
        tenant = uow.center.create_tenant(
            slug=slug,
            name=name.strip(),
            timezone=timezone,
            default_language=default_language,
            default_region=default_region,
            created_at=deps.clock.now(),
        )
        audit.record(uow, deps, principal, "tenant.create", "tenant", tenant.id, tenant_id=tenant.id, slug=slug)
        uow.commit()
        return tenant


def update_tenant(deps: Deps, principal: Principal, tenant_id: int, changes: dict[str, Any]) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    with deps.uow() as uow:
        tenant = uow.center.tenant(tenant_id)
        merged = {k: getattr(tenant, k) for k in ("name", "timezone", "default_language", "default_region")}
        merged.update({k: v for k, v in changes.items() if k in merged})
        _check(tenant.slug, merged["name"], merged["timezone"], merged["default_language"], merged["default_region"])
        for key, value in merged.items():
            setattr(tenant, key, value.strip() if key == "name" else value)
        audit.record(
            uow,
            deps,
            principal,
            "tenant.update",
            "tenant",
            tenant.id,
            tenant_id=tenant.id,
            changes={k: str(v) for k, v in changes.items()},
        )
        uow.commit()
        return tenant


def visible_tenants(deps: Deps, principal: Principal) -> Sequence[Any]:
    with deps.uow() as uow:
        return uow.center.tenants(principal.tenant_ids)


def get_tenant(deps: Deps, principal: Principal, tenant_id: int) -> Any:
    require_tenant(principal, tenant_id)
    with deps.uow() as uow:
        return uow.center.tenant(tenant_id)


def resolve_slug(deps: Deps, principal: Principal, slug: str) -> Any:
    """The tenant named in a URL, or NotFound if it does not exist or the caller does not reach it."""
    with deps.uow() as uow:
        tenant = uow.center.tenant_by_slug(slug) if isinstance(slug, str) and len(slug) <= 40 else None
        require_tenant(principal, tenant.id if tenant else None)
        return tenant


def _check(slug: str, name: str, timezone: str, language: str, region: str | None) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise ValidationFailed("slug must be 1-40 lowercase letters, digits or dashes", field="slug")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 200:
        raise ValidationFailed("name must be 1-200 characters", field="name")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationFailed("timezone must be an IANA zone such as Europe/Paris", field="timezone") from None
    if not isinstance(language, str) or not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", language):
        raise ValidationFailed("default_language must be a language tag such as en or fr-CA", field="default_language")
    if region is not None and (not isinstance(region, str) or not _REGION.match(region)):
        raise ValidationFailed("default_region must be a two-letter country code such as CA", field="default_region")


def tenant_zone(tenant: Any) -> ZoneInfo:
    """The tenant's time zone: its days, hours and intervals are on this clock (UTC if unset or unknown here)."""
    try:
        return ZoneInfo(getattr(tenant, "timezone", None) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
