"""Interaction repository (tenant-scoped)."""

from __future__ import annotations

from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import Interaction


class InteractionRepository(TenantRepository[Interaction]):
    model = Interaction
    label = "interaction"
