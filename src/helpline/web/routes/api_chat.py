"""The public web chat API (under /api/v1/chat/{tenant}), called by the widget from clients' own sites.

No cookies and no staff login: the widget gets a chat token when the chat starts and sends it in
the X-Chat-Token header (or the `token` query, for EventSource and sendBeacon, which cannot set
headers). Every answer, errors included, allows any origin (CORS `*`, never with credentials);
preflight requests are answered here. Starting chats is limited per client address, and messages
and typing signals per session.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable, Coroutine
from types import SimpleNamespace
from typing import Annotated, Any, cast
from urllib.parse import quote

from fastapi import APIRouter, File, Header, Path, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from helpline.channels.chat.throttle import SlidingWindow
from helpline.channels.chat.widget import customer_view
from helpline.domain import chat as rules
from helpline.domain.errors import RateLimited
from helpline.domain.interactions import MAX_ID
from helpline.realtime import sse
from helpline.services import chat
from helpline.services.security import digest
from helpline.web.dependencies import deps
from helpline.web.routes.api_events import broker_of, require_stream
from helpline.web.schemas import Input, Output

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Retry-After"}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, X-Chat-Token, Last-Event-ID",
    "Access-Control-Max-Age": "600",
}
BASE = "/chat/{tenant}"
SESSION = BASE + "/sessions/{session_id}"

# Per client address: a person starts a handful of chats; a script that starts hundreds is stopped.
SESSIONS_PER_WINDOW, SESSION_WINDOW_SECONDS = 30, 600
MESSAGES_PER_MINUTE = 60  # per session: a fast typist, not a flood
TYPING_PER_MINUTE = 40


class _CorsRoute(APIRoute):
    """Adds the CORS headers to every answer of these routes, the problem+json errors included."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                response = await _error_response(request, exc)
            response.headers.update(CORS)
            return response

        return with_cors


async def _error_response(request: Request, exc: Exception) -> Response:
    """What the application's own exception handlers answer (they run outside the route otherwise)."""
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        handler = handlers.get(cls)
        if handler is not None:
            result = handler(request, exc)
            return cast(Response, await result if inspect.isawaitable(result) else result)
    raise exc


router = APIRouter(tags=["web chat (public)"], route_class=_CorsRoute)

Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
SessionId = Annotated[int, Path(ge=1, le=MAX_ID)]
Slug = Annotated[str, Path(max_length=40, description="tenant slug")]


class StartIn(Input):
    name: str = Field(max_length=rules.MAX_NAME)
    email: str = Field(max_length=254)
    language: str = Field(max_length=16)
    queue_id: Id = Field(description="the topic: a chat queue of the tenant (see /config)")
    message: str | None = Field(None, max_length=rules.MAX_MESSAGE, description="the first message, if any")


class ChatMessageIn(Input):
    body: str = Field(max_length=rules.MAX_MESSAGE)


class LeaveMessageIn(Input):
    body: str = Field(max_length=rules.MAX_LEAVE_MESSAGE)


class StartOut(Output):
    session_id: int
    token: str = Field(description="send it as X-Chat-Token (or ?token=); shown only once")
    interaction_id: int
    status: str = Field(description="queued, offered, overflowed, or closed (then offer to leave a message)")
    position: int | None
    estimated_wait_seconds: float | None
    leave_message: bool
    resume_from: int | None = Field(description="open the events stream with last_event_id=this")


class ChatMessageOut(Output):
    id: int
    author_kind: str
    author_name: str
    body: str
    at: str
    attachments: list[dict[str, Any]]


class QueueOut(Output):
    position: int | None
    estimated_wait_seconds: float | None
    leave_message: bool


class StatusOut(Output):
    session_id: int
    interaction_id: int
    status: str
    closed: bool
    queue: QueueOut | None
    agent_name: str | None
    messages: list[ChatMessageOut]
    resume_from: int | None


class LeftOut(Output):
    case_reference: int = Field(description="the case number the customer may quote")


