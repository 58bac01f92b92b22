"""Web chat, the customer's side: the widget's configuration, starting a chat from the pre-chat form,
messages, typing, files, closing, leaving a message (which opens a case), and the watcher's round
that keeps waiting customers informed and ends chats whose customer has gone.

Customer calls carry no user: they authenticate with the chat token handed out when the chat
starts (only its SHA-256 is stored). Every call names the tenant and the session; a session of
another tenant, a forged id and a wrong token all read "not found".
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from helpline.domain import cases as case_rules
from helpline.domain import chat as rules
from helpline.domain import interactions as interaction_rules
from helpline.domain.errors import Conflict, NotFound, ValidationFailed
from helpline.domain.identities import make_identity
from helpline.domain.pagination import MAX_LIMIT, Page
from helpline.domain.permissions import Principal
from helpline.domain.routing.hours import is_open
from helpline.domain.vocabulary import AuthorKind, CaseStatus, Channel, Role
from helpline.domain.vocabulary import InteractionStatus as S
from helpline.services import customers, routing
from helpline.services.conversations import store_attachment
from helpline.services.interactions import announce_message, live_topics, message_view
from helpline.services.ports import Deps, UnitOfWork
from helpline.services.queues import queue_spec
from helpline.services.security import digest, new_secret

TOKEN_PREFIX = "hc_"
WAITING = frozenset({S.QUEUED.value, S.OFFERED.value})
OVER = frozenset({S.ENDED.value, S.WRAPPED_UP.value})
MAX_ORIGIN = 300
ESTIMATE_STEP_SECONDS = 5  # waiting customers hear of a new estimate only when it moves by a step


def system_principal(tenant_id: int) -> Principal:
    """The web chat acts for the customer like a tenant-scoped agent token: it may write, nothing more."""
    return Principal(role=Role.AGENT, tenant_ids=frozenset({tenant_id}), user_id=None, name="web chat")


@dataclass(frozen=True, slots=True)
class Started:
    session_id: int
    token: str  # shown once: the widget keeps it; only its hash is stored
    interaction_id: int
    customer_id: int
    status: str  # RouteStatus.status: queued | offered | closed | overflowed
    position: int | None
    estimated_wait_seconds: float | None
    leave_message: bool
    resume_from: int | None  # open the events stream after this id: nothing published since is missed


@dataclass(frozen=True, slots=True)
class Visitor:
    """A chat customer whose token matched their session."""

    tenant_id: int
    session_id: int
    interaction_id: int
    name: str
    closed: bool


# --- configuration --------------------------------------------------------------------------------


def chat_config(deps: Deps, tenant_slug: str) -> dict[str, Any]:
    """What the widget needs before the first click: the topics (the tenant's chat queues, open or
    closed now), the languages offered and the limits on messages and files."""
    now = deps.clock.now()
    with deps.uow() as uow:
        tenant = _tenant(uow, tenant_slug)
        queues, _total = uow.tenant(tenant.id).queues.listed(_all_queues())
        chat_queues = [q for q in queues if q.channel == Channel.CHAT.value]
    languages = sorted({tenant.default_language, *(q.language for q in chat_queues if q.language)})
    return {
        "tenant": tenant.slug,
        "name": tenant.name,
        "default_language": tenant.default_language,
        "languages": languages,
        "topics": [
            {
                "queue_id": q.id,
                "name": q.name,
                "language": q.language,
                "open": is_open(queue_spec(q).hours, now.timestamp()),
            }
            for q in chat_queues
        ],
        "limits": {
            "message_chars": rules.MAX_MESSAGE,
            "leave_message_chars": rules.MAX_LEAVE_MESSAGE,
            "attachment_bytes": rules.MAX_ATTACHMENT_BYTES,
            "attachment_types": sorted(rules.ALLOWED_TYPES),
            "attachment_extensions": sorted(set(rules.ALLOWED_TYPES.values()) | {"jpeg"}),
            "typing_interval_seconds": rules.TYPING_INTERVAL_SECONDS,
        },
    }


# --- starting ------------------------------------------------------------------------------------


def start_chat(
    deps: Deps,
    tenant_slug: str,
    *,
    name: object,
    email: object,
    language: object,
    queue_id: object,
    message: object = None,
    origin: object = None,
) -> Started:
    """The pre-chat form sent: find the customer by email (or create them), open the chat interaction
    (with the first message, if any), hand out a session token, then ask the router to place it.

    A closed queue answers status "closed" with leave_message true: the widget offers to leave a message.
    """
    form = rules.check_prechat(name, email, language, queue_id)
    first = rules.check_message(message, "message") if message not in (None, "") else None
    token = new_secret(TOKEN_PREFIX)
    now = deps.clock.now()
    resume_from = getattr(deps.events, "last_id", None)
    with deps.uow() as uow:
        tenant = _tenant(uow, tenant_slug)
        scope = uow.tenant(tenant.id)
        queue = scope.queues.find(form.queue_id)
        if queue is None or queue.channel != Channel.CHAT.value:
            raise ValidationFailed("queue_id does not name a chat topic of this tenant", field="queue_id")
        customer, _created = customers.find_or_create_in(
            uow, tenant.id, make_identity("email", form.email, field="email"), now, form.name
        )
        interaction = scope.interactions.create(
            customer_id=customer.id,
            queue_id=queue.id,
            case_id=None,
            channel=Channel.CHAT.value,
            direction="inbound",
            status=S.NEW.value,
            subject=queue.name,
            external_ref=None,
            language=form.language,
            attributes={"chat": {"name": form.name, "email": form.email, "origin": _origin(origin)}},
            created_at=now,
        )
        if first is not None:
            scope.interactions.add_message(
                interaction.id, **_customer_line(form.name, first, now), attachments=[], visibility="all"
            )
        session = scope.chat.create(
            interaction_id=interaction.id,
            token_hash=digest(token),
            origin=_origin(origin),
            created_at=now,
            last_seen_at=now,
            closed_at=None,
        )
        _announce_created(uow, deps, tenant.id, interaction.id)
        uow.commit()
    status = routing.route(deps, system_principal(tenant.id), tenant.id, interaction.id)
    return Started(
        session_id=session.id,
        token=token,
        interaction_id=interaction.id,
        customer_id=customer.id,
        status=status.status,
        position=status.position,
        estimated_wait_seconds=status.estimated_wait_seconds,
        leave_message=bool(status.leave_message or status.status == "closed"),
        resume_from=resume_from,
    )


# --- the customer's session ---------------------------------------------------------------------------


def authenticate(deps: Deps, tenant_slug: str, session_id: int, token: str | None) -> Visitor:
    with deps.uow() as uow:
        return _visitor(uow, tenant_slug, session_id, token)[0]


def chat_status(deps: Deps, tenant_slug: str, session_id: int, token: str | None) -> dict[str, Any]:
    """Where the chat stands and its visible transcript (the widget reloads from this after a reset)."""
    resume_from = getattr(deps.events, "last_id", None)
    with deps.uow() as uow:
        visitor, session, interaction = _visitor(uow, tenant_slug, session_id, token)
        messages = uow.tenant(visitor.tenant_id).interactions.messages(interaction.id, _all_messages())[0]
        agent = uow.center.user(interaction.agent_id) if interaction.agent_id is not None else None
    queue = None
    if interaction.status in WAITING and not visitor.closed:
        wait = routing.wait_status(deps, visitor.tenant_id, interaction.id)
        queue = _queue_view(wait)
    return {
        "session_id": session.id,
        "interaction_id": interaction.id,
        "status": interaction.status,
        "closed": visitor.closed or interaction.status in OVER,
        "queue": queue,
        "agent_name": agent.name if agent is not None and interaction.status == S.ACTIVE.value else None,
        "messages": [message_view(m) for m in messages if (m.visibility or "all") == "all"],
        "resume_from": resume_from,
    }


def send_message(deps: Deps, tenant_slug: str, session_id: int, token: str | None, body: object) -> Any:
    text = rules.check_message(body)
    now = deps.clock.now()
    with deps.uow() as uow:
        visitor, session, interaction = _visitor(uow, tenant_slug, session_id, token)
        _require_open(visitor, interaction)
        message = uow.tenant(visitor.tenant_id).interactions.add_message(
            interaction.id, **_customer_line(visitor.name, text, now), attachments=[], visibility="all"
        )
        session.last_seen_at = now
        announce_message(uow, deps, visitor.tenant_id, message)
        uow.commit()
        return message


def typing(deps: Deps, tenant_slug: str, session_id: int, token: str | None) -> None:
    """Tell the agents (and monitors) that the customer is typing; nothing is stored."""
    visitor = authenticate(deps, tenant_slug, session_id, token)
    if visitor.closed:
        return
    deps.events.publish(
        {
            "type": "typing",
            "topics": live_topics(deps, visitor.interaction_id),
            "tenant_id": visitor.tenant_id,
            "interaction_id": visitor.interaction_id,
            "who": "customer",
            "name": visitor.name,
        }
    )


def upload(deps: Deps, tenant_slug: str, session_id: int, token: str | None, filename: object, data: bytes) -> Any:
    """A file from the customer: checked by its content (not its declared type), stored, and sent
    at once as a message listing it. Returns the message."""
    name, content_type = rules.check_attachment(data, filename)
    now = deps.clock.now()
    with deps.uow() as uow:
        visitor, session, interaction = _visitor(uow, tenant_slug, session_id, token, for_update=True)
        _require_open(visitor, interaction)
        scope = uow.tenant(visitor.tenant_id)
        row = store_attachment(scope, interaction.id, name, content_type, data, now)
        message = scope.interactions.add_message(
            interaction.id,
            **_customer_line(visitor.name, name, now),
            attachments=[rules.attachment_view(row)],
            visibility="all",
        )
        session.last_seen_at = now
        announce_message(uow, deps, visitor.tenant_id, message)
        uow.commit()
        return message


def download(deps: Deps, tenant_slug: str, session_id: int, token: str | None, attachment_id: int) -> Any:
    """A file of the customer's own conversation (sent by either side), bytes included."""
    with deps.uow() as uow:
        visitor, _session, interaction = _visitor(uow, tenant_slug, session_id, token)
        row = uow.tenant(visitor.tenant_id).chat.attachment(attachment_id, interaction.id)
        if row is None or not _visible_file(uow, visitor.tenant_id, interaction.id, row.id):
            raise NotFound("attachment not found", field="attachment_id")
        return row


