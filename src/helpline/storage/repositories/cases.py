"""Case and note repositories (tenant-scoped)."""

from __future__ import annotations

from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import Case, Note


class CaseRepository(TenantRepository[Case]):
    model = Case
    label = "case"


class NoteRepository(TenantRepository[Note]):
    model = Note
    label = "note"