def _message_out(row: Any) -> ChatMessageOut:
    return ChatMessageOut(
        id=row.id,
        author_kind=row.author_kind,
        author_name=row.author_name,
        body=row.body,
        at=row.at.isoformat(),
        attachments=list(row.attachments or []),
    )


def _limits(request: Request) -> Any:
    state = request.app.state
    if not hasattr(state, "chat_limits"):
        state.chat_limits = SimpleNamespace(
            sessions=SlidingWindow(SESSIONS_PER_WINDOW, SESSION_WINDOW_SECONDS),
            messages=SlidingWindow(MESSAGES_PER_MINUTE, 60),
            typing=SlidingWindow(TYPING_PER_MINUTE, 60),
        )
    return state.chat_limits


def _limit(window: SlidingWindow, key: str, what: str) -> None:
    wait = window.hit(key)
    if wait:
        raise RateLimited(f"too many {what}; try again in {wait} s", retry_after=wait)


TokenHeader = Annotated[str | None, Header(alias="X-Chat-Token", max_length=200)]
TokenQuery = Annotated[str | None, Query(alias="token", max_length=200, description="for EventSource and sendBeacon")]


def _token(header: str | None, query: str | None) -> str | None:
    return header or query


def _session_key(session_id: int, token: str | None) -> str:
    """Limits count per session *and* token, checked before the database is asked: someone guessing
    tokens for a session fills buckets of their own, never the real customer's."""
    return f"{session_id}:{digest(token or '')[:32]}"


@router.options(BASE + "/{path:path}", include_in_schema=False)
def preflight(tenant: str, path: str) -> Response:
    return Response(status_code=204, headers=PREFLIGHT)


@router.get(BASE + "/config")
def config(request: Request, tenant: Slug) -> dict[str, Any]:
    """Topics (chat queues, open or closed now), languages and limits for the widget."""
    return chat.chat_config(deps(request), tenant)


@router.post(BASE + "/sessions", response_model=StartOut, status_code=201)
def start(request: Request, tenant: Slug, body: StartIn) -> StartOut:
    """Start a chat from the pre-chat form; the customer is matched by email."""
    client = request.client.host if request.client else "unknown"
    _limit(_limits(request).sessions, client, "chats started from this address")
    started = chat.start_chat(
        deps(request),
        tenant,
        name=body.name,
        email=body.email,
        language=body.language,
        queue_id=body.queue_id,
        message=body.message,
        origin=request.headers.get("origin"),
    )
    return StartOut(
        session_id=started.session_id,
        token=started.token,
        interaction_id=started.interaction_id,
        status=started.status,
        position=started.position,
        estimated_wait_seconds=started.estimated_wait_seconds,
        leave_message=started.leave_message,
        resume_from=started.resume_from,
    )


@router.get(SESSION, response_model=StatusOut)
def status(
    request: Request, tenant: Slug, session_id: SessionId, x_chat_token: TokenHeader = None, token: TokenQuery = None
) -> StatusOut:
    """Where the chat stands and what was said (what the customer may see)."""
    return StatusOut.model_validate(chat.chat_status(deps(request), tenant, session_id, _token(x_chat_token, token)))


