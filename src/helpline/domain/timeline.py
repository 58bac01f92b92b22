"""Customer 360 timeline: its entries, the paging cursor, and the one-line summary an agent reads first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from helpline.domain.errors import ValidationFailed

MAX_TIMELINE_PAGE = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"^(-?\d{1,18})\.(\d{1,19})$")


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One interaction as the timeline shows it, with the names it needs already joined in."""

    id: int
    channel: str
    direction: str
    status: str
    subject: str | None
    created_at: datetime
    case_id: int | None
    case_status: str | None
    agent_name: str | None
    queue_name: str | None


def encode_cursor(created_at: datetime, entry_id: int) -> str:
    """An opaque, URL-safe position: '<microseconds since 1970>.<id>' of the last entry seen."""
    return f"{(created_at - _EPOCH) // timedelta(microseconds=1)}.{entry_id}"


def decode_cursor(text: object, field: str = "before") -> tuple[datetime, int]:
    if not isinstance(text, str) or not (match := _CURSOR.match(text.strip())):
        raise ValidationFailed(f"{field} must be a cursor returned by a previous page", field=field)
    micros, entry_id = int(match.group(1)), int(match.group(2))
    try:
        at = _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise ValidationFailed(f"{field} must be a cursor returned by a previous page", field=field) from None
    if not 0 < entry_id < 2**63:
        raise ValidationFailed(f"{field} must be a cursor returned by a previous page", field=field)
    return at, entry_id


def check_page_size(limit: object, field: str = "limit") -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_TIMELINE_PAGE:
        raise ValidationFailed(f"{field} must be from 1 to {MAX_TIMELINE_PAGE}", field=field)
    return limit


def ago(then: datetime, now: datetime) -> str:
    """'just now', '5 minutes ago', '3 days ago', ... (rounded down, like people say it)."""
    seconds = int((now - then).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((31_536_000, "year"), (2_592_000, "month"), (86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"  # pragma: no cover - the loop always returns for seconds >= 60


def contact_summary(
    last_channel: str | None, last_at: datetime | None, case_id: int | None, case_status: str | None, now: datetime
) -> str:
    """E.g. 'last contact: email, 3 days ago, case #123 open'."""
    if last_channel is None or last_at is None:
        return "no contact yet"
    text = f"last contact: {last_channel.replace('_', ' ')}, {ago(last_at, now)}"
    if case_id is not None:
        text += f", case #{case_id} {case_status}"
    return text
