"""Schedules (built and published weeks of shifts), the presence log read for adherence, and the
interaction arrivals read for intraday.

Weeks and shifts are center-wide (one week covers every tenant its builder reached, because agents
are shared), but each shift carries the tenant whose queue it covers, and every read that serves a
tenant filters on it. Intraday arrivals are tenant-owned: IntradayRepository takes the tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.orm import Session

from helpline.storage.tables import Interaction, PresenceLog, ScheduledShift, ScheduleWeek

PUBLISHED = "published"
DRAFT = "draft"


class ScheduleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- weeks ------------------------------------------------------------------------------------
    def create_week(self, **fields: Any) -> ScheduleWeek:
        row = ScheduleWeek(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def week(self, week_id: int, for_update: bool = False) -> ScheduleWeek | None:
        if isinstance(week_id, bool) or not isinstance(week_id, int) or not 0 < week_id < 2**63:
            return None
        query = select(ScheduleWeek).where(ScheduleWeek.id == week_id)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def weeks_starting(self, week_start: date, status: str | None = None) -> list[ScheduleWeek]:
        """Weeks built for this Monday, newest first."""
        query = select(ScheduleWeek).where(ScheduleWeek.week_start == week_start)
        if status is not None:
            query = query.where(ScheduleWeek.status == status)
        return list(self.session.scalars(query.order_by(ScheduleWeek.built_at.desc(), ScheduleWeek.id.desc())))

    def latest_for_tenant(self, tenant_id: int, week_start: date, *, published_only: bool) -> ScheduleWeek | None:
        """The published week covering the tenant, else (unless `published_only`) its newest draft.

        Weeks per Monday are few (one per build), so the tenant list (JSON) is filtered here."""
        weeks = [w for w in self.weeks_starting(week_start) if tenant_id in (w.tenant_ids or [])]
        published = [w for w in weeks if w.status == PUBLISHED]
        if published or published_only:
            return published[0] if published else None
        return weeks[0] if weeks else None

    def published_weeks(self, week_starts: Iterable[date]) -> list[ScheduleWeek]:
        starts = sorted(set(week_starts))
        if not starts:
            return []
        query = select(ScheduleWeek).where(ScheduleWeek.week_start.in_(starts), ScheduleWeek.status == PUBLISHED)
        return list(self.session.scalars(query))

    def withdraw(self, week_start: date, tenant_ids: Iterable[int], keep_id: int) -> list[int]:
        """Make way for week `keep_id`: every other published week of this Monday loses the tenants
        it shares with `tenant_ids` (their shifts and coverage are removed from it) and returns to
        draft if no tenant is left. Other tenants keep their published schedule. The ids touched."""
        wanted = set(tenant_ids)
        touched = []
        for week in self.weeks_starting(week_start, PUBLISHED):
            shared = wanted & set(week.tenant_ids or [])
            if week.id == keep_id or not shared:
                continue
            touched.append(week.id)
            left = [t for t in week.tenant_ids if t not in shared]
            if not left:
                week.status, week.published_at = DRAFT, None
                continue
            week.tenant_ids = left
            week.groups = {k: g for k, g in (week.groups or {}).items() if g.get("tenant_id") not in shared}
            self.session.execute(
                delete(ScheduledShift).where(
                    ScheduledShift.week_id == week.id, ScheduledShift.tenant_id.in_(sorted(shared))
                )
            )
        self.session.flush()
        return touched

    # --- shifts -----------------------------------------------------------------------------------
    def add_shifts(self, week_id: int, shifts: Sequence[dict[str, Any]]) -> None:
        """Insert a week's shifts in one statement (a week of a large center holds thousands)."""
        if shifts:
            self.session.execute(insert(ScheduledShift), [{**s, "week_id": week_id} for s in shifts])

    def shifts_of_week(self, week_id: int, tenant_id: int | None = None) -> list[ScheduledShift]:
        query = select(ScheduledShift).where(ScheduledShift.week_id == week_id)
        if tenant_id is not None:
            query = query.where(ScheduledShift.tenant_id == tenant_id)
        return list(self.session.scalars(query.order_by(ScheduledShift.starts_at, ScheduledShift.id)))

    def published_shifts(
        self,
        start: datetime,
        end: datetime,
        *,
        tenant_id: int | None = None,
        user_id: int | None = None,
        queue_id: int | None = None,
    ) -> list[ScheduledShift]:
        """Shifts of published weeks overlapping [start, end), oldest first, limited as asked."""
        query = (
            select(ScheduledShift)
            .join(ScheduleWeek, ScheduleWeek.id == ScheduledShift.week_id)
            .where(
                ScheduleWeek.status == PUBLISHED,
                and_(ScheduledShift.starts_at < end, ScheduledShift.ends_at > start),
            )
        )
        if tenant_id is not None:
            query = query.where(ScheduledShift.tenant_id == tenant_id)
        if user_id is not None:
            query = query.where(ScheduledShift.user_id == user_id)
        if queue_id is not None:
            query = query.where(ScheduledShift.queue_id == queue_id)
        return list(self.session.scalars(query.order_by(ScheduledShift.starts_at, ScheduledShift.id)))

    # --- presence (adherence) ---------------------------------------------------------------------
    def presence_changes(
        self, user_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[int, list[tuple[datetime, str]]]:
        """user id -> presence changes in [start, end), preceded by the last change before `start`
        (the state in force when the window opens), oldest first."""
        ids = sorted({i for i in user_ids if 0 < i < 2**63})
        found: dict[int, list[tuple[datetime, str]]] = {i: [] for i in ids}
        if not ids:
            return found
        last_before = (
            select(PresenceLog.user_id, func.max(PresenceLog.at).label("at"))
            .where(PresenceLog.user_id.in_(ids), PresenceLog.at < start)
            .group_by(PresenceLog.user_id)
            .subquery()
        )
        opening = select(PresenceLog.user_id, PresenceLog.at, PresenceLog.presence, PresenceLog.id).join(
            last_before, and_(PresenceLog.user_id == last_before.c.user_id, PresenceLog.at == last_before.c.at)
        )
        inside = select(PresenceLog.user_id, PresenceLog.at, PresenceLog.presence, PresenceLog.id).where(
            PresenceLog.user_id.in_(ids), PresenceLog.at >= start, PresenceLog.at < end
        )
        rows = [*self.session.execute(opening), *self.session.execute(inside)]
        for user_id, at, presence, _id in sorted(rows, key=lambda r: (r[1], r[3])):
            found[user_id].append((at, presence))
        return found


class IntradayRepository:
    """Today's arrivals of one tenant, read for actual-vs-forecast."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def arrivals(
        self, start: datetime, end: datetime, queue_ids: Sequence[int] | None = None
    ) -> list[tuple[datetime, int | None]]:
        """(arrival time, queue id) of each inbound interaction of the tenant in [start, end),
        optionally of some queues only; counted per interval by the caller.

        A day of one tenant is at most some tens of thousands of rows, and plain rows keep the query
        the same on SQLite and PostgreSQL (the same contacts the planning history counts: inbound,
        by creation time)."""
        query = select(Interaction.created_at, Interaction.queue_id).where(
            Interaction.tenant_id == self.tenant_id,
            Interaction.direction == "inbound",
            Interaction.created_at >= start,
            Interaction.created_at < end,
        )
        if queue_ids is not None:
            query = query.where(Interaction.queue_id.in_(sorted(set(queue_ids))))
        return [(at, queue_id) for at, queue_id in self.session.execute(query)]
