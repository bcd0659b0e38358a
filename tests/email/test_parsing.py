"""Parsing real-world mail: charsets, encoded headers and names, quotes, signatures, HTML, rules."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from consigndesk.adapters.channels.email.parsing import parse_email
from consigndesk.adapters.channels.email.quotes import strip_quoted_text
from consigndesk.domain.email_rules import (
    AUTO_REPLY,
    BOUNCE,
    LOOP,
    MAILING_LIST,
    MalformedEmail,
    automatic_kind,
    customer_external_id,
    normalize_subject,
    referenced_ticket,
    reply_subject,
)
from consigndesk.services.html import sanitize_html

FIXTURES = Path(__file__).parent / "fixtures"
OWN = frozenset({"support@desk.test"})


def encoded(charset: str, text: str) -> bytes:
    msg = MIMEText(text, "plain", charset)
    msg["From"] = "a@example.cn"
    msg["Subject"] = "x"
    return msg.as_bytes()


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("utf-8", "我的订单还没发货 ✓"),
        ("gbk", "我的订单还没发货，镕基"),
        ("gb18030", "我的订单还没发货 𠮷"),
        ("big5", "我的訂單還沒有出貨"),
    ],
)
def test_bodies_in_chinese_charsets(charset: str, text: str) -> None:
    assert parse_email(encoded(charset, text)).text == text


def test_mislabelled_gb2312_is_read_as_gb18030() -> None:
    text = "镕记的退款"  # 镕 is in GBK but not in GB2312
    raw = (
        b"From: a@example.cn\r\nSubject: =?gb2312?B?"
        + base64.b64encode(text.encode("gbk"))
        + b"?=\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n"
        + text.encode("gbk")
    )
    mail = parse_email(raw)
    assert (mail.subject, mail.text) == (text, text)


def test_rfc2047_headers_and_rfc2231_filenames() -> None:
    msg = EmailMessage()
    msg["From"] = "张伟 <Zhang.Wei@Example.CN>"
    msg["Subject"] = "关于订单 JS20261120000001 的退款问题"
    msg["Message-ID"] = "<m1@example.cn>"
    msg.set_content("请看附件")
    msg.add_attachment(
        b"%PDF-1.4 x", maintype="application", subtype="pdf", filename="发票 2026.pdf"
    )
    raw = msg.as_bytes()
    assert b"=?utf-8?" in raw and b"filename*=utf-8''" in raw
    mail = parse_email(raw)
    assert (mail.sender, mail.sender_name) == ("zhang.wei@example.cn", "张伟")
    assert mail.subject == "关于订单 JS20261120000001 的退款问题"
    assert [(a.filename, a.data) for a in mail.attachments] == [("发票 2026.pdf", b"%PDF-1.4 x")]


def test_captured_outlook_mail_mislabelled_gb2312_with_quoted_history() -> None:
    mail = parse_email((FIXTURES / "outlook_gb2312_mislabelled.eml").read_bytes())
    assert mail.sender == "li.ming@163.example" and mail.sender_name == "李明"
    assert mail.subject == "回复: 镕记商品退款"
    assert mail.text == (
        "您好，退款还没到账，麻烦查一下订单 JS20261120000001。\n镕记的发票也请一起开。"
    )
    assert [(a.filename, a.data.decode("gbk")) for a in mail.attachments] == [
        ("退款截图.txt", "截图说明")
    ]
    assert normalize_subject(mail.subject) == normalize_subject("镕记商品退款")


def test_captured_gmail_big5_html_becomes_clean_text_and_safe_html() -> None:
    mail = parse_email((FIXTURES / "gmail_big5_html_only.eml").read_bytes())
    assert mail.sender == "chen.mei@gmail.example" and mail.sender_name == "陳美"
    assert mail.subject == "包裹何時到"
    assert mail.text == "請問我的包裹什麼時候到？訂單 JS20261120000002\n\n查看"
    stored = sanitize_html(mail.html)  # what the pipeline stores
    assert "包裹" in stored and "<b>包裹</b>" in stored
    for gone in ("script", "alert", "onclick", "onerror", "javascript:", "style", "gmail_quote"):
        assert gone not in stored
    assert "請提供訂單號" not in stored and "Sent from my iPhone" not in stored


def test_captured_bounce_is_recognised_and_names_our_ticket() -> None:
    mail = parse_email((FIXTURES / "postfix_bounce.eml").read_bytes())
    assert automatic_kind(mail, OWN) == BOUNCE
    assert mail.embedded_ids == ("<evt0001.cd-000001@desk.test>",)
    assert mail.embedded_ticket == "CD-000001"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("好的\n\nOn Mon, 1 Jan 2026 at 10:00, Support <s@d.test> wrote:\n> old", "好的"),
        ("好的\n\nOn Mon, 1 Jan 2026 at 10:00, Support <s@d.test>\nwrote:\n> old", "好的"),
        ("收到\n\n在 2026年11月20日 10:00，寄售客服 写道：\n> 旧", "收到"),
        ("Thanks\n-----Original Message-----\nFrom: x\nSent: y", "Thanks"),
        ("谢谢\n\n发件人: 寄售客服\n发送时间: 2026-11-20", "谢谢"),
        ("Ok\n\nFrom: Support <s@d.test>\nSent: Friday\nTo: me", "Ok"),
        ("第一行\n> 引用\n第二行", "第一行\n第二行"),
        ("谢谢\n-- \n张伟\n13800000000", "谢谢"),
        ("谢谢\n\n发自我的iPhone", "谢谢"),
        ("Thanks!\n\nSent from my iPhone", "Thanks!"),
        ("From now on I will pay by card.", "From now on I will pay by card."),
    ],
)
def test_quoted_history_and_signatures_are_stripped(text: str, kept: str) -> None:
    assert strip_quoted_text(text) == kept


def test_a_message_that_is_only_a_quote_keeps_its_text() -> None:
    raw = encoded("utf-8", "> 只有引用的内容")
    assert parse_email(raw).text == "> 只有引用的内容"


def test_oversize_attachments_are_set_aside_with_their_size() -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.cn"
    msg.set_content("见附件")
    msg.add_attachment(b"x" * 2000, maintype="application", subtype="zip", filename="big.zip")
    mail = parse_email(msg.as_bytes(), max_attachment_bytes=1000)
    assert mail.attachments == () and mail.too_large == (("big.zip", 2000),)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"Subject: no sender\r\n\r\nbody", "sender"),
        (
            b"From: a@example.cn\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
            b"no parts here",
            "StartBoundaryNotFoundDefect",
        ),
    ],
)
def test_malformed_messages_raise_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedEmail) as raised:
        parse_email(raw)
    assert reason in raised.value.message


def headers_mail(sender: str = "a@example.cn", subject: str = "hi", **headers: str) -> bytes:
    lines = [f"From: {sender}", f"Subject: {subject}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\nbody\r\n").encode()


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (headers_mail(), None),
        (headers_mail(Auto_Submitted="no"), None),
        (headers_mail(Auto_Submitted="auto-replied"), AUTO_REPLY),
        (headers_mail(X_Autoreply="yes"), AUTO_REPLY),
        (headers_mail(X_Autorespond="yes"), AUTO_REPLY),
        (headers_mail(Precedence="junk"), AUTO_REPLY),
        (headers_mail(subject="=?utf-8?b?6Ieq5Yqo5Zue5aSNOiDmiJHlnKjkvJHlgYc=?="), AUTO_REPLY),
        (headers_mail(Precedence="list"), MAILING_LIST),
        (headers_mail(List_Id="<deals.example.cn>"), MAILING_LIST),
        (headers_mail(List_Unsubscribe="<mailto:u@example.cn>"), MAILING_LIST),
        (headers_mail(sender="MAILER-DAEMON@mx.example.cn"), BOUNCE),
        (headers_mail(Return_Path="<>"), BOUNCE),
        (headers_mail(X_ConsignDesk_Ticket="CD-000001"), LOOP),
        (headers_mail(sender="Support <SUPPORT@desk.test>"), LOOP),
    ],
)
def test_automatic_mail_is_recognised(raw: bytes, kind: str | None) -> None:
    assert automatic_kind(parse_email(raw), OWN) == kind


def test_subjects_and_references() -> None:
    assert referenced_ticket("Re: 退款 [CD-000123]") == 123
    assert referenced_ticket("Re: 退款 [cd-000123 ]") == 123
    assert referenced_ticket("退款 CD-000123") is None
    assert normalize_subject("回复：RE: Fwd: 退款 [CD-000123]") == "退款"
    assert normalize_subject("答复: AW: Parcel") == "parcel"
    assert reply_subject("回复：Re: 退款 [CD-000123]", "CD-000123") == "Re: 退款 [CD-000123]"
    assert reply_subject("", "CD-000123") == "Re: [CD-000123]"


def test_customer_ids_for_unknown_senders_fit_the_column() -> None:
    assert customer_external_id("Zhang@Example.cn") == "email:zhang@example.cn"
    long = "x" * 70 + "@example.cn"
    assert customer_external_id(long).startswith("email:") and len(customer_external_id(long)) <= 64
