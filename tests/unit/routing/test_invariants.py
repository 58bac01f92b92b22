"""Routing invariants under arbitrary event sequences (hypothesis stateful testing).

After every step, checked from scratch against the router's public answers:
- no agent over capacity (recounted from the channels of what they hold), and no call held beside
  anything but interruptible work;
- every item in exactly one place: waiting in exactly one queue, or offered to exactly one agent,
  or held; agents' holdings and items' holders agree;
- nothing lost or duplicated: every enqueued item that was not ended, abandoned or sent to a
  partner is still known;
- every routed offer goes to an agent allowed to take the item, and no free agent is left beside a
  waiting item they may take (the eligibility rule is written here again, independently of the engine);
- FIFO: an offer of an item never skips an older item of the same queue and priority that the same
  agent could take (unless the offered item was reserved for them as their customer's preferred agent);
- a preferred agent who becomes free inside the window gets their customer's item first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from helpline.domain.errors import Conflict
from helpline.domain.routing.capacity import can_take, within_limits
from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import (
    BLENDED,
    DIGITAL,
    VOICE_ONLY,
    AgentSpec,
    CapacityProfile,
    Effect,
    EffectKind,
    OverflowTarget,
    Presence,
    QueueSpec,
    RelaxStep,
    Work,
)
from helpline.domain.routing.records import primary_language

from .builders import T0, offers, work

SMALL = CapacityProfile("small", {"chat": 2, "email": 1, "voice": 1}, max_total=2)
PROFILES = (BLENDED, DIGITAL, VOICE_ONLY, SMALL)
SKILLS = ("a", "b", "c")
QUEUES = (
    QueueSpec(
        1,
        1,
        "sales",
        "chat",
        skills={"a": 3},
        relaxation=(RelaxStep(30, min_proficiency=1), RelaxStep(60, overflow_queue_id=4)),
        preferred_wait_seconds=20,
        language_wait_seconds=25,
        offer_timeout_seconds=15,
        wrap_up_seconds=10,
    ),
    QueueSpec(2, 1, "phone", "voice", skills={"b": 2}, language="fr", priority=1, offer_timeout_seconds=15),
    QueueSpec(
        3,
        1,
        "mail",
        "email",
        overflow=(OverflowTarget("main", "site", 2), OverflowTarget("lisbon", "site", 1)),
        aging_per_minute=2.0,
        wrap_up_seconds=5,
    ),
    QueueSpec(4, 1, "overflow", "chat", skills={"c": 2}, relaxation=(RelaxStep(20, min_proficiency=None),)),
    QueueSpec(5, 2, "other tenant", "chat", offer_timeout_seconds=15, strategy="most_proficient"),  # type: ignore[arg-type]
)
QUEUE_BY_ID = {q.id: q for q in QUEUES}
CHANNEL = {q.id: q.channel for q in QUEUES}
SITE_WAIT = 60.0


class RouterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.r = Router()
        self.now = T0
        for spec in QUEUES:
            self.r.set_queue(spec, self.now)
        self.specs: dict[int, AgentSpec] = {}
        self.next_agent = 1
        self.next_work = 1
        self.enqueued: dict[int, Work] = {}  # every id that was queued (not sent to a partner)
        self.may_vanish: set[int] = set()  # ended or abandoned: may disappear once wrapped up
        self.excluded: dict[int, set[int]] = {}  # the reference's own record of who rejected/missed what
        self.pref_done: set[int] = set()
        self.arrival: dict[int, int] = {}  # our arrival counter, to order equal enqueued_at

    # --- the reference eligibility rule ---------------------------------------------------
    def held_channels(self, agent_id: int) -> list[str]:
        channels = []
        for wid in self.r.agent_view(agent_id).holding:
            item = self.r.work(wid)
            assert item is not None, f"agent {agent_id} holds unknown item {wid}"
            channels.append(item.channel)
        return channels

    def present(self, agent_id: int) -> bool:
        return agent_id in self.specs and self.r.agent_view(agent_id).presence is not Presence.OFFLINE

    def may_take(self, agent_id: int, wid: int, *, check_free: bool = True) -> bool:
        spec = self.specs[agent_id]
        item = self.r.work(wid)
        assert item is not None
        q = QUEUE_BY_ID[item.queue_id]
        if check_free:
            if self.r.agent_view(agent_id).presence is not Presence.AVAILABLE:
                return False
            if not can_take(spec.profile, self.held_channels(agent_id), item.channel):
                return False
        if item.tenant_id not in spec.tenants or spec.profile.limits.get(q.channel, 0) <= 0:
            return False
        waited = self.now - item.enqueued_at
        need = -1
        for step in sorted(q.relaxation, key=lambda s: s.after_seconds):
            if step.after_seconds > waited or step.overflow_queue_id is not None:
                break
            need = step.min_proficiency if step.min_proficiency is not None else 0
        for skill, minimum in q.skills.items():
            have = spec.skills.get(skill)
            if have is None or have < (minimum if need < 0 else need):
                return False
        if agent_id in self.excluded.get(wid, set()):
            return False
        preferred = [p.agent_id for p in item.preferred]
        window = preferred and wid not in self.pref_done and waited < q.preferred_wait_seconds
        if window and agent_id not in preferred and any(self.present(p) for p in preferred):
            return False
        lang = primary_language(item.language or q.language)
        if lang and waited < q.language_wait_seconds and lang not in {primary_language(x) for x in spec.languages}:
            return False
        site_wait = min((s.after_seconds for s in q.relaxation), default=SITE_WAIT)
        return not (item.site is not None and waited < site_wait and item.site != spec.site)

    def reserved_for(self, agent_id: int) -> list[int]:
        """Waiting items inside their window that name this agent and that the agent may take (capacity aside)."""
        found = []
        for q in QUEUES:
            for wid in self.r.waiting(q.id):
                item = self.r.work(wid)
                assert item is not None
                waited = self.now - item.enqueued_at
                if (
                    agent_id in [p.agent_id for p in item.preferred]
                    and wid not in self.pref_done
                    and waited < q.preferred_wait_seconds
                    and self.may_take(agent_id, wid, check_free=False)
                ):
                    found.append(wid)
        return found

    # --- effects --------------------------------------------------------------------------
    def apply(self, effects: Iterable[Effect], *, timers: bool = False) -> list[Effect]:
        effects = list(effects)
        if not timers:  # timers may make an older item eligible mid-call; other calls change nothing but load
            self.check_order_within_call(effects)
        for e in effects:
            if e.kind is EffectKind.OFFER_TIMED_OUT:
                assert e.agent_id is not None
                self.miss(e.work_id, e.agent_id)
            elif e.kind is EffectKind.OVERFLOWED and e.to_queue_id is not None:
                self.excluded.pop(e.work_id, None)  # a new queue: who rejected it before may take it there
        for e in effects:
            if e.kind is EffectKind.OFFERED and e.explanation is not None and e.explanation.strategy != "direct":
                assert e.agent_id is not None
                if self.r.holders(e.work_id) != {e.agent_id: "offered"}:
                    continue  # withdrawn later in the same call (a timeout, a presence change): judged then
                assert self.may_take(e.agent_id, e.work_id, check_free=False), f"{e.work_id} offered to {e.agent_id}"
                self.check_fifo(e)
        return effects

    def miss(self, wid: int, agent_id: int) -> None:
        self.excluded.setdefault(wid, set()).add(agent_id)
        item = self.r.work(wid)
        if item is not None and agent_id in [p.agent_id for p in item.preferred]:
            self.pref_done.add(wid)

    def check_order_within_call(self, effects: list[Effect]) -> None:
        """Several items handed to one agent in one call come in arrival order within a queue and priority."""
        last: dict[tuple[int, int, int], int] = {}
        for e in effects:
            if e.kind is not EffectKind.OFFERED or e.explanation is None or e.explanation.strategy != "best_item":
                continue
            item = self.enqueued[e.work_id]
            queue_id = self.r.work(e.work_id).queue_id  # type: ignore[union-attr]
            key = (e.agent_id or 0, queue_id, item.priority)
            if key in last:
                earlier = self.enqueued[last[key]]
                assert (earlier.enqueued_at, self.arrival[earlier.id]) < (item.enqueued_at, self.arrival[item.id]), (
                    f"agent {e.agent_id} got {e.work_id} after the younger {last[key]}"
                )
            last[key] = e.work_id

    def check_fifo(self, offer: Effect) -> None:
        assert offer.agent_id is not None
        item = self.r.work(offer.work_id)
        if item is None or self.r.agent_view(offer.agent_id).presence is not Presence.AVAILABLE:
            return
        if offer.explanation is not None and offer.explanation.reason.startswith("reserved for"):
            return
        for wid in self.r.waiting(item.queue_id):
            other = self.r.work(wid)
            assert other is not None
            older = (other.enqueued_at, self.arrival[wid]) < (item.enqueued_at, self.arrival[item.id])
            if other.priority == item.priority and older:
                assert not self.may_take(offer.agent_id, wid, check_free=False), (
                    f"offered {item.id} to {offer.agent_id} while older {wid} of the same priority waits"
                )

    def serve(self, agent_id: int, call: Callable[[], list[Effect]]) -> list[Effect]:
        """Run a call that may free `agent_id`; their first offer must be a reserved item if one was waiting."""
        reserved_before = self.reserved_for(agent_id)
        effects = self.apply(call())
        if self.r.agent_view(agent_id).presence is not Presence.AVAILABLE:
            return effects
        mine = [wid for wid, aid in offers(effects) if aid == agent_id]
        if not mine:
            return effects
        # What the agent held just before their first offer in this call: releases come before offers.
        before_offers = [
            c
            for w, c in zip(self.r.agent_view(agent_id).holding, self.held_channels(agent_id), strict=True)
            if w not in mine
        ]
        profile = self.specs[agent_id].profile
        takeable = [
            w
            for w in reserved_before
            if (w in mine or w in self.reserved_for(agent_id))
            and can_take(profile, before_offers, self.enqueued[w].channel)
        ]
        if takeable:
            assert mine[0] in takeable, f"agent {agent_id} got {mine[0]} before reserved {takeable}"
        return effects

    # --- rules ----------------------------------------------------------------------------
    AGENT: st.SearchStrategy[dict[str, Any]] = st.builds(
        dict,
        profile=st.sampled_from(PROFILES),
        skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5)),
        languages=st.sets(st.sampled_from(["en", "fr-FR", "de"]), min_size=1),
        tenants=st.sampled_from([frozenset({1}), frozenset({2}), frozenset({1, 2}), frozenset({1, 2})]),
        site=st.sampled_from(["main", "lisbon"]),
        available=st.booleans(),
    )

    def make_agent(
        self,
        profile: CapacityProfile,
        skills: dict[str, int],
        languages: set[str],
        tenants: frozenset[int],
        site: str,
        available: bool,
    ) -> None:
        agent_id = self.next_agent
        self.next_agent += 1
        spec = AgentSpec(agent_id, f"a{agent_id}", skills, frozenset(languages), tenants, site, profile)
        self.specs[agent_id] = spec
        self.apply(self.r.set_agent(spec, self.now))
        if available:
            self.serve(agent_id, lambda: self.r.set_presence(agent_id, Presence.AVAILABLE, self.now))

    @initialize(agents=st.lists(AGENT, min_size=1, max_size=4))
    def start_with_agents(self, agents: list[dict[str, Any]]) -> None:
        for fields in agents:
            self.make_agent(**fields)

    @precondition(lambda self: len(self.specs) < 7)
    @rule(fields=AGENT)
    def add_agent(self, fields: dict[str, Any]) -> None:
        self.make_agent(**fields)

    @precondition(lambda self: self.specs)
    @rule(data=st.data(), skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5)))
    def change_skills(self, data: st.DataObject, skills: dict[str, int]) -> None:
        agent_id = data.draw(st.sampled_from(sorted(self.specs)))
        spec = self.specs[agent_id]
        spec = AgentSpec(spec.id, spec.name, skills, spec.languages, spec.tenants, spec.site, spec.profile)
        self.specs[agent_id] = spec
        self.serve(agent_id, lambda: self.r.set_agent(spec, self.now))

    @precondition(lambda self: self.specs)
    @rule(data=st.data(), presence=st.sampled_from(list(Presence)), reason=st.sampled_from([None, "lunch"]))
    def set_presence(self, data: st.DataObject, presence: Presence, reason: str | None) -> None:
        agent_id = data.draw(st.sampled_from(sorted(self.specs)))
        self.serve(agent_id, lambda: self.r.set_presence(agent_id, presence, self.now, reason))

    @rule(data=st.data(), count=st.integers(1, 4))
    def arrivals(self, data: st.DataObject, count: int) -> None:
        for _ in range(count):
            self.enqueue_one(
                data,
                data.draw(st.sampled_from(sorted(QUEUE_BY_ID))),
                data.draw(st.sampled_from([0, 0, 1, 2])),
                data.draw(st.sampled_from([None, None, "fr", "en-GB", "de"])),
                data.draw(st.sampled_from([0.0, 0.0, 5.0])),
            )

    def enqueue_one(self, data: st.DataObject, queue_id: int, priority: int, language: str | None, back: float) -> None:
        wid = self.next_work
        self.next_work += 1
        candidates = [*sorted(self.specs), 99]
        preferred = data.draw(st.lists(st.sampled_from(candidates), max_size=2, unique=True))
        q = QUEUE_BY_ID[queue_id]
        item = work(
            wid,
            self.now - back,  # some items arrive "late" (restored): same-order rule must still hold
            qid=queue_id,
            channel=q.channel,
            tenant=q.tenant_id,
            priority=priority,
            language=language,
            preferred=[(a, "dedicated" if i == 0 else "recent") for i, a in enumerate(preferred)],
        )
        self.arrival[wid] = wid
        effects = self.apply(self.r.enqueue(item, self.now))
        if any(e.kind is EffectKind.OVERFLOWED and e.target for e in effects):
            assert self.r.work(wid) is None
            return
        self.enqueued[wid] = item

    def live(self, phase: str) -> list[int]:
        return [w for w in sorted(self.enqueued) if self.r.phase(w) == phase]

    @precondition(lambda self: self.enqueued)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        offered = self.live("offered")
        if offered:
            wid = data.draw(st.sampled_from(offered))
            (agent_id,) = self.r.holders(wid)
            self.r.accept(wid, agent_id, self.now)

    @precondition(lambda self: self.enqueued)
    @rule(data=st.data())
    def reject(self, data: st.DataObject) -> None:
        offered = self.live("offered")
        if offered:
            wid = data.draw(st.sampled_from(offered))
            (agent_id,) = self.r.holders(wid)
            self.miss(wid, agent_id)
            self.serve(agent_id, lambda: self.r.reject(wid, agent_id, self.now))

    @precondition(lambda self: self.enqueued)
    @rule(data=st.data())
    def end(self, data: st.DataObject) -> None:
        alive = [w for w in sorted(self.enqueued) if self.r.phase(w) in ("waiting", "offered", "active")]
        if alive:
            wid = data.draw(st.sampled_from(alive))
            self.may_vanish.add(wid)
            holders = list(self.r.holders(wid))
            effects = self.apply(self.r.end(wid, self.now))
            assert all(self.r.holders(wid).get(a, "wrap_up") == "wrap_up" for a in holders) or effects

    @precondition(lambda self: self.enqueued)
    @rule(data=st.data())
    def wrap_up(self, data: st.DataObject) -> None:
        pairs = [(w, a) for w in self.live("ended") for a, phase in self.r.holders(w).items() if phase == "wrap_up"]
        if pairs:
            wid, agent_id = data.draw(st.sampled_from(pairs))
            self.serve(agent_id, lambda: self.r.wrap_up(wid, agent_id, self.now))

    @precondition(lambda self: self.enqueued)
    @rule(data=st.data())
    def abandon(self, data: st.DataObject) -> None:
        wid = data.draw(st.sampled_from(sorted(self.enqueued)))
        if self.r.phase(wid) is not None:
            self.may_vanish.add(wid)
            self.apply(self.r.abandon(wid, self.now))

    @precondition(lambda self: self.enqueued)
    @rule(data=st.data())
    def transfer_to_queue(self, data: st.DataObject) -> None:
        alive = [w for w in sorted(self.enqueued) if self.r.phase(w) in ("waiting", "offered", "active")]
        if not alive:
            return
        wid = data.draw(st.sampled_from(alive))
        item = self.r.work(wid)
        assert item is not None
        targets = [q.id for q in QUEUES if q.tenant_id == item.tenant_id and q.channel == item.channel]
        target = data.draw(st.sampled_from(targets))
        self.excluded[wid] = set(self.r.holders(wid))  # who lets go is not offered it again there
        self.apply(self.r.transfer_to_queue(wid, target, self.now))

    @precondition(lambda self: self.enqueued and self.specs)
    @rule(data=st.data())
    def transfer_to_agent(self, data: st.DataObject) -> None:
        alive = [w for w in sorted(self.enqueued) if self.r.phase(w) in ("waiting", "offered", "active")]
        if not alive:
            return
        wid = data.draw(st.sampled_from(alive))
        agent_id = data.draw(st.sampled_from(sorted(self.specs)))
        before = self.r.holders(wid)
        try:
            self.apply(self.r.transfer_to_agent(wid, agent_id, self.now))
        except Conflict:
            assert self.r.holders(wid) == before
            return
        assert self.r.holders(wid) == {agent_id: "offered"}

    @precondition(lambda self: self.enqueued and self.specs)
    @rule(data=st.data())
    def add_second_agent(self, data: st.DataObject) -> None:
        active = self.live("active")
        if not active:
            return
        wid = data.draw(st.sampled_from(active))
        agent_id = data.draw(st.sampled_from(sorted(self.specs)))
        try:
            self.r.add_agent(wid, agent_id, self.now)
        except Conflict:
            return
        assert self.r.holders(wid)[agent_id] == "active"

    @rule(seconds=st.sampled_from([0.5, 1.0, 5.0, 10.0, 16.0, 31.0]))
    def tick(self, seconds: float) -> None:
        self.now += seconds
        effects = self.r.tick(self.now)
        self.apply(effects, timers=True)
        ended = {e.work_id for e in effects if e.kind is EffectKind.WRAP_UP_ENDED}
        assert ended <= self.may_vanish
        due = self.r.next_timer()
        assert due is None or due > self.now

    # --- invariants -----------------------------------------------------------------------
    @invariant()
    def nobody_over_capacity(self) -> None:
        for agent_id, spec in self.specs.items():
            channels = self.held_channels(agent_id)
            assert within_limits(spec.profile, channels), (agent_id, channels)
            exclusive = [c for c in channels if c in spec.profile.exclusive]
            if exclusive:
                others = [c for c in channels if c not in spec.profile.exclusive]
                assert len(exclusive) == 1 and all(c in spec.profile.interruptible for c in others), channels

    @invariant()
    def every_item_in_exactly_one_place(self) -> None:
        waiting_in: dict[int, list[int]] = {}
        for q in QUEUES:
            ids = self.r.waiting(q.id)
            assert len(ids) == len(set(ids))
            for wid in ids:
                waiting_in.setdefault(wid, []).append(q.id)
        held_by: dict[int, dict[int, str]] = {}
        for agent_id in self.specs:
            for wid, phase in self.r.agent_view(agent_id).holding.items():
                held_by.setdefault(wid, {})[agent_id] = phase
        for wid in self.enqueued:
            where = self.r.phase(wid)
            holders = self.r.holders(wid)
            assert held_by.get(wid, {}) == holders, (wid, held_by.get(wid), holders)
            if where == "waiting":
                assert waiting_in.get(wid) == [self.r.work(wid).queue_id]  # type: ignore[union-attr]
                assert holders == {}
                assert self.r.position(wid) is not None
            else:
                assert wid not in waiting_in
                assert self.r.position(wid) is None
            if where == "offered":
                assert list(holders.values()) == ["offered"]
            elif where == "active":
                assert holders and set(holders.values()) == {"active"}
            elif where == "ended":
                assert holders and set(holders.values()) == {"wrap_up"}
        assert set(waiting_in) <= set(self.enqueued)

    @invariant()
    def lanes_index_exactly_the_waiting_items(self) -> None:
        """The engine's per-queue lanes (its hot-path index) hold each waiting item once, and nothing else."""
        for q in QUEUES:
            record = self.r._queues[q.id]
            laned = sorted(entry[3] for lane in record.lanes.values() for entry in lane)
            assert laned == sorted(self.r.waiting(q.id)), (q.id, laned)
            assert all(record.lanes.values()), "an empty lane was left behind"

    @invariant()
    def nothing_lost(self) -> None:
        for wid in self.enqueued:
            if wid not in self.may_vanish:
                assert self.r.phase(wid) is not None, f"item {wid} was lost"

    @invariant()
    def no_free_agent_beside_an_item_they_may_take(self) -> None:
        for q in QUEUES:
            for wid in self.r.waiting(q.id):
                for agent_id in self.specs:
                    assert not self.may_take(agent_id, wid), f"agent {agent_id} is free for waiting item {wid}"


RouterMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestRouterInvariants = RouterMachine.TestCase
