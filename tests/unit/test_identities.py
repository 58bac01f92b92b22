"""Identity normalisation: emails, E.164 phones with regions, chat and social handles, and bad input."""

from __future__ import annotations

import pytest

from helpline.domain.errors import ValidationFailed
from helpline.domain.identities import Identity, identity_from_input, make_identity, normalise_email, normalise_phone
from helpline.domain.vocabulary import IdentityKind


def test_email_is_lowercased_and_trimmed() -> None:
    assert normalise_email("  Jane.Doe@Example.COM ") == "jane.doe@example.com"
    assert make_identity("email", "A@B.example").key == ("email", "", "a@b.example")


@pytest.mark.parametrize(
    "raw", ["", "   ", "no-at-sign", "a@b", "a@@b.com", "a b@c.com", "a@-b.com", "<a@b.com>", "a@b.com" + "m" * 260]
)
def test_bad_emails_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        normalise_email(raw, field="email")
    assert err.value.field == "email"


def test_phone_without_plus_uses_the_default_region_and_keeps_the_region() -> None:
    assert normalise_phone("(212) 736-5000", "US") == ("+12127365000", "US")
    assert normalise_phone("06 12 34 56 78", "fr") == ("+33612345678", "FR")
    # An international number keeps its own region whatever the default.
    assert normalise_phone("+44 20 7183 8750", "US") == ("+442071838750", "GB")
    identity = make_identity("phone", "212-736-5000", default_region="US")
    assert identity == Identity(IdentityKind.PHONE, "+12127365000", region="US")


@pytest.mark.parametrize(
    "raw,region",
    [
        ("06 12 34 56 78", None),
        ("12", "US"),
        ("+1 000", "US"),
        ("hello", "US"),
        ("+" + "9" * 50, "US"),
        ("", "US"),
        ("+33 6 12", "FR"),
        ("0612345678", "ZZ"),
    ],
)
def test_bad_phones_are_refused(raw: str, region: str | None) -> None:
    with pytest.raises(ValidationFailed) as err:
        normalise_phone(raw, region)
    assert err.value.field == "phone"


def test_same_number_written_differently_gives_the_same_key() -> None:
    a = make_identity("phone", "+1 (212) 736-5000")
    b = make_identity("phone", "2127365000", default_region="US")
    assert a.key == b.key


def test_handles_are_lowercased_and_social_needs_a_provider() -> None:
    assert make_identity("chat", " Visitor-42 ").value == "visitor-42"
    social = make_identity("social", "@JaneDoe", provider="Twitter")
    assert social.key == ("social", "twitter", "janedoe") == make_identity("social", "janedoe", "twitter").key
    with pytest.raises(ValidationFailed) as err:
        make_identity("social", "janedoe")
    assert err.value.field == "provider"


@pytest.mark.parametrize(
    "kind,value,provider,field",
    [
        ("fax", "x", "", "kind"),
        (None, "x", "", "kind"),
        ("chat", 42, "", "value"),
        ("chat", None, "", "value"),
        ("chat", "has space", "", "value"),
        ("chat", "x" * 200, "", "value"),
        ("chat", "'; DROP TABLE customers; --", "", "value"),
        ("social", "jane", "Bad Provider!", "provider"),
        ("social", "jane", 7, "provider"),
    ],
)
def test_bad_identities_name_the_field(kind: object, value: object, provider: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        make_identity(kind, value, provider)
    assert err.value.field == field


def test_identity_from_input_reads_request_shapes() -> None:
    assert identity_from_input({"kind": "email", "value": "X@Y.example"}).value == "x@y.example"
    assert identity_from_input({"kind": "phone", "value": "0612345678", "provider": None}, "FR").region == "FR"
    for bad in (None, [], "email", {"kind": "email", "value": "a@b.example", "extra": 1}):
        with pytest.raises(ValidationFailed):
            identity_from_input(bad)
