"""Every error leaves as RFC 9457 problem+json naming the field at fault; nothing leaves as a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpline.domain.errors import DomainError, RateLimited

log = logging.getLogger("helpline.web")
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, field: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if field:
        body["field"] = field
    body.update(extra)
    headers = {"Retry-After": str(extra["retry_after"])} if "retry_after" in extra else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    # Only the leading location kind is dropped: a field may itself be named "body" (messages, notes).
    parts = [str(p) for i, p in enumerate(loc) if i > 0 or p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "body")


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if request.scope.get("helpline_page") and exc.status in (401,):
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)  # type: ignore[return-value]
        extra = {"retry_after": exc.retry_after} if isinstance(exc, RateLimited) else {}
        return problem(exc.status, exc.title, exc.detail, exc.field, **extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field_of(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors()]
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem(400, "Malformed JSON", "the request body is not valid JSON", "body")
        return problem(
            422, "Invalid input", f"{first['field']}: {first['message']}", first["field"], errors=errors[:50]
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large", 401: "Unauthorized"}
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Internal error", "something went wrong on our side; it has been logged")


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` (413) whether or not Content-Length is declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(scope, receive, send, self.max_bytes)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _too_large(scope, receive, send, self.max_bytes)


class _TooLarge(Exception):
    pass


# The public chat API is called from clients' own sites: its errors must be readable cross-origin
# too, or the widget would see a network failure instead of "too large".
CROSS_ORIGIN_PREFIX = "/api/v1/chat/"


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem(413, "Payload too large", f"the request body is larger than {limit} bytes", "body")
    if str(scope.get("path", "")).startswith(CROSS_ORIGIN_PREFIX):
        response.headers["Access-Control-Allow-Origin"] = "*"
    await response(scope, receive, send)
