"""The closed sets of words the model uses: channels, statuses, priorities, roles."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from helpline.domain.errors import ValidationFailed

E = TypeVar("E", bound=StrEnum)


class Channel(StrEnum):
    VOICE = "voice"
    EMAIL = "email"
    CHAT = "chat"
    SMS = "sms"
    SOCIAL = "social"
    WEB_FORM = "web_form"
    LETTER = "letter"
    FAX = "fax"
    WORK_ITEM = "work_item"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionStatus(StrEnum):
    NEW = "new"
    QUEUED = "queued"
    OFFERED = "offered"
    ACTIVE = "active"
    ENDED = "ended"
    WRAPPED_UP = "wrapped_up"


class CaseStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Tier(StrEnum):
    STANDARD = "standard"
    VIP = "vip"


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"
    SOCIAL = "social"


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"
    BOT = "bot"


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    CLIENT_MANAGER = "client_manager"


def parse_enum(enum: type[E], value: object, field: str) -> E:
    """Turn user input into an enum member or raise a ValidationFailed naming the field."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value.strip().lower())
        except ValueError:
            pass
    allowed = ", ".join(m.value for m in enum)
    raise ValidationFailed(f"{field} must be one of: {allowed}", field=field)
