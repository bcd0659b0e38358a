"""Group commit of inbound messages against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.domain.errors import InvalidInput
from consigndesk.domain.events import Actor
from consigndesk.domain.tickets import Message, Ticket
from consigndesk.domain.triage import PlaceholderTriage
from consigndesk.services import admin
from consigndesk.services.intake import Intake
from consigndesk.services.platform_events import apply_platform_event
from consigndesk.services.routing import set_agent_online
from consigndesk.services.tickets import Received
from tests.factories import event, order_created
from tests.statements import statements


def message(customer: str, body: str = "我的快递到哪了？", **kw) -> ReceiveCustomerMessage:
    return ReceiveCustomerMessage(
        customer=CustomerData(external_id=customer, role="buyer"), channel="api", body=body, **kw
    )


def delivered_again(ticket_id: int, external_id: str) -> Message:
    """A mail already stored, as a second process would add it again."""
    return Message(
        ticket_id=ticket_id,
        author_type="customer",
        channel="email",
        body="the same mail, delivered twice",
        external_id=external_id,
    )


def count(core: App, table) -> int:
    with core.database.read_sessions() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def settle(intake: Intake, commands: list[ReceiveCustomerMessage]) -> list[Future[Received]]:
    futures: list[Future[Received]] = [Future() for _ in commands]
    intake.process(list(zip(commands, futures, strict=True)))
    return futures


def test_a_group_stores_every_message_with_its_own_ticket_and_timeline(core: App) -> None:
    received = core.tickets.receive_customer_messages(
        core.uow(), [message("b1"), message("b2", "The card code does not work"), message("b1")]
    )
    assert [r.created for r in received] == [True, True, True]
    assert len({r.ticket_id for r in received}) == 3
    assert [r.ticket.reference for r in received] == [f"CD-{r.ticket_id:06d}" for r in received]
    assert count(core, tables.customers) == 2
    with core.database.read_sessions() as session:
        per_ticket = dict(
            session.execute(
                select(tables.timeline.c.ticket_id, func.count())
                .where(tables.timeline.c.action == "ticket.created")
                .group_by(tables.timeline.c.ticket_id)
            ).all()
        )
    assert per_ticket == {r.ticket_id: 1 for r in received}


def test_one_faulty_message_fails_alone_and_leaves_nothing_behind(core: App) -> None:
    futures = settle(
        core.intake,
        [message("b1"), message("b2", order_ref="JS99999999999999"), message("b3")],
    )
    assert futures[0].result().created and futures[2].result().created
    with pytest.raises(InvalidInput, match="JS99999999999999"):
        futures[1].result()
    assert count(core, tables.tickets) == 2
    assert count(core, tables.messages) == 4  # each stored ticket: the message and its receipt
    assert count(core, tables.customers) == 2  # b2 was not stored either


def test_a_retry_inside_the_same_group_returns_the_first_ticket(core: App) -> None:
    first, retry = settle(
        core.intake,
        [
            message("b1", idempotency_key="k1", request_hash="h1"),
            message("b1", idempotency_key="k1", request_hash="h1"),
        ],
    )
    assert retry.result().duplicate and retry.result().ticket_id == first.result().ticket_id
    assert count(core, tables.tickets) == 1


def test_concurrent_callers_each_get_their_own_committed_ticket(core: App) -> None:
    with ThreadPoolExecutor(8) as pool:
        received = list(pool.map(core.intake.receive, [message(f"c{i}") for i in range(24)]))
    assert len({r.ticket_id for r in received}) == 24
    assert count(core, tables.tickets) == 24


@contextmanager
def writes_held(core: App) -> Iterator[None]:
    """Hold off every ticket insert until the block ends (a long transaction elsewhere)."""
    with core.database.engine.begin() as conn:  # on SQLite: BEGIN IMMEDIATE, the write lock
        if not core.database.is_sqlite:
            conn.execute(text("LOCK TABLE tickets IN EXCLUSIVE MODE"))
        yield


def test_under_load_the_writer_gathers_messages_that_arrive_close_together(core: App) -> None:
    """After a group of several, the writer waits for the queue to be quiet for `lull` before
    it commits the next group, so a burst the event loop hands over one by one is one group."""
    intake = Intake(core.tickets, core.uow, lull=1.0, linger=5.0)
    try:
        with writes_held(core):  # the first message blocks the writer; the rest queue up
            queued = [intake.submit(message(f"c{i}")) for i in range(4)]
        assert all(f.result(timeout=30).created for f in queued)  # now busy: groups of several
        with statements(core.database.engine) as seen:
            close_together = [intake.submit(message("d1"))]
            time.sleep(0.05)  # well inside the lull
            close_together.append(intake.submit(message("d2")))
            assert all(f.result(timeout=30).created for f in close_together)
        assert seen["insert into tickets"] == 1  # one group, one insert of both
    finally:
        intake.stop()


def test_routing_in_a_group_counts_the_tickets_it_just_assigned(core: App) -> None:
    """Agents' loads are read once per transaction: assignments made in it must still count."""
    core.tickets.triage = PlaceholderTriage()  # every ticket general / P3
    agent_id = admin.create_agent(
        core.uow(),
        email="solo@example.com",
        name="solo",
        password="long-password",
        groups=["general"],
        capacity=2,
    )
    set_agent_online(core.uow(), agent_id, True)
    received = core.tickets.receive_customer_messages(
        core.uow(), [message(f"c{i}") for i in range(4)]
    )
    assert [r.ticket.assignee_id for r in received] == [agent_id, agent_id, None, None]


