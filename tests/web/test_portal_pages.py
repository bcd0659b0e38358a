"""The customer portal through HTTP: signed links, isolation, new requests, replies, rating."""

from __future__ import annotations

from consigndesk.domain.commands import AddAgentMessage, UpdateTicket
from consigndesk.domain.events import Actor
from tests.unit.test_privacy_and_tokens import signed_claims
from tests.web import seed
from tests.web.conftest import PLATFORM_SECRET, Web, csrf_of
from tests.web.test_agent_pages import detail


def test_bad_or_expired_links_get_a_clear_401(web: Web) -> None:
    client = web.client()
    bad = client.get("/portal?token=not-a-token")
    assert bad.status_code == 401
    assert "此链接无效" in bad.text
    expired = client.get(f"/portal?token={seed.portal_token(web.core, ttl=-10)}")
    assert expired.status_code == 401
    assert "此链接已过期" in expired.text
    assert client.get("/portal/tickets").status_code == 401  # no customer in the session


def test_a_signed_link_whose_claims_no_column_can_hold_is_refused_like_a_bad_one(
    web: Web,
) -> None:
    """A role that is a list, a NUL or lone surrogate in the id, an over-long name: each was a 500
    (on entry, or on every page after it) instead of the page for a link that cannot be used."""
    client = web.client()
    exp = '"exp": 9999999999'
    for claims in (
        '{"sub": "u-a", "role": ["buyer"], ' + exp + "}",
        '{"sub": "u\\u0000a", "role": "buyer", ' + exp + "}",
        '{"sub": "u\\ud800", "role": "buyer", ' + exp + "}",
        '{"sub": "u-a", "role": "buyer", "name": "' + "n" * 201 + '", ' + exp + "}",
    ):
        answer = client.get(f"/portal?token={signed_claims(claims, PLATFORM_SECRET)}")
        assert answer.status_code == 401, claims
        assert "此链接无效" in answer.text
    assert client.get("/portal/tickets").status_code == 401  # no customer in the session


def test_a_signed_link_opens_the_customers_own_requests(web: Web) -> None:
    mine = seed.customer_ticket(web.core, "u-a", "我的问题", subject="A 的请求")
    theirs = seed.customer_ticket(web.core, "u-b", "别人的问题", subject="B 的请求")
    client = web.client()
    entered = client.get(
        f"/portal?token={seed.portal_token(web.core, 'u-a')}", follow_redirects=False
    )
    assert (entered.status_code, entered.headers["location"]) == (303, "/portal/tickets")
    listing = client.get("/portal/tickets").text
    assert "A 的请求" in listing and "B 的请求" not in listing
    assert client.get(f"/portal/tickets/{mine}").status_code == 200

    other = client.get(f"/portal/tickets/{theirs}")
    assert other.status_code == 404
    token = csrf_of(listing)
    reply = client.post(f"/portal/tickets/{theirs}/reply", data={"body": "偷看", "csrf": token})
    assert reply.status_code == 404
    assert all(m["body"] != "偷看" for m in detail(web, theirs)["messages"])
    # a customer session never reaches the agent pages
    assert client.get(f"/tickets/{theirs}", follow_redirects=False).status_code == 303


def test_new_request_with_one_of_their_orders(web: Web) -> None:
    seed.apply_order(web.core)
    client = web.customer_client("u-buyer-1")
    page = client.get("/portal/tickets").text
    assert f'value="{seed.ORDER_REF}"' in page  # their orders are offered
    token = csrf_of(page)

    foreign = client.post(
        "/portal/tickets",
        data={"subject": "x", "body": "y", "order_ref": "JS99999999999999", "csrf": token},
    )
    assert foreign.status_code == 422 and "请选择您自己的订单" in foreign.text

    sent = client.post(
        "/portal/tickets",
        follow_redirects=False,
        data={
            "subject": "相机有划痕",
            "body": "收到的相机屏幕有划痕",
            "order_ref": seed.ORDER_REF,
            "csrf": token,
        },
    )
    assert sent.status_code == 303
    ticket_id = int(sent.headers["location"].rsplit("/", 1)[1])
    created = detail(web, ticket_id)
    assert (created["channel"], created["order_ref"], created["subject"]) == (
        "web",
        seed.ORDER_REF,
        "相机有划痕",
    )
    assert created["customer"]["external_id"] == "u-buyer-1"
    assert "谢谢，我们已收到您的请求" in client.get(sent.headers["location"]).text


def test_customer_reads_the_public_conversation_and_replies(web: Web) -> None:
    agent_id = seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core)
    for body, visibility in (("内部：先查物流", "internal"), ("您好，正在为您查询。", "public")):
        web.core.tickets.add_agent_message(
            web.core.uow(),
            AddAgentMessage(
                ticket_id=ticket_id,
                agent_id=agent_id,
                body=body,
                visibility=visibility,
                new_status="pending" if visibility == "public" else None,
            ),
        )
    client = web.customer_client("u-buyer-1")

    page = client.get(f"/portal/tickets/{ticket_id}").text
    assert "您好，正在为您查询。" in page
    assert "先查物流" not in page  # internal notes stay internal
    assert "step step-current" in page and "等待您回复" in page

    sent = client.post(
        f"/portal/tickets/{ticket_id}/reply",
        follow_redirects=False,
        data={"body": "单号是多少？", "csrf": csrf_of(page)},
    )
    assert sent.headers["location"] == f"/portal/tickets/{ticket_id}"
    after = detail(web, ticket_id)
    assert after["messages"][-1]["body"] == "单号是多少？"
    assert after["messages"][-1]["channel"] == "web"
    assert after["status"] == "open"  # the customer wrote again


