"""Benchmark: create tickets over HTTP, then list them at 10,000 tickets (SQLite and PostgreSQL).

For each database it starts `consigndesk serve` on a free port with a fresh database (unless
`--url` is given), then

1. creates N tickets through `POST /api/v1/tickets` at concurrency 1, 8 and 32 (asyncio +
   aiohttp with a keep-alive pool; `--client-procs` spreads the load over several client
   processes), every ticket from a distinct customer, with bilingual (zh/en) message bodies, some
   mentioning an order number `JS` + 14 digits;
2. fills the database up to `--list-size` tickets (default 10,000; `--fill api` through the API at
   concurrency 32, or `--fill service` in-process through the service layer), waits until the
   outbox relay has caught up, and times `GET /api/v1/tickets` (plain, second page, filtered by
   status and by customer, and `q=` searches in zh, en and for an order number);
3. optionally (`--profile DIR`) runs one more c=32 create batch under `py-spy record` and prints
   the server's hottest functions.

It prints one table (throughput, p50/p95/p99/max latency, server / database / client CPU), the
targets, and the command to rerun. Run `bench/api_tickets.py --help` for the options.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import platform
import random
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import (
    DEFAULT_PG_ADMIN_URL,
    CpuMeter,
    RunningServer,
    code_snapshot,
    external_server,
    postgres_unreachable,
    serve_supports,
    start_server,
    tree_snapshot,
)

ROOT = Path(__file__).resolve().parent.parent
TARGET_TPS = 500.0
TARGET_P99_MS = 100.0
TARGET_LIST_MS = 50.0
ORDER_NO = re.compile(r"JS\d{14}")
LOG_NEEDLES = (
    "Traceback",
    "database is locked",
    "QueuePool limit",
    "deadlock",
    "outbox.relay_error",
    "outbox.delivery_failed",
)

# -- realistic bilingual messages -------------------------------------------------------------
ZH = [
    ("订单还没发货", "我的订单 {order} 已经付款三天了还没有发货，请帮忙查一下什么时候能发？"),
    ("卡密无法使用", "买的卡密显示已被使用，订单号 {order}，我要求退款，谢谢。"),
    ("结算款没到账", "寄售的商品上周已经卖出了，但是结算款一直没有到账，请问什么时候打款？"),
    ("物流不更新", "快递信息已经五天没有更新了，包裹是不是丢了？订单 {order}"),
    ("修改地址", "请问下单以后还能修改收货地址吗？我填错了小区的门牌号。"),
    ("投诉客服", "你们的客服太慢了！等了两天都没人回复，订单{order}到底怎么回事？"),
    ("商品与描述不符", "收到的商品和描述完全不一样，成色很差，我想退货退款。"),
    ("", "你好，我想问一下寄售的手续费是怎么算的？第一次卖东西不太懂。"),
]
EN = [
    ("Order not shipped", "Hi, I paid for order {order} three days ago and it hasn't shipped."),
    ("Card code used", "The gift card code from order {order} says already redeemed. Refund?"),
    ("Payout missing", "My consigned sneakers sold last week but the payout never arrived."),
    ("Tracking stuck", "Tracking for {order} hasn't moved in five days. Is my parcel lost?"),
    ("Change address", "How can I change the delivery address on an order I just placed?"),
    ("Unacceptable", "This is unacceptable, nobody answered for two days. I want a refund now!"),
    ("Not as described", "The item I received is not as described, there are scratches on it."),
    ("", "Hello, how are consignment fees calculated? I am selling for the first time."),
]
MIXED = [
    ("退款 refund", "订单 {order} refund please，卡密 invalid，已经联系卖家 no reply。"),
    ("payout 结算", "Seller here 卖家：settlement for {order} 还没到账, please check."),
]
EXTRA_ZH = ["麻烦尽快处理。", "这是我第二次联系你们了。", "谢谢！", "急用，今天能解决吗？"]
EXTRA_EN = ["Thanks in advance.", "Please hurry.", "This is my second message.", "Regards."]
NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静", "Alice Chen", "Bob Li", "Carol Wu", "Dan Park"]


def order_number(rng: random.Random) -> str:
    return "JS" + "".join(rng.choice("0123456789") for _ in range(14))


def make_ticket(rng: random.Random, tag: str, i: int) -> dict[str, Any]:
    """One ticket body: a distinct customer, zh (50%), en (40%) or mixed (10%)."""
    roll = rng.random()
    templates, extras = (ZH, EXTRA_ZH) if roll < 0.5 else (EN, EXTRA_EN)
    if roll >= 0.9:
        templates = MIXED
    subject, body = rng.choice(templates)
    body = body.format(order=order_number(rng))
    body = " ".join([body, *rng.sample(extras, k=rng.randint(0, 2))])
    customer: dict[str, Any] = {
        "external_id": f"bench-{tag}-{i}",
        "role": "seller" if rng.random() < 0.3 else "buyer",
        "tier": "vip" if rng.random() < 0.1 else "regular",
        "name": rng.choice(NAMES),
    }
    if rng.random() < 0.5:
        customer["email"] = f"c{i}.{tag}@example.com"
    ticket: dict[str, Any] = {"customer": customer, "channel": "api", "body": body}
    if subject:
        ticket["subject"] = subject
    return ticket


def make_tickets(tag: str, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}-{tag}")
    return [make_ticket(rng, tag, i) for i in range(count)]


# -- measuring -----------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], pct: float) -> float:
    if not sorted_values:
        return math.nan
    rank = max(0, min(len(sorted_values) - 1, math.ceil(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


@dataclass
class Row:
    """One line of the results table."""

    db: str
    phase: str
    concurrency: int
    requests: int
    ok: int
    seconds: float
    latencies_ms: list[float] = field(repr=False, default_factory=list)
    sent_at: list[float] = field(repr=False, default_factory=list)  # time.time(), per request
    statuses: dict[str, int] = field(default_factory=dict)
    server_cpu: float = math.nan  # % of one core
    db_cpu: float = math.nan
    client_cpu: float = math.nan
    load: float = math.nan  # 1-minute load average when the step started
    note: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else math.nan

    def cpu_ms(self, pct: float) -> float:
        """CPU milliseconds per successful request (`pct`: % of one core over the step)."""
        return pct / 100 * self.seconds * 1000 / self.ok if self.ok else math.nan

    def pct(self, p: float) -> float:
        return percentile(sorted(self.latencies_ms), p)

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("latencies_ms")
        data.pop("sent_at")
        data.update(
            rate=self.rate,
            p50_ms=self.pct(50),
            p95_ms=self.pct(95),
            p99_ms=self.pct(99),
            max_ms=max(self.latencies_ms, default=math.nan),
            server_cpu_ms_per_request=self.cpu_ms(self.server_cpu),
            db_cpu_ms_per_request=self.cpu_ms(self.db_cpu),
        )
        return data


@dataclass
class ClientResult:
    latencies_ms: list[float]
    sent_at: list[float]  # time.time() when each request was sent, in the same order
    statuses: dict[str, int]
    samples: list[str]  # a few bodies of failed requests
    started: float  # time.time()
    ended: float
    cpu_seconds: float


async def post_tickets(
    base_url: str,
    headers: dict[str, str],
    tickets: list[dict[str, Any]],
    concurrency: int,
    start_at: float,
    deadline: float,
    path: str = "/api/v1/tickets",
    timeout_seconds: float = 60.0,
) -> ClientResult:
    """`concurrency` workers share one keep-alive pool and POST `tickets` to `path` until they
    or the time run out; a 201 counts only with an `id` in its answer."""
    latencies: list[float] = []
    sent_at: list[float] = []
    statuses: Counter[str] = Counter()
    samples: list[str] = []
    queue = iter(tickets)
    # aiohttp, not httpx: httpx's pool tops out near 400 req/s at c=32 on this machine even
    # against a trivial endpoint, which would measure the client instead of the server.
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=timeout_seconds)
    async with aiohttp.ClientSession(
        base_url=base_url, headers=headers, connector=connector, timeout=timeout
    ) as client:
        while time.time() < start_at:
            await asyncio.sleep(min(0.01, max(0.0, start_at - time.time())))
        cpu0 = time.process_time()
        started = time.time()

        async def worker() -> None:
            for ticket in queue:
                if time.time() > deadline:
                    return
                sent, t0 = time.time(), time.perf_counter()
                try:
                    async with client.post(path, json=ticket) as answer:
                        text = await answer.text()
                    key = str(answer.status)
                    if answer.status != 201 and len(samples) < 5:
                        samples.append(f"{answer.status} {text[:300]}")
                    elif answer.status == 201 and "id" not in json.loads(text):
                        key = "201-without-id"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    key = exc.__class__.__name__
                    if len(samples) < 5:
                        samples.append(f"{key}: {exc}")
                latencies.append((time.perf_counter() - t0) * 1000)
                sent_at.append(sent)
                statuses[key] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        ended = time.time()
        cpu = time.process_time() - cpu0
    return ClientResult(latencies, sent_at, dict(statuses), samples, started, ended, cpu)


def _client_process(
    base_url: str,
    api_key: str,
    tickets: list[dict[str, Any]],
    concurrency: int,
    start_at: float,
    deadline: float,
) -> ClientResult:
    headers = {"Authorization": f"Bearer {api_key}"}
    return asyncio.run(post_tickets(base_url, headers, tickets, concurrency, start_at, deadline))


def create_batch(
    server: RunningServer,
    tickets: list[dict[str, Any]],
    concurrency: int,
    procs: int,
    max_seconds: float,
) -> tuple[list[ClientResult], float, float]:
    """POST all `tickets` at `concurrency`; returns client results, server and db CPU seconds."""
    procs = max(1, min(procs, concurrency))
    server_meter, db_meter = CpuMeter(), CpuMeter()
    if procs == 1:
        start_at = time.time() + 0.2
        server_meter.start(server.server_pids())
        db_meter.start(server.db_pids())
        results = [
            _client_process(
                server.base_url,
                server.api_key,
                tickets,
                concurrency,
                start_at,
                start_at + max_seconds,
            )
        ]
    else:
        shares = [
            concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)
        ]
        chunks = [tickets[i::procs] for i in range(procs)]
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=procs, mp_context=context) as pool:
            start_at = time.time() + 3.0  # spawned interpreters need a moment to start
            futures = [
                pool.submit(
                    _client_process,
                    server.base_url,
                    server.api_key,
                    chunk,
                    share,
                    start_at,
                    start_at + max_seconds,
                )
                for chunk, share in zip(chunks, shares, strict=True)
            ]
            time.sleep(max(0.0, start_at - time.time()))
            server_meter.start(server.server_pids())
            db_meter.start(server.db_pids())
            results = [f.result() for f in futures]
    server_cpu = server_meter.stop(server.server_pids())
    db_cpu = db_meter.stop(server.db_pids())
    return results, server_cpu, db_cpu


def create_row(
    db: str,
    phase: str,
    concurrency: int,
    results: list[ClientResult],
    server_cpu: float,
    db_cpu: float,
) -> Row:
    latencies = [ms for r in results for ms in r.latencies_ms]
    statuses: Counter[str] = Counter()
    for r in results:
        statuses.update(r.statuses)
    wall = max(r.ended for r in results) - min(r.started for r in results)
    client_cpu = sum(r.cpu_seconds for r in results)
    samples = [s for r in results for s in r.samples]
    return Row(
        db=db,
        phase=phase,
        concurrency=concurrency,
        requests=len(latencies),
        ok=statuses.get("201", 0),
        seconds=wall,
        latencies_ms=latencies,
        sent_at=[at for r in results for at in r.sent_at],
        statuses=dict(statuses),
        server_cpu=100 * server_cpu / wall if wall else math.nan,
        db_cpu=100 * db_cpu / wall if wall and db_cpu else math.nan,
        client_cpu=100 * client_cpu / wall if wall else math.nan,
        note="; ".join(samples[:2]),
    )


_INTAKE_METRICS = {
    "consigndesk_intake_group_messages_count": "groups",
    "consigndesk_intake_group_messages_sum": "messages",
    "consigndesk_intake_group_seconds_sum": "wall",
    "consigndesk_intake_writer_cpu_seconds_total": "cpu",
}


def intake_totals(base_url: str) -> dict[str, float]:
    """The intake writers' group-commit totals, summed over the server's processes (empty when
    the version served has none)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{base_url}/metrics", timeout=30).text
    return {
        _INTAKE_METRICS[s.name]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name in _INTAKE_METRICS
    }


