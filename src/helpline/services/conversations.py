"""The staff side of a live conversation: messages (to the customer or staff only), typing, whisper,
barge-in, and the files sent in it.

Who may speak: an agent who holds the interaction (the router's holders), or a supervisor/admin of
the tenant. A supervisor monitors silently (the events stream), whispers to the agents (visibility
"agents": the customer never sees it), and only after barging in writes to the customer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from helpline.domain import chat as chat_rules
from helpline.domain import interactions as rules
from helpline.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.vocabulary import AuthorKind, Channel, Role
from helpline.domain.vocabulary import InteractionStatus as S
from helpline.services.interactions import announce_message, check_visibility, live_topics
from helpline.services.ports import Deps, UnitOfWork

SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})
LIVE = frozenset({S.QUEUED.value, S.OFFERED.value, S.ACTIVE.value})
MAX_ATTACHMENTS_PER_MESSAGE = 10


def send_message(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    interaction_id: int,
    body: str,
    visibility: str = "all",
    attachments: Sequence[int] = (),
) -> Any:
    """A staff message in a conversation, announced live (`message`) to its staff and, if visible, its customer.

    `attachments` are ids of files already uploaded to this interaction.
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    seen_by = check_visibility(visibility)
    if not isinstance(attachments, Sequence) or len(attachments) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise ValidationFailed(f"at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments per message", field="attachments")
    ids = [rules.check_id(a, "attachments") for a in attachments]
    now = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        interaction = scope.interactions.get(interaction_id)
        text = _check_body(body, interaction.channel)
        _check_may_speak(deps, principal, interaction, seen_by)
        files = scope.chat.attachments(interaction.id, ids)
        if len(files) != len(set(ids)):
            raise ValidationFailed("attachments must name files uploaded to this conversation", field="attachments")
        message = _add(uow, tenant_id, interaction.id, principal, text, now, seen_by, files)
        announce_message(uow, deps, tenant_id, message)
        uow.commit()
        return message


def whisper(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int, body: str) -> Any:
    """A supervisor's word to the agents of a conversation; the customer never sees it."""
    require_tenant(principal, tenant_id)
    _require_supervisor(principal)
    return send_message(deps, principal, tenant_id, interaction_id, body, visibility="agents")


def barge(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int) -> Any:
    """A supervisor joins the conversation visibly: the customer is told (`chat.joined`, role
    supervisor) and the supervisor's messages reach them from now on. Joining twice changes nothing."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    _require_supervisor(principal)
    now = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        interaction = scope.interactions.get(interaction_id, for_update=True)
        if interaction.status not in LIVE:
            raise Conflict(f"the conversation is {interaction.status}; only a live one can be joined", field="status")
        barged = list((interaction.attributes or {}).get("barged") or [])
        if principal.user_id in barged:
            return interaction
        barged.append(principal.user_id)
        interaction.attributes = {**(interaction.attributes or {}), "barged": barged}
        name = principal.name or "supervisor"
        note = scope.interactions.add_message(
            interaction.id,
            author_kind=AuthorKind.SYSTEM.value,
            author_user_id=None,
            author_name="system",
            at=now,
            body=f"{name} (supervisor) joined the conversation",
            attachments=[],
            visibility="all",
        )
        announce_message(uow, deps, tenant_id, note)
        _announce_live(uow, deps, tenant_id, interaction.id, "chat.joined", name=name, role="supervisor")
        uow.commit()
        return interaction


def typing(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int) -> None:
    """Tell the others in the conversation that this staff member is typing (no record kept)."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    with deps.uow() as uow:
        interaction = uow.tenant(tenant_id).interactions.get(interaction_id)
        _may_join(deps, principal, interaction)
        to_customer = _speaks_to_customer(deps, principal, interaction)
    topics = [f"interaction:{interaction_id}"] + ([f"chat:{interaction_id}"] if to_customer else [])
    deps.events.publish(
        {
            "type": "typing",
            "topics": topics,
            "tenant_id": tenant_id,
            "interaction_id": interaction_id,
            "who": "agent",
            "name": principal.name or "agent",
        }
    )


def upload_attachment(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    interaction_id: int,
    filename: object,
    data: bytes,
    visibility: str = "all",
) -> Any:
    """A file from staff into a conversation (same type and size rules as the customer's); it is sent
    at once as a message listing it. Returns the message."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    seen_by = check_visibility(visibility)
    name, content_type = chat_rules.check_attachment(data, filename)
    now = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        interaction = scope.interactions.get(interaction_id)
        _check_may_speak(deps, principal, interaction, seen_by)
        row = store_attachment(scope, interaction.id, name, content_type, data, now)
        message = _add(uow, tenant_id, interaction.id, principal, name, now, seen_by, [row])
        announce_message(uow, deps, tenant_id, message)
        uow.commit()
        return message


def attachment(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int, attachment_id: int) -> Any:
    """One file of a conversation, bytes included, for staff who may read the tenant's interactions."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        interaction = scope.interactions.get(interaction_id)
        row = scope.chat.attachment(attachment_id, interaction.id)
        if row is None:
            raise NotFound("attachment not found", field="attachment_id")
        return row


