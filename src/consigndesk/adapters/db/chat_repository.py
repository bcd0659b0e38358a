"""Chat sessions, read marks, transcript requests, and the message reads the live chat needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables as t

SESSION_COLUMNS = [
    t.chat_sessions.c.id,
    t.chat_sessions.c.customer_external_id,
    t.chat_sessions.c.ticket_id,
    t.chat_sessions.c.locale,
    t.chat_sessions.c.started_at,
    t.chat_sessions.c.ended_at,
    t.chat_sessions.c.ended_by,
    t.chat_sessions.c.customer_read_id,
    t.chat_sessions.c.agent_read_id,
]


# Messages with their author's display name and the ticket's summary, for live delivery; built
# once (building this select costs more than running it).
MESSAGES_FOR_DELIVERY = (
    select(
        t.messages.c.id,
        t.messages.c.ticket_id,
        t.messages.c.author_type,
        t.messages.c.author_id,
        t.messages.c.visibility,
        t.messages.c.body,
        t.messages.c.external_id,
        t.messages.c.created_at,
        t.agents.c.name.label("agent_name"),
        t.customers.c.name.label("customer_name"),
        t.customers.c.external_id.label("customer_external_id"),
        t.tickets.c.group,
        t.tickets.c.subject,
        t.tickets.c.status,
        t.tickets.c.assignee_id,
    )
    .join(t.tickets, t.tickets.c.id == t.messages.c.ticket_id)
    .join(t.customers, t.customers.c.id == t.tickets.c.customer_id)
    .outerjoin(
        t.agents,
        (t.messages.c.author_type == "agent") & (t.agents.c.id == t.messages.c.author_id),
    )
)
MESSAGES_BY_ID = MESSAGES_FOR_DELIVERY.where(
    t.messages.c.id.in_(bindparam("message_ids", expanding=True))
).order_by(t.messages.c.id)


class ChatRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- sessions -------------------------------------------------------------------------
    def start(
        self, *, session_id: str, customer_external_id: str, locale: str, at: datetime
    ) -> None:
        self.session.execute(
            t.chat_sessions.insert().values(
                id=session_id,
                customer_external_id=customer_external_id,
                locale=locale,
                started_at=at,
                customer_read_id=0,
                agent_read_id=0,
            )
        )

    def get(self, session_id: str) -> dict[str, Any] | None:
        row = self.session.execute(
            select(*SESSION_COLUMNS).where(t.chat_sessions.c.id == session_id)
        ).first()
        return dict(row._mapping) if row else None

    def latest_for_ticket(self, ticket_id: int) -> dict[str, Any] | None:
        row = self.session.execute(
            select(*SESSION_COLUMNS)
            .where(t.chat_sessions.c.ticket_id == ticket_id)
            .order_by(t.chat_sessions.c.started_at.desc())
            .limit(1)
        ).first()
        return dict(row._mapping) if row else None

    def attach_ticket(self, session_id: str, ticket_id: int) -> None:
        self.session.execute(
            update(t.chat_sessions)
            .where(t.chat_sessions.c.id == session_id)
            .values(ticket_id=ticket_id)
        )

    def end(self, session_id: str, by: str, at: datetime) -> bool:
        result = self.session.execute(
            update(t.chat_sessions)
            .where(t.chat_sessions.c.id == session_id, t.chat_sessions.c.ended_at.is_(None))
            .values(ended_at=at, ended_by=by)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def mark_read(self, ticket_id: int, who: str, message_id: int) -> bool:
        """Move the reader's mark forward on the ticket's open sessions (never backwards)."""
        column = (
            t.chat_sessions.c.customer_read_id
            if who == "customer"
            else (t.chat_sessions.c.agent_read_id)
        )
        result = self.session.execute(
            update(t.chat_sessions)
            .where(t.chat_sessions.c.ticket_id == ticket_id, column < message_id)
            .values({column.name: message_id})
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def last_message_id(self, ticket_id: int, public_only: bool) -> int:
        """The conversation's newest message id (0 when it has none): no read mark goes past it."""
        query = select(func.max(t.messages.c.id)).where(t.messages.c.ticket_id == ticket_id)
        if public_only:
            query = query.where(t.messages.c.visibility == "public")
        return int(self.session.execute(query).scalar() or 0)

    def ticket_group(self, ticket_id: int) -> str | None:
        """The group a chat's ticket is in now (None when there is no such ticket)."""
        query = select(t.tickets.c.group).where(t.tickets.c.id == ticket_id)
        group: str | None = self.session.execute(query).scalar()
        return group

    def live(self, limit: int = 200) -> list[dict[str, Any]]:
        """Chats not ended that have a conversation, newest first, with the ticket's summary."""
        rows = self.session.execute(
            select(
                *SESSION_COLUMNS,
                t.tickets.c.subject,
                t.tickets.c.status,
                t.tickets.c.group,
                t.tickets.c.priority,
                t.tickets.c.assignee_id,
                t.customers.c.name.label("customer_name"),
            )
            .join(t.tickets, t.tickets.c.id == t.chat_sessions.c.ticket_id)
            .join(t.customers, t.customers.c.id == t.tickets.c.customer_id)
            .where(t.chat_sessions.c.ended_at.is_(None))
            .order_by(t.chat_sessions.c.started_at.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]

    # -- messages -------------------------------------------------------------------------
    def messages_by_id(self, message_ids: list[int]) -> list[dict[str, Any]]:
        rows = self.session.execute(MESSAGES_BY_ID, {"message_ids": message_ids})
        return [dict(r._mapping) for r in rows]

    def messages(
        self, ticket_id: int, after_id: int = 0, public_only: bool = True, limit: int = 500
    ) -> list[dict[str, Any]]:
        query = MESSAGES_FOR_DELIVERY.where(
            t.messages.c.ticket_id == ticket_id, t.messages.c.id > after_id
        )
        if public_only:
            query = query.where(t.messages.c.visibility == "public")
        rows = self.session.execute(query.order_by(t.messages.c.id).limit(limit))
        return [dict(r._mapping) for r in rows]

    # -- transcripts ----------------------------------------------------------------------
    def add_transcript_request(
        self, *, session_id: str, ticket_id: int, email: str, locale: str, at: datetime
    ) -> int:
        result = self.session.execute(
            t.chat_transcripts.insert().values(
                session_id=session_id,
                ticket_id=ticket_id,
                email=email,
                locale=locale,
                requested_at=at,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]

    def transcript_request(self, request_id: int) -> dict[str, Any] | None:
        row = self.session.execute(
            select(t.chat_transcripts).where(t.chat_transcripts.c.id == request_id)
        ).first()
        return dict(row._mapping) if row else None

    def transcript_done(self, request_id: int, at: datetime | None, error: str | None) -> None:
        self.session.execute(
            update(t.chat_transcripts)
            .where(t.chat_transcripts.c.id == request_id)
            .values(sent_at=at, error=error)
        )

    def pending_transcripts(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(t.chat_transcripts)
            .where(t.chat_transcripts.c.sent_at.is_(None))
            .order_by(t.chat_transcripts.c.id)
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]
