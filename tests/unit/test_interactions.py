"""Interaction rules without a database: lifecycle order, time order, agents, text, attributes, attachments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from helpline.domain import interactions as rules
from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.interactions import Lifecycle, check_attachments, check_attributes, next_step, plan_step
from helpline.domain.vocabulary import InteractionStatus as S

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- next_step ---------------------------------------------------------------------------------


def test_full_lifecycle_in_order() -> None:
    status = S.NEW
    for action, expected in [
        ("queue", S.QUEUED),
        ("offer", S.OFFERED),
        ("accept", S.ACTIVE),
        ("end", S.ENDED),
        ("wrap_up", S.WRAPPED_UP),
    ]:
        step = next_step(status, action)
        assert step.status == expected and step.timestamp_field == rules.STEPS[action][1]
        status = step.status


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (S.NEW, "accept"),  # outbound call: accepted at once
        (S.NEW, "end"),  # letter handled without routing
        (S.QUEUED, "end"),  # caller hung up while waiting (abandoned)
        (S.QUEUED, "accept"),
        (S.OFFERED, "end"),
    ],
)
def test_steps_may_be_skipped(current: S, action: str) -> None:
    next_step(current, action)


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (S.ACTIVE, "queue"),
        (S.ACTIVE, "offer"),
        (S.ENDED, "accept"),
        (S.QUEUED, "queue"),
        (S.ACTIVE, "accept"),
        (S.WRAPPED_UP, "end"),
        (S.WRAPPED_UP, "wrap_up"),
        (S.WRAPPED_UP, "queue"),
    ],
)
def test_steps_never_go_backwards_or_repeat(current: S, action: str) -> None:
    with pytest.raises(Conflict) as err:
        next_step(current, action)
    assert err.value.field == "action"


@pytest.mark.parametrize("current", [S.NEW, S.QUEUED, S.OFFERED, S.ACTIVE])
def test_only_an_ended_interaction_can_be_wrapped_up(current: S) -> None:
    with pytest.raises(Conflict, match="ended"):
        next_step(current, "wrap_up")


def test_offered_interaction_may_go_back_to_the_queue() -> None:
    step = next_step(S.OFFERED, "queue")
    assert step.status == S.QUEUED and step.requeue


def test_unknown_step_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed) as err:
        next_step(S.NEW, "teleport")
    assert err.value.field == "action"


# --- plan_step: times, agents, disposition ------------------------------------------------------


def test_plan_fills_the_step_timestamp_and_defaults_to_now() -> None:
    changes = plan_step(Lifecycle(S.NEW, T0), "queue", now=at(2))
    assert changes == {"status": "queued", "queued_at": at(2)}
    earlier = plan_step(Lifecycle(S.NEW, T0), "queue", now=at(2), at=at(1))
    assert earlier["queued_at"] == at(1)


def test_step_time_cannot_precede_creation_or_the_previous_step() -> None:
    with pytest.raises(ValidationFailed) as err:
        plan_step(Lifecycle(S.NEW, T0), "queue", now=at(5), at=at(-1))
    assert err.value.field == "at"
    queued = Lifecycle(S.QUEUED, T0, queued_at=at(3))
    with pytest.raises(ValidationFailed):
        plan_step(queued, "offer", now=at(5), at=at(2), agent_id=7)
    assert plan_step(queued, "offer", now=at(5), at=at(3), agent_id=7)["offered_at"] == at(3)  # equal is fine


def test_step_time_cannot_be_in_the_future() -> None:
    with pytest.raises(ValidationFailed, match="future") as err:
        plan_step(Lifecycle(S.NEW, T0), "queue", now=at(5), at=at(5.01))
    assert err.value.field == "at"


def test_naive_times_are_utc_and_offsets_are_converted() -> None:
    changes = plan_step(Lifecycle(S.NEW, T0), "queue", now=at(60), at=datetime(2026, 3, 2, 9, 30))
    assert changes["queued_at"] == at(30) and changes["queued_at"].tzinfo is not None
    paris = timezone(timedelta(hours=1))
    changes = plan_step(Lifecycle(S.NEW, T0), "queue", now=at(120), at=datetime(2026, 3, 2, 10, 45, tzinfo=paris))
    assert changes["queued_at"] == at(45)


def test_out_of_range_time_is_a_validation_error_not_a_crash() -> None:
    extreme = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-20)))
    with pytest.raises(ValidationFailed) as err:
        plan_step(Lifecycle(S.NEW, T0), "queue", now=at(1), at=extreme)
    assert err.value.field == "at"


def test_offer_needs_an_agent_and_records_it() -> None:
    with pytest.raises(ValidationFailed) as err:
        plan_step(Lifecycle(S.QUEUED, T0, queued_at=at(1)), "offer", now=at(2))
    assert err.value.field == "agent_id"
    assert plan_step(Lifecycle(S.QUEUED, T0, queued_at=at(1)), "offer", now=at(2), agent_id=9)["agent_id"] == 9


def test_accept_defaults_to_the_offered_agent_and_refuses_another() -> None:
    offered = Lifecycle(S.OFFERED, T0, agent_id=9, queued_at=at(1), offered_at=at(2))
    assert plan_step(offered, "accept", now=at(3))["agent_id"] == 9
    assert plan_step(offered, "accept", now=at(3), agent_id=9)["agent_id"] == 9
    with pytest.raises(Conflict) as err:
        plan_step(offered, "accept", now=at(3), agent_id=10)
    assert err.value.field == "agent_id"


def test_accept_without_offer_needs_an_agent() -> None:
    with pytest.raises(ValidationFailed) as err:
        plan_step(Lifecycle(S.NEW, T0), "accept", now=at(1))
    assert err.value.field == "agent_id"
    assert plan_step(Lifecycle(S.NEW, T0), "accept", now=at(1), agent_id=4) == {
        "status": "active",
        "agent_id": 4,
        "accepted_at": at(1),
    }


@pytest.mark.parametrize("bad", [0, -1, 2**63, True])
def test_agent_id_must_be_a_plausible_id(bad: int) -> None:
    with pytest.raises(ValidationFailed):
        plan_step(Lifecycle(S.NEW, T0), "accept", now=at(1), agent_id=bad)


@pytest.mark.parametrize("action", ["queue", "end"])
def test_agent_only_applies_to_offer_and_accept(action: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        plan_step(Lifecycle(S.NEW, T0), action, now=at(1), agent_id=3)
    assert err.value.field == "agent_id"


def test_requeue_clears_the_offer_and_keeps_the_first_queue_time() -> None:
    offered = Lifecycle(S.OFFERED, T0, agent_id=9, queued_at=at(1), offered_at=at(2))
    changes = plan_step(offered, "queue", now=at(3))
    assert changes == {"status": "queued", "agent_id": None, "offered_at": None}
    direct = Lifecycle(S.OFFERED, T0, agent_id=9, offered_at=at(2))  # offered without having queued
    assert plan_step(direct, "queue", now=at(3))["queued_at"] == at(3)
    with pytest.raises(ValidationFailed):  # a requeue cannot be dated before the offer it undoes
        plan_step(offered, "queue", now=at(3), at=at(1.5))


def test_disposition_only_on_wrap_up() -> None:
    ended = Lifecycle(S.ENDED, T0, agent_id=1, accepted_at=at(1), ended_at=at(2))
    assert plan_step(ended, "wrap_up", now=at(3), disposition_code="resolved")["disposition_code"] == "resolved"
    assert "disposition_code" not in plan_step(ended, "wrap_up", now=at(3))
    with pytest.raises(ValidationFailed) as err:
        plan_step(Lifecycle(S.ACTIVE, T0, agent_id=1, accepted_at=at(1)), "end", now=at(2), disposition_code="x")
    assert err.value.field == "disposition_code"
    for bad in ["", "x" * 65, "a\x00b"]:
        with pytest.raises(ValidationFailed):
            plan_step(ended, "wrap_up", now=at(3), disposition_code=bad)


def test_latest_is_the_newest_timestamp() -> None:
    assert Lifecycle(S.NEW, T0).latest() is None
    assert Lifecycle(S.ENDED, T0, queued_at=at(1), accepted_at=at(4), ended_at=at(3)).latest() == at(4)


# --- text, ids, attributes, attachments ---------------------------------------------------------


def test_check_text_bounds_and_characters() -> None:
    assert rules.check_text("  hello ", "subject", 10) == "hello"
    assert rules.check_text("a\nb\tc", "body", 10, multiline=True) == "a\nb\tc"
    for bad in ["", "   ", "x" * 11, "a\x00b", "a\x1bb", "\ud800", 5, None]:
        with pytest.raises(ValidationFailed) as err:
            rules.check_text(bad, "subject", 10)
        assert err.value.field == "subject"
    with pytest.raises(ValidationFailed):
        rules.check_text("a\nb", "subject", 10)  # single-line field
    assert rules.optional_text("  ", "subject", 10) is None


def test_check_id() -> None:
    assert rules.check_id(1, "x") == 1
    assert rules.check_id(2**63 - 1, "x") == 2**63 - 1
    for bad in [0, -5, 2**63, True, "3", 1.0]:
        with pytest.raises(ValidationFailed):
            rules.check_id(bad, "x")


def test_attributes_accept_small_json() -> None:
    value = {"ivr": {"choice": 2, "path": ["billing", "cards"]}, "vip": True, "score": 0.5, "note": None}
    assert check_attributes(value) == value
    assert check_attributes(None) == {}


@pytest.mark.parametrize(
    "bad",
    [
        [1, 2],
        "text",
        {"x": "y" * 20_000},
        {f"k{i}": i for i in range(101)},
        {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}},
        {"n": float("nan")},
        {"n": float("inf")},
        {"s": "nul\x00"},
        {"s": "\udc00"},
        {"": 1},
        {"k" * 65: 1},
        {"big": 2**70},
        {"odd": object()},
    ],
)
def test_attributes_refuse_large_deep_or_odd_values(bad: object) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_attributes(bad)
    assert err.value.field == "attributes"


def test_attachments_metadata() -> None:
    good = [{"filename": "scan.pdf", "content_type": "application/pdf", "size": 1024, "ignored": 1}]
    assert check_attachments(good) == [{"filename": "scan.pdf", "content_type": "application/pdf", "size": 1024}]
    assert check_attachments(None) == []


@pytest.mark.parametrize(
    "bad",
    [
        "scan.pdf",
        [{"filename": "a", "content_type": "text/plain", "size": 1}] * 21,
        ["a"],
        [{"filename": "", "content_type": "text/plain", "size": 1}],
        [{"filename": "x" * 256, "content_type": "text/plain", "size": 1}],
        [{"filename": "a\x00.pdf", "content_type": "text/plain", "size": 1}],
        [{"filename": "a", "content_type": "plain", "size": 1}],
        [{"filename": "a", "content_type": "text/plain", "size": -1}],
        [{"filename": "a", "content_type": "text/plain", "size": True}],
        [{"filename": "a", "content_type": "text/plain", "size": "12"}],
        [{"filename": "a", "content_type": "text/plain"}],
    ],
)
def test_attachments_refuse_bad_metadata(bad: object) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_attachments(bad)
    assert err.value.field == "attachments"


def test_make_filter_checks_each_value() -> None:
    f = rules.make_filter(channel="Email", status="queued", customer_id=3, created_after=datetime(2026, 1, 1))
    assert f.channel == "email" and f.status == S.QUEUED and f.customer_id == 3
    assert f.created_after == datetime(2026, 1, 1, tzinfo=UTC)
    for kwargs, field in [
        ({"channel": "pigeon"}, "channel"),
        ({"status": "lost"}, "status"),
        ({"direction": "sideways"}, "direction"),
        ({"customer_id": 0}, "customer_id"),
        ({"queue_id": 2**64}, "queue_id"),
        ({"agent_id": -1}, "agent_id"),
    ]:
        with pytest.raises(ValidationFailed) as err:
            rules.make_filter(**kwargs)  # type: ignore[arg-type]
        assert err.value.field == field
