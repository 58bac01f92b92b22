"""Ingest benchmark: interactions per second (service layer and HTTP), Customer 360 latency, CSV import.

Runs every figure on SQLite and on PostgreSQL (when a server answers) in one run:
- 10,000 interactions created through the service layer, one transaction each, one process;
- interactions created through HTTP against one `helpline serve` process: wrk (8 connections) for
  n/250 seconds where wrk is installed, else 8 Python client threads for n requests; the rows stored
  are counted afterwards, so nothing lost goes unnoticed;
- Customer 360 latency for a customer with 5,000 interactions (service call and HTTP GET);
- `helpline import customers` of a 100,000-row CSV (a real subprocess, start-up included).
Targets (issue 2): >= 1,000/s service, >= 300/s HTTP, 360 p99 <= 50 ms, 100k import <= 60 s.

    python bench/ingest.py [--interactions 10000] [--history 5000] [--import-rows 100000] [--quick]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import phonenumbers

from bench.harness import console, fresh_postgres, fresh_sqlite, percentile, report, server
from helpline.bootstrap import build
from helpline.config import Settings
from helpline.domain.permissions import Principal
from helpline.domain.vocabulary import Channel, Role
from helpline.services import auth, customers, interactions, tenants, users

CHANNELS = [c.value for c in Channel]
TARGETS = {"service_per_s": 1000, "http_per_s": 300, "c360_p99_ms": 50, "import_s": 60}


def setup(url: str) -> tuple[Any, Principal, int, list[int], str]:
    """A tenant, an admin, 200 customers and an API token; returns what the runs need."""
    c = build(Settings(database_url=url), fast_hashing=True)
    d = c.deps
    tenant = tenants.create_tenant(d, None, "bench", "Bench Co", "UTC", "en", "US")
    admin = users.create_user(d, None, "bench@bench.test", "Bench Admin", "admin", "bench-password-1")
    principal = Principal(role=Role.ADMIN, tenant_ids=None, user_id=admin.id, name=admin.name)
    ids = [
        customers.create_customer(
            d,
            principal,
            tenant.id,
            {"display_name": f"Customer {i}", "identities": [{"kind": "email", "value": f"c{i}@bench.test"}]},
        ).id
        for i in range(200)
    ]
    _token, secret = auth.create_api_token(d, principal, tenant.id, "bench", "agent")
    return c, principal, tenant.id, ids, secret


def service_rate(c: Any, principal: Principal, tenant_id: int, customer_ids: list[int], n: int) -> float:
    rng = random.Random(1)
    start = time.perf_counter()
    for i in range(n):
        interactions.create_interaction(
            c.deps,
            principal,
            tenant_id,
            channel=CHANNELS[i % len(CHANNELS)],
            customer_id=rng.choice(customer_ids),
            subject=f"Service bench {i}",
            messages=[{"author_kind": "customer", "body": "Hello, my card did not arrive."}],
        )
    return n / (time.perf_counter() - start)


def service_rate_threads(
    c: Any, principal: Principal, tenant_id: int, customer_ids: list[int], n: int, threads: int = 4
) -> float:
    """The same work from several threads of one process, as a web server's worker pool would do it."""
    per_thread = n // threads

    def worker(k: int) -> None:
        rng = random.Random(10 + k)
        for i in range(per_thread):
            interactions.create_interaction(
                c.deps,
                principal,
                tenant_id,
                channel=CHANNELS[i % len(CHANNELS)],
                customer_id=rng.choice(customer_ids),
                subject=f"Threaded bench {k}-{i}",
                messages=[{"author_kind": "customer", "body": "Hello, my card did not arrive."}],
            )

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return per_thread * threads / (time.perf_counter() - start)


