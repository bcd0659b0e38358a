"""Settings from the environment (`CONSIGNDESK_*`); secrets never come from code."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from consigndesk.domain.orders import DEFAULT_ORDER_REF_PATTERN


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSIGNDESK_", extra="ignore")

    database_url: str = "sqlite:///./consigndesk.db"
    bus_url: str = "memory://"
    secret_key: str | None = None  # generated and stored in the database on first run
    platform_secret: str | None = None
    smtp_listen: str | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    order_ref_pattern: str = DEFAULT_ORDER_REF_PATTERN
    secure_cookies: bool = False  # set true behind HTTPS
    session_max_age: int = 12 * 3600
    customer_link_max_age: int = 7 * 24 * 3600
    relay_interval: float = 1.0
    log_json: bool = True
