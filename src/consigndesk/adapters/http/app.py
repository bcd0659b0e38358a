"""The ASGI application: API, web UI, health and metrics around one core `App`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from consigndesk.adapters.http import metrics
from consigndesk.adapters.http.api import (
    admin,
    answers,
    auth,
    email,
    knowledge,
    orders,
    platform,
    queue,
    tickets,
    voice,
)
from consigndesk.adapters.http.errors import install_error_handlers
from consigndesk.adapters.http.limits import BodyLimit
from consigndesk.adapters.http.web import install_web
from consigndesk.bootstrap import App


def create_app(core: App, *, run_relay: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_relay:
            core.start_background()
        yield
        core.stop_background()

    app = FastAPI(
        title="ConsignDesk",
        version="0.1.0",
        description="Customer service for consignment marketplaces.",
        lifespan=lifespan,
    )
    app.state.core = core
    core.intake.observer = metrics.observe_intake_group
    install_error_handlers(app)
    app.add_middleware(metrics.Measure)
    app.add_middleware(
        SessionMiddleware,
        secret_key=core.secret_key,
        session_cookie="consigndesk_session",
        max_age=core.settings.session_max_age,
        same_site="lax",
        https_only=core.settings.secure_cookies,
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=core.settings.max_body_bytes,
        allowances={"/api/v1/voice/": core.settings.voice_max_bytes},
    )
    for router in (
        tickets.router,
        platform.router,
        orders.router,
        admin.router,
        auth.router,
        queue.router,
        knowledge.router,
        answers.router,
        email.router,
        voice.router,
    ):
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
