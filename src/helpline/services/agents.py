"""Agents' routing profiles (skills with proficiency, languages, site, capacity profile) and capacity profiles."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, Final, Literal

from helpline.domain.errors import NotFound, ValidationFailed
from helpline.domain.interactions import check_text
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.routing.model import BLENDED, DIGITAL, VOICE_ONLY, AgentSpec, CapacityProfile
from helpline.domain.vocabulary import Channel, Role
from helpline.domain.workforce.contracts import contract_to_dict, parse_contract
from helpline.services import audit
from helpline.services.ports import Deps, UnitOfWork
from helpline.services.queues import check_skills

BUILTIN_PROFILES = (VOICE_ONLY, BLENDED, DIGITAL)
DEFAULT_PROFILE = BLENDED.name
MAX_LANGUAGES = 20
MAX_CHANNEL_LIMIT = 50
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_CHANNELS = frozenset(c.value for c in Channel)


class _Keep(Enum):
    KEEP = "keep"


# configure_agent(contract=KEEP) leaves the contract as it is; None resets it to the default contract.
KEEP: Final = _Keep.KEEP


# --- agents --------------------------------------------------------------------------------------


def configure_agent(
    deps: Deps,
    principal: Principal,
    user_id: int,
    *,
    skills: dict[str, Any] | None = None,
    languages: list[str] | None = None,
    site: str | None = None,
    profile: str | None = None,
    contract: dict[str, Any] | Literal[_Keep.KEEP] | None = KEEP,
) -> dict[str, Any]:
    """Set an agent's routing profile and weekly contract (fields left None are kept; the contract
    is kept unless given, and None resets it to the default contract). Admins configure anyone; a
    supervisor configures agents who serve one of their tenants."""
    changes: dict[str, Any] = {}
    if contract is not KEEP:
        changes["contract"] = None if contract is None else contract_to_dict(parse_contract(contract))
    if skills is not None:
        changes["skills"] = check_skills(skills, "skills")
    if languages is not None:
        changes["languages"] = _languages(languages)
    if site is not None:
        changes["site"] = _site(site)
    with deps.uow() as uow:
        record = _reachable(uow, principal, user_id)
        if profile is not None:
            ensure_builtin_profiles(uow)
            found = uow.center.agents.profile_by_name(profile) if isinstance(profile, str) else None
            if found is None:
                raise ValidationFailed("profile must name a capacity profile", field="profile")
            changes["profile_id"] = found.id
        row = record.agent or _create_row(uow, record)
        for name, value in changes.items():
            setattr(row, name, value)
        audit.record(
            uow,
            deps,
            principal,
            "agent.configure",
            "agent",
            user_id,
            **{k: v for k, v in changes.items() if k != "profile_id"},
            profile=profile,
        )
        uow.commit()
    spec = sync_agent(deps, user_id)
    if spec is not None and deps.routing is not None:
        deps.routing.agent_changed(spec)
    return get_agent(deps, principal, user_id)


def get_agent(deps: Deps, principal: Principal, user_id: int) -> dict[str, Any]:
    with deps.uow() as uow:
        _reachable(uow, principal, user_id, reading=True)
        view = agent_view(uow, user_id)
    assert view is not None
    return {**view, **_live(deps, [user_id]).get(user_id, _offline(user_id))}


def list_agents(deps: Deps, principal: Principal, tenant_id: int) -> list[dict[str, Any]]:
    """Staff serving the tenant who may take work, with their routing profile and live state."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        profiles = profiles_by_id(uow)
        records = [r for r in uow.center.agents.records(tenant_id=tenant_id) if r.user.role != Role.ADMIN.value]
        views = [_view(r, profiles) for r in records]
    live = _live(deps, [v["user_id"] for v in views])
    return [{**v, **live.get(v["user_id"], _offline(v["user_id"]))} for v in views]


def agent_view(uow: UnitOfWork, user_id: int) -> dict[str, Any] | None:
    """An agent's stored routing profile (defaults if never configured)."""
    records = uow.center.agents.records([user_id])
    if not records:
        return None
    return _view(records[0], profiles_by_id(uow))


