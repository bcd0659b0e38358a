"""Contract-shaped test data: platform events and ticket bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from consigndesk.services.platform_events import sign

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def event(event_id: str, type_: str, minutes: int, **data: Any) -> dict[str, Any]:
    return {"id": event_id, "type": type_, "occurred_at": at(minutes), "data": data}


def order_created(
    ref: str,
    buyer: str = "b1",
    seller: str = "s1",
    minutes: int = 0,
    kind: str = "physical",
    amount: str = "4999.00",
) -> dict[str, Any]:
    return event(
        f"{ref}-created",
        "order.created",
        minutes,
        order_ref=ref,
        buyer_ref=buyer,
        seller_ref=seller,
        currency="CNY",
        amount=amount,
        items=[
            {
                "sku": "SKU-1",
                "title": "二手 iPhone 14 Pro 256G",
                "kind": kind,
                "price": amount,
                "quantity": 1,
            }
        ],
    )


def shipped_order(ref: str, buyer: str = "b1", seller: str = "s1") -> list[dict[str, Any]]:
    """An order that was created, paid, shipped and scanned once."""
    return [
        order_created(ref, buyer, seller),
        event(
            f"{ref}-paid",
            "order.paid",
            5,
            order_ref=ref,
            payment_ref="PAY-1",
            amount="4999.00",
            method="alipay",
        ),
        event(
            f"{ref}-shipped",
            "order.shipped",
            60,
            order_ref=ref,
            carrier="SF Express",
            tracking_no="SF1234567890",
        ),
        event(
            f"{ref}-scan1",
            "logistics.updated",
            120,
            order_ref=ref,
            carrier="SF Express",
            tracking_no="SF1234567890",
            status="in_transit",
            location="杭州转运中心",
            description="快件已到达杭州转运中心",
            eta=at(3000),
        ),
    ]


def signed(secret: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"X-Signature": sign(secret, body), "Content-Type": "application/json"}


def ticket_body(
    external_id: str = "b1", role: str = "buyer", body: str = "我的快递到哪了？", **extra: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "customer": {
            "external_id": external_id,
            "role": role,
            "name": "张伟",
            "email": "zhang.wei@example.cn",
        },
        "channel": "api",
        "body": body,
    }
    payload.update(extra)
    return payload