def test_rating_only_once_the_ticket_is_solved(web: Web) -> None:
    agent_id = seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core)
    client = web.customer_client("u-buyer-1")
    page = client.get(f"/portal/tickets/{ticket_id}").text
    assert "/rating" not in page
    early = client.post(
        f"/portal/tickets/{ticket_id}/rating", data={"score": "5", "csrf": csrf_of(page)}
    )
    assert early.status_code == 409 and "只有已解决的请求才能评价" in early.text
    assert detail(web, ticket_id)["csat_score"] is None

    web.core.tickets.update_ticket(
        web.core.uow(),
        UpdateTicket(ticket_id=ticket_id, actor=Actor(type="agent", id=agent_id), status="solved"),
    )
    page = client.get(f"/portal/tickets/{ticket_id}").text
    assert f'action="/portal/tickets/{ticket_id}/rating"' in page
    rated = client.post(
        f"/portal/tickets/{ticket_id}/rating",
        follow_redirects=False,
        data={"score": "5", "comment": "很满意", "csrf": csrf_of(page)},
    )
    assert rated.status_code == 303
    shown = client.get(f"/portal/tickets/{ticket_id}").text
    assert "您的评价" in shown and "很满意" in shown and '/rating"' not in shown
    stored = detail(web, ticket_id)
    assert (stored["csat_score"], stored["csat_comment"]) == (5, "很满意")

    again = client.post(
        f"/portal/tickets/{ticket_id}/rating", data={"score": "1", "csrf": csrf_of(shown)}
    )
    assert again.status_code == 409
    assert detail(web, ticket_id)["csat_score"] == 5


def test_portal_shows_the_reply_eta_and_queue_position(web: Web) -> None:
    first = seed.customer_ticket(web.core, "u-a", "我的相机到哪了？", subject="先来的")
    mine = seed.customer_ticket(web.core, "u-buyer-1", "快递到哪了？", subject="我的请求")
    found = detail(web, mine)
    assert found["eta_seconds"] is not None and found["assignee_id"] is None
    client = web.customer_client("u-buyer-1")
    listing = client.get("/portal/tickets").text
    assert "我们预计在" in listing and 'href="/help"' in listing
    page = client.get(f"/portal/tickets/{mine}").text
    banner = page.split('id="eta"')[1].split("</div>\n</div>")[0]
    assert "我们预计在" in banner and "排在您前面的请求：1 个" in banner
    assert detail(web, first)["group"] == found["group"]

    agent_id = seed.agent(web.core, "li.na@desk.test")
    web.core.tickets.add_agent_message(
        web.core.uow(), AddAgentMessage(ticket_id=mine, agent_id=agent_id, body="您好")
    )
    answered = client.get(f"/portal/tickets/{mine}").text
    assert 'id="eta"' not in answered  # answered: no promise to show any more


def test_portal_order_panel_hides_the_other_party(web: Web) -> None:
    seed.apply_order(web.core)  # buyer u-buyer-1, seller u-seller-9
    mine = seed.customer_ticket(web.core, order_ref=seed.ORDER_REF)
    page = web.customer_client("u-buyer-1").get(f"/portal/tickets/{mine}").text
    panel = page.split('id="order-panel"')[1].split("</section>")[0]
    for shown in (
        seed.ORDER_REF,
        seed.ITEM_TITLE,
        seed.TRACKING_NO,
        "快件已从【杭州转运中心】发出",
    ):
        assert shown in panel, shown
    assert "预计送达" in panel  # the carrier's delivery ETA
    for hidden in ("u-seller-9", "u-buyer-1", "PAY-77", "SONY-A7M4-01"):
        assert hidden not in page, hidden

    # someone else typing this order number gets no panel at all
    stranger = seed.customer_ticket(
        web.core, "u-stranger", f"订单 {seed.ORDER_REF} 到哪了", subject="别人的订单"
    )
    assert detail(web, stranger)["order_ref"] is None  # never linked to a stranger's order
    other = web.customer_client("u-stranger").get(f"/portal/tickets/{stranger}").text
    assert 'id="order-panel"' not in other and seed.ITEM_TITLE not in other


def test_customer_settles_an_ai_answer(web_answering: Web) -> None:
    web = web_answering
    seed.apply_order(web.core)
    solved = seed.customer_ticket(web.core, order_ref=seed.ORDER_REF)
    client = web.customer_client("u-buyer-1")
    page = client.get(f"/portal/tickets/{solved}").text
    ai = page.split("msg msg-ai")[1].split("</article>")[0]
    assert 'class="badge badge-ai"' in ai and 'id="resolution"' in ai
    token = csrf_of(page)
    assert (
        client.post(f"/portal/tickets/{solved}/resolution", data={"outcome": "solved"}).status_code
        == 403
    )
    done = client.post(
        f"/portal/tickets/{solved}/resolution",
        data={"outcome": "solved", "csrf": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and detail(web, solved)["status"] == "solved"
    after = client.get(f"/portal/tickets/{solved}").text
    assert "很高兴帮到您" in after and 'id="resolution"' not in after
    again = client.post(
        f"/portal/tickets/{solved}/resolution", data={"outcome": "human", "csrf": token}
    )
    assert again.status_code == 409 and "这个回答已无法再标记" in again.text

    human = seed.customer_ticket(web.core, order_ref=seed.ORDER_REF, subject="再问一次")
    sent = client.post(
        f"/portal/tickets/{human}/resolution",
        data={"outcome": "human", "csrf": token},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and detail(web, human)["status"] == "open"
    assert 'id="resolution"' not in client.get(f"/portal/tickets/{human}").text