def sync_agent(deps: Deps, user_id: int) -> AgentSpec | None:
    """The agent's spec for the router, creating their routing row with defaults on first use.

    Defaults: the default languages of the tenants they serve, site "main", the blended profile.
    """
    with deps.uow() as uow:
        records = uow.center.agents.records([user_id])
        if not records:
            return None
        record = records[0]
        if record.agent is None:
            ensure_builtin_profiles(uow)
            _create_row(uow, record)
            uow.commit()
            record = uow.center.agents.records([user_id])[0]
        return agent_spec(record, profiles_by_id(uow))


def agent_spec(record: Any, profiles: dict[int, CapacityProfile]) -> AgentSpec:
    agent = record.agent
    profile = profiles.get(agent.profile_id) if agent is not None and agent.profile_id is not None else None
    return AgentSpec(
        id=record.user.id,
        name=record.user.name,
        skills=dict(agent.skills or {}) if agent is not None else {},
        languages=frozenset(agent.languages or ()) if agent is not None else frozenset(),
        tenants=record.tenant_ids,
        site=agent.site if agent is not None else "main",
        profile=profile or BLENDED,
    )


# --- capacity profiles ---------------------------------------------------------------------------


def list_profiles(deps: Deps, principal: Principal) -> list[dict[str, Any]]:
    """Supervisors and admins (who pick a profile for an agent)."""
    require(principal, Action.MANAGE_TENANT)
    with deps.uow() as uow:
        if ensure_builtin_profiles(uow):
            uow.commit()
        return [_profile_out(p) for p in uow.center.agents.profiles()]


