"""A dropped connection loses nothing and doubles nothing: acks, replay from the last seen id,
resending unacknowledged messages with their client ids."""

from __future__ import annotations

from consigndesk.adapters.db import queries
from consigndesk.domain.commands import AddAgentMessage
from tests.chat.conftest import ChatServer


def _customer_bodies(chat_server: ChatServer, ticket_id: int) -> list[str]:
    with chat_server.core.database.read_sessions() as session:
        ticket = queries.ticket_detail(session, ticket_id)
    assert ticket is not None
    return [m["body"] for m in ticket["messages"] if m["author_type"] == "customer"]


async def test_resume_replays_what_was_missed_and_resent_messages_are_not_doubled(
    chat_server: ChatServer,
) -> None:
    token = chat_server.token()
    widget = await chat_server.customer(token=token)
    session_id = (await widget.expect("welcome"))["session_id"]
    await widget.send({"type": "message", "client_id": "m1", "text": "我买的显卡还没到"})
    ack = await widget.expect("ack", client_id="m1")
    ticket_id = ack["ticket_id"]
    await widget.expect("message", id=ack["message_id"])
    receipt = await widget.expect("message", author_type="system")
    last_seen = receipt["id"]

    agent = await chat_server.agent()
    await agent.expect("welcome")

    # mid-stream: one message goes out and the network dies before its ack can arrive
    await widget.send({"type": "message", "client_id": "m2", "text": "订单号 JS20261120000007"})
    widget.drop()

    # while the customer is away, the agent answers twice
    for n, text in enumerate(["您好，我来查一下。", "已经催促卖家发货了。"]):
        await agent.send(
            {"type": "message", "ticket_id": ticket_id, "client_id": f"r{n}", "text": text}
        )
        await agent.expect("ack", client_id=f"r{n}")

    # the widget comes back: same session, last seen id, and it resends what was never acked
    back = await chat_server.customer(token=token, session_id=session_id, last_seen_id=last_seen)
    welcome = await back.expect("welcome")
    assert (welcome["resumed"], welcome["ticket_id"]) == (True, ticket_id)
    await back.send({"type": "message", "client_id": "m2", "text": "订单号 JS20261120000007"})
    resent = await back.expect("ack", client_id="m2")

    replies = [await back.expect("message", author_type="agent") for _ in range(2)]
    # live delivery may overtake the replay: frames carry ids, and the widget orders by id
    replies.sort(key=lambda r: r["id"])
    assert [r["text"] for r in replies] == ["您好，我来查一下。", "已经催促卖家发货了。"]
    m2 = await back.expect("message", id=resent["message_id"])
    assert m2["client_id"] == "m2"
    # nothing from before `last_seen_id` is sent again, and nothing twice
    replayed_ids = [f["id"] for f in back.frames if f.get("type") == "message"]
    assert all(i > last_seen for i in replayed_ids)
    assert len(replayed_ids) == len(set(replayed_ids))
    assert _customer_bodies(chat_server, ticket_id) == [
        "我买的显卡还没到",
        "订单号 JS20261120000007",
    ]
    await back.close()
    await agent.close()


async def test_a_reloaded_page_gets_the_whole_public_conversation_in_order(
    chat_server: ChatServer,
) -> None:
    core = chat_server.core
    widget = await chat_server.customer(token=chat_server.token())
    session_id = (await widget.expect("welcome"))["session_id"]
    await widget.send({"type": "message", "client_id": "h1", "text": "hello"})
    ack = await widget.expect("ack", client_id="h1")
    receipt = await widget.expect("message", author_type="system")
    await widget.close()
    with core.database.read_sessions() as session:
        agent_id = queries.agents(session)[0]["id"]
    core.tickets.add_agent_message(
        core.uow(),
        AddAgentMessage(
            ticket_id=ack["ticket_id"], agent_id=agent_id, body="内部备注", visibility="internal"
        ),
    )

    # a reloaded page knows its session id (localStorage) but has seen nothing yet
    page = await chat_server.customer(
        token=chat_server.token(), session_id=session_id, last_seen_id=0
    )
    assert (await page.expect("welcome"))["ticket_id"] == ack["ticket_id"]
    replay = [await page.expect("message") for _ in range(2)]
    assert [(m["id"], m["author_type"]) for m in replay] == [
        (ack["message_id"], "customer"),
        (receipt["id"], "system"),
    ]
    await page.send({"type": "ping"})
    await page.expect("pong")
    assert not [f for f in page.frames if f.get("type") == "message"]  # no internal note
    await page.close()
