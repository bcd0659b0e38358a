"""The built-in SMTP listener: a `250` only after the message is committed or quarantined."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from consigndesk.adapters.channels.email.sender import parse_host_port

log = structlog.get_logger(__name__)
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


def with_return_path(raw: bytes, mail_from: str | None) -> bytes:
    """What a final delivery agent adds: the envelope sender (`<>` for bounces)."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].lower()
    if head.startswith(b"return-path:") or b"\nreturn-path:" in head:
        return raw
    return f"Return-Path: <{mail_from or ''}>\r\n".encode() + raw


class _Handler:
    def __init__(self, ingest: Callable[[bytes], Any], pool: ThreadPoolExecutor) -> None:
        self._ingest = ingest
        self._pool = pool

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not raw:
            raw = envelope.content
        raw = with_return_path(raw, envelope.mail_from)
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(
                self._pool, self._ingest, raw
            )
        except Exception:  # the database is down or busy: the sender keeps it and retries
            log.exception("email.smtp_ingest_failed", peer=str(session.peer), size=len(raw))
            return TEMPORARY_FAILURE
        log.info("email.smtp_received", outcome=getattr(outcome, "action", None), size=len(raw))
        return "250 2.0.0 OK: message accepted"


class SmtpListener:
    """aiosmtpd in its own thread and event loop; ingestion runs in a thread pool. Its threads
    mostly wait for the intake's commit, so there are enough of them for concurrent SMTP
    sessions to share one transaction."""

    def __init__(
        self,
        ingest: Callable[[bytes], Any],
        listen: str,
        *,
        max_message_bytes: int = 25 * 1024 * 1024,
        workers: int = 16,
    ) -> None:
        host, port = parse_host_port(listen)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtp-ingest")
        self._controller = Controller(
            _Handler(ingest, self._pool),
            hostname=host,
            port=port,
            data_size_limit=max_message_bytes,
            enable_SMTPUTF8=True,
            server_hostname="consigndesk",
            ready_timeout=10.0,
        )

    @property
    def address(self) -> tuple[str, int]:
        return self._controller.hostname, self._controller.port

    def start(self) -> None:
        self._controller.start()
        log.info("email.smtp_listening", host=self.address[0], port=self.address[1])

    def stop(self) -> None:
        self._controller.stop()
        self._pool.shutdown(wait=True)
