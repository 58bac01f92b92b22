"""Customers API: CRUD, identities, search, find-or-create, consents, orders, merge, 360, and hostile input."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock, World

ACME = "/api/v1/tenants/acme/customers"
GLOBEX = "/api/v1/tenants/globex/customers"


def create(client: TestClient, url: str = ACME, **body: Any) -> dict[str, Any]:
    response = client.post(url, json={"display_name": "Jane Doe", **body})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def add_interactions(world: World, tenant: str, customer_id: int, count: int, clock: FakeClock) -> None:
    with world.container.deps.uow() as uow:
        repo = uow.tenant(world.tenants[tenant].id).interactions
        for i in range(count):
            repo.create(
                customer_id=customer_id,
                channel="voice" if i % 3 else "email",
                direction="inbound",
                status="ended",
                subject=f"#{i}",
                created_at=clock.now() - timedelta(minutes=count - i),
                attributes={},
            )
        uow.commit()


def test_create_get_update_and_search(world: World) -> None:
    client = world.client("acme_agent")
    body = create(
        client,
        display_name=None,
        first_name="Zoë",
        last_name="Núñez",
        tier="vip",
        language="fr-ca",
        attributes={"plan": "gold"},
        external_ref="C-1",
        identities=[
            {"kind": "email", "value": "Zoe@X.example"},
            {"kind": "phone", "value": "212 736 5000"},
            {"kind": "social", "value": "@Zoe", "provider": "twitter"},
        ],
    )
    assert body["display_name"] == "Zoë Núñez" and body["language"] == "fr-CA" and body["merged_into_id"] is None
    assert "search_name" not in body
    assert sorted(i["value"] for i in body["identities"]) == ["+12127365000", "zoe", "zoe@x.example"]
    got = client.get(f"{ACME}/{body['id']}").json()
    assert got["attributes"] == {"plan": "gold"} and len(got["identities"]) == 3
    patched = client.patch(f"{ACME}/{body['id']}", json={"segment": "retail", "company": "Acme"})
    assert patched.status_code == 200 and patched.json()["segment"] == "retail"
    create(client, display_name="Bob")
    for q in ("nunez", "ZOË", "zoe@x.example", "+1 212-736-5000", "@zoe"):
        found = client.get(ACME, params={"q": q}).json()
        assert [c["display_name"] for c in found["items"]] == ["Zoë Núñez"], q
    listing = client.get(ACME, params={"sort": "-created_at", "limit": 1}).json()
    assert listing["total"] == 2 and listing["limit"] == 1 and listing["items"][0]["display_name"] == "Bob"
    assert client.get(ACME, params={"tier": "vip"}).json()["total"] == 1


def test_list_items_carry_primaries_and_last_contact(world: World, clock: FakeClock) -> None:
    client = world.client("acme_client_manager")
    writer = world.client("acme_agent")
    jane = create(
        writer,
        display_name="Jane",
        identities=[{"kind": "email", "value": "jane@x.example"}, {"kind": "phone", "value": "212 736 5000"}],
    )
    writer.post(f"{ACME}/{jane['id']}/identities", json={"kind": "email", "value": "j2@x.example", "primary": True})
    add_interactions(world, "acme", jane["id"], 3, clock)  # the newest (#2) is a voice call, 1 minute ago
    bare = create(writer, display_name="Bare")
    theirs = create(world.client("globex_agent"), GLOBEX, display_name="Jane Globex")
    add_interactions(world, "globex", theirs["id"], 1, clock)
    listing = client.get(ACME, params={"sort": "display_name"})
    assert listing.status_code == 200, listing.text
    items = {c["id"]: c for c in listing.json()["items"]}
    assert set(items) == {jane["id"], bare["id"]}
    got = items[jane["id"]]
    assert (got["primary_email"], got["primary_phone"], got["last_contact_channel"]) == (
        "j2@x.example",
        "+12127365000",
        "voice",
    )
    assert datetime.fromisoformat(got["last_contact_at"]) == clock.now() - timedelta(minutes=1)
    assert got["display_name"] == "Jane" and got["tier"] == "standard" and "attributes" in got  # fields kept
    for field in ("primary_email", "primary_phone", "last_contact_at", "last_contact_channel"):
        assert items[bare["id"]][field] is None, field
    found = client.get(ACME, params={"q": "j2@x.example"}).json()["items"]
    assert [c["primary_email"] for c in found] == ["j2@x.example"]


def test_conflicts_name_the_holder(world: World) -> None:
    client = world.client("acme_agent")
    first = create(client, external_ref="C-1", identities=[{"kind": "email", "value": "a@x.example"}])
    again = client.post(ACME, json={"display_name": "B", "external_ref": "C-1"})
    assert again.status_code == 409 and again.json()["field"] == "external_ref"
    second = create(client, display_name="B")
    taken = client.post(f"{ACME}/{second['id']}/identities", json={"kind": "email", "value": "A@x.example"})
    assert taken.status_code == 409 and f"customer {first['id']}" in taken.json()["detail"]
    added = client.post(f"{ACME}/{second['id']}/identities", json={"kind": "phone", "value": "+33612345678"})
    assert added.status_code == 201 and added.json()["region"] == "FR" and added.json()["is_primary"]
    # An identity is only removable through the customer that holds it.
    assert client.delete(f"{ACME}/{first['id']}/identities/{added.json()['id']}").status_code == 404
    assert client.delete(f"{ACME}/{second['id']}/identities/{added.json()['id']}").status_code == 204
    assert client.get(f"{ACME}/{second['id']}/identities").json() == []


def test_client_manager_reads_but_cannot_write(world: World) -> None:
    customer = create(world.client("acme_agent"))
    cid = customer["id"]
    for client in (world.client("acme_client_manager"), world.token_client("acme", "client_manager")):
        assert client.get(f"{ACME}/{cid}").status_code == 200
        assert client.get(f"{ACME}/{cid}/360").status_code == 200
        assert client.get(f"{ACME}/{cid}/consents").status_code == 200
        writes = [
            client.post(ACME, json={"display_name": "X"}),
            client.patch(f"{ACME}/{cid}", json={"segment": "x"}),
            client.post(f"{ACME}/{cid}/identities", json={"kind": "email", "value": "x@x.example"}),
            client.post(
                f"{ACME}/{cid}/consents",
                json={"purpose": "store_data", "granted": True, "channel": "email", "source": "x"},
            ),
            client.post(
                f"{ACME}/{cid}/orders",
                json={"external_ref": "O", "ordered_at": "2026-01-01T00:00:00Z", "amount": "1.00"},
            ),
            client.post(f"{ACME}/merge", json={"survivor_id": cid, "duplicate_id": cid}),
            client.post(f"{ACME}/find-or-create", json={"identity": {"kind": "email", "value": "x@x.example"}}),
            client.post(f"{ACME}/{cid}/account", json={"email": "x@x.example", "password": "a long password!"}),
        ]
        assert [w.status_code for w in writes] == [403] * len(writes)
    assert (
        world.client("acme_agent").post(f"{ACME}/merge", json={"survivor_id": cid, "duplicate_id": cid}).status_code
        == 403
    )


def test_other_tenants_customers_are_404_without_a_hint(world: World) -> None:
    customer = create(world.client("acme_agent"), identities=[{"kind": "email", "value": "a@x.example"}])
    cid = customer["id"]
    both = world.client("both_agent")  # serves both tenants, asks for an acme id under globex
    paths = ["", "/360", "/timeline", "/identities", "/consents", "/orders"]
    for path in paths:
        response = both.get(f"{GLOBEX}/{cid}{path}")
        assert response.status_code == 404, path
        assert "Jane" not in response.text and "a@x.example" not in response.text
    assert both.patch(f"{GLOBEX}/{cid}", json={"segment": "x"}).status_code == 404
    assert both.delete(f"{GLOBEX}/{cid}/identities/{customer['identities'][0]['id']}").status_code == 404
    globex_one = create(both, GLOBEX, display_name="G")
    supervisor = world.client("globex_supervisor")
    merge = supervisor.post(f"{GLOBEX}/merge", json={"survivor_id": globex_one["id"], "duplicate_id": cid})
    assert merge.status_code == 404
    assert world.client("globex_agent").get(f"{ACME}/{cid}").status_code == 404  # tenant out of reach
    # Searching globex for acme's email finds nothing.
    assert both.get(GLOBEX, params={"q": "a@x.example"}).json()["items"] == []


def test_find_or_create_creates_then_finds(world: World) -> None:
    client = world.client("acme_agent")
    body = {"identity": {"kind": "phone", "value": "(212) 736-5000"}, "defaults": {"display_name": "Caller"}}
    first = client.post(f"{ACME}/find-or-create", json=body)
    assert first.status_code == 201 and first.json()["created"] is True
    second = client.post(f"{ACME}/find-or-create", json={"identity": {"kind": "phone", "value": "+12127365000"}})
    assert second.status_code == 200 and second.json()["created"] is False
    assert second.json()["customer"]["id"] == first.json()["customer"]["id"]
    bad = client.post(f"{ACME}/find-or-create", json={"identity": {"kind": "phone", "value": "nope"}})
    assert bad.status_code == 422 and bad.json()["field"] == "identity.value"


def test_consents_and_orders(world: World, clock: FakeClock) -> None:
    client = world.client("acme_agent")
    cid = create(client)["id"]
    consent = {
        "purpose": "marketing_email",
        "granted": True,
        "channel": "voice",
        "source": "asked by agent on a phone call",
        "text": "Offers by email?",
    }
    assert client.post(f"{ACME}/{cid}/consents", json=consent).status_code == 201
    clock.advance(minutes=1)
    withdrawn = client.post(f"{ACME}/{cid}/consents", json={**consent, "granted": False, "channel": "email"})
    assert withdrawn.json()["recorded_by"] == world.users["acme_agent"].id
    view = client.get(f"{ACME}/{cid}/consents").json()
    assert [(c["purpose"], c["granted"]) for c in view["current"]] == [("marketing_email", False)]
    assert len(view["history"]) == 2
    future = client.post(f"{ACME}/{cid}/consents", json={**consent, "at": "2999-01-01T00:00:00Z"})
    assert future.status_code == 422 and future.json()["field"] == "at"
    naive = client.post(f"{ACME}/{cid}/consents", json={**consent, "at": "2026-01-01T00:00:00"})
    assert naive.status_code == 422 and naive.json()["field"] == "at"
    assert client.post(f"{ACME}/{cid}/consents", json={**consent, "granted": "yes"}).json()["field"] == "granted"

    order = {"external_ref": "O-1", "ordered_at": "2026-02-01T10:00:00Z", "amount": "19.99", "currency": "eur"}
    made = client.post(f"{ACME}/{cid}/orders", json=order)
    assert made.status_code == 201 and made.json()["amount"] == "19.99" and made.json()["currency"] == "EUR"
    assert client.post(f"{ACME}/{cid}/orders", json=order).status_code == 409
    newer = client.post(
        f"{ACME}/{cid}/orders", json={**order, "external_ref": "O-2", "amount": 5, "ordered_at": "2026-02-20T10:00:00Z"}
    )
    assert newer.status_code == 201 and newer.json()["amount"] == "5.00"
    assert [o["external_ref"] for o in client.get(f"{ACME}/{cid}/orders").json()["items"]] == ["O-2", "O-1"]
    for bad, field in (
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1e999999"}, "amount"),
        ({"amount": 1e308}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"ordered_at": "yesterday"}, "ordered_at"),
        ({"external_ref": ""}, "external_ref"),
    ):
        response = client.post(f"{ACME}/{cid}/orders", json={**order, "external_ref": "O-9", **bad})
        assert response.status_code == 422 and response.json()["field"] == field, (bad, response.text)


def test_merge_over_the_api(world: World, clock: FakeClock) -> None:
    agent, supervisor = world.client("acme_agent"), world.client("acme_supervisor")
    survivor = create(agent, display_name="Jane", identities=[{"kind": "email", "value": "jane@x.example"}])
    duplicate = create(
        agent, display_name="J. Doe", company="Acme", identities=[{"kind": "email", "value": "jd@x.example"}]
    )
    add_interactions(world, "acme", duplicate["id"], 4, clock)
    agent.post(
        f"{ACME}/{duplicate['id']}/orders",
        json={"external_ref": "O-1", "amount": "1.00", "ordered_at": "2026-01-01T00:00:00Z"},
    )
    merged = supervisor.post(f"{ACME}/merge", json={"survivor_id": survivor["id"], "duplicate_id": duplicate["id"]})
    assert merged.status_code == 200 and merged.json()["company"] == "Acme"
    gone = agent.get(f"{ACME}/{duplicate['id']}").json()
    assert gone["merged_into_id"] == survivor["id"] and gone["identities"] == []
    assert [c["id"] for c in agent.get(ACME).json()["items"]] == [survivor["id"]]
    view = agent.get(f"{ACME}/{survivor['id']}/360").json()
    assert view["total_interactions"] == 4 and len(view["recent_orders"]) == 1 and len(view["identities"]) == 2
    again = supervisor.post(f"{ACME}/merge", json={"survivor_id": survivor["id"], "duplicate_id": duplicate["id"]})
    assert again.status_code == 409
    itself = supervisor.post(f"{ACME}/merge", json={"survivor_id": survivor["id"], "duplicate_id": survivor["id"]})
    assert itself.status_code == 409
    patch_merged = agent.patch(f"{ACME}/{duplicate['id']}", json={"segment": "x"})
    assert patch_merged.status_code == 409
    audit = world.client("acme_supervisor").get("/api/v1/tenants/acme/audit").json()
    assert any(a["action"] == "customer.merge" and a["object_id"] == str(survivor["id"]) for a in audit)


def test_360_and_timeline_paging(world: World, clock: FakeClock) -> None:
    client = world.client("acme_agent")
    cid = create(client, identities=[{"kind": "email", "value": "jane@x.example"}])["id"]
    add_interactions(world, "acme", cid, 12, clock)
    view = client.get(f"{ACME}/{cid}/360", params={"timeline_limit": 5})
    assert view.status_code == 200
    body = view.json()
    assert body["total_interactions"] == 12 and body["counts_by_channel"] == {"email": 4, "voice": 8}
    assert body["summary"] == "last contact: voice, 1 minute ago"
    subjects = [e["subject"] for e in body["timeline"]]
    cursor = body["next_cursor"]
    while cursor:
        page = client.get(f"{ACME}/{cid}/timeline", params={"limit": 5, "before": cursor}).json()
        subjects += [e["subject"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert subjects == [f"#{i}" for i in range(11, -1, -1)]
    for params, field in (
        ({"before": "garbage"}, "before"),
        ({"before": "1.99999999999999999999"}, "before"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"limit": "x"}, "limit"),
    ):
        response = client.get(f"{ACME}/{cid}/timeline", params=params)
        assert response.status_code == 422 and response.json()["field"] == field, params
    assert client.get(f"{ACME}/{cid}/360", params={"timeline_limit": 201}).status_code == 422


def test_portal_account(world: World) -> None:
    client = world.client("acme_agent")
    cid = create(client)["id"]
    made = client.post(f"{ACME}/{cid}/account", json={"email": "Jane@X.example", "password": "a long password!"})
    assert made.status_code == 201 and made.json()["email"] == "jane@x.example"
    assert "password" not in made.text and "argon2" not in made.text
    again = client.post(f"{ACME}/{cid}/account", json={"email": "jane@x.example", "password": "a long password!"})
    assert again.status_code == 409
    weak = client.post(f"{ACME}/{cid}/account", json={"email": "j2@x.example", "password": "short"})
    assert weak.status_code == 422 and weak.json()["field"] == "password"


# --- hostile input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,field",
    [
        ({"display_name": "x" * 100_000}, "display_name"),
        ({"display_name": 42}, "display_name"),
        ({"display_name": None}, "display_name"),
        ({"display_name": "ok", "tier": 5}, "tier"),
        ({"display_name": "ok", "tier": "platinum"}, "tier"),
        ({"display_name": "ok", "attributes": "not an object"}, "attributes"),
        ({"display_name": "ok", "attributes": {str(i): i for i in range(10_000)}}, "attributes"),
        ({"display_name": "ok", "attributes": {"deep": {"a": {"b": 1}}}}, "attributes.deep"),
        ({"display_name": "ok", "identities": "a@b.example"}, "identities"),
        ({"display_name": "ok", "identities": [{"kind": "email", "value": "x"}] * 21}, "identities"),
        ({"display_name": "ok", "identities": [{"kind": "email", "value": "not-an-email"}]}, "identities.0.value"),
        ({"display_name": "ok", "identities": [{"kind": "pigeon", "value": "x"}]}, "identities.0.kind"),
        ({"display_name": "ok", "dedicated_agent_id": "1"}, "dedicated_agent_id"),
        ({"display_name": "ok", "dedicated_agent_id": 2**70}, "dedicated_agent_id"),
        ({"display_name": "ok", "language": "klingon!"}, "language"),
        ({"display_name": "ok", "merged_into_id": 1}, "merged_into_id"),
        ({"display_name": "ok", "tenant_id": 2}, "tenant_id"),
    ],
)
def test_hostile_create_bodies_get_422_naming_the_field(world: World, body: dict[str, Any], field: str) -> None:
    response = world.client("acme_agent").post(ACME, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


def test_nul_and_control_characters_never_reach_the_database(world: World) -> None:
    """PostgreSQL refuses NUL in text: every text input must be checked before it gets there."""
    client = world.client("acme_agent")
    cid = create(client)["id"]
    refused = [
        (client.post(ACME, json={"display_name": "Ja\x00ne"}), "display_name"),
        (client.post(ACME, json={"display_name": "ok", "company": "A\x00"}), "company"),
        (client.post(ACME, json={"display_name": "ok", "external_ref": "R\x00"}), "external_ref"),
        (
            client.post(
                ACME, json={"display_name": "ok", "identities": [{"kind": "email", "value": "a\x00@x.example"}]}
            ),
            "identities",
        ),
        (client.post(f"{ACME}/{cid}/identities", json={"kind": "chat", "value": "v\x00"}), "value"),
        (
            client.post(
                f"{ACME}/{cid}/consents",
                json={
                    "purpose": "store_data",
                    "granted": True,
                    "channel": "email",
                    "source": "form",
                    "text": "I agree\x00",
                },
            ),
            "text",
        ),
        (
            client.post(
                f"{ACME}/{cid}/orders",
                json={"external_ref": "O\x00", "amount": "1.00", "ordered_at": "2026-01-01T00:00:00Z"},
            ),
            "external_ref",
        ),
        (
            client.post(f"{ACME}/{cid}/account", json={"email": "a\x00@x.example", "password": "a long password!"}),
            "email",
        ),
    ]
    for response, field in refused:
        assert response.status_code == 422 and response.json()["field"] == field, response.text
    nul_attribute = client.patch(f"{ACME}/{cid}", json={"attributes": {"note": "a\x00b"}})
    assert nul_attribute.status_code == 422 and nul_attribute.json()["field"] == "attributes"
    odd = client.patch(f"{ACME}/{cid}", json={"attributes": {"note": "line 1\nline 2", "k\u00e9": "✓"}})
    assert odd.status_code == 200 and odd.json()["attributes"] == {"note": "line 1\nline 2", "ké": "✓"}
    multi_line = client.post(
        f"{ACME}/{cid}/consents",
        json={
            "purpose": "store_data",
            "granted": True,
            "channel": "email",
            "source": "form",
            "text": "Line one\nLine two",
        },
    )
    assert multi_line.status_code == 201


def test_dedicated_agent_of_another_tenant_is_422(world: World) -> None:
    response = world.client("acme_agent").post(
        ACME, json={"display_name": "V", "dedicated_agent_id": world.users["globex_agent"].id}
    )
    assert response.status_code == 422 and response.json()["field"] == "dedicated_agent_id"


def test_hostile_queries_and_ids(world: World) -> None:
    client = world.client("acme_agent")
    create(client)
    for q in ("' OR 1=1 --", "%", "_", "\\", "Robert'); DROP TABLE customers;--", "😀" * 50):
        response = client.get(ACME, params={"q": q})
        assert response.status_code == 200 and response.json()["items"] == [], q
    for q in ("x" * 201, "\x00", "a\x00b", "\u200b"):
        response = client.get(ACME, params={"q": q})
        assert response.status_code == 422 and response.json()["field"] == "q", q
    for params, field in (
        ({"sort": "password_hash"}, "sort"),
        ({"sort": "display_name; drop"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 10**30}, "limit"),
        ({"offset": -1}, "offset"),
        ({"tier": "gold"}, "tier"),
        ({"language": "x" * 17}, "language"),
    ):
        response = client.get(ACME, params=params)
        assert response.status_code == 422 and response.json()["field"] == field, params
    for forged in ("0", "-1", str(2**63), str(10**40)):
        assert client.get(f"{ACME}/{forged}").status_code == 404, forged
        assert client.get(f"{ACME}/{forged}/360").status_code == 404, forged
    assert client.get(f"{ACME}/abc").status_code == 422
    assert client.get(f"{ACME}/1.5/360").status_code == 422
    merge = world.client("acme_supervisor").post(f"{ACME}/merge", json={"survivor_id": 10**40, "duplicate_id": 1})
    assert merge.status_code in (404, 422)
    bad_json = client.post(ACME, content=b'{"display_name": ', headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    wrong_root = client.post(ACME, json=["display_name"])
    assert wrong_root.status_code == 422
    huge_amount = client.post(
        f"{ACME}/1/orders",
        content=b'{"external_ref":"O","ordered_at":"2026-01-01T00:00:00Z","amount":' + b"9" * 5000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert huge_amount.status_code in (400, 404, 422) and huge_amount.json()["status"] == huge_amount.status_code
