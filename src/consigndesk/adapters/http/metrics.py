"""Prometheus metrics: request counts and latencies, tickets created, platform events applied."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

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


async def measure(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    path = getattr(route, "path", "unmatched")
    LATENCY.labels(request.method, path).observe(time.perf_counter() - started)
    REQUESTS.labels(request.method, path, str(response.status_code)).inc()
    return response


def render() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
