"""Case and note repositories (tenant-scoped): cases with their tags and history, and notes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, delete, exists, false, func, select

from helpline.domain.cases import OPEN_STATUSES, PRIORITY_RANK, STATUS_RANK, CaseFilter, FieldChange
from helpline.domain.pagination import Page, Sort
from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import Case, CaseHistory, CaseTag, Note

_LIKE_ESCAPE = "\\"


class CaseRepository(TenantRepository[Case]):
    model = Case
    label = "case"

    def search(self, where: CaseFilter, page: Page, sort: Sort) -> tuple[list[Case], int]:
        query = self._filtered(where)
        total = self.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        rows = self.session.scalars(query.order_by(*_order(sort)).limit(page.limit).offset(page.offset))
        return list(rows), total

    def _filtered(self, where: CaseFilter) -> Select[Any]:
        query = self.scoped()
        statuses = set(where.statuses)
        if where.open_only:
            statuses = (statuses & OPEN_STATUSES) if statuses else set(OPEN_STATUSES)
            if not statuses:
                return query.where(false())  # open_only with only closed statuses asked for: nothing
        if statuses:
            query = query.where(Case.status.in_(sorted(s.value for s in statuses)))
        if where.priority is not None:
            query = query.where(Case.priority == where.priority.value)
        if where.assignee_id is not None:
            query = query.where(Case.assignee_id == where.assignee_id)
        if where.unassigned:
            query = query.where(Case.assignee_id.is_(None))
        if where.category is not None:
            query = query.where(Case.category == where.category)
        if where.customer_id is not None:
            query = query.where(Case.customer_id == where.customer_id)
        if where.tag is not None:
            tagged = exists().where(
                CaseTag.case_id == Case.id, CaseTag.tenant_id == self.tenant_id, CaseTag.tag == where.tag
            )
            query = query.where(tagged)
        if where.query is not None:
            query = query.where(Case.subject.ilike(f"%{_escape_like(where.query)}%", escape=_LIKE_ESCAPE))
        return query

    def set_tags(self, case_id: int, old: Iterable[str], new: Iterable[str]) -> None:
        """Keep the case_tags rows (used for filtering) equal to the case's tag list."""
        old_set, new_set = set(old), set(new)
        removed, added = old_set - new_set, new_set - old_set
        if removed:
            self.session.execute(
                delete(CaseTag).where(
                    CaseTag.tenant_id == self.tenant_id, CaseTag.case_id == case_id, CaseTag.tag.in_(removed)
                )
            )
        self.session.add_all(CaseTag(case_id=case_id, tag=tag, tenant_id=self.tenant_id) for tag in sorted(added))

    def add_history(
        self, case_id: int, changes: Iterable[FieldChange], actor_user_id: int | None, actor_name: str, at: datetime
    ) -> None:
        self.session.add_all(
            CaseHistory(
                tenant_id=self.tenant_id,
                case_id=case_id,
                actor_user_id=actor_user_id,
                actor_name=actor_name,
                at=at,
                field=c.field,
                old_value=c.old,
                new_value=c.new,
            )
            for c in changes
        )

    def history(self, case_id: int, page: Page) -> tuple[list[CaseHistory], int]:
        """Oldest first, in the order the changes were written."""
        query = select(CaseHistory).where(CaseHistory.tenant_id == self.tenant_id, CaseHistory.case_id == case_id)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(
            query.order_by(CaseHistory.at, CaseHistory.id).limit(page.limit).offset(page.offset)
        )
        return list(rows), total


class NoteRepository(TenantRepository[Note]):
    model = Note
    label = "note"

    def for_case(self, case_id: int, page: Page) -> tuple[list[Note], int]:
        """Oldest first, like a conversation."""
        return self.page(self.scoped().where(Note.case_id == case_id), page, Sort("created_at", descending=False))

    def for_interaction(self, interaction_id: int, limit: int) -> list[Note]:
        """Notes written on one interaction (the agent's wrap-up note), oldest first."""
        query = self.scoped().where(Note.interaction_id == interaction_id).order_by(Note.created_at, Note.id)
        return list(self.session.scalars(query.limit(limit)))


def _order(sort: Sort) -> list[ColumnElement[Any]]:
    """Priority and status sort by rank; due times put cases without one last either way."""
    key: ColumnElement[Any]
    if sort.field == "priority":
        key = case({p.value: rank for p, rank in PRIORITY_RANK.items()}, value=Case.priority, else_=-1)
    elif sort.field == "status":
        key = case({s.value: rank for s, rank in STATUS_RANK.items()}, value=Case.status, else_=-1)
    else:
        key = getattr(Case, sort.field)
    ordered: list[ColumnElement[Any]] = [
        key.desc() if sort.descending else key.asc(),
        Case.id.desc() if sort.descending else Case.id.asc(),
    ]
    if sort.field == "resolution_due_at":
        ordered.insert(0, Case.resolution_due_at.is_(None).asc())
    return ordered


def _escape_like(text: str) -> str:
    return (
        text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", f"{_LIKE_ESCAPE}%").replace("_", f"{_LIKE_ESCAPE}_")
    )
