"""Ids taken up front and new rows written once, at commit (ADR 0011), on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

from sqlalchemy import func, select

from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App
from consigndesk.domain.attachments import Upload
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.domain.events import utcnow
from consigndesk.domain.people import Customer
from consigndesk.domain.tickets import Ticket
from tests.statements import statements


def message(
    customer: str, body: str = "我的快递到哪了？", channel: str = "api", **kw
) -> ReceiveCustomerMessage:
    return ReceiveCustomerMessage(
        customer=CustomerData(external_id=customer, role="buyer"), channel=channel, body=body, **kw
    )


def test_a_group_of_new_tickets_is_inserted_once_per_table(core: App) -> None:
    core.tickets.receive_customer_messages(core.uow(), [message("earlier")])  # one waits already
    with statements(core.database.engine) as seen:
        received = core.tickets.receive_customer_messages(
            core.uow(), [message(f"g{i}", "The card code does not work") for i in range(12)]
        )
    assert seen["insert into tickets"] == 1
    assert seen["insert into customers"] == 1
    assert seen["insert into messages"] == 1  # each customer's message and its receipt
    assert not [s for s in seen if s.startswith("update tickets")]
    with core.database.read_sessions() as session:
        stored = session.execute(
            select(tables.tickets.c.id, tables.tickets.c.intent, tables.tickets.c.eta_seconds)
        ).all()
    by_id = {row.id: row for row in stored}
    for r in received:  # written in its final state: triaged and given an ETA
        assert by_id[r.ticket_id].intent == r.ticket.intent
        assert by_id[r.ticket_id].eta_seconds == r.ticket.eta_seconds is not None


def test_measuring_a_queue_midway_writes_nothing_early(core: App) -> None:
    """Nothing was routed yet, so routing the group's first ticket measures its queue's response
    times and arrivals; those reads of stored history must not flush the rows added so far."""
    batch = [message(f"c{i}", body) for i, body in enumerate(["我的快递到哪了？", "退款呢"] * 3)]
    with statements(core.database.engine) as seen:
        core.tickets.receive_customer_messages(core.uow(), batch)
    for table in ("customers", "tickets", "messages"):
        assert seen[f"insert into {table}"] == 1, table


def test_attachments_are_inserted_with_their_ticket_in_one_statement(core: App) -> None:
    pdf = b"%PDF-1.4\n" + b"0" * 500
    with statements(core.database.engine) as seen:
        received = core.tickets.receive_customer_messages(
            core.uow(),
            [
                message(f"a{i}", attachments=[Upload(filename=f"单据{i}.pdf", data=pdf)])
                for i in range(3)
            ],
        )
    assert seen["insert into attachments"] == 1
    assert not [s for s in seen if s.startswith("update attachments")]
    m = tables.messages.c
    with core.database.read_sessions() as session:
        owner = dict(
            session.execute(select(tables.attachments.c.id, tables.attachments.c.ticket_id)).all()
        )
        sent = session.execute(
            select(m.ticket_id, m.attachments).where(m.id.in_([r.message_id for r in received]))
        ).all()
    assert len(owner) == len(sent) == 3
    for ticket_id, attachments in sent:  # each file belongs to the ticket its message is on
        assert [owner[a["id"]] for a in attachments] == [ticket_id]


def test_taken_ids_are_distinct_across_transactions_and_threads(core: App) -> None:
    start = Barrier(4)

    def open_tickets(worker: int) -> list[int]:
        start.wait()
        return [
            r.ticket_id
            for r in core.tickets.receive_customer_messages(
                core.uow(), [message(f"w{worker}-{i}") for i in range(5)]
            )
        ]

    with ThreadPoolExecutor(4) as pool:
        ids = [i for chunk in pool.map(open_tickets, range(4)) for i in chunk]
    assert len(set(ids)) == 20
    with core.database.read_sessions() as session:
        assert session.execute(select(func.count()).select_from(tables.tickets)).scalar_one() == 20


def test_a_core_read_sees_rows_added_earlier_in_the_unit_of_work(core: App) -> None:
    with core.uow() as uow:
        customer = uow.customers.add(Customer(external_id="c1", role="buyer"))
        ticket = uow.tickets.add(Ticket(customer_id=customer.stored_id, channel="api", subject="s"))
        found = uow.session.execute(
            select(tables.tickets.c.subject).where(tables.tickets.c.id == ticket.stored_id)
        ).scalar_one()
        assert found == "s"
        uow.commit()


def test_repeat_contacts_count_tickets_not_yet_written(core: App) -> None:
    """Another ticket of the same customer added earlier in the same group is counted, though
    the count's query does not flush it."""
    core.tickets.receive_customer_messages(core.uow(), [message("r1")])
    since = utcnow() - timedelta(hours=1)
    with core.uow() as uow:
        customer = uow.customers.by_external_id("r1")
        first = uow.tickets.add(Ticket(customer_id=customer.id, channel="api", subject="a"))
        second = uow.tickets.add(Ticket(customer_id=customer.id, channel="api", subject="b"))
        assert uow.tickets.count_other_recent(customer.id, since, excluding=second.id) == 2
        assert uow.tickets.count_other_recent(customer.id, since, excluding=first.id) == 2
        assert uow.tickets.count_other_recent(customer.id, utcnow(), excluding=first.id) == 0


