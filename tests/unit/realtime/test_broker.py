"""The event broker: topics, replay by id, reset, ordering across threads, slow subscribers."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from helpline.realtime.broker import RESET, Broker, Delivered, Subscription
from helpline.realtime.sse import HEARTBEAT, frame, parse_last_event_id, stream


def event(n: int, *topics: str) -> dict[str, Any]:
    return {"type": "message", "topics": list(topics), "tenant_id": 1, "n": n}


async def drain(subscription: Subscription, timeout: float = 0.05) -> list[Delivered]:
    out = []
    while (item := await subscription.next(timeout)) is not None:
        out.append(item)
    return out


def test_subscribers_get_only_their_topics() -> None:
    async def scenario() -> None:
        broker = Broker()
        agent = broker.subscribe(["agent:1"])
        board = broker.subscribe(["tenant:1", "tenant:2"])
        broker.publish(event(1, "agent:1", "tenant:1"))
        broker.publish(event(2, "agent:2"))
        broker.publish({"type": "legacy", "tenant_id": 2})  # no topics: goes to its tenant
        broker.publish({"type": "nowhere"})
        assert [d.event.get("n") for d in await drain(agent)] == [1]
        assert [d.event["type"] for d in await drain(board)] == ["message", "legacy"]
        assert broker.has_subscriber("agent:1") and not broker.has_subscriber("agent:2")
        agent.close()
        assert not broker.has_subscriber("agent:1") and broker.subscriber_count == 1

    asyncio.run(scenario())


def test_resume_by_id_replays_exactly_what_was_missed() -> None:
    async def scenario() -> None:
        broker = Broker()
        first = broker.subscribe(["chat:7"])
        broker.publish(event(1, "chat:7"))
        seen = await drain(first)
        first.close()
        for n in range(2, 6):
            broker.publish(event(n, "chat:7" if n != 4 else "chat:8"))
        again = broker.subscribe(["chat:7"], last_event_id=seen[-1].id)
        broker.publish(event(6, "chat:7"))
        got = await drain(again)
        assert [d.event["n"] for d in got] == [2, 3, 5, 6]
        assert [d.id for d in got] == sorted(d.id for d in got) and got[0].id > seen[-1].id
        # Resuming from the newest id replays nothing.
        latest = broker.subscribe(["chat:7"], last_event_id=got[-1].id)
        assert await drain(latest) == []

    asyncio.run(scenario())


def test_an_id_too_old_or_from_before_a_restart_gets_a_reset() -> None:
    async def scenario() -> None:
        broker = Broker(capacity=3)
        start = broker.last_id
        for n in range(10):
            broker.publish(event(n, "t"))
        too_old = broker.subscribe(["t"], last_event_id=start + 1)
        (reset,) = await drain(too_old)
        assert reset.event["type"] == RESET and reset.id == broker.last_id
        just_kept = broker.subscribe(["t"], last_event_id=broker.last_id - 3)
        assert [d.event["n"] for d in await drain(just_kept)] == [7, 8, 9]
        earlier = broker.subscribe(["t"], last_event_id=12345)  # an id of a previous run: far smaller
        assert [d.event["type"] for d in await drain(earlier)] == [RESET]
        future = broker.subscribe(["t"], last_event_id=broker.last_id + 1000)
        assert [d.event["type"] for d in await drain(future)] == [RESET]

    asyncio.run(scenario())


def test_a_restarted_broker_starts_above_every_earlier_id() -> None:
    before = Broker()
    for n in range(500):  # ids start from the clock in milliseconds x 1000: a run would need 1000 events/ms to catch up
        before.publish(event(n, "t"))
    time.sleep(0.002)
    assert Broker().last_id > before.last_id


def test_publishing_from_many_threads_keeps_id_order_and_loses_nothing() -> None:
    async def scenario() -> None:
        broker = Broker()
        subscription = broker.subscribe(["t"])

        def publisher(k: int) -> None:
            for n in range(500):
                broker.publish(event(k * 1000 + n, "t"))

        threads = [threading.Thread(target=publisher, args=(k,)) for k in range(8)]

        def run_all() -> None:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        await asyncio.to_thread(run_all)
        got = await drain(subscription, 0.2)
        assert len(got) == 4000
        assert [d.id for d in got] == sorted(d.id for d in got)  # delivered in id order: resuming loses nothing
        assert len({d.event["n"] for d in got}) == 4000

    asyncio.run(scenario())


def test_a_slow_subscriber_is_cut_off_and_resumes_by_id() -> None:
    async def scenario() -> None:
        broker = Broker(queue_limit=5)
        slow = broker.subscribe(["t"])
        for n in range(10):
            broker.publish(event(n, "t"))
        await asyncio.sleep(0)  # let the loop run the hand-overs
        got = []
        while (item := await slow.next(0.05)) is not None:
            got.append(item)
        assert [d.event["n"] for d in got] == [0, 1, 2, 3, 4] and slow.closed
        assert broker.subscriber_count == 0
        resumed = broker.subscribe(["t"], last_event_id=got[-1].id)
        assert [d.event["n"] for d in await drain(resumed)] == [5, 6, 7, 8, 9]

    asyncio.run(scenario())


def test_stream_frames_heartbeats_filters_and_stops() -> None:
    async def scenario() -> None:
        broker = Broker()
        subscription = broker.subscribe(["t"])
        gone = False
        closed: list[bool] = []

        async def is_disconnected() -> bool:
            return gone

        frames = stream(
            subscription,
            is_disconnected,
            view=lambda e: None if e.get("secret") else {"type": e["type"], "n": e["n"]},
            heartbeat=0.05,
            on_close=lambda: closed.append(True),
        )
        assert (await anext(frames)).startswith(b"retry: 2000")
        assert await anext(frames) == HEARTBEAT
        broker.publish({**event(1, "t"), "secret": True})
        broker.publish(event(2, "t"))
        shown = await anext(frames)
        assert b'"n":2' in shown and b"topics" not in shown and shown.startswith(b"id: ")
        gone = True
        assert [f async for f in frames] == []
        assert closed == [True] and broker.subscriber_count == 0

    asyncio.run(scenario())


def test_frame_and_last_event_id_parsing() -> None:
    raw = frame(Delivered(42, {"type": "chat.queue", "position": 3}))
    assert raw == b'id: 42\nevent: chat.queue\ndata: {"type":"chat.queue","position":3,"id":42}\n\n'
    assert parse_last_event_id("17", "5") == 17
    assert parse_last_event_id(None, "5") == 5
    assert parse_last_event_id("abc", None) is None
    assert parse_last_event_id("9" * 30, None) is None
    assert parse_last_event_id("-1", "x") is None
