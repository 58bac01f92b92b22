"""Customers (the CRM): records, identities, consents, orders, merging, portal accounts and the 360 view."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpline.domain import customers as rules
from helpline.domain.cases import OPEN_STATUSES
from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.identities import Identity, identity_from_input, normalise_email
from helpline.domain.pagination import MAX_LIMIT, Sort, make_page, parse_sort
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.timeline import TimelineEntry, check_page_size, contact_summary, encode_cursor
from helpline.domain.vocabulary import Channel, Role, parse_enum
from helpline.services import audit
from helpline.services.ports import Deps, UnitOfWork
from helpline.services.security import check_password_strength

CUSTOMER_FIELDS = frozenset(
    {
        "display_name",
        "first_name",
        "last_name",
        "company",
        "language",
        "segment",
        "tier",
        "dedicated_agent_id",
        "attributes",
        "external_ref",
        "identities",
    }
)
SORTABLE = frozenset({"display_name", "created_at", "updated_at"})
MAX_IDENTITIES_AT_ONCE = 20
RECENT_ORDERS = 10


@dataclass(frozen=True)
class Listing:
    """One page of a list and the total it was cut from."""

    items: list[Any]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class ConsentView:
    current: list[Any]  # the latest record per purpose, by purpose
    history: list[Any]  # every record, newest first


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineEntry]
    next_before: tuple[datetime, int] | None  # pass back as `before` for the next page

    @property
    def next_cursor(self) -> str | None:
        return encode_cursor(*self.next_before) if self.next_before else None


@dataclass(frozen=True)
class Customer360:
    """Everything an agent sees about a customer before saying hello."""

    customer: Any
    identities: list[Any]
    consents: list[Any]
    open_cases: list[Any]
    recent_orders: list[Any]
    timeline: TimelinePage
    counts_by_channel: dict[str, int]
    total_interactions: int
    summary: str


# --- customers ------------------------------------------------------------------------------


def create_customer(deps: Deps, principal: Principal, tenant_id: int, data: Mapping[str, Any]) -> Any:
    """Create a customer from display_name (or first/last name), optional fields and identities."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    with deps.uow() as uow:
        customer = create_customer_in(uow, tenant_id, data, deps.clock.now())
        _announce(uow, deps, "customer.created", tenant_id, customer.id)
        uow.commit()
        return customer


def create_customer_in(uow: UnitOfWork, tenant_id: int, data: Mapping[str, Any], now: datetime) -> Any:
    """Validate and insert one customer inside the caller's transaction (no permission check)."""
    _reject_unknown(data, CUSTOMER_FIELDS)
    region = _region(uow, tenant_id)
    fields = _validated(uow, tenant_id, data, creating=True)
    identities = _parse_identities(data.get("identities"), region)
    repo = uow.tenant(tenant_id).customers
    _check_free(repo, fields.get("external_ref"), identities, own_id=None)
    row = {**fields, "merged_into_id": None, "created_at": now, "updated_at": now}
    return repo.create_with_identities(row, identities, now)


def get_customer(deps: Deps, principal: Principal, tenant_id: int, customer_id: int) -> Any:
    """A customer, merged ones included: their `merged_into_id` says where the history went."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        return uow.tenant(tenant_id).customers.get(customer_id)


def update_customer(
    deps: Deps, principal: Principal, tenant_id: int, customer_id: int, changes: Mapping[str, Any]
) -> Any:
    """Change some fields. `attributes`, when given, replaces the whole object."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    _reject_unknown(changes, CUSTOMER_FIELDS - {"identities"})
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        customer = repo.get(customer_id, for_update=True)
        _not_merged(customer)
        fields = _validated(uow, tenant_id, changes, creating=False)
        _check_free(repo, fields.get("external_ref"), [], own_id=customer.id)
        for name, value in fields.items():
            setattr(customer, name, value)
        customer.updated_at = deps.clock.now()
        repo.save()
        _announce(uow, deps, "customer.updated", tenant_id, customer.id)
        uow.commit()
        return customer


