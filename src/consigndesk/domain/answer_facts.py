"""Facts an answer may state, read from the live order view; nothing else reaches a reply.

`ground` picks the situation (which template) and the display-ready facts it needs. When the
data does not hold what the question needs, it returns a machine reason instead, and a human
answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from consigndesk.domain.orders import format_amount
from consigndesk.domain.taxonomy import Intent

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")  # the marketplace's home time zone
KB_ONLY: frozenset[str] = frozenset({Intent.LISTING, Intent.PRODUCT_QUESTION, Intent.ACCOUNT})
KB_WITHOUT_ORDER: frozenset[str] = frozenset({Intent.RETURN_REFUND, Intent.CANCEL_ORDER})


@dataclass(frozen=True)
class Grounding:
    """A template key and the facts it fills; `article_only` answers come from the KB alone."""

    situation: str
    facts: dict[str, str] = field(default_factory=dict)
    article_only: bool = False


def when(value: Any) -> str:
    """ISO time → `11-20 10:32` in the marketplace's time zone."""
    moment = _parse(value)
    return moment.astimezone(DISPLAY_TZ).strftime("%m-%d %H:%M") if moment else ""


def day(value: Any) -> str:
    """ISO time → `11-22`."""
    moment = _parse(value)
    return moment.astimezone(DISPLAY_TZ).strftime("%m-%d") if moment else ""


def money(amount: Any, currency: str | None) -> str:
    """An amount an answer may state; nothing for one that is not a plain decimal."""
    return format_amount(amount, currency) or ""


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _happened(view: dict[str, Any], event_type: str) -> str | None:
    times = [h["occurred_at"] for h in view.get("history", []) if h["type"] == event_type]
    return times[-1] if times else None


def party(view: dict[str, Any], external_id: str) -> str | None:
    """`buyer`, `seller` or None: whose order this is decides what may be told."""
    if view.get("buyer_ref") == external_id:
        return "buyer"
    if view.get("seller_ref") == external_id:
        return "seller"
    return None


def ground(intent: str, view: dict[str, Any] | None, customer_ref: str) -> Grounding | str:
    """The grounding for this intent and order, or the reason there is none."""
    if intent in KB_ONLY:
        return Grounding("kb.article", article_only=True)
    if view is None:
        if intent in KB_WITHOUT_ORDER:
            return Grounding("kb.article", article_only=True)
        return "no_order"
    who = party(view, customer_ref)
    if who is None:
        return "order_not_theirs"
    if intent == Intent.SELLER_PAYOUT:
        return _payout(view) if who == "seller" else "not_the_seller"
    facts = {"order_ref": str(view["order_ref"])}
    if intent == Intent.DIGITAL_DELIVERY or (intent == Intent.LOGISTICS and _digital(view)):
        return _digital_delivery(view, facts)
    if intent == Intent.LOGISTICS:
        return _logistics(view, facts)
    if intent == Intent.RETURN_REFUND:
        return _refund(view, facts)
    if intent == Intent.CANCEL_ORDER:
        return _cancel(view, facts)
    return "not_automatable"


def _digital(view: dict[str, Any]) -> bool:
    items = view.get("items") or []
    return bool(items) and all(i.get("kind") == "digital" for i in items)


