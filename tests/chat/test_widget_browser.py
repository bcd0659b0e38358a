"""In Chromium: a customer chats in the widget on the demo shop page, an agent answers in the
live-chat workspace, and each sees the other's message (and the read mark)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import conftest as browser
from tests.browser.conftest import LiveServer
from tests.web import seed

# the browser tests' fixtures, reused as they are (their skip/fail rules included)
chromium, live_server, new_page = browser.chromium, browser.live_server, browser.new_page

QUESTION = "你好，我的相机什么时候发货？"
ANSWER = "您好，卖家今天下午发货，顺丰次日达。"


@pytest.fixture
def widget_server(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The browser tests' live server with the widget demo page switched on."""
    monkeypatch.setenv("CONSIGNDESK_CHAT_DEMO_PAGE", "1")
    server: LiveServer = request.getfixturevalue("live_server")
    yield server


def test_customer_chats_in_the_widget_and_an_agent_answers(
    widget_server: LiveServer, new_page: Any
) -> None:
    core, url = widget_server.core, widget_server.url
    seed.agent(core, "li.na@desk.test", "李娜")

    # the customer opens the shop page; one script tag put the chat button there
    shop = new_page(locale="zh-CN", width=1100, height=800)
    shop.goto(f"{url}/widget-demo?lang=zh")
    shop.locator("#consigndesk-widget .launcher").click()
    shop.locator(".compose textarea").fill(QUESTION)
    shop.locator(".compose textarea").press("Enter")
    mine = shop.locator(".msg-customer", has_text=QUESTION)
    mine.locator(".meta", has_text="已送达").wait_for()
    shop.locator(".notice", has_text="您前面还有").wait_for()  # queue position and ETA

    # the agent signs in and opens the live chat
    desk = new_page(locale="zh-CN")
    desk.goto(f"{url}/login?next=/chats")
    desk.fill("input[name=email]", "li.na@desk.test")
    desk.fill("input[name=password]", seed.PASSWORD)
    desk.click("form[action='/login'] button[type=submit]")
    desk.wait_for_url(f"{url}/chats")
    desk.locator(".chat-item", has_text="演示买家").click()
    desk.locator("#chat-log .msg-customer", has_text=QUESTION).wait_for()
    desk.fill("#chat-text", ANSWER)
    desk.click("#chat-compose button[type=submit]")

    # the customer looks at the shop tab again, sees the answer and that it was read
    shop.bring_to_front()
    shop.locator(".msg-agent", has_text=ANSWER).wait_for()
    assert "李娜" in shop.locator(".msg-agent", has_text=ANSWER).inner_text()
    mine.locator(".meta", has_text="已读").wait_for()
    # … and the agent sees that the customer has read the reply
    desk.locator("#chat-log .msg-agent .meta", has_text="已读").wait_for()
    assert shop.js_errors == []
    assert desk.js_errors == []