def search_customers(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    q: str | None = None,
    tier: str | None = None,
    segment: str | None = None,
    language: str | None = None,
    sort: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Listing:
    """Live (not merged) customers. `q` matches part of the name, or exactly an email, phone or handle."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    page = make_page(limit, offset)
    order = parse_sort(sort, SORTABLE, "display_name")
    if order.field == "display_name":
        # Sorting on the folded name gives the same order on every database and collation.
        order = Sort("search_name", order.descending)
    filters: dict[str, str] = {}
    if tier is not None:
        filters["tier"] = rules.check_tier(tier)
    if (seg := rules.optional_text(segment, "segment", rules.MAX_SEGMENT)) is not None:
        filters["segment"] = seg
    if (lang := rules.check_language(language)) is not None:
        filters["language"] = lang
    with deps.uow() as uow:
        terms = rules.parse_search(q, _region(uow, tenant_id))
        rows, total = uow.tenant(tenant_id).customers.search(terms, filters, page, order)
        return Listing(rows, total, page.limit, page.offset)


@dataclass(frozen=True)
class CustomerSummary:
    """What a list row shows beside the customer: how to reach them and when they last got in touch."""

    customer_id: int
    primary_email: str | None
    primary_phone: str | None  # E.164, as stored; pages format it for reading
    last_contact_at: datetime | None
    last_contact_channel: str | None


def customer_summaries(
    deps: Deps, principal: Principal, tenant_id: int, customer_ids: Sequence[int]
) -> dict[int, CustomerSummary]:
    """Summaries of a page of customers in two queries, whatever the page size or their history.

    Keyed by every given id naming a customer of this tenant (merged ones included, with nothing
    left to show); ids of another tenant or of nobody are simply absent. At most MAX_LIMIT ids.
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    ids = _summary_ids(customer_ids)
    if not ids:
        return {}
    with deps.uow() as uow:
        views = uow.tenant(tenant_id).customers.views
        last = views.last_contacts(ids)
        reach = views.primary_identities(ids, ("email", "phone"))
    summaries = {}
    for cid, contact in last.items():
        held = reach.get(cid, {})
        summaries[cid] = CustomerSummary(
            customer_id=cid,
            primary_email=held.get("email"),
            primary_phone=held.get("phone"),
            last_contact_at=contact[1] if contact else None,
            last_contact_channel=contact[0] if contact else None,
        )
    return summaries


def _summary_ids(raw: object) -> list[int]:
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence) or len(raw) > MAX_LIMIT:
        raise ValidationFailed(f"customer_ids must be a list of at most {MAX_LIMIT} ids", field="customer_ids")
    if any(isinstance(i, bool) or not isinstance(i, int) for i in raw):
        raise ValidationFailed("customer_ids must hold integers only", field="customer_ids")
    # An id out of the column's range names nobody; sending it would overflow PostgreSQL's bigint.
    return sorted({i for i in raw if 0 < i < 2**63})


# --- identities -----------------------------------------------------------------------------


def list_identities(deps: Deps, principal: Principal, tenant_id: int, customer_id: int) -> list[Any]:
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        repo.get(customer_id)
        return repo.identities(customer_id)


def add_identity(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    customer_id: int,
    kind: object,
    value: object,
    provider: object = "",
    primary: bool = False,
) -> Any:
    """Attach an email, phone, chat or social handle. Adding one the customer already has is a no-op."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        customer = repo.get(customer_id, for_update=True)
        _not_merged(customer)
        identity = identity_from_input({"kind": kind, "value": value, "provider": provider}, _region(uow, tenant_id))
        existing = repo.identities(customer.id)
        for row in existing:
            if (row.kind, row.provider, row.value) == identity.key:
                return row
        _check_free(repo, None, [identity], own_id=customer.id)
        same_kind = [row for row in existing if row.kind == identity.kind.value]
        if primary:
            for row in same_kind:
                row.is_primary = False
        row = repo.add_identity(customer.id, identity, deps.clock.now(), is_primary=primary or not same_kind)
        customer.updated_at = deps.clock.now()
        _announce(uow, deps, "customer.updated", tenant_id, customer.id)
        uow.commit()
        return row


def remove_identity(deps: Deps, principal: Principal, tenant_id: int, customer_id: int, identity_id: int) -> None:
    """Detach an identity; if it was the primary one of its kind, the oldest other one takes over."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        customer = repo.get(customer_id, for_update=True)
        _not_merged(customer)
        repo.remove_identity(repo.identity(customer.id, identity_id))
        _fix_primaries(repo, customer.id)
        customer.updated_at = deps.clock.now()
        _announce(uow, deps, "customer.updated", tenant_id, customer.id)
        uow.commit()


