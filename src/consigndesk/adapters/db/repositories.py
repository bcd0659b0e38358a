"""Repositories: how the services load and store aggregates and read-model rows."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    func,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables
from consigndesk.adapters.db.ids import IdAllocator
from consigndesk.domain.events import utcnow
from consigndesk.domain.orders import CLOSED_ORDER_STATUSES, PlatformEvent
from consigndesk.domain.people import Agent, Customer, Group
from consigndesk.domain.tickets import Message, Ticket


class Tracker(Protocol):
    def __call__(self, ticket: Ticket, *, stored: bool) -> None: ...


_INSERT_FOR_DIALECT: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
"""INSERT with ON CONFLICT support, per dialect (the generic `insert` has none)."""


class TicketRepository:
    """New tickets and messages get their ids at once and are written at the next flush (at the
    latest, the commit), fully formed: one INSERT per table for a group, no follow-up UPDATEs."""

    def __init__(self, session: Session, ids: IdAllocator, track: Tracker | None = None) -> None:
        self.session = session
        self.seen: set[Ticket] = set()
        self._ids = ids
        self._track = track  # whoever counts tickets follows the ones this unit of work touches
        self._added: dict[int, Ticket] = {}
        self._prefetched: dict[int, Ticket] = {}
        self._recent_since: datetime | None = None
        self._recent: dict[int, int] = {}  # stored tickets per customer since `_recent_since`
        self._by_external_id: dict[str, Message | None] = {}  # looked up or added in this uow

    def add(self, ticket: Ticket) -> Ticket:
        ticket.id = self._ids.take(tables.tickets)
        self.session.add(ticket)
        self.seen.add(ticket)
        self._added[ticket.id] = ticket
        if self._track is not None:
            self._track(ticket, stored=False)
        return ticket

    def prefetch(self, ticket_ids: Collection[int]) -> None:
        """One read for the tickets a group of replies goes to (`get` then finds them loaded)."""
        if ticket_ids:
            found = self.session.scalars(
                select(Ticket).where(tables.tickets.c.id.in_(sorted(set(ticket_ids))))
            )
            self._prefetched.update({t.stored_id: t for t in found})  # the session holds weakly

    def get(self, ticket_id: int) -> Ticket | None:
        ticket = (
            self._prefetched.get(ticket_id)
            or self._added.get(ticket_id)
            or self.session.get(Ticket, ticket_id)
        )
        if ticket is not None:
            self.seen.add(ticket)
            if self._track is not None:
                self._track(ticket, stored=True)
        return ticket

    def add_message(self, message: Message) -> Message:
        message.id = self._ids.take(tables.messages)
        self.session.add(message)
        if message.external_id:
            self._by_external_id[message.external_id] = message
        return message

    def prefetch_external_ids(self, external_ids: Collection[str]) -> None:
        """One read for the channel message ids of a group (`message_by_external_id` then hits)."""
        wanted = sorted({e for e in external_ids if e not in self._by_external_id})
        if not wanted:
            return
        found = self.session.scalars(
            select(Message)
            .where(tables.messages.c.external_id.in_(wanted))
            .execution_options(autoflush=False)  # this uow's own are in the dict already
        )
        self._by_external_id.update(dict.fromkeys(wanted))
        self._by_external_id.update({m.external_id: m for m in found if m.external_id})

    def message_by_external_id(self, external_id: str) -> Message | None:
        if external_id not in self._by_external_id:
            self._by_external_id[external_id] = self.session.scalars(
                select(Message)
                .where(tables.messages.c.external_id == external_id)
                .limit(1)
                .execution_options(autoflush=False)  # this uow's own are in the dict already
            ).first()
        return self._by_external_id[external_id]

    def has_reply(self, ticket_id: int) -> bool:
        """Someone (an agent, the assistant or a notice) has already answered the customer."""
        found = self.session.execute(
            select(tables.messages.c.id)
            .where(
                tables.messages.c.ticket_id == ticket_id,
                tables.messages.c.visibility == "public",
                tables.messages.c.author_type != "customer",
            )
            .limit(1)
        ).first()
        return found is not None

    def prefetch_recent_counts(self, customer_ids: Collection[int], since: datetime) -> None:
        """How many stored tickets each customer opened since `since` (this unit of work's own
        left out), one read for a group (`count_other_recent` then needs none)."""
        if self._recent_since != since:
            self._recent_since, self._recent = since, {}
        wanted = sorted(set(customer_ids) - self._recent.keys())
        if not wanted:
            return
        c = tables.tickets.c
        query = select(c.customer_id, func.count()).where(
            c.customer_id.in_(wanted), c.created_at >= since
        )
        if self._added:
            query = query.where(c.id.not_in(list(self._added)))
        with self.session.no_autoflush:  # this unit of work's own are counted in memory
            rows = self.session.execute(query.group_by(c.customer_id))
            self._recent.update(dict.fromkeys(wanted, 0) | {int(r[0]): int(r[1]) for r in rows})

    def count_other_recent(self, customer_id: int, since: datetime, excluding: int) -> int:
        """The customer's tickets opened since `since`, other than `excluding`, including those
        added in this unit of work and not yet written."""
        self.prefetch_recent_counts([customer_id], since)  # read ahead already, normally
        stored = self._recent[customer_id]
        if excluding not in self._added:
            other = self.session.get(Ticket, excluding)
            if other is not None and other.customer_id == customer_id and other.created_at >= since:
                stored -= 1  # it was read among the stored ones
        pending = sum(
            1
            for t in self._added.values()
            if t.customer_id == customer_id and t.created_at >= since and t.id != excluding
        )
        return stored + pending


# Read with every group of messages: built once (`wanted`: an expanding list).
@cache
def _customers_by_external_id() -> Select[Customer]:
    """Built on first use: `Customer` is mapped when the unit of work starts, not on import."""
    return select(Customer).where(
        tables.customers.c.external_id.in_(bindparam("wanted", expanding=True))
    )


class CustomerRepository:
    def __init__(self, session: Session, ids: IdAllocator) -> None:
        self.session = session
        self._ids = ids
        self._by_external_id: dict[str, Customer | None] = {}  # looked up in this unit of work
        self._by_id: dict[int, Customer] = {}  # the same, found or added

    def _hold(self, customer: Customer) -> None:
        self._by_external_id[customer.external_id] = customer
        self._by_id[customer.stored_id] = customer

    def prefetch(self, external_ids: Collection[str]) -> None:
        """One read for the customers of a group of messages (`by_external_id` then hits)."""
        wanted = [e for e in external_ids if e not in self._by_external_id]
        if not wanted:
            return
        found = self.session.scalars(_customers_by_external_id(), {"wanted": wanted})
        self._by_external_id.update(dict.fromkeys(wanted))
        for customer in found:
            self._hold(customer)
        new = sum(1 for e in wanted if self._by_external_id[e] is None)
        if new:
            self._ids.expect(tables.customers, new)

    def by_external_id(self, external_id: str) -> Customer | None:
        if external_id not in self._by_external_id:
            found = self.session.scalars(
                select(Customer).where(tables.customers.c.external_id == external_id)
            ).first()
            self._by_external_id[external_id] = found
            if found is not None:
                self._hold(found)
        return self._by_external_id[external_id]

    def get(self, customer_id: int) -> Customer | None:
        return self.session.get(Customer, customer_id)

    def is_vip(self, customer_id: int) -> bool:
        """From the customers this unit of work holds (a customer added here among them), else
        one read that writes nothing early."""
        customer = self._by_id.get(customer_id)
        if customer is None:
            with self.session.no_autoflush:
                customer = self.session.get(Customer, customer_id)
        return customer is not None and customer.is_vip

    def add(self, customer: Customer) -> Customer:
        customer.id = self._ids.take(tables.customers)
        self.session.add(customer)
        self._hold(customer)
        return customer


class AgentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, agent_id: int) -> Agent | None:
        return self.session.get(Agent, agent_id)

    def by_email(self, email: str) -> Agent | None:
        return self.session.scalars(
            select(Agent).where(tables.agents.c.email == email.strip().lower())
        ).first()

    def list(self) -> list[Agent]:
        return list(self.session.scalars(select(Agent).order_by(tables.agents.c.id)))

    def add(self, agent: Agent) -> Agent:
        self.session.add(agent)
        self.session.flush()
        return agent


class GroupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> Group | None:
        return self.session.get(Group, key)

    def list(self) -> list[Group]:
        return list(self.session.scalars(select(Group).order_by(tables.groups.c.key)))

    def add(self, group: Group) -> Group:
        self.session.add(group)
        return group


class OrderRepository:
    """Platform events as received, and the order views folded from them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._views: dict[str, dict[str, Any] | None] = {}  # read once per unit of work
        self._latest_open: dict[str, str | None] = {}

    def has_event(self, event_id: str) -> bool:
        found = self.session.execute(
            select(tables.platform_events.c.id).where(tables.platform_events.c.id == event_id)
        ).first()
        return found is not None

    def add_event(self, event: PlatformEvent) -> None:
        self.session.execute(
            tables.platform_events.insert().values(
                id=event.id,
                order_ref=event.order_ref,
                type=event.type,
                occurred_at=event.occurred_at,
                data=event.data,
                received_at=utcnow(),
            )
        )

    def events_for(self, order_ref: str) -> list[PlatformEvent]:
        rows = self.session.execute(
            select(tables.platform_events).where(tables.platform_events.c.order_ref == order_ref)
        ).mappings()
        return [
            PlatformEvent(id=r["id"], type=r["type"], occurred_at=r["occurred_at"], data=r["data"])
            for r in rows
        ]

    def save_view(self, view: dict[str, Any], updated_at: datetime) -> None:
        self._views[view["order_ref"]] = view
        self._latest_open.clear()
        values = {
            "status": view["status"],
            "buyer_ref": view["buyer_ref"],
            "seller_ref": view["seller_ref"],
            "amount": view["amount"],
            "currency": view["currency"],
            "created_at": datetime.fromisoformat(view["created_at"])
            if view["created_at"]
            else None,
            "updated_at": updated_at,
            "view": view,
        }
        changed = self.session.execute(
            update(tables.orders)
            .where(tables.orders.c.order_ref == view["order_ref"])
            .values(values)
        )
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            self.session.execute(
                tables.orders.insert().values(order_ref=view["order_ref"], **values)
            )

    def get_view(self, order_ref: str) -> dict[str, Any] | None:
        if order_ref not in self._views:
            row = self.session.execute(
                select(tables.orders.c.view).where(tables.orders.c.order_ref == order_ref)
            ).first()
            self._views[order_ref] = row[0] if row else None
        return self._views[order_ref]

    def latest_open_for(self, external_id: str) -> str | None:
        """The customer's most recent order that is still in progress, as buyer or seller."""
        if external_id not in self._latest_open:
            self.prefetch(open_for=[external_id])
        return self._latest_open[external_id]

    def prefetch(self, refs: Collection[str] = (), open_for: Collection[str] = ()) -> None:
        """Read the views of `refs` and the latest open order of each of `open_for` (customers'
        external ids) with its view, for a group of messages, in one query."""
        wanted = sorted({r for r in refs if r not in self._views})
        customers = sorted({c for c in open_for if c not in self._latest_open})
        if not wanted and not customers:
            return
        rows = self.session.execute(
            _VIEWS_AND_LATEST_OPEN, {"wanted": wanted, "customers": customers}
        )
        self._views.update(dict.fromkeys(wanted))
        self._latest_open.update(dict.fromkeys(customers))
        for party, order_ref, view in rows:
            self._views[order_ref] = view
            if party is not None:
                self._latest_open[party] = order_ref


