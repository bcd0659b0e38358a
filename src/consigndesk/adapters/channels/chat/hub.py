"""The connection hub: this process's open chat sockets, fed by broadcast bus events.

Bus handlers run in whatever thread delivers (the outbox relay, or a publisher) and only note
what arrived; one delivery task on the event loop reads the new messages, as many as have
gathered, in one query in a worker thread and fans them out. Everything that touches the sockets'
queues runs on the loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket

from consigndesk.adapters.channels.chat.protocol import encode, message_frame, ticket_summary
from consigndesk.domain.events import utcnow
from consigndesk.domain.privacy import mask_text
from consigndesk.services.bus import Envelope, EventBus
from consigndesk.services.chat import AgentProfile, ChatServices

log = structlog.get_logger(__name__)

SIGNAL = "chat.signal"  # ephemeral: typing, read marks, chat ended, queue updates (not stored)
QUEUE_LIMIT = 1000  # frames waiting for one slow socket before we drop it (it resumes by replay)
SENT_MEMORY = 2000
_CLOSE = {"type": "__close__"}


class Peer:
    """One socket's outgoing side: frames queue on the loop and one writer sends them in order."""

    def __init__(self, kind: str, agent: AgentProfile | None = None) -> None:
        self.kind = kind
        self.agent = agent
        self.ticket_id: int | None = None
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.overflowed = False
        self._sent: dict[int, None] = {}  # message ids already queued (insertion-ordered)

    def push(self, frame: dict[str, Any]) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.overflowed = True
            self.queue.put_nowait(_CLOSE)
            return
        self.queue.put_nowait(frame)

    def push_message(self, frame: dict[str, Any]) -> None:
        """A message frame, once: live delivery and replay may both offer it."""
        message_id = int(frame["id"])
        if message_id in self._sent:
            return
        self._sent[message_id] = None
        if len(self._sent) > SENT_MEMORY:
            del self._sent[next(iter(self._sent))]
        self.push(frame)

    def close(self) -> None:
        self.queue.put_nowait(_CLOSE)

    async def write(self, ws: WebSocket) -> None:
        """Send queued frames until closed; a socket that fell too far behind is closed (1013)."""
        try:
            while True:
                frame = await self.queue.get()
                if frame is _CLOSE:
                    if self.overflowed:
                        log.warning("chat.peer_overflow", kind=self.kind, ticket=self.ticket_id)
                        await ws.close(1013, "too far behind; reconnect and resume")
                    return
                await ws.send_text(encode(frame))
        except Exception as exc:
            log.info("chat.write_stopped", kind=self.kind, reason=exc.__class__.__name__)
            await _close_quietly(ws)


async def _close_quietly(ws: WebSocket) -> None:
    """A socket nothing more can be written to is closed (1011), so the reader stops and the
    client reconnects and resumes, instead of staying open and silent; if it already went
    away, there is nothing to do."""
    with contextlib.suppress(Exception):
        await ws.close(1011, "the server could not write to this connection; reconnect")