def save_profile(
    deps: Deps,
    principal: Principal,
    name: str,
    *,
    limits: dict[str, Any],
    exclusive: list[str] | None = None,
    interruptible: list[str] | None = None,
    max_total: int | None = None,
) -> dict[str, Any]:
    """Create or replace a capacity profile (admin). Agents with it get the new limits at once."""
    require(principal, Action.MANAGE_CENTER)
    if not isinstance(name, str) or not _PROFILE_NAME.match(name):
        raise ValidationFailed("name is 1-40 lowercase letters, digits, '_' or '-'", field="name")
    exclusive_channels = _channels(exclusive if exclusive is not None else ["voice"], "exclusive")
    interruptible_channels = _channels(
        interruptible if interruptible is not None else sorted(BLENDED.interruptible), "interruptible"
    )
    values: dict[str, Any] = {
        "limits": _limits(limits),
        "exclusive": exclusive_channels,
        "interruptible": interruptible_channels,
        "max_total": _max_total(max_total),
    }
    if set(exclusive_channels) & set(interruptible_channels):
        raise ValidationFailed("a channel cannot be both exclusive and interruptible", field="interruptible")
    with deps.uow() as uow:
        ensure_builtin_profiles(uow)
        row = uow.center.agents.profile_by_name(name)
        if row is None:
            row = uow.center.agents.create_profile(name=name, **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        affected = uow.center.agents.with_profile(row.id)
        audit.record(uow, deps, principal, "capacity_profile.save", "capacity_profile", name, **values)
        uow.commit()
        out = _profile_out(row)
    if deps.routing is not None:
        for user_id in affected:
            spec = sync_agent(deps, user_id)
            if spec is not None:
                deps.routing.agent_changed(spec)
    return out


def ensure_builtin_profiles(uow: UnitOfWork) -> bool:
    """Create voice / blended / digital if missing (inside the caller's transaction); True if it did."""
    created = False
    for profile in BUILTIN_PROFILES:
        if uow.center.agents.profile_by_name(profile.name) is None:
            uow.center.agents.create_profile(
                name=profile.name,
                limits=dict(profile.limits),
                exclusive=sorted(profile.exclusive),
                interruptible=sorted(profile.interruptible),
                max_total=profile.max_total,
            )
            created = True
    return created


def profiles_by_id(uow: UnitOfWork) -> dict[int, CapacityProfile]:
    return {
        p.id: CapacityProfile(
            name=p.name,
            limits={str(k): int(v) for k, v in (p.limits or {}).items()},
            exclusive=frozenset(p.exclusive or ()),
            interruptible=frozenset(p.interruptible or ()),
            max_total=p.max_total,
        )
        for p in uow.center.agents.profiles()
    }


# --- helpers -------------------------------------------------------------------------------------


def _reachable(uow: UnitOfWork, principal: Principal, user_id: int, reading: bool = False) -> Any:
    """The agent's record if the caller may see (or change) it; 404 for anyone out of reach."""
    if not ((principal.user_id == user_id and reading) or principal.may(Action.MANAGE_CENTER)):
        require(principal, Action.MANAGE_TENANT)
    records = uow.center.agents.records([user_id]) if isinstance(user_id, int) else []
    if not records or records[0].user.role == Role.CLIENT_MANAGER.value:
        raise NotFound("agent not found", field="user_id")
    record = records[0]
    outsider = record.user.role == Role.ADMIN.value or not (record.tenant_ids & (principal.tenant_ids or frozenset()))
    if principal.tenant_ids is not None and principal.user_id != user_id and outsider:
        raise NotFound("agent not found", field="user_id")
    return record


def _create_row(uow: UnitOfWork, record: Any) -> Any:
    profile = uow.center.agents.profile_by_name(DEFAULT_PROFILE)
    return uow.center.agents.create(
        user_id=record.user.id,
        skills={},
        languages=uow.center.agents.default_languages(record.tenant_ids),
        site="main",
        profile_id=profile.id if profile is not None else None,
        presence="offline",
    )


def _view(record: Any, profiles: dict[int, CapacityProfile]) -> dict[str, Any]:
    spec = agent_spec(record, profiles)
    return {
        "user_id": record.user.id,
        "name": record.user.name,
        "role": record.user.role,
        "configured": record.agent is not None,
        "skills": dict(sorted(spec.skills.items())),
        "languages": sorted(spec.languages),
        "site": spec.site,
        "profile": spec.profile.name,
        "tenant_ids": sorted(spec.tenants),
        "contract": record.agent.contract if record.agent is not None else None,
    }


def _live(deps: Deps, user_ids: list[int]) -> dict[int, dict[str, Any]]:
    if deps.routing is None:
        return {}
    live: dict[int, dict[str, Any]] = deps.routing.live(user_ids)
    return live


def _offline(user_id: int) -> dict[str, Any]:
    return {"presence": "offline", "state": "offline", "reason": None, "holding": {}}


def _languages(raw: object) -> list[str]:
    if not isinstance(raw, list) or len(raw) > MAX_LANGUAGES:
        raise ValidationFailed(f"languages must be a list of at most {MAX_LANGUAGES} tags", field="languages")
    tags: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not _LANGUAGE.match(item.strip()):
            raise ValidationFailed("languages holds tags such as en or fr-CA", field="languages")
        if item.strip() not in tags:
            tags.append(item.strip())
    return tags


def _site(raw: object) -> str:
    return check_text(raw, "site", 40)


def _limits(raw: object) -> dict[str, int]:
    if not isinstance(raw, dict) or not raw:
        raise ValidationFailed("limits maps channels to how many items at once", field="limits")
    limits: dict[str, int] = {}
    for channel, count in raw.items():
        if channel not in _CHANNELS:
            raise ValidationFailed(f"limits: unknown channel {str(channel)[:20]!r}", field="limits")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_CHANNEL_LIMIT:
            raise ValidationFailed(f"limits are whole numbers from 0 to {MAX_CHANNEL_LIMIT}", field="limits")
        limits[channel] = count
    return limits


def _channels(raw: object, field: str) -> list[str]:
    if not isinstance(raw, list) or len(raw) > len(_CHANNELS) or any(c not in _CHANNELS for c in raw):
        raise ValidationFailed(f"{field} is a list of channels", field=field)
    return sorted(set(raw))


def _max_total(raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 100:
        raise ValidationFailed("max_total is a whole number from 1 to 100", field="max_total")
    return raw


def _profile_out(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "limits": dict(row.limits or {}),
        "exclusive": list(row.exclusive or []),
        "interruptible": list(row.interruptible or []),
        "max_total": row.max_total,
        "builtin": row.name in {p.name for p in BUILTIN_PROFILES},
    }
