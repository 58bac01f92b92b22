"""No input of any shape produces a 500: every route from the OpenAPI document gets hostile input.

For each operation: absurd path ids, empty / non-JSON / deeply nested / wrong-typed bodies, every
declared field set to a huge string, a NUL byte (PostgreSQL refuses it in text), a wrong type, and
an oversized body. Every answer must be below 500 and, when an error, problem+json.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World

PATH_VALUES = ["0", "-1", "99999999999999999999999", "abc", "1.5", "%2e%2e", "a" * 300]
RAW_BODIES = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b'"text"',
    b'{"a":' * 2000 + b"1" + b"}" * 2000,
    b"\xff\xfe\x00",
    b'{"x": 1e999999}',
    b"[" * 5000 + b"]" * 5000,
]


def _operations(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    spec = world.app.openapi()
    schemas = spec["components"]["schemas"]
    ops = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            props: dict[str, Any] = {}
            body = op.get("requestBody")
            if body:
                ref = next(iter(body["content"].values()))["schema"].get("$ref", "")
                props = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
            ops.append((method.upper(), path, props))
    return ops


def _url(template: str, value: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "acme" if m.group(1) == "tenant" else value, template)


def _check(response: Any, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), where
        assert response.json()["status"] == response.status_code, where


def _wrong_type(schema: dict[str, Any]) -> Any:
    kinds = {s.get("type") for s in schema.get("anyOf", [schema])}
    return "not-a-number" if kinds & {"integer", "number", "boolean"} else 12345


def _huge(schema: dict[str, Any]) -> Any:
    kinds = {s.get("type") for s in schema.get("anyOf", [schema])}
    if "array" in kinds:
        return ["x" * 1000] * 5000
    if "object" in kinds:
        return {f"k{i}": "v" * 100 for i in range(5000)}
    return "x" * 200_000 if "string" in kinds else 10**30


def _requests(client: TestClient, method: str, template: str, props: dict[str, Any], bodies: bool = True) -> None:
    for value in PATH_VALUES if "{" in template.replace("{tenant}", "") else ["1"]:
        url = _url(template, value)
        _check(client.request(method, url, json={} if method in ("POST", "PATCH") else None), f"{method} {url}")
    url = _url(template, "1")
    if method not in ("POST", "PATCH", "PUT", "DELETE"):
        for query in (
            "?limit=-1",
            "?limit=abc",
            "?offset=-5",
            "?sort=password_hash",
            "?q=" + "%27%3B--" * 500,
            "?limit=100000000000000000000",
            "?status=%00",
            "?created_after=yesterday",
        ):
            _check(client.request(method, url + query), f"{method} {url}{query}")
        return
    if not bodies:
        return
    for raw in RAW_BODIES:
        _check(
            client.request(method, url, content=raw, headers={"Content-Type": "application/json"}),
            f"{method} {url} raw {raw[:20]!r}",
        )
    for name, schema in props.items():
        for bad in (_huge(schema), _wrong_type(schema), "nul\x00byte", {"$gt": ""}):
            _check(client.request(method, url, json={name: bad}), f"{method} {url} {name}={str(bad)[:30]!r}")


def test_no_route_answers_500_to_hostile_input(world: World) -> None:
    client = world.client("admin")
    for method, template, props in _operations(world):
        if template.endswith("/auth/logout"):
            continue  # would end this client's session halfway through the sweep
        _requests(client, method, template, props)


def test_token_client_hostile_paths_and_queries_on_tenant_routes(world: World) -> None:
    """Bodies are validated the same whoever calls; what differs for a token is the path to the handler."""
    client = world.token_client("acme", "agent")
    for method, template, props in _operations(world):
        if template.startswith("/api/v1/tenants/{tenant}"):
            _requests(client, method, template, props, bodies=False)


def test_hostile_credentials_are_401_not_500(world: World) -> None:
    client = TestClient(world.app, raise_server_exceptions=False)
    for header in ("Bearer ", "Bearer hl_" + "x" * 5000, "Bearer \x00", "bearer hl_abc", "Token abc", "Bearer a b c"):
        _check(client.get("/api/v1/me", headers={"Authorization": header}), header[:20])
    client.cookies.set("helpline_session", "x" * 4000)
    _check(client.get("/api/v1/me"), "long cookie")
    for body in (
        {"email": "a" * 10_000, "password": "b"},
        {"email": "\x00", "password": "\x00"},
        {"email": 1},
        {"email": ["a"], "password": {}},
    ):
        _check(client.post("/api/v1/auth/login", json=body), f"login {str(body)[:30]}")
