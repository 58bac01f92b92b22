"""Live pages: the agent desktop, the supervisor wallboard, and one interaction's transcript.

The desktop and the wallboard are shells rendered here; their scripts (static/desktop.js,
static/wallboard.js) load the state from the JSON API and follow it over /api/v1/events. The
transcript page and the desktop's Customer 360 panel are rendered here from the services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi import Path as FastPath

from helpline.domain.errors import NotFound, PermissionDenied
from helpline.domain.pagination import MAX_LIMIT
from helpline.domain.vocabulary import Role
from helpline.services import agents, customers, interactions, queues, users
from helpline.web.routes.pages import InTenant, PageRoute, SignedIn, TenantPage, mark_page, render

router = APIRouter(include_in_schema=False, route_class=PageRoute, dependencies=[Depends(mark_page)])

ObjectId = Annotated[int, FastPath(ge=1, lt=2**63)]
DESK_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
WALLBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.CLIENT_MANAGER})
# Routing explanations name the agents who were passed over and why: supervisors' business.
ROUTING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
AWAY_REASONS = (("break", "Break"), ("lunch", "Lunch"), ("training", "Training"), ("meeting", "Meeting"))
MAX_TRANSCRIPT = MAX_LIMIT  # messages shown on one page; a chat longer than this says so
PANEL_TIMELINE = 6
STATE_ORDER = {"available": 0, "busy": 1, "wrap_up": 2, "away": 3, "offline": 4}


# --- desktop ----------------------------------------------------------------------------------------------------------


@router.get("/desktop")
def desktop(page: SignedIn) -> Response:
    """The agent desktop. Center-wide: an agent of the blended pool serves several tenants at once."""
    principal = page.principal
    if principal.role not in DESK_ROLES or principal.user_id is None:
        raise PermissionDenied("the desktop is for agents and supervisors who take conversations")
    page.section = "desktop"
    return render("desktop.html", page, away_reasons=AWAY_REASONS)


@router.get("/t/{tenant}/desktop/interactions/{interaction_id}/panel")
def desktop_panel(tp: InTenant, interaction_id: ObjectId) -> Response:
    """The side of one conversation on the desktop: Customer 360, cases, notes, transfer targets, dispositions."""
    t = tp.t
    if t.principal.role not in DESK_ROLES:
        raise PermissionDenied("the desktop is for agents and supervisors who take conversations")
    interaction = interactions.get_interaction(t.deps, t.principal, t.tenant_id, interaction_id)
    view = customers.customer_360(
        t.deps, t.principal, t.tenant_id, interaction.customer_id, timeline_limit=PANEL_TIMELINE + 1
    )
    queue = _queue(tp, interaction.queue_id)
    all_queues, _total = queues.list_queues(t.deps, t.principal, t.tenant_id, limit=MAX_LIMIT)
    # Colleagues the router knows (configured agents), the free ones first.
    colleagues = [
        a
        for a in agents.list_agents(t.deps, t.principal, t.tenant_id)
        if a["configured"] and a["user_id"] != t.principal.user_id
    ]
    colleagues.sort(key=lambda a: (STATE_ORDER.get(a["state"], 9), a["name"]))
    identities = sorted(view.identities, key=lambda i: (not i.is_primary, i.kind, i.id))
    return render(
        "partials/desk_panel.html",
        tp.page,
        interaction=interaction,
        c=view,
        customer=view.customer,
        identities=identities[:3],
        recent=[e for e in view.timeline.items if e.id != interaction.id][:PANEL_TIMELINE],
        queue=queue,
        dispositions=list(getattr(queue, "disposition_codes", None) or []),
        wrap_up_seconds=int(getattr(queue, "wrap_up_seconds", 0) or 0),
        # Only queues that take this channel: a chat cannot wait in a voice queue.
        transfer_queues=[
            q for q in all_queues if q.id != interaction.queue_id and q.channel in (None, interaction.channel)
        ],
        transfer_agents=colleagues,
    )


# --- wallboard --------------------------------------------------------------------------------------------------------


@router.get("/t/{tenant}/wallboard")
def wallboard(tp: InTenant) -> Response:
    """A tenant's live wallboard. Client managers see it read-only; agents have their desktop instead."""
    t = tp.t
    if t.principal.role not in WALLBOARD_ROLES:
        raise PermissionDenied("the wallboard is for supervisors and client managers")
    tp.page.section = "wallboard"
    supervising = t.principal.role in ROUTING_ROLES
    return render("wallboard.html", tp.page, supervising=supervising, away_reasons=AWAY_REASONS)


