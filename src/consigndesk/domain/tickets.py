"""The ticket aggregate: one conversation with a customer, its status machine and its messages."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from consigndesk.domain.errors import InvalidInput, InvalidTransition
from consigndesk.domain.events import (
    Actor,
    Event,
    FieldChanged,
    MessageAdded,
    OrderLinked,
    StatusChanged,
    TicketCreated,
    TicketRated,
    TicketTriaged,
    utcnow,
)
from consigndesk.domain.taxonomy import Intent, Priority
from consigndesk.domain.triage import TriageResult


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    SOLVED = "solved"
    CLOSED = "closed"


class Channel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    VOICE = "voice"
    API = "api"
    WEB = "web"


class OrderLink(StrEnum):
    """How a ticket found its order, recorded so agents can judge the link."""

    EXPLICIT = "explicit"
    TEXT = "text"
    RECENT_OPEN = "recent_open"
    NONE = "none"


ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.SOLVED}),
    Status.OPEN: frozenset({Status.PENDING, Status.SOLVED}),
    Status.PENDING: frozenset({Status.OPEN, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

CHANNELS = frozenset(Channel)
PRIORITIES = frozenset(Priority)
INTENTS = frozenset(Intent)

REFERENCE_PREFIX = "CD-"
MAX_ROW_ID = 2**63 - 1
"""The largest id a stored row can have: both databases keep ids as signed 64-bit integers."""
_REFERENCE = re.compile(rf"{REFERENCE_PREFIX}([0-9]{{1,19}})")


def format_reference(ticket_id: int) -> str:
    return f"{REFERENCE_PREFIX}{ticket_id:06d}"


def parse_reference(reference: str) -> int | None:
    """`CD-000123` → 123; anything else, or a number no ticket can have, → None."""
    match = _REFERENCE.fullmatch(reference.strip().upper())
    if match is None or not 0 < (number := int(match.group(1))) <= MAX_ROW_ID:
        return None
    return number


class Message:
    """One entry in a conversation: a public reply or an internal note."""

    def __init__(
        self,
        *,
        ticket_id: int,
        author_type: str,
        body: str,
        body_html: str = "",
        visibility: str = "public",
        channel: str = "api",
        author_id: int | None = None,
        attachments: list[dict[str, Any]] | None = None,
        external_id: str | None = None,
        triage: dict[str, Any] | None = None,
        created_at: datetime | None = None,
    ) -> None:
        if author_type not in {"customer", "agent", "ai", "system"}:
            raise InvalidInput(f"unknown author type {author_type!r}")
        if visibility not in {"public", "internal"}:
            raise InvalidInput(f"unknown visibility {visibility!r}")
        if visibility == "internal" and author_type == "customer":
            raise InvalidInput("customers cannot write internal notes")
        self.id: int | None = None
        self.ticket_id = ticket_id
        self.author_type = author_type
        self.author_id = author_id
        self.visibility = visibility
        self.channel = channel
        self.body = body
        self.body_html = body_html
        self.attachments = list(attachments or [])
        self.external_id = external_id
        self.triage = triage
        self.created_at = created_at or utcnow()


class Ticket:
    def __init__(
        self,
        *,
        customer_id: int,
        channel: str,
        subject: str,
        language: str = "en",
        created_at: datetime | None = None,
    ) -> None:
        if channel not in CHANNELS:
            raise InvalidInput(f"unknown channel {channel!r}")
        self.id: int | None = None
        self.customer_id = customer_id
        self.channel = channel
        self.subject = subject.strip()[:250]
        self.language = language
        self.status = Status.NEW.value
        self.priority = Priority.P3.value
        self.intent = Intent.OTHER.value
        self.intent_confidence = 0.0
        self.group = "general"
        self.needs_human = False
        self.triage: dict[str, Any] | None = None
        self.assignee_id: int | None = None
        self.tags: list[str] = []
        self.order_ref: str | None = None
        self.order_link = OrderLink.NONE.value
        self.eta_seconds: int | None = None
        self.follow_up_of: int | None = None
        self.csat_score: int | None = None
        self.csat_comment: str | None = None
        self.created_at = created_at or utcnow()
        self.updated_at = self.created_at
        self.first_response_at: datetime | None = None
        self.solved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.version = 1

    # -- events -------------------------------------------------------------------------
    def _record(self, event: Event) -> None:
        self.__dict__.setdefault("_pending_events", []).append(event)
        self.updated_at = event.at

    def pull_events(self) -> list[Event]:
        """Hand over the events recorded since the last call (the unit of work persists them)."""
        return self.__dict__.pop("_pending_events", [])

    @property
    def reference(self) -> str:
        assert self.id is not None, "ticket has no id before it is stored"
        return format_reference(self.id)

    @property
    def stored_id(self) -> int:
        """The id, which exists once the repository has stored the ticket."""
        assert self.id is not None, "ticket must be stored before it changes"
        return self.id

    # -- lifecycle -----------------------------------------------------------------------
    def record_created(self, actor: Actor) -> None:
        self._record(
            TicketCreated(
                ticket_id=self.stored_id,
                actor=actor,
                reference=self.reference,
                channel=self.channel,
                customer_id=self.customer_id,
                subject=self.subject,
                at=self.created_at,
            )
        )

    def change_status(self, new: str, actor: Actor, reason: str = "") -> None:
        try:
            target = Status(new)
        except ValueError:
            raise InvalidInput(f"unknown status {new!r}") from None
        current = Status(self.status)
        if target == current:
            return
        if target not in ALLOWED_TRANSITIONS[current]:
            raise InvalidTransition(
                f"a {current.value} ticket cannot become {target.value}",
                code=f"invalid_transition.{current.value}_to_{target.value}",
            )
        now = utcnow()
        self.status = target.value
        if target == Status.SOLVED:
            self.solved_at = now
        elif target == Status.CLOSED:
            self.closed_at = now
        elif current == Status.SOLVED:
            self.solved_at = None
        self._record(
            StatusChanged(
                ticket_id=self.stored_id,
                actor=actor,
                old=current.value,
                new=target.value,
                reason=reason,
            )
        )

    def accepts_customer_messages(self) -> bool:
        return self.status != Status.CLOSED

    def add_message(self, message: Message, actor: Actor) -> None:
        """Record a stored message and apply what it means for status and response times."""
        if message.id is None:
            raise InvalidInput("message must be stored before it is recorded")
        if message.author_type == "customer":
            if not self.accepts_customer_messages():
                raise InvalidTransition(
                    "a closed ticket takes no new messages; open a follow-up",
                    code="ticket_closed",
                )
            if self.status in {Status.PENDING, Status.SOLVED}:
                self.change_status(Status.OPEN, actor, reason="customer wrote again")
        elif message.visibility == "public" and message.author_type in {"agent", "ai"}:
            if message.author_type == "agent" and self.first_response_at is None:
                self.first_response_at = message.created_at
            if message.author_type == "agent" and self.status == Status.NEW:
                self.change_status(Status.OPEN, actor, reason="first agent reply")
        self._record(
            MessageAdded(
                ticket_id=self.stored_id,
                actor=actor,
                message_id=message.id,
                author_type=message.author_type,
                visibility=message.visibility,
                channel=message.channel,
                at=message.created_at,
            )
        )

    # -- fields --------------------------------------------------------------------------
    def _set(self, field: str, value: Any, actor: Actor, reason: str) -> None:
        old = getattr(self, field)
        if old == value:
            return
        setattr(self, field, value)
        self._record(
            FieldChanged(
                ticket_id=self.stored_id,
                actor=actor,
                field=field,
                old=old,
                new=value,
                reason=reason,
            )
        )

    def set_priority(self, priority: str, actor: Actor, reason: str = "") -> None:
        if priority not in PRIORITIES:
            raise InvalidInput(f"unknown priority {priority!r}")
        self._set("priority", priority, actor, reason)

    def set_intent(self, intent: str, actor: Actor, reason: str = "") -> None:
        if intent not in INTENTS:
            raise InvalidInput(f"unknown intent {intent!r}")
        self._set("intent", intent, actor, reason)

    def set_group(self, group: str, actor: Actor, reason: str = "") -> None:
        self._set("group", group, actor, reason)

    def assign(self, agent_id: int | None, actor: Actor, reason: str = "") -> None:
        self._set("assignee_id", agent_id, actor, reason)
        if agent_id is not None and self.status == Status.NEW:
            self.change_status(Status.OPEN, actor, reason="assigned")

    def set_tags(self, tags: list[str], actor: Actor, reason: str = "") -> None:
        clean = sorted({t.strip().lower()[:40] for t in tags if t.strip()})
        self._set("tags", clean, actor, reason)

    def link_order(self, order_ref: str, how: str, actor: Actor) -> None:
        self.order_ref = order_ref
        self.order_link = OrderLink(how).value
        self._record(
            OrderLinked(ticket_id=self.stored_id, actor=actor, order_ref=order_ref, how=how)
        )

    def apply_triage(self, result: TriageResult, actor: Actor) -> None:
        """Take intent, priority and group from triage: the one seam triage writes through."""
        self.triage = result.as_dict()
        self.language = result.language
        self.intent = result.intent
        self.intent_confidence = result.intent_confidence
        self.priority = result.priority
        self.group = result.group
        self.needs_human = result.needs_human
        self._record(
            TicketTriaged(
                ticket_id=self.stored_id,
                actor=actor,
                result=self.triage,
                reason="; ".join(result.reasons),
            )
        )

    def rate(self, score: int, comment: str, actor: Actor) -> None:
        if self.status not in {Status.SOLVED, Status.CLOSED}:
            raise InvalidTransition("only a solved ticket can be rated", code="not_solved")
        if self.csat_score is not None:
            raise InvalidTransition("this ticket has already been rated", code="already_rated")
        if not 1 <= score <= 5:
            raise InvalidInput("rating must be between 1 and 5")
        self.csat_score = score
        self.csat_comment = comment.strip()[:2000]
        self._record(
            TicketRated(
                ticket_id=self.stored_id, actor=actor, score=score, comment=self.csat_comment
            )
        )
