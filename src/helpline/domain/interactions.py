"""Interaction lifecycle: the order of its timestamps and which step may follow which.

created -> queued -> offered -> accepted (active) -> ended -> wrapped up. Steps may be skipped
(an outbound call is accepted at once; a letter is never offered), never taken backwards,
except that an offer that is rejected or times out sends the interaction back to the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.vocabulary import InteractionStatus as S

MAX_SUBJECT = 300
MAX_BODY = 100_000  # characters of one message; larger content belongs in an attachment
MAX_ATTACHMENTS = 20
MAX_DISPOSITION = 64

# Which lifecycle step leads to which status, and the timestamp column it fills.
STEPS: dict[str, tuple[S, str]] = {
    "queue": (S.QUEUED, "queued_at"),
    "offer": (S.OFFERED, "offered_at"),
    "accept": (S.ACTIVE, "accepted_at"),
    "end": (S.ENDED, "ended_at"),
    "wrap_up": (S.WRAPPED_UP, "wrapped_up_at"),
}
_ORDER = [S.NEW, S.QUEUED, S.OFFERED, S.ACTIVE, S.ENDED, S.WRAPPED_UP]


@dataclass(frozen=True, slots=True)
class Step:
    status: S
    timestamp_field: str


def next_step(current: S, action: str) -> Step:
    """Check that `action` may follow `current` and return the new status and its timestamp."""
    if action not in STEPS:
        raise ValidationFailed(f"unknown lifecycle step {action!r}; use one of {', '.join(STEPS)}", field="action")
    target, field = STEPS[action]
    # Re-queueing an offered interaction is how a rejected or timed-out offer goes back.
    requeue = current == S.OFFERED and target == S.QUEUED
    if _ORDER.index(target) <= _ORDER.index(current) and not requeue:
        raise Conflict(f"an interaction that is {current.value} cannot be moved to {target.value}", field="action")
    if target == S.WRAPPED_UP and current != S.ENDED:
        raise Conflict("only an ended interaction can be wrapped up", field="action")
    return Step(target, field)


def check_time_order(created_at: datetime, at: datetime, previous: datetime | None) -> None:
    """Lifecycle timestamps never go backwards."""
    floor = previous or created_at
    if at < floor:
        raise ValidationFailed("a lifecycle time cannot be earlier than the step before it", field="at")


def check_attachments(items: object) -> list[dict[str, object]]:
    """Attachment metadata only (name, content type, size); the bytes live in a blob store."""
    if items is None:
        return []
    if not isinstance(items, list) or len(items) > MAX_ATTACHMENTS:
        raise ValidationFailed(f"attachments must be a list of at most {MAX_ATTACHMENTS}", field="attachments")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ValidationFailed("each attachment must be an object", field="attachments")
        name, ctype, size = item.get("filename"), item.get("content_type"), item.get("size")
        if not isinstance(name, str) or not 0 < len(name) <= 255:
            raise ValidationFailed("attachment filename must be 1-255 characters", field="attachments")
        if not isinstance(ctype, str) or "/" not in ctype or len(ctype) > 127:
            raise ValidationFailed("attachment content_type must be a MIME type", field="attachments")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValidationFailed("attachment size must be a non-negative integer", field="attachments")
        out.append({"filename": name, "content_type": ctype, "size": size})
    return out
