"""Hostile platform events: each is refused with a 4xx on both databases and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from consigndesk.adapters.db import tables
from consigndesk.services.platform_events import sign
from tests.api.conftest import Api
from tests.api.test_tickets_api import assert_error, push
from tests.conftest import PLATFORM_SECRET
from tests.factories import event, order_created, shipped_order, signed

REF = "JS20261120000100"
EVENTS = "/api/v1/platform/events"
Mutation = Callable[[dict[str, Any]], Any]


def stored_events(api: Api) -> int:
    """How many platform events the database holds."""
    with api.core.database.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(tables.platform_events)).scalar())


def refusal_problem(response: Any, status: int, code: str) -> str | None:
    """Why a response is not the expected error (status and `{"error": {code, message}}`)."""
    try:
        error = response.json()["error"]
        shaped = set(response.json()) == {"error"} and set(error) == {"code", "message"}
    except (ValueError, KeyError, TypeError):
        shaped = False
    if response.status_code == status and shaped and error["code"] == code and error["message"]:
        return None
    return f"{response.status_code} {response.text[:160]}"


def lenient(api: Api) -> TestClient:
    """A client on the same app that answers a server error with 500 instead of raising it, so
    one test can report every case that is not refused."""
    return TestClient(api.client.app, raise_server_exceptions=False)


def post_raw(api: Api, body: bytes) -> Any:
    """Post a body exactly as given, correctly signed."""
    headers = {"X-Signature": sign(PLATFORM_SECRET, body), "Content-Type": "application/json"}
    return api.client.post(EVENTS, content=body, headers=headers)


def nested(depth: int) -> Any:
    """A value `depth` JSON levels deep."""
    value: Any = "leaf"
    for _ in range(depth):
        value = {"n": value}
    return value


def created_with(mutate: Mutation, ref: str = REF) -> dict[str, Any]:
    raw = order_created(ref)
    mutate(raw)
    return raw


def set_data(**fields: Any) -> Mutation:
    return lambda raw: raw["data"].update(fields)


def set_item(**fields: Any) -> Mutation:
    return lambda raw: raw["data"]["items"][0].update(fields)


BAD_ORDER_CREATED: dict[str, Mutation] = {
    "buyer_ref longer than 64": set_data(buyer_ref="b" * 65),
    "seller_ref longer than 64": set_data(seller_ref="s" * 65),
    "currency longer than 8": set_data(currency="CNYCNYCNY"),
    "amount longer than 32": set_data(amount="1" * 33),
    "buyer_ref a dict": set_data(buyer_ref={"id": "b1"}),
    "buyer_ref a list": set_data(buyer_ref=["b1"]),
    "seller_ref a dict": set_data(seller_ref={"id": "s1"}),
    "seller_ref a list": set_data(seller_ref=["s1"]),
    "currency a dict": set_data(currency={"code": "CNY"}),
    "currency a list": set_data(currency=["CNY"]),
    "buyer_ref an int": set_data(buyer_ref=7),
    "seller_ref a float": set_data(seller_ref=1.5),
    "currency a bool": set_data(currency=True),
    "amount with an exponent": set_data(amount="1e999999999"),
    "amount with spaces": set_data(amount=" 1 "),
    "amount with underscores": set_data(amount="1_000"),
    "amount in full-width digits": set_data(amount="１２"),
    "item kind a list": set_item(kind=["physical"]),
    "item sku a list": set_item(sku=["SKU-1"]),
    "item quantity beyond 64 bits": set_item(quantity=2**70),
    "item quantity a bool": set_item(quantity=True),
    "item price with an exponent": set_item(price="1E+3"),
    "an integer beyond 64 bits": set_data(weight_grams=2**70),
    "a negative integer beyond 64 bits": set_data(weight_grams=-(2**70)),
    "nesting deeper than orjson writes": set_data(notes=nested(300)),
    "id with U+0000": lambda raw: raw.update(id="evt\x00-1"),
    "id with a lone surrogate": lambda raw: raw.update(id="evt\ud800-1"),
    "order_ref with U+0000": lambda raw: raw["data"].update(
        order_ref=raw["data"]["order_ref"] + "\x00"
    ),
    "order_ref with a lone surrogate": lambda raw: raw["data"].update(
        order_ref=raw["data"]["order_ref"] + "\ud800"
    ),
    "buyer_ref with U+0000": set_data(buyer_ref="b\x001"),
    "a title with a lone surrogate": set_item(title="iPhone \udfff"),
    "an extra field with a lone surrogate": set_data(note="\ud800"),
    "an extra key with a lone surrogate": set_data(**{"k\ud800": "v"}),
    "occurred_at before year 1 in UTC": lambda raw: raw.update(
        occurred_at="0001-01-01T00:00:00+01:00"
    ),
    "occurred_at after year 9999 in UTC": lambda raw: raw.update(
        occurred_at="9999-12-31T23:59:59-01:00"
    ),
}


def test_malformed_order_created_events_are_refused_and_nothing_is_stored(api: Api) -> None:
    client, problems = lenient(api), []
    for i, (name, mutate) in enumerate(BAD_ORDER_CREATED.items()):
        ref = f"JS20261120{i:06d}"
        body, headers = signed(PLATFORM_SECRET, created_with(mutate, ref))
        problem = refusal_problem(
            client.post(EVENTS, content=body, headers=headers), 422, "invalid_input"
        )
        if problem is None:
            problem = refusal_problem(
                client.get(f"/api/v1/orders/{ref}", headers=api.integration), 404, "unknown_order"
            )
        if problem:
            problems.append(f"{name}: {problem}")
    assert not problems, "\n".join(problems)
    assert stored_events(api) == 0
    assert api.client.get("/api/v1/customers/b1/orders", headers=api.integration).json() == []


def scan(event_id: str, **fields: Any) -> dict[str, Any]:
    """A `logistics.updated` for REF, with some fields replaced."""
    data = {
        "order_ref": REF,
        "carrier": "SF Express",
        "tracking_no": "SF1234567890",
        "status": "in_transit",
        "location": "杭州转运中心",
        "description": "快件已到达杭州转运中心",
        **fields,
    }
    return event(event_id, "logistics.updated", 200, **data)


BAD_UPDATES: dict[str, dict[str, Any]] = {
    "logistics status a list": scan("scan-1", status=["delivered"]),
    "logistics status a dict": scan("scan-2", status={"code": "delivered"}),
    "logistics carrier a dict": scan("scan-3", carrier={"name": "SF"}),
    "logistics eta after year 9999 in UTC": scan("scan-4", eta="9999-12-31T23:59:59-01:00"),
    "a float that is not finite": scan("scan-5", temperature=float("inf")),
    "settlement currency longer than 8": event(
        "st-bad",
        "settlement.scheduled",
        300,
        order_ref=REF,
        seller_ref="s1",
        amount="94.00",
        currency="C" * 9,
        scheduled_at="2026-11-26T02:00:00+00:00",
    ),
    "payment amount with an exponent": event(
        "pay-bad",
        "order.paid",
        300,
        order_ref=REF,
        payment_ref="PAY-2",
        amount="5e3",
        method="alipay",
    ),
    "card code a list": event(
        "code-bad", "card_code.delivered", 300, order_ref=REF, sku="X", code_last4=[1]
    ),
}


def test_malformed_updates_leave_the_order_as_it_was(api: Api) -> None:
    for good in shipped_order(REF):
        push(api, good)
    before = api.client.get(f"/api/v1/orders/{REF}", headers=api.integration).json()
    client, problems = lenient(api), []
    for name, bad in BAD_UPDATES.items():
        body, headers = signed(PLATFORM_SECRET, bad)
        problem = refusal_problem(
            client.post(EVENTS, content=body, headers=headers), 422, "invalid_input"
        )
        after = client.get(f"/api/v1/orders/{REF}", headers=api.integration)
        if problem is None and (after.status_code != 200 or after.json() != before):
            problem = f"the order changed: {after.status_code} {after.text[:160]}"
        if problem:
            problems.append(f"{name}: {problem}")
    assert not problems, "\n".join(problems)
    assert stored_events(api) == len(shipped_order(REF))


def test_non_finite_json_constants_are_refused(api: Api) -> None:
    for constant in (b"NaN", b"Infinity", b"-Infinity"):
        text = json.dumps(order_created(REF)).encode()
        body = text[:-2] + b', "weight": ' + constant + b"}}"
        assert_error(post_raw(api, body), 422, "invalid_input")
    assert stored_events(api) == 0


def test_a_body_nested_beyond_the_parser_is_invalid_json(api: Api) -> None:
    depth = 100_000
    head = json.dumps(order_created(REF)).encode()[:-2]
    body = head + b', "deep": ' + b"[" * depth + b"]" * depth + b"}}"
    assert_error(post_raw(api, body), 422, "invalid_json")
    assert stored_events(api) == 0


def test_a_non_ascii_signature_is_a_bad_signature(api: Api) -> None:
    body, headers = signed(PLATFORM_SECRET, order_created(REF))
    client, problems = lenient(api), []
    for value in ("sha256=é", "sha256=" + "é" * 64, "sha256=\u00ff" + "0" * 63, "sha256=\u212a"):
        forged = {**headers, "X-Signature": value.encode()}
        platform = refusal_problem(
            client.post(EVENTS, content=body, headers=forged), 401, "bad_signature"
        )
        voice = client.post(
            "/api/v1/voice/webhook",
            content=b"--b\r\n\r\n--b--\r\n",
            headers={
                "Content-Type": "multipart/form-data; boundary=b",
                "X-Signature": value.encode(),
            },
        )
        problems += [
            f"{value!r} on {where}: {p}"
            for where, p in (
                ("events", platform),
                ("voice", refusal_problem(voice, 401, "bad_signature")),
            )
            if p
        ]
    assert not problems, "\n".join(problems)
    assert stored_events(api) == 0


def test_events_valid_before_still_apply(api: Api) -> None:
    ref = "JS20261120000101"
    events = [
        *shipped_order(ref),
        event(
            "late-scan",
            "logistics.updated",
            300,
            order_ref=ref,
            carrier="SF Express",
            tracking_no=12345678,
            status="delivered",
            location="上海",
            description="已签收",
            eta=None,
            checkpoint={"lat": 31.2, "lng": 121.4, "tags": ["signed", {"by": "前台"}]},
        ),
        event("code", "card_code.delivered", 310, order_ref=ref, sku="SKU-1", code_last4=1234),
        event(
            "settle",
            "settlement.scheduled",
            320,
            order_ref=ref,
            seller_ref="s1",
            amount="4800",
            currency="CNY",
            scheduled_at="2026-11-26T02:00:00Z",
        ),
    ]
    big = created_with(set_data(weight_grams=2**63 - 1, note=nested(20), memo="a\x00b"))
    big["id"], big["data"]["order_ref"] = "big-created", "JS20261120000102"
    for e in [*events, big]:
        assert push(api, e)["applied"] is True
    order = api.client.get(f"/api/v1/orders/{ref}", headers=api.integration).json()
    assert order["status"] == "delivered"
    assert order["amount"] == "4999.00" and order["currency"] == "CNY"
    assert order["logistics"]["tracking_no"] == 12345678
    assert order["card_codes"][0]["code_last4"] == "1234"
    other = api.client.get("/api/v1/orders/JS20261120000102", headers=api.integration).json()
    assert other["extra"]["weight_grams"] == 2**63 - 1 and other["extra"]["memo"] == "a\x00b"
    assert len(api.client.get("/api/v1/customers/b1/orders", headers=api.integration).json()) == 2


def test_an_event_type_that_is_not_text_is_unknown(api: Api) -> None:
    raw = order_created(REF)
    raw["type"] = ["order.created"]
    body, headers = signed(PLATFORM_SECRET, raw)
    assert_error(api.client.post(EVENTS, content=body, headers=headers), 422, "unknown_event_type")
    assert stored_events(api) == 0