# Ended interactions are not listed: the agents table shows who is in wrap-up.
LIVE_STATUSES = (("queued", "Waiting"), ("offered", "Offered"), ("active", "Active"))
LIVE_LIMIT = 100  # per status; a wallboard with more live contacts than this shows the oldest


@dataclass(frozen=True)
class LiveRow:
    """One live interaction on the wallboard."""

    id: int
    channel: str
    status: str
    status_label: str
    customer_id: int
    customer_name: str
    queue_name: str | None
    agent_name: str | None
    since: datetime
    subject: str | None


@router.get("/t/{tenant}/wallboard/live")
def wallboard_live(tp: InTenant) -> Response:
    """The wallboard's live interactions as an HTML fragment (wallboard.js reloads it when they change)."""
    t = tp.t
    if t.principal.role not in WALLBOARD_ROLES:
        raise PermissionDenied("the wallboard is for supervisors and client managers")
    all_queues, _total = queues.list_queues(t.deps, t.principal, t.tenant_id, limit=MAX_LIMIT)
    queue_names = {q.id: q.name for q in all_queues}
    staff = {u.id: u.name for u in users.tenant_staff(t.deps, t.principal, t.tenant_id)}
    found: list[tuple[Any, str]] = []
    for status, label in LIVE_STATUSES:
        rows, _n = interactions.list_interactions(
            t.deps, t.principal, t.tenant_id, status=status, limit=LIVE_LIMIT, sort="created_at"
        )
        found.extend((row, label) for row in rows)
    names: dict[int, str] = {}
    live = []
    for row, label in found:
        if row.customer_id not in names:
            names[row.customer_id] = customers.get_customer(
                t.deps, t.principal, t.tenant_id, row.customer_id
            ).display_name
        since = {"queued": row.queued_at, "offered": row.offered_at, "active": row.accepted_at}
        live.append(
            LiveRow(
                id=row.id,
                channel=row.channel,
                status=row.status,
                status_label=label,
                customer_id=row.customer_id,
                customer_name=names[row.customer_id],
                queue_name=queue_names.get(row.queue_id) if row.queue_id is not None else None,
                agent_name=(staff.get(row.agent_id) or f"agent #{row.agent_id}") if row.agent_id else None,
                since=since.get(row.status) or row.created_at,
                subject=row.subject,
            )
        )
    return render(
        "partials/wallboard_live.html",
        tp.page,
        live=live,
        supervising=t.principal.role in ROUTING_ROLES,
    )


# --- transcript -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One lifecycle time on the transcript page, and how long since the previous one."""

    label: str
    at: datetime
    took: str | None


@router.get("/t/{tenant}/interactions/{interaction_id}")
def interaction_page(tp: InTenant, interaction_id: ObjectId) -> Response:
    t = tp.t
    tp.page.section = "customers"
    interaction = interactions.get_interaction(t.deps, t.principal, t.tenant_id, interaction_id)
    messages, total = interactions.list_messages(
        t.deps, t.principal, t.tenant_id, interaction.id, limit=MAX_TRANSCRIPT, offset=0
    )
    customer = customers.get_customer(t.deps, t.principal, t.tenant_id, interaction.customer_id)
    staff = {u.id: u.name for u in users.tenant_staff(t.deps, t.principal, t.tenant_id)}
    show_routing = t.principal.role in ROUTING_ROLES
    queue_names = {q.id: q.name for q in queues.list_queues(t.deps, t.principal, t.tenant_id, limit=MAX_LIMIT)[0]}
    decisions = [_decision(d, staff, queue_names) for d in (interaction.routing or [])] if show_routing else []
    agents = _agents(interaction, messages, staff)
    notes = interactions.list_notes(t.deps, t.principal, t.tenant_id, interaction.id)
    return render(
        "interaction.html",
        tp.page,
        interaction=interaction,
        customer=customer,
        messages=messages,
        total_messages=total,
        queue=_queue(tp, interaction.queue_id),
        agents=agents,
        steps=_steps(interaction),
        show_routing=show_routing,
        decisions=decisions,
        notes=notes,
    )


def _queue(tp: TenantPage, queue_id: int | None) -> Any:
    if queue_id is None:
        return None
    try:
        return queues.get_queue(tp.t.deps, tp.t.principal, tp.t.tenant_id, queue_id)
    except NotFound:  # deleted since: the interaction keeps its history without it
        return None


