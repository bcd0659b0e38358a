"""Masking of personal data, signed customer tokens, language negotiation."""

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
