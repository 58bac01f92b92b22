"""Queue repository (tenant-scoped)."""

from __future__ import annotations

from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import Queue


class QueueRepository(TenantRepository[Queue]):
    model = Queue
    label = "queue"
