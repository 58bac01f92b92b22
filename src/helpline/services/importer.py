"""Customer import from CSV: validate each row, match it to existing customers, write in batches.

A row is matched by `external_ref`, else by any of its identities (email, phone): a match is
updated, never created twice, so running the same file again creates nothing. Rows that share a
key with an earlier row are merged into that row's customer and reported as duplicates. A bad row
(invalid email or phone, no name nor identity, over-long field, wrong column count, not UTF-8)
is reported with its line number and reason while the good rows go in. Each batch is one
transaction; lookups and inserts are set-at-a-time (services never see SQL: `uow.tenant().bulk`).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from helpline.domain import customers as rules
from helpline.domain.errors import DomainError, ValidationFailed
from helpline.domain.identities import Identity, make_identity
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.vocabulary import Channel, parse_enum
from helpline.services import audit
from helpline.services.ports import Deps, UnitOfWork

BATCH_SIZE = 1000
MAX_COLUMNS = 200
MAX_ERRORS_KEPT = 100_000  # a file of nothing but bad rows still gets a bounded report

NAME_COLUMNS = ("name", "first_name", "last_name")
IDENTITY_COLUMNS = ("email", "phone")
FIELD_COLUMNS = ("company", "language", "segment", "tier")
# Written by `helpline export customers` but owned by the database: ignored on the way back in.
IGNORED_COLUMNS = frozenset({"id", "merged_into_id", "created_at", "updated_at"})
CONSENT_PREFIX = "consent_"
CONSENT_OPTIONS = ("consent_channel", "consent_source")  # not purposes: how the file's consents were given
KNOWN_COLUMNS = frozenset(
    {"external_ref", "attributes", *NAME_COLUMNS, *IDENTITY_COLUMNS, *FIELD_COLUMNS, *CONSENT_OPTIONS}
)
_YES = frozenset({"yes", "y", "true", "1", "oui"})
_NO = frozenset({"no", "n", "false", "0", "non"})
# C0 controls other than tab and line breaks: PostgreSQL refuses NUL and none belong in a field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Spreadsheet formula triggers; export prefixes them with an apostrophe, import takes it off again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that was refused (or loaded with a remark): its line in the file and why."""

    line: int
    reason: str
    cells: tuple[str, ...] = ()


@dataclass(slots=True)
class Duplicate:
    """A row merged into the customer of an earlier row (or of an earlier import)."""

    line: int
    matched_by: str
    first_line: int | None  # the row of this file that created or first updated the customer
    customer_id: int | None = None


@dataclass
class ImportReport:
    source: str
    header: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)  # the first MAX_ERRORS_KEPT refused rows
    refused: int = 0  # every refused row, kept or not
    warnings: list[RowProblem] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        """Rows that reached a customer (created, updated, unchanged or merged as a duplicate)."""
        return self.created + self.updated + self.unchanged + len(self.duplicates)

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": len(self.duplicates),
            "errors": self.refused,
            "warnings": len(self.warnings),
        }


