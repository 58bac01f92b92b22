"""The HTML pages: sign-in, navigation, every page for an agent, tenant isolation, CSRF, escaping, bad input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from helpline.services import cases, customers, interactions
from tests.conftest import PASSWORD, World

XSS = "<script>alert(1)</script>"


# --- helpers ----------------------------------------------------------------------------------------------------------


def anonymous(world: World) -> TestClient:
    return TestClient(world.app, raise_server_exceptions=False, follow_redirects=False)


def login_token(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200, page.text
    match = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def post_login(client: TestClient, email: str, password: str, next_url: str = "/") -> Any:
    token = login_token(client)
    return client.post("/login", data={"email": email, "password": password, "next": next_url, "login_token": token})


def sign_in(world: World, name: str) -> TestClient:
    """A browser-like client signed in through the login form (no CSRF header preset)."""
    client = anonymous(world)
    response = post_login(client, world.users[name].email, PASSWORD)
    assert response.status_code == 303, response.text
    return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def html_ok(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    return str(response.text)


@dataclass
class Data:
    customer_id: int
    case_id: int
    globex_customer_id: int
    globex_case_id: int


@pytest.fixture
def data(world: World) -> Data:
    """Acme: a VIP customer with contacts on three channels and an open case; Globex: one of each."""
    d = world.container.deps
    agent, acme = world.principal("acme_agent"), world.tenants["acme"].id
    maria = customers.create_customer(
        d,
        agent,
        acme,
        {
            "display_name": "Maria Gonzalez",
            "tier": "vip",
            "segment": "premium",
            "language": "es",
            "dedicated_agent_id": world.users["acme_agent"].id,
            "identities": [
                {"kind": "email", "value": "maria@example.com"},
                {"kind": "phone", "value": "+1 415 555 0142"},
            ],
        },
    )
    customers.record_consent(d, agent, acme, maria.id, "marketing_email", True, "web_form", "sign-up form")
    customers.add_order(d, agent, acme, maria.id, "ORD-1", d.clock.now(), Decimal("12.50"), "USD", "fees", "Card fee")
    case = cases.create_case(
        d, agent, acme, customer_id=maria.id, subject="Card blocked abroad", priority="high", tags=["travel"]
    )
    cases.update_case(d, agent, acme, case.id, {"status": "open"})
    now = d.clock.now()
    for days, channel in ((9, "voice"), (6, "chat"), (3, "email")):
        interactions.create_interaction(
            d,
            agent,
            acme,
            channel=channel,
            customer_id=maria.id,
            subject=f"About the card ({channel})",
            case_id=case.id,
            created_at=now - timedelta(days=days),
        )
    globex, g_agent = world.tenants["globex"].id, world.principal("globex_agent")
    secret = customers.create_customer(d, g_agent, globex, {"display_name": "Globex Secret Person"})
    g_case = cases.create_case(d, g_agent, globex, customer_id=secret.id, subject="Globex secret matter")
    return Data(maria.id, case.id, secret.id, g_case.id)


# --- sign-in ----------------------------------------------------------------------------------------------------------


def test_login_lands_on_the_only_tenant_and_shows_who_is_signed_in(world: World) -> None:
    client = sign_in(world, "acme_agent")
    start = client.get("/")
    assert start.status_code == 303 and start.headers["location"] == "/t/acme/customers"
    page = html_ok(client.get("/t/acme/customers"))
    assert "Acme Agent" in page and ">agent<" in page and "Sign out" in page
    assert 'hx-headers=\'{"X-CSRF-Token": "' in page  # HTMX requests carry the CSRF token


def test_wrong_password_shows_a_message_and_keeps_the_email(world: World) -> None:
    client = anonymous(world)
    page = html_ok(post_login(client, "agent@acme.test", "not the password"), 401)
    assert "Wrong email or password." in page
    assert 'value="agent@acme.test"' in page
    assert "helpline_session" not in client.cookies


def test_repeated_failures_show_the_rate_limit_with_the_wait(world: World) -> None:
    client = anonymous(world)
    for _ in range(5):
        post_login(client, "agent@acme.test", "not the password")
    page = html_ok(post_login(client, "agent@acme.test", PASSWORD), 429)
    assert re.search(r"Too many failed sign-ins\. Try again in (\d+ seconds|about \d+ minutes)\.", page)


def test_login_form_without_its_token_is_refused(world: World) -> None:
    client = anonymous(world)
    client.get("/login")
    forged = client.post("/login", data={"email": "agent@acme.test", "password": PASSWORD, "login_token": "x" * 30})
    assert "expired" in html_ok(forged, 403)
    assert "helpline_session" not in client.cookies


def test_signed_out_visitor_is_sent_to_login_and_back(world: World, data: Data) -> None:
    client = anonymous(world)
    target = f"/t/acme/customers/{data.customer_id}"
    response = client.get(target)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Ft%2Facme%2Fcustomers%2F" + str(data.customer_id)
    signed = post_login(client, "agent@acme.test", PASSWORD, next_url=target)
    assert signed.status_code == 303 and signed.headers["location"] == target
    assert "Maria Gonzalez" in html_ok(client.get(target))


def test_htmx_request_when_signed_out_redirects_the_whole_page(world: World) -> None:
    response = anonymous(world).get("/t/acme/customers?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.test/",
        "https://evil.test/",
        "/\\evil.test",
        "\\\\evil.test",
        "javascript:alert(1)",
        "evil.test",
        "/\t/evil.test",
        "http:/evil.test",
        "/login",
        "",
    ],
)
def test_next_never_leaves_the_site(world: World, target: str) -> None:
    client = anonymous(world)
    response = post_login(client, "agent@acme.test", PASSWORD, next_url=target)
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = client.get("/login?next=" + quote(target, safe=""))  # already signed in: straight through
    assert page.status_code == 303 and page.headers["location"] == "/"


def test_logout_ends_the_session(world: World) -> None:
    client = sign_in(world, "acme_agent")
    token = csrf_of(html_ok(client.get("/t/acme/customers")))
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=true"
    assert "You have signed out." in html_ok(client.get("/login?signed_out=true"))
    assert client.get("/t/acme/customers").status_code == 303


def test_admin_serving_several_tenants_picks_one(world: World) -> None:
    page = html_ok(sign_in(world, "admin").get("/"))
    assert "/t/acme/customers" in page and "/t/globex/customers" in page and "Acme Cards" in page
    both = sign_in(world, "both_agent")
    customers_page = html_ok(both.get("/t/globex/customers"))
    assert 'href="/t/acme/customers"' in customers_page  # the tenant switcher


# --- every page for an agent --------------------------------------------------------------------------------------


def test_every_page_renders_for_an_agent(world: World, data: Data) -> None:
    client = sign_in(world, "acme_agent")
    listing = html_ok(client.get("/t/acme/customers"))
    assert "Maria Gonzalez" in listing and "maria@example.com" in listing and "+1 415-555-0142" in listing
    assert "VIP" in listing and "premium" in listing and "3 days ago" in listing

    found = html_ok(client.get("/t/acme/customers?q=gonz", headers={"HX-Request": "true"}))
    assert "Maria Gonzalez" in found and "<html" not in found  # a fragment for HTMX
    assert "No customer matches" in html_ok(client.get("/t/acme/customers?q=nobody-here"))

    c360 = html_ok(client.get(f"/t/acme/customers/{data.customer_id}"))
    assert f"Last contact: email, 3 days ago, case #{data.case_id} open" in c360
    for text in (
        "Marketing email",
        "granted",
        "ORD-1",
        "Card fee",
        "Card blocked abroad",
        "Acme Agent",
        "About the card (voice)",
        "About the card (chat)",
        "About the card (email)",
    ):
        assert text in c360, text
    assert c360.index("About the card (email)") < c360.index("About the card (voice)")  # newest first

    case_list = html_ok(client.get("/t/acme/cases"))
    assert "Card blocked abroad" in case_list and "Maria Gonzalez" in case_list
    case_page = html_ok(client.get(f"/t/acme/cases/{data.case_id}"))
    assert "Save changes" in case_page and "Add a note" in case_page and "About the card (chat)" in case_page
    assert client.get("/t/acme").headers["location"] == "/t/acme/customers"


def test_a_customer_with_nothing_yet_shows_calm_empty_states(world: World) -> None:
    d, agent, acme = world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id
    bare = customers.create_customer(d, agent, acme, {"display_name": "New Person"})
    client = sign_in(world, "acme_agent")
    page = html_ok(client.get(f"/t/acme/customers/{bare.id}"))
    for text in (
        "No contact yet",
        "No open case.",
        "No email, phone or handle on file.",
        "No consent recorded.",
        "No orders.",
        "Load older contacts",
    ):
        assert (text in page) == (text != "Load older contacts"), text
    assert "never" in html_ok(client.get("/t/acme/customers"))
    assert "No cases yet." in html_ok(client.get("/t/acme/cases"))


def test_customer_list_shows_primaries_and_newest_contact_in_a_fixed_number_of_statements(
    world: World, data: Data
) -> None:
    d, agent, acme = world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id
    customers.add_identity(d, agent, acme, data.customer_id, "email", "maria.work@example.com", primary=True)
    client = sign_in(world, "acme_agent")
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement)

    def statements_for_list() -> tuple[int, str]:
        sent.clear()
        event.listen(world.container.engine, "before_cursor_execute", count)
        try:
            page = html_ok(client.get("/t/acme/customers"))
        finally:
            event.remove(world.container.engine, "before_cursor_execute", count)
        return len(sent), page

    few, page = statements_for_list()
    maria = page[page.index("Maria Gonzalez") :]
    maria = maria[: maria.index("</tr>")]
    assert "maria.work@example.com" in maria and "maria@example.com" not in maria
    assert "+1 415-555-0142" in maria and "3 days ago" in maria and "· Email" in maria
    for n in range(30):
        extra = customers.create_customer(
            d,
            agent,
            acme,
            {"display_name": f"Extra {n:02d}", "identities": [{"kind": "email", "value": f"e{n}@x.test"}]},
        )
        interactions.create_interaction(d, agent, acme, channel="chat", customer_id=extra.id)
    many, page = statements_for_list()
    assert page.count("data-href=") == 25 and "e0@x.test" in page and "· Chat" in page
    assert many == few, "the customer list must not read per row"


def test_timeline_loads_more_with_the_keyset_cursor(world: World, data: Data) -> None:
    d, agent, acme = world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id
    now = d.clock.now()
    for n in range(30):
        interactions.create_interaction(
            d,
            agent,
            acme,
            channel="sms",
            customer_id=data.customer_id,
            subject=f"Old text {n:02d}",
            created_at=now - timedelta(days=40 + n),
        )
    client = sign_in(world, "acme_agent")
    first = html_ok(client.get(f"/t/acme/customers/{data.customer_id}"))
    assert "Old text 21" in first and "Old text 22" not in first  # 3 recent + 22 old = one page of 25
    cursor = re.search(r'hx-get="(/t/acme/customers/\d+/timeline\?before=[^"]+)"', first)
    assert cursor
    more = html_ok(client.get(cursor.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}))
    assert "Old text 22" in more and "Old text 29" in more and "Old text 21" not in more
    assert "Load older contacts" not in more  # the end of the history
    bad = client.get(f"/t/acme/customers/{data.customer_id}/timeline?before=not-a-cursor")
    assert "cursor" in html_ok(bad, 422)


def test_case_filters_stay_in_the_query_string(world: World, data: Data) -> None:
    client = sign_in(world, "acme_agent")
    d, agent, acme = world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id
    other = cases.create_case(
        d,
        agent,
        acme,
        customer_id=data.customer_id,
        subject="Refund request",
        assignee_id=world.users["acme_agent"].id,
        tags=["refund"],
    )
    mine = html_ok(client.get("/t/acme/cases?assignee=me"))
    assert "Refund request" in mine and "Card blocked abroad" not in mine
    unassigned = html_ok(client.get("/t/acme/cases?assignee=unassigned&priority=high"))
    assert "Card blocked abroad" in unassigned and "Refund request" not in unassigned
    tagged = html_ok(client.get("/t/acme/cases?tag=refund&q=refund&status=new"))
    assert f"/t/acme/cases/{other.id}" in tagged and "Card blocked abroad" not in tagged
    assert '<option value="new" selected>' in tagged and 'value="refund"' in tagged
    none = html_ok(client.get("/t/acme/cases?status=closed"))
    assert "No case matches these filters." in none
    bad = html_ok(client.get("/t/acme/cases?status=bogus"), 422)
    assert "status must be one of" in bad


def test_case_list_paginates(world: World, data: Data) -> None:
    d, agent, acme = world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id
    for n in range(30):
        cases.create_case(d, agent, acme, customer_id=data.customer_id, subject=f"Bulk matter {n:02d}")
    client = sign_in(world, "acme_agent")
    first = html_ok(client.get("/t/acme/cases?status=all"))
    assert "1–25 of 31" in first and 'href="?status=all&amp;assignee=&amp;' not in first
    assert 'href="?status=all&amp;sort=-updated_at&amp;page=2"' in first
    second = html_ok(client.get("/t/acme/cases?status=all&sort=-updated_at&page=2"))
    assert "26–31 of 31" in second


# --- tenant isolation and bad input -----------------------------------------------------------------------------------


def test_another_tenants_objects_are_a_404_page_that_reveals_nothing(world: World, data: Data) -> None:
    client = sign_in(world, "acme_agent")
    for path in (
        f"/t/acme/customers/{data.globex_customer_id}",
        f"/t/acme/cases/{data.globex_case_id}",
        f"/t/acme/customers/{data.globex_customer_id}/timeline?before=1.1",
        "/t/globex/customers",
        f"/t/globex/cases/{data.globex_case_id}",
        "/t/acme/nowhere",
        "/t/nonexistent/cases",
    ):
        page = html_ok(client.get(path), 404)
        assert "Not found" in page and "Globex Secret" not in page and "secret matter" not in page, path
    token = csrf_of(html_ok(client.get(f"/t/acme/cases/{data.case_id}")))
    forged = client.post(f"/t/acme/cases/{data.globex_case_id}/notes", data={"csrf_token": token, "body": "hi"})
    assert html_ok(forged, 404)
    assert (
        cases.case_notes(
            world.container.deps, world.principal("globex_agent"), world.tenants["globex"].id, data.globex_case_id
        )[1]
        == 0
    )


HOSTILE_URLS = [
    ("/t/acme/customers/abc", 404),
    ("/t/acme/customers/0", 404),
    (f"/t/acme/customers/{2**70}", 404),
    ("/t/acme/customers/-5", 404),
    ("/t/acme/cases/1e3", 404),
    ("/t/acme/customers?page=0", 400),
    ("/t/acme/customers?page=abc", 400),
    ("/t/acme/customers?q=" + "x" * 201, 400),
    ("/t/acme/cases?assignee=%27%3B--", 422),
    ("/t/acme/cases?sort=password_hash", 200),
    ("/t/" + "a" * 41 + "/customers", 404),
    ("/t/acme/cases?priority=%00", 422),
    ("/t/acme/cases?page=99999999", 400),
    ("/t/acme/customers?q=%F0%9F%92%A9%00", 422),
    ("/t/acme/customers/1/timeline?before=" + "9" * 40 + ".1", 422),
]


def test_hostile_urls_get_an_html_error_never_a_500(world: World, data: Data) -> None:
    client = sign_in(world, "acme_agent")
    for path, status in HOSTILE_URLS:
        response = client.get(path)
        assert response.status_code == status, (path, response.text[:500])
        assert "<html" in html_ok(response, status), path


# --- writing: CSRF, edits, notes, read-only roles --------------------------------------------------------------------


def test_posts_without_or_with_a_wrong_csrf_token_are_refused(world: World, data: Data) -> None:
    client = sign_in(world, "acme_agent")
    case_url = f"/t/acme/cases/{data.case_id}"
    good = csrf_of(html_ok(client.get(case_url)))
    form = {"status": "pending", "priority": "high", "assignee_id": "", "escalation_tier": "0", "tags": "travel"}
    for token in (None, "", "wrong-token", good[:-1], good + "x"):
        sent = form if token is None else {**form, "csrf_token": token}
        assert html_ok(client.post(case_url, data=sent), 403)
        note = {"body": "sneaky"} if token is None else {"body": "sneaky", "csrf_token": token}
        assert client.post(f"{case_url}/notes", data=note).status_code == 403
        assert (
            client.post(f"{case_url}/notes", data={"body": "x"}, headers={"X-CSRF-Token": token or ""}).status_code
            == 403
        )
        assert client.post("/logout", data={} if token is None else {"csrf_token": token}).status_code == 403
    case = cases.get_case(world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, data.case_id)
    assert case.status == "open"
    assert (
        cases.case_notes(world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, data.case_id)[1]
        == 0
    )


def test_case_form_saves_changes_and_the_history_shows_them(world: World, data: Data) -> None:
    client = sign_in(world, "acme_agent")
    url = f"/t/acme/cases/{data.case_id}"
    token = csrf_of(html_ok(client.get(url)))
    agent_id = str(world.users["acme_agent"].id)
    form = {
        "csrf_token": token,
        "status": "pending",
        "priority": "urgent",
        "assignee_id": agent_id,
        "escalation_tier": "2",
        "tags": "travel, Fraud ,fraud",
        "was_status": "open",
        "was_priority": "high",
        "was_assignee_id": "",
        "was_escalation_tier": "0",
        "was_tags": "travel",
    }
    saved = client.post(url, data=form)
    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=true"
    page = html_ok(client.get(saved.headers["location"]))
    assert "Changes saved." in page
    case = cases.get_case(world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, data.case_id)
    assert (case.status, case.priority, case.assignee_id, case.escalation_tier, case.tags) == (
        "pending",
        "urgent",
        world.users["acme_agent"].id,
        2,
        ["travel", "fraud"],
    )
    history = page[page.index("History") :]
    assert "Acme Agent" in history and ">open</span>" in history and ">pending</span>" in history
    assert ">urgent</span>" in history


def test_stale_form_only_sends_what_it_changed(world: World, data: Data) -> None:
    client = sign_in(world, "acme_agent")
    url = f"/t/acme/cases/{data.case_id}"
    token = csrf_of(html_ok(client.get(url)))
    # Someone else raises the tier after this form was loaded.
    cases.update_case(
        world.container.deps,
        world.principal("acme_supervisor"),
        world.tenants["acme"].id,
        data.case_id,
        {"escalation_tier": 3},
    )
    form = {
        "csrf_token": token,
        "status": "open",
        "priority": "low",
        "assignee_id": "",
        "escalation_tier": "0",
        "tags": "travel",
        "was_status": "open",
        "was_priority": "high",
        "was_assignee_id": "",
        "was_escalation_tier": "0",
        "was_tags": "travel",
    }
    assert client.post(url, data=form).status_code == 303
    case = cases.get_case(world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, data.case_id)
    assert (case.priority, case.escalation_tier) == ("low", 3)


def test_illegal_status_change_is_shown_inline(world: World, data: Data) -> None:
    d, agent, acme = world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id
    cases.update_case(d, agent, acme, data.case_id, {"status": "resolved"})
    client = sign_in(world, "acme_agent")
    url = f"/t/acme/cases/{data.case_id}"
    token = csrf_of(html_ok(client.get(url)))
    form = {
        "csrf_token": token,
        "status": "pending",
        "priority": "high",
        "assignee_id": "",
        "escalation_tier": "0",
        "tags": "travel",
        "was_status": "resolved",
        "was_priority": "high",
        "was_assignee_id": "",
        "was_escalation_tier": "0",
        "was_tags": "travel",
    }
    page = html_ok(client.post(url, data=form), 409)
    assert 'id="status-error"' in page and "A resolved case cannot become pending" in page
    assert '<option value="pending" selected>' in page and 'aria-invalid="true"' in page  # the refused choice stays
    bad_tier = html_ok(client.post(url, data={**form, "status": "resolved", "escalation_tier": "9"}), 422)
    assert 'id="escalation_tier-error"' in bad_tier
    bad_assignee = {**form, "status": "resolved", "assignee_id": str(world.users["globex_agent"].id)}
    assert 'id="assignee_id-error"' in html_ok(client.post(url, data=bad_assignee), 422)
    too_many = {**form, "status": "resolved", "tags": ",".join(f"t{n}" for n in range(40))}
    assert 'id="tags-error"' in html_ok(client.post(url, data=too_many), 422)
    assert cases.get_case(d, agent, acme, data.case_id).status == "resolved"


def test_notes_are_added_with_htmx_and_without(world: World, data: Data) -> None:
    client = sign_in(world, "acme_agent")
    url = f"/t/acme/cases/{data.case_id}"
    token = csrf_of(html_ok(client.get(url)))
    fragment = html_ok(
        client.post(
            f"{url}/notes",
            data={"body": "Called the bank.\nCard unblocked."},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
    )
    assert "<html" not in fragment and 'id="notes"' in fragment and "Called the bank." in fragment
    assert "Note added." in fragment and "Acme Agent" in fragment
    empty = html_ok(
        client.post(f"{url}/notes", data={"body": "   "}, headers={"HX-Request": "true", "X-CSRF-Token": token}), 422
    )
    assert 'id="note-error"' in empty
    plain = client.post(f"{url}/notes", data={"body": "Second note", "csrf_token": token})
    assert plain.status_code == 303 and plain.headers["location"] == f"{url}#notes"
    huge = client.post(f"{url}/notes", data={"body": "x" * 20_001, "csrf_token": token})
    assert 'id="note-error"' in html_ok(huge, 422) and "x" * 100 in huge.text  # the text is kept to fix
    notes, total = cases.case_notes(
        world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, data.case_id
    )
    assert total == 2 and [n.body for n in notes] == ["Called the bank.\nCard unblocked.", "Second note"]


def test_client_manager_reads_but_has_no_forms(world: World, data: Data) -> None:
    client = sign_in(world, "acme_client_manager")
    url = f"/t/acme/cases/{data.case_id}"
    page = html_ok(client.get(url))
    assert "Card blocked abroad" in page and "Save changes" not in page and "Add a note" not in page
    assert "Maria Gonzalez" in html_ok(client.get(f"/t/acme/customers/{data.customer_id}"))
    token = csrf_of(page)  # the sign-out form still carries it
    refused = client.post(f"{url}/notes", data={"body": "hello", "csrf_token": token})
    assert html_ok(refused, 403)
    edit = client.post(
        url,
        data={
            "csrf_token": token,
            "status": "closed",
            "priority": "high",
            "assignee_id": "",
            "escalation_tier": "0",
            "tags": "",
        },
    )
    assert html_ok(edit, 403)
    case = cases.get_case(world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id, data.case_id)
    assert case.status == "open"


# --- escaping and headers -------------------------------------------------------------------------------------------


def test_hostile_names_are_escaped_everywhere(world: World, data: Data) -> None:
    d, agent, acme = world.container.deps, world.principal("acme_agent"), world.tenants["acme"].id
    evil = customers.create_customer(
        d, agent, acme, {"display_name": XSS, "segment": "<b>seg</b>", "company": '"><img src=x onerror=alert(1)>'}
    )
    case = cases.create_case(d, agent, acme, customer_id=evil.id, subject=XSS, tags=["<i>t</i>"])
    interactions.create_interaction(d, agent, acme, channel="email", customer_id=evil.id, subject=XSS, case_id=case.id)
    cases.add_note(d, agent, acme, case.id, XSS)
    client = sign_in(world, "acme_agent")
    pages = [
        client.get("/t/acme/customers"),
        client.get("/t/acme/customers", params={"q": XSS}),
        client.get("/t/acme/customers", params={"q": "script"}, headers={"HX-Request": "true"}),
        client.get(f"/t/acme/customers/{evil.id}"),
        client.get("/t/acme/cases", params={"q": XSS, "tag": "<i>t</i>"}),
        client.get("/t/acme/cases"),
        client.get(f"/t/acme/cases/{case.id}"),
    ]
    for response in pages:
        text = html_ok(response)
        assert "<script>alert" not in text and "<img src=x" not in text and "<b>seg" not in text
        assert "<i>t</i>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[3].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[6].text


def test_pages_send_a_strict_content_security_policy(world: World) -> None:
    client = sign_in(world, "acme_agent")
    for response in (client.get("/t/acme/customers"), anonymous(world).get("/login"), client.get("/t/acme/nope")):
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["cache-control"] == "no-store"
        assert "<script>" not in response.text  # no inline script anywhere: the policy would block it


def test_static_assets_are_served_locally(world: World) -> None:
    client = anonymous(world)
    for path in ("/static/app.css", "/static/app.js", "/static/vendor/htmx.min.js"):
        assert client.get(path).status_code == 200, path
    page = client.get("/login").text
    assert "http://" not in page and "https://" not in page
