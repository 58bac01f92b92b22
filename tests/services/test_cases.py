"""Case use cases on a real database: creation, changes with history, transitions, tags, filters, notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest

from helpline.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.services import cases, customers, interactions, queues
from helpline.services.ports import NullPublisher
from tests.conftest import FakeClock, World


def acme(world: World) -> int:
    return int(world.tenants["acme"].id)


def new_customer(world: World, tenant: str = "acme", name: str = "Dana Doe") -> Any:
    return customers.create_customer(
        world.container.deps, world.principal(f"{tenant}_agent"), world.tenants[tenant].id, {"display_name": name}
    )


def open_case(world: World, who: str = "acme_agent", **fields: Any) -> Any:
    if "customer_id" not in fields:
        fields["customer_id"] = new_customer(world).id
    fields.setdefault("subject", "Card lost")
    return cases.create_case(world.container.deps, world.principal(who), acme(world), **fields)


def change(world: World, case_id: int, who: str = "acme_agent", **changes: Any) -> Any:
    return cases.update_case(world.container.deps, world.principal(who), acme(world), case_id, changes)


def history(world: World, case_id: int) -> list[tuple[str, str | None, str | None]]:
    rows, _ = cases.case_history(world.container.deps, world.principal("acme_agent"), acme(world), case_id, limit=500)
    return [(h.field, h.old_value, h.new_value) for h in rows]


def test_create_writes_created_history_and_tag_rows(world: World, clock: FakeClock) -> None:
    d = world.container.deps
    queue = queues.create_queue(d, world.principal("acme_supervisor"), acme(world), "Cards")
    due = clock.now() + timedelta(hours=4)
    case = open_case(
        world,
        priority="HIGH",
        category="Billing",
        tags=["Refund", "vip", "refund"],
        assignee_id=world.users["acme_agent"].id,
        queue_id=queue.id,
        resolution_due_at=due,
    )
    assert (case.status, case.priority, case.category, case.tags) == ("new", "high", "Billing", ["refund", "vip"])
    assert case.created_at == case.updated_at == clock.now() and case.resolution_due_at == due
    rows, _ = cases.case_history(d, world.principal("acme_agent"), acme(world), case.id)
    assert [(h.field, h.new_value, h.actor_user_id, h.actor_name, h.at) for h in rows] == [
        ("created", "Card lost", world.users["acme_agent"].id, "Acme Agent", clock.now())
    ]
    found, total = cases.list_cases(d, world.principal("acme_agent"), acme(world), tag="VIP")
    assert total == 1 and found[0].id == case.id
    assert cast(NullPublisher, d.events).published[-1] == {
        "type": "case.created",
        "tenant_id": acme(world),
        "case_id": case.id,
        "status": "new",
    }


def test_create_checks_references(world: World) -> None:
    d = world.container.deps
    theirs = new_customer(world, "globex")
    their_queue = queues.create_queue(d, world.principal("globex_supervisor"), world.tenants["globex"].id, "Q")
    for kwargs, field in [
        ({"customer_id": theirs.id}, "customer_id"),
        ({"customer_id": 10**12}, "customer_id"),
        ({"assignee_id": world.users["globex_agent"].id}, "assignee_id"),
        ({"assignee_id": world.users["acme_client_manager"].id}, "assignee_id"),
        ({"assignee_id": 10**9}, "assignee_id"),
        ({"queue_id": their_queue.id}, "queue_id"),
        ({"priority": "asap"}, "priority"),
        ({"subject": " "}, "subject"),
        ({"tags": ["x"] * 31}, "tags"),
    ]:
        with pytest.raises(ValidationFailed) as err:
            open_case(world, **kwargs)
        assert err.value.field == field


def test_each_changed_field_writes_one_history_row(world: World, clock: FakeClock) -> None:
    d = world.container.deps
    queue = queues.create_queue(d, world.principal("acme_supervisor"), acme(world), "Escalations")
    case = open_case(world, tags=["card"])
    clock.advance(minutes=5)
    due = clock.now() + timedelta(days=1)
    changed = change(
        world,
        case.id,
        who="acme_supervisor",
        subject="Card stolen",
        status="open",
        priority="urgent",
        category="Fraud",
        escalation_tier=2,
        assignee_id=world.users["both_agent"].id,
        queue_id=queue.id,
        tags=["card", "fraud"],
        first_response_due_at=due,
        resolution_due_at=due,
    )
    assert changed.updated_at == clock.now()
    rows, total = cases.case_history(d, world.principal("acme_agent"), acme(world), case.id)
    assert total == 11
    assert {h.actor_name for h in rows[1:]} == {"Acme Supervisor"}
    assert all(h.at == clock.now() and h.actor_user_id == world.users["acme_supervisor"].id for h in rows[1:])
    assert history(world, case.id)[1:] == [
        ("subject", "Card lost", "Card stolen"),
        ("status", "new", "open"),
        ("priority", "normal", "urgent"),
        ("category", None, "Fraud"),
        ("escalation_tier", "0", "2"),
        ("assignee_id", None, str(world.users["both_agent"].id)),
        ("queue_id", None, str(queue.id)),
        ("tags", "card", "card, fraud"),
        ("first_response_due_at", None, due.isoformat()),
        ("resolution_due_at", None, due.isoformat()),
    ]
    # Sending the same values again changes nothing and writes nothing.
    clock.advance(minutes=1)
    same = change(world, case.id, subject="Card stolen", priority="urgent", tags=["fraud", "card"][::-1])
    assert same.updated_at == clock.now() - timedelta(minutes=1)
    assert len(history(world, case.id)) == 11
    change(world, case.id, assignee_id=None, queue_id=None, category=None)
    assert history(world, case.id)[-3:] == [
        ("category", "Fraud", None),
        ("assignee_id", str(world.users["both_agent"].id), None),
        ("queue_id", str(queue.id), None),
    ]


def test_tags_are_kept_in_the_case_and_the_filter_rows(world: World) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    case = open_case(world, tags=["a", "b"])
    change(world, case.id, tags=["b", "c"])
    for tag, expected in [("a", []), ("b", [case.id]), ("c", [case.id])]:
        rows, _ = cases.list_cases(d, p, acme(world), tag=tag)
        assert [r.id for r in rows] == expected
    assert cases.get_case(d, p, acme(world), case.id).tags == ["b", "c"]


def test_status_transitions_set_and_clear_times(world: World, clock: FakeClock) -> None:
    case = open_case(world)
    with pytest.raises(ValidationFailed):
        change(world, case.id, status="lost")
    clock.advance(hours=1)
    resolved = change(world, case.id, status="resolved")
    assert resolved.resolved_at == clock.now() and resolved.closed_at is None
    clock.advance(hours=1)
    reopened = change(world, case.id, status="open")
    assert reopened.resolved_at is None
    with pytest.raises(Conflict):
        change(world, case.id, status="new")
    clock.advance(hours=1)
    change(world, case.id, status="resolved")
    closed = change(world, case.id, status="closed")
    assert closed.closed_at == clock.now() and closed.resolved_at == clock.now()
    for changes in ({"status": "open"}, {"subject": "Edited later"}, {"tags": ["late"]}):
        with pytest.raises(Conflict):
            change(world, case.id, **changes)
    assert [h[0] for h in history(world, case.id)] == ["created", "status", "status", "status", "status"]


def test_update_refuses_unknown_fields_and_bad_values(world: World) -> None:
    case = open_case(world)
    for changes, field in cast(
        list[tuple[dict[str, Any], str]],
        [
            ({"customer_id": 3}, "customer_id"),
            ({"resolved_at": None}, "resolved_at"),
            ({"escalation_tier": 9}, "escalation_tier"),
            ({"priority": None}, "priority"),
            ({"assignee_id": world.users["globex_agent"].id}, "assignee_id"),
            ({"queue_id": 10**12}, "queue_id"),
            ({"tags": None}, "tags"),
        ],
    ):
        with pytest.raises(ValidationFailed) as err:
            change(world, case.id, **changes)
        assert err.value.field == field
    assert history(world, case.id) == [("created", None, "Card lost")]


def test_list_filters_sort_and_pages(world: World, clock: FakeClock) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    dana, eve = new_customer(world), new_customer(world, name="Eve")
    agent = world.users["acme_agent"].id
    a = open_case(
        world,
        customer_id=dana.id,
        subject="100% refund_request",
        priority="low",
        category="Billing",
        resolution_due_at=clock.now() + timedelta(days=2),
    )
    clock.advance(minutes=1)
    b = open_case(world, customer_id=eve.id, subject="Card not arriving", priority="urgent", assignee_id=agent)
    clock.advance(minutes=1)
    c = open_case(
        world,
        customer_id=dana.id,
        subject="Refund for card",
        priority="high",
        tags=["vip"],
        resolution_due_at=clock.now() + timedelta(days=1),
    )
    change(world, b.id, status="pending")
    clock.advance(minutes=1)
    change(world, c.id, status="resolved")
    cases.create_case(
        d,
        world.principal("globex_agent"),
        world.tenants["globex"].id,
        customer_id=new_customer(world, "globex").id,
        subject="Refund",
    )

    def ids(**kw: Any) -> list[int]:
        rows, _total = cases.list_cases(d, p, acme(world), **kw)
        return [r.id for r in rows]

    assert ids() == [c.id, b.id, a.id]  # most recently changed first
    assert ids(sort="created_at") == [a.id, b.id, c.id]
    assert ids(sort="-priority") == [b.id, c.id, a.id]  # urgent, high, low: by rank, not by spelling
    assert ids(sort="priority") == [a.id, c.id, b.id]
    assert ids(sort="status") == [a.id, b.id, c.id]  # new, pending, resolved
    assert ids(sort="resolution_due_at") == [c.id, a.id, b.id]  # cases without a due time come last
    assert ids(sort="-resolution_due_at") == [a.id, c.id, b.id]
    assert ids(status=["new", "pending"]) == [b.id, a.id]
    assert ids(open_only=True) == [b.id, a.id]
    assert ids(open_only=True, status=["resolved"]) == []
    assert ids(priority="urgent") == [b.id]
    assert ids(assignee_id=agent) == [b.id]
    assert ids(unassigned=True) == [c.id, a.id]
    assert ids(category="Billing") == [a.id]
    assert ids(tag="vip") == [c.id]
    assert ids(customer_id=dana.id) == [c.id, a.id]
    assert ids(q="REFUND") == [c.id, a.id]
    assert ids(q="100%") == [a.id]  # % and _ are literal characters, not wildcards
    assert ids(q="d_n") == []  # as a wildcard, _ would match "Card not"
    assert ids(q="_request") == [a.id]
    rows, total = cases.list_cases(d, p, acme(world), limit=1, offset=1, sort="created_at")
    assert total == 3 and [r.id for r in rows] == [b.id]
    for kwargs, field in cast(
        list[tuple[dict[str, Any], str]],
        [
            ({"sort": "subject"}, "sort"),
            ({"status": ["lost"]}, "status"),
            ({"priority": "asap"}, "priority"),
            ({"limit": 1000}, "limit"),
            ({"customer_id": 0}, "customer_id"),
            ({"q": "x" * 201}, "q"),
        ],
    ):
        with pytest.raises(ValidationFailed) as err:
            cases.list_cases(d, p, acme(world), **kwargs)
        assert err.value.field == field


def test_notes(world: World, clock: FakeClock) -> None:
    d = world.container.deps
    case = open_case(world)
    cases.add_note(d, world.principal("acme_agent"), acme(world), case.id, "Called back,\nno answer.")
    clock.advance(minutes=1)
    cases.add_note(d, world.principal("acme_supervisor"), acme(world), case.id, "Escalate tomorrow")
    rows, total = cases.case_notes(d, world.principal("acme_client_manager"), acme(world), case.id)
    assert total == 2
    assert [(n.body, n.author_name, n.author_user_id) for n in rows] == [
        ("Called back,\nno answer.", "Acme Agent", world.users["acme_agent"].id),
        ("Escalate tomorrow", "Acme Supervisor", world.users["acme_supervisor"].id),
    ]
    for bad in ("", "x" * 20_001, "nul\x00"):
        with pytest.raises(ValidationFailed) as err:
            cases.add_note(d, world.principal("acme_agent"), acme(world), case.id, bad)
        assert err.value.field == "body"
    with pytest.raises(PermissionDenied):
        cases.add_note(d, world.principal("acme_client_manager"), acme(world), case.id, "hello")
    with pytest.raises(NotFound):
        cases.add_note(d, world.principal("acme_agent"), acme(world), 10**9, "hello")


def test_link_interactions(world: World) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    dana, eve = new_customer(world), new_customer(world, name="Eve")
    case = open_case(world, customer_id=dana.id)
    call = interactions.create_interaction(d, p, acme(world), channel="voice", customer_id=dana.id)
    other = interactions.create_interaction(d, p, acme(world), channel="voice", customer_id=eve.id)
    theirs = interactions.create_interaction(
        d,
        world.principal("globex_agent"),
        world.tenants["globex"].id,
        channel="voice",
        customer_id=new_customer(world, "globex").id,
    )
    assert cases.link_interaction(d, p, acme(world), case.id, call.id).case_id == case.id
    assert cases.link_interaction(d, p, acme(world), case.id, call.id).case_id == case.id  # idempotent
    rows, total = cases.case_interactions(d, p, acme(world), case.id)
    assert total == 1 and rows[0].id == call.id
    assert history(world, case.id)[1:] == [("interaction", None, f"#{call.id}")]
    for interaction_id in (other.id, theirs.id, 10**12):
        with pytest.raises(ValidationFailed) as err:
            cases.link_interaction(d, p, acme(world), case.id, interaction_id)
        assert err.value.field == "interaction_id"
    with pytest.raises(NotFound):
        cases.link_interaction(d, p, acme(world), 10**9, call.id)


def test_access(world: World) -> None:
    d = world.container.deps
    case = open_case(world)
    viewer = world.principal("acme_client_manager")
    assert cases.get_case(d, viewer, acme(world), case.id).id == case.id
    with pytest.raises(PermissionDenied):
        cases.update_case(d, viewer, acme(world), case.id, {"priority": "high"})
    with pytest.raises(PermissionDenied):
        cases.create_case(d, viewer, acme(world), customer_id=case.customer_id, subject="x")
    outsider = world.principal("globex_agent")
    globex = world.tenants["globex"].id
    for call in (
        lambda: cases.get_case(d, outsider, acme(world), case.id),
        lambda: cases.get_case(d, outsider, globex, case.id),
        lambda: cases.update_case(d, outsider, globex, case.id, {"priority": "high"}),
        lambda: cases.case_history(d, outsider, globex, case.id),
        lambda: cases.case_notes(d, outsider, globex, case.id),
    ):
        with pytest.raises(NotFound):
            call()
