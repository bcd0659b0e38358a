"""Web chat under load: N concurrent websocket customers, one agent socket receiving everything.

Measures, against `consigndesk serve` on a throwaway database (bench/_server.py):
  * connect: N customers open /ws/chat and are welcomed (platform-signed tokens);
  * first messages: each customer's first message opens a ticket (triage, routing, receipt);
  * steady: follow-up messages at --rate messages/s in total, spread over the customers;
  * burst: every customer sends one message at once;
and, for each phase, customer → agent latency (the customer's send → the agent's socket receives
the message, through commit, outbox relay, bus broadcast and the hub) p50/p95/p99/max and
messages/s delivered. Target: ≥1,000 concurrent connections with p99 < 100 ms.

    .venv/bin/python bench/chat.py                      # 1,000 customers on SQLite
    .venv/bin/python bench/chat.py --customers 200 --db postgresql
    .venv/bin/python bench/chat.py --db postgresql --workers 2 --bus nats://127.0.0.1:4222
"""

from __future__ import annotations

import sys
from pathlib import Path

# Keep this folder last on the path (it is first when a script here is run), so that no bench
# script can shadow a module a library imports.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(HERE)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import nats  # noqa: E402
import nats.js.errors  # noqa: E402
import websockets  # noqa: E402

from _server import start_server  # noqa: E402
from consigndesk.bootstrap import build  # noqa: E402
from consigndesk.config import Settings  # noqa: E402
from consigndesk.services.admin import create_agent, ensure_default_groups  # noqa: E402
from consigndesk.services.auth import CustomerIdentity, sign_customer_token  # noqa: E402

AGENT_EMAIL, AGENT_PASSWORD = "bench.agent@desk.test", "bench-password-1"
TEXTS = [
    "我的订单 JS2026112000{n:04d} 还没发货，请帮忙看看",
    "Where is my parcel? Order JS2026112000{n:04d}",
    "退款什么时候到账？第 {n} 次询问",
    "The code I bought does not work ({n})",
]


@dataclass
class Phase:
    name: str
    sent: dict[str, float] = field(default_factory=dict)  # client id → send time
    latencies: list[float] = field(default_factory=list)
    started: float = 0.0
    last_delivery: float = 0.0

    def report(self) -> str:
        lat = sorted(self.latencies)
        if not lat:
            return f"{self.name:<16} no deliveries"
        elapsed = max(self.last_delivery - self.started, 1e-9)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        return (
            f"{self.name:<16} {len(lat):>6}/{len(self.sent):<6} {len(lat) / elapsed:>8.1f} "
            f"{statistics.median(lat) * 1000:>8.1f} {pct(0.95):>8.1f} {pct(0.99):>8.1f} "
            f"{lat[-1] * 1000:>8.1f}"
        )


class Agent:
    """One agent socket; records when each customer message (by client id) arrives."""

    def __init__(self) -> None:
        self.phase: Phase | None = None
        self.ws: Any = None

    async def run(self) -> None:
        async for raw in self.ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            phase = self.phase
            if frame.get("type") != "message" or phase is None:
                continue
            sent = phase.sent.get(frame.get("client_id") or "")
            if sent is not None and frame.get("author_type") == "customer":
                phase.latencies.append(now - sent)
                phase.last_delivery = now


async def customer_socket(url: str, token: str) -> Any:
    ws = await websockets.connect(f"{url}/ws/chat", max_size=2**22, open_timeout=60)
    await ws.send(json.dumps({"type": "hello", "token": token, "lang": "zh"}))
    while json.loads(await ws.recv()).get("type") != "welcome":
        pass
    return ws


async def drain(ws: Any) -> None:
    """Customers read (and drop) what they get: acks, receipts, queue notices."""
    try:
        async for _ in ws:
            pass
    except websockets.ConnectionClosed:
        pass


async def send_phase(phase: Phase, sockets: list[Any], per_second: float | None) -> None:
    phase.started = time.perf_counter()
    gap = 1.0 / per_second if per_second else 0.0
    for n, ws in enumerate(sockets):
        client_id = secrets.token_hex(8)
        phase.sent[client_id] = time.perf_counter()
        text = TEXTS[n % len(TEXTS)].format(n=n)
        await ws.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
        if gap:
            await asyncio.sleep(max(0.0, phase.started + (n + 1) * gap - time.perf_counter()))


