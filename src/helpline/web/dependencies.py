"""Request dependencies: the container, who is calling, and which tenant the URL names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request

from helpline.bootstrap import Container
from helpline.domain.errors import AuthenticationFailed, PermissionDenied
from helpline.domain.permissions import Action, Principal, require
from helpline.services import auth, tenants
from helpline.services.ports import Deps
from helpline.services.security import same

SESSION_COOKIE = "helpline_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def deps(request: Request) -> Deps:
    return container(request).deps


@dataclass(frozen=True)
class Caller:
    principal: Principal
    csrf_token: str | None  # set for cookie sessions; API tokens need none


def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
    """Bearer API token, or a session cookie (with a CSRF token on every unsafe method)."""
    d = deps(request)
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationFailed("use 'Authorization: Bearer <token>'")
        return Caller(auth.from_api_token(d, secret.strip()), None)
    session_token = request.cookies.get(SESSION_COOKIE, "")
    if not session_token:
        raise AuthenticationFailed("sign in or send an API token")
    principal, csrf = auth.from_session(d, session_token)
    if request.method not in SAFE_METHODS and not request.scope.get("helpline_page"):
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not same(sent, csrf):
            raise PermissionDenied("missing or wrong CSRF token (send it in the X-CSRF-Token header)")
    return Caller(principal, csrf)


def principal(c: Annotated[Caller, Depends(caller)]) -> Principal:
    return c.principal


@dataclass(frozen=True)
class TenantContext:
    """The caller plus the tenant named in the URL, already checked to be within reach."""

    deps: Deps
    principal: Principal
    tenant_id: int
    tenant: Any

    def require(self, action: Action) -> None:
        require(self.principal, action)


def tenant_context(request: Request, p: Annotated[Principal, Depends(principal)],
                   tenant: Annotated[str, Path(description="tenant slug", max_length=40)]) -> TenantContext:
    d = deps(request)
    row = tenants.resolve_slug(d, p, tenant)
    return TenantContext(d, p, row.id, row)


CallerDep = Annotated[Caller, Depends(caller)]
PrincipalDep = Annotated[Principal, Depends(principal)]
TenantDep = Annotated[TenantContext, Depends(tenant_context)]
DepsDep = Annotated[Deps, Depends(deps)]