def close(deps: Deps, tenant_slug: str, session_id: int, token: str | None) -> None:
    """The customer closed the chat (or the page): end the interaction. Closing twice is harmless."""
    visitor = authenticate(deps, tenant_slug, session_id, token)
    end_chat(deps, visitor.tenant_id, visitor.session_id, "customer_left")


def leave_message(deps: Deps, tenant_slug: str, session_id: int, token: str | None, body: object) -> Any:
    """Nobody can chat now: the customer's message opens a case (subject from the topic) and the chat ends.

    The text is kept twice on purpose: as the chat's last message (the transcript reads whole) and
    as the case's first note (what the agent who picks the case up reads). Returns the case.
    """
    text = rules.check_message(body, "body", rules.MAX_LEAVE_MESSAGE)
    now = deps.clock.now()
    with deps.uow() as uow:
        visitor, _session, interaction = _visitor(uow, tenant_slug, session_id, token, for_update=True)
        _require_open(visitor, interaction)
        if interaction.status == S.ACTIVE.value:
            raise Conflict("an agent is already chatting with you; write to them instead", field="session")
        scope = uow.tenant(visitor.tenant_id)
        queue = scope.queues.find(interaction.queue_id) if interaction.queue_id is not None else None
        topic = queue.name if queue is not None else "chat"
        subject = case_rules.check_subject(f"Message left in chat: {topic}"[: interaction_rules.MAX_SUBJECT])
        case = scope.cases.create(
            customer_id=interaction.customer_id,
            subject=subject,
            status=CaseStatus.NEW.value,
            priority="normal",
            category=None,
            tags=[],
            escalation_tier=0,
            assignee_id=None,
            queue_id=interaction.queue_id,
            first_response_due_at=None,
            resolution_due_at=None,
            created_at=now,
            updated_at=now,
        )
        scope.cases.add_history(case.id, [case_rules.FieldChange("created", None, case.subject)], None, "web chat", now)
        scope.cases.add_history(
            case.id, [case_rules.FieldChange("interaction", None, f"#{interaction.id}")], None, "web chat", now
        )
        interaction.case_id = case.id
        scope.notes.create(
            customer_id=interaction.customer_id,
            case_id=case.id,
            interaction_id=interaction.id,
            author_user_id=None,
            author_name=visitor.name,
            body=text,
            created_at=now,
        )
        message = scope.interactions.add_message(
            interaction.id, **_customer_line(visitor.name, text, now), attachments=[], visibility="all"
        )
        announce_message(uow, deps, visitor.tenant_id, message)
        tenant_id = visitor.tenant_id
        uow.after_commit(
            lambda: deps.events.publish({"type": "case.created", "tenant_id": tenant_id, "case_id": case.id})
        )
        uow.commit()
    end_chat(deps, visitor.tenant_id, visitor.session_id, "left_message")
    return case