def intake_line(before: dict[str, float], after: dict[str, float]) -> str:
    """How the writers spent a create level: their groups, and how much of a group's time was
    the writer's own CPU (the rest it waited: for the database, or for the GIL)."""
    if len(before) < len(_INTAKE_METRICS) or len(after) < len(_INTAKE_METRICS):
        return "intake: this version exposes no group metrics"
    change = {name: after[name] - before[name] for name in after}
    groups = change["groups"]
    if not groups or not change["wall"]:
        return "intake: no groups"
    return (
        f"intake: {groups:.0f} groups of {change['messages'] / groups:.1f} messages, "
        f"{1000 * change['wall'] / groups:.1f} ms each, "
        f"{100 * change['cpu'] / change['wall']:.0f} % of it the writer's CPU"
    )


def stalls(row: Row, window: float = 0.1) -> str:
    """Where a create level's p99 comes from: the 100-ms windows (by send time) holding the
    slowest 1 % of requests. A few regularly spaced windows point at something periodic in the
    server (a collector pass, a background refresh); many scattered ones, at plain queueing."""
    if not row.sent_at:
        return ""
    start = min(row.sent_at)
    worst: dict[int, float] = {}
    for at, ms in zip(row.sent_at, row.latencies_ms, strict=True):
        slot = int((at - start) / window)
        worst[slot] = max(worst.get(slot, 0.0), ms)
    limit = row.pct(99)
    slow = sorted(slot for slot, ms in worst.items() if ms > limit)
    head = f"the slowest 1 % (over {limit:.0f} ms) were sent in {len(slow)} of {len(worst)}"
    head += " 100-ms windows"
    shown = ", ".join(f"{slot * window:.1f}s {worst[slot]:.0f}ms" for slot in slow[:12])
    return f"{head}: {shown}" if slow else head


