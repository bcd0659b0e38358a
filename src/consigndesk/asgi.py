"""ASGI entry for serving processes: each uvicorn worker builds its own core from settings."""

import gc

from fastapi import FastAPI

from consigndesk.adapters.http.app import create_app
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.logs import configure_logging

# Container objects allocated (net) before the youngest generation is collected; CPython's
# default is 700. ADR 0027.
YOUNG_GENERATION_THRESHOLD = 20_000


def serving_app(core: App) -> FastAPI:
    """The app as a long-running server process runs it: warmed up, and with what is alive
    after start-up (word dictionaries, models, routes) frozen out of the cyclic collector's
    view. Those objects live as long as the process; left in view, every full collection walks
    them again, which under load paused all threads for about 100 ms every second or two.
    The collector then runs a thirtieth as often (ADR 0027)."""
    app = create_app(core)
    core.warm_up()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
    return app


def create() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_json)
    return serving_app(build(settings, run_migrations=False))