def online_agents(core: App, count: int, capacity: int) -> list[int]:
    agents = [
        admin.create_agent(
            core.uow(),
            email=f"a{n}@example.com",
            name=f"a{n}",
            password="long-password",
            groups=["general"],
            capacity=capacity,
        )
        for n in range(count)
    ]
    for agent_id in agents:
        set_agent_online(core.uow(), agent_id, True)
    return agents


def test_a_group_routed_on_arrival_writes_each_table_once(core: App) -> None:
    """With agents free to take work, routing each new ticket of a group reads the queue once
    and writes nothing early: one INSERT per table, no UPDATE of a ticket after its INSERT, and
    the agents' assignment times in one UPDATE at the commit."""
    core.tickets.triage = PlaceholderTriage()  # every ticket general / P3
    agents = online_agents(core, 2, capacity=3)
    with statements(core.database.engine) as seen:
        received = core.tickets.receive_customer_messages(
            core.uow(), [message(f"c{i}") for i in range(8)]
        )
    assignees = [r.ticket.assignee_id for r in received]
    assert sorted(a for a in assignees if a) == sorted(agents * 3) and assignees[6:] == [None] * 2
    assert seen["insert into tickets"] == 1 and seen["insert into messages"] == 1
    assert seen["update tickets set"] == 0
    assert seen["update agents set"] == 1
    assert seen['select tickets.id, tickets."group",'] == 1  # the stored queue, read once
    with core.database.read_sessions() as session:
        stamped = session.scalars(
            select(tables.agents.c.last_assigned_at).where(tables.agents.c.id.in_(agents))
        ).all()
    assert len(stamped) == 2 and all(stamped)


def test_a_ticket_stored_waiting_is_served_before_the_new_ones_of_a_group(core: App) -> None:
    """The queue routing plans over is the stored waiting tickets and the group's new ones as
    they stand in memory, in queue order: the older ticket gets the one free agent."""
    core.tickets.triage = PlaceholderTriage()
    (agent,) = online_agents(core, 1, capacity=1)
    older = core.tickets.receive_customer_message(core.uow(), message("c0")).ticket
    with core.uow() as uow:  # back to the queue without routing, as if the agent just freed up
        uow.tickets.get(older.stored_id).assign(None, Actor.system(), "test: back to queue")
        uow.commit()
    received = core.tickets.receive_customer_messages(core.uow(), [message("c1"), message("c2")])
    assert [r.ticket.assignee_id for r in received] == [None, None]
    with core.database.read_sessions() as session:
        holder = session.scalar(
            select(tables.tickets.c.id).where(tables.tickets.c.assignee_id == agent)
        )
    assert holder == older.stored_id


def test_queue_positions_read_once_per_transaction_match_the_queue(core: App) -> None:
    """New tickets of one transaction get their place from one count per group, kept current:
    each must equal the waiting tickets of a more urgent priority plus the older ones of its own."""
    core.tickets.triage = PlaceholderTriage()  # general / P3, and nobody is online
    customer = core.tickets.receive_customer_message(core.uow(), message("b1")).ticket.customer_id
    waiting = ["P3"]
    with core.uow() as uow:
        for priority in ["P2", "P3", "P4", "P3"]:
            older = Ticket(customer_id=customer, channel="api", subject="older")
            older.priority = priority
            uow.tickets.add(older)
            waiting.append(priority)
        uow.commit()
    with core.uow() as uow:
        for priority in ["P3", "P1", "P4", "P3", "P2"]:
            new = Ticket(customer_id=customer, channel="api", subject="new")
            new.priority = priority
            uow.tickets.add(new)
            expected = sum(p <= priority for p in waiting)
            assert (
                uow.routing.ahead_in_queue(new.stored_id, "general", priority, new.created_at)
                == expected
            ), priority
            waiting.append(priority)


def test_the_database_stores_a_channel_message_id_once(core: App) -> None:
    """Two processes racing on one mail or chat message: the loser's transaction fails (and the
    intake's retry then finds the stored message) instead of storing it twice."""
    first = core.tickets.receive_customer_message(core.uow(), message("b1", external_id="<x@m>"))
    with core.uow() as uow, pytest.raises(IntegrityError):
        uow.tickets.add_message(delivered_again(first.ticket_id, "<x@m>"))
        uow.commit()
    again = core.intake.receive(message("b1", external_id="<x@m>"))
    assert again.duplicate and again.ticket_id == first.ticket_id


