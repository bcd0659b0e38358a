"""The order as a customer may see it in the portal: built field by field from an allowlist, so
nothing about the other party (their platform id, payout or payment references, addresses or
anything the platform sends as extra data) can reach the page by accident."""

from __future__ import annotations

from typing import Any


def _side(order: dict[str, Any], external_id: str) -> str | None:
    if external_id and external_id == order.get("buyer_ref"):
        return "buyer"
    if external_id and external_id == order.get("seller_ref"):
        return "seller"
    return None


def _logistics(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    if not raw:
        return None
    scans = raw.get("scans") or []
    last = scans[-1] if scans else None
    return {
        "carrier": raw.get("carrier"),
        "tracking_no": raw.get("tracking_no"),
        "status": raw.get("status"),
        "eta": raw.get("eta"),
        "shipped_at": raw.get("shipped_at"),
        "last_scan": {
            "status": last.get("status"),
            "location": last.get("location"),
            "description": last.get("description"),
            "occurred_at": last.get("occurred_at"),
        }
        if last
        else None,
    }


def order_for_customer(order: dict[str, Any] | None, external_id: str) -> dict[str, Any] | None:
    """The linked order for its buyer or seller; None for anyone else (a ticket may be linked to
    an order number the customer merely typed)."""
    if not order:
        return None
    side = _side(order, external_id)
    if side is None:
        return None
    cancellation = order.get("cancellation")
    view: dict[str, Any] = {
        "side": side,
        "order_ref": order.get("order_ref"),
        "status": order.get("status"),
        "currency": order.get("currency"),
        "amount": order.get("amount"),
        "created_at": order.get("created_at"),
        "items": [
            {k: item.get(k) for k in ("title", "kind", "price", "quantity")}
            for item in order.get("items") or []
        ],
        "logistics": _logistics(order.get("logistics")),
        "cancelled_at": cancellation.get("cancelled_at") if cancellation else None,
        "refunds": [
            {"amount": r.get("amount"), "refunded_at": r.get("refunded_at")}
            for r in order.get("refunds") or []
        ],
        "card_codes": [],
        "settlements": [],
    }
    if side == "buyer":
        view["card_codes"] = [
            {k: c.get(k) for k in ("code_last4", "redeemed", "delivered_at")}
            for c in order.get("card_codes") or []
        ]
    else:
        view["settlements"] = [
            {k: s.get(k) for k in ("amount", "currency", "status", "scheduled_at", "paid_at")}
            for s in order.get("settlements") or []
        ]
    return view
