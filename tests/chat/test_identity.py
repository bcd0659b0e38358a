"""Who is chatting: platform-signed tokens (valid, forged, expired) or an anonymous email."""

from __future__ import annotations

from consigndesk.adapters.channels.chat.channel import ChatLimits
from consigndesk.adapters.db import queries
from consigndesk.services.auth import CustomerIdentity, sign_customer_token
from tests.chat.conftest import ChatServer


async def test_a_valid_token_is_welcomed_and_the_session_resumes(chat_server: ChatServer) -> None:
    first = await chat_server.customer(token=chat_server.token())
    welcome = await first.expect("welcome")
    assert welcome["resumed"] is False and welcome["ticket_id"] is None
    await first.close()
    again = await chat_server.customer(token=chat_server.token(), session_id=welcome["session_id"])
    assert (await again.expect("welcome"))["session_id"] == welcome["session_id"]
    await again.close()


async def test_another_customers_session_id_is_not_resumed(chat_server: ChatServer) -> None:
    owner = await chat_server.customer(token=chat_server.token("u-owner"))
    session_id = (await owner.expect("welcome"))["session_id"]
    thief = await chat_server.customer(token=chat_server.token("u-thief"), session_id=session_id)
    assert (await thief.expect("welcome"))["session_id"] != session_id
    await owner.close()
    await thief.close()


async def test_a_forged_token_is_refused_with_a_reason(chat_server: ChatServer) -> None:
    forged = sign_customer_token(
        "not-the-platform-secret", CustomerIdentity(external_id="u-1", role="buyer", tier="vip")
    )
    client = await chat_server.customer(token=forged)
    error = await client.expect("error")
    assert error["code"] == "bad_customer_token"
    assert await client.closed() == 4401


async def test_a_tampered_token_is_refused(chat_server: ChatServer) -> None:
    body, mac = chat_server.token().split(".")
    client = await chat_server.customer(token=f"{body[:-2]}xx.{mac}")
    assert (await client.expect("error"))["code"] == "bad_customer_token"
    assert await client.closed() == 4401


async def test_an_expired_token_is_refused(chat_server: ChatServer) -> None:
    client = await chat_server.customer(token=chat_server.token(ttl=-10))
    assert (await client.expect("error"))["code"] == "expired_customer_token"
    assert await client.closed() == 4401


async def test_an_anonymous_customer_is_known_by_their_email(chat_server: ChatServer) -> None:
    client = await chat_server.customer(email="Visitor@Example.com", lang="en")
    await client.expect("welcome")
    await client.send({"type": "message", "client_id": "a1", "text": "Do you ship to Macau?"})
    ack = await client.expect("ack", client_id="a1")
    with chat_server.core.database.read_sessions() as session:
        ticket = queries.ticket_detail(session, ack["ticket_id"])
        customer = queries.customer_by_external_id(session, "email:visitor@example.com")
    assert ticket is not None and customer is not None
    assert ticket["customer"]["external_id"] == "email:visitor@example.com"
    assert customer["email"] == "visitor@example.com"
    await client.close()


async def test_a_bad_email_or_no_identity_is_refused(chat_server: ChatServer) -> None:
    client = await chat_server.customer(email="not an address")
    assert (await client.expect("error"))["code"] == "bad_email"
    assert await client.closed() == 4401
    nobody = await chat_server.customer(lang="zh", session_id="x")
    assert (await nobody.expect("error"))["code"] == "unauthorized"
    assert await nobody.closed() == 4401


async def test_the_first_frame_must_be_hello_and_come_in_time(chat_server: ChatServer) -> None:
    early = await chat_server.customer()
    await early.send({"type": "message", "client_id": "x", "text": "hi"})
    assert (await early.expect("error"))["code"] == "unknown_type"
    assert await early.closed() == 1008

    chat_server.channel.limits = ChatLimits(hello_timeout=0.3)
    silent = await chat_server.customer()
    assert (await silent.expect("error"))["code"] == "hello_timeout"
    assert await silent.closed() == 4408
