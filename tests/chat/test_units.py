"""The pure parts: token buckets and frame parsing."""

from __future__ import annotations

import pytest

from consigndesk.adapters.channels.chat.limits import CustomerBuckets, TokenBucket
from consigndesk.adapters.channels.chat.protocol import (
    CUSTOMER_TYPES,
    FrameError,
    client_id_of,
    parse,
)
from consigndesk.domain.errors import InvalidInput
from consigndesk.services.chat import anonymous_identity, client_message_id


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert bucket.retry_after() == 0.5
    clock.now += 0.5
    assert bucket.take() and not bucket.take()
    clock.now += 100
    assert bucket.idle()


def test_customer_buckets_are_shared_and_idle_ones_are_dropped() -> None:
    clock = Clock()
    buckets = CustomerBuckets(rate=1.0, burst=1, limit=2, clock=clock)
    assert buckets.for_customer("a") is buckets.for_customer("a")
    buckets.for_customer("a").take()
    buckets.for_customer("b")
    buckets.for_customer("c")  # over the limit: "b" was idle and is dropped, "a" is kept
    assert buckets.for_customer("a").tokens == 0.0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "bad_frame"),
        (b"{}", "bad_frame"),
        ("x" * 40_000, "frame_too_large"),
        ("{", "malformed_frame"),
        ('"hello"', "malformed_frame"),
        ('{"type": 1}', "malformed_frame"),
        ('{"type": "nope"}', "unknown_type"),
    ],
)
def test_bad_frames_have_machine_codes(raw: str | bytes | None, code: str) -> None:
    with pytest.raises(FrameError) as caught:
        parse(raw, CUSTOMER_TYPES)
    assert caught.value.code == code


def test_frame_fields_are_checked() -> None:
    frame = parse('{"type": "message", "client_id": "c", "text": "你好", "n": -1}', CUSTOMER_TYPES)
    assert frame.text("text", 2) == "你好"
    with pytest.raises(FrameError, match="exceeds"):
        frame.text("text", 1)
    with pytest.raises(FrameError):
        frame.integer("n")
    assert frame.integer("missing", 0) == 0


def test_channel_message_ids_are_scoped_to_the_customer() -> None:
    external = client_message_id("email:a@b.cn", "abc-1")
    assert external == "chat:email:a@b.cn:abc-1"
    assert client_id_of({"external_id": external}) == "abc-1"
    with pytest.raises(InvalidInput):
        client_message_id("u-1", "has:colon")


def test_anonymous_identities_need_a_real_looking_email() -> None:
    assert anonymous_identity(" Li@Example.CN ").external_id == "email:li@example.cn"
    for bad in ["", "li", "li@", "@x.cn", "a b@x.cn", "li@x"]:
        with pytest.raises(InvalidInput):
            anonymous_identity(bad)
