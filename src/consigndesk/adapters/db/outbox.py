"""The outbox relay: hands committed events to the bus, at least once, oldest first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Executable,
    Row,
    Update,
    any_,
    bindparam,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from consigndesk.adapters.db import tables
from consigndesk.adapters.db.engine import Database
from consigndesk.domain.events import utcnow
from consigndesk.services.bus import Envelope, EventBus

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 10

Write = Callable[[Executable, dict[str, Any]], Any]
"""Runs an UPDATE of outbox rows, with its parameters, in the batch's write transaction."""

# The relay runs these with every commit that wrote events: built once, not per round.
_o = tables.outbox.c
_PENDING = (
    select(_o.seq, _o.event_id, _o.name, _o.payload, _o.occurred_at)
    .where(_o.published_at.is_(None), _o.attempts < MAX_ATTEMPTS)
    .order_by(_o.seq)
    .limit(bindparam("batch"))
)
_CLAIM_PENDING = _PENDING.with_for_update(skip_locked=True)


def _mark_delivered(among: ColumnElement[bool]) -> Update:
    return (
        update(tables.outbox)
        .where(among)
        .values(published_at=bindparam("now"), attempts=_o.attempts + 1)
    )


# On PostgreSQL the batch's sequence numbers are one array parameter, so the statement's text
# is the same whatever the batch's length (parsed and prepared once, no list to render).
_MARK_ANY = _mark_delivered(_o.seq == any_(bindparam("seqs", type_=ARRAY(BigInteger))))
_MARK_IN = _mark_delivered(_o.seq.in_(bindparam("seqs", expanding=True)))


class OutboxRelay:
    def __init__(self, database: Database, bus: EventBus, batch: int = 200) -> None:
        self._db = database
        self._bus = bus
        self._batch = batch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drain_lock = threading.Lock()
        self._commits = 0  # commits that wrote events, as told by `notify`

    def drain(self) -> int:
        """Deliver everything pending now; returns how many events were delivered.

        A short batch means the relay has caught up, unless events were committed while it was
        delivering (handlers write some): only then is another round worth its transaction."""
        delivered = 0
        with self._drain_lock:
            while True:
                commits = self._commits
                taken, done = self._round()
                delivered += done
                if done < taken:
                    return delivered  # failures wait for the next round
                if taken < self._batch and self._commits == commits:
                    return delivered

    def _round(self) -> tuple[int, int]:
        """Deliver one batch; returns (rows taken, rows delivered).

        On PostgreSQL the batch is claimed: its rows stay locked in one write transaction while
        they are delivered and marked, and other relays (other server processes) skip them. On
        SQLite that transaction would hold the database's only write lock while the handlers
        write on other connections, a deadlock; there two relays may deliver a row twice, which
        the reactions' `processed_events` claim makes harmless."""
        if self._db.is_sqlite:
            with self._db.read_sessions() as session:
                rows = self._pending(session, claim=False)
            return len(rows), self._deliver_batch(rows, self._write_alone)
        with self._db.write_sessions.begin() as session:
            rows = self._pending(session, claim=True)
            return len(rows), self._deliver_batch(rows, session.execute)

    def _pending(self, session: Session, *, claim: bool) -> list[Row[Any]]:
        query = _CLAIM_PENDING if claim else _PENDING
        return list(session.execute(query, {"batch": self._batch}))

    def _write_alone(self, statement: Executable, params: dict[str, Any]) -> None:
        with self._db.write_sessions.begin() as session:
            session.execute(statement, params)

    def _deliver_batch(self, rows: list[Row[Any]], write: Write) -> int:
        """Publish each row, then mark the delivered ones in one write (on SQLite every write
        transaction takes the lock); `write` runs a statement in the batch's write transaction."""
        done = [row.seq for row in rows if self._deliver(row, write)]
        if done:
            marked = _MARK_IN if self._db.is_sqlite else _MARK_ANY
            write(marked, {"seqs": done, "now": utcnow()})
        return len(done)

    def _deliver(self, row: Row[Any], write: Write) -> bool:
        envelope = Envelope(
            event_id=row.event_id, name=row.name, payload=row.payload, occurred_at=row.occurred_at
        )
        try:
            self._bus.publish(envelope)
        except ConnectionError as exc:  # the bus is down: not the event's fault, no attempt used
            log.warning("outbox.bus_unavailable", event_id=envelope.event_id, error=str(exc))
            return False
        except Exception as exc:  # a handler failed: keep the row, retry later
            log.warning("outbox.delivery_failed", event_id=envelope.event_id, error=str(exc))
            write(
                update(tables.outbox)
                .where(tables.outbox.c.seq == row.seq)
                .values(attempts=tables.outbox.c.attempts + 1, last_error=str(exc)[:2000]),
                {},
            )
            return False
        return True

    # -- background running ----------------------------------------------------------------
    def notify(self) -> None:
        """Called after a commit that wrote events: wake the background thread."""
        self._commits += 1
        self._wake.set()

    def start(self, interval: float = 1.0) -> None:
        if self._thread is not None:
            return

        def run() -> None:
            while not self._stop.is_set():
                self._wake.wait(interval)
                self._wake.clear()
                try:
                    self.drain()
                except Exception:  # keep relaying after a database hiccup
                    log.exception("outbox.relay_error")

        self._thread = threading.Thread(target=run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
