"""Bulk data: customer CSV import (first run and idempotent re-run), export, and the demo load.

Run: .venv/bin/python -m bench.bulk_data [--rows 100000]
In process, through the same service calls as `helpline import customers`, `helpline export` and
`helpline demo`, on a fresh SQLite file and a fresh PostgreSQL database (skipped if none answers).
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import fresh_postgres, fresh_sqlite, report
from helpline.bootstrap import build
from helpline.cli import CLI_PRINCIPAL
from helpline.config import Settings
from helpline.services import demo, exporter, importer, tenants

HEADER = "external_ref,first_name,last_name,email,phone,company,language,segment,tier,consent_store_data,loyalty_number"


def write_csv(path: Path, rows: int) -> None:
    """Customers with valid emails and New York numbers; every 100th row repeats an earlier email."""
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for i in range(rows):
            email = f"ann.smith{rng.randrange(i)}@example.com" if i and i % 100 == 0 else f"ann.smith{i}@example.com"
            segment = rng.choice(("gold", "silver", ""))
            out.write(
                f"R{i:07d},Ann{i},Smith,{email},+1212{2000000 + i:07d},Co {i % 50},en,{segment},standard,yes,L{i}\n"
            )


def timed(work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def run(url: str, csv_path: Path, demo_url: str) -> dict[str, Any]:
    container = build(Settings(database_url=url))
    deps = container.deps
    tenant = tenants.create_tenant(deps, None, "bench", "Bench", "America/New_York", "en", "US")

    def load() -> importer.ImportReport:
        with csv_path.open("rb") as stream:
            return importer.import_customers(deps, CLI_PRINCIPAL, tenant.id, stream, source=csv_path.name)

    first_s, first = timed(load)
    again_s, again = timed(load)
    sink = io.StringIO()
    export_s, exported = timed(lambda: exporter.export(deps, CLI_PRINCIPAL, tenant.id, "customers", "csv", sink))
    container.close()
    demo_container = build(Settings(database_url=demo_url))
    demo_s, summary = timed(lambda: demo.load_demo(demo_container.deps))
    demo_container.close()
    assert again.created == 0 and exported == first.created
    return {
        "import_s": round(first_s, 2),
        "created": first.created,
        "duplicates": len(first.duplicates),
        "rerun_s": round(again_s, 2),
        "rerun_created": again.created,
        "export_s": round(export_s, 2),
        "demo_load_s": round(demo_s, 2),
        "demo_customers": summary.total("customers"),
        "demo_interactions": summary.total("interactions"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    figures: dict[str, Any] = {"rows": args.rows}
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "customers.csv"
        write_csv(csv_path, args.rows)
        targets = {
            "sqlite": (fresh_sqlite(Path(tmp), "import"), fresh_sqlite(Path(tmp), "demo")),
            "postgres": (fresh_postgres("helpline_bench_import"), fresh_postgres("helpline_bench_demo")),
        }
        for backend, (url, demo_url) in targets.items():
            if url is None or demo_url is None:
                continue
            result = run(url, csv_path, demo_url)
            figures[backend] = result
            table.append(
                (
                    backend,
                    f"{result['import_s']} s ({args.rows / result['import_s']:,.0f} rows/s)",
                    f"{result['rerun_s']} s ({result['rerun_created']} created)",
                    f"{result['export_s']} s",
                    f"{result['demo_load_s']} s",
                )
            )
    columns = ("database", f"import {args.rows:,} rows", "re-run", "export", "demo load")
    report("Bulk data: import, export, demo", columns, table, figures)


if __name__ == "__main__":
    main()
