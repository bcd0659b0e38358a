"""The agent's socket (`/ws/agent`): live chats, history, replies, typing, read marks, ending."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

import structlog

from consigndesk.adapters.channels.chat.protocol import (
    AGENT_TYPES,
    Frame,
    FrameError,
    message_frame,
    ticket_summary,
)
from consigndesk.adapters.channels.chat.socket import (
    CLOSE_FORBIDDEN,
    CLOSE_UNAUTHORIZED,
    SocketSession,
)
from consigndesk.domain.errors import Forbidden
from consigndesk.domain.privacy import mask_text
from consigndesk.services.chat import CLIENT_ID, AgentProfile

log = structlog.get_logger(__name__)


class AgentSocket(SocketSession):
    kind = "agent"
    allowed: ClassVar[set[str]] = AGENT_TYPES

    agent: AgentProfile

    async def greet(self) -> bool:
        if not _same_origin(self.ws.headers.get("origin"), self.ws.headers.get("host")):
            return await self.refuse(
                "bad_origin", "connect from this site's pages", CLOSE_FORBIDDEN
            )
        session = self.ws.scope.get("session") or {}
        agent_id = session.get("agent_id")
        profile = await self.blocking(self.channel.chat.agent, int(agent_id)) if agent_id else None
        if profile is None:
            return await self.refuse("unauthorized", "sign in as an agent", CLOSE_UNAUTHORIZED)
        self.agent = profile
        self.who = f"agent:{profile.id}"
        self.peer.agent = profile
        await self.hello()
        chats = await self.blocking(self.channel.chat.live_chats, profile)
        self.send(
            {
                "type": "welcome",
                "agent": {"id": profile.id, "name": profile.name},
                "chats": [self._summary(row) for row in chats],
                "max_chars": self.channel.limits.max_chars,
            }
        )
        self.hub.join_agent(self.peer)
        log.info("chat.agent_connected", who=self.who)
        return True

    def _summary(self, row: dict[str, Any]) -> dict[str, Any]:
        summary = ticket_summary(row)
        summary["session_id"] = row.get("id")
        summary["customer_read_id"] = row.get("customer_read_id", 0)
        if self.agent.outsourced:
            summary["customer"] = mask_text(summary["customer"])
            summary["subject"] = mask_text(summary["subject"])
        return summary

    async def handle(self, frame: Frame) -> None:
        if frame.type == "open":
            await self._open(frame.integer("ticket_id"), frame.integer("after_id", 0))
        elif frame.type == "message":
            await self._reply(frame)
        elif frame.type == "typing":
            ticket_id, on = frame.integer("ticket_id"), frame.flag("on")
            await self._check_may_see(ticket_id)
            await self.hub.signal("typing", ticket_id, by="agent", on=on, name=self.agent.name)
        elif frame.type == "read":
            ticket_id, message_id = frame.integer("ticket_id"), frame.integer("message_id")
            await self._check_may_see(ticket_id)
            if await self.blocking(self.channel.chat.mark_read, ticket_id, "agent", message_id):
                await self.hub.signal("read", ticket_id, by="agent", message_id=message_id)
        elif frame.type == "end":
            ticket_id = frame.integer("ticket_id")
            if await self.blocking(self.channel.chat.end_by_agent, self.agent, ticket_id):
                await self.hub.signal("ended", ticket_id, by="agent")
        elif frame.type == "ping":
            self.send({"type": "pong"})
        elif frame.type == "hello":
            raise FrameError("bad_frame", "already said hello")

    async def _check_may_see(self, ticket_id: int) -> None:
        """In-house agents may see every chat: only an outsourced agent's frame costs a read."""
        if self.agent.blocked_groups:
            await self.blocking(self.channel.chat.check_agent_may_see, self.agent, ticket_id)

    async def _open(self, ticket_id: int, after_id: int) -> None:
        """A chat's conversation so far (internal notes too), for the agent's screen."""
        rows = await self.blocking(self.channel.chat.history, ticket_id, after_id, False)
        if rows and rows[0]["group"] in self.agent.blocked_groups:
            raise Forbidden("this chat is in an in-house-only group", code="in_house_only")
        frames = []
        for row in rows:
            frame = message_frame(row)
            if self.agent.outsourced:
                frame["text"] = mask_text(frame["text"])
            frames.append(frame)
        self.send({"type": "history", "ticket_id": ticket_id, "messages": frames})

    async def _reply(self, frame: Frame) -> None:
        ticket_id = frame.integer("ticket_id")
        client_id = frame.text("client_id", 64)
        if not CLIENT_ID.fullmatch(client_id):
            raise FrameError("bad_frame", "client_id must be 1-64 letters, digits, '-' or '_'")
        text = frame.text("text", self.channel.limits.max_chars)
        if not text.strip():
            raise FrameError("empty_message", "the message is empty")
        key = (self.agent.id, client_id)
        message_id = self.channel.agent_replies.get(key)
        if message_id is None:
            message_id = await self.blocking(
                self.channel.chat.agent_message, self.agent, ticket_id, text
            )
            self.channel.remember_reply(key, message_id)
        self.send(
            {
                "type": "ack",
                "client_id": client_id,
                "message_id": message_id,
                "ticket_id": ticket_id,
            }
        )


def _same_origin(origin: str | None, host: str | None) -> bool:
    """Cookie-authenticated sockets must come from our own pages (no cross-site hijacking)."""
    if not origin:
        return True  # not a browser (browsers always send Origin on websocket handshakes)
    return bool(host) and urlsplit(origin).netloc.lower() == (host or "").lower()
