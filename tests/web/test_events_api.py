"""Live events over a real server (uvicorn in a subprocess on the test database): who may follow what,
and a reconnect with Last-Event-ID that loses nothing and repeats nothing."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2 as httpx
import pytest
from bench.harness import free_port

from helpline.services import queues
from tests.conftest import PASSWORD, World

STREAM = {"Accept": "text/event-stream"}


@pytest.fixture
def base(world: World) -> Iterator[str]:
    """`helpline serve` on a loopback port over the test's own database (like bench.harness.server,
    with its error output in a file that is closed afterwards)."""
    port = free_port()
    env = {**os.environ, "HELPLINE_DATABASE_URL": world.container.settings.database_url}
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "helpline", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            deadline = time.monotonic() + 30
            while not _listening(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    pytest.fail(f"the server did not start: {errors.read().decode()[-2000:]}")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def clients() -> Iterator[list[httpx.Client]]:
    """Every client a test opens, closed at the end (an open socket is a ResourceWarning, an error here)."""
    opened: list[httpx.Client] = []
    yield opened
    for client in opened:
        client.close()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def signed_in(base: str, world: World, name: str, clients: list[httpx.Client]) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    clients.append(client)
    response = client.post("/api/v1/auth/login", json={"email": world.users[name].email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


class Events:
    """Reads server-sent events from an open streaming response, one at a time."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        self.lines = response.iter_lines()
        assert next(self.lines).startswith("retry:")  # the opening: the subscription is in place

    def next(self, kind: str | None = None) -> dict[str, Any]:
        """The next event (of `kind`, skipping others); heartbeats and comments are skipped."""
        fields: dict[str, str] = {}
        for line in self.lines:
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if "data" in fields:
                data: dict[str, Any] = json.loads(fields["data"])
                assert str(data["id"]) == fields["id"] and data["type"] == fields["event"]
                if kind is None or data["type"] == kind:
                    return data
            fields = {}
        raise AssertionError("the stream ended")


@contextmanager
def stream(client: httpx.Client, url: str, headers: dict[str, str] | None = None) -> Iterator[Events]:
    with client.stream("GET", url, headers={**STREAM, **(headers or {})}) as response:
        yield Events(response)


def chat_queue(world: World) -> int:
    row = queues.create_queue(
        world.container.deps, world.principal("acme_supervisor"), world.tenants["acme"].id, "Cards", "chat", "en"
    )
    return int(row.id)


def start_chat(base: str, queue_id: int) -> dict[str, Any]:
    body = {"name": "Dana", "email": "dana@example.com", "language": "en", "queue_id": queue_id}
    response = httpx.post(f"{base}/api/v1/chat/acme/sessions", json=body, timeout=10)
    assert response.status_code == 201, response.text
    started: dict[str, Any] = response.json()
    return started


def test_staff_streams_are_authorized_per_topic(world: World, base: str, clients: list[httpx.Client]) -> None:
    queue_id = chat_queue(world)
    started = start_chat(base, queue_id)
    interaction = started["interaction_id"]
    agent = signed_in(base, world, "acme_agent", clients)
    assert httpx.get(f"{base}/api/v1/events", headers=STREAM).status_code == 401
    assert agent.get("/api/v1/events").status_code == 406  # not asked for as a stream: no endless answer
    for query, status in [
        ("?tenant=globex", 404),
        ("?tenant=nope", 404),
        (f"?interaction={interaction}", 422),  # needs its tenant
        (f"?tenant=acme&interaction={interaction}", 403),  # an agent who does not hold it
        ("?tenant=acme&interaction=99999999", 404),
        ("?tenant=acme&interaction=abc", 422),
    ]:
        response = agent.get(f"/api/v1/events{query}", headers=STREAM)
        assert response.status_code == status, (query, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    outsider = signed_in(base, world, "globex_supervisor", clients)
    assert outsider.get(f"/api/v1/events?tenant=acme&interaction={interaction}", headers=STREAM).status_code == 404

    # The agent's own desk: going available brings the waiting chat as an offer.
    with stream(agent, "/api/v1/events?tenant=acme") as desk:
        assert agent.put("/api/v1/me/presence", json={"presence": "available"}).status_code == 200
        offer = desk.next("offer")
        assert offer["interaction_id"] == interaction and offer["channel"] == "chat"
        assert f"agent:{world.users['acme_agent'].id}" in offer["topics"]


def test_a_reconnect_with_last_event_id_loses_and_repeats_nothing(
    world: World, base: str, clients: list[httpx.Client]
) -> None:
    started = start_chat(base, chat_queue(world))
    session = f"{base}/api/v1/chat/acme/sessions/{started['session_id']}"
    token = {"X-Chat-Token": started["token"]}
    customer = httpx.Client(timeout=10)
    clients.append(customer)
    boss = signed_in(base, world, "acme_supervisor", clients)
    monitor_url = f"/api/v1/events?tenant=acme&interaction={started['interaction_id']}"

    def say(text: str) -> None:
        assert customer.post(f"{session}/messages", json={"body": text}, headers=token).status_code == 201

    with stream(customer, f"{session}/events?token={started['token']}") as chat, stream(boss, monitor_url) as monitor:
        say("one")
        first = chat.next("message")
        assert first["message"]["body"] == "one" and "topics" not in first  # the customer's view: no staff ids
        assert monitor.next("message")["message"]["body"] == "one"
        whisper = boss.post(
            f"/api/v1/tenants/acme/interactions/{started['interaction_id']}/whisper", json={"body": "secret tip"}
        )
        assert whisper.status_code == 201
        assert monitor.next("message")["message"]["visibility"] == "agents"  # monitors see whispers
        last_seen = first["id"]
    # Disconnected: the customer keeps writing (from another tab, say) while the stream is down.
    for text in ("two", "three", "four"):
        say(text)
    with stream(customer, f"{session}/events", headers={**token, "Last-Event-ID": str(last_seen)}) as chat:
        replayed = [chat.next("message") for _ in range(3)]
        say("five")
        live = chat.next("message")
    bodies = [e["message"]["body"] for e in [*replayed, live]]
    assert bodies == ["two", "three", "four", "five"]  # the whisper never reaches the customer
    ids = [e["id"] for e in [*replayed, live]]
    assert ids == sorted(set(ids)) and ids[0] > last_seen
    # The query parameter resumes too (EventSource's first connect), and an id from before a restart resets.
    with stream(customer, f"{session}/events?token={started['token']}&last_event_id={ids[1]}") as chat:
        assert [chat.next("message")["message"]["body"] for _ in range(2)] == ["four", "five"]
    with stream(customer, f"{session}/events?token={started['token']}&last_event_id=1") as chat:
        assert chat.next()["type"] == "reset"
    # A wrong token or another tenant's URL opens nothing.
    assert customer.get(f"{session}/events?token=hc_forged", headers=STREAM).status_code == 404
    globex = f"{base}/api/v1/chat/globex/sessions/{started['session_id']}/events?token={started['token']}"
    assert customer.get(globex, headers=STREAM).status_code == 404
