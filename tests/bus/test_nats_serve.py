"""`consigndesk serve` with CONSIGNDESK_BUS_URL=nats://…: real processes, real sockets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.bus.conftest import NatsServer, free_port, wait_until

CLI = [sys.executable, "-m", "consigndesk"]


@pytest.fixture
def served(nats_server: NatsServer, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two worker processes sharing a SQLite file and the NATS server; yields (base url, key)."""
    env = {
        **os.environ,
        "CONSIGNDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "CONSIGNDESK_BUS_URL": nats_server.url,
        "CONSIGNDESK_RELAY_INTERVAL": "0.2",
    }
    key = subprocess.run(
        [*CLI, "api-key", "create", "--name", "smoke", "--scope", "integration"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.strip()
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
        yield base, key
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


def test_serve_on_nats_writes_each_receipt_once(
    served: tuple[str, str], nats_server: NatsServer
) -> None:
    base, key = served
    headers = {"Authorization": f"Bearer {key}"}
    ids = []
    for n in range(4):
        response = httpx.post(
            f"{base}/api/v1/tickets",
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

    def receipts(ticket_id: int) -> int:
        ticket = httpx.get(f"{base}/api/v1/tickets/{ticket_id}", headers=headers, timeout=10)
        return sum(m["author_type"] == "system" for m in ticket.json()["messages"])

    wait_until(lambda: all(receipts(t) >= 1 for t in ids), timeout=30)
    wait_until(
        lambda: nats_server.settled(
            "CONSIGNDESK_EVENTS", "ticket_created-Reactions_acknowledge_receipt"
        )
    )
    assert [receipts(t) for t in ids] == [1] * len(ids)
