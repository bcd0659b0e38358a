"""Who gets a ticket: per-group priority queues and the choice of agent (pure, no I/O).

The services load agents and waiting tickets into the small value objects below, ask these
functions what to do, and apply the answer through `Ticket.assign` so it lands in the timeline.
The same functions drive the simulation in `bench/eta.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

# A ticket in one of these statuses counts against its assignee's capacity.
LOAD_STATUSES = ("new", "open", "pending")
# An unassigned ticket in one of these statuses waits in its group's queue.
QUEUE_STATUSES = ("new", "open")

_NEVER = datetime.min.replace(tzinfo=UTC)


def priority_rank(priority: str) -> int:
    """1 for P1 (most urgent) … 4 for P4; anything unknown sorts last."""
    if len(priority) == 2 and priority[0] == "P" and priority[1] in "1234":
        return int(priority[1])
    return 9


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """An agent as routing sees them: where they may work and how busy they are."""

    agent_id: int
    groups: frozenset[str]
    capacity: int
    load: int = 0  # new + open + pending tickets assigned to them
    online: bool = True
    active: bool = True
    outsourced: bool = False
    vip: bool = False
    last_assigned_at: datetime | None = None

    @property
    def free(self) -> int:
        return max(self.capacity - self.load, 0)

    @property
    def available(self) -> bool:
        """Online, active and under capacity: may be pushed another ticket."""
        return self.online and self.active and self.free > 0

    def may_work_in(self, group: str, in_house_only: bool) -> bool:
        return self.active and group in self.groups and not (in_house_only and self.outsourced)


@dataclass(frozen=True, kw_only=True)
class Waiting:
    """An unassigned ticket waiting in its group's queue."""

    ticket_id: int
    group: str
    priority: str
    created_at: datetime
    vip: bool = False  # the customer is VIP-tier
    answered: bool = False  # an agent already replied (it waits for an owner, not a reply)
    eta_seconds: int | None = None  # as stored now


@dataclass(frozen=True, kw_only=True)
class Held:
    """A ticket an agent holds, as far as going offline is concerned."""

    ticket_id: int
    status: str
    first_response_at: datetime | None


@dataclass(frozen=True)
class Assignment:
    ticket_id: int
    agent_id: int


QueueKey = Callable[[Waiting], tuple[object, ...]]


def queue_key(ticket: Waiting) -> tuple[object, ...]:
    """Our queue order: P1 first, then the oldest, then the lowest id."""
    return (priority_rank(ticket.priority), ticket.created_at, ticket.ticket_id)


def fifo_key(ticket: Waiting) -> tuple[object, ...]:
    """Plain first-come-first-served, ignoring priority (the bench's baseline)."""
    return (ticket.created_at, ticket.ticket_id)


def ordered(waiting: Iterable[Waiting], key: QueueKey = queue_key) -> list[Waiting]:
    return sorted(waiting, key=key)


def position_in_queue(
    ticket: Waiting, waiting: Iterable[Waiting], key: QueueKey = queue_key
) -> int:
    """How many tickets of the same group are ahead of `ticket` (0: it is the head)."""
    mine = key(ticket)
    return sum(
        1
        for other in waiting
        if other.group == ticket.group and other.ticket_id != ticket.ticket_id and key(other) < mine
    )


def _least_loaded(candidates: Iterable[Candidate]) -> Candidate | None:
    """Fewest tickets first; among equals, the one who waited longest since an assignment."""
    return min(
        candidates,
        key=lambda c: (c.load, c.last_assigned_at or _NEVER, c.agent_id),
        default=None,
    )


def choose_agent(
    ticket: Waiting,
    candidates: Iterable[Candidate],
    in_house_only: bool,
    avoid: int | None = None,
) -> Candidate | None:
    """The agent to push `ticket` to now, or None if it must wait in the queue.

    Only online, active agents of the ticket's group under capacity qualify; outsourced agents
    never get in-house-only groups; `avoid` (the agent who just gave it back) does not get it
    again. A VIP customer's ticket goes to a VIP-designated agent when one qualifies, otherwise
    to anyone who does.
    """
    fit = [
        c
        for c in candidates
        if c.available and c.may_work_in(ticket.group, in_house_only) and c.agent_id != avoid
    ]
    if ticket.vip:
        vip_agents = [c for c in fit if c.vip]
        if vip_agents:
            return _least_loaded(vip_agents)
    return _least_loaded(fit)


def plan(
    waiting: Iterable[Waiting],
    candidates: Sequence[Candidate],
    in_house_only: set[str] | frozenset[str],
    now: datetime,
    key: QueueKey = queue_key,
    avoid: Mapping[int, int] | None = None,
) -> list[Assignment]:
    """Hand out queued tickets, in queue order, to agents with free capacity.

    Each assignment counts against the agent straight away, so one call spreads a backlog
    across agents the way successive single assignments would. `avoid` maps a ticket to the
    agent who must not get it back.
    """
    pool = {c.agent_id: c for c in candidates}
    avoid = avoid or {}
    out: list[Assignment] = []
    for ticket in ordered(waiting, key):
        if not any(c.available for c in pool.values()):
            break
        agent = choose_agent(
            ticket, pool.values(), ticket.group in in_house_only, avoid.get(ticket.ticket_id)
        )
        if agent is None:
            continue
        out.append(Assignment(ticket.ticket_id, agent.agent_id))
        pool[agent.agent_id] = replace(agent, load=agent.load + 1, last_assigned_at=now)
    return out


def pick_next(
    agent: Candidate,
    waiting: Iterable[Waiting],
    in_house_only: set[str] | frozenset[str],
    key: QueueKey = queue_key,
) -> Waiting | None:
    """The ticket an agent pulls ("next ticket"): the head of the queues of their groups.

    Groups they may not work in are skipped. A VIP-designated agent takes a VIP customer's
    ticket before others of the same priority; nobody jumps a higher priority for it.
    """
    mine = [t for t in waiting if agent.may_work_in(t.group, t.group in in_house_only)]
    if not mine:
        return None
    if agent.vip:
        return min(mine, key=lambda t: (priority_rank(t.priority), not t.vip, *key(t)))
    return min(mine, key=key)


def group_slots(
    group: str, candidates: Iterable[Candidate], in_house_only: bool
) -> tuple[int, int]:
    """(capacity, free capacity) of the online agents who may work in `group`.

    An agent who serves several groups counts fully in each (see ADR 0202 for why).
    """
    fit = [c for c in candidates if c.online and c.active and c.may_work_in(group, in_house_only)]
    return sum(max(c.capacity, 0) for c in fit), sum(c.free for c in fit)


def returns_to_queue(held: Iterable[Held]) -> list[int]:
    """When an agent goes offline: the tickets nobody has answered yet go back to the queue.

    Tickets with an agent reply stay with the agent who started the conversation, as do
    pending ones (the customer owes the next message).
    """
    return [h.ticket_id for h in held if h.status in QUEUE_STATUSES and h.first_response_at is None]
