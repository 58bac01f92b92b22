"""The relational model. Every tenant-owned table carries `tenant_id` and is indexed by it first."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from helpline.storage.types import BigId, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def tenant_fk() -> Mapped[int]:
    return mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)


# --- center-wide ----------------------------------------------------------------------------


class Tenant(Base):
    """A client company the center serves."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_language: Mapped[str] = mapped_column(String(16), default="en")
    default_region: Mapped[str | None] = mapped_column(String(2))  # for phones written without +
    created_at: Mapped[datetime]


class User(Base):
    """A person who signs in: admin, supervisor, agent or client manager."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class UserTenant(Base):
    """Which tenants a user serves (an agent may serve several: the blended pool)."""

    __tablename__ = "user_tenants"
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)


class WebSession(Base):
    """A signed-in browser. Only a hash of the cookie value is stored."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """Failed sign-ins per key (email + address), read by the rate limiter."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)


class ApiToken(Base):
    """An integration's credential: scoped to one tenant and one role; only its hash is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so people can tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Administrative changes: who did what to which object, when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"))
    actor_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    actor_token_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("api_tokens.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]
    __table_args__ = (Index("ix_audit_log_tenant_at", "tenant_id", "at"),)


# --- tenant-owned ---------------------------------------------------------------------------


class Queue(Base):
    """Where interactions wait, and how the router serves them (see domain.routing.model.QueueSpec)."""

    __tablename__ = "queues"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    # Routing settings. JSON shapes: skills {"billing": 3}; relaxation [{"after_seconds": 60,
    # "min_proficiency": 1, "overflow_queue_id": null}]; overflow [{"name": "lisbon", "kind": "site",
    # "weight": 20}]; hours {"timezone": "Europe/Paris", "weekly": {"0": [[540, 1080]]},
    # "closed_dates": ["2026-12-25"]} or null for always open; disposition_codes ["resolved", ...].
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)
    strategy: Mapped[str] = mapped_column(String(20), default="longest_idle", server_default="longest_idle")
    aging_per_minute: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    preferred_wait_seconds: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    recent_agent_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    language_wait_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    relaxation: Mapped[list[Any]] = mapped_column(default=list)
    overflow: Mapped[list[Any]] = mapped_column(default=list)
    offer_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    wrap_up_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    service_level_seconds: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    service_level_percent: Mapped[float] = mapped_column(Float, default=80.0, server_default="80")
    # A chat customer waiting longer than this is offered "leave a message" (which creates a case).
    leave_message_after_seconds: Mapped[int] = mapped_column(Integer, default=300, server_default="300")
    disposition_codes: Mapped[list[Any]] = mapped_column(default=list)
    # Mean seconds callers wait before hanging up, for staffing: None plans with Erlang C (callers
    # wait), a value with Erlang A (they abandon after that mean, exponential patience).
    patience_seconds: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class Customer(Base):
    """A person or company who contacts a tenant. A merged customer points at its survivor."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    external_ref: Mapped[str | None] = mapped_column(String(100))  # the client's own customer id
    display_name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200))  # lowercased, accents folded
    company: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16))
    segment: Mapped[str | None] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    dedicated_agent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    merged_into_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_ref"),
        Index("ix_customers_tenant_search", "tenant_id", "search_name"),
    )


class CustomerIdentity(Base):
    """An email, E.164 phone (with its region), chat or social handle that reaches a customer."""

    __tablename__ = "customer_identities"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    provider: Mapped[str] = mapped_column(String(32), default="")
    value: Mapped[str] = mapped_column(String(254))
    region: Mapped[str | None] = mapped_column(String(2))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "provider", "value", name="uq_customer_identities_key"),)


class Consent(Base):
    """What a customer agreed to (or withdrew), when, on which channel, recorded from what source.

    Append-only: the latest row per purpose is the customer's current answer.
    """

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    granted: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime]


class Order(Base):
    """A purchase, kept for personalisation and next-best offers."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    external_ref: Mapped[str] = mapped_column(String(100))
    ordered_at: Mapped[datetime]
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    category: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(300))
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_ref"),
        Index("ix_orders_customer_at", "tenant_id", "customer_id", "ordered_at"),
    )


class Case(Base):
    """A customer's matter, grouping interactions."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(20), default="normal")
    category: Mapped[str | None] = mapped_column(String(64))
    escalation_tier: Mapped[int] = mapped_column(Integer, default=0)
    assignee_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    queue_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("queues.id", ondelete="SET NULL"))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_cases_tenant_status", "tenant_id", "status", "updated_at"),
        Index("ix_cases_customer", "tenant_id", "customer_id", "created_at"),
        # "My open cases" is the list agents open most.
        Index("ix_cases_tenant_assignee", "tenant_id", "assignee_id", "status"),
    )


class CaseTag(Base):
    """One row per tag so lists can filter by tag with an index on every database."""

    __tablename__ = "case_tags"
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    __table_args__ = (Index("ix_case_tags_tenant_tag", "tenant_id", "tag"),)


