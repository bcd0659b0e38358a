"""The order read model: validation of platform events and the projection that folds them.

The platform is the source of truth; we keep every event it sends and derive the order's state
by folding them in `occurred_at` order. A late, older event therefore never overwrites newer
state, and a replay of the same event id is recognised before it reaches this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from consigndesk.domain.errors import InvalidInput

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "order.created": ("order_ref", "buyer_ref", "seller_ref", "currency", "amount", "items"),
    "order.paid": ("order_ref", "payment_ref", "amount", "method"),
    "order.shipped": ("order_ref", "carrier", "tracking_no"),
    "order.delivered": ("order_ref",),
    "order.cancelled": ("order_ref", "reason"),
    "order.refunded": ("order_ref", "refund_ref", "amount", "reason"),
    "logistics.updated": (
        "order_ref",
        "carrier",
        "tracking_no",
        "status",
        "location",
        "description",
    ),
    "card_code.delivered": ("order_ref", "sku", "code_last4"),
    "settlement.scheduled": ("order_ref", "seller_ref", "amount", "currency", "scheduled_at"),
    "settlement.paid": ("order_ref", "seller_ref", "amount", "currency", "paid_at", "payout_ref"),
}
AMOUNT_FIELDS = ("amount", "price")
TIME_FIELDS = ("eta", "scheduled_at", "paid_at")
LOGISTICS_STATUSES = {"in_transit", "out_for_delivery", "delivered", "exception", "returned"}
CLOSED_ORDER_STATUSES = {"cancelled", "refunded", "completed"}


@dataclass(frozen=True, slots=True)
class PlatformEvent:
    id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]

    @property
    def order_ref(self) -> str:
        return str(self.data["order_ref"])


def parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field} is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} must carry a time zone: {value!r}")
    return parsed


def parse_amount(value: Any, field: str) -> Decimal:
    if not isinstance(value, str):
        raise InvalidInput(f'{field} must be a decimal string such as "12.50"')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InvalidInput(f"{field} is not a decimal number: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInput(f"{field} must be a non-negative amount: {value!r}")
    return amount


def _check_items(items: Any) -> None:
    if not isinstance(items, list) or not items:
        raise InvalidInput("data.items must be a non-empty list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput(f"data.items[{i}] must be an object")
        for key in ("sku", "title", "kind", "price", "quantity"):
            if key not in item:
                raise InvalidInput(f"data.items[{i}].{key} is required")
        if item["kind"] not in {"physical", "digital"}:
            raise InvalidInput(f"data.items[{i}].kind must be physical or digital")
        parse_amount(item["price"], f"data.items[{i}].price")
        if not isinstance(item["quantity"], int) or item["quantity"] < 1:
            raise InvalidInput(f"data.items[{i}].quantity must be a positive integer")


def validate_event(raw: Any) -> PlatformEvent:
    """Check one pushed event against the contract; the message names the first problem."""
    if not isinstance(raw, dict):
        raise InvalidInput("the event must be a JSON object")
    for key in ("id", "type", "occurred_at", "data"):
        if key not in raw:
            raise InvalidInput(f"{key} is required")
    event_id, event_type, data = raw["id"], raw["type"], raw["data"]
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 128:
        raise InvalidInput("id must be a string of 1-128 characters")
    if event_type not in REQUIRED_FIELDS:
        raise InvalidInput(f"unknown event type {event_type!r}", code="unknown_event_type")
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object")
    for key in REQUIRED_FIELDS[event_type]:
        if data.get(key) in (None, ""):
            raise InvalidInput(f"data.{key} is required for {event_type}")
    if not isinstance(data["order_ref"], str) or len(data["order_ref"]) > 64:
        raise InvalidInput("data.order_ref must be a string of at most 64 characters")
    for key in AMOUNT_FIELDS:
        if key in data:
            parse_amount(data[key], f"data.{key}")
    for key in TIME_FIELDS:
        if data.get(key) is not None:
            parse_time(data[key], f"data.{key}")
    if event_type == "order.created":
        _check_items(data["items"])
    if event_type == "logistics.updated" and data["status"] not in LOGISTICS_STATUSES:
        raise InvalidInput(f"data.status must be one of {', '.join(sorted(LOGISTICS_STATUSES))}")
    if event_type == "card_code.delivered":
        last4 = str(data["code_last4"])
        if len(last4) > 4:
            raise InvalidInput("data.code_last4 must hold at most the last 4 characters of a code")
        if "redeemed" in data and not isinstance(data["redeemed"], bool):
            raise InvalidInput("data.redeemed must be a boolean")
    return PlatformEvent(
        id=event_id,
        type=event_type,
        occurred_at=parse_time(raw["occurred_at"], "occurred_at"),
        data=data,
    )


_STATUS_AFTER: dict[str, str] = {
    "order.created": "created",
    "order.paid": "paid",
    "order.shipped": "shipped",
    "order.delivered": "delivered",
    "card_code.delivered": "delivered",
    "order.cancelled": "cancelled",
    "order.refunded": "refunded",
    "settlement.paid": "completed",
}


def project_order(order_ref: str, events: list[PlatformEvent]) -> dict[str, Any]:
    """Fold every known event of one order, oldest first, into its current state (JSON-ready)."""
    view: dict[str, Any] = {
        "order_ref": order_ref,
        "status": "unknown",
        "buyer_ref": None,
        "seller_ref": None,
        "currency": None,
        "amount": None,
        "items": [],
        "created_at": None,
        "updated_at": None,
        "payments": [],
        "refunds": [],
        "cancellation": None,
        "logistics": None,
        "card_codes": [],
        "settlements": [],
        "history": [],
        "extra": {},
    }
    for event in sorted(events, key=lambda e: (e.occurred_at, e.id)):
        _apply(view, event)
    return view


def _apply(view: dict[str, Any], event: PlatformEvent) -> None:
    data = event.data
    at = event.occurred_at.isoformat()
    view["history"].append({"event_id": event.id, "type": event.type, "occurred_at": at})
    view["updated_at"] = at
    known = set(REQUIRED_FIELDS[event.type]) | {"redeemed", "eta", "order_ref"}
    extra = {k: v for k, v in data.items() if k not in known}
    if extra:
        view["extra"].update(extra)
    if event.type in _STATUS_AFTER:
        view["status"] = _STATUS_AFTER[event.type]
    kind = event.type
    if kind == "order.created":
        view.update(
            buyer_ref=data["buyer_ref"],
            seller_ref=data["seller_ref"],
            currency=data["currency"],
            amount=data["amount"],
            items=data["items"],
            created_at=at,
        )
    elif kind == "order.paid":
        view["payments"].append(
            {
                "payment_ref": data["payment_ref"],
                "amount": data["amount"],
                "method": data["method"],
                "paid_at": at,
            }
        )
    elif kind == "order.refunded":
        view["refunds"].append(
            {
                "refund_ref": data["refund_ref"],
                "amount": data["amount"],
                "reason": data["reason"],
                "refunded_at": at,
            }
        )
    elif kind == "order.cancelled":
        view["cancellation"] = {"reason": data["reason"], "cancelled_at": at}
    elif kind in {"order.shipped", "logistics.updated"}:
        _apply_logistics(view, event)
    elif kind == "card_code.delivered":
        view["card_codes"].append(
            {
                "sku": data["sku"],
                "code_last4": str(data["code_last4"])[-4:],
                "redeemed": bool(data.get("redeemed", False)),
                "delivered_at": at,
            }
        )
    elif kind in {"settlement.scheduled", "settlement.paid"}:
        _apply_settlement(view, event)


def _apply_logistics(view: dict[str, Any], event: PlatformEvent) -> None:
    data, at = event.data, event.occurred_at.isoformat()
    logistics = view["logistics"] or {"scans": []}
    logistics["carrier"] = data["carrier"]
    logistics["tracking_no"] = data["tracking_no"]
    if event.type == "order.shipped":
        logistics.setdefault("status", "in_transit")
        logistics["shipped_at"] = at
    else:
        scan = {k: data.get(k) for k in ("status", "location", "description")}
        scan["occurred_at"] = at
        logistics["scans"].append(scan)
        logistics.update(
            status=data["status"],
            location=data["location"],
            description=data["description"],
            last_scan_at=at,
        )
        if data.get("eta"):
            logistics["eta"] = data["eta"]
        if data["status"] == "delivered" and view["status"] in {"paid", "shipped"}:
            view["status"] = "delivered"
    view["logistics"] = logistics


def _apply_settlement(view: dict[str, Any], event: PlatformEvent) -> None:
    data = event.data
    settlement = {
        "seller_ref": data["seller_ref"],
        "amount": data["amount"],
        "currency": data["currency"],
    }
    if event.type == "settlement.scheduled":
        settlement.update(status="scheduled", scheduled_at=data["scheduled_at"])
    else:
        settlement.update(status="paid", paid_at=data["paid_at"], payout_ref=data["payout_ref"])
    previous = next(
        (s for s in view["settlements"] if s["amount"] == data["amount"] and s["status"] != "paid"),
        None,
    )
    if previous is not None and event.type == "settlement.paid":
        previous.update(settlement)
    else:
        view["settlements"].append(settlement)


def is_open_order(status: str) -> bool:
    return status not in CLOSED_ORDER_STATUSES


DEFAULT_ORDER_REF_PATTERN = r"JS\d{14}"


class OrderRefFinder:
    """Finds order numbers in free text; the pattern is configuration (demo: JS + 14 digits)."""

    def __init__(self, pattern: str = DEFAULT_ORDER_REF_PATTERN) -> None:
        self._regex = re.compile(rf"(?<![A-Za-z0-9])(?:{pattern})(?![0-9])", re.IGNORECASE)

    def find(self, text: str) -> list[str]:
        seen: dict[str, None] = {}
        for match in self._regex.finditer(text):
            seen.setdefault(match.group(0).upper(), None)
        return list(seen)
