"""One real journey in Chromium: an agent answers and solves, the customer reads and rates."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from consigndesk.adapters.db import queries
from tests.browser.conftest import LiveServer
from tests.web import seed

SHOTS = os.environ.get("CONSIGNDESK_SCREENSHOT_DIR")  # optional: keep pictures to look at
REPLY = "您好，您的相机已到达杭州转运中心，预计明天送达。"
COMMENT = "回复很快，谢谢！"


def test_agent_solves_and_customer_rates(live_server: LiveServer, new_page: Any) -> None:
    core, url = live_server.core, live_server.url
    seed.apply_order(core)
    seed.agent(core, "li.na@desk.test", "李娜", capacity=0)  # only "Next ticket" assigns
    ticket_id = seed.customer_ticket(core, order_ref=seed.ORDER_REF)

    # the agent signs in, finds the ticket in the inbox and sees the linked order
    agent = new_page(locale="zh-CN")
    agent.goto(f"{url}/login")
    agent.fill("input[name=email]", "li.na@desk.test")
    agent.fill("input[name=password]", seed.PASSWORD)
    agent.click("form[action='/login'] button[type=submit]")
    agent.wait_for_url(f"{url}/")
    assert agent.evaluate("htmx.version") == "2.0.11"
    agent.select_option("select[name=status]", "all")  # htmx swaps the list, pushes the URL
    agent.wait_for_url("**/?*status=all*")
    assert agent.locator("a.subject:has-text('相机还没到')").count() == 1

    # "Next ticket" needs the agent online: the top bar's toggle, then the queue's head
    agent.click("#next-ticket")
    agent.wait_for_selector(".flash-warning:has-text('请先上线')")
    agent.click(".presence-toggle")
    agent.wait_for_selector(".presence-toggle.is-online")
    agent.click("#next-ticket")
    agent.wait_for_url(f"{url}/tickets/{ticket_id}")
    assert "这个工单现在由您处理" in agent.locator(".flashes").inner_text()
    panel = agent.locator("#order-panel")
    assert seed.ORDER_REF in panel.inner_text()
    assert seed.ITEM_TITLE in panel.inner_text()
    assert seed.TRACKING_NO in panel.locator(".tracking-no").inner_text()
    assert panel.locator(".scans li").count() == 2

    # … replies publicly and marks it solved in one go
    agent.fill("#reply-body", REPLY)
    agent.select_option("select[name=submit_as]", "solved")
    agent.click("#reply button[type=submit]")
    agent.wait_for_url(f"{url}/tickets/{ticket_id}")
    assert REPLY in agent.locator(".conversation .msg-agent").last.inner_text()
    assert agent.locator(".ticket-badges .status").inner_text() == "已解决"
    assert agent.js_errors == []

    # the customer opens the portal through the platform's signed link
    customer = new_page(locale="zh-CN")
    customer.goto(f"{url}/portal?token={seed.portal_token(core)}")
    customer.wait_for_url(f"{url}/portal/tickets")
    customer.click(f"a[href='/portal/tickets/{ticket_id}']")
    customer.wait_for_url(f"{url}/portal/tickets/{ticket_id}")
    assert REPLY in customer.locator(".conversation").inner_text()
    assert customer.locator(".progress .step-current .step-label").inner_text() == "已解决"

    # … and rates it five stars with a comment
    customer.click("label[for=star5]")
    customer.fill("textarea[name=comment]", COMMENT)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        agent.screenshot(path=str(Path(SHOTS) / "journey-agent-solved.png"), full_page=True)
        customer.screenshot(path=str(Path(SHOTS) / "journey-portal-rating.png"), full_page=True)
    customer.click("#rating button[type=submit]")
    customer.wait_for_selector("#rating .rating-comment")
    assert COMMENT in customer.locator("#rating").inner_text()
    assert customer.locator("#rating .stars .on").count() == 5
    assert customer.js_errors == []

    with core.database.read_sessions() as session:
        detail = queries.ticket_detail(session, ticket_id)
    assert detail is not None
    assert (detail["status"], detail["csat_score"], detail["csat_comment"]) == (
        "solved",
        5,
        COMMENT,
    )
