"""Pages for agents and supervisors (Jinja2 + HTMX): sign-in, tenant picker, customers, Customer 360, cases.

Pages call the services exactly like the JSON API does; they never touch the database. Errors are
rendered as HTML pages (never problem+json), signed-out visitors are sent to /login, and every POST
carries the session's CSRF token (a hidden form field, or the X-CSRF-Token header HTMX sends).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import phonenumbers
from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi import Path as FastPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.exceptions import HTTPException as StarletteHTTPException

from helpline import __version__
from helpline.domain.cases import ALLOWED_TRANSITIONS, MAX_TIER
from helpline.domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from helpline.domain.permissions import Action
from helpline.domain.timeline import ago, decode_cursor
from helpline.domain.vocabulary import CaseStatus, Priority
from helpline.services import auth, cases, customers, tenants, users
from helpline.services.security import same
from helpline.web.dependencies import SESSION_COOKIE, CallerDep, TenantContext, TenantDep, container
from helpline.web.routes.api_admin import start_session

log = logging.getLogger("helpline.web.pages")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LOGIN_COOKIE = "helpline_login"  # double-submit token against login CSRF (signing a victim into our account)
MAX_NEXT = 2000

# Pages hold personal data: never cached, never framed, and scripts only from our own origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Vary": "HX-Request, Cookie",
}

CHANNEL_LABELS = {
    "voice": "Voice",
    "email": "Email",
    "chat": "Chat",
    "sms": "SMS",
    "social": "Social",
    "web_form": "Web form",
    "letter": "Letter",
    "fax": "Fax",
    "work_item": "Work item",
}


# --- rendering --------------------------------------------------------------------------------------------------


@dataclass
class PageContext:
    """What the layout needs on every page: who is signed in, their CSRF token, tenants, and the clock."""

    principal: Any = None
    csrf_token: str | None = None
    tenants: Sequence[Any] = ()
    tenant: Any = None
    section: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def can_write(self) -> bool:
        return self.principal is not None and self.principal.may(Action.WRITE)

    @property
    def zone(self) -> ZoneInfo:
        return tenants.tenant_zone(self.tenant)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@pass_context
def _local(ctx: Context, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time in the tenant's own timezone: agents talk to customers in the customers' local time."""
    if value is None:
        return ""
    page: PageContext = ctx["page"]
    return _aware(value).astimezone(page.zone).strftime(fmt)


@pass_context
def _ago(ctx: Context, value: datetime | None) -> str:
    if value is None:
        return ""
    page: PageContext = ctx["page"]
    return ago(_aware(value), page.now)


def _iso(value: datetime | None) -> str:
    return _aware(value).isoformat() if value else ""


def _with_page(params: Mapping[str, Any], number: int) -> str:
    """The query string of a list page with only the page number changed (filters stay in the URL)."""
    kept = {k: v for k, v in params.items() if v not in (None, "") and k != "page"}
    if number > 1:
        kept["page"] = number
    return urlencode(kept)


def _sentence(text: str | None) -> str:
    """Service messages start lowercase ('a closed case cannot ...'); on a page they start a sentence."""
    return (text[:1].upper() + text[1:]) if text else ""


def _phone(value: str | None) -> str:
    """E.164 as people read it: '+14155550142' -> '+1 415-555-0142'."""
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return value


def _channel_label(channel: str | None) -> str:
    return CHANNEL_LABELS.get(channel or "", (channel or "unknown").replace("_", " ").capitalize())


def _build_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(local=_local, ago=_ago, iso=_iso, with_page=_with_page, phone=_phone, sentence=_sentence)
    env.globals.update(
        channel_label=_channel_label,
        channel_labels=CHANNEL_LABELS,
        static=lambda path: f"/static/{path}?v={__version__}",
    )
    return env


ENV = _build_env()


