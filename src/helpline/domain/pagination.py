"""Paging and sorting rules shared by every list: limits, and sort keys checked against a whitelist."""

from __future__ import annotations

from dataclasses import dataclass

from helpline.domain.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Sort:
    field: str
    descending: bool


def make_page(limit: int | None, offset: int | None) -> Page:
    limit = DEFAULT_LIMIT if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be from 1 to {MAX_LIMIT}", field="limit")
    if not 0 <= offset <= 10_000_000:
        raise ValidationFailed("offset must be a non-negative integer", field="offset")
    return Page(limit, offset)


def parse_sort(raw: str | None, allowed: frozenset[str], default: str) -> Sort:
    """'-created_at' sorts newest first; only whitelisted fields can be named."""
    text = (raw or default).strip()
    descending = text.startswith("-")
    name = text.lstrip("-+")
    if name not in allowed:
        raise ValidationFailed(
            f"sort must be one of: {', '.join(sorted(allowed))} (prefix - for descending)", field="sort"
        )
    return Sort(name, descending)
