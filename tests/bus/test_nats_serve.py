"""`consigndesk serve` with CONSIGNDESK_BUS_URL=nats://…: real processes, real sockets."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.bus.conftest import NatsServer, free_port, wait_until

CLI = [sys.executable, "-m", "consigndesk"]
AGENT_EMAIL = "li.na@desk.test"
AGENT_PASSWORD = "correct-horse-42"


@dataclass
class Served:
    base: str
    key: str  # an integration API key
    database: Path


@pytest.fixture
def served(nats_server: NatsServer, tmp_path: Path) -> Iterator[Served]:
    """Two worker processes sharing a SQLite file and the NATS server, with a key and an agent."""
    database = tmp_path / "serve.db"
    env = {
        **os.environ,
        "CONSIGNDESK_DATABASE_URL": f"sqlite:///{database}",
        "CONSIGNDESK_BUS_URL": nats_server.url,
        "CONSIGNDESK_RELAY_INTERVAL": "0.2",
    }

    def cli(*args: str) -> str:
        done = subprocess.run(
            [*CLI, *args], env=env, capture_output=True, text=True, timeout=120, check=True
        )
        return done.stdout.strip()

    key = cli("api-key", "create", "--name", "smoke", "--scope", "integration")
    agent = ["--email", AGENT_EMAIL, "--name", "李娜", "--password", AGENT_PASSWORD]
    cli("agent", "create", *agent, "--groups", "general,logistics")
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(base, server), timeout=90)
        yield Served(base, key, database)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def _healthy(base: str, server: subprocess.Popen[bytes]) -> bool:
    if server.poll() is not None:
        raise RuntimeError(f"consigndesk serve exited with {server.returncode}")
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def sign_in(browser: httpx.Client) -> None:
    """Sign the agent in like the web UI: a session cookie, then the CSRF token on every request."""
    response = browser.post(
        "/api/v1/auth/login", json={"email": AGENT_EMAIL, "password": AGENT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    browser.headers["X-CSRF-Token"] = response.json()["csrf_token"]


def examples(database: Path) -> Counter[int]:
    """Training examples per ticket, read straight from the servers' SQLite file."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        rows = connection.execute("SELECT ticket_id FROM training_examples").fetchall()
    return Counter(ticket_id for (ticket_id,) in rows)


def test_serve_on_nats_learns_from_each_correction_once(
    served: Served, nats_server: NatsServer
) -> None:
    headers = {"Authorization": f"Bearer {served.key}"}
    ids = []
    for n in range(4):
        response = httpx.post(
            f"{served.base}/api/v1/tickets",
            headers=headers,
            json={
                "customer": {"external_id": f"c{n}", "role": "buyer"},
                "channel": "api",
                "body": f"Where is my parcel? order {n}",
            },
            timeout=30,
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    with httpx.Client(base_url=served.base, timeout=30) as agent:
        sign_in(agent)
        for ticket_id in ids:
            url = f"/api/v1/tickets/{ticket_id}"
            version = agent.get(url).json()["version"]
            changed = agent.patch(url, json={"intent": "complaint", "version": version})
            assert changed.status_code == 200, changed.text

    wait_until(lambda: set(examples(served.database)) == set(ids), timeout=30)
    wait_until(
        lambda: nats_server.settled(
            "CONSIGNDESK_EVENTS", "ticket_field_changed-Reactions_learn_from_correction"
        )
    )
    assert examples(served.database) == Counter(ids)
