"""Choosing among several free agents who can all take an item: longest idle, most proficient, least occupied."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from helpline.domain.routing.model import Strategy


class Option(NamedTuple):
    """One eligible agent as a strategy sees them."""

    agent_id: int
    idle_since: float  # smaller = idle longer
    proficiency: int  # summed proficiency in the queue's skills
    occupancy: float  # share of capacity in use, 0..1 (only filled in for LEAST_OCCUPIED)


KeyFunction = Callable[[int, float, int, float], tuple[float, ...]]


def _longest_idle(agent_id: int, idle_since: float, proficiency: int, occupancy: float) -> tuple[float, ...]:
    return (idle_since, agent_id)


def _most_proficient(agent_id: int, idle_since: float, proficiency: int, occupancy: float) -> tuple[float, ...]:
    return (-proficiency, idle_since, agent_id)


def _least_occupied(agent_id: int, idle_since: float, proficiency: int, occupancy: float) -> tuple[float, ...]:
    return (occupancy, idle_since, agent_id)


_KEYS: dict[Strategy, KeyFunction] = {
    Strategy.LONGEST_IDLE: _longest_idle,
    Strategy.MOST_PROFICIENT: _most_proficient,
    Strategy.LEAST_OCCUPIED: _least_occupied,
}


def key_function(strategy: Strategy) -> KeyFunction:
    """(agent_id, idle_since, proficiency, occupancy) -> a sort key; the smallest key is the strategy's choice.
    Ties go to the longest idle, then the lowest id, so choices are deterministic."""
    return _KEYS[strategy]


def pick(strategy: Strategy, options: Sequence[Option]) -> Option:
    """The option the strategy prefers (see key_function)."""
    key = _KEYS[strategy]
    return min(options, key=lambda o: key(o.agent_id, o.idle_since, o.proficiency, o.occupancy))


def reason(strategy: Strategy, chosen: Option, count: int, requirement: str, now: float) -> str:
    """One sentence for the explanation: why this agent among `count` eligible ones."""
    pool = f"{count} free agent{'s' if count != 1 else ''}{requirement}"
    idle = max(0.0, now - chosen.idle_since)
    if count == 1:
        return f"the only one of {pool} (idle {idle:.0f} s)"
    if strategy is Strategy.MOST_PROFICIENT:
        return f"most proficient (skill total {chosen.proficiency}) of {pool}"
    if strategy is Strategy.LEAST_OCCUPIED:
        return f"least occupied ({chosen.occupancy:.0%} of capacity in use) of {pool}"
    return f"longest idle ({idle:.0f} s) of {pool}"
