"""Staff accounts: admins, supervisors, agents and client managers, and the tenants they serve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpline.domain.errors import Conflict, NotFound, ValidationFailed
from helpline.domain.identities import normalise_email
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.vocabulary import Role, parse_enum
from helpline.services import audit
from helpline.services.ports import Deps
from helpline.services.security import check_password_strength


def create_user(
    deps: Deps,
    principal: Principal | None,
    email: str,
    name: str,
    role: str,
    password: str,
    tenant_ids: Sequence[int] = (),
) -> Any:
    """Create a staff account. A client manager serves exactly one tenant; an admin serves all."""
    if principal is not None:
        require(principal, Action.MANAGE_CENTER)
    email = normalise_email(email)
    role_value = parse_enum(Role, role, "role")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 200:
        raise ValidationFailed("name must be 1-200 characters", field="name")
    check_password_strength(password)
    tenants = _check_tenants(role_value, tenant_ids)
    assert deps.hasher is not None
    password_hash = deps.hasher.hash(password)
    with deps.uow() as uow:
        if uow.center.user_by_email(email) is not None:
            raise Conflict("a user with this email already exists", field="email")
        for tenant_id in tenants:
            uow.center.tenant(tenant_id)
        user = uow.center.create_user(
            email=email,
            name=name.strip(),
            role=role_value.value,
            password_hash=password_hash,
            is_active=True,
            created_at=deps.clock.now(),
        )
        uow.center.set_user_tenants(user.id, tenants)
        audit.record(
            uow,
            deps,
            principal,
            "user.create",
            "user",
            user.id,
            email=email,
            role=role_value.value,
            tenants=sorted(tenants),
        )
        uow.commit()
        return user


def update_user(deps: Deps, principal: Principal, user_id: int, changes: dict[str, Any]) -> Any:
    require(principal, Action.MANAGE_CENTER)
    with deps.uow() as uow:
        user = uow.center.user(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found", field="user_id")
        role = parse_enum(Role, changes.get("role", user.role), "role")
        if "name" in changes:
            if not isinstance(changes["name"], str) or not 0 < len(changes["name"].strip()) <= 200:
                raise ValidationFailed("name must be 1-200 characters", field="name")
            user.name = changes["name"].strip()
        if "is_active" in changes:
            if not isinstance(changes["is_active"], bool):
                raise ValidationFailed("is_active must be true or false", field="is_active")
            if user.id == principal.user_id and not changes["is_active"]:
                raise Conflict("you cannot deactivate your own account", field="is_active")
            user.is_active = changes["is_active"]
        if "password" in changes:
            assert deps.hasher is not None
            user.password_hash = deps.hasher.hash(check_password_strength(changes["password"]))
        if "tenant_ids" in changes or "role" in changes:
            current = uow.center.user_tenant_ids(user.id)
            tenants = _check_tenants(role, changes.get("tenant_ids", sorted(current)))
            for tenant_id in tenants:
                uow.center.tenant(tenant_id)
            uow.center.set_user_tenants(user.id, tenants)
        user.role = role.value
        audit.record(
            uow,
            deps,
            principal,
            "user.update",
            "user",
            user.id,
            fields=sorted(k for k in changes if k != "password"),
            password_changed="password" in changes,
        )
        if deps.routing is not None and {"tenant_ids", "role", "is_active"} & changes.keys():
            uow.after_commit(lambda: deps.routing.user_changed(user.id))
        uow.commit()
        return user


def list_users(deps: Deps, principal: Principal, tenant_id: int | None = None) -> Sequence[Any]:
    """Admins list everyone; supervisors list the staff of a tenant they reach."""
    if tenant_id is None:
        require(principal, Action.MANAGE_CENTER)
    else:
        require_tenant(principal, tenant_id)
        require(principal, Action.MANAGE_TENANT)
    with deps.uow() as uow:
        return uow.center.users(tenant_id)


def get_user(deps: Deps, principal: Principal, user_id: int) -> Any:
    with deps.uow() as uow:
        user = uow.center.user(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found", field="user_id")
        if principal.user_id != user_id:
            require(principal, Action.MANAGE_CENTER)
        return user


def tenant_ids_of(deps: Deps, user_id: int) -> frozenset[int]:
    with deps.uow() as uow:
        return uow.center.user_tenant_ids(user_id)


def _check_tenants(role: Role, tenant_ids: object) -> frozenset[int]:
    if not isinstance(tenant_ids, list | tuple | frozenset | set) or not all(
        isinstance(t, int) and not isinstance(t, bool) for t in tenant_ids
    ):
        raise ValidationFailed("tenant_ids must be a list of tenant ids", field="tenant_ids")
    tenants = frozenset(tenant_ids)
    if role is Role.CLIENT_MANAGER and len(tenants) != 1:
        raise ValidationFailed("a client manager serves exactly one tenant", field="tenant_ids")
    if role in (Role.AGENT, Role.SUPERVISOR) and not tenants:
        raise ValidationFailed(
            f"a{'n' if role is Role.AGENT else ''} {role.value} must serve at least one tenant", field="tenant_ids"
        )
    return frozenset() if role is Role.ADMIN else tenants


def tenant_staff(deps: Deps, principal: Principal, tenant_id: int) -> list[Any]:
    """Active agents and supervisors serving a tenant, by name (assignee pickers, names on cases).

    Anyone who may read the tenant may see who works on it; client managers are not staff here.
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    workers = (Role.AGENT.value, Role.SUPERVISOR.value)
    with deps.uow() as uow:
        return [u for u in uow.center.users(tenant_id) if u.is_active and u.role in workers]
