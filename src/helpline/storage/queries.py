"""Read models: the Customer 360 timeline, channel counts, open cases and recent orders, one query each."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from helpline.domain.timeline import TimelineEntry
from helpline.storage.tables import Case, Interaction, Order, Queue, User


class CustomerViews:
    """Queries behind a customer's 360 view, for one tenant. Each is a single indexed statement."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def timeline(self, customer_id: int, limit: int, before: tuple[datetime, int] | None = None) -> list[TimelineEntry]:
        """Interactions newest first, with agent, queue and case status joined in (no N+1).

        The page is cut first (ORDER BY + LIMIT on interactions alone, read backwards from
        ix_interactions_customer_created), and only its rows are joined to names: the planner
        cannot choose to join a customer's whole history before sorting it.

        Keyset paging: `before` is (created_at, id) of the last entry already shown. The redundant
        `created_at <= at` bound lets the index range start at the cursor instead of filtering every
        newer row.
        """
        page = select(
            Interaction.id,
            Interaction.channel,
            Interaction.direction,
            Interaction.status,
            Interaction.subject,
            Interaction.created_at,
            Interaction.case_id,
            Interaction.agent_id,
            Interaction.queue_id,
        ).where(Interaction.tenant_id == self.tenant_id, Interaction.customer_id == customer_id)
        if before is not None:
            at, last_id = before
            page = page.where(Interaction.created_at <= at, or_(Interaction.created_at < at, Interaction.id < last_id))
        cut = page.order_by(Interaction.created_at.desc(), Interaction.id.desc()).limit(limit).subquery("page")
        query = (
            select(
                cut.c.id,
                cut.c.channel,
                cut.c.direction,
                cut.c.status,
                cut.c.subject,
                cut.c.created_at,
                cut.c.case_id,
                Case.status.label("case_status"),
                User.name.label("agent_name"),
                Queue.name.label("queue_name"),
            )
            .select_from(cut)
            .outerjoin(User, User.id == cut.c.agent_id)
            .outerjoin(Queue, and_(Queue.id == cut.c.queue_id, Queue.tenant_id == self.tenant_id))
            .outerjoin(Case, and_(Case.id == cut.c.case_id, Case.tenant_id == self.tenant_id))
            .order_by(cut.c.created_at.desc(), cut.c.id.desc())
        )
        return [TimelineEntry(**row._mapping) for row in self.session.execute(query)]

    def channel_counts(self, customer_id: int) -> dict[str, int]:
        query = (
            select(Interaction.channel, func.count())
            .where(Interaction.tenant_id == self.tenant_id, Interaction.customer_id == customer_id)
            .group_by(Interaction.channel)
        )
        return {channel: int(count) for channel, count in self.session.execute(query)}

    def cases_in(self, customer_id: int, statuses: Collection[str], limit: int = 100) -> list[Case]:
        query = (
            select(Case)
            .where(Case.tenant_id == self.tenant_id, Case.customer_id == customer_id, Case.status.in_(statuses))
            .order_by(Case.created_at.desc(), Case.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def recent_orders(self, customer_id: int, limit: int) -> list[Order]:
        query = (
            select(Order)
            .where(Order.tenant_id == self.tenant_id, Order.customer_id == customer_id)
            .order_by(Order.ordered_at.desc(), Order.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))
