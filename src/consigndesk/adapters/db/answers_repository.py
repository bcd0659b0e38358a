"""Storage of the assistant's decisions (`uow.answers`) and of agents' macros (`uow.macros`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables as t
from consigndesk.domain.events import utcnow


class AnswerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: dict[str, Any]) -> None:
        self.session.execute(t.ai_answers.insert().values(created_at=utcnow(), **row))

    def for_ticket(self, ticket_id: int) -> dict[str, Any] | None:
        row = (
            self.session.execute(select(t.ai_answers).where(t.ai_answers.c.ticket_id == ticket_id))
            .mappings()
            .first()
        )
        return dict(row) if row else None

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
