"""Routing engine benchmark: decisions per second and decision latency on one core (pure domain, no I/O).

The world: 2,000 agents, 100 skills, 5 tenants, 100 queues (voice, chat and email), 20,000 waiting
interactions. Deterministic from --seed.

1. Fill: every agent offline, 20,000 interactions arrive (a tenth VIP, some with a language or a
   preferred agent).
2. Log-in: the agents come online one by one; each call hands them work up to their capacity.
3. Steady state (measured): the agents work. A random pending action runs next: accept an offer,
   end a conversation, finish wrap-up (frees a slot: usually one new offer), a presence change
   (away for a break, back later), and the clock ticks every simulated second (offer timeouts,
   relaxation, wrap-up timers). One new interaction arrives per decision, so about 20,000 wait
   throughout.

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

    def timed(self, call: Callable[[], Any], name: str) -> Any:
        started = time.perf_counter_ns()
        result = call()
        elapsed = time.perf_counter_ns() - started
        self.total_ns += elapsed
        self.calls += 1
        tally = self.by_call.setdefault(name, [0, 0, 0])
        tally[0] += 1
        tally[1] += elapsed
        if result:
            offered = sum(1 for e in result if e.kind is EffectKind.OFFERED)
            tally[2] += offered
            if offered:
                self.decisions += offered
                self.deciding_ns.append(elapsed)
                self.per_decision_ns.append(elapsed / offered)
        return result

    def figures(self) -> dict[str, float]:
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
            "by_call": {
                name: {"calls": n, "mean_us": round(ns / n / 1e3, 2), "decisions": d}
                for name, (n, ns, d) in sorted(self.by_call.items())
            },
        }


class Simulation:
    """Drives the router like a contact center would, keeping a list of actions the agents may take next."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.router = Router()
        self.now = T0
        self.next_id = 1
        self.agents_of: dict[int, list[int]] = {}
        self.pending: list[tuple[str, int, int]] = []  # (action, work_id, agent_id)
        self.phase: dict[tuple[int, int], str] = {}  # (work, agent) -> offered | active | wrap_up
        self.away: list[tuple[float, int]] = []  # (back at, agent)

    def setup(self) -> None:
        for spec in self.world.queues:
            self.router.set_queue(spec, self.now)
        for spec in self.world.agents:
            self.router.set_agent(spec, self.now)
            for tenant in spec.tenants:
                self.agents_of.setdefault(tenant, []).append(spec.id)

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

    def absorb(self, effects: list[Effect] | None) -> None:
        """Turn the router's decisions into the agents' next actions."""
        for e in effects or ():
            if e.agent_id is None:
                continue
            key = (e.work_id, e.agent_id)
            if e.kind is EffectKind.OFFERED:
                self.phase[key] = "offered"
                self.pending.append(("accept", *key))
            elif e.kind in (EffectKind.OFFER_TIMED_OUT, EffectKind.OFFER_WITHDRAWN, EffectKind.WRAP_UP_ENDED):
                self.phase.pop(key, None)
                if e.kind is EffectKind.OFFER_TIMED_OUT:
                    self.away.append((self.now + 30.0, e.agent_id))  # the agent notices and comes back

    def take_action(self, timings: Timings) -> None:
        i = self.rng.randrange(len(self.pending))
        self.pending[i], self.pending[-1] = self.pending[-1], self.pending[i]
        action, wid, aid = self.pending.pop()
        key = (wid, aid)
        r = self.router
        state = self.phase.get(key)
        if action == "accept" and state == "offered":
            timings.timed(lambda: r.accept(wid, aid, self.now), "accept")
            self.phase[key] = "active"
            self.pending.append(("end", wid, aid))
        elif action == "end" and state == "active":
            self.absorb(timings.timed(lambda: r.end(wid, self.now), "end"))
            self.phase[key] = "wrap_up"
            self.pending.append(("wrap_up", wid, aid))
        elif action == "wrap_up" and state == "wrap_up":
            self.phase.pop(key)
            self.absorb(timings.timed(lambda: r.wrap_up(wid, aid, self.now), "wrap_up"))

    def presence_churn(self, timings: Timings) -> None:
        r = self.router
        if self.rng.random() < 0.01:
            aid = self.rng.randint(1, AGENTS)
            if r.agent_view(aid).presence is Presence.AVAILABLE:
                self.absorb(timings.timed(lambda: r.set_presence(aid, Presence.AWAY, self.now, "break"), "away"))
                self.away.append((self.now + self.rng.uniform(60, 600), aid))
        if self.away and self.rng.random() < 0.05:
            self.away.sort()
            if self.away[0][0] <= self.now:
                _, aid = self.away.pop(0)
                self.absorb(timings.timed(lambda: r.set_presence(aid, Presence.AVAILABLE, self.now), "back"))


def run(seed: int, events: int, profile: bool) -> dict[str, Any]:
    rng = random.Random(seed)
    sim = Simulation(make_world(rng), rng)
    started = time.perf_counter()
    sim.setup()
    r = sim.router
    fill = Timings()
    for _ in range(WAITING):
        work = sim.new_work()
        sim.absorb(fill.timed(lambda w=work: r.enqueue(w, sim.now), "enqueue"))  # type: ignore[misc]
        sim.now += 0.01
    waiting_after_fill = sum(len(r.waiting(q.id)) for q in sim.world.queues)
    login = Timings()
    for spec in sim.world.agents:
        aid = spec.id
        sim.absorb(login.timed(lambda a=aid: r.set_presence(a, Presence.AVAILABLE, sim.now), "log_in"))  # type: ignore[misc]
    console.print(f"setup + fill + log-in: {time.perf_counter() - started:.1f} s; waiting after fill {waiting_after_fill}")

    steady = Timings()
    profiler = cProfile.Profile() if profile else None
    next_tick = sim.now + 1.0
    gc.collect()
    if profiler:
        profiler.enable()
    for _ in range(events):
        sim.now += 0.002  # 500 events per simulated second
        if sim.now >= next_tick:
            sim.absorb(steady.timed(lambda: r.tick(sim.now), "tick"))
            next_tick += 1.0
        decisions_before = steady.decisions
        if sim.pending:
            sim.take_action(steady)
        sim.presence_churn(steady)
        for _ in range(steady.decisions - decisions_before):  # keep about WAITING items waiting
            work = sim.new_work()
            sim.absorb(steady.timed(lambda w=work: r.enqueue(w, sim.now), "enqueue"))  # type: ignore[misc]
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    waiting_at_end = sum(len(r.waiting(q.id)) for q in sim.world.queues)
    return {
        "seed": seed,
        "agents": AGENTS,
        "skills": SKILLS,
        "tenants": TENANTS,
        "queues": len(sim.world.queues),
        "waiting_after_fill": waiting_after_fill,
        "waiting_at_end": waiting_at_end,
        "simulated_seconds": round(sim.now - T0, 1),
        "fill": {"enqueue_calls": fill.calls, "mean_enqueue_us": round(fill.total_ns / fill.calls / 1e3, 2)},
        "login": login.figures(),
        "steady": steady.figures(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--events", type=int, default=300_000, help="steady-state loop iterations")
    parser.add_argument("--profile", action="store_true", help="cProfile the steady state (slows it down)")
    args = parser.parse_args()
    figures = run(args.seed, args.events, args.profile)
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
