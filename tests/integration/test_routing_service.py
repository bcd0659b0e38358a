"""Routing, queues and ETAs against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from consigndesk.adapters.db import queries, tables
from consigndesk.adapters.db.routing import RoutingRepository
from consigndesk.bootstrap import App
from consigndesk.domain.commands import (
    AddAgentMessage,
    CustomerData,
    ReceiveCustomerMessage,
    UpdateTicket,
)
from consigndesk.domain.errors import Conflict
from consigndesk.domain.events import Actor
from consigndesk.domain.triage import PlaceholderTriage
from consigndesk.services import admin
from consigndesk.services.routing import next_ticket, set_agent_online
from tests.bus.conftest import wait_until
from tests.conftest import someone_waits_on_a_lock
from tests.statements import index_plan, statements

SYSTEM = Actor(type="system", name="test")


@pytest.fixture(autouse=True)
def fixed_triage(core: App) -> None:
    """Routing starts where triage ends: pin triage so every ticket is general / P3."""
    core.tickets.triage = PlaceholderTriage()


def agent(
    core: App,
    email: str,
    groups: list[str],
    *,
    online: bool = True,
    team: str = "in_house",
    capacity: int = 10,
    vip: bool = False,
) -> int:
    agent_id = admin.create_agent(
        core.uow(),
        email=email,
        name=email.split("@")[0],
        password="long-password",
        team=team,
        groups=groups,
        capacity=capacity,
        vip=vip,
    )
    if online:
        set_agent_online(core.uow(), agent_id, True)
    return agent_id


def receive(core: App, customer: str = "b1", tier: str | None = None) -> int:
    cmd = ReceiveCustomerMessage(
        customer=CustomerData(external_id=customer, role="buyer", tier=tier),
        channel="api",
        body="我的快递到哪了？",
    )
    return core.tickets.receive_customer_message(core.uow(), cmd).ticket_id


def detail(core: App, ticket_id: int) -> dict:
    with core.database.read_sessions() as session:
        found = queries.ticket_detail(session, ticket_id)
    assert found is not None
    return found


def move(core: App, ticket_id: int, **changes) -> None:
    core.tickets.update_ticket(
        core.uow(), UpdateTicket(ticket_id=ticket_id, actor=SYSTEM, **changes)
    )


def age(core: App, ticket_id: int, minutes: int) -> None:
    """Make a ticket older (the queue is oldest first within a priority)."""
    with core.database.write_sessions.begin() as session:
        created = session.execute(
            select(tables.tickets.c.created_at).where(tables.tickets.c.id == ticket_id)
        ).scalar_one()
        session.execute(
            update(tables.tickets)
            .where(tables.tickets.c.id == ticket_id)
            .values(created_at=created - timedelta(minutes=minutes))
        )


def assignments(ticket: dict) -> list[dict]:
    return [
        e
        for e in ticket["timeline"]
        if e["action"] == "ticket.field_changed" and e["detail"]["field"] == "assignee_id"
    ]


def test_new_ticket_goes_to_the_least_loaded_online_agent_of_its_group(core: App) -> None:
    busy = agent(core, "busy@x.cn", ["general"])
    idle = agent(core, "idle@x.cn", ["general"])
    agent(core, "away@x.cn", ["general"], online=False)
    agent(core, "other@x.cn", ["logistics"])
    first = receive(core, "c1")
    assert detail(core, first)["assignee_id"] == busy  # equal loads: lowest id first
    second = receive(core, "c2")
    ticket = detail(core, second)
    assert ticket["assignee_id"] == idle
    assert ticket["status"] == "open"
    rows = assignments(ticket)
    assert len(rows) == 1
    assert rows[0]["actor_name"] == "router" and rows[0]["detail"]["new"] == idle
    assert rows[0]["reason"] == "routed on arrival"
    # no history yet: the default reply time, counted from creation (plus the second or so the
    # unit of work may take between creating the ticket and routing it on a busy machine)
    assert 600 <= ticket["eta_seconds"] <= 602


def test_with_nobody_online_the_ticket_waits_unassigned_with_an_eta(core: App) -> None:
    agent(core, "away@x.cn", ["general"], online=False)
    first = receive(core, "c1")
    second = receive(core, "c2")
    a, b = detail(core, first), detail(core, second)
    assert (a["assignee_id"], a["status"]) == (None, "new")
    assert a["eta_seconds"] is not None and a["eta_seconds"] > 600
    assert b["eta_seconds"] >= a["eta_seconds"]  # behind it in the queue
    assert assignments(a) == []
    versions_before = a["version"]
    receive(core, "c3")  # refreshes ETAs of the group without touching versions
    assert detail(core, first)["version"] == versions_before


def test_next_ticket_pulls_a_p1_before_an_older_p3(core: App) -> None:
    me = agent(core, "li@x.cn", ["general"], online=False)
    older_p3 = receive(core, "c1")
    age(core, older_p3, 60)
    p1 = receive(core, "c2")
    move(core, p1, priority="P1")
    set_agent_online(core.uow(), me, True)  # coming online takes the queue, up to capacity
    assert detail(core, p1)["assignee_id"] == me
    assert detail(core, older_p3)["assignee_id"] == me

    admin.update_agent(core.uow(), me, {"capacity": 0})  # now only pulls work
    p3 = receive(core, "c3")
    age(core, p3, 60)
    urgent = receive(core, "c4")
    move(core, urgent, priority="P1")
    assert next_ticket(core.uow(), me) == urgent
    assert next_ticket(core.uow(), me) == p3
    assert next_ticket(core.uow(), me) is None
    pulled = assignments(detail(core, urgent))[-1]
    assert (pulled["actor_type"], pulled["actor_id"]) == ("agent", me)


def test_an_offline_agent_cannot_pull(core: App) -> None:
    me = agent(core, "li@x.cn", ["general"], online=False)
    with pytest.raises(Conflict):
        next_ticket(core.uow(), me)


def test_outsourced_agents_never_get_finance(core: App) -> None:
    outsourced = agent(core, "o@x.cn", ["general", "logistics"], team="outsourced")
    ticket_id = receive(core)
    assert detail(core, ticket_id)["assignee_id"] == outsourced
    move(core, ticket_id, unassign=True, group="finance")
    assert detail(core, ticket_id)["assignee_id"] is None
    assert next_ticket(core.uow(), outsourced) is None
    inside = agent(core, "in@x.cn", ["finance"])
    assert detail(core, ticket_id)["assignee_id"] == inside


def test_vip_customers_go_to_vip_agents_first(core: App) -> None:
    agent(core, "plain@x.cn", ["general"])
    vip_agent = agent(core, "vip@x.cn", ["general"], vip=True)
    plain_ticket = receive(core, "c1")  # equal loads: the lower id, the plain agent
    assert detail(core, plain_ticket)["assignee_id"] != vip_agent
    vip_ticket = receive(core, "v1", tier="vip")
    assert detail(core, vip_ticket)["assignee_id"] == vip_agent
    another_vip = receive(core, "v2", tier="vip")  # the VIP agent is busier, still preferred
    assert detail(core, another_vip)["assignee_id"] == vip_agent


def test_going_offline_returns_untouched_tickets_and_reroutes_them(core: App) -> None:
    leaving = agent(core, "leaving@x.cn", ["general"])
    untouched = receive(core, "c1")
    answered = receive(core, "c2")
    assert {detail(core, t)["assignee_id"] for t in (untouched, answered)} == {leaving}
    core.tickets.add_agent_message(
        core.uow(), AddAgentMessage(ticket_id=answered, agent_id=leaving, body="您好")
    )
    staying = agent(core, "staying@x.cn", ["general"], capacity=0)  # full: cannot take it yet
    admin.update_agent(core.uow(), leaving, {"online": False})
    back = detail(core, untouched)
    assert back["assignee_id"] is None
    assert back["eta_seconds"] is not None
    returned = assignments(back)[-1]
    assert returned["detail"]["new"] is None
    assert "went offline" in returned["reason"]
    assert detail(core, answered)["assignee_id"] == leaving  # the conversation stays
    admin.update_agent(core.uow(), staying, {"capacity": 5})
    assert detail(core, untouched)["assignee_id"] == staying

    set_agent_online(core.uow(), leaving, True)
    other = agent(core, "third@x.cn", ["general"], online=False)
    fresh = receive(core, "c3")
    assert detail(core, fresh)["assignee_id"] in {staying, leaving}
    set_agent_online(core.uow(), other, True)
    holder = detail(core, fresh)["assignee_id"]
    set_agent_online(core.uow(), holder, False)
    assert detail(core, fresh)["assignee_id"] not in {holder, None}


def test_solving_a_ticket_offers_the_queue_to_its_agent(core: App) -> None:
    me = agent(core, "li@x.cn", ["general"], capacity=1)
    mine = receive(core, "c1")
    waiting = receive(core, "c2")
    assert detail(core, mine)["assignee_id"] == me
    assert detail(core, waiting)["assignee_id"] is None
    core.tickets.add_agent_message(
        core.uow(),
        AddAgentMessage(ticket_id=mine, agent_id=me, body="已处理", new_status="solved"),
    )
    taken = detail(core, waiting)
    assert taken["assignee_id"] == me
    assert assignments(taken)[-1]["reason"] == "capacity freed"


def test_unassigning_does_not_hand_the_ticket_straight_back(core: App) -> None:
    first = agent(core, "a@x.cn", ["general"])
    second = agent(core, "b@x.cn", ["general"])
    ticket_id = receive(core)
    assert detail(core, ticket_id)["assignee_id"] == first
    move(core, ticket_id, unassign=True, reason="not mine")
    assert detail(core, ticket_id)["assignee_id"] == second


def test_a_new_tickets_eta_sees_agents_as_they_are_now(core: App) -> None:
    """Measured times are reused for a few seconds; who is online and how busy is not."""
    nobody_online = detail(core, receive(core, "c1"))["eta_seconds"]
    agent(core, "li@x.cn", ["general"], capacity=1)  # comes online and takes c1's ticket
    behind_a_busy_agent = detail(core, receive(core, "c2"))
    assert behind_a_busy_agent["assignee_id"] is None
    # one slot, busy: it frees after the default 30-minute handling, then the 10-minute reply
    assert 2400 <= behind_a_busy_agent["eta_seconds"] <= 2402 < nobody_online


def test_eta_uses_measured_reply_times_of_the_group(core: App) -> None:
    assert core.tickets.router is not None
    core.tickets.router.load_ttl = timedelta(0)  # measure afresh for every ticket here
    me = agent(core, "li@x.cn", ["general"])
    answered = []
    for i in range(5):
        ticket_id = receive(core, f"c{i}")
        core.tickets.add_agent_message(
            core.uow(), AddAgentMessage(ticket_id=ticket_id, agent_id=me, body="您好")
        )
        answered.append(ticket_id)
    fresh = detail(core, receive(core, "c9"))
    assert fresh["assignee_id"] == me
    # replies came within seconds of assignment here, far below the 10-minute default
    assert fresh["eta_seconds"] < 60


def test_waiting_tickets_etas_shrink_when_the_queue_moves(core: App) -> None:
    me = agent(core, "li@x.cn", ["general"], capacity=1)
    busy = receive(core, "c0")
    first, second = receive(core, "c1"), receive(core, "c2")
    assert detail(core, busy)["assignee_id"] == me
    assert detail(core, first)["assignee_id"] is None
    core.relay.drain()
    assert core.queue_etas is not None
    core.queue_etas.flush()
    before = detail(core, second)["eta_seconds"]
    core.tickets.update_ticket(
        core.uow(), UpdateTicket(ticket_id=busy, actor=Actor.system("t"), status="solved")
    )
    assert detail(core, first)["assignee_id"] == me  # capacity freed: the head moves on
    core.relay.drain()
    assert "general" in core.queue_etas.flush()
    assert detail(core, second)["eta_seconds"] < before  # one ticket fewer ahead of it
    assert core.queue_etas.flush() == set()  # nothing moved since


def test_the_refresher_writes_only_etas_a_customer_could_notice(core: App) -> None:
    """It runs every few seconds: an ETA that moved by less than the tolerance stays stored."""
    ticket_id = receive(core, "c0")
    stored, group = detail(core, ticket_id)["eta_seconds"], detail(core, ticket_id)["group"]
    core.tickets.router.eta_tolerance = timedelta(hours=1)
    with core.uow() as uow:
        uow.routing.set_etas({ticket_id: stored + 600})  # as if the queue had moved 10 minutes
        uow.commit()
    with core.uow() as uow:
        core.tickets.router.refresh_etas(uow, {group})
        uow.commit()
    assert detail(core, ticket_id)["eta_seconds"] == stored + 600  # within the hour: kept
    core.tickets.router.eta_tolerance = timedelta(seconds=30)
    with core.uow() as uow:
        core.tickets.router.refresh_etas(uow, {group})
        uow.commit()
    assert abs(detail(core, ticket_id)["eta_seconds"] - stored) <= 30  # recomputed and written


def test_two_processes_refreshing_the_same_queue_cannot_deadlock(core: App) -> None:
    """Every server process refreshes the queues it hears of; ETA writes lock tickets in id
    order, so one refresh waits for the other instead of each holding what the other needs."""
    if core.database.is_sqlite:
        pytest.skip("SQLite write transactions are serialized (BEGIN IMMEDIATE): no interleaving")
    first, second = receive(core, "c0"), receive(core, "c1")

    def refresh_elsewhere() -> None:
        with core.uow() as uow:
            uow.routing.set_etas({second: 200, first: 100})  # blocks on `first`, held below
            uow.commit()

    with ThreadPoolExecutor(1) as pool, core.uow() as uow:
        uow.routing.set_etas({first: 10})
        other = pool.submit(refresh_elsewhere)
        wait_until(lambda: someone_waits_on_a_lock(core))
        uow.routing.set_etas({second: 20})  # free: the other has not locked it before `first`
        uow.commit()
        other.result()
    assert (detail(core, first)["eta_seconds"], detail(core, second)["eta_seconds"]) == (100, 200)


def test_etas_of_many_tickets_are_one_write_whatever_their_number(core: App) -> None:
    """An ETA refresh writes hundreds of rows under load. On PostgreSQL the ids and ETAs are
    array parameters: the same two statements (lock in id order, then update) for any number
    of tickets, and one statement text for the groups of any number of tickets."""
    tickets = [receive(core, f"c{i}") for i in range(5)]
    move(core, tickets[4], group="finance")
    sent: list[str] = []

    def keep(_conn, _cursor, statement: str, *_args) -> None:
        sent.append(statement)

    for n in (1, 3, 5):
        event.listen(core.database.engine, "before_cursor_execute", keep)
        try:
            with core.uow() as uow:
                uow.routing.set_etas({t: 1000 * n + i for i, t in enumerate(tickets[:n])})
                groups = uow.routing.groups_of(tickets[:n])
                uow.commit()
        finally:
            event.remove(core.database.engine, "before_cursor_execute", keep)
        assert groups == ({"general", "finance"} if n == 5 else {"general"})
        etas = [detail(core, t)["eta_seconds"] for t in tickets[:n]]
        assert etas == [1000 * n + i for i in range(n)]
    if not core.database.is_sqlite:
        assert len(sent) == 3 * 3 and len(set(sent)) == 3


def test_the_queue_head_is_read_in_queue_order(core: App) -> None:
    oldest, newer, urgent = (receive(core, f"c{i}") for i in range(3))
    age(core, oldest, 30)
    move(core, urgent, priority="P1")
    move(core, receive(core, "x"), group="finance")
    with core.uow() as uow:
        head = uow.routing.waiting({"general", "finance"}, head=2)
        everything = uow.routing.waiting({"general"})
    assert sorted(w.ticket_id for w in head if w.group == "general") == sorted([urgent, oldest])
    assert len([w for w in head if w.group == "finance"]) == 1
    assert {w.ticket_id for w in everything} == {oldest, newer, urgent}


def test_a_long_queue_has_its_head_refreshed_at_once_and_its_tail_later(core: App) -> None:
    """Every flush recomputes the first `head` tickets of a dirty queue; the whole queue only
    every `tail_interval` seconds (far back, a few seconds' delay is no news)."""
    refresher = core.queue_etas
    assert refresher is not None
    clock = [1000.0]
    refresher.clock, refresher.head, refresher.tail_interval = (lambda: clock[0]), 1, 30.0
    first, last = receive(core, "c0"), receive(core, "c1")
    core.relay.drain()
    assert refresher.flush() == {"general"}  # first time: the whole queue
    right = {t: detail(core, t)["eta_seconds"] for t in (first, last)}
    with core.uow() as uow:  # both ETAs go wrong by ten hours
        uow.routing.set_etas({t: eta + 36_000 for t, eta in right.items()})
        uow.commit()
    receive(core, "c2")  # the queue moves
    core.relay.drain()
    clock[0] += 2
    assert refresher.flush() == {"general"}
    assert abs(detail(core, first)["eta_seconds"] - right[first]) <= 30  # the head: recomputed
    assert detail(core, last)["eta_seconds"] == right[last] + 36_000  # the tail: not yet
    clock[0] += 2
    assert refresher.flush() == set()  # nothing new, and the tail is not due
    clock[0] += 30
    assert refresher.flush() == {"general"}  # no new event, but the tail fell due
    assert abs(detail(core, last)["eta_seconds"] - right[last]) <= 30
    assert refresher.flush() == set()


def test_a_long_tail_is_refreshed_a_stretch_per_flush(core: App) -> None:
    """A flush recomputes at most `tail_budget` tickets of the tails, going on where the last
    flush stopped, so no flush holds the process for long however long the queue."""
    refresher = core.queue_etas
    assert refresher is not None
    clock = [1000.0]
    refresher.clock, refresher.head, refresher.tail_budget = (lambda: clock[0]), 1, 1
    tickets = [receive(core, f"c{i}") for i in range(4)]
    core.relay.drain()  # the refresher hears of them: the queue is dirty
    with core.uow() as uow:
        core.tickets.router.refresh_etas(uow, {"general"})
        right = {w.ticket_id: w.eta_seconds for w in uow.routing.waiting({"general"})}
        uow.routing.set_etas({t: eta + 36_000 for t, eta in right.items()})  # all wrong
        uow.commit()

    def fixed() -> list[bool]:
        return [abs(detail(core, t)["eta_seconds"] - right[t]) <= 30 for t in tickets]

    assert refresher.flush() == {"general"}  # the head and the first ticket of the tail
    assert fixed() == [True, True, False, False]
    clock[0] += 2
    assert refresher.flush() == {"general"}  # nothing new: the pass goes on
    assert fixed() == [True, True, True, False]
    assert refresher.flush() == {"general"}
    assert fixed() == [True, True, True, True]
    assert refresher.flush() == {"general"}  # finds the end of the queue
    assert refresher.flush() == set()  # and is done until the tail is due again


def test_agents_loads_are_counted_from_the_held_tickets_index(core: App) -> None:
    """Loads are counted with every group of new tickets: the count must not read the backlog."""
    if core.database.is_sqlite:
        pytest.skip("the plan is PostgreSQL's (SQLite has the same partial index)")
    li = agent(core, "li@x.cn", ["general"], capacity=1)
    assert detail(core, receive(core, "c1"))["assignee_id"] == li
    assert detail(core, receive(core, "c2"))["assignee_id"] is None  # li is full: it waits
    with core.database.read_sessions() as session:
        routing = RoutingRepository(session)
        plan = index_plan(core.database.engine, session, routing.candidates, "count(*)")
        assert "ix_tickets_held" in plan
        assert {c.agent_id: c.load for c in RoutingRepository(session).candidates()} == {li: 1}


def test_the_stored_queue_is_read_once_for_every_group_an_available_agent_works_in(
    core: App,
) -> None:
    """Routing a group of new tickets asks for each ticket's group in turn: the first read
    brings the waiting tickets of every group routing may plan over in this unit of work."""
    li = agent(core, "li@x.cn", ["general", "logistics"], online=False)
    general = receive(core, "c1")
    logistics = receive(core, "c2")
    move(core, logistics, group="logistics")
    with core.uow() as uow, statements(core.database.engine) as seen:
        uow.agents.get(li).online = True  # as this unit of work sees it: available
        assert [w.ticket_id for w in uow.routing.waiting({"general"})] == [general]
        assert [w.ticket_id for w in uow.routing.waiting({"logistics"})] == [logistics]
        reads = seen['select tickets.id, tickets."group",']
        assert [w.ticket_id for w in uow.routing.waiting()] == [general, logistics]
    assert reads == 1
    assert seen['select tickets.id, tickets."group",'] == 2  # all groups: read once more


def test_an_eta_refresh_reads_the_tickets_just_assigned_at_once(core: App) -> None:
    agent(core, "li@x.cn", ["general"])
    assigned = [receive(core, f"c{n}") for n in range(3)]
    with core.uow() as uow, statements(core.database.engine) as seen:
        core.tickets.router.refresh_etas(uow, {"general"}, assigned=assigned)
    assert seen["select tickets.id, tickets.customer_id,"] == 1
