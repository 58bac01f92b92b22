"""Customer rules without a database: names and search folding, attributes, consents, orders, merging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from helpline.domain import customers as rules
from helpline.domain.errors import Conflict, ValidationFailed
from helpline.domain.identities import make_identity
from helpline.domain.timeline import ago, check_page_size, contact_summary, decode_cursor, encode_cursor

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- names and search ---------------------------------------------------------------------------


def test_fold_lowercases_removes_accents_and_collapses_spaces() -> None:
    assert rules.fold("  Zoë   Ñúñez-GARCÍA ") == "zoe nunez-garcia"
    assert rules.fold("Straße") == "strasse"
    assert rules.fold("Åsa Ørsted") == "asa ørsted"  # ø is a letter of its own, not an accented o
    assert rules.search_name_of("Ｊａｎｅ") == "jane"  # full-width forms fold to ASCII


def test_display_name_from_first_and_last_name() -> None:
    assert rules.display_name_from(None, " Jane ", "Doe") == "Jane Doe"
    assert rules.display_name_from("  Jane   Q  Doe ", "ignored", None) == "Jane Q Doe"
    assert rules.display_name_from(None, None, "Doe") == "Doe"


@pytest.mark.parametrize(
    "display,first,last,field",
    [
        (None, None, None, "display_name"),
        ("   ", None, None, "display_name"),
        ("x" * 201, None, None, "display_name"),
        ("bell\x07", None, None, "display_name"),
        (42, None, None, "display_name"),
        (None, "x" * 101, None, "first_name"),
        (None, None, ["Doe"], "last_name"),
    ],
)
def test_bad_names_are_refused(display: object, first: object, last: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        rules.display_name_from(display, first, last)
    assert err.value.field == field


def test_language_tags_take_their_conventional_case() -> None:
    assert rules.check_language("EN") == "en"
    assert rules.check_language("fr-ca") == "fr-CA"
    assert rules.check_language("zh-hant-tw") == "zh-Hant-TW"
    assert rules.check_language(None) is None
    for bad in ("english", "e", "fr_CA", "x" * 20, 7, "en-"):
        with pytest.raises(ValidationFailed):
            rules.check_language(bad)


def test_parse_search_reads_name_email_phone_and_handle() -> None:
    terms = rules.parse_search("  Zoë ", "US")
    assert terms is not None and terms.name == "zoe" and terms.email is None and terms.phone is None
    email = rules.parse_search("Jane@Example.com", "US")
    assert email is not None and email.email == "jane@example.com"
    phone = rules.parse_search("(212) 736-5000", "US")
    assert phone is not None and phone.phone == "+12127365000"
    handle = rules.parse_search("@JaneDoe", "US")
    assert handle is not None and handle.handle == "janedoe"
    assert rules.parse_search("   ", "US") is None and rules.parse_search(None, "US") is None
    sqlish = rules.parse_search("x' OR 1=1 --", "US")
    assert sqlish is not None and sqlish.name == "x' or 1=1 --" and sqlish.email is None
    with pytest.raises(ValidationFailed):
        rules.parse_search("x" * 201, "US")


# --- attributes ---------------------------------------------------------------------------------


def test_attributes_accept_flat_scalars() -> None:
    value = {"plan": "gold", "points": 1200, "ratio": 0.5, "active": True, "note": None}
    assert rules.check_attributes(value) == value
    assert rules.check_attributes(None) == {}


@pytest.mark.parametrize(
    "value,field",
    [
        ([1, 2], "attributes"),
        ({f"k{i}": i for i in range(101)}, "attributes"),
        ({"k" * 65: 1}, "attributes"),
        ({"": 1}, "attributes"),
        ({"nested": {"a": 1}}, "attributes.nested"),
        ({"list": [1]}, "attributes.list"),
        ({"long": "x" * 501}, "attributes.long"),
        ({"big": 2**64}, "attributes.big"),
        ({"nan": float("nan")}, "attributes.nan"),
        ({f"k{i}": "x" * 490 for i in range(40)}, "attributes"),  # each value fine, the whole too big
    ],
)
def test_attributes_are_bounded(value: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        rules.check_attributes(value)
    assert err.value.field == field


def test_ten_thousand_attribute_keys_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        rules.check_attributes({str(i): i for i in range(10_000)})


# --- consents -----------------------------------------------------------------------------------


@dataclass
class FakeConsent:
    id: int
    purpose: str
    granted: bool
    at: datetime


def test_current_consent_is_the_latest_per_purpose() -> None:
    history = [
        FakeConsent(1, "marketing_email", True, NOW - timedelta(days=30)),
        FakeConsent(2, "marketing_email", False, NOW - timedelta(days=1)),
        FakeConsent(3, "store_data", True, NOW - timedelta(days=30)),
        FakeConsent(4, "marketing_email", True, NOW - timedelta(days=10)),  # recorded later, given earlier
        FakeConsent(5, "store_data", False, NOW - timedelta(days=30)),  # same time: the later record wins
    ]
    current = rules.current_per_purpose(history)
    assert [(c.purpose, c.granted, c.id) for c in current] == [("marketing_email", False, 2), ("store_data", False, 5)]


def test_consent_purpose_and_time_rules() -> None:
    assert rules.check_purpose(" Marketing_SMS ") == "marketing_sms"
    for bad in ("", "has space", "1st", "x" * 65, None, 3):
        with pytest.raises(ValidationFailed):
            rules.check_purpose(bad)
    assert rules.check_consent_time(None, NOW) == NOW
    assert rules.check_consent_time(NOW - timedelta(days=1), NOW) == NOW - timedelta(days=1)
    with pytest.raises(ValidationFailed):
        rules.check_consent_time(NOW + timedelta(seconds=1), NOW)
    with pytest.raises(ValidationFailed):
        rules.check_consent_time(datetime(2026, 1, 1), NOW)


# --- orders -------------------------------------------------------------------------------------


def test_amounts_are_exact_non_negative_with_two_decimals() -> None:
    assert rules.check_amount("19.9") == Decimal("19.90")
    assert rules.check_amount(5) == Decimal("5.00")
    assert rules.check_amount(Decimal("0")) == Decimal("0.00")
    assert rules.check_amount("1E+2") == Decimal("100.00")
    for bad in ("-1", "1.001", "abc", "NaN", "Infinity", 1.5, True, None, "1e999999", "1" * 20):
        with pytest.raises(ValidationFailed) as err:
            rules.check_amount(bad)
        assert err.value.field == "amount"


def test_currency_is_an_iso_4217_code() -> None:
    assert rules.check_currency("eur") == "EUR"
    for bad in ("EURO", "XYZ", "", None, 978):
        with pytest.raises(ValidationFailed):
            rules.check_currency(bad)


# --- merging ------------------------------------------------------------------------------------


def test_merge_refuses_itself_and_already_merged_customers() -> None:
    rules.check_merge(1, None, 2, None)
    with pytest.raises(Conflict):
        rules.check_merge(1, None, 1, None)
    with pytest.raises(Conflict) as err:
        rules.check_merge(1, 9, 2, None)
    assert err.value.field == "survivor_id"
    with pytest.raises(Conflict) as err:
        rules.check_merge(1, None, 2, 9)
    assert err.value.field == "duplicate_id"


def test_merge_fills_only_empty_fields_and_keeps_vip() -> None:
    survivor = {
        "company": "Acme",
        "language": None,
        "segment": "",
        "external_ref": None,
        "dedicated_agent_id": None,
        "tier": "standard",
    }
    duplicate = {
        "company": "Other Co",
        "language": "fr",
        "segment": "retail",
        "external_ref": "C-9",
        "dedicated_agent_id": 4,
        "tier": "vip",
    }
    assert rules.merged_fields(survivor, duplicate) == {
        "language": "fr",
        "segment": "retail",
        "external_ref": "C-9",
        "dedicated_agent_id": 4,
        "tier": "vip",
    }
    assert rules.merged_fields(duplicate, survivor) == {}


def test_merged_attributes_survivor_wins_within_bounds() -> None:
    merged, left_out = rules.merged_attributes({"plan": "gold", "a": 1}, {"plan": "silver", "b": 2})
    assert merged == {"plan": "gold", "a": 1, "b": 2} and left_out == []
    full = {f"s{i}": i for i in range(99)}
    merged, left_out = rules.merged_attributes(full, {"x": 1, "y": 2, "s0": 5})
    assert len(merged) == 100 and merged["s0"] == 0 and merged["x"] == 1 and left_out == ["y"]


def test_primary_flags_keep_one_per_kind() -> None:
    # (id, kind, is_primary) in creation order: after a merge the moved ones are not primary.
    rows = [(1, "email", True), (2, "phone", False), (3, "email", False), (4, "phone", False), (5, "email", True)]
    assert rules.primary_flags(rows) == {1, 2}


def test_identity_label_names_the_provider() -> None:
    assert rules.identity_label(make_identity("social", "@jd", "twitter")) == "social twitter:jd"
    assert rules.identity_label(make_identity("email", "a@b.example")) == "email a@b.example"


# --- timeline -----------------------------------------------------------------------------------


def test_cursor_round_trips_and_refuses_forgeries() -> None:
    at = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, 42)) == (at, 42)
    for bad in ("", "abc", "1.0", "1", "1.2.3", "9" * 19 + ".1", "1." + "9" * 19, None, 12):
        with pytest.raises(ValidationFailed) as err:
            decode_cursor(bad)
        assert err.value.field == "before"
    assert check_page_size(50) == 50
    for bad_size in (0, 201, True, "5"):
        with pytest.raises(ValidationFailed):
            check_page_size(bad_size)


def test_contact_summary_reads_like_a_sentence() -> None:
    assert contact_summary(None, None, None, None, NOW) == "no contact yet"
    three_days = NOW - timedelta(days=3, hours=2)
    assert contact_summary("email", three_days, 123, "open", NOW) == "last contact: email, 3 days ago, case #123 open"
    assert (
        contact_summary("web_form", NOW - timedelta(minutes=1), None, None, NOW)
        == "last contact: web form, 1 minute ago"
    )
    assert ago(NOW - timedelta(seconds=10), NOW) == "just now"


def test_follow_merges_walks_the_chain_and_stops_at_a_dangling_link() -> None:
    from types import SimpleNamespace

    from helpline.domain.customers import MAX_MERGE_HOPS, follow_merges

    rows = {
        1: SimpleNamespace(id=1, merged_into_id=2),
        2: SimpleNamespace(id=2, merged_into_id=3),
        3: SimpleNamespace(id=3, merged_into_id=None),
        4: SimpleNamespace(id=4, merged_into_id=99),
    }
    assert follow_merges(rows[1], rows.get).id == 3
    assert follow_merges(rows[3], rows.get) is rows[3]
    assert follow_merges(rows[4], rows.get) is None
    loop = {5: SimpleNamespace(id=5, merged_into_id=5)}  # bad data must not hang the caller
    calls = []
    follow_merges(loop[5], lambda i: calls.append(i) or loop[i])
    assert len(calls) == MAX_MERGE_HOPS
