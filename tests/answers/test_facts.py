"""Facts come from the order view only; missing facts mean no answer (pure)."""

from __future__ import annotations

from typing import Any

from consigndesk.domain.answer_facts import Grounding, ground
from consigndesk.domain.orders import project_order, validate_event
from tests.factories import event, order_created, shipped_order

REF = "JS20261120000001"


def view(events: list[dict[str, Any]]) -> dict[str, Any]:
    return project_order(REF, [validate_event(e) for e in events])


def test_logistics_facts_of_a_shipped_order() -> None:
    found = ground("logistics", view(shipped_order(REF)), "b1")
    assert isinstance(found, Grounding)
    assert found.situation == "logistics.in_transit_eta"
    assert found.facts == {
        "order_ref": REF,
        "carrier": "SF Express",
        "tracking_no": "SF1234567890",
        "location": "杭州转运中心",
        "last_scan": "11-20 12:00",  # 04:00 UTC shown in the marketplace's time zone
        "eta": "11-22",
    }


def test_without_a_scan_or_an_eta_nothing_is_made_up() -> None:
    events = shipped_order(REF)[:3]
    found = ground("logistics", view(events), "b1")
    assert isinstance(found, Grounding)
    assert found.situation == "logistics.shipped"
    assert "eta" not in found.facts and "location" not in found.facts
    no_eta = shipped_order(REF)
    del no_eta[3]["data"]["eta"]
    assert ground("logistics", view(no_eta), "b1").situation == "logistics.in_transit"


def test_paid_not_shipped_and_exceptions() -> None:
    paid = shipped_order(REF)[:2]
    assert ground("logistics", view(paid), "b1").situation == "logistics.not_shipped"
    lost = [
        *shipped_order(REF),
        event(
            "x",
            "logistics.updated",
            200,
            order_ref=REF,
            carrier="SF Express",
            tracking_no="SF1234567890",
            status="exception",
            location="杭州",
            description="破损",
        ),
    ]
    assert ground("logistics", view(lost), "b1") == "logistics_exception"


def test_someone_elses_order_is_never_described() -> None:
    assert ground("logistics", view(shipped_order(REF)), "stranger") == "order_not_theirs"
    assert ground("logistics", None, "b1") == "no_order"


def test_payouts_only_for_the_seller() -> None:
    events = [
        *shipped_order(REF),
        event(
            "s",
            "settlement.scheduled",
            300,
            order_ref=REF,
            seller_ref="s1",
            amount="494.00",
            currency="CNY",
            scheduled_at="2026-11-26T02:00:00+00:00",
        ),
    ]
    found = ground("seller_payout", view(events), "s1")
    assert isinstance(found, Grounding)
    assert (found.situation, found.facts["payout_amount"], found.facts["scheduled_for"]) == (
        "payout.scheduled",
        "¥494.00",
        "11-26",
    )
    assert ground("seller_payout", view(events), "b1") == "not_the_seller"


def test_card_codes_redeemed_or_missing_go_to_a_human() -> None:
    base = [order_created(REF, kind="digital", amount="100.00")]
    assert ground("digital_delivery", view(base), "b1") == "code_not_delivered"
    delivered = [
        *base,
        event("c", "card_code.delivered", 10, order_ref=REF, sku="SKU-1", code_last4="7Q2K"),
    ]
    found = ground("digital_delivery", view(delivered), "b1")
    assert isinstance(found, Grounding) and found.facts["code_last4"] == "7Q2K"
    redeemed = [
        *base,
        event(
            "c",
            "card_code.delivered",
            10,
            order_ref=REF,
            sku="SKU-1",
            code_last4="7Q2K",
            redeemed=True,
        ),
    ]
    assert ground("digital_delivery", view(redeemed), "b1") == "code_redeemed"


def test_refunds_state_only_what_was_refunded() -> None:
    events = [
        *shipped_order(REF)[:2],
        event(
            "r",
            "order.refunded",
            30,
            order_ref=REF,
            refund_ref="RF-9",
            amount="4999.00",
            reason="cancelled",
        ),
    ]
    found = ground("return_refund", view(events), "b1")
    assert isinstance(found, Grounding)
    assert found.facts["refund_amount"] == "¥4,999.00" and found.facts["refund_ref"] == "RF-9"
    in_transit = ground("return_refund", view(shipped_order(REF)), "b1")
    assert in_transit == "refund_needs_review"


def test_cancel_only_before_shipping() -> None:
    assert ground("cancel_order", view(shipped_order(REF)[:2]), "b1").situation == (
        "cancel.not_shipped"
    )
    assert ground("cancel_order", view(shipped_order(REF)), "b1") == "order_shipped"


def test_how_to_questions_rest_on_the_knowledge_base() -> None:
    found = ground("listing", None, "s1")
    assert isinstance(found, Grounding) and found.article_only
