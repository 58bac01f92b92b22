"""Center administration API: who am I, tenants, users, API tokens, audit log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from helpline.services import auth, tenants, users
from helpline.web.dependencies import SESSION_COOKIE, CallerDep, DepsDep, PrincipalDep, TenantDep, container
from helpline.web.schemas import Input, Output

router = APIRouter(tags=["administration"])


class TenantOut(Output):
    id: int
    slug: str
    name: str
    timezone: str
    default_language: str
    default_region: str | None
    created_at: datetime


class TenantIn(Input):
    slug: str = Field(max_length=40)
    name: str = Field(max_length=200)
    timezone: str = Field("UTC", max_length=64)
    default_language: str = Field("en", max_length=16)
    default_region: str | None = Field(None, max_length=2)


class TenantPatch(Input):
    name: str | None = Field(None, max_length=200)
    timezone: str | None = Field(None, max_length=64)
    default_language: str | None = Field(None, max_length=16)
    default_region: str | None = Field(None, max_length=2)


class UserOut(Output):
    id: int
    email: str
    name: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    tenant_ids: list[int] = []


class UserIn(Input):
    email: str = Field(max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password: str = Field(max_length=256)
    tenant_ids: list[int] = Field(default_factory=list, max_length=1000)


class UserPatch(Input):
    name: str | None = Field(None, max_length=200)
    role: str | None = Field(None, max_length=20)
    password: str | None = Field(None, max_length=256)
    is_active: bool | None = None
    tenant_ids: list[int] | None = Field(None, max_length=1000)


class MeOut(Output):
    role: str
    name: str
    user_id: int | None
    token_id: int | None
    tenants: list[TenantOut]
    csrf_token: str | None


class TokenIn(Input):
    name: str = Field(max_length=100)
    role: str = Field(max_length=20)


class TokenOut(Output):
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    secret: str = Field(description="shown once; store it now")


class AuditOut(Output):
    id: int
    action: str
    object_type: str
    object_id: str | None
    actor_user_id: int | None
    actor_token_id: int | None
    details: dict[str, object]
    at: datetime


class LoginIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class LoginOut(Output):
    csrf_token: str
    role: str
    name: str


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def start_session(request: Request, response: Response, email: str, password: str) -> auth.SignedIn:
    """Shared by the JSON login and the login page: check, rate-limit, set the session cookie."""
    settings = container(request).settings
    signed = auth.login(
        container(request).deps,
        email,
        password,
        client_address(request),
        session_hours=settings.session_hours,
        max_failures=settings.login_max_failures,
        window_minutes=settings.login_window_minutes,
    )
    response.set_cookie(
        SESSION_COOKIE,
        signed.session_token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return signed


@router.post("/auth/login", response_model=LoginOut, tags=["authentication"])
def login(body: LoginIn, request: Request, response: Response) -> LoginOut:
    """Sign in with email and password; the session cookie is set and the CSRF token returned."""
    signed = start_session(request, response, body.email, body.password)
    return LoginOut(csrf_token=signed.csrf_token, role=signed.principal.role.value, name=signed.principal.name)


@router.post("/auth/logout", status_code=204, tags=["authentication"])
def logout(request: Request, response: Response, _c: CallerDep) -> Response:
    auth.logout(container(request).deps, request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


@router.get("/me", response_model=MeOut)
def me(c: CallerDep, d: DepsDep) -> MeOut:
    p = c.principal
    visible = [TenantOut.model_validate(t) for t in tenants.visible_tenants(d, p)]
    return MeOut(
        role=p.role.value, name=p.name, user_id=p.user_id, token_id=p.token_id, tenants=visible, csrf_token=c.csrf_token
    )


@router.get("/tenants", response_model=list[TenantOut])
def list_tenants(p: PrincipalDep, d: DepsDep) -> list[TenantOut]:
    return [TenantOut.model_validate(t) for t in tenants.visible_tenants(d, p)]


@router.post("/tenants", response_model=TenantOut, status_code=201)
def create_tenant(body: TenantIn, p: PrincipalDep, d: DepsDep) -> TenantOut:
    return TenantOut.model_validate(tenants.create_tenant(d, p, **body.model_dump()))


@router.get("/tenants/{tenant}", response_model=TenantOut)
def get_tenant(t: TenantDep) -> TenantOut:
    return TenantOut.model_validate(t.tenant)


@router.patch("/tenants/{tenant}", response_model=TenantOut)
def update_tenant(body: TenantPatch, t: TenantDep) -> TenantOut:
    changes = body.model_dump(exclude_unset=True)
    return TenantOut.model_validate(tenants.update_tenant(t.deps, t.principal, t.tenant_id, changes))


def _user_out(d: DepsDep, user: object) -> UserOut:
    out = UserOut.model_validate(user)
    out.tenant_ids = sorted(users.tenant_ids_of(d, out.id))
    return out


@router.get("/users", response_model=list[UserOut])
def list_users(p: PrincipalDep, d: DepsDep) -> list[UserOut]:
    return [_user_out(d, u) for u in users.list_users(d, p)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, p: PrincipalDep, d: DepsDep) -> UserOut:
    return _user_out(d, users.create_user(d, p, **body.model_dump()))


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: int, p: PrincipalDep, d: DepsDep) -> UserOut:
    return _user_out(d, users.get_user(d, p, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: int, body: UserPatch, p: PrincipalDep, d: DepsDep) -> UserOut:
    return _user_out(d, users.update_user(d, p, user_id, body.model_dump(exclude_unset=True)))


@router.get("/tenants/{tenant}/users", response_model=list[UserOut])
def tenant_users(t: TenantDep) -> list[UserOut]:
    return [_user_out(t.deps, u) for u in users.list_users(t.deps, t.principal, t.tenant_id)]


@router.get("/tenants/{tenant}/api-tokens", response_model=list[TokenOut])
def list_tokens(t: TenantDep) -> list[TokenOut]:
    return [TokenOut.model_validate(x) for x in auth.list_api_tokens(t.deps, t.principal, t.tenant_id)]


@router.post("/tenants/{tenant}/api-tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenIn, t: TenantDep) -> TokenCreated:
    token, secret = auth.create_api_token(t.deps, t.principal, t.tenant_id, body.name, body.role)
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), secret=secret)


@router.delete("/tenants/{tenant}/api-tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: int, t: TenantDep) -> TokenOut:
    return TokenOut.model_validate(auth.revoke_api_token(t.deps, t.principal, t.tenant_id, token_id))


@router.get("/tenants/{tenant}/audit", response_model=list[AuditOut])
def audit_log(t: TenantDep, limit: int = Query(100, ge=1, le=500)) -> list[AuditOut]:
    return [AuditOut.model_validate(x) for x in auth.audit_log(t.deps, t.principal, t.tenant_id, limit)]
