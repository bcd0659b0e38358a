"""Server-rendered page latency on the demo data set (SQLite): the agent inbox and its views, a
ticket page, the supervisors' queue overview, the article editor, the help center (home, zh/en
search, article) and the customer portal. In-process through Starlette's TestClient, so the
numbers are the app's own cost (routing, queries, Jinja, gettext) without network or uvicorn.

    .venv/bin/python bench/web_pages.py               # 30 rounds per page
    .venv/bin/python bench/web_pages.py --rounds 100
"""

from __future__ import annotations

import sys
from pathlib import Path

# Keep bench/ off the import path (sys.path[0] is bench/): a script here must never shadow a module
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import select  # noqa: E402

from consigndesk.adapters.db import tables  # noqa: E402
from consigndesk.adapters.http.app import create_app  # noqa: E402
from consigndesk.bootstrap import build  # noqa: E402
from consigndesk.config import Settings  # noqa: E402
from consigndesk.demo.loader import DEMO_PASSWORD, seed  # noqa: E402


def _signed_in(client: TestClient, email: str) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _measure(client: TestClient, url: str, rounds: int) -> tuple[float, float, float]:
    client.get(url)  # warm the template cache
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cd-webbench-"))
    core = build(Settings(database_url=f"sqlite:///{folder / 'bench.db'}", log_json=False))
    started = time.perf_counter()
    summary = seed(core)
    print(f"demo data: {summary} ({time.perf_counter() - started:.1f} s)")
    with core.database.read_sessions() as session:
        ticket_id = session.execute(
            select(tables.tickets.c.id).where(tables.tickets.c.order_ref.is_not(None)).limit(1)
        ).scalar_one()
        article_id = session.execute(select(tables.kb_articles.c.id).limit(1)).scalar_one()
    app = create_app(core, run_relay=False)
    supervisor = TestClient(app, headers={"Accept-Language": "zh-CN"})
    _signed_in(supervisor, "chen.jing@consigndesk.local")
    agent = TestClient(app, headers={"Accept-Language": "zh-CN"})
    _signed_in(agent, "li.na@consigndesk.local")
    visitor = TestClient(app, headers={"Accept-Language": "zh-CN"})
    english = TestClient(app, headers={"Accept-Language": "en"})
    customer = TestClient(app, headers={"Accept-Language": "zh-CN"})
    token = parse_qs(urlsplit(summary.customer_link).query)["token"][0]
    customer.get(f"/portal?token={token}")
    listing = customer.get("/portal/tickets").text
    portal_ticket = listing.split('href="/portal/tickets/')[1].split('"')[0]
    pages = [
        ("agent inbox (default view)", agent, "/"),
        ("inbox: all unsolved", supervisor, "/?status="),
        ("inbox: search (zh)", supervisor, "/?q=退款"),
        ("ticket page", supervisor, f"/tickets/{ticket_id}"),
        ("supervisor queues", supervisor, "/supervisor/queues"),
        ("article list (editor)", supervisor, "/admin/articles"),
        ("article editor", supervisor, f"/admin/articles/{article_id}"),
        ("help center home", visitor, "/help"),
        ("help search (zh)", visitor, "/help/search?q=退款多久到账"),
        ("help search (en, with a typo)", english, "/help/search?q=refnd"),
        ("help article", visitor, f"/help/articles/{article_id}"),
        ("portal: my requests", customer, "/portal/tickets"),
        ("portal: one request", customer, f"/portal/tickets/{portal_ticket}"),
    ]
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"git {revision}, load average {os.getloadavg()[0]:.2f}, {args.rounds} rounds per page")
    print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, client, url in pages:
        p50, p95, worst = _measure(client, url, args.rounds)
        print(f"{name:34} {p50:8.1f} {p95:8.1f} {worst:8.1f}")
    print("rerun: .venv/bin/python bench/web_pages.py --rounds", args.rounds)
    core.close()


if __name__ == "__main__":
    main()
