"""Customer rules: names and search folding, field checks, bounded attributes, consents, orders, merging."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.identities import Identity, make_identity
from helpline.domain.vocabulary import IdentityKind, Tier, parse_enum

MAX_NAME = 200
MAX_NAME_PART = 100
MAX_COMPANY = 200
MAX_SEGMENT = 64
MAX_EXTERNAL_REF = 100
MAX_SEARCH = 200

# Attributes are the client's own fields (loyalty number, plan, ...). They are bounded so one
# customer row cannot grow without limit or carry documents: flat scalars, short strings.
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_STRING = 500
MAX_ATTRIBUTES_BYTES = 16_384  # of the JSON text
_SAFE_INT = 2**53  # JSON numbers beyond this lose precision in browsers and some databases

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_PURPOSE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_CONSENT_SOURCE = 200
MAX_CONSENT_TEXT = 10_000

MAX_ORDER_CATEGORY = 64
MAX_ORDER_DESCRIPTION = 300
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)

# ISO 4217 currency codes in use (plus a few recently withdrawn ones that old orders still carry).
_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU
    MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
    TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD
    XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
"""
ISO_4217 = frozenset(_ISO_4217_CODES.split())


# --- names and search -----------------------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase, accents removed, whitespace collapsed: 'Zoë  Ñúñez' -> 'zoe nunez'.

    Used for `search_name` and for the search text, so both sides compare alike on every database.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def search_name_of(display_name: str) -> str:
    return fold(display_name)[:MAX_NAME]


def display_name_from(display_name: object, first_name: object = None, last_name: object = None) -> str:
    """The name shown everywhere: given directly, or first and last name folded into one."""
    for value, field, limit in ((first_name, "first_name", MAX_NAME_PART), (last_name, "last_name", MAX_NAME_PART)):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise ValidationFailed(f"{field} must be text of at most {limit} characters", field=field)
    if display_name is None:
        display_name = " ".join(p.strip() for p in (first_name, last_name) if isinstance(p, str) and p.strip())
    if not isinstance(display_name, str):
        raise ValidationFailed("display_name must be text", field="display_name")
    name = " ".join(display_name.split())
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise ValidationFailed(f"display_name must be 1 to {MAX_NAME} printable characters", field="display_name")
    return name


def optional_text(value: object, field: str, limit: int) -> str | None:
    """A short optional text field: None or blank means 'not set'."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailed(f"{field} must be text of at most {limit} characters", field=field)
    text = value.strip()
    if text and not text.isprintable():
        raise ValidationFailed(f"{field} must not contain control characters", field=field)
    return text or None


def long_text(value: object, field: str, limit: int) -> str | None:
    """Free text of several lines (what a customer agreed to): no control characters but line breaks."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailed(f"{field} must be text of at most {limit} characters", field=field)
    if any(not ch.isprintable() and ch not in "\n\r\t" for ch in value):
        raise ValidationFailed(f"{field} must not contain control characters", field=field)
    return value.strip() or None


def check_language(value: object, field: str = "language") -> str | None:
    """A BCP 47 language tag such as en, fr-CA or zh-Hant, stored in its conventional case."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 16 or not _LANGUAGE.match(value.strip().lower()):
        raise ValidationFailed(f"{field} must be a language tag such as en or fr-CA", field=field)
    return "-".join(_tag_case(i, part) for i, part in enumerate(value.strip().lower().split("-")))


def _tag_case(position: int, part: str) -> str:
    # BCP 47 conventions: language lowercase, script Titlecase (zh-Hant), region uppercase (fr-CA).
    if position and len(part) == 2 and part.isalpha():
        return part.upper()
    if position and len(part) == 4 and part.isalpha():
        return part.title()
    return part


def check_tier(value: object) -> str:
    return parse_enum(Tier, value, "tier").value


def check_external_ref(value: object) -> str | None:
    return optional_text(value, "external_ref", MAX_EXTERNAL_REF)


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a free-text search may mean: part of a name, or exactly an email, phone or handle."""

    name: str
    email: str | None = None
    phone: str | None = None
    handle: str | None = None


