"""Demo loader: the three demo clients, their staff and six months of history, inserted in bulk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from helpline.domain.errors import Conflict
from helpline.services import audit, schedules, tenants, users
from helpline.services.agents import ensure_builtin_profiles
from helpline.services.demo_data import LOGINS, PASSWORDS, DemoData, Ref, TenantData, agent_profiles, generate
from helpline.services.ports import Deps, PasswordHasher

DEFAULT_SEED = 7
DEMO_TABLES = (
    "customers",
    "customer_identities",
    "consents",
    "orders",
    "cases",
    "case_history",
    "case_tags",
    "notes",
    "interactions",
    "messages",
    "queues",
    "users",
    "user_tenants",
    "agents",
)


@dataclass(frozen=True, slots=True)
class Login:
    role: str
    email: str
    password: str


@dataclass
class DemoSummary:
    base: datetime
    seed: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # tenant slug -> table -> rows

    @property
    def logins(self) -> list[Login]:
        return demo_logins()

    def total(self, table: str) -> int:
        return sum(per_tenant.get(table, 0) for per_tenant in self.counts.values())


def demo_logins() -> list[Login]:
    """One account per role, with its (public, fixed) demo password."""
    return [Login(role, email, PASSWORDS[role]) for role, email in LOGINS.items()]


def database_state(deps: Deps) -> str:
    """'empty' (nothing yet), 'demo' (the demo is loaded) or 'other' (someone else's data)."""
    with deps.uow() as uow:
        slugs = {t.slug for t in uow.center.tenants()}
        if not slugs and uow.center.count_users() == 0:
            return "empty"
        return "demo" if "cardinal" in slugs else "other"


class _FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class _HashOnce:
    """argon2 is slow on purpose: every demo user of a role shares one password, so hash it once."""

    def __init__(self, inner: PasswordHasher) -> None:
        self.inner = inner
        self.hashes: dict[str, str] = {}

    def hash(self, password: str) -> str:
        if password not in self.hashes:
            self.hashes[password] = self.inner.hash(password)
        return self.hashes[password]

    def verify(self, password_hash: str, password: str) -> bool:
        return self.inner.verify(password_hash, password)


def load_demo(
    deps: Deps,
    seed: int = DEFAULT_SEED,
    base: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    scale: float = 1.0,
) -> DemoSummary:
    """Generate the demo from `seed` (history ending at `base`, default now) and insert it.

    Refuses (Conflict) a database that already holds tenants or users: demo accounts and slugs
    would clash with them.
    """
    if database_state(deps) != "empty":
        raise Conflict("the database already holds data; load the demo into an empty database", field="database")
    base = base or deps.clock.now().replace(second=0, microsecond=0)
    data = generate(seed, base, scale)
    note = progress or (lambda _step: None)
    note("generated")
    assert deps.hasher is not None
    # Tenants and staff are created through the regular use cases (validated and audited), dated
    # before the oldest customer so the history reads in order.
    setup = Deps(
        uow=deps.uow,
        clock=_FixedClock(base - timedelta(days=4 * 365)),
        hasher=_HashOnce(deps.hasher),
        events=deps.events,
    )
    tenant_ids = {
        t.spec.slug: tenants.create_tenant(
            setup, None, t.spec.slug, t.spec.name, t.spec.timezone, t.spec.language, t.spec.region
        ).id
        for t in data.tenants
    }
    user_ids = {
        u.email: users.create_user(
            setup, None, u.email, u.name, u.role, u.password, [tenant_ids[s] for s in u.tenants]
        ).id
        for u in data.users
    }
    _load_agents(deps, data, user_ids)
    note("staff")
    summary = DemoSummary(base=data.base, seed=seed)
    for tenant in data.tenants:
        summary.counts[tenant.spec.slug] = _load_tenant(deps, tenant_ids[tenant.spec.slug], tenant, user_ids)
        note(tenant.spec.slug)
    _record(deps, data, summary)
    with deps.uow() as uow:
        # Fresh tables have no planner statistics yet; the demo's first pages should be fast.
        uow.tenant(tenant_ids[data.tenants[0].spec.slug]).bulk.refresh_statistics(DEMO_TABLES)
        uow.commit()
    # This week's shifts, built from the forecast of the history just loaded, so the Schedule and
    # Intraday pages have a published roster to show.
    schedules.seed_demo(deps)
    note("schedule")
    return summary


def _load_agents(deps: Deps, data: DemoData, user_ids: dict[str, int]) -> None:
    """Routing profiles for the demo's agents and supervisors; everyone starts offline (they sign in)."""
    with deps.uow() as uow:
        ensure_builtin_profiles(uow)
        profile_ids = {p.name: p.id for p in uow.center.agents.profiles()}
        for agent in agent_profiles(data.users):
            uow.center.agents.create(
                user_id=user_ids[agent["email"]],
                skills=agent["skills"],
                languages=agent["languages"],
                site=agent["site"],
                profile_id=profile_ids[agent["profile"]],
                presence="offline",
            )
        uow.commit()


def _load_tenant(deps: Deps, tenant_id: int, data: TenantData, user_ids: dict[str, int]) -> dict[str, int]:
    """Every row of one tenant in one transaction, each table in a few multi-row statements."""
    refs: dict[str, Any] = {"user": user_ids}
    with deps.uow() as uow:
        bulk = uow.tenant(tenant_id).bulk
        refs["queue"] = bulk.insert_queues(_resolved(data.queues, refs))
        refs["customer"] = bulk.insert_customers(_resolved(data.customers, refs))
        bulk.insert_identities(_resolved(data.identities, refs))
        bulk.insert_consents(_resolved(data.consents, refs))
        bulk.insert_orders(_resolved(data.orders, refs))
        refs["case"] = bulk.insert_cases(_resolved(data.cases, refs))
        bulk.insert_case_tags(_resolved(data.case_tags, refs))
        refs["interaction"] = bulk.insert_interactions(_resolved(data.interactions, refs))
        bulk.insert_case_history(_resolved(data.case_history, refs))  # it names interactions
        bulk.insert_messages(_resolved(data.messages, refs))
        bulk.insert_notes(_resolved(data.notes, refs))
        uow.commit()
    tables = (
        "queues",
        "customers",
        "identities",
        "consents",
        "orders",
        "cases",
        "case_history",
        "case_tags",
        "interactions",
        "messages",
        "notes",
    )
    return {name: len(getattr(data, name)) for name in tables}


def _resolved(rows: Sequence[dict[str, Any]], refs: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows with each Ref replaced by the id its row got on insert."""
    return [{k: _id(v, refs) if isinstance(v, Ref) else v for k, v in row.items()} for row in rows]


def _id(ref: Ref, refs: dict[str, Any]) -> int | str:
    found = refs[ref.kind][ref.key]
    return str(found) if ref.text else int(found)


def _record(deps: Deps, data: DemoData, summary: DemoSummary) -> None:
    with deps.uow() as uow:
        audit.record(
            uow,
            deps,
            None,
            "demo.load",
            "demo",
            None,
            seed=data.seed,
            base=data.base.isoformat(),
            customers=summary.total("customers"),
            interactions=summary.total("interactions"),
        )
        uow.commit()
