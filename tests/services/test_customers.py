"""Customer services on SQLite and PostgreSQL: CRUD, identities, search, find-or-create, consents, orders,
merging without losing history, the Customer 360 and its keyset-paged timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event

from helpline.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.domain.identities import make_identity
from helpline.services import customers, users
from tests.conftest import FakeClock, World


def acme(world: World) -> int:
    return int(world.tenants["acme"].id)


def new_customer(
    world: World, name: str = "Jane Doe", who: str = "acme_agent", tenant: str = "acme", **fields: Any
) -> Any:
    return customers.create_customer(
        world.container.deps, world.principal(who), world.tenants[tenant].id, {"display_name": name, **fields}
    )


def add_interactions(
    world: World, tenant_id: int, customer_id: int, times: list[datetime], channel: str = "email", **fields: Any
) -> list[int]:
    """Rows straight through the tenant repositories: the interactions service is built elsewhere."""
    with world.container.deps.uow() as uow:
        repo = uow.tenant(tenant_id).interactions
        ids = [
            repo.create(
                customer_id=customer_id,
                channel=channel,
                direction="inbound",
                status="ended",
                subject=f"{channel} #{i}",
                created_at=at,
                attributes={},
                **fields,
            ).id
            for i, at in enumerate(times)
        ]
        uow.commit()
        return ids


def add_case(world: World, tenant_id: int, customer_id: int, status: str, at: datetime, subject: str = "Card") -> int:
    with world.container.deps.uow() as uow:
        case = uow.tenant(tenant_id).cases.create(
            customer_id=customer_id,
            subject=subject,
            status=status,
            priority="normal",
            tags=[],
            created_at=at,
            updated_at=at,
        )
        uow.commit()
        return int(case.id)


# --- create, get, update ------------------------------------------------------------------------


def test_create_folds_name_normalises_identities_and_gets(world: World) -> None:
    d = world.container.deps
    created = new_customer(
        world,
        None,
        first_name="Zoë",
        last_name="Núñez",
        language="fr-ca",
        tier="vip",
        attributes={"plan": "gold"},
        external_ref="C-1",
        identities=[
            {"kind": "email", "value": "Zoe@Example.com"},
            {"kind": "phone", "value": "(212) 736-5000"},
            {"kind": "email", "value": "zoe@example.com"},
        ],
    )
    assert created.display_name == "Zoë Núñez" and created.search_name == "zoe nunez"
    assert created.language == "fr-CA" and created.tier == "vip" and created.attributes == {"plan": "gold"}
    got = customers.get_customer(d, world.principal("acme_client_manager"), acme(world), created.id)
    assert got.external_ref == "C-1" and got.merged_into_id is None
    identities = customers.list_identities(d, world.principal("acme_agent"), acme(world), created.id)
    assert sorted((i.kind, i.value, i.region, i.is_primary) for i in identities) == [
        ("email", "zoe@example.com", None, True),
        ("phone", "+12127365000", "US", True),
    ]


def test_phone_without_plus_uses_the_tenants_region(world: World) -> None:
    c = new_customer(
        world, "Jean", who="globex_agent", tenant="globex", identities=[{"kind": "phone", "value": "06 12 34 56 78"}]
    )
    ids = customers.list_identities(
        world.container.deps, world.principal("globex_agent"), world.tenants["globex"].id, c.id
    )
    assert [(i.value, i.region) for i in ids] == [("+33612345678", "FR")]


def test_external_ref_and_identities_are_unique_per_tenant(world: World) -> None:
    first = new_customer(world, "A", external_ref="C-1", identities=[{"kind": "email", "value": "a@x.example"}])
    with pytest.raises(Conflict) as err:
        new_customer(world, "B", external_ref="C-1")
    assert err.value.field == "external_ref"
    with pytest.raises(Conflict) as err:
        new_customer(world, "B", identities=[{"kind": "email", "value": "A@X.example"}])
    assert f"customer {first.id}" in err.value.detail
    # Another tenant may use the same reference and email: tenants never collide.
    other = new_customer(
        world,
        "B",
        who="globex_agent",
        tenant="globex",
        external_ref="C-1",
        identities=[{"kind": "email", "value": "a@x.example"}],
    )
    assert other.id != first.id


def test_update_changes_fields_and_refuses_bad_ones(world: World, clock: FakeClock) -> None:
    d, p = world.container.deps, world.principal("acme_agent")
    c = new_customer(world, "Jane Doe")
    new_customer(world, "Taken", external_ref="C-9")
    clock.advance(minutes=5)
    updated = customers.update_customer(
        d,
        p,
        acme(world),
        c.id,
        {"display_name": "Jane Ë. Doe", "segment": "retail", "attributes": {"a": 1}, "company": "  "},
    )
    assert updated.search_name == "jane e. doe" and updated.segment == "retail" and updated.company is None
    assert updated.updated_at == clock.now() and updated.created_at < updated.updated_at
    with pytest.raises(Conflict):
        customers.update_customer(d, p, acme(world), c.id, {"external_ref": "C-9"})
    with pytest.raises(ValidationFailed) as err:
        customers.update_customer(d, p, acme(world), c.id, {"tier": "platinum"})
    assert err.value.field == "tier"
    with pytest.raises(ValidationFailed) as err:
        customers.update_customer(d, p, acme(world), c.id, {"merged_into_id": 1})
    assert err.value.field == "merged_into_id"


def test_dedicated_agent_must_be_active_and_serve_the_tenant(world: World) -> None:
    d = world.container.deps
    agent = world.users["acme_agent"]
    c = new_customer(world, "VIP", dedicated_agent_id=agent.id)
    assert c.dedicated_agent_id == agent.id
    for bad in (world.users["globex_agent"].id, world.users["acme_client_manager"].id, 10**12, -1, "1", True):
        with pytest.raises(ValidationFailed) as err:
            new_customer(world, "X", dedicated_agent_id=bad)
        assert err.value.field == "dedicated_agent_id"
    users.update_user(d, world.principal("admin"), agent.id, {"is_active": False})
    with pytest.raises(ValidationFailed):
        customers.update_customer(
            d, world.principal("acme_supervisor"), acme(world), c.id, {"dedicated_agent_id": agent.id}
        )


def test_other_tenant_and_read_only_roles(world: World) -> None:
    d = world.container.deps
    c = new_customer(world, "Jane")
    with pytest.raises(NotFound):
        customers.get_customer(d, world.principal("globex_agent"), acme(world), c.id)
    with pytest.raises(NotFound):  # both_agent reaches globex, but the id is acme's
        customers.get_customer(d, world.principal("both_agent"), world.tenants["globex"].id, c.id)
    with pytest.raises(PermissionDenied):
        new_customer(world, "No", who="acme_client_manager")
    with pytest.raises(PermissionDenied):
        customers.merge_customers(d, world.principal("acme_agent"), acme(world), c.id, c.id)


# --- identities, search, find-or-create ---------------------------------------------------------


def test_add_and_remove_identities_keep_one_primary_per_kind(world: World) -> None:
    d, p, t = world.container.deps, world.principal("acme_agent"), acme(world)
    c = new_customer(world, "Jane", identities=[{"kind": "email", "value": "one@x.example"}])
    two = customers.add_identity(d, p, t, c.id, "email", "two@x.example")
    assert not two.is_primary
    again = customers.add_identity(d, p, t, c.id, "email", "TWO@x.example")  # already hers: a no-op
    assert again.id == two.id
    handle = customers.add_identity(d, p, t, c.id, "social", "@JaneDoe", "twitter")
    assert handle.is_primary and handle.value == "janedoe"
    other = new_customer(world, "Other")
    with pytest.raises(Conflict) as err:
        customers.add_identity(d, p, t, other.id, "email", "one@x.example")
    assert f"customer {c.id}" in err.value.detail
    first = next(i for i in customers.list_identities(d, p, t, c.id) if i.value == "one@x.example")
    customers.remove_identity(d, p, t, c.id, first.id)
    left = {i.value: i.is_primary for i in customers.list_identities(d, p, t, c.id)}
    assert left == {"two@x.example": True, "janedoe": True}
    with pytest.raises(NotFound):  # an identity of another customer is not reachable through this one
        customers.remove_identity(d, p, t, other.id, two.id)


def test_search_by_name_email_phone_handle_with_filters_and_paging(world: World, clock: FakeClock) -> None:
    d, p, t = world.container.deps, world.principal("acme_client_manager"), acme(world)
    zoe = new_customer(
        world,
        "Zoë Núñez",
        tier="vip",
        segment="retail",
        language="fr",
        identities=[
            {"kind": "email", "value": "zoe@x.example"},
            {"kind": "phone", "value": "+1 212 736 5000"},
            {"kind": "chat", "value": "Visitor-7"},
        ],
    )
    for i in range(5):
        clock.advance(minutes=1)
        new_customer(world, f"Person {i}", segment="smb")
    new_customer(world, "100% Real_Name")

    def names(**kw: Any) -> list[str]:
        return [c.display_name for c in customers.search_customers(d, p, t, **kw).items]

    assert names(q="nunez") == ["Zoë Núñez"] == names(q="ZOË") == names(q="zoe@x.example")
    assert names(q="(212) 736-5000") == ["Zoë Núñez"] == names(q="visitor-7") == names(q="@Visitor-7")
    assert names(q="%") == ["100% Real_Name"] and names(q="_") == ["100% Real_Name"]
    assert names(q="' OR 1=1 --") == []
    assert names(tier="vip") == ["Zoë Núñez"] and names(language="FR") == ["Zoë Núñez"]
    page = customers.search_customers(d, p, t, segment="smb", sort="-created_at", limit=2, offset=1)
    assert [c.display_name for c in page.items] == ["Person 3", "Person 2"] and page.total == 5
    assert names(sort="display_name")[0] == "100% Real_Name"
    assert zoe.id in {c.id for c in customers.search_customers(d, p, t).items}
    with pytest.raises(ValidationFailed) as err:
        customers.search_customers(d, p, t, sort="search_name; drop table customers")
    assert err.value.field == "sort"
    with pytest.raises(ValidationFailed):
        customers.search_customers(d, p, t, limit=100_000)


def test_find_or_create_finds_by_any_written_form(world: World) -> None:
    d, p, t = world.container.deps, world.principal("acme_agent"), acme(world)
    created, was_new = customers.find_or_create(
        d,
        p,
        t,
        {"kind": "phone", "value": "212-736-5000"},
        {"first_name": "Ann", "last_name": "Lee", "segment": "retail"},
    )
    assert was_new and created.display_name == "Ann Lee" and created.segment == "retail"
    found, was_new = customers.find_or_create(
        d, p, t, {"kind": "phone", "value": "+1 (212) 736 5000"}, {"display_name": "Someone Else"}
    )
    assert not was_new and found.id == created.id and found.display_name == "Ann Lee"
    anonymous, was_new = customers.find_or_create(d, p, t, {"kind": "email", "value": "Who@X.example"}, {})
    assert was_new and anonymous.display_name == "who@x.example"
    with pytest.raises(ValidationFailed) as err:
        customers.find_or_create(d, p, t, {"kind": "phone", "value": "not a phone"}, {})
    assert err.value.field == "identity.value"
    with pytest.raises(ValidationFailed) as err:
        customers.find_or_create(d, p, t, {"kind": "email", "value": "a@b.example"}, {"identities": []})
    assert err.value.field == "identities"


def test_find_or_create_in_runs_inside_the_callers_transaction(world: World, clock: FakeClock) -> None:
    d, t = world.container.deps, acme(world)
    identity = make_identity("email", "new@x.example")
    with d.uow() as uow:
        customer, created = customers.find_or_create_in(uow, t, identity, clock.now(), "  New\x00 Sender  ")
        again, created_again = customers.find_or_create_in(uow, t, identity, clock.now(), "ignored")
        assert created and not created_again and again.id == customer.id and customer.display_name == "New Sender"
        uow.rollback()  # the caller decides: nothing is kept
    with d.uow() as uow:
        assert uow.tenant(t).customers.holder_of(identity) is None
        customer, created = customers.find_or_create_in(uow, t, identity, clock.now(), "x" * 500)
        assert created and len(customer.display_name) == 200
        uow.commit()
    found, created = customers.find_or_create(
        d, world.principal("acme_agent"), t, {"kind": "email", "value": "NEW@x.example"}, {}
    )
    assert not created and found.id == customer.id


def test_batch_lookups_for_the_importer(world: World) -> None:
    d, t = world.container.deps, acme(world)
    a = new_customer(
        world,
        "A",
        external_ref="R-1",
        identities=[{"kind": "email", "value": "a@x.example"}, {"kind": "social", "value": "aa", "provider": "x"}],
    )
    new_customer(
        world,
        "G",
        who="globex_agent",
        tenant="globex",
        external_ref="R-2",
        identities=[{"kind": "email", "value": "g@x.example"}],
    )
    with d.uow() as uow:
        repo = uow.tenant(t).customers
        keys = [
            ("email", "", "a@x.example"),
            ("email", "", "g@x.example"),
            ("social", "x", "aa"),
            ("social", "y", "aa"),
        ] + [("email", "", f"n{i}@x.example") for i in range(1200)]
        assert repo.ids_by_identity_keys(keys) == {("email", "", "a@x.example"): a.id, ("social", "x", "aa"): a.id}
        assert repo.ids_by_external_refs(["R-1", "R-2", "R-3", *[f"Z{i}" for i in range(1200)]]) == {"R-1": a.id}


# --- consents, orders, accounts -----------------------------------------------------------------


def test_consents_are_append_only_and_current_is_latest_per_purpose(world: World, clock: FakeClock) -> None:
    d, p, t = world.container.deps, world.principal("acme_agent"), acme(world)
    c = new_customer(world)
    customers.record_consent(
        d,
        p,
        t,
        c.id,
        "marketing_email",
        True,
        "voice",
        "asked by agent on a phone call",
        text="May we email you offers?",
        at=clock.now() - timedelta(days=3),
    )
    customers.record_consent(d, p, t, c.id, "store_data", True, "web_form", "sign-up form")
    clock.advance(hours=1)
    withdrawn = customers.record_consent(d, p, t, c.id, "marketing_email", False, "email", "unsubscribe link")
    assert withdrawn.recorded_by == world.users["acme_agent"].id and withdrawn.at == clock.now()
    view = customers.list_consents(d, world.principal("acme_client_manager"), t, c.id)
    assert [(x.purpose, x.granted) for x in view.current] == [("marketing_email", False), ("store_data", True)]
    assert len(view.history) == 3 and view.history[0].id == withdrawn.id
    with pytest.raises(ValidationFailed) as err:
        customers.record_consent(d, p, t, c.id, "marketing_email", True, "pigeon", "x")
    assert err.value.field == "channel"
    with pytest.raises(ValidationFailed) as err:
        customers.record_consent(d, p, t, c.id, "marketing_email", "yes", "email", "x")
    assert err.value.field == "granted"
    with pytest.raises(ValidationFailed) as err:
        customers.record_consent(d, p, t, c.id, "marketing_email", True, "email", "x", at=clock.now() + timedelta(1))
    assert err.value.field == "at"


def test_orders_unique_ref_newest_first(world: World, clock: FakeClock) -> None:
    d, p, t = world.container.deps, world.principal("acme_agent"), acme(world)
    c = new_customer(world)
    for i, days in enumerate((10, 1, 5)):
        customers.add_order(
            d, p, t, c.id, f"O-{i}", clock.now() - timedelta(days=days), f"{i}9.99", "eur", category="cards"
        )
    with pytest.raises(Conflict) as err:
        customers.add_order(d, p, t, c.id, "O-1", clock.now(), "1.00")
    assert err.value.field == "external_ref"
    listing = customers.list_orders(d, p, t, c.id, limit=2)
    assert [o.external_ref for o in listing.items] == ["O-1", "O-2"] and listing.total == 3
    assert listing.items[0].amount == Decimal("19.99") and listing.items[0].currency == "EUR"


def test_customer_account_hashes_password_and_email_is_unique(world: World) -> None:
    d, p, t = world.container.deps, world.principal("acme_agent"), acme(world)
    c = new_customer(world)
    account = customers.create_customer_account(d, p, t, c.id, "Jane@X.example", "a long password!")
    assert account.email == "jane@x.example" and account.password_hash != "a long password!"
    assert d.hasher.verify(account.password_hash, "a long password!")
    with pytest.raises(Conflict):
        customers.create_customer_account(d, p, t, new_customer(world, "B").id, "jane@x.example", "a long password!")
    with pytest.raises(ValidationFailed) as err:
        customers.create_customer_account(d, p, t, c.id, "other@x.example", "short")
    assert err.value.field == "password"


# --- merge --------------------------------------------------------------------------------------


def test_merge_moves_all_history_to_the_survivor(world: World, clock: FakeClock) -> None:
    d, t = world.container.deps, acme(world)
    sup, agent = world.principal("acme_supervisor"), world.principal("acme_agent")
    survivor = new_customer(
        world, "Jane Doe", attributes={"plan": "gold"}, identities=[{"kind": "email", "value": "jane@x.example"}]
    )
    duplicate = new_customer(
        world,
        "J. Doe",
        company="Acme Corp",
        external_ref="C-7",
        tier="vip",
        attributes={"plan": "silver", "card": "1234"},
        identities=[{"kind": "email", "value": "jd@x.example"}, {"kind": "phone", "value": "+12127365000"}],
    )
    add_interactions(world, t, duplicate.id, [clock.now() - timedelta(hours=h) for h in (1, 2, 3)])
    case_id = add_case(world, t, duplicate.id, "open", clock.now())
    customers.record_consent(d, agent, t, duplicate.id, "marketing_sms", True, "sms", "keyword reply")
    customers.add_order(d, agent, t, duplicate.id, "O-1", clock.now(), "5.00")
    customers.create_customer_account(d, agent, t, duplicate.id, "jd@x.example", "a long password!")
    with d.uow() as uow:
        uow.tenant(t).notes.create(
            customer_id=duplicate.id, author_name="Agent", body="called twice", created_at=clock.now()
        )
        uow.commit()
    earlier = new_customer(world, "Jay Doe")  # merged into the duplicate first: it must follow along
    customers.merge_customers(d, sup, t, duplicate.id, earlier.id)

    clock.advance(minutes=1)
    merged = customers.merge_customers(d, sup, t, survivor.id, duplicate.id)
    assert merged.id == survivor.id and merged.company == "Acme Corp" and merged.external_ref == "C-7"
    assert merged.tier == "vip" and merged.attributes == {"plan": "gold", "card": "1234"}

    view = customers.customer_360(d, agent, t, survivor.id)
    assert view.total_interactions == 3 and [c.id for c in view.open_cases] == [case_id]
    assert [c.purpose for c in view.consents] == ["marketing_sms"]
    assert [o.external_ref for o in view.recent_orders] == ["O-1"]
    assert sorted(i.value for i in view.identities) == ["+12127365000", "jane@x.example", "jd@x.example"]
    assert {i.value for i in view.identities if i.is_primary} == {"jane@x.example", "+12127365000"}
    gone = customers.get_customer(d, agent, t, duplicate.id)
    assert gone.merged_into_id == survivor.id and gone.external_ref is None
    assert customers.get_customer(d, agent, t, earlier.id).merged_into_id == survivor.id
    assert customers.customer_360(d, agent, t, duplicate.id).total_interactions == 0
    listed = {c.id for c in customers.search_customers(d, agent, t).items}
    assert survivor.id in listed and duplicate.id not in listed and earlier.id not in listed
    with d.uow() as uow:
        notes = [
            n.body
            for n in uow.tenant(t).notes.session.scalars(
                uow.tenant(t).notes.scoped().where(uow.tenant(t).notes.model.customer_id == survivor.id)
            )
        ]
        audit = [
            (a.action, a.object_id, a.details["duplicate_id"])
            for a in uow.tenant(t).audit.recent(10)
            if a.action == "customer.merge"
        ]
        account = uow.tenant(t).customers.account_id_by_email("jd@x.example")
    assert "called twice" in notes and any(f"Customer #{duplicate.id}" in n and "3 interactions" in n for n in notes)
    assert (("customer.merge", str(survivor.id), duplicate.id)) in audit
    assert account is not None
    # Found by the duplicate's old phone: the survivor answers.
    found, created = customers.find_or_create(d, agent, t, {"kind": "phone", "value": "+1 212 736 5000"}, {})
    assert not created and found.id == survivor.id
    assert customers.search_customers(d, agent, t, q="jd@x.example").items[0].id == survivor.id


def test_merge_refusals(world: World) -> None:
    d, t, sup = world.container.deps, acme(world), world.principal("acme_supervisor")
    a, b, c = new_customer(world, "A"), new_customer(world, "B"), new_customer(world, "C")
    with pytest.raises(Conflict):
        customers.merge_customers(d, sup, t, a.id, a.id)
    customers.merge_customers(d, sup, t, a.id, b.id)
    with pytest.raises(Conflict) as err:
        customers.merge_customers(d, sup, t, a.id, b.id)
    assert err.value.field == "duplicate_id"
    with pytest.raises(Conflict) as err:
        customers.merge_customers(d, sup, t, b.id, c.id)
    assert err.value.field == "survivor_id"
    with pytest.raises(Conflict):  # a merged customer takes no new history
        customers.add_identity(d, sup, t, b.id, "email", "b@x.example")
    g = new_customer(world, "G", who="globex_agent", tenant="globex")
    with pytest.raises(NotFound):
        customers.merge_customers(d, sup, t, a.id, g.id)
    with pytest.raises(NotFound):
        customers.merge_customers(d, sup, t, a.id, 2**70)


# --- Customer 360 -------------------------------------------------------------------------------


def test_360_shows_everything_with_names_joined_and_summary(world: World, clock: FakeClock) -> None:
    d, t, agent = world.container.deps, acme(world), world.principal("acme_agent")
    c = new_customer(world, "Jane", identities=[{"kind": "email", "value": "jane@x.example"}])
    with d.uow() as uow:
        queue_id = uow.tenant(t).queues.create(name="Billing", created_at=clock.now()).id
        uow.commit()
    open_case = add_case(world, t, c.id, "pending", clock.now() - timedelta(days=5), "Lost card")
    add_case(world, t, c.id, "closed", clock.now() - timedelta(days=9))
    add_interactions(world, t, c.id, [clock.now() - timedelta(days=6)], channel="voice")
    add_interactions(
        world,
        t,
        c.id,
        [clock.now() - timedelta(days=3)],
        channel="email",
        case_id=open_case,
        queue_id=queue_id,
        agent_id=world.users["acme_agent"].id,
    )
    for i in range(12):
        customers.add_order(d, agent, t, c.id, f"O-{i}", clock.now() - timedelta(days=i), "1.00")
    customers.record_consent(d, agent, t, c.id, "store_data", True, "web_form", "sign-up form")

    view = customers.customer_360(d, agent, t, c.id)
    assert view.summary == f"last contact: email, 3 days ago, case #{open_case} pending"
    first = view.timeline.items[0]
    assert (first.channel, first.agent_name, first.queue_name, first.case_id) == (
        "email",
        "Acme Agent",
        "Billing",
        open_case,
    )
    assert view.timeline.items[1].agent_name is None and view.timeline.next_before is None
    assert view.counts_by_channel == {"email": 1, "voice": 1} and view.total_interactions == 2
    assert [x.id for x in view.open_cases] == [open_case]
    assert [o.external_ref for o in view.recent_orders] == [f"O-{i}" for i in range(10)]
    assert [x.purpose for x in view.consents] == ["store_data"] and len(view.identities) == 1
    empty = customers.customer_360(d, agent, t, new_customer(world, "New").id)
    assert empty.summary == "no contact yet" and empty.timeline.items == [] and empty.counts_by_channel == {}


def test_timeline_is_newest_first_and_keyset_pages_without_gaps(world: World, clock: FakeClock) -> None:
    d, t, agent = world.container.deps, acme(world), world.principal("acme_agent")
    c = new_customer(world)
    other = new_customer(world, "Other")
    base = clock.now() - timedelta(days=30)
    # 25 at distinct times plus 10 sharing one timestamp: the id breaks ties across page edges.
    times = [base + timedelta(hours=i) for i in range(25)] + [base + timedelta(hours=12, minutes=30)] * 10
    ids = add_interactions(world, t, c.id, times, channel="chat")
    add_interactions(world, t, other.id, [base + timedelta(hours=5)])
    expected = [i for _, i in sorted(zip(times, ids, strict=True), reverse=True)]

    seen: list[int] = []
    view = customers.customer_360(d, agent, t, c.id, timeline_limit=7)
    seen += [e.id for e in view.timeline.items]
    before = view.timeline.next_before
    pages = 1
    while before is not None:
        page = customers.customer_timeline(d, agent, t, c.id, limit=7, before=before)
        seen += [e.id for e in page.items]
        before = page.next_before
        pages += 1
    assert seen == expected and pages == 5
    assert view.summary == "last contact: chat, 29 days ago"
    # A 360 asked for a later page still summarises the latest contact and pages like the timeline.
    later = customers.customer_360(d, agent, t, c.id, timeline_limit=7, before=view.timeline.next_before)
    assert later.summary == view.summary and [e.id for e in later.timeline.items] == expected[7:14]
    with pytest.raises(NotFound):
        customers.customer_timeline(d, world.principal("globex_agent"), world.tenants["globex"].id, c.id)
    with pytest.raises(ValidationFailed):
        customers.customer_360(d, agent, t, c.id, timeline_limit=0)


def test_timeline_query_uses_the_customer_index(world: World, container: Any, clock: FakeClock) -> None:
    """The real timeline statement, captured as sent, is planned on ix_interactions_customer_created."""
    t = acme(world)
    others = [new_customer(world, f"Other {i}") for i in range(9)]
    c = new_customer(world)
    for customer in [*others, c]:  # as in real data, one customer holds a small share of the rows
        add_interactions(world, t, customer.id, [clock.now() - timedelta(minutes=i) for i in range(40)])
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "FROM interactions" in statement:
            sent.append((statement, parameters))

    event.listen(container.engine, "before_cursor_execute", capture)
    try:
        with world.container.deps.uow() as uow:
            uow.tenant(t).customers.views.timeline(c.id, 50, (clock.now(), 10**9))
    finally:
        event.remove(container.engine, "before_cursor_execute", capture)
    ((statement, parameters),) = sent
    with container.engine.connect() as conn:
        if container.engine.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        else:
            conn.exec_driver_sql("ANALYZE interactions")  # fresh statistics, as autovacuum would gather
            conn.exec_driver_sql("SET enable_seqscan = off")  # tiny table: make the planner show its choice
            plan = " ".join(str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_interactions_customer_created" in plan, plan


# --- list summaries -------------------------------------------------------------------------------


def test_summaries_pick_the_primary_identity_and_the_newest_contact(world: World, clock: FakeClock) -> None:
    d, p, t = world.container.deps, world.principal("acme_client_manager"), acme(world)
    now = clock.now()
    jane = new_customer(
        world,
        "Jane",
        identities=[
            {"kind": "email", "value": "old@x.example"},
            {"kind": "phone", "value": "+1 415 555 0142"},
            {"kind": "chat", "value": "visitor-1"},
        ],
    )
    customers.add_identity(d, world.principal("acme_agent"), t, jane.id, "email", "new@x.example", primary=True)
    customers.add_identity(d, world.principal("acme_agent"), t, jane.id, "phone", "+1 212 736 5000")
    add_interactions(world, t, jane.id, [now - timedelta(days=3)], channel="voice")
    add_interactions(world, t, jane.id, [now - timedelta(hours=1)], channel="chat")
    add_interactions(world, t, jane.id, [now - timedelta(days=2)], channel="email")
    tied = new_customer(world, "Tied", identities=[{"kind": "email", "value": "a@x.example"}])
    add_interactions(world, t, tied.id, [now - timedelta(hours=2)], channel="email")
    add_interactions(world, t, tied.id, [now - timedelta(hours=2)], channel="sms")  # same time, higher id
    bare = new_customer(world, "Bare")

    got = customers.customer_summaries(d, p, t, [jane.id, tied.id, bare.id])
    assert got[jane.id] == customers.CustomerSummary(
        jane.id, "new@x.example", "+14155550142", now - timedelta(hours=1), "chat"
    )
    assert (got[tied.id].last_contact_channel, got[tied.id].last_contact_at) == ("sms", now - timedelta(hours=2))
    assert got[bare.id] == customers.CustomerSummary(bare.id, None, None, None, None)
    # The same answers the per-customer reads give (the list used to make those, row by row).
    for cid in (jane.id, tied.id, bare.id):
        newest = customers.customer_timeline(d, p, t, cid, limit=1).items
        assert (got[cid].last_contact_channel, got[cid].last_contact_at) == (
            (newest[0].channel, newest[0].created_at) if newest else (None, None)
        )
        marked = {i.kind: i.value for i in customers.list_identities(d, p, t, cid) if i.is_primary}
        assert (got[cid].primary_email, got[cid].primary_phone) == (marked.get("email"), marked.get("phone"))


def test_summaries_fall_back_to_the_earliest_identity_when_flags_disagree(world: World) -> None:
    d, p, t = world.container.deps, world.principal("acme_agent"), acme(world)
    c = new_customer(world, "Flags", identities=[{"kind": "email", "value": "first@x.example"}])
    customers.add_identity(d, p, t, c.id, "email", "second@x.example")
    customers.add_identity(d, p, t, c.id, "email", "third@x.example")
    with d.uow() as uow:  # as a half-finished import could leave them: no primary, then two
        rows = uow.tenant(t).customers.identities(c.id)
        for row in rows:
            row.is_primary = False
        uow.commit()
    assert customers.customer_summaries(d, p, t, [c.id])[c.id].primary_email == "first@x.example"
    with d.uow() as uow:
        for row in uow.tenant(t).customers.identities(c.id):
            row.is_primary = row.value != "first@x.example"
        uow.commit()
    assert customers.customer_summaries(d, p, t, [c.id])[c.id].primary_email == "second@x.example"


def test_summaries_are_tenant_scoped_and_refuse_bad_ids(world: World, clock: FakeClock) -> None:
    d, t, globex = world.container.deps, acme(world), world.tenants["globex"].id
    mine = new_customer(world, "Mine", identities=[{"kind": "email", "value": "mine@x.example"}])
    theirs = new_customer(
        world, "Theirs", who="globex_agent", tenant="globex", identities=[{"kind": "email", "value": "t@x.example"}]
    )
    add_interactions(world, globex, theirs.id, [clock.now()])
    agent = world.principal("acme_agent")
    forged = [theirs.id, mine.id, 0, -1, 2**63, 2**64, 10**12, mine.id]
    assert list(customers.customer_summaries(d, agent, t, forged)) == [mine.id]
    assert customers.customer_summaries(d, agent, t, [theirs.id]) == {}
    # both_agent reaches both tenants, but under acme a globex id is still nobody.
    assert customers.customer_summaries(d, world.principal("both_agent"), t, [theirs.id]) == {}
    assert list(customers.customer_summaries(d, world.principal("globex_agent"), globex, [mine.id, theirs.id])) == [
        theirs.id
    ]
    with pytest.raises(NotFound):
        customers.customer_summaries(d, world.principal("globex_agent"), t, [mine.id])
    assert customers.customer_summaries(d, agent, t, []) == {}
    for bad in (["1"], [True], [1.0], "123", None, list(range(1, 502))):
        with pytest.raises(ValidationFailed) as err:
            customers.customer_summaries(d, agent, t, bad)  # type: ignore[arg-type]
        assert err.value.field == "customer_ids"


def test_summaries_cost_two_indexed_statements_whatever_the_page_size(
    world: World, container: Any, clock: FakeClock
) -> None:
    d, p, t = world.container.deps, world.principal("acme_agent"), acme(world)
    ids = []
    for i in range(25):
        c = new_customer(world, f"P{i}", identities=[{"kind": "phone", "value": f"+1 415 555 {1000 + i}"}])
        add_interactions(world, t, c.id, [clock.now() - timedelta(minutes=m) for m in range(8)])
        ids.append(c.id)
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        sent.append((statement, parameters))

    event.listen(container.engine, "before_cursor_execute", capture)
    try:
        customers.customer_summaries(d, p, t, ids[:1])
        one = len(sent)
        got = customers.customer_summaries(d, p, t, ids)
    finally:
        event.remove(container.engine, "before_cursor_execute", capture)
    assert len(got) == 25 and all(s.primary_phone and s.last_contact_channel == "email" for s in got.values())
    assert len(sent) == 2 * one
    reads = [(s, params) for s, params in sent[one:] if "interactions" in s or "customer_identities" in s]
    assert len(reads) == 2, [s for s, _ in sent[one:]]
    (statement, parameters) = next(r for r in reads if "FROM interactions" in r[0])
    with container.engine.connect() as conn:
        if container.engine.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
        else:
            conn.exec_driver_sql("ANALYZE interactions")
            conn.exec_driver_sql("SET enable_seqscan = off")  # tiny table: make the planner show its choice
            plan = " ".join(str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_interactions_customer_created" in plan, plan
