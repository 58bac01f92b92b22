"""The router: holds who is free and what waits, and turns every event into offers (with reasons).

CONTRACT (written by the lead; the implementation fills in the bodies, keeping these signatures):

State it keeps, all in memory, rebuilt from the database by the service after a restart:
- queues (QueueSpec), agents (AgentSpec + presence + away reason + idle_since), and for each agent
  the items they hold: work_id -> phase ("offered" | "active" | "wrap_up");
- for each queue, its waiting items in routing order. Order key inside a queue is static even
  though priority ages: effective priority = queue.priority + work.priority + aging * waited / 60,
  so sorting by (aging * enqueued_at / 60 - (queue.priority + work.priority), enqueued_at, seq)
  ascending gives the same order at every instant. Equal priority means FIFO. An item that goes
  back to the queue (offer rejected or timed out, transfer) keeps its key, hence its place;
- timers (a heap of due times, lazily invalidated): offer timeouts, the end of a preferred-agent
  window, relaxation steps, the language wait, the site-bound wait, wrap-up timers.

Routing rules (every one is to be tested):
- Eligible agent for an item: serves the item's tenant; presence AVAILABLE; has capacity for the
  channel (see capacity rules below); has every queue skill at >= the item's current minimum
  proficiency (the queue's, lowered by relaxation steps whose time has come; None = any level);
  speaks the item's language (item.language or queue.language; primary subtag compared, "fr-CA"
  matches "fr"; None = no requirement) unless the language wait is over, in which case anyone
  and the explanation says interpreter_needed=True; works at item.site if set (until the site
  wait, below, is over); has not rejected or missed this item before (unless nobody else is
  eligible... no: simply excluded for this item while it waits in this queue).
- Customer-centric first: while now < enqueued_at + preferred_wait_seconds and at least one of
  item.preferred agents is present (presence not OFFLINE), only those preferred agents may take
  it (first in tuple order who is eligible). If a preferred agent becomes free inside the window
  they get it. An agent's reject or timeout of a preferred offer ends the window for that item.
- Choosing among eligible agents uses the queue's Strategy (see model.Strategy).
- An agent who gets capacity (goes available, finishes wrap-up, accepts a transfer elsewhere...)
  takes the best item among the queues they can serve: compare the first eligible item of each
  such queue (scan at most SCAN_LIMIT items per queue) by effective priority at `now`; ties by
  enqueued_at. That is also what `tick` and `set_presence` do.
- Capacity (per agent profile): items held in any phase count against their channel. New item of
  channel c allowed iff limit(c) > 0, count(c) < limit(c), total < max_total (if set), no held item
  is of an exclusive channel, and if c is exclusive every held item is of an interruptible channel.
- Relaxation: step i applies once now >= enqueued_at + after_seconds. A step with
  overflow_queue_id moves the item to that queue (effect OVERFLOWED, to_queue_id) keeping its
  enqueued_at; other steps lower the minimum proficiency (effect RELAXED). When a step comes due
  the item is immediately tried against free agents.
- Site-bound items (overflow to a site) become open to every site when the first relaxation step
  is due, or after 60 s if the queue has none.
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

from dataclasses import dataclass, field

from helpline.domain.routing.model import (
    AgentSpec,
    AgentState,
    Effect,
    OverflowTarget,
    Presence,
    QueueSpec,
    Work,
)

SCAN_LIMIT = 64  # items looked at per queue when an agent asks for work; bounds the worst case


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


class Router:
    """All routing state and decisions. Not thread-safe: the service holds a lock around it."""

    # --- configuration -------------------------------------------------------------------
    def set_queue(self, spec: QueueSpec, now: float) -> list[Effect]:
        """Add or replace a queue's settings; waiting items stay in place (re-keyed if priority changed)."""
        raise NotImplementedError

    def set_agent(self, spec: AgentSpec, now: float) -> list[Effect]:
        """Add or replace an agent's skills, languages, tenants, site, profile. New agents start OFFLINE."""
        raise NotImplementedError

    def set_overflow(self, queue_id: int, targets: tuple[OverflowTarget, ...]) -> None:
        """Replace a queue's overflow weights at runtime (weights >= 0, at least one > 0, or empty = none)."""
        raise NotImplementedError

    # --- presence --------------------------------------------------------------------------
    def set_presence(self, agent_id: int, presence: Presence, now: float, reason: str | None = None) -> list[Effect]:
        """Agent or supervisor changes presence. AWAY takes a reason. Leaving AVAILABLE withdraws
        pending offers (OFFER_WITHDRAWN + re-routing); becoming AVAILABLE may bring offers."""
        raise NotImplementedError

    # --- work ------------------------------------------------------------------------------
    def enqueue(self, work: Work, now: float) -> list[Effect]:
        """A new item (or one restored after restart: same enqueued_at, same place)."""
        raise NotImplementedError

    def accept(self, work_id: int, agent_id: int, now: float) -> None:
        raise NotImplementedError

    def reject(self, work_id: int, agent_id: int, now: float) -> list[Effect]:
        """The agent declines: they stay available, the item goes back to its place and is re-routed."""
        raise NotImplementedError

    def end(self, work_id: int, now: float) -> list[Effect]:
        """The conversation is over: its agents go into wrap-up for it."""
        raise NotImplementedError

    def wrap_up(self, work_id: int, agent_id: int, now: float) -> list[Effect]:
        """The agent finished after-contact work: the slot is free (offers may follow)."""
        raise NotImplementedError

    def abandon(self, work_id: int, now: float) -> list[Effect]:
        """The customer left: a waiting or offered item disappears (OFFER_WITHDRAWN if it was
        offered); an active one is ended (its agents go into wrap-up)."""
        raise NotImplementedError

    def transfer_to_queue(self, work_id: int, queue_id: int, now: float) -> list[Effect]:
        """Every agent holding the item lets go of it (slots free); it waits in `queue_id` (same
        tenant) keeping its original enqueued_at."""
        raise NotImplementedError

    def transfer_to_agent(self, work_id: int, agent_id: int, now: float) -> list[Effect]:
        """Offer the item directly to `agent_id` (must be able to take it now, else Conflict); the
        agents holding it let go once the new agent accepts... simpler: they let go now."""
        raise NotImplementedError

    def add_agent(self, work_id: int, agent_id: int, now: float) -> None:
        """A second agent joins an active item (a chat consult); counts against their capacity."""
        raise NotImplementedError

    def tick(self, now: float) -> list[Effect]:
        """Fire every timer due at or before `now` (offer timeouts, windows, relaxation, wrap-ups)."""
        raise NotImplementedError

    def next_timer(self) -> float | None:
        raise NotImplementedError

    # --- restore after restart (no routing happens until route_all) -------------------------
    def restore_held(self, work: Work, agent_ids: tuple[int, ...], phase: str, since: float) -> None:
        """An item the database says is offered (one agent), active or in wrap-up (one or more)."""
        raise NotImplementedError

    def restore_waiting(self, work: Work) -> None:
        raise NotImplementedError

    def route_all(self, now: float) -> list[Effect]:
        """Offer what can be offered now (after a restore, or after bulk changes)."""
        raise NotImplementedError

    # --- questions -----------------------------------------------------------------------
    def position(self, work_id: int) -> int | None:
        """1-based place of a waiting item in its queue; None if it is not waiting."""
        raise NotImplementedError

    def waiting(self, queue_id: int) -> list[int]:
        """Waiting item ids of a queue in routing order."""
        raise NotImplementedError

    def queue_snapshot(self, queue_id: int, now: float) -> QueueSnapshot:
        raise NotImplementedError

    def agent_view(self, agent_id: int) -> AgentView:
        raise NotImplementedError

    def agents_by_state(self, tenant_id: int) -> dict[AgentState, int]:
        """Agents serving the tenant by state (every AgentState key present)."""
        raise NotImplementedError

    def work(self, work_id: int) -> Work | None:
        raise NotImplementedError

    def holders(self, work_id: int) -> dict[int, str]:
        """agent_id -> phase for an item that is offered or held; empty if waiting or unknown."""
        raise NotImplementedError
