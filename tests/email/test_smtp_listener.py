"""Real SMTP over a socket to the built-in listener, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import smtplib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from consigndesk.adapters.channels.email.listener import SmtpListener
from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App
from consigndesk.domain.attachments import MAX_ATTACHMENT_BYTES
from tests.email.conftest import channel_of, free_port
from tests.email.mails import CUSTOMER, PDF, PNG, mail, smtp_send, ticket

FIXTURES = Path(__file__).parent / "fixtures"


def count(core: App, table) -> int:
    with core.database.read_sessions() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_email_over_smtp_becomes_a_ticket_with_its_attachments(
    mail_core: App, listener: SmtpListener
) -> None:
    msg = mail(
        "你好，我的快递三天没动了，请帮忙查一下。\n\n-- \n张伟\n发自我的iPhone",
        subject="快递三天没动 ",
    )
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="发票.pdf")
    msg.add_attachment(
        PNG, maintype="application", subtype="octet-stream", filename="../../etc/passwd"
    )
    smtp_send(listener.address, msg)

    with mail_core.database.read_sessions() as session:
        ticket_id = session.execute(select(tables.tickets.c.id)).scalar_one()
    found = ticket(mail_core, ticket_id)
    assert (found["channel"], found["subject"]) == ("email", "快递三天没动")
    assert found["customer"]["email"] == CUSTOMER
    assert found["customer"]["external_id"] == f"email:{CUSTOMER}"
    assert found["customer"]["name"] == "张伟"
    first = found["messages"][0]
    assert first["body"] == "你好，我的快递三天没动了，请帮忙查一下。"
    assert first["external_id"] == msg["Message-ID"]
    files = {a["filename"]: a for a in first["attachments"]}
    assert set(files) == {"发票.pdf", "passwd"}
    assert files["发票.pdf"]["content_type"] == "application/pdf"
    assert files["passwd"]["content_type"] == "image/png"  # sniffed, not as declared
    assert found["intent"] == "logistics"  # the same triage every channel gets


def test_a_repeated_message_id_is_a_no_op(mail_core: App, listener: SmtpListener) -> None:
    msg = mail()
    smtp_send(listener.address, msg)
    stored = count(mail_core, tables.messages)  # the mail and the receipt notice
    smtp_send(listener.address, msg)  # the sender retried after a lost 250
    assert count(mail_core, tables.tickets) == 1
    assert count(mail_core, tables.messages) == stored


def test_malformed_mime_is_quarantined_and_the_listener_serves_the_next(
    mail_core: App, listener: SmtpListener
) -> None:
    broken = (
        b"From: Zhang <zhang.wei@example.cn>\r\nSubject: broken\r\nMessage-ID: <b1@example.cn>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"no boundary parameter, so no parts can be found\r\n"
    )
    smtp_send(listener.address, broken)
    smtp_send(listener.address, b"\x00\xff\xfe not an email at all \r\n")
    smtp_send(listener.address, mail(subject="之后的正常邮件"))

    with mail_core.database.read_sessions() as session:
        held = session.execute(
            select(tables.email_quarantine.c.kind, tables.email_quarantine.c.reason).order_by(
                tables.email_quarantine.c.id
            )
        ).all()
        subjects = session.execute(select(tables.tickets.c.subject)).scalars().all()
    assert [kind for kind, _ in held] == ["malformed", "malformed"]
    assert "NoBoundaryInMultipartDefect" in held[0][1]
    assert "sender" in held[1][1]
    assert subjects == ["之后的正常邮件"]


def test_a_failure_to_store_is_a_temporary_error_so_the_sender_retries(mail_core: App) -> None:
    attempts: list[bytes] = []

    def database_down(raw: bytes) -> None:
        attempts.append(raw)
        raise ConnectionError("database unreachable")

    failing = SmtpListener(database_down, f"127.0.0.1:{free_port()}")
    failing.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp_send(failing.address, mail())
    finally:
        failing.stop()
    assert refused.value.smtp_code == 451
    assert len(attempts) == 1 and attempts[0].startswith(b"Return-Path: <zhang.wei@example.cn>")


def test_the_listener_ingests_through_the_channel_service(mail_core: App) -> None:
    """The same use case serves the IMAP poller, the CLI and the benchmark."""
    outcome = channel_of(mail_core).ingest(mail().as_bytes())
    assert outcome.action == "created" and outcome.ticket_id is not None


def test_captured_chinese_mail_over_smtp_is_decoded_and_sanitized(
    mail_core: App, listener: SmtpListener
) -> None:
    for name in ("outlook_gb2312_mislabelled.eml", "gmail_big5_html_only.eml"):
        smtp_send(listener.address, (FIXTURES / name).read_bytes())
    outlook, gmail = ticket(mail_core, 1), ticket(mail_core, 2)
    assert outlook["subject"] == "镕记商品退款"  # "回复:" is not part of the conversation's name
    assert outlook["messages"][0]["body"].endswith("镕记的发票也请一起开。")
    assert outlook["messages"][0]["attachments"][0]["filename"] == "退款截图.txt"
    assert gmail["subject"] == "包裹何時到"
    stored = gmail["messages"][0]["body_html"]
    assert "<b>包裹</b>" in stored
    assert "script" not in stored and "onclick" not in stored and "javascript" not in stored
    assert gmail["customer"]["email"] == "chen.mei@gmail.example"


def test_an_oversize_attachment_is_dropped_with_a_note(mail_core: App) -> None:
    msg = mail("请看附件里的视频")
    msg.add_attachment(
        b"\x00" * (MAX_ATTACHMENT_BYTES + 1), maintype="video", subtype="mp4", filename="开箱.mp4"
    )
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="发票.pdf")
    outcome = channel_of(mail_core).ingest(msg.as_bytes())
    found = ticket(mail_core, outcome.ticket_id)
    customer, note = (
        [m for m in found["messages"] if m["author_type"] == c] for c in ("customer", "system")
    )
    assert [a["filename"] for a in customer[0]["attachments"]] == ["发票.pdf"]
    note = [n for n in note if n["visibility"] == "internal"]  # not the public receipt
    assert len(note) == 1
    assert "开箱.mp4" in note[0]["body"] and str(MAX_ATTACHMENT_BYTES + 1) in note[0]["body"]


def test_whatever_the_parser_trips_on_is_quarantined(mail_core: App) -> None:
    def trips(raw: bytes):
        raise UnicodeError("a case nobody foresaw")

    channel = dataclasses.replace(channel_of(mail_core), parse=trips)
    outcome = channel.ingest(b"From: a@example.cn\r\n\r\nbody\r\n")
    assert outcome.action == "quarantined" and "UnicodeError" in outcome.reason
