"""Server-sent events framing: what goes over the wire for one event or a heartbeat."""

from __future__ import annotations

import json

from helpline.realtime.broker import Delivered

HEARTBEAT = b": keep-alive\n\n"  # a comment line: keeps proxies from closing an idle stream


def frame(item: Delivered) -> bytes:
    """One event as SSE: the browser's EventSource sends `id` back as Last-Event-ID on reconnect."""
    data = json.dumps({**item.event, "id": item.id}, separators=(",", ":"), default=str)
    return f"id: {item.id}\nevent: {item.event.get('type', 'message')}\ndata: {data}\n\n".encode()
