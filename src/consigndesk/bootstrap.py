"""The composition root: settings → database → unit of work → bus → handlers. No import-time I/O."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select

from consigndesk.adapters.bus.memory import MemoryBus
from consigndesk.adapters.db import tables
from consigndesk.adapters.db.engine import Database, create_database, migrate
from consigndesk.adapters.db.orm import start_mappers
from consigndesk.adapters.db.outbox import OutboxRelay
from consigndesk.adapters.db.uow import SqlUnitOfWork
from consigndesk.config import Settings
from consigndesk.domain.errors import InvalidInput
from consigndesk.domain.orders import OrderRefFinder
from consigndesk.domain.triage import Triage
from consigndesk.model_registry import EngineRefresher
from consigndesk.services.bus import EventBus
from consigndesk.services.reactions import Reactions
from consigndesk.services.routing import QueueEtaRefresher, Routing
from consigndesk.services.tickets import TicketServices
from consigndesk.triage import TriageEngine, default_engine


@dataclass
class App:
    """Everything a process needs, built once."""

    settings: Settings
    database: Database
    bus: EventBus
    relay: OutboxRelay
    tickets: TicketServices
    secret_key: str
    platform_secret: str | None
    engine: TriageEngine | None = None  # None when a test passes its own Triage
    refresher: EngineRefresher | None = None
    queue_etas: QueueEtaRefresher | None = None
    extras: dict[str, object] = field(default_factory=dict)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.database.write_sessions, on_commit=self.relay.notify)

    def read_uow(self) -> SqlUnitOfWork:
        """For use cases that only read: on SQLite it never takes the write lock."""
        return SqlUnitOfWork(self.database.read_sessions)

    def start_background(self) -> None:
        """The outbox relay and the triage-model refresher (servers call this; the CLI need not)."""
        self.relay.start(self.settings.relay_interval)
        for worker in (self.refresher, self.queue_etas):
            if worker is not None:
                worker.start()

    def close(self) -> None:
        self.stop_background()
        self.database.dispose()

    def stop_background(self) -> None:
        self.relay.stop()
        for worker in (self.refresher, self.queue_etas):
            if worker is not None:
                worker.stop()


def stored_setting(
    database: Database, key: str, configured: str | None, first_value: str | None = None
) -> str:
    """A configured value wins; else the one stored on first run (a new random secret unless
    `first_value` is given), kept in the database so every process shares it."""
    if configured:
        return configured
    with database.write_sessions.begin() as session:
        row = session.execute(
            select(tables.settings_kv.c.value).where(tables.settings_kv.c.key == key)
        ).first()
        if row:
            return str(row[0])
        value = first_value or secrets.token_urlsafe(48)
        session.execute(tables.settings_kv.insert().values(key=key, value=value))
        return value


def _bus(url: str) -> EventBus:
    if url.startswith("memory://"):
        return MemoryBus()
    raise InvalidInput(f"unsupported CONSIGNDESK_BUS_URL {url!r} (supported: memory://)")


def build(
    settings: Settings | None = None, *, triage: Triage | None = None, run_migrations: bool = True
) -> App:
    settings = settings or Settings()
    start_mappers()
    database = create_database(settings.database_url)
    if run_migrations:
        migrate(database)
    bus = _bus(settings.bus_url)
    relay = OutboxRelay(database, bus)
    engine, refresher = None, None
    if triage is None:
        engine = default_engine()
        refresher = EngineRefresher(database, engine)
        if run_migrations:
            refresher.refresh()  # the trained model and intent→group map in force, if any
    app = App(
        settings=settings,
        database=database,
        bus=bus,
        relay=relay,
        tickets=TicketServices(
            triage=triage or engine,  # type: ignore[arg-type]
            order_refs=OrderRefFinder(settings.order_ref_pattern),
            router=Routing(),
        ),
        secret_key=stored_setting(database, "secret_key", settings.secret_key),
        platform_secret=settings.platform_secret,
        engine=engine,
        refresher=refresher,
    )
    assert app.tickets.router is not None
    app.queue_etas = QueueEtaRefresher(uow_factory=app.uow, routing=app.tickets.router)
    for subscriptions in (
        Reactions(uow_factory=app.uow).subscriptions(),
        app.queue_etas.subscriptions(),
    ):
        for name, handlers in subscriptions.items():
            for handler in handlers:
                bus.subscribe(name, handler)
    return app
