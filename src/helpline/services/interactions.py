"""Interactions: receive a contact on any channel, move it through its lifecycle, and its messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from helpline.domain import interactions as rules
from helpline.domain.cases import FieldChange
from helpline.domain.customers import follow_merges
from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.identities import make_identity
from helpline.domain.pagination import make_page, parse_sort
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.vocabulary import AuthorKind, CaseStatus, Channel, Direction, IdentityKind, Role, parse_enum
from helpline.domain.vocabulary import InteractionStatus as S
from helpline.services import customers
from helpline.services.ports import Deps, UnitOfWork

_PATCHABLE = frozenset({"subject", "disposition_code", "case_id", "queue_id"})


def create_interaction(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    channel: str,
    direction: str = "inbound",
    customer_id: int | None = None,
    identity: dict[str, Any] | None = None,
    customer_name: str | None = None,
    queue_id: int | None = None,
    case_id: int | None = None,
    subject: str | None = None,
    external_ref: str | None = None,
    attributes: dict[str, Any] | None = None,
    messages: Sequence[dict[str, Any]] = (),
    created_at: datetime | None = None,
) -> Any:
    """Record one contact. The customer is named by id, or by an identity that finds or creates them.

    One transaction and a handful of statements: this is the path every inbound contact takes.
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    now = deps.clock.now()
    if (customer_id is None) == (identity is None):
        raise ValidationFailed("give either customer_id or identity", field="customer_id")
    fields: dict[str, Any] = {
        "channel": parse_enum(Channel, channel, "channel").value,
        "direction": parse_enum(Direction, direction, "direction").value,
        "status": S.NEW.value,
        "subject": rules.optional_text(subject, "subject", rules.MAX_SUBJECT),
        "external_ref": rules.optional_text(external_ref, "external_ref", rules.MAX_EXTERNAL_REF),
        "attributes": rules.check_attributes(attributes),
        "created_at": rules.check_not_future(created_at, now, "created_at") if created_at is not None else now,
    }
    name = rules.optional_text(customer_name, "customer_name", rules.MAX_AUTHOR_NAME)
    if not isinstance(messages, Sequence) or len(messages) > rules.MAX_INITIAL_MESSAGES:
        raise ValidationFailed(f"messages must be a list of at most {rules.MAX_INITIAL_MESSAGES}", field="messages")
    # Initial messages arrived with the contact unless they say otherwise.
    created = fields["created_at"]
    texts = [_check_message(m, created, now, created) for m in messages]
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        if customer_id is not None:
            customer = resolve_customer(uow, tenant_id, customer_id)
        else:
            customer = _customer_by_identity(uow, tenant_id, identity, now, name)
        if queue_id is not None:
            reference(scope.queues, queue_id, "queue_id")
        case = _case_for(uow, tenant_id, case_id, customer.id) if case_id is not None else None
        interaction = scope.interactions.create(customer_id=customer.id, queue_id=queue_id, case_id=case_id, **fields)
        if texts:
            signed = [_signed(m, principal, customer.display_name) for m in texts]
            scope.interactions.add_messages(interaction.id, signed)
        if case is not None:
            _record_link(uow, tenant_id, principal, case, interaction.id, linked=True, now=now)
        _announce(uow, deps, "interaction.created", tenant_id, interaction)
        uow.commit()
        return interaction


