"""What both chat sockets share: the reader loop with flood and bad-frame control, one writer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketState

from consigndesk.adapters.channels.chat.channel import ChatChannel
from consigndesk.adapters.channels.chat.hub import Peer
from consigndesk.adapters.channels.chat.protocol import Frame, FrameError, error, parse
from consigndesk.domain.errors import DomainError

log = structlog.get_logger(__name__)
T = TypeVar("T")

CLOSE_POLICY = 1008  # floods, too many bad frames
CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHORIZED = 4401  # forged, expired or missing identity
CLOSE_FORBIDDEN = 4403  # wrong origin
CLOSE_HELLO_TIMEOUT = 4408
IDENTITY_CODES = {"bad_email", "bad_customer_token"}  # refused with 4401: resending will not help


class Disconnected(Exception):
    """The client went away (or we closed it): stop reading."""


class SocketSession:
    """One accepted websocket. Subclasses implement `greet` (authentication) and `handle`."""

    kind = "socket"
    allowed: ClassVar[set[str]] = set()

    def __init__(self, ws: WebSocket, channel: ChatChannel) -> None:
        self.ws = ws
        self.channel = channel
        self.hub = channel.hub
        self.peer = Peer(self.kind)
        self.frames = channel.frame_bucket()
        self.bad_frames = 0
        self.dropped = 0
        self.last_limit_notice = 0.0
        self.who = ""  # for the logs
        self.writer: asyncio.Task[None] | None = None

    async def run(self) -> None:
        await self.ws.accept()
        self.hub.bind()
        self.writer = asyncio.create_task(self.peer.write(self.ws))
        try:
            if await self.greet():
                while True:
                    frame = await self.next_frame()
                    if frame is not None:
                        await self.dispatch(frame)
        except Disconnected:
            pass
        finally:
            self.hub.leave(self.peer)
            await self._flush_and_close(1000, "")

    # -- reading ---------------------------------------------------------------------------
    async def receive(self) -> str | bytes | None:
        message = await self.ws.receive()
        if message["type"] == "websocket.disconnect":
            raise Disconnected
        text = message.get("text")
        return text if text is not None else message.get("bytes")

    async def next_frame(self) -> Frame | None:
        """The next frame worth acting on; floods are dropped, bad frames answered."""
        raw = await self.receive()
        if not self.frames.take():
            await self._flooded()
            return None
        self.dropped = 0
        try:
            return parse(raw, self.allowed)
        except FrameError as exc:
            await self.bad_frame(exc)
            return None

    async def dispatch(self, frame: Frame) -> None:
        try:
            await self.handle(frame)
        except FrameError as exc:
            await self.bad_frame(exc, frame)
        except DomainError as exc:
            log.info("chat.refused", who=self.who, frame=frame.type, reason=exc.code)
            self.send(error(exc.code, exc.message, **frame.echo()))
        except (Disconnected, asyncio.CancelledError):
            raise
        except Exception:
            log.exception("chat.handler_failed", who=self.who, frame=frame.type)
            self.send(error("internal_error", "that did not work; try again", **frame.echo()))

    async def bad_frame(self, exc: FrameError, frame: Frame | None = None) -> None:
        self.bad_frames += 1
        log.warning("chat.bad_frame", who=self.who, reason=exc.code, detail=exc.message)
        self.send(error(exc.code, exc.message, **(frame.echo() if frame else exc.echo)))
        if exc.code == "frame_too_large":
            await self.close(CLOSE_TOO_BIG, exc.message)
        if self.bad_frames >= self.channel.limits.bad_frames_before_close:
            self.send(error("too_many_bad_frames", "closing: too many bad frames"))
            await self.close(CLOSE_POLICY, "too many bad frames")

    async def _flooded(self) -> None:
        self.dropped += 1
        now = time.monotonic()
        if now - self.last_limit_notice >= 1.0:  # one notice a second, not one per frame
            self.last_limit_notice = now
            log.warning("chat.rate_limited", who=self.who, scope="frames", dropped=self.dropped)
            self.send(
                error(
                    "rate_limited",
                    "too many frames; slow down",
                    scope="connection",
                    retry_after=self.frames.retry_after(),
                )
            )
        if self.dropped >= self.channel.limits.dropped_frames_before_close:
            log.warning("chat.flood_closed", who=self.who, dropped=self.dropped)
            await self.close(CLOSE_POLICY, "flood")

    # -- writing ---------------------------------------------------------------------------
    def send(self, frame: dict[str, Any]) -> None:
        self.peer.push(frame)

    async def refuse(self, code: str, message: str, close_code: int) -> bool:
        """Tell the client why (an error frame), then close. Returns False (not greeted)."""
        log.warning("chat.refused_connection", who=self.who, reason=code)
        self.send(error(code, message))
        await self._flush_and_close(close_code, code)
        return False

    async def close(self, code: int, reason: str) -> None:
        await self._flush_and_close(code, reason)
        raise Disconnected

    async def _flush_and_close(self, code: int, reason: str) -> None:
        """Let the writer send what is queued (an error frame explaining why), then close."""
        self.peer.close()
        if self.writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer, timeout=5)
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason[:120])

    async def hello(self) -> Frame:
        """The first frame, which must be `hello`, within the time limit."""
        try:
            raw = await asyncio.wait_for(self.receive(), self.channel.limits.hello_timeout)
        except TimeoutError:
            await self.refuse("hello_timeout", "send a hello frame first", CLOSE_HELLO_TIMEOUT)
            raise Disconnected from None
        try:
            frame = parse(raw, {"hello"})
        except FrameError as exc:
            await self.refuse_hello(exc)
            raise Disconnected from None
        return frame

    async def refuse_hello(self, exc: FrameError) -> bool:
        """A hello we cannot act on: an identity that will not do is 4401 (the widget asks
        again or stops), anything else a policy close (1008)."""
        if exc.code in IDENTITY_CODES:
            return await self.refuse(exc.code, exc.message, CLOSE_UNAUTHORIZED)
        message = f"the first frame must be a usable hello: {exc.message}"
        return await self.refuse(exc.code, message, CLOSE_POLICY)

    @staticmethod
    async def blocking(fn: Callable[..., T], *args: Any) -> T:
        """Use cases hit the database: run them off the event loop."""
        return await run_in_threadpool(fn, *args)

    # -- for subclasses --------------------------------------------------------------------
    async def greet(self) -> bool:
        raise NotImplementedError

    async def handle(self, frame: Frame) -> None:
        raise NotImplementedError