def render(name: str, page: PageContext, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(ENV.get_template(name).render(page=page, **values), status_code=status)


def is_htmx(request: Request) -> bool:
    """A fragment request from HTMX (a history restore wants the whole page, so it is not one)."""
    return request.headers.get("hx-request") == "true" and "hx-history-restore-request" not in request.headers


# --- errors as pages ----------------------------------------------------------------------------------------------

ERROR_TEXT = {
    400: ("That link is not valid", "Part of the address is malformed. Go back and try again."),
    403: ("Not allowed", "You may not do that. If you think you should, ask your supervisor."),
    404: ("Not found", "There is nothing here, or it belongs to a client you do not serve."),
    409: ("That change clashes", "Someone may have changed this first. Reload and try again."),
    413: ("Too much data", "What you sent is larger than we accept."),
    422: ("Please check your input", "Something you entered is not valid."),
    429: ("Slow down", "Too many attempts. Wait a moment and try again."),
    500: ("Something went wrong", "It has been logged. Please try again in a moment."),
}


def error_page(request: Request, status: int, detail: str | None = None) -> HTMLResponse:
    """A friendly error page. A 404 never says whether the object exists for another tenant."""
    page: PageContext = getattr(request.state, "page", None) or PageContext()
    title, message = ERROR_TEXT.get(status, ERROR_TEXT[500])
    # Permission and input details help the agent; a 404's detail could only leak what exists.
    if detail and status in (403, 409, 422, 429):
        message = detail[:300]
    back = f"/t/{page.tenant.slug}/customers" if page.tenant else "/"
    return render(
        "error.html",
        page,
        status=status,
        title=title,
        message=message,
        code=status,
        back_href=back,
        back_label="Back to customers" if page.tenant else "Back to start",
    )


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = "/login?" + urlencode({"next": target}) if safe_next(target) != "/" else "/login"
    if is_htmx(request):
        # A redirect would be followed by the XHR and the login page swapped into a fragment.
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


class PageRoute(APIRoute):
    """Every page answers in HTML: domain errors and bad URLs become error pages, 401 goes to /login."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except AuthenticationFailed:
                response = to_login(request)
            except DomainError as exc:
                response = error_page(request, exc.status, exc.detail)
            except RequestValidationError as exc:
                in_path = any(err.get("loc", ("",))[0] == "path" for err in exc.errors())
                response = error_page(request, 404 if in_path else 400)
            except StarletteHTTPException as exc:
                response = error_page(request, exc.status_code)
            except Exception as exc:  # a bug: logged in full, and the agent still gets a page, not JSON
                log.exception("unhandled error on page %s", request.url.path, exc_info=exc)
                response = error_page(request, 500)
            response.headers.update(SECURITY_HEADERS)
            return response

        return page_handler


def mark_page(request: Request) -> None:
    """Runs first on every page: makes `caller` leave CSRF to the page (form field) and 401s redirect."""
    request.scope["helpline_page"] = True


router = APIRouter(include_in_schema=False, route_class=PageRoute, dependencies=[Depends(mark_page)])


# --- request context ----------------------------------------------------------------------------------------------


def _now(request: Request) -> datetime:
    return container(request).deps.clock.now()


@dataclass
class TenantPage:
    """A page inside one tenant: the layout context plus the checked tenant (deps, principal, id)."""

    page: PageContext
    t: TenantContext


def signed_in(request: Request, c: CallerDep) -> PageContext:
    d = container(request).deps
    page = PageContext(
        principal=c.principal,
        csrf_token=c.csrf_token,
        tenants=tenants.visible_tenants(d, c.principal),
        now=_now(request),
    )
    request.state.page = page
    return page


def in_tenant(request: Request, t: TenantDep, page: Annotated[PageContext, Depends(signed_in)]) -> TenantPage:
    page.tenant = t.tenant
    return TenantPage(page, t)


async def check_csrf(request: Request, page: Annotated[PageContext, Depends(signed_in)]) -> None:
    """Unsafe page requests carry the session's CSRF token in the form or in the X-CSRF-Token header."""
    if page.csrf_token is None:  # an API token: no ambient cookie, so nothing to forge
        return
    sent = request.headers.get("x-csrf-token", "")
    if not sent:
        form = await request.form()
        value = form.get("csrf_token", "")
        sent = value if isinstance(value, str) else ""
    if not sent or not same(sent, page.csrf_token):
        raise PermissionDenied("this form has expired or did not come from Helpline; reload the page and try again")


SignedIn = Annotated[PageContext, Depends(signed_in)]
InTenant = Annotated[TenantPage, Depends(in_tenant)]
CsrfChecked = Depends(check_csrf)


# --- sign-in --------------------------------------------------------------------------------------------------------


def safe_next(raw: str | None) -> str:
    """Only a path on this site: '/t/acme/cases?x=1' yes; '//evil.test', 'https://evil.test', '/\\evil' no."""
    if not raw or len(raw) > MAX_NEXT or not raw.startswith("/") or raw.startswith(("//", "/\\")):
        return "/"
    if any(ch in raw for ch in "\\\r\n\t") or any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    if parts.path in ("/login", "/logout"):
        return "/"
    return raw


def _login_page(
    request: Request,
    status: int = 200,
    *,
    error: str | None = None,
    notice: str | None = None,
    email: str = "",
    next_url: str = "/",
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not (20 <= len(token) <= 100):
        token = secrets.token_urlsafe(24)
    settings = container(request).settings
    response = render(
        "login.html",
        PageContext(now=_now(request)),
        status=status,
        error=error,
        notice=notice,
        email=email,
        next=next_url,
        login_token=token,
        session_hours=settings.session_hours,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
def login_form(
    request: Request,
    next: Annotated[str, Query(max_length=MAX_NEXT)] = "/",
    signed_out: Annotated[bool, Query()] = False,
) -> Response:
    next_url = safe_next(next)
    if request.cookies.get(SESSION_COOKIE):
        try:
            auth.from_session(container(request).deps, request.cookies[SESSION_COOKIE])
            return RedirectResponse(next_url, status_code=303)
        except AuthenticationFailed:
            pass
    return _login_page(request, notice="You have signed out." if signed_out else None, next_url=next_url)


@router.post("/login")
def login_submit(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=MAX_NEXT)] = "/",
    login_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    next_url = safe_next(next)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not login_token or not same(cookie, login_token):
        return _login_page(
            request, 403, error="Your sign-in form expired. Please sign in again.", email=email, next_url=next_url
        )
    if not email.strip() or not password:
        return _login_page(request, 422, error="Enter your email and password.", email=email, next_url=next_url)
    response = RedirectResponse(next_url, status_code=303)
    try:
        start_session(request, response, email, password)
    except RateLimited as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        wait = f"{exc.retry_after} seconds" if exc.retry_after < 120 else f"about {minutes} minutes"
        return _login_page(
            request, 429, error=f"Too many failed sign-ins. Try again in {wait}.", email=email, next_url=next_url
        )
    except AuthenticationFailed:
        return _login_page(request, 401, error="Wrong email or password.", email=email, next_url=next_url)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request) -> Response:
    auth.logout(container(request).deps, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login?signed_out=true", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- start ----------------------------------------------------------------------------------------------------------


@router.get("/")
def start(page: SignedIn) -> Response:
    """Straight to work for someone serving one tenant; a picker for the blended pool and admins."""
    if len(page.tenants) == 1:
        return RedirectResponse(f"/t/{page.tenants[0].slug}/customers", status_code=303)
    return render("tenants.html", page)


@router.get("/t/{tenant}")
def tenant_home(tp: InTenant) -> Response:
    return RedirectResponse(f"/t/{tp.t.tenant.slug}/customers", status_code=303)


# --- lists ----------------------------------------------------------------------------------------------------------

PER_PAGE = 25
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Pager:
    """Where a page of results sits in the whole list."""

    page: int
    per_page: int
    total: int
    shown: int

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.shown else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + self.shown

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


@dataclass(frozen=True)
class Result:
    items: Sequence[Any]
    pager: Pager


PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def _staff(tp: TenantPage) -> list[Any]:
    return users.tenant_staff(tp.t.deps, tp.t.principal, tp.t.tenant_id)


# --- customers ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerRow:
    """A customer as the list shows it: the row plus how to reach them and when they last got in touch."""

    id: int
    display_name: str
    company: str | None
    tier: str
    segment: str | None
    primary_email: str | None
    primary_phone: str | None
    last_contact_at: datetime | None
    last_channel: str | None


def _customer_rows(t: TenantContext, found: Sequence[Any]) -> list[CustomerRow]:
    # One batched read for the whole page (two queries), not two reads per row.
    summaries = customers.customer_summaries(t.deps, t.principal, t.tenant_id, [c.id for c in found])
    rows = []
    for customer in found:
        summary = summaries.get(customer.id)
        rows.append(
            CustomerRow(
                id=customer.id,
                display_name=customer.display_name,
                company=customer.company,
                tier=customer.tier,
                segment=customer.segment,
                primary_email=summary.primary_email if summary else None,
                primary_phone=summary.primary_phone if summary else None,
                last_contact_at=summary.last_contact_at if summary else None,
                last_channel=summary.last_contact_channel if summary else None,
            )
        )
    return rows


@router.get("/t/{tenant}/customers")
def customer_list(
    request: Request, tp: InTenant, q: Annotated[str, Query(max_length=200)] = "", page: PageNumber = 1
) -> Response:
    t = tp.t
    tp.page.section = "customers"
    error, status, rows, total = None, 200, [], 0
    try:
        found = customers.search_customers(
            t.deps, t.principal, t.tenant_id, q=q or None, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
        )
        rows, total = _customer_rows(t, found.items), found.total
    except ValidationFailed as exc:  # shown where the results go, so the search box stays usable
        error, status = exc.detail, 422
    values: dict[str, Any] = {
        "q": q,
        "params": {"q": q},
        "result": Result(rows, Pager(page, PER_PAGE, total, len(rows))),
        "error": error,
    }
    if is_htmx(request):
        return render("partials/customer_results.html", tp.page, status=status, **values)
    return render("customers.html", tp.page, status=status, **values)


TIMELINE_PAGE = 25
IDENTITY_ORDER = {"email": 0, "phone": 1, "chat": 2, "social": 3}


def _staff_names(tp: TenantPage) -> dict[int, str]:
    return {u.id: u.name for u in _staff(tp)}


@router.get("/t/{tenant}/customers/{customer_id}")
def customer_page(tp: InTenant, customer_id: Annotated[int, FastPath(ge=1, lt=2**63)]) -> Response:
    t = tp.t
    tp.page.section = "customers"
    view = customers.customer_360(t.deps, t.principal, t.tenant_id, customer_id, timeline_limit=TIMELINE_PAGE)
    names = _staff_names(tp)
    most = max(view.counts_by_channel.values(), default=0)
    identities = sorted(view.identities, key=lambda i: (IDENTITY_ORDER.get(i.kind, 9), not i.is_primary, i.id))
    return render(
        "customer.html",
        tp.page,
        c=view,
        customer=view.customer,
        staff_names=names,
        identities=identities,
        channel_max=most,
        timeline=view.timeline,
        initials=_initials(view.customer.display_name),
    )


def _initials(name: str) -> str:
    letters = [word[0] for word in name.split() if word[:1].isalnum()]
    return "".join(letters[:1] + letters[1:][-1:]).upper() or "?"


@router.get("/t/{tenant}/customers/{customer_id}/timeline")
def customer_timeline_more(
    tp: InTenant, customer_id: Annotated[int, FastPath(ge=1, lt=2**63)], before: Annotated[str, Query(max_length=60)]
) -> Response:
    """The next page of the timeline as list items (HTMX 'load more'; also readable on its own)."""
    t = tp.t
    cursor = decode_cursor(before)
    more = customers.customer_timeline(
        t.deps, t.principal, t.tenant_id, customer_id, limit=TIMELINE_PAGE, before=cursor
    )
    customer = customers.get_customer(t.deps, t.principal, t.tenant_id, customer_id)
    return render("partials/timeline_items.html", tp.page, customer=customer, timeline=more)


# --- cases ----------------------------------------------------------------------------------------------------------

STATUS_CHOICES = [("active", "Unresolved"), ("all", "All statuses")] + [
    (s.value, s.value.capitalize()) for s in CaseStatus
]
SORT_CHOICES = [
    ("-updated_at", "Recently updated"),
    ("-priority", "Highest priority"),
    ("resolution_due_at", "Due soonest"),
    ("-created_at", "Newest"),
    ("created_at", "Oldest"),
]
PRIORITIES = [p.value for p in Priority]
FIELD_LABELS = {
    "status": "Status",
    "priority": "Priority",
    "assignee_id": "Assignee",
    "escalation_tier": "Tier",
    "tags": "Tags",
    "subject": "Subject",
    "category": "Category",
    "queue_id": "Queue",
    "interaction": "Interaction",
    "first_response_due_at": "First reply due",
    "resolution_due_at": "Resolution due",
}


def _case_filters(page: PageContext, status: str, priority: str, assignee: str, tag: str, q: str) -> dict[str, Any]:
    """Query-string filters as list_cases keywords. Unknown values reach the service, which names them."""
    kwargs: dict[str, Any] = {"q": q or None, "tag": tag or None, "priority": priority or None}
    if status == "active":
        kwargs["open_only"] = True
    elif status and status != "all":
        kwargs["status"] = [status]
    if assignee == "me":
        kwargs["assignee_id"] = page.principal.user_id or -1  # an API token is nobody: no case is "mine"
    elif assignee == "unassigned":
        kwargs["unassigned"] = True
    elif assignee:
        if not assignee.isdigit():
            raise ValidationFailed("assignee must be me, unassigned or a staff member", field="assignee")
        kwargs["assignee_id"] = int(assignee)
    return kwargs


@router.get("/t/{tenant}/cases")
def case_list(
    tp: InTenant,
    status: Annotated[str, Query(max_length=20)] = "active",
    priority: Annotated[str, Query(max_length=20)] = "",
    assignee: Annotated[str, Query(max_length=20)] = "",
    tag: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=30)] = "-updated_at",
    page: PageNumber = 1,
) -> Response:
    t = tp.t
    tp.page.section = "cases"
    if sort not in dict(SORT_CHOICES):
        sort = "-updated_at"
    filters = {"status": status, "priority": priority, "assignee": assignee, "tag": tag, "q": q, "sort": sort}
    staff = _staff(tp)
    error, total, http_status = None, 0, 200
    rows: list[Any] = []
    try:
        rows, total = cases.list_cases(
            t.deps,
            t.principal,
            t.tenant_id,
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
            sort=sort,
            **_case_filters(tp.page, status, priority, assignee, tag, q),
        )
    except ValidationFailed as exc:
        error, http_status = f"Filter not understood: {exc.detail}", 422
    who = {}
    for customer_id in {c.customer_id for c in rows}:
        who[customer_id] = customers.get_customer(t.deps, t.principal, t.tenant_id, customer_id)
    filtered = any(filters[k] for k in ("priority", "assignee", "tag", "q")) or status not in ("active", "all")
    return render(
        "cases.html",
        tp.page,
        status=http_status,
        result=Result(rows, Pager(page, PER_PAGE, total, len(rows))),
        filters=filters,
        params=filters,
        staff=staff,
        staff_names={u.id: u.name for u in staff},
        customers=who,
        status_choices=STATUS_CHOICES,
        sort_choices=SORT_CHOICES,
        priorities=PRIORITIES,
        filtered=filtered,
        error=error,
    )


