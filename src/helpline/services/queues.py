"""Queues: where a tenant's interactions wait, and how the router serves them (skills, strategy, hours...)."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.interactions import MAX_DISPOSITION, check_text
from helpline.domain.pagination import make_page
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.routing.engine import validate_queue
from helpline.domain.routing.model import (
    DEFAULT_SERVICE_LEVEL_SECONDS,
    Hours,
    OverflowTarget,
    QueueSpec,
    RelaxStep,
    Strategy,
)
from helpline.domain.vocabulary import Channel, parse_enum
from helpline.services import audit
from helpline.services.ports import Deps

MAX_NAME = 100
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
SKILL_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
MAX_SKILLS = 50
MAX_RELAX_STEPS = 10
MAX_OVERFLOW_TARGETS = 10
MAX_DISPOSITION_CODES = 100
MAX_CLOSED_DATES = 400
DAY_MINUTES = 24 * 60
_BASIC = ("name", "channel", "language")
# Routing settings: field -> (low, high) for numbers; the other settings have their own checks.
INT_BOUNDS: dict[str, tuple[int, int]] = {
    "priority": (-100, 100),
    "preferred_wait_seconds": (0, 3600),
    "recent_agent_days": (0, 365),
    "language_wait_seconds": (0, 86_400),
    "offer_timeout_seconds": (5, 600),
    "wrap_up_seconds": (0, 3600),
    "service_level_seconds": (1, 30 * 86_400),  # 20 s for calls up to days for letters
    "leave_message_after_seconds": (0, 86_400),
}
FLOAT_BOUNDS: dict[str, tuple[float, float]] = {"aging_per_minute": (0.0, 100.0), "service_level_percent": (0.0, 100.0)}
# Mean caller patience for staffing (Erlang A); None: callers are assumed to wait (Erlang C).
PATIENCE_BOUNDS: tuple[int, int] = (1, 3600)
ROUTING_FIELDS = (
    *INT_BOUNDS,
    *FLOAT_BOUNDS,
    "skills",
    "strategy",
    "relaxation",
    "overflow",
    "hours",
    "disposition_codes",
    "patience_seconds",
)
_FIELDS = (*_BASIC, *ROUTING_FIELDS)


def create_queue(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    name: str,
    channel: str | None = None,
    language: str | None = None,
    **settings: Any,
) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    _reject_unknown(settings, ROUTING_FIELDS)
    values = _checked({"name": name, "channel": channel, "language": language})
    if values["channel"] is not None and "service_level_seconds" not in settings:
        settings["service_level_seconds"] = DEFAULT_SERVICE_LEVEL_SECONDS[values["channel"]]
    with deps.uow() as uow:
        queues = uow.tenant(tenant_id).queues
        routing = check_routing(settings, queues, own_id=None)
        if queues.by_name(values["name"]) is not None:
            raise Conflict("a queue with this name already exists", field="name")
        queue = queues.save(**values, **routing, created_at=deps.clock.now())
        _check_routable(queue)
        audit.record(uow, deps, principal, "queue.create", "queue", queue.id, tenant_id=tenant_id, **values, **routing)
        uow.commit()
    _push(deps, queue)
    return queue


def update_queue(deps: Deps, principal: Principal, tenant_id: int, queue_id: int, changes: dict[str, Any]) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.MANAGE_TENANT)
    _reject_unknown(changes, _FIELDS)
    with deps.uow() as uow:
        queues = uow.tenant(tenant_id).queues
        queue = queues.get(queue_id, for_update=True)
        basic = {k: v for k, v in changes.items() if k in _BASIC}
        values = _checked({**{f: getattr(queue, f) for f in _BASIC}, **basic})
        values.update(check_routing({k: v for k, v in changes.items() if k in ROUTING_FIELDS}, queues, queue.id))
        if values["name"] != queue.name:
            clash = queues.by_name(values["name"])
            if clash is not None and clash.id != queue.id:
                raise Conflict("a queue with this name already exists", field="name")
        changed = {f: v for f, v in values.items() if getattr(queue, f) != v}
        if "channel" in changed and deps.routing is not None and deps.routing.queue_in_use(queue.id):
            raise Conflict("interactions wait in or are held from this queue: its channel cannot change now", "channel")
        for field, value in changed.items():
            setattr(queue, field, value)
        if changed:
            _check_routable(queue)
            queues.flush_unique()
            audit.record(uow, deps, principal, "queue.update", "queue", queue.id, tenant_id=tenant_id, **changed)
            uow.commit()
    if changed:
        _push(deps, queue)
    return queue


def get_queue(deps: Deps, principal: Principal, tenant_id: int, queue_id: int) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        return uow.tenant(tenant_id).queues.get(queue_id)


def list_queues(
    deps: Deps, principal: Principal, tenant_id: int, limit: int | None = None, offset: int | None = None
) -> tuple[list[Any], int]:
    """Queues by name."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    page = make_page(limit, offset)
    with deps.uow() as uow:
        rows, total = uow.tenant(tenant_id).queues.listed(page)
        return rows, total


