"""Estimated wait for a customer in a queue: their place times the average handle time, shared by the agents."""

from __future__ import annotations

import math
from collections.abc import Sequence

DEFAULT_HANDLE_SECONDS = 180.0  # assumed when a queue has no wrapped-up history yet


def average_handle_seconds(samples: Sequence[float]) -> float:
    """Mean of the recent handle times (answer to end of wrap-up); the default when there are none."""
    usable = [s for s in samples if math.isfinite(s) and s >= 0]
    return sum(usable) / len(usable) if usable else DEFAULT_HANDLE_SECONDS


def estimated_wait_seconds(position: int, handle_seconds: float, agents: int) -> float:
    """`position` (1 = next) x average handle time / agents able to serve the queue (at least one).

    Deliberately simple and monotonic: the customer sees it go down as they move up, never jump.
    """
    if position < 1:
        return 0.0
    return position * max(0.0, handle_seconds) / max(1, agents)
