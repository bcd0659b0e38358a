"""Validation of platform events and the order projection that folds them."""

import pytest

from consigndesk.domain.errors import InvalidInput
from consigndesk.domain.orders import (
    OrderRefFinder,
    format_amount,
    project_order,
    validate_event,
)
from tests.factories import event, order_created, shipped_order


def fold(raw_events: list[dict]) -> dict:
    parsed = [validate_event(e) for e in raw_events]
    return project_order(parsed[0].order_ref, parsed)


def test_shipped_order_view() -> None:
    view = fold(shipped_order("JS20261120000001"))
    assert view["status"] == "shipped"
    assert view["buyer_ref"] == "b1" and view["amount"] == "4999.00"
    assert view["payments"][0]["method"] == "alipay"
    logistics = view["logistics"]
    assert logistics["carrier"] == "SF Express" and logistics["tracking_no"] == "SF1234567890"
    assert logistics["location"] == "杭州转运中心" and logistics["eta"]
    assert [e["type"] for e in view["history"]] == [
        "order.created",
        "order.paid",
        "order.shipped",
        "logistics.updated",
    ]


def test_out_of_order_events_fold_by_occurred_at() -> None:
    ref = "JS20261120000002"
    events = [*shipped_order(ref)]
    events.append(
        event(
            f"{ref}-scan2",
            "logistics.updated",
            500,
            order_ref=ref,
            carrier="SF Express",
            tracking_no="SF1234567890",
            status="delivered",
            location="上海",
            description="已签收",
        )
    )
    in_order = fold(events)
    late_first = fold([events[-1], events[2], events[0], events[3], events[1]])
    assert in_order == late_first
    assert late_first["status"] == "delivered"
    assert late_first["logistics"]["status"] == "delivered"
    assert [s["status"] for s in late_first["logistics"]["scans"]] == ["in_transit", "delivered"]


def test_older_event_never_overwrites_newer_state() -> None:
    ref = "JS20261120000003"
    refunded = event(
        f"{ref}-refunded",
        "order.refunded",
        900,
        order_ref=ref,
        refund_ref="R1",
        amount="4999.00",
        reason="return received",
    )
    view = fold([order_created(ref), refunded, *shipped_order(ref)[1:]])
    assert view["status"] == "refunded"
    assert view["refunds"][0]["refund_ref"] == "R1"


def test_card_codes_keep_last_four_only_and_settlement_is_paid_in_place() -> None:
    ref = "JS20261120000004"
    view = fold(
        [
            order_created(ref, kind="digital", amount="100.00"),
            event(
                "c1",
                "card_code.delivered",
                10,
                order_ref=ref,
                sku="STEAM-100",
                code_last4="7Q2X",
                redeemed=True,
            ),
            event(
                "s1",
                "settlement.scheduled",
                20,
                order_ref=ref,
                seller_ref="s1",
                amount="94.00",
                currency="CNY",
                scheduled_at="2026-11-26T02:00:00+00:00",
            ),
            event(
                "s2",
                "settlement.paid",
                30,
                order_ref=ref,
                seller_ref="s1",
                amount="94.00",
                currency="CNY",
                paid_at="2026-11-26T02:00:00+00:00",
                payout_ref="P-1",
            ),
        ]
    )
    assert view["card_codes"] == [
        {
            "sku": "STEAM-100",
            "code_last4": "7Q2X",
            "redeemed": True,
            "delivered_at": view["card_codes"][0]["delivered_at"],
        }
    ]
    assert len(view["settlements"]) == 1
    assert view["settlements"][0]["status"] == "paid"
    assert view["status"] == "completed"


