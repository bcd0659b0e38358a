"""Email use cases: a raw message becomes a customer message (or a note, or quarantine); replies go
out by SMTP. Parsing and sending are ports; the pipeline is `receive_customer_message`."""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import Any, Protocol

import structlog

from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.domain.email_rules import (
    AUTO_REPLY,
    BOUNCE,
    LOOP,
    MAILING_LIST,
    InboundEmail,
    MalformedEmail,
    automatic_kind,
    customer_external_id,
    normalize_subject,
    referenced_ticket,
    reply_subject,
    storable_text,
    strip_subject,
)
from consigndesk.domain.errors import Conflict, DomainError, NotFound, StaleVersion
from consigndesk.domain.events import Actor, utcnow
from consigndesk.domain.tickets import Message, parse_reference
from consigndesk.i18n import gettext_for, locale_for_language
from consigndesk.services.bus import Envelope
from consigndesk.services.html import sanitize_html
from consigndesk.services.reactions import first_time
from consigndesk.services.tickets import Received
from consigndesk.services.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)
MAX_REFERENCES = 20
MAX_NAME = 200  # customers.name
ATTEMPTS = 3  # a busy ticket or a concurrently created customer: thread and store again


class MailParser(Protocol):
    def __call__(self, raw: bytes) -> InboundEmail: ...


@dataclass(frozen=True, kw_only=True)
class OutboundEmail:
    """A reply to send, with the headers that thread it in the customer's mail program."""

    to: str
    to_name: str
    from_address: str
    from_name: str
    subject: str
    text: str
    html: str
    message_id: str
    in_reply_to: str | None
    references: tuple[str, ...]
    ticket_reference: str
    language: str


class MailSender(Protocol):
    def send(self, mail: OutboundEmail) -> None:
        """Hand over to the relay; raising means 'not sent, try again later'."""


@dataclass(frozen=True)
class IngestOutcome:
    """What became of one email: created | threaded | duplicate | noted | quarantined."""

    action: str
    ticket_id: int | None = None
    quarantine_id: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class _Held:
    """A message that goes to quarantine, not yet stored."""

    kind: str
    reason: str
    sender: str = ""
    subject: str = ""


