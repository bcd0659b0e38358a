"""NatsBus against a real nats-server: work queues, broadcasts, retries, dedup, restarts."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from consigndesk.adapters.bus.nats import BusUnavailable, JetStreamOptions, NatsBus
from consigndesk.services.bus import Envelope
from tests.bus.conftest import NatsServer, free_port, wait_until

OPTIONS = JetStreamOptions(retry_delay=0.05, fetch_wait=1.0)
STREAM = OPTIONS.stream


def event(event_id: str, name: str = "ticket.created") -> Envelope:
    return Envelope(
        event_id=event_id,
        name=name,
        payload={"ticket_id": 1, "text": "你好"},
        occurred_at=datetime.now(UTC),
    )


class Recorder:
    """A handler that remembers what it saw and on which thread it ran."""

    def __init__(self, failures: int = 0, poison: str | None = None) -> None:
        self.seen: list[str] = []
        self.threads: set[str] = set()
        self.failures = failures
        self.poison = poison
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, envelope: Envelope) -> None:
        with self._lock:
            self.calls += 1
            self.threads.add(threading.current_thread().name)
            if self.calls <= self.failures or envelope.event_id == self.poison:
                raise RuntimeError("database hiccup")
            self.seen.append(envelope.event_id)


@pytest.fixture
def buses(nats_server: NatsServer) -> Iterator[list[NatsBus]]:
    """Factory list: every bus a test makes is closed afterwards."""
    made: list[NatsBus] = []
    yield made
    for bus in made:
        bus.close()


def new_bus(made: list[NatsBus], url: str, options: JetStreamOptions = OPTIONS) -> NatsBus:
    bus = NatsBus(url, options)
    made.append(bus)
    return bus


def test_a_published_event_is_handled_once_off_the_event_loop(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    bus = new_bus(buses, nats_server.url)
    handler = Recorder()
    bus.subscribe("ticket.created", handler, durable="receipt")
    bus.start()
    bus.publish(event("e1"))
    wait_until(lambda: handler.seen)
    wait_until(lambda: nats_server.settled(STREAM, "receipt"))
    assert handler.seen == ["e1"]
    assert all(name.startswith("bus-handler") for name in handler.threads)


def test_two_processes_share_a_work_subscription_each_event_handled_by_one(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    first, second = Recorder(), Recorder()
    for handler in (first, second):
        bus = new_bus(buses, nats_server.url)
        bus.subscribe("ticket.created", handler, durable="receipt")
        bus.start()
    ids = [f"e{n}" for n in range(40)]
    for event_id in ids:
        buses[0].publish(event(event_id))
    wait_until(lambda: len(first.seen) + len(second.seen) >= len(ids))
    wait_until(lambda: nats_server.settled(STREAM, "receipt"))
    assert sorted(first.seen + second.seen) == sorted(ids)


def test_a_broadcast_reaches_every_process(nats_server: NatsServer, buses: list[NatsBus]) -> None:
    handlers = [Recorder(), Recorder()]
    for handler in handlers:
        bus = new_bus(buses, nats_server.url)
        bus.subscribe_broadcast("ticket.created", handler)
        bus.start()
    # an ordered consumer starts at "new" once it exists: publish until both are listening
    wait_until(lambda: _publish_then_check(buses[0], handlers), timeout=15)
    assert all(handler.threads and "nats-bus" not in handler.threads for handler in handlers)


def _publish_then_check(bus: NatsBus, handlers: list[Recorder]) -> bool:
    if all(handler.seen for handler in handlers):
        return True
    bus.publish(event(f"b{sum(len(h.seen) for h in handlers)}-{id(handlers)}-{_tick()}"))
    return False


_ticks = iter(range(1_000_000))


def _tick() -> int:
    return next(_ticks)


def test_a_failing_handler_gets_the_event_again_until_it_succeeds(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    bus = new_bus(buses, nats_server.url)
    handler = Recorder(failures=2)
    bus.subscribe("ticket.created", handler, durable="receipt")
    bus.start()
    bus.publish(event("e1"))
    wait_until(lambda: handler.seen)
    wait_until(lambda: nats_server.settled(STREAM, "receipt"))
    assert (handler.calls, handler.seen) == (3, ["e1"])
    assert nats_server.consumer(STREAM, "receipt")["redelivered"] == 0  # all settled now


def test_an_event_that_always_fails_stops_after_max_deliver(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    options = JetStreamOptions(retry_delay=0.05, fetch_wait=1.0, max_deliver=3)
    bus = new_bus(buses, nats_server.url, options)
    handler = Recorder(poison="poison")
    bus.subscribe("ticket.created", handler, durable="receipt")
    bus.start()
    bus.publish(event("poison"))
    bus.publish(event("after"))
    wait_until(lambda: handler.seen == ["after"])
    wait_until(lambda: nats_server.settled(STREAM, "receipt"))
    assert handler.calls == 4  # three tries of "poison", then it is dropped


def test_publishing_the_same_event_id_twice_delivers_it_once(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    bus = new_bus(buses, nats_server.url)
    handler = Recorder()
    bus.subscribe("ticket.created", handler, durable="receipt")
    bus.start()
    bus.publish(event("e1"))
    bus.publish(event("e1"))  # the relay retrying after a lost publish ack
    bus.publish(event("e2"))
    wait_until(lambda: "e2" in handler.seen)
    wait_until(lambda: nats_server.settled(STREAM, "receipt"))
    assert Counter(handler.seen) == {"e1": 1, "e2": 1}


def test_publish_raises_when_no_server_listens(buses: list[NatsBus]) -> None:
    bus = new_bus(buses, f"nats://127.0.0.1:{free_port()}")
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises, the relay retries
        bus.publish(event("e1"))
    with pytest.raises(BusUnavailable):  # the rest of the relay's batch fails without waiting
        bus.publish(event("e2"))


def test_publish_raises_when_the_server_went_away(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    bus = new_bus(buses, nats_server.url)
    bus.publish(event("e1"))
    nats_server.stop()
    with pytest.raises(BusUnavailable):
        bus.publish(event("e2"))


def test_a_durable_consumer_resumes_after_a_server_restart(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    handler = Recorder()
    worker = new_bus(buses, nats_server.url)
    worker.subscribe("ticket.created", handler, durable="receipt")
    worker.start()
    worker.publish(event("before"))
    wait_until(lambda: handler.seen == ["before"])
    wait_until(lambda: nats_server.settled(STREAM, "receipt"))
    worker.close()

    publisher = new_bus(buses, nats_server.url)
    publisher.subscribe("ticket.created", Recorder(), durable="receipt")  # as every App does
    publisher.publish(event("while-no-worker-ran"))
    publisher.close()
    nats_server.stop()
    nats_server.start()  # same port, same store directory

    later = Recorder()
    worker = new_bus(buses, nats_server.url)
    worker.subscribe("ticket.created", later, durable="receipt")
    worker.start()
    wait_until(lambda: later.seen)
    wait_until(lambda: nats_server.settled(STREAM, "receipt"))
    assert later.seen == ["while-no-worker-ran"]


def test_a_running_bus_reconnects_after_a_server_restart(
    nats_server: NatsServer, buses: list[NatsBus]
) -> None:
    handler = Recorder()
    bus = new_bus(buses, nats_server.url)
    bus.subscribe("ticket.created", handler, durable="receipt")
    bus.start()
    bus.publish(event("before"))
    wait_until(lambda: handler.seen == ["before"])
    nats_server.stop()
    nats_server.start()
    wait_until(lambda: _published(bus, event("after")))
    wait_until(lambda: "after" in handler.seen)
    assert handler.seen == ["before", "after"]


def _published(bus: NatsBus, envelope: Envelope) -> bool:
    try:
        bus.publish(envelope)
    except BusUnavailable:
        return False
    return True
