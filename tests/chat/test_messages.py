"""Customer messages over a real socket: into the one pipeline, acked after commit, idempotent."""

from __future__ import annotations

from consigndesk.adapters.db import queries
from tests.chat.conftest import ChatServer, Client


async def test_first_message_opens_a_triaged_chat_ticket_and_is_acked_after_commit(
    chat_server: ChatServer, customer: Client
) -> None:
    await customer.send(
        {"type": "message", "client_id": "c1", "text": "我的订单还没发货，怎么回事？"}
    )
    ack = await customer.expect("ack", client_id="c1")
    assert ack["duplicate"] is False
    # acked means committed: the message is in the database the moment the ack arrives
    with chat_server.core.database.read_sessions() as session:
        ticket = queries.ticket_detail(session, ack["ticket_id"])
    assert ticket is not None
    assert ticket["channel"] == "chat"
    assert ticket["reference"] == ack["reference"]
    assert ticket["triage"] is not None and ticket["intent"]  # triage ran on the chat message
    first = ticket["messages"][0]
    assert (first["id"], first["author_type"], first["channel"]) == (
        ack["message_id"],
        "customer",
        "chat",
    )

    # the customer's own message comes back through the bus, then the system receipt
    echoed = await customer.expect("message", id=ack["message_id"])
    assert echoed["client_id"] == "c1"
    receipt = await customer.expect("message", author_type="system")
    assert ack["reference"] in receipt["text"]

    # nobody answers yet: queue position and ETA
    queue = await customer.expect("queue")
    assert queue["position"] == 1
    assert isinstance(queue["eta_seconds"], int)


async def test_a_resent_client_id_is_a_no_op(chat_server: ChatServer, customer: Client) -> None:
    await customer.send({"type": "message", "client_id": "same", "text": "Where is my parcel?"})
    first = await customer.expect("ack", client_id="same")
    await customer.send({"type": "message", "client_id": "same", "text": "Where is my parcel?"})
    again = await customer.expect("ack", client_id="same")
    assert again["duplicate"] is True
    assert (again["message_id"], again["ticket_id"]) == (first["message_id"], first["ticket_id"])

    await customer.send({"type": "message", "client_id": "next", "text": "It was due Monday."})
    second = await customer.expect("ack", client_id="next")
    assert second["ticket_id"] == first["ticket_id"]  # same conversation
    with chat_server.core.database.read_sessions() as session:
        ticket = queries.ticket_detail(session, first["ticket_id"])
    assert ticket is not None
    bodies = [m["body"] for m in ticket["messages"] if m["author_type"] == "customer"]
    assert bodies == ["Where is my parcel?", "It was due Monday."]
