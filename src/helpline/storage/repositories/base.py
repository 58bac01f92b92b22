"""What every tenant repository shares: its session, its tenant, and tenant-scoped get/list."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from helpline.domain.errors import NotFound
from helpline.domain.pagination import Page, Sort

T = TypeVar("T")


class TenantRepository(Generic[T]):
    """Base of every tenant-owned repository. `model` must have `id` and `tenant_id` columns."""

    model: type[Any]  # the mapped class; typed loosely so `model.id` / `model.tenant_id` read cleanly
    label: str = "object"  # used in 'customer not found' messages

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def scoped(self) -> Select[T]:
        """A SELECT of this model already limited to the tenant: start every query here."""
        return select(self.model).where(self.model.tenant_id == self.tenant_id)

    def find(self, object_id: int) -> T | None:
        if not isinstance(object_id, int) or not 0 < object_id < 2**63:
            return None
        return self.session.scalars(self.scoped().where(self.model.id == object_id)).first()

    def get(self, object_id: int, for_update: bool = False) -> T:
        query = self.scoped().where(self.model.id == object_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalars(query).first() if 0 < object_id < 2**63 else None
        if row is None:
            raise NotFound(f"{self.label} {object_id} not found", field=f"{self.label}_id")
        return row

    def create(self, **fields: Any) -> T:
        """Insert a new row of this tenant; the tenant id cannot be chosen by the caller."""
        fields.pop("tenant_id", None)
        row: T = self.model(tenant_id=self.tenant_id, **fields)
        self.session.add(row)
        self.session.flush()
        return row

    def add(self, row: T) -> T:
        if getattr(row, "tenant_id", None) is None:
            row.tenant_id = self.tenant_id  # type: ignore[attr-defined]
        elif row.tenant_id != self.tenant_id:  # type: ignore[attr-defined]
            raise ValueError("row belongs to another tenant")
        self.session.add(row)
        self.session.flush()
        return row

    def count(self) -> int:
        """How many rows of this model the tenant has."""
        return self.session.scalar(select(func.count()).select_from(self.scoped().subquery())) or 0

    def page(self, query: Select[Any], page: Page, sort: Sort | None = None) -> tuple[list[Any], int]:
        """Run a list query: one page of rows and the total count, sorted with `id` as tie-break."""
        total = self.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        if sort is not None:
            column = getattr(self.model, sort.field)
            id_column = self.model.id
            query = (
                query.order_by(column.desc(), id_column.desc())
                if sort.descending
                else query.order_by(column.asc(), id_column.asc())
            )
        rows = list(self.session.scalars(query.limit(page.limit).offset(page.offset)))
        return rows, total
