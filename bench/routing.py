"""Routing engine benchmark: decisions per second and decision latency on one core (pure domain, no I/O).

The world: 2,000 agents, 100 skills, 5 tenants, 100 queues (voice, chat and email), 20,000 waiting
interactions. Deterministic from --seed.

1. Fill: every agent offline, 20,000 interactions arrive (a tenth VIP, some with a language or a
   preferred agent).
2. Log-in: the agents come online one by one; each call hands them work up to their capacity.
3. Steady state (measured): the agents work. A random pending action runs next: accept an offer,
   end a conversation, finish wrap-up (frees a slot: usually one new offer), a presence change
   (away for a break, back later), and the clock ticks every quarter of a simulated second (offer timeouts,
   relaxation, wrap-up timers). One new interaction arrives per decision, so about 20,000 wait
   throughout.

Before the steady state the startup heap is frozen (gc.freeze, as a server does once loaded; --no-freeze
to skip); full garbage collections during the steady state are timed and reported, and their pauses
fall inside the timed calls like any other cost.

Every router call is timed with perf_counter_ns. Reported:
- decisions/s (deciding calls): OFFERED effects / time spent in the calls that produced them;
- decisions/s (all router time): OFFERED effects / time in every router call of the loop,
  including accepts, ends, arrivals and ticks that decided nothing (the whole cost of routing);
- latency p50/p99/max of the calls that produced a decision, and per decision (call time / offers).
Targets (issue 3): >= 50,000 decisions/s and p99 <= 1 ms.

    python -m bench.routing [--seed 3] [--events 300000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import heapq
import pstats
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.harness import console, percentile, report
from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import (
    BLENDED,
    DIGITAL,
    VOICE_ONLY,
    AgentSpec,
    Effect,
    EffectKind,
    Preference,
    Presence,
    QueueSpec,
    RelaxStep,
    Strategy,
    Work,
)

AGENTS, SKILLS, TENANTS, QUEUES_PER_TENANT, WAITING = 2_000, 100, 5, 20, 20_000
SKILLS_PER_TENANT = SKILLS // TENANTS
T0 = 1_750_000_000.0
TARGET_RATE, TARGET_P99_MS = 50_000, 1.0
TICK_SECONDS = 0.25  # how often the clock worker fires due timers (simulated time)


@dataclass
class World:
    queues: list[QueueSpec]
    agents: list[AgentSpec]
    queue_weights: list[float]


def make_world(rng: random.Random) -> World:
    queues: list[QueueSpec] = []
    for tenant in range(1, TENANTS + 1):
        home = [f"s{(tenant - 1) * SKILLS_PER_TENANT + i}" for i in range(SKILLS_PER_TENANT)]
        for i in range(QUEUES_PER_TENANT):
            qid = tenant * 100 + i
            channel = rng.choices(["voice", "chat", "email"], weights=[40, 35, 25])[0]
            skills = {s: rng.randint(1, 3) for s in rng.sample(home, rng.choice([1, 1, 2]))}
            relaxation = (RelaxStep(rng.choice([30.0, 60.0, 120.0]), min_proficiency=1),) if rng.random() < 0.5 else ()
            queues.append(
                QueueSpec(
                    id=qid,
                    tenant_id=tenant,
                    name=f"t{tenant}-{channel}-{i}",
                    channel=channel,
                    skills=skills,
                    language=rng.choice([None] * 8 + ["fr", "de"]),
                    priority=rng.choice([0, 0, 0, 1]),
                    strategy=rng.choice(list(Strategy)),
                    relaxation=relaxation,
                    offer_timeout_seconds=20.0,
                    wrap_up_seconds=60.0 if channel == "voice" else 30.0,
                )
            )
    agents: list[AgentSpec] = []
    for aid in range(1, AGENTS + 1):
        tenants = {rng.randint(1, TENANTS)}
        if rng.random() < 0.3:
            tenants.add(rng.randint(1, TENANTS))
        pool = [f"s{(t - 1) * SKILLS_PER_TENANT + i}" for t in tenants for i in range(SKILLS_PER_TENANT)]
        skills = {s: rng.randint(1, 5) for s in rng.sample(pool, min(len(pool), rng.randint(6, 12)))}
        languages = {"en"} | ({rng.choice(["fr", "de"])} if rng.random() < 0.4 else set())
        agents.append(
            AgentSpec(
                id=aid,
                name=f"agent{aid}",
                skills=skills,
                languages=frozenset(languages),
                tenants=frozenset(tenants),
                site=rng.choice(["main", "main", "lisbon"]),
                profile=rng.choices([VOICE_ONLY, BLENDED, DIGITAL], weights=[40, 35, 25])[0],
            )
        )
    return World(queues, agents, [1.0] * len(queues))


@dataclass
class Timings:
    deciding_ns: list[int] = field(default_factory=list)  # one entry per call that produced >= 1 offer
    per_decision_ns: list[float] = field(default_factory=list)
    total_ns: int = 0
    calls: int = 0
    decisions: int = 0
    by_call: dict[str, list[int]] = field(default_factory=dict)  # call -> [calls, ns, decisions]
    slowest: list[tuple[int, str, int]] = field(default_factory=list)  # (ns, call, offers) of the 5 slowest

    def timed(self, call: Callable[[], Any], name: str) -> Any:
        started = time.perf_counter_ns()
        result = call()
        elapsed = time.perf_counter_ns() - started
        self.total_ns += elapsed
        self.calls += 1
        tally = self.by_call.setdefault(name, [0, 0, 0])
        tally[0] += 1
        tally[1] += elapsed
        offered = sum(1 for e in result if e.kind is EffectKind.OFFERED) if result else 0
        if not self.slowest or elapsed > self.slowest[0][0]:
            heapq.heappush(self.slowest, (elapsed, name, offered))
            if len(self.slowest) > 5:
                heapq.heappop(self.slowest)
        if result:
            tally[2] += offered
            if offered:
                self.decisions += offered
                self.deciding_ns.append(elapsed)
                self.per_decision_ns.append(elapsed / offered)
        return result

    def figures(self) -> dict[str, Any]:
        deciding_s = sum(self.deciding_ns) / 1e9
        return {
            "decisions": self.decisions,
            "router_calls": self.calls,
            "decisions_per_s_deciding_calls": round(self.decisions / deciding_s) if deciding_s else 0,
            "decisions_per_s_all_router_time": round(self.decisions / (self.total_ns / 1e9)) if self.total_ns else 0,
            "call_p50_ms": round(percentile(self.deciding_ns, 50) / 1e6, 4),
            "call_p99_ms": round(percentile(self.deciding_ns, 99) / 1e6, 4),
            "call_max_ms": round(max(self.deciding_ns) / 1e6, 3),
            "per_decision_p50_ms": round(percentile(self.per_decision_ns, 50) / 1e6, 4),
            "per_decision_p99_ms": round(percentile(self.per_decision_ns, 99) / 1e6, 4),
            "slowest_calls": [
                {"call": name, "ms": round(ns / 1e6, 3), "offers": n}
                for ns, name, n in sorted(self.slowest, reverse=True)
            ],
            "by_call": {
                name: {"calls": n, "mean_us": round(ns / n / 1e3, 2), "decisions": d}
                for name, (n, ns, d) in sorted(self.by_call.items())
            },
        }


HANDLE_SECONDS = {"voice": (30.0, 120.0), "chat": (40.0, 160.0), "email": (20.0, 80.0)}
ANSWER_SECONDS = (1.0, 10.0)  # an agent answers an offer after this long...
MISSED_SHARE = 0.02  # ...except this share of offers, left to time out (the agent goes away "missed")
WRAP_SECONDS = (2.0, 40.0)  # after-contact work; the queue's wrap-up timer ends it first now and then
BREAK_SHARE = 0.002  # per event, the chance that some available agent takes a break of 1 to 10 minutes


class Simulation:
    """Drives the router like a contact center would: every agent action is scheduled at a simulated time."""

    def __init__(self, world: World, rng: random.Random, young_gc: bool = False) -> None:
        self.young_gc = young_gc
        self.young_gc_ns: list[int] = []
        self.world = world
        self.rng = rng
        self.router = Router()
        self.now = T0
        self.next_id = 1
        self.agents_of: dict[int, list[int]] = {}
        self.events: list[tuple[float, int, str, int, int]] = []  # (at, seq, action, work_id, agent_id)
        self.seq = 0
        self.phase: dict[tuple[int, int], str] = {}  # (work, agent) -> offered | active | wrap_up
        self.channel: dict[int, str] = {q.id: q.channel for q in world.queues}

    def setup(self) -> None:
        for queue_spec in self.world.queues:
            self.router.set_queue(queue_spec, self.now)
        for agent_spec in self.world.agents:
            self.router.set_agent(agent_spec, self.now)
            for tenant in agent_spec.tenants:
                self.agents_of.setdefault(tenant, []).append(agent_spec.id)

    def new_work(self) -> Work:
        q = self.rng.choice(self.world.queues)
        wid = self.next_id
        self.next_id += 1
        preferred: tuple[Preference, ...] = ()
        if self.rng.random() < 0.05:
            preferred = (Preference(self.rng.choice(self.agents_of[q.tenant_id]), "recent"),)
        return Work(
            id=wid,
            tenant_id=q.tenant_id,
            queue_id=q.id,
            channel=q.channel,
            enqueued_at=self.now,
            priority=2 if self.rng.random() < 0.1 else 0,
            language=self.rng.choice([None] * 9 + ["fr"]),
            preferred=preferred,
        )

    def schedule(self, delay: float, action: str, work_id: int, agent_id: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (self.now + delay, self.seq, action, work_id, agent_id))

    def absorb(self, effects: list[Effect] | None) -> None:
        """Turn the router's decisions into the agents' next actions."""
        for e in effects or ():
            if e.agent_id is None:
                continue
            key = (e.work_id, e.agent_id)
            if e.kind is EffectKind.OFFERED:
                self.phase[key] = "offered"
                if self.rng.random() >= MISSED_SHARE:
                    self.schedule(self.rng.uniform(*ANSWER_SECONDS), "accept", *key)
            elif e.kind in (EffectKind.OFFER_TIMED_OUT, EffectKind.OFFER_WITHDRAWN, EffectKind.WRAP_UP_ENDED):
                self.phase.pop(key, None)
                if e.kind is EffectKind.OFFER_TIMED_OUT:
                    self.schedule(30.0, "back", 0, e.agent_id)  # the agent notices and comes back

    def step(self, timings: Timings) -> bool:
        """Run the next scheduled action (the clock has already moved to its time); True if an offer was accepted."""
        _at, _seq, action, wid, aid = heapq.heappop(self.events)
        key = (wid, aid)
        r = self.router
        state = self.phase.get(key)
        accepted = False
        if action == "accept" and state == "offered":
            timings.timed(lambda: r.accept(wid, aid, self.now), "accept")
            self.phase[key] = "active"
            work = r.work(wid)
            assert work is not None
            self.schedule(self.rng.uniform(*HANDLE_SECONDS[work.channel]), "end", wid, aid)
            accepted = True
        elif action == "end" and state == "active":
            self.absorb(timings.timed(lambda: r.end(wid, self.now), "end"))
            self.phase[key] = "wrap_up"
            self.schedule(self.rng.uniform(*WRAP_SECONDS), "wrap_up", wid, aid)
        elif action == "wrap_up" and state == "wrap_up":
            self.phase.pop(key)
            self.absorb(timings.timed(lambda: r.wrap_up(wid, aid, self.now), "wrap_up"))
        elif action == "back" and r.agent_view(aid).presence is not Presence.AVAILABLE:
            self.absorb(timings.timed(lambda: r.set_presence(aid, Presence.AVAILABLE, self.now), "back"))
        if self.rng.random() < BREAK_SHARE:
            agent = self.rng.randint(1, AGENTS)
            if r.agent_view(agent).presence is Presence.AVAILABLE:
                self.absorb(timings.timed(lambda: r.set_presence(agent, Presence.AWAY, self.now, "break"), "away"))
                self.schedule(self.rng.uniform(60, 600), "back", 0, agent)
        return accepted

    def run(self, events: int, timings: Timings) -> None:
        """`events` agent actions in time order, the clock ticking every TICK_SECONDS, one arrival per accept."""
        r = self.router
        next_tick = self.now + TICK_SECONDS
        for _ in range(events):
            if not self.events:
                return
            at = self.events[0][0]
            while next_tick <= at:
                self.now = next_tick
                self.absorb(timings.timed(lambda: r.tick(self.now), "tick"))
                next_tick += TICK_SECONDS
                if self.young_gc:  # the clock worker's housekeeping, outside the router calls (timed apart)
                    started = time.perf_counter_ns()
                    gc.collect(0)
                    self.young_gc_ns.append(time.perf_counter_ns() - started)
            self.now = max(self.now, at)
            if self.step(timings):
                self.arrival(timings)

    def arrival(self, timings: Timings) -> None:
        """A new interaction for each one an agent accepted: about WAITING keep waiting (or being offered)."""
        work = self.new_work()
        self.absorb(timings.timed(lambda: self.router.enqueue(work, self.now), "enqueue"))


def _gc_timer(pauses: dict[int, list[float]]) -> Callable[[str, dict[str, int]], None]:
    """A gc callback recording how long each collection takes, per generation."""
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.setdefault(info["generation"], []).append((time.perf_counter() - started[0]) * 1000)

    return callback


def run(seed: int, events: int, warmup: int, profile: bool, freeze: bool, young_gc: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    sim = Simulation(make_world(rng), rng, young_gc)
    started = time.perf_counter()
    sim.setup()
    r = sim.router
    fill = Timings()
    for _ in range(WAITING):
        work = sim.new_work()
        sim.absorb(fill.timed(lambda w=work: r.enqueue(w, sim.now), "enqueue"))  # type: ignore[misc]
        sim.now += 0.01
    waiting_after_fill = sum(len(r.waiting(q.id)) for q in sim.world.queues)
    sim.absorb(r.tick(sim.now))  # timers that came due during the fill, as a server ticking all along would have
    login = Timings()
    for spec in sim.world.agents:  # a shift starting: agents log in over 20 s, the clock ticking
        aid = spec.id
        sim.absorb(login.timed(lambda a=aid: r.set_presence(a, Presence.AVAILABLE, sim.now), "log_in"))  # type: ignore[misc]
        sim.now += 0.01
        sim.absorb(r.tick(sim.now))
    refill = WAITING - sum(len(r.waiting(q.id)) for q in sim.world.queues)
    for _ in range(refill):  # back to 20,000 waiting, arriving over time
        sim.absorb(r.enqueue(sim.new_work(), sim.now))
        sim.now += 0.004
        sim.absorb(r.tick(sim.now))
    sim.run(warmup, Timings())  # let the start-up waves (offer timers of the log-in, relaxations) pass
    console.print(f"setup, fill, log-in and warm-up: {time.perf_counter() - started:.1f} s")

    steady = Timings()
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    if freeze:
        gc.freeze()  # what a long-running server does once it has loaded: the startup heap is never scanned again
    pauses: dict[int, list[float]] = {}
    gc.callbacks.append(_gc_timer(pauses))
    simulated_from = sim.now
    if profiler:
        profiler.enable()
    sim.run(events, steady)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    gc.callbacks.clear()
    gc.unfreeze()
    waiting_at_end = sum(len(r.waiting(q.id)) for q in sim.world.queues)
    return {
        "seed": seed,
        "agents": AGENTS,
        "skills": SKILLS,
        "tenants": TENANTS,
        "queues": len(sim.world.queues),
        "waiting_after_fill": waiting_after_fill,
        "waiting_at_end": waiting_at_end,
        "steady_simulated_seconds": round(sim.now - simulated_from, 1),
        "tick_seconds": TICK_SECONDS,
        "fill": {"enqueue_calls": fill.calls, "mean_enqueue_us": round(fill.total_ns / fill.calls / 1e3, 2)},
        "login": login.figures(),
        "steady": steady.figures(),
        "gc": {
            "startup_heap_frozen": freeze,
            "young_collection_every_tick": young_gc,
            "young_collection_by_clock_p99_ms": round(percentile(sim.young_gc_ns, 99) / 1e6, 3) if young_gc else None,
            **{
                f"generation_{generation}": {
                    "collections": len(times),
                    "max_ms": round(max(times), 2),
                    "total_ms": round(sum(times), 1),
                }
                for generation, times in sorted(pauses.items())
            },
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--events", type=int, default=300_000, help="agent actions in the measured steady state")
    parser.add_argument("--warmup", type=int, default=100_000, help="agent actions run first, not measured")
    parser.add_argument("--profile", action="store_true", help="cProfile the steady state (slows it down)")
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave the startup heap to the garbage collector (no gc.freeze)"
    )
    parser.add_argument(
        "--no-young-gc",
        action="store_true",
        help="do not run gc.collect(0) after each clock tick (CPython 3.11 then lets the young generation grow "
        "to the whole working set and collects it rarely, in 30-70 ms pauses inside whatever call triggers it)",
    )
    args = parser.parse_args()
    figures = run(args.seed, args.events, args.warmup, args.profile, not args.no_freeze, not args.no_young_gc)
    steady, login = figures["steady"], figures["login"]
    rows = [
        [
            phase,
            f["decisions"],
            f["router_calls"],
            f"{f['decisions_per_s_deciding_calls']:,}",
            f"{f['decisions_per_s_all_router_time']:,}",
            f["call_p50_ms"],
            f["call_p99_ms"],
            f["per_decision_p99_ms"],
            f["call_max_ms"],
        ]
        for phase, f in (("log-in (multi-offer calls)", login), ("steady state", steady))
    ]
    figures["targets"] = {
        "decisions_per_s": TARGET_RATE,
        "p99_ms": TARGET_P99_MS,
        "met": steady["decisions_per_s_deciding_calls"] >= TARGET_RATE and steady["call_p99_ms"] <= TARGET_P99_MS,
    }
    report(
        "routing",
        [
            "phase",
            "decisions",
            "router calls",
            "decisions/s (deciding calls)",
            "decisions/s (all router time)",
            "call p50 ms",
            "call p99 ms",
            "per-decision p99 ms",
            "max ms",
        ],
        rows,
        figures,
    )


if __name__ == "__main__":
    main()
