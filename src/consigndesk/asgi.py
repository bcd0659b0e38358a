"""ASGI entry for serving processes: each uvicorn worker builds its own core from settings."""

import gc
import sys

from fastapi import FastAPI

from consigndesk.adapters.http.app import create_app
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.logs import configure_logging

# Container objects allocated (net) before the youngest generation is collected; CPython's
# default is 700. ADR 0027.
YOUNG_GENERATION_THRESHOLD = 20_000
# Seconds a thread may hold the GIL while another waits for it; CPython's default is 0.005.
# ADR 0028.
GIL_SWITCH_INTERVAL = 0.002


def serving_app(core: App) -> FastAPI:
    """The app as a long-running server process runs it: warmed up, and with what is alive
    after start-up (word dictionaries, models, routes) frozen out of the cyclic collector's
    view. Those objects live as long as the process; left in view, every full collection walks
    them again, which under load paused all threads for about 100 ms every second or two.
    The collector then runs a thirtieth as often (ADR 0027). The intake thread, back from each
    of its database round trips, waits at most 2 ms instead of 5 for the event loop to hand the
    GIL back (ADR 0028)."""
    app = create_app(core)
    core.warm_up()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    return app


def create() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_json)
    return serving_app(build(settings, run_migrations=False))
