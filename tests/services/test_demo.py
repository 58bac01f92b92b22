"""Demo data: a pure, deterministic generator and a fast bulk loader."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import phonenumbers
import pytest

from helpline.bootstrap import Container
from helpline.domain.errors import Conflict
from helpline.domain.identities import normalise_email
from helpline.domain.vocabulary import Channel
from helpline.services import auth, demo, demo_data
from helpline.services.demo_data import DemoData, Ref

BASE = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
LIFECYCLE = ("created_at", "queued_at", "offered_at", "accepted_at", "ended_at", "wrapped_up_at")


@pytest.fixture(scope="module")
def data() -> DemoData:
    return demo_data.generate(7, BASE)


def tenant(data: DemoData, slug: str) -> demo_data.TenantData:
    return next(t for t in data.tenants if t.spec.slug == slug)


def test_the_same_seed_gives_the_same_data(data: DemoData) -> None:
    again = demo_data.generate(7, BASE)
    assert again.users == data.users
    for mine, theirs in zip(data.tenants, again.tenants, strict=True):
        assert mine == theirs
    other = demo_data.generate(8, BASE)
    assert other.tenants[0].customers != data.tenants[0].customers


def test_history_ends_at_the_base_date_given(data: DemoData) -> None:
    earlier = demo_data.generate(7, datetime(2020, 1, 15, 12, tzinfo=UTC), scale=0.05)
    for generated, base in ((data, BASE), (earlier, datetime(2020, 1, 15, 12, tzinfo=UTC))):
        for t in generated.tenants:
            created = [i["created_at"] for i in t.interactions]
            assert min(created) >= base - timedelta(days=demo_data.HISTORY_DAYS) and max(created) <= base
            assert max(created) > base - timedelta(days=2)  # it really reaches the base date
            assert all(m["at"] <= base for m in t.messages)
    with pytest.raises(ValueError, match="timezone"):
        demo_data.generate(7, datetime(2026, 3, 2))  # a naive base date is refused


def test_three_clients_5000_customers_and_a_blended_staff(data: DemoData) -> None:
    counts = {t.spec.slug: len(t.customers) for t in data.tenants}
    assert counts == {"cardinal": 2200, "heartwise": 1300, "northwave": 1500}
    assert sum(counts.values()) == 5000
    roles = Counter(u.role for u in data.users)
    assert roles == {"admin": 1, "supervisor": 3, "agent": 20, "client_manager": 3}
    agents = [u for u in data.users if u.role == "agent"]
    assert max(len(a.tenants) for a in agents) == 3 and sum(len(a.tenants) >= 2 for a in agents) >= 5
    for t in data.tenants:
        managers = [u for u in data.users if u.role == "client_manager" and t.spec.slug in u.tenants]
        assert len(managers) == 1 and managers[0].tenants == (t.spec.slug,)
    assert len({u.email for u in data.users}) == len(data.users)


def test_every_channel_appears_for_every_client(data: DemoData) -> None:
    for t in data.tenants:
        assert {i["channel"] for i in t.interactions} == {c.value for c in Channel}, t.spec.slug
        assert len(t.interactions) >= 4000


def test_emails_and_phones_are_valid_and_unique(data: DemoData) -> None:
    for t in data.tenants:
        by_kind: dict[str, list[str]] = {"email": [], "phone": []}
        for identity in t.identities:
            if identity["kind"] in by_kind:
                by_kind[identity["kind"]].append(identity["value"])
        for value in by_kind["phone"]:
            number = phonenumbers.parse(value)
            assert phonenumbers.is_valid_number(number), value
            assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == value
            assert phonenumbers.region_code_for_number(number) == t.spec.region
        for value in by_kind["email"]:
            assert normalise_email(value) == value and value.split("@")[1] in {
                "example.com",
                "example.net",
                "example.org",
            }
        assert all(len(set(values)) == len(values) for values in by_kind.values())
        reachable = {i["customer_id"].key for i in t.identities if i["kind"] in ("email", "phone")}
        assert reachable == set(range(len(t.customers)))


def test_lifecycles_run_forward_and_match_the_status(data: DemoData) -> None:
    for t in data.tenants:
        for row in t.interactions:
            stamps = [row[name] for name in LIFECYCLE if row[name] is not None]
            assert stamps == sorted(stamps)
            if row["status"] == "wrapped_up":
                assert row["wrapped_up_at"] is not None and row["disposition_code"]
            if row["direction"] == "outbound":
                assert row["queued_at"] is None and row["accepted_at"] is not None
        statuses = Counter(i["status"] for i in t.interactions)
        assert statuses["wrapped_up"] > 0.9 * len(t.interactions)
        messages = Counter(m["interaction_id"].key for m in t.messages)
        assert len(messages) > 0.9 * len(t.interactions)


def test_cases_have_a_status_mix_history_tags_and_notes(data: DemoData) -> None:
    for t in data.tenants:
        statuses = Counter(c["status"] for c in t.cases)
        assert {"open", "pending", "resolved", "closed"} <= set(statuses), statuses
        history = Counter(h["case_id"].key for h in t.case_history)
        assert len(history) > 0.9 * len(t.cases)
        assert all(c["status"] != "closed" or c["closed_at"] for c in t.cases)
        tags = {(tag["case_id"].key, tag["tag"]) for tag in t.case_tags}
        assert tags == {(i, tag) for i, c in enumerate(t.cases) for tag in c["tags"]}
        assert any(n["case_id"] is not None for n in t.notes) and any(n["case_id"] is None for n in t.notes)


def test_each_client_has_its_own_flavour(data: DemoData) -> None:
    cardinal, heartwise, northwave = (tenant(data, s) for s in ("cardinal", "heartwise", "northwave"))
    segments = Counter(c["segment"] for c in cardinal.customers)
    assert segments["loyalty_gold"] and segments["loyalty_silver"]
    vips = [c for c in cardinal.customers if c["tier"] == "vip"]
    assert vips and all(c["segment"] == "loyalty_gold" and c["dedicated_agent_id"] for c in vips)
    assert {q["name"] for q in heartwise.queues} == {"Donations", "Volunteering", "Health Information", "Events"}
    assert {c["language"] for c in northwave.customers} == {"en", "fr"}
    assert {q["language"] for q in northwave.queues} >= {"en", "fr"}
    assert {o["currency"] for o in northwave.orders} == {"CAD"} and northwave.spec.timezone == "America/Montreal"
    assert {o["category"] for o in heartwise.orders} >= {"donation", "monthly_gift"}
    sources = {c["source"] for t in data.tenants for c in t.consents}
    assert {"asked by agent on a phone call", "web form"} <= sources

    def per_day(t: demo_data.TenantData, first: date, last: date) -> float:
        n = sum(first <= i["created_at"].date() <= last for i in t.interactions)
        return n / ((last - first).days + 1)

    # Seasonal peaks: Christmas cards and American Heart Month.
    assert per_day(cardinal, date(2025, 12, 1), date(2025, 12, 22)) > 2 * per_day(
        cardinal, date(2025, 10, 1), date(2025, 10, 22)
    )
    assert per_day(heartwise, date(2026, 2, 1), date(2026, 2, 28)) > 1.8 * per_day(
        heartwise, date(2026, 1, 1), date(2026, 1, 28)
    )


def test_every_reference_points_at_a_generated_row(data: DemoData) -> None:
    users = {u.email for u in data.users}
    for t in data.tenants:
        sizes = {"customer": len(t.customers), "queue": len(t.queues), "case": len(t.cases),
                 "interaction": len(t.interactions)}  # fmt: skip
        for table in ("customers", "identities", "consents", "orders", "cases", "case_history", "case_tags", "notes",
                      "interactions", "messages"):  # fmt: skip
            for row in getattr(t, table):
                for value in row.values():
                    if isinstance(value, Ref):
                        assert value.key in users if value.kind == "user" else 0 <= int(value.key) < sizes[value.kind]


# --- the loader, on both databases ------------------------------------------------------------------


def count(container: Container, table: str) -> int:
    with container.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def test_loader_inserts_everything_and_the_logins_work(container: Container) -> None:
    deps = container.deps
    assert demo.database_state(deps) == "empty"
    summary = demo.load_demo(deps, seed=7, base=BASE, scale=0.1)
    assert demo.database_state(deps) == "demo"
    expected = demo_data.generate(7, BASE, scale=0.1)
    for table, attribute in (("customers", "customers"), ("customer_identities", "identities"),
                             ("interactions", "interactions"), ("messages", "messages"), ("cases", "cases"),
                             ("case_history", "case_history"), ("notes", "notes"), ("orders", "orders")):  # fmt: skip
        assert count(container, table) == sum(len(getattr(t, attribute)) for t in expected.tenants), table
    assert summary.total("interactions") == count(container, "interactions")
    assert count(container, "users") == 27 and count(container, "tenants") == 3
    for login in demo.demo_logins():
        signed_in: Any = auth.login(deps, login.email, login.password, "test")
        assert signed_in is not None
    with pytest.raises(Conflict):
        demo.load_demo(deps, seed=7, base=BASE, scale=0.1)


def test_loader_refuses_a_database_with_other_data(container: Container) -> None:
    from helpline.services import tenants

    tenants.create_tenant(container.deps, None, "mine", "Mine")
    assert demo.database_state(container.deps) == "other"
    with pytest.raises(Conflict):
        demo.load_demo(container.deps, scale=0.1)
    assert count(container, "customers") == 0
