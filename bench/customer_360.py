"""Customer 360 latency for a customer with thousands of interactions, on SQLite and PostgreSQL.

Run: .venv/bin/python -m bench.customer_360 [--interactions 6000] [--runs 300]
Measures the service call the desktop makes (customer_360) and a deep timeline page (keyset cursor),
in process, after loading one heavy customer among many ordinary ones.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bench.harness import fresh_postgres, fresh_sqlite, percentile, report
from helpline.bootstrap import build
from helpline.config import Settings
from helpline.domain.permissions import Principal
from helpline.domain.vocabulary import Role
from helpline.services import customers, tenants, users
from helpline.storage.tables import Interaction, Order

CHANNELS = ("voice", "email", "chat", "sms", "social", "web_form")
START = datetime(2025, 1, 1, tzinfo=UTC)


def load(url: str, heavy: int, others: int, per_other: int) -> tuple[Any, Principal, int, int]:
    container = build(Settings(database_url=url), fast_hashing=True)
    d = container.deps
    tenant = tenants.create_tenant(d, None, "bench", "Bench", "UTC", "en", "US")
    agent = users.create_user(d, None, "agent@bench.test", "Bench Agent", "agent", "bench password!", [tenant.id])
    principal = Principal(Role.AGENT, frozenset({tenant.id}), user_id=agent.id, name=agent.name)
    ids = [customers.create_customer(d, principal, tenant.id, {"display_name": f"C {i}"}).id for i in range(others + 1)]
    target = ids[-1]
    with d.uow() as uow:
        scope = uow.tenant(tenant.id)
        queue_id = scope.queues.create(name="Main", created_at=START).id
        session = scope.customers.session
        case_ids = []
        for i in range(20):
            status = "open" if i % 4 == 0 else "closed"
            case = scope.cases.create(
                customer_id=target,
                subject=f"Case {i}",
                status=status,
                priority="normal",
                tags=[],
                created_at=START,
                updated_at=START,
            )
            case_ids.append(case.id)
        rows: list[dict[str, Any]] = []
        for i in range(heavy):
            rows.append(
                _interaction(
                    tenant.id,
                    target,
                    i,
                    START + timedelta(minutes=30 * i),
                    agent.id,
                    queue_id,
                    case_ids[i % len(case_ids)] if i % 3 == 0 else None,
                )
            )
        for n, cid in enumerate(ids[:-1]):
            rows.extend(
                _interaction(tenant.id, cid, n * per_other + j, START + timedelta(hours=n + j), None, None, None)
                for j in range(per_other)
            )
        for start in range(0, len(rows), 2000):
            session.execute(insert(Interaction), rows[start : start + 2000])
        session.execute(
            insert(Order),
            [
                {
                    "tenant_id": tenant.id,
                    "customer_id": target,
                    "external_ref": f"O-{i}",
                    "amount": "10.00",
                    "currency": "USD",
                    "ordered_at": START + timedelta(days=i),
                }
                for i in range(200)
            ],
        )
        uow.commit()
    if container.engine.dialect.name == "postgresql":
        with container.engine.begin() as conn:  # statistics are transactional: commit them
            conn.execute(text("ANALYZE"))
    return container, principal, int(tenant.id), target


def _interaction(
    tenant_id: int,
    customer_id: int,
    i: int,
    at: datetime,
    agent_id: int | None,
    queue_id: int | None,
    case_id: int | None,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "customer_id": customer_id,
        "channel": CHANNELS[i % len(CHANNELS)],
        "direction": "inbound",
        "status": "wrapped_up",
        "subject": f"Contact {i}",
        "created_at": at,
        "agent_id": agent_id,
        "queue_id": queue_id,
        "case_id": case_id,
        "attributes": {},
    }


def measure(container: Any, principal: Principal, tenant_id: int, target: int, runs: int) -> dict[str, float]:
    d = container.deps
    view = customers.customer_360(d, principal, tenant_id, target)
    cursor = view.timeline.next_before
    for _ in range(60):  # walk 60 pages deep for the deep-page figure
        assert cursor is not None
        cursor = customers.customer_timeline(d, principal, tenant_id, target, 50, cursor).next_before
    figures: dict[str, float] = {}
    for name, call in (
        ("360", lambda: customers.customer_360(d, principal, tenant_id, target)),
        ("timeline_deep", lambda: customers.customer_timeline(d, principal, tenant_id, target, 50, cursor)),
    ):
        for _ in range(20):
            call()  # warm caches and the connection pool
        samples = []
        for _ in range(runs):
            began = time.perf_counter()
            call()
            samples.append((time.perf_counter() - began) * 1000)
        figures[f"{name}_p50_ms"] = round(percentile(samples, 50), 2)
        figures[f"{name}_p99_ms"] = round(percentile(samples, 99), 2)
    figures["interactions_of_customer"] = view.total_interactions
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interactions", type=int, default=6000)
    parser.add_argument("--others", type=int, default=500)
    parser.add_argument("--per-other", type=int, default=20)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"sqlite": fresh_sqlite(Path(tmp), "c360"), "postgres": fresh_postgres("helpline_bench_c360")}
        for backend, url in urls.items():
            if url is None:
                continue
            container, principal, tenant_id, target = load(url, args.interactions, args.others, args.per_other)
            try:
                results[backend] = measure(container, principal, tenant_id, target, args.runs)
            finally:
                container.close()
    rows = [
        (
            b,
            f["interactions_of_customer"],
            f["360_p50_ms"],
            f["360_p99_ms"],
            f["timeline_deep_p50_ms"],
            f["timeline_deep_p99_ms"],
        )
        for b, f in results.items()
    ]
    report(
        "customer_360",
        ["backend", "interactions", "360 p50 ms", "360 p99 ms", "page 61 p50 ms", "page 61 p99 ms"],
        rows,
        {"results": results, "target_p99_ms": 50},
    )


if __name__ == "__main__":
    main()
