"""Schedules: build a week of shifts from the staffing plans, publish it, and read it back per tenant
and per agent (the maths is domain/workforce/scheduling.py).

A week covers every tenant its builder reaches, in one model: agents of the blended pool serve
several tenants, so their hours are shared out in one solve. Each queue is one skill group, named
"tenant-slug/queue name"; an agent can cover a group when they serve the tenant and their skills meet
every minimum proficiency of the queue (any agent of the tenant when the queue asks for no skill).
Only users with the agent role and a routing profile are rostered. Contracts: each agent's stored
weekly contract (domain/workforce/contracts.py: hours, days, weekly unavailable windows), or the
default one (5 days and 40 hours a week at most, no minimum, always available) when none is stored.

Times: weeks start on a Monday at 00:00 UTC and shifts are stored in UTC; pages show them in the
tenant's timezone. The staffing plans' intervals are placed on the week by their start time, modulo
the week (the scheduling model is cyclic), so a plan drawn in a tenant's local days still lands on
the right hours.

Visibility: building, publishing and rosters need Action.SCHEDULE (supervisors, admins); the
coverage of a tenant (required vs scheduled, no names) needs Action.PLAN (client managers too);
agents read their own published shifts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import numpy as np

from helpline.domain.errors import NotFound, PermissionDenied, ValidationFailed
from helpline.domain.pagination import MAX_LIMIT, Page
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.vocabulary import Role
from helpline.domain.workforce.contracts import parse_contract, to_agent_contract
from helpline.domain.workforce.scheduling import (
    AgentContract,
    ScheduleResult,
    ShiftTemplate,
    build_schedule,
    default_templates,
)
from helpline.services import audit, workforce
from helpline.services.ports import Deps, UnitOfWork

INTERVALS: Final = (15, 30, 60)
MINUTES_PER_WEEK: Final = 7 * 1440
MAX_DAYS_READ: Final = 31  # an agent's own schedule: at most a month per request
DEFAULT_TIME_LIMIT: Final = 10.0  # seconds the solver may take for a page request
DEMO_TIME_LIMIT: Final = 2.0
PUBLISHED: Final = "published"
DRAFT: Final = "draft"


# --- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    """What building a week produced, in a few figures."""

    week_id: int
    week_start: date
    status: str
    summary: dict[str, Any]
    groups: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupCoverage:
    """One skill group (queue) of a tenant: required and scheduled agents per interval of the week."""

    name: str
    queue_id: int | None
    queue_name: str
    required: tuple[float, ...]
    scheduled: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ShiftView:
    """One shift as pages and the API show it."""

    id: int
    user_id: int | None
    agent_name: str | None
    tenant_id: int
    queue_id: int | None
    skill_group: str
    template: str
    starts_at: datetime
    ends_at: datetime
    activities: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class TenantWeek:
    """A tenant's slice of a built week: its groups' coverage, and (for SCHEDULE) its roster."""

    tenant_id: int
    week_start: date
    interval_minutes: int
    week_id: int | None
    status: str | None  # None: nothing built for this week yet
    built_at: datetime | None
    summary: dict[str, Any]
    groups: tuple[GroupCoverage, ...]
    shifts: tuple[ShiftView, ...] | None  # None: the caller may not see names
    starts: tuple[datetime, ...] = field(default=())

    @property
    def required(self) -> list[float]:
        """Required agents per interval over the tenant's groups."""
        return _sum([g.required for g in self.groups], len(self.starts))

    @property
    def scheduled(self) -> list[float]:
        return _sum([g.scheduled for g in self.groups], len(self.starts))

    @property
    def under_coverage_hours(self) -> float:
        """Agent-hours short over the tenant's groups."""
        short = sum(max(r - s, 0.0) for r, s in zip(self.required, self.scheduled, strict=True))
        return short * self.interval_minutes / 60

    @property
    def agents_rostered(self) -> int | None:
        if self.shifts is None:
            return None
        return len({s.user_id for s in self.shifts if s.user_id is not None})

    @property
    def unstaffed(self) -> int | None:
        if self.shifts is None:
            return None
        return sum(1 for s in self.shifts if s.user_id is None)


