"""The ASGI application: API, web UI, health and metrics around one core `App`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from consigndesk.adapters.http import metrics
from consigndesk.adapters.http.api import admin, auth, orders, platform, tickets
from consigndesk.adapters.http.errors import error_body, install_error_handlers
from consigndesk.adapters.http.web import install_web
from consigndesk.bootstrap import App


def create_app(core: App, *, run_relay: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_relay:
            core.relay.start(core.settings.relay_interval)
        yield
        core.relay.stop()

    app = FastAPI(
        title="ConsignDesk",
        version="0.1.0",
        description="Customer service for consignment marketplaces.",
        lifespan=lifespan,
    )
    app.state.core = core
    install_error_handlers(app)
    limit = core.settings.max_body_bytes

    @app.middleware("http")
    async def body_limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return JSONResponse(
                error_body("payload_too_large", f"the body exceeds {limit} bytes"),
                status_code=413,
            )
        return await call_next(request)

    app.middleware("http")(metrics.measure)
    app.add_middleware(
        SessionMiddleware,
        secret_key=core.secret_key,
        session_cookie="consigndesk_session",
        max_age=core.settings.session_max_age,
        same_site="lax",
        https_only=core.settings.secure_cookies,
    )
    for router in (tickets.router, platform.router, orders.router, admin.router, auth.router):
        app.include_router(router)
    install_web(app, core)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> JSONResponse:
        try:
            with core.database.read_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "error": str(exc)[:200]}, 503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    def prometheus() -> Response:
        return metrics.render()

    return app
