"""Ticket use cases: a customer message arrives, an agent answers, a ticket changes, a rating."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from consigndesk.domain.commands import (
    AddAgentMessage,
    RateTicket,
    ReceiveCustomerMessage,
    UpdateTicket,
)
from consigndesk.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from consigndesk.domain.events import Actor, utcnow
from consigndesk.domain.orders import OrderRefFinder
from consigndesk.domain.people import Agent, Customer
from consigndesk.domain.tickets import Message, OrderLink, Ticket
from consigndesk.domain.triage import Triage, TriageInput
from consigndesk.services.answers import Answerer
from consigndesk.services.attachments import store_attachment
from consigndesk.services.customers import upsert_customer
from consigndesk.services.html import sanitize_html
from consigndesk.services.routing import Routing
from consigndesk.services.unit_of_work import UnitOfWork

MAX_BODY_CHARS = 100_000
REPEAT_CONTACT_WINDOW = timedelta(hours=72)  # contacts before this count towards priority


@dataclass(frozen=True)
class Received:
    """What a channel learns back: the ticket, and whether this call created or changed it."""

    ticket_id: int
    created: bool
    duplicate: bool = False
    ticket: Ticket | None = field(default=None, compare=False)  # as committed; None for replays
    message_id: int | None = None  # the customer's message (None for an Idempotency-Key replay)


@dataclass
class TicketServices:
    """The ticket use cases, with the collaborators they need (wired in bootstrap)."""

    triage: Triage
    order_refs: OrderRefFinder
    router: Routing | None = None
    answerer: Answerer | None = None

    # -- inbound --------------------------------------------------------------------------
    def receive_customer_message(self, uow: UnitOfWork, cmd: ReceiveCustomerMessage) -> Received:
        return self.receive_customer_messages(uow, [cmd])[0]

    def receive_customer_messages(
        self, uow: UnitOfWork, cmds: Sequence[ReceiveCustomerMessage]
    ) -> list[Received]:
        """Several inbound messages in one transaction (group commit): all stored, or none."""
        for cmd in cmds:
            _check_body(cmd)
        with uow:
            since = utcnow() - REPEAT_CONTACT_WINDOW
            self._read_ahead(uow, cmds, since)
            received = [self._receive(uow, cmd, since) for cmd in cmds]
            uow.commit()
            return received

    def _read_ahead(
        self, uow: UnitOfWork, cmds: Sequence[ReceiveCustomerMessage], since: datetime
    ) -> None:
        """Read what the messages will need, once per kind and before anything is added, so that
        no read in between has to write the new rows early (ADR 0011)."""
        opening = [cmd for cmd in cmds if cmd.ticket_id is None]
        uow.customers.prefetch({cmd.customer.external_id for cmd in cmds})
        uow.orders.prefetch(
            refs={ref for cmd in opening for ref in self._mentioned_orders(cmd)},
            open_for={cmd.customer.external_id for cmd in opening},
        )
        uow.tickets.prefetch_external_ids({c.external_id for c in cmds if c.external_id})
        replying = [cmd.ticket_id for cmd in cmds if cmd.ticket_id is not None]
        if replying:
            uow.tickets.prefetch(replying)
            uow.answers.prefetch(replying)
        known = [uow.customers.by_external_id(cmd.customer.external_id) for cmd in cmds]
        uow.tickets.prefetch_recent_counts({c.id for c in known if c is not None}, since)
        if opening and self.router is not None:
            uow.routing.prefetch()
        # the customer's message, and a receipt, an answer or a hand-off note and notice
        uow.expect_new(tickets=len(opening), messages=3 * len(cmds))

    def _receive(self, uow: UnitOfWork, cmd: ReceiveCustomerMessage, since: datetime) -> Received:
        replay = self._replay(uow, cmd)
        if replay is not None:
            return replay
        body = cmd.body.strip()
        customer, new_customer = upsert_customer(uow, cmd.customer)
        actor = Actor(type="customer", id=customer.id, name=customer.name)
        ticket, created = self._conversation(uow, cmd, customer)
        if created:
            ticket.record_created(actor)
            self._link_order(uow, ticket, cmd, customer, actor)
        result = self.triage.triage(
            self._triage_input(uow, ticket, customer, body, new_customer, since)
        )
        message = Message(
            ticket_id=ticket.stored_id,
            author_type="customer",
            author_id=customer.id,
            channel=cmd.channel,
            body=body,
            body_html=sanitize_html(cmd.body_html) if cmd.body_html else "",
            attachments=[
                store_attachment(
                    uow,
                    ticket_id=ticket.stored_id,
                    filename=u.filename,
                    data=u.data,
                    declared_type=u.content_type,
                )
                for u in cmd.attachments
            ],
            external_id=cmd.external_id,
        )
        message.triage = result.as_dict()  # stored with the message: one insert, no update
        uow.tickets.add_message(message)
        ticket.add_message(message, actor)
        if created:
            ticket.apply_triage(result, Actor.system("triage"))
            if self.answerer is not None:  # answers, or routes with a notice
                self.answerer.ticket_created(uow, ticket, message, customer.tier)
            elif self.router is not None:
                self.router.ticket_created(uow, ticket)
        elif self.answerer is not None:
            self.answerer.customer_replied(uow, ticket, message)
        if cmd.idempotency_key and cmd.request_hash:
            uow.idempotency.add(
                cmd.idempotency_scope, cmd.idempotency_key, cmd.request_hash, ticket.id
            )
        return Received(
            ticket_id=ticket.stored_id, created=created, ticket=ticket, message_id=message.id
        )

    def _replay(self, uow: UnitOfWork, cmd: ReceiveCustomerMessage) -> Received | None:
        """An idempotency key or a channel message id seen before: return the original."""
        if cmd.idempotency_key:
            seen = uow.idempotency.get(cmd.idempotency_scope, cmd.idempotency_key)
            if seen is not None:
                request_hash, ticket_id = seen
                if request_hash != cmd.request_hash:
                    raise Conflict(
                        "this Idempotency-Key was used with a different request body",
                        code="idempotency_key_reused",
                    )
                return Received(ticket_id=ticket_id, created=False, duplicate=True)
        if cmd.external_id:
            message = uow.tickets.message_by_external_id(cmd.external_id)
            if message is not None:
                return Received(
                    ticket_id=message.ticket_id,
                    created=False,
                    duplicate=True,
                    message_id=message.id,
                )
        return None

    def _conversation(
        self, uow: UnitOfWork, cmd: ReceiveCustomerMessage, customer: Customer
    ) -> tuple[Ticket, bool]:
        """The ticket this message belongs to; a closed ticket gets a linked follow-up."""
        previous: Ticket | None = None
        if cmd.ticket_id is not None:
            previous = uow.tickets.get(cmd.ticket_id)
            if previous is None or previous.customer_id != customer.id:
                raise NotFound(f"ticket {cmd.ticket_id} not found for this customer")
            if previous.accepts_customer_messages():
                return previous, False
        subject = cmd.subject.strip() or _subject_from(cmd.body)
        ticket = Ticket(customer_id=customer.stored_id, channel=cmd.channel, subject=subject)
        if previous is not None:
            ticket.follow_up_of = previous.id
        return uow.tickets.add(ticket), True

    def _link_order(
        self,
        uow: UnitOfWork,
        ticket: Ticket,
        cmd: ReceiveCustomerMessage,
        customer: Customer,
        actor: Actor,
    ) -> None:
        if cmd.order_ref:
            if not _party_to(uow.orders.get_view(cmd.order_ref), customer):
                raise InvalidInput(
                    f"order {cmd.order_ref} is unknown for this customer", code="unknown_order"
                )
            ticket.link_order(cmd.order_ref, OrderLink.EXPLICIT, actor)
            return
        for ref in self._mentioned_orders(cmd):
            if _party_to(uow.orders.get_view(ref), customer):  # never someone else's order
                ticket.link_order(ref, OrderLink.TEXT, Actor.system("order-linker"))
                return
        recent = uow.orders.latest_open_for(customer.external_id)
        if recent is not None:
            ticket.link_order(recent, OrderLink.RECENT_OPEN, Actor.system("order-linker"))

    def _mentioned_orders(self, cmd: ReceiveCustomerMessage) -> list[str]:
        found = self.order_refs.find(f"{cmd.subject}\n{cmd.body}")
        return [cmd.order_ref, *found] if cmd.order_ref else found

    def _triage_input(
        self,
        uow: UnitOfWork,
        ticket: Ticket,
        customer: Customer,
        body: str,
        first_contact: bool,
        since: datetime,
    ) -> TriageInput:
        view = uow.orders.get_view(ticket.order_ref) if ticket.order_ref else None
        earlier = 0  # a customer we have only just met has no earlier tickets
        if not first_contact:
            earlier = uow.tickets.count_other_recent(customer.id, since, excluding=ticket.id)
        return TriageInput(
            text=f"{ticket.subject}\n{body}" if ticket.subject not in body else body,
            role=customer.role,
            channel=ticket.channel,
            tier=customer.tier,
            order_value=view["amount"] if view else None,
            repeat_contacts_72h=max(earlier, 0),
        )

    # -- agents ---------------------------------------------------------------------------
    def add_agent_message(self, uow: UnitOfWork, cmd: AddAgentMessage) -> int:
        body = cmd.body.strip()
        if not body:
            raise InvalidInput("the reply is empty")
        if len(body) > MAX_BODY_CHARS:
            raise InvalidInput(f"the reply exceeds {MAX_BODY_CHARS} characters")
        with uow:
            agent = _agent(uow, cmd.agent_id)
            ticket = _ticket(uow, cmd.ticket_id, cmd.expected_version)
            _check_agent_may_touch(uow, agent, ticket)
            actor = Actor(type="agent", id=agent.id, name=agent.name)
            message = uow.tickets.add_message(
                Message(
                    ticket_id=ticket.stored_id,
                    author_type="agent",
                    author_id=agent.id,
                    visibility=cmd.visibility,
                    channel=ticket.channel,
                    body=body,
                )
            )
            before = (ticket.status, ticket.assignee_id, ticket.group)
            ticket.add_message(message, actor)
            if cmd.new_status:
                ticket.change_status(cmd.new_status, actor, reason="set with the reply")
            self._route_after_change(uow, ticket, before)
            uow.commit()
            assert message.id is not None
            return message.id

    def update_ticket(self, uow: UnitOfWork, cmd: UpdateTicket) -> None:
        with uow:
            ticket = _ticket(uow, cmd.ticket_id, cmd.expected_version)
            actor, reason = cmd.actor, cmd.reason
            if actor.type == "agent":
                _check_agent_may_touch(uow, _agent(uow, actor.id), ticket)
            before = (ticket.status, ticket.assignee_id, ticket.group)
            if cmd.group is not None:
                group = uow.groups.get(cmd.group)
                if group is None:
                    raise InvalidInput(f"unknown group {cmd.group!r}")
                ticket.set_group(group.key, actor, reason)
            if cmd.priority is not None:
                ticket.set_priority(cmd.priority, actor, reason)
            if cmd.intent is not None:
                ticket.set_intent(cmd.intent, actor, reason)
            if cmd.tags is not None:
                ticket.set_tags(cmd.tags, actor, reason)
            if cmd.unassign:
                ticket.assign(None, actor, reason)
            elif cmd.assignee_id is not None:
                self._assign(uow, ticket, cmd.assignee_id, actor, reason)
            if cmd.status is not None:
                ticket.change_status(cmd.status, actor, reason)
            self._route_after_change(uow, ticket, before)
            uow.commit()

    def _route_after_change(
        self, uow: UnitOfWork, ticket: Ticket, before: tuple[str, int | None, str]
    ) -> None:
        """Solved/closed, unassigned, reassigned or regrouped: let the router refill capacity."""
        status, assignee, group = before
        if self.router is None:
            return
        released = ticket.status != status and ticket.status in {"solved", "closed"}
        if released or ticket.assignee_id != assignee or ticket.group != group:
            self.router.ticket_changed(uow, ticket, assignee, group)

    def _assign(
        self, uow: UnitOfWork, ticket: Ticket, agent_id: int, actor: Actor, reason: str
    ) -> None:
        assignee = uow.agents.get(agent_id)
        if assignee is None or not assignee.active:
            raise InvalidInput(f"agent {agent_id} does not exist")
        group = uow.groups.get(ticket.group)
        if group is not None and not assignee.may_work_in(group):
            raise Forbidden(
                f"group {group.key} is in-house only; {assignee.name} is outsourced",
                code="in_house_only",
            )
        ticket.assign(agent_id, actor, reason)

    # -- customers ------------------------------------------------------------------------
    def rate(self, uow: UnitOfWork, cmd: RateTicket) -> None:
        with uow:
            customer = uow.customers.by_external_id(cmd.customer_external_id)
            ticket = uow.tickets.get(cmd.ticket_id)
            if customer is None or ticket is None or ticket.customer_id != customer.id:
                raise NotFound(f"ticket {cmd.ticket_id} not found")
            ticket.rate(
                cmd.score, cmd.comment, Actor(type="customer", id=customer.id, name=customer.name)
            )
            uow.commit()


def _check_body(cmd: ReceiveCustomerMessage) -> None:
    body = cmd.body.strip()
    if not body and not cmd.attachments:
        raise InvalidInput("the message body is empty")
    if len(body) > MAX_BODY_CHARS:
        raise InvalidInput(f"the message body exceeds {MAX_BODY_CHARS} characters")


def _party_to(view: dict[str, Any] | None, customer: Customer) -> bool:
    """The order exists and the customer is its buyer or its seller."""
    return view is not None and customer.external_id in {view["buyer_ref"], view["seller_ref"]}


def _subject_from(body: str) -> str:
    first_line = body.strip().splitlines()[0] if body.strip() else ""
    return first_line[:80]


def _agent(uow: UnitOfWork, agent_id: int | None) -> Agent:
    agent: Agent | None = uow.agents.get(agent_id) if agent_id is not None else None
    if agent is None or not agent.active:
        raise Forbidden("unknown or inactive agent")
    return agent


def _ticket(uow: UnitOfWork, ticket_id: int, expected_version: int | None) -> Ticket:
    ticket: Ticket | None = uow.tickets.get(ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    if expected_version is not None and ticket.version != expected_version:
        raise StaleVersion(
            f"ticket {ticket.reference} is at version {ticket.version}, not {expected_version}; "
            "reload it and try again"
        )
    return ticket


def _check_agent_may_touch(uow: UnitOfWork, agent: Agent, ticket: Ticket) -> None:
    group = uow.groups.get(ticket.group)
    if group is not None and not agent.may_work_in(group):
        raise Forbidden(f"group {group.key} is in-house only", code="in_house_only")
