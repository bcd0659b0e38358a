"""The agent's side in real time: live chats, replies, typing, read marks, ending, transcripts."""

from __future__ import annotations

from typing import Any

from consigndesk.adapters.channels.chat.protocol import encode
from consigndesk.adapters.db import queries
from tests.chat.conftest import ChatServer, Client


async def _open_chat(customer: Client, text: str = "退款什么时候到账？") -> dict[str, Any]:
    await customer.send({"type": "message", "client_id": "first", "text": text})
    return await customer.expect("ack", client_id="first")


async def test_an_agent_needs_a_session_and_our_origin(chat_server: ChatServer) -> None:
    anonymous = await Client.connect(f"{chat_server.ws_url}/ws/agent")
    assert (await anonymous.expect("error"))["code"] == "unauthorized"
    assert await anonymous.closed() == 4401
    foreign = await Client.connect(
        f"{chat_server.ws_url}/ws/agent", additional_headers={"Origin": "https://evil.example"}
    )
    assert (await foreign.expect("error"))["code"] == "bad_origin"
    assert await foreign.closed() == 4403


async def test_customer_and_agent_talk_in_real_time(
    chat_server: ChatServer, customer: Client
) -> None:
    agent = await chat_server.agent()
    welcome = await agent.expect("welcome")
    assert welcome["chats"] == []

    ack = await _open_chat(customer)
    ticket_id = ack["ticket_id"]
    live = await agent.expect("message", id=ack["message_id"])
    assert live["text"] == "退款什么时候到账？"
    assert live["ticket"]["reference"] == ack["reference"]
    assert live["ticket"]["customer"] == "张三"

    # the chat is in the agent's list after a reconnect too, and its history opens
    again = await chat_server.agent()
    listed = (await again.expect("welcome"))["chats"]
    assert [c["id"] for c in listed] == [ticket_id]
    await again.send({"type": "open", "ticket_id": ticket_id})
    history = await again.expect("history", ticket_id=ticket_id)
    assert [m["author_type"] for m in history["messages"]][:1] == ["customer"]
    await again.close()

    # typing, both ways
    await customer.send({"type": "typing", "on": True})
    assert (await agent.expect("typing", ticket_id=ticket_id))["by"] == "customer"
    await agent.send({"type": "typing", "ticket_id": ticket_id, "on": True})
    typing = await customer.expect("typing", by="agent")
    assert typing["on"] is True and typing["name"] == "李娜"

    # the reply goes through the ticket use case and reaches the customer's screen
    await agent.send(
        {"type": "message", "ticket_id": ticket_id, "client_id": "r1", "text": "3-5 个工作日。"}
    )
    reply_ack = await agent.expect("ack", client_id="r1")
    reply = await customer.expect("message", author_type="agent")
    assert (reply["id"], reply["text"], reply["author_name"]) == (
        reply_ack["message_id"],
        "3-5 个工作日。",
        "李娜",
    )
    # a resent reply (same client id) is not doubled
    await agent.send(
        {"type": "message", "ticket_id": ticket_id, "client_id": "r1", "text": "3-5 个工作日。"}
    )
    assert (await agent.expect("ack", client_id="r1"))["message_id"] == reply_ack["message_id"]

    # read marks, both ways, kept in the session
    await customer.send({"type": "read", "message_id": reply["id"]})
    read = await agent.expect("read", ticket_id=ticket_id, by="customer")
    assert read["message_id"] == reply["id"]
    await agent.send({"type": "read", "ticket_id": ticket_id, "message_id": ack["message_id"]})
    assert (await customer.expect("read", by="agent"))["message_id"] == ack["message_id"]
    with chat_server.core.read_uow() as uow:
        session = uow.chats.latest_for_ticket(ticket_id)
    assert session is not None
    assert (session["customer_read_id"], session["agent_read_id"]) == (
        reply["id"],
        ack["message_id"],
    )
    with chat_server.core.database.read_sessions() as db:
        detail = queries.ticket_detail(db, ticket_id)
    assert detail is not None
    assert [m["author_type"] for m in detail["messages"] if m["author_type"] == "agent"] == [
        "agent"
    ]
    assert detail["first_response_at"] is not None
    await agent.close()


async def test_a_chat_ended_without_an_agent_stays_a_ticket_and_the_transcript_is_kept(
    chat_server: ChatServer, customer: Client
) -> None:
    agent = await chat_server.agent()
    await agent.expect("welcome")
    ack = await _open_chat(customer, "Can I change the delivery address?")
    ticket_id = ack["ticket_id"]
    await customer.send({"type": "end"})
    assert (await customer.expect("ended"))["ticket_id"] == ticket_id
    assert (await agent.expect("ended", ticket_id=ticket_id))["by"] == "customer"
    note = await agent.expect("message", ticket_id=ticket_id, visibility="internal")
    assert note["author_type"] == "system"

    await customer.send({"type": "transcript", "email": "zhang.san@example.com"})
    requested = await customer.expect("transcript_requested")
    assert requested["email"] == "zhang.san@example.com"

    with chat_server.core.database.read_sessions() as db:
        detail = queries.ticket_detail(db, ticket_id)
    assert detail is not None
    assert detail["status"] in {"new", "open"}  # still a ticket in the queue
    assert "chat_ended" in detail["tags"]
    assert any(e["action"] == "ticket.field_changed" for e in detail["timeline"])
    pending = chat_server.channel.chat.pending_transcripts()
    assert [(p["ticket_id"], p["email"], p["sent_at"]) for p in pending] == [
        (ticket_id, "zhang.san@example.com", None)
    ]
    # after the end, new messages are refused until a new chat starts
    await customer.send({"type": "message", "client_id": "late", "text": "one more thing"})
    assert (await customer.expect("error", client_id="late"))["code"] == "chat_ended"
    await agent.close()


async def test_outsourced_agents_see_contact_details_masked(
    chat_server: ChatServer, customer: Client
) -> None:
    from tests.web import seed

    seed.agent(chat_server.core, "wang@bpo.test", "王外包", team="outsourced")
    agent = await chat_server.agent("wang@bpo.test")
    await agent.expect("welcome")
    await _open_chat(customer, "请打电话给我 13812345678")
    live = await agent.expect("message", author_type="customer")
    assert "13812345678" not in encode(live)
    await agent.close()
