"""Emails as customers' mail programs write them, built with the email package."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from consigndesk.adapters.db import queries
from consigndesk.bootstrap import App
from tests.email.conftest import SUPPORT

CUSTOMER = "zhang.wei@example.cn"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def mail(
    body: str = "你好，我的快递三天没动了，单号 JS20261120000001 请帮忙查一下。",
    *,
    subject: str = "快递三天没动",
    sender: str = f"张伟 <{CUSTOMER}>",
    message_id: str | None = None,
    **headers: str,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.cn")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def smtp_send(address: tuple[str, int], msg: EmailMessage | bytes, sender: str = CUSTOMER) -> None:
    with smtplib.SMTP(*address, timeout=30) as smtp:
        if isinstance(msg, bytes):
            smtp.sendmail(sender, [SUPPORT], msg)
        else:
            smtp.send_message(msg, from_addr=sender, to_addrs=[SUPPORT])


def ticket(core: App, ticket_id: int) -> dict:
    with core.database.read_sessions() as session:
        found = queries.ticket_detail(session, ticket_id)
    assert found is not None
    return found
