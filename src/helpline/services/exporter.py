"""Export of a tenant's customers, interactions or cases as CSV or JSON lines, streamed in batches.

Rows are read a batch at a time and written as they come, so memory stays flat however big the
tenant is. CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or
carriage return) get a leading apostrophe; the importer takes it off again.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO

from helpline.domain.errors import ValidationFailed
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.services.importer import FORMULA_TRIGGERS
from helpline.services.ports import Deps

KINDS = ("customers", "interactions", "cases")
FORMATS = ("csv", "jsonl")
BATCH_SIZE = 1000

# Customers are exported with the column names the importer reads, so an export can be imported
# into another tenant as it is.
CUSTOMER_COLUMNS = (
    "id",
    "external_ref",
    "name",
    "email",
    "phone",
    "company",
    "language",
    "segment",
    "tier",
    "attributes",
    "merged_into_id",
    "created_at",
    "updated_at",
)


def neutralise(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (OWASP 'CSV injection')."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False, sort_keys=True))
    if isinstance(value, int | float | Decimal):
        return str(value)
    return neutralise(str(value))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot export {type(value).__name__}")


def export(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    kind: str,
    fmt: str,
    out: TextIO,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Write every `kind` row of the tenant to `out` as `fmt`; returns the number of rows."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    if kind not in KINDS:
        raise ValidationFailed(f"kind must be one of: {', '.join(KINDS)}", field="kind")
    if fmt not in FORMATS:
        raise ValidationFailed(f"format must be one of: {', '.join(FORMATS)}", field="format")
    count = 0
    with deps.uow() as uow:
        bulk = uow.tenant(tenant_id).bulk
        header = CUSTOMER_COLUMNS if kind == "customers" else bulk.export_columns(kind)
        writer = csv.writer(out, lineterminator="\n")
        if fmt == "csv":
            writer.writerow(header)
        for rows in _rows(bulk, kind, batch_size):
            for row in rows:
                if fmt == "csv":
                    writer.writerow([csv_cell(row[name]) for name in header])
                else:
                    out.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
            count += len(rows)
    return count


def _rows(bulk: Any, kind: str, batch_size: int) -> Iterator[list[dict[str, Any]]]:
    for batch in bulk.stream(kind, batch_size):
        if kind != "customers":
            yield batch
            continue
        identities = bulk.identities_of(row["id"] for row in batch)
        yield [_customer(row, identities.get(row["id"], [])) for row in batch]


def _customer(row: dict[str, Any], identities: list[dict[str, Any]]) -> dict[str, Any]:
    """A customer in the importer's vocabulary: `name`, and its first email and phone as columns
    (primary first); JSON lines also carry every identity."""
    first = {kind: next((i["value"] for i in identities if i["kind"] == kind), None) for kind in ("email", "phone")}
    out = {name: row.get(name) for name in CUSTOMER_COLUMNS}
    out.update(name=row["display_name"], email=first["email"], phone=first["phone"])
    out["identities"] = identities
    return out
