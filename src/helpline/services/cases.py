"""Cases: a customer's matter, its changes (each written to the history), notes and interactions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from helpline.domain import cases as rules
from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.interactions import as_utc
from helpline.domain.pagination import make_page, parse_sort
from helpline.domain.permissions import Action, Principal, require, require_tenant
from helpline.domain.vocabulary import CaseStatus, Priority, parse_enum
from helpline.services.interactions import check_staff, link_to_case, reference, resolve_customer
from helpline.services.ports import Deps, UnitOfWork

UPDATABLE = (
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
)


def create_case(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    customer_id: int,
    subject: str,
    priority: str = "normal",
    category: str | None = None,
    tags: list[str] | None = None,
    assignee_id: int | None = None,
    queue_id: int | None = None,
    first_response_due_at: datetime | None = None,
    resolution_due_at: datetime | None = None,
) -> Any:
    """Open a case for a customer; the history starts with a 'created' line."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    now = deps.clock.now()
    fields = {
        "subject": rules.check_subject(subject),
        "priority": parse_enum(Priority, priority, "priority").value,
        "category": rules.check_category(category),
        "tags": rules.normalise_tags(tags if tags is not None else []),
        "first_response_due_at": _due(first_response_due_at, "first_response_due_at"),
        "resolution_due_at": _due(resolution_due_at, "resolution_due_at"),
    }
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        customer = resolve_customer(uow, tenant_id, customer_id)
        _check_refs(uow, tenant_id, {"assignee_id": assignee_id, "queue_id": queue_id})
        case = scope.cases.create(
            customer_id=customer.id,
            status=CaseStatus.NEW.value,
            escalation_tier=0,
            assignee_id=assignee_id,
            queue_id=queue_id,
            created_at=now,
            updated_at=now,
            **fields,
        )
        scope.cases.set_tags(case.id, [], case.tags)
        scope.cases.add_history(
            case.id, [rules.FieldChange("created", None, case.subject)], principal.user_id, principal.name, now
        )
        _announce(uow, deps, "case.created", tenant_id, case)
        uow.commit()
        return case


def update_case(deps: Deps, principal: Principal, tenant_id: int, case_id: int, changes: dict[str, Any]) -> Any:
    """Change any of UPDATABLE; each field that really changes writes one history line."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise ValidationFailed(f"{unknown[0]} cannot be changed here", field=unknown[0])
    wanted = _checked_changes(changes)
    now = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        case = scope.cases.get(case_id, for_update=True)
        before = {name: getattr(case, name) for name in wanted}
        diff = rules.diff_fields(before, wanted)
        if not diff:
            return case
        if case.status == CaseStatus.CLOSED.value:
            raise Conflict("a closed case cannot be changed; open a new case", field="status")
        changed = {c.field for c in diff}
        _check_refs(uow, tenant_id, {f: wanted[f] for f in ("assignee_id", "queue_id") if f in changed})
        if "status" in changed:
            current, target = CaseStatus(case.status), CaseStatus(wanted["status"])
            rules.check_transition(current, target)
            for name, value in rules.status_times(current, target, now).items():
                setattr(case, name, value)
        if "tags" in changed:
            scope.cases.set_tags(case.id, case.tags, wanted["tags"])
        for name in changed:
            setattr(case, name, wanted[name])
        case.updated_at = now
        scope.cases.add_history(case.id, diff, principal.user_id, principal.name, now)
        _announce(uow, deps, "case.updated", tenant_id, case, fields=sorted(changed))
        uow.commit()
        return case


def get_case(deps: Deps, principal: Principal, tenant_id: int, case_id: int) -> Any:
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    with deps.uow() as uow:
        return uow.tenant(tenant_id).cases.get(case_id)


def list_cases(
    deps: Deps,
    principal: Principal,
    tenant_id: int,
    *,
    status: Iterable[str] | None = None,
    open_only: bool = False,
    priority: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    category: str | None = None,
    tag: str | None = None,
    customer_id: int | None = None,
    q: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    sort: str | None = None,
) -> tuple[list[Any], int]:
    """One page of the tenant's cases (most recently changed first by default) and the total."""
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    where = rules.make_filter(status, open_only, priority, assignee_id, unassigned, category, tag, customer_id, q)
    page = make_page(limit, offset)
    order = parse_sort(sort, rules.SORT_FIELDS, rules.DEFAULT_SORT)
    with deps.uow() as uow:
        rows, total = uow.tenant(tenant_id).cases.search(where, page, order)
        return rows, total