# -- the database behind the server (when we started it) ----------------------------------------
class Probe:
    """Direct read access to the server's database: ticket count and outbox backlog."""

    def __init__(self, database_url: str | None) -> None:
        self.engine: Any = None
        if database_url:
            from sqlalchemy import create_engine

            self.engine = create_engine(database_url, pool_size=1, max_overflow=0)

    def scalar(self, sql: str) -> int | None:
        if self.engine is None:
            return None
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())

    def tickets(self) -> int | None:
        return self.scalar("SELECT count(*) FROM tickets")

    def backlog(self) -> int | None:
        return self.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")

    def wait_drained(self, timeout: float) -> tuple[float, int | None]:
        """Wait until the outbox relay has published everything; (seconds waited, left)."""
        t0 = time.monotonic()
        left = self.backlog()
        while left and time.monotonic() - t0 < timeout:
            time.sleep(0.5)
            left = self.backlog()
        return time.monotonic() - t0, left

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def as_command(ticket: dict[str, Any]) -> Any:
    """A bench ticket as the command the API hands to the service layer (imported late: the
    code measured may be another revision's)."""
    from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage

    c = ticket["customer"]
    return ReceiveCustomerMessage(
        customer=CustomerData(
            external_id=c["external_id"],
            role=c["role"],
            tier=c.get("tier"),
            name=c.get("name"),
            email=c.get("email"),
        ),
        channel=ticket["channel"],
        subject=ticket.get("subject", ""),
        body=ticket["body"],
    )


