"""Data access for routing and ETAs: agents' loads, group queues, measured response times."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeGuard

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables as t
from consigndesk.domain.events import utcnow
from consigndesk.domain.people import Agent
from consigndesk.domain.routing import (
    LOAD_STATUSES,
    QUEUE_STATUSES,
    Candidate,
    Held,
    Waiting,
)
from consigndesk.domain.tickets import Ticket

ASSIGNEE_FIELD = "assignee_id"


# Statements over many tickets at once. On PostgreSQL the ids are one array parameter: the text
# is the same for any number of tickets (parsed and prepared once), and an ETA refresh writes
# its hundreds of rows in one statement, not one each.
_IDS = bindparam("ids", type_=ARRAY(BigInteger))
_GROUPS_OF_ANY = select(t.tickets.c.group).where(t.tickets.c.id == any_(_IDS)).distinct()
_GROUPS_OF_IN = (
    select(t.tickets.c.group).where(t.tickets.c.id.in_(bindparam("ids", expanding=True))).distinct()
)
# Rows are locked in id order before the update (see `set_etas`).
_LOCK_IN_ID_ORDER = (
    select(t.tickets.c.id)
    .where(t.tickets.c.id == any_(_IDS))
    .order_by(t.tickets.c.id)
    .with_for_update()
)
_NEW_ETAS = (
    func.unnest(_IDS, bindparam("etas", type_=ARRAY(Integer)))
    .table_valued("id", "eta")
    .render_derived()
)
_SET_ETAS_FROM_ARRAYS = (
    update(t.tickets)
    .where(t.tickets.c.id == _NEW_ETAS.c.id)
    .values(eta_seconds=_NEW_ETAS.c.eta)
    .execution_options(synchronize_session=False)
)
_SET_ETA = (
    update(t.tickets)
    .where(t.tickets.c.id == bindparam("tid"))
    .values(eta_seconds=bindparam("eta"))
    .execution_options(synchronize_session=False)
)

Contribution = tuple[str, int | None, str, str]  # a ticket's status, assignee, group, priority


def _contribution(ticket: Ticket) -> Contribution:
    return (str(ticket.status), ticket.assignee_id, ticket.group, ticket.priority)


def _queued(contribution: Contribution | None) -> TypeGuard[Contribution]:
    """Does it count as waiting: unassigned, new or open?"""
    return (
        contribution is not None and contribution[1] is None and contribution[0] in QUEUE_STATUSES
    )


Queues = dict[str, Counter[str]]  # waiting tickets by priority, per group


def _tally(queues: Queues, contribution: Contribution | None, n: int) -> None:
    """Add `n` of this ticket to its queue, if it waits in one."""
    if _queued(contribution):
        _, _, group, priority = contribution
        queues.setdefault(group, Counter())[priority] += n


def _copied(queues: Queues) -> Queues:
    return {group: Counter(n) for group, n in queues.items()}


class QueueLengths:
    """Every group's waiting tickets by priority, shared by the units of work of a process.

    Counting them scans the whole backlog, and every unit of work that opens tickets needs the
    counts (a new ticket's place in line), so under load the scan ran with every group commit.
    Here it runs at most every `max_age` seconds; in between, each commit adds what it changed
    (`apply`). What other processes changed shows at the next read: until then a new ticket's
    first ETA may miss their last seconds of arrivals, which the ETA refresher then corrects.
    """

    def __init__(self, max_age: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.clock = clock
        self._lock = threading.Lock()
        self._queues: Queues | None = None
        self._read_at = -math.inf

    def current(self, session: Session) -> Queues:
        """A copy of the counts, read again first if they are older than `max_age`."""
        with self._lock:
            if self._queues is not None and self.clock() - self._read_at < self.max_age:
                return _copied(self._queues)
        read_at = self.clock()
        tk = t.tickets.c
        fresh: Queues = {}
        with session.no_autoflush:  # the caller's own changes are counted from memory
            for group, priority, n in session.execute(
                select(tk.group, tk.priority, func.count())
                .where(t.WAITING_TICKET)
                .group_by(tk.group, tk.priority)
            ):
                fresh.setdefault(group, Counter())[priority] = int(n)
        with self._lock:
            self._queues, self._read_at = fresh, read_at
            return _copied(fresh)

    def apply(self, changes: Iterable[tuple[Contribution | None, Contribution]]) -> None:
        """A committed unit of work's tickets: (as loaded, or None if new; as committed)."""
        with self._lock:
            if self._queues is None:
                return
            for before, after in changes:
                _tally(self._queues, before, -1)
                _tally(self._queues, after, 1)


# Read with every group of new tickets: built once (building them cost about as much as running).
_WAITING = (
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
    .where(t.WAITING_TICKET)
)
_WAITING_IN_GROUPS = _WAITING.where(t.tickets.c.group.in_(bindparam("groups", expanding=True)))
_SET_LAST_ASSIGNED = (
    update(t.agents)
    .where(t.agents.c.id == bindparam("agent"))
    .values(last_assigned_at=bindparam("at"))
)
_IN_HOUSE_ONLY_GROUPS = select(t.groups.c.key).where(t.groups.c.in_house_only)


def _agents_and_loads(leaving_out: Collection[int] = ()) -> Select[Any]:
    """Every agent with their load (the tickets they hold but those `leaving_out`), counted
    along the small partial index of held tickets."""
    held = t.HELD_TICKET
    if leaving_out:
        held = and_(held, t.tickets.c.id.not_in(sorted(leaving_out)))
    load = (
        select(func.count())
        .where(held, t.tickets.c.assignee_id == t.agents.c.id)
        .correlate(t.agents)
        .scalar_subquery()
    )
    return select(
        t.agents.c.id,
        t.agents.c.groups,
        t.agents.c.capacity,
        t.agents.c.online,
        t.agents.c.active,
        t.agents.c.team,
        t.agents.c.vip,
        t.agents.c.last_assigned_at,
        load.label("load"),
    ).order_by(t.agents.c.id)


def _candidate(agent: Any) -> Candidate:
    """From a row of `_agents_and_loads` or an `Agent` (the same names)."""
    return Candidate(
        agent_id=int(agent.id),
        groups=frozenset(agent.groups or []),
        capacity=int(agent.capacity),
        online=bool(agent.online),
        active=bool(agent.active),
        outsourced=agent.team == "outsourced",
        vip=bool(agent.vip),
        last_assigned_at=agent.last_assigned_at,
    )


_AGENTS_AND_LOADS = _agents_and_loads()


def _as_waiting(row: Any) -> Waiting:
    ticket_id, group, priority, created_at, first_response_at, eta_seconds, tier = row
    return Waiting(
        ticket_id=ticket_id,
        group=group,
        priority=priority,
        created_at=created_at,
        vip=tier == "vip",
        answered=first_response_at is not None,
        eta_seconds=eta_seconds,
    )


class RoutingRepository:
    """Agents' loads and each group's queue length by priority: one read per unit of work.

    Loads are read once, leaving out the tickets this unit of work added or loaded (`track`);
    queue lengths come from the process's shared `QueueLengths`, which holds each stored ticket
    as it was loaded. Tracked tickets are counted from memory, as they stand at each call. So
    routing a group of messages needs neither a second read nor a flush of what the group has
    added so far, and assignments, status changes and new tickets show in the counts as soon as
    they happen.
    """

    def __init__(
        self,
        session: Session,
        queue_lengths: QueueLengths | None = None,
        is_vip: Callable[[int], bool] | None = None,
    ) -> None:
        self.session = session
        self._is_vip = is_vip or (lambda _customer_id: False)
        self._postgres = session.get_bind().dialect.name == "postgresql"
        self._lengths = queue_lengths or QueueLengths(max_age=0)  # alone: read every time
        self._opened_at = utcnow()
        self._agents: list[Candidate] | None = None  # read with their loads, kept in `_loads`
        self._in_house: set[str] | None = None
        self._loads: Counter[int] = Counter()  # tickets held, per agent
        self._queues: Queues = {}
        self._counts_read = False
        self._tracked: dict[int, Ticket] = {}
        self._loaded: dict[int, Contribution | None] = {}  # as stored (None: added here)
        self._applied: dict[int, Contribution | None] = {}  # what each is counted as now
        self._stored_waiting: dict[str, list[Waiting]] = {}  # by group, as first read
        self._every_group_read = False
        self._assigned_at: dict[int, datetime] = {}  # agents' `last_assigned_at`, written at commit

    def track(self, ticket: Ticket, *, stored: bool) -> None:
        """A ticket this unit of work added (`stored=False`) or loaded: count it from memory."""
        if ticket.stored_id in self._tracked:
            return
        self._tracked[ticket.stored_id] = ticket
        self._loaded[ticket.stored_id] = _contribution(ticket) if stored else None
        # counts read earlier include a stored ticket as it was loaded
        self._applied[ticket.stored_id] = (
            _contribution(ticket) if stored and self._counts_read else None
        )

    def write(self) -> None:
        """The agents' last assignment times, one statement for the unit of work."""
        if self._assigned_at:
            self.session.execute(
                _SET_LAST_ASSIGNED,
                [{"agent": a, "at": at} for a, at in sorted(self._assigned_at.items())],
            )
            self._assigned_at.clear()

    def committed(self) -> None:
        """Tell the shared queue lengths what this unit of work changed."""
        final = {ticket_id: _contribution(ticket) for ticket_id, ticket in self._tracked.items()}
        self._lengths.apply((self._loaded[ticket_id], now) for ticket_id, now in final.items())
        self._loaded.update(final)

    def _counts(self) -> tuple[Counter[int], Queues]:
        if not self._counts_read:
            query = _agents_and_loads(self._tracked) if self._tracked else _AGENTS_AND_LOADS
            with self.session.no_autoflush:  # this unit of work's own tickets: from memory
                rows = list(self.session.execute(query))
            # and so are the agents it changed (one coming online, say)
            here = {a.id: a for a in self.session.identity_map.values() if isinstance(a, Agent)}
            agents = [here.get(r.id, r) for r in rows]
            self._agents = [_candidate(a) for a in agents if a.active]
            self._loads.update({int(r.id): int(r.load) for r in rows})
            self._queues = self._lengths.current(self.session)
            # the queue lengths hold tracked stored tickets as loaded; the loads leave them out
            self._applied = {
                ticket_id: loaded if _queued(loaded) else None
                for ticket_id, loaded in self._loaded.items()
            }
            self._counts_read = True
        for ticket_id, ticket in self._tracked.items():
            now = _contribution(ticket)
            before = self._applied[ticket_id]
            if now != before:
                if before is not None:
                    self._count(before, -1)
                self._count(now, 1)
                self._applied[ticket_id] = now
        return self._loads, self._queues

    def _count(self, contribution: Contribution, n: int) -> None:
        status, assignee, _, _ = contribution
        if assignee is not None and status in LOAD_STATUSES:
            self._loads[assignee] += n
        else:
            _tally(self._queues, contribution, n)

    def in_house_only_groups(self) -> set[str]:
        if self._in_house is None:
            rows = self.session.execute(_IN_HOUSE_ONLY_GROUPS)
            self._in_house = {r[0] for r in rows}
        return set(self._in_house)

    def candidates(self, agent_id: int | None = None) -> list[Candidate]:
        """Active agents with their current load (one agent if `agent_id` is given)."""
        loads = self._counts()[0]
        assert self._agents is not None  # read with the loads
        return [
            replace(c, load=loads[c.agent_id])
            for c in self._agents
            if agent_id is None or c.agent_id == agent_id
        ]

    def groups_of(self, ticket_ids: Collection[int]) -> set[str]:
        if not ticket_ids:
            return set()
        query = _GROUPS_OF_ANY if self._postgres else _GROUPS_OF_IN
        return {r[0] for r in self.session.execute(query, {"ids": sorted(ticket_ids)})}

    def waiting(
        self, groups: Collection[str] | None = None, head: int | None = None, start: int = 0
    ) -> list[Waiting]:
        """Unassigned new/open tickets (of `groups`, or all), in id order; with `head` (and
        `groups`), only each group's `head` tickets from queue position `start` on, in queue
        order (P1 first, then the oldest, then the lowest id), read along the waiting-tickets
        index one group at a time.

        Without `head`, the tickets this unit of work added or loaded come from memory, as they
        stand now, and the stored others from one read per unit of work that writes nothing
        early: routing each new ticket of a group on arrival then costs no statement, where a
        read would first flush the group's new rows one ticket at a time."""
        if head is None:
            return self._waiting_now(None if groups is None else frozenset(groups))
        if groups is None:
            raise ValueError("a queue head is read for named groups")
        tk = t.tickets.c
        queue_order = (tk.priority, tk.created_at, tk.id)
        rows = [
            row
            for group in sorted(groups)
            for row in self.session.execute(
                _WAITING.where(tk.group == group).order_by(*queue_order).offset(start).limit(head)
            )
        ]
        return sorted(map(_as_waiting, rows), key=lambda w: w.ticket_id)

    def _waiting_now(self, groups: frozenset[str] | None) -> list[Waiting]:
        self._read_stored_waiting(groups)
        stored = [
            w
            for group, queue in self._stored_waiting.items()
            if groups is None or group in groups
            for w in queue
            if w.ticket_id not in self._tracked
        ]
        mine = [
            Waiting(
                ticket_id=ticket.stored_id,
                group=ticket.group,
                priority=ticket.priority,
                created_at=ticket.created_at,
                vip=self._is_vip(ticket.customer_id),
                answered=ticket.first_response_at is not None,
                eta_seconds=ticket.eta_seconds,
            )
            for ticket in self._tracked.values()
            if _queued(_contribution(ticket)) and (groups is None or ticket.group in groups)
        ]
        return sorted(stored + mine, key=lambda w: w.ticket_id)

    def _read_stored_waiting(self, groups: frozenset[str] | None) -> None:
        """The stored waiting tickets of `groups` (None: all), and in the same read those of
        every group an available agent works in, which routing may plan over next."""
        if self._every_group_read:
            return
        if groups is None:
            query, wanted = _WAITING, None
        else:
            missing = groups - self._stored_waiting.keys()
            if not missing:
                return
            likely = {g for c in self.candidates() if c.available for g in c.groups}
            wanted = sorted(missing | (likely - self._stored_waiting.keys()))
            query = _WAITING_IN_GROUPS
        with self.session.no_autoflush:  # this unit of work's own come from memory
            rows = self.session.execute(query, {"groups": wanted} if wanted else {})
        if wanted is None:
            self._stored_waiting, self._every_group_read = {}, True
        else:
            self._stored_waiting.update({g: [] for g in wanted})
        for row in rows:
            waiting = _as_waiting(row)
            self._stored_waiting.setdefault(waiting.group, []).append(waiting)

    def held_by(self, agent_id: int) -> list[Held]:
        rows = self.session.execute(
            select(t.tickets.c.id, t.tickets.c.status, t.tickets.c.first_response_at).where(
                t.tickets.c.assignee_id == agent_id, t.HELD_TICKET
            )
        )
        return [Held(ticket_id=int(r.id), status=r.status, first_response_at=r[2]) for r in rows]

    def mark_assigned(self, agent_id: int, at: datetime) -> None:
        """Remember when routing last gave this agent a ticket (round-robin among equals); the
        ticket itself, tracked, already counts in their load. Written with the commit."""
        self._assigned_at[agent_id] = at
        if self._agents is not None:
            self._agents = [
                replace(c, last_assigned_at=at) if c.agent_id == agent_id else c
                for c in self._agents
            ]

    def set_etas(self, etas: Mapping[int, int]) -> None:
        """Plain column updates: no version bump, no timeline row. Rows are locked in id order:
        every server process refreshes the same queues, and two that locked the same tickets
        in different orders would deadlock. On PostgreSQL one statement locks them in that
        order and one writes them all; SQLite has one writer at a time and takes row by row."""
        if not etas:
            return
        ids = sorted(etas)
        if self._postgres:
            self.session.execute(_LOCK_IN_ID_ORDER, {"ids": ids})
            self.session.execute(
                _SET_ETAS_FROM_ARRAYS, {"ids": ids, "etas": [etas[i] for i in ids]}
            )
            return
        self.session.execute(_SET_ETA, [{"tid": i, "eta": etas[i]} for i in ids])

    def ahead_in_queue(
        self, ticket_id: int, group: str, priority: str, created_at: datetime
    ) -> int:
        """Waiting tickets of the group that come before this one (P1 first, then oldest)."""
        if created_at < self._opened_at:
            return self._count_ahead(ticket_id, group, priority, created_at)
        # Opened in this unit of work, so younger than every waiting ticket of its priority:
        # all waiting tickets of the same or a more urgent priority are ahead of it.
        counts = self._counts()[1].get(group, Counter())
        return max(0, sum(n for p, n in counts.items() if p <= priority) - 1)

    def prefetch(self) -> None:
        """Agents, their loads and every group's queue length, read before a group of messages
        adds anything."""
        self.candidates()
        self.in_house_only_groups()

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
                    t.WAITING_TICKET,
                    tk.id != ticket_id,
                    earlier,
                )
            ).scalar_one()
        )

    def arrivals(self, group: str, since: datetime) -> dict[str, int]:
        """Tickets opened in `group` since then, by priority (stored ones: like `durations`, a
        measurement of the past that never writes this unit of work's new rows early)."""
        with self.session.no_autoflush:
            rows = self.session.execute(
                select(t.tickets.c.priority, func.count())
                .where(t.tickets.c.group == group, t.tickets.c.created_at >= since)
                .group_by(t.tickets.c.priority)
            ).all()
        return {r[0]: int(r[1]) for r in rows}

    def durations(
        self, group: str, since: datetime, limit: int = 200
    ) -> tuple[list[float], list[float]]:
        """Recent measured (assignment → first agent reply) and (assignment → solved) seconds.

        The assignment time is the last routing or manual assignment recorded in the timeline
        before the moment measured; a ticket answered without one counts from its creation.
        Only stored tickets count, so the reads never write this unit of work's new rows early.
        """
        with self.session.no_autoflush:
            return self._durations(group, since, limit)

    def _durations(
        self, group: str, since: datetime, limit: int
    ) -> tuple[list[float], list[float]]:
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