def http_rate(base: str, secret: str, customer_ids: list[int], n: int, threads: int = 8) -> tuple[float, int]:
    headers = {"Authorization": f"Bearer {secret}"}
    per_thread = n // threads
    failures = 0

    def worker(k: int) -> int:
        bad = 0
        rng = random.Random(k)
        with httpx2.Client(base_url=base, headers=headers, timeout=30) as client:
            for i in range(per_thread):
                body = {
                    "channel": CHANNELS[i % len(CHANNELS)],
                    "customer_id": rng.choice(customer_ids),
                    "subject": f"HTTP bench {k}-{i}",
                    "messages": [{"author_kind": "customer", "body": "Hello, my card did not arrive."}],
                }
                if client.post("/api/v1/tenants/bench/interactions", json=body).status_code != 201:
                    bad += 1
        return bad

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        failures = sum(pool.map(worker, range(threads)))
    return per_thread * threads / (time.perf_counter() - start), failures


def http_rate_wrk(base: str, secret: str, customer_ids: list[int], n: int) -> tuple[float, int]:
    """The same load from wrk (C, one thread, 8 connections): the client takes little of the 2 cores."""
    script = Path(__file__).with_name("post_interactions.lua")
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            "-c8",
            f"-d{max(5, n // 250)}s",
            "-s",
            str(script),
            "-H",
            f"Authorization: Bearer {secret}",
            "-H",
            "Content-Type: application/json",
            f"{base}/api/v1/tenants/bench/interactions",
            "--",
            *map(str, customer_ids),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = dict(part.split("=") for part in out.strip().splitlines()[-1].split())
    return int(fields["requests"]) / float(fields["seconds"]), int(fields["non2xx"])


def heavy_customer(c: Any, principal: Principal, tenant_id: int, history: int) -> int:
    """A customer with `history` interactions spread over two years, plus a few cases."""
    heavy = customers.create_customer(
        c.deps,
        principal,
        tenant_id,
        {"display_name": "Heavy Caller", "identities": [{"kind": "email", "value": "heavy@bench.test"}]},
    ).id
    now = c.deps.clock.now()
    rng = random.Random(2)
    for i in range(history):
        created = now.replace(microsecond=0) - timedelta(minutes=rng.randrange(1, 1_000_000))
        interactions.create_interaction(
            c.deps,
            principal,
            tenant_id,
            channel=CHANNELS[i % len(CHANNELS)],
            customer_id=heavy,
            subject=f"History {i}",
            created_at=created,
        )
    return heavy


def _count_interactions(c: Any) -> int:
    with c.deps.uow() as uow:
        return int(uow.tenant(1).interactions.count())


