"""Email's storage: who an address is, which ticket a Message-ID belongs to, the quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables
from consigndesk.domain.email_rules import storable_text
from consigndesk.domain.events import utcnow

_OPEN = ("new", "open", "pending")


class KnownCustomer(NamedTuple):
    id: int
    external_id: str
    role: str


_QUARANTINE_LIST = [c for c in tables.email_quarantine.c if c.name != "raw"]


class EmailRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- identity and threading -------------------------------------------------------------
    def customer_by_email(self, address: str) -> KnownCustomer | None:
        """The most recently updated customer with this address (case-insensitive)."""
        row = self.session.execute(
            select(tables.customers.c.id, tables.customers.c.external_id, tables.customers.c.role)
            .where(func.lower(tables.customers.c.email) == address.lower())
            .order_by(tables.customers.c.updated_at.desc())
            .limit(1)
        ).first()
        return KnownCustomer(int(row[0]), str(row[1]), str(row[2])) if row else None

    def ticket_for_message_ids(self, ids: tuple[str, ...]) -> int | None:
        """The ticket of the first id we know: one we sent, or a customer email we stored."""
        if not ids:
            return None
        sent = dict(
            self.session.execute(
                select(
                    tables.email_message_ids.c.message_id, tables.email_message_ids.c.ticket_id
                ).where(tables.email_message_ids.c.message_id.in_(ids))
            ).all()
        )
        received = dict(
            self.session.execute(
                select(tables.messages.c.external_id, tables.messages.c.ticket_id).where(
                    tables.messages.c.external_id.in_(ids)
                )
            ).all()
        )
        for message_id in ids:
            found = sent.get(message_id) or received.get(message_id)
            if found is not None:
                return int(found)
        return None

    def open_tickets_since(self, customer_id: int, since: datetime) -> list[tuple[int, str]]:
        """(id, subject) of the customer's open tickets touched since `since`, newest first."""
        rows = self.session.execute(
            select(tables.tickets.c.id, tables.tickets.c.subject)
            .where(
                tables.tickets.c.customer_id == customer_id,
                tables.tickets.c.status.in_(_OPEN),
                tables.tickets.c.updated_at >= since,
            )
            .order_by(tables.tickets.c.updated_at.desc())
            .limit(20)
        ).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    def thread_ids(self, ticket_id: int) -> list[str]:
        """Every Message-ID of the ticket's email conversation, oldest first."""
        received = self.session.execute(
            select(tables.messages.c.external_id, tables.messages.c.created_at).where(
                tables.messages.c.ticket_id == ticket_id,
                tables.messages.c.channel == "email",
                tables.messages.c.author_type == "customer",
                tables.messages.c.external_id.is_not(None),
            )
        ).all()
        sent = self.session.execute(
            select(
                tables.email_message_ids.c.message_id, tables.email_message_ids.c.created_at
            ).where(tables.email_message_ids.c.ticket_id == ticket_id)
        ).all()
        ordered = sorted([*received, *sent], key=lambda r: r[1])
        return [str(r[0]) for r in ordered if str(r[0]).startswith("<")]

    def last_received_id(self, ticket_id: int) -> str | None:
        row = self.session.execute(
            select(tables.messages.c.external_id)
            .where(
                tables.messages.c.ticket_id == ticket_id,
                tables.messages.c.channel == "email",
                tables.messages.c.author_type == "customer",
                tables.messages.c.external_id.like("<%"),
            )
            .order_by(tables.messages.c.id.desc())
            .limit(1)
        ).first()
        return str(row[0]) if row else None

    def record_sent(self, message_id: str, ticket_id: int, ticket_message_id: int | None) -> None:
        self.session.execute(
            tables.email_message_ids.insert().values(
                message_id=message_id,
                ticket_id=ticket_id,
                ticket_message_id=ticket_message_id,
                created_at=utcnow(),
            )
        )

    # -- quarantine ---------------------------------------------------------------------------
    def quarantine(self, *, raw: bytes, kind: str, reason: str, sender: str, subject: str) -> int:
        """The last place a mail can go: its texts are made to fit, so only an outage fails it."""
        result = self.session.execute(
            tables.email_quarantine.insert().values(
                kind=kind,
                reason=storable_text(reason)[:4000],
                sender=storable_text(sender)[:320],
                subject=storable_text(subject)[:250],
                raw=raw,
                size=len(raw),
                received_at=utcnow(),
                status="held",
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]

    def held(
        self, *, status: str | None, limit: int, before_id: int | None
    ) -> list[dict[str, Any]]:
        query = select(*_QUARANTINE_LIST).order_by(tables.email_quarantine.c.id.desc()).limit(limit)
        if status:
            query = query.where(tables.email_quarantine.c.status == status)
        if before_id is not None:
            query = query.where(tables.email_quarantine.c.id < before_id)
        return [dict(r) for r in self.session.execute(query).mappings()]

    def quarantined(self, quarantine_id: int) -> dict[str, Any] | None:
        row = (
            self.session.execute(
                select(tables.email_quarantine).where(tables.email_quarantine.c.id == quarantine_id)
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def release(self, quarantine_id: int, ticket_id: int | None) -> None:
        self.session.execute(
            update(tables.email_quarantine)
            .where(tables.email_quarantine.c.id == quarantine_id)
            .values(status="released", ticket_id=ticket_id, released_at=utcnow())
        )

    def message_body(self, ticket_message_id: int) -> tuple[str, str] | None:
        """(text, sanitized HTML) of a stored ticket message."""
        row = self.session.execute(
            select(tables.messages.c.body, tables.messages.c.body_html).where(
                tables.messages.c.id == ticket_message_id
            )
        ).first()
        return (str(row[0]), str(row[1] or "")) if row else None