# --- routing settings --------------------------------------------------------------------------


def check_routing(settings: dict[str, Any], queues: Any, own_id: int | None) -> dict[str, Any]:
    """Validate the routing settings given (any subset) and return them in their stored JSON shapes.

    `queues` is the tenant's queue repository: overflow steps must name another queue of the tenant.
    """
    out: dict[str, Any] = {}
    for name, (low, high) in INT_BOUNDS.items():
        if name in settings:
            out[name] = _int(settings[name], name, low, high)
    for name, (flow, fhigh) in FLOAT_BOUNDS.items():
        if name in settings:
            out[name] = _number(settings[name], name, flow, fhigh)
    if "skills" in settings:
        out["skills"] = check_skills(settings["skills"], "skills")
    if "strategy" in settings:
        out["strategy"] = parse_enum(Strategy, settings["strategy"], "strategy").value
    if "relaxation" in settings:
        out["relaxation"] = _relaxation(settings["relaxation"], queues, own_id)
    if "overflow" in settings:
        out["overflow"] = check_overflow(settings["overflow"], "overflow")
    if "hours" in settings:
        out["hours"] = check_hours(settings["hours"])
    if "disposition_codes" in settings:
        out["disposition_codes"] = _codes(settings["disposition_codes"])
    if "patience_seconds" in settings:
        patience = settings["patience_seconds"]
        out["patience_seconds"] = None if patience is None else _int(patience, "patience_seconds", *PATIENCE_BOUNDS)
    return out


def check_skills(raw: object, field: str) -> dict[str, int]:
    """{skill: proficiency 1..5}; skill names are short lowercase words (billing, french, tier-2)."""
    if not isinstance(raw, dict) or len(raw) > MAX_SKILLS:
        raise ValidationFailed(f"{field} must be an object of at most {MAX_SKILLS} skills", field=field)
    skills: dict[str, int] = {}
    for key, level in raw.items():
        name = key.strip().lower() if isinstance(key, str) else None
        if name is None or not SKILL_NAME.match(name):
            raise ValidationFailed(
                f"{field}: skill names are 1-40 lowercase letters, digits, '_', '.' or '-'", field=field
            )
        skills[name] = _int(level, field, 1, 5, what=f"the proficiency of {name}")
    return skills


