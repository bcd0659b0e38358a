"""IMAP polling: unseen messages are ingested, and only then flagged \\Seen (never lost)."""

from __future__ import annotations

import contextlib
import imaplib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger(__name__)
BATCH = 200  # messages per mailbox per poll, so one full mailbox cannot starve the others


@dataclass(frozen=True, kw_only=True)
class Mailbox:
    host: str
    user: str
    password: str
    port: int = 993
    folder: str = "INBOX"
    ssl: bool = True

    @classmethod
    def from_setting(cls, entry: dict[str, Any]) -> Mailbox:
        ssl = bool(entry.get("ssl", True))
        return cls(
            host=str(entry["host"]),
            user=str(entry["user"]),
            password=str(entry["password"]),
            port=int(entry.get("port") or (993 if ssl else 143)),
            folder=str(entry.get("folder") or "INBOX"),
            ssl=ssl,
        )


@dataclass(frozen=True)
class PollResult:
    ingested: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()


class ImapPoller:
    def __init__(
        self,
        mailboxes: Iterable[Mailbox],
        ingest: Callable[[bytes], Any],
        *,
        interval: float = 60.0,
        timeout: float = 30.0,
    ) -> None:
        self.mailboxes = list(mailboxes)
        self._ingest = ingest
        self._interval = interval
        self._timeout = timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> PollResult:
        ingested = failed = 0
        errors: list[str] = []
        for mailbox in self.mailboxes:
            try:
                done, bad = self._poll(mailbox)
            except (OSError, imaplib.IMAP4.error) as exc:  # unreachable or refused: next round
                log.warning(
                    "email.imap_failed", mailbox=f"{mailbox.user}@{mailbox.host}", error=str(exc)
                )
                errors.append(f"{mailbox.user}@{mailbox.host}: {exc}")
                continue
            ingested, failed = ingested + done, failed + bad
        return PollResult(ingested, failed, tuple(errors))

    def _connect(self, mailbox: Mailbox) -> imaplib.IMAP4:
        if mailbox.ssl:
            return imaplib.IMAP4_SSL(mailbox.host, mailbox.port, timeout=self._timeout)
        return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=self._timeout)

    def _poll(self, mailbox: Mailbox) -> tuple[int, int]:
        conn = self._connect(mailbox)
        try:
            conn.login(mailbox.user, mailbox.password)
            conn.select(_quoted(mailbox.folder))
            _, found = conn.uid("SEARCH", "UNSEEN")
            uids = [u.decode() for u in (found[0] or b"").split()[:BATCH]]
            done = bad = 0
            for uid in uids:
                _, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
                if raw is None:
                    continue
                try:
                    self._ingest(raw)
                except Exception:  # stays unseen: the next poll tries again
                    log.exception("email.imap_ingest_failed", uid=uid)
                    bad += 1
                    continue
                conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
                done += 1
            return done, bad
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()

    def start(self) -> None:
        if self._thread is not None:
            return

        def run() -> None:
            while not self._stop.is_set():
                try:
                    self.poll_once()
                except Exception:  # keep polling after a surprise
                    log.exception("email.imap_poller_error")
                self._stop.wait(self._interval)

        self._thread = threading.Thread(target=run, name="imap-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._timeout + 5)
            self._thread = None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
