"""`serve --workers N`: N server processes, each accepting on its own socket of the shared port.

uvicorn's supervisor binds one socket and hands it to every worker. A worker's event loop accepts
every connection waiting when it wakes, so keep-alive clients that connect together (a reverse
proxy's upstream pool, a load test) can all land on one process while the others idle (ADR 0014).
Here each worker binds the port itself with SO_REUSEPORT, and the kernel spreads new connections
over the workers' sockets by address hash.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

import structlog
import uvicorn

log = structlog.get_logger(__name__)

STARTUP_FAILURE = 3  # a worker that could not start: restarting it would only fail again
STOP_GRACE_SECONDS = 30.0


def reuse_port_supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def check_port(host: str, port: int) -> None:
    """Fail before starting anything if the port is taken (OSError with the system's reason).
    The probe binds without SO_REUSEPORT, so it is refused even by another server that shares
    its port that way (an older `serve` still running, say)."""
    _socket(host, port, reuse_port=False).close()


def _worker(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    sock = _socket(host, port, reuse_port=True)
    server = uvicorn.Server(uvicorn.Config(app, factory=True, host=host, port=port, **options))
    threading.Thread(target=_exit_with_parent, args=(server,), daemon=True).start()
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _exit_with_parent(server: uvicorn.Server, interval: float = 1.0) -> None:
    """A supervisor killed outright (SIGKILL, OOM killer) cannot stop its workers; each notices
    that it was orphaned and shuts down cleanly instead of holding the port."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(interval)
    log.warning("serve.supervisor_gone", pid=os.getpid())
    server.should_exit = True


class Supervisor:
    """Starts the workers, restarts one that dies, and stops them all on SIGINT or SIGTERM."""

    def __init__(
        self, app: str, host: str, port: int, workers: int, options: dict[str, Any]
    ) -> None:
        self._args = (app, host, port, options)
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[BaseProcess] = [self._start() for _ in range(workers)]
        self._stop = threading.Event()
        self.failed = False

    def _start(self) -> BaseProcess:
        process = self._context.Process(target=_worker, args=self._args, name="consigndesk-worker")
        process.start()
        return process

    def request_stop(self, *_: object) -> None:
        self._stop.set()

    def watch(self, interval: float = 0.5) -> None:
        """Until asked to stop: replace workers that exited; give up if one could not start."""
        while not self._stop.wait(interval):
            for i, process in enumerate(self._processes):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("serve.worker_failed_to_start", pid=process.pid)
                    self.failed = True
                    return
                log.warning("serve.worker_restarted", pid=process.pid, exitcode=process.exitcode)
                self._processes[i] = self._start()

    def stop(self) -> None:
        """SIGTERM each worker (uvicorn finishes open requests), then wait; kill stragglers."""
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(STOP_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()


def run_workers(app: str, host: str, port: int, workers: int, **options: Any) -> bool:
    """Serve the ASGI factory `app` ("module:function") from `workers` processes until SIGINT or
    SIGTERM; False if a worker could not start."""
    check_port(host, port)
    supervisor = Supervisor(app, host, port, workers, options)
    previous = {
        signum: signal.signal(signum, supervisor.request_stop)
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        supervisor.watch()
    finally:
        supervisor.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return not supervisor.failed