def unescape_cell(value: str) -> str:
    """Undo export's formula neutralisation: "'=SUM(A1)" read back is "=SUM(A1)"."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


# --- reading the file -------------------------------------------------------------------------


class _Lines:
    """The physical lines of a binary stream, decoded one at a time: a line that is not UTF-8 is
    skipped and remembered by number instead of failing the whole file."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.number = 0
        self.bytes_read = 0
        self.used: list[int] = []  # numbers of the lines fed to the CSV reader since the last row
        self.undecodable: list[int] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.number += 1
            self.bytes_read += len(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.undecodable.append(self.number)
                continue
            if self.number == 1:
                text = text.removeprefix("\ufeff")  # the byte-order mark spreadsheets like to write
            self.used.append(self.number)
            yield text


@dataclass(frozen=True, slots=True)
class _Row:
    """One valid row, normalised."""

    line: int
    external_ref: str | None
    name: str | None
    identities: tuple[Identity, ...]
    fields: dict[str, Any]
    attributes: dict[str, Any]
    consents: dict[str, bool]
    consent_channel: str | None
    consent_source: str | None
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Columns:
    """The header, read once: which position holds what."""

    names: list[str]  # as lowercased keys
    originals: list[str]  # as written (attribute names keep their case)
    consent_purposes: dict[int, str]
    attribute_columns: dict[int, str]


def _read_header(cells: list[str]) -> _Columns:
    originals = [c.strip() for c in cells]
    names = [c.lower() for c in originals]
    if len(names) > MAX_COLUMNS:
        raise ValidationFailed(f"the header has {len(names)} columns; at most {MAX_COLUMNS} are allowed", field="file")
    if any(not n for n in names):
        raise ValidationFailed("the header has an empty column name", field="file")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValidationFailed(f"the header names column {name!r} twice", field="file")
        seen.add(name)
    if not seen & {"external_ref", *NAME_COLUMNS, *IDENTITY_COLUMNS}:
        raise ValidationFailed(
            "the header needs at least one of external_ref, name, first_name, last_name, email, phone", field="file"
        )
    purposes: dict[int, str] = {}
    attributes: dict[int, str] = {}
    for index, name in enumerate(names):
        if name in KNOWN_COLUMNS or name in IGNORED_COLUMNS:
            continue
        if name.startswith(CONSENT_PREFIX):
            try:
                purposes[index] = rules.check_purpose(name.removeprefix(CONSENT_PREFIX))
            except ValidationFailed:
                raise ValidationFailed(
                    f"column {originals[index]!r} does not name a consent purpose", field="file"
                ) from None
            continue
        if len(originals[index]) > rules.MAX_ATTRIBUTE_KEY or not originals[index].isprintable():
            raise ValidationFailed(f"column name {originals[index][:40]!r}... is too long or unprintable", field="file")
        attributes[index] = originals[index]
    return _Columns(names, originals, purposes, attributes)


def _parse_row(line: int, cells: list[str], columns: _Columns, region: str | None) -> _Row:
    """Validate and normalise one row; raises ValidationFailed naming the problem."""
    if len(cells) != len(columns.names):
        raise ValidationFailed(f"expected {len(columns.names)} columns, found {len(cells)}", field="row")
    if _CONTROL.search("".join(cells)):
        column = next(n for n, c in zip(columns.names, cells, strict=True) if _CONTROL.search(c))
        raise ValidationFailed(f"{column} contains a control character", field=column)
    values = {column: unescape_cell(cell.strip()) for column, cell in zip(columns.names, cells, strict=True)}

    def get(name: str) -> str | None:
        return values.get(name) or None

    external_ref = rules.check_external_ref(get("external_ref"))
    name: str | None = None
    if any(get(c) for c in NAME_COLUMNS):
        try:
            name = rules.display_name_from(get("name"), get("first_name"), get("last_name"))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.detail.replace("display_name", "name"), field="name") from None
    identities: list[Identity] = []
    for kind in IDENTITY_COLUMNS:
        raw = get(kind)
        if raw is not None:
            identities.append(make_identity(kind, raw, default_region=region, field=kind))
    fields: dict[str, Any] = {}
    if get("company"):
        fields["company"] = rules.optional_text(get("company"), "company", rules.MAX_COMPANY)
    if get("segment"):
        fields["segment"] = rules.optional_text(get("segment"), "segment", rules.MAX_SEGMENT)
    if get("language"):
        fields["language"] = rules.check_language(get("language"))
    if get("tier"):
        fields["tier"] = rules.check_tier(get("tier"))
    if not identities and external_ref is None:
        # Without a key the row could not be found again: a second run would create it twice.
        raise ValidationFailed("the row needs an external_ref, an email or a phone", field="external_ref")
    channel = get("consent_channel")
    return _Row(
        line=line,
        external_ref=external_ref,
        name=name,
        identities=tuple(identities),
        fields=fields,
        attributes=_attributes(cells, columns, get("attributes")),
        consents=_consents(cells, columns),
        consent_channel=parse_enum(Channel, channel, "consent_channel").value if channel else None,
        consent_source=rules.optional_text(get("consent_source"), "consent_source", rules.MAX_CONSENT_SOURCE),
        cells=tuple(cells),
    )