def _latest(load: Callable[..., tuple[list[Any], int]], keep: int) -> Result:
    """The last `keep` rows of an oldest-first list, newest last (two reads only when it is long)."""
    rows, total = load(limit=keep, offset=0)
    if total > keep:
        rows, total = load(limit=keep, offset=total - keep)
    return Result(rows, Pager(1, keep, total, len(rows)))


def _case_form_values(case: Any) -> dict[str, str]:
    return {
        "status": case.status,
        "priority": case.priority,
        "assignee_id": "" if case.assignee_id is None else str(case.assignee_id),
        "escalation_tier": str(case.escalation_tier),
        "tags": ", ".join(case.tags or []),
    }


def _case_page(
    tp: TenantPage,
    case_id: int,
    *,
    status: int = 200,
    saved: bool = False,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    note_error: str | None = None,
    note_text: str = "",
) -> HTMLResponse:
    t = tp.t
    tp.page.section = "cases"
    case = cases.get_case(t.deps, t.principal, t.tenant_id, case_id)
    customer = customers.get_customer(t.deps, t.principal, t.tenant_id, case.customer_id)
    history = _latest(lambda **k: cases.case_history(t.deps, t.principal, t.tenant_id, case.id, **k), 200)
    notes = _latest(lambda **k: cases.case_notes(t.deps, t.principal, t.tenant_id, case.id, **k), 100)
    linked, linked_total = cases.case_interactions(t.deps, t.principal, t.tenant_id, case.id, limit=50)
    staff = _staff(tp)
    names = {u.id: u.name for u in staff}
    current = CaseStatus(case.status)
    shown = (form or {}).get("status")  # a refused choice stays selected next to its error
    status_options = [
        s.value for s in CaseStatus if s == current or s in ALLOWED_TRANSITIONS[current] or s.value == shown
    ]

    def show_value(field_name: str, value: str | None) -> str:
        if value in (None, ""):
            return "—"
        if field_name == "assignee_id" and value.isdigit():
            return names.get(int(value), f"staff #{value}")
        return value

    return render(
        "case.html",
        tp.page,
        status=status,
        case=case,
        customer=customer,
        history=Result(list(reversed(history.items)), history.pager),
        notes=notes,
        interactions=Result(linked, Pager(1, 50, linked_total, len(linked))),
        staff=staff,
        staff_names=names,
        saved=saved,
        original=_case_form_values(case),
        form=form or _case_form_values(case),
        errors=errors or {},
        status_options=status_options,
        priorities=PRIORITIES,
        tiers=range(MAX_TIER + 1),
        field_labels=FIELD_LABELS,
        show_value=show_value,
        note_error=note_error,
        note_text=note_text,
        note_added=False,
    )


