"""The customer's socket (`/ws/chat`): identity, resume with replay, messages into the pipeline."""

from __future__ import annotations

from typing import ClassVar

import structlog

from consigndesk.adapters.channels.chat.protocol import (
    CUSTOMER_TYPES,
    MAX_FRAME_BYTES,
    Frame,
    FrameError,
    error,
    message_frame,
)
from consigndesk.adapters.channels.chat.socket import CLOSE_UNAUTHORIZED, SocketSession
from consigndesk.domain.errors import DomainError, InvalidInput
from consigndesk.domain.events import Actor
from consigndesk.domain.tickets import format_reference
from consigndesk.services.auth import CustomerIdentity, verify_customer_token
from consigndesk.services.chat import ChatSession, QueueStatus, anonymous_identity

log = structlog.get_logger(__name__)


class CustomerSocket(SocketSession):
    kind = "customer"
    allowed: ClassVar[set[str]] = CUSTOMER_TYPES

    identity: CustomerIdentity
    session: ChatSession

    async def greet(self) -> bool:
        hello = await self.hello()
        try:
            self.identity = self._identify(hello)
        except DomainError as exc:
            return await self.refuse(exc.code, exc.message, CLOSE_UNAUTHORIZED)
        try:
            last_seen = hello.integer("last_seen_id", 0)
        except FrameError as exc:  # checked before anything is stored
            return await self.refuse_hello(exc)
        self.who = self.identity.external_id
        locale = "en" if hello.data.get("lang") == "en" else "zh_CN"
        session_id = hello.data.get("session_id")
        self.session = await self.blocking(
            self.channel.chat.start,
            self.identity,
            session_id if isinstance(session_id, str) else None,
            locale,
        )
        self.messages = self.channel.message_bucket()
        self.customer_bucket = self.channel.customer_buckets.for_customer(self.who)
        ticket_id = self.session.ticket_id
        self.send(
            {
                "type": "welcome",
                "session_id": self.session.id,
                "ticket_id": ticket_id,
                "reference": format_reference(ticket_id) if ticket_id else None,
                "agent_read_id": self.session.agent_read_id,
                "max_chars": self.channel.limits.max_chars,
                "resumed": session_id == self.session.id,
            }
        )
        log.info("chat.customer_connected", who=self.who, session=self.session.id)
        if ticket_id is not None:
            status = await self._follow(ticket_id, last_seen)
            self._send_queue(ticket_id, status)
        return True

    def _identify(self, hello: Frame) -> CustomerIdentity:
        token, email = hello.data.get("token"), hello.data.get("email")
        if isinstance(token, str) and token:
            secret = self.channel.platform_secret()
            if not secret:
                raise InvalidInput("this server takes no platform tokens", code="chat_unavailable")
            return verify_customer_token(secret, token[:4096])
        if isinstance(email, str) and email and self.channel.allow_anonymous:
            return anonymous_identity(email)
        raise InvalidInput("send a platform token or an email address", code="unauthorized")

    async def _follow(self, ticket_id: int, after_id: int) -> QueueStatus:
        """Watch the conversation live, then replay what the widget has not seen (deduplicated
        against live delivery, so nothing is lost in between and nothing doubled); returns
        where the chat stands, read with the replay."""
        self.hub.follow(self.peer, ticket_id)
        rows, status = await self.blocking(self.channel.chat.catch_up, ticket_id, after_id)
        for row in rows:
            self.peer.push_message(message_frame(row))
        return status

    def _send_queue(self, ticket_id: int, status: QueueStatus) -> None:
        if status.waiting:
            self.send(
                {
                    "type": "queue",
                    "ticket_id": ticket_id,
                    "position": status.position,
                    "eta_seconds": status.eta_seconds,
                }
            )

    # -- frames ---------------------------------------------------------------------------
    async def handle(self, frame: Frame) -> None:
        if frame.type == "message":
            await self._message(frame)
        elif frame.type == "typing":
            if self.session.ticket_id is not None:
                await self.hub.signal(
                    "typing", self.session.ticket_id, by="customer", on=frame.flag("on")
                )
        elif frame.type == "read":
            await self._read(frame.integer("message_id"))
        elif frame.type == "end":
            await self._end()
        elif frame.type == "transcript":
            await self._transcript(frame)
        elif frame.type == "ping":
            self.send({"type": "pong"})
        elif frame.type == "hello":
            raise FrameError("bad_frame", "already said hello")

    async def _message(self, frame: Frame) -> None:
        client_id = frame.text("client_id", 64)
        text = frame.text("text", self.channel.limits.max_chars)
        if not text.strip():
            raise FrameError("empty_message", "the message is empty")
        if self.session.ended:
            self.send(
                error("chat_ended", "this chat has ended; start a new one", client_id=client_id)
            )
            return
        if not self.messages.take() or not self.customer_bucket.take():
            self._rate_limited(client_id)
            return
        posted = await self.blocking(
            self.channel.chat.customer_message, self.session, self.identity, client_id, text
        )
        status = None
        if posted.ticket_id != self.session.ticket_id:
            assert posted.session is not None  # stored with the new ticket attached
            self.session = posted.session
            status = await self._follow(posted.ticket_id, 0)
        self.send(
            {
                "type": "ack",
                "client_id": client_id,
                "message_id": posted.message_id,
                "ticket_id": posted.ticket_id,
                "reference": format_reference(posted.ticket_id),
                "duplicate": posted.duplicate,
            }
        )
        if posted.created and status is not None:  # a new ticket (so followed just now) is in
            self._send_queue(posted.ticket_id, status)  # the queue: where it stands

    def _rate_limited(self, client_id: str) -> None:
        retry = max(self.messages.retry_after(), self.customer_bucket.retry_after())
        log.warning("chat.rate_limited", who=self.who, scope="messages", retry_after=retry)
        self.send(
            error(
                "rate_limited",
                "you are sending messages too fast; it will be sent again shortly",
                client_id=client_id,
                scope="customer",
                retry_after=retry,
            )
        )

    async def _read(self, message_id: int) -> None:
        ticket_id = self.session.ticket_id
        if ticket_id is None:
            return
        if await self.blocking(self.channel.chat.mark_read, ticket_id, "customer", message_id):
            await self.hub.signal("read", ticket_id, by="customer", message_id=message_id)

    async def _end(self) -> None:
        actor = Actor(type="customer", name=self.identity.name)
        ended = await self.blocking(self.channel.chat.end, self.session, actor)
        self.session = await self.blocking(self.channel.chat.reload, self.session)
        self.send({"type": "ended", "ticket_id": self.session.ticket_id, "by": "customer"})
        if ended and self.session.ticket_id is not None:
            await self.hub.signal("ended", self.session.ticket_id, by="customer")

    async def _transcript(self, frame: Frame) -> None:
        # any length: the address check answers bad_email, as the hello's does
        email = frame.text("email", MAX_FRAME_BYTES, required=False) or (self.identity.email or "")
        request_id = await self.blocking(
            self.channel.chat.request_transcript, self.session, email, self.session.locale
        )
        self.send({"type": "transcript_requested", "request_id": request_id, "email": email})
