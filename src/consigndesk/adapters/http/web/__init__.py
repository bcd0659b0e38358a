"""The server-rendered web UI (Jinja2 + htmx): agent pages, the customer portal, the help center
and the knowledge-base editor, zh-CN and en."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from consigndesk.bootstrap import App


def install_web(app: FastAPI, core: App) -> None:
    """Add the pages and their static files to `app` (call after the API routers)."""
    from consigndesk.adapters.http.web import (
        agent_pages,
        assist_pages,
        chat_pages,
        common,
        customer_pages,
        help_pages,
        kb_pages,
        queue_pages,
    )
    from consigndesk.adapters.http.web.templating import STATIC_DIR

    del core  # the pages reach the core through `app.state.core`, like the API
    app.include_router(common.router)
    app.include_router(agent_pages.router)
    app.include_router(customer_pages.router)
    app.include_router(queue_pages.router)
    app.include_router(help_pages.router)
    app.include_router(kb_pages.router)
    app.include_router(assist_pages.router)
    app.include_router(chat_pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
