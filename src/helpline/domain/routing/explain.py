"""Words for decisions: why an agent could not take an item, and what a relaxation step changed."""

from __future__ import annotations

from helpline.domain.routing.model import Presence
from helpline.domain.routing.records import AgentRecord, Fit, ItemRecord, skills_text, step_text

__all__ = ["MAX_PASSED_OVER", "agent_refusal", "skill_gap", "skills_text", "step_text"]

MAX_PASSED_OVER = 5  # explanations list the first few passed-over agents or items, not all


def skill_gap(agent: AgentRecord, item: ItemRecord) -> str | None:
    """The first queue skill the agent lacks at the item's current requirement."""
    queue_skills = item.queue.spec.skills
    have = agent.spec.skills
    for skill, minimum in queue_skills.items():
        needed = minimum if item.need < 0 else item.need
        if have.get(skill, 0) < max(needed, 1):
            return f"lacks skill {skill}>={max(needed, 1)}"
    return None


def agent_refusal(agent: AgentRecord, fit: Fit | None, item: ItemRecord, restricted: bool) -> str | None:
    """Why `agent` may not take `item` now, or None if they may (the engine's rule, in words)."""
    if agent.presence is Presence.OFFLINE:
        return "offline"
    if agent.presence is Presence.AWAY:
        return f"away: {agent.reason or 'away'}"
    busy = agent.load.refusal(item.queue.channel)
    if busy:
        return busy
    if item.excluded is not None and agent.id in item.excluded:
        return "rejected this item"
    if restricted and agent.id not in item.pref_ids:
        return "not the customer's preferred agent (inside the preferred-agent window)"
    if fit is None:
        return skill_gap(agent, item) or "does not serve this queue"
    meets, lowest, _total = fit
    if (item.need < 0 and not meets) or (item.need > 0 and lowest < item.need):
        return skill_gap(agent, item) or "lacks a required skill level"
    if item.lang is not None and not item.lang_open and item.lang not in agent.langs:
        return f"does not speak {item.lang}"
    site = item.work.site
    if site is not None and not item.site_open and site != agent.spec.site:
        return f"works at site {agent.spec.site}, item is for {site}"
    return None
