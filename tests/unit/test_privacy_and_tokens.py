"""Masking of personal data, signed customer tokens, language negotiation."""

import base64
import hashlib
import hmac

import pytest

from consigndesk.domain.errors import Unauthorized
from consigndesk.domain.privacy import mask_address, mask_email, mask_phone, mask_text
from consigndesk.i18n import gettext_for, negotiate
from consigndesk.services.auth import (
    CustomerIdentity,
    sign_customer_token,
    verify_customer_token,
)


def test_masks() -> None:
    assert mask_email("zhang.wei@example.cn") == "z***@example.cn"
    assert mask_phone("+86 138 1234 5678") == "*********5678"
    assert mask_address("浙江省杭州市西湖区文三路100号") == "浙江省杭州市****"
    text = "call 13812345678 or mail li@example.com about JS20261118000123 / SF1234567890"
    masked = mask_text(text)
    assert "13812345678" not in masked and "*******5678" in masked
    assert "l***@example.com" in masked
    assert "JS20261118000123" in masked and "SF1234567890" in masked


def test_customer_token_round_trip_and_rejections() -> None:
    who = CustomerIdentity(external_id="u1", role="seller", tier="vip", name="王芳")
    token = sign_customer_token("secret", who, ttl_seconds=60, now=1000)
    assert verify_customer_token("secret", token, now=1010) == who
    with pytest.raises(Unauthorized) as err:
        verify_customer_token("secret", token, now=2000)
    assert err.value.code == "expired_customer_token"
    with pytest.raises(Unauthorized):
        verify_customer_token("other-secret", token, now=1010)
    body, mac = token.split(".")
    with pytest.raises(Unauthorized):
        verify_customer_token("secret", body[:-2] + "xx." + mac, now=1010)
    with pytest.raises(Unauthorized):
        verify_customer_token("secret", "garbage", now=1010)


def signed_claims(claims_json: str, secret: str = "secret") -> str:
    """A correctly signed token around any claims text, however odd."""
    raw = claims_json.encode("utf-8", "surrogatepass")
    body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{body}.{hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()}"


@pytest.mark.parametrize(
    "claims",
    [
        '{"sub": "a\\u0000b", "role": "buyer", "exp": 9999999999}',
        '{"sub": "a\\ud800", "role": "buyer", "exp": 9999999999}',
        '{"sub": "' + "s" * 65 + '", "role": "buyer", "exp": 9999999999}',
        '{"sub": 12345, "role": "buyer", "exp": 9999999999}',
        '{"sub": "s", "role": ["buyer"], "exp": 9999999999}',
        '{"sub": "s", "role": "buyer", "tier": {"vip": 1}, "exp": 9999999999}',
        '{"sub": "s", "role": "buyer", "name": "' + "n" * 201 + '", "exp": 9999999999}',
        '{"sub": "s", "role": "buyer", "name": "\\ud800", "exp": 9999999999}',
        '{"sub": "s", "role": "buyer", "email": 5, "exp": 9999999999}',
        '{"sub": "s", "role": "buyer", "email": ["a@b.cd"], "exp": 9999999999}',
        '{"sub": "s", "role": "buyer", "email": "a\\u0000@b.cd", "exp": 9999999999}',
        '{"sub": "s", "role": "buyer", "x": ' + "[" * 3000 + "]" * 3000 + ', "exp": 9999999999}',
        "[1, 2]",
    ],
)
def test_a_signed_token_with_claims_no_column_can_hold_is_refused(claims: str) -> None:
    """Each was an exception (or a value PostgreSQL refused later) instead of a refused token."""
    with pytest.raises(Unauthorized) as err:
        verify_customer_token("secret", signed_claims(claims), now=1000)
    assert err.value.code == "bad_customer_token"


def test_a_token_that_is_not_ascii_is_malformed_not_an_exception() -> None:
    for token in ("ab\ud800.cd", "é.é", "abc.\x00"):
        with pytest.raises(Unauthorized):
            verify_customer_token("secret", token, now=1000)


def test_a_null_email_claim_is_no_email() -> None:
    token = signed_claims('{"sub": "s", "role": "buyer", "email": null, "exp": 9999999999}')
    assert verify_customer_token("secret", token, now=1000).email is None


@pytest.mark.parametrize(
    ("header", "preferred", "expected"),
    [
        ("en-US,en;q=0.9", None, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", None, "zh_CN"),
        ("fr-FR, en;q=0.5", None, "en"),
        (None, None, "zh_CN"),
        ("en", "zh", "zh_CN"),
        ("ja;q=1, zh-TW;q=0.2", None, "zh_CN"),
    ],
)
def test_language_negotiation(header: str | None, preferred: str | None, expected: str) -> None:
    assert negotiate(header, preferred) == expected


def test_receipt_notice_is_translated() -> None:
    msgid = (
        "We have received your request %(reference)s. An agent will reply as soon as "
        "possible; you can follow its progress on your support page."
    )
    assert gettext_for("en", msgid) == msgid
    assert "CD-000001" in gettext_for("zh_CN", msgid) % {"reference": "CD-000001"}
    assert gettext_for("zh_CN", msgid) != msgid
