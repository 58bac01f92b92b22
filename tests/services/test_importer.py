"""Customer CSV import: good rows in, bad rows reported by line, duplicates merged, re-runs idempotent."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from helpline.domain.errors import NotFound, PermissionDenied, ValidationFailed
from helpline.services import customers, importer
from helpline.services.importer import ImportReport
from tests.conftest import World

FIXTURE = Path(__file__).parent.parent / "fixtures" / "customers_mixed.csv"
# The lines of the fixture that must be refused, and a word of each reason.
BAD_LINES = {
    4: "email",
    5: "phone",
    6: "needs a name",
    7: "at most 100 characters",
    8: "expected 11 columns, found 12",
    9: "UTF-8",
    14: "tier",
    15: "yes or no",
    20: "email",
}


def run(world: World, data: bytes | Path, tenant: str = "acme", who: str = "acme_agent", **kw: Any) -> ImportReport:
    stream = data.open("rb") if isinstance(data, Path) else io.BytesIO(data)
    with stream:
        return importer.import_customers(
            world.container.deps, world.principal(who), world.tenants[tenant].id, stream, source="customers.csv", **kw
        )


def stored(world: World, tenant: str = "acme") -> dict[str, dict[str, Any]]:
    """Every customer of the tenant by external_ref (or name), with identities and consents."""
    out: dict[str, dict[str, Any]] = {}
    with world.container.deps.uow() as uow:
        repo = uow.tenant(world.tenants[tenant].id).customers
        for batch in uow.tenant(world.tenants[tenant].id).bulk.stream("customers"):
            for row in batch:
                row["identities"] = [(i.kind, i.value, i.is_primary) for i in repo.identities(row["id"])]
                row["consents"] = [(c.purpose, c.granted, c.channel, c.source) for c in repo.consents(row["id"])]
                out[row["external_ref"] or row["display_name"]] = row
    return out


def existing_customer(world: World) -> Any:
    data = {"display_name": "Ex Isting", "identities": [{"kind": "email", "value": "existing@example.com"}]}
    return customers.create_customer(
        world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, data
    )


def test_good_rows_load_bad_rows_are_reported_by_line(world: World) -> None:
    before = existing_customer(world)
    report = run(world, FIXTURE)
    assert {e.line: e.reason for e in report.errors}.keys() == BAD_LINES.keys()
    for problem in report.errors:
        assert BAD_LINES[problem.line] in problem.reason, problem
    assert (report.created, report.updated, report.unchanged) == (5, 1, 0)
    assert report.rows == 19 and report.loaded == 10

    rows = stored(world)
    assert set(rows) == {"C-001", "C-002", "C-008", "C-012", "C-013", "C-020"}
    ann = rows["C-001"]
    assert (ann["display_name"], ann["company"], ann["tier"], ann["segment"]) == (
        "Ann Lee",
        "Acme Dental",
        "vip",
        "loyalty_gold",
    )
    assert ann["attributes"] == {"Loyalty Number": "L-1"}  # unknown columns become attributes
    assert ("phone", "+12125550101", True) in ann["identities"]
    assert ann["consents"] == [("store_data", True, "work_item", "imported from customers.csv")]
    # A national number is read with the tenant's region; emails are lowercased.
    bob = rows["C-002"]
    assert ("phone", "+12125550102", True) in bob["identities"]
    assert ("email", "bob.stone@example.com", True) in bob["identities"]
    assert bob["consents"][0][:2] == ("store_data", False)
    # Formula-looking cells are kept as plain text, never evaluated or altered.
    hacker = rows["C-008"]
    assert hacker["display_name"] == "=cmd|' /C calc'!A0 Hacker"
    assert hacker["company"] == '=HYPERLINK("http://evil.example")'
    assert hacker["attributes"] == {"Loyalty Number": "@SUM(1+1)"}
    assert rows["C-012"]["display_name"] == "Zoé Côté" and rows["C-012"]["language"] == "fr-CA"
    assert rows["C-013"]["attributes"] == {"Loyalty Number": "two\nlines"}
    # The customer stored before the import was updated, not created again.
    existing = rows["C-020"]
    assert existing["id"] == before.id and existing["display_name"] == "Existing Person"


def test_duplicates_in_the_file_are_merged_into_the_first_rows_customer(world: World) -> None:
    before = existing_customer(world)
    report = run(world, FIXTURE)
    ids = {ref: row["id"] for ref, row in stored(world).items()}
    merged = {(d.line, d.first_line, d.customer_id) for d in report.duplicates}
    assert merged == {(11, 2, ids["C-001"]), (12, 3, ids["C-002"]), (13, 3, ids["C-002"]), (22, 21, before.id)}
    assert {d.line: d.matched_by for d in report.duplicates}[13] == "phone +12125550102"
    bob = stored(world)["C-002"]
    # Later rows win for the fields they fill; a new email joins as a second, non-primary one.
    assert (bob["display_name"], bob["company"]) == ("Bobby Stone", "Stone & Co")
    assert ("email", "bobby@example.com", False) in bob["identities"]
    assert ("phone", "+12125550150", True) in stored(world)["C-020"]["identities"]


def test_second_run_creates_nothing(world: World) -> None:
    existing_customer(world)
    first = run(world, FIXTURE)
    snapshot = stored(world)
    second = run(world, FIXTURE)
    assert first.created == 5
    assert (second.created, second.updated, second.unchanged, len(second.duplicates)) == (0, 0, 6, 4)
    assert [e.line for e in second.errors] == sorted(BAD_LINES)
    assert stored(world) == snapshot  # not even a consent or an updated_at changed


def test_a_changed_cell_updates_the_matched_customer(world: World) -> None:
    header = b"external_ref,name,email,segment\n"
    run(world, header + b"K-1,Kim Park,kim@example.com,silver\n")
    report = run(world, header + b"K-1,Kim Park,kim@example.com,gold\n")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert stored(world)["K-1"]["segment"] == "gold"
    # Matched by email when the row has no external_ref; the empty cells leave values alone.
    report = run(world, b"email,company\nKIM@example.com,Park & Co\n")
    assert report.updated == 1
    kim = stored(world)["K-1"]
    assert (kim["company"], kim["segment"], kim["display_name"]) == ("Park & Co", "gold", "Kim Park")


def test_duplicates_are_found_across_batches(world: World) -> None:
    rows = b"".join(f"R-{i},Person {i},p{i}@example.com\n".encode() for i in range(7))
    again = b"R-1,Person One,p1@example.com\n,,p6@example.com\n"
    report = run(world, b"external_ref,name,email\n" + rows + again, batch_size=2)
    assert report.created == 7
    assert sorted((d.line, d.first_line) for d in report.duplicates) == [(9, 3), (10, 8)]
    assert stored(world)["R-1"]["display_name"] == "Person One"


def test_an_identity_of_another_customer_is_not_moved(world: World) -> None:
    run(world, b"external_ref,name,email,phone\nA-1,Al,al@example.com,\nB-1,Bea,,+12125550111\n")
    report = run(world, b"email,phone\nal@example.com,+12125550111\n")
    assert report.unchanged == 1 and not report.errors
    assert [w.line for w in report.warnings] == [2] and "another customer" in report.warnings[0].reason
    assert [i[1] for i in stored(world)["A-1"]["identities"]] == ["al@example.com"]


def test_rows_are_checked_for_hostile_and_odd_values(world: World) -> None:
    lines = [
        "external_ref,name,email,phone,attributes,consent_marketing_email,consent_channel",
        "H-1,Nul\x00Byte,nul@example.com,,,,",  # PostgreSQL refuses NUL: refused here, by line
        "H-2,Quoted,q@example.com,'+12125550123,,,",  # export's apostrophe is taken off
        'H-3,Json,j@example.com,,"{""plan"": ""gold"", ""seats"": 3}",,',
        'H-4,Bad Json,b@example.com,,"[1, 2]",,',
        "H-5,Phone Only,,+33 1 42 68 53 00,,oui,voice",
        "H-6,Channel,c@example.com,,,yes,pigeon",
        "," + "x" * 300 + ",long@example.com,,,,",
        ",Ref Only Missing,,,,,",
        "X" * 101 + ",Long Ref,lr@example.com,,,,",
    ]
    data = "\n".join(lines).encode()
    report = run(world, data)
    reasons = {e.line: e.reason for e in report.errors}
    assert set(reasons) == {2, 5, 7, 8, 9, 10}
    assert "control character" in reasons[2] and "JSON object" in reasons[5] and "consent_channel" in reasons[7]
    assert "200" in reasons[8] and "external_ref, an email or a phone" in reasons[9] and "100" in reasons[10]
    rows = stored(world)
    assert ("phone", "+12125550123", True) in rows["H-2"]["identities"]
    assert rows["H-3"]["attributes"] == {"plan": "gold", "seats": 3}
    assert rows["H-5"]["consents"] == [("marketing_email", True, "voice", "imported from customers.csv")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xff\xfename,email\nAnn,ann@example.com\n", "not valid UTF-8"),
        (b"company,segment\nAcme,gold\n", "at least one of"),
        (b"name,Email,email\nAnn,a@example.com,b@example.com\n", "twice"),
        (b"name,,email\nAnn,,ann@example.com\n", "empty column"),
        (b"name,email,consent_Not Valid!\nAnn,ann@example.com,yes\n", "consent purpose"),
        (b'name,email,"unterminated\nAnn,ann@example.com\n', "unprintable"),
    ],
)
def test_an_unusable_file_is_refused_before_anything_is_written(world: World, data: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        run(world, data)
    assert message in caught.value.detail and caught.value.field == "file"
    assert stored(world) == {}


def test_a_file_of_only_bad_rows_loads_nothing(world: World) -> None:
    report = run(world, b"name,email\nA,not-an-email\nB,\n")
    assert report.loaded == 0 and [e.line for e in report.errors] == [2, 3]


def test_the_tenants_region_reads_national_numbers(world: World) -> None:
    run(world, b"name,phone\nMarie,01 42 68 53 00\n", tenant="globex", who="globex_agent")
    assert stored(world, "globex")["Marie"]["identities"] == [("phone", "+33142685300", True)]


def test_only_writers_of_the_tenant_may_import(world: World) -> None:
    with pytest.raises(PermissionDenied):
        run(world, FIXTURE, who="acme_client_manager")
    with pytest.raises(NotFound):
        run(world, FIXTURE, who="globex_agent")
    assert stored(world) == {}


def test_each_import_is_audited_and_announced(world: World) -> None:
    run(world, FIXTURE)
    with world.container.deps.uow() as uow:
        entries = [e for e in uow.tenant(world.tenants["acme"].id).audit.recent(10) if e.action == "customers.import"]
    assert len(entries) == 1
    assert entries[0].actor_user_id == world.users["acme_agent"].id
    assert entries[0].details["created"] == 6 and entries[0].details["errors"] == len(BAD_LINES)
    published: list[dict[str, Any]] = world.container.deps.events.published  # type: ignore[attr-defined]
    events = [e for e in published if e["type"] == "customers.imported"]
    assert events and events[-1]["tenant_id"] == world.tenants["acme"].id


def test_progress_reports_bytes_read(world: World) -> None:
    seen: list[int] = []
    run(world, FIXTURE, progress=seen.append, batch_size=3)
    assert seen == sorted(seen) and seen[-1] == FIXTURE.stat().st_size and len(seen) > 2


def test_a_large_import_leaves_planner_statistics_behind(world: World) -> None:
    run(world, b"name,email\nAnn,ann@example.com\n")
    engine = world.container.engine
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            query = (
                "SELECT count(*) FROM pg_stat_user_tables"
                " WHERE relname = 'customer_identities' AND last_analyze IS NOT NULL"
            )
        else:
            query = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'customer_identities'"
        assert conn.exec_driver_sql(query).scalar_one() >= 1
