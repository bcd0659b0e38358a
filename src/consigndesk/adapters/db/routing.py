"""Data access for routing and ETAs: agents' loads, group queues, measured response times."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables as t
from consigndesk.domain.events import utcnow
from consigndesk.domain.routing import (
    LOAD_STATUSES,
    QUEUE_STATUSES,
    Candidate,
    Held,
    Waiting,
)

ASSIGNEE_FIELD = "assignee_id"


class RoutingRepository:
    """Reads see changes made earlier in the unit of work (the session autoflushes before them).

    Agents' loads and each group's queue length by priority are read once per unit of work and
    then kept current (`mark_assigned`, tickets joining a queue), so a group of new tickets routed
    in one transaction costs one read each; an assignment or loading an existing ticket (which may
    change status or assignee) calls `forget` and the next call reads again.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._opened_at = utcnow()
        self._candidates: list[Candidate] | None = None
        self._in_house: set[str] | None = None
        self._queues: dict[str, Counter[str]] = {}  # waiting tickets by priority, per group
        self._all_queues_read = False  # groups missing from `_queues` have no waiting tickets
        self._counted: set[int] = set()  # tickets known to be in those counts

    def forget(self) -> None:
        self._candidates = None
        self._queues.clear()
        self._all_queues_read = False
        self._counted.clear()

    def in_house_only_groups(self) -> set[str]:
        if self._in_house is None:
            rows = self.session.execute(select(t.groups.c.key).where(t.groups.c.in_house_only))
            self._in_house = {r[0] for r in rows}
        return set(self._in_house)

    def _loads(self) -> dict[int, int]:
        rows = self.session.execute(
            select(t.tickets.c.assignee_id, func.count())
            .where(t.tickets.c.assignee_id.is_not(None), t.tickets.c.status.in_(LOAD_STATUSES))
            .group_by(t.tickets.c.assignee_id)
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def candidates(self, agent_id: int | None = None) -> list[Candidate]:
        """Active agents with their current load (one agent if `agent_id` is given)."""
        if agent_id is None and self._candidates is not None:
            return list(self._candidates)
        query = select(
            t.agents.c.id,
            t.agents.c.groups,
            t.agents.c.capacity,
            t.agents.c.online,
            t.agents.c.active,
            t.agents.c.team,
            t.agents.c.vip,
            t.agents.c.last_assigned_at,
        ).where(t.agents.c.active)
        if agent_id is not None:
            query = query.where(t.agents.c.id == agent_id)
        loads = self._loads()
        found = [
            Candidate(
                agent_id=int(r.id),
                groups=frozenset(r.groups or []),
                capacity=int(r.capacity),
                load=loads.get(int(r.id), 0),
                online=bool(r.online),
                active=bool(r.active),
                outsourced=r.team == "outsourced",
                vip=bool(r.vip),
                last_assigned_at=r.last_assigned_at,
            )
            for r in self.session.execute(query.order_by(t.agents.c.id))
        ]
        if agent_id is None:
            self._candidates = found
        return list(found)

    def groups_of(self, ticket_ids: Collection[int]) -> set[str]:
        if not ticket_ids:
            return set()
        rows = self.session.execute(
            select(t.tickets.c.group).where(t.tickets.c.id.in_(sorted(ticket_ids))).distinct()
        )
        return {r[0] for r in rows}

    def waiting(self, groups: Collection[str] | None = None) -> list[Waiting]:
        """Unassigned new/open tickets (of `groups`, or all), in id order."""
        query = (
            select(
                t.tickets.c.id,
                t.tickets.c.group,
                t.tickets.c.priority,
                t.tickets.c.created_at,
                t.tickets.c.first_response_at,
                t.tickets.c.eta_seconds,
                t.customers.c.tier,
            )
            .join(t.customers, t.customers.c.id == t.tickets.c.customer_id)
            .where(t.tickets.c.assignee_id.is_(None), t.tickets.c.status.in_(QUEUE_STATUSES))
        )
        if groups is not None:
            query = query.where(t.tickets.c.group.in_(sorted(groups)))
        return [
            Waiting(
                ticket_id=int(r.id),
                group=r.group,
                priority=r.priority,
                created_at=r.created_at,
                vip=r.tier == "vip",
                answered=r.first_response_at is not None,
                eta_seconds=r.eta_seconds,
            )
            for r in self.session.execute(query.order_by(t.tickets.c.id))
        ]

    def held_by(self, agent_id: int) -> list[Held]:
        rows = self.session.execute(
            select(t.tickets.c.id, t.tickets.c.status, t.tickets.c.first_response_at).where(
                t.tickets.c.assignee_id == agent_id, t.tickets.c.status.in_(LOAD_STATUSES)
            )
        )
        return [Held(ticket_id=int(r.id), status=r.status, first_response_at=r[2]) for r in rows]

    def mark_assigned(self, agent_id: int, at: datetime) -> None:
        """Remember when routing last gave this agent a ticket (round-robin among equals)."""
        self.session.execute(
            update(t.agents).where(t.agents.c.id == agent_id).values(last_assigned_at=at)
        )
        if self._candidates is not None:
            self._candidates = [
                replace(c, load=c.load + 1, last_assigned_at=at) if c.agent_id == agent_id else c
                for c in self._candidates
            ]
        self._queues.clear()  # a waiting ticket may have left its queue
        self._all_queues_read = False
        self._counted.clear()

    def set_etas(self, etas: Mapping[int, int]) -> None:
        """Plain column updates: no version bump, no timeline row."""
        if etas:
            self.session.execute(
                update(t.tickets)
                .where(t.tickets.c.id == bindparam("tid"))
                .values(eta_seconds=bindparam("eta"))
                .execution_options(synchronize_session=False),
                [{"tid": ticket_id, "eta": seconds} for ticket_id, seconds in etas.items()],
            )

    def ahead_in_queue(
        self, ticket_id: int, group: str, priority: str, created_at: datetime
    ) -> int:
        """Waiting tickets of the group that come before this one (P1 first, then oldest)."""
        if created_at < self._opened_at:
            return self._count_ahead(ticket_id, group, priority, created_at)
        # Opened in this unit of work, so younger than every waiting ticket of its priority:
        # all waiting tickets of the same or a more urgent priority are ahead of it.
        counts = self._queues.get(group)
        if counts is None and self._all_queues_read:
            counts = self._queues[group] = Counter()
        if counts is None:
            counts = self._queues[group] = self._queue_counts(group)
            self._counted.add(ticket_id)  # stored before the read, so counted in it
        if ticket_id not in self._counted:
            counts[priority] += 1
            self._counted.add(ticket_id)
        return sum(n for p, n in counts.items() if p <= priority) - 1

    def prefetch(self) -> None:
        """Agents' loads and every group's queue length, read before a group of messages adds
        anything, so that routing it needs no read that would write the new rows early."""
        self.candidates()
        self.in_house_only_groups()
        tk = t.tickets.c
        rows = self.session.execute(
            select(tk.group, tk.priority, func.count())
            .where(tk.assignee_id.is_(None), tk.status.in_(QUEUE_STATUSES))
            .group_by(tk.group, tk.priority)
        )
        self._queues.clear()
        self._counted.clear()
        for group, priority, waiting in rows:
            self._queues.setdefault(group, Counter())[priority] = int(waiting)
        self._all_queues_read = True

    def _queue_counts(self, group: str) -> Counter[str]:
        tk = t.tickets.c
        rows = self.session.execute(
            select(tk.priority, func.count())
            .where(tk.group == group, tk.assignee_id.is_(None), tk.status.in_(QUEUE_STATUSES))
            .group_by(tk.priority)
        )
        return Counter({r[0]: int(r[1]) for r in rows})

    def _count_ahead(self, ticket_id: int, group: str, priority: str, created_at: datetime) -> int:
        tk = t.tickets.c
        earlier = or_(
            tk.priority < priority,
            and_(
                tk.priority == priority,
                or_(
                    tk.created_at < created_at, and_(tk.created_at == created_at, tk.id < ticket_id)
                ),
            ),
        )
        return int(
            self.session.execute(
                select(func.count()).where(
                    tk.group == group,
                    tk.assignee_id.is_(None),
                    tk.status.in_(QUEUE_STATUSES),
                    tk.id != ticket_id,
                    earlier,
                )
            ).scalar_one()
        )

    def arrivals(self, group: str, since: datetime) -> dict[str, int]:
        """Tickets opened in `group` since then, by priority."""
        rows = self.session.execute(
            select(t.tickets.c.priority, func.count())
            .where(t.tickets.c.group == group, t.tickets.c.created_at >= since)
            .group_by(t.tickets.c.priority)
        )
        return {r[0]: int(r[1]) for r in rows}

    def durations(
        self, group: str, since: datetime, limit: int = 200
    ) -> tuple[list[float], list[float]]:
        """Recent measured (assignment → first agent reply) and (assignment → solved) seconds.

        The assignment time is the last routing or manual assignment recorded in the timeline
        before the moment measured; a ticket answered without one counts from its creation.
        """
        tickets = self.session.execute(
            select(
                t.tickets.c.id,
                t.tickets.c.created_at,
                t.tickets.c.first_response_at,
                t.tickets.c.solved_at,
            )
            .where(
                t.tickets.c.group == group,
                t.tickets.c.first_response_at.is_not(None),
                t.tickets.c.first_response_at >= since,
            )
            .order_by(t.tickets.c.first_response_at.desc())
            .limit(limit)
        ).all()
        if not tickets:
            return [], []
        assigned: dict[int, list[datetime]] = defaultdict(list)
        for row in self.session.execute(
            select(t.timeline.c.ticket_id, t.timeline.c.at, t.timeline.c.detail).where(
                t.timeline.c.ticket_id.in_([r.id for r in tickets]),
                t.timeline.c.action == "ticket.field_changed",
            )
        ):
            detail: dict[str, Any] = row.detail or {}
            if detail.get("field") == ASSIGNEE_FIELD and detail.get("new") is not None:
                assigned[int(row.ticket_id)].append(row.at)
        responses: list[float] = []
        holds: list[float] = []
        for r in tickets:
            times = sorted(assigned.get(int(r.id), []))
            responses.append(_since_assignment(r.created_at, times, r.first_response_at))
            if r.solved_at is not None:
                holds.append(_since_assignment(r.created_at, times, r.solved_at))
        return responses, holds


def _since_assignment(created: datetime, assignments: list[datetime], until: datetime) -> float:
    start = max((a for a in assignments if a <= until), default=created)
    return max((until - start).total_seconds(), 0.0)
