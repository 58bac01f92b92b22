"""Routing's records: who holds which interaction, the restore query after a restart, and queue statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from helpline.storage.tables import Customer, Interaction, InteractionAgent, Queue, Tenant

LIVE_STATUSES = ("queued", "offered", "active")
# Interactions are rarely answered more than this long after they were created (email backlogs):
# the bound lets "today's" statistics read the (tenant_id, created_at) index instead of the whole table.
STATS_LOOKBACK = timedelta(days=14)
# (queue_id, queued_at, accepted_at, ended_at, disposition_code)
DayContact = tuple[int, datetime, datetime | None, datetime | None, str | None]


class RoutingRepository:
    """Center-wide reads the router needs when it (re)starts: every tenant at once."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def queues(self) -> list[Queue]:
        return list(self.session.scalars(select(Queue).order_by(Queue.id)))

    def tenants(self) -> list[Tenant]:
        return list(self.session.scalars(select(Tenant).order_by(Tenant.id)))

    def live_interactions(self) -> list[Interaction]:
        """Interactions waiting, offered or held (wrap-up included), waiting ones in queue order.

        Ended interactions count while one of their agents is still in wrap-up for them.
        """
        wrapping = select(InteractionAgent.interaction_id).where(InteractionAgent.phase == "wrap_up")
        query = (
            select(Interaction)
            .where(
                Interaction.queue_id.is_not(None),
                or_(
                    Interaction.status.in_(LIVE_STATUSES),
                    (Interaction.status == "ended") & Interaction.id.in_(wrapping),
                ),
            )
            .order_by(Interaction.queued_at, Interaction.id)
        )
        return list(self.session.scalars(query))

    def holders_of(self, interaction_ids: Sequence[int]) -> dict[int, list[InteractionAgent]]:
        """interaction id -> its holder rows (not those who left), for a batch of interactions."""
        found: dict[int, list[InteractionAgent]] = {}
        ids = sorted(set(interaction_ids))
        for start in range(0, len(ids), 500):  # bounded IN lists
            query = select(InteractionAgent).where(
                InteractionAgent.interaction_id.in_(ids[start : start + 500]), InteractionAgent.phase != "left"
            )
            for row in self.session.scalars(query):
                found.setdefault(row.interaction_id, []).append(row)
        return found


class TenantRoutingRepository:
    """One tenant's routing rows and statistics."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def holder_rows(self, interaction_id: int) -> list[InteractionAgent]:
        query = select(InteractionAgent).where(
            InteractionAgent.tenant_id == self.tenant_id, InteractionAgent.interaction_id == interaction_id
        )
        return list(self.session.scalars(query))

    def set_holder(self, interaction_id: int, user_id: int, phase: str, since: datetime) -> None:
        """Insert or update the (interaction, agent) row."""
        row = self.session.get(InteractionAgent, (interaction_id, user_id))
        if row is None:
            self.session.add(
                InteractionAgent(
                    interaction_id=interaction_id, user_id=user_id, tenant_id=self.tenant_id, phase=phase, since=since
                )
            )
        elif row.tenant_id == self.tenant_id:
            row.phase, row.since = phase, since
        self.session.flush()

    def remove_holder(self, interaction_id: int, user_id: int) -> None:
        self.session.execute(
            delete(InteractionAgent).where(
                InteractionAgent.tenant_id == self.tenant_id,
                InteractionAgent.interaction_id == interaction_id,
                InteractionAgent.user_id == user_id,
            )
        )

    def customer_routing(self, customer_id: int) -> tuple[str, int | None] | None:
        """(tier, dedicated_agent_id) of a customer of this tenant."""
        query = select(Customer.tier, Customer.dedicated_agent_id).where(
            Customer.tenant_id == self.tenant_id, Customer.id == customer_id
        )
        row = self.session.execute(query).first()
        return (row[0], row[1]) if row is not None else None

    def recent_agents(self, customer_id: int, since: datetime, limit: int = 3) -> list[int]:
        """Agents who answered this customer's interactions since `since`, most recent first."""
        latest = func.max(Interaction.accepted_at)
        query = (
            select(Interaction.agent_id, latest)
            .where(
                Interaction.tenant_id == self.tenant_id,
                Interaction.customer_id == customer_id,
                Interaction.agent_id.is_not(None),
                Interaction.accepted_at >= since,
            )
            .group_by(Interaction.agent_id)
            .order_by(latest.desc(), Interaction.agent_id)
            .limit(limit)
        )
        return [agent_id for agent_id, _at in self.session.execute(query) if agent_id is not None]

    def handle_times(self, queue_id: int, limit: int = 50) -> list[float]:
        """Seconds from answer to end of wrap-up of the queue's last `limit` wrapped-up interactions."""
        query = (
            select(Interaction.accepted_at, Interaction.wrapped_up_at)
            .where(
                Interaction.tenant_id == self.tenant_id,
                Interaction.queue_id == queue_id,
                Interaction.status == "wrapped_up",
                Interaction.accepted_at.is_not(None),
                Interaction.wrapped_up_at.is_not(None),
            )
            .order_by(Interaction.wrapped_up_at.desc(), Interaction.id.desc())
            .limit(limit)
        )
        return [
            max(0.0, (done - start).total_seconds())
            for start, done in self.session.execute(query)
            if start is not None and done is not None
        ]

    def day_contacts(self, start: datetime, end: datetime) -> list[DayContact]:
        """(queue_id, queued_at, accepted_at, ended_at, disposition_code) of the routed interactions
        answered or ended in [start, end): the raw material of today's service level."""
        query = select(
            Interaction.queue_id,
            Interaction.queued_at,
            Interaction.accepted_at,
            Interaction.ended_at,
            Interaction.disposition_code,
        ).where(
            Interaction.tenant_id == self.tenant_id,
            Interaction.created_at >= start - STATS_LOOKBACK,
            Interaction.queue_id.is_not(None),
            Interaction.queued_at.is_not(None),
            or_(
                (Interaction.accepted_at >= start) & (Interaction.accepted_at < end),
                Interaction.accepted_at.is_(None) & (Interaction.ended_at >= start) & (Interaction.ended_at < end),
            ),
        )
        return [
            (q, queued, accepted, ended, code)
            for q, queued, accepted, ended, code in self.session.execute(query)
            if q is not None and queued is not None
        ]
