"""Customer repository (tenant-scoped)."""

from __future__ import annotations

from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import Customer


class CustomerRepository(TenantRepository[Customer]):
    model = Customer
    label = "customer"
