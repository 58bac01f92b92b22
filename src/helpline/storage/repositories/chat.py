"""Web chat records of one tenant: visitors' sessions (token hashes only) and the files sent in conversations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import Attachment, ChatSession, Interaction, Queue


class ChatRepository(TenantRepository[ChatSession]):
    model = ChatSession
    label = "chat session"

    def by_token_hash(self, token_hash: str) -> ChatSession | None:
        return self.session.scalars(self.scoped().where(ChatSession.token_hash == token_hash)).first()

    def for_interaction(self, interaction_id: int) -> ChatSession | None:
        query = self.scoped().where(ChatSession.interaction_id == interaction_id).order_by(ChatSession.id.desc())
        return self.session.scalars(query).first()

    def open_sessions(self) -> list[tuple[ChatSession, Interaction, Queue | None]]:
        """Sessions not closed yet, with their interaction and queue (the chat watcher's round)."""
        query = (
            select(ChatSession, Interaction, Queue)
            .join(Interaction, Interaction.id == ChatSession.interaction_id)
            .outerjoin(Queue, Queue.id == Interaction.queue_id)
            .where(ChatSession.tenant_id == self.tenant_id, ChatSession.closed_at.is_(None))
            .order_by(ChatSession.id)
        )
        return [(s, i, q) for s, i, q in self.session.execute(query)]

    def add_attachment(self, **fields: Any) -> Attachment:
        fields.pop("tenant_id", None)
        row = Attachment(tenant_id=self.tenant_id, **fields)
        self.session.add(row)
        self.session.flush()
        return row

    def attachment(self, attachment_id: int, interaction_id: int) -> Attachment | None:
        """A file of that interaction of this tenant (None for any other: forged ids learn nothing)."""
        if not 0 < attachment_id < 2**63:
            return None
        query = select(Attachment).where(
            Attachment.tenant_id == self.tenant_id,
            Attachment.interaction_id == interaction_id,
            Attachment.id == attachment_id,
        )
        return self.session.scalars(query).first()

    def attachments(self, interaction_id: int, ids: list[int]) -> list[Attachment]:
        """Metadata of the named files of one interaction (the bytes stay in the database)."""
        if not ids:
            return []
        query = (
            select(Attachment)
            .options(defer(Attachment.data))
            .where(
                Attachment.tenant_id == self.tenant_id,
                Attachment.interaction_id == interaction_id,
                Attachment.id.in_([i for i in ids if 0 < i < 2**63]),
            )
        )
        return list(self.session.scalars(query))
