"""Replies go out by real SMTP with threading headers; answers find their ticket; no loops."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from consigndesk.adapters.db import tables
from consigndesk.bootstrap import App
from consigndesk.domain.commands import (
    AddAgentMessage,
    CustomerData,
    ReceiveCustomerMessage,
    UpdateTicket,
)
from consigndesk.domain.events import Actor, utcnow
from consigndesk.domain.taxonomy import DEFAULT_GROUPS
from consigndesk.services import admin
from tests.email.conftest import SUPPORT, Sink, channel_of
from tests.email.mails import CUSTOMER, mail, ticket


def agent(core: App) -> int:
    return admin.create_agent(
        core.uow(),
        email="li.na@desk.test",
        name="李娜",
        password="correct-horse-42",
        role="agent",
        team="in_house",
        groups=list(DEFAULT_GROUPS),
    )


def reply(core: App, ticket_id: int, agent_id: int, body: str, visibility: str = "public") -> None:
    core.tickets.add_agent_message(
        core.uow(),
        AddAgentMessage(ticket_id=ticket_id, agent_id=agent_id, body=body, visibility=visibility),
    )
    core.relay.drain()


def ingest(core: App, msg) -> int:
    outcome = channel_of(core).ingest(msg.as_bytes())
    assert outcome.ticket_id is not None, outcome
    return outcome.ticket_id


def test_agent_reply_is_sent_threaded_and_the_answer_threads_back(
    mail_core: App, sink: Sink
) -> None:
    first = mail(subject="快递三天没动")
    ticket_id = ingest(mail_core, first)
    mail_core.relay.drain()  # the receipt notice is a system message: not emailed
    assert sink.messages == []
    reply(mail_core, ticket_id, agent(mail_core), "您好，快递已在途中，预计明天送达。\n\n李娜")

    assert len(sink.messages) == 1
    sent = sink.messages[0]
    reference = f"CD-{ticket_id:06d}"
    assert sent["Subject"] == f"Re: 快递三天没动 [{reference}]"
    assert sent["To"].addresses[0].addr_spec == CUSTOMER
    assert sent["From"].addresses[0].addr_spec == SUPPORT
    assert sent["In-Reply-To"] == first["Message-ID"]
    assert sent["References"] == first["Message-ID"]
    assert sent["X-ConsignDesk-Ticket"] == reference
    assert sent["Message-ID"].endswith("@desk.test>")
    text = sent.get_body(preferencelist=("plain",)).get_content()
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert "快递已在途中" in text and reference in text
    assert "<p>您好，快递已在途中，预计明天送达。</p>" in html
    assert sink.envelopes == [(SUPPORT, [CUSTOMER])]

    # the customer answers from a client that keeps only In-Reply-To, with a new subject
    answer = mail("好的，谢谢！", subject="另一个标题", In_Reply_To=sent["Message-ID"])
    assert ingest(mail_core, answer) == ticket_id
    # and the next reply references the whole conversation
    reply(mail_core, ticket_id, agent_id=1, body="不客气。")
    assert sink.messages[1]["In-Reply-To"] == answer["Message-ID"]
    assert sink.messages[1]["References"].split() == [
        first["Message-ID"],
        sent["Message-ID"],
        answer["Message-ID"],
    ]


def test_replies_are_sent_once_per_event_and_internal_notes_never(
    mail_core: App, sink: Sink
) -> None:
    ticket_id = ingest(mail_core, mail())
    agent_id = agent(mail_core)
    reply(mail_core, ticket_id, agent_id, "内部备注：联系顺丰", visibility="internal")
    assert sink.messages == []
    reply(mail_core, ticket_id, agent_id, "已为您催件。")
    channel = channel_of(mail_core)
    with mail_core.database.read_sessions() as session:
        row = (
            session.execute(
                select(tables.outbox).where(
                    tables.outbox.c.name == "ticket.message_added",
                    tables.outbox.c.payload["author_type"].as_string() == "agent",
                    tables.outbox.c.payload["visibility"].as_string() == "public",
                )
            )
            .mappings()
            .one()
        )
    from consigndesk.services.bus import Envelope

    redelivered = Envelope(row["event_id"], row["name"], row["payload"], row["occurred_at"])
    channel.send_reply(redelivered)  # at-least-once delivery hands it over again
    assert len(sink.messages) == 1


def test_reply_is_in_the_customers_language(mail_core: App, sink: Sink) -> None:
    ticket_id = ingest(
        mail_core,
        mail("Hello, where is my parcel? It has not moved for three days.", subject="Parcel"),
    )
    reply(mail_core, ticket_id, agent(mail_core), "It arrives tomorrow.")
    text = sink.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "Reply to this email" in text
    assert sink.messages[0]["Content-Language"] == "en"


def test_threading_by_reference_only_for_that_tickets_customer(mail_core: App) -> None:
    ticket_id = ingest(mail_core, mail(subject="退款进度"))
    reference = f"CD-{ticket_id:06d}"
    same = mail("还有一个问题", subject=f"新问题 [{reference}]")
    assert ingest(mail_core, same) == ticket_id
    stranger = mail("我也要退款", subject=f"Re: 退款进度 [{reference}]", sender="x@other.cn")
    assert ingest(mail_core, stranger) != ticket_id


def test_threading_by_sender_and_subject_within_the_window(mail_core: App) -> None:
    ticket_id = ingest(mail_core, mail(subject="发票抬头"))
    assert ingest(mail_core, mail("补充：税号 123", subject="回复：RE: 发票抬头")) == ticket_id
    assert ingest(mail_core, mail("另一件事", subject="账号登录不了")) != ticket_id
    with mail_core.database.write_sessions.begin() as session:
        session.execute(
            update(tables.tickets)
            .where(tables.tickets.c.id == ticket_id)
            .values(updated_at=utcnow() - timedelta(days=8))
        )
    assert ingest(mail_core, mail("又来了", subject="Re: 发票抬头")) != ticket_id


def test_a_known_platform_customer_is_found_by_address(mail_core: App) -> None:
    mail_core.tickets.receive_customer_message(
        mail_core.uow(),
        ReceiveCustomerMessage(
            customer=CustomerData(
                external_id="seller-42", role="seller", email=CUSTOMER.upper(), name="张伟"
            ),
            channel="api",
            body="结算什么时候到账？",
        ),
    )
    ticket_id = ingest(mail_core, mail(subject="结算"))
    found = ticket(mail_core, ticket_id)
    assert (found["customer"]["external_id"], found["customer"]["role"]) == ("seller-42", "seller")


def test_a_reply_to_a_closed_ticket_opens_a_follow_up(mail_core: App) -> None:
    first = mail(subject="退货")
    ticket_id = ingest(mail_core, first)
    for status in ("solved", "closed"):
        mail_core.tickets.update_ticket(
            mail_core.uow(),
            UpdateTicket(ticket_id=ticket_id, actor=Actor.system("test"), status=status),
        )
    follow_up = ingest(mail_core, mail("还是没收到退款", In_Reply_To=first["Message-ID"]))
    assert follow_up != ticket_id
    assert ticket(mail_core, follow_up)["follow_up_of"] == ticket_id


def test_automatic_mail_is_never_answered(mail_core: App, sink: Sink) -> None:
    first = mail(subject="快递三天没动")
    ticket_id = ingest(mail_core, first)
    agent_id = agent(mail_core)
    reply(mail_core, ticket_id, agent_id, "已为您催件。")
    ours = sink.messages[0]
    sink.messages.clear()
    automatic = [
        mail(
            "我正在休假，1月5日回来。",
            subject="自动回复: " + ours["Subject"],
            Auto_Submitted="auto-replied",
            In_Reply_To=ours["Message-ID"],
        ),
        mail(
            "Out of office",
            subject="Automatic reply: hello",
            X_Autoreply="yes",
            In_Reply_To=ours["Message-ID"],
        ),
        mail(
            "newsletter",
            subject="本周优惠",
            List_Id="<deals.example.cn>",
            List_Unsubscribe="<mailto:u@example.cn>",
        ),
        mail("bulk", subject="通知", Precedence="bulk"),
        mail("loop", subject=ours["Subject"], sender=SUPPORT),
        mail(
            "Delivery failed",
            subject="Undelivered Mail Returned to Sender",
            sender="MAILER-DAEMON@mx.example.cn",
            In_Reply_To=ours["Message-ID"],
        ),
    ]
    outcomes = [channel_of(mail_core).ingest(m.as_bytes()) for m in automatic]
    mail_core.relay.drain()
    assert [o.action for o in outcomes] == [
        "noted",
        "noted",
        "quarantined",
        "quarantined",
        "noted",  # our own reply came back: it names its ticket
        "noted",
    ]
    assert sink.messages == []  # nothing answered
    found = ticket(mail_core, ticket_id)
    notes = [m for m in found["messages"] if m["visibility"] == "internal"]
    assert len(notes) == 4 and all(m["author_type"] == "system" for m in notes)
    assert "自动回复" in notes[0]["body"] and "投递失败" in notes[3]["body"]
    customer_messages = [m for m in found["messages"] if m["author_type"] == "customer"]
    assert len(customer_messages) == 1
    assert found["status"] == "open"  # an auto-reply does not reopen or re-route anything
