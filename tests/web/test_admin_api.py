"""Administration API: sign-in, tenants, users, tokens, audit, and bad input."""

from __future__ import annotations

from tests.conftest import PASSWORD, World


def test_login_sets_session_and_me_lists_reachable_tenants(world: World) -> None:
    client = world.client("acme_agent")
    me = client.get("/api/v1/me").json()
    assert me["role"] == "agent"
    assert [t["slug"] for t in me["tenants"]] == ["acme"]
    assert [t["slug"] for t in world.client("admin").get("/api/v1/me").json()["tenants"]] == ["acme", "globex"]


def test_wrong_password_is_401_and_repeated_failures_are_rate_limited(world: World) -> None:
    client = world.client()
    body = {"email": "agent@acme.test", "password": "wrong password!"}
    statuses = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password waits out the window: the limiter does not tell them apart.
    right = client.post("/api/v1/auth/login", json={"email": "agent@acme.test", "password": PASSWORD})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    world.container.deps.clock.advance(minutes=16)  # type: ignore[attr-defined]
    assert client.post("/api/v1/auth/login", json={"email": "agent@acme.test", "password": PASSWORD}).status_code == 200


def test_cookie_session_needs_csrf_header_for_writes(world: World) -> None:
    client = world.client("admin")
    del client.headers["X-CSRF-Token"]
    response = client.post("/api/v1/tenants", json={"slug": "initech", "name": "Initech"})
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_admin_creates_tenant_and_it_is_audited(world: World) -> None:
    client = world.client("admin")
    created = client.post("/api/v1/tenants", json={"slug": "initech", "name": "Initech", "default_region": "GB"})
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/tenants", json={"slug": "initech", "name": "Again"}).status_code == 409
    audit = client.get("/api/v1/tenants/initech/audit").json()
    assert [a["action"] for a in audit] == ["tenant.create"]
    assert audit[0]["actor_user_id"] == world.users["admin"].id


def test_agent_cannot_create_tenants_or_users(world: World) -> None:
    client = world.client("acme_agent")
    assert client.post("/api/v1/tenants", json={"slug": "x", "name": "X"}).status_code == 403
    body = {"email": "new@x.test", "name": "N", "role": "agent", "password": PASSWORD, "tenant_ids": [1]}
    assert client.post("/api/v1/users", json=body).status_code == 403


def test_user_management_validates_role_and_tenants(world: World) -> None:
    client = world.client("admin")
    acme = world.tenants["acme"].id
    base = {"email": "cm@x.test", "name": "Clara", "password": PASSWORD}
    assert client.post("/api/v1/users", json={**base, "role": "wizard", "tenant_ids": [acme]}).json()["field"] == "role"
    two = client.post("/api/v1/users", json={**base, "role": "client_manager", "tenant_ids": [acme, acme + 1]})
    assert two.status_code == 422 and two.json()["field"] == "tenant_ids"
    ok = client.post("/api/v1/users", json={**base, "role": "client_manager", "tenant_ids": [acme]})
    assert ok.status_code == 201 and ok.json()["tenant_ids"] == [acme]
    short = client.patch(f"/api/v1/users/{ok.json()['id']}", json={"password": "short"})
    assert short.status_code == 422 and short.json()["field"] == "password"


def test_api_token_is_scoped_to_its_tenant_and_role(world: World) -> None:
    admin = world.client("admin")
    created = admin.post("/api/v1/tenants/acme/api-tokens", json={"name": "crm sync", "role": "agent"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("hl_") and created.json()["prefix"] == secret[:10]
    listed = admin.get("/api/v1/tenants/acme/api-tokens").json()
    assert "secret" not in listed[0] and "token_hash" not in listed[0]
    bot = world.client()
    bot.headers["Authorization"] = f"Bearer {secret}"
    assert bot.get("/api/v1/tenants/acme").status_code == 200
    assert bot.get("/api/v1/tenants/globex").status_code == 404
    assert bot.post("/api/v1/tenants/acme/api-tokens", json={"name": "x", "role": "agent"}).status_code == 403
    admin.delete(f"/api/v1/tenants/acme/api-tokens/{created.json()['id']}")
    assert bot.get("/api/v1/tenants/acme").status_code == 401


def test_malformed_and_oversized_bodies_get_problem_json(world: World) -> None:
    client = world.client("admin")
    bad = client.post("/api/v1/tenants", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    extra = client.post("/api/v1/tenants", json={"slug": "ok", "name": "Ok", "evil": 1})
    assert extra.status_code == 422 and extra.json()["field"] == "evil"
    huge = client.post("/api/v1/tenants", content=b"x" * 3_000_000, headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
    assert client.get("/api/v1/users/99999999999999999999999").status_code in (404, 422)
    assert client.post("/api/v1/tenants", json={"slug": "BAD SLUG", "name": "x"}).json()["field"] == "slug"
    assert (
        client.post("/api/v1/tenants", json={"slug": "tz", "name": "x", "timezone": "Mars/Base"}).json()["field"]
        == "timezone"
    )
    assert client.get("/api/v1/tenants/" + "a" * 500).status_code in (404, 422)
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