def find_or_create(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    identity: Mapping[str, Any],
    defaults: Mapping[str, Any] | None = None,
) -> tuple[Any, bool]:
    """The customer holding this identity, or a new one made from `defaults` holding it."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    data = dict(defaults or {})
    _reject_unknown(data, CUSTOMER_FIELDS - {"identities"})
    now = deps.clock.now()
    with deps.uow() as uow:
        with _field_prefix("identity"):
            wanted = identity_from_input(
                dict(identity) if isinstance(identity, Mapping) else identity, _region(uow, tenant_id)
            )
        repo = uow.tenant(tenant_id).customers
        holder = repo.holder_of(wanted)
        if holder is not None:
            return _survivor(repo, holder), False
        if not any(data.get(k) for k in ("display_name", "first_name", "last_name")):
            data["display_name"] = wanted.value
        fields = _validated(uow, tenant_id, data, creating=True)
        _check_free(repo, fields.get("external_ref"), [], own_id=None)
        customer, created = _insert_or_find(repo, fields, wanted, now)
        if created:
            _announce(uow, deps, "customer.created", tenant_id, customer.id)
        uow.commit()
        return customer, created


def find_or_create_in(
    uow: UnitOfWork, tenant_id: int, identity: Identity, now: datetime, display_name: str | None = None
) -> tuple[Any, bool]:
    """Inside the caller's transaction: who holds this identity, or a new customer holding it.

    For callers that meet unknown contacts (an email from a new sender, a call from a new
    number). `display_name` is taken leniently (a From: header name may be odd); when it is
    unusable the identity's value names the customer. A merged holder is followed to its survivor.
    """
    repo = uow.tenant(tenant_id).customers
    holder = repo.holder_of(identity)
    if holder is not None:
        return _survivor(repo, holder), False
    name = _lenient_name(display_name) or identity.value
    fields = {"display_name": name, "search_name": rules.search_name_of(name), "tier": "standard", "attributes": {}}
    return _insert_or_find(repo, fields, identity, now)


# --- consents -------------------------------------------------------------------------------


def record_consent(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    customer_id: int,
    purpose: object,
    granted: object,
    channel: object,
    source: object,
    text: object = None,
    at: datetime | None = None,
) -> Any:
    """Append what the customer agreed to or withdrew; the latest per purpose is the current answer."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    if not isinstance(granted, bool):
        raise ValidationFailed("granted must be true or false", field="granted")
    fields = {
        "purpose": rules.check_purpose(purpose),
        "granted": granted,
        "channel": parse_enum(Channel, channel, "channel").value,
        "source": rules.optional_text(source, "source", rules.MAX_CONSENT_SOURCE),
        "text": rules.long_text(text, "text", rules.MAX_CONSENT_TEXT),
        "at": rules.check_consent_time(at, deps.clock.now()),
        "recorded_by": principal.user_id,
    }
    if fields["source"] is None:
        raise ValidationFailed("source must say how the consent was obtained", field="source")
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        customer = repo.get(customer_id)
        _not_merged(customer)
        consent = repo.add_consent(customer_id=customer.id, **fields)
        uow.commit()
        return consent


def list_consents(deps: Deps, principal: Principal, tenant_id: int, customer_id: int) -> ConsentView:
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        repo.get(customer_id)
        history = repo.consents(customer_id)
        return ConsentView(rules.current_per_purpose(history), history)


# --- orders ---------------------------------------------------------------------------------


def add_order(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    customer_id: int,
    external_ref: object,
    ordered_at: object,
    amount: object,
    currency: object = "USD",
    category: object = None,
    description: object = None,
) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    ref = rules.optional_text(external_ref, "external_ref", rules.MAX_EXTERNAL_REF)
    if ref is None:
        raise ValidationFailed(
            "external_ref is required: the order number in the client's system", field="external_ref"
        )
    fields = {
        "external_ref": ref,
        "ordered_at": rules.check_order_time(ordered_at),
        "amount": rules.check_amount(amount),
        "currency": rules.check_currency(currency),
        "category": rules.optional_text(category, "category", rules.MAX_ORDER_CATEGORY),
        "description": rules.optional_text(description, "description", rules.MAX_ORDER_DESCRIPTION),
    }
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        customer = repo.get(customer_id)
        _not_merged(customer)
        if repo.order_id_by_ref(ref) is not None:
            raise Conflict(f"an order with external_ref {ref!r} already exists", field="external_ref")
        order = repo.add_order(customer_id=customer.id, **fields)
        uow.commit()
        return order


