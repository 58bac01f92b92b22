"""Server-sent events: framing of one event or a heartbeat, and the stream loop a route returns."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from helpline.realtime.broker import Delivered, Subscription

HEARTBEAT = b": keep-alive\n\n"  # a comment line: keeps proxies from closing an idle stream
HEARTBEAT_SECONDS = 15.0
# Sent first: the browser's EventSource waits this long before reconnecting after a drop, and the
# comment flushes the response headers at once so the client knows it is connected.
OPENING = b"retry: 2000\n: connected\n\n"
HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
MEDIA_TYPE = "text/event-stream"


def frame(item: Delivered, event: dict[str, Any] | None = None) -> bytes:
    """One event as SSE: the browser's EventSource sends `id` back as Last-Event-ID on reconnect.

    `event` replaces the payload (a filtered view of it) while keeping the id."""
    body = item.event if event is None else event
    data = json.dumps({**body, "id": item.id}, separators=(",", ":"), default=str)
    return f"id: {item.id}\nevent: {body.get('type', 'message')}\ndata: {data}\n\n".encode()


def accepts_stream(accept: str | None) -> bool:
    """Whether the client asked for an event stream by name (EventSource always does). A generic
    client asking for */* gets a 406 instead of a response that never ends."""
    return accept is not None and MEDIA_TYPE in accept.lower()


def parse_last_event_id(header: str | None, query: str | None) -> int | None:
    """The id to resume after: the Last-Event-ID header (EventSource reconnects) wins over the query."""
    for raw in (header, query):
        if raw is not None and raw.strip().isdigit() and len(raw.strip()) <= 19:
            return int(raw.strip())
    return None


async def stream(
    subscription: Subscription,
    is_disconnected: Callable[[], Awaitable[bool]],
    view: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
    heartbeat: float = HEARTBEAT_SECONDS,
    on_close: Callable[[], Any] | None = None,
) -> AsyncIterator[bytes]:
    """SSE frames for a subscription until the client disconnects or the broker cuts it off.

    `view` filters or reshapes each event for this audience (None drops it). A heartbeat goes out
    after `heartbeat` seconds of silence; it is also when a quiet stream notices a gone client.
    """
    try:
        yield OPENING
        while True:
            item = await subscription.next(timeout=heartbeat)
            if item is None:
                if subscription.closed or await is_disconnected():
                    return
                yield HEARTBEAT
                continue
            shown = item.event if view is None else view(item.event)
            if shown is not None:
                yield frame(item, shown if view is not None else None)
    finally:
        subscription.close()
        if on_close is not None:
            on_close()
