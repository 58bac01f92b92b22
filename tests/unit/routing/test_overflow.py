"""Overflow by percentage to sites and partners: exact shares, runtime edits, and the 15-minute re-plan."""

from __future__ import annotations

from collections import Counter

from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import Effect, EffectKind, OverflowTarget, Presence
from helpline.domain.routing.overflow import Chooser, replan

from .builders import T0, agent, kinds, offers, queue, router, work

PLAN = (OverflowTarget("main", "site", 70), OverflowTarget("lisbon", "site", 20), OverflowTarget("acme", "partner", 10))


def test_smooth_weighted_round_robin_is_exact_and_spread() -> None:
    chooser = Chooser(PLAN)
    picks = [chooser.next().name for _ in range(1000)]
    assert Counter(picks) == {"main": 700, "lisbon": 200, "acme": 100}
    assert Counter(picks[:10]) == {"main": 7, "lisbon": 2, "acme": 1}  # exact in every run of 100, even of 10


def _where(r: Router, effects: list[Effect], wid: int) -> str:
    for e in effects:
        if e.kind is EffectKind.OVERFLOWED and e.target is not None:
            return str(e.target)
    item = r.work(wid)
    assert item is not None
    return str(item.site)


def test_router_overflow_percentages_are_exact_over_1000_arrivals_with_a_runtime_edit() -> None:
    r = router(queue(1, "chat", overflow=PLAN))
    seen: Counter[str] = Counter()
    for i in range(1000):
        effects = r.enqueue(work(i, T0 + i), T0 + i)
        seen[_where(r, effects, i)] += 1
    assert seen == {"main": 700, "lisbon": 200, "acme": 100}
    assert len(r.waiting(1)) == 900  # partner items are not queued
    r.set_overflow(1, (OverflowTarget("main", "site", 1), OverflowTarget("acme", "partner", 1)))
    seen.clear()
    for i in range(1000, 2000):
        seen[_where(r, r.enqueue(work(i, T0 + i), T0 + i), i)] += 1
    assert seen == {"main": 500, "acme": 500}
    r.set_overflow(1, ())
    assert r.enqueue(work(5000, T0), T0) == []
    item = r.work(5000)
    assert item is not None and item.site is None


def test_partner_overflow_returns_one_effect_and_keeps_nothing() -> None:
    r = router(queue(1, "chat", overflow=(OverflowTarget("acme", "partner", 1),)), agents=[agent(1)])
    effects = r.enqueue(work(10), T0)
    assert [(e.kind, e.target) for e in effects] == [(EffectKind.OVERFLOWED, "acme")]
    assert r.work(10) is None
    assert r.agent_view(1).holding == {}


def test_site_bound_items_wait_for_their_site_then_open_up() -> None:
    r = router(queue(1, "chat", overflow=(OverflowTarget("lisbon", "site", 1),)), agents=[agent(1, site="main")])
    assert offers(r.enqueue(work(10), T0)) == []
    assert r.tick(T0 + 59) == []
    effects = r.tick(T0 + 60)
    assert kinds(effects) == [EffectKind.RELAXED, EffectKind.OFFERED]
    assert effects[0].detail == "site lisbon -> any after 60 s"
    r.set_agent(agent(2, site="lisbon"), T0 + 61)
    assert offers(r.set_presence(2, Presence.AVAILABLE, T0 + 61)) == []
    assert offers(r.enqueue(work(11, T0 + 62), T0 + 62)) == [(11, 2)]


def test_replan_splits_site_weight_by_available_agents_and_keeps_partners() -> None:
    planned = replan(PLAN, {"main": 10, "lisbon": 30, "paris": 99})
    assert planned == (
        OverflowTarget("main", "site", 22.5),
        OverflowTarget("lisbon", "site", 67.5),
        OverflowTarget("acme", "partner", 10),
    )
    assert replan(PLAN, {}) == PLAN  # nobody available anywhere: nothing to base a split on
    assert replan(PLAN, {"main": 4}) == (
        OverflowTarget("main", "site", 90),
        OverflowTarget("lisbon", "site", 0),
        OverflowTarget("acme", "partner", 10),
    )


def test_sites_available_feeds_replan() -> None:
    r = router(queue(1, "chat", overflow=PLAN), agents=[agent(1), agent(2, site="lisbon"), agent(3, site="lisbon")])
    r.set_agent(agent(4, site="lisbon"), T0)  # offline
    assert r.sites_available(1) == {"main": 1, "lisbon": 2}
    r.set_overflow(1, replan(r.overflow_targets(1), r.sites_available(1)))
    assert [t.weight for t in r.overflow_targets(1)] == [30, 60, 10]
