"""Web-chat use cases: sessions, customers and agents writing, read marks, the end, transcripts.

Customer messages take the one inbound path (`TicketServices.receive_customer_message`, channel
`chat`); agent replies take `TicketServices.add_agent_message`. Nothing here knows about sockets.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

import structlog

from consigndesk.domain.commands import AddAgentMessage, CustomerData, ReceiveCustomerMessage
from consigndesk.domain.email_rules import customer_external_id
from consigndesk.domain.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from consigndesk.domain.events import Actor, Event, utcnow
from consigndesk.domain.tickets import Channel, Message, Status
from consigndesk.i18n import gettext_for, locale_for_language
from consigndesk.services.auth import CustomerIdentity
from consigndesk.services.bus import Envelope
from consigndesk.services.reactions import first_time
from consigndesk.services.tickets import Received, TicketServices
from consigndesk.services.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

ENDED_TAG = "chat_ended"
ATTEMPTS = 4  # a concurrent change to the same ticket (StaleVersion) is retried
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # fullmatch: ADR 0601's alphabet, nothing more
SESSION_ID = re.compile(r"[0-9a-f]{32}")  # what `start` issues (secrets.token_hex(16))
# Used with fullmatch on the lowered address: an ASCII local part, domain labels of letters and
# digits (IDN allowed) joined by dots, a top-level domain of letters or punycode. No control
# characters, U+0000 or surrogates can match.
EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{1,59})"
)
MAX_EMAIL = 254  # the longest usable address (RFC 5321), and what chat_transcripts.email holds
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class TranscriptRequested(Event):
    """Outbox only: the mailer (when wired) reacts and sends; the request row is the record."""

    name: ClassVar[str] = "chat.transcript_requested"
    request_id: int
    ticket_id: int


class TranscriptMailer(Protocol):
    """The outbound email port as the chat needs it (services/email.py implements it later)."""

    def send_transcript(
        self, *, to: str, locale: str, reference: str, messages: list[dict[str, Any]]
    ) -> None: ...


@dataclass(frozen=True)
class ChatSession:
    id: str
    customer_external_id: str
    ticket_id: int | None
    locale: str
    ended: bool
    customer_read_id: int
    agent_read_id: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> ChatSession:
        return cls(
            id=row["id"],
            customer_external_id=row["customer_external_id"],
            ticket_id=row["ticket_id"],
            locale=row["locale"],
            ended=row["ended_at"] is not None,
            customer_read_id=int(row["customer_read_id"]),
            agent_read_id=int(row["agent_read_id"]),
        )


@dataclass(frozen=True)
class Posted:
    """What the sender learns once the message is committed (the ack)."""

    message_id: int
    ticket_id: int
    created: bool
    duplicate: bool
    session: ChatSession | None = None  # as stored, when the message attached a new ticket


@dataclass(frozen=True)
class QueueStatus:
    """Where a waiting chat stands: position (1 = next) and the expected wait from now."""

    waiting: bool
    position: int | None
    eta_seconds: int | None


@dataclass(frozen=True)
class AgentProfile:
    id: int
    name: str
    outsourced: bool
    locale: str
    blocked_groups: frozenset[str]  # in-house-only groups an outsourced agent may not see


def anonymous_identity(email: str) -> CustomerIdentity:
    """A widget visitor without a platform token, known by the email address they give, with
    the same customer id the email channel gives that address (a long one is hashed to fit)."""
    address = email_address(email)
    return CustomerIdentity(
        external_id=customer_external_id(address), role="buyer", tier="regular", email=address
    )


def email_address(email: str) -> str:
    """An address we can store and mail to, lowered, or `bad_email`."""
    address = email.strip().lower()
    if len(address) > MAX_EMAIL or not EMAIL.fullmatch(address):
        raise InvalidInput("please give a valid email address", code="bad_email")
    return address


def client_message_id(customer_external_id: str, client_id: str) -> str:
    """The channel message id: scoped to the customer, so one cannot replay another's ids."""
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidInput("client_id must be 1-64 letters, digits, '-' or '_'", code="bad_frame")
    return f"chat:{customer_external_id}:{client_id}"


