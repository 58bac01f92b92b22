"""The chat watcher: every 2 s, tell waiting chat customers where they stand and end the chats of
customers who have gone (see services.chat.watch)."""

from __future__ import annotations

import asyncio
import logging

from helpline.bootstrap import Container
from helpline.services import chat

INTERVAL_SECONDS = 2.0
log = logging.getLogger("helpline.workers.chat_watch")


async def run(container: Container, interval: float = INTERVAL_SECONDS) -> None:
    """Runs until cancelled; a failed round is logged and the next one runs as usual."""
    memo = chat.WatchMemo()
    while True:
        await asyncio.sleep(interval)
        try:
            # The round reads and writes the database: off the event loop, which serves the streams.
            await asyncio.to_thread(chat.watch, container.deps, memo)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("chat watch round failed")
