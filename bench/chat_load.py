"""Web chat under load: 200 chat customers and 50 agents over loopback against one real server.

Every customer starts a chat through the public API and listens on its event stream; every agent
signs in, goes available, listens on its desk stream and accepts the offers it gets. Then both sides
write for `--seconds`: each customer and each agent (per chat) sends a message every `--interval`
seconds. Measured: delivery latency from just before the POST to the moment the other side's SSE
event arrives (p50 / p99 / max), and messages lost or delivered twice (both must be zero).
Target (issue 3): p99 <= 100 ms with nothing lost.

Customers connect from distinct loopback addresses (127.0.x.y), as real visitors would, so the
per-address limit on starting chats applies to each as it would in production.

    python -m bench.chat_load [--customers 200] [--agents 50] [--seconds 30] [--interval 5] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench.harness import console, fresh_postgres, fresh_sqlite, percentile, report, server
from helpline.bootstrap import build
from helpline.config import Settings
from helpline.services import agents, queues, tenants, users

PASSWORD = "bench password!"
STREAM = {"Accept": "text/event-stream"}
QUIET = ("--no-access-log", "--log-level", "warning")
SSE_TIMEOUT = httpx.Timeout(30.0, read=None)  # streams are quiet for up to a heartbeat


# --- the server ---------------------------------------------------------------------------------


def serve(database_url: str) -> Any:
    """The server as `helpline serve` runs it, without the access log (it would cost the server time here)."""
    return server(
        database_url, command=[sys.executable, "-m", "uvicorn", "helpline.web.app:create_app", "--factory", *QUIET]
    )


def seed(url: str, n_agents: int) -> tuple[int, list[str]]:
    """A tenant with one chat queue and `n_agents` agents who may hold enough chats at once."""
    container = build(Settings(database_url=url), fast_hashing=True)
    d = container.deps
    tenant = tenants.create_tenant(d, None, "bench", "Bench Shop", "UTC", "en", "US")
    admin = users.create_user(d, None, "admin@bench.test", "Bench Admin", "admin", PASSWORD)
    from helpline.domain.permissions import Principal
    from helpline.domain.vocabulary import Role

    root = Principal(Role.ADMIN, None, user_id=admin.id, name=admin.name)
    queue = queues.create_queue(d, root, tenant.id, "Support", "chat", "en", offer_timeout_seconds=120)
    agents.save_profile(d, root, "bench-chat", limits={"chat": 6}, exclusive=["voice"], interruptible=["email"])
    emails = []
    for i in range(n_agents):
        email = f"agent{i}@bench.test"
        user = users.create_user(d, None, email, f"Agent {i}", "agent", PASSWORD, [tenant.id])
        agents.configure_agent(d, root, user.id, languages=["en"], profile="bench-chat")
        emails.append(email)
    container.close()
    return int(queue.id), emails


# --- server-sent events ---------------------------------------------------------------------------


@asynccontextmanager
async def events(client: httpx.AsyncClient, url: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
    async with client.stream("GET", url, headers=STREAM, timeout=SSE_TIMEOUT) as response:
        if response.status_code != 200:
            raise RuntimeError(f"stream {url}: {response.status_code} {(await response.aread())[:200]!r}")

        async def parsed() -> AsyncIterator[dict[str, Any]]:
            data = None
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    data = line[6:]
                elif not line and data is not None:
                    yield json.loads(data)
                    data = None

        yield parsed()


# --- the measurement ------------------------------------------------------------------------------


@dataclass
class Tally:
    sent_at: dict[str, float] = field(default_factory=dict)  # tag -> perf_counter before the POST
    received: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    post_failures: int = 0
    post_ms: list[float] = field(default_factory=list)  # how long the sending POST itself took

    def arrived(self, tag: str) -> None:
        self.received[tag] += 1
        sent = self.sent_at.get(tag)
        if sent is not None and self.received[tag] == 1:
            self.latencies_ms.append((time.perf_counter() - sent) * 1000)


@dataclass
class Run:
    base: str
    queue_id: int
    seconds: float
    interval: float
    tally: Tally = field(default_factory=Tally)
    joined: dict[int, asyncio.Event] = field(default_factory=dict)  # interaction id -> an agent joined
    sending: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # writers stop; readers go on until cancelled
    held: Counter[int] = field(default_factory=Counter)  # agent index -> chats accepted


async def agent_side(run: Run, index: int, email: str, ready: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=run.base, timeout=30) as client:
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        login.raise_for_status()
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        writers: list[asyncio.Task[None]] = []
        async with events(client, "/api/v1/events") as stream:
            (await client.put("/api/v1/me/presence", json={"presence": "available"})).raise_for_status()
            ready.set()
            async for event in stream:
                kind = event["type"]
                if kind == "offer":
                    interaction_id = event["interaction_id"]
                    accepted = await client.post(f"/api/v1/tenants/bench/interactions/{interaction_id}/accept")
                    if accepted.status_code == 200:
                        run.held[index] += 1
                        writers.append(asyncio.create_task(agent_writer(run, client, interaction_id)))
                elif kind == "message" and event["message"]["author_kind"] == "customer":
                    run.tally.arrived(event["message"]["body"])
        for task in writers:
            task.cancel()
        await asyncio.gather(*writers, return_exceptions=True)


async def agent_writer(run: Run, client: httpx.AsyncClient, interaction_id: int) -> None:
    await run.sending.wait()
    await asyncio.sleep(random.uniform(0, run.interval))
    n = 0
    url = f"/api/v1/tenants/bench/interactions/{interaction_id}/messages"
    while not run.stop.is_set():
        n += 1
        tag = f"a{interaction_id}-{n}"
        run.tally.sent_at[tag] = time.perf_counter()
        response = await client.post(url, json={"author_kind": "agent", "body": tag})
        run.tally.post_ms.append((time.perf_counter() - run.tally.sent_at[tag]) * 1000)
        if response.status_code != 201:
            run.tally.post_failures += 1
            del run.tally.sent_at[tag]
        await asyncio.sleep(run.interval)


async def customer_side(run: Run, index: int, started: asyncio.Semaphore) -> None:
    address = f"127.0.{1 + index // 250}.{1 + index % 250}"
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=f"{run.base}/api/v1/chat/bench", transport=transport, timeout=30) as client:
        async with started:
            body = {"name": f"Customer {index}", "email": f"c{index}@example.com", "language": "en"}
            response = await client.post("/sessions", json={**body, "queue_id": run.queue_id})
        response.raise_for_status()
        chat = response.json()
        interaction_id = chat["interaction_id"]
        joined = run.joined.setdefault(interaction_id, asyncio.Event())
        session = f"/sessions/{chat['session_id']}"
        client.headers["X-Chat-Token"] = chat["token"]
        writer: asyncio.Task[None] | None = None
        url = f"{session}/events?last_event_id={chat['resume_from']}"
        async with events(client, url) as stream:
            async for event in stream:
                kind = event["type"]
                if kind == "chat.joined":
                    joined.set()
                    if writer is None:
                        writer = asyncio.create_task(customer_writer(run, client, session, interaction_id))
                elif kind == "message" and event["message"]["author_kind"] == "agent":
                    run.tally.arrived(event["message"]["body"])
        if writer is not None:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)


async def customer_writer(run: Run, client: httpx.AsyncClient, session: str, interaction_id: int) -> None:
    await run.sending.wait()
    await asyncio.sleep(random.uniform(0, run.interval))
    n = 0
    while not run.stop.is_set():
        n += 1
        tag = f"c{interaction_id}-{n}"
        run.tally.sent_at[tag] = time.perf_counter()
        response = await client.post(f"{session}/messages", json={"body": tag})
        run.tally.post_ms.append((time.perf_counter() - run.tally.sent_at[tag]) * 1000)
        if response.status_code != 201:
            run.tally.post_failures += 1
            del run.tally.sent_at[tag]
        await asyncio.sleep(run.interval)


async def drive(run: Run, agent_emails: list[str], n_customers: int) -> dict[str, Any]:
    readies = [asyncio.Event() for _ in agent_emails]
    agent_tasks = [asyncio.create_task(agent_side(run, i, e, readies[i])) for i, e in enumerate(agent_emails)]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
    t0 = time.perf_counter()
    gate = asyncio.Semaphore(20)
    customer_tasks = [asyncio.create_task(customer_side(run, i, gate)) for i in range(n_customers)]
    while len(run.joined) < n_customers or not all(e.is_set() for e in run.joined.values()):
        await asyncio.sleep(0.1)
        failed = [t for t in customer_tasks + agent_tasks if t.done() and t.exception()]
        if failed:
            raise RuntimeError(f"a participant failed: {failed[0].exception()!r}")
        if time.perf_counter() - t0 > 120:
            raise RuntimeError(f"only {sum(e.is_set() for e in run.joined.values())} chats were answered in 120 s")
    connect_seconds = time.perf_counter() - t0
    console.print(f"{n_customers} chats started and accepted in {connect_seconds:.1f} s; exchanging messages...")
    run.sending.set()
    await asyncio.sleep(run.seconds)
    run.stop.set()
    # Let what is in flight arrive: until every message sent has been received, or 15 s.
    deadline = time.perf_counter() + 15
    while time.perf_counter() < deadline and set(run.tally.sent_at) - set(run.tally.received):
        await asyncio.sleep(0.2)
    for task in customer_tasks + agent_tasks:
        task.cancel()
    await asyncio.gather(*customer_tasks, *agent_tasks, return_exceptions=True)
    tally = run.tally
    sent = set(tally.sent_at)
    lost = len(sent - set(tally.received))
    duplicated = sum(1 for tag, count in tally.received.items() if count > 1)
    unexpected = len(set(tally.received) - sent)
    lat = tally.latencies_ms
    return {
        "customers": n_customers,
        "agents": len(agent_emails),
        "connect_seconds": round(connect_seconds, 2),
        "messages": len(sent),
        "messages_per_second": round(len(sent) / run.seconds, 1),
        "latency_p50_ms": round(percentile(lat, 50), 2) if lat else None,
        "latency_p99_ms": round(percentile(lat, 99), 2) if lat else None,
        "latency_max_ms": round(max(lat), 2) if lat else None,
        "post_p50_ms": round(percentile(tally.post_ms, 50), 2) if tally.post_ms else None,
        "post_p99_ms": round(percentile(tally.post_ms, 99), 2) if tally.post_ms else None,
        "lost": lost,
        "duplicated": duplicated,
        "unexpected": unexpected,
        "post_failures": tally.post_failures,
        "agents_holding": sum(1 for count in run.held.values() if count),
    }


def one_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    queue_id, emails = seed(url, args.agents)
    with serve(url) as base:
        run = Run(base, queue_id, args.seconds, args.interval)
        figures = asyncio.run(drive(run, emails, args.customers))
    return {"backend": name, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help="seconds between messages of one customer, and of one agent per chat",
    )
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(one_backend("sqlite", fresh_sqlite(Path(tmp), "chat_load"), args))
    if args.postgres:
        pg = fresh_postgres("helpline_bench_chat")
        if pg:
            results.append(one_backend("postgresql", pg, args))
    columns = [
        "backend",
        "messages",
        "msg/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "POST p99 ms",
        "lost",
        "dup",
        "failed POSTs",
    ]
    rows = [
        [
            r["backend"],
            r["messages"],
            r["messages_per_second"],
            r["latency_p50_ms"],
            r["latency_p99_ms"],
            r["latency_max_ms"],
            r["post_p99_ms"],
            r["lost"],
            r["duplicated"],
            r["post_failures"],
        ]
        for r in results
    ]
    ok = all(r["lost"] == 0 and r["duplicated"] == 0 and (r["latency_p99_ms"] or 1e9) <= 100 for r in results)
    report(
        f"chat load: {args.customers} customers, {args.agents} agents, {args.seconds:g} s",
        columns,
        rows,
        {"results": results, "target_p99_ms": 100, "target_met": ok},
    )


if __name__ == "__main__":
    main()