async def wait_delivered(phase: Phase, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while len(phase.latencies) < len(phase.sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


async def main_async(args: argparse.Namespace, base_url: str, secret: str) -> list[str]:
    ws_url = base_url.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=base_url) as http:
        login = await http.post(
            "/api/v1/auth/login", json={"email": AGENT_EMAIL, "password": AGENT_PASSWORD}
        )
        login.raise_for_status()
        cookie = login.cookies["consigndesk_session"]
    agent = Agent()
    agent.ws = await websockets.connect(
        f"{ws_url}/ws/agent",
        additional_headers={"Cookie": f"consigndesk_session={cookie}", "Origin": base_url},
        max_size=2**24,
    )
    await agent.ws.send(json.dumps({"type": "hello"}))
    agent_task = asyncio.create_task(agent.run())

    started = time.perf_counter()
    tokens = [
        sign_customer_token(
            secret, CustomerIdentity(external_id=f"bench-{n}", role="buyer", tier="regular")
        )
        for n in range(args.customers)
    ]
    sockets: list[Any] = []
    for batch in range(0, args.customers, 100):
        sockets += await asyncio.gather(
            *(customer_socket(ws_url, t) for t in tokens[batch : batch + 100])
        )
    connect_seconds = time.perf_counter() - started
    readers = [asyncio.create_task(drain(ws)) for ws in sockets]
    lines = [f"connected {len(sockets)} customers in {connect_seconds:.1f} s"]

    first = Phase("first message")
    agent.phase = first
    await send_phase(first, sockets, args.first_rate)
    await wait_delivered(first, args.timeout)

    await asyncio.sleep(2)  # let the relay finish the receipts of the first messages
    phases = [first]
    for round_ in range(args.rounds):
        steady = Phase(f"steady {args.rate:g}/s" + (f" #{round_ + 1}" if args.rounds > 1 else ""))
        agent.phase = steady
        await send_phase(steady, sockets, args.rate)
        await wait_delivered(steady, args.timeout)
        phases.append(steady)
    burst = Phase("burst (all)")
    agent.phase = burst
    await send_phase(burst, sockets, None)
    await wait_delivered(burst, args.timeout)
    phases.append(burst)

    lines.append(
        f"{'phase':<16} {'delivered':>13} {'msg/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8}"
    )
    lines += [p.report() for p in phases]
    for ws in sockets:
        await ws.close()
    await agent.ws.close()
    for task in [*readers, agent_task]:
        task.cancel()
    return lines


async def drop_stream(url: str, name: str) -> None:
    """The run's JetStream stream is of no use afterwards."""
    client = await nats.connect(url)
    try:
        await client.jetstream().delete_stream(name)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await client.close()


def seed_agent(database_url: str, secret: str) -> None:
    core = build(Settings(database_url=database_url, platform_secret=secret))
    ensure_default_groups(core.uow())
    create_agent(core.uow(), email=AGENT_EMAIL, name="压测客服", password=AGENT_PASSWORD)
    core.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rate", type=float, default=100.0, help="steady messages/s in total")
    parser.add_argument("--first-rate", type=float, default=50.0, help="first messages/s")
    parser.add_argument("--rounds", type=int, default=1, help="steady rounds (N messages each)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--server-log", type=Path, help="keep the server's log here")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument(
        "--bus",
        default="memory://",
        help="CONSIGNDESK_BUS_URL; several workers need a shared one, e.g. nats://127.0.0.1:4222",
    )
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.customers)), hard))
    secret = secrets.token_urlsafe(32)
    env = {
        "CONSIGNDESK_PLATFORM_SECRET": secret,
        "CONSIGNDESK_LOG_JSON": "true",
        "CONSIGNDESK_RELAY_INTERVAL": "0.2",
        "CONSIGNDESK_BUS_URL": args.bus,
        # a stream of this run's own: events of earlier runs are not redelivered to this one
        "CONSIGNDESK_NATS_STREAM": f"CDBENCH_{secrets.token_hex(4).upper()}",
    }
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"bench/chat.py  rev {revision}  db {args.db}  customers {args.customers}  "
        f"workers {args.workers}  bus {args.bus}  load {os.getloadavg()[0]:.2f}  "
        f"cores {os.cpu_count()}"
    )
    try:
        with start_server(
            args.db, workers=args.workers, extra_env=env, keep_log=args.server_log
        ) as server:
            assert server.database_url is not None
            seed_agent(server.database_url, secret)
            lines = asyncio.run(main_async(args, server.base_url, secret))
    finally:
        if args.bus.startswith("nats://"):
            asyncio.run(drop_stream(args.bus, env["CONSIGNDESK_NATS_STREAM"]))
    print("\n".join(lines))
    print(
        "target: >=1,000 concurrent connections, customer -> agent p99 < 100 ms\n"
        f"rerun: .venv/bin/python bench/chat.py --customers {args.customers} --db {args.db} "
        f"--rate {args.rate:g} --first-rate {args.first_rate:g} --rounds {args.rounds} "
        f"--workers {args.workers} --bus {args.bus}"
    )


if __name__ == "__main__":
    main()