def add_note(deps: Deps, principal: Principal, tenant_id: int, case_id: int, body: str) -> Any:
    """A note on a case, signed by the caller. Notes may be added to a closed case (an afterthought)."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    text = rules.check_note(body)
    now = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        case = scope.cases.get(case_id)
        note = scope.notes.create(
            case_id=case.id,
            author_user_id=principal.user_id,
            author_name=principal.name[:200] or "unknown",
            body=text,
            created_at=now,
        )
        _announce(uow, deps, "case.updated", tenant_id, case, note_id=note.id)
        uow.commit()
        return note


def case_history(
    deps: Deps, principal: Principal, tenant_id: int, case_id: int, limit: int | None = None, offset: int | None = None
) -> tuple[list[Any], int]:
    """History lines of a case, oldest first."""
    return _case_list(
        deps, principal, tenant_id, case_id, limit, offset, lambda scope, page: scope.cases.history(case_id, page)
    )


def case_notes(
    deps: Deps, principal: Principal, tenant_id: int, case_id: int, limit: int | None = None, offset: int | None = None
) -> tuple[list[Any], int]:
    """Notes of a case, oldest first."""
    return _case_list(
        deps, principal, tenant_id, case_id, limit, offset, lambda scope, page: scope.notes.for_case(case_id, page)
    )


def case_interactions(
    deps: Deps, principal: Principal, tenant_id: int, case_id: int, limit: int | None = None, offset: int | None = None
) -> tuple[list[Any], int]:
    """Interactions linked to a case, newest first."""
    return _case_list(
        deps,
        principal,
        tenant_id,
        case_id,
        limit,
        offset,
        lambda scope, page: scope.interactions.for_case(case_id, page),
    )


def link_interaction(deps: Deps, principal: Principal, tenant_id: int, case_id: int, interaction_id: int) -> Any:
    """Attach an interaction of the case's customer to the case; returns the interaction."""
    require_tenant(principal, tenant_id)
    require(principal, Action.WRITE)
    now = deps.clock.now()
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        case = scope.cases.get(case_id, for_update=True)
        interaction = reference(scope.interactions, interaction_id, "interaction_id")
        if interaction.customer_id != case.customer_id:
            raise ValidationFailed("interaction_id names an interaction of another customer", field="interaction_id")
        if interaction.case_id != case.id:
            link_to_case(uow, tenant_id, principal, interaction, case.id, now)
            _announce(uow, deps, "case.updated", tenant_id, case, interaction_id=interaction.id)
            uow.commit()
        return interaction


# --- helpers -----------------------------------------------------------------------------------


def _checked_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate each requested change into the value that would be stored."""
    checks = {
        "subject": rules.check_subject,
        "status": lambda v: parse_enum(CaseStatus, v, "status").value,
        "priority": lambda v: parse_enum(Priority, v, "priority").value,
        "category": rules.check_category,
        "escalation_tier": rules.check_tier,
        "assignee_id": lambda v: v,  # checked against the tenant's staff once the unit of work is open
        "queue_id": lambda v: v,
        "tags": rules.normalise_tags,
        "first_response_due_at": lambda v: _due(v, "first_response_due_at"),
        "resolution_due_at": lambda v: _due(v, "resolution_due_at"),
    }
    # In UPDATABLE order, so history lines read the same whatever order the caller sent.
    return {name: checks[name](changes[name]) for name in UPDATABLE if name in changes}


def _due(value: datetime | None, field: str) -> datetime | None:
    return as_utc(value, field) if value is not None else None


def _check_refs(uow: UnitOfWork, tenant_id: int, refs: dict[str, Any]) -> None:
    if refs.get("assignee_id") is not None:
        check_staff(uow, tenant_id, refs["assignee_id"], "assignee_id")
    if refs.get("queue_id") is not None:
        reference(uow.tenant(tenant_id).queues, refs["queue_id"], "queue_id")


def _case_list(
    deps: Deps, principal: Principal, tenant_id: int, case_id: int, limit: int | None, offset: int | None, load: Any
) -> tuple[list[Any], int]:
    require_tenant(principal, tenant_id)
    require(principal, Action.READ)
    page = make_page(limit, offset)
    with deps.uow() as uow:
        scope = uow.tenant(tenant_id)
        scope.cases.get(case_id)
        rows, total = load(scope, page)
        return rows, total


def _announce(uow: UnitOfWork, deps: Deps, kind: str, tenant_id: int, case: Any, **extra: Any) -> None:
    event = {"type": kind, "tenant_id": tenant_id, "case_id": case.id, "status": case.status, **extra}
    uow.after_commit(lambda: deps.events.publish(event))
