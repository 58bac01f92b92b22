"""The staff side of a live conversation on a real database: who may speak to whom, whispers, barge-in,
files, typing, and which live topics a staff member may follow."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.services import chat, conversations, interactions, queues, routing
from tests.conftest import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


def acme(world: World) -> int:
    return int(world.tenants["acme"].id)


def live_chat(world: World) -> int:
    """A chat accepted by acme_agent."""
    d = world.container.deps
    queue_id = queues.create_queue(d, world.principal("acme_supervisor"), acme(world), "Cards", "chat", "en").id
    started = chat.start_chat(d, "acme", name="Dana", email="dana@example.com", language="en", queue_id=queue_id)
    agent = world.principal("acme_agent")
    routing.set_presence(d, agent, world.users["acme_agent"].id, "available")
    routing.accept(d, agent, acme(world), started.interaction_id)
    return started.interaction_id


def published(world: World, kind: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = world.container.deps.events.published  # type: ignore[attr-defined]
    return [e for e in events if e["type"] == kind]


def test_the_holding_agent_speaks_to_the_customer(world: World) -> None:
    d = world.container.deps
    interaction_id = live_chat(world)
    sent = conversations.send_message(d, world.principal("acme_agent"), acme(world), interaction_id, " Hello ")
    assert (sent.body, sent.visibility, sent.author_name) == ("Hello", "all", "Acme Agent")
    event = published(world, "message")[-1]
    agent_topic = f"agent:{world.users['acme_agent'].id}"
    assert event["topics"] == [f"interaction:{interaction_id}", agent_topic, f"chat:{interaction_id}"]
    assert event["message"]["id"] == sent.id and "author_user_id" not in event["message"]
    with pytest.raises(ValidationFailed) as error:
        conversations.send_message(d, world.principal("acme_agent"), acme(world), interaction_id, "x" * 5001)
    assert error.value.field == "body"
    with pytest.raises(ValidationFailed):
        conversations.send_message(d, world.principal("acme_agent"), acme(world), interaction_id, "hi", "everyone")


def test_others_may_not_take_part_and_supervisors_barge_in_first(world: World) -> None:
    d = world.container.deps
    interaction_id = live_chat(world)
    boss, other = world.principal("acme_supervisor"), world.principal("both_agent")
    with pytest.raises(PermissionDenied):
        conversations.send_message(d, other, acme(world), interaction_id, "hi")
    with pytest.raises(PermissionDenied):
        conversations.typing(d, other, acme(world), interaction_id)
    with pytest.raises(Conflict):
        conversations.send_message(d, boss, acme(world), interaction_id, "hello customer")
    whisper = conversations.whisper(d, boss, acme(world), interaction_id, "offer the refund")
    assert whisper.visibility == "agents"
    assert f"chat:{interaction_id}" not in published(world, "message")[-1]["topics"]
    with pytest.raises(PermissionDenied):
        conversations.whisper(d, world.principal("acme_agent"), acme(world), interaction_id, "hi")
    conversations.typing(d, boss, acme(world), interaction_id)  # before barging: not to the customer
    assert published(world, "typing")[-1]["topics"] == [f"interaction:{interaction_id}"]

    barged = conversations.barge(d, boss, acme(world), interaction_id)
    assert barged.attributes["barged"] == [world.users["acme_supervisor"].id]
    joined = published(world, "chat.joined")[-1]
    assert (joined["role"], joined["name"]) == ("supervisor", "Acme Supervisor")
    assert f"chat:{interaction_id}" in joined["topics"]
    conversations.send_message(d, boss, acme(world), interaction_id, "I am here too")
    conversations.typing(d, boss, acme(world), interaction_id)
    assert f"chat:{interaction_id}" in published(world, "typing")[-1]["topics"]
    with pytest.raises(NotFound):
        conversations.barge(d, world.principal("globex_supervisor"), acme(world), interaction_id)


def test_barge_needs_a_live_conversation(world: World) -> None:
    d = world.container.deps
    interaction_id = live_chat(world)
    routing.end(d, world.principal("acme_agent"), acme(world), interaction_id)
    with pytest.raises(Conflict):
        conversations.barge(d, world.principal("acme_supervisor"), acme(world), interaction_id)
    # After the chat, anyone of the tenant's staff may add to the record, as for any interaction.
    note = conversations.send_message(d, world.principal("both_agent"), acme(world), interaction_id, "follow-up")
    assert note.visibility == "all"


def test_files_sent_by_staff_and_read_back(world: World) -> None:
    d = world.container.deps
    interaction_id = live_chat(world)
    agent = world.principal("acme_agent")
    message = conversations.upload_attachment(d, agent, acme(world), interaction_id, "C:\\docs\\form.png", PNG)
    (listed,) = message.attachments
    assert (listed["filename"], listed["content_type"], listed["size"]) == ("form.png", "image/png", len(PNG))
    row = conversations.attachment(d, world.principal("acme_client_manager"), acme(world), interaction_id, listed["id"])
    assert bytes(row.data) == PNG and len(row.sha256) == 64
    again = conversations.send_message(d, agent, acme(world), interaction_id, "see above", attachments=[listed["id"]])
    assert again.attachments == [listed]
    with pytest.raises(ValidationFailed):
        conversations.send_message(d, agent, acme(world), interaction_id, "x", attachments=[listed["id"] + 99])
    with pytest.raises(ValidationFailed):
        conversations.upload_attachment(d, agent, acme(world), interaction_id, "x.png", b"<html></html>")
    with pytest.raises(NotFound):
        conversations.attachment(d, agent, acme(world), interaction_id, listed["id"] + 99)
    with pytest.raises(NotFound):
        conversations.attachment(d, world.principal("globex_agent"), acme(world), interaction_id, listed["id"])


def test_the_generic_messages_route_announces_with_visibility(world: World) -> None:
    d = world.container.deps
    customer_interaction = interactions.create_interaction(
        d,
        world.principal("acme_agent"),
        acme(world),
        channel="email",
        identity={"kind": "email", "value": "x@example.com"},
    )
    note = interactions.add_message(
        d,
        world.principal("acme_agent"),
        acme(world),
        customer_interaction.id,
        author_kind="agent",
        body="internal",
        visibility="agents",
    )
    event = published(world, "message")[-1]
    assert event["message"]["id"] == note.id and event["topics"] == [f"interaction:{customer_interaction.id}"]
    with pytest.raises(ValidationFailed):
        interactions.add_message(
            d,
            world.principal("acme_agent"),
            acme(world),
            customer_interaction.id,
            author_kind="agent",
            body="x",
            visibility="public",
        )


def test_who_may_follow_what(world: World) -> None:
    d = world.container.deps
    interaction_id = live_chat(world)
    agent_id, boss_id = world.users["acme_agent"].id, world.users["acme_supervisor"].id
    tid = acme(world)
    assert conversations.follow_topics(d, world.principal("acme_agent")) == [f"agent:{agent_id}"]
    assert conversations.follow_topics(d, world.principal("acme_agent"), "acme", interaction_id) == [
        f"agent:{agent_id}",
        f"tenant:{tid}",
        f"interaction:{interaction_id}",
    ]
    assert conversations.follow_topics(d, world.principal("acme_supervisor"), "acme", interaction_id)[-1] == (
        f"interaction:{interaction_id}"
    )
    assert conversations.follow_topics(d, world.principal("acme_client_manager"), "acme")[-1] == f"tenant:{tid}"
    with pytest.raises(PermissionDenied):
        conversations.follow_topics(d, world.principal("both_agent"), "acme", interaction_id)
    with pytest.raises(PermissionDenied):
        conversations.follow_topics(d, world.principal("acme_client_manager"), "acme", interaction_id)
    for who, slug, iid in [
        ("globex_supervisor", "acme", None),
        ("globex_supervisor", "globex", interaction_id),
        ("acme_supervisor", "nope", None),
        ("acme_supervisor", "acme", 10**12),
    ]:
        with pytest.raises(NotFound):
            conversations.follow_topics(d, world.principal(who), slug, iid)
    with pytest.raises(ValidationFailed):
        conversations.follow_topics(d, world.principal("acme_supervisor"), None, interaction_id)
    assert boss_id != agent_id
