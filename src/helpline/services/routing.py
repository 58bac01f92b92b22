"""Live routing: the router (an in-memory index rebuilt from the database), its effects persisted and
announced, and the use cases agents and supervisors call (route, accept, end, wrap-up, transfer...).

The database is the record and the router is the index. Every change goes: check the request
(reading the database, no lock), then under the routing lock ask the router, write what it decided
in one transaction and publish the events after commit. If writing fails the router is thrown away
and rebuilt from the database on next use, so the two never disagree for long.

Never call into this module while holding a write transaction of your own (SQLite has one writer:
the lock and the write lock would wait for each other). Commit first, then route.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from helpline.domain import interactions as rules
from helpline.domain.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.routing import estimates, metrics, overflow
from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import (
    AgentSpec,
    AgentState,
    Effect,
    EffectKind,
    Preference,
    Presence,
    QueueSpec,
    Work,
)
from helpline.domain.vocabulary import Channel, Role, Tier, parse_enum
from helpline.services import agents as agent_service
from helpline.services import audit, interactions
from helpline.services.interactions import check_staff, reference
from helpline.services.ports import Deps, UnitOfWork
from helpline.services.queues import check_overflow, overflow_targets, queue_spec

log = logging.getLogger("helpline.routing")

VIP_PRIORITY = 10  # with the default aging of 1 per minute: a VIP is served as if they had waited ten minutes more
MAX_LOG_ENTRIES = 200  # routing decisions kept per interaction (the newest)
MAX_PREFERRED = 3
HANDLE_TIME_TTL = 60.0  # seconds an average handle time is reused before it is read again
STATS_TTL = 10.0  # seconds today's wallboard statistics are reused
MAX_REASON = 40
WITHDRAWN_TIMEOUT = "timeout"


@dataclass(frozen=True)
class RouteStatus:
    """Where an interaction stands, as the customer may be told.

    status: "queued" | "offered" | "active" | "ended" | "closed" | "overflowed" | "new".
    """

    status: str
    position: int | None = None
    estimated_wait_seconds: float | None = None
    leave_message: bool = False


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """What the services need of a queue beyond the router's QueueSpec."""

    spec: QueueSpec
    leave_message_after_seconds: float
    recent_agent_days: int
    disposition_codes: tuple[str, ...]

    @property
    def tenant_id(self) -> int:
        return self.spec.tenant_id


@dataclass(frozen=True, slots=True)
class TenantInfo:
    id: int
    slug: str
    name: str
    timezone: str


def epoch(at: datetime) -> float:
    return at.timestamp()