class CaseHistory(Base):
    """Every change to a case: who, when, which field, old and new value."""

    __tablename__ = "case_history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class Note(Base):
    """Free text written by staff on a case, a customer or an interaction."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("interactions.id", ondelete="CASCADE"))
    author_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Interaction(Base):
    """One contact on one channel, with its lifecycle timestamps."""

    __tablename__ = "interactions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    queue_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("queues.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(10), default="inbound")
    status: Mapped[str] = mapped_column(String(20), default="new")
    subject: Mapped[str | None] = mapped_column(String(300))
    disposition_code: Mapped[str | None] = mapped_column(String(64))
    external_ref: Mapped[str | None] = mapped_column(String(200))  # Message-ID, call id, chat id
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # own priority (VIP, callback)
    language: Mapped[str | None] = mapped_column(String(16))  # the customer's, when it differs from the queue's
    # Every routing decision about this interaction, oldest first: Explanation as a dict plus
    # {"at": iso time, "kind": effect kind, "agent_id": ...}. Shown to supervisors.
    routing: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    wrapped_up_at: Mapped[datetime | None]
    __table_args__ = (
        # The Customer 360 timeline reads newest first by customer: this index serves it.
        Index("ix_interactions_customer_created", "tenant_id", "customer_id", "created_at"),
        Index("ix_interactions_tenant_created", "tenant_id", "created_at"),
        Index("ix_interactions_tenant_status", "tenant_id", "status"),
    )


class Message(Base):
    """One message inside an interaction (an email, a chat line, a call note by the system)."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    interaction_id: Mapped[int] = mapped_column(BigId, ForeignKey("interactions.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(String(10))
    author_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    # "all": the customer sees it; "agents": staff only (a supervisor's whisper, an internal remark).
    visibility: Mapped[str] = mapped_column(String(10), default="all", server_default="all")
    __table_args__ = (Index("ix_messages_interaction_at", "interaction_id", "at"),)


class CustomerAccount(Base):
    """A customer's own login for the self-service portal (the portal itself comes later)."""

    __tablename__ = "customer_accounts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)


# --- routing and live channels ----------------------------------------------------------------


class CapacityProfile(Base):
    """How much work of each channel an agent holds at once (domain.routing.model.CapacityProfile)."""

    __tablename__ = "capacity_profiles"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    limits: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"voice": 1, "chat": 3, "email": 5}
    exclusive: Mapped[list[Any]] = mapped_column(default=list)  # ["voice"]
    interruptible: Mapped[list[Any]] = mapped_column(default=list)  # ["email", ...]
    max_total: Mapped[int | None] = mapped_column(Integer)


class Agent(Base):
    """A user's routing profile: skills, languages, site, capacity, and the presence they chose."""

    __tablename__ = "agents"
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    skills: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"billing": 4, "french": 2}
    languages: Mapped[list[Any]] = mapped_column(default=list)  # ["en", "fr"]
    site: Mapped[str] = mapped_column(String(40), default="main", server_default="main")
    profile_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("capacity_profiles.id", ondelete="SET NULL"))
    presence: Mapped[str] = mapped_column(String(10), default="offline", server_default="offline")
    away_reason: Mapped[str | None] = mapped_column(String(40))
    presence_at: Mapped[datetime | None]
    # Weekly contract for scheduling (domain/workforce/contracts.py): {"min_hours_week": 0,
    # "max_hours_week": 40, "max_days_week": 5, "unavailable": [{"day": 0, "from": "09:00",
    # "to": "13:00"}]}; None: the default contract.
    contract: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PresenceLog(Base):
    """Every presence change (for occupancy, adherence and audits)."""

    __tablename__ = "presence_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    presence: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(40))
    changed_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    __table_args__ = (Index("ix_presence_log_user_at", "user_id", "at"),)


class InteractionAgent(Base):
    """Who holds an interaction: the agent it was offered to or accepted it, and any who joined.

    One row per (interaction, agent); `phase` is offered | active | wrap_up | left. The router is
    rebuilt from these rows after a restart.
    """

    __tablename__ = "interaction_agents"
    interaction_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("interactions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    phase: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime]
    __table_args__ = (Index("ix_interaction_agents_user_phase", "user_id", "phase"),)


class ChatSession(Base):
    """A web chat visitor's handle on their interaction; only a hash of their token is stored."""

    __tablename__ = "chat_sessions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    interaction_id: Mapped[int] = mapped_column(BigId, ForeignKey("interactions.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class Attachment(Base):
    """A file sent in a conversation. Small files only (limits in the chat channel), kept in the database."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    interaction_id: Mapped[int] = mapped_column(BigId, ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


# --- workforce: published schedules -------------------------------------------------------------


class ScheduleWeek(Base):
    """One built week of shifts for every tenant its builder reached (center-wide: agents are shared).

    `groups` holds, per skill group (one queue: "tenant-slug/queue name"), {"tenant_id", "queue_id",
    "name", "required": [...], "scheduled": [...]} with one value per interval of the week;
    `summary` the solver's figures (objective, lp_bound, gap, under_coverage, cost, solve_seconds...).
    """

    __tablename__ = "schedule_weeks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    interval_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft")  # draft | published
    tenant_ids: Mapped[list[Any]] = mapped_column(default=list)  # the tenants this week covers
    built_at: Mapped[datetime]
    built_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    groups: Mapped[dict[str, Any]] = mapped_column(default=dict)
    __table_args__ = (Index("ix_schedule_weeks_week_status", "week_start", "status"),)


class ScheduledShift(Base):
    """One shift of a week: who (None: a shift nobody could take), for which tenant and queue, when,
    and its activities [{"kind": "work" | "break" | "lunch", "start": iso, "end": iso}, ...]."""

    __tablename__ = "scheduled_shifts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    week_id: Mapped[int] = mapped_column(BigId, ForeignKey("schedule_weeks.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    tenant_id: Mapped[int] = tenant_fk()
    queue_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("queues.id", ondelete="SET NULL"))
    skill_group: Mapped[str] = mapped_column(String(160))
    template: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    activities: Mapped[list[Any]] = mapped_column(default=list)
    __table_args__ = (
        Index("ix_scheduled_shifts_user_starts", "user_id", "starts_at"),
        Index("ix_scheduled_shifts_tenant_starts", "tenant_id", "starts_at"),
    )
