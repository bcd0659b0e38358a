"""`insert_rows`: what goes in comes back, whichever way the database is written to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, Text, cast, select
from sqlalchemy.exc import IntegrityError, StatementError

from consigndesk.adapters.db import tables
from consigndesk.adapters.db.bulk import insert_pending, insert_rows
from consigndesk.adapters.db.engine import JSON_DUMPS
from consigndesk.adapters.db.uow import WRITTEN_IN_BULK
from consigndesk.bootstrap import App
from consigndesk.domain.people import Customer
from consigndesk.domain.tickets import Message, Ticket
from tests.statements import statements

OUTBOX_ROW = {"event_id": "e", "name": "n", "payload": {}, "occurred_at": datetime.now(UTC)}
AWKWARD = "tab\there, new\nline, back\\slash, quote ' and \" , 中文 🙂, \\N, end"


def test_rows_come_back_exactly_as_given(core: App) -> None:
    at = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)
    rows = [
        {
            "event_id": f"e-{n}",
            "name": AWKWARD if n == 0 else "ticket.created",
            "payload": {"text": AWKWARD, "nested": [1, None, {"k": "值"}], "n": n},
            "occurred_at": at,
            "attempts": n,
            "last_error": None if n else AWKWARD,
        }
        for n in range(3)
    ]
    with core.uow() as uow:
        insert_rows(uow.session, tables.outbox, rows)
        insert_rows(uow.session, tables.outbox, [])  # nothing to write: no statement
        uow.session.commit()
    columns = [tables.outbox.c[name] for name in rows[0]]
    with core.database.read_sessions() as session:
        stored = session.execute(select(*columns).order_by(tables.outbox.c.seq)).mappings().all()
        texts = session.scalars(
            select(cast(tables.outbox.c.payload, Text)).order_by(tables.outbox.c.seq)
        ).all()
    assert [dict(row) for row in stored] == rows
    assert texts == [JSON_DUMPS(row["payload"]) for row in rows]  # as the serializer wrote it


def test_timestamps_and_json_are_stored_as_an_insert_stores_them(core: App) -> None:
    """Whatever the zone a timestamp is given in, the same instant (to the microsecond) comes
    back in UTC; a JSON column given None holds a JSON null, as after an INSERT."""
    shanghai = timezone(timedelta(hours=8))
    given = datetime(2026, 11, 25, 23, 59, 59, 999999, tzinfo=shanghai)
    at = datetime(2026, 11, 25, 15, 59, 59, 999999, tzinfo=UTC)

    def row(ticket_id: int) -> dict[str, object]:
        return {
            "ticket_id": ticket_id,
            "event_id": f"e{ticket_id}",
            "action": "a",
            "actor_type": "system",
            "actor_id": None,
            "actor_name": "",
            "detail": None,
            "reason": "",
            "at": given,
        }

    with core.uow() as uow:
        customer = uow.customers.add(Customer(external_id="c", name="王伟"))
        tickets = [
            uow.tickets.add(Ticket(customer_id=customer.stored_id, channel="api", subject="s"))
            for _ in range(2)
        ]
        uow.session.flush()
        insert_rows(uow.session, tables.timeline, [row(tickets[0].stored_id)])
        uow.session.execute(tables.timeline.insert(), [row(tickets[1].stored_id)])
        uow.session.commit()
    with core.database.read_sessions() as session:
        stored = session.execute(
            select(
                tables.timeline.c.at, tables.timeline.c.detail, cast(tables.timeline.c.detail, Text)
            ).order_by(tables.timeline.c.id)
        ).all()
    assert [tuple(r) for r in stored] == [(at, None, "null")] * 2
    assert stored[0].at.tzinfo == UTC
    naive = {**OUTBOX_ROW, "occurred_at": at.replace(tzinfo=None)}
    with core.uow() as uow, pytest.raises((ValueError, StatementError), match="naive"):
        insert_rows(uow.session, tables.outbox, [naive])


def test_defaults_are_filled_in_and_rows_follow_the_transaction(core: App) -> None:
    def row(event_id: str) -> dict[str, object]:  # no `attempts`: its column default is 0
        return {"event_id": event_id, "name": "n", "payload": {}, "occurred_at": datetime.now(UTC)}

    with core.uow() as uow:
        insert_rows(uow.session, tables.outbox, [row("kept")])
        uow.session.commit()
    with core.uow() as uow:
        insert_rows(uow.session, tables.outbox, [row("rolled back")])
        uow.rollback()
    with core.database.read_sessions() as session:
        stored = session.execute(select(tables.outbox.c.event_id, tables.outbox.c.attempts))
        assert [tuple(r) for r in stored] == [("kept", 0)]


def test_timestamps_inside_json_are_stored_as_iso_text(core: App) -> None:
    at = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)
    row = {"event_id": "e", "name": "n", "payload": {"due": at, "at": [at]}, "occurred_at": at}
    with core.uow() as uow:
        insert_rows(uow.session, tables.outbox, [row])
        uow.session.commit()
    with core.database.read_sessions() as session:
        stored = session.scalar(select(tables.outbox.c.payload))
    assert stored == {"due": at.isoformat(), "at": [at.isoformat()]}


def test_a_column_json_cannot_carry_is_refused_before_anything_is_sent(core: App) -> None:
    if core.database.is_sqlite:
        pytest.skip("SQLite inserts with an executemany, which converts every column type")
    files = Table("files", MetaData(), Column("id", Integer), Column("data", LargeBinary))
    with (
        core.uow() as uow,
        statements(core.database.engine) as seen,
        pytest.raises(TypeError, match=r"files\.data"),
    ):
        insert_rows(uow.session, files, [{"id": 1, "data": b"%PDF"}])
    assert not seen


def test_a_duplicate_key_is_an_integrity_error(core: App) -> None:
    """As for an INSERT, so callers (the HTTP layer's 409, the intake's retry) recognise it."""
    row = {"event_id": "twice", "name": "n", "payload": {}, "occurred_at": datetime.now(UTC)}
    with core.uow() as uow, pytest.raises(IntegrityError):
        insert_rows(uow.session, tables.outbox, [row, row])


def test_new_objects_are_written_a_table_at_a_time_and_stay_in_the_session(core: App) -> None:
    with core.uow() as uow, statements(core.database.engine) as seen:
        customers = [
            uow.customers.add(Customer(external_id=f"c{n}", name="王伟")) for n in range(3)
        ]
        tickets = [
            uow.tickets.add(Ticket(customer_id=c.stored_id, channel="api", subject=AWKWARD))
            for c in customers
        ]
        for t in tickets:
            uow.tickets.add_message(
                Message(ticket_id=t.stored_id, author_type="customer", channel="api", body=AWKWARD)
            )
        insert_pending(uow.session, WRITTEN_IN_BULK)
        assert not uow.session.new
        assert all(t in uow.session for t in tickets)  # persistent: later changes are updates
        tickets[0].priority = "P1"
        uow.session.flush()
        uow.session.commit()
    assert [seen[f"insert into {t}"] for t in ("customers", "tickets", "messages")] == [1, 1, 1]
    assert seen["update tickets set"] == 1
    with core.database.read_sessions() as session:
        stored = session.execute(
            select(
                tables.tickets.c.subject, tables.tickets.c.priority, tables.tickets.c.version
            ).order_by(tables.tickets.c.id)
        ).all()
        bodies = session.scalars(select(tables.messages.c.body)).all()
    assert [tuple(r) for r in stored] == [
        (AWKWARD, "P1", 2),
        (AWKWARD, "P3", 1),
        (AWKWARD, "P3", 1),
    ]
    assert bodies == [AWKWARD] * 3


def test_objects_written_in_bulk_leave_the_session_when_the_transaction_rolls_back(
    core: App,
) -> None:
    """As after a flush: rows that were never committed have no objects in the identity map
    that a later read in the same session could take for stored ones."""
    with core.uow() as uow:
        customer = uow.customers.add(Customer(external_id="gone", name="李娜"))
        insert_pending(uow.session, WRITTEN_IN_BULK)
        assert customer in uow.session
        uow.session.rollback()
        assert customer not in uow.session
        assert uow.session.get(Customer, customer.id) is None
    with core.database.read_sessions() as session:
        assert session.scalar(select(tables.customers.c.id)) is None


def test_an_object_missing_a_column_is_left_to_the_flush_with_its_children(core: App) -> None:
    """Its column defaults then apply, as they would for any INSERT the ORM sends, and the flush
    writes its ticket after it."""
    with core.uow() as uow:
        customer = uow.customers.add(Customer(external_id="no-name"))
        del customer.name  # never set: the column's default ("") applies
        ticket = uow.tickets.add(Ticket(customer_id=customer.stored_id, channel="api", subject="s"))
        insert_pending(uow.session, WRITTEN_IN_BULK)
        assert {customer, ticket} <= set(uow.session.new)
        uow.commit()
    with core.database.read_sessions() as session:
        assert session.scalar(select(tables.customers.c.name)) == ""
        assert session.scalar(select(tables.tickets.c.customer_id)) == customer.id
