"""Queue repository (tenant-scoped)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from helpline.domain.errors import Conflict
from helpline.domain.pagination import Page, Sort
from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import Queue


class QueueRepository(TenantRepository[Queue]):
    model = Queue
    label = "queue"

    def by_name(self, name: str) -> Queue | None:
        """Names are unique per tenant regardless of case: 'Billing' and 'billing' would confuse people."""
        return self.session.scalars(self.scoped().where(func.lower(Queue.name) == name.lower())).first()

    def listed(self, page: Page) -> tuple[list[Queue], int]:
        return self.page(self.scoped(), page, Sort("name", descending=False))

    def save(self, **fields: Any) -> Queue:
        """Create a queue; a name taken by a concurrent request is a Conflict, not a crash."""
        try:
            return self.create(**fields)
        except IntegrityError:
            # The failed flush ended the transaction; the unit of work discards it on exit.
            raise Conflict("a queue with this name already exists", field="name") from None

    def flush_unique(self) -> None:
        """Write pending changes now, so a name clash surfaces as a Conflict."""
        try:
            self.session.flush()
        except IntegrityError:
            raise Conflict("a queue with this name already exists", field="name") from None
