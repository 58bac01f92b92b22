"""The composition root: builds the engine, the unit of work factory and the service dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from helpline.config import Settings, get_settings
from helpline.realtime.broker import Broker
from helpline.services.ports import Clock, Deps, SystemClock
from helpline.services.routing import Routing
from helpline.services.security import Argon2Hasher
from helpline.storage import migrate
from helpline.storage.db import make_engine, make_session_factory
from helpline.storage.unit_of_work import SqlUnitOfWork


@dataclass
class Container:
    settings: Settings
    engine: Engine
    deps: Deps

    def close(self) -> None:
        self.engine.dispose()


def build(
    settings: Settings | None = None,
    clock: Clock | None = None,
    migrate_first: bool = False,
    fast_hashing: bool = False,
) -> Container:
    settings = settings or get_settings()
    if migrate_first:
        migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    deps = Deps(
        uow=lambda: SqlUnitOfWork(factory),
        clock=clock or SystemClock(),
        hasher=Argon2Hasher(fast=fast_hashing),
        events=Broker(),
    )
    deps.routing = Routing(deps)
    return Container(settings=settings, engine=engine, deps=deps)
