"""Group commit for inbound customer messages: callers that arrive together share one transaction.

Every channel hands its `ReceiveCustomerMessage` to one writer thread per process. The thread takes
whatever has queued up while the previous transaction ran (at most `max_batch`) and runs it through
`TicketServices.receive_customer_messages` in a single unit of work, so one commit, one outbox write
and one timeline write serve the whole group, and request threads never fight over the GIL and the
write lock. A caller's future resolves only after its commit: acknowledged means durable.

Under load the messages of a group do not arrive at once: the event loop parses a burst of
requests one after another while the writer is free again. So once a group has held more than
one message, the writer gathers the next one until the queue has been quiet for `lull` seconds,
or for at most `linger` seconds in all; a lone caller (the previous group held one) never waits.
Bigger groups cost less per message, so under load this shortens waits instead of adding to
them (ADR 0016).

If a group fails (one message names an unknown order, a ticket changed under it, ...), nothing of
it was stored; each message is then retried alone, so only the faulty one reports its error.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import structlog

from consigndesk.domain.commands import ReceiveCustomerMessage
from consigndesk.services.tickets import Received, TicketServices
from consigndesk.services.unit_of_work import UnitOfWork

log = structlog.get_logger(__name__)

Pending = tuple[ReceiveCustomerMessage, "Future[Received]"]
GroupObserver = Callable[[int, float, float], None]
"""Told of each group the writer ran: its messages, wall seconds and the writer's CPU seconds."""


class Intake:
    def __init__(
        self,
        tickets: TicketServices,
        uow_factory: Callable[[], UnitOfWork],
        max_batch: int = 64,
        lull: float = 0.0005,
        linger: float = 0.003,
    ) -> None:
        self._tickets = tickets
        self._uow_factory = uow_factory
        self._max_batch = max_batch
        self._lull = lull
        self._linger = linger
        # Not a SimpleQueue: on CPython 3.11 its get(timeout=...) can block until the next put
        # when the deadline passes inside the call (a lull is half a millisecond), and the group
        # the writer holds would wait for a message that may never come.
        self._queue: queue.Queue[Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.observer: GroupObserver | None = None

    def submit(self, cmd: ReceiveCustomerMessage) -> Future[Received]:
        """Queue a message; the future holds its `Received` once committed, or the error."""
        future: Future[Received] = Future()
        self._ensure_running()
        self._queue.put((cmd, future))
        return future

    def receive(self, cmd: ReceiveCustomerMessage) -> Received:
        """Blocking form of `submit`, for callers that run in their own thread."""
        return self.submit(cmd).result()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=10)

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="intake", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        busy = False  # the previous group held more than one message
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            deadline = time.monotonic() + (self._linger if busy else 0.0)
            while len(batch) < self._max_batch:
                wait = min(self._lull, deadline - time.monotonic())
                try:
                    more = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            busy = len(batch) > 1
            started, cpu = time.perf_counter(), time.thread_time()
            self.process(batch)
            if self.observer is not None:
                self.observer(len(batch), time.perf_counter() - started, time.thread_time() - cpu)
            if stopping:
                return

    def process(self, batch: list[Pending]) -> None:
        """Run one group and settle each caller's future (the writer thread's step)."""
        live = [(cmd, future) for cmd, future in batch if future.set_running_or_notify_cancel()]
        if len(live) > 1:
            try:
                results = self._tickets.receive_customer_messages(
                    self._uow_factory(), [cmd for cmd, _ in live]
                )
            except Exception as exc:  # someone in the group failed: retry each alone
                log.info("intake.group_retried_alone", size=len(live), error=str(exc)[:200])
            else:
                for (_, future), result in zip(live, results, strict=True):
                    future.set_result(result)
                return
        for cmd, future in live:
            try:
                future.set_result(self._tickets.receive_customer_message(self._uow_factory(), cmd))
            except Exception as exc:  # the caller gets the error, the writer keeps going
                future.set_exception(exc)
