"""IMAP polling against a real Dovecot started on a free loopback port."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from consigndesk.adapters.channels.email.imap import ImapPoller, Mailbox
from consigndesk.adapters.channels.email.wiring import imap_poller
from consigndesk.bootstrap import App
from tests.email.conftest import channel_of, free_port
from tests.email.mails import mail, ticket
from tests.services import unavailable

USER, PASSWORD = "support@desk.test", "secret"


@dataclass
class Dovecot:
    port: int

    def mailbox(self) -> Mailbox:
        return Mailbox(host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, ssl=False)

    def append(self, raw: bytes) -> None:
        conn = imaplib.IMAP4("127.0.0.1", self.port)
        conn.login(USER, PASSWORD)
        conn.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
        conn.logout()

    def unseen(self) -> int:
        conn = imaplib.IMAP4("127.0.0.1", self.port)
        conn.login(USER, PASSWORD)
        conn.select("INBOX")
        _, found = conn.search(None, "UNSEEN")
        conn.logout()
        return len((found[0] or b"").split())


def _config(root: Path, port: int) -> str:
    mail_user = pwd.getpwnam("dovecot")
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
first_valid_uid = 100
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin")
    if binary is None:
        unavailable("dovecot is not installed (apt-get install dovecot-imapd)")
    if os.geteuid() != 0:
        unavailable("a throwaway dovecot needs root (it drops privileges itself)")
    try:
        mail_user = pwd.getpwnam("dovecot")
    except KeyError:
        unavailable("the dovecot system user is missing")
    root = Path(tempfile.mkdtemp(prefix="cd-dovecot-"))
    root.chmod(0o755)  # the auth process runs as the dovecot user and reads the users file
    port = free_port()
    (root / "mail").mkdir()
    os.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen(
        [str(binary), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (root / "dovecot.log").read_text()
                        if (root / "dovecot.log").exists()
                        else ""
                    )
                    pytest.fail(f"dovecot did not start: {log[-2000:]}")
                time.sleep(0.05)
        yield Dovecot(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def test_polling_ingests_unseen_mail_and_marks_it_seen(mail_core: App, dovecot: Dovecot) -> None:
    first = mail("你好，发票什么时候开？", subject="发票")
    dovecot.append(first.as_bytes())
    dovecot.append(b"Subject: no sender\r\n\r\nbroken\r\n")
    settings = mail_core.settings.model_copy(
        update={
            "imap_mailboxes": [
                {
                    "host": "127.0.0.1",
                    "port": dovecot.port,
                    "user": USER,
                    "password": PASSWORD,
                    "ssl": False,
                }
            ]
        }
    )
    poller = imap_poller(settings, channel_of(mail_core))
    assert poller is not None

    result = poller.poll_once()
    assert (result.ingested, result.failed, result.errors) == (2, 0, ())
    assert dovecot.unseen() == 0  # both stored (one in quarantine), so both acknowledged
    found = ticket(mail_core, 1)
    assert (found["channel"], found["subject"]) == ("email", "发票")
    assert found["messages"][0]["external_id"] == first["Message-ID"]

    dovecot.append(mail("补充：抬头是公司名", subject="Re: 发票").as_bytes())
    assert poller.poll_once().ingested == 1
    assert len(ticket(mail_core, 1)["messages"]) >= 2  # threaded by sender + subject
    assert poller.poll_once().ingested == 0


def test_a_failed_ingest_leaves_the_message_unseen_for_the_next_poll(dovecot: Dovecot) -> None:
    dovecot.append(mail().as_bytes())
    calls: list[bytes] = []

    def flaky(raw: bytes) -> None:
        calls.append(raw)
        if len(calls) == 1:
            raise ConnectionError("database unreachable")

    poller = ImapPoller([dovecot.mailbox()], flaky)
    assert poller.poll_once().failed == 1
    assert dovecot.unseen() == 1
    assert poller.poll_once().ingested == 1
    assert dovecot.unseen() == 0 and calls[0] == calls[1]


def test_an_unreachable_mailbox_is_reported_not_raised() -> None:
    poller = ImapPoller(
        [Mailbox(host="127.0.0.1", port=free_port(), user="u", password="p", ssl=False)],
        lambda raw: None,
        timeout=2,
    )
    result = poller.poll_once()
    assert result.ingested == 0 and len(result.errors) == 1
