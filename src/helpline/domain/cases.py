"""Case rules: which status changes are allowed and what a change records in the history.

Also here: the checks on case fields, the order priorities and statuses sort in, and the filters
a list of cases may be narrowed by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.interactions import check_id, check_text
from helpline.domain.vocabulary import CaseStatus, Priority, parse_enum

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
MAX_SUBJECT = 300
MAX_CATEGORY = 64
MAX_NOTE = 20_000
MAX_QUERY = 200
MAX_STATUS_FILTERS = 10

# Sorting by priority or status means by rank, not alphabetically ("high" before "low").
PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}
STATUS_RANK = {
    CaseStatus.NEW: 0,
    CaseStatus.OPEN: 1,
    CaseStatus.PENDING: 2,
    CaseStatus.RESOLVED: 3,
    CaseStatus.CLOSED: 4,
}
SORT_FIELDS = frozenset({"created_at", "updated_at", "priority", "status", "resolution_due_at"})
DEFAULT_SORT = "-updated_at"


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
        # Lowercase first: a few letters grow when lowercased ("İ"), and the bound is on what is stored.
        word = check_text(tag.strip().lower(), "tags", MAX_TAG_LENGTH)
        if word not in out:
            out.append(word)
    return out


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One line of a case's history: field, old and new values as display text."""

    field: str
    old: str | None
    new: str | None


def diff_fields(before: Mapping[str, object], after: Mapping[str, object]) -> list[FieldChange]:
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


def status_times(current: CaseStatus, target: CaseStatus, now: datetime) -> dict[str, Any]:
    """The resolved_at / closed_at changes a status change makes (after check_transition).

    Reopening a resolved case clears resolved_at: it records the latest resolution, not the first.
    """
    if current == target:
        return {}
    if target == CaseStatus.RESOLVED:
        return {"resolved_at": now}
    if target == CaseStatus.CLOSED:
        return {"closed_at": now}
    if current == CaseStatus.RESOLVED:
        return {"resolved_at": None}
    return {}


def check_subject(value: object) -> str:
    return check_text(value, "subject", MAX_SUBJECT)


def check_category(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_text(value, "category", MAX_CATEGORY)


def check_note(value: object) -> str:
    return check_text(value, "body", MAX_NOTE, multiline=True)


def _tag_filter(tag: str | None) -> str | None:
    if tag is None or not tag.strip():
        return None
    try:
        return normalise_tags([tag])[0]
    except ValidationFailed as exc:
        raise ValidationFailed(exc.detail.replace("each tag", "tag"), field="tag") from None


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """What a list of cases may be narrowed by; empty or None means 'any'."""

    statuses: frozenset[CaseStatus] = frozenset()
    open_only: bool = False
    priority: Priority | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    category: str | None = None
    tag: str | None = None
    customer_id: int | None = None
    query: str | None = None  # words in the subject, case-insensitive


def make_filter(
    status: Iterable[str] | None = None,
    open_only: bool = False,
    priority: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    category: str | None = None,
    tag: str | None = None,
    customer_id: int | None = None,
    q: str | None = None,
) -> CaseFilter:
    """Check raw filter values (from a query string) and build the filter."""
    raw_statuses = list(status or [])
    if len(raw_statuses) > MAX_STATUS_FILTERS:
        raise ValidationFailed(f"name at most {MAX_STATUS_FILTERS} statuses", field="status")
    if unassigned and assignee_id is not None:
        raise ValidationFailed("ask for unassigned cases or for one assignee, not both", field="unassigned")
    return CaseFilter(
        statuses=frozenset(parse_enum(CaseStatus, s, "status") for s in raw_statuses),
        open_only=bool(open_only),
        priority=parse_enum(Priority, priority, "priority") if priority is not None else None,
        assignee_id=check_id(assignee_id, "assignee_id") if assignee_id is not None else None,
        unassigned=bool(unassigned),
        category=check_category(category),
        tag=_tag_filter(tag),
        customer_id=check_id(customer_id, "customer_id") if customer_id is not None else None,
        query=check_text(q, "q", MAX_QUERY) if q is not None and q.strip() else None,
    )
