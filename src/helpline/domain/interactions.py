"""Interaction lifecycle: the order of its timestamps and which step may follow which.

created -> queued -> offered -> accepted (active) -> ended -> wrapped up. Steps may be skipped
(an outbound call is accepted at once; a letter is never offered), never taken backwards,
except that an offer that is rejected or times out sends the interaction back to the queue.

Also here: the checks on what callers send with an interaction (text, times, attributes,
attachments) and the filters a list of interactions may be narrowed by.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.vocabulary import Channel, Direction, parse_enum
from helpline.domain.vocabulary import InteractionStatus as S

MAX_SUBJECT = 300
MAX_BODY = 100_000  # characters of one message; larger content belongs in an attachment
MAX_ATTACHMENTS = 20
MAX_DISPOSITION = 64
MAX_EXTERNAL_REF = 200
MAX_AUTHOR_NAME = 200
MAX_INITIAL_MESSAGES = 50
# Attributes are routing and integration hints (IVR choices, order number), not a document store.
MAX_ATTRIBUTES_BYTES = 16_000
MAX_ATTRIBUTE_KEYS = 100
MAX_ATTRIBUTE_DEPTH = 5
MAX_ID = 2**63 - 1  # ids are 64-bit in PostgreSQL; larger numbers cannot name anything

SORT_FIELDS = frozenset({"created_at", "queued_at", "offered_at", "accepted_at", "ended_at", "wrapped_up_at"})
DEFAULT_SORT = "-created_at"

# Which lifecycle step leads to which status, and the timestamp column it fills.
STEPS: dict[str, tuple[S, str]] = {
    "queue": (S.QUEUED, "queued_at"),
    "offer": (S.OFFERED, "offered_at"),
    "accept": (S.ACTIVE, "accepted_at"),
    "end": (S.ENDED, "ended_at"),
    "wrap_up": (S.WRAPPED_UP, "wrapped_up_at"),
}
_ORDER = [S.NEW, S.QUEUED, S.OFFERED, S.ACTIVE, S.ENDED, S.WRAPPED_UP]
TIMESTAMP_FIELDS = tuple(field for _status, field in STEPS.values())
_AGENT_STEPS = frozenset({"offer", "accept"})


@dataclass(frozen=True, slots=True)
class Step:
    status: S
    timestamp_field: str
    requeue: bool = False


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
    return Step(target, field, requeue)


def check_time_order(created_at: datetime, at: datetime, previous: datetime | None) -> None:
    """Lifecycle timestamps never go backwards."""
    floor = previous or created_at
    if at < floor:
        raise ValidationFailed("a lifecycle time cannot be earlier than the step before it", field="at")


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The parts of an interaction a lifecycle step reads."""

    status: S
    created_at: datetime
    agent_id: int | None = None
    queued_at: datetime | None = None
    offered_at: datetime | None = None
    accepted_at: datetime | None = None
    ended_at: datetime | None = None
    wrapped_up_at: datetime | None = None

    def latest(self) -> datetime | None:
        times = [t for t in (getattr(self, f) for f in TIMESTAMP_FIELDS) if t is not None]
        return max(times) if times else None


def plan_step(
    state: Lifecycle,
    action: str,
    now: datetime,
    at: datetime | None = None,
    agent_id: int | None = None,
    disposition_code: str | None = None,
) -> dict[str, Any]:
    """The column changes one lifecycle step makes, after checking every rule it is subject to.

    `agent_id` names who is offered or accepts; accepting an offered interaction defaults to the
    agent it was offered to. Whether that agent may work for the tenant is for the caller to check.
    """
    step = next_step(state.status, action)
    when = check_not_future(at, now, "at") if at is not None else now
    check_time_order(state.created_at, when, state.latest())
    changes: dict[str, Any] = {"status": step.status.value}
    if action in _AGENT_STEPS:
        changes["agent_id"] = _agent_for(state, action, agent_id)
    elif agent_id is not None:
        raise ValidationFailed("agent_id applies only to the offer and accept steps", field="agent_id")
    if action == "wrap_up":
        if disposition_code is not None:
            changes["disposition_code"] = check_disposition(disposition_code)
    elif disposition_code is not None:
        raise ValidationFailed("disposition_code applies only to the wrap-up step", field="disposition_code")
    if step.requeue:
        # The customer has waited since the first queueing: keep that time, forget the failed offer.
        changes.update(agent_id=None, offered_at=None)
        if state.queued_at is None:
            changes["queued_at"] = when
    else:
        changes[step.timestamp_field] = when
    return changes


def _agent_for(state: Lifecycle, action: str, agent_id: int | None) -> int:
    if action == "accept" and state.status == S.OFFERED and state.agent_id is not None:
        if agent_id is not None and agent_id != state.agent_id:
            raise Conflict("this interaction is offered to another agent", field="agent_id")
        return state.agent_id
    if agent_id is None:
        raise ValidationFailed(f"agent_id is required to {action} an interaction", field="agent_id")
    return check_id(agent_id, "agent_id")


