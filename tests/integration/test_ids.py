"""Ids taken before the INSERT: each table's own, and never one a plain INSERT gets later."""

from __future__ import annotations

from sqlalchemy import select

from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App
from consigndesk.domain.events import utcnow
from consigndesk.domain.people import Customer
from consigndesk.domain.tickets import Ticket
from tests.statements import statements


def test_ids_of_several_tables_come_in_one_round_trip_and_never_collide(core: App) -> None:
    with core.uow() as uow:
        uow.customers.prefetch(["c-0", "c-1", "c-2"])  # three new customers expected
        uow.expect_new(tickets=2)
        with statements(core.database.engine) as sent:
            customers = [uow.customers.add(Customer(external_id=f"c-{n}")) for n in range(3)]
            ticket_ids = [
                uow.tickets.add(
                    Ticket(customer_id=customers[0].stored_id, channel="api", subject="s")
                ).id
                for _ in range(2)
            ]
        uow.commit()
    customer_ids = [c.id for c in customers]
    # PostgreSQL: one query for both tables; SQLite reads each table's largest id once
    assert sum(sent.values()) == (2 if core.database.is_sqlite else 1)
    for ids in (customer_ids, ticket_ids):
        assert all(isinstance(i, int) for i in ids)
        assert ids == sorted(set(ids))  # distinct and in order

    with core.database.write_sessions.begin() as session:  # ids from the table's own default
        later = session.execute(
            tables.customers.insert()
            .values(
                external_id="c-later",
                role="buyer",
                tier="regular",
                language="zh",
                **{"created_at": utcnow(), "updated_at": utcnow()},
            )
            .returning(tables.customers.c.id)
        ).scalar_one()
    assert later > max(customer_ids)
    with core.database.read_sessions() as session:
        stored = session.scalars(select(tables.customers.c.id).order_by(tables.customers.c.id))
        assert list(stored) == [*customer_ids, later]
