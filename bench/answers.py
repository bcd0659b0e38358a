"""Auto-answer evaluation: customer questions against orders in given states.

Run: .venv/bin/python bench/answers.py [--cases bench/data/answer_cases.jsonl] [--database-url URL]
     [--verbose]

Each case (JSONL, zh and en) names a question, the order state it is asked about and what must
happen: `answer` with the listed facts, or `decline`. The bench builds every order from
contract-shaped platform events through `services.platform_events.apply_platform_event`, seeds
the starter knowledge base, turns the assistant on, and sends each question through
`TicketServices.receive_customer_message` with the real triage engine (the order is linked as the
platform's "contact support" button does: `order_ref` given). It then reads back the AI message:

- auto-resolution rate: answered / cases that should be answered (target >= 70 %);
- wrong answers: an answer missing an expected fact, or stating a number or code that is in
  neither the order data nor the article it quotes (target 0);
- auto-answers to disputes and complaints (target 0), and to other guarded cases.

Expected values are formatted here, independently of `domain.answer_facts`.
"""

# ruff: noqa: E402  (the path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Keep bench/ itself off the import path: scripts here must never shadow a library module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from consigndesk.adapters.db import queries
from consigndesk.bootstrap import App, build
from consigndesk.config import Settings
from consigndesk.domain.answer_guards import AnswerPolicy, unsupported_tokens
from consigndesk.domain.commands import CustomerData, ReceiveCustomerMessage
from consigndesk.services.admin import ensure_default_groups
from consigndesk.services.knowledge import get_article, seed_knowledge_base
from consigndesk.services.platform_events import apply_platform_event

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 11, 18, 1, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
CARRIERS = ("SF Express", "JD Logistics", "ZTO Express", "YTO Express")
PLACES = ("杭州转运中心", "Shanghai Pudong hub", "广州白云分拣中心", "Beijing Shunyi depot")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def md_hm(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def md(moment: datetime) -> str:
    local = moment.astimezone(SHANGHAI)
    return f"{local.month:02d}-{local.day:02d}"


class OrderBuilder:
    """Platform events for one order in a named state, and the facts an answer must carry."""

    def __init__(self, index: int, buyer: str, seller: str) -> None:
        self.i = index
        self.ref = f"JS2026{index:010d}"
        self.buyer, self.seller = buyer, seller
        self.events: list[dict[str, Any]] = []
        self.facts: dict[str, str] = {"order_ref": self.ref}
        self.carrier = CARRIERS[index % len(CARRIERS)]
        self.tracking = f"{'SJZY'[index % 4]}T{7_000_000_000 + index * 7919}"
        self.place = PLACES[index % len(PLACES)]
        self.amount = f"{100 + index * 13}.{index % 100:02d}"

    def _event(self, kind: str, hours: float, **data: Any) -> None:
        self.events.append(
            {
                "id": f"{self.ref}-{len(self.events)}-{kind}",
                "type": kind,
                "occurred_at": at(hours).isoformat(),
                "data": {"order_ref": self.ref, **data},
            }
        )

    def created(self, kind: str = "physical") -> None:
        title = "Steam 充值卡 100 元" if kind == "digital" else "二手 Sony A7 IV 相机"
        self._event(
            "order.created",
            0,
            buyer_ref=self.buyer,
            seller_ref=self.seller,
            currency="CNY",
            amount=self.amount,
            items=[
                {
                    "sku": f"SKU-{self.i}",
                    "title": title,
                    "kind": kind,
                    "price": self.amount,
                    "quantity": 1,
                }
            ],
        )
        self.facts["item"] = title

    def paid(self) -> None:
        hours = 1 + (self.i % 5) / 10
        self._event(
            "order.paid", hours, payment_ref=f"PAY-{self.i}", amount=self.amount, method="alipay"
        )
        self.facts["paid_at"] = md_hm(at(hours))

    def shipped(self) -> None:
        self._event("order.shipped", 20, carrier=self.carrier, tracking_no=self.tracking)
        self.facts |= {
            "carrier": self.carrier,
            "tracking_no": self.tracking,
            "shipped_at": md_hm(at(20)),
        }

    def scan(self, status: str, hours: float, eta_days: int | None = 2) -> None:
        data: dict[str, Any] = {
            "carrier": self.carrier,
            "tracking_no": self.tracking,
            "status": status,
            "location": self.place,
            "description": f"{status} @ {self.place}",
        }
        if eta_days is not None:
            eta = at(hours) + timedelta(days=eta_days)
            data["eta"] = eta.isoformat()
            self.facts["eta"] = md(eta)
        self._event("logistics.updated", hours, **data)
        self.facts |= {"location": self.place, "last_scan": md_hm(at(hours))}

    def build(self, state: str) -> None:
        digital = state.startswith("digital")
        self.created("digital" if digital else "physical")
        if state == "created":
            return
        self.paid()
        if state in ("paid", "digital_pending"):
            return
        if digital:
            self._event(
                "card_code.delivered",
                1.5,
                sku=f"SKU-{self.i}",
                code_last4=f"Q{self.i % 1000:03d}",
                redeemed=state == "digital_redeemed",
            )
            self.facts |= {"code_last4": f"Q{self.i % 1000:03d}", "delivered_at": md_hm(at(1.5))}
            return
        if state in ("cancelled", "refunded"):
            self._event("order.cancelled", 3, reason="buyer asked")
            self.facts["cancelled_at"] = md_hm(at(3))
            if state == "refunded":
                self._event(
                    "order.refunded",
                    4,
                    refund_ref=f"RF-{self.i}",
                    amount=self.amount,
                    reason="cancelled before shipping",
                )
                self.facts |= {
                    "refund_amount": f"¥{float(self.amount):,.2f}",
                    "refund_ref": f"RF-{self.i}",
                    "refunded_at": md_hm(at(4)),
                }
            return
        self.shipped()
        if state == "shipped":
            return
        if state in ("in_transit", "in_transit_no_eta"):
            self.scan("in_transit", 26.5, None if state == "in_transit_no_eta" else 2)
        elif state == "out_for_delivery":
            self.scan("out_for_delivery", 40, None)
        elif state == "exception":
            self.scan("exception", 30, None)
        else:  # delivered and the settlement states
            self.scan("delivered", 50, None)
            self._event("order.delivered", 50.5)
            self.facts["delivered_at"] = md_hm(at(50.5))
        if state.startswith("settlement"):
            payout = f"{float(self.amount) * 0.9:.2f}"
            self._event(
                "settlement.scheduled",
                80,
                seller_ref=self.seller,
                amount=payout,
                currency="CNY",
                scheduled_at=at(96).isoformat(),
            )
            self.facts |= {"payout_amount": f"¥{float(payout):,.2f}", "scheduled_for": md(at(96))}
            if state == "settlement_paid":
                self._event(
                    "settlement.paid",
                    97,
                    seller_ref=self.seller,
                    amount=payout,
                    currency="CNY",
                    paid_at=at(97).isoformat(),
                    payout_ref=f"PO-{self.i}",
                )
                self.facts |= {"paid_on": md(at(97)), "payout_ref": f"PO-{self.i}"}


def run_case(core: App, index: int, case: dict[str, Any]) -> dict[str, Any]:
    role = case.get("role", "buyer")
    customer = f"bench-{role}-{index}"
    order = OrderBuilder(
        index,
        customer if role == "buyer" else f"buyer-{index}",
        customer if role == "seller" else f"seller-{index}",
    )
    if case["state"] != "none":
        order.build(case["state"])
        for event in order.events:
            apply_platform_event(core.uow(), event)
    text = case["text"].replace("{ref}", order.ref)
    received = core.tickets.receive_customer_message(
        core.uow(),
        ReceiveCustomerMessage(
            customer=CustomerData(
                external_id=customer, role=role, tier=case.get("tier"), name="Bench"
            ),
            channel="api",
            body=text,
            order_ref=order.ref if case["state"] != "none" else None,
        ),
    )
    with core.database.read_sessions() as session:
        ticket = queries.ticket_detail(session, received.ticket_id)
    assert ticket is not None
    with core.read_uow() as uow:
        record = uow.answers.for_ticket(received.ticket_id) or {}
    answer = next((m["body"] for m in ticket["messages"] if m["author_type"] == "ai"), None)
    result: dict[str, Any] = {
        "id": case["id"],
        "kind": case["kind"],
        "lang": case["lang"],
        "expect": case["expect"],
        "answered": answer is not None,
        "intent": ticket["intent"],
        "confidence": ticket["intent_confidence"],
        "reason": record.get("reason"),
        "problems": [],
    }
    if answer is None:
        return result
    missing = [k for k in case["facts"] if order.facts.get(k, "\0") not in answer]
    article_text = ""
    if record.get("article"):
        found = get_article(core.read_uow(), record["article"]["id"], lang=ticket["language"])
        article_text = found["translations"][ticket["language"]]["body_md"]
    known = " ".join([*order.facts.values(), json.dumps(order.events), article_text])
    invented = unsupported_tokens(answer, known)
    result["problems"] = [f"missing {k}" for k in missing] + [f"invented {t}" for t in invented]
    result["answer"] = answer
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=str(HERE / "data" / "answer_cases.jsonl"))
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    cases = [json.loads(line) for line in Path(args.cases).read_text().splitlines() if line]
    folder = tempfile.mkdtemp(prefix="cd-answers-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    started = time.perf_counter()
    core = build(Settings(database_url=url, auto_answer=True))
    ensure_default_groups(core.uow())
    seed_knowledge_base(core.uow)
    assert core.tickets.answerer is not None
    core.tickets.answerer.policy = AnswerPolicy(enabled=True)
    results = [run_case(core, i, case) for i, case in enumerate(cases, start=1)]
    core.close()
    elapsed = time.perf_counter() - started
    report(results, elapsed, args)


def report(results: list[dict[str, Any]], elapsed: float, args: argparse.Namespace) -> None:
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    should = [r for r in results if r["expect"] == "answer"]
    answered_ok = [r for r in should if r["answered"]]
    answers = [r for r in results if r["answered"]]
    wrong = [r for r in answers if r["problems"]]
    contentious = [r for r in results if r["kind"] == "contentious" and r["answered"]]
    guarded = [r for r in results if r["kind"] in ("guarded", "no_facts") and r["answered"]]
    declines = [r for r in results if r["expect"] == "decline"]
    print(f"auto-answer evaluation · {len(results)} cases · rev {revision} · {elapsed:.1f} s")
    print(f"{'group':<28}{'cases':>6}{'answered':>10}")
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        key = f"{r['kind']} / {r['lang']}"
        groups[key]["cases"] += 1
        groups[key]["answered"] += int(r["answered"])
    for key in sorted(groups):
        print(f"{key:<28}{groups[key]['cases']:>6}{groups[key]['answered']:>10}")
    rate = len(answered_ok) / len(should) if should else 0.0
    print()
    print(f"auto-resolution rate   {len(answered_ok)}/{len(should)} = {rate:.1%}  (target >= 70%)")
    print(
        f"wrong-answer rate      {len(wrong)}/{len(answers)} = "
        f"{(len(wrong) / len(answers) if answers else 0):.1%}  (target 0)"
    )
    print(f"disputes/complaints answered  {len(contentious)}  (target 0)")
    print(f"other guarded / no-facts answered  {len(guarded)}")
    print(f"right declines         {sum(not r['answered'] for r in declines)}/{len(declines)}")
    for r in wrong + contentious + guarded:
        print(f"  ! {r['id']}: {r['problems'] or 'answered but should decline'}")
    missed = [r for r in should if not r["answered"]]
    for r in missed:
        print(f"  - not answered {r['id']}: {r['reason']} (triage {r['intent']} {r['confidence']})")
    if args.verbose:
        for r in answers:
            print(f"\n[{r['id']}] {r['answer']}")
    cases = Path(args.cases).resolve()
    shown = cases.relative_to(Path.cwd()) if cases.is_relative_to(Path.cwd()) else cases
    print(f"\nrerun: .venv/bin/python bench/answers.py --cases {shown}")


if __name__ == "__main__":
    main()
