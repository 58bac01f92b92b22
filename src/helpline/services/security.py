"""Passwords, secrets and tokens: argon2 hashing and SHA-256 digests of random bearer secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError

from helpline.domain.errors import ValidationFailed

MIN_PASSWORD = 10
MAX_PASSWORD = 256
TOKEN_PREFIX = "hl_"


class Argon2Hasher:
    """argon2id with the library's defaults (RFC 9106 second recommended option)."""

    def __init__(self, fast: bool = False) -> None:
        # Tests and the demo loader use cheaper parameters: they hash thousands of passwords.
        self._impl = _Argon2(time_cost=1, memory_cost=8192, parallelism=1) if fast else _Argon2()

    def hash(self, password: str) -> str:
        return self._impl.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._impl.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def check_password_strength(password: object) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password")
    return password


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Tokens are random 256-bit values, so a plain SHA-256 (no salt, no stretching) is enough."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
