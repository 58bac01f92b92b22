"""Case rules without a database: transitions, status times, tags, diff, field checks, filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpline.domain import cases as rules
from helpline.domain.cases import ALLOWED_TRANSITIONS, FieldChange, check_transition, diff_fields, normalise_tags
from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.vocabulary import CaseStatus as C
from helpline.domain.vocabulary import Priority

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

ALLOWED = [
    (C.NEW, C.OPEN),
    (C.NEW, C.PENDING),
    (C.NEW, C.RESOLVED),
    (C.NEW, C.CLOSED),
    (C.OPEN, C.PENDING),
    (C.OPEN, C.RESOLVED),
    (C.OPEN, C.CLOSED),
    (C.PENDING, C.OPEN),
    (C.PENDING, C.RESOLVED),
    (C.PENDING, C.CLOSED),
    (C.RESOLVED, C.OPEN),
    (C.RESOLVED, C.CLOSED),
]


def test_transition_table_is_exactly_the_allowed_pairs() -> None:
    """Every pair of statuses: allowed ones pass, all others are a Conflict on `status`."""
    for current in C:
        for target in C:
            if current == target or (current, target) in ALLOWED:
                check_transition(current, target)
            else:
                with pytest.raises(Conflict) as err:
                    check_transition(current, target)
                assert err.value.field == "status"
    assert sum(len(v) for v in ALLOWED_TRANSITIONS.values()) == len(ALLOWED)


def test_closed_is_final_and_resolved_can_reopen() -> None:
    assert ALLOWED_TRANSITIONS[C.CLOSED] == frozenset()
    check_transition(C.RESOLVED, C.OPEN)
    with pytest.raises(Conflict):
        check_transition(C.RESOLVED, C.NEW)


def test_status_times() -> None:
    assert rules.status_times(C.OPEN, C.RESOLVED, NOW) == {"resolved_at": NOW}
    assert rules.status_times(C.RESOLVED, C.CLOSED, NOW) == {"closed_at": NOW}
    assert rules.status_times(C.RESOLVED, C.OPEN, NOW) == {"resolved_at": None}  # reopened
    assert rules.status_times(C.OPEN, C.PENDING, NOW) == {}
    assert rules.status_times(C.OPEN, C.OPEN, NOW) == {}


def test_tags_fold_case_duplicates_and_keep_order() -> None:
    assert normalise_tags([" Billing", "refund", "billing ", "VIP"]) == ["billing", "refund", "vip"]
    assert normalise_tags([]) == []


@pytest.mark.parametrize(
    "bad",
    [
        "billing",
        None,
        ["ok"] * 31,
        [f"t{i}" for i in range(10_000)],
        [""],
        ["   "],
        ["x" * 41],
        [3],
        ["a\x00b"],
        ["line\nbreak"],
        ["İ" * 40],  # lowercases to 80 characters: too long once stored
    ],
)
def test_tags_refuse_bad_input(bad: object) -> None:
    with pytest.raises(ValidationFailed) as err:
        normalise_tags(bad)
    assert err.value.field == "tags"


def test_tier() -> None:
    assert rules.check_tier(0) == 0 and rules.check_tier(5) == 5
    for bad in [-1, 6, True, "2", 1.5]:
        with pytest.raises(ValidationFailed):
            rules.check_tier(bad)


def test_diff_lists_only_changed_fields_as_text() -> None:
    due = datetime(2026, 3, 5, 17, 0, tzinfo=UTC)
    before = {
        "subject": "Card lost",
        "priority": "normal",
        "assignee_id": None,
        "tags": ["card"],
        "resolution_due_at": None,
        "escalation_tier": 0,
    }
    after = {
        "subject": "Card lost",
        "priority": "high",
        "assignee_id": 12,
        "tags": ["card", "urgent"],
        "resolution_due_at": due,
        "escalation_tier": 0,
    }
    assert diff_fields(before, after) == [
        FieldChange("priority", "normal", "high"),
        FieldChange("assignee_id", None, "12"),
        FieldChange("tags", "card", "card, urgent"),
        FieldChange("resolution_due_at", None, due.isoformat()),
    ]
    assert diff_fields(before, dict(before)) == []
    assert diff_fields({"assignee_id": 3}, {"assignee_id": None}) == [FieldChange("assignee_id", "3", None)]


def test_field_checks() -> None:
    assert rules.check_subject("  Card lost ") == "Card lost"
    assert rules.check_category("  ") is None and rules.check_category("Billing") == "Billing"
    assert rules.check_note("line one\nline two") == "line one\nline two"
    for check, bad, field in [
        (rules.check_subject, "", "subject"),
        (rules.check_subject, "x" * 301, "subject"),
        (rules.check_category, "x" * 65, "category"),
        (rules.check_note, "", "body"),
        (rules.check_note, "x" * 20_001, "body"),
        (rules.check_note, "\x00", "body"),
    ]:
        with pytest.raises(ValidationFailed) as err:
            check(bad)
        assert err.value.field == field


def test_priority_and_status_ranks_cover_every_value() -> None:
    assert sorted(Priority, key=rules.PRIORITY_RANK.__getitem__) == [
        Priority.LOW,
        Priority.NORMAL,
        Priority.HIGH,
        Priority.URGENT,
    ]
    assert set(rules.STATUS_RANK) == set(C)


def test_make_filter() -> None:
    f = rules.make_filter(status=["open", "Pending", "open"], tag=" VIP ", q="  card ", priority="high")
    assert f.statuses == {C.OPEN, C.PENDING} and f.tag == "vip" and f.query == "card" and f.priority == "high"
    assert rules.make_filter(q="  ").query is None
    for kwargs, field in [
        ({"status": ["lost"]}, "status"),
        ({"status": ["open"] * 11}, "status"),
        ({"priority": "asap"}, "priority"),
        ({"assignee_id": 0}, "assignee_id"),
        ({"customer_id": 2**63}, "customer_id"),
        ({"unassigned": True, "assignee_id": 3}, "unassigned"),
        ({"tag": "x" * 41}, "tag"),
        ({"q": "x" * 201}, "q"),
    ]:
        with pytest.raises(ValidationFailed) as err:
            rules.make_filter(**kwargs)  # type: ignore[arg-type]
        assert err.value.field == field
