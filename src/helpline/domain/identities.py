"""Customer identities: how emails, phone numbers and handles are normalised and compared.

Two identities are the same when their normalised (kind, provider, value) match: that is the key
find-or-create, duplicate detection and merging rely on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from helpline.domain.errors import ValidationFailed
from helpline.domain.vocabulary import IdentityKind, parse_enum

MAX_IDENTITY_LENGTH = 254  # RFC 5321 path limit for email; ample for phones and handles
_EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_HANDLE = re.compile(r"^[\w.\-@+:]{1,128}$", re.UNICODE)
_PROVIDER = re.compile(r"^[a-z0-9_\-]{0,32}$")


@dataclass(frozen=True, slots=True)
class Identity:
    """A normalised way to reach a customer. `region` is kept for phones (ISO 3166 code)."""

    kind: IdentityKind
    value: str
    provider: str = ""
    region: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind.value, self.provider, self.value)


def normalise_email(raw: str, field: str = "email") -> str:
    value = (raw or "").strip()
    if not value or len(value) > MAX_IDENTITY_LENGTH or not value.isprintable() or not _EMAIL.match(value):
        raise ValidationFailed(f"{field} is not a valid email address", field=field)
    local, domain = value.rsplit("@", 1)
    # The domain part is case-insensitive by RFC; the local part is treated as such in practice.
    return f"{local.lower()}@{domain.lower()}"


def normalise_phone(raw: str, default_region: str | None = None, field: str = "phone") -> tuple[str, str | None]:
    """Return (E.164 number, region code). A number without '+' needs a default region."""
    text = (raw or "").strip()
    if not text or len(text) > 40:
        raise ValidationFailed(f"{field} is not a valid phone number", field=field)
    try:
        number = phonenumbers.parse(text, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(f"{field} is not a valid phone number ({exc})", field=field) from None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValidationFailed(f"{field} is not a valid phone number", field=field)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.region_code_for_number(number)


def make_identity(
    kind: object, value: object, provider: object = "", default_region: str | None = None, field: str = "value"
) -> Identity:
    """Validate and normalise one identity of any kind."""
    ident_kind = parse_enum(IdentityKind, kind, "kind")
    if provider is None:
        provider = ""
    if not isinstance(provider, str):
        raise ValidationFailed("provider must be a short lowercase name", field="provider")
    provider = provider.strip().lower()
    if not _PROVIDER.match(provider):
        raise ValidationFailed("provider must be a short lowercase name", field="provider")
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be a string", field=field)
    if ident_kind is IdentityKind.EMAIL:
        return Identity(ident_kind, normalise_email(value, field))
    if ident_kind is IdentityKind.PHONE:
        e164, region = normalise_phone(value, default_region, field)
        return Identity(ident_kind, e164, region=region)
    # '@jane' and 'jane' name the same account: the '@' is how people write handles, not part of them.
    handle = value.strip().removeprefix("@")
    if ident_kind is IdentityKind.SOCIAL and not provider:
        raise ValidationFailed("a social identity needs a provider (e.g. twitter)", field="provider")
    if not _HANDLE.match(handle):
        raise ValidationFailed(f"{field} is not a valid handle", field=field)
    # Handles are case-insensitive on the networks we meet (X, Instagram, WhatsApp ids are digits).
    return Identity(ident_kind, handle.lower(), provider=provider)


def identity_from_input(data: object, default_region: str | None = None) -> Identity:
    """An identity given as {kind, value, provider?} in a request body or an import row."""
    if not isinstance(data, dict):
        raise ValidationFailed("identity must be an object with kind and value", field="identity")
    unknown = set(data) - {"kind", "value", "provider"}
    if unknown:
        raise ValidationFailed(f"unknown identity field {sorted(unknown)[0]!r}", field="identity")
    return make_identity(data.get("kind"), data.get("value"), data.get("provider"), default_region)