def from_epoch(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


class Routing:
    """Holds the Router, its lock and what the services need to translate its decisions."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.lock = threading.RLock()
        self.router = Router()
        self.loaded = False
        self.queues: dict[int, QueueInfo] = {}
        self.agents: dict[int, AgentSpec] = {}
        self.tenants: dict[int, TenantInfo] = {}
        self.work_tenant: dict[int, int] = {}  # interaction id -> tenant, for items the router knows
        self._handle_times: dict[int, tuple[float, float]] = {}  # queue id -> (seconds, read at)
        self._stats: dict[int, tuple[float, dict[int, metrics.ServiceLevel]]] = {}  # tenant -> (read at, by queue)

    # --- time ----------------------------------------------------------------------------------
    def now(self) -> float:
        return epoch(self.deps.clock.now())

    # --- (re)building from the database ----------------------------------------------------------
    def ready(self) -> None:
        """Load on first use (and after a failed write threw the router away). Call with the lock held."""
        if not self.loaded:
            self.load()

    def load(self) -> None:
        """Rebuild every tenant's router state from the database: queues, agents and their presence,
        interactions waiting (in queued_at order), offered, active or in wrap-up, then route what can be."""
        with self.lock:
            now_dt = self.deps.clock.now()
            now = epoch(now_dt)
            router = Router()
            queues: dict[int, QueueInfo] = {}
            agents: dict[int, AgentSpec] = {}
            work_tenant: dict[int, int] = {}
            with self.deps.uow() as uow:
                agent_service.ensure_builtin_profiles(uow)
                uow.commit()
                self.tenants = {t.id: _tenant_info(t) for t in uow.center.routing.tenants()}
                for row in uow.center.routing.queues():
                    if row.channel is None:
                        continue  # a queue for any channel is for records only: the router serves one channel per queue
                    info = _queue_info(row)
                    try:
                        router.set_queue(info.spec, now)
                    except DomainError as exc:
                        log.warning("queue %s not routed: %s", row.id, exc)
                        continue
                    queues[row.id] = info
                records = uow.center.agents.configured()
                profiles = agent_service.profiles_by_id(uow)
                presences = []
                for record in records:
                    spec = agent_service.agent_spec(record, profiles)
                    try:
                        router.set_agent(spec, now)
                    except DomainError as exc:
                        log.warning("agent %s not routed: %s", spec.id, exc)
                        continue
                    agents[spec.id] = spec
                    if record.agent is not None and record.agent.presence != Presence.OFFLINE.value:
                        presences.append((spec.id, Presence(record.agent.presence), record.agent.away_reason))
                # Presence before work: nothing waits yet, so setting it offers nothing.
                for agent_id, presence, reason in presences:
                    router.set_presence(agent_id, presence, now, reason)
                rows = uow.center.routing.live_interactions()
                holders = uow.center.routing.holders_of([r.id for r in rows])
                for row in rows:
                    if row.queue_id not in queues:
                        continue
                    held = [h for h in holders.get(row.id, []) if h.user_id in agents]
                    try:
                        _restore(router, row, held)
                    except DomainError as exc:
                        log.warning("interaction %s not restored: %s", row.id, exc)
                        continue
                    work_tenant[row.id] = row.tenant_id
            self.router, self.queues, self.agents, self.work_tenant = router, queues, agents, work_tenant
            self._handle_times.clear()
            self._stats.clear()
            self.loaded = True
            effects = router.route_all(now)
            if effects:
                self.apply(effects)
            log.info("router loaded: %d queues, %d agents, %d live items", len(queues), len(agents), len(work_tenant))

    # --- the clock -------------------------------------------------------------------------------
    def tick(self) -> int:
        """Fire due timers (offer timeouts, windows, relaxation, wrap-ups); returns how many effects."""
        with self.lock:
            self.ready()
            effects = self.router.tick(self.now())
            if effects:
                self.apply(effects, withdraw_reason=WITHDRAWN_TIMEOUT)
            return len(effects)

    # --- questions -----------------------------------------------------------------------------
    def holders(self, interaction_id: int) -> dict[int, str]:
        with self.lock:
            self.ready()
            return dict(self.router.holders(interaction_id))

    def live(self, user_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Presence and state of these agents, for those the router knows."""
        with self.lock:
            self.ready()
            return {u: _agent_state(self, u) for u in user_ids if u in self.agents}

    def tenant_ids(self) -> list[int]:
        with self.lock:
            self.ready()
            return sorted(self.tenants)

    def snapshot(self, tenant_id: int) -> dict[str, Any]:
        """The wallboard of one tenant: queues (waiting, longest wait, service level today, abandoned),
        agents by state, occupancy."""
        with self.lock:
            self.ready()
            now = self.now()
            tenant = self.tenants.get(tenant_id)
            queue_views = []
            mine = sorted((q for q in self.queues.values() if q.tenant_id == tenant_id), key=lambda q: q.spec.name)
            for info in mine:
                snap = self.router.queue_snapshot(info.spec.id, now)
                queue_views.append((info, snap))
            by_state = self.router.agents_by_state(tenant_id)
            agent_rows = []
            for spec in sorted(self.agents.values(), key=lambda a: (a.name, a.id)):
                if tenant_id not in spec.tenants:
                    continue
                view = self.router.agent_view(spec.id)
                agent_rows.append(
                    {
                        "id": spec.id,
                        "name": spec.name,
                        "site": spec.site,
                        "state": view.state.value,
                        "presence": view.presence.value,
                        "reason": view.reason,
                        "holding": len(view.holding),
                        "state_since": _iso(from_epoch(view.idle_since)) if view.idle_since else None,
                    }
                )
        stats = self._today(tenant_id, tenant)
        queues_out: list[dict[str, Any]] = []
        for info, snap in queue_views:
            level = stats.get(info.spec.id) or metrics.ServiceLevel(0, 0, 0, None)
            queues_out.append(
                {
                    "queue_id": info.spec.id,
                    "name": info.spec.name,
                    "channel": info.spec.channel or None,
                    "waiting": snap.waiting,
                    "longest_wait_seconds": round(snap.longest_wait_seconds),
                    "offered": snap.offered,
                    "active": snap.active,
                    "eligible_agents": snap.eligible_agents,
                    "available_agents": snap.available_agents,
                    "answered_today": level.answered,
                    "abandoned_today": level.abandoned,
                    "within_service_level_today": level.within,
                    "service_level_today": level.percent,
                    "service_level_target_percent": info.spec.service_level_percent,
                    "service_level_target_seconds": info.spec.service_level_seconds,
                    "overflow": [asdict(t) for t in info.spec.overflow],
                }
            )
        states = {state.value: by_state.get(state, 0) for state in AgentState}
        answered = sum(q["answered_today"] for q in queues_out)
        abandoned = sum(q["abandoned_today"] for q in queues_out)
        within = sum(q["within_service_level_today"] for q in queues_out)
        return {
            "tenant_id": tenant_id,
            "tenant_slug": tenant.slug if tenant else None,
            "queues": queues_out,
            "agents_by_state": states,
            "agents": agent_rows,
            "occupancy_percent": metrics.occupancy(
                states[AgentState.BUSY.value], states[AgentState.WRAP_UP.value], states[AgentState.AVAILABLE.value]
            ),
            "totals": {
                "waiting": sum(q["waiting"] for q in queues_out),
                "longest_wait_seconds": max((q["longest_wait_seconds"] for q in queues_out), default=0),
                "answered_today": answered,
                "abandoned_today": abandoned,
                "service_level_today": round(100.0 * within / (answered + abandoned), 1)
                if answered + abandoned
                else None,
            },
        }

    def _today(self, tenant_id: int, tenant: TenantInfo | None) -> dict[int, metrics.ServiceLevel]:
        now = self.now()
        cached = self._stats.get(tenant_id)
        if cached is not None and now - cached[0] < STATS_TTL:
            return cached[1]
        start, end = metrics.day_bounds(self.deps.clock.now(), tenant.timezone if tenant else "UTC")
        with self.deps.uow() as uow:
            rows = uow.tenant(tenant_id).routing.day_contacts(start, end)
        waits: dict[int, list[float]] = {}
        abandoned: dict[int, int] = {}
        for queue_id, queued_at, accepted_at, _ended_at, code in rows:
            if accepted_at is not None:
                waits.setdefault(queue_id, []).append(max(0.0, (accepted_at - queued_at).total_seconds()))
            elif not (code or "").startswith("overflow:"):
                abandoned[queue_id] = abandoned.get(queue_id, 0) + 1
        out = {}
        for queue_id in set(waits) | set(abandoned):
            info = self.queues.get(queue_id)
            target = info.spec.service_level_seconds if info else 20.0
            out[queue_id] = metrics.service_level(waits.get(queue_id, []), abandoned.get(queue_id, 0), target)
        self._stats[tenant_id] = (now, out)
        return out

    def status_of(self, tenant_id: int, interaction_id: int) -> RouteStatus | None:
        """Where a routed item stands (lock held); None if the router does not know it."""
        work = self.router.work(interaction_id)
        holders = self.router.holders(interaction_id)
        if work is None or work.tenant_id != tenant_id:
            return None
        if holders:
            phases = set(holders.values())
            if "active" in phases:
                return RouteStatus("active")
            if "offered" in phases:
                return RouteStatus("offered")
            return RouteStatus("ended")
        position = self.router.position(interaction_id)
        if position is None:
            return None
        info = self.queues.get(work.queue_id)
        now = self.now()
        snap = self.router.queue_snapshot(work.queue_id, now)
        handle = self._handle_seconds(tenant_id, work.queue_id, now)
        wait = estimates.estimated_wait_seconds(position, handle, snap.eligible_agents)
        waited = now - work.enqueued_at
        leave = info is not None and waited >= info.leave_message_after_seconds
        return RouteStatus("queued", position, round(wait, 1), leave)

    def _handle_seconds(self, tenant_id: int, queue_id: int, now: float) -> float:
        cached = self._handle_times.get(queue_id)
        if cached is not None and now - cached[1] < HANDLE_TIME_TTL:
            return cached[0]
        with self.deps.uow() as uow:
            samples = uow.tenant(tenant_id).routing.handle_times(queue_id)
        value = estimates.average_handle_seconds(samples)
        self._handle_times[queue_id] = (value, now)
        return value

    # --- configuration pushed by the other services --------------------------------------------
    def queue_changed(self, spec: QueueSpec, row: Any) -> None:
        """A queue was created or changed (already committed)."""
        with self.lock:
            if not self.loaded:
                return  # the lazy load will read it
            self.queues[spec.id] = _queue_info(row)
            if spec.tenant_id not in self.tenants:
                self._refresh_tenants()
            effects = self.router.set_queue(spec, self.now())
            if effects:
                self.apply(effects)

    def queue_in_use(self, queue_id: int) -> bool:
        """Whether items wait in, are offered from or held from this queue."""
        with self.lock:
            self.ready()
            if queue_id not in self.queues:
                return False
            snap = self.router.queue_snapshot(queue_id, self.now())
            return bool(snap.waiting or snap.offered or snap.active)

    def agent_changed(self, spec: AgentSpec) -> None:
        """An agent's skills, languages, site, profile or tenants changed (already committed)."""
        with self.lock:
            if not self.loaded:
                return
            self.agents[spec.id] = spec
            effects = self.router.set_agent(spec, self.now())
            if effects:
                self.apply(effects)

    def user_changed(self, user_id: int) -> None:
        """A user's tenants, role or active flag changed (committed). The router follows at once:
        an agent taken off a tenant is offered none of its work from now on, a deactivated one none."""
        with self.lock:
            if not self.loaded:
                return
        spec = agent_service.sync_agent(self.deps, user_id)
        if spec is not None:
            self.agent_changed(spec)
            return
        with self.lock:
            if user_id in self.agents:
                effects = self.router.set_presence(user_id, Presence.OFFLINE, self.now())
                if effects:
                    self.apply(effects)

    def _refresh_tenants(self) -> None:
        with self.deps.uow() as uow:
            self.tenants = {t.id: _tenant_info(t) for t in uow.center.routing.tenants()}

    def tenant(self, tenant_id: int) -> TenantInfo | None:
        if tenant_id not in self.tenants:
            self._refresh_tenants()
        return self.tenants.get(tenant_id)

    # --- persisting what the router decided ---------------------------------------------------
    def apply(
        self,
        effects: Iterable[Effect],
        *,
        before: Callable[[Batch], None] | None = None,
        after: Callable[[Batch], None] | None = None,
        touched: Iterable[int] = (),
        agents: Iterable[int] = (),
        withdraw_reason: str = "presence",
    ) -> Batch:
        """Write the router's effects (and the caller's own changes, `before` and `after` them) in one
        transaction, then publish the events. Call with the lock held, after the router call."""
        effects = list(effects)
        try:
            with self.deps.uow() as uow:
                batch = Batch(self, uow)
                batch.works.update(touched)
                batch.agents.update(agents)
                if before is not None:
                    before(batch)
                for effect in effects:
                    batch.effect(effect, withdraw_reason)
                if after is not None:
                    after(batch)
                batch.finish()
                events = batch.events
                uow.after_commit(lambda: _publish(self.deps, events))
                uow.commit()
        except Exception:
            # The router moved on but the record did not: rebuild from the record on next use.
            self.loaded = False
            log.exception("routing effects could not be stored; the router will be rebuilt")
            raise
        for work_id in batch.works:
            if self.router.work(work_id) is None and not self.router.holders(work_id):
                self.work_tenant.pop(work_id, None)
        return batch


class Batch:
    """One transaction's worth of routing changes and the events to announce after it commits."""

    def __init__(self, routing: Routing, uow: UnitOfWork) -> None:
        self.routing = routing
        self.uow = uow
        self.now = routing.deps.clock.now()
        self.rows: dict[int, Any] = {}
        self.events: list[dict[str, Any]] = []
        self.works: set[int] = set()  # items whose holders and status are synced at the end
        self.agents: set[int] = set()  # agents whose state is announced at the end
        self.updated: dict[int, str] = {}  # interaction id -> last step, announced once at the end
        self.previous_holders: dict[int, dict[int, str]] = {}

    def row(self, interaction_id: int) -> Any:
        if interaction_id not in self.rows:
            tenant_id = self.routing.work_tenant.get(interaction_id)
            if tenant_id is None:
                raise NotFound(f"interaction {interaction_id} not found", field="interaction_id")
            self.rows[interaction_id] = self.uow.tenant(tenant_id).interactions.get(interaction_id)
            self.previous_holders[interaction_id] = {
                h.user_id: h.phase
                for h in self.uow.tenant(tenant_id).routing.holder_rows(interaction_id)
                if h.phase != "left"
            }
        return self.rows[interaction_id]

    def scope(self, interaction_id: int) -> Any:
        return self.uow.tenant(self.row(interaction_id).tenant_id)

    def log(self, interaction_id: int, kind: str, at: datetime | None = None, **details: Any) -> None:
        row = self.row(interaction_id)
        entry = {"at": _iso(at or self.now), "kind": kind, **{k: v for k, v in details.items() if v is not None}}
        row.routing = [*(row.routing or []), entry][-MAX_LOG_ENTRIES:]

    def step(self, interaction_id: int, step: str) -> None:
        self.works.add(interaction_id)
        self.updated[interaction_id] = step

    def requeue(self, row: Any) -> None:
        row.status, row.agent_id, row.offered_at = "queued", None, None

    def effect(self, effect: Effect, withdraw_reason: str) -> None:
        at = from_epoch(effect.at) if effect.at else self.now
        work_id = effect.work_id
        row = self.row(work_id)
        explanation = _explanation(effect)
        self.log(
            work_id,
            effect.kind.value,
            at,
            agent_id=effect.agent_id,
            to_queue_id=effect.to_queue_id,
            target=effect.target,
            detail=effect.detail or None,
            **explanation,
        )
        kind = effect.kind
        if effect.agent_id is not None:
            self.agents.add(effect.agent_id)
        if kind is EffectKind.OFFERED:
            assert effect.agent_id is not None
            row.status, row.agent_id, row.offered_at = "offered", effect.agent_id, at
            self._offer_event(row, effect.agent_id, at, explanation)
            self.step(work_id, "offer")
        elif kind in (EffectKind.OFFER_TIMED_OUT, EffectKind.OFFER_WITHDRAWN):
            assert effect.agent_id is not None
            if row.status == "offered" and row.agent_id == effect.agent_id:
                self.requeue(row)
            timed_out = kind is EffectKind.OFFER_TIMED_OUT
            reason = WITHDRAWN_TIMEOUT if timed_out else withdraw_reason
            self.events.append(
                {
                    "type": "offer.withdrawn",
                    "topics": [f"agent:{effect.agent_id}"],
                    "tenant_id": row.tenant_id,
                    "interaction_id": work_id,
                    "reason": reason,
                }
            )
            if timed_out:
                self.missed(effect.agent_id, at)
            self.step(work_id, "requeue")
        elif kind is EffectKind.OVERFLOWED:
            if effect.to_queue_id is not None:
                row.queue_id = effect.to_queue_id
            else:
                row.status, row.ended_at = "ended", at
                row.agent_id = None
                row.disposition_code = f"overflow:{effect.target}"[: rules.MAX_DISPOSITION]
            self.step(work_id, "overflow")
        elif kind is EffectKind.WRAP_UP_ENDED:
            self.step(work_id, "wrap_up")
        elif kind is EffectKind.CLOSED:
            self.step(work_id, "closed")
        # RELAXED: the log entry says it all.

    def missed(self, agent_id: int, at: datetime) -> None:
        """The router made the agent away "missed" (an offer timed out): record it like any presence change."""
        agent = self.uow.center.agents.get(agent_id)
        if agent is not None:
            agent.presence, agent.away_reason, agent.presence_at = Presence.AWAY.value, "missed", at
        self.uow.center.agents.log_presence(agent_id, Presence.AWAY.value, "missed", None, at)
        self.agents.add(agent_id)

    def _offer_event(self, row: Any, agent_id: int, at: datetime, explanation: dict[str, Any]) -> None:
        info = self.routing.queues.get(row.queue_id)
        tenant = self.routing.tenant(row.tenant_id)
        customer = self.uow.tenant(row.tenant_id).customers.find(row.customer_id)
        timeout = info.spec.offer_timeout_seconds if info else 20.0
        self.events.append(
            {
                "type": "offer",
                "topics": [f"agent:{agent_id}"],
                "tenant_id": row.tenant_id,
                "tenant_slug": tenant.slug if tenant else None,
                "interaction_id": row.id,
                "channel": row.channel,
                "queue_id": row.queue_id,
                "queue_name": info.spec.name if info else None,
                "customer_id": row.customer_id,
                "customer_name": customer.display_name if customer is not None else None,
                "subject": row.subject,
                "expires_at": _iso(at + timedelta(seconds=timeout)),
                "explanation": explanation,
            }
        )

    def finish(self) -> None:
        """Sync holder rows with the router, close finished items, then queue the announcements."""
        router = self.routing.router
        for work_id in sorted(self.works):
            row = self.row(work_id)
            scope = self.scope(work_id)
            now_holders = router.holders(work_id)
            before = self.previous_holders.get(work_id, {})
            for agent_id, phase in now_holders.items():
                if before.get(agent_id) != phase:
                    scope.routing.set_holder(work_id, agent_id, phase, self.now)
                    self.agents.add(agent_id)
            for agent_id, phase in before.items():
                if agent_id not in now_holders:
                    if phase == "offered":
                        scope.routing.remove_holder(work_id, agent_id)  # never held: no trace needed
                    else:
                        scope.routing.set_holder(work_id, agent_id, "left", self.now)
                    self.agents.add(agent_id)
            finished = not now_holders and row.status == "ended" and row.wrapped_up_at is None
            if finished and any(p == "wrap_up" for p in before.values()):
                row.status, row.wrapped_up_at = "wrapped_up", self.now
            if work_id in self.updated:
                holders = set(now_holders) | set(before)
                self.events.append(
                    {
                        "type": "interaction.updated",
                        "topics": [f"interaction:{work_id}", f"tenant:{row.tenant_id}", *_agent_topics(holders)],
                        "tenant_id": row.tenant_id,
                        "interaction_id": work_id,
                        "status": row.status,
                        "queue_id": row.queue_id,
                        "agent_id": row.agent_id,
                        "step": self.updated[work_id],
                    }
                )
        for agent_id in sorted(self.agents):
            event = self.routing_agent_state(agent_id)
            if event is not None:
                self.events.append(event)

    def routing_agent_state(self, agent_id: int) -> dict[str, Any] | None:
        spec = self.routing.agents.get(agent_id)
        if spec is None:
            return None
        view = self.routing.router.agent_view(agent_id)
        return {
            "type": "agent.state",
            "topics": [f"agent:{agent_id}", *(f"tenant:{t}" for t in sorted(spec.tenants))],
            "tenant_id": None,
            "agent_id": agent_id,
            "name": spec.name,
            "presence": view.presence.value,
            "state": view.state.value,
            "reason": view.reason,
        }

    def chat_event(self, kind: str, row: Any, holders: Iterable[int], **data: Any) -> None:
        """chat.joined / chat.left / chat.ended of a chat interaction (nothing for other channels)."""
        if row.channel != Channel.CHAT.value:
            return
        self.events.append(
            {
                "type": kind,
                "topics": [f"chat:{row.id}", f"interaction:{row.id}", *_agent_topics(holders)],
                "tenant_id": row.tenant_id,
                "interaction_id": row.id,
                **data,
            }
        )


# --- use cases ---------------------------------------------------------------------------------


def route(
    deps: Deps, principal: Principal, tenant_id: int, interaction_id: int, queue_id: int | None = None
) -> RouteStatus:
    """Put an interaction in a queue (its own, or `queue_id`) and let the router offer it.

    The customer's dedicated agent, then agents who answered them within the queue's
    recent_agent_days (newest first), are preferred; a VIP gets VIP_PRIORITY. Routing an item the
    router already holds returns where it stands (so a retried request does no harm).
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    routing = _routing(deps)
    now_dt = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        row = scope.interactions.get(interaction_id)
        if queue_id is not None:
            queue = reference(scope.queues, queue_id, "queue_id")
        elif row.queue_id is not None:
            queue = scope.queues.get(row.queue_id)
        else:
            raise ValidationFailed("this interaction has no queue: give queue_id", field="queue_id")
        customer = scope.routing.customer_routing(row.customer_id)
        days = queue.recent_agent_days
        recent = scope.routing.recent_agents(row.customer_id, now_dt - timedelta(days=days)) if days else []
    tier, dedicated = customer if customer is not None else (Tier.STANDARD.value, None)
    with routing.lock:
        routing.ready()
        known = routing.status_of(tenant_id, interaction_id)
        if known is not None or routing.router.holders(interaction_id):
            current = routing.router.work(interaction_id)
            if current is not None and current.queue_id != queue.id:
                raise Conflict("this interaction is already routed; transfer it to change its queue", field="queue_id")
            return known or RouteStatus("active")
        if row.status not in ("new", "queued"):
            raise Conflict(f"an interaction that is {row.status} cannot be routed", field="interaction_id")
        if queue.channel is None:
            raise Conflict("this queue serves no channel yet: set its channel to route to it", field="queue_id")
        if queue.channel != row.channel:
            raise ValidationFailed(f"a {row.channel} interaction cannot wait in a {queue.channel} queue", "queue_id")
        if queue.id not in routing.queues:
            routing.queues[queue.id] = _queue_info(queue)
            routing.router.set_queue(routing.queues[queue.id].spec, routing.now())
        preferred = _preferences(routing, tenant_id, dedicated, recent)
        priority = row.priority + (VIP_PRIORITY if tier == Tier.VIP.value else 0)
        now = epoch(now_dt)
        enqueued_at = epoch(row.queued_at) if row.queued_at is not None else now
        work = Work(
            id=row.id,
            tenant_id=tenant_id,
            queue_id=queue.id,
            channel=row.channel,
            enqueued_at=enqueued_at,
            priority=priority,
            language=row.language,
            preferred=preferred,
        )
        routing.work_tenant[row.id] = tenant_id
        effects = routing.router.enqueue(work, now)
        closed = any(e.kind is EffectKind.CLOSED for e in effects)
        partner = any(e.kind is EffectKind.OVERFLOWED and e.to_queue_id is None for e in effects)
        placed = routing.router.work(row.id)
        site = placed.site if placed is not None else None

        def queued(batch: Batch) -> None:
            stored = batch.row(row.id)
            stored.queue_id = queue.id
            if not closed:
                stored.status = "queued"
                stored.queued_at = stored.queued_at or now_dt
            batch.log(
                row.id,
                "queued",
                now_dt,
                queue_id=queue.id,
                priority=priority,
                vip=tier == Tier.VIP.value or None,
                preferred=[[p.agent_id, p.reason] for p in preferred] or None,
                site=site,
            )
            batch.step(row.id, "queue")

        routing.apply(effects, before=queued)
        if closed:
            return RouteStatus("closed", leave_message=True)
        if partner:
            return RouteStatus("overflowed")
        return routing.status_of(tenant_id, row.id) or RouteStatus("queued")


def wait_status(deps: Deps, tenant_id: int, interaction_id: int) -> RouteStatus:
    """Where the customer stands (position, estimated wait, whether to offer leaving a message).

    No principal: the chat service calls it on the customer's behalf after checking their token.
    """
    routing = _routing(deps)
    with routing.lock:
        routing.ready()
        known = routing.status_of(tenant_id, interaction_id)
    if known is not None:
        return known
    with deps.uow() as uow:
        row = uow.tenant(tenant_id).interactions.get(interaction_id)
        status, code, entries = row.status, row.disposition_code or "", list(row.routing or [])
    if (code).startswith("overflow:"):
        return RouteStatus("overflowed")
    if status in ("ended", "wrapped_up"):
        return RouteStatus("ended")
    if status == "active":
        return RouteStatus("active")
    if entries and entries[-1].get("kind") == EffectKind.CLOSED.value:
        return RouteStatus("closed", leave_message=True)
    return RouteStatus("new")


def accept(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int) -> RouteStatus:
    """The agent the interaction is offered to takes it (a supervisor may accept on their behalf).

    An interaction the router does not hold (its steps recorded by an integration, see
    interactions.lifecycle_step) follows the plain lifecycle.
    """
    routing, row = _begin(deps, principal, tenant_id, interaction_id)
    with routing.lock:
        routing.ready()
        unrouted = routing.router.work(interaction_id) is None
    if unrouted:
        if row.status != "offered":
            raise Conflict("this interaction is not offered to anyone", field="interaction_id")
        _may_act(principal, row.agent_id)
        interactions.lifecycle_step(deps, principal, tenant_id, interaction_id, "accept")
        return RouteStatus("active")
    with routing.lock:
        routing.ready()
        agent_id = _offered_to(routing, tenant_id, interaction_id)
        _may_act(principal, agent_id)
        now = routing.now()
        routing.router.accept(interaction_id, agent_id, now)

        def accepted(batch: Batch) -> None:
            row = batch.row(interaction_id)
            row.status, row.agent_id, row.accepted_at = "active", agent_id, from_epoch(now)
            batch.log(interaction_id, "accepted", agent_id=agent_id, by=principal.user_id)
            batch.step(interaction_id, "accept")
            batch.chat_event("chat.joined", row, [agent_id], name=_agent_name(routing, agent_id), role="agent")

        routing.apply([], after=accepted, agents=[agent_id])
    return RouteStatus("active")


def reject(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int) -> RouteStatus:
    """The agent declines an offer: they stay available, the item goes back to its place."""
    routing, _row = _begin(deps, principal, tenant_id, interaction_id)
    with routing.lock:
        routing.ready()
        agent_id = _offered_to(routing, tenant_id, interaction_id)
        _may_act(principal, agent_id)
        effects = routing.router.reject(interaction_id, agent_id, routing.now())

        def rejected(batch: Batch) -> None:
            row = batch.row(interaction_id)
            if row.status == "offered" and row.agent_id == agent_id:
                batch.requeue(row)
            batch.log(interaction_id, "rejected", agent_id=agent_id, by=principal.user_id)
            batch.step(interaction_id, "reject")

        routing.apply(effects, before=rejected, agents=[agent_id])
        return routing.status_of(tenant_id, interaction_id) or RouteStatus("queued")


def end(
    deps: Deps, principal: Principal | None, tenant_id: int, interaction_id: int, reason: str = "agent_ended"
) -> RouteStatus:
    """The conversation is over. Its agents go into wrap-up; a waiting or offered item is abandoned.

    `principal` None is the system (the customer closed the chat): then ending twice is harmless.
    """
    reason = _reason(reason)
    if principal is not None:
        require_tenant(principal, tenant_id)
        require(principal, Action.WRITE)
    routing = _routing(deps)
    row = _existing(deps, tenant_id, interaction_id)
    with routing.lock:
        routing.ready()
        work = routing.router.work(interaction_id)
        holders = _holders(routing, tenant_id, interaction_id) if work is not None else {}
        active = [a for a, phase in holders.items() if phase == "active"]
        now = routing.now()
        # Routed: the agents holding it; not routed: the agent its recorded steps name.
        owners = active if work is not None else [row.agent_id]
        if principal is not None and principal.user_id not in owners:
            _may_act(principal, None)
        if work is None or (holders and not active and "offered" not in holders.values()):
            return _end_unrouted(routing, principal, tenant_id, interaction_id, reason)
        effects = routing.router.end(interaction_id, now) if active else routing.router.abandon(interaction_id, now)
        withdraw = "customer_left" if principal is None else "presence"

        def ended(batch: Batch) -> None:
            row = batch.row(interaction_id)
            if not active:
                row.agent_id, row.offered_at = None, None
            row.status, row.ended_at = "ended", from_epoch(now)
            batch.log(interaction_id, "ended" if active else "abandoned", reason=reason, by=_who(principal))
            batch.step(interaction_id, "end")
            batch.chat_event("chat.ended", row, holders, reason=reason)

        routing.apply(effects, after=ended, agents=holders, withdraw_reason=withdraw)
    return RouteStatus("ended")


def _end_unrouted(
    routing: Routing, principal: Principal | None, tenant_id: int, interaction_id: int, reason: str
) -> RouteStatus:
    """End an interaction the router does not hold (never routed, or already ended)."""
    with routing.deps.uow() as uow:
        row = uow.tenant(tenant_id).interactions.get(interaction_id, for_update=True)
        if row.status in ("ended", "wrapped_up"):
            if principal is None:
                return RouteStatus("ended")
            raise Conflict("this interaction has already ended", field="interaction_id")
        now = routing.deps.clock.now()
        row.status, row.ended_at = "ended", now
        entry = {"at": _iso(now), "kind": "ended", "reason": reason, "by": _who(principal)}
        row.routing = [*(row.routing or []), {k: v for k, v in entry.items() if v is not None}][-MAX_LOG_ENTRIES:]
        events = [
            {
                "type": "interaction.updated",
                "topics": [f"interaction:{row.id}", f"tenant:{tenant_id}"],
                "tenant_id": tenant_id,
                "interaction_id": row.id,
                "status": row.status,
                "queue_id": row.queue_id,
                "agent_id": row.agent_id,
                "step": "end",
            }
        ]
        if row.channel == Channel.CHAT.value:
            events.append(
                {
                    "type": "chat.ended",
                    "topics": [f"chat:{row.id}", f"interaction:{row.id}"],
                    "tenant_id": tenant_id,
                    "interaction_id": row.id,
                    "reason": reason,
                }
            )
        uow.after_commit(lambda: _publish(routing.deps, events))
        uow.commit()
    return RouteStatus("ended")


def wrap_up(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    interaction_id: int,
    disposition_code: str | None,
    note: str | None = None,
) -> RouteStatus:
    """The agent finished after-contact work: disposition code (required when the queue lists
    codes, and one of them), an optional note; their slot is free again."""
    routing, row = _begin(deps, principal, tenant_id, interaction_id)
    text = rules.optional_text(note, "note", 10_000) if note is not None else None
    if text is not None:
        text = rules.check_text(note, "note", 10_000, multiline=True)
    with routing.lock:
        routing.ready()
        unrouted = routing.router.work(interaction_id) is None
    if unrouted:
        return _wrap_up_unrouted(routing, principal, tenant_id, row, disposition_code, text)
    with routing.lock:
        routing.ready()
        holders = _holders(routing, tenant_id, interaction_id)
        wrapping = [a for a, phase in holders.items() if phase == "wrap_up"]
        if not wrapping:
            raise Conflict("this interaction is not in wrap-up", field="interaction_id")
        if principal.user_id in wrapping:
            agents = [principal.user_id]
        else:
            _may_act(principal, None)
            agents = wrapping
        info = routing.queues.get(row.queue_id)
        code = _disposition(disposition_code, info.disposition_codes if info else ())
        now = routing.now()
        effects: list[Effect] = []
        for agent_id in agents:
            effects += routing.router.wrap_up(interaction_id, agent_id, now)

        def wrapped(batch: Batch) -> None:
            stored = batch.row(interaction_id)
            if code is not None:
                stored.disposition_code = code
            if text is not None:
                batch.scope(interaction_id).notes.create(
                    interaction_id=interaction_id,
                    author_user_id=principal.user_id,
                    author_name=principal.name or "agent",
                    body=text,
                    created_at=from_epoch(now),
                )
            batch.log(interaction_id, "wrapped_up", agent_id=agents[0] if len(agents) == 1 else None, code=code)
            batch.step(interaction_id, "wrap_up")

        routing.apply(effects, before=wrapped, agents=agents)
    return RouteStatus("ended")


def _wrap_up_unrouted(
    routing: Routing, principal: Principal, tenant_id: int, row: Any, code: str | None, text: str | None
) -> RouteStatus:
    """Wrap up an interaction the router does not hold (ended, its steps recorded by an integration)."""
    if row.status != "ended":
        raise Conflict("this interaction is not in wrap-up", field="interaction_id")
    _may_act(principal, row.agent_id)
    deps = routing.deps
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        stored = scope.interactions.get(row.id, for_update=True)
        if stored.status != "ended":
            raise Conflict("this interaction is not in wrap-up", field="interaction_id")
        queue = scope.queues.find(stored.queue_id) if stored.queue_id is not None else None
        checked = _disposition(code, tuple(queue.disposition_codes or ()) if queue is not None else ())
        now = deps.clock.now()
        stored.status, stored.wrapped_up_at = "wrapped_up", now
        if checked is not None:
            stored.disposition_code = checked
        if text is not None:
            scope.notes.create(
                interaction_id=row.id,
                author_user_id=principal.user_id,
                author_name=principal.name or "agent",
                body=text,
                created_at=now,
            )
        event = {
            "type": "interaction.updated",
            "topics": [f"interaction:{row.id}", f"tenant:{tenant_id}"],
            "tenant_id": tenant_id,
            "interaction_id": row.id,
            "status": stored.status,
            "queue_id": stored.queue_id,
            "agent_id": stored.agent_id,
            "step": "wrap_up",
        }
        uow.after_commit(lambda: deps.events.publish(event))
        uow.commit()
    return RouteStatus("ended")


def transfer(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    interaction_id: int,
    *,
    queue_id: int | None = None,
    agent_id: int | None = None,
) -> RouteStatus:
    """Send the interaction to another queue (it keeps its waiting time) or offer it to one agent."""
    if (queue_id is None) == (agent_id is None):
        raise ValidationFailed("give either queue_id or agent_id", field="queue_id")
    routing, _row = _begin(deps, principal, tenant_id, interaction_id)
    with deps.uow() as uow:
        if queue_id is not None:
            reference(uow.tenant(tenant_id).queues, queue_id, "queue_id")
        else:
            check_staff(uow, tenant_id, agent_id, "agent_id")
    with routing.lock:
        routing.ready()
        holders = _holders(routing, tenant_id, interaction_id)
        active = [a for a, phase in holders.items() if phase == "active"]
        if principal.user_id not in active:
            _may_act(principal, None)
        if any(phase in ("offered", "wrap_up") for phase in holders.values()):
            raise Conflict("only a waiting or active interaction can be transferred", field="interaction_id")
        now = routing.now()
        if queue_id is not None:
            if queue_id not in routing.queues:
                raise Conflict("that queue is not ready for routing yet; try again", field="queue_id")
            effects = routing.router.transfer_to_queue(interaction_id, queue_id, now)
        else:
            assert agent_id is not None
            if agent_id not in routing.agents:
                raise Conflict("that agent has never signed in for routing", field="agent_id")
            effects = routing.router.transfer_to_agent(interaction_id, agent_id, now)

        def moved(batch: Batch) -> None:
            row = batch.row(interaction_id)
            if queue_id is not None:
                row.queue_id = queue_id
            batch.requeue(row)
            batch.log(interaction_id, "transferred", to_queue_id=queue_id, to_agent_id=agent_id, by=principal.user_id)
            batch.step(interaction_id, "transfer")
            for left in active:
                batch.chat_event("chat.left", row, holders, name=_agent_name(routing, left), role="agent")

        routing.apply(effects, before=moved, agents=holders, withdraw_reason="transfer")
        return routing.status_of(tenant_id, interaction_id) or RouteStatus("queued")


def add_agent(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int, agent_id: int) -> RouteStatus:
    """A second agent joins an active interaction (a consult in a chat); it counts against their capacity."""
    routing, _row = _begin(deps, principal, tenant_id, interaction_id)
    with deps.uow() as uow:
        check_staff(uow, tenant_id, agent_id, "agent_id")
    with routing.lock:
        routing.ready()
        holders = _holders(routing, tenant_id, interaction_id)
        active = [a for a, phase in holders.items() if phase == "active"]
        if not active:
            raise Conflict("only an active interaction takes another agent", field="interaction_id")
        if principal.user_id not in active:
            _may_act(principal, None)
        if agent_id in holders:
            raise Conflict("that agent is already on this interaction", field="agent_id")
        if agent_id not in routing.agents:
            raise Conflict("that agent has never signed in for routing", field="agent_id")
        routing.router.add_agent(interaction_id, agent_id, routing.now())

        def joined(batch: Batch) -> None:
            row = batch.row(interaction_id)
            batch.log(interaction_id, "agent_added", agent_id=agent_id, by=principal.user_id)
            batch.step(interaction_id, "add_agent")
            batch.chat_event(
                "chat.joined", row, [*holders, agent_id], name=_agent_name(routing, agent_id), role="agent"
            )

        routing.apply([], after=joined, agents=[agent_id])
    return RouteStatus("active")


def set_presence(
    deps: Deps,
    principal: Principal,
    user_id: int,
    presence: str,
    reason: str | None = None,
    *,
    tenant_id: int | None = None,
) -> dict[str, Any]:
    """An agent changes their presence, or a supervisor changes it for them (`tenant_id`: a tenant
    the supervisor manages and the agent serves). AWAY takes a reason (break, lunch, training...)."""
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 < user_id < 2**63:
        raise NotFound("agent not found", field="user_id")
    chosen = parse_enum(Presence, presence, "presence")
    why = rules.optional_text(reason, "reason", MAX_REASON) if chosen is Presence.AWAY else None
    _may_change_presence(deps, principal, user_id, tenant_id)
    routing = _routing(deps)
    with routing.lock:
        routing.ready()
        spec = agent_service.sync_agent(deps, user_id)
        if spec is None:
            raise NotFound("agent not found", field="user_id")
        if routing.agents.get(user_id) != spec:
            routing.agents[user_id] = spec
            routing.router.set_agent(spec, routing.now())
        now = routing.now()
        effects = routing.router.set_presence(user_id, chosen, now, why)

        def changed(batch: Batch) -> None:
            row = batch.uow.center.agents.get(user_id)
            if row is not None:
                row.presence, row.away_reason, row.presence_at = chosen.value, why, from_epoch(now)
            batch.uow.center.agents.log_presence(user_id, chosen.value, why, principal.user_id, from_epoch(now))

        routing.apply(effects, before=changed, agents=[user_id])
        return _agent_state(routing, user_id)


def desktop(deps: Deps, principal: Principal) -> dict[str, Any]:
    """What the signed-in agent's desktop shows: presence and state, offers (with expiry), and the
    interactions they hold across every tenant they serve."""
    if principal.user_id is None or principal.role is Role.CLIENT_MANAGER:
        raise PermissionDenied("the desktop is for signed-in agents and supervisors")
    user_id = principal.user_id
    routing = _routing(deps)
    with routing.lock:
        routing.ready()
        spec = routing.agents.get(user_id)
        view = routing.router.agent_view(user_id) if spec is not None else None
        holding = dict(view.holding) if view is not None else {}
        owners = {w: routing.work_tenant.get(w) for w in holding}
        state = _agent_state(routing, user_id) if spec is not None else None
        queues = dict(routing.queues)
    offers, held = [], []
    with deps.uow() as uow:
        agent = agent_service.agent_view(uow, user_id)
        served = uow.center.agents.tenants_of([user_id]).get(user_id, frozenset())
        tenants = {t.id: t for t in uow.center.tenants(served)}
        for work_id, phase in sorted(holding.items()):
            tenant_id = owners.get(work_id)
            if tenant_id is None:
                continue
            row = uow.tenant(tenant_id).interactions.find(work_id)
            if row is None:
                continue
            customer = uow.tenant(tenant_id).customers.find(row.customer_id)
            info = queues.get(row.queue_id)
            item = {
                "interaction_id": row.id,
                "tenant_id": row.tenant_id,
                "tenant_slug": tenants[row.tenant_id].slug if row.tenant_id in tenants else None,
                "channel": row.channel,
                "queue_id": row.queue_id,
                "queue_name": info.spec.name if info else None,
                "customer_id": row.customer_id,
                "customer_name": customer.display_name if customer is not None else None,
                "subject": row.subject,
                "status": row.status,
                "phase": phase,
            }
            if phase == "offered":
                offered_at = row.offered_at or deps.clock.now()
                timeout = info.spec.offer_timeout_seconds if info else 20.0
                last: dict[str, Any] = next((e for e in reversed(row.routing or []) if e.get("kind") == "offered"), {})
                offers.append(
                    {
                        **item,
                        "offered_at": _iso(offered_at),
                        "expires_at": _iso(offered_at + timedelta(seconds=timeout)),
                        "explanation": {k: v for k, v in last.items() if k not in ("at", "kind")},
                    }
                )
            else:
                # Times let a reloaded desktop show the wrap-up countdown from the real end.
                wrap_up = info.spec.wrap_up_seconds if info else 60.0
                held.append(
                    {
                        **item,
                        "accepted_at": _iso(row.accepted_at) if row.accepted_at else None,
                        "ended_at": _iso(row.ended_at) if row.ended_at else None,
                        "wrap_up_ends_at": _iso(row.ended_at + timedelta(seconds=wrap_up)) if row.ended_at else None,
                    }
                )
    return {
        "user_id": user_id,
        "name": principal.name,
        "presence": state["presence"] if state else Presence.OFFLINE.value,
        "state": state["state"] if state else AgentState.OFFLINE.value,
        "reason": state["reason"] if state else None,
        "agent": agent,
        "tenants": [{"id": t.id, "slug": t.slug, "name": t.name} for t in sorted(tenants.values(), key=_by_name)],
        "offers": offers,
        "interactions": held,
    }


def wallboard(deps: Deps, principal: Principal, tenant_id: int) -> dict[str, Any]:
    """The tenant's live wallboard (read-only for everyone who reaches the tenant)."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    return _routing(deps).snapshot(tenant_id)


def set_overflow(deps: Deps, principal: Principal, tenant_id: int, queue_id: int, targets: list[dict[str, Any]]) -> Any:
    """Replace a queue's overflow percentages at runtime (stored, audited, and live at once)."""
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    checked = check_overflow(targets, "targets")
    with deps.uow() as uow:
        queue = uow.tenant(tenant_id).queues.get(queue_id, for_update=True)
        queue.overflow = checked
        audit.record(uow, deps, principal, "queue.overflow", "queue", queue.id, tenant_id=tenant_id, targets=checked)
        uow.commit()
    routing = _routing(deps)
    with routing.lock:
        if routing.loaded and queue.id in routing.queues:  # queues without a channel are not routed
            routing.queues[queue.id] = _queue_info(queue)
            routing.router.set_overflow(queue.id, overflow_targets(checked))
    return queue


def replan_overflow(deps: Deps) -> int:
    """The 15-minute re-plan: site weights follow where agents are available (domain.routing.overflow.replan);
    partner weights stay. Stored and audited like a supervisor's change; returns how many queues changed."""
    routing = _routing(deps)
    changed = 0
    with routing.lock:
        routing.ready()
        plans = {}
        for queue_id, info in routing.queues.items():
            targets = info.spec.overflow
            if not any(t.kind == "site" for t in targets):
                continue
            planned = overflow.replan(targets, routing.router.sites_available(queue_id))
            if planned != targets:
                plans[queue_id] = (info.tenant_id, planned)
        if not plans:
            return 0
        with deps.uow() as uow:
            rows = []
            for queue_id, (tenant_id, planned) in plans.items():
                queue = uow.tenant(tenant_id).queues.get(queue_id, for_update=True)
                queue.overflow = [asdict(t) for t in planned]
                audit.record(uow, deps, None, "queue.overflow.replan", "queue", queue_id, tenant_id=tenant_id)
                rows.append(queue)
            uow.commit()
        for queue in rows:
            routing.queues[queue.id] = _queue_info(queue)
            routing.router.set_overflow(queue.id, plans[queue.id][1])
            changed += 1
    return changed


def routing_log(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int) -> list[dict[str, Any]]:
    """Every routing decision about the interaction, oldest first (who got it, who was passed over, why)."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        row = uow.tenant(tenant_id).interactions.get(interaction_id)
        return list(row.routing or [])


# --- helpers -------------------------------------------------------------------------------------


def _routing(deps: Deps) -> Routing:
    routing = deps.routing
    if not isinstance(routing, Routing):
        raise RuntimeError("routing is not set up (bootstrap builds it)")
    return routing


def _existing(deps: Deps, tenant_id: int, interaction_id: int) -> Any:
    with deps.uow() as uow:
        return uow.tenant(tenant_id).interactions.get(interaction_id)


def _begin(deps: Deps, principal: Principal, tenant_id: int, interaction_id: int) -> tuple[Routing, Any]:
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    return _routing(deps), _existing(deps, tenant_id, interaction_id)


def _holders(routing: Routing, tenant_id: int, interaction_id: int) -> dict[int, str]:
    work = routing.router.work(interaction_id)
    if work is None or work.tenant_id != tenant_id:
        raise Conflict("this interaction is not being routed", field="interaction_id")
    return dict(routing.router.holders(interaction_id))


def _offered_to(routing: Routing, tenant_id: int, interaction_id: int) -> int:
    """The agent the interaction is offered to now (Conflict when it is not offered)."""
    for agent_id, phase in _holders(routing, tenant_id, interaction_id).items():
        if phase == "offered":
            return agent_id
    raise Conflict("this interaction is not offered to anyone", field="interaction_id")


def _may_act(principal: Principal, agent_id: int | None) -> None:
    """The agent concerned, or a supervisor or admin of the tenant (already checked to be reached)."""
    if agent_id is not None and principal.user_id == agent_id:
        return
    if principal.may(Action.MANAGE_TENANT):
        return
    raise PermissionDenied("only the agent handling this interaction or a supervisor may do this")


def _may_change_presence(deps: Deps, principal: Principal, user_id: int, tenant_id: int | None) -> None:
    if tenant_id is not None:
        require_tenant(principal, tenant_id)
        require(principal, Action.MANAGE_TENANT)
        with deps.uow() as uow:
            served = uow.center.agents.tenants_of([user_id]).get(user_id, frozenset())
        if tenant_id not in served:
            raise NotFound("agent not found", field="user_id")
        return
    if principal.user_id == user_id:
        if principal.role is Role.CLIENT_MANAGER:
            raise PermissionDenied("client managers do not take work")
        return
    if principal.may(Action.MANAGE_CENTER):
        return
    raise PermissionDenied("only the agent, a supervisor of their tenant or an admin may change their presence")


def _preferences(routing: Routing, tenant_id: int, dedicated: int | None, recent: list[int]) -> tuple[Preference, ...]:
    preferred: list[Preference] = []
    for agent_id, why in [(dedicated, "dedicated"), *((a, "recent") for a in recent)]:
        spec = routing.agents.get(agent_id) if agent_id is not None else None
        if spec is None or tenant_id not in spec.tenants or any(p.agent_id == agent_id for p in preferred):
            continue
        preferred.append(Preference(spec.id, why))
    return tuple(preferred[:MAX_PREFERRED])


def _disposition(code: str | None, allowed: tuple[str, ...]) -> str | None:
    if code is None or (isinstance(code, str) and not code.strip()):
        if allowed:
            raise ValidationFailed(f"choose a disposition code: {', '.join(allowed[:20])}", field="disposition_code")
        return None
    checked = rules.check_disposition(code)
    if allowed and checked not in allowed:
        raise ValidationFailed(f"disposition_code must be one of: {', '.join(allowed[:20])}", field="disposition_code")
    return checked


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not 0 < len(reason) <= MAX_REASON or not reason.replace("_", "").isalnum():
        raise ValidationFailed("reason must be a short word such as agent_ended or customer_left", field="reason")
    return reason


def _agent_state(routing: Routing, user_id: int) -> dict[str, Any]:
    view = routing.router.agent_view(user_id)
    return {
        "agent_id": user_id,
        "presence": view.presence.value,
        "state": view.state.value,
        "reason": view.reason,
        "holding": dict(view.holding),
    }


def _agent_name(routing: Routing, agent_id: int) -> str:
    spec = routing.agents.get(agent_id)
    return spec.name if spec is not None else "agent"


def _who(principal: Principal | None) -> int | str | None:
    if principal is None:
        return "system"
    return principal.user_id


def _agent_topics(agent_ids: Iterable[int]) -> list[str]:
    return [f"agent:{a}" for a in sorted(set(agent_ids))]


def _explanation(effect: Effect) -> dict[str, Any]:
    if effect.explanation is None:
        return {}
    data = asdict(effect.explanation)
    data["passed_over"] = [dict(p) for p in data["passed_over"]]
    data["relaxed"] = list(data["relaxed"])
    return data


def _publish(deps: Deps, events: list[dict[str, Any]]) -> None:
    for event in events:
        deps.events.publish(event)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _by_name(row: Any) -> str:
    return str(row.name)


def _tenant_info(row: Any) -> TenantInfo:
    return TenantInfo(row.id, row.slug, row.name, row.timezone or "UTC")


def _queue_info(row: Any) -> QueueInfo:
    return QueueInfo(
        spec=queue_spec(row),
        leave_message_after_seconds=float(row.leave_message_after_seconds),
        recent_agent_days=int(row.recent_agent_days),
        disposition_codes=tuple(row.disposition_codes or ()),
    )


def _restore(router: Router, row: Any, held: list[Any]) -> None:
    work = _restored_work(row)
    if row.status == "queued" or (row.status == "offered" and not held):
        router.restore_waiting(work)  # an offer to an agent who is gone: back to its place
        return
    if not held:
        return  # active or ended with nobody holding it: nothing for the router
    by_phase: dict[str, list[Any]] = {}
    for h in held:
        by_phase.setdefault(h.phase, []).append(h)
    # One phase per item (offered to one agent, or active / in wrap-up for all who hold it).
    phase = "wrap_up" if "wrap_up" in by_phase else "active" if "active" in by_phase else "offered"
    group = by_phase[phase]
    since = min(h.since for h in group)
    router.restore_held(work, tuple(h.user_id for h in group), phase, epoch(since))


def _restored_work(row: Any) -> Work:
    """An item as it was queued: its routing log keeps the priority, preferences and site it got."""
    queued: dict[str, Any] = next((e for e in reversed(row.routing or []) if e.get("kind") == "queued"), {})
    preferred = tuple(Preference(int(a), str(r)) for a, r in queued.get("preferred") or ())
    queued_at = row.queued_at or row.created_at
    return Work(
        id=row.id,
        tenant_id=row.tenant_id,
        queue_id=row.queue_id,
        channel=row.channel,
        enqueued_at=epoch(queued_at),
        priority=int(queued.get("priority", row.priority)),
        language=row.language,
        preferred=preferred,
        site=queued.get("site"),
    )
