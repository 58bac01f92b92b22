"""The widget's side of the event stream: which events a chat customer sees, and in what shape.

Services already address customer events to `chat:{interaction_id}` only; this is the second lock
on that door: anything else (a whisper published by mistake, staff ids in topics) never leaves.
"""

from __future__ import annotations

from typing import Any

CUSTOMER_EVENTS = frozenset({"message", "typing", "chat.queue", "chat.joined", "chat.left", "chat.ended", "reset"})
_FIELDS: dict[str, tuple[str, ...]] = {
    "message": ("message",),
    "typing": ("who", "name"),
    "chat.queue": ("position", "estimated_wait_seconds", "leave_message"),
    "chat.joined": ("name", "role"),
    "chat.left": ("name", "role"),
    "chat.ended": ("reason",),
    "reset": (),
}
_MESSAGE_FIELDS = ("id", "author_kind", "author_name", "body", "at", "attachments")


def customer_view(event: dict[str, Any]) -> dict[str, Any] | None:
    """The event as the customer's widget receives it, or None if it is not for their eyes."""
    kind = event.get("type")
    if kind not in CUSTOMER_EVENTS:
        return None
    view: dict[str, Any] = {"type": kind}
    if "interaction_id" in event:
        view["interaction_id"] = event["interaction_id"]
    for name in _FIELDS[kind]:
        if name in event:
            view[name] = event[name]
    if kind == "message":
        message = event.get("message") or {}
        if message.get("visibility", "all") != "all":
            return None
        view["message"] = {name: message.get(name) for name in _MESSAGE_FIELDS}
    if kind == "typing" and event.get("who") != "agent":
        return None  # customers see the agent typing, not their own echo
    return view
