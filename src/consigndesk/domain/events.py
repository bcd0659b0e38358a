"""Domain events: facts that happened; each becomes a timeline row and an outbox row at commit."""

from __future__ import annotations

import uuid
from dataclasses import Field, dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar


def utcnow() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class Actor:
    """Who caused a change: a customer, an agent, the AI assistant or the system itself."""

    type: str  # customer | agent | ai | system
    id: int | None = None
    name: str = ""

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(type="system", name=name)


@dataclass(frozen=True, kw_only=True)
class Event:
    name: ClassVar[str] = "event"
    id: str = field(default_factory=_new_id)
    at: datetime = field(default_factory=utcnow)

    def payload(self) -> dict[str, Any]:
        """The body, without id/at (stored in their own columns). Values are shared, not copied
        (`dataclasses.asdict` deep-copies them, a cost on every event); nobody changes them."""
        return {f.name: _plain(getattr(self, f.name)) for f in _body_fields(type(self))}


_BODY_FIELDS: dict[type, tuple[Field[Any], ...]] = {}


def _body_fields(cls: type[Event]) -> tuple[Field[Any], ...]:
    if cls not in _BODY_FIELDS:
        _BODY_FIELDS[cls] = tuple(f for f in fields(cls) if f.name not in {"id", "at"})
    return _BODY_FIELDS[cls]


def _plain(value: Any) -> Any:
    """A nested dataclass (the actor) as a dict."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


@dataclass(frozen=True, kw_only=True)
class TicketEvent(Event):
    ticket_id: int
    actor: Actor
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketCreated(TicketEvent):
    name: ClassVar[str] = "ticket.created"
    reference: str
    channel: str
    customer_id: int
    subject: str


@dataclass(frozen=True, kw_only=True)
class MessageAdded(TicketEvent):
    name: ClassVar[str] = "ticket.message_added"
    message_id: int
    author_type: str
    visibility: str
    channel: str


@dataclass(frozen=True, kw_only=True)
class StatusChanged(TicketEvent):
    name: ClassVar[str] = "ticket.status_changed"
    old: str
    new: str


@dataclass(frozen=True, kw_only=True)
class FieldChanged(TicketEvent):
    """Priority, group, intent, assignee, tags or triage changed; `field` names which."""

    name: ClassVar[str] = "ticket.field_changed"
    field: str
    old: Any
    new: Any


@dataclass(frozen=True, kw_only=True)
class OrderLinked(TicketEvent):
    name: ClassVar[str] = "ticket.order_linked"
    order_ref: str
    how: str


@dataclass(frozen=True, kw_only=True)
class TicketTriaged(TicketEvent):
    name: ClassVar[str] = "ticket.triaged"
    result: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class TicketRated(TicketEvent):
    name: ClassVar[str] = "ticket.rated"
    score: int
    comment: str


@dataclass(frozen=True, kw_only=True)
class PlatformEventApplied(Event):
    name: ClassVar[str] = "platform.event_applied"
    event_id: str
    type: str
    order_ref: str