def touch(deps: Deps, tenant_id: int, session_id: int) -> None:
    """The customer was here just now (their events stream opened or closed)."""
    with deps.uow() as uow:
        session = uow.tenant(tenant_id).chat.find(session_id)
        if session is not None and session.closed_at is None:
            session.last_seen_at = deps.clock.now()
            uow.commit()


def end_chat(deps: Deps, tenant_id: int, session_id: int, reason: str) -> None:
    """Close the session and end its interaction through the router (a waiting one is abandoned, a held
    one goes to wrap-up; the router tells everyone with `chat.ended`). Ending twice is harmless."""
    now = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        session = scope.chat.get(session_id, for_update=True)
        interaction = scope.interactions.get(session.interaction_id)
        session.closed_at = session.closed_at or now
        uow.commit()
    if interaction.status not in OVER:
        routing.end(deps, None, tenant_id, interaction.id, reason=reason)


# --- the watcher's round ------------------------------------------------------------------------


@dataclass
class WatchMemo:
    """What each waiting customer was last told, so they hear only of changes."""

    told: dict[int, tuple[int | None, int | None, bool]]

    def __init__(self) -> None:
        self.told = {}


def watch(deps: Deps, memo: WatchMemo) -> None:
    """One round over the open chat sessions of every tenant:

    - a waiting customer hears `chat.queue` when their position, estimated wait or the offer to
      leave a message changed (offered once the wait passes the queue's leave_message_after_seconds);
    - a customer gone (no events stream, no request) for GONE_AFTER_SECONDS is taken as having left;
    - a session whose interaction was ended by staff is closed.
    """
    now = deps.clock.now()
    gone_before = now - timedelta(seconds=rules.GONE_AFTER_SECONDS)
    listening = getattr(deps.events, "has_subscriber", None)
    open_ids: set[int] = set()
    rows: list[tuple[int, Any, Any, Any]] = []
    with deps.uow() as uow:
        for tenant in uow.center.tenants():
            rows.extend((tenant.id, s, i, q) for s, i, q in uow.tenant(tenant.id).chat.open_sessions())
    for tenant_id, session, interaction, queue in rows:
        open_ids.add(interaction.id)
        connected = bool(listening and listening(f"chat:{interaction.id}"))
        if interaction.status in OVER:
            end_chat(deps, tenant_id, session.id, "agent_ended")
        elif not connected and session.last_seen_at < gone_before:
            end_chat(deps, tenant_id, session.id, "customer_left")
        elif interaction.status in WAITING:
            wait = routing.wait_status(deps, tenant_id, interaction.id)
            waited = (now - (interaction.queued_at or interaction.created_at)).total_seconds()
            limit = queue.leave_message_after_seconds if queue is not None else None
            leave = bool(wait.leave_message or (limit is not None and waited >= limit))
            view = _queue_view(wait, leave)
            estimate = view["estimated_wait_seconds"]
            told = (view["position"], None if estimate is None else int(estimate), leave)
            if memo.told.get(interaction.id) != told:
                memo.told[interaction.id] = told
                deps.events.publish(
                    {
                        "type": "chat.queue",
                        "topics": [f"chat:{interaction.id}"],
                        "tenant_id": tenant_id,
                        "interaction_id": interaction.id,
                        **view,
                    }
                )
    for interaction_id in list(memo.told):
        if interaction_id not in open_ids:
            del memo.told[interaction_id]