def check_overflow(raw: object, field: str) -> list[dict[str, Any]]:
    """[{name, kind: site|partner, weight 0..100}], names unique, at least one weight > 0 (or none at all)."""
    if not isinstance(raw, list) or len(raw) > MAX_OVERFLOW_TARGETS:
        raise ValidationFailed(f"{field} must be a list of at most {MAX_OVERFLOW_TARGETS} targets", field=field)
    targets: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"name", "kind", "weight"}:
            raise ValidationFailed(f"each {field} target is an object with name, kind and weight", field=field)
        name = check_text(item.get("name"), field, 40)
        kind = item.get("kind")
        if kind not in ("site", "partner"):
            raise ValidationFailed(f"{field} kind must be site or partner", field=field)
        weight = _number(item.get("weight"), field, 0.0, 100.0, what="weight")
        if any(t["name"] == name for t in targets):
            raise ValidationFailed(f"{field} names {name!r} twice", field=field)
        targets.append({"name": name, "kind": kind, "weight": weight})
    if targets and not any(t["weight"] > 0 for t in targets):
        raise ValidationFailed(f"{field}: at least one weight must be above 0", field=field)
    return targets


def check_hours(raw: object) -> dict[str, Any] | None:
    """Weekly opening hours in a named timezone, or None for always open."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"timezone", "weekly", "closed_dates"}:
        raise ValidationFailed("hours must be an object with timezone, weekly and closed_dates", field="hours")
    zone = raw.get("timezone")
    try:
        if not isinstance(zone, str) or not 0 < len(zone) <= 64:
            raise ValueError
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValidationFailed("hours.timezone must be an IANA timezone such as Europe/Paris", field="hours") from None
    weekly_raw = raw.get("weekly", {})
    if not isinstance(weekly_raw, dict):
        raise ValidationFailed("hours.weekly maps weekdays 0 (Monday) to 6 to [[open, close], ...]", field="hours")
    weekly: dict[str, list[list[int]]] = {}
    for day, spans in weekly_raw.items():
        if str(day) not in {str(d) for d in range(7)}:
            raise ValidationFailed("hours.weekly keys are weekdays 0 (Monday) to 6", field="hours")
        if not isinstance(spans, list) or len(spans) > 12:
            raise ValidationFailed("hours.weekly days hold at most 12 [open, close] spans", field="hours")
        checked: list[list[int]] = []
        for span in spans:
            if not isinstance(span, list | tuple) or len(span) != 2:
                raise ValidationFailed("hours spans are [open, close] in minutes since midnight", field="hours")
            start = _int(span[0], "hours", 0, DAY_MINUTES, what="an opening minute")
            end = _int(span[1], "hours", 0, DAY_MINUTES, what="a closing minute")
            if start >= end:
                raise ValidationFailed("hours spans must open before they close", field="hours")
            checked.append([start, end])
        weekly[str(day)] = sorted(checked)
    dates_raw = raw.get("closed_dates", [])
    if not isinstance(dates_raw, list) or len(dates_raw) > MAX_CLOSED_DATES:
        raise ValidationFailed(f"hours.closed_dates is a list of at most {MAX_CLOSED_DATES} dates", field="hours")
    dates = []
    for item in dates_raw:
        try:
            if not isinstance(item, str) or len(item) != 10:
                raise ValueError
            dates.append(date.fromisoformat(item).isoformat())
        except ValueError:
            raise ValidationFailed("hours.closed_dates holds ISO dates such as 2026-12-25", field="hours") from None
    return {"timezone": zone, "weekly": weekly, "closed_dates": sorted(set(dates))}


def _relaxation(raw: object, queues: Any, own_id: int | None) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_RELAX_STEPS:
        raise ValidationFailed(f"relaxation must be a list of at most {MAX_RELAX_STEPS} steps", field="relaxation")
    steps: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict) or set(item) - {"after_seconds", "min_proficiency", "overflow_queue_id"}:
            raise ValidationFailed(
                "each relaxation step has after_seconds and min_proficiency or overflow_queue_id", field="relaxation"
            )
        after = _int(item.get("after_seconds"), "relaxation", 0, 86_400, what="after_seconds")
        if steps and after <= steps[-1]["after_seconds"]:
            raise ValidationFailed("relaxation steps must come in increasing after_seconds", field="relaxation")
        level = item.get("min_proficiency")
        if level is not None:
            level = _int(level, "relaxation", 1, 5, what="min_proficiency")
        target = item.get("overflow_queue_id")
        if target is not None:
            row = queues.find(target) if isinstance(target, int) and not isinstance(target, bool) else None
            if row is None or target == own_id:
                raise ValidationFailed(
                    "relaxation overflow_queue_id must name another queue of this tenant", field="relaxation"
                )
        steps.append({"after_seconds": after, "min_proficiency": level, "overflow_queue_id": target})
    return steps


def _codes(raw: object) -> list[str]:
    if not isinstance(raw, list) or len(raw) > MAX_DISPOSITION_CODES:
        raise ValidationFailed(
            f"disposition_codes must be a list of at most {MAX_DISPOSITION_CODES} codes", field="disposition_codes"
        )
    codes: list[str] = []
    for item in raw:
        code = check_text(item, "disposition_codes", MAX_DISPOSITION)
        if code not in codes:
            codes.append(code)
    return codes


def _int(value: object, field: str, low: int, high: int, what: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{what or field} must be a whole number from {low} to {high}", field=field)
    return value


def _number(value: object, field: str, low: float, high: float, what: str | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(f"{what or field} must be a number from {low:g} to {high:g}", field=field)
    if not low <= value <= high:
        raise ValidationFailed(f"{what or field} must be a number from {low:g} to {high:g}", field=field)
    return float(value)


def _reject_unknown(values: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationFailed(f"cannot change {unknown[0]}", field=unknown[0])


def queue_spec(row: Any) -> QueueSpec:
    """The router's view of a stored queue."""
    hours = None
    if row.hours:
        weekly = {int(day): tuple((int(a), int(b)) for a, b in spans) for day, spans in row.hours["weekly"].items()}
        hours = Hours(row.hours["timezone"], weekly, frozenset(row.hours.get("closed_dates", ())))
    return QueueSpec(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        # A queue without a channel takes any; the router reads an item's channel from the item.
        channel=row.channel or "",
        skills=dict(row.skills or {}),
        language=row.language,
        priority=row.priority,
        aging_per_minute=row.aging_per_minute,
        strategy=Strategy(row.strategy),
        preferred_wait_seconds=float(row.preferred_wait_seconds),
        language_wait_seconds=float(row.language_wait_seconds),
        relaxation=tuple(
            RelaxStep(float(s["after_seconds"]), s.get("min_proficiency"), s.get("overflow_queue_id"))
            for s in row.relaxation or ()
        ),
        offer_timeout_seconds=float(row.offer_timeout_seconds),
        wrap_up_seconds=float(row.wrap_up_seconds),
        overflow=overflow_targets(row.overflow or ()),
        hours=hours,
        service_level_seconds=float(row.service_level_seconds),
        service_level_percent=float(row.service_level_percent),
    )


def overflow_targets(stored: Any) -> tuple[OverflowTarget, ...]:
    return tuple(OverflowTarget(t["name"], t["kind"], float(t["weight"])) for t in stored)


def _check_routable(queue: Any) -> None:
    """The router's own checks on the settings, before anything is committed."""
    if queue.channel is not None:
        validate_queue(queue_spec(queue))


def _push(deps: Deps, queue: Any) -> None:
    """Tell the live router (after commit: the database is the record, the router follows it)."""
    if deps.routing is not None and queue.channel is not None:
        deps.routing.queue_changed(queue_spec(queue), queue)


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    channel, language = values.get("channel"), values.get("language")
    if isinstance(language, str) and not language.strip():
        language = None
    if language is not None and (not isinstance(language, str) or not _LANGUAGE.match(language.strip())):
        raise ValidationFailed("language must be a language tag such as en or fr-CA", field="language")
    return {
        "name": check_text(values.get("name"), "name", MAX_NAME),
        "channel": parse_enum(Channel, channel, "channel").value if channel not in (None, "") else None,
        "language": language.strip() if language is not None else None,
    }
