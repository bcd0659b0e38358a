"""Checks on the seeded demo data set: counts, contract conformance, coherence, determinism."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from consigndesk.demo.dataset import ORDER_STATES, DemoDataset, build_dataset
from consigndesk.domain.taxonomy import DEFAULT_GROUPS, Intent

NOW = datetime(2026, 11, 20, 9, 30, 15, tzinfo=UTC)

REQUIRED: dict[str, set[str]] = {
    "order.created": {"order_ref", "buyer_ref", "seller_ref", "currency", "amount", "items"},
    "order.paid": {"order_ref", "payment_ref", "amount", "method"},
    "order.shipped": {"order_ref", "carrier", "tracking_no"},
    "order.delivered": {"order_ref"},
    "order.cancelled": {"order_ref", "reason"},
    "order.refunded": {"order_ref", "refund_ref", "amount", "reason"},
    "logistics.updated": {
        "order_ref",
        "carrier",
        "tracking_no",
        "status",
        "location",
        "description",
    },
    "card_code.delivered": {"order_ref", "sku", "code_last4"},
    "settlement.scheduled": {"order_ref", "seller_ref", "amount", "currency", "scheduled_at"},
    "settlement.paid": {"order_ref", "seller_ref", "amount", "currency", "paid_at", "payout_ref"},
}
MONEY_FIELDS = ("amount", "gross_amount", "fee")
TIME_FIELDS = ("scheduled_at", "paid_at", "eta")
LOGISTICS_STATUSES = {"in_transit", "out_for_delivery", "delivered", "exception", "returned"}
TRACKING = {
    "SF": r"^SF\d{12}$",
    "ZTO": r"^78\d{12}$",
    "YTO": r"^YT\d{13}$",
    "JD": r"^JDV\d{12}$",
}

# Which order states a ticket of a given intent may point at.
STATES_FOR_INTENT: dict[str, set[str]] = {
    "logistics": {"in_transit", "out_for_delivery", "exception", "delivered"},
    "digital_delivery": {"paid", "digital_delivered"},
    "return_refund": {"delivered", "returned", "refunded"},
    "cancel_order": {"created", "paid"},
    "payment": {"created", "paid"},
    "seller_payout": {"delivered", "settlement_scheduled", "settled"},
    "dispute": {"delivered", "digital_delivered"},
}
SELLER_INTENTS = {"seller_payout", "listing"}


@pytest.fixture(scope="module")
def ds() -> DemoDataset:
    return build_dataset(NOW)


@pytest.fixture(scope="module")
def by_order(ds: DemoDataset) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in ds.events:
        grouped[event["data"]["order_ref"]].append(event)
    return grouped


def _time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, value
    return moment


def _money(value: Any) -> Decimal:
    assert isinstance(value, str) and re.fullmatch(r"\d+\.\d{2}", value), value
    return Decimal(value)


def derive_state(events: list[dict[str, Any]]) -> str:
    types = {e["type"] for e in events}
    scans = [e["data"]["status"] for e in events if e["type"] == "logistics.updated"]
    last_scan = scans[-1] if scans else None
    if "order.refunded" in types:
        return "refunded"
    if "order.cancelled" in types:
        return "cancelled"
    if "settlement.paid" in types:
        return "settled"
    if "settlement.scheduled" in types:
        return "settlement_scheduled"
    if last_scan in ("returned", "exception"):
        return str(last_scan)
    if "card_code.delivered" in types:
        return "digital_delivered"
    if "order.delivered" in types:
        return "delivered"
    if last_scan == "out_for_delivery":
        return "out_for_delivery"
    if "order.shipped" in types:
        return "in_transit"
    if "order.paid" in types:
        return "paid"
    return "created"


# --- counts and people --------------------------------------------------------------------------


def test_counts(ds: DemoDataset, by_order: dict[str, list[dict[str, Any]]]) -> None:
    assert len(ds.customers) >= 60
    assert len(ds.agents) >= 8
    assert len(by_order) >= 220
    assert len(ds.orders) == len(by_order)
    assert len(ds.tickets) >= 36


def test_customers(ds: DemoDataset) -> None:
    ids = [c.external_id for c in ds.customers]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"u\d{5}", i) for i in ids)
    assert len({c.email for c in ds.customers}) == len(ds.customers)
    assert len({c.phone for c in ds.customers}) == len(ds.customers)
    zh = [c for c in ds.customers if c.language == "zh"]
    assert 0.55 <= len(zh) / len(ds.customers) <= 0.75
    vip = [c for c in ds.customers if c.tier == "vip"]
    assert 0.05 <= len(vip) / len(ds.customers) <= 0.15
    assert sum(c.role == "seller" for c in ds.customers) >= 20
    assert sum(c.role == "buyer" for c in ds.customers) >= 30
    for c in ds.customers:
        assert c.role in ("buyer", "seller") and c.tier in ("regular", "vip")
        assert re.fullmatch(r"[\w.]+@([\w-]+\.)*example\.(com|cn|net|org)", c.email), c.email
        if c.language == "zh":
            assert re.fullmatch(r"\+86 1\d{2} \d{4} \d{4}", c.phone), c.phone
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", c.name), c.name
        else:
            assert not c.phone.startswith("+86")
            assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z']+", c.name), c.name
    # VIPs exist on both sides and in both languages
    assert {(c.role, c.language) for c in vip} == {
        ("buyer", "zh"),
        ("buyer", "en"),
        ("seller", "zh"),
        ("seller", "en"),
    }


def test_agents(ds: DemoDataset) -> None:
    agents = ds.agents
    assert len({a.email for a in agents}) == len(agents)
    admins = [a for a in agents if a.role == "admin"]
    assert [a.email for a in admins] == ["admin@consigndesk.local"]
    assert sum(a.role == "supervisor" for a in agents) == 1
    outsourced = [a for a in agents if a.team == "outsourced"]
    assert len(outsourced) >= 2
    in_house_only = {g for g, meta in DEFAULT_GROUPS.items() if meta["in_house_only"]}
    assert in_house_only == {"finance", "disputes"}
    for agent in outsourced:
        assert not in_house_only & set(agent.groups), agent.email
        assert not agent.vip
    assert 1 <= sum(a.vip for a in agents if a.team == "in_house") <= 2
    working = [a for a in agents if a.role != "admin"]
    covered = {g for a in working for g in a.groups}
    assert covered == set(DEFAULT_GROUPS)
    for lang in ("zh", "en"):
        assert {g for a in working if a.language == lang for g in a.groups} == set(DEFAULT_GROUPS)
    for agent in agents:
        assert agent.team in ("in_house", "outsourced")
        assert agent.capacity > 0 and agent.groups


# --- events -------------------------------------------------------------------------------------


def test_events_follow_the_contract(ds: DemoDataset) -> None:
    ids = [e["id"] for e in ds.events]
    assert len(set(ids)) == len(ids)
    for event in ds.events:
        assert set(event) == {"id", "type", "occurred_at", "data"}
        assert event["type"] in REQUIRED, event["type"]
        assert REQUIRED[event["type"]] <= set(event["data"]), event
        assert event["id"].startswith(f"evt-{event['data']['order_ref']}-")
        occurred = _time(event["occurred_at"])
        assert NOW - timedelta(days=30) <= occurred <= NOW
        data = event["data"]
        for name in MONEY_FIELDS:
            if name in data:
                _money(data[name])
        for name in TIME_FIELDS:
            if name in data:
                _time(data[name])
        if event["type"] == "order.created":
            assert data["currency"] == "CNY" and data["items"]
            for item in data["items"]:
                assert {"sku", "title", "kind", "price", "quantity"} <= set(item)
                assert item["kind"] in ("physical", "digital")
                assert isinstance(item["quantity"], int) and item["quantity"] >= 1
                _money(item["price"])
        if event["type"] == "logistics.updated":
            assert data["status"] in LOGISTICS_STATUSES
        if event["type"] == "card_code.delivered":
            assert re.fullmatch(r"[A-Z0-9]{4}", data["code_last4"])
            assert isinstance(data.get("redeemed", False), bool)
    times = [_time(e["occurred_at"]) for e in ds.events]
    assert times == sorted(times)


def test_orders_are_coherent(ds: DemoDataset, by_order: dict[str, list[dict[str, Any]]]) -> None:
    roles = {c.external_id: c.role for c in ds.customers}
    for ref, events in by_order.items():
        assert re.fullmatch(r"JS\d{14}", ref), ref
        assert events[0]["type"] == "order.created"
        assert [e["type"] for e in events].count("order.created") == 1
        times = [_time(e["occurred_at"]) for e in events]
        assert all(a < b for a, b in pairwise(times)), ref
        assert ref[2:10] == times[0].strftime("%Y%m%d")
        created = events[0]["data"]
        assert roles[created["buyer_ref"]] == "buyer"
        assert roles[created["seller_ref"]] == "seller"
        amount = _money(created["amount"])
        lines = sum(_money(i["price"]) * i["quantity"] for i in created["items"])
        assert amount == lines
        for event in events[1:]:
            data = event["data"]
            if event["type"] in ("order.paid", "order.refunded"):
                assert _money(data["amount"]) == amount
            if event["type"].startswith("settlement."):
                assert data["seller_ref"] == created["seller_ref"]
                fee = amount - _money(data["amount"])
                assert Decimal("0.05") * amount - Decimal("0.01") <= fee
                assert fee <= Decimal("0.08") * amount + Decimal("0.01")
            if event["type"] == "settlement.paid":
                assert _time(data["paid_at"]) <= NOW
        kinds = {i["kind"] for i in created["items"]}
        types = {e["type"] for e in events}
        if "card_code.delivered" in types:
            assert kinds == {"digital"}
        if "order.shipped" in types:
            assert kinds == {"physical"}


def test_every_order_state_is_represented(
    ds: DemoDataset, by_order: dict[str, list[dict[str, Any]]]
) -> None:
    states = {ref: derive_state(events) for ref, events in by_order.items()}
    for order in ds.orders:
        assert states[order.order_ref] == order.state, order
    counts = Counter(states.values())
    assert set(counts) == set(ORDER_STATES)
    assert all(n >= 5 for n in counts.values()), counts
    digital = Counter(o.state for o in ds.orders if o.kind == "digital")
    assert {"paid", "digital_delivered", "settled"} <= set(digital)


def test_logistics_details(ds: DemoDataset, by_order: dict[str, list[dict[str, Any]]]) -> None:
    carriers = set()
    exceptions = []
    for order in ds.orders:
        events = by_order[order.order_ref]
        shipped = [e["data"] for e in events if e["type"] == "order.shipped"]
        scans = [e["data"] for e in events if e["type"] == "logistics.updated"]
        if not shipped:
            assert not scans
            continue
        code = shipped[0]["carrier_code"]
        carriers.add(shipped[0]["carrier"])
        assert re.fullmatch(TRACKING[code], shipped[0]["tracking_no"])
        assert all(s["tracking_no"] == shipped[0]["tracking_no"] for s in scans)
        if order.state in ("in_transit", "out_for_delivery"):
            assert _time(scans[-1]["eta"]) > NOW
        if order.state == "out_for_delivery":
            assert len(scans) >= 4
        if order.state == "exception":
            exceptions.append(scans[-1]["description"])
    assert {"顺丰速运", "SF Express", "中通快递", "圆通速递", "京东物流"} <= carriers
    assert any("丢失" in d or "lost" in d for d in exceptions)
    assert any("延误" in d or "delay" in d for d in exceptions)
    hubs = {s["data"]["location"] for s in ds.events if s["type"] == "logistics.updated"}
    assert any("转运中心" in h for h in hubs) and any(h.endswith(" hub") for h in hubs)


def test_card_codes_and_settlements(ds: DemoDataset) -> None:
    cards = [e["data"] for e in ds.events if e["type"] == "card_code.delivered"]
    assert any(c["redeemed"] for c in cards) and not all(c["redeemed"] for c in cards)
    scheduled = {
        e["data"]["order_ref"]: _time(e["data"]["scheduled_at"])
        for e in ds.events
        if e["type"] == "settlement.scheduled"
    }
    paid = {e["data"]["order_ref"] for e in ds.events if e["type"] == "settlement.paid"}
    for ref, when in scheduled.items():
        assert (when <= NOW) == (ref in paid), ref
    assert paid <= set(scheduled)


# --- tickets ------------------------------------------------------------------------------------


def test_ticket_coverage(ds: DemoDataset) -> None:
    tickets = ds.tickets
    assert {t.intent for t in tickets} == {i.value for i in Intent}
    assert {t.target_status for t in tickets} == {"new", "open", "pending", "solved", "closed"}
    assert {"chat", "email", "voice"} <= {t.channel for t in tickets}
    zh = sum(t.language == "zh" for t in tickets)
    assert 0.5 <= zh / len(tickets) <= 0.8
    customers = {c.external_id: c for c in ds.customers}
    assert any(customers[t.customer_external_id].tier == "vip" for t in tickets)
    offsets = [t.created_offset_minutes for t in tickets]
    assert all(0 < m <= 7 * 24 * 60 for m in offsets)
    assert offsets == sorted(offsets, reverse=True)
    assert len(set(offsets)) > len(offsets) // 2


def test_ticket_replies_and_ratings(ds: DemoDataset) -> None:
    agents = {a.email: a for a in ds.agents}
    rated = 0
    for t in ds.tickets:
        answered = t.target_status != "new"
        assert (t.agent_reply is not None) == answered
        assert (t.agent_email is not None) == answered
        if t.target_status == "new":
            assert t.agent_reply is None and t.internal_note is None
        if t.agent_reply is not None:
            has_cjk = bool(re.search(r"[\u4e00-\u9fff]", t.agent_reply))
            assert has_cjk == (t.language == "zh"), t.agent_reply
        if t.agent_email is not None:
            agent = agents[t.agent_email]
            assert agent.role in ("agent", "supervisor")
        if t.rating is not None:
            rated += 1
            assert t.target_status in ("solved", "closed")
            assert 1 <= t.rating <= 5 and t.rating_comment
        else:
            assert t.rating_comment is None
        assert "{" not in t.body and "{" not in (t.agent_reply or "")
    assert sum(t.agent_reply is not None for t in ds.tickets) >= 20
    assert 0 < rated < sum(t.target_status in ("solved", "closed") for t in ds.tickets)
    assert any(a.rating is not None and a.rating <= 2 for a in ds.tickets)


def test_ticket_orders_belong_to_the_customer(
    ds: DemoDataset, by_order: dict[str, list[dict[str, Any]]]
) -> None:
    customers = {c.external_id: c for c in ds.customers}
    orders = {o.order_ref: o for o in ds.orders}
    linked = text_only = 0
    for t in ds.tickets:
        customer = customers[t.customer_external_id]
        assert customer.language == t.language
        has_cjk = bool(re.search(r"[\u4e00-\u9fff]", t.body + t.subject))
        assert has_cjk == (t.language == "zh"), t.body
        assert (customer.role == "seller") == (t.intent in SELLER_INTENTS) or t.intent in (
            "account",
            "other",
        )
        mentioned = set(re.findall(r"JS\d{14}", t.body))
        refs = mentioned | ({t.order_ref} if t.order_ref else set())
        assert len(refs) <= 1
        if t.order_ref is None and mentioned:
            text_only += 1
        for ref in refs:
            linked += 1
            order = orders[ref]
            owner = order.seller_ref if customer.role == "seller" else order.buyer_ref
            assert owner == t.customer_external_id, (t.subject, ref)
            assert order.state in STATES_FOR_INTENT[t.intent], (t.subject, order.state)
            if t.intent == "digital_delivery":
                assert order.kind == "digital"
            last_event = _time(by_order[ref][-1]["occurred_at"])
            assert last_event < NOW - timedelta(minutes=t.created_offset_minutes)
    assert linked >= 20
    assert text_only >= 5


# --- determinism --------------------------------------------------------------------------------


def test_deterministic(ds: DemoDataset) -> None:
    again = build_dataset(NOW)
    assert again == ds
    assert build_dataset(NOW.replace(tzinfo=None)) == ds  # naive means UTC


def test_other_seed_differs(ds: DemoDataset) -> None:
    other = build_dataset(NOW, seed=8)
    assert other.customers != ds.customers
    assert [e["id"] for e in other.events] != [e["id"] for e in ds.events]
    assert len(other.orders) == len(ds.orders)
    assert {o.state for o in other.orders} == set(ORDER_STATES)
