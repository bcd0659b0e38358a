"""Malformed frames, oversize messages and floods: answered with a reason, never fatal."""

from __future__ import annotations

import httpx

from consigndesk.adapters.channels.chat.channel import ChatLimits
from tests.chat.conftest import ChatServer, Client


async def test_malformed_frames_get_an_error_and_the_connection_lives_on(
    customer: Client,
) -> None:
    cases: list[tuple[str | bytes, str]] = [
        ("{not json", "malformed_frame"),
        ("[1, 2]", "malformed_frame"),
        ('{"no": "type"}', "malformed_frame"),
        ('{"type": "launch_missiles"}', "unknown_type"),
        (b"\x00\x01binary", "bad_frame"),
        ('{"type": "message", "client_id": "x", "text": 42}', "bad_frame"),
        ('{"type": "message", "client_id": "bad id!", "text": "hi"}', "bad_frame"),
        ('{"type": "message", "client_id": "e", "text": "   "}', "empty_message"),
        ('{"type": "read", "message_id": "seven"}', "bad_frame"),
    ]
    for raw, code in cases:
        await customer.send(raw)
        assert (await customer.expect("error"))["code"] == code, raw
    await customer.send({"type": "ping"})
    await customer.expect("pong")


async def test_an_oversize_message_is_refused_by_its_client_id(customer: Client) -> None:
    await customer.send({"type": "message", "client_id": "big", "text": "长" * 4001})
    error = await customer.expect("error", client_id="big")
    assert error["code"] == "message_too_large"
    await customer.send({"type": "message", "client_id": "ok", "text": "长" * 4000})
    await customer.expect("ack", client_id="ok")


async def test_an_oversize_frame_closes_the_connection(customer: Client) -> None:
    await customer.send('{"type": "ping", "pad": "' + "x" * 40_000 + '"}')
    assert (await customer.expect("error"))["code"] == "frame_too_large"
    assert await customer.closed() == 1009


async def test_too_many_bad_frames_close_the_connection(customer: Client) -> None:
    for _ in range(20):
        await customer.send("nonsense")
    assert await customer.closed() == 1008
    assert any(f.get("code") == "too_many_bad_frames" for f in customer.frames)


async def test_message_floods_are_rate_limited_per_connection_and_per_customer(
    chat_server: ChatServer, customer: Client
) -> None:
    chat_server.channel.limits = ChatLimits(message_rate=0.5, message_burst=3)
    # a new connection takes the new per-connection limits
    flooder = await chat_server.customer(token=chat_server.token("u-flood"))
    await flooder.expect("welcome")
    for n in range(6):
        await flooder.send({"type": "message", "client_id": f"f{n}", "text": f"spam {n}"})
    acked = [(await flooder.expect("ack", client_id=f"f{n}"))["client_id"] for n in range(3)]
    limited = await flooder.expect("error", client_id="f3")
    assert limited["code"] == "rate_limited" and limited["retry_after"] > 0
    assert acked == ["f0", "f1", "f2"]

    # the same customer on a second connection shares the per-customer bucket
    chat_server.channel.limits = ChatLimits(customer_rate=0.1, customer_burst=2)
    chat_server.channel.customer_buckets.rate = 0.1
    chat_server.channel.customer_buckets.burst = 2
    tabs = [await chat_server.customer(token=chat_server.token("u-two-tabs")) for _ in range(2)]
    for tab in tabs:
        await tab.expect("welcome")
    for n, tab in enumerate([*tabs, *tabs]):
        await tab.send({"type": "message", "client_id": f"t{n}", "text": f"tab {n}"})
    errors = [
        await tabs[0].expect("error", client_id="t2"),
        await tabs[1].expect("error", client_id="t3"),
    ]
    assert {e["code"] for e in errors} == {"rate_limited"}
    assert {e["scope"] for e in errors} == {"customer"}
    for tab in tabs:
        await tab.close()
    await flooder.close()


async def test_a_frame_flood_is_throttled_then_closed_and_the_server_stays_up(
    chat_server: ChatServer,
) -> None:
    chat_server.channel.limits = ChatLimits(frame_rate=1, frame_burst=5)
    flooder = await chat_server.customer(token=chat_server.token("u-frames"))
    await flooder.expect("welcome")
    for _ in range(300):
        await flooder.send('{"type":"ping"}')
    assert await flooder.closed() == 1008
    notices = [f for f in flooder.frames if f.get("code") == "rate_limited"]
    assert 1 <= len(notices) < 10  # one notice a second, not one per dropped frame
    assert notices[0]["scope"] == "connection"
    async with httpx.AsyncClient(base_url=chat_server.url) as http:
        assert (await http.get("/healthz")).status_code == 200
    other = await chat_server.customer(token=chat_server.token("u-calm"))
    await other.expect("welcome")
    await other.close()
