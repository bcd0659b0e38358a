"""Several server processes on one database: each event's reactions take effect once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, select

from consigndesk.adapters.db import tables
from consigndesk.adapters.db.outbox import OutboxRelay
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.services import admin
from consigndesk.services.bus import Envelope
from consigndesk.services.reactions import first_time
from tests.bus.conftest import wait_until
from tests.conftest import PLATFORM_SECRET, someone_waits_on_a_lock
from tests.corrections import correct_intent, examples, receive


@pytest.fixture
def second_server(core: App) -> Iterator[App]:
    """Another server process on the same database, with its own memory bus and relay."""
    settings = Settings(database_url=core.settings.database_url, platform_secret=PLATFORM_SECRET)
    other = build(settings, run_migrations=False)
    yield other
    other.close()


def test_two_relays_draining_at_once_apply_each_reaction_once(
    core: App, second_server: App
) -> None:
    agent_id = admin.create_agent(
        core.uow(), email="li@x.cn", name="李娜", password="long-password", groups=["logistics"]
    )
    tickets = [receive(core, f"订单 {n} 还没发货") for n in range(12)]
    for ticket_id in tickets:
        correct_intent(core, ticket_id, agent_id)
    servers = (core, second_server)
    deliveries: list[str] = []  # corrections delivered, by event id, in both processes
    for app in servers:
        app.bus.subscribe(
            "ticket.field_changed", lambda envelope: deliveries.append(envelope.event_id)
        )
    # small batches: the relays go back to the outbox many times while the other delivers
    relays = [OutboxRelay(app.database, app.bus, batch=5) for app in servers]
    together = threading.Barrier(len(relays))

    def drain(relay: OutboxRelay) -> int:
        together.wait()
        return relay.drain()

    with ThreadPoolExecutor(len(relays)) as pool:
        delivered = sum(pool.map(drain, relays))

    with core.database.read_sessions() as session:
        outbox = session.execute(select(tables.outbox)).mappings().all()
    changed = {row["event_id"] for row in outbox if row["name"] == "ticket.field_changed"}
    assert examples(core) == Counter(tickets)  # one example per correction
    assert {(row["published_at"] is not None, row["last_error"]) for row in outbox} == {
        (True, None)  # no delivery failed (no primary-key race in the reactions)
    }
    if core.database.is_sqlite:  # both relays may deliver a row: at least once
        assert set(deliveries) == changed
    else:  # claimed batches: exactly once
        assert Counter(deliveries) == Counter(changed)
        assert delivered == len(outbox)


def test_a_reaction_claims_an_event_once(core: App) -> None:
    with core.uow() as uow:
        assert first_time(uow, "learn_from_correction", "e1") is True
        uow.commit()
    with core.uow() as uow:
        assert first_time(uow, "learn_from_correction", "e1") is False
        assert first_time(uow, "email_reply", "e1") is True  # per handler


def test_a_claim_racing_an_uncommitted_one_waits_and_yields(core: App) -> None:
    if core.database.is_sqlite:
        pytest.skip("SQLite write transactions are serialized (BEGIN IMMEDIATE): no interleaving")

    def claim_elsewhere() -> bool:
        with core.uow() as uow:
            claimed = first_time(uow, "learn_from_correction", "e1")
            uow.commit()
            return claimed

    with ThreadPoolExecutor(1) as pool, core.uow() as uow:  # uow closes first: no hang
        assert first_time(uow, "learn_from_correction", "e1") is True
        other = pool.submit(claim_elsewhere)
        wait_until(lambda: someone_waits_on_a_lock(core))  # the other claim is blocked on ours
        uow.commit()
        assert other.result() is False


def test_a_relay_that_caught_up_stops_without_another_read(core: App) -> None:
    """Each round is a transaction: after a short batch, another is read only if events were
    committed meanwhile (a handler's own, say), which the same drain then delivers."""
    reads: list[str] = []

    def count_outbox_reads(conn, cursor, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM outbox" in statement:
            reads.append(statement)

    engines = {core.database.engine, core.database.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count_outbox_reads)
    try:
        receive(core, "订单还没发货")
        core.relay.drain()
        assert len(reads) == 1
        follow_ups: list[str] = []

        def reply_once(envelope: Envelope) -> None:  # a handler that commits an event
            if not follow_ups:
                follow_ups.append(envelope.event_id)
                receive(core, "又一条消息")

        core.bus.subscribe("ticket.message_added", reply_once)
        reads.clear()
        receive(core, "第二条消息")
        delivered = core.relay.drain()
        assert len(reads) == 2  # the handler's commit called for one more round
        with core.database.read_sessions() as session:
            pending = session.execute(
                select(tables.outbox.c.seq).where(tables.outbox.c.published_at.is_(None))
            ).all()
        assert pending == [] and delivered > 0
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count_outbox_reads)


def test_marking_a_batch_relayed_is_one_statement_text_whatever_its_length(core: App) -> None:
    """On PostgreSQL the relayed rows are named by one array parameter: batches of different
    lengths send the same UPDATE (parsed and prepared once, no parameter list rendered)."""
    for n in range(7):
        receive(core, f"订单 {n} 还没发货")
    updates: list[str] = []

    def keep(_conn, _cursor, statement: str, *_args) -> None:
        if statement.startswith("UPDATE outbox"):
            updates.append(statement)

    relay = OutboxRelay(core.database, core.bus, batch=5)  # 5, 5, ..., then what is left
    event.listen(core.database.engine, "before_cursor_execute", keep)
    try:
        delivered = relay.drain()
    finally:
        event.remove(core.database.engine, "before_cursor_execute", keep)
    assert delivered % 5 != 0 and len(updates) == -(-delivered // 5)
    with core.database.read_sessions() as session:
        pending = session.execute(
            select(tables.outbox.c.seq).where(tables.outbox.c.published_at.is_(None))
        ).all()
    assert pending == []
    if not core.database.is_sqlite:
        assert len(set(updates)) == 1
