"""Ports: what the services need from the outside world, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...


class EventPublisher(Protocol):
    def publish(self, event: dict[str, Any]) -> None: ...


class NullPublisher:
    """Events go nowhere until the realtime broker exists; kept so services can announce now."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)
        del self.published[:-1000]  # keep memory bounded; only recent events are inspectable


class UnitOfWork(Protocol):
    """One transaction. `center` holds center-wide repositories; `tenant(id)` those of one tenant.

    Nothing is written unless `commit()` is called; callbacks given to `after_commit` run only
    once the commit has succeeded (that is where events are announced).
    """

    center: Any

    def tenant(self, tenant_id: int) -> Any: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def after_commit(self, callback: Callable[[], None]) -> None: ...
    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None: ...


@dataclass
class Deps:
    """Everything a use case needs, built once by bootstrap and handed to every service call."""

    uow: Callable[[], UnitOfWork]
    clock: Clock = field(default_factory=SystemClock)
    hasher: PasswordHasher | None = None
    events: EventPublisher = field(default_factory=NullPublisher)
    # The live router (services.routing.Routing), built by bootstrap; None where nothing routes (CLI loads).
    routing: Any = None