def parse_search(q: object, default_region: str | None) -> SearchTerms | None:
    """Read the search box. None when there is nothing to search for."""
    if q is None:
        return None
    if not isinstance(q, str) or len(q) > MAX_SEARCH:
        raise ValidationFailed(f"q must be text of at most {MAX_SEARCH} characters", field="q")
    text = q.strip()
    if not text:
        return None
    if not text.isprintable():
        raise ValidationFailed("q must not contain control characters", field="q")
    return SearchTerms(
        name=fold(text),
        email=_try(IdentityKind.EMAIL, text, default_region),
        phone=_try(IdentityKind.PHONE, text, default_region) if any(c.isdigit() for c in text) else None,
        handle=_try(IdentityKind.CHAT, text, default_region),
    )


def _try(kind: IdentityKind, text: str, default_region: str | None) -> str | None:
    try:
        return make_identity(kind, text, default_region=default_region).value
    except ValidationFailed:
        return None


# --- attributes -----------------------------------------------------------------------------


def check_attributes(value: object) -> dict[str, Any]:
    """A flat JSON object: at most 100 keys of up to 64 characters, scalar values, bounded size."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed("attributes must be a JSON object", field="attributes")
    if len(value) > MAX_ATTRIBUTES:
        raise ValidationFailed(f"attributes may hold at most {MAX_ATTRIBUTES} keys", field="attributes")
    for key, item in value.items():
        if not isinstance(key, str) or not 0 < len(key) <= MAX_ATTRIBUTE_KEY or not key.isprintable():
            raise ValidationFailed(
                f"attribute names must be 1 to {MAX_ATTRIBUTE_KEY} printable characters", field="attributes"
            )
        _check_attribute_value(key, item)
    if len(json.dumps(value, ensure_ascii=False)) > MAX_ATTRIBUTES_BYTES:
        raise ValidationFailed(
            f"attributes may take at most {MAX_ATTRIBUTES_BYTES} characters as JSON", field="attributes"
        )
    return dict(value)


def _check_attribute_value(key: str, item: object) -> None:
    field = f"attributes.{key}"
    if item is None or isinstance(item, bool):
        return
    if isinstance(item, int):
        if abs(item) > _SAFE_INT:
            raise ValidationFailed(f"attribute {key!r} is too large a number", field=field)
        return
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValidationFailed(f"attribute {key!r} must be a finite number", field=field)
        return
    if isinstance(item, str):
        if len(item) > MAX_ATTRIBUTE_STRING:
            raise ValidationFailed(f"attribute {key!r} may hold at most {MAX_ATTRIBUTE_STRING} characters", field=field)
        return
    raise ValidationFailed(f"attribute {key!r} must be text, a number, true/false or null", field=field)


# --- consents -------------------------------------------------------------------------------


def check_purpose(value: object) -> str:
    """What the consent is for, as a short snake_case word: store_data, marketing_email, ..."""
    if not isinstance(value, str) or not _PURPOSE.match(value.strip().lower()):
        raise ValidationFailed("purpose must be a snake_case word such as marketing_email", field="purpose")
    return value.strip().lower()


def check_consent_time(at: datetime | None, now: datetime) -> datetime:
    """A consent is recorded when it was given: now, or earlier, never in the future."""
    if at is None:
        return now
    if at.tzinfo is None:
        raise ValidationFailed("at must include a timezone", field="at")
    if at > now:
        raise ValidationFailed("a consent cannot be recorded in the future", field="at")
    return at


def current_per_purpose(history: list[Any]) -> list[Any]:
    """The latest record of each purpose (by time, then by id) from an append-only history."""
    latest: dict[str, Any] = {}
    for row in history:
        seen = latest.get(row.purpose)
        if seen is None or (row.at, row.id) > (seen.at, seen.id):
            latest[row.purpose] = row
    return sorted(latest.values(), key=lambda row: row.purpose)


# --- orders ---------------------------------------------------------------------------------


def check_amount(value: object) -> Decimal:
    """A non-negative amount with at most two decimals (a float is refused: it cannot be exact)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValidationFailed("amount must be a decimal number such as 19.99 (as text or integer)", field="amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed("amount must be a decimal number such as 19.99", field="amount") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise ValidationFailed(f"amount must be from 0 to {MAX_AMOUNT}", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("amount may have at most two decimals", field="amount")
    return amount.quantize(Decimal("0.01"))


def check_currency(value: object) -> str:
    if not isinstance(value, str) or value.strip().upper() not in ISO_4217:
        raise ValidationFailed("currency must be an ISO 4217 code such as USD or EUR", field="currency")
    return value.strip().upper()


def check_order_time(at: object) -> datetime:
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise ValidationFailed("ordered_at must be a date and time with a timezone", field="ordered_at")
    return at


# --- merging --------------------------------------------------------------------------------

# Fields the survivor takes from the duplicate when its own are empty.
FILLABLE_FIELDS = ("company", "language", "segment", "external_ref", "dedicated_agent_id")


def check_merge(
    survivor_id: int, survivor_merged_into: int | None, duplicate_id: int, duplicate_merged_into: int | None
) -> None:
    if survivor_id == duplicate_id:
        raise Conflict("a customer cannot be merged into itself", field="duplicate_id")
    if survivor_merged_into is not None:
        raise Conflict(
            f"customer {survivor_id} was already merged into customer {survivor_merged_into}", field="survivor_id"
        )
    if duplicate_merged_into is not None:
        raise Conflict(
            f"customer {duplicate_id} was already merged into customer {duplicate_merged_into}", field="duplicate_id"
        )


def merged_fields(survivor: Mapping[str, Any], duplicate: Mapping[str, Any]) -> dict[str, Any]:
    """The survivor's changes: its empty fields filled from the duplicate; VIP if either was VIP.

    Tier takes the higher value because both records are the same person: a VIP who was also
    filed twice as standard must not lose the VIP treatment by being cleaned up.
    """
    changes = {f: duplicate[f] for f in FILLABLE_FIELDS if survivor.get(f) in (None, "") and duplicate.get(f)}
    if duplicate.get("tier") == Tier.VIP.value and survivor.get("tier") != Tier.VIP.value:
        changes["tier"] = Tier.VIP.value
    return changes


def merged_attributes(survivor: Mapping[str, Any], duplicate: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Survivor's attributes win; the duplicate's others are added while the bounds allow.

    Returns the merged attributes and the duplicate's keys left out (they stay on the duplicate
    row, which is kept, so nothing is lost).
    """
    merged = dict(survivor)
    left_out: list[str] = []
    for key, value in duplicate.items():
        if key in merged:
            continue
        candidate = {**merged, key: value}
        if len(candidate) > MAX_ATTRIBUTES or len(json.dumps(candidate, ensure_ascii=False)) > MAX_ATTRIBUTES_BYTES:
            left_out.append(key)
            continue
        merged = candidate
    return merged, left_out


def primary_flags(identities: list[tuple[int, str, bool]]) -> set[int]:
    """Given (id, kind, is_primary) in creation order, the ids that should be primary.

    Exactly one identity of each kind is primary: the one already marked (the earliest if
    several are, as after a merge), else the earliest.
    """
    chosen: dict[str, int] = {}
    for ident_id, kind, is_primary in identities:
        if is_primary and kind not in chosen:
            chosen[kind] = ident_id
    for ident_id, kind, _ in identities:
        chosen.setdefault(kind, ident_id)
    return set(chosen.values())


def identity_label(identity: Identity) -> str:
    """How an identity reads in messages: 'email a@b.example', 'social twitter:@x'."""
    if identity.provider:
        return f"{identity.kind.value} {identity.provider}:{identity.value}"
    return f"{identity.kind.value} {identity.value}"


MAX_MERGE_HOPS = 10  # merges re-point older merges, so chains are one step; the bound guards bad data


def follow_merges(customer: Any, load: Callable[[int], Any]) -> Any:
    """The customer that holds the history now: follow `merged_into_id` through `load(id)`.

    Returns None if a link leads nowhere (`load` found nothing).
    """
    for _ in range(MAX_MERGE_HOPS):
        if customer is None or customer.merged_into_id is None:
            break
        customer = load(customer.merged_into_id)
    return customer
