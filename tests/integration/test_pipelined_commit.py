"""A unit of work's commit: on PostgreSQL its writes and the COMMIT go out as one pipeline, and
what a pipeline leaves behind (a failure, a connection back in the pool) is what a plain commit
would leave."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import pq
from sqlalchemy import Engine, event
from sqlalchemy.exc import IntegrityError

from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App
from consigndesk.domain.errors import StaleVersion
from consigndesk.domain.events import Actor
from consigndesk.domain.people import Customer
from consigndesk.domain.tickets import Message, Ticket
from tests.integration.test_intake import count, delivered_again, message


@contextmanager
def pipelined_statements(engine: Engine) -> Iterator[dict[str, list[bool]]]:
    """For each kind of statement (its first word, lower case), whether each was sent inside a
    pipeline."""
    seen: dict[str, list[bool]] = {}

    def note(conn, _cursor, statement: str, *_args) -> None:
        driver = conn.connection.driver_connection
        on = driver.pgconn.pipeline_status != pq.PipelineStatus.OFF
        seen.setdefault(statement.split()[0].lower(), []).append(on)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def requires_postgres(core: App) -> None:
    if core.database.is_sqlite:
        pytest.skip("SQLite has no pipeline: there each statement is sent as it comes")


def test_a_group_of_new_tickets_writes_everything_in_one_pipeline_and_commits(core: App) -> None:
    requires_postgres(core)
    with pipelined_statements(core.database.engine) as seen:
        received = core.tickets.receive_customer_messages(
            core.uow(), [message("b1"), message("b2"), message("b1")]
        )
    assert seen["insert"] and all(seen["insert"])  # customers, tickets, messages, outbox, ...
    assert not any(seen["select"]) and not any(seen.get("with", []))  # reads wait for rows
    assert count(core, tables.tickets) == 3 and count(core, tables.customers) == 2
    with core.database.engine.connect() as connection:  # a pooled one, as the commit left it
        driver = connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        assert driver.pgconn.pipeline_status == pq.PipelineStatus.OFF
        assert driver.info.transaction_status == pq.TransactionStatus.IDLE
        assert not driver.autocommit
    assert len({r.ticket_id for r in received}) == 3


def test_a_reply_group_flushes_its_ticket_changes_outside_the_pipeline(core: App) -> None:
    """The ORM checks the row count of a changed ticket's UPDATE (its version), which a
    pipeline would only report after the fact: that UPDATE goes alone, the rest together."""
    requires_postgres(core)
    first = core.tickets.receive_customer_message(core.uow(), message("b1"))
    with pipelined_statements(core.database.engine) as seen:
        reply, new = core.tickets.receive_customer_messages(
            core.uow(), [message("b1", ticket_id=first.ticket_id), message("b2")]
        )
    assert reply.ticket_id == first.ticket_id and new.created
    assert seen["update"] and not any(seen["update"])
    assert seen["insert"] and all(seen["insert"])
    assert count(core, tables.tickets) == 2


def test_a_write_that_fails_in_the_pipeline_stores_nothing_and_leaves_the_connection_clean(
    core: App,
) -> None:
    """The duplicate is found when the pipeline's results come back: still SQLAlchemy's
    IntegrityError, nothing of the unit of work is stored, and its connection is out of the
    transaction and of pipeline mode, ready for the next unit of work."""
    first = core.tickets.receive_customer_message(core.uow(), message("b1", external_id="<x@mail>"))
    customers, tickets = count(core, tables.customers), count(core, tables.tickets)
    with core.uow() as uow:
        customer = uow.customers.add(Customer(external_id="new-one", name="李娜"))
        ticket = uow.tickets.add(Ticket(customer_id=customer.stored_id, channel="api", subject="s"))
        uow.tickets.add_message(
            Message(ticket_id=ticket.stored_id, author_type="customer", channel="email", body="b")
        )
        uow.tickets.add_message(delivered_again(first.ticket_id, "<x@mail>"))
        driver = uow.session.connection().connection.driver_connection
        with pytest.raises(IntegrityError):
            uow.commit()
    if not core.database.is_sqlite:  # rolled back when the unit of work closed
        assert driver.pgconn.pipeline_status == pq.PipelineStatus.OFF
        assert driver.info.transaction_status == pq.TransactionStatus.IDLE
    assert (count(core, tables.customers), count(core, tables.tickets)) == (customers, tickets)
    again = core.tickets.receive_customer_message(core.uow(), message("b2"))
    assert again.created and count(core, tables.tickets) == tickets + 1


def test_a_group_with_a_stale_ticket_stores_nothing_at_all(core: App) -> None:
    """The changed ticket's version check fails after the group's new rows were sent: the
    COMMIT must not have gone out with them."""
    if core.database.is_sqlite:
        pytest.skip("SQLite write transactions are serialized (BEGIN IMMEDIATE): no interleaving")
    stored = core.tickets.receive_customer_message(core.uow(), message("b1"))
    actor = Actor(type="system", name="test")
    tickets = count(core, tables.tickets)
    with core.uow() as late, core.uow() as early:
        ticket = late.tickets.get(stored.ticket_id)
        early.tickets.get(stored.ticket_id).set_priority("P1", actor)
        early.commit()
        ticket.set_priority("P4", actor)
        customer = late.customers.add(Customer(external_id="new-one", name="李娜"))
        late.tickets.add(Ticket(customer_id=customer.stored_id, channel="api", subject="s"))
        with pytest.raises(StaleVersion):
            late.commit()
    assert count(core, tables.tickets) == tickets
    assert count(core, tables.customers) == 1
