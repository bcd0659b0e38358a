"""The composition root: settings → database → unit of work → bus → handlers. No import-time I/O."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select

from consigndesk.adapters.bus.memory import MemoryBus
from consigndesk.adapters.bus.nats import JetStreamOptions, NatsBus
from consigndesk.adapters.channels.chat.channel import EXTRAS_KEY as CHAT
from consigndesk.adapters.channels.chat.channel import ChatChannel
from consigndesk.adapters.channels.email.listener import SmtpListener
from consigndesk.adapters.channels.email.wiring import email_channel, smtp_listener
from consigndesk.adapters.channels.voice.wiring import voice_calls
from consigndesk.adapters.db import tables
from consigndesk.adapters.db.engine import Database, create_database, migrate
from consigndesk.adapters.db.orm import start_mappers
from consigndesk.adapters.db.outbox import OutboxRelay
from consigndesk.adapters.db.routing import QueueLengths
from consigndesk.adapters.db.uow import SqlUnitOfWork
from consigndesk.adapters.llm.chat_completions import ChatCompletionsPhraser
from consigndesk.config import Settings
from consigndesk.domain.answer_guards import AnswerPolicy
from consigndesk.domain.errors import InvalidInput
from consigndesk.domain.orders import OrderRefFinder
from consigndesk.domain.triage import Triage, TriageInput
from consigndesk.knowledge import analysis
from consigndesk.model_registry import EngineRefresher
from consigndesk.services.answers import Answerer, Knowledge
from consigndesk.services.auth import RecentKeys
from consigndesk.services.bus import EventBus
from consigndesk.services.intake import Intake
from consigndesk.services.macros import seed_macros
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
    intake: Intake = field(init=False)
    smtp: SmtpListener | None = None  # in every serving process, on one shared port
    api_keys: RecentKeys = field(default_factory=RecentKeys)
    queue_lengths: QueueLengths = field(default_factory=QueueLengths)  # shared by its uows
    extras: dict[str, object] = field(default_factory=dict)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.database.write_sessions,
            on_commit=self.relay.notify,
            queue_lengths=self.queue_lengths,
        )

    def read_uow(self) -> SqlUnitOfWork:
        """For use cases that only read: on SQLite it never takes the write lock."""
        return SqlUnitOfWork(self.database.read_sessions)

    def start_background(self) -> None:
        """Outbox relay, bus consumers, model refresher (servers call this; the CLI need not)."""
        self.warm_up()
        self.relay.start(self.settings.relay_interval)
        if isinstance(self.bus, NatsBus):
            self.bus.start()
        for worker in (self.refresher, self.queue_etas, self.smtp):
            if worker is not None:
                worker.start()

    def warm_up(self) -> None:
        """Load the word dictionaries and run triage once, so that the first customers after a
        start do not wait for it (about a second; under load the queue behind them grows)."""
        analysis.warm_up()
        if self.engine is not None:
            self.engine.triage(TriageInput(text="我的订单还没发货 where is my order"))

    def close(self) -> None:
        self.stop_background()
        self.database.dispose()

    def stop_background(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()  # first: no new mail while the intake finishes what it holds
        self.intake.stop()
        self.relay.stop()
        if isinstance(self.bus, NatsBus):
            self.bus.close()
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


def _bus(settings: Settings) -> EventBus:
    url = settings.bus_url
    if url.startswith("memory://"):
        return MemoryBus()
    if url.startswith(("nats://", "tls://")):
        return NatsBus(
            url,
            JetStreamOptions(
                stream=settings.nats_stream,
                subject_prefix=settings.nats_subject_prefix,
                max_age=settings.nats_max_age_days * 24 * 3600,
                ack_wait=settings.nats_ack_wait,
                max_deliver=settings.nats_max_deliver,
            ),
        )
    raise InvalidInput(f"unsupported CONSIGNDESK_BUS_URL {url!r} (supported: memory://, nats://)")


def _answerer(settings: Settings, app: App) -> Answerer:
    """The assistant: templates always; an LLM phraser only when its URL is configured."""
    phraser = None
    if settings.llm_url:
        phraser = ChatCompletionsPhraser(
            settings.llm_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            timeout=settings.llm_timeout,
        )
    return Answerer(
        knowledge=Knowledge(app.read_uow),
        router=app.tickets.router,
        policy=AnswerPolicy(
            enabled=settings.auto_answer,
            answer_vips=settings.answer_vips,
            min_confidence=settings.answer_min_confidence,
        ),
        phraser=phraser,
    )


def build(
    settings: Settings | None = None, *, triage: Triage | None = None, run_migrations: bool = True
) -> App:
    settings = settings or Settings()
    start_mappers()
    database = create_database(settings.database_url)
    if run_migrations:
        migrate(database)
    bus = _bus(settings)
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
    app.intake = Intake(app.tickets, app.uow)
    app.queue_etas = QueueEtaRefresher(uow_factory=app.uow, routing=app.tickets.router)
    app.tickets.answerer = _answerer(settings, app)
    if run_migrations:
        seed_macros(app.uow)
    email = email_channel(settings, app.intake.receive, app.uow, app.read_uow)
    app.extras["email"] = email
    app.smtp = smtp_listener(settings, email)
    chat = ChatChannel.build(
        app.tickets,
        app.intake.receive,
        app.uow,
        app.read_uow,
        bus,
        lambda: app.platform_secret,
        settings,
    )
    app.extras[CHAT] = chat
    if email.sender is not None:
        chat.chat.mailer = email  # transcripts go out through the same SMTP relay
    app.extras["voice"] = voice_calls(settings, app.tickets, app.uow)
    for subscriptions in (
        Reactions(uow_factory=app.uow).subscriptions(),
        app.queue_etas.subscriptions(),
        email.subscriptions(),
        chat.subscriptions(),
    ):
        for name, handlers in subscriptions.items():
            for handler in handlers:
                bus.subscribe(name, handler)
    return app
