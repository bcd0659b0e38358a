"""NATS JetStream bus (`nats://`): one stream; each work handler is a durable pull consumer shared
by every process, each broadcast an ordered consumer per process; handlers run on worker threads."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import nats
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from consigndesk.adapters.bus.codec import decode, encode
from consigndesk.adapters.bus.loop import LoopThread
from consigndesk.services.bus import Envelope, EventHandler

log = structlog.get_logger(__name__)

_NOT_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]+")


class BusUnavailable(ConnectionError):
    """NATS cannot take the event now; the relay keeps the outbox row and retries."""


@dataclass(frozen=True)
class JetStreamOptions:
    stream: str = "CONSIGNDESK_EVENTS"
    subject_prefix: str = "consigndesk.events"
    max_age: float = 7 * 24 * 3600.0  # seconds an event stays in the stream
    duplicate_window: float = 600.0  # a relay retry of the same event id within it is dropped
    ack_wait: float = 30.0  # a handler silent for longer is presumed dead: the event goes again
    max_deliver: int = 10
    retry_delay: float = 2.0  # after a handler failed, before the event is offered again
    publish_timeout: float = 5.0
    fetch_batch: int = 10
    fetch_wait: float = 5.0
    handler_threads: int = 4
    reconnect_wait: float = 0.5


@dataclass
class _Work:
    event: str
    handler: EventHandler
    durable: str
    task: asyncio.Task[None] | None = None
    busy: bool = False  # between fetching a batch and acking its last message


def durable_name(event: str, handler: EventHandler) -> str:
    """Stable across processes and restarts, so all processes share one consumer per handler."""
    qualname = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    return _NOT_IN_NAMES.sub("_", f"{event}-{qualname}")


class NatsBus:
    """The `EventBus` port on JetStream; `start()` begins consuming, `close()` ends everything."""

    def __init__(self, url: str, options: JetStreamOptions | None = None) -> None:
        self._url = url
        self.options = options or JetStreamOptions()
        self._work: dict[str, _Work] = {}
        self._broadcasts: list[tuple[str, EventHandler]] = []
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._connecting = asyncio.Lock()
        self._supervisor: asyncio.Task[None] | None = None
        self._next_connect = 0.0  # monotonic time before which no new connection is tried
        self._consuming = False
        self._closed = False
        self._executor = ThreadPoolExecutor(
            self.options.handler_threads, thread_name_prefix="bus-handler"
        )
        self._loop = LoopThread("nats-bus")

    @property
    def connected(self) -> bool:
        """A connection to NATS is up now (for health checks)."""
        return self._nc is not None and self._nc.is_connected

    def subject(self, event: str) -> str:
        return f"{self.options.subject_prefix}.{event}"

    # -- the port ----------------------------------------------------------------------------
    def subscribe(self, name: str, handler: EventHandler, *, durable: str | None = None) -> None:
        work = _Work(name, handler, durable or durable_name(name, handler))
        self._loop.run(self._add_work(work), self.options.publish_timeout)

    def subscribe_broadcast(self, name: str, handler: EventHandler) -> None:
        self._loop.run(self._add_broadcast(name, handler), self.options.publish_timeout)

    def publish(self, envelope: Envelope) -> None:
        """Returns once JetStream has stored the event; raises otherwise."""
        self._loop.run(self._publish(envelope), self.options.publish_timeout * 3)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Begin consuming (servers do; the CLI only publishes). Connects in the background."""
        self._loop.run(self._start(), self.options.publish_timeout)

    def close(self) -> None:
        """Finish the handlers under way, ack them, disconnect; safe to repeat."""
        if self._closed:
            return
        try:
            self._loop.run(self._shutdown(), self.options.ack_wait + 10)
        finally:
            self._loop.stop()
            self._executor.shutdown(wait=True)

    # -- on the loop -------------------------------------------------------------------------
    async def _add_work(self, work: _Work) -> None:
        if work.durable in self._work:
            raise ValueError(f"two work handlers share the consumer name {work.durable!r}")
        self._work[work.durable] = work
        if self._js is not None:
            await self._ensure_consumer(self._js, work)
            if self._consuming:
                work.task = asyncio.create_task(self._consume(work))

    async def _add_broadcast(self, name: str, handler: EventHandler) -> None:
        self._broadcasts.append((name, handler))
        if self._consuming and self._js is not None:
            await self._listen(self._js, name, handler)

    async def _publish(self, envelope: Envelope) -> None:
        js = await self._connection()
        try:
            await js.publish(
                self.subject(envelope.name),
                encode(envelope),
                timeout=self.options.publish_timeout,
                stream=self.options.stream,
                headers={"Nats-Msg-Id": envelope.event_id},
            )
        except (
            nats.errors.TimeoutError,
            nats.errors.NoRespondersError,
            nats.errors.ConnectionClosedError,
        ) as exc:
            # no acknowledgement: the relay retries; Nats-Msg-Id keeps a late store single
            raise BusUnavailable(f"JetStream did not acknowledge: {exc!r}") from exc

    async def _connection(self) -> JetStreamContext:
        if self._closed:
            raise BusUnavailable("the event bus is closed")
        async with self._connecting:
            if self._nc is None:
                if time.monotonic() < self._next_connect:  # fail fast: the relay has a batch
                    raise BusUnavailable(f"NATS at {self._url} was unreachable a moment ago")
                try:
                    self._nc, self._js = await self._connect()
                except Exception as exc:
                    self._next_connect = time.monotonic() + self.options.reconnect_wait * 2
                    raise BusUnavailable(f"NATS at {self._url} is unreachable: {exc!r}") from exc
        if not self._nc.is_connected or self._js is None:
            raise BusUnavailable(f"NATS at {self._url} is not connected")
        return self._js

    async def _connect(self) -> tuple[Client, JetStreamContext]:
        nc = await nats.connect(
            self._url,
            name="consigndesk",
            connect_timeout=2,
            reconnect_time_wait=self.options.reconnect_wait,
            max_reconnect_attempts=1,  # -1 here would retry the first connection forever
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        nc.options["max_reconnect_attempts"] = -1  # once connected, reconnect for ever
        try:
            js = nc.jetstream(timeout=self.options.publish_timeout)
            await self._declare(js)
        except BaseException:
            await nc.close()
            raise
        return nc, js

    async def _declare(self, js: JetStreamContext) -> None:
        """Stream and work consumers exist before anything is published, so a consumer that
        starts later still gets every event published since."""
        try:
            await js.stream_info(self.options.stream)
        except NotFoundError:
            await js.add_stream(
                StreamConfig(
                    name=self.options.stream,
                    subjects=[f"{self.options.subject_prefix}.>"],
                    storage=StorageType.FILE,
                    retention=RetentionPolicy.LIMITS,
                    max_age=self.options.max_age,
                    duplicate_window=self.options.duplicate_window,
                )
            )
        for work in self._work.values():
            await self._ensure_consumer(js, work)

    async def _ensure_consumer(self, js: JetStreamContext, work: _Work) -> None:
        await js.add_consumer(
            self.options.stream,
            ConsumerConfig(
                name=work.durable,
                durable_name=work.durable,
                filter_subject=self.subject(work.event),
                deliver_policy=DeliverPolicy.NEW,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.options.ack_wait,
                max_deliver=self.options.max_deliver,
            ),
        )

    async def _start(self) -> None:
        if self._consuming or self._closed:
            return
        self._consuming = True
        self._supervisor = asyncio.create_task(self._start_consumers())

    async def _start_consumers(self) -> None:
        delay = self.options.reconnect_wait
        while True:
            try:
                js = await self._connection()
                break
            except Exception as exc:  # NATS not up yet: a server keeps starting without it
                log.warning("bus.connect_failed", url=self._url, error=repr(exc))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        for work in self._work.values():
            work.task = asyncio.create_task(self._consume(work))
        for name, handler in self._broadcasts:
            await self._listen(js, name, handler)

    async def _consume(self, work: _Work) -> None:
        assert self._js is not None
        pull = None
        while not self._closed:
            try:
                if pull is None:
                    pull = await self._js.pull_subscribe_bind(
                        durable=work.durable, stream=self.options.stream
                    )
                batch = await pull.fetch(self.options.fetch_batch, timeout=self.options.fetch_wait)
            except TimeoutError:
                continue  # nothing to do yet
            except Exception as exc:  # reconnecting, or the server lost the consumer
                log.warning("bus.fetch_failed", consumer=work.durable, error=repr(exc))
                await asyncio.sleep(self.options.reconnect_wait)
                continue
            work.busy = True
            try:
                for position, msg in enumerate(batch):
                    if self._closed:  # hand the rest to another process now
                        for rest in batch[position:]:
                            await _quietly(rest.nak())
                        return
                    await self._handle(work, msg)
            finally:
                work.busy = False

    async def _handle(self, work: _Work, msg: Msg) -> None:
        try:
            envelope = decode(msg.data)
        except ValueError as exc:
            log.error("bus.undecodable", consumer=work.durable, error=str(exc))
            await _quietly(msg.term())
            return
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, work.handler, envelope)
        except Exception as exc:
            attempt = msg.metadata.num_delivered
            final = attempt >= self.options.max_deliver
            log.warning(
                "bus.handler_gave_up" if final else "bus.handler_failed",
                consumer=work.durable,
                event_id=envelope.event_id,
                attempt=attempt,
                error=repr(exc),
            )
            await _quietly(msg.term() if final else msg.nak(delay=self.options.retry_delay))
            return
        await _quietly(msg.ack())

    async def _listen(self, js: JetStreamContext, name: str, handler: EventHandler) -> None:
        loop = asyncio.get_running_loop()

        async def deliver(msg: Msg) -> None:
            try:
                envelope = decode(msg.data)
                await loop.run_in_executor(self._executor, handler, envelope)
            except Exception as exc:  # a broadcast is best effort: log and go on
                log.warning("bus.broadcast_failed", event=name, error=repr(exc))

        await js.subscribe(
            self.subject(name),
            cb=deliver,
            stream=self.options.stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
        )

    async def _shutdown(self) -> None:
        self._closed = True
        if self._supervisor is not None:
            self._supervisor.cancel()
        tasks = [work.task for work in self._work.values() if work.task is not None]
        for work in self._work.values():
            if work.task is not None and not work.busy:
                work.task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=self.options.ack_wait)
        if self._nc is not None and not self._nc.is_closed:
            # not nc.drain(): it waits for pull inboxes nobody reads any more, up to 30 s
            await _quietly(self._nc.flush(timeout=2))  # the last acks
            await self._nc.close()

    async def _on_reconnected(self) -> None:
        log.info("bus.reconnected", url=self._url)
        if self._js is not None:  # a server that lost its storage needs the stream again
            try:
                await self._declare(self._js)
            except Exception as exc:
                log.warning("bus.declare_failed", error=repr(exc))

    async def _on_disconnected(self) -> None:
        if not self._closed:
            log.warning("bus.disconnected", url=self._url)

    async def _on_error(self, exc: Exception) -> None:
        log.warning("bus.error", url=self._url, error=repr(exc))


async def _quietly(reply: Awaitable[object]) -> None:
    """Acks and naks are advice to the server: if one is lost the event simply comes again."""
    try:
        await reply
    except Exception as exc:
        log.warning("bus.reply_failed", error=repr(exc))
