"""Loads the demo data set through the same services production uses; safe to run twice."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.progress import track
from sqlalchemy import select, update

from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App, stored_setting
from consigndesk.config import Settings
from consigndesk.demo.dataset import DemoDataset, DemoTicket, build_dataset
from consigndesk.domain.commands import (
    AddAgentMessage,
    CustomerData,
    RateTicket,
    ReceiveCustomerMessage,
    UpdateTicket,
)
from consigndesk.domain.events import Actor
from consigndesk.services import admin
from consigndesk.services.auth import CustomerIdentity, sign_customer_token
from consigndesk.services.customers import upsert_customer
from consigndesk.services.knowledge import seed_knowledge_base
from consigndesk.services.platform_events import apply_platform_event

DEMO_PASSWORD = "demo-pass-2026"
DEMO_SEED = 7
_STATUS_PATH = {
    "new": (),
    "open": ("open",),
    "pending": ("pending",),
    "solved": ("solved",),
    "closed": ("solved", "closed"),
}


def demo_settings() -> Settings:
    """The embedded default: SQLite file, in-process bus; a platform secret is generated."""
    settings = Settings()
    settings.chat_demo_page = True  # /widget-demo: a shop page with the chat widget
    settings.auto_answer = True  # AI-first answers from the demo orders and help articles
    if settings.platform_secret is None:
        settings.platform_secret = os.environ.get("CONSIGNDESK_PLATFORM_SECRET") or None
    return settings


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    orders: int
    events_applied: int
    tickets_created: int
    articles_created: int
    logins: list[tuple[str, str, str]]
    customer_link: str

    def __str__(self) -> str:
        return (
            f"{self.customers} customers, {self.orders} orders "
            f"({self.events_applied} new platform events), "
            f"{self.tickets_created} new tickets, {self.articles_created} new help articles"
        )


def _platform_secret(core: App) -> str:
    if not core.platform_secret:
        core.platform_secret = stored_setting(core.database, "platform_secret", None)
    return core.platform_secret


def _demo_clock(core: App, now: datetime | None) -> datetime:
    """The first run's clock, reused so a re-run regenerates the same ids and replays as no-ops."""
    first = (now or datetime.now(UTC)).isoformat()
    return datetime.fromisoformat(stored_setting(core.database, "demo_clock", None, first))


def seed(core: App, *, now: datetime | None = None, progress: bool = False) -> SeedSummary:
    now = _demo_clock(core, now)
    data = build_dataset(now, seed=DEMO_SEED)
    secret = _platform_secret(core)
    admin.ensure_default_groups(core.uow())
    articles = seed_knowledge_base(core.uow)
    agent_ids = _agents(core, data)
    _customers(core, data)
    applied = 0
    events = track(data.events, description="platform events") if progress else data.events
    for event in events:
        applied += apply_platform_event(core.uow(), event).applied
    created = 0
    tickets = track(data.tickets, description="tickets") if progress else data.tickets
    for number, ticket in enumerate(tickets):
        created += _ticket(core, number, ticket, agent_ids, now)
    core.relay.drain()
    portal_customer = next(
        c
        for c in data.customers
        if any(t.customer_external_id == c.external_id for t in data.tickets)
    )
    token = sign_customer_token(
        secret,
        CustomerIdentity(
            external_id=portal_customer.external_id,
            role=portal_customer.role,
            tier=portal_customer.tier,
            name=portal_customer.name,
        ),
        ttl_seconds=7 * 24 * 3600,
    )
    return SeedSummary(
        customers=len(data.customers),
        orders=len(data.orders),
        events_applied=applied,
        tickets_created=created,
        articles_created=articles["created"],
        logins=[(a.email, a.role, a.team) for a in data.agents],
        customer_link=f"/portal?token={token}",
    )


def _agents(core: App, data: DemoDataset) -> dict[str, int]:
    ids: dict[str, int] = {}
    for agent in data.agents:
        with core.uow() as uow:
            existing = uow.agents.by_email(agent.email)
            if existing is not None and existing.id is not None:
                ids[agent.email] = existing.id
                continue
        ids[agent.email] = admin.create_agent(
            core.uow(),
            email=agent.email,
            name=agent.name,
            password=DEMO_PASSWORD,
            role=agent.role,
            team=agent.team,
            groups=list(agent.groups),
            capacity=agent.capacity,
            vip=agent.vip,
            language=agent.language,
        )
    return ids


