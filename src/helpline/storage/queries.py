"""Read models, one query each: the Customer 360 (timeline, channel counts, open cases, recent orders) and
the customer list's per-row summaries (primary identities, last contact) for a whole page at once."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from helpline.domain.timeline import TimelineEntry
from helpline.storage.tables import Case, Customer, CustomerIdentity, Interaction, Order, Queue, User


def _in_tenant(tenant_column: Any, tenant_id: int) -> ColumnElement[bool]:
    """`tenant_id = :tenant` for reads of a batch of ids, written `tenant_id + 0` on purpose.

    Without statistics (SQLite never gathers them by itself) SQLite prefers any index starting
    with tenant_id over the index on the ids, and would read every row of the tenant to answer
    a page of 25. The expression cannot use an index, so the id index is chosen. PostgreSQL
    plans from statistics and is unaffected. (repositories/bulk.py does the same for imports.)
    """
    condition: ColumnElement[bool] = (tenant_column + 0) == tenant_id
    return condition


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

    # --- the customer list: one statement for a whole page of customers ---------------------------

    def last_contacts(self, customer_ids: Collection[int]) -> dict[int, tuple[str, datetime] | None]:
        """For each of these ids naming a customer of this tenant: (channel, created_at) of its newest
        interaction, or None when it has none. Ids of other tenants or of nobody are left out.

        The newest row is found per customer by a correlated ORDER BY ... LIMIT 1 read backwards
        from ix_interactions_customer_created, so the cost does not grow with a customer's history
        (a grouped max() would read every entry of it). Ties on created_at go to the higher id, as
        on the timeline.
        """
        newer = aliased(Interaction)
        newest_id = (
            select(newer.id)
            .where(newer.tenant_id == self.tenant_id, newer.customer_id == Customer.id)
            .order_by(newer.created_at.desc(), newer.id.desc())
            .limit(1)
            .correlate(Customer)
            .scalar_subquery()
        )
        query = (
            select(Customer.id, Interaction.channel, Interaction.created_at)
            .select_from(Customer)
            .outerjoin(Interaction, and_(Interaction.tenant_id == self.tenant_id, Interaction.id == newest_id))
            .where(_in_tenant(Customer.tenant_id, self.tenant_id), Customer.id.in_(sorted(set(customer_ids))))
        )
        return {cid: (channel, at) if channel is not None else None for cid, channel, at in self.session.execute(query)}

    def primary_identities(self, customer_ids: Collection[int], kinds: Collection[str]) -> dict[int, dict[str, str]]:
        """customer id -> {kind: value} of each customer's primary identity of these kinds.

        The rule of domain.customers.primary_flags: the one marked primary (the earliest if several
        are), else the earliest; one row per (customer, kind) comes back, whatever the count held.
        """
        ranked = (
            select(
                CustomerIdentity.customer_id,
                CustomerIdentity.kind,
                CustomerIdentity.value,
                func.row_number()
                .over(
                    partition_by=(CustomerIdentity.customer_id, CustomerIdentity.kind),
                    order_by=(
                        CustomerIdentity.is_primary.desc(),
                        CustomerIdentity.created_at.asc(),
                        CustomerIdentity.id.asc(),
                    ),
                )
                .label("rank"),
            )
            .where(
                _in_tenant(CustomerIdentity.tenant_id, self.tenant_id),
                CustomerIdentity.customer_id.in_(sorted(set(customer_ids))),
                CustomerIdentity.kind.in_(sorted(set(kinds))),
            )
            .subquery("ranked")
        )
        query = select(ranked.c.customer_id, ranked.c.kind, ranked.c.value).where(ranked.c.rank == 1)
        found: dict[int, dict[str, str]] = {}
        for cid, kind, value in self.session.execute(query):
            found.setdefault(cid, {})[kind] = value
        return found
