"""The whole journey on NATS: commit → outbox → relay → JetStream → a work reaction, once.

The observable reaction is `learn_from_correction`: each agent correction of a ticket's intent
(one `ticket.field_changed` event) becomes exactly one training example."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from consigndesk.adapters.bus.nats import NatsBus
from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.services.admin import create_agent, ensure_default_groups
from tests.bus.conftest import NatsServer, wait_until
from tests.corrections import correct_intent, examples, receive

CORRECTION_CONSUMER = "ticket_field_changed-Reactions_learn_from_correction"
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


@pytest.fixture
def agent_id(apps: list[App]) -> int:
    return create_agent(
        apps[0].uow(), email="li@x.cn", name="李娜", password="long-password", groups=["logistics"]
    )


def test_drained_events_reach_the_correction_reaction_through_jetstream(
    apps: list[App], agent_id: int, nats_server: NatsServer
) -> None:
    app = apps[0]
    assert isinstance(app.bus, NatsBus)
    app.bus.start()  # consumers only; the relay is driven by hand
    ticket_id = receive(app)
    correct_intent(app, ticket_id, agent_id)
    assert examples(app) == Counter()
    assert app.relay.drain() >= 1
    wait_until(lambda: examples(app)[ticket_id] >= 1)
    wait_until(lambda: nats_server.settled(STREAM, CORRECTION_CONSUMER))
    assert examples(app) == Counter({ticket_id: 1})


def test_two_servers_on_one_database_and_bus_learn_from_each_correction_once(
    apps: list[App], agent_id: int, nats_server: NatsServer
) -> None:
    for app in apps:
        app.start_background()
    tickets = [receive(apps[n % 2], f"订单 {n} 还没发货") for n in range(6)]
    for n, ticket_id in enumerate(tickets):
        correct_intent(apps[n % 2], ticket_id, agent_id)
    wait_until(lambda: set(examples(apps[0])) == set(tickets))
    wait_until(lambda: nats_server.settled(STREAM, CORRECTION_CONSUMER))
    assert examples(apps[0]) == Counter(tickets)


def test_the_relay_keeps_events_while_nats_is_down(
    apps: list[App], agent_id: int, nats_server: NatsServer
) -> None:
    app = apps[0]
    nats_server.stop()
    ticket_id = receive(app)
    correct_intent(app, ticket_id, agent_id)
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
    wait_until(lambda: examples(app) == Counter({ticket_id: 1}))
