"""Export: streamed CSV and JSON lines, formula injection neutralised, and a round trip through import."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from helpline.domain.errors import NotFound, ValidationFailed
from helpline.services import exporter, importer
from tests.conftest import World

FIXTURE = Path(__file__).parent.parent / "fixtures" / "customers_mixed.csv"
COMPARED = ("external_ref", "name", "email", "phone", "company", "language", "segment", "tier", "attributes")


def load(world: World, data: bytes | Path, tenant: str = "acme") -> importer.ImportReport:
    raw = data.read_bytes() if isinstance(data, Path) else data
    who = world.principal(f"{tenant}_agent")
    return importer.import_customers(world.container.deps, who, world.tenants[tenant].id, io.BytesIO(raw))


def export(world: World, kind: str, fmt: str, tenant: str = "acme", who: str | None = None, **kw: Any) -> str:
    out = io.StringIO()
    principal = world.principal(who or f"{tenant}_client_manager")  # reading is enough
    exporter.export(world.container.deps, principal, world.tenants[tenant].id, kind, fmt, out, **kw)
    return out.getvalue()


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_export_round_trips_through_the_importer(world: World) -> None:
    load(world, FIXTURE)
    first = export(world, "customers", "csv")
    report = load(world, first.encode(), tenant="globex")  # another tenant, another default region
    assert (report.created, len(report.errors)) == (6, 0)
    second = export(world, "customers", "csv", tenant="globex")
    pick = [{k: row[k] for k in COMPARED} for row in csv_rows(first)]
    assert pick == [{k: row[k] for k in COMPARED} for row in csv_rows(second)]
    assert len(pick) == 6


def test_csv_cells_that_look_like_formulas_are_neutralised(world: World) -> None:
    load(world, FIXTURE)
    load(world, b"external_ref,name,email,segment,tier,note\nF-1,-Minus,m@example.com,@at,standard,+plus\n")
    rows = {row["external_ref"]: row for row in csv_rows(export(world, "customers", "csv"))}
    assert rows["C-008"]["name"] == "'=cmd|' /C calc'!A0 Hacker"
    assert rows["C-008"]["company"] == '\'=HYPERLINK("http://evil.example")'
    assert rows["C-001"]["phone"] == "'+12125550101"
    assert (rows["F-1"]["name"], rows["F-1"]["segment"]) == ("'-Minus", "'@at")
    assert json.loads(rows["F-1"]["attributes"]) == {"note": "+plus"}  # JSON text starts with {
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    assert [exporter.neutralise(t) for t in ("=1", "+1", "-1", "@1", "\t1", "\r1", "1", "")] == [
        "'=1", "'+1", "'-1", "'@1", "'\t1", "'\r1", "1", ""
    ]  # fmt: skip


def test_json_lines_keep_values_as_they_are(world: World) -> None:
    load(world, FIXTURE)
    lines = export(world, "customers", "jsonl").splitlines()
    records = {r["external_ref"]: r for r in map(json.loads, lines)}
    assert len(lines) == 6
    hacker = records["C-008"]
    assert hacker["name"] == "=cmd|' /C calc'!A0 Hacker"  # JSON is data, not a spreadsheet
    assert hacker["attributes"] == {"Loyalty Number": "@SUM(1+1)"}
    bob = records["C-002"]
    assert [i["value"] for i in bob["identities"]] == ["bob.stone@example.com", "+12125550102", "bobby@example.com"]
    assert bob["created_at"].endswith("+00:00")


def test_rows_stream_in_batches_in_id_order(world: World) -> None:
    load(world, b"name,email\n" + b"".join(f"P{i},p{i}@example.com\n".encode() for i in range(5)))
    with world.container.deps.uow() as uow:
        batches = list(uow.tenant(world.tenants["acme"].id).bulk.stream("customers", batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    text = export(world, "customers", "jsonl", batch_size=2)
    assert [json.loads(line)["name"] for line in text.splitlines()] == [f"P{i}" for i in range(5)]


def test_interactions_and_cases_export(world: World) -> None:
    load(world, b"external_ref,name,email\nI-1,Ida,ida@example.com\n")
    now = world.container.deps.clock.now()
    tenant_id = world.tenants["acme"].id
    with world.container.deps.uow() as uow:
        bulk = uow.tenant(tenant_id).bulk
        customer_id = uow.tenant(tenant_id).customers.id_by_external_ref("I-1")
        [case_id] = bulk.insert_cases([{
            "customer_id": customer_id, "subject": "-1 refund", "status": "open", "priority": "high",
            "category": None, "escalation_tier": 1, "assignee_id": None, "queue_id": None, "tags": ["vip"],
            "first_response_due_at": None, "resolution_due_at": now + timedelta(days=1), "created_at": now,
            "updated_at": now, "resolved_at": None, "closed_at": None,
        }])  # fmt: skip
        bulk.insert_interactions([{
            "customer_id": customer_id, "case_id": case_id, "queue_id": None, "agent_id": None, "channel": "fax",
            "direction": "inbound", "status": "queued", "subject": "=2+2", "disposition_code": None,
            "external_ref": None, "attributes": {"pages": 2}, "created_at": now, "queued_at": now, "offered_at": None,
            "accepted_at": None, "ended_at": None, "wrapped_up_at": None,
        }])  # fmt: skip
        uow.commit()
    [case] = csv_rows(export(world, "cases", "csv"))
    assert (case["subject"], case["tags"], case["escalation_tier"]) == ("'-1 refund", '["vip"]', "1")
    [interaction] = [json.loads(line) for line in export(world, "interactions", "jsonl").splitlines()]
    assert (interaction["channel"], interaction["case_id"], interaction["subject"]) == ("fax", case_id, "=2+2")
    assert interaction["queued_at"] == now.isoformat() and interaction["ended_at"] is None
    assert export(world, "cases", "csv", tenant="globex").splitlines() == [",".join(exporter_columns(world, "cases"))]


def exporter_columns(world: World, kind: str) -> tuple[str, ...]:
    with world.container.deps.uow() as uow:
        return tuple(uow.tenant(world.tenants["acme"].id).bulk.export_columns(kind))


def test_an_empty_tenant_exports_just_the_header(world: World) -> None:
    assert export(world, "customers", "csv").splitlines() == [",".join(exporter.CUSTOMER_COLUMNS)]
    assert export(world, "customers", "jsonl") == ""


def test_export_checks_who_asks_and_what(world: World) -> None:
    load(world, FIXTURE)
    with pytest.raises(NotFound):
        export(world, "customers", "csv", who="globex_supervisor")
    with pytest.raises(ValidationFailed) as bad_kind:
        export(world, "users", "csv")
    assert bad_kind.value.field == "kind"
    with pytest.raises(ValidationFailed) as bad_format:
        export(world, "customers", "xlsx")
    assert bad_format.value.field == "format"