def _sum(series: Sequence[Sequence[float]], count: int) -> list[float]:
    total = np.zeros(count, dtype=np.float64)
    for values in series:
        if len(values) == count:
            total += np.asarray(values, dtype=np.float64)
    return [float(v) for v in total]


# --- checks ---------------------------------------------------------------------------------------------


def monday_of(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def check_week_start(week_start: object) -> date:
    if isinstance(week_start, datetime) or not isinstance(week_start, date):
        raise ValidationFailed("week_start must be a date (YYYY-MM-DD)", field="week_start")
    if week_start.weekday() != 0:
        raise ValidationFailed("week_start must be a Monday", field="week_start")
    if not date(2000, 1, 3) <= week_start <= date(2199, 12, 30):
        raise ValidationFailed("week_start is out of range", field="week_start")
    return week_start


def check_interval(interval_minutes: object) -> int:
    if isinstance(interval_minutes, bool) or interval_minutes not in INTERVALS:
        raise ValidationFailed("interval_minutes must be 15, 30 or 60", field="interval_minutes")
    return int(interval_minutes)


def week_datetime(week_start: date) -> datetime:
    return datetime.combine(week_start, time(0), UTC)


# --- build and publish ----------------------------------------------------------------------------------


@dataclass
class _Group:
    name: str
    tenant_id: int
    queue_id: int
    queue_name: str
    skills: dict[str, int]
    required: np.ndarray


def build_week(
    deps: Deps,
    principal: Principal,
    week_start: date,
    *,
    interval_minutes: int = 30,
    templates: Sequence[ShiftTemplate] | None = None,
    publish: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> BuildOutcome:
    """Build the week's shifts for every tenant the caller reaches, save them as a draft (and publish
    them when asked)."""
    require(principal, Action.SCHEDULE)
    week_start = check_week_start(week_start)
    interval_minutes = check_interval(interval_minutes)
    chosen = tuple(templates) if templates is not None else default_templates(interval_minutes)
    start = week_datetime(week_start)
    groups = _requirements(deps, principal, week_start, interval_minutes)
    if not groups:
        raise ValidationFailed(
            "nothing to schedule: no queue of your clients has forecast work that week", field="week_start"
        )
    with deps.uow() as uow:
        tenant_ids = sorted({g.tenant_id for g in groups})
        contracts = _contracts(uow, groups, week_start)
    result = build_schedule(
        start,
        interval_minutes,
        {g.name: g.required.tolist() for g in groups},
        chosen,
        contracts,
        time_limit=time_limit,
    )
    if result.status == "failed":
        raise ValidationFailed("the solver found no schedule for this week; try other shift templates")
    summary = _summary(result, len(contracts))
    with deps.uow() as uow:
        week = uow.center.schedules.create_week(
            week_start=week_start,
            interval_minutes=interval_minutes,
            status=DRAFT,
            tenant_ids=tenant_ids,
            built_at=deps.clock.now(),
            built_by=principal.user_id,
            summary=summary,
            groups={
                g.name: {
                    "tenant_id": g.tenant_id,
                    "queue_id": g.queue_id,
                    "queue_name": g.queue_name,
                    "required": [round(float(v), 3) for v in result.required[g.name]],
                    "scheduled": [round(float(v), 3) for v in result.scheduled[g.name]],
                }
                for g in groups
            },
        )
        by_name = {g.name: g for g in groups}
        uow.center.schedules.add_shifts(
            week.id,
            [
                {
                    "user_id": shift.agent_id,
                    "tenant_id": by_name[shift.skill].tenant_id,
                    "queue_id": by_name[shift.skill].queue_id,
                    "skill_group": shift.skill,
                    "template": shift.template,
                    "starts_at": shift.start,
                    "ends_at": shift.end,
                    "activities": [
                        {"kind": a.kind, "start": a.start.isoformat(), "end": a.end.isoformat()}
                        for a in shift.activities
                    ],
                }
                for shift in result.shifts
            ],
        )
        status = DRAFT
        if publish:
            _publish(uow, deps, principal, week)
            status = PUBLISHED
        audit.record(uow, deps, principal, "schedule.build", "schedule_week", week.id, week=week_start.isoformat())
        uow.commit()
        return BuildOutcome(week.id, week_start, status, summary, tuple(g.name for g in groups))


# What a client's manager may read of a week built for every client: how well it was solved, not the
# center's head count, cost or shortfall across the other clients.
SHARED_SUMMARY_KEYS = frozenset({"status", "gap", "solve_seconds", "roster_seconds"})


def _visible_summary(summary: dict[str, Any], may_schedule: bool) -> dict[str, Any]:
    return dict(summary) if may_schedule else {k: v for k, v in summary.items() if k in SHARED_SUMMARY_KEYS}


def _summary(result: ScheduleResult, agents: int) -> dict[str, Any]:
    def num(value: float) -> float | None:
        return round(float(value), 4) if np.isfinite(value) else None

    return {
        "status": result.status,
        "roster_status": result.roster_status,
        "objective": num(result.objective),
        "lp_bound": num(result.lp_bound),
        "gap": num(result.gap),
        "cost": num(result.cost),
        "under_coverage": num(result.under_coverage),  # agent-intervals short
        "unstaffed": int(result.unstaffed),
        "shifts": len(result.shifts),
        "agents": agents,
        "solve_seconds": round(float(result.solve_seconds), 3),
        "roster_seconds": round(float(result.roster_seconds), 3),
        "notes": list(result.notes)[:20],
    }


STRADDLE_DAYS = 1  # time zones run from UTC-12 to UTC+14: one local day either side covers the UTC week


def _requirements(deps: Deps, principal: Principal, week_start: date, interval_minutes: int) -> list[_Group]:
    """One group per queue with forecast work: the plan's `required` per interval, laid on the week."""
    with deps.uow() as uow:
        reached = list(uow.center.tenants(principal.tenant_ids))
        queues = {t.id: {q.id: q for q in uow.tenant(t.id).queues.listed(Page(limit=MAX_LIMIT))[0]} for t in reached}
    start = week_datetime(week_start)
    count = MINUTES_PER_WEEK // interval_minutes
    size = timedelta(minutes=interval_minutes)
    groups: list[_Group] = []
    end = start + timedelta(minutes=MINUTES_PER_WEEK)
    for tenant in reached:
        # The week runs on UTC; a client's local days straddle it (New York's Sunday evening is
        # Monday in UTC). Plan the local days around it and keep the intervals inside it.
        plans = workforce.plans(
            deps,
            principal,
            tenant.id,
            interval_minutes=interval_minutes,
            days=7 + 2 * STRADDLE_DAYS,
            start=week_start - timedelta(days=STRADDLE_DAYS),
            backtest_weeks=0,
        )
        for plan in plans:
            queue = queues[tenant.id].get(plan.queue_id) if plan.queue_id is not None else None
            if queue is None:
                continue
            required = np.zeros(count, dtype=np.float64)
            for interval in plan.intervals:
                if start <= interval.start < end:
                    required[int((interval.start - start) // size)] += float(interval.required)
            if not np.any(required > 0):
                continue
            groups.append(
                _Group(
                    name=group_name(tenant.slug, queue.name),
                    tenant_id=tenant.id,
                    queue_id=queue.id,
                    queue_name=queue.name,
                    skills={str(k): int(v) for k, v in (queue.skills or {}).items()},
                    required=required,
                )
            )
    return groups


def group_name(tenant_slug: str, queue_name: str) -> str:
    return f"{tenant_slug}/{queue_name}"


def _contracts(uow: UnitOfWork, groups: Sequence[_Group], week_start: date) -> list[AgentContract]:
    """Agents who can cover at least one group, on their stored contracts, with what the published
    weeks of other builds (other tenants) already take of their time marked unavailable too."""
    tenant_ids = {g.tenant_id for g in groups}
    records = {}
    for tenant_id in sorted(tenant_ids):
        for record in uow.center.agents.records(tenant_id=tenant_id):
            records[record.user.id] = record
    start = week_datetime(week_start)
    busy = _booked_elsewhere(uow, week_start, tenant_ids, start)
    contracts = []
    for user_id, record in sorted(records.items()):
        if record.agent is None or record.user.role != Role.AGENT.value:
            continue
        skills = {str(k): int(v) for k, v in (record.agent.skills or {}).items()}
        covers = frozenset(
            g.name
            for g in groups
            if g.tenant_id in record.tenant_ids and all(skills.get(k, 0) >= v for k, v in g.skills.items())
        )
        if covers:
            contract = to_agent_contract(
                parse_contract(record.agent.contract), user_id, record.user.name, covers, week_start
            )
            booked = busy.get(user_id)
            if booked:
                contract = replace(contract, unavailable=(*contract.unavailable, *booked))
            contracts.append(contract)
    return contracts


def _booked_elsewhere(
    uow: UnitOfWork, week_start: date, tenant_ids: set[int], start: datetime
) -> dict[int, list[tuple[int, int]]]:
    """Minutes (from the week's start) already given to tenants outside this build by a published week."""
    busy: dict[int, list[tuple[int, int]]] = {}
    for week in uow.center.schedules.weeks_starting(week_start, PUBLISHED):
        if not set(week.tenant_ids or []) - tenant_ids:
            continue  # this build replaces that week entirely once published
        for shift in uow.center.schedules.shifts_of_week(week.id):
            if shift.user_id is None or shift.tenant_id in tenant_ids:
                continue
            low = int((shift.starts_at - start).total_seconds() // 60)
            high = int((shift.ends_at - start).total_seconds() // 60)
            busy.setdefault(shift.user_id, []).append((max(low, 0), min(high, MINUTES_PER_WEEK)))
    return busy


def publish(deps: Deps, principal: Principal, week_id: int) -> BuildOutcome:
    """Publish a built week: agents see it, intraday and adherence use it. It replaces what was
    published before for its tenants; a published week that also covers other tenants keeps them
    (it only loses these tenants' shifts), one left with no tenant returns to draft."""
    require(principal, Action.SCHEDULE)
    with deps.uow() as uow:
        week = _reachable_week(uow, principal, week_id, for_update=True)
        if week.status != PUBLISHED:
            _publish(uow, deps, principal, week)
            audit.record(uow, deps, principal, "schedule.publish", "schedule_week", week.id)
            uow.commit()
        return BuildOutcome(week.id, week.week_start, PUBLISHED, dict(week.summary), tuple(week.groups))


def _publish(uow: UnitOfWork, deps: Deps, principal: Principal, week: Any) -> None:
    uow.center.schedules.withdraw(week.week_start, week.tenant_ids, keep_id=week.id)
    week.status = PUBLISHED
    week.published_at = deps.clock.now()


def _reachable_week(uow: UnitOfWork, principal: Principal, week_id: int, for_update: bool = False) -> Any:
    """A week whose every tenant the caller reaches; any other is reported as not found."""
    week = uow.center.schedules.week(week_id, for_update=for_update)
    if week is None or not all(principal.reaches(t) for t in week.tenant_ids or []):
        raise NotFound(f"schedule week {week_id} not found", field="week_id")
    return week


# --- reading --------------------------------------------------------------------------------------------


def week(deps: Deps, principal: Principal, tenant_id: int, week_start: date) -> TenantWeek:
    """The tenant's slice of the week (published, or for schedulers the newest draft if none is):
    coverage of its groups, and for SCHEDULE the shifts of its groups with agents' names."""
    require_tenant(principal, tenant_id)
    require(principal, Action.PLAN)
    week_start = check_week_start(week_start)
    may_schedule = principal.may(Action.SCHEDULE)
    with deps.uow() as uow:
        row = uow.center.schedules.latest_for_tenant(tenant_id, week_start, published_only=not may_schedule)
        if row is None:
            return TenantWeek(tenant_id, week_start, 30, None, None, None, {}, (), () if may_schedule else None)
        groups = tuple(
            GroupCoverage(
                name=name,
                queue_id=g.get("queue_id"),
                queue_name=str(g.get("queue_name", name)),
                required=tuple(g.get("required", ())),
                scheduled=tuple(g.get("scheduled", ())),
            )
            for name, g in sorted(row.groups.items())
            if g.get("tenant_id") == tenant_id
        )
        shifts: tuple[ShiftView, ...] | None = None
        if may_schedule:
            shifts = tuple(_views(uow, uow.center.schedules.shifts_of_week(row.id, tenant_id=tenant_id)))
        start = week_datetime(week_start)
        size = timedelta(minutes=row.interval_minutes)
        return TenantWeek(
            tenant_id=tenant_id,
            week_start=week_start,
            interval_minutes=row.interval_minutes,
            week_id=row.id,
            status=row.status,
            built_at=row.built_at,
            summary=_visible_summary(row.summary, may_schedule),
            groups=groups,
            shifts=shifts,
            starts=tuple(start + i * size for i in range(MINUTES_PER_WEEK // row.interval_minutes)),
        )


def _views(uow: UnitOfWork, rows: Sequence[Any]) -> list[ShiftView]:
    names = uow.center.user_names([r.user_id for r in rows if r.user_id is not None])
    return [
        ShiftView(
            id=r.id,
            user_id=r.user_id,
            agent_name=names.get(r.user_id, f"#{r.user_id}") if r.user_id is not None else None,
            tenant_id=r.tenant_id,
            queue_id=r.queue_id,
            skill_group=r.skill_group,
            template=r.template,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            activities=tuple(r.activities or ()),
        )
        for r in rows
    ]


def shifts_for(deps: Deps, principal: Principal, user_id: int, day: date, days: int = 1) -> list[ShiftView]:
    """An agent's published shifts starting in [day, day + days): their own, or, for schedulers, an
    agent serving one of their tenants (then only the shifts of those tenants)."""
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 0 < user_id < 2**63:
        raise NotFound("agent not found", field="user_id")
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValidationFailed("day must be a date (YYYY-MM-DD)", field="from")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS_READ:
        raise ValidationFailed(f"a schedule is read {MAX_DAYS_READ} days at most at a time", field="to")
    own = principal.user_id == user_id
    if not own and not principal.may(Action.SCHEDULE):
        raise PermissionDenied("only supervisors and admins read other agents' schedules")
    if principal.role is Role.CLIENT_MANAGER:
        raise PermissionDenied("client managers see coverage, not agents' schedules")
    start = datetime.combine(day, time(0), UTC)
    with deps.uow() as uow:
        if not own:
            served = uow.center.agents.tenants_of([user_id]).get(user_id, frozenset())
            if not any(principal.reaches(t) for t in served):
                raise NotFound("agent not found", field="user_id")
        rows = uow.center.schedules.published_shifts(start, start + timedelta(days=days), user_id=user_id)
        rows = [r for r in rows if r.starts_at >= start and (own or principal.reaches(r.tenant_id))]
        return _views(uow, rows)


# --- demo -----------------------------------------------------------------------------------------------


def demo_templates(interval_minutes: int = 30) -> tuple[ShiftTemplate, ...]:
    """The demo's lighter shift set: the default 4 h and 8 h shifts starting on the hour. It solves
    in a second or two where the full set (four lengths, half-hourly starts) needs several."""
    return tuple(
        replace(t, start_step=max(60, t.start_step))
        for t in default_templates(interval_minutes)
        if t.name in ("4h", "8h")
    )


def seed_demo(deps: Deps) -> BuildOutcome | None:
    """Build and publish the current week for the demo (as the center admin, every tenant), fast:
    the demo shift set and a short solver time box. None when there is nothing to schedule."""
    admin = Principal(role=Role.ADMIN, tenant_ids=None, name="demo")
    monday = monday_of(deps.clock.now().astimezone(UTC).date())
    try:
        return build_week(
            deps,
            admin,
            monday,
            interval_minutes=30,
            templates=demo_templates(30),
            publish=True,
            time_limit=DEMO_TIME_LIMIT,
        )
    except ValidationFailed:
        return None