def _retrying(work: Callable[[], T], retry_on: tuple[type[Exception], ...]) -> T:
    """Run a use case again when a concurrent change to the same ticket made it roll back."""
    for attempt in range(ATTEMPTS):
        try:
            return work()
        except retry_on:
            if attempt == ATTEMPTS - 1:
                raise
            log.info("chat.retry_after_conflict", attempt=attempt + 1)
    raise AssertionError("unreachable")


@dataclass
class ChatServices:
    tickets: TicketServices
    receive: Callable[[ReceiveCustomerMessage], Received]  # the shared pipeline (group commit)
    uow_factory: Callable[[], UnitOfWork]
    read_uow_factory: Callable[[], UnitOfWork]
    mailer: TranscriptMailer | None = None
    # what a concurrent change to the same ticket raises (the adapter adds its own, e.g. an ORM's
    # stale-row error from a flush in the middle of a use case)
    retry_on: tuple[type[Exception], ...] = (StaleVersion,)

    # -- sessions -------------------------------------------------------------------------
    def start(self, identity: CustomerIdentity, session_id: str | None, locale: str) -> ChatSession:
        """Resume the customer's open session, or start a new one (another's id, or one we
        never issued, is ignored)."""
        with self.uow_factory() as uow:
            if session_id and SESSION_ID.fullmatch(session_id):
                row = uow.chats.get(session_id)
                if (
                    row is not None
                    and row["customer_external_id"] == identity.external_id
                    and row["ended_at"] is None
                ):
                    return ChatSession.of(row)
            new_id = secrets.token_hex(16)
            uow.chats.start(
                session_id=new_id,
                customer_external_id=identity.external_id,
                locale=locale,
                at=utcnow(),
            )
            uow.commit()
            return ChatSession.of(uow.chats.get(new_id))

    def reload(self, session: ChatSession) -> ChatSession:
        with self.read_uow_factory() as uow:
            row = uow.chats.get(session.id)
            if row is None:
                raise NotFound("this chat session does not exist")
            return ChatSession.of(row)

    # -- customers ------------------------------------------------------------------------
    def customer_message(
        self, session: ChatSession, identity: CustomerIdentity, client_id: str, text: str
    ) -> Posted:
        """Into the one pipeline; a resent client id is a no-op that returns the original."""
        external_id = client_message_id(identity.external_id, client_id)
        command = ReceiveCustomerMessage(
            customer=CustomerData(
                external_id=identity.external_id,
                role=identity.role,
                tier=identity.tier,
                name=identity.name or None,
                email=identity.email,
                language="en" if session.locale == "en" else "zh",
            ),
            channel=Channel.CHAT.value,
            body=text,
            ticket_id=session.ticket_id,
            external_id=external_id,
        )
        received = _retrying(
            lambda: self.receive(command),
            self.retry_on,
        )
        attached = None
        if received.ticket_id != session.ticket_id:  # first message, or a follow-up ticket
            with self.uow_factory() as uow:
                uow.chats.attach_ticket(session.id, received.ticket_id)
                row = uow.chats.get(session.id)
                if row is None:
                    raise NotFound("this chat session does not exist")
                uow.commit()
            attached = ChatSession.of(row)
        assert received.message_id is not None  # chat messages always carry their client id
        return Posted(
            message_id=received.message_id,
            ticket_id=received.ticket_id,
            created=received.created,
            duplicate=received.duplicate,
            session=attached,
        )

    def catch_up(self, ticket_id: int, after_id: int) -> tuple[list[dict[str, Any]], QueueStatus]:
        """What a customer's widget has not seen yet, and where the chat stands: one read."""
        with self.read_uow_factory() as uow:
            rows: list[dict[str, Any]] = uow.chats.messages(ticket_id, after_id, True)
            return rows, _queue_status(uow, ticket_id)

    def mark_read(self, ticket_id: int, who: str, message_id: int) -> bool:
        """Move a read mark forward; True when it moved (then the other side is told). A mark
        past the last message the reader can see is refused: it would show everything to come
        as read, and no later mark could move it back."""
        with self.uow_factory() as uow:
            last = uow.chats.last_message_id(ticket_id, public_only=who == "customer")
            if message_id > last:
                raise InvalidInput(
                    f"message_id {message_id} is past the last message of this chat ({last})",
                    code="bad_frame",
                )
            moved = bool(uow.chats.mark_read(ticket_id, who, message_id))
            if moved:
                uow.commit()
            return moved

    def end(self, session: ChatSession, by: Actor) -> bool:
        """End the chat; its ticket stays (tagged `chat_ended`, with an internal note)."""
        return _retrying(lambda: self._end(session, by), self.retry_on)

    def _end(self, session: ChatSession, by: Actor) -> bool:
        with self.uow_factory() as uow:
            if not uow.chats.end(session.id, by.type, utcnow()):
                return False
            if session.ticket_id is not None:
                ticket = uow.tickets.get(session.ticket_id)
                answered = ticket.first_response_at is not None
                ticket.set_tags([*ticket.tags, ENDED_TAG], by, reason="chat ended")
                locale = locale_for_language(ticket.language)
                if answered:
                    text = gettext_for(
                        locale, "The chat has ended. The conversation stays here as a ticket."
                    )
                else:
                    text = gettext_for(
                        locale,
                        "The customer left the chat before an agent replied. The conversation "
                        "stays in the queue as a ticket.",
                    )
                note = uow.tickets.add_message(
                    Message(
                        ticket_id=ticket.stored_id,
                        author_type="system",
                        visibility="internal",
                        channel=ticket.channel,
                        body=text,
                    )
                )
                ticket.add_message(note, Actor.system("chat"))
            uow.commit()
            return True

    def end_by_agent(self, agent: AgentProfile, ticket_id: int) -> bool:
        with self.read_uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            _check_group(agent, ticket.group if ticket is not None else None)
            row = uow.chats.latest_for_ticket(ticket_id)
        by = Actor(type="agent", id=agent.id, name=agent.name)
        return row is not None and self.end(ChatSession.of(row), by)

    # -- agents ---------------------------------------------------------------------------
    def agent(self, agent_id: int) -> AgentProfile | None:
        with self.read_uow_factory() as uow:
            agent = uow.agents.get(agent_id)
            if agent is None or not agent.active:
                return None
            blocked = uow.routing.in_house_only_groups() if agent.is_outsourced else set()
            return AgentProfile(
                id=agent_id,
                name=agent.name,
                outsourced=agent.is_outsourced,
                locale=locale_for_language(agent.language),
                blocked_groups=frozenset(blocked),
            )

    def agent_message(self, agent: AgentProfile, ticket_id: int, text: str) -> int:
        """A public reply through the ticket use case; only on chat tickets."""
        with self.read_uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            if ticket is None or ticket.channel != Channel.CHAT.value:
                raise NotFound(f"chat {ticket_id} not found")
            _check_group(agent, ticket.group)
        command = AddAgentMessage(ticket_id=ticket_id, agent_id=agent.id, body=text)
        return _retrying(
            lambda: self.tickets.add_agent_message(self.uow_factory(), command), self.retry_on
        )

    def check_agent_may_see(self, agent: AgentProfile, ticket_id: int) -> None:
        """Typing and read marks are held to the rule `open`, `message` and `end` follow."""
        if not agent.blocked_groups:
            return
        with self.read_uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            _check_group(agent, ticket.group if ticket is not None else None)

    def live_chats(self, agent: AgentProfile) -> list[dict[str, Any]]:
        with self.read_uow_factory() as uow:
            rows = uow.chats.live()
        return [r for r in rows if r["group"] not in agent.blocked_groups]

    # -- reads for delivery and replay ----------------------------------------------------
    def ticket_group(self, ticket_id: int) -> str | None:
        """Which agents a chat's live signals may reach depends on its ticket's group now."""
        with self.read_uow_factory() as uow:
            group: str | None = uow.chats.ticket_group(ticket_id)
            return group

    def messages_for_delivery(self, message_ids: list[int]) -> list[dict[str, Any]]:
        """Stored messages with what the live screens show, in id order (missing ones left out)."""
        with self.read_uow_factory() as uow:
            rows: list[dict[str, Any]] = uow.chats.messages_by_id(message_ids)
            return rows

    def history(self, ticket_id: int, after_id: int, public_only: bool) -> list[dict[str, Any]]:
        with self.read_uow_factory() as uow:
            rows: list[dict[str, Any]] = uow.chats.messages(ticket_id, after_id, public_only)
            return rows

    # -- transcripts ----------------------------------------------------------------------
    def request_transcript(self, session: ChatSession, email: str, locale: str) -> int:
        """Record the request (and an outbox event the mailer reacts to); the request id."""
        address = email_address(email)
        if session.ticket_id is None:
            raise InvalidInput("there is nothing to send yet", code="empty_chat")
        with self.uow_factory() as uow:
            request_id = int(
                uow.chats.add_transcript_request(
                    session_id=session.id,
                    ticket_id=session.ticket_id,
                    email=address,
                    locale=locale,
                    at=utcnow(),
                )
            )
            uow.record(TranscriptRequested(request_id=request_id, ticket_id=session.ticket_id))
            uow.commit()
            return request_id

    def send_transcript(self, envelope: Envelope) -> None:
        """Reaction: mail the public conversation, once; without a mailer it stays pending."""
        if self.mailer is None:
            return
        with self.uow_factory() as uow:
            if not first_time(uow, "send_chat_transcript", envelope.event_id):
                return
            request = uow.chats.transcript_request(envelope.payload["request_id"])
            ticket = uow.tickets.get(envelope.payload["ticket_id"])
            if request is None or ticket is None or request["sent_at"] is not None:
                return
            messages = uow.chats.messages(ticket.id, 0, True)
            error: str | None = None
            sent_at: datetime | None = utcnow()
            try:
                self.mailer.send_transcript(
                    to=request["email"],
                    locale=request["locale"],
                    reference=ticket.reference,
                    messages=messages,
                )
            except Exception as exc:  # the request stays pending with the reason
                log.warning("chat.transcript_failed", request_id=request["id"], error=str(exc))
                error, sent_at = str(exc)[:2000], None
            uow.chats.transcript_done(request["id"], sent_at, error)
            uow.commit()

    def subscriptions(self) -> dict[str, list[Callable[[Envelope], None]]]:
        return {TranscriptRequested.name: [self.send_transcript]}

    def pending_transcripts(self) -> list[dict[str, Any]]:
        with self.read_uow_factory() as uow:
            rows: list[dict[str, Any]] = uow.chats.pending_transcripts()
            return rows


def _check_group(agent: AgentProfile, group: str | None) -> None:
    """Outsourced agents never work in in-house-only groups' chats (ADR 0602)."""
    if group is not None and group in agent.blocked_groups:
        raise Forbidden("this chat is in an in-house-only group", code="in_house_only")


def _queue_status(uow: UnitOfWork, ticket_id: int) -> QueueStatus:
    """Position and ETA while nobody has answered; `waiting=False` once an agent has."""
    ticket = uow.tickets.get(ticket_id)
    if (
        ticket is None
        or ticket.first_response_at is not None
        or ticket.status
        not in {
            Status.NEW.value,
            Status.OPEN.value,
        }
    ):
        return QueueStatus(waiting=False, position=None, eta_seconds=None)
    position = None
    if ticket.assignee_id is None:
        ahead = uow.routing.ahead_in_queue(
            ticket.id, ticket.group, ticket.priority, ticket.created_at
        )
        position = int(ahead) + 1
    eta = None
    if ticket.eta_seconds is not None:
        waited = (utcnow() - ticket.created_at).total_seconds()
        eta = max(0, round(ticket.eta_seconds - waited))
    return QueueStatus(waiting=True, position=position, eta_seconds=eta)
