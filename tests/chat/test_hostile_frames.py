"""Frames a fuzzer sent to a real server: each gets the error frame the protocol defines, and the
socket then still answers a ping or is closed with the protocol's code; nothing refused is
stored; SQLite and PostgreSQL answer alike (docs/decisions/0605)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select, update

from consigndesk.adapters.channels.chat import hub
from consigndesk.adapters.db import tables as t
from tests.chat.conftest import ChatServer, Client
from tests.web import seed

NUL = "a\x00b"
SURROGATE = "a\ud800b"  # json.dumps sends it as the escape "\ud800", as a fuzzer would
BEYOND = 2**63  # one more than a 64-bit column holds
OUTSOURCED = "wang@bpo.test"

# hello fields (a token is added unless the case gives an email) → error code, close code
HELLO_REFUSALS: list[tuple[dict[str, Any], str, int]] = [
    ({"email": f"{NUL}@example.com"}, "bad_email", 4401),
    ({"email": f"{SURROGATE}@example.com"}, "bad_email", 4401),
    ({"email": "a\x01b@example.com"}, "bad_email", 4401),
    ({"session_id": "0" * 31 + "\x00"}, "bad_frame", 1008),
    ({"session_id": SURROGATE}, "bad_frame", 1008),
]
LAST_SEEN_REFUSALS: list[Any] = [BEYOND, -(2**63) - 1, True]
AGENT_INTEGER_REFUSALS: list[dict[str, Any]] = [
    {"type": "open", "ticket_id": BEYOND},
    {"type": "open", "ticket_id": 1, "after_id": 2**64},
    {"type": "read", "ticket_id": BEYOND, "message_id": 1},
    {"type": "end", "ticket_id": BEYOND},
    {"type": "typing", "ticket_id": BEYOND, "on": True},
    {"type": "message", "ticket_id": BEYOND, "client_id": "big", "text": "hi"},
]


def nested(type_: str) -> str:
    """2.4 KB of JSON nested deeper than Python's parser recurses."""
    return f'{{"type":"{type_}","x":' + "[" * 1200 + "]" * 1200 + "}"


def assert_error(frame: dict[str, Any], code: str, **echo: Any) -> None:
    """The exact error frame: its code, a message, and only the ids of the request it answers."""
    assert frame["type"] == "error" and frame["code"] == code, frame
    assert isinstance(frame["message"], str) and frame["message"]
    assert {k: v for k, v in frame.items() if k not in {"type", "code", "message"}} == echo


async def still_works(client: Client) -> None:
    await client.send({"type": "ping"})
    await client.expect("pong")


def count(chat_server: ChatServer, table: Any, *where: Any) -> int:
    with chat_server.core.database.read_sessions() as db:
        query = select(func.count()).select_from(table).where(*where)
        return int(db.execute(query).scalar_one())


def session_row(chat_server: ChatServer, ticket_id: int) -> dict[str, Any]:
    with chat_server.core.read_uow() as uow:
        row: dict[str, Any] | None = uow.chats.latest_for_ticket(ticket_id)
    assert row is not None
    return row


async def open_chat(customer: Client) -> dict[str, Any]:
    await customer.send({"type": "message", "client_id": "first", "text": "退款什么时候到账？"})
    return await customer.expect("ack", client_id="first")


async def agent(chat_server: ChatServer, email: str | None = None) -> Client:
    client = await (chat_server.agent(email) if email else chat_server.agent())
    await client.expect("welcome")
    return client


async def test_json_nested_too_deeply_is_a_malformed_frame(
    chat_server: ChatServer, customer: Client
) -> None:
    first = await chat_server.customer()
    await first.send(nested("hello"))
    assert_error(await first.expect("error"), "malformed_frame")
    assert await first.closed() == 1008
    for client in (customer, await agent(chat_server)):
        await client.send(nested("ping"))
        assert_error(await client.expect("error"), "malformed_frame")
        await still_works(client)


async def test_a_hello_with_an_identity_no_database_can_hold_is_refused(
    chat_server: ChatServer,
) -> None:
    for fields, code, close in HELLO_REFUSALS:
        hello = fields if "email" in fields else {"token": chat_server.token(), **fields}
        client = await chat_server.customer(**hello)
        assert_error(await client.expect("error"), code)
        assert await client.closed() == close, fields
    assert count(chat_server, t.chat_sessions) == count(chat_server, t.customers) == 0


