"""The order read model: validation of platform events and the projection that folds them.

The platform is the source of truth; we keep every event it sends and derive the order's state
by folding them in `occurred_at` order. A late, older event therefore never overwrites newer
state, and a replay of the same event id is recognised before it reaches this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from consigndesk.domain.errors import InvalidInput
from consigndesk.domain.text import has_lone_surrogate

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
LOGISTICS_STATUSES = frozenset(
    {"in_transit", "out_for_delivery", "delivered", "exception", "returned"}
)
CLOSED_ORDER_STATUSES = {"cancelled", "refunded", "completed"}
# A plain decimal: ASCII digits, an optional fraction; no sign, exponent, spaces or separators.
AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,8})?")
MAX_DEPTH = 64  # levels under `data`; orjson writes at most 254 and the view adds two
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # what every JSON reader and both databases keep exact
# Times stay a day inside datetime's range, so converting them to any time zone cannot overflow.
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


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
    """An aware ISO 8601 time that converts to UTC and to any display time zone."""
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field} is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"{field} must carry a time zone: {value!r}")
    try:
        in_range = EARLIEST <= parsed.astimezone(UTC) <= LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise InvalidInput(f"{field} must lie between 0001-01-02 and 9999-12-30 UTC: {value!r}")
    return parsed


def parse_amount(value: Any, field: str) -> Decimal:
    """Amounts are plain decimal strings, so every reader formats them without surprises."""
    if not isinstance(value, str) or not AMOUNT.fullmatch(value):
        raise InvalidInput(
            f'{field} must be a non-negative decimal string such as "12.50"'
            " (up to 15 digits, 8 after the point)"
        )
    return Decimal(value)


CURRENCY_SIGNS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}


def format_amount(amount: Any, currency: Any) -> str | None:
    """A plain decimal amount as people read it (`¥4,999.00`, `GBP 12.50`), or None for anything
    validation refuses: a view stored before it could hold an exponent of a billion digits."""
    if not isinstance(amount, str) or not AMOUNT.fullmatch(amount):
        return None
    text = f"{Decimal(amount):,.2f}"
    if not isinstance(currency, str) or not currency:
        return text
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{text}" if sign else f"{currency} {text}"


Check = Callable[[Any, str], object]


def _optional_time(value: Any, field: str) -> None:
    """Time fields may be null; otherwise they are ISO 8601 times."""
    if value is not None:
        parse_time(value, field)


def _column_text(limit: int) -> Check:
    """Fields stored in a column of `limit` characters, which PostgreSQL enforces and SQLite not."""

    def check(value: Any, field: str) -> None:
        if not isinstance(value, str) or not 1 <= len(value) <= limit or "\x00" in value:
            raise InvalidInput(f"{field} must be a string of 1-{limit} characters without U+0000")

    return check


def _text(value: Any, field: str) -> None:
    """Contract text fields: strings, or numbers some platforms send (a tracking number)."""
    if type(value) is not str and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise InvalidInput(f"{field} must be a string or a number")


def _logistics_status(value: Any, field: str) -> None:
    """One of the statuses the contract names (checked by type: a list is not hashable)."""
    if not isinstance(value, str) or value not in LOGISTICS_STATUSES:
        raise InvalidInput(f"{field} must be one of {', '.join(sorted(LOGISTICS_STATUSES))}")


def _last4(value: Any, field: str) -> None:
    """We keep the last 4 characters of a card code, never a whole one."""
    _text(value, field)
    if len(str(value)) > 4:
        raise InvalidInput(f"{field} must hold at most the last 4 characters of a code")


def _boolean(value: Any, field: str) -> None:
    """`redeemed` is true or false, not a truthy string."""
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be a boolean")


def _check_items(items: Any, field: str) -> None:
    """Each line of an order: text sku and title, a known kind, a price and a positive count."""
    if not isinstance(items, list) or not items:
        raise InvalidInput(f"{field} must be a non-empty list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput(f"{field}[{i}] must be an object")
        for key in ("sku", "title", "kind", "price", "quantity"):
            if key not in item:
                raise InvalidInput(f"{field}[{i}].{key} is required")
        _text(item["sku"], f"{field}[{i}].sku")
        _text(item["title"], f"{field}[{i}].title")
        if not isinstance(item["kind"], str) or item["kind"] not in {"physical", "digital"}:
            raise InvalidInput(f"{field}[{i}].kind must be physical or digital")
        parse_amount(item["price"], f"{field}[{i}].price")
        quantity = item["quantity"]
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidInput(f"{field}[{i}].quantity must be a positive integer")


# Checked in any event that carries them (an amount is an amount everywhere).
_ANYWHERE: dict[str, Check] = {
    "order_ref": _column_text(64),
    "buyer_ref": _column_text(64),
    "seller_ref": _column_text(64),
    "currency": _column_text(8),
    "amount": parse_amount,
    "price": parse_amount,
    "eta": _optional_time,
    "scheduled_at": _optional_time,
    "paid_at": _optional_time,
}
_BY_TYPE: dict[str, dict[str, Check]] = {
    "order.created": {"items": _check_items},
    "logistics.updated": {"status": _logistics_status},
    "card_code.delivered": {"code_last4": _last4, "redeemed": _boolean},
}
# Per event type, the check of each field it may carry and the field's name in messages; the
# other fields are kept unchecked.
FIELD_CHECKS: dict[str, dict[str, tuple[Check, str]]] = {
    event_type: {
        key: (check, f"data.{key}")
        for key, check in {
            **dict.fromkeys(required, _text),
            **_ANYWHERE,
            **_BY_TYPE.get(event_type, {}),
        }.items()
    }
    for event_type, required in REQUIRED_FIELDS.items()
}


def _storable(value: Any, depth: int = 0) -> str | None:
    """What in a JSON value neither database nor orjson can keep exactly, or None if all is well
    (exact types first: this walks every value of every event)."""
    kind = type(value)
    if kind is str:
        return None if value.isascii() else _bad_text(value)
    if isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            return f"nesting deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            if not all(type(k) is str and (k.isascii() or not _bad_text(k)) for k in value):
                return "a key that is not valid text"
            value = value.values()
        for item in value:
            problem = _storable(item, depth + 1)
            if problem:
                return problem
        return None
    if value is None or kind is bool:
        return None
    if kind is int:
        return None if INT_MIN <= value <= INT_MAX else "an integer beyond 64 bits"
    if kind is float:
        return None if math.isfinite(value) else "a number that is not finite"
    return "a value JSON cannot carry"  # from a Python caller: a set, a Decimal, an enum …


def _bad_text(text: str) -> str | None:
    return "text with a lone surrogate" if has_lone_surrogate(text) else None


def validate_event(raw: Any) -> PlatformEvent:
    """Check one pushed event against the contract before anything is stored; the message names
    the first problem."""
    if not isinstance(raw, dict):
        raise InvalidInput("the event must be a JSON object")
    for key in ("id", "type", "occurred_at", "data"):
        if key not in raw:
            raise InvalidInput(f"{key} is required")
    event_id, event_type, data = raw["id"], raw["type"], raw["data"]
    if (
        not isinstance(event_id, str)
        or not 1 <= len(event_id) <= 128
        or "\x00" in event_id
        or (not event_id.isascii() and _bad_text(event_id))
    ):
        raise InvalidInput("id must be a string of 1-128 characters, without U+0000")
    if not isinstance(event_type, str) or event_type not in REQUIRED_FIELDS:
        raise InvalidInput(f"unknown event type {event_type!r}", code="unknown_event_type")
    if not isinstance(data, dict):
        raise InvalidInput("data must be an object")
    occurred_at = parse_time(raw["occurred_at"], "occurred_at")
    for key in REQUIRED_FIELDS[event_type]:
        if data.get(key) in (None, ""):
            raise InvalidInput(f"data.{key} is required for {event_type}")
    if _storable(data, -1):
        key, problem = next((k, p) for k, v in data.items() if (p := _storable({k: v}, -1)))
        raise InvalidInput(f"data.{key} holds {problem}")
    checks = FIELD_CHECKS[event_type]
    for key, value in data.items():
        found = checks.get(key)
        if found is not None:
            found[0](value, found[1])
    return PlatformEvent(id=event_id, type=event_type, occurred_at=occurred_at, data=data)


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
