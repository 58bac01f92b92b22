"""The router: holds who is free and what waits, and turns every event into offers (with reasons).

State it keeps, all in memory, rebuilt from the database by the service after a restart:
- queues (QueueSpec), agents (AgentSpec + presence + away reason + idle_since), and for each agent
  the items they hold: work_id -> phase ("offered" | "active" | "wrap_up");
- for each queue, its waiting items in routing order. Order key inside a queue is static even
  though priority ages: effective priority = queue.priority + work.priority + aging * waited / 60,
  so sorting by (aging * enqueued_at / 60 - (queue.priority + work.priority), enqueued_at, seq)
  ascending gives the same order at every instant. Equal priority means FIFO. An item that goes
  back to the queue (offer rejected or timed out) keeps its key, hence its place;
- timers (a heap of due times, lazily invalidated by tokens): offer timeouts, the end of a
  preferred-agent window, relaxation steps, the language wait, the site-bound wait, wrap-up timers.
  Time-based changes take effect when `tick` fires them; the service ticks at `next_timer()`;
- indexes for speed (records.py): each queue's waiting items also split into lanes by what they
  demand (proficiency level, a language or site not yet relaxed, a preferred-agent window), so an
  agent asking for work rules out a whole lane at once; per queue, the agents who could ever serve
  it (`cands`) and those free for it now (`free`, kept current on every presence or load change);
  per agent, the queues they could serve, grouped by channel.

Routing rules:
- Eligible agent for an item: serves the item's tenant; presence AVAILABLE; has capacity for the
  channel (capacity rules below); has every queue skill, at >= the item's current minimum
  proficiency (the queue's per-skill minimums, replaced by relaxation steps whose time has come;
  None = any level); speaks the item's language (item.language or queue.language; primary subtag
  compared, "fr-CA" matches "fr"; None = no requirement) unless the language wait is over, after
  which anyone may take it (speakers still preferred) and the explanation says
  interpreter_needed=True; works at item.site if set (until the site wait is over); has not
  rejected or missed this item while it waits in this queue.
- Customer-centric first: while now < enqueued_at + preferred_wait_seconds and at least one of
  item.preferred agents is present (presence not OFFLINE), only those preferred agents may take
  it (first in tuple order who is eligible). If a preferred agent becomes free inside the window
  they get it. An agent's reject or timeout of a preferred offer ends the window for that item.
- Choosing among eligible agents uses the queue's Strategy (see model.Strategy).
- An agent who gets capacity (goes available, finishes wrap-up, is let go by a transfer...)
  first takes any item reserved for them (inside its preferred-agent window, naming them), else
  the best item among the queues they can serve: the first eligible item of each such queue (at
  most SCAN_LIMIT items looked at per queue), compared by effective priority at `now`; ties by
  enqueued_at. They keep taking items while they have capacity. That is also what `set_presence`
  and `route_all` do.
- Capacity (per agent profile): items held in any phase count against their channel. New item of
  channel c allowed iff limit(c) > 0, count(c) < limit(c), total < max_total (if set), no held item
  is of an exclusive channel, and if c is exclusive every held item is of an interruptible channel.
- Relaxation: step i applies once now >= enqueued_at + after_seconds. A step with
  overflow_queue_id moves the item to that queue (effect OVERFLOWED, to_queue_id) keeping its
  enqueued_at (never back to a queue it came through; a target of another tenant or channel is
  skipped); other steps lower the minimum proficiency (effect RELAXED). When a step comes due the
  item is immediately tried against free agents. An item placed in a queue (transfer, overflow,
  restore) starts with that queue's proficiency steps already due applied.
- Site-bound items (overflow to a site) become open to every site when the first relaxation step
  is due, or after SITE_WAIT_SECONDS if the queue has none.
- Overflow by percentage: on enqueue, if the queue has overflow targets, choose one by smooth
  weighted round robin (exact shares over time, deterministic). "site" targets set work.site;
  "partner" targets do not queue the item: effect OVERFLOWED with target=name.
- Business hours: enqueue at a time the queue is closed returns one CLOSED effect and keeps nothing.
- Offer timeout: offer_timeout_seconds after an offer, if not accepted: the agent's presence
  becomes AWAY with reason MISSED, every other pending (not accepted) offer of theirs is withdrawn
  (OFFER_WITHDRAWN), the item goes back to its place and is routed again (OFFER_TIMED_OUT first,
  then any OFFERED).
- Wrap-up: `end` puts every agent holding the item into wrap-up for it (slot still held) and sets a
  timer of wrap_up_seconds; `wrap_up` (agent done) or the timer (effect WRAP_UP_ENDED) frees the
  slot, after which the agent may be offered new work.
- Invariants (hypothesis stateful tests in tests/unit/routing/): no agent ever over capacity; an
  item is offered to at most one agent at a time and is in exactly one place (waiting in one
  queue, offered, held, or gone); nothing lost or duplicated; FIFO within equal priority in a
  queue; a preferred agent who becomes free inside the window gets the offer.

Errors: unknown ids raise NotFound; an action that does not fit the item's phase raises Conflict
(e.g. accept by an agent the item is not offered to); bad settings raise ValidationFailed.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, insort
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

from helpline.domain.errors import Conflict, NotFound, ValidationFailed
from helpline.domain.routing import explain
from helpline.domain.routing.hours import is_open, validate_hours
from helpline.domain.routing.model import (
    MISSED,
    AgentSpec,
    AgentState,
    Effect,
    EffectKind,
    Explanation,
    OverflowTarget,
    PassedOver,
    Presence,
    QueueSpec,
    Strategy,
    Work,
)
from helpline.domain.routing.overflow import Chooser, validate_targets
from helpline.domain.routing.records import (
    ACTIVE,
    ENDED,
    OFFERED,
    STATE_NAMES,
    WAITING,
    AgentRecord,
    Fit,
    ItemRecord,
    QueueRecord,
    fit_for,
    primary_language,
)
from helpline.domain.routing.strategies import Option, key_function, reason

SCAN_LIMIT = 64  # items looked at per lane of a queue when an agent asks for work; bounds the worst case
# The explanation of every decision of a Router(explain=False): simulations need decisions, not reasons.
UNEXPLAINED = Explanation(strategy="", reason="not recorded (simulation)", candidates=0)
MAX_SKIPPED = 3  # items an agent asking for work passed over, named in the explanation (kept short: hot path)
SITE_WAIT_SECONDS = 60.0  # a site-bound item opens to every site after this when its queue has no relaxation
PHASES = ("offered", "active", "wrap_up")
AGENT_SIDE = "best_item"  # Explanation.strategy when a freed agent picked the item (not a queue strategy)
DIRECT = "direct"  # Explanation.strategy of a transfer to a named agent

# Timer kinds; a timer is (due, seq, kind, work_id, aux, token) and is stale when its token no longer matches.
_OFFER, _WRAP, _RELAX, _PREF, _LANG, _SITE = range(6)

_AVAILABLE = Presence.AVAILABLE
_OFFLINE = Presence.OFFLINE
_OFFERED = EffectKind.OFFERED
_WRAP_UP_ENDED = EffectKind.WRAP_UP_ENDED
_LONGEST_IDLE = Strategy.LONGEST_IDLE
_heappush = heapq.heappush


def _effect_maker() -> Callable[[EffectKind, int, int | None, Explanation | None, float], Effect]:
    """A builder of the Effects made on every call (OFFERED, WRAP_UP_ENDED): kind, work, agent, explanation, at.

    Effect is a frozen dataclass, whose __init__ sets each field through object.__setattr__: a third of
    the cost of a simulated call. This builder fills the slots directly (about three times faster) and
    makes the very same object (same class, equality, repr). If Effect's fields ever change, it falls
    back to the constructor."""
    names = ("kind", "work_id", "agent_id", "explanation", "to_queue_id", "target", "detail", "at")
    same_fields = tuple(f.name for f in fields(Effect)) == names
    defaults = [f.default for f in fields(Effect)][4:7]
    if not same_fields or defaults != [None, None, ""] or "__slots__" not in vars(Effect):

        def make_slowly(
            kind: EffectKind, work_id: int, agent_id: int | None, explanation: Explanation | None, at: float
        ) -> Effect:
            return Effect(kind, work_id, agent_id, explanation, at=at)

        return make_slowly
    slot = vars(Effect)
    set_kind, set_work, set_agent, set_explanation, set_queue, set_target, set_detail, set_at = (
        slot[name].__set__ for name in names
    )
    new = object.__new__

    def make(
        kind: EffectKind, work_id: int, agent_id: int | None, explanation: Explanation | None, at: float
    ) -> Effect:
        effect = new(Effect)
        set_kind(effect, kind)
        set_work(effect, work_id)
        set_agent(effect, agent_id)
        set_explanation(effect, explanation)
        set_queue(effect, None)
        set_target(effect, None)
        set_detail(effect, "")
        set_at(effect, at)
        return effect

    return make


_effect = _effect_maker()


@dataclass(frozen=True, slots=True)
class AgentView:
    id: int
    state: AgentState
    presence: Presence
    reason: str | None
    idle_since: float  # when the agent last had no work (or became available)
    holding: dict[int, str] = field(default_factory=dict)  # work_id -> "offered" | "active" | "wrap_up"


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    queue_id: int
    waiting: int
    longest_wait_seconds: float
    offered: int  # items of this queue currently offered
    active: int  # items of this queue held by agents (active or in wrap-up)
    eligible_agents: int  # present agents who could serve the queue (skills >= 1, tenant, channel)
    available_agents: int  # of those, AVAILABLE with capacity for the channel right now


def _check_number(value: object, name: str, *, minimum: float = 0.0, strict: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < minimum or (strict and value <= minimum):  # type: ignore[operator]
        relation = ">" if strict else ">="
        raise ValidationFailed(f"{name} must be a number {relation} {minimum:g}", field=name)


def _check_level(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed(f"{name} must be a proficiency from 1 to 5", field=name)


def validate_queue(spec: QueueSpec) -> None:
    """Raise ValidationFailed naming the first bad setting of a queue."""
    if not isinstance(spec.channel, str) or not spec.channel:
        raise ValidationFailed("a queue needs a channel", field="channel")
    for skill, level in spec.skills.items():
        if not isinstance(skill, str) or not skill:
            raise ValidationFailed("skill names must be non-empty", field="skills")
        _check_level(level, f"skills.{skill}")
    if isinstance(spec.priority, bool) or not isinstance(spec.priority, int):
        raise ValidationFailed("priority must be an integer", field="priority")
    try:
        Strategy(spec.strategy)
    except ValueError as exc:
        raise ValidationFailed(f"unknown strategy {spec.strategy!r}", field="strategy") from exc
    _check_number(spec.aging_per_minute, "aging_per_minute")
    _check_number(spec.preferred_wait_seconds, "preferred_wait_seconds")
    _check_number(spec.language_wait_seconds, "language_wait_seconds")
    _check_number(spec.offer_timeout_seconds, "offer_timeout_seconds", strict=True)
    _check_number(spec.wrap_up_seconds, "wrap_up_seconds")
    _check_number(spec.service_level_seconds, "service_level_seconds")
    _check_number(spec.service_level_percent, "service_level_percent")
    if spec.service_level_percent > 100:
        raise ValidationFailed("service_level_percent must be at most 100", field="service_level_percent")
    for step in spec.relaxation:
        _check_number(step.after_seconds, "relaxation.after_seconds")
        if step.min_proficiency is not None:
            _check_level(step.min_proficiency, "relaxation.min_proficiency")
        if step.overflow_queue_id is not None and step.overflow_queue_id == spec.id:
            raise ValidationFailed("a queue cannot overflow into itself", field="relaxation.overflow_queue_id")
    validate_targets(spec.overflow)
    if spec.hours is not None:
        validate_hours(spec.hours)


def _lane_refusal(
    q: QueueRecord,
    lane_key: tuple[int, str | None, str | None, bool],
    head_id: int,
    meets: bool,
    lowest: int,
    langs: frozenset[str],
) -> PassedOver:
    """Why an agent skipped a whole lane, from the lane's demands. Cached per lane and reason, reused while the
    lane's first item stays the same: this runs on the hot path."""
    need, lang, site, _window = lane_key
    if (not meets) if need < 0 else need > lowest:
        why = 0  # skills
    elif lang is not None and lang not in langs:
        why = 1
    else:
        why = 2  # site
    cache_key = (lane_key, why)
    cached = q.reasons.get(cache_key)
    if cached is not None and cached.id == head_id:
        return cached
    if cached is not None:
        text = cached.reason
    elif why == 0:
        text = f"needs {explain.skills_text(q.spec.skills)}" if need < 0 else f"needs every queue skill >={need}"
    elif why == 1:
        text = f"needs language {lang}"
    else:
        text = f"for site {site}"
    passed = q.reasons[cache_key] = PassedOver(head_id, text)
    return passed