CaseId = Annotated[int, FastPath(ge=1, lt=2**63)]


@router.get("/t/{tenant}/cases/{case_id}")
def case_page(tp: InTenant, case_id: CaseId, saved: Annotated[bool, Query()] = False) -> Response:
    return _case_page(tp, case_id, saved=saved)


def _parse_case_form(form: dict[str, str]) -> dict[str, Any]:
    """Form text as update_case values. Bad numbers are named like the service names its errors."""
    parsed: dict[str, Any] = {"status": form["status"], "priority": form["priority"]}
    assignee = form["assignee_id"].strip()
    if assignee and not assignee.isdigit():
        raise ValidationFailed("choose an assignee from the list", field="assignee_id")
    parsed["assignee_id"] = int(assignee) if assignee else None
    tier = form["escalation_tier"].strip()
    if not tier.isdigit() or len(tier) > 2:
        raise ValidationFailed(f"escalation tier must be a whole number from 0 to {MAX_TIER}", field="escalation_tier")
    parsed["escalation_tier"] = int(tier)
    parsed["tags"] = [word.strip() for word in form["tags"].split(",") if word.strip()]
    return parsed


EDITABLE = ("status", "priority", "assignee_id", "escalation_tier", "tags")
ShortField = Annotated[str, Form(max_length=40)]


