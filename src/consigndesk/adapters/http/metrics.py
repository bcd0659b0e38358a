"""Prometheus metrics: request counts and latencies, tickets created, platform events applied,
and the intake's group commits (how many messages each took, its time and the writer's CPU).

With several server processes, each writes its values to files in `PROMETHEUS_MULTIPROC_DIR`
and a scrape of any of them adds up all of them (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter(
    "consigndesk_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
LATENCY = Histogram(
    "consigndesk_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
TICKETS_CREATED = Counter("consigndesk_tickets_created_total", "Tickets created", ["channel"])
EVENTS_APPLIED = Counter(
    "consigndesk_platform_events_applied_total", "Platform events applied", ["type", "result"]
)

INTAKE_GROUP_MESSAGES = Histogram(
    "consigndesk_intake_group_messages",
    "Messages committed together by the intake writer",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
INTAKE_GROUP_SECONDS = Histogram(
    "consigndesk_intake_group_seconds",
    "Wall time of one intake group, from its start to its callers being answered",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
INTAKE_WRITER_CPU = Counter(
    "consigndesk_intake_writer_cpu_seconds", "CPU time of the intake writer thread"
)


def observe_intake_group(messages: int, seconds: float, cpu_seconds: float) -> None:
    """An `Intake.observer`: where its wall time exceeds its CPU, the writer waited (for the
    database, or for the GIL)."""
    INTAKE_GROUP_MESSAGES.observe(messages)
    INTAKE_GROUP_SECONDS.observe(seconds)
    INTAKE_WRITER_CPU.inc(cpu_seconds)


class Measure:
    """Counts and times every HTTP request. Plain ASGI rather than `BaseHTTPMiddleware`, which
    costs every request an extra task and a copy of the response stream."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app starts a response

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")  # the router sets it
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], path, str(status)).inc()


def render() -> Response:
    registry = REGISTRY
    if os.environ.get(MULTIPROCESS_DIR):  # the sum over every server process
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
FOLDER_PREFIX = "consigndesk-metrics-"


@contextmanager
def shared_between_processes() -> Iterator[None]:
    """For processes started inside: metrics in files of a fresh folder, removed afterwards. It
    must be set before they import prometheus_client. A folder the operator configured is used
    as it is (prometheus_client's rule: empty it before each start)."""
    if os.environ.get(MULTIPROCESS_DIR):
        yield
        return
    _remove_orphaned_folders()
    folder = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-")
    os.environ[MULTIPROCESS_DIR] = folder
    try:
        yield
    finally:
        del os.environ[MULTIPROCESS_DIR]
        shutil.rmtree(folder, ignore_errors=True)


def _remove_orphaned_folders() -> None:
    """Folders of supervisors that were killed outright (SIGKILL, the OOM killer) and so could
    not remove their own: their pid, in the name, is no longer running."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        pid = folder.name.removeprefix(FOLDER_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it does, and belongs to someone else
        pass
    return True
