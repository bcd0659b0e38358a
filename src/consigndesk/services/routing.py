"""Routing use cases: push tickets to agents, let agents pull the next one, keep ETAs current.

Decisions come from `domain.routing` and `domain.eta`; every (un)assignment goes through
`Ticket.assign` with the router (or the agent) as actor, so it lands in the timeline and the
outbox with the rest of the unit of work. ETAs are stored without either (see ADR 0202).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from consigndesk.domain import eta as eta_model
from consigndesk.domain import routing as rules
from consigndesk.domain.errors import Conflict, Forbidden, NotFound, StaleVersion
from consigndesk.domain.events import Actor, utcnow
from consigndesk.domain.people import Agent
from consigndesk.domain.taxonomy import Priority
from consigndesk.domain.tickets import Status, Ticket
from consigndesk.services.bus import Envelope
from consigndesk.services.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)
ROUTER = Actor.system("router")
RELEASING = {Status.SOLVED.value, Status.CLOSED.value}
PULL_ATTEMPTS = 3


class RoutingStore(Protocol):
    """What routing reads and writes besides aggregates (`uow.routing`)."""

    def in_house_only_groups(self) -> set[str]: ...

    def candidates(self, agent_id: int | None = None) -> list[rules.Candidate]: ...

    def groups_of(self, ticket_ids: Collection[int]) -> set[str]: ...

    def waiting(
        self, groups: Collection[str] | None = None, head: int | None = None, start: int = 0
    ) -> list[rules.Waiting]: ...

    def held_by(self, agent_id: int) -> list[rules.Held]: ...

    def mark_assigned(self, agent_id: int, at: datetime) -> None: ...

    def set_etas(self, etas: Mapping[int, int]) -> None: ...

    def ahead_in_queue(
        self, ticket_id: int, group: str, priority: str, created_at: datetime
    ) -> int: ...

    def arrivals(self, group: str, since: datetime) -> dict[str, int]: ...

    def durations(self, group: str, since: datetime) -> tuple[list[float], list[float]]: ...


@dataclass(frozen=True)
class QueueSummary:
    group: str
    in_house_only: bool
    waiting: dict[str, int]  # by priority
    agents_online: int
    slots: int
    free_slots: int
    response_seconds: float  # measured (or default) assignment → first reply
    eta_seconds: int  # a new ticket of the default priority, from now
    eta_by_priority: dict[str, int]


@dataclass
class Routing:
    """The router collaborator of `TicketServices` (wired in bootstrap)."""

    eta: eta_model.EtaConfig = field(default_factory=eta_model.EtaConfig)
    history: timedelta = timedelta(days=7)
    arrival_window: timedelta = timedelta(hours=1)
    load_ttl: timedelta = timedelta(seconds=10)  # how long measured times are reused
    # customers see ETAs in minutes: rewriting every waiting ticket because the clock moved on
    # would lock rows the intake is updating and change nothing anyone reads
    eta_tolerance: timedelta = timedelta(seconds=30)
    eta_tolerance_share: float = 0.1  # … or this share of the wait still ahead, if more
    _measured: dict[str, tuple[datetime, tuple[float, float, dict[str, float]]]] = field(
        default_factory=dict, repr=False
    )

    # -- hooks the ticket use cases call inside their unit of work ------------------------
    def ticket_created(self, uow: UnitOfWork, ticket: Ticket) -> None:
        """A new, triaged ticket: route it (in queue order with its group's backlog) and give it
        its first ETA; the rest of the queue's ETAs are refreshed after commit."""
        self.dispatch(uow, {ticket.group}, reason="routed on arrival")
        store: RoutingStore = uow.routing
        now = utcnow()
        load, rates = self._group_load(
            store,
            ticket.group,
            store.candidates(),
            ticket.group in store.in_house_only_groups(),
            now,
        )
        if ticket.assignee_id is not None:
            seconds = round(load.response_seconds)
        else:
            ahead = store.ahead_in_queue(
                ticket.stored_id, ticket.group, ticket.priority, ticket.created_at
            )
            seconds = eta_model.first_response_eta(
                ahead, load, self.eta, eta_model.overtake_rate(ticket.priority, rates)
            )
        ticket.eta_seconds = _from_creation(ticket.created_at, now, seconds)

    def ticket_changed(
        self, uow: UnitOfWork, ticket: Ticket, before_assignee: int | None, before_group: str
    ) -> None:
        """After a solve/close, an unassignment or a group change: refill freed capacity."""
        groups = {ticket.group, before_group}
        if before_assignee is not None and (
            ticket.status in RELEASING or ticket.assignee_id != before_assignee
        ):
            freed = uow.agents.get(before_assignee)
            if freed is not None:
                groups |= set(freed.groups)
        avoid = {}
        if ticket.assignee_id is None and before_assignee is not None:
            avoid[ticket.stored_id] = before_assignee
        self.dispatch(uow, groups, reason="capacity freed", avoid=avoid)

    def presence_changed(self, uow: UnitOfWork, agent: Agent) -> None:
        """An agent came online (offer them the queue) or left (hand back untouched tickets)."""
        assert agent.id is not None
        groups = set(agent.groups)
        if not (agent.online and agent.active):
            reason = f"{agent.name or 'the agent'} went offline; back to the queue"
            for ticket_id in rules.returns_to_queue(uow.routing.held_by(agent.id)):
                ticket: Ticket = uow.tickets.get(ticket_id)
                ticket.assign(None, ROUTER, reason)
                groups.add(ticket.group)
            self.dispatch(uow, groups, reason="re-routed: the previous agent went offline")
        else:
            self.dispatch(uow, groups, reason="offered when the agent came online")

    # -- the work ------------------------------------------------------------------------
    def dispatch(
        self,
        uow: UnitOfWork,
        groups: Iterable[str],
        reason: str,
        avoid: Mapping[int, int] | None = None,
    ) -> list[rules.Assignment]:
        """Assign what can be assigned in these groups' queues (queue ETAs are refreshed after
        commit by `QueueEtaRefresher`, off the request path)."""
        groups = set(groups)
        store: RoutingStore = uow.routing
        candidates = store.candidates()
        if not any(c.online and c.load < c.capacity and c.groups & groups for c in candidates):
            return []  # nobody can take work: skip reading the queue
        now = utcnow()
        planned = rules.plan(
            store.waiting(groups), candidates, store.in_house_only_groups(), now, avoid=avoid
        )
        for assignment in planned:
            ticket: Ticket = uow.tickets.get(assignment.ticket_id)
            ticket.assign(assignment.agent_id, ROUTER, reason)
            store.mark_assigned(assignment.agent_id, now)
        return planned

    def pull(self, uow: UnitOfWork, agent_id: int) -> int | None:
        """The agent takes the head of their groups' queues; None when nothing waits."""
        with uow:
            agent: Agent | None = uow.agents.get(agent_id)
            if agent is None or not agent.active:
                raise Forbidden("unknown or inactive agent")
            if not agent.online:
                raise Conflict("go online before taking tickets", code="agent_offline")
            store: RoutingStore = uow.routing
            me = store.candidates(agent_id)[0]
            head = rules.pick_next(me, store.waiting(agent.groups), store.in_house_only_groups())
            if head is None:
                return None
            ticket: Ticket = uow.tickets.get(head.ticket_id)
            actor = Actor(type="agent", id=agent.id, name=agent.name)
            ticket.assign(agent_id, actor, "pulled from the queue (next ticket)")
            now = utcnow()
            store.mark_assigned(agent_id, now)
            uow.commit()
            return head.ticket_id

    def refresh_etas(
        self,
        uow: UnitOfWork,
        groups: Collection[str],
        assigned: Collection[int] = (),
        now: datetime | None = None,
        head: int | None = None,
        start: int = 0,
    ) -> int:
        """Recompute and store the ETA of every unanswered waiting ticket of these groups (with
        `head`, of the `head` tickets in each queue from queue position `start` on), and of
        tickets just assigned (now only their agent's first reply is to come); returns how many
        waiting tickets were read.

        Stored ETAs count from the ticket's creation: `created_at + eta_seconds` is when the
        first human reply is expected.
        """
        now = now or utcnow()
        store: RoutingStore = uow.routing
        candidates = store.candidates()
        in_house = store.in_house_only_groups()
        waiting = store.waiting(groups, head=head, start=start)
        uow.tickets.prefetch(assigned)  # one read for all of them
        just_assigned: list[Ticket] = [uow.tickets.get(i) for i in assigned]
        loads = {
            group: self._group_load(store, group, candidates, group in in_house, now)
            for group in set(groups) | {t.group for t in just_assigned}
        }
        queues: dict[str, list[rules.Waiting]] = {group: [] for group in groups}
        for w in rules.ordered(waiting):
            queues[w.group].append(w)
        etas: dict[int, int] = {}
        still_ahead: dict[int, int] = {}
        for group, queue in queues.items():
            load, rates = loads[group]
            ahead = eta_model.queue_etas(
                [(w.ticket_id, w.priority) for w in queue], load, self.eta, rates, start
            )
            for w in queue:
                if not w.answered:
                    etas[w.ticket_id] = _from_creation(w.created_at, now, ahead[w.ticket_id])
                    still_ahead[w.ticket_id] = ahead[w.ticket_id]
        for ticket in just_assigned:
            if ticket.first_response_at is None:
                reply = round(loads[ticket.group][0].response_seconds)
                etas[ticket.stored_id] = _from_creation(ticket.created_at, now, reply)
                still_ahead[ticket.stored_id] = reply
        stored = {w.ticket_id: w.eta_seconds for w in waiting}
        stored.update({t.stored_id: t.eta_seconds for t in just_assigned})
        moved = eta_model.moved_etas(
            etas,
            stored,
            int(self.eta_tolerance.total_seconds()),
            still_ahead=still_ahead,
            share=self.eta_tolerance_share,
        )
        store.set_etas(moved)
        return len(waiting)

    def _group_load(
        self,
        store: RoutingStore,
        group: str,
        candidates: list[rules.Candidate],
        in_house_only: bool,
        now: datetime,
    ) -> tuple[eta_model.GroupLoad, dict[str, float]]:
        """Slots from the agents as they are now; measured times and arrival rates as cached."""
        slots, free = rules.group_slots(group, candidates, in_house_only)
        response, handle, rates = self._measurements(store, group, now)
        load = eta_model.GroupLoad(
            slots=slots, free_slots=free, response_seconds=response, handle_seconds=handle
        )
        return load, rates

    def _measurements(
        self, store: RoutingStore, group: str, now: datetime
    ) -> tuple[float, float, dict[str, float]]:
        """Typical reply and handling seconds and arrival rates by priority, measured at most
        every `load_ttl`: they move slowly, and every new ticket and queue refresh needs them."""
        cached = self._measured.get(group)
        if cached is not None and now - cached[0] < self.load_ttl:
            return cached[1]
        responses, holds = store.durations(group, now - self.history)
        window = self.arrival_window.total_seconds()
        counts = store.arrivals(group, now - self.arrival_window)
        measured = (
            eta_model.typical_seconds(
                responses, self.eta.default_response_seconds, self.eta.min_samples
            ),
            eta_model.typical_seconds(holds, self.eta.default_handle_seconds, self.eta.min_samples),
            {p: n / window for p, n in counts.items()},
        )
        self._measured[group] = (now, measured)
        return measured

    def overview(self, store: RoutingStore, groups: Iterable[str]) -> list[QueueSummary]:
        """Per group: who waits (by priority), who is online, and the ETA of a new ticket."""
        now = utcnow()
        candidates = store.candidates()
        waiting = store.waiting()
        in_house = store.in_house_only_groups()
        out = []
        for key in groups:
            in_house_only = key in in_house
            load, rates = self._group_load(store, key, candidates, in_house_only, now)
            mine = [w for w in waiting if w.group == key]
            by_priority = {p.value: sum(1 for w in mine if w.priority == p) for p in Priority}
            eta_by_priority = {
                p.value: eta_model.first_response_eta(
                    sum(1 for w in mine if rules.priority_rank(w.priority) <= p.rank),
                    load,
                    self.eta,
                    eta_model.overtake_rate(p.value, rates),
                )
                for p in Priority
            }
            online = [c for c in candidates if c.online and c.may_work_in(key, in_house_only)]
            out.append(
                QueueSummary(
                    group=key,
                    in_house_only=in_house_only,
                    waiting=by_priority,
                    agents_online=len(online),
                    slots=load.slots,
                    free_slots=load.free_slots,
                    response_seconds=load.response_seconds,
                    eta_seconds=eta_by_priority[Priority.P3.value],
                    eta_by_priority=eta_by_priority,
                )
            )
        return out


# Events that move a queue; the refresher recomputes the ETAs of the affected group.
QUEUE_EVENTS = ("ticket.created", "ticket.status_changed", "ticket.field_changed")
QUEUE_FIELDS = {"assignee_id", "group", "priority"}


@dataclass
class QueueEtaRefresher:
    """Keeps waiting tickets' ETAs current as the queue moves, off the request path: events
    mark their group dirty, and `flush` (every `interval` seconds in servers) recomputes each
    dirty group once, however many tickets arrived meanwhile. ETAs are derived data, so a
    crash between the two loses nothing that the next event does not repair.

    A long queue is refreshed in two speeds: its first `head` tickets at every flush, the rest
    (its tail) at most every `tail_interval` seconds, `tail_budget` tickets per flush over all
    groups, in queue order, each group's pass going on where the last flush left it. Far back
    in a queue, the wait is hours long and a few seconds' delay in its ETA is no news; reading
    and recomputing thousands of tickets in one go held the interpreter for a third of a second
    at 10,000 waiting, and every request of that server process waited behind it.
    """

    uow_factory: Callable[[], UnitOfWork]
    routing: Routing
    interval: float = 2.0
    head: int = 100
    tail_interval: float = 30.0
    tail_budget: int = 1000
    clock: Callable[[], float] = time.monotonic
    _dirty: set[str] = field(default_factory=set, repr=False)  # groups named by the events
    _touched: set[int] = field(default_factory=set, repr=False)  # tickets whose group to look up
    _assigned: set[int] = field(default_factory=set, repr=False)
    _stale_tails: set[str] = field(default_factory=set, repr=False)
    _tail_refreshed: dict[str, float] = field(default_factory=dict, repr=False)
    _tail_from: dict[str, int] = field(default_factory=dict, repr=False)  # passes under way
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def on_event(self, envelope: Envelope) -> None:
        """Only remembers the ticket: `flush` looks up all their groups in one read."""
        payload = envelope.payload
        field_name = payload.get("field")
        if envelope.name == "ticket.field_changed" and field_name not in QUEUE_FIELDS:
            return
        with self._lock:
            self._touched.add(int(payload["ticket_id"]))
            if field_name == "group" and payload.get("old"):
                self._dirty.add(str(payload["old"]))
            if field_name == "assignee_id" and payload.get("new") is not None:
                self._assigned.add(int(payload["ticket_id"]))

    def flush(self) -> set[str]:
        """Recompute the heads of every dirty group and the next stretch of the tails that are
        due; returns the groups refreshed."""
        with self._lock:
            groups, touched, assigned = self._dirty, self._touched, self._assigned
            self._dirty, self._touched, self._assigned = set(), set(), set()
        now = self.clock()
        due = {g for g in self._stale_tails if self._tail_due(g, now)} | set(self._tail_from)
        if not (groups or touched or due):
            return set()
        with self.uow_factory() as uow:
            groups |= uow.routing.groups_of(touched)
            due |= {g for g in groups if self._tail_due(g, now)}
            if groups:
                self.routing.refresh_etas(uow, groups, assigned=sorted(assigned), head=self.head)
            tails = self._refresh_tails(uow, due, now)
            uow.commit()
        finished = {g for g in tails if g not in self._tail_from}
        self._stale_tails = (self._stale_tails | groups) - finished
        return groups | tails

    def _tail_due(self, group: str, now: float) -> bool:
        return now - self._tail_refreshed.get(group, -math.inf) >= self.tail_interval

    def _refresh_tails(self, uow: UnitOfWork, due: set[str], now: float) -> set[str]:
        """Go on with the due tails' passes within the budget: passes under way first, then
        the tails refreshed longest ago. Returns the groups whose tails were read."""
        budget, refreshed = self.tail_budget, set()

        def urgency(group: str) -> tuple[bool, float]:
            return group not in self._tail_from, self._tail_refreshed.get(group, -math.inf)

        for group in sorted(due, key=urgency):
            if budget <= 0:
                break
            start = self._tail_from.pop(group, self.head)
            read = self.routing.refresh_etas(uow, {group}, head=budget, start=start)
            refreshed.add(group)
            if read < budget:  # the pass reached the end of the queue
                self._tail_refreshed[group] = now
            else:
                self._tail_from[group] = start + read
            budget -= read
        return refreshed

    def start(self) -> None:
        if self._thread is not None:
            return

        def run() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.flush()
                except Exception:  # a database hiccup must not stop the refresher
                    log.exception("routing.eta_refresh_failed")

        self._thread = threading.Thread(target=run, name="eta-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def subscriptions(self) -> dict[str, list[Callable[[Envelope], None]]]:
        return {name: [self.on_event] for name in QUEUE_EVENTS}


def _from_creation(created_at: datetime, now: datetime, seconds_from_now: int) -> int:
    elapsed = max((now - created_at).total_seconds(), 0.0)
    return round(elapsed) + seconds_from_now


# -- use cases with their own unit of work -------------------------------------------------
def next_ticket(uow: UnitOfWork, agent_id: int, router: Routing | None = None) -> int | None:
    """Assign the head of the agent's queues to them; the ticket id, or None if none waits.

    Two agents pulling at once may pick the same head; the loser retries with the next.
    """
    router = router or Routing()
    for attempt in range(PULL_ATTEMPTS):
        try:
            return router.pull(uow, agent_id)
        except StaleVersion:
            if attempt == PULL_ATTEMPTS - 1:
                raise
    return None


def set_agent_online(
    uow: UnitOfWork, agent_id: int, online: bool, router: Routing | None = None
) -> None:
    """Presence: coming online offers the queue; going offline hands back untouched tickets."""
    router = router or Routing()
    with uow:
        agent: Agent | None = uow.agents.get(agent_id)
        if agent is None:
            raise NotFound(f"agent {agent_id} not found")
        if agent.online == online:
            return
        agent.online = online
        router.presence_changed(uow, agent)
        uow.commit()
