"""Customers API under /api/v1/tenants/{tenant}/customers: CRM records, identities, consents, orders, 360."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import Field, StrictBool, StrictInt

from helpline.domain.timeline import MAX_TIMELINE_PAGE, decode_cursor
from helpline.services import customers
from helpline.web.dependencies import TenantDep
from helpline.web.schemas import Input, ListOf, Output

router = APIRouter(tags=["customers"])
BASE = "/tenants/{tenant}/customers"


# --- shapes ---------------------------------------------------------------------------------


class IdentityIn(Input):
    kind: str = Field(max_length=10, description="email, phone, chat or social")
    value: str = Field(max_length=254)
    provider: str = Field("", max_length=32, description="for social handles: twitter, instagram, ...")


class IdentityAddIn(IdentityIn):
    primary: StrictBool = False


class IdentityOut(Output):
    id: int
    kind: str
    provider: str
    value: str
    region: str | None
    is_primary: bool
    created_at: datetime


class CustomerFields(Input):
    """Fields shared by create, update and find-or-create defaults."""

    display_name: str | None = Field(None, max_length=200)
    first_name: str | None = Field(None, max_length=100, description="folded into display_name when it is absent")
    last_name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=16, description="language tag such as en or fr-CA")
    segment: str | None = Field(None, max_length=64)
    tier: str | None = Field(None, max_length=20, description="standard or vip")
    dedicated_agent_id: StrictInt | None = None
    attributes: dict[str, Any] | None = Field(None, description="flat object: <=100 keys, scalar values")
    external_ref: str | None = Field(None, max_length=100, description="the client's own customer id")


class CustomerIn(CustomerFields):
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class CustomerOut(Output):
    id: int
    external_ref: str | None
    display_name: str
    company: str | None
    language: str | None
    segment: str | None
    tier: str
    dedicated_agent_id: int | None
    attributes: dict[str, Any]
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime


class CustomerListItemOut(CustomerOut):
    """A customer in a list, with how to reach them and their last contact (read in one batch per page)."""

    primary_email: str | None = None
    primary_phone: str | None = Field(None, description="E.164")
    last_contact_at: datetime | None = None
    last_contact_channel: str | None = None


class CustomerDetailOut(CustomerOut):
    identities: list[IdentityOut] = []


class FindOrCreateIn(Input):
    identity: IdentityIn
    defaults: CustomerFields = Field(default_factory=CustomerFields)


class FoundOrCreatedOut(Output):
    customer: CustomerDetailOut
    created: bool


class MergeIn(Input):
    survivor_id: StrictInt = Field(description="the customer that keeps everything")
    duplicate_id: StrictInt = Field(description="the customer merged away (kept, pointing at the survivor)")


class ConsentIn(Input):
    purpose: str = Field(max_length=64, description="store_data, marketing_email, marketing_sms, ...")
    granted: StrictBool
    channel: str = Field(max_length=20, description="the channel on which it was agreed")
    source: str = Field(max_length=200, description="how it was obtained, e.g. 'asked by agent on a phone call'")
    text: str | None = Field(None, max_length=10_000, description="what exactly was agreed")
    at: datetime | None = Field(None, description="when it was given; defaults to now; never in the future")


class ConsentOut(Output):
    id: int
    purpose: str
    granted: bool
    channel: str
    source: str
    text: str | None
    recorded_by: int | None
    at: datetime


class ConsentsOut(Output):
    current: list[ConsentOut]
    history: list[ConsentOut]


class OrderIn(Input):
    external_ref: str = Field(max_length=100)
    ordered_at: datetime
    amount: Decimal = Field(description="non-negative, at most two decimals; send as a string to stay exact")
    currency: str = Field("USD", max_length=8)
    category: str | None = Field(None, max_length=64)
    description: str | None = Field(None, max_length=300)


class OrderOut(Output):
    id: int
    customer_id: int
    external_ref: str
    ordered_at: datetime
    amount: Decimal
    currency: str
    category: str | None
    description: str | None


class AccountIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class AccountOut(Output):
    id: int
    customer_id: int
    email: str
    created_at: datetime


class TimelineEntryOut(Output):
    id: int
    channel: str
    direction: str
    status: str
    subject: str | None
    created_at: datetime
    case_id: int | None
    case_status: str | None
    agent_name: str | None
    queue_name: str | None


class TimelineOut(Output):
    items: list[TimelineEntryOut]
    next_cursor: str | None = Field(description="pass as ?before= to get the next page; null on the last page")


class CaseBriefOut(Output):
    id: int
    subject: str
    status: str
    priority: str
    escalation_tier: int
    created_at: datetime
    updated_at: datetime


class Customer360Out(Output):
    customer: CustomerOut
    identities: list[IdentityOut]
    consents: list[ConsentOut]
    open_cases: list[CaseBriefOut]
    recent_orders: list[OrderOut]
    timeline: list[TimelineEntryOut]
    next_cursor: str | None
    counts_by_channel: dict[str, int]
    total_interactions: int
    summary: str


def _cursor(before: str | None) -> tuple[datetime, int] | None:
    return decode_cursor(before) if before else None


def _detail(t: TenantDep, customer: Any) -> CustomerDetailOut:
    out = CustomerDetailOut.model_validate(customer)
    identities = customers.list_identities(t.deps, t.principal, t.tenant_id, customer.id)
    out.identities = [IdentityOut.model_validate(i) for i in identities]
    return out


# --- customers ------------------------------------------------------------------------------


@router.get(BASE, response_model=ListOf[CustomerListItemOut])
def search_customers(
    t: TenantDep,
    q: str | None = Query(None, max_length=200, description="part of the name, or an exact email, phone or handle"),
    tier: str | None = Query(None, max_length=20),
    segment: str | None = Query(None, max_length=64),
    language: str | None = Query(None, max_length=16),
    sort: str | None = Query(None, max_length=40, description="display_name, created_at or updated_at; - for desc"),
    limit: int | None = Query(None),
    offset: int | None = Query(None),
) -> ListOf[CustomerListItemOut]:
    found = customers.search_customers(
        t.deps,
        t.principal,
        t.tenant_id,
        q=q,
        tier=tier,
        segment=segment,
        language=language,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    summaries = customers.customer_summaries(t.deps, t.principal, t.tenant_id, [c.id for c in found.items])
    return ListOf[CustomerListItemOut](
        items=[_list_item(c, summaries.get(c.id)) for c in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


def _list_item(customer: Any, summary: customers.CustomerSummary | None) -> CustomerListItemOut:
    item = CustomerListItemOut.model_validate(customer)
    if summary is not None:
        item.primary_email = summary.primary_email
        item.primary_phone = summary.primary_phone
        item.last_contact_at = summary.last_contact_at
        item.last_contact_channel = summary.last_contact_channel
    return item


@router.post(BASE, response_model=CustomerDetailOut, status_code=201)
def create_customer(body: CustomerIn, t: TenantDep) -> CustomerDetailOut:
    data = body.model_dump(exclude_unset=True)
    customer = customers.create_customer(t.deps, t.principal, t.tenant_id, data)
    return _detail(t, customer)


@router.post(f"{BASE}/merge", response_model=CustomerOut)
def merge_customers(body: MergeIn, t: TenantDep) -> CustomerOut:
    """Merge `duplicate_id` into `survivor_id` (supervisors and admins); returns the survivor."""
    survivor = customers.merge_customers(t.deps, t.principal, t.tenant_id, body.survivor_id, body.duplicate_id)
    return CustomerOut.model_validate(survivor)


@router.post(f"{BASE}/find-or-create", response_model=FoundOrCreatedOut)
def find_or_create(body: FindOrCreateIn, t: TenantDep, response: Response) -> FoundOrCreatedOut:
    """The customer holding this identity (200), or a new one made from `defaults` (201)."""
    customer, created = customers.find_or_create(
        t.deps, t.principal, t.tenant_id, body.identity.model_dump(), body.defaults.model_dump(exclude_unset=True)
    )
    response.status_code = 201 if created else 200
    return FoundOrCreatedOut(customer=_detail(t, customer), created=created)


@router.get(BASE + "/{customer_id}", response_model=CustomerDetailOut)
def get_customer(customer_id: int, t: TenantDep) -> CustomerDetailOut:
    """A customer; a merged one is still returned, with `merged_into_id` naming the survivor."""
    return _detail(t, customers.get_customer(t.deps, t.principal, t.tenant_id, customer_id))


@router.patch(BASE + "/{customer_id}", response_model=CustomerDetailOut)
def update_customer(customer_id: int, body: CustomerFields, t: TenantDep) -> CustomerDetailOut:
    changes = body.model_dump(exclude_unset=True)
    return _detail(t, customers.update_customer(t.deps, t.principal, t.tenant_id, customer_id, changes))


@router.get(BASE + "/{customer_id}/360", response_model=Customer360Out)
def customer_360(
    customer_id: int,
    t: TenantDep,
    timeline_limit: int = Query(50, ge=1, le=MAX_TIMELINE_PAGE),
    before: str | None = Query(None, max_length=60, description="cursor from a previous page"),
) -> Customer360Out:
    view = customers.customer_360(t.deps, t.principal, t.tenant_id, customer_id, timeline_limit, _cursor(before))
    return Customer360Out(
        customer=CustomerOut.model_validate(view.customer),
        identities=[IdentityOut.model_validate(i) for i in view.identities],
        consents=[ConsentOut.model_validate(c) for c in view.consents],
        open_cases=[CaseBriefOut.model_validate(c) for c in view.open_cases],
        recent_orders=[OrderOut.model_validate(o) for o in view.recent_orders],
        timeline=[TimelineEntryOut.model_validate(e) for e in view.timeline.items],
        next_cursor=view.timeline.next_cursor,
        counts_by_channel=view.counts_by_channel,
        total_interactions=view.total_interactions,
        summary=view.summary,
    )


@router.get(BASE + "/{customer_id}/timeline", response_model=TimelineOut)
def customer_timeline(
    customer_id: int,
    t: TenantDep,
    limit: int = Query(50, ge=1, le=MAX_TIMELINE_PAGE),
    before: str | None = Query(None, max_length=60, description="next_cursor of the previous page"),
) -> TimelineOut:
    page = customers.customer_timeline(t.deps, t.principal, t.tenant_id, customer_id, limit, _cursor(before))
    return TimelineOut(items=[TimelineEntryOut.model_validate(e) for e in page.items], next_cursor=page.next_cursor)


# --- identities -----------------------------------------------------------------------------


@router.get(BASE + "/{customer_id}/identities", response_model=list[IdentityOut])
def list_identities(customer_id: int, t: TenantDep) -> list[IdentityOut]:
    rows = customers.list_identities(t.deps, t.principal, t.tenant_id, customer_id)
    return [IdentityOut.model_validate(i) for i in rows]


@router.post(BASE + "/{customer_id}/identities", response_model=IdentityOut, status_code=201)
def add_identity(customer_id: int, body: IdentityAddIn, t: TenantDep) -> IdentityOut:
    row = customers.add_identity(
        t.deps, t.principal, t.tenant_id, customer_id, body.kind, body.value, body.provider, primary=body.primary
    )
    return IdentityOut.model_validate(row)


@router.delete(BASE + "/{customer_id}/identities/{identity_id}", status_code=204)
def remove_identity(customer_id: int, identity_id: int, t: TenantDep) -> Response:
    customers.remove_identity(t.deps, t.principal, t.tenant_id, customer_id, identity_id)
    return Response(status_code=204)


# --- consents and orders --------------------------------------------------------------------


@router.get(BASE + "/{customer_id}/consents", response_model=ConsentsOut)
def list_consents(customer_id: int, t: TenantDep) -> ConsentsOut:
    view = customers.list_consents(t.deps, t.principal, t.tenant_id, customer_id)
    return ConsentsOut(
        current=[ConsentOut.model_validate(c) for c in view.current],
        history=[ConsentOut.model_validate(c) for c in view.history],
    )


@router.post(BASE + "/{customer_id}/consents", response_model=ConsentOut, status_code=201)
def record_consent(customer_id: int, body: ConsentIn, t: TenantDep) -> ConsentOut:
    row = customers.record_consent(t.deps, t.principal, t.tenant_id, customer_id, **body.model_dump())
    return ConsentOut.model_validate(row)


@router.get(BASE + "/{customer_id}/orders", response_model=ListOf[OrderOut])
def list_orders(
    customer_id: int, t: TenantDep, limit: int | None = Query(None), offset: int | None = Query(None)
) -> ListOf[OrderOut]:
    found = customers.list_orders(t.deps, t.principal, t.tenant_id, customer_id, limit, offset)
    return ListOf[OrderOut](
        items=[OrderOut.model_validate(o) for o in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post(BASE + "/{customer_id}/orders", response_model=OrderOut, status_code=201)
def add_order(customer_id: int, body: OrderIn, t: TenantDep) -> OrderOut:
    row = customers.add_order(t.deps, t.principal, t.tenant_id, customer_id, **body.model_dump())
    return OrderOut.model_validate(row)


# --- portal account -------------------------------------------------------------------------


@router.post(BASE + "/{customer_id}/account", response_model=AccountOut, status_code=201)
def create_account(customer_id: int, body: AccountIn, t: TenantDep) -> AccountOut:
    row = customers.create_customer_account(t.deps, t.principal, t.tenant_id, customer_id, body.email, body.password)
    return AccountOut.model_validate(row)
