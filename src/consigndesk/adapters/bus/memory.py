"""In-process bus (`memory://`): subscribers run synchronously in the relay's thread."""

from __future__ import annotations

from collections import defaultdict

from consigndesk.services.bus import Envelope, EventHandler


class MemoryBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[EventHandler]] = defaultdict(list)

    def subscribe(self, name: str, handler: EventHandler) -> None:
        self._handlers[name].append(handler)

    def subscribe_broadcast(self, name: str, handler: EventHandler) -> None:
        """One process: broadcast and work subscriptions are the same thing."""
        self._handlers[name].append(handler)

    def publish(self, envelope: Envelope) -> None:
        for handler in self._handlers.get(envelope.name, ()):
            handler(envelope)