def check_may_speak(deps: Deps, principal: Principal, interaction: Any, visibility: str) -> None:
    """The live-chat rules for a staff message sent through the generic messages route
    (interactions.add_message with live_rules), inside its transaction."""
    _check_may_speak(deps, principal, interaction, visibility)


# --- shared with services/chat.py --------------------------------------------------------------


def store_attachment(scope: Any, interaction_id: int, name: str, content_type: str, data: bytes, now: Any) -> Any:
    return scope.chat.add_attachment(
        interaction_id=interaction_id,
        filename=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        created_at=now,
    )


# --- helpers -----------------------------------------------------------------------------------


def _check_body(body: object, channel: str) -> str:
    limit = chat_rules.MAX_MESSAGE if channel == Channel.CHAT.value else rules.MAX_BODY
    return rules.check_text(body, "body", limit, multiline=True)


def _holds(deps: Deps, principal: Principal, interaction_id: int) -> bool:
    if principal.user_id is None or deps.routing is None:
        return False
    phase = deps.routing.holders(interaction_id).get(principal.user_id)
    return phase is not None and phase != "left"


def _speaks_to_customer(deps: Deps, principal: Principal, interaction: Any) -> bool:
    """Holders speak to the customer; supervisors once they have barged in; API tokens (integrations) always."""
    if principal.user_id is None:
        return True
    if _holds(deps, principal, interaction.id):
        return True
    return principal.role in SUPERVISING and principal.user_id in ((interaction.attributes or {}).get("barged") or [])


def _may_join(deps: Deps, principal: Principal, interaction: Any) -> None:
    if principal.user_id is None or principal.role in SUPERVISING or _holds(deps, principal, interaction.id):
        return
    raise PermissionDenied("only the agents holding this conversation or a supervisor may take part in it")


def _check_may_speak(deps: Deps, principal: Principal, interaction: Any, visibility: str) -> None:
    """While a chat is live, only its agents (and supervisors who barged in) write to the customer,
    and only its agents and supervisors write in it at all. Other conversations (an email thread,
    a chat that has ended) take notes from any staff member of the tenant, as before."""
    if interaction.channel != Channel.CHAT.value or interaction.status not in LIVE:
        return
    _may_join(deps, principal, interaction)
    if visibility == "all" and not _speaks_to_customer(deps, principal, interaction):
        raise Conflict("barge in first to write to the customer, or whisper to the agent", field="visibility")


def _require_supervisor(principal: Principal) -> None:
    if principal.role not in SUPERVISING:
        raise PermissionDenied("only a supervisor may do this")


def _add(
    uow: UnitOfWork,
    tenant_id: int,
    interaction_id: int,
    principal: Principal,
    body: str,
    now: Any,
    visibility: str,
    files: Sequence[Any],
) -> Any:
    return uow.tenant(tenant_id).interactions.add_message(
        interaction_id,
        author_kind=AuthorKind.AGENT.value,
        author_user_id=principal.user_id,
        author_name=(principal.name or "agent")[: rules.MAX_AUTHOR_NAME],
        at=now,
        body=body,
        attachments=[chat_rules.attachment_view(f) for f in files],
        visibility=visibility,
    )


def _announce_live(uow: UnitOfWork, deps: Deps, tenant_id: int, interaction_id: int, kind: str, **data: Any) -> None:
    """After commit: a conversation event for its customer, its monitors and its holders."""

    def publish() -> None:
        topics = live_topics(deps, interaction_id, customer=True)
        deps.events.publish(
            {"type": kind, "topics": topics, "tenant_id": tenant_id, "interaction_id": interaction_id, **data}
        )

    uow.after_commit(publish)


# --- who may follow what, live --------------------------------------------------------------------


def follow_topics(
    deps: Deps, principal: Principal, tenant_slug: str | None = None, interaction_id: int | None = None
) -> list[str]:
    """The event topics a signed-in staff member may follow: always their own desk (`agent:{me}`);
    a tenant's live board when they serve it; one conversation when they hold it or supervise its
    tenant (monitoring). A tenant or conversation out of reach reads "not found"."""
    topics = [f"agent:{principal.user_id}"] if principal.user_id is not None else []
    if interaction_id is not None and tenant_slug is None:
        raise ValidationFailed("name the tenant of the interaction to follow", field="tenant")
    if tenant_slug is not None:
        with deps.uow() as uow:
            tenant = uow.center.tenant_by_slug(tenant_slug) if len(tenant_slug) <= 40 else None
            tenant_id = require_tenant(principal, tenant.id if tenant is not None else None)
            topics.append(f"tenant:{tenant_id}")
            if interaction_id is not None:
                require(principal, Action.READ)
                interaction = uow.tenant(tenant_id).interactions.get(rules.check_id(interaction_id, "interaction"))
                if principal.role not in SUPERVISING and not _holds(deps, principal, interaction.id):
                    raise PermissionDenied("only its agents and the tenant's supervisors may follow a conversation")
                topics.append(f"interaction:{interaction.id}")
    if not topics:
        raise ValidationFailed("name a tenant to follow", field="tenant")
    return topics
