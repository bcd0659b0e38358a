"""Email ingestion end to end: parse, thread, triage, store — emails per second.

Two paths, each on SQLite and PostgreSQL (skipped with a note when it does not answer):

* ``service``: in this process, ``EmailChannel.ingest(raw)`` — the use case the SMTP listener and
  the IMAP poller call (parse, automatic-mail rules, customer lookup, threading, the one pipeline
  with triage and routing, commit) — one message after another.
* ``smtp``: ``consigndesk serve`` with ``CONSIGNDESK_SMTP_LISTEN`` on a free port, and
  ``--concurrency`` smtplib clients, each sending its share over one SMTP session. A ``250`` only
  comes after the commit, so messages/s is durable throughput. Latency is DATA → 250 per message.

The mail mix: 50 % Chinese, 40 % English, 10 % HTML-only (Big5 or GBK); a fifth carry a small PDF;
a third are replies (In-Reply-To to the same sender's earlier message, quoted history below) from a
pool of 300 senders. Target: ≥100 emails/s.

    .venv/bin/python bench/email_ingest.py          # both databases, both paths, 1,000 emails
    .venv/bin/python bench/email_ingest.py --quick  # 200 emails
    .venv/bin/python bench/email_ingest.py --db sqlite --path smtp -n 2000 --concurrency 16
    .venv/bin/python bench/email_ingest.py --db postgresql --path smtp --workers 2
"""

from __future__ import annotations

import sys
from pathlib import Path

# Take this folder off the import path (it is first when a script here is run) before anything
# imports the standard library's `email`, so no bench script can shadow it; put it back at the end
# for `_server`. (That is also why this bench is not called `email.py`: see ADR 0406.)
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if p not in ("", _HERE)]

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shlex  # noqa: E402
import smtplib  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from email.message import EmailMessage  # noqa: E402
from email.policy import SMTP  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import create_engine, func, select  # noqa: E402

from consigndesk.adapters.db import tables  # noqa: E402
from consigndesk.bootstrap import build  # noqa: E402
from consigndesk.config import Settings  # noqa: E402
from consigndesk.services.admin import ensure_default_groups  # noqa: E402
from consigndesk.services.email import EmailChannel  # noqa: E402

sys.path.append(_HERE)
from _server import (  # noqa: E402
    DEFAULT_PG_ADMIN_URL,
    free_port,
    postgres_database,
    postgres_unreachable,
    start_server,
)

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = "support@desk.test"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"0" * 4000
ZH = [
    "你好，我的快递三天没动了，单号 JS2026112000{n:04d}，麻烦查一下。",
    "我申请的退款什么时候到账？订单 JS2026112000{n:04d} 已经取消了。",
    "收到的耳机是坏的，左边没有声音，想退货。",
    "卡密兑换不了，提示已被使用，订单 JS2026112000{n:04d}。",
    "结算款一直没有到账，请帮我看看。",
]
EN = [
    "Hello, my parcel for order JS2026112000{n:04d} has not moved for three days.",
    "When will my refund arrive? The order was cancelled last week.",
    "The camera I received does not turn on. I would like to return it.",
    "I cannot log in to my account, the code never arrives.",
]
QUOTE = (
    "\n\nOn Fri, Nov 20, 2026 at 9:00 AM Support <support@desk.test> wrote:\n"
    "> 您好，请提供订单号。\n"
)


