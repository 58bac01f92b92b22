"""Login rate limiting as a pure rule over past failures, so it is testable without a clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def retry_after(
    failures: Sequence[datetime], now: datetime, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW
) -> int:
    """Seconds until another attempt is allowed, or 0 if allowed now.

    `failures` are the times of failed attempts for one key (user name + address) inside the
    window. After `max_failures` of them, the key waits until the oldest one leaves the window.
    """
    recent = sorted(t for t in failures if now - t < window)
    if len(recent) < max_failures:
        return 0
    oldest_that_counts = recent[-max_failures]
    return max(1, int((oldest_that_counts + window - now).total_seconds()) + 1)