def test_idempotency_keys_are_written_with_the_commit(core: App) -> None:
    """Keys point at tickets, so they go in after them; a key repeated within the group is
    already a replay of the first use."""

    def keyed(customer: str, key: str) -> ReceiveCustomerMessage:
        body = "The card code does not work"
        return message(customer, body, idempotency_key=key, request_hash=f"hash-{key}")

    core.tickets.receive_customer_messages(core.uow(), [message("earlier")])
    with statements(core.database.engine) as seen:
        received = core.tickets.receive_customer_messages(
            core.uow(), [keyed("k1", "a"), keyed("k2", "b"), keyed("k1", "a")]
        )
    assert seen["insert into tickets"] == 1
    assert seen["insert into idempotency_keys"] == 1
    assert not [s for s in seen if s.startswith("update tickets")]
    assert [r.duplicate for r in received] == [False, False, True]
    assert received[2].ticket_id == received[0].ticket_id
    again = core.tickets.receive_customer_messages(core.uow(), [keyed("k2", "b")])
    assert again[0].duplicate and again[0].ticket_id == received[1].ticket_id


def test_a_group_of_replies_reads_each_kind_once(core: App) -> None:
    """Chat and mail replies: tickets, answer records and repeat-contact counts are read once
    per group, whatever its size, and the messages are inserted together."""

    def reply(customer: str, ticket_id: int) -> ReceiveCustomerMessage:
        return message(customer, "退款什么时候到账？", channel="chat", ticket_id=ticket_id)

    selects = []
    for size in (3, 9):
        names = [f"s{size}-{i}" for i in range(size)]
        opened = core.tickets.receive_customer_messages(core.uow(), [message(n) for n in names])
        with statements(core.database.engine) as seen:
            core.tickets.receive_customer_messages(
                core.uow(), [reply(n, r.ticket_id) for n, r in zip(names, opened, strict=True)]
            )
        assert seen["insert into messages"] == 1
        selects.append(sum(k for s, k in seen.items() if s.startswith("select")))
    assert selects[0] == selects[1]


def test_the_prefetched_repeat_count_matches_a_fresh_count(core: App) -> None:
    first, second = (
        core.tickets.receive_customer_messages(core.uow(), [message("rc")])[0] for _ in range(2)
    )
    since = utcnow() - timedelta(hours=72)
    with core.uow() as uow:
        customer = uow.customers.by_external_id("rc")
        fresh = uow.tickets.count_other_recent(customer.id, since, excluding=first.ticket_id)
    with core.uow() as uow:
        customer = uow.customers.by_external_id("rc")
        uow.tickets.prefetch_recent_counts([customer.id], since)
        uow.tickets.get(first.ticket_id)
        read_ahead = uow.tickets.count_other_recent(customer.id, since, excluding=first.ticket_id)
        added = uow.tickets.add(Ticket(customer_id=customer.id, channel="api", subject="c"))
        with_new = uow.tickets.count_other_recent(customer.id, since, excluding=added.stored_id)
    assert fresh == read_ahead == 1  # the other one
    assert with_new == 2  # both stored ones
    assert second.ticket_id != first.ticket_id
