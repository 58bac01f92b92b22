"""Request dependencies: the container, who is calling, and which tenant the URL names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request

from helpline.bootstrap import Container
from helpline.domain.errors import AuthenticationFailed, PermissionDenied
from helpline.domain.permissions import Action, Principal, require
from helpline.services import auth
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
    signed = _authenticate(request, authorization, None)
    return Caller(signed.principal, signed.csrf_token)


def _authenticate(request: Request, authorization: str | None, tenant_slug: str | None) -> auth.Authenticated:
    d = deps(request)
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationFailed("use 'Authorization: Bearer <token>'")
        return auth.authenticate(d, api_token=secret.strip(), tenant_slug=tenant_slug)
    session_token = request.cookies.get(SESSION_COOKIE, "")
    if not session_token:
        raise AuthenticationFailed("sign in or send an API token")
    signed = auth.authenticate(d, session_token=session_token, tenant_slug=tenant_slug)
    if request.method not in SAFE_METHODS and not request.scope.get("helpline_page"):
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not signed.csrf_token or not same(sent, signed.csrf_token):
            raise PermissionDenied("missing or wrong CSRF token (send it in the X-CSRF-Token header)")
    return signed


async def principal(c: Annotated[Caller, Depends(caller)]) -> Principal:
    # async: no I/O here, so it need not cost a hop through the thread pool.
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


def tenant_context(
    request: Request,
    tenant: Annotated[str, Path(description="tenant slug", max_length=40)],
    authorization: Annotated[str | None, Header()] = None,
) -> TenantContext:
    # Who calls and which tenant, resolved in one dependency: every sync dependency is one hop
    # through the thread pool, and this pair sits on the path of every tenant request.
    signed = _authenticate(request, authorization, tenant)
    return TenantContext(deps(request), signed.principal, signed.tenant.id, signed.tenant)


CallerDep = Annotated[Caller, Depends(caller)]
PrincipalDep = Annotated[Principal, Depends(principal)]
TenantDep = Annotated[TenantContext, Depends(tenant_context)]
DepsDep = Annotated[Deps, Depends(deps)]