def _customers(core: App, data: DemoDataset) -> None:
    with core.uow() as uow:
        for c in data.customers:
            upsert_customer(
                uow,
                CustomerData(
                    external_id=c.external_id,
                    role=c.role,
                    tier=c.tier,
                    name=c.name,
                    email=c.email,
                    phone=c.phone,
                    language=c.language,
                ),
            )
        uow.commit()


def _ticket(core: App, number: int, t: DemoTicket, agent_ids: dict[str, int], now: datetime) -> int:
    received = core.tickets.receive_customer_message(
        core.uow(),
        ReceiveCustomerMessage(
            customer=CustomerData(external_id=t.customer_external_id, role=_role(core, t)),
            channel=t.channel,
            subject=t.subject,
            body=t.body,
            order_ref=t.order_ref,
            external_id=f"demo-ticket-{number}",
        ),
    )
    if received.duplicate:
        return 0
    ticket_id = received.ticket_id
    agent_id = agent_ids.get(t.agent_email or "")
    if agent_id is not None and t.target_status != "new":
        core.tickets.update_ticket(
            core.uow(),
            UpdateTicket(
                ticket_id=ticket_id,
                actor=Actor(type="agent", id=agent_id, name=t.agent_email or ""),
                assignee_id=agent_id,
                reason="demo assignment",
            ),
        )
        if t.internal_note:
            core.tickets.add_agent_message(
                core.uow(),
                AddAgentMessage(
                    ticket_id=ticket_id,
                    agent_id=agent_id,
                    body=t.internal_note,
                    visibility="internal",
                ),
            )
        if t.agent_reply:
            core.tickets.add_agent_message(
                core.uow(),
                AddAgentMessage(ticket_id=ticket_id, agent_id=agent_id, body=t.agent_reply),
            )
        for status in _STATUS_PATH[t.target_status]:
            core.tickets.update_ticket(
                core.uow(),
                UpdateTicket(
                    ticket_id=ticket_id,
                    actor=Actor(type="agent", id=agent_id, name=""),
                    status=status,
                ),
            )
        if t.rating is not None:
            core.tickets.rate(
                core.uow(),
                RateTicket(
                    ticket_id=ticket_id,
                    customer_external_id=t.customer_external_id,
                    score=t.rating,
                    comment=t.rating_comment or "",
                ),
            )
    _backdate(core, ticket_id, now - timedelta(minutes=t.created_offset_minutes))
    return 1


def _role(core: App, t: DemoTicket) -> str:
    with core.database.read_sessions() as session:
        role = session.execute(
            select(tables.customers.c.role).where(
                tables.customers.c.external_id == t.customer_external_id
            )
        ).scalar_one()
    return str(role)


def _backdate(core: App, ticket_id: int, created_at: datetime) -> None:
    """Demo only: move a freshly seeded ticket's clock back so the inbox shows realistic ages."""
    with core.database.write_sessions.begin() as session:
        started = session.execute(
            select(tables.tickets.c.created_at).where(tables.tickets.c.id == ticket_id)
        ).scalar_one()
        shift = started - created_at
        for table, column in ((tables.messages, "created_at"), (tables.timeline, "at")):
            rows = session.execute(
                select(table.c.id, table.c[column]).where(table.c.ticket_id == ticket_id)
            ).all()
            for row_id, at in rows:
                session.execute(
                    update(table).where(table.c.id == row_id).values({column: at - shift})
                )
        ticket = (
            session.execute(select(tables.tickets).where(tables.tickets.c.id == ticket_id))
            .mappings()
            .one()
        )
        values = {
            k: ticket[k] - shift
            for k in ("created_at", "updated_at", "first_response_at", "solved_at", "closed_at")
            if ticket[k]
        }
        session.execute(
            update(tables.tickets).where(tables.tickets.c.id == ticket_id).values(values)
        )
