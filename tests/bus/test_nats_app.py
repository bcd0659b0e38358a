"""The whole journey on NATS: commit → outbox → relay → JetStream → receipt reaction, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from consigndesk.adapters.bus.nats import NatsBus
from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.services.admin import ensure_default_groups
from tests.bus.conftest import NatsServer, wait_until

RECEIPT_CONSUMER = "ticket_created-Reactions_acknowledge_receipt"
STREAM = "CONSIGNDESK_EVENTS"


@pytest.fixture
def apps(nats_server: NatsServer, database_url: str) -> Iterator[list[App]]:
    """Up to two server "processes" on one database and one NATS, closed afterwards."""
    made: list[App] = []

    def settings() -> Settings:
        return Settings(database_url=database_url, bus_url=nats_server.url, relay_interval=0.2)

    made.append(build(settings()))
    ensure_default_groups(made[0].uow())
    made.append(build(settings(), run_migrations=False))
    yield made
    for app in made:
        app.close()


def receive(app: App, body: str = "我的快递到哪了？") -> int:
    command = ReceiveCustomerMessage(
        customer=CustomerData(external_id="b1", role="buyer", name="张伟"),
        channel="api",
        body=body,
    )
    return app.tickets.receive_customer_message(app.uow(), command).ticket_id


def system_messages(app: App, ticket_id: int) -> int:
    with app.database.read_sessions() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(tables.messages)
                .where(
                    tables.messages.c.ticket_id == ticket_id,
                    tables.messages.c.author_type == "system",
                )
            ).scalar_one()
        )


def test_drained_events_reach_the_receipt_reaction_through_jetstream(
    apps: list[App], nats_server: NatsServer
) -> None:
    app = apps[0]
    assert isinstance(app.bus, NatsBus)
    app.bus.start()  # consumers only; the relay is driven by hand
    ticket_id = receive(app)
    assert system_messages(app, ticket_id) == 0
    assert app.relay.drain() >= 1
    wait_until(lambda: system_messages(app, ticket_id) >= 1)
    wait_until(lambda: nats_server.settled(STREAM, RECEIPT_CONSUMER))
    assert system_messages(app, ticket_id) == 1


def test_two_servers_on_one_database_and_bus_write_the_receipt_once(
    apps: list[App], nats_server: NatsServer
) -> None:
    for app in apps:
        app.start_background()
    tickets = [receive(apps[n % 2], f"订单 {n} 还没发货") for n in range(6)]
    wait_until(lambda: all(system_messages(apps[0], t) >= 1 for t in tickets))
    wait_until(lambda: nats_server.settled(STREAM, RECEIPT_CONSUMER))
    assert [system_messages(apps[0], t) for t in tickets] == [1] * len(tickets)


def test_the_relay_keeps_events_while_nats_is_down(
    apps: list[App], nats_server: NatsServer
) -> None:
    app = apps[0]
    nats_server.stop()
    ticket_id = receive(app)
    assert app.relay.drain() == 0
    with app.database.read_sessions() as session:
        rows = session.execute(select(tables.outbox.c.published_at, tables.outbox.c.attempts))
        # an outage is not the events' fault: no delivery attempt is used up
        assert {(published, attempts) for published, attempts in rows} == {(None, 0)}
    for _ in range(15):  # more rounds than MAX_ATTEMPTS: the rows must stay deliverable
        app.relay.drain()
    nats_server.start()
    bus = app.bus
    assert isinstance(bus, NatsBus)
    bus.start()  # keeps trying to connect in the background
    wait_until(lambda: bus.connected)
    assert app.relay.drain() >= 1
    wait_until(lambda: system_messages(app, ticket_id) == 1)