def lifecycle_step(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    interaction_id: int,
    action: str,
    *,
    agent_id: int | None = None,
    at: datetime | None = None,
    disposition_code: str | None = None,
) -> Any:
    """queue | offer | accept | end | wrap_up, checked by the domain's lifecycle rules."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    now = deps.clock.now()
    with deps.uow() as uow:
        interaction = uow.tenant(tenant_id).interactions.get(interaction_id, for_update=True)
        state = rules.Lifecycle(
            S(interaction.status),
            interaction.created_at,
            interaction.agent_id,
            *(getattr(interaction, f) for f in rules.TIMESTAMP_FIELDS),
        )
        changes = rules.plan_step(state, action, now, at=at, agent_id=agent_id, disposition_code=disposition_code)
        if changes.get("agent_id") is not None:
            check_staff(uow, tenant_id, changes["agent_id"], "agent_id")
        for field, value in changes.items():
            setattr(interaction, field, value)
        _announce(uow, deps, "interaction.updated", tenant_id, interaction, step=action)
        uow.commit()
        return interaction


def update_interaction(
    deps: Deps, principal: Principal, tenant_id: int, interaction_id: int, changes: dict[str, Any]
) -> Any:
    """Change subject, disposition code, queue, or link to / unlink from a case (case_id None)."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    unknown = sorted(set(changes) - _PATCHABLE)
    if unknown:
        raise ValidationFailed(f"{unknown[0]} cannot be changed here", field=unknown[0])
    now = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        interaction = scope.interactions.get(interaction_id, for_update=True)
        if "subject" in changes:
            interaction.subject = rules.optional_text(changes["subject"], "subject", rules.MAX_SUBJECT)
        if "disposition_code" in changes:
            code = changes["disposition_code"]
            interaction.disposition_code = None if code is None else rules.check_disposition(code)
        if "queue_id" in changes:
            if changes["queue_id"] is not None:
                reference(scope.queues, changes["queue_id"], "queue_id")
            interaction.queue_id = changes["queue_id"]
        if "case_id" in changes and changes["case_id"] != interaction.case_id:
            link_to_case(uow, tenant_id, principal, interaction, changes["case_id"], now)
        _announce(uow, deps, "interaction.updated", tenant_id, interaction)
        uow.commit()
        return interaction


