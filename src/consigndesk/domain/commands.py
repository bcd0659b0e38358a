"""Commands: requests to change something, one handler each (see services/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consigndesk.domain.attachments import Upload
from consigndesk.domain.events import Actor


def _drop_nul(command: object, *names: str) -> None:
    """Text we store never holds U+0000: PostgreSQL's text cannot, and nobody means one (it
    arrives from broken mail, pasted binary or a client's bug). The rest of the text stays."""
    for name in names:
        value = getattr(command, name)
        if value and "\x00" in value:
            object.__setattr__(command, name, value.replace("\x00", ""))


@dataclass(frozen=True, kw_only=True)
class CustomerData:
    """Who the platform says the customer is; absent fields keep what we already know."""

    external_id: str
    role: str = "buyer"
    tier: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        _drop_nul(self, "external_id", "name", "email", "phone")


@dataclass(frozen=True, kw_only=True)
class ReceiveCustomerMessage:
    """A customer wrote, on any channel. The one path every inbound message takes.

    `ticket_id` is set when the channel already knows the conversation (a chat session, an email
    reply); otherwise a new ticket is opened.
    """

    customer: CustomerData
    channel: str
    body: str
    subject: str = ""
    body_html: str = ""
    order_ref: str | None = None
    ticket_id: int | None = None
    external_id: str | None = None  # channel's own message id: a repeat is a no-op
    attachments: list[Upload] = field(default_factory=list)
    idempotency_key: str | None = None
    idempotency_scope: str = "tickets"  # whose keys: each API key's and agent's are its own
    request_hash: str | None = None

    def __post_init__(self) -> None:
        _drop_nul(self, "body", "subject", "body_html", "order_ref", "external_id")


@dataclass(frozen=True, kw_only=True)
class AddAgentMessage:
    ticket_id: int
    agent_id: int
    body: str
    visibility: str = "public"
    new_status: str | None = None
    expected_version: int | None = None

    def __post_init__(self) -> None:
        _drop_nul(self, "body")


@dataclass(frozen=True, kw_only=True)
class UpdateTicket:
    ticket_id: int
    actor: Actor
    status: str | None = None
    priority: str | None = None
    group: str | None = None
    intent: str | None = None
    assignee_id: int | None = None
    unassign: bool = False
    tags: list[str] | None = None
    reason: str = ""
    expected_version: int | None = None


@dataclass(frozen=True, kw_only=True)
class RateTicket:
    ticket_id: int
    customer_external_id: str
    score: int
    comment: str = ""

    def __post_init__(self) -> None:
        _drop_nul(self, "comment")


@dataclass(frozen=True, kw_only=True)
class ApplyPlatformEvent:
    raw: dict[str, Any]
