"""`consigndesk serve --workers N`: a socket per worker on one port, restarts, clean stops."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import websockets

from consigndesk.adapters.channels.chat.protocol import MAX_FRAME_BYTES
from consigndesk.adapters.http.metrics import (
    FOLDER_PREFIX,
    MULTIPROCESS_DIR,
    shared_between_processes,
)
from consigndesk.supervisor import reuse_port_supported
from tests.bus.conftest import free_port, wait_until

CLI = [sys.executable, "-m", "consigndesk"]

pytestmark = pytest.mark.skipif(
    not reuse_port_supported(), reason="one socket per worker needs Linux's SO_REUSEPORT"
)


def env_for(db: Path) -> dict[str, str]:
    return {**os.environ, "CONSIGNDESK_DATABASE_URL": f"sqlite:///{db}"}


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def listeners(port: int) -> set[int]:
    """Pids of the processes with a listening socket on the port."""
    out = subprocess.run(
        ["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    return {int(pid) for pid in re.findall(r"pid=(\d+)", out)}


def connection_owners(port: int) -> Counter[int]:
    """How many established connections to the port each server process holds."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"sport = :{port}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Counter(int(pid) for pid in re.findall(r"pid=(\d+)", out))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"],
        env=env_for(tmp_path / "serve.db"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: healthy(f"http://127.0.0.1:{port}") and len(listeners(port)) == 2, 90)
        yield server, port
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


def test_each_worker_accepts_on_its_own_socket_and_connections_spread(served) -> None:
    """Keep-alive clients that connect at once (a proxy's pool, a load test) land on every
    worker, not all on whichever woke first."""
    server, port = served
    workers = listeners(port)
    assert server.pid not in workers  # the supervisor itself serves nothing
    with ExitStack() as stack:
        for _ in range(32):
            conn = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            assert conn.recv(1000).startswith(b"HTTP/1.1 200")
        owners = connection_owners(port)
    assert set(owners) == workers
    assert sum(owners.values()) == 32


def healthz_requests(base: str) -> float:
    """`/healthz` requests counted in a scrape of /metrics, whichever worker answers it."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    pattern = r'^consigndesk_http_requests_total\{[^}]*route="/healthz"[^}]*\} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))


def test_metrics_add_up_every_worker(served) -> None:
    """A scrape that one worker answers counts the requests every worker served."""
    _, port = served
    base = f"http://127.0.0.1:{port}"
    before = healthz_requests(base)
    for _ in range(40):  # a new connection each: the kernel spreads them over the workers
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    counts = [healthz_requests(base) - before for _ in range(6)]
    assert counts == [40.0] * 6


def test_a_start_removes_metrics_folders_that_killed_supervisors_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A supervisor killed outright cannot remove its folder; the next one to start does, and
    leaves alone the folders of supervisors still running and anything not named by us."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv(MULTIPROCESS_DIR, raising=False)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    orphaned = tmp_path / f"{FOLDER_PREFIX}{ended.pid}-k1ll3d"
    orphaned.mkdir()
    (orphaned / "counter_123.db").write_bytes(b"\0" * 64)
    running = tmp_path / f"{FOLDER_PREFIX}{os.getppid()}-4l1v3"
    running.mkdir()
    foreign = tmp_path / f"{FOLDER_PREFIX}by-hand"
    foreign.mkdir()
    with shared_between_processes():
        own = Path(os.environ[MULTIPROCESS_DIR])
        assert own.parent == tmp_path
        assert own.name.startswith(f"{FOLDER_PREFIX}{os.getpid()}-")
        assert not orphaned.exists()
        assert running.exists() and foreign.exists()
    assert not own.exists()


def test_a_worker_that_dies_is_replaced_and_a_stop_ends_them_all(served) -> None:
    server, port = served
    victim = min(listeners(port))
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(listeners(port)) == 2 and victim not in listeners(port), 90)
    assert healthy(f"http://127.0.0.1:{port}")
    workers = listeners(port)
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)  # stopped and reaped


def test_workers_of_a_killed_supervisor_shut_down(served) -> None:
    """SIGKILL leaves no chance to stop them: they notice on their own and free the port."""
    server, port = served
    workers = listeners(port)
    server.kill()
    server.wait(timeout=30)
    wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in workers), 60)
    assert listeners(port) == set()


@pytest.mark.parametrize("shared", [False, True], ids=["plain", "reuse-port"])
def test_a_taken_port_is_one_readable_line(tmp_path: Path, shared: bool) -> None:
    """Also when the other server shares its port the way our workers do (a second `serve`)."""
    with socket.socket() as taken:
        if shared:
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*CLI, "serve", "--port", str(port), "--workers", "2"],
            env=env_for(tmp_path / "serve.db"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode != 0
    assert (
        done.stderr.strip().splitlines()[-1].startswith(f"error: cannot listen on 127.0.0.1:{port}")
    )


@pytest.mark.parametrize("workers", [1, 3])
def test_more_than_one_worker_on_sqlite_is_warned_about(tmp_path: Path, workers: int) -> None:
    """Measured: 2 workers on SQLite gave p99 969 ms at c=32 where one gave 89-104 ms (ADR 0026)."""
    with socket.socket() as taken:  # the server stops right after its checks
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = subprocess.run(
            [*CLI, "serve", "--port", str(taken.getsockname()[1]), "--workers", str(workers)],
            env=env_for(tmp_path / "serve.db"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert done.returncode != 0  # the port was taken: what it printed before is what we check
    if workers == 1:
        assert warnings == []
    else:
        assert len(warnings) == 1
        assert f"SQLite has one write lock, so {workers} server processes" in warnings[0]


def test_a_websocket_frame_far_over_the_chat_limit_is_not_read(served) -> None:
    """The server closes the socket (1009, too big) instead of reading up to 16 MiB first; a frame
    just over the protocol's limit still gets the protocol's own error frame."""
    _, port = served

    async def send(size: int) -> websockets.ConnectionClosed | str:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/chat", max_size=None) as ws:
            await ws.send('{"type": "ping", "pad": "' + "x" * size + '"}')
            try:
                return str(await asyncio.wait_for(ws.recv(), 10))
            except websockets.ConnectionClosed as closed:
                return closed

    refused = asyncio.run(send(4 * MAX_FRAME_BYTES))
    assert isinstance(refused, websockets.ConnectionClosed) and refused.rcvd.code == 1009
    answered = asyncio.run(send(MAX_FRAME_BYTES + 1))
    assert isinstance(answered, str) and "frame_too_large" in answered
