"""The ticket page: intent correction, first-reply ETA, attachments, AI messages, assist slot."""

from __future__ import annotations

from sqlalchemy import select, update

from consigndesk.adapters.db import tables
from consigndesk.domain.attachments import Upload
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from tests.web import seed
from tests.web.conftest import Web
from tests.web.test_agent_pages import detail


def test_intent_correction_is_stored_and_becomes_a_training_example(web_db: Web) -> None:
    web = web_db
    me = seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core, body="我的相机到哪了？")
    assert detail(web, ticket_id)["intent"] == "logistics"
    client, token = web.agent_client("li.na@desk.test")
    page = client.get(f"/tickets/{ticket_id}").text
    assert '<select name="intent">' in page
    assert 'value="logistics" selected' in page

    changed = client.post(
        f"/tickets/{ticket_id}/update",
        data={"intent": "return_refund", "reason": "客户其实要退货", "csrf": token},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert detail(web, ticket_id)["intent"] == "return_refund"
    web.core.relay.drain()  # the correction event reaches the learner
    with web.core.database.read_sessions() as session:
        examples = session.execute(select(tables.training_examples)).mappings().all()
    assert [(e["field"], e["old"], e["new"], e["agent_id"]) for e in examples] == [
        ("intent", "logistics", "return_refund", me)
    ]
    assert examples[0]["text"] == "我的相机到哪了？"
    page = client.get(f"/tickets/{ticket_id}").text
    assert "李娜 已将意图设为：退货退款" in page
    assert "意图：物流 → 退货退款" in page  # the timeline row


def test_first_reply_eta_and_low_confidence_are_shown(web: Web) -> None:
    seed.agent(web.core, "li.na@desk.test")
    ticket_id = seed.customer_ticket(web.core)
    assert detail(web, ticket_id)["eta_seconds"] is not None  # routing gave it an ETA
    with web.core.database.write_sessions.begin() as session:  # as triage does when unsure
        session.execute(
            update(tables.tickets).where(tables.tickets.c.id == ticket_id).values(needs_human=True)
        )
    client, _ = web.agent_client("li.na@desk.test")
    page = client.get(f"/tickets/{ticket_id}").text
    assert "前首次回复" in page and 'class="eta-chip' in page
    assert "需人工核对" in page and "置信度低" in page
    # the assist slot loads later; an empty one must not show as an empty card
    assert (
        f'<section id="assist" class="card" hx-get="/tickets/{ticket_id}/assist" '
        'hx-trigger="load" hx-swap="innerHTML"></section>'
    ) in page
    assert 'id="reply-body" name="body"' in page


def test_attachments_and_ai_messages_on_the_ticket_page(web_answering: Web) -> None:
    web = web_answering
    seed.apply_order(web.core)
    seed.agent(web.core, "li.na@desk.test")
    received = web.core.tickets.receive_customer_message(
        web.core.uow(),
        ReceiveCustomerMessage(
            customer=CustomerData(external_id="u-buyer-1", name="张伟", language="zh"),
            channel="email",
            subject="相机到哪了",
            body="我的相机到哪了？订单 JS20261120000007",
            attachments=[Upload(filename="截图.png", data=b"\x89PNG\r\n\x1a\n" + b"0" * 2000)],
        ),
    )
    client, _ = web.agent_client("li.na@desk.test")
    page = client.get(f"/tickets/{received.ticket_id}").text
    stored = detail(web, received.ticket_id)["messages"][0]["attachments"][0]
    assert f'href="/api/v1/attachments/{stored["id"]}"' in page
    assert "截图.png" in page and "2.0 KB" in page and "image/png" in page
    ai = page.split("msg msg-ai")[1].split("</article>")[0]
    assert 'class="badge badge-ai"' in ai and "顺丰速运" in ai