def _attributes(cells: list[str], columns: _Columns, packed: str | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if packed:  # the `attributes` column of an export: one JSON object
        try:
            attributes = json.loads(packed)
        except ValueError:
            raise ValidationFailed("attributes must be a JSON object", field="attributes") from None
        if not isinstance(attributes, dict):
            raise ValidationFailed("attributes must be a JSON object", field="attributes")
    for index, key in columns.attribute_columns.items():
        value = unescape_cell(cells[index].strip())
        if value:
            attributes[key] = value
    return rules.check_attributes(attributes)


def _consents(cells: list[str], columns: _Columns) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for index, purpose in columns.consent_purposes.items():
        answer = cells[index].strip().lower()
        if not answer:
            continue
        if answer not in _YES | _NO:
            raise ValidationFailed(f"{columns.names[index]} must be yes or no", field=columns.names[index])
        out[purpose] = answer in _YES
    return out


# --- matching and writing -----------------------------------------------------------------------

_NewKey = tuple[str, int]  # ("new", line of the row that creates the customer)
_Key = int | _NewKey


@dataclass
class _Target:
    """A customer as this batch sees it: already stored (`id`) or about to be created."""

    key: _Key
    state: dict[str, Any]
    original: dict[str, Any] | None  # None: created by this import
    kinds: set[str]
    consents: dict[str, bool]
    first_line: int | None = None  # first row of this batch applied to it
    new_identities: list[tuple[Identity, bool]] = field(default_factory=list)
    new_consents: list[tuple[str, bool, str | None, str | None]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.original is None or self.state != self.original or bool(self.new_identities or self.new_consents)


@dataclass
class _Importer:
    deps: Deps
    principal: Principal
    tenant_id: int
    report: ImportReport
    consent_channel: str
    consent_source: str
    # Customers this import already touched, with the line that touched them first: a later row
    # (in any batch) that reaches one of them is a duplicate.
    touched: dict[int, int] = field(default_factory=dict)

    batches: int = 0

    def run_batch(self, rows: list[_Row]) -> None:
        now = self.deps.clock.now()
        with self.deps.uow() as uow:
            scope = uow.tenant(self.tenant_id)
            batch = _Batch(self, scope, rows, now)
            batch.match_all()
            batch.write()
            self.batches += 1
            if self.batches & (self.batches - 1) == 0:
                # After batches 1, 2, 4, 8, ...: the planner learns the tables grew (logarithmic cost).
                scope.bulk.refresh_statistics()
            uow.commit()
        batch.count()


class _Batch:
    """One transaction's worth of rows: look everything up at once, decide per row, write at once."""

    def __init__(self, importer: _Importer, scope: Any, rows: list[_Row], now: datetime) -> None:
        self.importer = importer
        self.report = importer.report
        self.scope = scope
        self.rows = rows
        self.now = now
        self.targets: dict[_Key, _Target] = {}
        self.by_ref: dict[str, _Key] = {}
        self.by_identity: dict[tuple[str, str, str], _Key] = {}
        self.created_rows = 0
        repo, bulk = scope.customers, scope.bulk
        self.stored_refs: dict[str, int] = repo.ids_by_external_refs({r.external_ref for r in rows if r.external_ref})
        self.stored_keys: dict[tuple[str, str, str], int] = repo.ids_by_identity_keys(
            {i.key for r in rows for i in r.identities}
        )
        ids = set(self.stored_refs.values()) | set(self.stored_keys.values())
        self.stored = bulk.customers_by_ids(ids)
        # Merges move identities and references to the survivor, but follow the pointer anyway.
        survivors = {row["merged_into_id"] for row in self.stored.values() if row["merged_into_id"]}
        self.stored.update(bulk.customers_by_ids(survivors - set(self.stored)))
        self.kinds = bulk.identity_kinds_by_customer(self.stored)
        self.latest_consents: dict[int, dict[str, bool]] = {}
        for (customer_id, purpose), granted in bulk.latest_consents(self.stored).items():
            self.latest_consents.setdefault(customer_id, {})[purpose] = granted

    def _survivor(self, customer_id: int) -> int:
        merged_into = self.stored.get(customer_id, {}).get("merged_into_id")
        return int(merged_into) if merged_into else customer_id

    def match_all(self) -> None:
        for row in self.rows:
            try:
                self._apply(row)
            except ValidationFailed as exc:
                _refuse(self.report, RowProblem(row.line, exc.detail, row.cells))

    def _find(self, row: _Row) -> tuple[_Key | None, str]:
        if row.external_ref:
            ref = row.external_ref
            if ref in self.by_ref:
                return self.by_ref[ref], f"external_ref {ref}"
            if ref in self.stored_refs:
                return self._survivor(self.stored_refs[ref]), f"external_ref {ref}"
        for identity in row.identities:
            if identity.key in self.by_identity:
                return self.by_identity[identity.key], rules.identity_label(identity)
            if identity.key in self.stored_keys:
                return self._survivor(self.stored_keys[identity.key]), rules.identity_label(identity)
        return None, ""

    def _apply(self, row: _Row) -> None:
        key, matched_by = self._find(row)
        if key is None:
            if row.name is None and not row.identities:
                raise ValidationFailed(
                    f"no customer has external_ref {row.external_ref}; a new customer needs a name, email or phone",
                    field="name",
                )
            target = self._new_target(row)
        else:
            # A new customer's key is always in `targets`; a stored one may be met for the first time.
            target = self.targets.get(key) or self._stored_target(key if isinstance(key, int) else -1)
        # The row's own attributes were checked when parsed; only a union can break the bounds.
        current = target.state["attributes"]
        attributes = rules.check_attributes({**current, **row.attributes}) if current else row.attributes
        duplicate_of = self._duplicate_of(target)
        # From here on the row is valid: apply it.
        if row.name is not None and row.name != target.state["display_name"]:
            target.state["display_name"] = row.name
            target.state["search_name"] = rules.search_name_of(row.name)
        target.state.update(row.fields)
        target.state["attributes"] = attributes
        self._adopt_ref(target, row)
        self._adopt_identities(target, row)
        for purpose, granted in row.consents.items():
            if target.consents.get(purpose) != granted:
                target.new_consents.append((purpose, granted, row.consent_channel, row.consent_source))
                target.consents[purpose] = granted
        self.targets[target.key] = target
        if key is None:
            self.created_rows += 1
            target.first_line = row.line
        elif duplicate_of is not None:
            duplicate = Duplicate(row.line, matched_by, duplicate_of, key if isinstance(key, int) else None)
            target.duplicates.append(duplicate)
            self.report.duplicates.append(duplicate)
        else:
            target.first_line = row.line

    def _duplicate_of(self, target: _Target) -> int | None:
        """The line that touched this customer first in this import, if any did."""
        if target.first_line is not None:
            return target.first_line
        if isinstance(target.key, int):
            return self.importer.touched.get(target.key)
        return None

    def _new_target(self, row: _Row) -> _Target:
        name = row.name or row.identities[0].value  # as find-or-create names a customer known by email only
        state: dict[str, Any] = {
            "external_ref": None,
            "display_name": name,
            "search_name": rules.search_name_of(name),
            "company": None,
            "language": None,
            "segment": None,
            "tier": "standard",
            "attributes": {},
        }
        return _Target(key=("new", row.line), state=state, original=None, kinds=set(), consents={})

    def _stored_target(self, customer_id: int) -> _Target:
        stored = self.stored[customer_id]
        state = {k: v for k, v in stored.items() if k not in ("id", "merged_into_id", "updated_at")}
        state["attributes"] = dict(state["attributes"] or {})
        consents = dict(self.latest_consents.get(customer_id, {}))
        original = {**state, "attributes": dict(state["attributes"])}
        return _Target(customer_id, state, original, set(self.kinds.get(customer_id, ())), consents)

    def _adopt_ref(self, target: _Target, row: _Row) -> None:
        ref = row.external_ref
        if ref is None:
            return
        holder = self.by_ref.get(ref)
        if holder is None and ref in self.stored_refs:
            holder = self._survivor(self.stored_refs[ref])
        current = target.state["external_ref"]
        if current == ref:
            self.by_ref[ref] = target.key
        elif current is None and holder is None:
            target.state["external_ref"] = ref
            self.by_ref[ref] = target.key
        else:
            reason = f"external_ref {ref} not set: " + (
                f"the customer already has external_ref {current}" if current else "another customer has it"
            )
            self.report.warnings.append(RowProblem(row.line, reason))

    def _adopt_identities(self, target: _Target, row: _Row) -> None:
        for identity in row.identities:
            holder = self.by_identity.get(identity.key)
            if holder is None and identity.key in self.stored_keys:
                holder = self._survivor(self.stored_keys[identity.key])
            if holder is None:
                primary = identity.kind.value not in target.kinds
                target.kinds.add(identity.kind.value)
                target.new_identities.append((identity, primary))
                self.by_identity[identity.key] = target.key
            elif holder == target.key:
                self.by_identity[identity.key] = target.key
            else:
                label = rules.identity_label(identity)
                self.report.warnings.append(RowProblem(row.line, f"{label} belongs to another customer; not moved"))

    def write(self) -> None:
        bulk = self.scope.bulk
        new = [t for t in self.targets.values() if t.original is None]
        ids = bulk.insert_customers(
            [{**t.state, "merged_into_id": None, "created_at": self.now, "updated_at": self.now} for t in new]
        )
        resolved: dict[_Key, int] = {t.key: cid for t, cid in zip(new, ids, strict=True)}
        for target in self.targets.values():
            if isinstance(target.key, int):
                resolved[target.key] = target.key
            for duplicate in target.duplicates:
                duplicate.customer_id = resolved[target.key]
        changed = [t for t in self.targets.values() if t.original is not None and t.changed]
        bulk.update_customers([{**t.state, "id": t.key, "updated_at": self.now} for t in changed])
        bulk.insert_identities(
            [
                {
                    "customer_id": resolved[t.key],
                    "kind": identity.kind.value,
                    "provider": identity.provider,
                    "value": identity.value,
                    "region": identity.region,
                    "is_primary": primary,
                    "created_at": self.now,
                }
                for t in self.targets.values()
                for identity, primary in t.new_identities
            ]
        )
        bulk.insert_consents(
            [
                {
                    "customer_id": resolved[t.key],
                    "purpose": purpose,
                    "granted": granted,
                    "channel": channel or self.importer.consent_channel,
                    "source": source or self.importer.consent_source,
                    "text": None,
                    "recorded_by": self.importer.principal.user_id,
                    "at": self.now,
                }
                for t in self.targets.values()
                for purpose, granted, channel, source in t.new_consents
            ]
        )
        self.resolved = resolved

    def count(self) -> None:
        """After the commit: the tallies, and who was touched (for the duplicates of later batches)."""
        self.report.created += self.created_rows
        for target in self.targets.values():
            customer_id = self.resolved[target.key]
            if target.first_line is not None and customer_id not in self.importer.touched:
                self.importer.touched[customer_id] = target.first_line
                if target.original is not None:
                    if target.changed:
                        self.report.updated += 1
                    else:
                        self.report.unchanged += 1


# --- the use case -------------------------------------------------------------------------------


def import_customers(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    stream: IO[bytes],
    source: str = "customers.csv",
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
    consent_channel: str = Channel.WORK_ITEM.value,
) -> ImportReport:
    """Import customers of one tenant from a CSV byte stream; returns what happened to each row.

    `progress` is called with the number of bytes read so far after each batch. Problems with the
    file as a whole (no header, an unusable header) raise ValidationFailed before anything is
    written; problems with a row are reported in the result and the row is skipped.
    """
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    channel = parse_enum(Channel, consent_channel, "consent_channel").value
    with deps.uow() as uow:
        region = uow.center.tenant(tenant_id).default_region
    report = ImportReport(source=source[:200])
    importer = _Importer(
        deps, principal, tenant_id, report, channel, f"imported from {source}"[: rules.MAX_CONSENT_SOURCE]
    )
    lines = _Lines(stream)
    reader = csv.reader(lines)
    columns = _header(reader, lines)
    report.header = columns.originals
    batch: list[_Row] = []
    for line, cells in _records(reader, lines, report):
        report.rows += 1
        try:
            batch.append(_parse_row(line, cells, columns, region))
        except DomainError as exc:
            _refuse(report, RowProblem(line, exc.detail, tuple(cells)))
        if len(batch) >= batch_size:
            importer.run_batch(batch)
            batch = []
            if progress:
                progress(lines.bytes_read)
    if batch:
        importer.run_batch(batch)
    if progress:
        progress(lines.bytes_read)
    report.errors.sort(key=lambda problem: problem.line)
    _record(deps, principal, tenant_id, report)
    return report


def _header(reader: Iterator[list[str]], lines: _Lines) -> _Columns:
    try:
        cells = next(reader)
    except StopIteration:
        if lines.undecodable:
            raise ValidationFailed("the header line is not valid UTF-8", field="file") from None
        raise ValidationFailed("the file is empty: the first line must name the columns", field="file") from None
    except csv.Error as exc:
        raise ValidationFailed(f"the header line cannot be read as CSV ({exc})", field="file") from None
    if lines.undecodable:
        raise ValidationFailed("the header line is not valid UTF-8", field="file")
    lines.used.clear()
    return _read_header(cells)


def _records(reader: Iterator[list[str]], lines: _Lines, report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each record; unreadable lines are reported as they are met."""
    while True:
        try:
            cells = next(reader)
            failure = None
        except StopIteration:
            break
        except csv.Error as exc:
            cells, failure = [], str(exc)
        for number in lines.undecodable:
            report.rows += 1
            _refuse(report, RowProblem(number, "the line is not valid UTF-8"))
        lines.undecodable.clear()
        line = lines.used[0] if lines.used else lines.number
        lines.used.clear()
        if failure is not None:
            report.rows += 1
            _refuse(report, RowProblem(line, f"the line cannot be read as CSV ({failure})"))
        elif cells and any(c.strip() for c in cells):  # blank lines are skipped silently
            yield line, cells
    for number in lines.undecodable:
        report.rows += 1
        _refuse(report, RowProblem(number, "the line is not valid UTF-8"))


def _refuse(report: ImportReport, problem: RowProblem) -> None:
    report.refused += 1
    if len(report.errors) < MAX_ERRORS_KEPT:
        report.errors.append(problem)


def _record(deps: Deps, principal: Principal, tenant_id: int, report: ImportReport) -> None:
    """One audit entry per import, and one event once it is committed."""
    with deps.uow() as uow:
        audit.record(
            uow,
            deps,
            principal,
            "customers.import",
            "customer_import",
            None,
            tenant_id=tenant_id,
            file=report.source,
            **report.summary(),
        )
        _announce(uow, deps, tenant_id, report)
        uow.commit()


def _announce(uow: UnitOfWork, deps: Deps, tenant_id: int, report: ImportReport) -> None:
    event = {"type": "customers.imported", "tenant_id": tenant_id, **report.summary()}
    uow.after_commit(lambda: deps.events.publish(event))