@router.post("/t/{tenant}/cases/{case_id}", dependencies=[CsrfChecked])
def case_update(
    tp: InTenant,
    case_id: CaseId,
    status: ShortField = "",
    priority: ShortField = "",
    assignee_id: ShortField = "",
    escalation_tier: ShortField = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    was_status: ShortField = "",
    was_priority: ShortField = "",
    was_assignee_id: ShortField = "",
    was_escalation_tier: ShortField = "",
    was_tags: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Save only what this form changed, so a stale form does not undo someone else's newer change."""
    t = tp.t
    t.require(Action.WRITE)
    form = {
        "status": status,
        "priority": priority,
        "assignee_id": assignee_id,
        "escalation_tier": escalation_tier,
        "tags": tags,
    }
    was = {
        "status": was_status,
        "priority": was_priority,
        "assignee_id": was_assignee_id,
        "escalation_tier": was_escalation_tier,
        "tags": was_tags,
    }
    try:
        wanted = _parse_case_form(form)
        before = _parse_case_form(was) if all(was[k] for k in ("status", "priority", "escalation_tier")) else {}
        changes = {k: v for k, v in wanted.items() if before.get(k, object()) != v}
        cases.update_case(t.deps, t.principal, t.tenant_id, case_id, changes)
    except (ValidationFailed, Conflict) as exc:
        name = exc.field if exc.field in EDITABLE else "_"
        return _case_page(tp, case_id, status=exc.status, form=form, errors={name: exc.detail})
    return RedirectResponse(f"/t/{t.tenant.slug}/cases/{case_id}?saved=true", status_code=303)


@router.post("/t/{tenant}/cases/{case_id}/notes", dependencies=[CsrfChecked])
def case_add_note(
    request: Request, tp: InTenant, case_id: CaseId, body: Annotated[str, Form(max_length=100_000)] = ""
) -> Response:
    t = tp.t
    t.require(Action.WRITE)
    try:
        cases.add_note(t.deps, t.principal, t.tenant_id, case_id, body)
    except ValidationFailed as exc:
        if not is_htmx(request):
            return _case_page(tp, case_id, status=422, note_error=exc.detail, note_text=body)
        return _notes_fragment(tp, case_id, status=422, note_error=exc.detail, note_text=body)
    if not is_htmx(request):
        return RedirectResponse(f"/t/{t.tenant.slug}/cases/{case_id}#notes", status_code=303)
    return _notes_fragment(tp, case_id, note_added=True)


def _notes_fragment(
    tp: TenantPage,
    case_id: int,
    status: int = 200,
    note_error: str | None = None,
    note_text: str = "",
    note_added: bool = False,
) -> HTMLResponse:
    t = tp.t
    case = cases.get_case(t.deps, t.principal, t.tenant_id, case_id)
    notes = _latest(lambda **k: cases.case_notes(t.deps, t.principal, t.tenant_id, case.id, **k), 100)
    return render(
        "partials/case_notes.html",
        tp.page,
        status=status,
        case=case,
        notes=notes,
        note_error=note_error,
        note_text=note_text,
        note_added=note_added,
    )


@router.get("/t/{tenant}/{rest:path}")
def tenant_not_found(request: Request, tp: InTenant, rest: str) -> Response:
    """Any other address inside a tenant: the friendly 404 page rather than a JSON error."""
    return error_page(request, 404)
