"""Settings from the environment (`CONSIGNDESK_*`); secrets never come from code."""

from __future__ import annotations

from typing import Any

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
    # web chat (docs/decisions/0601-0603): limits per connection and per customer, token buckets
    chat_max_chars: int = Field(default=4000, ge=1)
    chat_frame_rate: float = 10.0  # any frame, per connection, per second
    chat_frame_burst: int = 40
    chat_message_rate: float = 2.0  # chat messages, per connection
    chat_message_burst: int = 10
    chat_customer_rate: float = 3.0  # chat messages, per customer across their connections
    chat_customer_burst: int = 15
    chat_allow_anonymous: bool = True  # customers without a platform token give an email address
    chat_demo_page: bool = False  # /widget-demo signs tokens for demo customers: not in production
    nats_stream: str = "CONSIGNDESK_EVENTS"  # JetStream stream for events when bus_url is nats://
    nats_subject_prefix: str = "consigndesk.events"
    nats_max_age_days: float = Field(default=7.0, gt=0)
    nats_ack_wait: float = Field(default=30.0, gt=0)  # seconds a work handler may run
    nats_max_deliver: int = Field(default=10, ge=1)
    # email channel (docs/decisions/0401-0403); smtp_listen is in CONTRACTS.md
    smtp_relay: str | None = None  # host:port for outbound replies; unset: no email is sent
    smtp_relay_user: str | None = None
    smtp_relay_password: str | None = None
    smtp_relay_starttls: bool = False
    email_from_address: str = "support@consigndesk.localhost"
    email_from_name: str = "ConsignDesk"
    email_max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    email_thread_days: float = Field(default=7.0, ge=0)  # sender + same subject threads this long
    imap_mailboxes: list[dict[str, Any]] = []  # JSON: [{host, port, user, password, folder, ssl}]
    imap_poll_interval: float = Field(default=60.0, gt=0)
    # AI answers (docs/decisions/0801-0803): the assistant answers automatable questions itself
    auto_answer: bool = False  # CONSIGNDESK_AUTO_ANSWER=true turns it on
    answer_vips: bool = False  # VIP customers always get a human unless this is on
    answer_min_confidence: float = Field(default=0.6, ge=0.0, le=1.0)
    llm_url: str | None = None  # OpenAI-compatible base URL (…/v1); unset: templates only
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = Field(default=8.0, gt=0)
    # voice channel (docs/decisions/0501-0503): first engine covering the caller's language wins
    speech_engines: str = "pocketsphinx"  # comma-separated; also vosk:<model dir>, vosk@zh:<dir>
    voice_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)  # body limit, voice routes
    voice_min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)  # below: needs_transcription
