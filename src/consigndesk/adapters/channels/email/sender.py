"""Outbound replies: MIME text + HTML with threading headers, handed to an SMTP relay."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from consigndesk.domain.email_rules import OWN_HEADER
from consigndesk.domain.events import utcnow
from consigndesk.services.email import OutboundEmail


def build_message(mail: OutboundEmail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((mail.from_name, mail.from_address))
    msg["To"] = formataddr((mail.to_name, mail.to))
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = mail.message_id
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        msg["References"] = " ".join(mail.references)
    msg[OWN_HEADER] = mail.ticket_reference  # our loop guard: mail carrying it is never answered
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    msg["Content-Language"] = (
        "zh-CN" if mail.language == "zh" else "en"
    )  # after: set_content clears
    return msg


def parse_host_port(value: str, default_port: int = 25) -> tuple[str, int]:
    """`host:port` (or `[v6]:port`, or a bare host) → (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or "]" in port:
        return value.strip().strip("[]"), default_port
    return host.strip("[]"), int(port)


class SmtpSender:
    """Sends through the configured relay; one connection per message (replies are sparse)."""

    def __init__(
        self,
        relay: str,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port = parse_host_port(relay)
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def send(self, mail: OutboundEmail) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user and self.password:
                smtp.login(self.user, self.password)
            smtp.send_message(build_message(mail), from_addr=mail.from_address, to_addrs=[mail.to])