class ChatHub:
    def __init__(self, chat: ChatServices, bus: EventBus) -> None:
        self._chat = chat
        self._bus = bus
        self._loop: asyncio.AbstractEventLoop | None = None
        self._customers: dict[int, set[Peer]] = {}
        self._agents: set[Peer] = set()
        self._lock = threading.Lock()
        self._arrived: list[int] = []  # message ids not yet read for delivery
        self._delivering = False  # a delivery task is running (or scheduled) on the loop
        self._delivery: asyncio.Task[None] | None = None

    def subscriptions(self) -> dict[str, list[Callable[[Envelope], None]]]:
        """Broadcast subscriptions: every server process delivers to the sockets it holds."""
        return {"ticket.message_added": [self.on_message_added], SIGNAL: [self.on_signal]}

    # -- membership (loop thread) ---------------------------------------------------------
    def bind(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            with self._lock:  # a delivery task of a closed loop will not run again
                self._delivering = False
            self._loop = loop

    def follow(self, peer: Peer, ticket_id: int) -> None:
        if peer.ticket_id is not None and peer.ticket_id != ticket_id:
            self.leave(peer)
        peer.ticket_id = ticket_id
        self._customers.setdefault(ticket_id, set()).add(peer)

    def join_agent(self, peer: Peer) -> None:
        self._agents.add(peer)

    def leave(self, peer: Peer) -> None:
        self._agents.discard(peer)
        if peer.ticket_id is not None:
            peers = self._customers.get(peer.ticket_id)
            if peers is not None:
                peers.discard(peer)
                if not peers:
                    del self._customers[peer.ticket_id]

    def counts(self) -> tuple[int, int]:
        return sum(len(p) for p in self._customers.values()), len(self._agents)

    # -- bus handlers (any thread; never raise: a failure would make the relay redeliver) --
    def on_message_added(self, envelope: Envelope) -> None:
        payload = envelope.payload
        if payload.get("channel") != "chat" or self._loop is None:
            return
        if payload["ticket_id"] not in self._customers and not self._agents:
            return  # nobody here is watching: no read at all
        with self._lock:
            self._arrived.append(int(payload["message_id"]))
            if self._delivering:
                return  # the running task takes it with the next batch
            self._delivering = True
        self._post(self._start_delivery)

    def _start_delivery(self) -> None:
        self._delivery = asyncio.get_running_loop().create_task(self._deliver())

    async def _deliver(self) -> None:
        """Read what arrived since the last read, in one query, until nothing is left."""
        while True:
            with self._lock:
                batch, self._arrived = self._arrived, []
                if not batch:
                    self._delivering = False
                    return
            try:
                rows = await run_in_threadpool(self._chat.messages_for_delivery, batch)
            except Exception:
                log.exception("chat.delivery_read_failed", messages=len(batch))
                continue
            for row in rows:
                self._fan_out_message(row)

    def on_signal(self, envelope: Envelope) -> None:
        if self._loop is not None:
            self._post(self._fan_out_signal, dict(envelope.payload))

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed since the check (shutdown)
            loop.call_soon_threadsafe(fn, *args)

    # -- fan-out (loop thread) ------------------------------------------------------------
    def _fan_out_message(self, row: dict[str, Any]) -> None:
        if row["visibility"] == "public":
            frame = message_frame(row)
            for peer in list(self._customers.get(row["ticket_id"], ())):
                peer.push_message(frame)
        if not self._agents:
            return
        plain = {**message_frame(row), "ticket": ticket_summary(row)}
        masked: dict[str, Any] | None = None
        for peer in list(self._agents):
            agent = peer.agent
            assert agent is not None
            if row["group"] in agent.blocked_groups:
                continue
            if agent.outsourced:
                masked = masked or masked_frame(plain)
                peer.push_message(masked)
            else:
                peer.push_message(plain)

    def _fan_out_signal(self, payload: dict[str, Any]) -> None:
        ticket_id = payload.get("ticket_id")
        group = payload.get("group")
        frame = {k: v for k, v in payload.items() if k not in {"kind", "group"}}
        frame["type"] = payload.get("kind")
        to_customers = payload.get("by") != "customer"
        to_agents = payload.get("by") != "agent" or payload.get("kind") == "ended"
        if to_customers and isinstance(ticket_id, int):
            for peer in list(self._customers.get(ticket_id, ())):
                peer.push(frame)
        if to_agents:
            for peer in list(self._agents):
                assert peer.agent is not None
                blocked = peer.agent.blocked_groups
                if blocked and (group is None or group in blocked):
                    continue  # an outsourced agent learns nothing of in-house-only chats
                peer.push(frame)

    # -- ephemeral signals ----------------------------------------------------------------
    async def signal(self, kind: str, ticket_id: int, **data: Any) -> None:
        """Publish a non-durable envelope straight on the bus (no outbox: losing one is fine)."""
        try:
            await run_in_threadpool(self._publish_signal, kind, ticket_id, data)
        except Exception as exc:
            log.warning("chat.signal_failed", kind=kind, error=str(exc))

    def _publish_signal(self, kind: str, ticket_id: int, data: dict[str, Any]) -> None:
        """With the ticket's group now, so that every process can hold the signal back from
        agents who may not see that group."""
        group = self._chat.ticket_group(ticket_id)
        payload = {"kind": kind, "ticket_id": ticket_id, "group": group, **data}
        self._bus.publish(
            Envelope(event_id=uuid.uuid4().hex, name=SIGNAL, payload=payload, occurred_at=utcnow())
        )


def masked_frame(frame: dict[str, Any]) -> dict[str, Any]:
    """Outsourced agents see emails and phone numbers masked, in the text and the chat list."""
    ticket = {
        **frame["ticket"],
        "customer": mask_text(frame["ticket"]["customer"]),
        "subject": mask_text(frame["ticket"]["subject"]),
    }
    return {**frame, "text": mask_text(frame["text"]), "ticket": ticket}