# --- helpers ---------------------------------------------------------------------------------------


def _tenant(uow: UnitOfWork, slug: object) -> Any:
    tenant = uow.center.tenant_by_slug(slug) if isinstance(slug, str) and 0 < len(slug) <= 40 else None
    if tenant is None:
        raise NotFound("tenant not found", field="tenant")
    return tenant


def _visitor(
    uow: UnitOfWork, tenant_slug: str, session_id: int, token: str | None, for_update: bool = False
) -> tuple[Visitor, Any, Any]:
    """The session named by id in that tenant, if the token is its own; else 'not found' whatever was wrong."""
    missing = NotFound("chat session not found", field="session_id")
    tenant = uow.center.tenant_by_slug(tenant_slug) if isinstance(tenant_slug, str) and len(tenant_slug) <= 40 else None
    if tenant is None or not isinstance(token, str) or not token or len(token) > 200:
        raise missing
    scope = uow.tenant(tenant.id)
    try:
        session = scope.chat.get(session_id, for_update=for_update)
    except NotFound:
        raise missing from None
    if not hmac.compare_digest(session.token_hash, digest(token)):
        raise missing
    interaction = scope.interactions.get(session.interaction_id, for_update=for_update)
    chat = (interaction.attributes or {}).get("chat") or {}
    name = str(chat.get("name") or "customer")
    visitor = Visitor(tenant.id, session.id, interaction.id, name, session.closed_at is not None)
    return visitor, session, interaction


