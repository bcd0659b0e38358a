"""The unit-of-work port: a transaction that commits changes, timeline and outbox together."""

from __future__ import annotations

from typing import Any, Protocol, Self

from consigndesk.domain.events import Event


class UnitOfWork(Protocol):
    tickets: Any
    customers: Any
    agents: Any
    groups: Any
    orders: Any
    idempotency: Any
    processed: Any
    api_keys: Any
    articles: Any
    training: Any
    attachments: Any
    settings: Any
    routing: Any
    answers: Any
    macros: Any
    email: Any
    chats: Any

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def expect_new(self, *, tickets: int = 0, messages: int = 0) -> None:
        """A hint: about this many tickets and messages will be added (ids come in one go)."""

    def record(self, event: Event) -> None:
        """Queue an event that no tracked aggregate recorded (it is written at commit)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