def get_interaction(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        return uow.tenant(tenant_id).interactions.get(interaction_id)


def list_interactions(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    channel: str | None = None,
    status: str | None = None,
    direction: str | None = None,
    customer_id: int | None = None,
    case_id: int | None = None,
    agent_id: int | None = None,
    queue_id: int | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    limit: int | None = None,
    offset: int | None = None,
    sort: str | None = None,
) -> tuple[list[Any], int]:
    """One page of the tenant's interactions (newest first unless `sort` says otherwise) and the total."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    where = rules.make_filter(
        channel, status, direction, customer_id, case_id, agent_id, queue_id, created_after, created_before
    )
    page = make_page(limit, offset)
    order = parse_sort(sort, rules.SORT_FIELDS, rules.DEFAULT_SORT)
    with deps.uow() as uow:
        rows, total = uow.tenant(tenant_id).interactions.search(where, page, order)
        return rows, total


def add_message(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    interaction_id: int,
    *,
    author_kind: str,
    body: str,
    attachments: list[Any] | None = None,
    author_name: str | None = None,
    at: datetime | None = None,
    visibility: str = "all",
    live_rules: bool = False,
) -> Any:
    """Append a message. An agent's message is signed by the caller, whatever name was sent.

    `visibility` "agents" keeps it from the customer (an internal remark); live listeners of the
    conversation get a `message` event, the customer's chat only for "all". With `live_rules`, an
    agent message into a live chat follows services.conversations' rules (who may speak to whom).
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    now = deps.clock.now()
    raw = {"author_kind": author_kind, "body": body, "attachments": attachments, "author_name": author_name, "at": at}
    seen_by = check_visibility(visibility)
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        interaction = scope.interactions.get(interaction_id)
        checked = _check_message(raw, interaction.created_at, now, now)
        if live_rules and checked["author_kind"] == AuthorKind.AGENT.value:
            from helpline.services.conversations import check_may_speak  # it builds on this module

            check_may_speak(deps, principal, interaction, seen_by)
        customer_name = None
        if checked["author_kind"] == AuthorKind.CUSTOMER.value and not checked["author_name"]:
            customer = scope.customers.find(interaction.customer_id)
            customer_name = customer.display_name if customer is not None else None
        message = scope.interactions.add_message(
            interaction.id, visibility=seen_by, **_signed(checked, principal, customer_name)
        )
        _announce(uow, deps, "interaction.updated", tenant_id, interaction, message_id=message.id)
        announce_message(uow, deps, tenant_id, message)
        uow.commit()
        return message


MAX_NOTES_SHOWN = 100


def list_notes(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int) -> list[Any]:
    """Staff notes written on one interaction (wrap-up notes), oldest first."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        scope.interactions.get(interaction_id)
        return scope.notes.for_interaction(interaction_id, MAX_NOTES_SHOWN)


def list_messages(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    interaction_id: int,
    limit: int | None = None,
    offset: int | None = None,
) -> tuple[list[Any], int]:
    """Messages of one interaction, oldest first."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    page = make_page(limit, offset)
    with deps.uow() as uow:
        repo = uow.tenant(tenant_id).interactions
        repo.get(interaction_id)
        rows, total = repo.messages(interaction_id, page)
        return rows, total


# --- live conversation events (shared with services/chat.py and services/conversations.py) -----

VISIBILITIES = ("all", "agents")


def check_visibility(value: object) -> str:
    if value not in VISIBILITIES:
        raise ValidationFailed("visibility must be 'all' (the customer sees it) or 'agents'", field="visibility")
    return str(value)


def live_topics(deps: Deps, interaction_id: int, *, staff: bool = True, customer: bool = False) -> list[str]:
    """Where a live event about one conversation goes: its monitors and holders, and its customer's chat."""
    topics: list[str] = []
    if staff:
        topics.append(f"interaction:{interaction_id}")
        holders = deps.routing.holders(interaction_id) if deps.routing is not None else {}
        topics.extend(f"agent:{user_id}" for user_id, phase in holders.items() if phase != "left")
    if customer:
        topics.append(f"chat:{interaction_id}")
    return topics


def message_view(message: Any) -> dict[str, Any]:
    """A message as live events and the chat API show it (no staff user ids)."""
    return {
        "id": message.id,
        "author_kind": message.author_kind,
        "author_name": message.author_name,
        "body": message.body,
        "at": message.at.isoformat(),
        "attachments": list(message.attachments or []),
        "visibility": message.visibility or "all",
    }


def announce_message(uow: UnitOfWork, deps: Deps, tenant_id: int, message: Any) -> None:
    """After commit: a `message` event to the staff of the conversation, and to the customer if visible."""
    data = message_view(message)
    interaction_id = message.interaction_id

    def publish() -> None:
        topics = live_topics(deps, interaction_id, customer=data["visibility"] == "all")
        event = {"type": "message", "topics": topics, "tenant_id": tenant_id, "interaction_id": interaction_id}
        deps.events.publish({**event, "message": data})

    uow.after_commit(publish)


# --- shared with services/cases.py: run inside the caller's unit of work ----------------------


def check_staff(uow: UnitOfWork, tenant_id: int, user_id: object, field: str) -> None:
    """`user_id` must be an active staff member who serves this tenant and may work (not a client manager).

    Every failure reads the same, so the answer says nothing about users of other tenants.
    """
    user = uow.center.user(user_id) if isinstance(user_id, int) and not isinstance(user_id, bool) else None
    fits = (
        user is not None
        and user.is_active
        and user.role != Role.CLIENT_MANAGER.value
        and (user.role == Role.ADMIN.value or tenant_id in uow.center.user_tenant_ids(user.id))
    )
    if not fits:
        raise ValidationFailed(f"{field} must name an active agent serving this tenant", field=field)


def reference(repo: Any, object_id: object, field: str) -> Any:
    """A row named in a request body: unknown and other-tenant ids get the same 422."""
    row = repo.find(object_id) if isinstance(object_id, int) and not isinstance(object_id, bool) else None
    if row is None:
        raise ValidationFailed(f"{field} does not name a {repo.label} of this tenant", field=field)
    return row


def resolve_customer(uow: UnitOfWork, tenant_id: int, customer_id: int) -> Any:
    """The customer a request body names (or the survivor it was merged into), else a 422 on customer_id.

    Returns a light row (id, merged_into_id, display_name), not the whole customer: this runs for every contact.
    """
    repo = uow.tenant(tenant_id).interactions
    customer = None
    if isinstance(customer_id, int) and not isinstance(customer_id, bool):
        customer = repo.customer_ref(customer_id)
    customer = follow_merges(customer, repo.customer_ref)  # contacts for a merged customer go to the survivor
    if customer is None:
        raise ValidationFailed("customer_id does not name a customer of this tenant", field="customer_id")
    return customer


def link_to_case(
    uow: UnitOfWork, tenant_id: int, principal: Principal, interaction: Any, case_id: int | None, now: datetime
) -> None:
    """Move an interaction onto an open case of the same customer (or off any case, `case_id` None),
    writing the link and unlink to the history of each case concerned."""
    cases = uow.tenant(tenant_id).cases
    new_case = _case_for(uow, tenant_id, case_id, interaction.customer_id) if case_id is not None else None
    if interaction.case_id == case_id:
        return
    if interaction.case_id is not None:
        old_case = cases.find(interaction.case_id)
        if old_case is not None:
            _record_link(uow, tenant_id, principal, old_case, interaction.id, linked=False, now=now)
    interaction.case_id = case_id
    if new_case is not None:
        _record_link(uow, tenant_id, principal, new_case, interaction.id, linked=True, now=now)


# --- helpers -----------------------------------------------------------------------------------


def _customer_by_identity(uow: UnitOfWork, tenant_id: int, identity: Any, now: datetime, name: str | None) -> Any:
    if not isinstance(identity, dict):
        raise ValidationFailed("identity must be an object with kind and value", field="identity")
    kind = identity.get("kind")
    # Only phone numbers need the tenant's region (for numbers written without +); skip the read otherwise.
    is_phone = isinstance(kind, str) and kind.strip().lower() == IdentityKind.PHONE.value
    region = uow.center.tenant(tenant_id).default_region if is_phone else None
    parsed = make_identity(kind, identity.get("value"), identity.get("provider") or "", default_region=region)
    customer, _created = customers.find_or_create_in(uow, tenant_id, parsed, now, name)
    return customer


def _case_for(uow: UnitOfWork, tenant_id: int, case_id: int, customer_id: int) -> Any:
    case = reference(uow.tenant(tenant_id).cases, case_id, "case_id")
    if case.customer_id != customer_id:
        raise ValidationFailed("case_id names a case of another customer", field="case_id")
    if case.status == CaseStatus.CLOSED.value:
        raise Conflict("a closed case takes no more interactions; open a new case", field="case_id")
    return case


def _record_link(
    uow: UnitOfWork, tenant_id: int, principal: Principal, case: Any, interaction_id: int, linked: bool, now: datetime
) -> None:
    ref = f"#{interaction_id}"
    change = FieldChange("interaction", None, ref) if linked else FieldChange("interaction", ref, None)
    uow.tenant(tenant_id).cases.add_history(case.id, [change], principal.user_id, principal.name, now)
    case.updated_at = now


def _check_message(raw: object, floor: datetime, now: datetime, default_at: datetime) -> dict[str, Any]:
    """Validate one message as sent; who wrote it is filled in by `_signed`."""
    if not isinstance(raw, dict):
        raise ValidationFailed("each message must be an object", field="messages")
    at = raw.get("at")
    when = rules.check_not_future(at, now, "at") if at is not None else default_at
    if when < floor:
        raise ValidationFailed("a message cannot be older than its interaction", field="at")
    return {
        "author_kind": parse_enum(AuthorKind, raw.get("author_kind"), "author_kind").value,
        "author_name": rules.optional_text(raw.get("author_name"), "author_name", rules.MAX_AUTHOR_NAME),
        "at": when,
        "body": rules.check_text(raw.get("body"), "body", rules.MAX_BODY, multiline=True),
        "attachments": rules.check_attachments(raw.get("attachments")),
    }


def _signed(message: dict[str, Any], principal: Principal, customer_name: str | None) -> dict[str, Any]:
    """An agent's message is signed by the caller whatever name was sent; others keep the name given."""
    kind, given = message["author_kind"], message["author_name"]
    if kind == AuthorKind.AGENT.value:
        user_id, name = principal.user_id, principal.name or "agent"
    elif kind == AuthorKind.CUSTOMER.value:
        user_id, name = None, given or customer_name or "customer"
    else:
        user_id, name = None, given or kind
    return {**message, "author_user_id": user_id, "author_name": name[: rules.MAX_AUTHOR_NAME]}


def _announce(uow: UnitOfWork, deps: Deps, kind: str, tenant_id: int, interaction: Any, **extra: Any) -> None:
    event = {
        "type": kind,
        "tenant_id": tenant_id,
        "interaction_id": interaction.id,
        "status": interaction.status,
        **extra,
    }
    uow.after_commit(lambda: deps.events.publish(event))