def test_extra_fields_are_kept() -> None:
    raw = order_created("JS20261120000005")
    raw["data"]["shipping_address"] = "浙江省杭州市西湖区文三路 100 号"
    assert fold([raw])["extra"]["shipping_address"].startswith("浙江省")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.pop("id"), "id is required"),
        (lambda e: e.update(type="order.exploded"), "unknown event type"),
        (lambda e: e.update(occurred_at="yesterday"), "occurred_at is not an ISO 8601"),
        (lambda e: e.update(occurred_at="2026-11-20T10:00:00"), "time zone"),
        (lambda e: e["data"].update(amount=12.5), "decimal string"),
        (lambda e: e["data"].update(amount="-1"), "non-negative"),
        (lambda e: e["data"].pop("buyer_ref"), "data.buyer_ref is required"),
        (lambda e: e["data"].update(items=[]), "non-empty list"),
        (lambda e: e["data"]["items"][0].update(kind="service"), "physical or digital"),
        (lambda e: e.update(data="nope"), "data must be an object"),
        (lambda e: e.update(type=["order.created"]), "unknown event type"),
        (lambda e: e.update(occurred_at="0001-01-01T00:00:00+01:00"), "must lie between"),
        (lambda e: e.update(occurred_at="9999-12-31T23:59:59-01:00"), "must lie between"),
        (lambda e: e.update(id="e\x001"), "without U+0000"),
        (lambda e: e["data"]["items"][0].update(kind=["physical"]), "physical or digital"),
        (lambda e: e["data"]["items"][0].update(quantity=True), "positive integer"),
        (lambda e: e["data"]["items"][0].update(sku={"id": 1}), "sku must be a string"),
        (lambda e: e["data"].update(buyer_ref=7), "data.buyer_ref must be a string of 1-64"),
        (lambda e: e["data"].update(seller_ref="s" * 65), "data.seller_ref must be a string"),
        (lambda e: e["data"].update(currency=["CNY"]), "data.currency must be a string of 1-8"),
        (lambda e: e["data"].update(order_ref="JS1\x00"), "without U+0000"),
        (lambda e: e["data"].update(weight=2**63), "data.weight holds an integer beyond 64"),
        (lambda e: e["data"].update(weight=float("nan")), "not finite"),
        (lambda e: e["data"].update(note="\udc80"), "data.note holds text with a lone surrogate"),
        (lambda e: e["data"].update(deep=[[[[]]]] * 2 + [_nested(64)]), "deeper than 64"),
    ],
)
def test_malformed_events_are_rejected_with_a_reason(mutate, message: str) -> None:
    raw = order_created("JS20261120000006")
    mutate(raw)
    with pytest.raises(InvalidInput) as err:
        validate_event(raw)
    assert message in err.value.message


def _nested(depth: int) -> list:
    """A list `depth` levels deep."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize("amount", ["0", "12", "12.5", "4999.00", "123456789012345.12345678"])
def test_plain_decimal_amounts_are_accepted(amount: str) -> None:
    raw = order_created("JS20261120000007", amount=amount)
    assert validate_event(raw).data["amount"] == amount


@pytest.mark.parametrize(
    "amount",
    ["1e999999999", "1E+3", " 1 ", "1_000", "１２", "+1", "-0", "1.", ".5", "NaN", "1" * 16],
)
def test_amounts_other_than_plain_decimals_are_refused(amount: str) -> None:
    raw = order_created("JS20261120000008", amount=amount)
    with pytest.raises(InvalidInput, match="decimal string"):
        validate_event(raw)


@pytest.mark.parametrize("status", [["delivered"], {"s": "delivered"}, "lost"])
def test_a_logistics_status_outside_the_contract_is_refused(status: object) -> None:
    raw = event(
        "l1",
        "logistics.updated",
        1,
        order_ref="JS1",
        carrier="SF",
        tracking_no="SF1",
        status=status,
        location="上海",
        description="…",
    )
    with pytest.raises(InvalidInput, match=r"data\.status must be one of"):
        validate_event(raw)


def test_nesting_up_to_the_limit_and_64_bit_integers_are_kept() -> None:
    raw = order_created("JS20261120000009")
    raw["data"].update(deep=_nested(64), big=2**63 - 1, small=-(2**63), tracking=123)
    assert validate_event(raw).data["deep"] == _nested(64)


def test_full_card_codes_are_refused() -> None:
    raw = event(
        "c9", "card_code.delivered", 1, order_ref="JS1", sku="X", code_last4="ABCD-EFGH-IJKL"
    )
    with pytest.raises(InvalidInput, match="last 4"):
        validate_event(raw)


def test_order_ref_finder_uses_the_configured_pattern() -> None:
    finder = OrderRefFinder()
    text = "订单号js20261118000123，还有 JS20261118000123 和 XJS20261118000999 以及 JS2026"
    assert finder.find(text) == ["JS20261118000123"]
    custom = OrderRefFinder(r"ORD-\d{6}")
    assert custom.find("my order ORD-123456 is late") == ["ORD-123456"]


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("4999", "CNY", "¥4,999.00"),
        ("12.5", "GBP", "GBP 12.50"),
        ("0.125", None, "0.12"),
        ("12", ["CNY"], "12.00"),  # a currency stored before validation: shown without it
        ("1e999999999", "CNY", None),  # formatting it would build a billion-digit string
        (" 1 ", "CNY", None),
        (12.5, "CNY", None),
    ],
)
def test_only_plain_decimal_amounts_are_formatted(
    amount: object, currency: object, shown: str | None
) -> None:
    assert format_amount(amount, currency) == shown
