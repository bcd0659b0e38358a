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
    def subscribe(self, name: str, handler: EventHandler) -> None: ...

    def publish(self, envelope: Envelope) -> None:
        """Deliver to every subscriber; raising means 'not delivered, try again later'."""