def _logistics(view: dict[str, Any], facts: dict[str, str]) -> Grounding | str:
    status = view["status"]
    logistics = view.get("logistics")
    if status == "cancelled":
        return _cancelled(view, facts)
    if status == "refunded":
        return _refund(view, facts)
    if not logistics:
        if status == "paid":
            return Grounding("logistics.not_shipped", {**facts, "paid_at": _paid_at(view)})
        if status == "created":
            return Grounding("logistics.unpaid", facts)
        return "no_logistics"
    facts |= {"carrier": str(logistics["carrier"]), "tracking_no": str(logistics["tracking_no"])}
    scan_status = logistics.get("status")
    if not logistics.get("last_scan_at"):
        return Grounding(
            "logistics.shipped", {**facts, "shipped_at": when(logistics.get("shipped_at"))}
        )
    if scan_status in {"exception", "returned"}:
        return "logistics_exception"
    facts |= {
        "location": str(logistics.get("location") or ""),
        "last_scan": when(logistics["last_scan_at"]),
    }
    if scan_status == "delivered":
        return Grounding("logistics.delivered", facts)
    if scan_status == "out_for_delivery":
        return Grounding("logistics.out_for_delivery", facts)
    if logistics.get("eta"):
        return Grounding("logistics.in_transit_eta", {**facts, "eta": day(logistics["eta"])})
    return Grounding("logistics.in_transit", facts)


def _paid_at(view: dict[str, Any]) -> str:
    payments = view.get("payments") or []
    return when(payments[-1]["paid_at"]) if payments else ""


def _digital_delivery(view: dict[str, Any], facts: dict[str, str]) -> Grounding | str:
    codes = view.get("card_codes") or []
    if not codes:
        return "code_not_delivered"
    if any(c.get("redeemed") for c in codes):
        return "code_redeemed"  # who redeemed it is for a human to check
    code = codes[-1]
    titles = {i.get("sku"): i.get("title") for i in view.get("items") or []}
    return Grounding(
        "digital.delivered",
        {
            **facts,
            "item": str(titles.get(code["sku"]) or code["sku"]),
            "code_last4": str(code["code_last4"]),
            "delivered_at": when(code["delivered_at"]),
        },
    )


def _refund(view: dict[str, Any], facts: dict[str, str]) -> Grounding | str:
    refunds = view.get("refunds") or []
    if refunds:
        refund = refunds[-1]
        return Grounding(
            "refund.issued",
            {
                **facts,
                "refund_amount": money(refund["amount"], view.get("currency")),
                "refund_ref": str(refund["refund_ref"]),
                "refunded_at": when(refund["refunded_at"]),
            },
        )
    status = view["status"]
    if status in {"created", "paid"} and not view.get("logistics"):
        return Grounding("cancel.not_shipped", facts)
    if status in {"delivered", "completed"}:
        delivered = _happened(view, "order.delivered") or _delivered_scan(view)
        if delivered:
            return Grounding("refund.return_process", {**facts, "delivered_at": when(delivered)})
    return "refund_needs_review"


def _delivered_scan(view: dict[str, Any]) -> str | None:
    logistics = view.get("logistics") or {}
    return logistics.get("last_scan_at") if logistics.get("status") == "delivered" else None


def _cancel(view: dict[str, Any], facts: dict[str, str]) -> Grounding | str:
    status = view["status"]
    if status == "cancelled":
        return _cancelled(view, facts)
    if status in {"created", "paid"} and not view.get("logistics"):
        return Grounding("cancel.not_shipped", facts)
    return "order_shipped"


def _cancelled(view: dict[str, Any], facts: dict[str, str]) -> Grounding | str:
    cancellation = view.get("cancellation") or {}
    if not cancellation.get("cancelled_at"):
        return "no_cancellation"
    return Grounding(
        "order.cancelled", {**facts, "cancelled_at": when(cancellation["cancelled_at"])}
    )


def _payout(view: dict[str, Any]) -> Grounding | str:
    facts = {"order_ref": str(view["order_ref"])}
    settlements = view.get("settlements") or []
    if not settlements:
        return Grounding("payout.none", facts)
    latest = settlements[-1]
    facts["payout_amount"] = money(latest["amount"], latest.get("currency"))
    if latest.get("status") == "paid":
        return Grounding(
            "payout.paid",
            {
                **facts,
                "paid_on": day(latest.get("paid_at")),
                "payout_ref": str(latest.get("payout_ref") or ""),
            },
        )
    return Grounding("payout.scheduled", {**facts, "scheduled_for": day(latest["scheduled_at"])})
