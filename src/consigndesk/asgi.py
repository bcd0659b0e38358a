"""ASGI entry for multi-process serving: each uvicorn worker builds its own core from settings."""

from fastapi import FastAPI

from consigndesk.adapters.http.app import create_app
from consigndesk.bootstrap import build
from consigndesk.config import Settings
from consigndesk.logs import configure_logging


def create() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_json)
    return create_app(build(settings, run_migrations=False))
