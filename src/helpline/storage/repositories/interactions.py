"""Interaction repository (tenant-scoped): interactions and the messages inside them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, select

from helpline.domain.interactions import InteractionFilter
from helpline.domain.pagination import Page, Sort
from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import Customer, Interaction, Message

# Built once: every inbound contact names its customer, and building the query costs more than running it.
_CUSTOMER_REF = select(Customer.id, Customer.merged_into_id, Customer.display_name).where(
    Customer.tenant_id == bindparam("tenant_id"), Customer.id == bindparam("customer_id")
)


class InteractionRepository(TenantRepository[Interaction]):
    model = Interaction
    label = "interaction"

    def customer_ref(self, customer_id: int) -> Row[int, int | None, str] | None:
        """What receiving a contact needs of a customer of this tenant: id, merged_into_id, display_name."""
        if not 0 < customer_id < 2**63:
            return None
        params = {"tenant_id": self.tenant_id, "customer_id": customer_id}
        return self.session.execute(_CUSTOMER_REF, params).first()

    def search(self, where: InteractionFilter, page: Page, sort: Sort) -> tuple[list[Interaction], int]:
        return self.page(self._filtered(where), page, sort)

    def _filtered(self, where: InteractionFilter) -> Select[Any]:
        query = self.scoped()
        equal = {
            Interaction.channel: where.channel,
            Interaction.status: where.status,
            Interaction.direction: where.direction,
            Interaction.customer_id: where.customer_id,
            Interaction.case_id: where.case_id,
            Interaction.agent_id: where.agent_id,
            Interaction.queue_id: where.queue_id,
        }
        for column, value in equal.items():
            if value is not None:
                query = query.where(column == value)
        if where.created_after is not None:
            query = query.where(Interaction.created_at >= where.created_after)
        if where.created_before is not None:
            query = query.where(Interaction.created_at < where.created_before)
        return query

    def add_messages(self, interaction_id: int, messages: Sequence[dict[str, Any]]) -> list[Message]:
        """Queue messages for insertion; they are written with the transaction (no flush per row)."""
        rows = [Message(tenant_id=self.tenant_id, interaction_id=interaction_id, **fields) for fields in messages]
        self.session.add_all(rows)
        return rows

    def add_message(self, interaction_id: int, **fields: Any) -> Message:
        (row,) = self.add_messages(interaction_id, [fields])
        self.session.flush()
        return row

    def messages(self, interaction_id: int, page: Page) -> tuple[list[Message], int]:
        """Oldest first: a conversation reads top to bottom."""
        query = select(Message).where(Message.tenant_id == self.tenant_id, Message.interaction_id == interaction_id)
        total = self._count(query)
        rows = self.session.scalars(query.order_by(Message.at, Message.id).limit(page.limit).offset(page.offset))
        return list(rows), total

    def for_case(self, case_id: int, page: Page) -> tuple[list[Interaction], int]:
        query = self.scoped().where(Interaction.case_id == case_id)
        return self.page(query, page, Sort("created_at", descending=True))

    def _count(self, query: Select[Any]) -> int:
        return self.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