def c360_latency(c: Any, principal: Principal, tenant_id: int, customer_id: int, rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        view = customers.customer_360(c.deps, principal, tenant_id, customer_id)
        samples.append((time.perf_counter() - start) * 1000)
        assert view.total_interactions > 0
    return percentile(samples, 50), percentile(samples, 99)


def c360_http_latency(base: str, secret: str, customer_id: int, rounds: int) -> tuple[float, float]:
    samples = []
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as client:
        for _ in range(rounds):
            start = time.perf_counter()
            response = client.get(f"/api/v1/tenants/bench/customers/{customer_id}/360")
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
    return percentile(samples, 50), percentile(samples, 99)


def write_csv(path: Path, rows: int) -> None:
    """A realistic customer file: names, valid emails and phones, some segments, tiers and consents."""
    rng = random.Random(3)
    first = ["Ana", "Ben", "Chloé", "David", "Emma", "Farid", "Grace", "Hugo", "Inès", "Jon", "Kemal", "Léa"]
    last = ["Martin", "Smith", "Tremblay", "Nguyen", "Roy", "García", "Cohen", "Okafor", "Dubois", "Kim"]
    areas = ["212", "312", "415", "617", "713", "206", "303", "404", "503", "602"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["external_ref", "name", "email", "phone", "language", "segment", "tier", "consent_store_data"])
        for i in range(rows):
            phone = ""
            while not phone:
                candidate = f"+1{rng.choice(areas)}{rng.randrange(200, 999)}{rng.randrange(0, 10000):04d}"
                if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
                    phone = candidate
            writer.writerow(
                [
                    f"EXT-{i:07d}",
                    f"{rng.choice(first)} {rng.choice(last)}",
                    f"customer{i}@example.com",
                    phone,
                    rng.choice(["en", "en", "fr"]),
                    rng.choice(["retail", "loyalty", ""]),
                    "vip" if rng.random() < 0.03 else "standard",
                    rng.choice(["yes", "no", ""]),
                ]
            )


def import_time(url: str, csv_path: Path) -> tuple[float, str]:
    env = {**os.environ, "HELPLINE_DATABASE_URL": url}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "helpline", "import", "customers", str(csv_path), "--tenant", "bench"],
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"import failed: {done.stderr[-2000:]}")
    return elapsed, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="helpline-bench-"))
    csv_path = tmp / "customers.csv"
    with console.status(f"writing {args.import_rows:,}-row CSV"):
        write_csv(csv_path, args.import_rows)
    figures: dict[str, Any] = {"targets": TARGETS}
    rows = []
    backends = {"sqlite": fresh_sqlite(tmp, "ingest"), "postgres": fresh_postgres("helpline_bench_ingest")}
    for name, url in backends.items():
        if url is None:
            rows.append([name, "skipped (no server)", "", "", "", "", "", ""])
            continue
        with console.status(f"{name}: service layer"):
            c, principal, tenant_id, ids, secret = setup(url)
            svc = service_rate(c, principal, tenant_id, ids, args.interactions)
            svc4 = service_rate_threads(c, principal, tenant_id, ids, args.interactions)
        with console.status(f"{name}: customer with {args.history:,} interactions"):
            heavy = heavy_customer(c, principal, tenant_id, args.history)
            svc_p50, svc_p99 = c360_latency(c, principal, tenant_id, heavy, args.rounds)
        with server(url) as base, console.status(f"{name}: HTTP"):
            before = _count_interactions(c)
            if shutil.which("wrk"):
                http, failures = http_rate_wrk(base, secret, ids, args.interactions)
                client = "wrk"
            else:
                http, failures = http_rate(base, secret, ids, args.interactions)
                client = "python"
            stored = _count_interactions(c) - before
            http_p50, http_p99 = c360_http_latency(base, secret, heavy, args.rounds)
        c.close()
        with console.status(f"{name}: import {args.import_rows:,} customers"):
            seconds, _summary = import_time(url, csv_path)
        figures[name] = {
            "service_interactions_per_s": round(svc),
            "service_interactions_per_s_4_threads": round(svc4),
            "http_interactions_per_s": round(http),
            "http_failures": failures,
            "http_client": client,
            "http_created_and_stored": stored,
            "c360_service_p50_ms": round(svc_p50, 2),
            "c360_service_p99_ms": round(svc_p99, 2),
            "c360_http_p50_ms": round(http_p50, 2),
            "c360_http_p99_ms": round(http_p99, 2),
            "import_rows": args.import_rows,
            "import_seconds": round(seconds, 1),
        }
        rows.append(
            [
                name,
                f"{svc:,.0f}/s",
                f"{svc4:,.0f}/s",
                f"{http:,.0f}/s ({failures} failed)",
                f"{svc_p50:.1f} / {svc_p99:.1f}",
                f"{http_p50:.1f} / {http_p99:.1f}",
                f"{seconds:.1f} s",
                f"{args.import_rows:,} rows",
            ]
        )
    report(
        "ingest",
        [
            "backend",
            "service create",
            "service create, 4 threads",
            "HTTP create",
            "360 service p50/p99 ms",
            "360 HTTP p50/p99 ms",
            "CSV import",
            "rows",
        ],
        rows,
        figures,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=5_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the script runs")
    args = parser.parse_args()
    if args.quick:
        args.interactions, args.history, args.import_rows, args.rounds = 400, 300, 2_000, 50
    run(args)


if __name__ == "__main__":
    main()
