"""Customer repository (tenant-scoped): customers with their identities, consents, orders and portal accounts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from helpline.domain.customers import SearchTerms
from helpline.domain.errors import Conflict, NotFound
from helpline.domain.identities import Identity
from helpline.domain.pagination import Page, Sort
from helpline.storage.queries import CustomerViews
from helpline.storage.repositories.base import TenantRepository
from helpline.storage.tables import (
    Case,
    Consent,
    Customer,
    CustomerAccount,
    CustomerIdentity,
    Interaction,
    Note,
    Order,
)

R = TypeVar("R")
IdentityKey = tuple[str, str, str]  # (kind, provider, value), as domain.identities.Identity.key
_CHUNK = 500  # values per IN (...) list: well under every driver's parameter limit


class CustomerRepository(TenantRepository[Customer]):
    model = Customer
    label = "customer"

    @cached_property
    def views(self) -> CustomerViews:
        """Read models of the Customer 360 (timeline, counts, open cases, recent orders)."""
        return CustomerViews(self.session, self.tenant_id)

    @property
    def recovers_from_conflicts(self) -> bool:
        """Whether a Conflict raised by a guarded insert leaves the transaction usable.

        True on PostgreSQL, where the insert runs in a SAVEPOINT. The pysqlite driver does not
        nest transactions reliably (a SAVEPOINT taken before the first write commits on RELEASE),
        so on SQLite a lost race ends the transaction; SQLite serialises writers anyway.
        """
        return self.session.get_bind().dialect.name == "postgresql"

    def _guarded(self, work: Callable[[], R], conflict: Callable[[], Conflict]) -> R:
        """Run inserts that a unique constraint may refuse, turning the refusal into a Conflict."""
        try:
            if self.recovers_from_conflicts:
                with self.session.begin_nested():
                    return work()
            result = work()
            self.session.flush()
            return result
        except IntegrityError:
            raise conflict() from None

    # --- customers ----------------------------------------------------------------------------

    def save(self) -> None:
        """Write pending changes now; a clash on a unique column (external_ref) becomes a Conflict."""
        try:
            self.session.flush()
        except IntegrityError:
            raise Conflict("external_ref is already used by another customer", field="external_ref") from None

    def live(self) -> Select[Any]:
        """Customers that were not merged away: the ones lists and searches show."""
        return self.scoped().where(Customer.merged_into_id.is_(None))

    def create_with_identities(self, fields: dict[str, Any], identities: list[Identity], now: datetime) -> Customer:
        """Insert a customer and its identities together, or nothing (Conflict if a key is taken)."""

        def work() -> Customer:
            customer = self.create(**fields)
            self._insert_identities(customer.id, identities, now, set())
            return customer

        return self._guarded(
            work, lambda: Conflict("an identity or external_ref is already in use", field="identities")
        )

    def search(
        self, terms: SearchTerms | None, filters: dict[str, str], page: Page, sort: Sort
    ) -> tuple[list[Customer], int]:
        """Live customers whose name contains the text, or who hold it exactly as an identity."""
        query = self.live()
        for name, value in filters.items():
            query = query.where(getattr(Customer, name) == value)
        if terms is not None:
            pattern = "%" + terms.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            matches = [Customer.search_name.like(pattern, escape="\\")]
            held = self._identity_match(terms)
            if held is not None:
                matches.append(
                    Customer.id.in_(
                        select(CustomerIdentity.customer_id).where(CustomerIdentity.tenant_id == self.tenant_id, held)
                    )
                )
            query = query.where(or_(*matches))
        return self.page(query, page, sort)

    @staticmethod
    def _identity_match(terms: SearchTerms) -> Any:
        kind, value = CustomerIdentity.kind, CustomerIdentity.value
        options = []
        if terms.email:
            options.append((kind == "email") & (value == terms.email))
        if terms.phone:
            options.append((kind == "phone") & (value == terms.phone))
        if terms.handle:
            options.append(kind.in_(("chat", "social")) & (value == terms.handle))
        return or_(*options) if options else None

    def id_by_external_ref(self, external_ref: str) -> int | None:
        return self.ids_by_external_refs([external_ref]).get(external_ref)

    def ids_by_external_refs(self, refs: Iterable[str]) -> dict[str, int]:
        """Which of these client references already name a customer (merged ones included)."""
        wanted = sorted({r for r in refs if isinstance(r, str)})
        found: dict[str, int] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(Customer.external_ref, Customer.id).where(
                Customer.tenant_id == self.tenant_id, Customer.external_ref.in_(chunk)
            )
            found.update({ref: cid for ref, cid in self.session.execute(query) if ref is not None})
        return found

    def ids_by_identity_keys(self, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
        """Which of these normalised (kind, provider, value) keys a customer already holds."""
        by_group: dict[tuple[str, str], set[str]] = defaultdict(set)
        for kind, provider, value in keys:
            by_group[(str(kind), provider)].add(value)
        found: dict[tuple[str, str, str], int] = {}
        for (kind, provider), values in by_group.items():
            ordered = sorted(values)
            for start in range(0, len(ordered), _CHUNK):
                query = select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                    CustomerIdentity.tenant_id == self.tenant_id,
                    CustomerIdentity.kind == kind,
                    CustomerIdentity.provider == provider,
                    CustomerIdentity.value.in_(ordered[start : start + _CHUNK]),
                )
                found.update({(kind, provider, value): cid for value, cid in self.session.execute(query)})
        return found

    def holder_of(self, identity: Identity) -> Customer | None:
        """The customer holding this identity, if any."""
        query = (
            self.scoped()
            .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
            .where(
                CustomerIdentity.tenant_id == self.tenant_id,
                CustomerIdentity.kind == identity.kind.value,
                CustomerIdentity.provider == identity.provider,
                CustomerIdentity.value == identity.value,
            )
        )
        return self.session.scalars(query).first()

    def repoint_merged(self, from_id: int, to_id: int) -> int:
        """Customers once merged into `from_id` now point at `to_id`, so chains stay one step long."""
        result = self.session.execute(
            update(Customer)
            .where(Customer.tenant_id == self.tenant_id, Customer.merged_into_id == from_id)
            .values(merged_into_id=to_id)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def move_history(self, from_id: int, to_id: int) -> dict[str, int]:
        """Hand everything of one customer to another in one bulk UPDATE per table; counts per table.

        Moved identities lose their primary flag: the survivor's own primaries stay primary.
        """
        self.session.flush()  # pending changes first: the expire_all below would drop them
        moved: dict[str, int] = {}
        for name, table, extra in (
            ("identities", CustomerIdentity, {"is_primary": False}),
            ("consents", Consent, {}),
            ("orders", Order, {}),
            ("interactions", Interaction, {}),
            ("cases", Case, {}),
            ("notes", Note, {}),
            ("accounts", CustomerAccount, {}),
        ):
            statement = (
                update(table)
                .where(table.tenant_id == self.tenant_id, table.customer_id == from_id)
                .values(customer_id=to_id, **extra)
                .execution_options(synchronize_session=False)
            )
            moved[name] = int(self.session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
        self.session.expire_all()  # rows loaded before the bulk updates must not be trusted
        return moved

    # --- identities ---------------------------------------------------------------------------

    def identities(self, customer_id: int) -> list[CustomerIdentity]:
        query = (
            select(CustomerIdentity)
            .where(CustomerIdentity.tenant_id == self.tenant_id, CustomerIdentity.customer_id == customer_id)
            .order_by(CustomerIdentity.kind, CustomerIdentity.created_at, CustomerIdentity.id)
        )
        return list(self.session.scalars(query))

    def identity(self, customer_id: int, identity_id: int) -> CustomerIdentity:
        row = None
        if isinstance(identity_id, int) and 0 < identity_id < 2**63:
            row = self.session.scalars(
                select(CustomerIdentity).where(
                    CustomerIdentity.tenant_id == self.tenant_id,
                    CustomerIdentity.customer_id == customer_id,
                    CustomerIdentity.id == identity_id,
                )
            ).first()
        if row is None:
            raise NotFound(f"identity {identity_id} not found", field="identity_id")
        return row

    def add_identity(self, customer_id: int, identity: Identity, now: datetime, is_primary: bool) -> CustomerIdentity:
        rows = self._guarded(
            lambda: self._insert_identities(customer_id, [identity], now, set() if is_primary else {identity.kind}),
            lambda: Conflict("this identity is already held by another customer", field="value"),
        )
        return rows[0]

    def _insert_identities(
        self, customer_id: int, identities: list[Identity], now: datetime, kinds_with_primary: set[Any]
    ) -> list[CustomerIdentity]:
        rows = []
        for identity in identities:
            rows.append(
                CustomerIdentity(
                    tenant_id=self.tenant_id,
                    customer_id=customer_id,
                    kind=identity.kind.value,
                    provider=identity.provider,
                    value=identity.value,
                    region=identity.region,
                    is_primary=identity.kind not in kinds_with_primary,
                    created_at=now,
                )
            )
            kinds_with_primary.add(identity.kind)
        self.session.add_all(rows)
        self.session.flush()
        return rows

    def remove_identity(self, row: CustomerIdentity) -> None:
        self.session.delete(row)
        self.session.flush()

    # --- consents -----------------------------------------------------------------------------

    def add_consent(self, **fields: Any) -> Consent:
        return self._insert(Consent(**fields))

    def consents(self, customer_id: int) -> list[Consent]:
        """The whole history, newest first."""
        query = select(Consent).where(Consent.tenant_id == self.tenant_id, Consent.customer_id == customer_id)
        return list(self.session.scalars(query.order_by(Consent.at.desc(), Consent.id.desc())))

    # --- orders -------------------------------------------------------------------------------

    def add_order(self, **fields: Any) -> Order:
        ref = fields.get("external_ref")
        return self._guarded(
            lambda: self._insert(Order(**fields)),
            lambda: Conflict(f"an order with external_ref {ref!r} already exists", field="external_ref"),
        )

    def order_id_by_ref(self, external_ref: str) -> int | None:
        return self.session.scalar(
            select(Order.id).where(Order.tenant_id == self.tenant_id, Order.external_ref == external_ref)
        )

    def orders(self, customer_id: int, page: Page) -> tuple[list[Order], int]:
        where = (Order.tenant_id == self.tenant_id, Order.customer_id == customer_id)
        total = self.session.scalar(select(func.count()).select_from(Order).where(*where)) or 0
        query = select(Order).where(*where).order_by(Order.ordered_at.desc(), Order.id.desc())
        return list(self.session.scalars(query.limit(page.limit).offset(page.offset))), total

    # --- portal accounts ----------------------------------------------------------------------

    def account_id_by_email(self, email: str) -> int | None:
        return self.session.scalar(
            select(CustomerAccount.id).where(
                CustomerAccount.tenant_id == self.tenant_id, CustomerAccount.email == email
            )
        )

    def add_account(self, **fields: Any) -> CustomerAccount:
        return self._guarded(
            lambda: self._insert(CustomerAccount(**fields)),
            lambda: Conflict("a portal account with this email already exists", field="email"),
        )

    def _insert(self, row: R) -> R:
        row.tenant_id = self.tenant_id  # type: ignore[attr-defined]  # the tenant is never the caller's choice
        self.session.add(row)
        self.session.flush()
        return row
