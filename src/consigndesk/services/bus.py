"""The event-bus port and the envelope events travel in once they leave the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Envelope:
    event_id: str
    name: str
    payload: dict[str, Any]
    occurred_at: datetime


EventHandler = Callable[[Envelope], None]


class EventBus(Protocol):
    def subscribe(self, name: str, handler: EventHandler) -> None:
        """Work subscription: across all server processes, ONE process handles each event
        (reactions that write: receipts, rules, notifications)."""

    def subscribe_broadcast(self, name: str, handler: EventHandler) -> None:
        """Every process handles each event (live updates to the browsers it serves)."""

    def publish(self, envelope: Envelope) -> None:
        """Hand over for delivery; raising means 'not delivered, try again later'."""
