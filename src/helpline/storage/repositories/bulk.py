"""Bulk writes and streaming reads of one tenant, for CSV import, export and the demo loader."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, insert, select, text, update

from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import (
    Base,
    Case,
    CaseHistory,
    CaseTag,
    Consent,
    Customer,
    CustomerIdentity,
    Interaction,
    Message,
    Note,
    Order,
    Queue,
    UserTenant,
)

# The customer columns an import may change (the rest are set once or belong to other use cases).
CUSTOMER_IMPORT_FIELDS = (
    "external_ref",
    "display_name",
    "search_name",
    "company",
    "language",
    "segment",
    "tier",
    "attributes",
    "updated_at",
)

# What an import writes: the tables whose statistics matter for its next batch's look-ups.
IMPORT_TABLES = ("customers", "customer_identities", "consents")

# What `stream()` can export, and the columns it reads, in export order.
EXPORT_COLUMNS: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "customers": (
        Customer,
        (
            "id",
            "external_ref",
            "display_name",
            "company",
            "language",
            "segment",
            "tier",
            "attributes",
            "merged_into_id",
            "created_at",
            "updated_at",
        ),
    ),
    "interactions": (
        Interaction,
        (
            "id",
            "customer_id",
            "case_id",
            "queue_id",
            "agent_id",
            "channel",
            "direction",
            "status",
            "subject",
            "disposition_code",
            "external_ref",
            "created_at",
            "queued_at",
            "offered_at",
            "accepted_at",
            "ended_at",
            "wrapped_up_at",
        ),
    ),
    "cases": (
        Case,
        (
            "id",
            "customer_id",
            "subject",
            "status",
            "priority",
            "category",
            "escalation_tier",
            "assignee_id",
            "queue_id",
            "tags",
            "first_response_due_at",
            "resolution_due_at",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
        ),
    ),
}


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _same_tenant(table: Table, tenant_id: int) -> ColumnElement[bool]:
    """`tenant_id = :tenant` for reads of a batch of ids, written `tenant_id + 0` on purpose.

    Without statistics (no ANALYZE) SQLite prefers any index starting with tenant_id, such as the
    unique (tenant_id, kind, provider, value), over the index on customer_id: it would then read
    every row of the tenant for each batch, making an import or export quadratic. The expression
    cannot use an index, so the id index is chosen and each batch reads about one row per id.
    PostgreSQL plans from statistics and is unaffected.
    """
    return (table.c.tenant_id + 0) == tenant_id


class BulkRepository(TenantRepository[Customer]):
    """Set-at-a-time access for one tenant: every row written gets this tenant's id, every read is
    limited to it. Inserts use executemany (SQLAlchemy's insertmanyvalues), with RETURNING where
    the caller needs the new ids, so thousands of rows cost a handful of round trips."""

    model = Customer
    label = "customer"

    # --- writes ---------------------------------------------------------------------------------

    def _insert(self, model: type[Any], rows: Sequence[dict[str, Any]], return_ids: bool = False) -> list[int]:
        if not rows:
            return []
        table = _table(model)
        # The caller cannot choose the tenant: every row is forced into this one.
        params = [{**row, "tenant_id": self.tenant_id} for row in rows]
        if not return_ids:
            self.session.execute(insert(table), params)
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(self.session.execute(statement, params).scalars())

    def insert_customers(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert customers; returns their new ids in the order of `rows`."""
        return self._insert(Customer, rows, return_ids=True)

    def update_customers(self, rows: Sequence[dict[str, Any]]) -> None:
        """Set the import fields of existing customers of this tenant; each row carries its `id`."""
        if not rows:
            return
        table = _table(Customer)
        statement = (
            update(table)
            .where(table.c.id == bindparam("customer_id"), table.c.tenant_id == self.tenant_id)
            .values({name: bindparam(f"new_{name}") for name in CUSTOMER_IMPORT_FIELDS})
        )
        params = [{"customer_id": row["id"], **{f"new_{n}": row[n] for n in CUSTOMER_IMPORT_FIELDS}} for row in rows]
        self.session.execute(statement, params)

    def insert_identities(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert(CustomerIdentity, rows)

    def insert_consents(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert(Consent, rows)

    def insert_orders(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert(Order, rows)

    def insert_queues(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return self._insert(Queue, rows, return_ids=True)

    def insert_cases(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return self._insert(Case, rows, return_ids=True)

    def insert_case_history(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert(CaseHistory, rows)

    def insert_case_tags(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert(CaseTag, rows)

    def insert_notes(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert(Note, rows)

    def insert_interactions(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return self._insert(Interaction, rows, return_ids=True)

    def insert_messages(self, rows: Sequence[dict[str, Any]]) -> None:
        self._insert(Message, rows)

    def link_users(self, user_ids: Iterable[int]) -> None:
        """Let these users serve this tenant (the blended pool: a user may serve several)."""
        rows = [{"user_id": user_id} for user_id in sorted(set(user_ids))]
        self._insert(UserTenant, rows)

    # --- planner statistics ------------------------------------------------------------------------

    def refresh_statistics(self, tables: Sequence[str] = IMPORT_TABLES) -> None:
        """Let the query planner see these tables as they are now, after a large batch of inserts.

        Until statistics exist (autovacuum may be off, or not have caught up with a bulk load;
        SQLite never gathers them by itself) both databases may pick a tenant-wide index scan for
        a look-up by a batch of keys, and each batch then costs as much as the whole table. The
        sample is bounded, so this takes milliseconds; it is not tenant data, only statistics.
        """
        unknown = set(tables) - set(Base.metadata.tables)
        if unknown:
            raise ValueError(f"unknown tables {sorted(unknown)}")
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("ANALYZE " + ", ".join(tables)))
            return
        self.session.execute(text("PRAGMA analysis_limit=1000"))  # approximate: reads ~1,000 rows an index
        for table in tables:
            self.session.execute(text(f"ANALYZE {table}"))

    # --- reads for the importer -----------------------------------------------------------------

    def customers_by_ids(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The import fields (plus `merged_into_id`) of these customers, by id."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        table = _table(Customer)
        columns = [table.c.id, table.c.merged_into_id, *(table.c[n] for n in CUSTOMER_IMPORT_FIELDS)]
        query = select(*columns).where(_same_tenant(table, self.tenant_id), table.c.id.in_(wanted))
        return {row.id: dict(row._mapping) for row in self.session.execute(query)}

    def identity_kinds_by_customer(self, ids: Iterable[int]) -> dict[int, set[str]]:
        """Which kinds of identity (email, phone, ...) each of these customers already has."""
        wanted = sorted(set(ids))
        out: dict[int, set[str]] = defaultdict(set)
        if not wanted:
            return out
        table = _table(CustomerIdentity)
        query = (
            select(table.c.customer_id, table.c.kind)
            .where(_same_tenant(table, self.tenant_id), table.c.customer_id.in_(wanted))
            .distinct()
        )
        for customer_id, kind in self.session.execute(query):
            out[customer_id].add(kind)
        return out

    def latest_consents(self, ids: Iterable[int]) -> dict[tuple[int, str], bool]:
        """The current answer per (customer, purpose): the latest row of the append-only log."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        table = _table(Consent)
        query = (
            select(table.c.customer_id, table.c.purpose, table.c.granted)
            .where(_same_tenant(table, self.tenant_id), table.c.customer_id.in_(wanted))
            .order_by(table.c.at, table.c.id)
        )
        # Rows come oldest first, so the last one written per key is the current answer.
        return {(row.customer_id, row.purpose): row.granted for row in self.session.execute(query)}

    # --- reads for the demo loader and export ---------------------------------------------------

    def count_customers(self) -> int:
        query = select(func.count()).select_from(_table(Customer)).where(_table(Customer).c.tenant_id == self.tenant_id)
        return self.session.scalar(query) or 0

    def export_columns(self, kind: str) -> tuple[str, ...]:
        return EXPORT_COLUMNS[kind][1]

    def stream(self, kind: str, batch_size: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Every row of `kind` (customers, interactions or cases) of this tenant by id, in lists of
        `batch_size`. Rows are read through a server-side cursor (yield_per), never all at once."""
        model, names = EXPORT_COLUMNS[kind]
        table = _table(model)
        query = (
            select(*(table.c[n] for n in names))
            .where(table.c.tenant_id == self.tenant_id)
            .order_by(table.c.id)
            .execution_options(yield_per=batch_size)
        )
        for partition in self.session.execute(query).partitions():
            yield [dict(row._mapping) for row in partition]

    def identities_of(self, customer_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """The identities of these customers, primary ones first, then oldest first."""
        wanted = sorted(set(customer_ids))
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        if not wanted:
            return out
        table = _table(CustomerIdentity)
        query = (
            select(table.c.customer_id, table.c.kind, table.c.provider, table.c.value, table.c.is_primary)
            .where(_same_tenant(table, self.tenant_id), table.c.customer_id.in_(wanted))
            .order_by(table.c.customer_id, table.c.is_primary.desc(), table.c.id)
        )
        for row in self.session.execute(query):
            out[row.customer_id].append({"kind": row.kind, "provider": row.provider, "value": row.value})
        return out
