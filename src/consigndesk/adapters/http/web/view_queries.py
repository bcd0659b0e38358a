"""Small read queries only the pages need: inbox view counts and customers' open ETAs.
Plain counts and column reads, one statement each."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables as t

UNSOLVED = ("new", "open", "pending")
WAITING_FOR_REPLY = ("new", "open")


def inbox_counts(session: Session, agent_id: int) -> dict[str, int]:
    """Unsolved tickets: assigned to this agent, unassigned, and all of them."""
    tk = t.tickets.c
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((tk.assignee_id == agent_id, 1), else_=0)), 0),
            func.coalesce(func.sum(case((tk.assignee_id.is_(None), 1), else_=0)), 0),
        ).where(tk.status.in_(UNSOLVED))
    ).one()
    return {"all": int(row[0]), "mine": int(row[1]), "unassigned": int(row[2])}


def unanswered_etas(session: Session, ticket_ids: Collection[int]) -> dict[int, datetime]:
    """When each ticket still waiting for a first human reply expects it (creation + ETA)."""
    if not ticket_ids:
        return {}
    tk = t.tickets.c
    rows = session.execute(
        select(tk.id, tk.created_at, tk.eta_seconds).where(
            tk.id.in_(list(ticket_ids)),
            tk.first_response_at.is_(None),
            tk.status.in_(WAITING_FOR_REPLY),
            tk.eta_seconds.is_not(None),
        )
    )
    return {int(r.id): r.created_at + timedelta(seconds=int(r.eta_seconds)) for r in rows}
