"""The chat service on a real database: starting, the customer's session, and the watcher's round."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.domain.errors import Conflict, NotFound, ValidationFailed
from helpline.services import chat, customers, interactions, queues, routing
from tests.conftest import FakeClock, World


def acme(world: World) -> int:
    return int(world.tenants["acme"].id)


def chat_queue(world: World, name: str = "Cards", **settings: Any) -> int:
    boss = world.principal("acme_supervisor")
    return int(queues.create_queue(world.container.deps, boss, acme(world), name, "chat", "en", **settings).id)


def begin(world: World, queue_id: int, email: str = "dana@example.com", **extra: Any) -> chat.Started:
    return chat.start_chat(
        world.container.deps, "acme", name="Dana", email=email, language="en", queue_id=queue_id, **extra
    )


def published(world: World, kind: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = world.container.deps.events.published  # type: ignore[attr-defined]
    return [e for e in events if e["type"] == kind]


def status_of(world: World, interaction_id: int) -> str:
    row = interactions.get_interaction(world.container.deps, world.principal("admin"), acme(world), interaction_id)
    return str(row.status)


def test_config_reads_opening_hours_at_the_clock(world: World, clock: FakeClock) -> None:
    # FakeClock starts Monday 2026-03-02 09:00 UTC; the queue opens 10:00-18:00 UTC on Mondays.
    chat_queue(world, hours={"timezone": "UTC", "weekly": {"0": [[600, 1080]]}, "closed_dates": []})
    d = world.container.deps
    assert [t["open"] for t in chat.chat_config(d, "acme")["topics"]] == [False]
    clock.advance(hours=1)
    assert [t["open"] for t in chat.chat_config(d, "acme")["topics"]] == [True]
    queues.create_queue(d, world.principal("acme_supervisor"), acme(world), "Phones", "voice")
    assert [t["name"] for t in chat.chat_config(d, "acme")["topics"]] == ["Cards"]  # chat queues only
    with pytest.raises(NotFound):
        chat.chat_config(d, "nobody")


def test_start_matches_the_crm_customer_and_stores_only_a_token_hash(world: World) -> None:
    d = world.container.deps
    known = customers.create_customer(
        d,
        world.principal("acme_agent"),
        acme(world),
        {"display_name": "Dana (CRM)", "identities": [{"kind": "email", "value": "dana@example.com"}]},
    )
    started = begin(world, chat_queue(world), email="Dana@EXAMPLE.com", message="Hi")
    assert started.customer_id == known.id and started.token.startswith("hc_")
    with d.uow() as uow:
        session = uow.tenant(acme(world)).chat.get(started.session_id)
        assert started.token not in session.token_hash and len(session.token_hash) == 64
    visitor = chat.authenticate(d, "acme", started.session_id, started.token)
    assert (visitor.interaction_id, visitor.name, visitor.closed) == (started.interaction_id, "Dana", False)
    for slug, sid, token in [
        ("acme", started.session_id, "hc_wrong"),
        ("acme", started.session_id, None),
        ("globex", started.session_id, started.token),
        ("acme", started.session_id + 1, started.token),
    ]:
        with pytest.raises(NotFound):
            chat.authenticate(d, slug, sid, token)


def test_start_refuses_queues_that_are_not_chat_topics_of_the_tenant(world: World) -> None:
    d = world.container.deps
    voice = queues.create_queue(d, world.principal("acme_supervisor"), acme(world), "Phones", "voice").id
    theirs = queues.create_queue(
        d, world.principal("globex_supervisor"), world.tenants["globex"].id, "Ventes", "chat"
    ).id
    for queue_id in (voice, theirs, 10**9):
        with pytest.raises(ValidationFailed) as error:
            begin(world, queue_id)
        assert error.value.field == "queue_id"
    with d.uow() as uow:
        assert uow.tenant(acme(world)).interactions.count() == 0


def test_the_watcher_tells_waiting_customers_of_changes_only(world: World, clock: FakeClock) -> None:
    d = world.container.deps
    queue_id = chat_queue(world, leave_message_after_seconds=120)
    first = begin(world, queue_id)
    second = begin(world, queue_id, email="eve@example.com")
    memo = chat.WatchMemo()
    chat.watch(d, memo)
    told = {e["interaction_id"]: e for e in published(world, "chat.queue")}
    assert told[first.interaction_id]["position"] == 1 and told[second.interaction_id]["position"] == 2
    assert all(e["topics"] == [f"chat:{e['interaction_id']}"] for e in told.values())
    count = len(published(world, "chat.queue"))
    chat.watch(d, memo)
    assert len(published(world, "chat.queue")) == count  # nothing moved: nothing said
    chat.touch(d, acme(world), first.session_id)
    chat.close(d, "acme", first.session_id, first.token)  # the first leaves: the second moves up
    chat.watch(d, memo)
    assert published(world, "chat.queue")[-1]["interaction_id"] == second.interaction_id
    assert published(world, "chat.queue")[-1]["position"] == 1
    clock.advance(seconds=50)
    chat.touch(d, acme(world), second.session_id)
    clock.advance(seconds=50)
    chat.touch(d, acme(world), second.session_id)
    clock.advance(seconds=30)  # waited 130 s > 120 s: offer to leave a message
    chat.watch(d, memo)
    last = published(world, "chat.queue")[-1]
    assert last["interaction_id"] == second.interaction_id and last["leave_message"] is True


def test_the_watcher_ends_chats_whose_customer_is_gone(world: World, clock: FakeClock) -> None:
    d = world.container.deps
    queue_id = chat_queue(world)
    gone = begin(world, queue_id)
    here = begin(world, queue_id, email="eve@example.com")
    clock.advance(seconds=59)
    chat.touch(d, acme(world), here.session_id)
    clock.advance(seconds=2)
    chat.watch(d, chat.WatchMemo())
    assert status_of(world, gone.interaction_id) == "ended"
    assert status_of(world, here.interaction_id) == "queued"
    ended = published(world, "chat.ended")
    assert [(e["interaction_id"], e["reason"]) for e in ended] == [(gone.interaction_id, "customer_left")]
    assert chat.authenticate(d, "acme", gone.session_id, gone.token).closed is True


def test_the_watcher_closes_sessions_of_chats_staff_ended(world: World) -> None:
    d = world.container.deps
    started = begin(world, chat_queue(world))
    agent_id = world.users["acme_agent"].id
    routing.set_presence(d, world.principal("acme_agent"), agent_id, "available")
    routing.accept(d, world.principal("acme_agent"), acme(world), started.interaction_id)
    routing.end(d, world.principal("acme_agent"), acme(world), started.interaction_id)
    assert chat.authenticate(d, "acme", started.session_id, started.token).closed is False
    chat.watch(d, chat.WatchMemo())
    assert chat.authenticate(d, "acme", started.session_id, started.token).closed is True
    with pytest.raises(Conflict):
        chat.send_message(d, "acme", started.session_id, started.token, "hello?")


def test_status_shows_only_what_the_customer_may_see(world: World) -> None:
    d = world.container.deps
    started = begin(world, chat_queue(world), message="first")
    boss = world.principal("acme_supervisor")
    interactions.add_message(
        d, boss, acme(world), started.interaction_id, author_kind="agent", body="internal", visibility="agents"
    )
    status = chat.chat_status(d, "acme", started.session_id, started.token)
    assert [m["body"] for m in status["messages"]] == ["first"]
    assert status["queue"] == {
        "position": 1,
        "estimated_wait_seconds": status["queue"]["estimated_wait_seconds"],
        "leave_message": False,
    }
    assert status["status"] == "queued" and status["closed"] is False and status["agent_name"] is None
