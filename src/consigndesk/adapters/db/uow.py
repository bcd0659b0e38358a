"""SQL unit of work: one transaction whose commit writes the change, its timeline and its outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from consigndesk.adapters.db import repositories, tables
from consigndesk.adapters.db.answers_repository import AnswerRepository, MacroRepository
from consigndesk.adapters.db.bulk import insert_pending, insert_rows
from consigndesk.adapters.db.chat_repository import ChatRepository
from consigndesk.adapters.db.email_repository import EmailRepository
from consigndesk.adapters.db.ids import IdAllocator
from consigndesk.adapters.db.knowledge_repository import ArticleRepository
from consigndesk.adapters.db.pipeline import Pipeline, pipelined
from consigndesk.adapters.db.routing import QueueLengths, RoutingRepository
from consigndesk.domain.errors import StaleVersion
from consigndesk.domain.events import Event, TicketEvent
from consigndesk.domain.people import Customer
from consigndesk.domain.tickets import Message, Ticket

WRITTEN_IN_BULK = (Customer, Ticket, Message)
"""New objects of these classes are written a table at a time, parents first (ADR 0017, 0020)."""


class SqlUnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        on_commit: Callable[[], None] | None = None,
        queue_lengths: QueueLengths | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._on_commit = on_commit
        self._queue_lengths = queue_lengths
        self._queued: list[Event] = []

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        session = self.session
        self.ids = IdAllocator(session)
        self.customers = repositories.CustomerRepository(session, self.ids)
        self.routing = RoutingRepository(session, self._queue_lengths, self.customers.is_vip)
        self.tickets = repositories.TicketRepository(session, self.ids, track=self.routing.track)
        self.agents = repositories.AgentRepository(session)
        self.groups = repositories.GroupRepository(session)
        self.orders = repositories.OrderRepository(session)
        self.idempotency = repositories.IdempotencyRepository(session)
        self.processed = repositories.ProcessedEventRepository(session)
        self.api_keys = repositories.ApiKeyRepository(session)
        self.articles = ArticleRepository(session)
        self.training = repositories.TrainingExampleRepository(session)
        self.attachments = repositories.AttachmentRepository(session)
        self.settings = repositories.SettingsRepository(session)
        self.email = EmailRepository(session)
        self.chats = ChatRepository(session)
        self.answers = AnswerRepository(session)
        self.macros = MacroRepository(session)
        self._queued = []
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()
        self.session.close()

    def expect_new(self, *, tickets: int = 0, messages: int = 0) -> None:
        if tickets:
            self.ids.expect(tables.tickets, tickets)
        if messages:
            self.ids.expect(tables.messages, messages)

    def record(self, event: Event) -> None:
        self._queued.append(event)

    def _collect(self) -> list[Event]:
        events = list(self._queued)
        self._queued.clear()
        for ticket in self.tickets.seen:
            events.extend(ticket.pull_events())
        return events

    def commit(self) -> None:
        events = self._collect()
        try:
            with pipelined(self.session) as pipeline:
                insert_pending(self.session, WRITTEN_IN_BULK)
                flushing = bool(self.session.new or self.session.dirty or self.session.deleted)
                if not flushing:
                    self._write_and_commit(events, pipeline)
            if flushing:  # the flush reads its UPDATEs' row counts: outside the pipeline
                self.session.flush()  # version checks: a stale ticket rolls all of it back
                with pipelined(self.session) as pipeline:
                    self._write_and_commit(events, pipeline)
            self.session.commit()
        except StaleDataError:
            self.session.rollback()
            raise StaleVersion(
                "the ticket was changed by someone else; reload it and try again"
            ) from None
        self.routing.committed()
        if events and self._on_commit is not None:
            self._on_commit()

    def _write_and_commit(self, events: list[Event], pipeline: Pipeline) -> None:
        self.routing.write()
        self.idempotency.write()
        self.attachments.write()
        self._write(events)
        pipeline.commit()

    def _write(self, events: list[Event]) -> None:
        """Outbox rows for every event and timeline rows for ticket events, one batch each."""
        if not events:
            return
        outbox_rows, timeline_rows = [], []
        for event in events:
            payload = event.payload()  # timestamps become text in the JSON (engine.JSON_DUMPS)
            outbox_rows.append(
                {
                    "event_id": event.id,
                    "name": event.name,
                    "payload": payload,
                    "occurred_at": event.at,
                    "attempts": 0,
                }
            )
            if isinstance(event, TicketEvent):
                detail = {
                    k: v for k, v in payload.items() if k not in {"ticket_id", "actor", "reason"}
                }
                timeline_rows.append(
                    {
                        "ticket_id": event.ticket_id,
                        "event_id": event.id,
                        "action": event.name,
                        "actor_type": event.actor.type,
                        "actor_id": event.actor.id,
                        "actor_name": event.actor.name,
                        "detail": detail,
                        "reason": event.reason,
                        "at": event.at,
                    }
                )
        insert_rows(self.session, tables.outbox, outbox_rows)
        insert_rows(self.session, tables.timeline, timeline_rows)

    def rollback(self) -> None:
        self.session.rollback()