@router.get(
    SESSION + "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless stream of chat events"}},
)
async def events(
    request: Request,
    tenant: Slug,
    session_id: SessionId,
    x_chat_token: TokenHeader = None,
    token: TokenQuery = None,
    last_event_id: Annotated[str | None, Query(max_length=20)] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events of this chat: messages, agent typing, queue position, joined/left, ended.
    Ask for it with `Accept: text/event-stream` (EventSource does)."""
    require_stream(request)
    d = deps(request)
    broker = broker_of(request)
    visitor = await run_in_threadpool(chat.authenticate, d, tenant, session_id, _token(x_chat_token, token))
    await run_in_threadpool(chat.touch, d, visitor.tenant_id, visitor.session_id)
    subscription = broker.subscribe(
        [f"chat:{visitor.interaction_id}"], sse.parse_last_event_id(last_event_id_header, last_event_id)
    )
    loop = asyncio.get_running_loop()

    def left() -> None:  # the stream closed: the customer was here until now (the watcher counts from this)
        with contextlib.suppress(RuntimeError):  # the server is shutting down: nobody will watch anyway
            loop.run_in_executor(None, chat.touch, d, visitor.tenant_id, visitor.session_id)

    body: Any = sse.stream(subscription, request.is_disconnected, customer_view, on_close=left)
    return StreamingResponse(body, media_type=sse.MEDIA_TYPE, headers={**sse.HEADERS, **CORS})


@router.post(SESSION + "/messages", response_model=ChatMessageOut, status_code=201)
def send(
    request: Request,
    tenant: Slug,
    session_id: SessionId,
    body: ChatMessageIn,
    x_chat_token: TokenHeader = None,
    token: TokenQuery = None,
) -> ChatMessageOut:
    secret = _token(x_chat_token, token)
    _limit(_limits(request).messages, _session_key(session_id, secret), "messages")
    return _message_out(chat.send_message(deps(request), tenant, session_id, secret, body.body))


@router.post(SESSION + "/typing", status_code=204)
def typing(
    request: Request, tenant: Slug, session_id: SessionId, x_chat_token: TokenHeader = None, token: TokenQuery = None
) -> Response:
    secret = _token(x_chat_token, token)
    if not _limits(request).typing.hit(_session_key(session_id, secret)):  # over the limit: dropped quietly
        chat.typing(deps(request), tenant, session_id, secret)
    return Response(status_code=204)


@router.post(SESSION + "/attachments", response_model=ChatMessageOut, status_code=201)
def upload(
    request: Request,
    tenant: Slug,
    session_id: SessionId,
    file: Annotated[UploadFile, File(description="png, jpeg, gif, pdf or plain text; at most 1 MiB")],
    x_chat_token: TokenHeader = None,
    token: TokenQuery = None,
) -> ChatMessageOut:
    """Send a file; its type is read from its content, not from what the browser declared."""
    secret = _token(x_chat_token, token)
    _limit(_limits(request).messages, _session_key(session_id, secret), "messages")
    data = file.file.read(rules.MAX_ATTACHMENT_BYTES + 1)
    return _message_out(chat.upload(deps(request), tenant, session_id, secret, file.filename, data))


@router.get(SESSION + "/attachments/{attachment_id}", response_class=Response)
def download(
    request: Request,
    tenant: Slug,
    session_id: SessionId,
    attachment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    x_chat_token: TokenHeader = None,
    token: TokenQuery = None,
) -> Response:
    row = chat.download(deps(request), tenant, session_id, _token(x_chat_token, token), attachment_id)
    return file_response(row)


@router.post(SESSION + "/close", status_code=204)
def close(
    request: Request,
    tenant: Slug,
    session_id: SessionId,
    x_chat_token: TokenHeader = None,
    token: TokenQuery = None,
) -> Response:
    """End the chat (the widget's close button, or navigator.sendBeacon when the page goes away)."""
    chat.close(deps(request), tenant, session_id, _token(x_chat_token, token))
    return Response(status_code=204)


@router.post(SESSION + "/leave-message", response_model=LeftOut, status_code=201)
def leave_message(
    request: Request,
    tenant: Slug,
    session_id: SessionId,
    body: LeaveMessageIn,
    x_chat_token: TokenHeader = None,
    token: TokenQuery = None,
) -> LeftOut:
    """Nobody can chat now: leave a message instead; it opens a case and ends the chat."""
    case = chat.leave_message(deps(request), tenant, session_id, _token(x_chat_token, token), body.body)
    return LeftOut(case_reference=case.id)


# --- shared with the staff routes ------------------------------------------------------------------


def file_response(row: Any) -> Response:
    """A stored file, sent so that no browser runs it: the sniffed type only, nosniff, a sandboxing
    CSP, and images inline but everything else as a download."""
    disposition = "inline" if row.content_type in rules.INLINE_TYPES else "attachment"
    ascii_name = row.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    media_type = row.content_type + ("; charset=utf-8" if row.content_type == "text/plain" else "")
    headers = {
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600",
        "Referrer-Policy": "no-referrer",
    }
    return Response(content=bytes(row.data), media_type=media_type, headers=headers)