def generate(n: int, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    last: dict[str, str] = {}
    out: list[bytes] = []
    for i in range(n):
        sender = f"customer{rnd.randrange(300)}@example.cn"
        msg = EmailMessage()
        msg["From"] = f"客户{i % 300} <{sender}>"
        msg["To"] = SUPPORT
        msg["Message-ID"] = f"<bench-{seed}-{i}@example.cn>"
        kind = rnd.random()
        text = (rnd.choice(ZH) if kind < 0.5 else rnd.choice(EN)).format(n=rnd.randrange(10000))
        reply = sender in last and rnd.random() < 0.33
        subject = text[:20]
        if reply:
            msg["In-Reply-To"] = last[sender]
            subject = "Re: " + subject
            text += QUOTE
        msg["Subject"] = subject
        if kind >= 0.9:
            charset = rnd.choice(["big5", "gbk"])
            html = f"<html><body><p>{text}</p><script>x()</script></body></html>"
            msg.set_content(html.encode(charset, "replace"), "text", "html", cte="base64")
            msg.replace_header("Content-Type", f'text/html; charset="{charset}"')
        else:
            msg.set_content(text)
        if rnd.random() < 0.2:
            msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="发票.pdf")
        last[sender] = msg["Message-ID"]
        out.append(msg.as_bytes(policy=SMTP))  # CRLF, as on the wire
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@contextmanager
def database(kind: str, pg_admin_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="cdbench-email-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
    else:
        with postgres_database(pg_admin_url) as url:
            yield url


def bench_service(url: str, mails: list[bytes]) -> dict[str, float]:
    core = build(Settings(database_url=url))
    try:
        ensure_default_groups(core.uow())
        channel = core.extras["email"]
        assert isinstance(channel, EmailChannel)
        channel.ingest(generate(1, seed=999)[0])  # warm-up: triage model, first connections
        latencies: list[float] = []
        actions: dict[str, int] = {}
        start = time.perf_counter()
        for raw in mails:
            t0 = time.perf_counter()
            outcome = channel.ingest(raw)
            latencies.append(time.perf_counter() - t0)
            actions[outcome.action] = actions.get(outcome.action, 0) + 1
        elapsed = time.perf_counter() - start
    finally:
        core.close()
    return {
        "rate": len(mails) / elapsed,
        "p50": pct(latencies, 0.5),
        "p99": pct(latencies, 0.99),
        "seconds": elapsed,
        **{f"n_{k}": float(v) for k, v in actions.items()},
    }


def bench_smtp(
    kind: str, mails: list[bytes], concurrency: int, pg_admin_url: str, workers: int = 1
) -> dict[str, Any]:
    port = free_port()
    env = {"CONSIGNDESK_SMTP_LISTEN": f"127.0.0.1:{port}", "CONSIGNDESK_LOG_JSON": "true"}
    with start_server(kind, workers=workers, pg_admin_url=pg_admin_url, extra_env=env) as server:
        wait_for_port(port)
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def client(share: list[bytes]) -> None:
            mine: list[float] = []
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
                for raw in share:
                    t0 = time.perf_counter()
                    try:
                        smtp.sendmail("customer@example.cn", [SUPPORT], raw)
                    except smtplib.SMTPException as exc:
                        with lock:
                            errors.append(str(exc))
                        continue
                    mine.append(time.perf_counter() - t0)
            with lock:
                latencies.extend(mine)

        shares = [mails[i::concurrency] for i in range(concurrency)]
        threads = [threading.Thread(target=client, args=(s,)) for s in shares]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        engine = create_engine(server.database_url)
        with engine.connect() as conn:
            stored = conn.execute(
                select(func.count())
                .select_from(tables.messages)
                .where(tables.messages.c.author_type == "customer")
            ).scalar_one()
        engine.dispose()
    return {
        "rate": len(latencies) / elapsed,
        "p50": pct(latencies, 0.5) if latencies else float("nan"),
        "p99": pct(latencies, 0.99) if latencies else float("nan"),
        "seconds": elapsed,
        "errors": float(len(errors)),
        "stored": float(stored),
        "first_error": errors[0][:160] if errors else "",
    }


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the SMTP listener on port {port} did not come up")


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return rev + ("+uncommitted" if dirty else "")
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--path", choices=["service", "smtp", "both"], default="both")
    parser.add_argument("-n", "--emails", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8, help="SMTP client sessions")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (each listens for SMTP)"
    )
    parser.add_argument("--quick", action="store_true", help="200 emails")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    opts = parser.parse_args(argv)
    n = 200 if opts.quick else opts.emails
    mails = generate(n, opts.seed)
    size = sum(len(m) for m in mails) / len(mails)
    load = os.getloadavg()[0]
    print(
        f"bench/email_ingest.py: {n} emails (avg {size / 1024:.1f} KiB), git {git_revision()}, "
        f"{os.cpu_count()} cores, load avg {load:.2f}"
    )
    kinds = ["sqlite", "postgresql"] if opts.db == "both" else [opts.db]
    paths = ["service", "smtp"] if opts.path == "both" else [opts.path]
    print(f"{'db':<11} {'path':<8} {'emails/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'secs':>6}  notes")
    results: list[float] = []
    for kind in kinds:
        if kind == "postgresql":
            reason = postgres_unreachable(opts.pg_admin_url)
            if reason:
                print(f"{kind:<11} skipped: {reason}")
                continue
        for path in paths:
            if path == "service":
                with database(kind, opts.pg_admin_url) as url:
                    r = bench_service(url, mails)
                notes = ", ".join(f"{k[2:]} {int(v)}" for k, v in r.items() if k.startswith("n_"))
            else:
                r = bench_smtp(kind, mails, opts.concurrency, opts.pg_admin_url, opts.workers)
                notes = (
                    f"c={opts.concurrency}, workers {opts.workers}, stored {int(r['stored'])}, "
                    f"SMTP errors {int(r['errors'])} {r['first_error']}"
                ).rstrip()
            results.append(r["rate"])
            print(
                f"{kind:<11} {path:<8} {r['rate']:>9.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
                f"{r['seconds']:>6.1f}  {notes}"
            )
    if results:
        verdict = "met" if min(results) >= 100 else "NOT met"
        print(f"target ≥100 emails/s on every row: {verdict} (slowest {min(results):.1f}/s)")
    exe = os.path.relpath(sys.executable, ROOT)
    print(f"\nRerun: cd {ROOT} && {shlex.join([exe, 'bench/email_ingest.py', *argv])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