async def test_a_long_address_is_one_customer_on_both_databases(chat_server: ChatServer) -> None:
    address = "l" * 64 + "@" + "d" * 60 + ".example.com"  # 137: `email:<address>` is too long
    client = await chat_server.customer(email=address.upper())
    await client.expect("welcome")
    await client.send({"type": "message", "client_id": "long", "text": "Do you ship to Macau?"})
    await client.expect("ack", client_id="long")
    with chat_server.core.database.read_sessions() as db:
        external_id, email = db.execute(
            select(t.customers.c.external_id, t.customers.c.email)
        ).one()
    assert email == address
    assert external_id.startswith("email:") and len(external_id) <= 64  # as the email channel's
    await client.close()


async def test_a_session_id_we_never_issued_is_not_resumed(chat_server: ChatServer) -> None:
    first = await chat_server.customer(token=chat_server.token())
    session_id = (await first.expect("welcome"))["session_id"]
    await first.close()
    longer = await chat_server.customer(token=chat_server.token(), session_id=session_id + "0")
    welcome = await longer.expect("welcome")
    assert welcome["session_id"] != session_id and welcome["resumed"] is False
    await longer.close()


async def test_resuming_after_an_id_no_column_holds_is_a_bad_frame(
    chat_server: ChatServer,
) -> None:
    first = await chat_server.customer(token=chat_server.token())
    session_id = (await first.expect("welcome"))["session_id"]
    await open_chat(first)
    for last_seen_id in LAST_SEEN_REFUSALS:
        again = await chat_server.customer(
            token=chat_server.token(), session_id=session_id, last_seen_id=last_seen_id
        )
        assert_error(await again.expect("error"), "bad_frame")
        assert await again.closed() == 1008, last_seen_id
    assert count(chat_server, t.chat_sessions) == 1
    await still_works(first)


async def test_ids_beyond_64_bits_are_bad_frames(chat_server: ChatServer, customer: Client) -> None:
    await customer.send({"type": "read", "message_id": BEYOND})
    assert_error(await customer.expect("error"), "bad_frame")
    await still_works(customer)
    desk = await agent(chat_server)
    for frame in AGENT_INTEGER_REFUSALS:
        await desk.send(frame)
        echo = {k: frame[k] for k in ("ticket_id", "client_id") if k in frame}
        assert_error(await desk.expect("error"), "bad_frame", **echo)
    await still_works(desk)


async def test_a_message_no_database_can_hold_is_refused_and_not_stored(
    chat_server: ChatServer, customer: Client
) -> None:
    await customer.send({"type": "message", "client_id": "s1", "text": f"hi {SURROGATE}"})
    error = await customer.expect("error", client_id="s1")
    assert_error(error, "bad_frame", client_id="s1")
    assert "'text'" in error["message"] and "however often it is sent" in error["message"]
    await still_works(customer)
    assert count(chat_server, t.messages) == 0

    ticket_id = (await open_chat(customer))["ticket_id"]
    desk = await agent(chat_server)
    reply = {"type": "message", "ticket_id": ticket_id, "client_id": "r1", "text": SURROGATE}
    await desk.send(reply)
    assert_error(await desk.expect("error"), "bad_frame", ticket_id=ticket_id, client_id="r1")
    await still_works(desk)
    assert count(chat_server, t.messages, t.messages.c.author_type == "agent") == 0


async def test_a_client_id_that_cannot_be_sent_back_leaves_no_silent_socket(
    customer: Client,
) -> None:
    await customer.send({"type": "message", "client_id": SURROGATE, "text": "hi"})
    assert_error(await customer.expect("error"), "bad_frame", client_id=SURROGATE)
    await still_works(customer)


