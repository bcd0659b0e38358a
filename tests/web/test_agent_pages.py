"""Agent pages through HTTP: sign in, inbox order, replies, changes, stale pages, masking."""

from __future__ import annotations

from typing import Any

from consigndesk.adapters.db import queries
from consigndesk.domain.commands import UpdateTicket
from consigndesk.domain.events import Actor
from tests.web import seed
from tests.web.conftest import Web, csrf_of


def detail(web: Web, ticket_id: int) -> dict[str, Any]:
    with web.core.database.read_sessions() as session:
        found = queries.ticket_detail(session, ticket_id)
    assert found is not None
    return found


def set_priority(web: Web, ticket_id: int, priority: str) -> None:
    web.core.tickets.update_ticket(
        web.core.uow(),
        UpdateTicket(ticket_id=ticket_id, actor=Actor.system("test"), priority=priority),
    )


def test_login_success_and_failure(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test", "李娜")
    client = web.client()
    token = csrf_of(client.get("/login").text)

    wrong = client.post(
        "/login", data={"email": "li.na@desk.test", "password": "nope-nope", "csrf": token}
    )
    assert wrong.status_code == 401
    assert "邮箱或密码错误" in wrong.text
    assert 'name="password"' in wrong.text  # the form again

    right = client.post(
        "/login",
        data={"email": "LI.NA@desk.test", "password": seed.PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert (right.status_code, right.headers["location"]) == (303, "/")
    inbox = client.get("/")
    assert inbox.status_code == 200
    assert "李娜" in inbox.text

    logout = client.post("/logout", data={"csrf": csrf_of(inbox.text)}, follow_redirects=False)
    assert logout.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_pages_require_an_agent(web: Web) -> None:
    ticket_id = seed.customer_ticket(web.core)
    client = web.client()
    inbox = client.get("/", follow_redirects=False)
    assert (inbox.status_code, inbox.headers["location"]) == (303, "/login?next=%2F")
    page = client.get(f"/tickets/{ticket_id}", follow_redirects=False)
    assert page.headers["location"] == f"/login?next=%2Ftickets%2F{ticket_id}"
    htmx = client.get("/?status=open", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["HX-Redirect"].startswith("/login?next=")

    customer = web.customer_client("u-buyer-1")  # a customer session is not an agent session
    assert customer.get("/", follow_redirects=False).status_code == 303


def test_inbox_sorts_by_priority_then_age(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test")
    oldest = seed.customer_ticket(web.core, "c1", "第一个问题", subject="最早的低优先级")
    normal = seed.customer_ticket(web.core, "c2", "第二个问题", subject="普通问题")
    urgent = seed.customer_ticket(web.core, "c3", "第三个问题", subject="最新的紧急问题")
    solved = seed.customer_ticket(web.core, "c4", "第四个问题", subject="已解决的问题")
    set_priority(web, oldest, "P4")
    set_priority(web, normal, "P3")
    set_priority(web, urgent, "P1")
    set_priority(web, solved, "P1")
    web.core.tickets.update_ticket(
        web.core.uow(), UpdateTicket(ticket_id=solved, actor=Actor.system("t"), status="solved")
    )
    client, _ = web.agent_client("li.na@desk.test")

    html = client.get("/").text
    order = [html.index(f'/tickets/{i}"') for i in (urgent, normal, oldest)]
    assert order == sorted(order)
    assert f'/tickets/{solved}"' not in html  # the default view is the unsolved queue

    everything = client.get("/?status=all").text
    assert everything.index(f'/tickets/{solved}"') < everything.index(f'/tickets/{normal}"')
    only_p4 = client.get("/?priority=P4").text
    assert f'/tickets/{oldest}"' in only_p4 and f'/tickets/{normal}"' not in only_p4
    found = client.get("/?q=紧急").text
    assert f'/tickets/{urgent}"' in found and f'/tickets/{oldest}"' not in found


def test_inbox_pages_with_the_cursor(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test")
    ids = [
        seed.customer_ticket(web.core, f"c{i}", f"问题 {i}", subject=f"问题{i}") for i in range(27)
    ]
    client, _ = web.agent_client("li.na@desk.test")
    first = client.get("/").text
    assert f'/tickets/{ids[0]}"' in first and f'/tickets/{ids[26]}"' not in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&")).text
    assert f'/tickets/{ids[26]}"' in second and f'/tickets/{ids[0]}"' not in second


def test_ticket_page_shows_conversation_triage_timeline_and_order(web: Web) -> None:
    seed.apply_order(web.core)
    seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core, order_ref=seed.ORDER_REF)
    web.core.relay.drain()  # the receipt notice (a system message)
    client, _ = web.agent_client("li.na@desk.test")

    html = client.get(f"/tickets/{ticket_id}").text
    assert "我的相机到哪了？" in html
    assert "msg-system" in html and "我们已收到您的请求 CD-" in html
    assert "智能分诊" in html and "intent logistics (" in html  # the engine's reasons
    assert "通过在线聊天创建工单" in html  # a timeline row
    panel = html.split('id="order-panel"')[1]
    for expected in (
        seed.ORDER_REF,
        seed.ITEM_TITLE,
        seed.TRACKING_NO,
        "顺丰速运",
        "¥12,800.00",
        "支付宝",
        "快件已从【杭州转运中心】发出",
        "杭州转运中心",
        "实物",
    ):
        assert expected in panel, expected


def test_post_without_csrf_is_rejected(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core)
    client, _ = web.agent_client("li.na@desk.test")
    before = len(detail(web, ticket_id)["messages"])

    response = client.post(f"/tickets/{ticket_id}/reply", data={"body": "hello"})
    assert response.status_code == 403
    assert "表单已失效" in response.text
    wrong = client.post(f"/tickets/{ticket_id}/update", data={"status": "solved", "csrf": "forged"})
    assert wrong.status_code == 403
    assert len(detail(web, ticket_id)["messages"]) == before
    assert detail(web, ticket_id)["status"] == "new"


def test_reply_and_status_change_through_the_forms(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core)
    client, token = web.agent_client("li.na@desk.test")
    version = detail(web, ticket_id)["version"]

    sent = client.post(
        f"/tickets/{ticket_id}/reply",
        follow_redirects=False,
        data={
            "body": "您好，包裹已在路上。",
            "visibility": "public",
            "submit_as": "pending",
            "version": version,
            "csrf": token,
        },
    )
    assert (sent.status_code, sent.headers["location"]) == (303, f"/tickets/{ticket_id}")
    page = client.get(f"/tickets/{ticket_id}").text
    assert "回复已发送给客户" in page and "您好，包裹已在路上。" in page
    after = detail(web, ticket_id)
    assert after["status"] == "pending"
    assert after["messages"][-1]["author_type"] == "agent"
    assert after["messages"][-1]["visibility"] == "public"

    note = client.post(
        f"/tickets/{ticket_id}/reply",
        data={
            "body": "客户很着急",
            "visibility": "internal",
            "submit_as": "pending",
            "version": after["version"],
            "csrf": token,
        },
    )
    assert note.status_code == 200
    assert "msg-internal" in note.text and "客户很着急" in note.text
    assert detail(web, ticket_id)["messages"][-1]["visibility"] == "internal"

    current = detail(web, ticket_id)
    agent_id = current["messages"][-1]["author_id"]
    changed = client.post(
        f"/tickets/{ticket_id}/update",
        data={
            "status": "solved",
            "priority": "P2",
            "group": "logistics",
            "assignee": str(agent_id),
            "reason": "已发货",
            "version": current["version"],
            "csrf": token,
        },
    )
    assert changed.status_code == 200 and "工单已更新" in changed.text
    final = detail(web, ticket_id)
    assert (final["status"], final["priority"], final["group"], final["assignee_id"]) == (
        "solved",
        "P2",
        "logistics",
        agent_id,
    )
    assert any(e["reason"] == "已发货" for e in final["timeline"])
    assert "状态：待客户回复 → 已解决" in changed.text


def test_a_stale_page_gets_a_clear_message(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core)
    client, token = web.agent_client("li.na@desk.test")
    stale = detail(web, ticket_id)["version"]
    set_priority(web, ticket_id, "P1")  # someone else changes it meanwhile

    update = client.post(
        f"/tickets/{ticket_id}/update", data={"status": "solved", "version": stale, "csrf": token}
    )
    assert update.status_code == 409
    assert "此工单已被他人修改" in update.text
    assert detail(web, ticket_id)["status"] == "new"

    reply = client.post(
        f"/tickets/{ticket_id}/reply",
        data={"body": "我的草稿回复", "visibility": "public", "version": stale, "csrf": token},
    )
    assert reply.status_code == 409
    assert "此工单已被他人修改" in reply.text
    assert "我的草稿回复</textarea>" in reply.text  # the draft is not lost
    assert f'name="version" value="{detail(web, ticket_id)["version"]}"' in reply.text


def test_domain_errors_show_on_the_page(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core)
    client, token = web.agent_client("li.na@desk.test")
    response = client.post(
        f"/tickets/{ticket_id}/update",
        data={"status": "closed", "version": detail(web, ticket_id)["version"], "csrf": token},
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("text/html")
    assert "状态为“新建”的工单不能改为“已关闭”" in response.text

    empty = client.post(f"/tickets/{ticket_id}/reply", data={"body": "  ", "csrf": token})
    assert empty.status_code == 422 and "请先填写消息内容" in empty.text
    assert client.get("/tickets/999999").status_code == 404


def test_outsourced_agent_sees_masked_contact_data(web: Web) -> None:
    seed.agent(web.core, "in@desk.test", "自营客服")
    seed.agent(web.core, "out@partner.test", "外包小王", team="outsourced")
    ticket_id = seed.customer_ticket(
        web.core, body="请打电话 13812345678 或发邮件 zhang.wei@example.cn"
    )

    outsourced, _ = web.agent_client("out@partner.test")
    masked = outsourced.get(f"/tickets/{ticket_id}").text
    assert "13812345678" not in masked and "zhang.wei@example.cn" not in masked
    assert "*******5678" in masked and "z***@example.cn" in masked

    in_house, _ = web.agent_client("in@desk.test")
    full = in_house.get(f"/tickets/{ticket_id}").text
    assert "13812345678" in full and "zhang.wei@example.cn" in full


def test_an_assignee_that_is_no_agent_id_is_refused_and_changes_nothing(web: Web) -> None:
    """`²` passed `isdigit()` and broke `int()`; a number beyond 64 bits reached the database."""
    seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core)
    client, token = web.agent_client("li.na@desk.test")
    for assignee in ("²", "9223372036854775808", "-1"):
        answer = client.post(
            f"/tickets/{ticket_id}/update", data={"assignee": assignee, "csrf": token}
        )
        assert answer.status_code == 422, assignee
    assert detail(web, ticket_id)["assignee_id"] is None