def as_utc(value: datetime, field: str) -> datetime:
    """A time without an offset is taken as UTC; every time is kept in UTC."""
    if not isinstance(value, datetime):
        raise ValidationFailed(f"{field} must be a date and time", field=field)
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationFailed(f"{field} is out of range", field=field) from None


def check_not_future(value: datetime, now: datetime, field: str) -> datetime:
    when = as_utc(value, field)
    if when > now:
        raise ValidationFailed(f"{field} cannot be in the future", field=field)
    return when


def check_id(value: object, field: str) -> int:
    """An id a caller names: a positive integer that fits the database's 64-bit ids."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        raise ValidationFailed(f"{field} must be a positive integer id", field=field)
    return value


def check_text(value: object, field: str, max_length: int, *, min_length: int = 1, multiline: bool = False) -> str:
    """Stripped text within bounds. Control characters (NUL above all, which PostgreSQL refuses) and
    unpaired surrogates (which no database can encode) are refused; multi-line text keeps tabs and newlines.
    """
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be text", field=field)
    text = value.strip()
    if not min_length <= len(text) <= max_length:
        raise ValidationFailed(f"{field} must be {min_length} to {max_length} characters", field=field)
    allowed = "\t\n\r" if multiline else ""
    if any((ord(c) < 32 and c not in allowed) or c == "\x7f" for c in text):
        raise ValidationFailed(f"{field} contains control characters", field=field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(f"{field} is not valid Unicode text", field=field) from None
    return text


def optional_text(value: object, field: str, max_length: int) -> str | None:
    """Like check_text, but None or blank text means 'none'."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_text(value, field, max_length)


def check_disposition(value: object) -> str:
    return check_text(value, "disposition_code", MAX_DISPOSITION)


def check_attributes(value: object) -> dict[str, Any]:
    """A small JSON object: bounded size, keys and depth, finite numbers, clean strings."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("attributes must be a JSON object", field="attributes")
    _check_json(value, 1)
    size = len(json.dumps(value, ensure_ascii=False))
    if size > MAX_ATTRIBUTES_BYTES:
        raise ValidationFailed(
            f"attributes must be at most {MAX_ATTRIBUTES_BYTES} characters of JSON", field="attributes"
        )
    return value


def _check_json(value: object, depth: int) -> None:
    if depth > MAX_ATTRIBUTE_DEPTH:
        raise ValidationFailed(f"attributes may nest at most {MAX_ATTRIBUTE_DEPTH} levels", field="attributes")
    if isinstance(value, dict):
        if len(value) > MAX_ATTRIBUTE_KEYS:
            raise ValidationFailed(
                f"attributes may hold at most {MAX_ATTRIBUTE_KEYS} keys per object", field="attributes"
            )
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationFailed("attribute names must be text", field="attributes")
            check_text(key, "attributes", 64)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_ATTRIBUTE_KEYS:
            raise ValidationFailed(f"attribute lists may hold at most {MAX_ATTRIBUTE_KEYS} items", field="attributes")
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, str):
        check_text(value, "attributes", MAX_ATTRIBUTES_BYTES, min_length=0, multiline=True)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationFailed("attribute numbers must be finite", field="attributes")
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_ID:
            raise ValidationFailed("attribute integers must fit in 64 bits", field="attributes")
    elif not (value is None or isinstance(value, bool)):
        raise ValidationFailed("attributes must hold only JSON values", field="attributes")


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
        check_text(name, "attachments", 255)
        if not isinstance(ctype, str) or "/" not in ctype or len(ctype) > 127:
            raise ValidationFailed("attachment content_type must be a MIME type", field="attachments")
        check_text(ctype, "attachments", 127)
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_ID:
            raise ValidationFailed("attachment size must be a non-negative integer", field="attachments")
        out.append({"filename": name, "content_type": ctype, "size": size})
    return out


@dataclass(frozen=True, slots=True)
class InteractionFilter:
    """What a list of interactions may be narrowed by; None means 'any'."""

    channel: Channel | None = None
    status: S | None = None
    direction: Direction | None = None
    customer_id: int | None = None
    case_id: int | None = None
    agent_id: int | None = None
    queue_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def make_filter(
    channel: str | None = None,
    status: str | None = None,
    direction: str | None = None,
    customer_id: int | None = None,
    case_id: int | None = None,
    agent_id: int | None = None,
    queue_id: int | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> InteractionFilter:
    """Check raw filter values (from a query string) and build the filter."""
    return InteractionFilter(
        channel=parse_enum(Channel, channel, "channel") if channel is not None else None,
        status=parse_enum(S, status, "status") if status is not None else None,
        direction=parse_enum(Direction, direction, "direction") if direction is not None else None,
        customer_id=check_id(customer_id, "customer_id") if customer_id is not None else None,
        case_id=check_id(case_id, "case_id") if case_id is not None else None,
        agent_id=check_id(agent_id, "agent_id") if agent_id is not None else None,
        queue_id=check_id(queue_id, "queue_id") if queue_id is not None else None,
        created_after=as_utc(created_after, "created_after") if created_after is not None else None,
        created_before=as_utc(created_before, "created_before") if created_before is not None else None,
    )
