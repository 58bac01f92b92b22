"""The in-process event hub: services publish typed events, desktops and wallboards subscribe by topic.

Every event gets an id that only grows, and the last `capacity` events are kept, so a client that
reconnects with its last event id gets exactly what it missed. A client whose id is older than
what is kept (or from before a restart: ids start from the clock, so they jump at every start) gets
one `reset` event and reloads its state from the API.

Publishing is thread-safe: services run in FastAPI's thread pool and hand events to the event
loop of each subscriber with `call_soon_threadsafe`. One process only; a Redis or NATS bridge is
the way to several processes (not built yet).

Event shape: {"type": str, "topics": [str, ...], "tenant_id": int | None, ...}. Events without
topics (older services announce with just a tenant id) go to "tenant:{tenant_id}".
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

RESET = "reset"
QUEUE_LIMIT = 10_000  # events waiting for one slow subscriber before it is cut off (it resumes by id)


@dataclass(frozen=True, slots=True)
class Delivered:
    id: int
    event: dict[str, Any]


def topics_of(event: dict[str, Any]) -> tuple[str, ...]:
    topics = event.get("topics")
    if topics:
        return tuple(topics)
    tenant_id = event.get("tenant_id")
    return (f"tenant:{tenant_id}",) if tenant_id is not None else ()


@dataclass(eq=False)
class Subscription:
    """One client's stream: the events it missed, then live ones, as an async iterator."""

    broker: Broker
    topics: frozenset[str]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Delivered | None] = field(default_factory=asyncio.Queue)

    def push(self, item: Delivered | None) -> None:  # runs on the subscriber's loop
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.broker.unsubscribe(self)
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(item)

    async def next(self, timeout: float | None = None) -> Delivered | None:
        """The next event, or None on timeout (callers send a heartbeat then) or when cut off."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[Delivered]:
        while True:
            item = await self.queue.get()
            if item is None:
                return
            yield item

    def close(self) -> None:
        self.broker.unsubscribe(self)


class Broker:
    """Implements the services' EventPublisher port."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._lock = threading.Lock()
        self._ring: deque[tuple[int, tuple[str, ...], dict[str, Any]]] = deque(maxlen=capacity)
        # Ids start from the clock so that ids handed out before a restart are always older.
        self._next_id = int(time.time() * 1000) * 1000
        self._first_id = self._next_id
        self._subscribers: set[Subscription] = set()
        self.published: list[dict[str, Any]] = []  # the last few events, for tests and debugging

    def publish(self, event: dict[str, Any]) -> None:
        topics = topics_of(event)
        with self._lock:
            self._next_id += 1
            event_id = self._next_id
            self._ring.append((event_id, topics, event))
            self.published.append(event)
            del self.published[:-1000]
            targets = [s for s in self._subscribers if not s.topics.isdisjoint(topics)]
        item = Delivered(event_id, event)
        for subscription in targets:
            try:
                subscription.loop.call_soon_threadsafe(subscription.push, item)
            except RuntimeError:  # that client's loop is closed: it is gone
                self.unsubscribe(subscription)

    def subscribe(self, topics: Iterable[str], last_event_id: int | None = None) -> Subscription:
        """Must be called from the event loop the subscriber reads on."""
        subscription = Subscription(self, frozenset(topics), asyncio.get_running_loop())
        with self._lock:
            if last_event_id is not None:
                evicted = bool(self._ring) and last_event_id < self._ring[0][0] - 1
                if evicted or not self._first_id <= last_event_id <= self._next_id:
                    subscription.queue.put_nowait(Delivered(self._next_id, {"type": RESET, "topics": []}))
                else:
                    for event_id, event_topics, event in self._ring:
                        if event_id > last_event_id and not subscription.topics.isdisjoint(event_topics):
                            subscription.queue.put_nowait(Delivered(event_id, event))
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    @property
    def last_id(self) -> int:
        return self._next_id

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
