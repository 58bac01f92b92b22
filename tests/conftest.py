"""Shared fixtures: a real database on SQLite and on PostgreSQL, a controllable clock, an app client.

Tests that take `container` (or anything built on it) run once per backend. PostgreSQL tests are
skipped when no server answers, unless HELPLINE_REQUIRE_POSTGRES=1 (CI), which turns that into a
failure. Set HELPLINE_TEST_PG_URL to point at another server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from helpline.bootstrap import Container, build
from helpline.config import Settings
from helpline.domain.permissions import Principal
from helpline.domain.vocabulary import Role
from helpline.services import auth, tenants, users
from helpline.storage import migrate
from helpline.storage.tables import Base

PG_URL = os.environ.get("HELPLINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("HELPLINE_REQUIRE_POSTGRES") == "1"
PASSWORD = "correct horse battery"


class FakeClock:
    """A clock tests move by hand; starts at a fixed Monday morning."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current


def _pg_admin() -> Any:
    return create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 3},
    )


def _pg_database(name: str) -> str | None:
    """A fresh database of this test process's own on the PostgreSQL server (several runs may share it)."""
    try:
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # any failure to reach the server means "no PostgreSQL here"
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (HELPLINE_REQUIRE_POSTGRES=1) but unreachable: {exc}")
        return None
    return f"{PG_URL.rpartition('/')[0]}/{name}"


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str | None]]:
    sqlite = f"sqlite:///{tmp_path_factory.mktemp('db') / 'helpline.db'}"
    migrate.upgrade(sqlite)
    name = f"helpline_test_{os.getpid()}"
    pg = _pg_database(name)
    if pg:
        migrate.upgrade(pg)
    yield {"sqlite": sqlite, "postgres": pg}
    if pg:
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _wipe(container: Container) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with container.engine.begin() as conn:
        if container.engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("DELETE FROM sqlite_sequence")) if _has_sequence(conn) else None


def _has_sequence(conn: Any) -> bool:
    return conn.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() is not None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def container(backend: str, database_urls: dict[str, str | None], clock: FakeClock) -> Iterator[Container]:
    url = database_urls[backend]
    if url is None:
        pytest.skip("PostgreSQL not reachable (set HELPLINE_REQUIRE_POSTGRES=1 to make this an error)")
    c = build(Settings(database_url=url), clock=clock, fast_hashing=True)
    _wipe(c)
    yield c
    c.close()


@pytest.fixture
def deps(container: Container) -> Any:
    return container.deps


SYSTEM = None  # principal None = the CLI / loader, trusted


@dataclass
class World:
    """A small center: two tenants and one user of each role, plus helpers to make API clients."""

    container: Container
    app: Any
    tenants: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)

    def principal(self, name: str) -> Principal:
        user = self.users[name]
        role = Role(user.role)
        ids = None if role is Role.ADMIN else users.tenant_ids_of(self.container.deps, user.id)
        return Principal(role=role, tenant_ids=ids, user_id=user.id, name=user.name)

    def client(self, name: str | None = None) -> TestClient:
        """A client signed in as the named user (cookie session + CSRF header), or anonymous."""
        client = TestClient(self.app, raise_server_exceptions=False)
        if name is not None:
            response = client.post("/api/v1/auth/login", json={"email": self.users[name].email, "password": PASSWORD})
            assert response.status_code == 200, response.text
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    def token_client(self, tenant: str, role: str) -> TestClient:
        """A client using an API token scoped to one tenant and role."""
        _token, secret = auth.create_api_token(
            self.container.deps, self.principal("admin"), self.tenants[tenant].id, f"{role} token", role
        )
        client = TestClient(self.app, raise_server_exceptions=False)
        client.headers["Authorization"] = f"Bearer {secret}"
        return client


@pytest.fixture
def world(container: Container) -> World:
    """Tenants `acme` (region US) and `globex` (region FR); users admin, and per tenant a
    supervisor, agent and client_manager named like `acme_agent`; `both_agent` serves both."""
    from helpline.web.app import create_app

    d = container.deps
    w = World(container=container, app=create_app(container))
    w.tenants["acme"] = tenants.create_tenant(d, SYSTEM, "acme", "Acme Cards", "America/New_York", "en", "US")
    w.tenants["globex"] = tenants.create_tenant(d, SYSTEM, "globex", "Globex Telecom", "Europe/Paris", "fr", "FR")
    w.users["admin"] = users.create_user(d, SYSTEM, "admin@center.test", "Ada Admin", "admin", PASSWORD)
    for slug, tenant in w.tenants.items():
        for role in ("supervisor", "agent", "client_manager"):
            w.users[f"{slug}_{role}"] = users.create_user(
                d,
                SYSTEM,
                f"{role}@{slug}.test",
                f"{slug.title()} {role.replace('_', ' ').title()}",
                role,
                PASSWORD,
                [tenant.id],
            )
    w.users["both_agent"] = users.create_user(
        d, SYSTEM, "both@center.test", "Bo Both", "agent", PASSWORD, [t.id for t in w.tenants.values()]
    )
    return w


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say plainly which suites ran and which were skipped (and why), so nobody mistakes a skip for a pass."""
    suites = {
        "SQLite": lambda kw: "postgres" not in kw and "browser" not in kw,
        "PostgreSQL": lambda kw: "postgres" in kw,
        "browser (Chromium)": lambda kw: "browser" in kw,
    }
    terminalreporter.section("Helpline suites")
    for name, belongs in suites.items():
        ran = skipped = 0
        reasons: set[str] = set()
        for outcome in ("passed", "failed", "error"):
            ran += sum(1 for r in terminalreporter.stats.get(outcome, []) if r.when == "call" and belongs(r.keywords))
        for report in terminalreporter.stats.get("skipped", []):
            if belongs(report.keywords):
                skipped += 1
                if isinstance(report.longrepr, tuple):
                    reasons.add(str(report.longrepr[2]).removeprefix("Skipped: "))
        status = f"{ran} ran" + (f", {skipped} SKIPPED: {'; '.join(sorted(reasons))}" if skipped else "")
        terminalreporter.write_line(f"{name:>20}: {status}")