def fill_via_service(database_url: str, tickets: list[dict[str, Any]], seconds: float) -> int:
    """Insert tickets in-process through the service layer (the same use case the API calls),
    for at most `seconds`; returns how many were created."""
    from consigndesk.bootstrap import build
    from consigndesk.config import Settings

    core = build(Settings(database_url=database_url))
    deadline = time.monotonic() + seconds
    done = 0
    try:
        for ticket in tickets:
            if time.monotonic() > deadline:
                break
            core.tickets.receive_customer_message(core.uow(), as_command(ticket))
            done += 1
    finally:
        core.close()
    return done


def staff(database_url: str, agents: int) -> None:
    """`agents` online agents covering every group, with room for every ticket of the run: each
    new ticket is then assigned on arrival (a staffed desk) instead of queued."""
    from consigndesk.bootstrap import build
    from consigndesk.config import Settings
    from consigndesk.domain.taxonomy import DEFAULT_GROUPS
    from consigndesk.services import admin
    from consigndesk.services.routing import set_agent_online

    core = build(Settings(database_url=database_url))
    try:
        admin.ensure_default_groups(core.uow())
        for n in range(agents):
            agent_id = admin.create_agent(
                core.uow(),
                email=f"bench-agent-{n}@example.com",
                name=f"bench agent {n}",
                password=secrets.token_urlsafe(16),
                groups=list(DEFAULT_GROUPS),
                capacity=1_000_000,
            )
            set_agent_online(core.uow(), agent_id, True)
    finally:
        core.close()


def fill_by_cloning(database_url: str, tickets: list[dict[str, Any]]) -> int:
    """Fast fill: copy rows of tickets already created through the API (tickets, their customer
    and messages; all columns, so status/priority/group/intent keep a real distribution) with
    new ids, a new customer each and the generated subject/body. SQL only: no timeline, outbox
    or routing side effects. Returns how many tickets were added."""
    from sqlalchemy import MetaData, create_engine, func, select, text

    engine = create_engine(database_url)
    meta = MetaData()
    meta.reflect(engine, only=["tickets", "customers", "messages"])
    tk, cu, ms = meta.tables["tickets"], meta.tables["customers"], meta.tables["messages"]
    added = 0
    with engine.begin() as conn:
        templates = [
            dict(r) for r in conn.execute(select(tk).order_by(tk.c.id).limit(500)).mappings()
        ]
        if not templates:
            return 0
        ids = [t["id"] for t in templates]
        customers = {
            r["id"]: dict(r)
            for r in conn.execute(
                select(cu).where(cu.c.id.in_({t["customer_id"] for t in templates}))
            ).mappings()
        }
        messages: dict[int, list[dict[str, Any]]] = {}
        for r in conn.execute(
            select(ms).where(ms.c.ticket_id.in_(ids)).order_by(ms.c.id)
        ).mappings():
            messages.setdefault(r["ticket_id"], []).append(dict(r))
        next_id = {
            name: int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())
            for name, table in (("t", tk), ("c", cu), ("m", ms))
        }
        for start in range(0, len(tickets), 500):
            new_c, new_t, new_m = [], [], []
            for i, generated in enumerate(tickets[start : start + 500], start=start):
                tpl = templates[i % len(templates)]
                next_id["c"] += 1
                next_id["t"] += 1
                customer = dict(customers[tpl["customer_id"]], id=next_id["c"])
                customer["external_id"] = generated["customer"]["external_id"]
                if "email" in customer:
                    customer["email"] = generated["customer"].get("email")
                ticket = dict(tpl, id=next_id["t"], customer_id=next_id["c"])
                ticket["subject"] = generated.get("subject") or generated["body"][:80]
                for n, msg in enumerate(messages.get(tpl["id"], [])):
                    next_id["m"] += 1
                    copy = dict(msg, id=next_id["m"], ticket_id=next_id["t"])
                    if "external_id" in copy:
                        copy["external_id"] = None
                    if n == 0 and msg.get("author_type") == "customer":
                        copy["body"] = generated["body"]
                    new_m.append(copy)
                new_c.append(customer)
                new_t.append(ticket)
            conn.execute(cu.insert(), new_c)
            conn.execute(tk.insert(), new_t)
            if new_m:
                conn.execute(ms.insert(), new_m)
            added += len(new_t)
        if engine.dialect.name == "postgresql":  # keep the id sequences ahead of what we wrote
            for name in ("tickets", "customers", "messages"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )
    engine.dispose()
    return added


# -- list calls ----------------------------------------------------------------------------------
class Measured(Protocol):
    """A running server whose CPU (and its database's) a bench can read."""

    base_url: str

    def server_pids(self) -> list[int]: ...

    def db_pids(self) -> list[int]: ...


