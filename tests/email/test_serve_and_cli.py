"""`consigndesk serve` runs the SMTP listener when configured; `consigndesk email ingest` too."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.email.conftest import free_port
from tests.email.mails import mail, smtp_send

CLI = [sys.executable, "-m", "consigndesk"]
FIXTURES = Path(__file__).parent / "fixtures"


def env_for(db: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CONSIGNDESK_DATABASE_URL": f"sqlite:///{db}", **extra}


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_accepts_email_over_smtp(tmp_path: Path, workers: int) -> None:
    """With several workers, each listens on the same port (SO_REUSEPORT)."""
    db, http_port, smtp_port = tmp_path / "serve.db", free_port(), free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(http_port), "--workers", str(workers)],
        env=env_for(db, CONSIGNDESK_SMTP_LISTEN=f"127.0.0.1:{smtp_port}"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{http_port}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr
            time.sleep(0.2)
        sent = [f"来自服务进程的邮件 {n}" for n in range(8)]
        for subject in sent:  # a session each: the kernel picks the process
            smtp_send(("127.0.0.1", smtp_port), mail(subject=subject))
        subjects = [r[0] for r in sqlite3.connect(db).execute("select subject from tickets")]
        assert sorted(subjects) == sorted(sent)  # each stored before its 250 came back
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_email_ingest_command(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    eml = FIXTURES / "gmail_big5_html_only.eml"
    first = subprocess.run(
        [*CLI, "email", "ingest", str(eml)], env=env_for(db), capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created ticket=1")
    again = subprocess.run(
        [*CLI, "email", "ingest", "-"],
        input=eml.read_bytes(),
        env=env_for(db),
        capture_output=True,
    )
    assert again.stdout.decode().startswith("duplicate ticket=1")
