"""Browser fixtures: the real app under uvicorn on a loopback port, and headless Chromium driving it.

Chromium is the Debian package at /usr/bin/chromium. Without it the browser tests are skipped with
a reason, unless HELPLINE_REQUIRE_BROWSER=1 (CI), which turns that into a failure.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from helpline.bootstrap import Container, build
from helpline.config import Settings
from helpline.domain.permissions import Principal
from helpline.domain.vocabulary import Role
from helpline.services import agents, cases, customers, interactions, queues, tenants, users
from helpline.storage import migrate
from helpline.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("HELPLINE_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"headless Chromium not found at {CHROMIUM} (install the Debian package 'chromium')"
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}; HELPLINE_REQUIRE_BROWSER=1 makes this an error")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


PASSWORD = "correct horse battery"


@dataclass
class Demo:
    """What seed_demo made: who signs in, the customer to look for, and the case to work on."""

    tenant_id: int
    admin: Principal  # for checking what the pages wrote, through the services
    agent_email: str
    agent_name: str
    customer_id: int
    customer_name: str
    case_id: int
    case_subject: str
    pages: dict[str, str] = field(default_factory=dict)


@dataclass
class ChatDemo:
    """What seed_chat made: a chat queue with disposition codes, and who works it."""

    queue_id: int
    queue_name: str
    dispositions: list[str]
    transfer_queue_id: int
    agent_id: int
    supervisor_email: str
    supervisor_name: str


@dataclass
class LiveServer:
    url: str
    container: Container
    demo: Demo
    chat: ChatDemo | None = None


def seed_demo(container: Container) -> Demo:
    """A small but lifelike tenant, written through the services as an admin would.

    Maria Gonzalez (VIP) has contacted Acme Cards on several channels over months; her latest
    contact is an email three days ago about an open case. Enough history for 'load more'.
    """
    d = container.deps
    now = d.clock.now()
    acme = tenants.create_tenant(d, None, "acme", "Acme Cards", "America/New_York", "en", "US")
    tenants.create_tenant(d, None, "globex", "Globex Telecom", "Europe/Paris", "fr", "FR")
    admin_row = users.create_user(d, None, "admin@center.test", "Ada Admin", "admin", PASSWORD)
    agent = users.create_user(d, None, "agent@acme.test", "Alex Morgan", "agent", PASSWORD, [acme.id])
    users.create_user(d, None, "sam@acme.test", "Sam Okafor", "supervisor", PASSWORD, [acme.id])
    admin = Principal(role=Role.ADMIN, tenant_ids=None, user_id=admin_row.id, name=admin_row.name)
    t = acme.id

    maria = customers.create_customer(
        d,
        admin,
        t,
        {
            "display_name": "Maria Gonzalez",
            "company": "Gonzalez Design Studio",
            "language": "es",
            "segment": "premium",
            "tier": "vip",
            "dedicated_agent_id": agent.id,
            "external_ref": "ACME-100234",
            "identities": [
                {"kind": "email", "value": "maria.gonzalez@example.com"},
                {"kind": "phone", "value": "+1 415 555 0142"},
                {"kind": "chat", "value": "maria.g", "provider": "webchat"},
            ],
        },
    )
    customers.record_consent(
        d, admin, t, maria.id, "marketing_email", True, "web_form", "sign-up form", at=now - timedelta(days=400)
    )
    customers.record_consent(
        d, admin, t, maria.id, "marketing_sms", False, "sms", "replied STOP", at=now - timedelta(days=35)
    )
    customers.add_order(
        d,
        admin,
        t,
        maria.id,
        "ORD-88121",
        now - timedelta(days=12),
        Decimal("1249.00"),
        "USD",
        "travel",
        "Business class flight, SFO to MAD",
    )
    customers.add_order(
        d, admin, t, maria.id, "ORD-87410", now - timedelta(days=61), Decimal("86.40"), "USD", "dining", None
    )

    def contact(
        channel: str,
        days: float,
        subject: str | None,
        case_id: int | None = None,
        direction: str = "inbound",
        handled: bool = True,
    ) -> None:
        at = now - timedelta(days=days)
        row = interactions.create_interaction(
            d,
            admin,
            t,
            channel=channel,
            direction=direction,
            customer_id=maria.id,
            subject=subject,
            case_id=case_id,
            created_at=at,
        )
        if handled:
            interactions.lifecycle_step(d, admin, t, row.id, "accept", agent_id=agent.id, at=at + timedelta(minutes=1))
            interactions.lifecycle_step(d, admin, t, row.id, "end", at=at + timedelta(minutes=7))

    history = ["voice", "email", "chat", "sms", "email", "voice", "web_form", "email", "chat", "social"]
    for n in range(30):  # months of routine contacts, oldest first
        channel = history[n % len(history)]
        contact(channel, 190 - n * 6, f"{channel.replace('_', ' ').capitalize()} about statement #{4100 + n}")
    subject = "Card blocked while travelling abroad"
    case = cases.create_case(
        d,
        admin,
        t,
        customer_id=maria.id,
        subject=subject,
        priority="high",
        tags=["travel", "card-block"],
        assignee_id=agent.id,
    )
    cases.update_case(d, admin, t, case.id, {"status": "open"})
    contact("voice", 4.2, "Card declined in Madrid", case_id=case.id)
    contact("chat", 3.6, "Follow-up on the declined card", case_id=case.id)
    contact("email", 3.02, "Re: your card is blocked", case_id=case.id, handled=False)

    others = [
        ("Liam O'Brien", "standard", "retail", "liam.obrien@example.net", "+1 212 555 0199"),
        ("Aisha Rahman", "vip", "business", "aisha@rahman-partners.example", "+1 646 555 0110"),
        ("Chen Wei", "standard", "retail", "chen.wei@example.org", None),
        ("Zoë Müller", "standard", "student", "zoe.mueller@example.de", "+49 30 901820"),
        ("Jonas Berg", "standard", "retail", None, "+1 305 555 0133"),
        ("Marie Dubois", "standard", "premium", "marie.dubois@example.fr", None),
    ]
    for i, (name, tier, segment, email, phone) in enumerate(others):
        idents = [{"kind": "email", "value": email}] if email else []
        idents += [{"kind": "phone", "value": phone}] if phone else []
        other = customers.create_customer(
            d, admin, t, {"display_name": name, "tier": tier, "segment": segment, "identities": idents}
        )
        if i % 2 == 0:
            interactions.create_interaction(
                d,
                admin,
                t,
                channel=["email", "voice", "chat"][i % 3],
                customer_id=other.id,
                subject="Question about fees",
                created_at=now - timedelta(hours=5 + 30 * i),
            )
        if i < 3:
            cases.create_case(
                d,
                admin,
                t,
                customer_id=other.id,
                subject=f"Dispute a charge of ${40 + 17 * i}.99",
                priority=["normal", "urgent", "low"][i],
                tags=["dispute"],
            )

    slug = acme.slug
    return Demo(
        tenant_id=t,
        admin=admin,
        agent_email=agent.email,
        agent_name=agent.name,
        customer_id=maria.id,
        customer_name=maria.display_name,
        case_id=case.id,
        case_subject=subject,
        pages={
            "customers": f"/t/{slug}/customers",
            "customer-360": f"/t/{slug}/customers/{maria.id}",
            "cases": f"/t/{slug}/cases",
            "case": f"/t/{slug}/cases/{case.id}",
        },
    )


def seed_chat(container: Container, demo: Demo) -> ChatDemo:
    """Routing on top of seed_demo: a web chat queue and a phone queue for Acme, the agent set up with
    skills for both, and the supervisor. Offers wait 60 s so a slow machine never loses one mid-test."""
    d = container.deps
    t, admin = demo.tenant_id, demo.admin
    dispositions = ["resolved", "follow_up", "escalated"]
    chat = queues.create_queue(
        d,
        admin,
        t,
        "Card support chat",
        channel="chat",
        skills={"cards": 2},
        disposition_codes=dispositions,
        offer_timeout_seconds=60,
        wrap_up_seconds=120,
        service_level_seconds=30,
    )
    phone = queues.create_queue(d, admin, t, "Billing line", channel="voice", skills={"billing": 1})
    agent = next(u for u in users.list_users(d, admin, t) if u.email == demo.agent_email)
    supervisor = next(u for u in users.list_users(d, admin, t) if u.role == "supervisor")
    agents.configure_agent(
        d, admin, agent.id, skills={"cards": 4, "billing": 3}, languages=["en", "es"], profile="blended"
    )
    return ChatDemo(
        queue_id=chat.id,
        queue_name=chat.name,
        dispositions=dispositions,
        transfer_queue_id=phone.id,
        agent_id=agent.id,
        supervisor_email=supervisor.email,
        supervisor_name=supervisor.name,
    )


class ServerThread:
    """uvicorn serving the app from a background thread until stopped."""

    def __init__(self, app: Any, *, workers: bool = False) -> None:
        """`workers`: run the app's lifespan, i.e. the router clock and chat watch loops (live pages need them)."""
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on" if workers else "off",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="helpline-uvicorn", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """A fresh migrated SQLite database for the module, with the real clock and fast password hashing."""
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'helpline.db'}"
    migrate.upgrade(url)
    container = build(Settings(database_url=url), fast_hashing=True)
    yield container
    container.close()


@pytest.fixture(scope="module")
def live_server(live_container: Container) -> Iterator[LiveServer]:
    demo = seed_demo(live_container)
    with ServerThread(create_app(live_container)) as url:
        yield LiveServer(url=url, container=live_container, demo=demo)


@pytest.fixture(scope="module")
def live_chat_server(live_container: Container) -> Iterator[LiveServer]:
    """The demo plus routing (a chat queue, the agent's skills), served with the router clock running."""
    demo = seed_demo(live_container)
    chat = seed_chat(live_container, demo)
    with ServerThread(create_app(live_container), workers=True) as url:
        yield LiveServer(url=url, container=live_container, demo=demo, chat=chat)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class GuardedContexts:
    """Browser contexts that refuse every request not aimed at the live server and record script
    errors and Content-Security-Policy refusals, so a test fails on them."""

    def __init__(self, browser: Any, url: str) -> None:
        self.browser, self.url = browser, url
        self.contexts: list[Any] = []
        self.outside: list[str] = []
        self.problems: list[str] = []

    def new_page(self, name: str = "page", **options: Any) -> Any:
        context = self.browser.new_context(viewport={"width": 1360, "height": 900}, base_url=self.url, **options)

        def only_loopback(route: Any) -> None:
            if route.request.url.startswith(self.url) or route.request.url.startswith("data:"):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_loopback)
        self.contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        # 4xx answers the test asked for are logged by Chromium as "Failed to load resource" and are fine.
        tab.on("pageerror", lambda error: self.problems.append(f"{name}: script error: {error}"))
        tab.on(
            "console",
            lambda msg: (
                self.problems.append(f"{name}: {msg.text}")
                if msg.type == "error" and "Failed to load resource" not in msg.text
                else None
            ),
        )
        return tab

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        assert not self.outside, f"the pages tried to reach outside the app: {self.outside}"
        assert not self.problems, f"the browser reported problems: {self.problems}"


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) that refuses every request not aimed at the live server."""
    guarded = GuardedContexts(browser, live_server.url)
    yield guarded.new_page()
    guarded.close()
