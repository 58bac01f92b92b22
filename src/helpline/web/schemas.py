"""Shared API shapes: strict request models (unknown fields refused) and list envelopes."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

T = TypeVar("T")


class Input(BaseModel):
    """Base of request bodies: unknown fields are an error, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        """NUL cannot be stored in PostgreSQL text and never belongs in contact data: refuse it by name."""
        if _has_nul(value):
            raise ValueError(f"{info.field_name} must not contain NUL (\\x00) characters")
        return value


def _has_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 20:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ListOf(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
