"""The migrations build exactly the schema storage/tables.py describes, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from helpline.bootstrap import Container
from helpline.storage.tables import Base


def _drift(container: Container) -> list[Any]:
    with container.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_migrated_schema_matches_the_model(container: Container) -> None:
    assert _drift(container) == []
