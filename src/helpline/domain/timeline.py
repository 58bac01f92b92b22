"""Customer 360 wording: the one-line summary an agent reads before saying hello."""

from __future__ import annotations

from datetime import datetime


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


def contact_summary(last_channel: str | None, last_at: datetime | None, case_id: int | None,
                    case_status: str | None, now: datetime) -> str:
    """E.g. 'last contact: email, 3 days ago, case #123 open'."""
    if last_channel is None or last_at is None:
        return "no contact yet"
    text = f"last contact: {last_channel.replace('_', ' ')}, {ago(last_at, now)}"
    if case_id is not None:
        text += f", case #{case_id} {case_status}"
    return text
