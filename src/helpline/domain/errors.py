"""Domain errors: each names what went wrong and, where it applies, the field at fault."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation the domain reports; `field` names the offending input."""

    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class ValidationFailed(DomainError):
    """An input value breaks a rule (bad phone number, unknown status, ...)."""


class NotFound(DomainError):
    """The object does not exist for this tenant (or the caller may not know it exists)."""

    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The request clashes with stored state (duplicate identity, illegal transition)."""

    status = 409
    title = "Conflict"


class PermissionDenied(DomainError):
    """The caller is known but their role may not do this."""

    status = 403
    title = "Forbidden"


class AuthenticationFailed(DomainError):
    """No valid credentials were presented."""

    status = 401
    title = "Unauthorized"


class RateLimited(DomainError):
    """Too many attempts; try again later."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
