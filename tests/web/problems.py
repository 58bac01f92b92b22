"""The check every API test makes of an error: its status, the problem+json type, the field named."""

from __future__ import annotations

from typing import Any


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if field is not None:
        assert body.get("field") == field, body
    return body
