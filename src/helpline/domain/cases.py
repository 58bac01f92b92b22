"""Case rules: which status changes are allowed and what a change records in the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.vocabulary import CaseStatus

# A closed case is final: a new matter opens a new case (it keeps reports honest).
ALLOWED_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.OPEN, CaseStatus.PENDING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.OPEN: frozenset({CaseStatus.PENDING, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.PENDING: frozenset({CaseStatus.OPEN, CaseStatus.RESOLVED, CaseStatus.CLOSED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}

OPEN_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.PENDING})
MAX_TIER = 5
MAX_TAGS = 30
MAX_TAG_LENGTH = 40


def check_transition(current: CaseStatus, target: CaseStatus) -> None:
    if current == target:
        return
    if target not in ALLOWED_TRANSITIONS[current]:
        raise Conflict(f"a {current.value} case cannot become {target.value}", field="status")


def check_tier(tier: object) -> int:
    if not isinstance(tier, int) or isinstance(tier, bool) or not 0 <= tier <= MAX_TIER:
        raise ValidationFailed(f"escalation_tier must be an integer from 0 to {MAX_TIER}", field="escalation_tier")
    return tier


def normalise_tags(tags: object) -> list[str]:
    """Tags are short lowercase words; duplicates fold; order is kept for display."""
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        raise ValidationFailed(f"tags must be a list of at most {MAX_TAGS} words", field="tags")
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str) or not tag.strip() or len(tag.strip()) > MAX_TAG_LENGTH:
            raise ValidationFailed(f"each tag must be 1 to {MAX_TAG_LENGTH} characters", field="tags")
        word = tag.strip().lower()
        if word not in out:
            out.append(word)
    return out


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One line of a case's history: field, old and new values as display text."""

    field: str
    old: str | None
    new: str | None


def diff_fields(before: dict[str, object], after: dict[str, object]) -> list[FieldChange]:
    """The history lines for every field whose value differs between two snapshots."""
    changes = []
    for name, new_value in after.items():
        old_value = before.get(name)
        if old_value != new_value:
            changes.append(FieldChange(name, _text(old_value), _text(new_value)))
    return changes


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