def time_gets(
    server: Measured,
    headers: dict[str, str],
    where: tuple[str, str, str],
    requests: int,
    max_seconds: float,
    describe: Callable[[Any], str],
) -> Row:
    """Sequential GETs (concurrency 1): latency of one list call on an otherwise idle server.
    `where` is (database, label, path); `describe` notes what the first answer held."""
    db, label, path = where
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    note = ""
    server_meter, db_meter = CpuMeter(), CpuMeter()
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=120.0) as client:
        for _ in range(3):  # warm-up: connection, caches, statement preparation
            client.get(path)
        server_meter.start(server.server_pids())
        db_meter.start(server.db_pids())
        started = time.perf_counter()
        for _ in range(requests):
            t0 = time.perf_counter()
            answer = client.get(path)
            latencies.append((time.perf_counter() - t0) * 1000)
            statuses[str(answer.status_code)] += 1
            if answer.status_code != 200 and not note:
                note = f"{answer.status_code} {answer.text[:200]}"
            elif not note:
                note = describe(answer.json())
            if time.perf_counter() - started > max_seconds and len(latencies) >= 5:
                break
        wall = time.perf_counter() - started
    db_cpu = db_meter.stop(server.db_pids())
    return Row(
        db=db,
        phase=label,
        concurrency=1,
        requests=len(latencies),
        ok=statuses.get("200", 0),
        seconds=wall,
        latencies_ms=latencies,
        statuses=dict(statuses),
        server_cpu=100 * server_meter.stop(server.server_pids()) / wall,
        db_cpu=100 * db_cpu / wall if db_cpu else math.nan,
        note=note,
    )


