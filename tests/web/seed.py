"""Contract-shaped data for the page tests, created through the real services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from consigndesk.bootstrap import App
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.services.admin import create_agent
from consigndesk.services.auth import CustomerIdentity, sign_customer_token
from consigndesk.services.platform_events import apply_platform_event

PASSWORD = "agent-password-1"
ORDER_REF = "JS20261120000007"
ITEM_TITLE = "索尼 A7M4 全画幅微单 99新"
TRACKING_NO = "SF1402938475610"
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def order_events(
    ref: str = ORDER_REF, buyer: str = "u-buyer-1", seller: str = "u-seller-9"
) -> list[dict[str, Any]]:
    """A physical order: created, paid, shipped, scanned twice (platform contract shape)."""

    def event(suffix: str, type_: str, minutes: int, **data: Any) -> dict[str, Any]:
        return {
            "id": f"{ref}-{suffix}",
            "type": type_,
            "occurred_at": _at(minutes),
            "data": {"order_ref": ref, **data},
        }

    return [
        event(
            "created",
            "order.created",
            0,
            buyer_ref=buyer,
            seller_ref=seller,
            currency="CNY",
            amount="12800.00",
            items=[
                {
                    "sku": "SONY-A7M4-01",
                    "title": ITEM_TITLE,
                    "kind": "physical",
                    "price": "12800.00",
                    "quantity": 1,
                }
            ],
        ),
        event("paid", "order.paid", 3, payment_ref="PAY-77", amount="12800.00", method="alipay"),
        event("shipped", "order.shipped", 600, carrier="顺丰速运", tracking_no=TRACKING_NO),
        event(
            "scan1",
            "logistics.updated",
            700,
            carrier="顺丰速运",
            tracking_no=TRACKING_NO,
            status="in_transit",
            location="深圳宝安集散中心",
            description="快件已到达【深圳宝安集散中心】",
            eta=_at(4000),
        ),
        event(
            "scan2",
            "logistics.updated",
            1500,
            carrier="顺丰速运",
            tracking_no=TRACKING_NO,
            status="in_transit",
            location="杭州转运中心",
            description="快件已从【杭州转运中心】发出",
        ),
    ]


def apply_order(core: App, events: list[dict[str, Any]] | None = None) -> None:
    for raw in events or order_events():
        apply_platform_event(core.uow(), raw)


def agent(
    core: App,
    email: str,
    name: str = "李娜",
    *,
    team: str = "in_house",
    language: str = "zh",
    groups: list[str] | None = None,
    role: str = "agent",
    capacity: int = 10,
) -> int:
    return create_agent(
        core.uow(),
        email=email,
        name=name,
        password=PASSWORD,
        team=team,
        language=language,
        groups=groups or ["general", "logistics"],
        role=role,
        capacity=capacity,
    )


def customer_ticket(
    core: App,
    external_id: str = "u-buyer-1",
    body: str = "我的相机到哪了？",
    *,
    subject: str = "相机还没到",
    order_ref: str | None = None,
    name: str = "张伟",
    phone: str | None = "13812345678",
    email: str | None = "zhang.wei@example.cn",
    language: str = "zh",
) -> int:
    received = core.tickets.receive_customer_message(
        core.uow(),
        ReceiveCustomerMessage(
            customer=CustomerData(
                external_id=external_id, name=name, phone=phone, email=email, language=language
            ),
            channel="chat",
            subject=subject,
            body=body,
            order_ref=order_ref,
        ),
    )
    return received.ticket_id


def portal_token(
    core: App, external_id: str = "u-buyer-1", *, ttl: int = 3600, name: str = "张伟"
) -> str:
    assert core.platform_secret is not None
    return sign_customer_token(
        core.platform_secret,
        CustomerIdentity(external_id=external_id, role="buyer", tier="regular", name=name),
        ttl_seconds=ttl,
    )
