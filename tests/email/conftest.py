"""Real SMTP both ways: a sink server that catches our replies, and our listener on a free port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from consigndesk.adapters.channels.email.listener import SmtpListener
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.services.admin import ensure_default_groups
from consigndesk.services.email import EmailChannel
from tests.conftest import PLATFORM_SECRET

SUPPORT = "support@desk.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sink:
    """An SMTP server that keeps what it receives (the customer's mail server, in tests)."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content or b"")
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def sink() -> Iterator[Sink]:
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


@pytest.fixture
def mail_core(database_url: str, sink: Sink) -> Iterator[App]:
    """The app with its outbound relay pointed at the sink."""
    app = build(
        Settings(
            database_url=database_url,
            platform_secret=PLATFORM_SECRET,
            smtp_relay=f"127.0.0.1:{sink.port}",  # type: ignore[attr-defined]
            email_from_address=SUPPORT,
            email_from_name="寄售客服",
        )
    )
    ensure_default_groups(app.uow())
    yield app
    app.close()


def channel_of(app: App) -> EmailChannel:
    channel = app.extras["email"]
    assert isinstance(channel, EmailChannel)
    return channel


@pytest.fixture
def listener(mail_core: App) -> Iterator[SmtpListener]:
    server = SmtpListener(channel_of(mail_core).ingest, f"127.0.0.1:{free_port()}")
    server.start()
    yield server
    server.stop()
