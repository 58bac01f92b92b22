"""The in-process event hub: services publish typed events, desktops and wallboards subscribe by topic.

Every event gets an id that only grows, and the last `capacity` events are kept, so a client that
reconnects with its last event id gets exactly what it missed. A client whose id is older than
what is kept (or from before a restart: ids start from the clock, so they jump at every start) gets
one `reset` event and reloads its state from the API.

Publishing is thread-safe: services run in FastAPI's thread pool and hand events to the event
loop of each subscriber with `call_soon_threadsafe`. The hand-over happens under the broker's lock,
so every subscriber sees events in id order (a client resuming from id N must never have skipped an
earlier one). One process only; a Redis or NATS bridge is the way to several processes (not built yet).

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
    """One client's stream: the events it missed, then live ones, as an async iterator.

    `closed` turns true when the broker cut it off (too slow) or it was closed: its reader should
    end the stream; the client reconnects with its last id and loses nothing.
    """

    broker: Broker
    topics: frozenset[str]
    loop: asyncio.AbstractEventLoop
    limit: int = QUEUE_LIMIT
    queue: asyncio.Queue[Delivered | None] = field(default_factory=asyncio.Queue)
    closed: bool = False

    def push(self, item: Delivered | None) -> None:  # runs on the subscriber's loop
        if self.closed:
            return
        if item is not None and self.queue.qsize() >= self.limit:
            self.closed = True
            self.broker.unsubscribe(self)
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(item)

    async def next(self, timeout: float | None = None) -> Delivered | None:
        """The next event, or None on timeout (callers send a heartbeat then) or when cut off."""
        if self.closed and self.queue.empty():
            return None
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
        self.closed = True
        self.broker.unsubscribe(self)


class Broker:
    """Implements the services' EventPublisher port."""

    def __init__(self, capacity: int = 50_000, queue_limit: int = QUEUE_LIMIT) -> None:
        self._lock = threading.Lock()
        self._ring: deque[tuple[int, tuple[str, ...], dict[str, Any]]] = deque(maxlen=capacity)
        # Ids start from the clock so that ids handed out before a restart are always older.
        self._next_id = int(time.time() * 1000) * 1000
        self._first_id = self._next_id
        self._by_topic: dict[str, set[Subscription]] = {}
        self._subscribers: set[Subscription] = set()
        self._queue_limit = queue_limit
        self.published: list[dict[str, Any]] = []  # the last few events, for tests and debugging

    def publish(self, event: dict[str, Any]) -> None:
        topics = topics_of(event)
        with self._lock:
            self._next_id += 1
            event_id = self._next_id
            self._ring.append((event_id, topics, event))
            self.published.append(event)
            if len(self.published) > 2000:
                del self.published[:-1000]
            targets: set[Subscription] = set()
            for topic in topics:
                targets.update(self._by_topic.get(topic, ()))
            item = Delivered(event_id, event)
            gone = []
            for subscription in targets:
                try:
                    subscription.loop.call_soon_threadsafe(subscription.push, item)
                except RuntimeError:  # that client's loop is closed: it is gone
                    gone.append(subscription)
            for subscription in gone:
                self._remove(subscription)

    def subscribe(self, topics: Iterable[str], last_event_id: int | None = None) -> Subscription:
        """Must be called from the event loop the subscriber reads on."""
        subscription = Subscription(self, frozenset(topics), asyncio.get_running_loop(), self._queue_limit)
        with self._lock:
            if last_event_id is not None:
                evicted = bool(self._ring) and last_event_id < self._ring[0][0] - 1
                if evicted or not self._first_id <= last_event_id <= self._next_id:
                    subscription.queue.put_nowait(Delivered(self._next_id, {"type": RESET, "topics": []}))
                else:
                    for event_id, event_topics, event in self._ring:
                        if event_id > last_event_id and not subscription.topics.isdisjoint(event_topics):
                            subscription.queue.put_nowait(Delivered(event_id, event))
            for topic in subscription.topics:
                self._by_topic.setdefault(topic, set()).add(subscription)
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._remove(subscription)

    def _remove(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)
        for topic in subscription.topics:
            members = self._by_topic.get(topic)
            if members is not None:
                members.discard(subscription)
                if not members:
                    del self._by_topic[topic]

    def has_subscriber(self, topic: str) -> bool:
        """Whether anyone listens on `topic` now (a chat customer's open stream, for instance)."""
        with self._lock:
            return bool(self._by_topic.get(topic))

    @property
    def last_id(self) -> int:
        return self._next_id

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