def _copy(work: Work) -> Work:
    """The router's own copy (it updates queue_id and site as the item moves); cheaper than dataclasses.replace."""
    return Work(
        work.id,
        work.tenant_id,
        work.queue_id,
        work.channel,
        work.enqueued_at,
        work.priority,
        work.language,
        tuple(work.preferred),
        work.site,
    )


def validate_agent(spec: AgentSpec) -> None:
    for skill, level in spec.skills.items():
        if not isinstance(skill, str) or not skill:
            raise ValidationFailed("skill names must be non-empty", field="skills")
        _check_level(level, f"skills.{skill}")
    for limit_channel, limit in spec.profile.limits.items():
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise ValidationFailed(f"capacity for {limit_channel} must be an integer >= 0", field="profile.limits")
    total = spec.profile.max_total
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise ValidationFailed("max_total must be an integer >= 0", field="profile.max_total")


class Router:
    """All routing state and decisions. Not thread-safe: the service holds a lock around it."""

    __slots__ = (
        "_agents",
        "_deferred",
        "_explaining",
        "_items",
        "_pending",
        "_queues",
        "_queues_by_tenant",
        "_seq",
        "_tenant_agents",
        "_tenant_skill_agents",
        "_timer_seq",
        "_timers",
        "_token",
    )

    def __init__(self, *, explain: bool = True) -> None:
        # A simulation asks for the decisions only: explanations (who was passed over and why) cost a
        # third of a decision and nobody reads them there. The decisions are the same either way.
        self._explaining = explain
        self._agents: dict[int, AgentRecord] = {}
        self._queues: dict[int, QueueRecord] = {}
        self._items: dict[int, ItemRecord] = {}
        self._queues_by_tenant: dict[int, set[int]] = {}
        self._tenant_agents: dict[int, set[int]] = {}
        self._tenant_skill_agents: dict[tuple[int, str], set[int]] = {}
        self._timers: list[tuple[float, int, int, int, int, int]] = []
        self._timer_seq = 0
        self._token = 0
        self._seq = 0
        self._pending: list[ItemRecord] = []  # restored waiting items, armed by route_all
        # While `tick` fires timers, who to serve is collected here and served once every due
        # timer has fired: routing item by item as timers fire would let a newer item whose step
        # came due first take an agent that an older item, opened by a later timer of the same
        # tick, may have (first come, first served is judged at `now`, not at each timer's time).
        self._deferred: tuple[list[AgentRecord], list[ItemRecord]] | None = None

    # --- configuration -------------------------------------------------------------------
    def set_queue(self, spec: QueueSpec, now: float) -> list[Effect]:
        """Add or replace a queue's settings; waiting items stay in place (re-keyed if priority changed)."""
        validate_queue(spec)
        spec = replace(spec, strategy=Strategy(spec.strategy))
        q = self._queues.get(spec.id)
        if q is None:
            q = QueueRecord(spec)
            self._queues[spec.id] = q
            self._queues_by_tenant.setdefault(spec.tenant_id, set()).add(spec.id)
        else:
            if spec.tenant_id != q.tenant_id:
                raise ValidationFailed("a queue cannot move to another tenant", field="tenant_id")
            if spec.channel != q.channel and (q.waiting or q.offered or q.held):
                raise Conflict("the queue holds items: its channel cannot change now", field="channel")
            old = q.spec
            q.configure(spec)
            if spec.overflow != old.overflow:
                q.chooser = Chooser(spec.overflow)
            if (old.priority, old.aging_per_minute) != (spec.priority, spec.aging_per_minute):
                self._rekey(q)
            if self._placement_changed(old, spec):
                for item in [self._items[entry[3]] for entry in q.waiting]:
                    if item.armed:
                        self._arm(item, now)
        self._recompute_candidates(q)
        effects: list[Effect] = []
        for agent_id in sorted(q.free):
            self._serve_agent(self._agents[agent_id], now, effects)
        return effects

    @staticmethod
    def _placement_changed(old: QueueSpec, new: QueueSpec) -> bool:
        return (
            old.relaxation != new.relaxation
            or old.skills != new.skills
            or old.language != new.language
            or old.preferred_wait_seconds != new.preferred_wait_seconds
            or old.language_wait_seconds != new.language_wait_seconds
        )

    def _rekey(self, q: QueueRecord) -> None:
        items = [self._items[entry[3]] for entry in q.waiting]
        q.lanes = {}
        for item in items:
            item.key = q.key(item)
            if item.lane is not None:
                item.lane = None
                self._enlane(item)
        for item_id in q.offered:
            self._items[item_id].key = q.key(self._items[item_id])
        q.waiting = sorted(item.key for item in items)

    def _recompute_candidates(self, q: QueueRecord) -> None:
        spec = q.spec
        pool: set[int]
        if spec.skills:
            skill_sets = [self._tenant_skill_agents.get((spec.tenant_id, s), set()) for s in spec.skills]
            pool = set.intersection(*skill_sets)
        else:
            pool = set(self._tenant_agents.get(spec.tenant_id, ()))
        for agent_id in list(q.cands):
            if agent_id not in pool:
                self._unlink(self._agents[agent_id], q)
        for agent_id in pool:
            agent = self._agents[agent_id]
            fit = fit_for(agent.spec, spec)
            if fit is None:
                self._unlink(agent, q)
            else:
                self._link(agent, q, fit)

    def _link(self, agent: AgentRecord, q: QueueRecord, fit: Fit) -> None:
        q.cands[agent.id] = fit
        entries = agent.scan.setdefault(q.channel, [])
        entries[:] = [e for e in entries if e[0] is not q]
        entries.append((q, fit[0], fit[1]))
        entries.sort(key=lambda e: e[0].id)
        agent.free_on = {}
        self._refresh_one(agent, q)

    def _unlink(self, agent: AgentRecord, q: QueueRecord) -> None:
        q.cands.pop(agent.id, None)
        q.free.discard(agent.id)
        q.free_meets.discard(agent.id)
        for channel, entries in list(agent.scan.items()):
            kept = [e for e in entries if e[0] is not q]
            if kept:
                agent.scan[channel] = kept
            else:
                del agent.scan[channel]

    def set_agent(self, spec: AgentSpec, now: float) -> list[Effect]:
        """Add or replace an agent's skills, languages, tenants, site, profile. New agents start OFFLINE."""
        validate_agent(spec)
        agent = self._agents.get(spec.id)
        if agent is None:
            agent = AgentRecord(spec, now)
            self._agents[spec.id] = agent
        else:
            self._unindex_agent(agent)
            agent.spec = spec
            agent.langs = frozenset(filter(None, (primary_language(t) for t in spec.languages)))
            agent.load.reprofile(spec.profile)
            agent.free_on = {}
        for tenant_id in spec.tenants:
            self._tenant_agents.setdefault(tenant_id, set()).add(spec.id)
            for skill in spec.skills:
                self._tenant_skill_agents.setdefault((tenant_id, skill), set()).add(spec.id)
        for queue_id in [qid for entries in agent.scan.values() for qid in (e[0].id for e in entries)]:
            self._unlink(agent, self._queues[queue_id])
        for tenant_id in spec.tenants:
            for queue_id in self._queues_by_tenant.get(tenant_id, ()):
                q = self._queues[queue_id]
                fit = fit_for(spec, q.spec)
                if fit is not None:
                    self._link(agent, q, fit)
        effects: list[Effect] = []
        self._serve_agent(agent, now, effects)
        return effects

    def _unindex_agent(self, agent: AgentRecord) -> None:
        for tenant_id in agent.spec.tenants:
            self._tenant_agents.get(tenant_id, set()).discard(agent.id)
            for skill in agent.spec.skills:
                self._tenant_skill_agents.get((tenant_id, skill), set()).discard(agent.id)

    def set_overflow(self, queue_id: int, targets: tuple[OverflowTarget, ...]) -> None:
        """Replace a queue's overflow weights at runtime (weights >= 0, at least one > 0, or empty = none)."""
        q = self._queue(queue_id)
        targets = tuple(targets)
        q.chooser = Chooser(targets)  # validates
        q.spec = replace(q.spec, overflow=targets)

    def overflow_targets(self, queue_id: int) -> tuple[OverflowTarget, ...]:
        return self._queue(queue_id).chooser.targets

    def sites_available(self, queue_id: int) -> dict[str, int]:
        """Agents AVAILABLE now who could serve the queue, per site (the input of overflow.replan)."""
        q = self._queue(queue_id)
        counts: dict[str, int] = {}
        for agent_id in q.cands:
            agent = self._agents[agent_id]
            if agent.presence is _AVAILABLE:
                counts[agent.spec.site] = counts.get(agent.spec.site, 0) + 1
        return counts

    # --- presence --------------------------------------------------------------------------
    def set_presence(self, agent_id: int, presence: Presence, now: float, reason: str | None = None) -> list[Effect]:
        """Agent or supervisor changes presence. AWAY takes a reason. Leaving AVAILABLE withdraws
        pending offers (OFFER_WITHDRAWN + re-routing); becoming AVAILABLE may bring offers."""
        agent = self._agent(agent_id)
        try:
            presence = Presence(presence)
        except ValueError as exc:
            raise ValidationFailed(f"unknown presence {presence!r}", field="presence") from exc
        effects: list[Effect] = []
        before = agent.presence
        agent.presence = presence
        agent.reason = (reason or "away") if presence is Presence.AWAY else None
        if presence is _AVAILABLE:
            if before is not _AVAILABLE:
                agent.idle_since = now
                self._refresh(agent)
            self._serve_agent(agent, now, effects)
            return effects
        self._refresh(agent)
        returned = self._withdraw_offers(agent, "presence", now, effects) if before is _AVAILABLE else []
        if presence is _OFFLINE and before is not _OFFLINE:
            # Items that waited for this agent as their preferred one may now go to anyone.
            returned.extend(self._items[i] for i in sorted(agent.pref_items) if self._items[i].state == WAITING)
        for item in returned:
            self._serve_item(item, now, effects)
        return effects

    def _withdraw_offers(self, agent: AgentRecord, why: str, now: float, effects: list[Effect]) -> list[ItemRecord]:
        returned = []
        for work_id, phase in list(agent.holding.items()):
            if phase == "offered":
                item = self._items[work_id]
                effects.append(Effect(EffectKind.OFFER_WITHDRAWN, work_id, agent.id, detail=why, at=now))
                self._release(agent, item, now)
                self._requeue(item, now)
                returned.append(item)
        return returned

    # --- work ------------------------------------------------------------------------------
    def enqueue(self, work: Work, now: float, *, adopt: bool = False) -> list[Effect]:
        """A new item (or one restored after restart: same enqueued_at, same place).

        The router keeps its own copy of `work` (it updates queue_id and site as the item moves);
        `adopt=True` says the caller hands `work` over and never reads or changes it again (the
        simulator builds one per call), so the router keeps that object instead of copying it."""
        q = self._check_new_work(work)
        spec = q.spec
        if spec.hours is not None and not is_open(spec.hours, now):
            return [Effect(EffectKind.CLOSED, work.id, to_queue_id=q.id, detail="outside business hours", at=now)]
        if not adopt:
            work = _copy(work)
        elif type(work.preferred) is not tuple:
            work.preferred = tuple(work.preferred)
        if q.chooser.targets:  # (not `if q.chooser`: Chooser.__bool__ is a Python call on every arrival)
            target = q.chooser.next()
            if target.kind == "partner":
                return [
                    Effect(EffectKind.OVERFLOWED, work.id, target=target.name, detail="overflow to partner", at=now)
                ]
            work.site = target.name
        self._seq += 1
        item = ItemRecord(work, q, self._seq)
        self._items[work.id] = item
        effects: list[Effect] = []
        if q.plain and not work.language and not work.preferred and work.site is None and self._deferred is None:
            # Nothing for _arm to set but the token: no relaxation step, language, site or preferred agent
            # (the record's defaults are what _arm would set). The choice of agent never looks at the
            # waiting list, so try the free agents first and only put the item in line if nobody takes it:
            # the same decision and the same state as inserting it, arming it and offering it from there.
            work.queue_id = q.id  # as _insert does
            self._token += 1
            item.token = self._token
            item.armed = True
            if q.free:
                self._serve_item(item, now, effects)
            if item.state == WAITING:
                insort(q.waiting, item.key)
                self._enlane(item)
            return effects
        self._insert(item, q)
        self._arm(item, now)
        self._serve_item(item, now, effects)
        return effects

    def _check_new_work(self, work: Work) -> QueueRecord:
        if work.id in self._items:
            raise Conflict(f"interaction {work.id} is already routed", field="id")
        q = self._queues.get(work.queue_id)
        if q is None:
            raise NotFound(f"queue {work.queue_id} is unknown", field="queue_id")
        if work.tenant_id != q.tenant_id:
            raise ValidationFailed("the interaction and the queue belong to different tenants", field="tenant_id")
        if work.channel != q.channel:
            raise ValidationFailed(f"a {work.channel} interaction cannot wait in a {q.channel} queue", field="channel")
        priority = work.priority
        if type(priority) is not int and (isinstance(priority, bool) or not isinstance(priority, int)):
            raise ValidationFailed("priority must be an integer", field="priority")
        at = work.enqueued_at
        if type(at) is not float or not 0.0 <= at < math.inf:  # the common case checked without a call
            _check_number(at, "enqueued_at")
        return q

    def accept(self, work_id: int, agent_id: int, now: float) -> None:
        item = self._items.get(work_id) or self._item(work_id)  # the lookups inlined: NotFound only if unknown
        agent = self._agents.get(agent_id) or self._agent(agent_id)
        if item.state != OFFERED or item.offered_to != agent_id:
            raise Conflict(f"interaction {work_id} is not offered to agent {agent_id}", field="interaction_id")
        item.state = ACTIVE
        item.offered_to = None
        item.holders[agent_id] = "active"
        agent.holding[work_id] = "active"
        # _disarm, inlined (once per call in a simulation)
        item.armed = False
        self._token += 1
        item.token = self._token
        if item.pref_open:
            self._close_pref_window(item)
        q = item.queue
        q.offered.discard(work_id)
        q.held.add(work_id)

    def reject(self, work_id: int, agent_id: int, now: float) -> list[Effect]:
        """The agent declines: they stay available, the item goes back to its place and is re-routed."""
        item = self._item(work_id)
        agent = self._agent(agent_id)
        if item.state != OFFERED or item.offered_to != agent_id:
            raise Conflict(f"interaction {work_id} is not offered to agent {agent_id}", field="interaction_id")
        self._exclude(item, agent_id)
        self._release(agent, item, now)
        self._requeue(item, now)
        effects: list[Effect] = []
        self._serve_item(item, now, effects)
        self._serve_agent(agent, now, effects)
        return effects

    def end(self, work_id: int, now: float) -> list[Effect]:
        """The conversation is over: its agents go into wrap-up for it (a waiting or offered item is abandoned)."""
        item = self._items.get(work_id) or self._item(work_id)  # NotFound only if unknown
        state = item.state
        if state in (WAITING, OFFERED):
            return self.abandon(work_id, now)
        if state == ENDED:
            raise Conflict(f"interaction {work_id} has already ended", field="interaction_id")
        item.state = ENDED
        wrap = item.queue.spec.wrap_up_seconds
        effects: list[Effect] = []
        holders = item.holders
        if wrap <= 0 and len(holders) == 1:
            # One agent and no wrap-up (a simulated call): the slot frees at once. The loops below would
            # mark it "wrap_up" first, a phase _finish ends before anyone can see it.
            agent_id = next(iter(holders))
            effects.append(_effect(_WRAP_UP_ENDED, work_id, agent_id, None, now))
            self._finish(self._agents[agent_id], item, now, effects)
            return effects
        for agent_id in list(item.holders):
            agent = self._agents[agent_id]
            item.holders[agent_id] = "wrap_up"
            agent.holding[work_id] = "wrap_up"
            if wrap > 0:
                self._token += 1
                item.wrap_tokens[agent_id] = self._token
                self._push(now + wrap, _WRAP, work_id, agent_id, self._token)
        if wrap <= 0:
            for agent_id in list(item.holders):
                effects.append(_effect(_WRAP_UP_ENDED, work_id, agent_id, None, now))
                self._finish(self._agents[agent_id], item, now, effects)
        return effects

    def wrap_up(self, work_id: int, agent_id: int, now: float) -> list[Effect]:
        """The agent finished after-contact work: the slot is free (offers may follow)."""
        item = self._item(work_id)
        agent = self._agent(agent_id)
        if agent.holding.get(work_id) != "wrap_up":
            raise Conflict(f"agent {agent_id} is not wrapping up interaction {work_id}", field="interaction_id")
        effects: list[Effect] = []
        self._finish(agent, item, now, effects)
        return effects

    def _finish(self, agent: AgentRecord, item: ItemRecord, now: float, effects: list[Effect]) -> None:
        """One agent's wrap-up of an ended item is over: free the slot, forget the item when nobody holds it."""
        item_id = item.id
        agent_id = agent.id
        if item.wrap_tokens:
            item.wrap_tokens.pop(agent_id, None)
        # _release without the refresh (_serve_agent refreshes once it has handed out work), inlined: once a call
        del agent.holding[item_id]
        holders = item.holders
        holders.pop(agent_id, None)
        if item.offered_to == agent_id:
            item.offered_to = None
            item.queue.offered.discard(item_id)
        agent.load.remove(item.work.channel)
        agent.idle_since = now
        if not holders:
            self._drop(item)
        self._serve_agent(agent, now, effects)

    def abandon(self, work_id: int, now: float) -> list[Effect]:
        """The customer left: a waiting or offered item disappears (OFFER_WITHDRAWN if it was
        offered); an active one is ended (its agents go into wrap-up); an ended one is left alone."""
        item = self._item(work_id)
        effects: list[Effect] = []
        if item.state == WAITING:
            self._unwait(item)
            self._drop(item)
        elif item.state == OFFERED:
            agent = self._agents[item.offered_to]  # type: ignore[index]
            effects.append(Effect(EffectKind.OFFER_WITHDRAWN, work_id, agent.id, detail="customer_left", at=now))
            self._release(agent, item, now)
            self._drop(item)
            self._serve_agent(agent, now, effects)
        elif item.state == ACTIVE:
            return self.end(work_id, now)
        return effects

    def transfer_to_queue(self, work_id: int, queue_id: int, now: float) -> list[Effect]:
        """Every agent holding the item lets go of it (slots free); it waits in `queue_id` (same
        tenant) keeping its original enqueued_at. The agents who let go are not offered it again there."""
        item = self._item(work_id)
        q = self._queue(queue_id)
        if q.tenant_id != item.work.tenant_id:
            raise ValidationFailed("the target queue belongs to another tenant", field="queue_id")
        if q.channel != item.work.channel:
            raise ValidationFailed(f"a {item.work.channel} interaction cannot wait in a {q.channel} queue", "queue_id")
        if item.state == ENDED:
            raise Conflict(f"interaction {work_id} has ended", field="interaction_id")
        effects: list[Effect] = []
        released = self._let_go(item, "transfer", now, effects)
        item.queue.held.discard(work_id)
        item.excluded = set(released) or None
        item.visited = None
        self._insert(item, q)
        self._arm(item, now)
        self._serve_item(item, now, effects)
        for agent in released:
            self._serve_agent(self._agents[agent], now, effects)
        return effects

    def transfer_to_agent(self, work_id: int, agent_id: int, now: float) -> list[Effect]:
        """Offer the item directly to `agent_id`, who must be able to take it now (else Conflict); the
        agents holding it let go at once. If the new agent rejects or misses it, it waits in its queue."""
        item = self._item(work_id)
        agent = self._agent(agent_id)
        if item.state == ENDED:
            raise Conflict(f"interaction {work_id} has ended", field="interaction_id")
        self._check_can_join(item, agent)
        effects: list[Effect] = []
        released = self._let_go(item, "transfer", now, effects)
        item.queue.held.discard(work_id)
        item.state = WAITING  # transiently, for _offer
        explanation = Explanation(
            strategy=DIRECT,
            reason=f"transferred directly to {agent.spec.name}",
            candidates=1,
            relaxed=item.relaxed,
            interpreter_needed=item.lang is not None and item.lang not in agent.langs,
            preferred=self._preferred_reason(item, agent_id),
        )
        self._offer(item, agent, now, explanation, effects)
        for released_id in released:
            self._serve_agent(self._agents[released_id], now, effects)
        return effects

    def _check_can_join(self, item: ItemRecord, agent: AgentRecord) -> None:
        if agent.id in item.holders:
            raise Conflict(f"agent {agent.id} already holds interaction {item.id}", field="agent_id")
        if item.work.tenant_id not in agent.spec.tenants:
            raise Conflict(f"agent {agent.id} does not serve this tenant", field="agent_id")
        if agent.presence is not _AVAILABLE:
            raise Conflict(f"agent {agent.id} is {agent.presence.value}", field="agent_id")
        refusal = agent.load.refusal(item.work.channel)
        if refusal:
            raise Conflict(f"agent {agent.id} cannot take it now ({refusal})", field="agent_id")

    def _let_go(self, item: ItemRecord, why: str, now: float, effects: list[Effect]) -> list[int]:
        """Take the item out of wherever it is (waiting, offered, active) before it moves; returns who let go."""
        released: list[int] = []
        if item.state == WAITING:
            self._unwait(item)
        elif item.state == OFFERED:
            agent = self._agents[item.offered_to]  # type: ignore[index]
            effects.append(Effect(EffectKind.OFFER_WITHDRAWN, item.id, agent.id, detail=why, at=now))
            self._release(agent, item, now)
            released.append(agent.id)
        else:
            for agent_id in list(item.holders):
                self._release(self._agents[agent_id], item, now)
                released.append(agent_id)
        self._disarm(item)
        return released

    def add_agent(self, work_id: int, agent_id: int, now: float) -> None:
        """A second agent joins an active item (a chat consult); counts against their capacity."""
        item = self._item(work_id)
        agent = self._agent(agent_id)
        if item.state != ACTIVE:
            raise Conflict(f"interaction {work_id} is not active", field="interaction_id")
        self._check_can_join(item, agent)
        item.holders[agent_id] = "active"
        agent.holding[work_id] = "active"
        agent.load.add(item.work.channel)
        agent.idle_since = now
        self._refresh(agent)

    # --- timers ------------------------------------------------------------------------------
    def tick(self, now: float) -> list[Effect]:
        """Fire every timer due at or before `now` (offer timeouts, windows, relaxation, wrap-ups)."""
        effects: list[Effect] = []
        timers = self._timers
        self._deferred = ([], [])
        try:
            while timers and timers[0][0] <= now:
                _due, _seq, kind, work_id, aux, token = heapq.heappop(timers)
                self._fire(kind, work_id, aux, token, now, effects)
        finally:
            agents, items = self._deferred
            self._deferred = None
        # Freed agents first (each takes the best items of their queues), then the items whose
        # search widened, in routing order: highest effective priority, then earliest arrival.
        for agent in dict.fromkeys(agents):
            self._serve_agent(agent, now, effects)
        items = list({item.id: item for item in items}.values())
        items.sort(key=lambda item: (item.key[0] - item.queue.aging60 * now, item.key[1], item.key[2]))
        for item in items:
            self._serve_item(item, now, effects)
        return effects

    def next_timer(self) -> float | None:
        timers = self._timers
        while timers:
            _due, _seq, kind, work_id, aux, token = timers[0]
            if self._live(kind, work_id, aux, token):
                return timers[0][0]
            heapq.heappop(timers)
        return None

    def _push(self, due: float, kind: int, work_id: int, aux: int, token: int) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (due, self._timer_seq, kind, work_id, aux, token))

    def _live(self, kind: int, work_id: int, aux: int, token: int) -> bool:
        item = self._items.get(work_id)
        if item is None:
            return False
        if kind == _OFFER:
            return item.state == OFFERED and item.offer_token == token
        if kind == _WRAP:
            return item.wrap_tokens.get(aux) == token
        return item.armed and item.token == token and item.state in (WAITING, OFFERED)

    def _fire(self, kind: int, work_id: int, aux: int, token: int, now: float, effects: list[Effect]) -> None:
        if not self._live(kind, work_id, aux, token):
            return
        item = self._items[work_id]
        if kind == _OFFER:
            self._offer_timed_out(item, now, effects)
        elif kind == _WRAP:
            effects.append(_effect(_WRAP_UP_ENDED, work_id, aux, None, now))
            self._finish(self._agents[aux], item, now, effects)
        elif kind == _RELAX:
            if item.level == aux:
                self._relax(item, now, effects)
        else:
            spec = item.queue.spec
            if kind == _PREF:
                if not item.pref_open:
                    return
                self._close_pref_window(item)
                detail = f"preferred agents -> any after {spec.preferred_wait_seconds:g} s"
            elif kind == _LANG:
                item.lang_open = True
                self._relane(item)
                detail = f"language {item.lang} -> any after {spec.language_wait_seconds:g} s"
            else:
                item.site_open = True
                self._relane(item)
                detail = f"site {item.work.site} -> any after {self._site_wait(item.queue):g} s"
            item.relaxed += (detail,)
            effects.append(Effect(EffectKind.RELAXED, work_id, detail=detail, at=now))
            self._serve_item(item, now, effects)

    def _offer_timed_out(self, item: ItemRecord, now: float, effects: list[Effect]) -> None:
        agent = self._agents[item.offered_to]  # type: ignore[index]
        timeout = item.queue.spec.offer_timeout_seconds
        effects.append(
            Effect(EffectKind.OFFER_TIMED_OUT, item.id, agent.id, detail=f"no answer in {timeout:g} s", at=now)
        )
        self._exclude(item, agent.id)
        self._release(agent, item, now)
        self._requeue(item, now)
        agent.presence = Presence.AWAY
        agent.reason = MISSED
        self._refresh(agent)
        returned = [item, *self._withdraw_offers(agent, "presence", now, effects)]
        for waiting in returned:
            self._serve_item(waiting, now, effects)

    def _relax(self, item: ItemRecord, now: float, effects: list[Effect]) -> None:
        q = item.queue
        if item.level >= len(q.steps):
            # The queue lost steps (set_queue) while this item's timer was pending: nothing left to relax.
            return
        step = q.steps[item.level]
        if step.overflow_queue_id is not None:
            if item.state == OFFERED:
                # It may yet be accepted; look again when the offer runs out.
                self._push(item.offer_expires, _RELAX, item.id, item.level, item.token)
                return
            target = self._queues.get(step.overflow_queue_id)
            if (
                target is not None
                and target.tenant_id == q.tenant_id
                and target.channel == q.channel
                and target.id not in (item.visited or ())
                and target.id != q.id
            ):
                self._unwait(item)
                item.visited = {*(item.visited or ()), q.id, target.id}
                item.excluded = None
                self._insert(item, target)
                detail = f"overflowed from {q.spec.name} to {target.spec.name} after {step.after_seconds:g} s"
                self._arm(item, now)
                item.relaxed = (detail, *item.relaxed)
                effects.append(Effect(EffectKind.OVERFLOWED, item.id, to_queue_id=target.id, detail=detail, at=now))
                self._serve_item(item, now, effects)
                return
            item.level += 1  # an unusable target: skip the step
        else:
            detail = q.step_texts[item.level]
            item.level += 1
            item.need = step.min_proficiency if step.min_proficiency is not None else 0
            self._relane(item)
            item.relaxed += (detail,)
            effects.append(Effect(EffectKind.RELAXED, item.id, detail=detail, at=now))
        self._schedule_step(item)
        if item.state == WAITING:
            self._serve_item(item, now, effects)

    # --- restore after restart (no routing happens until route_all) -------------------------
    def restore_held(self, work: Work, agent_ids: tuple[int, ...], phase: str, since: float) -> None:
        """An item the database says is offered (one agent), active or in wrap-up (one or more)."""
        if phase not in PHASES:
            raise ValidationFailed(f"phase must be one of {', '.join(PHASES)}", field="phase")
        agent_ids = tuple(dict.fromkeys(agent_ids))
        if not agent_ids or (phase == "offered" and len(agent_ids) != 1):
            raise ValidationFailed("an offered item has exactly one agent; a held one at least one", "agent_ids")
        q = self._check_new_work(work)
        agents = [self._agent(a) for a in agent_ids]
        self._seq += 1
        item = ItemRecord(_copy(work), q, self._seq)
        self._items[work.id] = item
        item.state = {"offered": OFFERED, "active": ACTIVE, "wrap_up": ENDED}[phase]
        for agent in agents:
            item.holders[agent.id] = phase
            agent.holding[work.id] = phase
            agent.load.add(work.channel)
            self._refresh(agent)
        if phase == "offered":
            item.offered_to = agents[0].id
            self._token += 1
            item.offer_token = self._token
            item.offer_expires = since + q.spec.offer_timeout_seconds
            self._push(item.offer_expires, _OFFER, work.id, agents[0].id, self._token)
            q.offered.add(work.id)
        else:
            q.held.add(work.id)
        if phase == "wrap_up":
            for agent in agents:
                self._token += 1
                item.wrap_tokens[agent.id] = self._token
                self._push(since + q.spec.wrap_up_seconds, _WRAP, work.id, agent.id, self._token)

    def restore_waiting(self, work: Work) -> None:
        q = self._check_new_work(work)
        self._seq += 1
        item = ItemRecord(_copy(work), q, self._seq)
        self._items[work.id] = item
        self._insert(item, q)
        self._enlane(item)
        self._pending.append(item)

    def route_all(self, now: float) -> list[Effect]:
        """Offer what can be offered now (after a restore, or after bulk changes)."""
        effects: list[Effect] = []
        pending, self._pending = self._pending, []
        for item in pending:
            if item.state == WAITING and item.id in self._items and not item.armed:
                self._arm(item, now)
        effects.extend(self.tick(now))
        # Longest idle first, so a restart hands out work as the strategy would have.
        free = sorted(
            (a for a in self._agents.values() if a.presence is _AVAILABLE), key=lambda a: (a.idle_since, a.id)
        )
        for agent in free:
            self._serve_agent(agent, now, effects)
        return effects

    # --- questions -----------------------------------------------------------------------
    def position(self, work_id: int) -> int | None:
        """1-based place of a waiting item in its queue; None if it is not waiting."""
        item = self._items.get(work_id)
        if item is None or item.state != WAITING:
            return None
        return bisect_left(item.queue.waiting, item.key) + 1

    def waiting(self, queue_id: int) -> list[int]:
        """Waiting item ids of a queue in routing order."""
        return [entry[3] for entry in self._queue(queue_id).waiting]

    def queue_snapshot(self, queue_id: int, now: float) -> QueueSnapshot:
        q = self._queue(queue_id)
        oldest = min((entry[1] for entry in q.waiting), default=now)
        agents = self._agents
        return QueueSnapshot(
            queue_id=queue_id,
            waiting=len(q.waiting),
            longest_wait_seconds=max(0.0, now - oldest),
            offered=len(q.offered),
            active=len(q.held),
            eligible_agents=sum(1 for a in q.cands if agents[a].presence is not _OFFLINE),
            available_agents=len(q.free),
        )

    def agent_view(self, agent_id: int) -> AgentView:
        agent = self._agent(agent_id)
        return AgentView(
            id=agent.id,
            state=self._state(agent),
            presence=agent.presence,
            reason=agent.reason,
            idle_since=agent.idle_since,
            holding=dict(agent.holding),
        )

    def agents_by_state(self, tenant_id: int) -> dict[AgentState, int]:
        """Agents serving the tenant by state (every AgentState key present)."""
        counts = dict.fromkeys(AgentState, 0)
        for agent_id in self._tenant_agents.get(tenant_id, ()):
            counts[self._state(self._agents[agent_id])] += 1
        return counts

    def work(self, work_id: int) -> Work | None:
        item = self._items.get(work_id)
        return item.work if item is not None else None

    def holders(self, work_id: int) -> dict[int, str]:
        """agent_id -> phase for an item that is offered or held; empty if waiting or unknown."""
        item = self._items.get(work_id)
        return dict(item.holders) if item is not None else {}

    def phase(self, work_id: int) -> str | None:
        """'waiting' | 'offered' | 'active' | 'ended' (agents in wrap-up), None if unknown."""
        item = self._items.get(work_id)
        return STATE_NAMES[item.state] if item is not None else None

    def offer_expires_at(self, work_id: int) -> float | None:
        item = self._items.get(work_id)
        return item.offer_expires if item is not None and item.state == OFFERED else None

    def occupancy(self, agent_id: int) -> float:
        """Share of the agent's capacity in use, 0..1 (see capacity.Load.occupancy)."""
        return self._agent(agent_id).load.occupancy()

    @staticmethod
    def _state(agent: AgentRecord) -> AgentState:
        if agent.presence is _OFFLINE:
            return AgentState.OFFLINE
        if agent.presence is Presence.AWAY:
            return AgentState.AWAY
        if not agent.holding:
            return AgentState.AVAILABLE
        if any(phase != "wrap_up" for phase in agent.holding.values()):
            return AgentState.BUSY
        return AgentState.WRAP_UP

    # --- lookups ---------------------------------------------------------------------------
    def _agent(self, agent_id: int) -> AgentRecord:
        agent = self._agents.get(agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} is unknown", field="agent_id")
        return agent

    def _item(self, work_id: int) -> ItemRecord:
        item = self._items.get(work_id)
        if item is None:
            raise NotFound(f"interaction {work_id} is not being routed", field="interaction_id")
        return item

    def _queue(self, queue_id: int) -> QueueRecord:
        q = self._queues.get(queue_id)
        if q is None:
            raise NotFound(f"queue {queue_id} is unknown", field="queue_id")
        return q

    # --- bookkeeping -----------------------------------------------------------------------
    def _refresh(self, agent: AgentRecord) -> None:
        """Keep the per-queue free sets right after the agent's presence or load changed."""
        available = agent.presence is _AVAILABLE
        load = agent.load
        agent_id = agent.id
        free_on = agent.free_on
        for channel, entries in agent.scan.items():
            # An exclusive item (a call) leaves room for nothing: no need to ask can_take.
            now_free = available and not load.exclusive and load.can_take(channel)
            if free_on.get(channel) is now_free:
                continue  # unchanged for this channel: the sets are already right
            free_on[channel] = now_free
            if now_free:
                for q, meets, _lowest in entries:
                    q.free.add(agent_id)
                    if meets:
                        q.free_meets.add(agent_id)
            else:
                for q, _meets, _lowest in entries:
                    q.free.discard(agent_id)
                    q.free_meets.discard(agent_id)

    def _refresh_one(self, agent: AgentRecord, q: QueueRecord) -> None:
        q.free.discard(agent.id)
        q.free_meets.discard(agent.id)
        if agent.presence is _AVAILABLE and agent.load.can_take(q.channel):
            q.free.add(agent.id)
            if q.cands[agent.id][0]:
                q.free_meets.add(agent.id)

    def _release(self, agent: AgentRecord, item: ItemRecord, now: float, refresh: bool = True) -> None:
        item_id = item.id
        agent_id = agent.id
        del agent.holding[item_id]
        item.holders.pop(agent_id, None)
        if item.offered_to == agent_id:
            item.offered_to = None
            item.queue.offered.discard(item_id)
        agent.load.remove(item.work.channel)
        agent.idle_since = now
        if refresh:
            self._refresh(agent)

    def _exclude(self, item: ItemRecord, agent_id: int) -> None:
        if item.excluded is None:
            item.excluded = {agent_id}
        else:
            item.excluded.add(agent_id)
        if agent_id in item.pref_ids:
            item.pref_done = True
            self._close_pref_window(item)

    def _close_pref_window(self, item: ItemRecord) -> None:
        if not item.pref_open:
            return
        item.pref_open = False
        for agent_id in item.pref_ids:
            agent = self._agents.get(agent_id)
            if agent is not None:
                agent.pref_items.discard(item.id)
        self._relane(item)

    def _drop(self, item: ItemRecord) -> None:
        item.state = ENDED
        if item.lane is not None:
            self._delane(item)
        if item.pref_open:
            self._close_pref_window(item)
        item.armed = False
        item_id = item.id
        del self._items[item_id]
        q = item.queue
        q.offered.discard(item_id)
        q.held.discard(item_id)

    def _disarm(self, item: ItemRecord) -> None:
        """The item left its queue for good (accepted, moved): its queue timers and window end."""
        item.armed = False
        self._token += 1
        item.token = self._token
        self._close_pref_window(item)

    def _insert(self, item: ItemRecord, q: QueueRecord) -> None:
        """Into the queue's routing order; into a lane by _arm (or _enlane for a restored item)."""
        item.queue = q
        item.work.queue_id = q.id
        item.key = q.key(item)  # same enqueued_at and seq: FIFO among equals survives a move
        item.state = WAITING
        item.lang = primary_language(item.work.language or q.spec.language)
        insort(q.waiting, item.key)

    def _unwait(self, item: ItemRecord) -> None:
        waiting = item.queue.waiting
        del waiting[bisect_left(waiting, item.key)]
        self._delane(item)

    def _requeue(self, item: ItemRecord, now: float) -> None:
        """Back to its place in its queue (an offer came to nothing)."""
        item.state = WAITING
        insort(item.queue.waiting, item.key)
        if item.armed:
            self._enlane(item)
        else:
            self._arm(item, now)

    @staticmethod
    def _enlane(item: ItemRecord) -> None:
        site = item.work.site
        lane_key = (
            item.need,
            None if item.lang_open else item.lang,
            None if site is None or item.site_open else site,
            item.pref_open,
        )
        lanes = item.queue.lanes
        lane = lanes.get(lane_key)
        if lane is None:
            lane = lanes[lane_key] = []
        insort(lane, item.key)
        item.lane = lane
        item.lane_key = lane_key

    @staticmethod
    def _delane(item: ItemRecord) -> None:
        lane = item.lane
        if lane is None:
            return
        del lane[bisect_left(lane, item.key)]
        if not lane:
            del item.queue.lanes[item.lane_key]  # type: ignore[arg-type]
        item.lane = None
        item.lane_key = None

    def _relane(self, item: ItemRecord) -> None:
        """The item's demands changed (relaxed, window over...): move it to its new lane if it is in one."""
        if item.lane is not None:
            self._delane(item)
            self._enlane(item)

    @staticmethod
    def _site_wait(q: QueueRecord) -> float:
        return q.steps[0].after_seconds if q.steps else SITE_WAIT_SECONDS

    def _arm(self, item: ItemRecord, now: float) -> None:
        """Set the item's flags and timers for its (new) queue from the time it has already waited."""
        q = item.queue
        spec = q.spec
        enqueued = item.work.enqueued_at
        waited = now - enqueued
        self._token += 1
        token = item.token = self._token
        item.armed = True
        relaxed = [r for r in item.relaxed if r.startswith("overflowed")] if item.relaxed else []
        # Proficiency steps already due apply at once, up to the first overflow step (which its timer fires).
        level, need, steps = 0, -1, q.steps
        while level < len(steps) and steps[level].after_seconds <= waited and steps[level].overflow_queue_id is None:
            step = steps[level]
            need = step.min_proficiency if step.min_proficiency is not None else 0
            relaxed.append(q.step_texts[level])
            level += 1
        item.level, item.need = level, need
        self._schedule_step(item)
        self._close_pref_window(item)
        if item.pref_ids and not item.pref_done and waited < spec.preferred_wait_seconds:
            item.pref_open = True
            for agent_id in item.pref_ids:
                agent = self._agents.get(agent_id)
                if agent is not None:
                    agent.pref_items.add(item.id)
            self._push(enqueued + spec.preferred_wait_seconds, _PREF, item.id, 0, token)
        item.lang = primary_language(item.work.language or spec.language)
        item.lang_open = False
        if item.lang is not None:
            if waited >= spec.language_wait_seconds:
                item.lang_open = True
                relaxed.append(f"language {item.lang} -> any after {spec.language_wait_seconds:g} s")
            else:
                self._push(enqueued + spec.language_wait_seconds, _LANG, item.id, 0, token)
        item.site_open = False
        if item.work.site is not None:
            site_wait = self._site_wait(q)
            if waited >= site_wait:
                item.site_open = True
                relaxed.append(f"site {item.work.site} -> any after {site_wait:g} s")
            else:
                self._push(enqueued + site_wait, _SITE, item.id, 0, token)
        item.relaxed = tuple(relaxed)
        if item.state == WAITING:
            self._delane(item)
            self._enlane(item)

    def _schedule_step(self, item: ItemRecord) -> None:
        steps = item.queue.steps
        if item.level < len(steps):
            self._push(item.work.enqueued_at + steps[item.level].after_seconds, _RELAX, item.id, item.level, item.token)

    def _restricted(self, item: ItemRecord) -> bool:
        """Inside the preferred window and some preferred agent is present: only they may take it."""
        agents = self._agents
        for agent_id in item.pref_ids:
            agent = agents.get(agent_id)
            if agent is not None and agent.presence is not _OFFLINE:
                return True
        return False

    @staticmethod
    def _preferred_reason(item: ItemRecord, agent_id: int) -> str | None:
        for preference in item.work.preferred:
            if preference.agent_id == agent_id:
                return preference.reason
        return None

    # --- decisions -------------------------------------------------------------------------
    def _offer(
        self,
        item: ItemRecord,
        agent: AgentRecord,
        now: float,
        explanation: Explanation,
        effects: list[Effect],
        refresh: bool = True,
    ) -> None:
        q = item.queue
        item_id = item.id
        agent_id = agent.id
        if item.state == WAITING:
            waiting = q.waiting
            if waiting:  # a new item offered at once was never put in line (Router.enqueue)
                index = bisect_left(waiting, item.key)
                if index < len(waiting) and waiting[index][3] == item_id:
                    del waiting[index]
            if item.lane is not None:
                self._delane(item)
        item.state = OFFERED
        item.offered_to = agent_id
        item.holders[agent_id] = "offered"
        agent.holding[item_id] = "offered"
        agent.load.add(item.work.channel)
        agent.idle_since = now
        if refresh:
            self._refresh(agent)
        q.offered.add(item_id)
        self._token += 1
        token = item.offer_token = self._token
        expires = item.offer_expires = now + q.spec.offer_timeout_seconds
        self._timer_seq += 1  # _push, inlined
        _heappush(self._timers, (expires, self._timer_seq, _OFFER, item_id, agent_id, token))
        effects.append(_effect(_OFFERED, item_id, agent_id, explanation, now))

    def _fits(self, agent: AgentRecord, fit: Fit, item: ItemRecord) -> bool:
        """The eligibility rule, minus presence and capacity (the free sets already hold those)."""
        excluded = item.excluded
        if excluded is not None and agent.id in excluded:
            return False
        need = item.need
        if need < 0:
            if not fit[0]:
                return False
        elif need > fit[1]:
            return False
        if item.lang is not None and not item.lang_open and item.lang not in agent.langs:
            return False
        site = item.work.site
        return site is None or item.site_open or site == agent.spec.site

    def _serve_item(self, item: ItemRecord, now: float, effects: list[Effect]) -> None:
        """Offer one waiting item to the best free agent, if any may take it."""
        if self._deferred is not None:
            self._deferred[1].append(item)
            return
        if item.state != WAITING:
            return
        q = item.queue
        free = q.free
        if not free:
            return
        agents = self._agents
        cands = q.cands
        if item.pref_open and self._restricted(item):
            for agent_id in item.pref_ids:
                if agent_id in free and self._fits(agents[agent_id], cands[agent_id], item):
                    agent = agents[agent_id]
                    text = f"the customer's {self._preferred_reason(item, agent_id)} agent was free"
                    self._offer(item, agent, now, self._explain(item, agent, q.spec.strategy, text, 1, True), effects)
                    return
            return
        strategy = q.spec.strategy
        need = item.need
        lang = item.lang
        site = item.work.site
        excluded = item.excluded
        if strategy is _LONGEST_IDLE and lang is None and excluded is None and (site is None or item.site_open):
            # The usual case, and the simulator's: no language, site or refusal to check, the longest idle
            # agent wins (key (idle_since, agent_id), compared here without building it).
            pool = q.free_meets if need < 0 else free
            best = 0
            best_idle = 0.0
            count = 0
            for agent_id in pool:
                if need >= 0 and need > cands[agent_id][1]:
                    continue
                idle = agents[agent_id].idle_since
                if count == 0 or idle < best_idle or (idle == best_idle and agent_id < best):
                    best, best_idle = agent_id, idle
                count += 1
            if not count:
                return
            if self._explaining:
                self._hand_over(item, q, agents[best], count, now, effects)
            else:
                self._offer(item, agents[best], now, UNEXPLAINED, effects)
            return
        key_of = key_function(strategy)
        lang_closed = lang is not None and not item.lang_open
        prefer_speakers = lang is not None and item.lang_open  # interpreter only if no speaker is free
        site_closed = site is not None and not item.site_open
        least = strategy is Strategy.LEAST_OCCUPIED
        best_key: tuple[float, ...] | None = None
        best_id = 0
        count = 0
        speaker_key: tuple[float, ...] | None = None
        speaker_id = 0
        speakers = 0
        # The eligibility rule of _fits, inlined: this loop runs for every arrival while agents are free.
        for agent_id in q.free_meets if need < 0 else free:
            if excluded is not None and agent_id in excluded:
                continue
            fit = cands[agent_id]
            if need > fit[1]:
                continue
            agent = agents[agent_id]
            if lang_closed and lang not in agent.langs:
                continue
            if site_closed and agent.spec.site != site:
                continue
            key = key_of(agent_id, agent.idle_since, fit[2], agent.load.occupancy() if least else 0.0)
            count += 1
            if best_key is None or key < best_key:
                best_key, best_id = key, agent_id
            if prefer_speakers and lang in agent.langs:
                speakers += 1
                if speaker_key is None or key < speaker_key:
                    speaker_key, speaker_id = key, agent_id
        if best_key is None:
            return
        if speaker_key is not None:
            best_id, count = speaker_id, speakers
        self._hand_over(item, q, agents[best_id], count, now, effects)

    def _hand_over(
        self, item: ItemRecord, q: QueueRecord, agent: AgentRecord, count: int, now: float, effects: list[Effect]
    ) -> None:
        """Offer the item to the agent its queue's strategy chose among `count` eligible ones."""
        if not self._explaining:
            self._offer(item, agent, now, UNEXPLAINED, effects)
            return
        strategy = q.spec.strategy
        chosen = Option(agent.id, agent.idle_since, q.cands[agent.id][2], agent.load.occupancy())
        requirement = f" with {explain.skills_text(q.spec.skills)}" if q.spec.skills else ""
        text = reason(strategy, chosen, count, requirement, now)
        self._offer(item, agent, now, self._explain(item, agent, strategy, text, count, False), effects)

    def _explain(
        self, item: ItemRecord, chosen: AgentRecord, strategy: str, text: str, count: int, restricted: bool
    ) -> Explanation:
        """The explanation of an item-side decision: up to MAX_PASSED_OVER agents not chosen, and why."""
        if not self._explaining:
            return UNEXPLAINED
        q = item.queue
        agents = self._agents
        passed: list[PassedOver] = []
        looked = 0
        for agent_id, fit in q.cands.items():
            if len(passed) >= explain.MAX_PASSED_OVER or looked >= explain.MAX_PASSED_OVER + 3:
                break
            if agent_id == chosen.id:
                continue
            looked += 1
            why = explain.agent_refusal(agents[agent_id], fit, item, restricted)
            if why is not None:
                passed.append(PassedOver(agent_id, why))
        interpreter = item.lang is not None and item.lang not in chosen.langs
        if interpreter:
            text += ", interpreter needed"
        return Explanation(
            strategy=str(strategy),
            reason=text,
            candidates=count,
            passed_over=tuple(passed),
            relaxed=item.relaxed,
            interpreter_needed=interpreter,
            preferred=self._preferred_reason(item, chosen.id) if item.pref_ids else None,
        )

    def _offer_reserved(self, agent: AgentRecord, now: float, effects: list[Effect]) -> bool:
        best: ItemRecord | None = None
        for work_id in agent.pref_items:
            item = self._items[work_id]
            if item.state != WAITING or not item.pref_open or not agent.load.can_take(item.work.channel):
                continue
            fit = item.queue.cands.get(agent.id)
            if fit is None or not self._fits(agent, fit, item):
                continue
            if best is None or self._ahead(item, best, now):
                best = item
        if best is None:
            return False
        text = f"reserved for {agent.spec.name} as the customer's {self._preferred_reason(best, agent.id)} agent"
        self._offer(best, agent, now, self._explain(best, agent, best.queue.spec.strategy, text, 1, True), effects)
        return True

    @staticmethod
    def _ahead(a: ItemRecord, b: ItemRecord, now: float) -> bool:
        """Whether item a comes before item b: higher effective priority at `now`, then earlier arrival."""
        eff_a = a.queue.aging60 * now - a.key[0]
        eff_b = b.queue.aging60 * now - b.key[0]
        if eff_a != eff_b:
            return eff_a > eff_b
        return (a.key[1], a.key[2]) < (b.key[1], b.key[2])

    def _serve_agent(self, agent: AgentRecord, now: float, effects: list[Effect]) -> None:
        """An agent may have capacity: hand them the best items they can take, while they can take more.

        The hot path. Items inside their preferred-agent window that name this agent come first: they
        are reserved for them (the customer-centric promise: a preferred agent who becomes free gets the
        offer). Then one pass over the agent's queues finds each queue's first item they may take (lane
        by lane); successive offers reuse those heads, re-reading only the queue an item was taken from.
        """
        if self._deferred is not None:
            self._refresh(agent)
            self._deferred[0].append(agent)
            return
        if agent.presence is not _AVAILABLE:
            self._refresh(agent)
            return
        while agent.pref_items and self._offer_reserved(agent, now, effects):
            pass
        self._offer_heads(agent, now, effects)
        self._refresh(agent)

    def _offer_heads(self, agent: AgentRecord, now: float, effects: list[Effect]) -> None:
        """Offer the best item the agent may take, again while they have room (free sets: refreshed by the caller).

        A queue's first item has the highest effective priority in it (its bound). The queue with the highest
        bound is searched first; another queue is searched only if its bound can still beat the best so far."""
        load = agent.load
        items = self._items
        while True:
            if load.exclusive:
                return  # an exclusive item (a call) leaves room for nothing: can_take is False for every channel
            open_entries: list[tuple[QueueRecord, bool, int]] = []
            top: tuple[QueueRecord, bool, int] | None = None
            top_bound = 0.0
            for channel, entries in agent.scan.items():
                room: bool | None = None  # load.can_take(channel), asked once some queue of it has work waiting
                for entry in entries:
                    q = entry[0]
                    waiting = q.waiting
                    if waiting:
                        if room is None:
                            room = load.can_take(channel)
                        if not room:
                            break
                        open_entries.append(entry)
                        bound = q.aging60 * now - waiting[0][0]
                        if top is None or bound > top_bound:
                            top, top_bound = entry, bound
            if top is None:
                return
            skipped: list[PassedOver] | None = [] if self._explaining else None
            best: tuple[float, float, int, int] | None = None
            best_eff = 0.0
            q, meets, lowest = top
            head = self._queue_head(agent, q, meets, lowest, skipped)
            if head is not None:
                best, best_eff = head, q.aging60 * now - head[0]
            if best is None or len(open_entries) > 1:
                for entry in open_entries:
                    if entry is top:
                        continue
                    q, meets, lowest = entry
                    if best is not None and q.aging60 * now - q.waiting[0][0] < best_eff:
                        continue  # even its first item comes after the best found
                    head = self._queue_head(agent, q, meets, lowest, skipped)
                    if head is None:
                        continue
                    eff = q.aging60 * now - head[0]
                    if best is None or eff > best_eff or (eff == best_eff and head[1:3] < best[1:3]):
                        best, best_eff = head, eff
            if best is None:
                return
            item = items[best[3]]
            explanation = (
                UNEXPLAINED
                if skipped is None
                else self._explain_taken(agent, item, best_eff, len(open_entries), tuple(skipped), now)
            )
            self._offer(item, agent, now, explanation, effects, refresh=False)

    def _queue_head(
        self, agent: AgentRecord, q: QueueRecord, meets: bool, lowest: int, skipped: list[PassedOver] | None
    ) -> tuple[float, float, int, int] | None:
        """The first item of `q`, in routing order, that `agent` may take (capacity aside), or None."""
        agent_id = agent.id
        langs = agent.langs
        site = agent.spec.site
        items = self._items
        head: tuple[float, float, int, int] | None = None
        for lane_key, lane in q.lanes.items():
            need, lang, lane_site, in_window = lane_key
            if (
                (not meets if need < 0 else need > lowest)
                or (lang is not None and lang not in langs)
                or (lane_site is not None and lane_site != site)
            ):
                if skipped is not None and len(skipped) < MAX_SKIPPED:
                    skipped.append(_lane_refusal(q, lane_key, lane[0][3], meets, lowest, langs))
                continue
            if head is not None and lane[0] > head:
                continue  # a lane is sorted: nothing in it comes before this queue's head so far
            looked = 0
            for entry in lane:
                if looked >= SCAN_LIMIT:
                    break
                looked += 1
                item = items[entry[3]]
                excluded = item.excluded
                if excluded is not None and agent_id in excluded:
                    if skipped is not None and len(skipped) < MAX_SKIPPED:
                        skipped.append(PassedOver(item.id, "this agent rejected or missed it"))
                    continue
                if in_window and agent_id not in item.pref_ids and self._restricted(item):
                    if skipped is not None and len(skipped) < MAX_SKIPPED:
                        skipped.append(PassedOver(item.id, "waiting for the customer's preferred agent"))
                    continue
                if head is None or entry < head:
                    head = entry
                break
        return head

    def _explain_taken(
        self, agent: AgentRecord, item: ItemRecord, eff: float, heads: int, passed: tuple[PassedOver, ...], now: float
    ) -> Explanation:
        waited = now - item.work.enqueued_at
        text = (
            f"{agent.spec.name} had free capacity; the highest-priority item they could take "
            f"in their {heads} queues with work waiting (waited {waited:.0f} s, priority {eff:.1f})"
        )
        interpreter = item.lang is not None and item.lang not in agent.langs
        return Explanation(
            strategy=AGENT_SIDE,
            reason=text + ", interpreter needed" if interpreter else text,
            candidates=heads,
            passed_over=passed,
            relaxed=item.relaxed,
            interpreter_needed=interpreter,
            preferred=self._preferred_reason(item, agent.id) if item.pref_ids else None,
        )