def test_a_group_reads_the_latest_open_order_of_each_customer_at_once(core: App) -> None:
    """Buyer or seller, newest first, never a closed order — for every customer of the group."""
    events = [
        order_created("JS20261120000001", buyer="b1", seller="s1", minutes=0),
        order_created("JS20261120000002", buyer="b2", seller="b1", minutes=10),  # b1 sells it
        order_created("JS20261120000003", buyer="b2", seller="s1", minutes=20),
        event("c3", "order.cancelled", 30, order_ref="JS20261120000003", reason="changed mind"),
        order_created("JS20261120000004", buyer="s2", seller="s9", minutes=40),
    ]
    for e in events:
        apply_platform_event(core.uow(), e)
    asking = [message(c, "where is my order?") for c in ("b1", "b2", "s1", "nobody")]
    naming = message("s2", "JS20261120000004 还没发货")  # named in the text: its view is read
    with statements(core.database.engine) as seen:
        received = core.tickets.receive_customer_messages(core.uow(), [*asking, naming])
    assert [r.ticket.order_ref for r in received] == [
        "JS20261120000002",  # newer than the one b1 bought
        "JS20261120000002",  # JS…0003 was cancelled
        "JS20261120000001",
        None,
        "JS20261120000004",
    ]
    assert [r.ticket.order_link for r in received] == ["recent_open"] * 3 + ["none", "text"]
    assert sum(n for s, n in seen.items() if "orders" in s or s.startswith("select cast")) == 1


def test_loads_and_queues_follow_tickets_changed_in_the_same_transaction(core: App) -> None:
    """Counts are read once; a ticket loaded and changed afterwards, and a new one, are counted
    as they stand when routing asks, without another read."""
    core.tickets.triage = PlaceholderTriage()  # general / P3, and nobody is online
    core.queue_lengths.max_age = 0  # no sharing across units of work here: see the next test
    agent_id = admin.create_agent(
        core.uow(), email="a@example.com", name="a", password="long-password", groups=["general"]
    )
    waiting_id = core.tickets.receive_customer_message(core.uow(), message("w")).ticket_id
    with core.uow() as uow:
        uow.tickets.get(waiting_id).change_status("pending", Actor.system("test"))
        uow.commit()
    with statements(core.database.engine) as seen, core.uow() as uow:
        [me] = uow.routing.candidates(agent_id)
        assert me.load == 0
        reopened = uow.tickets.get(waiting_id)  # the customer wrote again: back in the queue
        reopened.change_status("open", Actor.system("test"))
        new = uow.tickets.add(Ticket(customer_id=reopened.customer_id, channel="api", subject="n"))
        assert uow.routing.ahead_in_queue(new.stored_id, "general", "P3", new.created_at) == 1
        reopened.assign(agent_id, Actor.system("test"))
        assert uow.routing.ahead_in_queue(new.stored_id, "general", "P3", new.created_at) == 0
        assert uow.routing.candidates(agent_id)[0].load == 1
        new.change_status("solved", Actor.system("test"))
        assert uow.routing.ahead_in_queue(new.stored_id, "general", "P3", new.created_at) == 0
    assert seen["select agents.id, agents.groups,"] == 1  # agents with their loads
    assert seen['select tickets."group", tickets.priority,'] == 1  # queue lengths


def test_queue_lengths_are_shared_by_a_process_and_follow_its_commits(core: App) -> None:
    """The backlog is counted at most every `max_age` seconds; in between, each commit adds its
    own changes, so the next ticket's place in line is right without another count."""
    core.tickets.triage = PlaceholderTriage()  # general / P3, and nobody is online
    clock = [0.0]
    core.queue_lengths.clock = lambda: clock[0]
    first = core.tickets.receive_customer_message(core.uow(), message("c1")).ticket_id

    def place_of_a_new_ticket() -> int:
        with core.uow() as uow:
            new = uow.tickets.add(Ticket(customer_id=1, channel="api", subject="n"))
            return uow.routing.ahead_in_queue(new.stored_id, "general", "P3", new.created_at)

    with statements(core.database.engine) as seen:
        second = core.tickets.receive_customer_message(core.uow(), message("c2")).ticket_id
        assert place_of_a_new_ticket() == 2
        with core.uow() as uow:
            uow.tickets.get(first).change_status("pending", Actor.system("test"))
            uow.commit()
        assert place_of_a_new_ticket() == 1
    assert seen['select tickets."group", tickets.priority,'] == 0  # counted once, before
    with core.database.write_sessions.begin() as session:  # as if another process took it
        session.execute(
            tables.tickets.update().where(tables.tickets.c.id == second).values(status="solved")
        )
    assert place_of_a_new_ticket() == 1  # not seen yet
    clock[0] += core.queue_lengths.max_age
    with statements(core.database.engine) as seen:
        assert place_of_a_new_ticket() == 0
    assert seen['select tickets."group", tickets.priority,'] == 1