def _views_and_latest_open_statement() -> CompoundSelect[str | None, str, Any]:
    """Rows (None, order_ref, view) for the orders `wanted`, and (party, order_ref, view) for
    each of `customers`' newest open order, as buyer or seller (both expanding lists). Built
    once: constructing it cost more than running it."""
    o = tables.orders.c
    customers: BindParameter[str] = bindparam("customers", expanding=True)
    open_ = o.status.not_in(CLOSED_ORDER_STATUSES)
    sides = union_all(
        *(
            select(party.label("party"), o.order_ref, o.view, o.created_at, o.updated_at).where(
                party.in_(customers), open_
            )
            for party in (o.buyer_ref, o.seller_ref)
        )
    ).subquery()
    ranked = select(
        sides.c.party,
        sides.c.order_ref,
        sides.c.view,
        func.row_number()
        .over(
            partition_by=sides.c.party,
            order_by=(sides.c.created_at.desc(), sides.c.updated_at.desc()),
        )
        .label("rank"),
    ).subquery()
    views = select(cast(null(), String).label("party"), o.order_ref, o.view.label("view")).where(
        o.order_ref.in_(bindparam("wanted", expanding=True))
    )
    latest = select(ranked.c.party, ranked.c.order_ref, ranked.c.view).where(ranked.c.rank == 1)
    return union_all(views, latest)


