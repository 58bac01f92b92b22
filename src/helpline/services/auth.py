"""Signing in and knowing who calls: web sessions with CSRF tokens, API tokens, rate limiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from helpline.domain import ratelimit
from helpline.domain.errors import AuthenticationFailed, RateLimited, ValidationFailed
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.vocabulary import Role, parse_enum
from helpline.services import audit
from helpline.services.ports import Deps
from helpline.services.security import TOKEN_PREFIX, digest, new_secret

# One fixed hash to verify against when the user does not exist, so timing does not reveal it.
_DUMMY_HASH: dict[int, str] = {}


@dataclass(frozen=True)
class SignedIn:
    session_token: str  # goes into the cookie; only its digest is stored
    csrf_token: str
    principal: Principal


def login(
    deps: Deps,
    email: str,
    password: str,
    client: str,
    session_hours: int = 12,
    max_failures: int = ratelimit.MAX_FAILURES,
    window_minutes: int = 15,
) -> SignedIn:
    if not isinstance(email, str) or not isinstance(password, str) or len(email) > 254 or len(password) > 256:
        raise AuthenticationFailed("wrong email or password")
    now = deps.clock.now()
    window = timedelta(minutes=window_minutes)
    key = f"{email.strip().lower()}|{client}"
    assert deps.hasher is not None
    with deps.uow() as uow:
        wait = ratelimit.retry_after(uow.center.login_failures(key, now - window), now, max_failures, window)
        if wait:
            raise RateLimited(f"too many failed sign-ins; try again in {wait} seconds", retry_after=wait)
        user = uow.center.user_by_email(email)
        if user is None:
            deps.hasher.verify(_dummy_hash(deps), password)
        if user is None or not user.is_active or not deps.hasher.verify(user.password_hash, password):
            uow.center.record_login_failure(key, now)
            uow.commit()
            raise AuthenticationFailed("wrong email or password")
        uow.center.clear_login_failures(key)
        uow.center.purge_expired_sessions(now)
        token, csrf = new_secret(), new_secret()
        uow.center.create_web_session(
            token_hash=digest(token),
            csrf_token=csrf,
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=session_hours),
        )
        user.last_login_at = now
        principal = _principal_of(uow, user)
        uow.commit()
        return SignedIn(token, csrf, principal)


def logout(deps: Deps, session_token: str) -> None:
    with deps.uow() as uow:
        uow.center.delete_web_session(digest(session_token))
        uow.commit()


@dataclass(frozen=True)
class Authenticated:
    principal: Principal
    csrf_token: str | None  # for browser sessions; API tokens need none
    tenant: Any = None  # the tenant named in the URL, when one was asked for


def authenticate(
    deps: Deps, *, api_token: str | None = None, session_token: str | None = None, tenant_slug: str | None = None
) -> Authenticated:
    """Who calls (API token or session), and the tenant the URL names, in one transaction.

    This runs on every request, so it is one connection and one transaction, not one per lookup.
    A tenant the caller does not reach is NotFound, exactly like one that does not exist.
    """
    with deps.uow() as uow:
        if api_token is not None:
            principal, csrf = _token_principal(uow, deps, api_token), None
        else:
            principal, csrf = _session_principal(uow, deps, session_token or "")
        tenant = None
        if tenant_slug is not None:
            tenant = uow.center.tenant_by_slug(tenant_slug) if len(tenant_slug) <= 40 else None
            require_tenant(principal, tenant.id if tenant else None)
        uow.commit()  # last_used_at of a token, when it was due
        return Authenticated(principal, csrf, tenant)


def from_session(deps: Deps, session_token: str) -> tuple[Principal, str]:
    """The principal and CSRF token of a browser session, or AuthenticationFailed."""
    signed = authenticate(deps, session_token=session_token)
    assert signed.csrf_token is not None
    return signed.principal, signed.csrf_token


def from_api_token(deps: Deps, secret: str) -> Principal:
    return authenticate(deps, api_token=secret).principal


def _session_principal(uow: Any, deps: Deps, session_token: str) -> tuple[Principal, str]:
    row = uow.center.web_session(digest(session_token)) if session_token else None
    if row is None or row.expires_at <= deps.clock.now():
        raise AuthenticationFailed("please sign in")
    user = uow.center.user(row.user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed("please sign in")
    return _principal_of(uow, user), row.csrf_token


def _token_principal(uow: Any, deps: Deps, secret: str) -> Principal:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        raise AuthenticationFailed("invalid API token")
    token = uow.center.token_by_hash(digest(secret))
    if token is None or token.revoked_at is not None:
        raise AuthenticationFailed("invalid API token")
    now = deps.clock.now()
    # Writing last_used_at on every request would serialise API traffic; once a minute is plenty.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return Principal(
        role=Role(token.role), tenant_ids=frozenset({token.tenant_id}), token_id=token.id, name=f"token {token.name}"
    )


def create_api_token(deps: Deps, principal: Principal, tenant_id: int, name: str, role: str) -> tuple[Any, str]:
    """Returns the stored token and its secret. The secret is shown once and never stored."""
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    role_value = parse_enum(Role, role, "role")
    if role_value is Role.ADMIN:
        raise ValidationFailed("a token acts within one tenant: use supervisor, agent or client_manager", field="role")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
        raise ValidationFailed("name must be 1-100 characters", field="name")
    secret = new_secret(TOKEN_PREFIX)
    with deps.uow() as uow:
        token = uow.tenant(tenant_id).tokens.create(
            name=name.strip(),
            role=role_value.value,
            prefix=secret[:10],
            token_hash=digest(secret),
            created_by=principal.user_id,
            created_at=deps.clock.now(),
        )
        audit.record(
            uow,
            deps,
            principal,
            "token.create",
            "api_token",
            token.id,
            tenant_id=tenant_id,
            name=token.name,
            role=token.role,
        )
        uow.commit()
        return token, secret


def list_api_tokens(deps: Deps, principal: Principal, tenant_id: int) -> list[Any]:
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    with deps.uow() as uow:
        return list(uow.tenant(tenant_id).tokens.all())


def revoke_api_token(deps: Deps, principal: Principal, tenant_id: int, token_id: int) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    with deps.uow() as uow:
        token = uow.tenant(tenant_id).tokens.get(token_id)
        if token.revoked_at is None:
            token.revoked_at = deps.clock.now()
            audit.record(uow, deps, principal, "token.revoke", "api_token", token.id, tenant_id=tenant_id)
        uow.commit()
        return token


def audit_log(deps: Deps, principal: Principal, tenant_id: int, limit: int = 100) -> list[Any]:
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    with deps.uow() as uow:
        return list(uow.tenant(tenant_id).audit.recent(max(1, min(limit, 500))))


def _principal_of(uow: Any, user: Any) -> Principal:
    role = Role(user.role)
    tenants = None if role is Role.ADMIN else uow.center.user_tenant_ids(user.id)
    return Principal(role=role, tenant_ids=tenants, user_id=user.id, name=user.name)


def _dummy_hash(deps: Deps) -> str:
    assert deps.hasher is not None
    key = id(deps.hasher)
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = deps.hasher.hash("not-a-real-password-0")
    return _DUMMY_HASH[key]
