"""Screenshots of the main pages on the demo data, for a visual check (opt-in: slow seed).

CONSIGNDESK_SCREENSHOT_DIR=/tmp/shots .venv/bin/pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from consigndesk.adapters.db import tables
from tests.browser.conftest import LiveServer

SHOTS = os.environ.get("CONSIGNDESK_SCREENSHOT_DIR")
pytestmark = pytest.mark.skipif(not SHOTS, reason="set CONSIGNDESK_SCREENSHOT_DIR to take them")


def _login(page: Any, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/")


def _pick(core: Any, where: Any) -> int:
    with core.database.read_sessions() as session:
        return int(session.execute(select(tables.tickets.c.id).where(where).limit(1)).scalar_one())


def test_screenshots(live_server: LiveServer, new_page: Any) -> None:
    from consigndesk.demo.loader import DEMO_PASSWORD, seed

    out = Path(str(SHOTS))
    out.mkdir(parents=True, exist_ok=True)
    core, url = live_server.core, live_server.url
    summary = seed(core)
    t = tables.tickets.c
    with_order = _pick(core, t.order_ref.is_not(None) & (t.status == "open"))

    zh = new_page(locale="zh-CN")
    zh.goto(f"{url}/login")
    zh.screenshot(path=str(out / "login-zh.png"))
    _login(zh, url, "chen.jing@consigndesk.local", DEMO_PASSWORD)
    zh.screenshot(path=str(out / "inbox-zh.png"), full_page=True)
    zh.goto(f"{url}/tickets/{with_order}")
    zh.screenshot(path=str(out / "ticket-zh.png"), full_page=True)

    en = new_page(locale="en-US")
    _login(en, url, "ryan.brooks@partner.consigndesk.local", DEMO_PASSWORD)
    en.click("form.lang-switch button[value=en]")
    en.screenshot(path=str(out / "inbox-en-outsourced.png"), full_page=True)
    en.goto(f"{url}/tickets/{with_order}")
    en.screenshot(path=str(out / "ticket-en-outsourced.png"), full_page=True)

    customer = new_page(locale="zh-CN", width=1200)
    customer.goto(f"{url}{summary.customer_link}")
    customer.screenshot(path=str(out / "portal-list-zh.png"), full_page=True)
    customer.click(".request-list a >> nth=0")
    customer.wait_for_url(f"{url}/portal/tickets/*")
    customer.screenshot(path=str(out / "portal-ticket.png"), full_page=True)
    narrow = new_page(locale="en-US", width=420, height=860)
    narrow.goto(f"{url}{summary.customer_link}")
    narrow.screenshot(path=str(out / "portal-list-mobile-en.png"), full_page=True)

    # queue work, the supervisors' pages and the knowledge-base editor (a supervisor)
    zh.goto(f"{url}/supervisor/queues")
    zh.screenshot(path=str(out / "supervisor-queues-zh.png"), full_page=True)
    zh.goto(f"{url}/admin/articles")
    zh.screenshot(path=str(out / "kb-list-zh.png"), full_page=True)
    zh.click("#article-list a.subject >> nth=0")
    zh.wait_for_url(f"{url}/admin/articles/*")
    zh.click("button:has-text('预览')")
    zh.wait_for_selector("#preview .help-article")
    zh.screenshot(path=str(out / "kb-edit-zh.png"), full_page=True)
    zh.goto(f"{url}/admin/articles/new")
    zh.screenshot(path=str(out / "kb-new-zh.png"), full_page=True)
    en.goto(f"{url}/?assigned=me")
    en.screenshot(path=str(out / "inbox-mine-en.png"), full_page=True)

    # the public help center, zh and en, and a vote
    visitor = new_page(locale="zh-CN", width=1200)
    visitor.goto(f"{url}/help")
    visitor.screenshot(path=str(out / "help-home-zh.png"), full_page=True)
    visitor.goto(f"{url}/help/search?q=退款")
    visitor.screenshot(path=str(out / "help-search-zh.png"), full_page=True)
    visitor.click(".search-results a >> nth=0")
    visitor.wait_for_url(f"{url}/help/articles/*")
    visitor.click("#vote button[value=yes]")
    visitor.wait_for_selector("#vote .vote-counts")
    visitor.screenshot(path=str(out / "help-article-voted-zh.png"), full_page=True)
    english = new_page(locale="en-US", width=1200)
    english.goto(f"{url}/help/search?q=refnd")
    english.screenshot(path=str(out / "help-search-didyoumean-en.png"), full_page=True)
    phone = new_page(locale="zh-CN", width=420, height=860)
    phone.goto(f"{url}/help")
    phone.screenshot(path=str(out / "help-home-mobile-zh.png"), full_page=True)
    for page in (zh, en, customer, narrow, visitor, english, phone):
        assert page.js_errors == []