def _require_open(visitor: Visitor, interaction: Any) -> None:
    if visitor.closed or interaction.status in OVER:
        raise Conflict("this chat has ended; start a new one", field="session")


def _visible_file(uow: UnitOfWork, tenant_id: int, interaction_id: int, attachment_id: int) -> bool:
    """A file the customer may fetch: listed on a message they can see (never one sent in a whisper)."""
    messages = uow.tenant(tenant_id).interactions.messages(interaction_id, _all_messages())[0]
    return any(
        (m.visibility or "all") == "all" and any(a.get("id") == attachment_id for a in (m.attachments or []))
        for m in messages
    )


def _customer_line(name: str, body: str, now: datetime) -> dict[str, Any]:
    return {
        "author_kind": AuthorKind.CUSTOMER.value,
        "author_user_id": None,
        "author_name": name[: interaction_rules.MAX_AUTHOR_NAME],
        "at": now,
        "body": body,
    }


def _queue_view(wait: Any, leave: bool | None = None) -> dict[str, Any]:
    estimate = wait.estimated_wait_seconds
    if estimate is not None:
        estimate = float(ESTIMATE_STEP_SECONDS * round(max(0.0, estimate) / ESTIMATE_STEP_SECONDS))
    return {
        "position": wait.position,
        "estimated_wait_seconds": estimate,
        "leave_message": bool(wait.leave_message) if leave is None else leave,
    }


def _origin(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    cleaned = "".join(ch for ch in raw if ch.isprintable())[:MAX_ORIGIN].strip()
    return cleaned or None


def _announce_created(uow: UnitOfWork, deps: Deps, tenant_id: int, interaction_id: int) -> None:
    event = {"type": "interaction.created", "tenant_id": tenant_id, "interaction_id": interaction_id, "status": "new"}
    uow.after_commit(lambda: deps.events.publish(event))


def _all_queues() -> Page:
    return Page(MAX_LIMIT, 0)


def _all_messages() -> Page:
    return Page(MAX_LIMIT, 0)  # a chat longer than this is cut in the widget's reload (the desktop pages it)