@dataclass(kw_only=True)
class EmailChannel:
    receive: Callable[[ReceiveCustomerMessage], Received]  # the shared pipeline (group commit)
    retry_later: Callable[[Exception], bool]  # the database is down or busy: not the mail's fault
    uow_factory: Callable[[], UnitOfWork]
    read_uow_factory: Callable[[], UnitOfWork]
    parse: MailParser
    from_address: str
    from_name: str = ""
    thread_window: timedelta = timedelta(days=7)
    sender: MailSender | None = None

    # -- inbound -----------------------------------------------------------------------------
    def ingest(self, raw: bytes) -> IngestOutcome:
        """Durable once it returns: stored as a message, a note, or in quarantine."""
        result = self._process(raw, accept_automatic=False)
        if isinstance(result, IngestOutcome):
            return result
        with self.uow_factory() as uow:
            quarantine_id = uow.email.quarantine(
                raw=raw,
                kind=result.kind,
                reason=result.reason,
                sender=result.sender,
                subject=result.subject,
            )
            uow.commit()
        log.warning("email.quarantined", id=quarantine_id, kind=result.kind, reason=result.reason)
        return IngestOutcome("quarantined", quarantine_id=quarantine_id, reason=result.reason)

    def retry(self, quarantine_id: int) -> IngestOutcome:
        """An admin sends a held message through again (automatic mail included, by decision)."""
        with self.read_uow_factory() as uow:
            row = uow.email.quarantined(quarantine_id)
        if row is None:
            raise NotFound(f"quarantined email {quarantine_id} not found")
        if row["status"] != "held":
            raise Conflict(f"quarantined email {quarantine_id} was already released")
        result = self._process(bytes(row["raw"]), accept_automatic=True)
        if isinstance(result, _Held):
            return IngestOutcome("quarantined", quarantine_id=quarantine_id, reason=result.reason)
        with self.uow_factory() as uow:
            uow.email.release(quarantine_id, result.ticket_id)
            uow.commit()
        return result

    def _process(self, raw: bytes, *, accept_automatic: bool) -> IngestOutcome | _Held:
        try:
            mail = self.parse(raw)
        except MalformedEmail as exc:
            return _Held("malformed", exc.message)
        except Exception as exc:  # whatever the parser trips on is about these bytes: keep them
            log.exception("email.parse_failed", size=len(raw))
            return _Held("malformed", f"unreadable message: {exc.__class__.__name__}: {exc}")
        try:
            kind = None if accept_automatic else automatic_kind(mail, self._own_addresses)
            if kind is not None:
                return self._automatic(mail, kind)
            return self._receive_retrying(mail)
        except StaleVersion:
            raise  # the ticket stays busy: the sender (or the next poll) tries again later
        except DomainError as exc:
            return _Held("rejected", f"{exc.code}: {exc.message}", mail.sender, mail.subject)
        except Exception as exc:
            if self.retry_later(exc):
                raise
            return self._unstorable(mail, exc)

    def _unstorable(self, mail: InboundEmail, exc: Exception) -> _Held:
        """Retrying cannot store what failed for its content: held, not refused with a 451."""
        log.exception("email.not_stored", message_id=mail.message_id)
        first_line = next(iter(str(exc).splitlines()), "")
        reason = f"not stored: {exc.__class__.__name__}: {first_line}"
        return _Held("rejected", reason, mail.sender, mail.subject)

    @property
    def _own_addresses(self) -> frozenset[str]:
        return frozenset({self.from_address.lower()})

    def _receive_retrying(self, mail: InboundEmail) -> IngestOutcome:
        """Concurrent mail to one ticket or from one new sender collides; threading again wins."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._receive(mail)
            except DomainError as exc:
                if not isinstance(exc, StaleVersion) or attempt == ATTEMPTS:
                    raise
            except Exception:  # e.g. two transactions creating the same new customer
                if attempt == ATTEMPTS:
                    raise
            log.info("email.ingest_retry", message_id=mail.message_id, attempt=attempt)
        raise AssertionError("unreachable")

    def _receive(self, mail: InboundEmail) -> IngestOutcome:
        with self.read_uow_factory() as uow:
            known = uow.email.customer_by_email(mail.sender)
            ticket_id = self._thread(uow, mail, known.id if known else None)
            customer = (
                CustomerData(external_id=known.external_id, role=known.role)
                if known
                else CustomerData(
                    external_id=customer_external_id(mail.sender),
                    role="buyer",
                    name=mail.sender_name[:MAX_NAME] or None,
                    email=mail.sender,
                )
            )
        received = self.receive(
            ReceiveCustomerMessage(
                customer=customer,
                channel="email",
                subject=strip_subject(mail.subject),
                body=mail.text or strip_subject(mail.subject),
                body_html=mail.html,
                ticket_id=ticket_id,
                external_id=mail.message_id,
                attachments=list(mail.attachments),
            ),
        )
        if received.duplicate:
            return IngestOutcome("duplicate", ticket_id=received.ticket_id)
        for name, size in mail.too_large:
            self._note(
                received.ticket_id,
                f"{mail.message_id} {name}",
                functools.partial(_too_large_note, name=name, size=size),
            )
        action = "created" if received.created else "threaded"
        return IngestOutcome(action, ticket_id=received.ticket_id)

    def _thread(self, uow: UnitOfWork, mail: InboundEmail, customer_id: int | None) -> int | None:
        """Headers first, then the `[CD-…]` reference, then the sender's recent open ticket."""
        if customer_id is None:
            return None
        for candidate in (
            uow.email.ticket_for_message_ids(mail.thread_ids),
            referenced_ticket(mail.subject),
        ):
            ticket = uow.tickets.get(candidate) if candidate else None
            if ticket is not None and ticket.customer_id == customer_id:
                return int(ticket.id)
        subject = normalize_subject(mail.subject)
        if not subject:
            return None
        for ticket_id, ticket_subject in uow.email.open_tickets_since(
            customer_id, utcnow() - self.thread_window
        ):
            if normalize_subject(ticket_subject) == subject:
                return ticket_id
        return None

    def _automatic(self, mail: InboundEmail, kind: str) -> IngestOutcome | _Held:
        """Never answered: a note on the ticket it concerns, else kept in quarantine."""
        with self.read_uow_factory() as uow:
            ticket_id = uow.email.ticket_for_message_ids((*mail.thread_ids, *mail.embedded_ids))
            ticket_id = (
                ticket_id
                or parse_reference(mail.embedded_ticket)
                or referenced_ticket(mail.subject)
            )
            if ticket_id is not None and uow.tickets.get(ticket_id) is None:
                ticket_id = None
        if ticket_id is None:
            return _Held("automatic", f"{kind}: not answered", mail.sender, mail.subject)
        self._note(
            ticket_id,
            mail.message_id,
            lambda locale: (
                gettext_for(locale, "%(kind)s from %(sender)s, not answered: %(subject)s")
                % {
                    "kind": _kind_label(locale, kind),
                    "sender": mail.sender,
                    "subject": mail.subject,
                }
            ),
        )
        return IngestOutcome("noted", ticket_id=ticket_id, reason=kind)

    def _note(self, ticket_id: int, once_key: str, text: Callable[[str], str]) -> None:
        """An internal note for agents in the ticket's language, written once per `once_key`."""
        key = hashlib.sha256(once_key.encode()).hexdigest()
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
            if ticket is None or not first_time(uow, "email_note", key):
                return
            message = uow.tickets.add_message(
                Message(
                    ticket_id=ticket_id,
                    author_type="system",
                    visibility="internal",
                    channel="email",
                    body=storable_text(text(locale_for_language(ticket.language))),
                )
            )
            ticket.add_message(message, Actor.system("email"))
            uow.commit()

    # -- outbound ----------------------------------------------------------------------------
    def send_reply(self, envelope: Envelope) -> None:
        """An agent's (or the assistant's) public reply on an email ticket goes out by SMTP."""
        payload = envelope.payload
        if (
            self.sender is None
            or payload.get("author_type") not in {"agent", "ai"}
            or payload.get("visibility") != "public"
            or payload.get("channel") != "email"
        ):
            return
        with self.read_uow_factory() as uow:
            if uow.processed.already("email_reply", envelope.event_id):
                return
            mail = self._compose(uow, payload["ticket_id"], payload["message_id"], envelope)
        if mail is None:
            return
        self.sender.send(mail)  # before marking: a crash in between re-sends the same Message-ID
        with self.uow_factory() as uow:
            if first_time(uow, "email_reply", envelope.event_id):
                uow.email.record_sent(mail.message_id, payload["ticket_id"], payload["message_id"])
                uow.commit()
        log.info("email.sent", ticket=mail.ticket_reference, message_id=mail.message_id)

    def _compose(
        self, uow: UnitOfWork, ticket_id: int, message_id: int, envelope: Envelope
    ) -> OutboundEmail | None:
        ticket = uow.tickets.get(ticket_id)
        customer = uow.customers.get(ticket.customer_id) if ticket else None
        body = uow.email.message_body(message_id)
        if ticket is None or ticket.channel != "email" or body is None:
            return None
        if customer is None or not customer.email:
            log.warning("email.no_address", ticket=ticket.reference)
            return None
        text, html = body
        locale = locale_for_language(ticket.language)
        footer = gettext_for(
            locale, "Reply to this email to add to your request %(reference)s."
        ) % {"reference": ticket.reference}
        thread = uow.email.thread_ids(ticket_id)[-MAX_REFERENCES:]
        domain = self.from_address.rpartition("@")[2] or "consigndesk.localhost"
        return OutboundEmail(
            to=customer.email,
            to_name=customer.name,
            from_address=self.from_address,
            from_name=self.from_name,
            subject=reply_subject(ticket.subject, ticket.reference),
            text=f"{text}\n\n-- \n{footer}\n",
            html=sanitize_html(f"{html or _paragraphs(text)}<hr><p>{escape(footer)}</p>"),
            message_id=f"<{envelope.event_id}.{ticket.reference.lower()}@{domain}>",
            in_reply_to=uow.email.last_received_id(ticket_id) or (thread[-1] if thread else None),
            references=tuple(thread),
            ticket_reference=ticket.reference,
            language="en" if locale == "en" else "zh",
        )

    def send_transcript(
        self, *, to: str, locale: str, reference: str, messages: list[dict[str, Any]]
    ) -> None:
        """A chat's public conversation, mailed on the customer's request (chat's mailer port)."""
        if self.sender is None:
            raise ConnectionError("no outbound SMTP relay is configured")
        locale = locale_for_language(locale)
        lines = [
            f"[{m['created_at']:%Y-%m-%d %H:%M}] {_speaker(locale, m)}: {m['body']}"
            for m in messages
        ]
        text = "\n".join(lines)
        domain = self.from_address.rpartition("@")[2] or "consigndesk.localhost"
        self.sender.send(
            OutboundEmail(
                to=to,
                to_name="",
                from_address=self.from_address,
                from_name=self.from_name,
                subject=gettext_for(locale, "Your chat transcript %(reference)s")
                % {"reference": f"[{reference}]"},
                text=f"{text}\n",
                html=sanitize_html(_paragraphs(text)),
                message_id=f"<transcript.{uuid.uuid4().hex}.{reference.lower()}@{domain}>",
                in_reply_to=None,
                references=(),
                ticket_reference=reference,
                language="en" if locale == "en" else "zh",
            )
        )

    def subscriptions(self) -> dict[str, list[Callable[[Envelope], None]]]:
        return {"ticket.message_added": [self.send_reply]} if self.sender is not None else {}


def _speaker(locale: str, message: dict[str, Any]) -> str:
    if message["author_type"] == "customer":
        return gettext_for(locale, "You")
    if message["author_type"] == "agent":
        return str(message.get("agent_name") or gettext_for(locale, "Agent"))
    return gettext_for(locale, "Assistant")


def _paragraphs(text: str) -> str:
    return "".join(
        f"<p>{escape(block).replace(chr(10), '<br>')}</p>" for block in text.split("\n\n") if block
    )


def _too_large_note(locale: str, *, name: str, size: int) -> str:
    return gettext_for(
        locale, "Attachment %(name)s (%(size)s bytes) was over the size limit and was not stored."
    ) % {"name": name, "size": size}


def _kind_label(locale: str, kind: str) -> str:
    labels = {
        BOUNCE: gettext_for(locale, "Delivery failure report"),
        AUTO_REPLY: gettext_for(locale, "Automatic reply"),
        MAILING_LIST: gettext_for(locale, "Mailing-list message"),
        LOOP: gettext_for(locale, "Our own email came back"),
    }
    return labels.get(kind, kind)