def list_paths(server: RunningServer, tickets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The list calls to time; the second page uses a real cursor, the search a real order no."""
    headers = {"Authorization": f"Bearer {server.api_key}"}
    first = httpx.get(
        f"{server.base_url}/api/v1/tickets?limit=25", headers=headers, timeout=60.0
    ).json()
    paths = [("list limit=25", "/api/v1/tickets?limit=25")]
    if first.get("next_cursor"):
        paths.append(("list page 2", f"/api/v1/tickets?limit=25&cursor={first['next_cursor']}"))
    customer = tickets[0]["customer"]["external_id"]
    orders = (ORDER_NO.search(t["body"]) for t in tickets)
    order = next((m.group(0) for m in orders if m), None)
    paths += [
        ("list status=new", "/api/v1/tickets?status=new&limit=25"),
        ("list customer=", f"/api/v1/tickets?customer={customer}&limit=25"),
        ("search q=退款 (zh)", "/api/v1/tickets?q=退款&limit=25"),
        ("search q=refund (en)", "/api/v1/tickets?q=refund&limit=25"),
    ]
    if order:
        paths.append(("search q=<order no>", f"/api/v1/tickets?q={order}&limit=25"))
    return paths


# -- profiling -----------------------------------------------------------------------------------
@contextmanager
def py_spy(
    pid: int, out: Path, subprocesses: bool, gil: bool
) -> Iterator[subprocess.Popen[bytes] | None]:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(exe).exists():
        print("  (py-spy not found: `.venv/bin/pip install py-spy` to profile)", file=sys.stderr)
        yield None
        return
    cmd = [exe, "record", "--pid", str(pid), "--format", "raw", "--output", str(out)]
    cmd += ["--rate", "200", "--nonblocking"]
    if subprocesses:
        cmd.append("--subprocesses")
    if gil:  # only the thread holding the GIL: where Python CPU goes, not who waits for it
        cmd.append("--gil")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)
    try:
        yield proc
    finally:
        proc.send_signal(2)  # SIGINT: py-spy writes its output and exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def hotspots(raw: Path, top: int) -> str:
    """Inclusive and self time per function from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame(f) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        for name in set(frames):
            inclusive[name] += count
        if frames:
            own[frames[-1]] += count
    if not total:
        return "  (no samples)"
    lines = [f"  {total} samples; inclusive (consigndesk code only):"]
    ours = [(n, c) for n, c in inclusive.most_common() if "consigndesk/" in n]
    lines += [f"    {100 * c / total:5.1f}%  {n}" for n, c in ours[:top]]
    lines.append("  self time (any code):")
    lines += [f"    {100 * c / total:5.1f}%  {n}" for n, c in own.most_common(top)]
    lines.append("  inclusive (libraries, top):")
    libs = [(n, c) for n, c in inclusive.most_common() if "consigndesk/" not in n]
    lines += [f"    {100 * c / total:5.1f}%  {n}" for n, c in libs[: top + 5]]
    return "\n".join(lines)


def _frame(frame: str) -> str:
    """`func (path/to/file.py:12)` → `func (file path relative to site-packages or src)`."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})" if where else name


# -- the run -------------------------------------------------------------------------------------
@dataclass
class Options:
    db: str
    url: str | None
    api_key: str | None
    tickets: int
    concurrency: list[int]
    max_seconds: float
    client_procs: int
    list_size: int
    list_requests: int
    fill: str
    fill_seconds: float
    workers: int | None
    sqlite_workers: int | None
    profile: Path | None
    profile_gil: bool
    pg_admin_url: str
    seed: int
    drain_timeout: float
    json_out: Path | None
    quick: bool
    code: str
    agents: int = 0
    src: Path | None = None


def run_database(opts: Options, db: str, notes: list[str]) -> list[Row]:
    rows: list[Row] = []
    with ExitStack() as stack:
        if opts.url:
            assert opts.api_key
            server = external_server(opts.url, opts.api_key)
        else:
            server = stack.enter_context(
                start_server(
                    db,
                    workers=opts.sqlite_workers if db == "sqlite" else opts.workers,
                    pg_admin_url=opts.pg_admin_url,
                    src=opts.src,
                )
            )
        probe = Probe(server.database_url)
        stack.callback(probe.close)
        if opts.agents and server.database_url:
            staff(server.database_url, opts.agents)
            notes.append(f"{db}: {opts.agents} agents online, every ticket assigned on arrival")
        print(f"[{db}] server {server.base_url} pid {server.pid} db {server.database_url}")
        tag = f"{db[:2]}{opts.seed}"
        created = 0
        warm = make_tickets(f"{tag}w", 30, opts.seed)
        results, _, _ = create_batch(server, warm, 4, 1, 60)
        created += sum(r.statuses.get("201", 0) for r in results)
        probe.wait_drained(opts.drain_timeout)
        for c in opts.concurrency:
            batch = make_tickets(f"{tag}c{c}", opts.tickets, opts.seed)
            procs = opts.client_procs if c > 1 else 1
            load = os.getloadavg()[0]
            intake_before = intake_totals(server.base_url)
            results, server_cpu, db_cpu = create_batch(server, batch, c, procs, opts.max_seconds)
            intake = intake_line(intake_before, intake_totals(server.base_url))
            row = create_row(db, "create", c, results, server_cpu, db_cpu)
            row.load = load
            created += row.ok
            backlog = probe.backlog()
            waited, left = probe.wait_drained(opts.drain_timeout)
            if backlog:
                row.note = (row.note + "; " if row.note else "") + (
                    f"outbox backlog {backlog} at end, drained in {waited:.1f}s"
                    + (f" ({left} left)" if left else "")
                )
            rows.append(row)
            print_rows([row], header=False)
            print(f"  {intake}")
            if c > 1:
                print(f"  {stalls(row)}")

        # -- fill up to list_size, then time the list calls ----------------------------------
        have = probe.tickets()
        have = created if have is None else have
        missing = max(0, opts.list_size - have)
        print(f"[{db}] {have} tickets; filling {missing} more via {opts.fill} ...")
        fill = make_tickets(f"{tag}f", missing, opts.seed)
        t0 = time.perf_counter()
        done, fill_note = 0, "none needed"
        if missing and opts.fill == "service" and server.database_url:
            done = fill_via_service(server.database_url, fill, opts.fill_seconds)
            fill_note = f"{done} via service layer in-process"
        elif missing:
            results, _, _ = create_batch(server, fill, 32, opts.client_procs, opts.fill_seconds)
            done = sum(r.statuses.get("201", 0) for r in results)
            fill_note = f"{done} via API at c=32"
        fill_seconds = time.perf_counter() - t0
        if done:
            fill_note += f" in {fill_seconds:.1f}s ({done / fill_seconds:.0f}/s)"
        if done < missing and server.database_url:
            probe.wait_drained(max(opts.drain_timeout, 300))  # nothing else may write ids now
            t1 = time.perf_counter()
            cloned = fill_by_cloning(server.database_url, fill[done:])
            fill_note += (
                f", then {cloned} by cloning rows with SQL in {time.perf_counter() - t1:.1f}s "
                f"(--fill-seconds {opts.fill_seconds:.0f} ran out)"
            )
        waited, left = probe.wait_drained(max(opts.drain_timeout, 300))
        total = probe.tickets()
        notes.append(
            f"{db}: fill {fill_note}; relay drained {waited:.1f}s later"
            + (f" ({left} events still pending)" if left else "")
            + (f"; {total} tickets in the database" if total is not None else "")
        )
        print(f"[{db}] {notes[-1]}")
        sample = fill or make_tickets(f"{tag}c{opts.concurrency[-1]}", 50, opts.seed)
        for label, path in list_paths(server, sample):
            load = os.getloadavg()[0]
            row = time_gets(
                server,
                {"Authorization": f"Bearer {server.api_key}"},
                (db, label, path),
                opts.list_requests,
                30.0,
                lambda body: f"{len(body.get('items', []))} items",
            )
            row.load = load
            rows.append(row)
            print_rows([row], header=False)

        # -- profile one more c=32 batch -------------------------------------------------------
        if opts.profile and server.pid is not None:
            opts.profile.mkdir(parents=True, exist_ok=True)
            raw = opts.profile / f"pyspy-{db}-c32.txt"
            batch = make_tickets(f"{tag}p", opts.tickets, opts.seed)
            load = os.getloadavg()[0]
            with py_spy(server.pid, raw, subprocesses=bool(opts.workers), gil=opts.profile_gil):
                results, server_cpu, db_cpu = create_batch(
                    server, batch, 32, opts.client_procs, opts.max_seconds
                )
            row = create_row(db, "create (py-spy)", 32, results, server_cpu, db_cpu)
            row.load = load
            rows.append(row)
            print_rows([row], header=False)
            probe.wait_drained(opts.drain_timeout)
            if raw.exists():
                notes.append(f"{db}: py-spy profile of the c=32 create run → {raw}")
                print(f"[{db}] server hotspots during c=32 create:\n{hotspots(raw, 15)}")

        counts = {k: v for k, v in server.log_counts(LOG_NEEDLES).items() if v}
        if counts:
            notes.append(f"{db}: server log mentions {counts} (log tail below)")
            print(f"[{db}] server log tail:\n{server.log_tail(30)}")
    return rows


TABLE = (
    "{db:<10} {phase:<20} {c:>3} {req:>5} {ok:>5} {rate:>7} {p50:>7} {p95:>7} {p99:>7} "
    "{max:>7} {scpu:>6} {sms:>6} {dcpu:>5} {dms:>5} {ccpu:>6} {load:>4}  {note}"
)


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}%"


def print_rows(rows: list[Row], header: bool = True) -> None:
    if header:
        print(
            TABLE.format(
                db="db",
                phase="call",
                c="c",
                req="reqs",
                ok="ok",
                rate="req/s",
                p50="p50 ms",
                p95="p95 ms",
                p99="p99 ms",
                max="max ms",
                scpu="srvCPU",
                sms="srv ms",
                dcpu="dbCPU",
                dms="db ms",
                ccpu="cliCPU",
                load="load",
                note="notes (non-2xx statuses, first error)",
            )
        )
    for r in rows:
        bad = {k: v for k, v in r.statuses.items() if k not in {"200", "201"}}
        note = ", ".join(filter(None, [f"non-2xx {bad}" if bad else "", r.note]))
        print(
            TABLE.format(
                db=r.db,
                phase=r.phase,
                c=r.concurrency,
                req=r.requests,
                ok=r.ok,
                rate=f"{r.rate:.1f}",
                p50=_ms(r.pct(50)),
                p95=_ms(r.pct(95)),
                p99=_ms(r.pct(99)),
                max=_ms(max(r.latencies_ms, default=math.nan)),
                scpu=_pct(r.server_cpu),
                sms=_ms(r.cpu_ms(r.server_cpu)),
                dcpu=_pct(r.db_cpu),
                dms=_ms(r.cpu_ms(r.db_cpu)),
                ccpu=_pct(r.client_cpu),
                load="-" if math.isnan(r.load) else f"{r.load:.1f}",
                note=note[:120],
            ),
            flush=True,
        )


def targets(rows: list[Row]) -> list[str]:
    lines = []
    for r in rows:
        if r.db == "postgresql" and r.phase == "create" and r.concurrency == 32:
            ok = r.rate >= TARGET_TPS and r.pct(99) < TARGET_P99_MS
            lines.append(
                f"{'MET ' if ok else 'MISS'} PostgreSQL c=32 create: {r.rate:.0f} tickets/s "
                f"(target ≥{TARGET_TPS:.0f}), p99 {r.pct(99):.0f} ms (target <{TARGET_P99_MS:.0f})"
            )
    for r in rows:
        if r.phase.startswith(("list", "search")):
            ok = r.pct(95) < TARGET_LIST_MS
            lines.append(
                f"{'MET ' if ok else 'MISS'} {r.db} {r.phase}: p95 {r.pct(95):.1f} ms, "
                f"p99 {r.pct(99):.1f} ms (target page <{TARGET_LIST_MS:.0f} ms)"
            )
    return lines


def parse_args(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--url", help="benchmark this running server instead of starting one")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("CONSIGNDESK_BENCH_API_KEY"),
        help="integration API key for --url (env CONSIGNDESK_BENCH_API_KEY)",
    )
    parser.add_argument("-n", "--tickets", type=int, help="tickets per concurrency level")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated levels")
    parser.add_argument(
        "--max-seconds", type=float, default=30.0, help="cap on one concurrency level"
    )
    parser.add_argument(
        "--client-procs",
        type=int,
        default=1,
        help="load-generator processes (each an asyncio loop) for levels > 1",
    )
    parser.add_argument("--list-size", type=int, help="tickets in the database for list calls")
    parser.add_argument("--list-requests", type=int, help="sequential requests per list call")
    parser.add_argument("--fill", choices=["api", "service"], default="service")
    parser.add_argument(
        "--fill-seconds",
        type=float,
        default=60.0,
        help="time box for the fill; what is left is added by cloning rows with SQL",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="PostgreSQL's server processes (`consigndesk serve --workers`, when that version "
        "has it)",
    )
    parser.add_argument(
        "--sqlite-workers",
        type=int,
        help="SQLite's server processes (default one: its single write lock makes more slower, "
        "ADR 0026)",
    )
    parser.add_argument("--profile", type=Path, help="py-spy a c=32 run; raw stacks go here")
    parser.add_argument(
        "--profile-gil", action="store_true", help="sample only the thread holding the GIL"
    )
    parser.add_argument(
        "--agents",
        type=int,
        default=0,
        help="online agents covering every group with room for every ticket, so each new "
        "ticket is assigned on arrival (default: nobody online, every ticket queues)",
    )
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--json", dest="json_out", type=Path, help="also write results as JSON")
    parser.add_argument("--quick", action="store_true", help="smoke run: small N and list size")
    parser.add_argument(
        "--code",
        default="snapshot",
        help="which consigndesk to serve: 'snapshot' (a copy of the working tree's src/ taken "
        "at start, so edits during the run do not mix in), 'worktree' (the installed package "
        "as it is on disk at each server start), 'head' or any git revision (`git archive` of "
        "its src/), or a path to a folder holding a consigndesk package",
    )
    a = parser.parse_args(argv)
    if a.url and not a.api_key:
        parser.error("--url needs --api-key (or CONSIGNDESK_BENCH_API_KEY)")
    return Options(
        db=a.db,
        url=a.url,
        api_key=a.api_key,
        tickets=a.tickets or (100 if a.quick else 2000),
        concurrency=[int(c) for c in a.concurrency.split(",") if c.strip()],
        max_seconds=10.0 if a.quick and a.max_seconds == 30.0 else a.max_seconds,
        client_procs=a.client_procs,
        list_size=a.list_size or (500 if a.quick else 10_000),
        list_requests=a.list_requests or (20 if a.quick else 200),
        fill=a.fill,
        fill_seconds=10.0 if a.quick and a.fill_seconds == 60.0 else a.fill_seconds,
        workers=a.workers,
        sqlite_workers=a.sqlite_workers,
        profile=a.profile,
        profile_gil=a.profile_gil,
        pg_admin_url=a.pg_admin_url,
        seed=a.seed,
        drain_timeout=a.drain_timeout,
        json_out=a.json_out,
        quick=a.quick,
        code="HEAD" if a.code.lower() == "head" else a.code,
        agents=a.agents,
    )


def each_database(
    dbs: Sequence[str], pg_admin_url: str, notes: list[str], run_one: Callable[[str], list[Row]]
) -> list[Row]:
    """The rows of `run_one` for each database in turn; an unreachable PostgreSQL or a run that
    fails becomes a note, and the other databases still run."""
    rows: list[Row] = []
    for db in dbs:
        if db == "postgresql":
            reason = postgres_unreachable(pg_admin_url)
            if reason:
                notes.append(f"postgresql skipped: unreachable at {pg_admin_url} ({reason})")
                print(f"[postgresql] skipped: {reason}")
                continue
        try:
            rows += run_one(db)
        except Exception as exc:
            notes.append(f"{db}: run failed: {exc.__class__.__name__}: {exc}")
            print(f"[{db}] FAILED: {exc}", file=sys.stderr)
    return rows


def print_notes_and_rerun(notes: list[str], script: str, argv: list[str], seed: int) -> None:
    """The run's notes, then the command that repeats it (with its seed)."""
    if notes:
        print("\n== Notes ==")
        for note in notes:
            print(f"- {note}")
    exe = os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(str(ROOT)) else None
    rerun = [exe or sys.executable, script, *argv]
    if not any(a.startswith("--seed") for a in argv):
        rerun += ["--seed", str(seed)]
    print(f"\nRerun: cd {ROOT} && {shlex.join(rerun)}")


def git_state(code: str) -> str:
    if code not in {"worktree", "snapshot"}:
        if Path(code).is_dir():
            return f"code from {code}"
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", code],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return f"{rev} (committed src/ of {code!r}, working tree ignored)"
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    how = " (copy of the working tree's src/ taken at start)" if code == "snapshot" else ""
    return f"{head}{' + uncommitted changes in src/' if dirty else ''}{how}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    with ExitStack() as stack:
        if opts.code == "snapshot":
            opts.src = stack.enter_context(tree_snapshot(ROOT / "src"))
        elif Path(opts.code).is_dir():
            opts.src = Path(opts.code).resolve()
        elif opts.code != "worktree":
            opts.src = stack.enter_context(code_snapshot(ROOT, opts.code))
        if opts.src is not None:
            sys.path.insert(0, str(opts.src))  # --fill service imports consigndesk in-process
        return run(opts, argv)


def run(opts: Options, argv: list[str]) -> int:
    notes: list[str] = []
    if opts.workers is not None and not opts.url and not serve_supports("--workers"):
        notes.append(
            f"`consigndesk serve` has no --workers option in this version: "
            f"--workers {opts.workers} ignored, one server process"
        )
        opts.workers = opts.sqlite_workers = None
    dbs = ["sqlite", "postgresql"] if opts.db == "both" else [opts.db]
    if opts.url:
        dbs = ["external"]
    load = os.getloadavg()
    print(
        f"ConsignDesk ticket API benchmark — {platform.node()}, {os.cpu_count()} CPUs, "
        f"load avg {load[0]:.2f}, git {git_state(opts.code)}, python {platform.python_version()}, "
        f"aiohttp {aiohttp.__version__}, httpx {httpx.__version__}"
    )
    print(
        f"N={opts.tickets}/level (cap {opts.max_seconds:.0f}s), levels {opts.concurrency}, "
        f"client procs {opts.client_procs}, list at {opts.list_size} tickets × "
        f"{opts.list_requests} sequential requests, fill via {opts.fill}, "
        f"server workers: PostgreSQL {opts.workers or 'default (1)'}, SQLite "
        f"{opts.sqlite_workers or 'default (1)'}; seed {opts.seed}"
    )
    print_rows([])
    rows = each_database(dbs, opts.pg_admin_url, notes, lambda db: run_database(opts, db, notes))

    print("\n== Results ==")
    print_rows(rows)
    print(
        "\nsrvCPU/dbCPU/cliCPU: CPU used by the server process tree / the PostgreSQL backends of\n"
        f"this database / the load generator, in % of one core (the machine has {os.cpu_count()}"
        " cores).\n'srv ms' / 'db ms': CPU milliseconds per successful request — the number to "
        "compare\nwhen the machine is busy ('load': 1-minute load average when the step began). "
        "List calls\nare sequential (c=1) on an otherwise idle server."
    )
    print("\n== Targets ==")
    for line in targets(rows):
        print(line)
    print_notes_and_rerun(notes, "bench/api_tickets.py", argv, opts.seed)
    if opts.json_out:
        opts.json_out.write_text(
            json.dumps(
                {"rows": [r.summary() for r in rows], "notes": notes, "argv": argv},
                indent=2,
                ensure_ascii=False,
                default=str,
            )
        )
    failed = any(n for n in notes if "run failed" in n)
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
