"""Overflow by percentage: a smooth weighted round robin over targets, and the periodic re-plan of site weights."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from helpline.domain.errors import ValidationFailed
from helpline.domain.routing.model import OverflowTarget

KINDS = ("site", "partner")


def validate_targets(targets: Sequence[OverflowTarget]) -> None:
    """Weights >= 0 and finite, at least one > 0 (or no targets at all), names unique and non-empty."""
    names: set[str] = set()
    for target in targets:
        if not target.name or not target.name.strip():
            raise ValidationFailed("an overflow target needs a name", field="overflow")
        if target.name in names:
            raise ValidationFailed(f"overflow target {target.name!r} is listed twice", field="overflow")
        names.add(target.name)
        if target.kind not in KINDS:
            raise ValidationFailed(f"overflow kind must be 'site' or 'partner', not {target.kind!r}", field="overflow")
        weight = target.weight
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) or weight < 0:
            raise ValidationFailed(f"weight of {target.name!r} must be a number >= 0", field="overflow")
    if targets and not any(t.weight > 0 for t in targets):
        raise ValidationFailed("at least one overflow weight must be above 0", field="overflow")


class Chooser:
    """Smooth weighted round robin (as in nginx): deterministic, spreads picks evenly, and over any run of
    sum(weights) picks (integer weights) each target gets exactly its weight."""

    __slots__ = ("_current", "_total", "targets")

    def __init__(self, targets: Sequence[OverflowTarget]) -> None:
        validate_targets(targets)
        self.targets = tuple(targets)
        self._current = [0.0] * len(self.targets)
        self._total = float(sum(t.weight for t in self.targets))

    def __bool__(self) -> bool:
        return bool(self.targets)

    def next(self) -> OverflowTarget:
        current = self._current
        best = 0
        for i, target in enumerate(self.targets):
            current[i] += target.weight
            if current[i] > current[best]:
                best = i
        current[best] -= self._total
        return self.targets[best]


def replan(targets: Sequence[OverflowTarget], available_by_site: Mapping[str, int]) -> tuple[OverflowTarget, ...]:
    """The default 15-minute re-plan: the weight the sites share together stays the same, split in proportion to
    each site's available agents serving the queue; partner weights are kept. With nobody available at any site,
    the plan is returned unchanged (there is nothing to base a split on)."""
    sites = [t for t in targets if t.kind == "site"]
    site_weight = sum(t.weight for t in sites)
    available = {t.name: max(0, int(available_by_site.get(t.name, 0))) for t in sites}
    people = sum(available.values())
    if not sites or people == 0 or site_weight <= 0:
        return tuple(targets)
    planned = tuple(
        OverflowTarget(t.name, t.kind, round(site_weight * available[t.name] / people, 6)) if t.kind == "site" else t
        for t in targets
    )
    validate_targets(planned)
    return planned
