"""The router's clock: fires due timers twice a second, pushes changed wallboards every 2 s, and re-plans
site overflow weights every 15 minutes."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from helpline.bootstrap import Container
from helpline.services import routing

log = logging.getLogger("helpline.workers.router_clock")

TICK_SECONDS = 0.5
WALLBOARD_SECONDS = 2.0
REPLAN_SECONDS = 15 * 60.0


async def run(container: Container) -> None:
    """Runs until cancelled; an error in one round is logged and the loop goes on."""
    deps = container.deps
    if deps.routing is None:
        return
    boards: dict[int, Any] = {}
    next_board = next_replan = time.monotonic()
    next_replan += REPLAN_SECONDS  # weights as configured for the first quarter of an hour
    while True:
        try:
            await asyncio.to_thread(deps.routing.tick)
            now = time.monotonic()
            if now >= next_board:
                next_board = now + WALLBOARD_SECONDS
                await asyncio.to_thread(push_wallboards, container, boards)
            if now >= next_replan:
                next_replan = now + REPLAN_SECONDS
                await asyncio.to_thread(routing.replan_overflow, deps)
        except asyncio.CancelledError:
            raise
        except Exception:  # the clock must keep running: one bad round is logged, not fatal
            log.exception("router clock round failed")
        await asyncio.sleep(TICK_SECONDS)


def push_wallboards(container: Container, last: dict[int, Any]) -> int:
    """Publish a `wallboard` event for every tenant whose wallboard changed since the last push."""
    deps = container.deps
    pushed = 0
    for tenant_id in deps.routing.tenant_ids():
        board = deps.routing.snapshot(tenant_id)
        if last.get(tenant_id) == board:
            continue
        last[tenant_id] = board
        deps.events.publish({"type": "wallboard", "topics": [f"tenant:{tenant_id}"], **board, "tenant_id": tenant_id})
        pushed += 1
    return pushed