_VIEWS_AND_LATEST_OPEN = _views_and_latest_open_statement()


class IdempotencyRepository:
    """Keys are written with the commit (`write`), after the tickets they point to."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._pending: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, scope: str, key: str) -> tuple[str, int] | None:
        pending = self._pending.get((scope, key))
        if pending is not None:
            return pending["request_hash"], pending["ticket_id"]
        c = tables.idempotency_keys.c
        with self.session.no_autoflush:  # this unit of work's own keys are in `_pending`
            row = self.session.execute(
                select(c.request_hash, c.ticket_id).where(and_(c.scope == scope, c.key == key))
            ).first()
        return (row[0], row[1]) if row else None

    def add(self, scope: str, key: str, request_hash: str, ticket_id: int) -> None:
        self._pending[(scope, key)] = {
            "scope": scope,
            "key": key,
            "request_hash": request_hash,
            "ticket_id": ticket_id,
            "created_at": utcnow(),
        }

    def write(self) -> None:
        if self._pending:
            self.session.execute(tables.idempotency_keys.insert(), list(self._pending.values()))
            self._pending.clear()


class ProcessedEventRepository:
    """Which event handlers already ran for which event (handlers are idempotent by event id)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def already(self, handler: str, event_id: str) -> bool:
        """A look without claiming, for handlers that must act before they record (send a mail)."""
        row = self.session.execute(
            select(tables.processed_events.c.event_id).where(
                tables.processed_events.c.handler == handler,
                tables.processed_events.c.event_id == event_id,
            )
        ).first()
        return row is not None

    def claim(self, handler: str, event_id: str) -> bool:
        """Record (handler, event) in the caller's transaction; False if someone already had.

        One statement, not a look then an insert: two processes handling the same event at once
        never fail on the primary key. On PostgreSQL the second insert waits for the first
        transaction to end, then inserts nothing (or the row, had the first rolled back)."""
        insert = _INSERT_FOR_DIALECT[self.session.get_bind().dialect.name]
        claimed = self.session.execute(
            insert(tables.processed_events)
            .values(handler=handler, event_id=event_id, processed_at=utcnow())
            .on_conflict_do_nothing()
            .returning(tables.processed_events.c.event_id)
        ).first()
        return claimed is not None


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, prefix: str, secret_hash: str, name: str, scope: str) -> int:
        result = self.session.execute(
            tables.api_keys.insert().values(
                prefix=prefix,
                secret_hash=secret_hash,
                name=name,
                scope=scope,
                created_at=utcnow(),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]

    def by_prefix(self, prefix: str) -> dict[str, Any] | None:
        row = (
            self.session.execute(select(tables.api_keys).where(tables.api_keys.c.prefix == prefix))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def list(self) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(tables.api_keys).order_by(tables.api_keys.c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def revoke(self, key_id: int) -> bool:
        result = self.session.execute(
            update(tables.api_keys)
            .where(tables.api_keys.c.id == key_id, tables.api_keys.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class TrainingExampleRepository:
    """Agents' corrections of triage, kept as labelled examples for retraining."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, example: dict[str, Any]) -> None:
        self.session.execute(tables.training_examples.insert().values(**example))

    def first_customer_text(self, ticket_id: int) -> str:
        row = self.session.execute(
            select(tables.messages.c.body)
            .where(
                tables.messages.c.ticket_id == ticket_id,
                tables.messages.c.author_type == "customer",
            )
            .order_by(tables.messages.c.id)
            .limit(1)
        ).first()
        return str(row[0]) if row else ""

    def all(self) -> list[dict[str, Any]]:
        rows = self.session.execute(
            select(tables.training_examples).order_by(tables.training_examples.c.id)
        ).mappings()
        return [dict(r) for r in rows]


class AttachmentRepository:
    """Rows are written with the commit (`write`), after the tickets they belong to."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._pending: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self._pending.append(row)

    def write(self) -> None:
        if self._pending:
            self.session.execute(tables.attachments.insert(), self._pending)
            self._pending = []

    def get(self, attachment_id: str) -> dict[str, Any] | None:
        row = (
            self.session.execute(
                select(tables.attachments).where(tables.attachments.c.id == attachment_id)
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None


class SettingsRepository:
    """Small operator settings shared by every process (key → JSON text)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> str | None:
        row = self.session.execute(
            select(tables.settings_kv.c.value).where(tables.settings_kv.c.key == key)
        ).first()
        return str(row[0]) if row else None

    def put(self, key: str, value: str) -> None:
        changed = self.session.execute(
            update(tables.settings_kv).where(tables.settings_kv.c.key == key).values(value=value)
        )
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            self.session.execute(tables.settings_kv.insert().values(key=key, value=value))