async def test_a_socket_we_cannot_write_to_is_closed_so_the_client_reconnects(
    chat_server: ChatServer, customer: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    encode = hub.encode

    def failing(frame: dict[str, Any]) -> str:
        if frame.get("type") == "pong":
            raise RuntimeError("this frame cannot be written")
        return encode(frame)

    monkeypatch.setattr(hub, "encode", failing)
    await customer.send({"type": "ping"})
    assert await customer.closed(timeout=5) == 1011
    monkeypatch.undo()
    again = await chat_server.customer(token=chat_server.token())
    await again.expect("welcome")
    await still_works(again)


async def test_a_transcript_address_no_database_can_hold_is_a_bad_email(
    chat_server: ChatServer, customer: Client
) -> None:
    await open_chat(customer)
    for address in (f"{NUL}@example.com", f"{SURROGATE}@example.com"):
        await customer.send({"type": "transcript", "email": address})
        assert_error(await customer.expect("error"), "bad_email")
    await still_works(customer)
    assert count(chat_server, t.chat_transcripts) == 0


async def test_a_client_id_is_only_the_protocols_alphabet(
    chat_server: ChatServer, customer: Client
) -> None:
    await customer.send({"type": "message", "client_id": "abc\n", "text": "hi"})
    assert_error(await customer.expect("error"), "bad_frame", client_id="abc\n")
    await still_works(customer)
    assert count(chat_server, t.messages) == 0
    ticket_id = (await open_chat(customer))["ticket_id"]
    desk = await agent(chat_server)
    await desk.send({"type": "message", "ticket_id": ticket_id, "client_id": "r\n", "text": "hi"})
    assert_error(await desk.expect("error"), "bad_frame", ticket_id=ticket_id, client_id="r\n")
    assert count(chat_server, t.messages, t.messages.c.author_type == "agent") == 0


async def test_a_read_mark_cannot_pass_the_last_message(
    chat_server: ChatServer, customer: Client
) -> None:
    ack = await open_chat(customer)
    ticket_id = ack["ticket_id"]
    desk = await agent(chat_server)
    await customer.send({"type": "read", "message_id": 2**63 - 1})
    assert_error(await customer.expect("error"), "bad_frame")
    await desk.send({"type": "read", "ticket_id": ticket_id, "message_id": 2**63 - 1})
    assert_error(await desk.expect("error"), "bad_frame", ticket_id=ticket_id)
    row = session_row(chat_server, ticket_id)
    assert (row["customer_read_id"], row["agent_read_id"]) == (0, 0)
    # a mark on a message that is there still moves, and the other side is told
    await desk.send({"type": "read", "ticket_id": ticket_id, "message_id": ack["message_id"]})
    assert (await customer.expect("read", by="agent"))["message_id"] == ack["message_id"]


async def test_outsourced_agents_neither_type_nor_read_in_in_house_only_chats(
    chat_server: ChatServer, customer: Client
) -> None:
    ack = await open_chat(customer)
    ticket_id = ack["ticket_id"]
    with chat_server.core.database.write_sessions() as db, db.begin():
        db.execute(update(t.tickets).where(t.tickets.c.id == ticket_id).values(group="finance"))
    seed.agent(chat_server.core, OUTSOURCED, "王外包", team="outsourced")
    desk = await agent(chat_server, OUTSOURCED)
    await desk.send({"type": "typing", "ticket_id": ticket_id, "on": True})
    assert_error(await desk.expect("error"), "in_house_only", ticket_id=ticket_id)
    await desk.send({"type": "read", "ticket_id": ticket_id, "message_id": ack["message_id"]})
    assert_error(await desk.expect("error"), "in_house_only", ticket_id=ticket_id)
    await still_works(desk)
    assert session_row(chat_server, ticket_id)["agent_read_id"] == 0


async def test_outsourced_agents_get_no_signals_of_in_house_only_chats(
    chat_server: ChatServer, customer: Client
) -> None:
    """Typing, read marks and the end of a chat in an in-house-only group reach in-house agents
    only; an outsourced agent still gets the signals of chats it may work on."""
    secret = (await open_chat(customer))["ticket_id"]
    with chat_server.core.database.write_sessions() as db, db.begin():
        db.execute(update(t.tickets).where(t.tickets.c.id == secret).values(group="finance"))
    other = await chat_server.customer(token=chat_server.token("u-buyer-2"), lang="zh")
    await other.expect("welcome")
    shared = (await open_chat(other))["ticket_id"]
    seed.agent(chat_server.core, OUTSOURCED, "王外包", team="outsourced")
    desk, house = await agent(chat_server, OUTSOURCED), await agent(chat_server)
    await customer.send({"type": "typing", "on": True})
    await house.expect("typing", ticket_id=secret, by="customer")
    await customer.send({"type": "end"})
    await house.expect("ended", ticket_id=secret, by="customer")
    await other.send({"type": "typing", "on": True})
    await house.expect("typing", ticket_id=shared)
    typing = await desk.expect("typing", ticket_id=shared, by="customer")
    assert "group" not in typing  # the group decides who hears it; nobody is told it
    await still_works(desk)  # anything sent before the pong has arrived
    assert [f for f in desk.frames if f.get("ticket_id") == secret] == []
    await other.close()


async def test_the_frame_limit_counts_bytes(customer: Client) -> None:
    await customer.send(json.dumps({"type": "ping", "pad": "长" * 12_000}, ensure_ascii=False))
    assert_error(await customer.expect("error"), "frame_too_large")
    assert await customer.closed() == 1009