def list_orders(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    customer_id: int,
    limit: int | None = None,
    offset: int | None = None,
) -> Listing:
    """A customer's orders, newest first."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    page = make_page(limit, offset)
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        repo.get(customer_id)
        rows, total = repo.orders(customer_id, page)
        return Listing(rows, total, page.limit, page.offset)


# --- merging --------------------------------------------------------------------------------


def merge_customers(deps: Deps, principal: Principal, tenant_id: int, survivor_id: int, duplicate_id: int) -> Any:
    """Merge a duplicate into the survivor; returns the survivor.

    Everything the duplicate had (identities, consents, orders, interactions, cases, notes,
    portal accounts) moves in bulk; the survivor's empty fields are filled from it and attributes
    merged (the survivor's values win). The duplicate row stays, pointing at the survivor.
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.MERGE)
    for value, field in ((survivor_id, "survivor_id"), (duplicate_id, "duplicate_id")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationFailed(f"{field} must be a customer id", field=field)
    now = deps.clock.now()
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        # Lock both rows in id order so two opposite merges cannot deadlock.
        locked = {cid: repo.get(cid, for_update=True) for cid in sorted({survivor_id, duplicate_id})}
        survivor, duplicate = locked[survivor_id], locked[duplicate_id]
        rules.check_merge(survivor.id, survivor.merged_into_id, duplicate.id, duplicate.merged_into_id)
        fill = _fields_to_fill(uow, tenant_id, survivor, duplicate)
        attributes, left_out = rules.merged_attributes(survivor.attributes or {}, duplicate.attributes or {})
        moved = repo.move_history(duplicate.id, survivor.id)
        repo.repoint_merged(duplicate.id, survivor.id)
        if "external_ref" in fill:
            duplicate.external_ref = None  # it moves to the survivor; the column is unique per tenant
            repo.save()
        for name, value in fill.items():
            setattr(survivor, name, value)
        survivor.attributes = attributes
        survivor.updated_at = duplicate.updated_at = now
        duplicate.merged_into_id = survivor.id
        repo.save()
        _fix_primaries(repo, survivor.id)
        uow.tenant(tenant_id).notes.create(
            customer_id=survivor.id,
            case_id=None,
            interaction_id=None,
            author_user_id=None,
            author_name="system",
            body=_merge_note(duplicate, moved, principal),
            created_at=now,
        )
        audit.record(
            uow,
            deps,
            principal,
            "customer.merge",
            "customer",
            survivor.id,
            tenant_id=tenant_id,
            duplicate_id=duplicate.id,
            moved=moved,
            filled=sorted(fill),
            attributes_left_out=left_out,
        )
        uow.after_commit(
            lambda: deps.events.publish(
                {
                    "type": "customer.merged",
                    "tenant_id": tenant_id,
                    "customer_id": survivor_id,
                    "duplicate_id": duplicate_id,
                }
            )
        )
        uow.commit()
        return survivor


def _fields_to_fill(uow: UnitOfWork, tenant_id: int, survivor: Any, duplicate: Any) -> dict[str, Any]:
    names = (*rules.FILLABLE_FIELDS, "tier")
    fill = rules.merged_fields({n: getattr(survivor, n) for n in names}, {n: getattr(duplicate, n) for n in names})
    # The duplicate's dedicated agent may have left since it was set: only a valid one moves over.
    if "dedicated_agent_id" in fill and not _agent_serves(uow, tenant_id, fill["dedicated_agent_id"]):
        del fill["dedicated_agent_id"]
    return fill


def _merge_note(duplicate: Any, moved: dict[str, int], principal: Principal) -> str:
    who = principal.name or ("API token" if principal.token_id else "the system")
    parts = ", ".join(f"{count} {name}" for name, count in moved.items() if count) or "nothing else"
    return (
        f"Customer #{duplicate.id} ({duplicate.display_name}) was merged into this customer by {who}; moved: {parts}."
    )


# --- Customer 360 ---------------------------------------------------------------------------


def customer_360(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    customer_id: int,
    timeline_limit: int = 50,
    before: tuple[datetime, int] | None = None,
) -> Customer360:
    """The customer, how to reach them, consents, open cases, recent orders and the contact timeline.

    A fixed handful of indexed queries whatever the history size; the timeline is keyset-paged
    (`before` is (created_at, id) of the last entry shown; see TimelinePage.next_before).
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    check_page_size(timeline_limit, "timeline_limit")
    now = deps.clock.now()
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        customer = repo.get(customer_id)
        views = repo.views
        page = _timeline_page(views, customer.id, timeline_limit, before)
        counts = views.channel_counts(customer.id)
        if before is None:
            last = page.items[0] if page.items else None
        else:
            last = next(iter(views.timeline(customer.id, 1)), None)
        summary = (
            contact_summary(last.channel, last.created_at, last.case_id, last.case_status, now)
            if last
            else contact_summary(None, None, None, None, now)
        )
        return Customer360(
            customer=customer,
            identities=repo.identities(customer.id),
            consents=rules.current_per_purpose(repo.consents(customer.id)),
            open_cases=views.cases_in(customer.id, sorted(s.value for s in OPEN_STATUSES)),
            recent_orders=views.recent_orders(customer.id, RECENT_ORDERS),
            timeline=page,
            counts_by_channel=dict(sorted(counts.items())),
            total_interactions=sum(counts.values()),
            summary=summary,
        )


def customer_timeline(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    customer_id: int,
    limit: int = 50,
    before: tuple[datetime, int] | None = None,
) -> TimelinePage:
    """The next page of a customer's interactions, newest first."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    check_page_size(limit)
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        customer = repo.get(customer_id)
        return _timeline_page(repo.views, customer.id, limit, before)


def _timeline_page(views: Any, customer_id: int, limit: int, before: tuple[datetime, int] | None) -> TimelinePage:
    rows = views.timeline(customer_id, limit + 1, before)  # one more tells whether a next page exists
    items = rows[:limit]
    more = len(rows) > limit
    return TimelinePage(items, (items[-1].created_at, items[-1].id) if more else None)


# --- portal accounts ------------------------------------------------------------------------


def create_customer_account(
    deps: Deps, principal: Principal, tenant_id: int, customer_id: int, email: object, password: object
) -> Any:
    """A self-service portal login for a customer (argon2 hash; email unique within the tenant)."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    if not isinstance(email, str):
        raise ValidationFailed("email is not a valid email address", field="email")
    address = normalise_email(email)
    assert deps.hasher is not None
    password_hash = deps.hasher.hash(check_password_strength(password))  # slow: outside the transaction
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).customers
        customer = repo.get(customer_id)
        _not_merged(customer)
        if repo.account_id_by_email(address) is not None:
            raise Conflict("a portal account with this email already exists", field="email")
        account = repo.add_account(
            customer_id=customer.id, email=address, password_hash=password_hash, created_at=deps.clock.now()
        )
        audit.record(
            uow,
            deps,
            principal,
            "customer.account.create",
            "customer",
            customer.id,
            tenant_id=tenant_id,
            account_id=account.id,
        )
        uow.commit()
        return account


# --- helpers --------------------------------------------------------------------------------


def _region(uow: UnitOfWork, tenant_id: int) -> str | None:
    region: str | None = uow.center.tenant(tenant_id).default_region
    return region


def _reject_unknown(data: object, allowed: frozenset[str]) -> None:
    if not isinstance(data, Mapping):
        raise ValidationFailed("expected an object of customer fields", field="body")
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ValidationFailed(f"unknown field {unknown[0]!r}", field=unknown[0])


def _validated(uow: UnitOfWork, tenant_id: int, data: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """Checked column values for the fields present in `data` (all of them when creating)."""
    out: dict[str, Any] = {}
    if creating or any(k in data for k in ("display_name", "first_name", "last_name")):
        name = rules.display_name_from(data.get("display_name"), data.get("first_name"), data.get("last_name"))
        out.update(display_name=name, search_name=rules.search_name_of(name))
    if "company" in data:
        out["company"] = rules.optional_text(data["company"], "company", rules.MAX_COMPANY)
    if "segment" in data:
        out["segment"] = rules.optional_text(data["segment"], "segment", rules.MAX_SEGMENT)
    if "language" in data:
        out["language"] = rules.check_language(data["language"])
    if creating or "tier" in data:
        out["tier"] = rules.check_tier(data.get("tier", "standard"))
    if creating or "attributes" in data:
        out["attributes"] = rules.check_attributes(data.get("attributes"))
    if "external_ref" in data:
        out["external_ref"] = rules.check_external_ref(data["external_ref"])
    if "dedicated_agent_id" in data:
        agent_id = data["dedicated_agent_id"]
        if agent_id is not None and not _agent_serves(uow, tenant_id, agent_id):
            raise ValidationFailed(
                "dedicated_agent_id must be an active agent or supervisor serving this tenant",
                field="dedicated_agent_id",
            )
        out["dedicated_agent_id"] = agent_id
    return out


def _agent_serves(uow: UnitOfWork, tenant_id: int, user_id: object) -> bool:
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        return False
    user = uow.center.user(user_id)
    if user is None or not user.is_active:
        return False
    if user.role == Role.ADMIN.value:
        return True  # an admin serves every tenant
    return user.role in (Role.AGENT.value, Role.SUPERVISOR.value) and tenant_id in uow.center.user_tenant_ids(user.id)


def _parse_identities(raw: object, region: str | None) -> list[Identity]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or len(raw) > MAX_IDENTITIES_AT_ONCE:
        raise ValidationFailed(f"identities must be a list of at most {MAX_IDENTITIES_AT_ONCE}", field="identities")
    parsed: dict[tuple[str, str, str], Identity] = {}
    for index, item in enumerate(raw):
        with _field_prefix(f"identities.{index}"):
            identity = identity_from_input(dict(item) if isinstance(item, Mapping) else item, region)
        parsed.setdefault(identity.key, identity)  # the same identity twice is the same identity
    return list(parsed.values())


def _check_free(repo: Any, external_ref: str | None, identities: list[Identity], own_id: int | None) -> None:
    """Refuse (409) an external_ref or identity already used by another customer, naming it."""
    if external_ref:
        other = repo.id_by_external_ref(external_ref)
        if other is not None and other != own_id:
            raise Conflict(f"external_ref {external_ref!r} is already used by customer {other}", field="external_ref")
    held = repo.ids_by_identity_keys([i.key for i in identities]) if identities else {}
    for identity in identities:
        holder = held.get(identity.key)
        if holder is not None and holder != own_id:
            raise Conflict(f"{rules.identity_label(identity)} is already held by customer {holder}", field="identities")


def _insert_or_find(repo: Any, fields: dict[str, Any], identity: Identity, now: datetime) -> tuple[Any, bool]:
    row = {**fields, "merged_into_id": None, "created_at": now, "updated_at": now}
    try:
        return repo.create_with_identities(row, [identity], now), True
    except Conflict:
        # Lost a race with another transaction creating the same identity: use its customer.
        holder = repo.holder_of(identity) if repo.recovers_from_conflicts else None
        if holder is None:
            raise
        return _survivor(repo, holder), False


def _survivor(repo: Any, customer: Any) -> Any:
    """The customer that holds the history now (repo.get raises NotFound on a dangling link)."""
    return rules.follow_merges(customer, repo.get)


def _not_merged(customer: Any) -> None:
    if customer.merged_into_id is not None:
        raise Conflict(
            f"customer {customer.id} was merged into customer {customer.merged_into_id}; use that one",
            field="customer_id",
        )


def _fix_primaries(repo: Any, customer_id: int) -> None:
    rows = repo.identities(customer_id)
    rows.sort(key=lambda r: (r.created_at, r.id))
    primary = rules.primary_flags([(r.id, r.kind, r.is_primary) for r in rows])
    for row in rows:
        row.is_primary = row.id in primary
    repo.save()


def _lenient_name(raw: str | None) -> str | None:
    if not isinstance(raw, str):
        return None
    cleaned = " ".join("".join(ch for ch in raw if ch.isprintable()).split())[: rules.MAX_NAME].strip()
    return cleaned or None


@contextmanager
def _field_prefix(prefix: str) -> Iterator[None]:
    """Name nested fields fully in errors: identities.2.value rather than value."""
    try:
        yield
    except ValidationFailed as exc:
        field = exc.field if exc.field and exc.field != "identity" else None
        raise ValidationFailed(exc.detail, field=f"{prefix}.{field}" if field else prefix) from None


def _announce(uow: UnitOfWork, deps: Deps, kind: str, tenant_id: int, customer_id: int) -> None:
    uow.after_commit(lambda: deps.events.publish({"type": kind, "tenant_id": tenant_id, "customer_id": customer_id}))
