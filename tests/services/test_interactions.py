"""Interaction use cases on a real database: receive, lifecycle, links to cases, messages, filters, access."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest

from helpline.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.domain.permissions import Principal
from helpline.services import cases, customers, interactions, queues, users
from helpline.services.ports import NullPublisher
from tests.conftest import FakeClock, World


def acme(world: World) -> int:
    return int(world.tenants["acme"].id)


def new_customer(world: World, tenant: str = "acme", name: str = "Dana Doe") -> Any:
    return customers.create_customer(
        world.container.deps, world.principal(f"{tenant}_agent"), world.tenants[tenant].id, {"display_name": name}
    )


def receive(world: World, who: str = "acme_agent", tenant: str = "acme", **fields: Any) -> Any:
    fields.setdefault("channel", "voice")
    if "identity" not in fields:
        fields.setdefault("customer_id", new_customer(world, tenant).id)
    return interactions.create_interaction(
        world.container.deps, world.principal(who), world.tenants[tenant].id, **fields
    )


def step(world: World, interaction_id: int, action: str, who: str = "acme_agent", **kw: Any) -> Any:
    return interactions.lifecycle_step(
        world.container.deps, world.principal(who), acme(world), interaction_id, action, **kw
    )


def test_create_with_customer_id_and_messages_publishes_after_commit(world: World, clock: FakeClock) -> None:
    d = world.container.deps
    customer = new_customer(world)
    events = cast(NullPublisher, d.events)
    events.published.clear()
    created = interactions.create_interaction(
        d,
        world.principal("acme_agent"),
        acme(world),
        channel="Email",
        customer_id=customer.id,
        subject="  Card blocked ",
        external_ref="<m1@example.com>",
        attributes={"ivr": [1, 2]},
        messages=[
            {"author_kind": "customer", "body": "My card is blocked."},
            {"author_kind": "agent", "body": "Looking into it.", "author_name": "Someone Else"},
        ],
    )
    assert created.id and created.status == "new" and created.channel == "email" and created.direction == "inbound"
    assert created.subject == "Card blocked" and created.created_at == clock.now()
    assert events.published == [
        {"type": "interaction.created", "tenant_id": acme(world), "interaction_id": created.id, "status": "new"}
    ]
    msgs, total = interactions.list_messages(d, world.principal("acme_supervisor"), acme(world), created.id)
    assert total == 2
    assert [(m.author_kind, m.author_name) for m in msgs] == [("customer", "Dana Doe"), ("agent", "Acme Agent")]
    assert msgs[1].author_user_id == world.users["acme_agent"].id


def test_create_by_identity_finds_or_creates_the_customer(world: World) -> None:
    first = receive(
        world, channel="sms", identity={"kind": "phone", "value": "(212) 555-0101"}, customer_name="Caller One"
    )
    again = receive(world, channel="voice", identity={"kind": "phone", "value": "+1 212 555 0101"})
    assert first.customer_id == again.customer_id  # the tenant's region (US) read the local number
    customer = customers.get_customer(
        world.container.deps, world.principal("acme_agent"), acme(world), first.customer_id
    )
    assert customer.display_name == "Caller One"
    email = receive(world, channel="email", identity={"kind": "email", "value": "New@Example.com"})
    assert email.customer_id != first.customer_id


def test_identity_and_customer_id_are_exclusive(world: World) -> None:
    customer = new_customer(world)
    with pytest.raises(ValidationFailed) as err:
        receive(world, customer_id=customer.id, identity={"kind": "email", "value": "a@b.co"})
    assert err.value.field == "customer_id"
    with pytest.raises(ValidationFailed):
        interactions.create_interaction(
            world.container.deps, world.principal("acme_agent"), acme(world), channel="voice"
        )
    with pytest.raises(ValidationFailed) as err:
        receive(world, identity={"kind": "phone", "value": "not a number"})
    assert err.value.field == "value"


def test_created_at_may_be_past_but_never_future(world: World, clock: FakeClock) -> None:
    letter = receive(
        world,
        channel="letter",
        created_at=clock.now() - timedelta(days=3),
        messages=[{"author_kind": "customer", "body": "Dear sir"}],
    )
    assert letter.created_at == clock.now() - timedelta(days=3)
    msgs, _ = interactions.list_messages(world.container.deps, world.principal("acme_agent"), acme(world), letter.id)
    assert msgs[0].at == letter.created_at  # the letter's text arrived with the letter
    with pytest.raises(ValidationFailed) as err:
        receive(world, channel="letter", created_at=clock.now() + timedelta(seconds=1))
    assert err.value.field == "created_at"


def test_references_must_belong_to_the_tenant(world: World) -> None:
    d = world.container.deps
    theirs = new_customer(world, "globex")
    their_queue = queues.create_queue(d, world.principal("globex_supervisor"), world.tenants["globex"].id, "Ventes")
    ours = new_customer(world)
    for kwargs, field in [
        ({"customer_id": theirs.id}, "customer_id"),
        ({"customer_id": 10**12}, "customer_id"),
        ({"customer_id": ours.id, "queue_id": their_queue.id}, "queue_id"),
        ({"customer_id": ours.id, "case_id": 10**12}, "case_id"),
    ]:
        with pytest.raises(ValidationFailed) as err:
            receive(world, **kwargs)
        assert err.value.field == field


def test_case_must_be_the_same_customers_and_open(world: World) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    dana, eve = new_customer(world), new_customer(world, name="Eve")
    case = cases.create_case(d, p, acme(world), customer_id=dana.id, subject="Refund")
    with pytest.raises(ValidationFailed) as err:
        receive(world, customer_id=eve.id, case_id=case.id)
    assert err.value.field == "case_id"
    linked = receive(world, customer_id=dana.id, case_id=case.id)
    assert linked.case_id == case.id
    history, _ = cases.case_history(d, p, acme(world), case.id)
    assert [(h.field, h.new_value) for h in history] == [("created", "Refund"), ("interaction", f"#{linked.id}")]
    cases.update_case(d, p, acme(world), case.id, {"status": "closed"})
    with pytest.raises(Conflict):
        receive(world, customer_id=dana.id, case_id=case.id)


def test_a_failed_create_leaves_nothing_behind(world: World) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    with pytest.raises(ValidationFailed):
        receive(world, identity={"kind": "email", "value": "ghost@example.com"}, case_id=10**9)
    assert customers.search_customers(d, p, acme(world), q="ghost@example.com").total == 0
    rows, total = interactions.list_interactions(d, p, acme(world))
    assert total == 0 and rows == []


def test_lifecycle_end_to_end(world: World, clock: FakeClock) -> None:
    d = world.container.deps
    agent, other = world.users["acme_agent"].id, world.users["both_agent"].id
    call = receive(world)
    t0 = clock.now()
    clock.advance(seconds=5)
    assert step(world, call.id, "queue").queued_at == t0 + timedelta(seconds=5)
    clock.advance(seconds=20)
    offered = step(world, call.id, "offer", agent_id=agent)
    assert (offered.status, offered.agent_id) == ("offered", agent)
    clock.advance(seconds=15)  # no answer: the router takes the offer back
    requeued = step(world, call.id, "queue")
    assert (requeued.status, requeued.agent_id, requeued.offered_at) == ("queued", None, None)
    assert requeued.queued_at == t0 + timedelta(seconds=5)  # waiting since the first queueing
    step(world, call.id, "offer", agent_id=other)
    clock.advance(seconds=3)
    with pytest.raises(Conflict):
        step(world, call.id, "accept", agent_id=agent)  # offered to someone else
    accepted = step(world, call.id, "accept")
    assert (accepted.status, accepted.agent_id, accepted.accepted_at) == ("active", other, clock.now())
    clock.advance(minutes=4)
    step(world, call.id, "end")
    clock.advance(minutes=1)
    with pytest.raises(Conflict):
        step(world, call.id, "accept", agent_id=agent)
    done = step(world, call.id, "wrap_up", disposition_code="card-replaced")
    assert (done.status, done.disposition_code, done.wrapped_up_at) == ("wrapped_up", "card-replaced", clock.now())
    assert [e["type"] for e in cast(NullPublisher, d.events).published[-7:]] == ["interaction.updated"] * 7
    with pytest.raises(Conflict):
        step(world, call.id, "end")
    stored = interactions.get_interaction(d, world.principal("acme_client_manager"), acme(world), call.id)
    assert stored.ended_at == clock.now() - timedelta(minutes=1)


def test_lifecycle_time_order_and_future(world: World, clock: FakeClock) -> None:
    call = receive(world, created_at=clock.now() - timedelta(hours=1))
    step(world, call.id, "queue", at=clock.now() - timedelta(minutes=50))
    with pytest.raises(ValidationFailed) as err:
        step(world, call.id, "offer", agent_id=world.users["acme_agent"].id, at=clock.now() - timedelta(minutes=55))
    assert err.value.field == "at"
    with pytest.raises(ValidationFailed):
        step(world, call.id, "end", at=clock.now() + timedelta(minutes=1))
    assert step(world, call.id, "end", at=clock.now() - timedelta(minutes=40)).status == "ended"


def test_agent_must_be_active_staff_of_the_tenant(world: World) -> None:
    d = world.container.deps
    call = receive(world)
    step(world, call.id, "queue")
    for name in ("globex_agent", "acme_client_manager"):
        with pytest.raises(ValidationFailed) as err:
            step(world, call.id, "offer", agent_id=world.users[name].id)
        assert err.value.field == "agent_id"
    for bad in (10**9, 2**70, -3):
        with pytest.raises(ValidationFailed):
            step(world, call.id, "offer", agent_id=bad)
    users.update_user(d, world.principal("admin"), world.users["acme_supervisor"].id, {"is_active": False})
    with pytest.raises(ValidationFailed):
        step(world, call.id, "offer", agent_id=world.users["acme_supervisor"].id)
    assert step(world, call.id, "offer", agent_id=world.users["both_agent"].id).agent_id == world.users["both_agent"].id


def test_update_links_and_unlinks_cases_with_history(world: World) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    dana = new_customer(world)
    first = cases.create_case(d, p, acme(world), customer_id=dana.id, subject="First")
    second = cases.create_case(d, p, acme(world), customer_id=dana.id, subject="Second")
    queue = queues.create_queue(d, world.principal("acme_supervisor"), acme(world), "Cards")
    call = receive(world, customer_id=dana.id)
    changed = interactions.update_interaction(
        d,
        p,
        acme(world),
        call.id,
        {"subject": "Lost card", "case_id": first.id, "queue_id": queue.id, "disposition_code": "lost"},
    )
    assert (changed.subject, changed.case_id, changed.queue_id, changed.disposition_code) == (
        "Lost card",
        first.id,
        queue.id,
        "lost",
    )
    moved = interactions.update_interaction(d, p, acme(world), call.id, {"case_id": second.id})
    assert moved.case_id == second.id
    unlinked = interactions.update_interaction(d, p, acme(world), call.id, {"case_id": None, "queue_id": None})
    assert unlinked.case_id is None and unlinked.queue_id is None
    first_history, _ = cases.case_history(d, p, acme(world), first.id)
    second_history, _ = cases.case_history(d, p, acme(world), second.id)
    ref = f"#{call.id}"
    assert [(h.field, h.old_value, h.new_value) for h in first_history[1:]] == [
        ("interaction", None, ref),
        ("interaction", ref, None),
    ]
    assert [(h.field, h.old_value, h.new_value) for h in second_history[1:]] == [
        ("interaction", None, ref),
        ("interaction", ref, None),
    ]
    assert first_history[1].actor_user_id == world.users["acme_agent"].id
    with pytest.raises(ValidationFailed) as err:
        interactions.update_interaction(d, p, acme(world), call.id, {"status": "ended"})
    assert err.value.field == "status"


def test_messages_are_ordered_by_time_and_checked(world: World, clock: FakeClock) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    chat = receive(world, channel="chat", created_at=clock.now() - timedelta(minutes=10))
    interactions.add_message(
        d, p, acme(world), chat.id, author_kind="customer", body="second", at=clock.now() - timedelta(minutes=2)
    )
    interactions.add_message(
        d,
        p,
        acme(world),
        chat.id,
        author_kind="bot",
        body="first",
        at=clock.now() - timedelta(minutes=5),
        attachments=[{"filename": "faq.pdf", "content_type": "application/pdf", "size": 10}],
    )
    interactions.add_message(d, p, acme(world), chat.id, author_kind="agent", body="third")
    rows, total = interactions.list_messages(d, p, acme(world), chat.id)
    assert total == 3 and [m.body for m in rows] == ["first", "second", "third"]
    assert rows[0].author_name == "bot" and rows[0].attachments[0]["filename"] == "faq.pdf"
    page, total = interactions.list_messages(d, p, acme(world), chat.id, limit=1, offset=1)
    assert [m.body for m in page] == ["second"] and total == 3
    for kwargs, field in cast(
        list[tuple[dict[str, Any], str]],
        [
            ({"author_kind": "alien", "body": "x"}, "author_kind"),
            ({"author_kind": "agent", "body": ""}, "body"),
            ({"author_kind": "agent", "body": "x" * 100_001}, "body"),
            ({"author_kind": "agent", "body": "x", "at": clock.now() - timedelta(hours=1)}, "at"),
            ({"author_kind": "agent", "body": "x", "attachments": ["nope"]}, "attachments"),
        ],
    ):
        with pytest.raises(ValidationFailed) as err:
            interactions.add_message(d, p, acme(world), chat.id, **kwargs)
        assert err.value.field == field
    with pytest.raises(NotFound):
        interactions.list_messages(d, p, acme(world), 10**9)


def test_list_filters_sort_and_pages(world: World, clock: FakeClock) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    dana, eve = new_customer(world), new_customer(world, name="Eve")
    queue = queues.create_queue(d, world.principal("acme_supervisor"), acme(world), "Sales")
    case = cases.create_case(d, p, acme(world), customer_id=dana.id, subject="Order")
    start = clock.now()
    a = receive(world, customer_id=dana.id, channel="email", case_id=case.id)
    clock.advance(minutes=1)
    b = receive(world, customer_id=eve.id, channel="voice", direction="outbound", queue_id=queue.id)
    clock.advance(minutes=1)
    c = receive(world, customer_id=dana.id, channel="voice")
    step(world, c.id, "accept", agent_id=world.users["acme_agent"].id)
    receive(world, tenant="globex", who="globex_agent")  # never listed for acme

    def ids(**kw: Any) -> list[int]:
        rows, _total = interactions.list_interactions(d, p, acme(world), **kw)
        return [r.id for r in rows]

    assert ids() == [c.id, b.id, a.id]
    assert ids(sort="created_at") == [a.id, b.id, c.id]
    assert ids(channel="voice") == [c.id, b.id]
    assert ids(direction="outbound") == [b.id]
    assert ids(status="active") == [c.id]
    assert ids(customer_id=dana.id) == [c.id, a.id]
    assert ids(case_id=case.id) == [a.id]
    assert ids(agent_id=world.users["acme_agent"].id) == [c.id]
    assert ids(queue_id=queue.id) == [b.id]
    assert ids(created_after=start + timedelta(seconds=30)) == [c.id, b.id]
    assert ids(created_before=start + timedelta(seconds=90)) == [b.id, a.id]
    assert ids(sort="-accepted_at", status="active") == [c.id]
    rows, total = interactions.list_interactions(d, p, acme(world), limit=2, offset=2)
    assert total == 3 and [r.id for r in rows] == [a.id]
    for kwargs, field in cast(
        list[tuple[dict[str, Any], str]],
        [
            ({"sort": "customer_id"}, "sort"),
            ({"channel": "pigeon"}, "channel"),
            ({"limit": 0}, "limit"),
            ({"limit": 501}, "limit"),
            ({"offset": -1}, "offset"),
            ({"customer_id": 2**64}, "customer_id"),
        ],
    ):
        with pytest.raises(ValidationFailed) as err:
            interactions.list_interactions(d, p, acme(world), **kwargs)
        assert err.value.field == field


def test_client_manager_reads_only_and_other_tenants_see_nothing(world: World) -> None:
    d = world.container.deps
    call = receive(world)
    viewer = world.principal("acme_client_manager")
    assert interactions.get_interaction(d, viewer, acme(world), call.id).id == call.id
    with pytest.raises(PermissionDenied):
        interactions.create_interaction(d, viewer, acme(world), channel="voice", customer_id=call.customer_id)
    with pytest.raises(PermissionDenied):
        interactions.lifecycle_step(d, viewer, acme(world), call.id, "queue")
    with pytest.raises(PermissionDenied):
        interactions.add_message(d, viewer, acme(world), call.id, author_kind="agent", body="hi")
    outsider = world.principal("globex_agent")
    with pytest.raises(NotFound):
        interactions.get_interaction(d, outsider, acme(world), call.id)
    globex = world.tenants["globex"].id
    with pytest.raises(NotFound):  # asking through their own tenant does not reach acme's row either
        interactions.get_interaction(d, outsider, globex, call.id)
    with pytest.raises(NotFound):
        interactions.lifecycle_step(d, outsider, globex, call.id, "queue")
    token_like = Principal(role=world.principal("acme_agent").role, tenant_ids=frozenset({globex}))
    with pytest.raises(NotFound):
        interactions.get_interaction(d, token_like, acme(world), call.id)
