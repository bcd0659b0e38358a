"""The built-in SMTP listener: a `250` only after the message is committed or quarantined."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session

from consigndesk.adapters.channels.email.sender import parse_host_port

log = structlog.get_logger(__name__)
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


def with_return_path(raw: bytes, mail_from: str | None) -> bytes:
    """What a final delivery agent adds: the envelope sender (`<>` for bounces), as the bytes
    it came in (aiosmtpd keeps 8-bit bytes of a command as surrogate escapes)."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].lower()
    if head.startswith(b"return-path:") or b"\nreturn-path:" in head:
        return raw
    sender = (mail_from or "").encode("utf-8", "surrogateescape")
    return b"Return-Path: <" + sender.replace(b"\r", b"").replace(b"\n", b"") + b">\r\n" + raw


class _Handler:
    def __init__(self, ingest: Callable[[bytes], Any], pool: ThreadPoolExecutor) -> None:
        self._ingest = ingest
        self._pool = pool

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not raw:
            raw = envelope.content
        try:
            raw = with_return_path(raw, envelope.mail_from)
            outcome = await asyncio.get_running_loop().run_in_executor(
                self._pool, self._ingest, raw
            )
        except Exception:  # the database is down or busy: the sender keeps it and retries
            log.exception("email.smtp_ingest_failed", peer=str(session.peer), size=len(raw))
            return TEMPORARY_FAILURE
        log.info("email.smtp_received", outcome=getattr(outcome, "action", None), size=len(raw))
        return "250 2.0.0 OK: message accepted"


class SmtpListener:
    """aiosmtpd's SMTP protocol on its own event loop thread; ingestion runs in a thread pool.
    Its threads mostly wait for the intake's commit, so there are enough of them for concurrent
    SMTP sessions to share one transaction.

    The socket is bound with SO_REUSEPORT: every `serve` worker process listens on the same
    port and the kernel spreads SMTP sessions across them (ADR 0405).
    """

    def __init__(
        self,
        ingest: Callable[[bytes], Any],
        listen: str,
        *,
        max_message_bytes: int = 25 * 1024 * 1024,
        workers: int = 16,
    ) -> None:
        self._host, self._port = parse_host_port(listen)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtp-ingest")
        self._handler = _Handler(ingest, self._pool)
        self._max_message_bytes = max_message_bytes
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self._host, self._port

    def _session(self) -> SMTP:
        return SMTP(
            self._handler,
            data_size_limit=self._max_message_bytes,
            enable_SMTPUTF8=True,
            hostname="consigndesk",
            loop=self._loop,
        )

    def start(self) -> None:
        """Listening once it returns (it may be called from inside another running loop)."""
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="smtp-listener", daemon=True
        )
        self._thread.start()
        bind = self._loop.create_server(self._session, self._host, self._port, reuse_port=True)
        try:
            self._server = asyncio.run_coroutine_threadsafe(bind, self._loop).result(timeout=10)
        except BaseException:  # e.g. the port is taken by a program that does not share it
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None
            raise
        log.info("email.smtp_listening", host=self._host, port=self._port)

    def stop(self) -> None:
        if self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None
        self._loop.close()
        self._pool.shutdown(wait=True)

    async def _close(self) -> None:
        """Stop accepting, then end the sessions still open (a sender retries what was cut)."""
        assert self._server is not None
        self._server.close()
        current = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is not current:
                task.cancel()
