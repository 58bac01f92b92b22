"""The relational model. Every tenant-owned table carries `tenant_id` and is indexed by it first."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
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
    """Where interactions wait; routing attributes are added by the routing issue."""

    __tablename__ = "queues"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = tenant_fk()
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
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
