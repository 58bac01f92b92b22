"""Small builders for routing tests: a router with queues and agents, and readers for effects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from helpline.domain.routing.engine import Router
from helpline.domain.routing.model import (
    BLENDED,
    AgentSpec,
    CapacityProfile,
    Effect,
    EffectKind,
    Preference,
    Presence,
    QueueSpec,
    Work,
)

T0 = 1_750_000_000.0  # a fixed epoch second (2025-06-15, a Sunday): tests pass time explicitly
TENANT = 1


def queue(qid: int = 1, channel: str = "chat", tenant: int = TENANT, **settings: object) -> QueueSpec:
    return QueueSpec(id=qid, tenant_id=tenant, name=f"q{qid}", channel=channel, **settings)  # type: ignore[arg-type]


def agent(
    aid: int,
    skills: Mapping[str, int] | None = None,
    languages: Iterable[str] = ("en",),
    tenants: Iterable[int] = (TENANT,),
    site: str = "main",
    profile: CapacityProfile = BLENDED,
) -> AgentSpec:
    return AgentSpec(
        id=aid,
        name=f"agent{aid}",
        skills=dict(skills or {}),
        languages=frozenset(languages),
        tenants=frozenset(tenants),
        site=site,
        profile=profile,
    )


def work(
    wid: int,
    at: float = T0,
    qid: int = 1,
    channel: str = "chat",
    tenant: int = TENANT,
    priority: int = 0,
    language: str | None = None,
    preferred: Iterable[tuple[int, str]] = (),
) -> Work:
    return Work(
        id=wid,
        tenant_id=tenant,
        queue_id=qid,
        channel=channel,
        enqueued_at=at,
        priority=priority,
        language=language,
        preferred=tuple(Preference(a, r) for a, r in preferred),
    )


def router(*queues: QueueSpec, agents: Iterable[AgentSpec] = (), available: bool = True) -> Router:
    r = Router()
    for queue_spec in queues:
        r.set_queue(queue_spec, T0)
    for agent_spec in agents:
        r.set_agent(agent_spec, T0)
        if available:
            r.set_presence(agent_spec.id, Presence.AVAILABLE, T0)
    return r


def offers(effects: Iterable[Effect]) -> list[tuple[int, int | None]]:
    """(work_id, agent_id) of every OFFERED effect, in order."""
    return [(e.work_id, e.agent_id) for e in effects if e.kind is EffectKind.OFFERED]


def only_offer(effects: Iterable[Effect]) -> Effect:
    found = [e for e in effects if e.kind is EffectKind.OFFERED]
    assert len(found) == 1, found
    return found[0]


def kinds(effects: Iterable[Effect]) -> list[EffectKind]:
    return [e.kind for e in effects]
