"""SQLAlchemy unit of work: one session, one transaction, repositories for the center and tenants."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.storage.repositories.agents import AgentRepository
from helpline.storage.repositories.bulk import BulkRepository
from helpline.storage.repositories.cases import CaseRepository, NoteRepository
from helpline.storage.repositories.center import CenterRepositories
from helpline.storage.repositories.chat import ChatRepository
from helpline.storage.repositories.customers import CustomerRepository
from helpline.storage.repositories.interactions import InteractionRepository
from helpline.storage.repositories.queues import QueueRepository
from helpline.storage.repositories.routing import RoutingRepository, TenantRoutingRepository
from helpline.storage.repositories.schedules import IntradayRepository, ScheduleRepository
from helpline.storage.repositories.security import ApiTokenRepository, AuditRepository
from helpline.storage.repositories.workforce_history import WorkforceHistoryRepository


class CenterScope(CenterRepositories):
    """The center-wide repositories plus routing's: agents serve several tenants, and the router
    is rebuilt for every tenant at once."""

    @cached_property
    def agents(self) -> AgentRepository:
        return AgentRepository(self.session)

    @cached_property
    def routing(self) -> RoutingRepository:
        return RoutingRepository(self.session)

    @cached_property
    def schedules(self) -> ScheduleRepository:
        return ScheduleRepository(self.session)


class TenantScope:
    """The repositories of one tenant. Each is built with the tenant id, so each query is scoped."""

    def __init__(self, session: Session, tenant_id: int) -> None:
        self.session = session
        self.tenant_id = tenant_id

    @cached_property
    def customers(self) -> CustomerRepository:
        return CustomerRepository(self.session, self.tenant_id)

    @cached_property
    def interactions(self) -> InteractionRepository:
        return InteractionRepository(self.session, self.tenant_id)

    @cached_property
    def cases(self) -> CaseRepository:
        return CaseRepository(self.session, self.tenant_id)

    @cached_property
    def notes(self) -> NoteRepository:
        return NoteRepository(self.session, self.tenant_id)

    @cached_property
    def queues(self) -> QueueRepository:
        return QueueRepository(self.session, self.tenant_id)

    @cached_property
    def routing(self) -> TenantRoutingRepository:
        return TenantRoutingRepository(self.session, self.tenant_id)

    @cached_property
    def chat(self) -> ChatRepository:
        """Web chat sessions and attachments."""
        return ChatRepository(self.session, self.tenant_id)

    @cached_property
    def intraday(self) -> IntradayRepository:
        return IntradayRepository(self.session, self.tenant_id)

    @cached_property
    def tokens(self) -> ApiTokenRepository:
        return ApiTokenRepository(self.session, self.tenant_id)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.session, self.tenant_id)

    @cached_property
    def bulk(self) -> BulkRepository:
        """Set-at-a-time writes and streaming reads (import, export, demo data)."""
        return BulkRepository(self.session, self.tenant_id)

    @cached_property
    def workforce_history(self) -> WorkforceHistoryRepository:
        """Contacts and handle time per interval, for forecasts and staffing plans."""
        return WorkforceHistoryRepository(self.session, self.tenant_id)


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._callbacks: list[Callable[[], None]] = []
        self._scopes: dict[int, TenantScope] = {}

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._factory()
        self.center = CenterScope(self.session)
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        # close() rolls back anything not committed, and, unlike rollback(), leaves the rows already
        # loaded readable (detached) so services can return them.
        self.session.close()
        # Safety net under the services' own checks: a race on a unique key, or a value the database
        # refuses, is the caller's problem to fix (409/422), never a server error.
        if isinstance(exc, IntegrityError):
            raise Conflict("this conflicts with data already stored (a duplicate?); reload and try again") from exc
        if isinstance(exc, DataError):
            raise ValidationFailed(f"a value could not be stored: {_first_line(exc.orig)}") from exc

    def tenant(self, tenant_id: int) -> TenantScope:
        if tenant_id not in self._scopes:
            self._scopes[tenant_id] = TenantScope(self.session, tenant_id)
        return self._scopes[tenant_id]

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self._callbacks.clear()
        self.session.rollback()


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0][:200] if error else "refused by the database"