def _agents(interaction: Any, messages: list[Any], staff: dict[int, str]) -> list[str]:
    """Who handled it: the accepting agent first, then anyone else who wrote (a second agent, a barging supervisor)."""
    names: dict[int | str, str] = {}
    if interaction.agent_id is not None:
        names[interaction.agent_id] = staff.get(interaction.agent_id, f"staff #{interaction.agent_id}")
    for m in messages:
        if m.author_kind == "agent" and m.visibility != "agents":  # a whispering supervisor did not handle it
            key = m.author_user_id if m.author_user_id is not None else m.author_name
            names.setdefault(key, m.author_name)
    return list(names.values())


def _duration(elapsed: float) -> str:
    seconds = max(0, round(elapsed))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


STEP_LABELS = (
    ("created_at", "Received"),
    ("queued_at", "Queued"),
    ("offered_at", "Offered"),
    ("accepted_at", "Accepted"),
    ("ended_at", "Ended"),
    ("wrapped_up_at", "Wrapped up"),
)


def _steps(interaction: Any) -> list[Step]:
    steps: list[Step] = []
    for name, label in STEP_LABELS:
        at = getattr(interaction, name, None)
        if at is None:
            continue
        took = _duration((at - steps[-1].at).total_seconds()) if steps else None
        steps.append(Step(label, at, took))
    return steps


@dataclass(frozen=True)
class Decision:
    """One routing decision as a supervisor reads it."""

    at: datetime | None
    kind: str
    agent: str | None
    reason: str
    strategy: str
    candidates: int | None
    relaxed: list[str]
    passed_over: list[tuple[str, str]]
    interpreter_needed: bool
    preferred: str | None
    detail: str


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _decision(raw: Any, staff: dict[int, str], queue_names: dict[int, str]) -> Decision:
    """A stored routing entry (engine Explanation + at/kind/agent_id, or a lifecycle note such as
    accepted/ended/wrapped_up); tolerant of older or partial entries."""
    d = raw if isinstance(raw, dict) else {}

    def name(agent_id: Any) -> str | None:
        if agent_id is None:
            return None
        if isinstance(agent_id, int) and not isinstance(agent_id, bool):
            return staff.get(agent_id, f"agent #{agent_id}")
        return str(agent_id)

    def queue(queue_id: Any) -> str:
        return queue_names.get(queue_id, f"#{queue_id}")

    passed = []
    for p in d.get("passed_over") or []:
        if isinstance(p, dict):
            passed.append((name(p.get("id")) or "?", str(p.get("reason") or "")))
    facts = []
    if d.get("kind") == "queued" and isinstance(d.get("queue_id"), int):
        facts.append(f"queue {queue(d['queue_id'])}")
    if isinstance(d.get("to_queue_id"), int):
        facts.append(f"to queue {queue(d['to_queue_id'])}")
    if d.get("target"):
        facts.append(f"to {d['target']}")
    preferred = d.get("preferred")
    if isinstance(preferred, list):  # queued: [[agent_id, "dedicated" | "recent"], ...]
        wanted = [f"{name(p[0])} ({p[1]})" for p in preferred if isinstance(p, list | tuple) and len(p) == 2]
        if wanted:
            facts.append("waits first for " + ", ".join(wanted))
        preferred = None
    if d.get("code"):
        facts.append(f"disposition {d['code']}")
    if d.get("by") is not None and d.get("by") != d.get("agent_id"):
        facts.append(f"by {name(d['by'])}")
    if d.get("detail"):
        facts.append(str(d["detail"]))
    reason = str(d.get("reason") or "")
    if reason and " " not in reason:  # a reason code such as agent_ended, not a sentence
        reason = reason.replace("_", " ")
    candidates = d.get("candidates")
    return Decision(
        at=_parse_time(d.get("at")),
        kind=str(d.get("kind") or "decision").replace("_", " "),
        agent=name(d.get("agent_id")),
        reason=reason,
        strategy=str(d.get("strategy") or "").replace("_", " "),
        candidates=candidates if isinstance(candidates, int) and not isinstance(candidates, bool) else None,
        relaxed=[str(r) for r in d.get("relaxed") or []],
        passed_over=passed,
        interpreter_needed=bool(d.get("interpreter_needed")),
        preferred=str(preferred) if preferred else None,
        detail=" · ".join(facts),
    )
