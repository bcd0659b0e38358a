"""Storage of the assistant's decisions (`uow.answers`) and of agents' macros (`uow.macros`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables as t
from consigndesk.domain.events import utcnow


class AnswerRepository:
    """Answer records are written at once (plain inserts), so reading them needs no flush."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_ticket: dict[int, dict[str, Any] | None] = {}  # read in this unit of work

    def add(self, row: dict[str, Any]) -> None:
        self.session.execute(t.ai_answers.insert().values(created_at=utcnow(), **row))
        self._by_ticket.pop(row["ticket_id"], None)

    def prefetch(self, ticket_ids: Collection[int]) -> None:
        """One read for the tickets of a group of replies (`for_ticket` then hits)."""
        wanted = sorted({i for i in ticket_ids if i not in self._by_ticket})
        if wanted:
            self._by_ticket.update(dict.fromkeys(wanted))
            self._by_ticket.update({r["ticket_id"]: r for r in self._read(wanted)})

    def for_ticket(self, ticket_id: int) -> dict[str, Any] | None:
        if ticket_id not in self._by_ticket:
            found = self._read([ticket_id])
            self._by_ticket[ticket_id] = found[0] if found else None
        return self._by_ticket[ticket_id]

    def _read(self, ticket_ids: list[int]) -> list[dict[str, Any]]:
        with self.session.no_autoflush:
            rows = self.session.execute(
                select(t.ai_answers).where(t.ai_answers.c.ticket_id.in_(ticket_ids))
            ).mappings()
            return [dict(r) for r in rows]

    def message_body(self, message_id: int) -> str | None:
        row = self.session.execute(
            select(t.messages.c.body).where(t.messages.c.id == message_id)
        ).first()
        return str(row[0]) if row else None

    def set_outcome(self, ticket_id: int, outcome: str, at: datetime) -> None:
        self.session.execute(
            update(t.ai_answers)
            .where(t.ai_answers.c.ticket_id == ticket_id)
            .values(outcome=outcome, outcome_at=at)
        )
        self._by_ticket.pop(ticket_id, None)

    def deflection_rows(self, since: datetime) -> list[dict[str, Any]]:
        """Every ticket opened since `since` with the assistant's decision and outcome, if any."""
        query = (
            select(
                t.tickets.c.id,
                t.tickets.c.intent,
                t.tickets.c.language,
                t.tickets.c.status,
                t.ai_answers.c.decision,
                t.ai_answers.c.outcome,
                t.ai_answers.c.created_at.label("answered_at"),
            )
            .select_from(t.tickets)
            .outerjoin(t.ai_answers, t.ai_answers.c.ticket_id == t.tickets.c.id)
            .where(t.tickets.c.created_at >= since)
        )
        return [dict(r) for r in self.session.execute(query).mappings()]


class MacroRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, language: str | None = None) -> list[dict[str, Any]]:
        query = select(t.macros).order_by(t.macros.c.language, t.macros.c.title, t.macros.c.id)
        if language:
            query = query.where(t.macros.c.language == language)
        return [dict(r) for r in self.session.execute(query).mappings()]

    def get(self, macro_id: int) -> dict[str, Any] | None:
        row = self.session.execute(select(t.macros).where(t.macros.c.id == macro_id)).mappings()
        found = row.first()
        return dict(found) if found else None

    def add(self, values: dict[str, Any]) -> int:
        now = utcnow()
        result = self.session.execute(
            t.macros.insert().values(created_at=now, updated_at=now, **values)
        )
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]

    def update(self, macro_id: int, values: dict[str, Any]) -> bool:
        result = self.session.execute(
            update(t.macros).where(t.macros.c.id == macro_id).values(updated_at=utcnow(), **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def delete(self, macro_id: int) -> bool:
        result = self.session.execute(delete(t.macros).where(t.macros.c.id == macro_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def count(self) -> int:
        return len(self.session.execute(select(t.macros.c.id)).all())
