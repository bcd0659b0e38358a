"""Deterministic bilingual demo data: customers, agents, platform events and tickets."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from consigndesk.demo import catalogue as cat
from consigndesk.domain.taxonomy import DEFAULT_GROUP_FOR_INTENT, Intent

CST = timezone(timedelta(hours=8))
CURRENCY = "CNY"
WINDOW = timedelta(days=29, hours=12)  # every event falls inside the last ~30 days
CENT = Decimal("0.01")
US_AREAS = ("212", "415", "617", "312")

ORDER_STATES: tuple[str, ...] = (
    "created",  # placed, unpaid
    "paid",  # paid, not shipped (digital: card code not delivered yet)
    "in_transit",
    "out_for_delivery",
    "delivered",  # delivered, inside the buyer's confirmation window
    "exception",  # logistics exception: lost or delayed
    "returned",  # parcel back at the warehouse, refund pending
    "cancelled",
    "refunded",
    "digital_delivered",  # card code delivered, not settled yet
    "settlement_scheduled",
    "settled",
)

_VARIANT_STATE: dict[str, str] = {
    "created": "created",
    "paid": "paid",
    "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery",
    "delivered": "delivered",
    "exception_lost": "exception",
    "exception_delayed": "exception",
    "returned": "returned",
    "cancelled": "cancelled",
    "refunded_return": "refunded",
    "refunded_cancel": "refunded",
    "digital_delivered": "digital_delivered",
    "digital_delivered_redeemed": "digital_delivered",
    "settlement_scheduled": "settlement_scheduled",
    "settled": "settled",
}

# (variant, number of orders, probability that the order is for digital goods)
_QUOTAS: tuple[tuple[str, int, float], ...] = (
    ("created", 10, 0.3),
    ("paid", 16, 0.2),
    ("in_transit", 28, 0.0),
    ("out_for_delivery", 12, 0.0),
    ("delivered", 24, 0.0),
    ("exception_lost", 4, 0.0),
    ("exception_delayed", 6, 0.0),
    ("returned", 8, 0.0),
    ("cancelled", 14, 0.25),
    ("refunded_return", 8, 0.0),
    ("refunded_cancel", 4, 0.0),
    ("digital_delivered", 16, 1.0),
    ("digital_delivered_redeemed", 8, 1.0),
    ("settlement_scheduled", 16, 0.3),
    ("settled", 46, 0.3),
)

# How long ago (hours) the last event of a background order happened.
_END_AGE_HOURS: dict[str, tuple[float, float]] = {
    "created": (0.1, 20),
    "paid": (0.3, 40),
    "in_transit": (0.5, 30),
    "out_for_delivery": (0.1, 5),
    "delivered": (1, 156),
    "exception_lost": (12, 72),
    "exception_delayed": (3, 36),
    "returned": (6, 96),
    "cancelled": (1, 600),
    "refunded_return": (2, 600),
    "refunded_cancel": (2, 600),
    "digital_delivered": (0.1, 22),
    "digital_delivered_redeemed": (0.1, 22),
    "settlement_scheduled": (0.5, 30),
    "settled": (2, 600),
}

# Ticket age (minutes before now) by target status.
_TICKET_AGE_MINUTES: dict[str, tuple[int, int]] = {
    "new": (5, 240),
    "open": (45, 1800),
    "pending": (180, 2880),
    "solved": (1440, 5760),
    "closed": (2880, 9600),
}

# customer slots: (role, language, tier, count)
_CUSTOMER_SLOTS: tuple[tuple[str, str, str, int], ...] = (
    ("buyer", "zh", "vip", 3),
    ("buyer", "zh", "regular", 27),
    ("seller", "zh", "vip", 2),
    ("seller", "zh", "regular", 16),
    ("buyer", "en", "vip", 2),
    ("buyer", "en", "regular", 14),
    ("seller", "en", "vip", 1),
    ("seller", "en", "regular", 7),
)


# --- public data classes ------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCustomer:
    external_id: str
    role: str  # buyer | seller
    tier: str  # regular | vip
    name: str
    email: str
    phone: str
    language: str  # zh | en


@dataclass(frozen=True)
class DemoAgent:
    email: str
    name: str
    role: str  # agent | supervisor | admin
    team: str  # in_house | outsourced
    groups: tuple[str, ...]
    capacity: int
    vip: bool
    language: str  # zh | en


@dataclass(frozen=True)
class DemoOrder:
    """Summary of one order; the facts themselves are in the platform events."""

    order_ref: str
    buyer_ref: str
    seller_ref: str
    state: str  # one of ORDER_STATES, as implied by the order's events
    kind: str  # physical | digital
    amount: str


@dataclass(frozen=True)
class DemoTicket:
    customer_external_id: str
    channel: str  # chat | email | voice | api
    subject: str
    body: str
    order_ref: str | None
    language: str  # zh | en
    target_status: str  # new | open | pending | solved | closed
    agent_reply: str | None
    agent_email: str | None
    internal_note: str | None
    rating: int | None
    rating_comment: str | None
    created_offset_minutes: int  # minutes before `now`
    intent: str  # expected TAXONOMY.md intent (a label for checks, not an API field)


@dataclass(frozen=True)
class DemoDataset:
    customers: tuple[DemoCustomer, ...]
    agents: tuple[DemoAgent, ...]
    orders: tuple[DemoOrder, ...]
    events: tuple[dict[str, Any], ...]  # CONTRACTS.md platform events, sorted by occurred_at
    tickets: tuple[DemoTicket, ...]  # oldest first


# --- internal plans -----------------------------------------------------------------------------


@dataclass
class _Line:
    item: cat.CatalogueItem
    sku: str
    price: Decimal
    quantity: int


@dataclass
class _Step:
    type: str
    suffix: str
    delta: timedelta
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Plan:
    variant: str
    digital: bool
    buyer: DemoCustomer
    seller: DemoCustomer
    lines: list[_Line]
    end_age: timedelta
    steps: list[_Step] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    ref: str = ""
    carrier: cat.Carrier | None = None
    tracking_no: str = ""
    eta: datetime | None = None  # current carrier estimate for parcels still on the way
    settle_at: datetime | None = None  # a scheduled settlement still ahead of now
    last_location: str = ""
    card_last4: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        return _VARIANT_STATE[self.variant]

    @property
    def amount(self) -> Decimal:
        return sum((ln.price * ln.quantity for ln in self.lines), Decimal("0.00"))

    @property
    def fee_rate(self) -> Decimal:
        return max(Decimal(ln.item.fee_rate) for ln in self.lines)

    @property
    def fee(self) -> Decimal:
        return (self.amount * self.fee_rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _iso(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat()


def _round_up_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0) + timedelta(hours=1)


def _evening(moment: datetime) -> datetime:
    """Carriers promise delivery "by 21:00" on a given day."""
    return moment.replace(hour=21, minute=0, second=0)


# --- builder ------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, now: datetime, seed: int) -> None:
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self.now = now.astimezone(CST).replace(microsecond=0)
        self.rng = random.Random(seed)
        self.customers: list[DemoCustomer] = []
        self.city: dict[str, cat.City] = {}
        self.agents = [DemoAgent(**vars(spec)) for spec in cat.AGENTS]
        self.plans: list[_Plan] = []
        self.tracking_numbers: set[str] = set()
        self.ticket_use: dict[str, int] = {}
        self.seller_weight: dict[str, int] = {}

    # ---- small random helpers

    def _minutes(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=max(1, round(self.rng.uniform(low, high) * 60)))

    def _digits(self, count: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(count))

    # ---- customers

    def build_customers(self) -> None:
        rng = self.rng
        slots = [(role, lang, tier) for role, lang, tier, n in _CUSTOMER_SLOTS for _ in range(n)]
        rng.shuffle(slots)
        names: set[str] = {a.name for a in self.agents}
        emails: set[str] = set()
        phones: set[str] = set()
        for index, (role, lang, tier) in enumerate(slots):
            while True:
                if lang == "zh":
                    (sur, sur_py), (given, given_py) = (
                        rng.choice(cat.ZH_SURNAMES),
                        rng.choice(cat.ZH_GIVEN),
                    )
                    name = sur + given
                    local = rng.choice(
                        (
                            f"{sur_py}{given_py}{rng.randint(1, 99):02d}",
                            f"{given_py}.{sur_py}",
                            f"{sur_py}_{given_py}{rng.randint(1975, 2004)}",
                        )
                    )
                    domain = rng.choice(cat.ZH_EMAIL_DOMAINS)
                    phone = (
                        f"+86 {rng.choice(cat.ZH_MOBILE_PREFIXES)} {self._digits(4)} "
                        f"{self._digits(4)}"
                    )
                else:
                    first, last = rng.choice(cat.EN_FIRST), rng.choice(cat.EN_LAST)
                    name = f"{first} {last}"
                    plain = last.replace("'", "").lower()
                    local = rng.choice(
                        (
                            f"{first.lower()}.{plain}",
                            f"{first[0].lower()}{plain}{rng.randint(1, 99)}",
                        )
                    )
                    domain = rng.choice(cat.EN_EMAIL_DOMAINS)
                    phone = rng.choice(
                        (
                            f"+1 {rng.choice(US_AREAS)} 555 01{self._digits(2)}",
                            f"+44 7700 900{self._digits(3)}",
                        )
                    )
                email = f"{local}@{domain}"
                if name not in names and email not in emails and phone not in phones:
                    break
            names.add(name)
            emails.add(email)
            phones.add(phone)
            customer = DemoCustomer(
                external_id=f"u{10001 + index}",
                role=role,
                tier=tier,
                name=name,
                email=email,
                phone=phone,
                language=lang,
            )
            self.customers.append(customer)
            self.city[customer.external_id] = rng.choice(cat.CITIES)
            if role == "seller":
                # a few busy consigners, many occasional ones
                self.seller_weight[customer.external_id] = rng.choice((1, 1, 1, 2, 3, 6))

    def _pick_customer(
        self, role: str, lang: str | None = None, vip: bool | None = None
    ) -> list[DemoCustomer]:
        return [
            c
            for c in self.customers
            if c.role == role
            and (lang is None or c.language == lang)
            and (vip is None or (c.tier == "vip") == vip)
        ]

    def _buyer(self) -> DemoCustomer:
        return self.rng.choice(self._pick_customer("buyer"))

    def _seller(self) -> DemoCustomer:
        sellers = self._pick_customer("seller")
        weights = [self.seller_weight[s.external_id] for s in sellers]
        return self.rng.choices(sellers, weights=weights)[0]

    def _ticket_customer(self, role: str, lang: str, vip: bool) -> DemoCustomer:
        pool = self._pick_customer(role, lang, vip)
        least = min(self.ticket_use.get(c.external_id, 0) for c in pool)
        chosen = self.rng.choice(
            [c for c in pool if self.ticket_use.get(c.external_id, 0) == least]
        )
        self.ticket_use[chosen.external_id] = least + 1
        return chosen

    # ---- orders

    def _line(self, item: cat.CatalogueItem, quantity: int = 1) -> _Line:
        if item.kind == "digital":
            return _Line(item, item.sku, Decimal(item.low).quantize(CENT), quantity)
        step = self.rng.choice((10, 50, 100))
        price = self.rng.randint(item.low // step, item.high // step) * step
        if step == 10 and self.rng.random() < 0.5:
            price -= 1  # the odd seller who likes prices ending in 9
        sku = f"{item.sku}-{self.rng.randint(1000, 9999)}"
        return _Line(item, sku, Decimal(price).quantize(CENT), 1)

    def _lines(self, digital: bool, lang: str, item_key: str | None, strict: bool) -> list[_Line]:
        rng = self.rng
        kind = "digital" if digital else "physical"
        if item_key is not None:
            first = next(i for i in cat.ITEMS if i.key == item_key)
        else:
            pool = [i for i in cat.ITEMS if i.kind == kind]
            preferred = [i for i in pool if i.lang == lang]
            first = rng.choice(preferred if strict or rng.random() < 0.8 else pool)
        if digital:
            return [self._line(first, rng.choice((1, 1, 1, 1, 2, 3)))]
        lines = [self._line(first)]
        if item_key is None and not strict and rng.random() < 0.12:
            extra = rng.choice([i for i in cat.ITEMS if i.kind == "physical" and i != first])
            lines.append(self._line(extra))
        return lines

    def add_order(
        self,
        variant: str,
        digital: bool,
        buyer: DemoCustomer,
        seller: DemoCustomer,
        end_age: timedelta,
        item_key: str | None = None,
        title_lang: str | None = None,
    ) -> _Plan:
        """Plan one order; `title_lang` forces item titles in that language (ticket orders)."""
        lines = self._lines(digital, title_lang or buyer.language, item_key, title_lang is not None)
        plan = _Plan(variant, digital, buyer, seller, lines, end_age)
        plan.steps = self._steps(plan)
        self._schedule(plan)
        self.plans.append(plan)
        return plan

    def build_background_orders(self) -> None:
        rng = self.rng
        for variant, count, digital_share in _QUOTAS:
            for _ in range(count):
                digital = rng.random() < digital_share
                low, high = _END_AGE_HOURS[variant]
                if digital and variant in ("created", "paid"):
                    low, high = 0.05, 0.45  # card codes sell fast; unpaid ones lapse in 30 min
                end_age = timedelta(seconds=round(rng.uniform(low, high) * 3600))
                self.add_order(variant, digital, self._buyer(), self._seller(), end_age)

    # ---- order timelines

    def _steps(self, plan: _Plan) -> list[_Step]:
        rng = self.rng
        variant, lang = plan.variant, plan.buyer.language
        zh = lang == "zh"
        li = 0 if zh else 1
        steps = [_Step("order.created", "created", timedelta(0))]
        if variant == "created":
            return steps
        if variant == "cancelled":
            why = "timeout" if rng.random() < 0.6 else "buyer"
            if why == "timeout":  # unpaid orders lapse after 24 h (digital goods: 30 min)
                delta = timedelta(minutes=30) if plan.digital else timedelta(hours=24)
            else:
                delta = self._minutes(2, 60)
            steps.append(
                _Step(
                    "order.cancelled", "cancelled", delta, {"reason": cat.CANCEL_REASONS[why][li]}
                )
            )
            return steps
        method = rng.choices(cat.PAYMENT_METHODS, weights=cat.PAYMENT_WEIGHTS)[0]
        steps.append(_Step("order.paid", "paid", self._minutes(1, 40), {"method": method}))
        if variant == "paid":
            return steps
        if variant == "refunded_cancel":
            why = rng.choice(("buyer", "stock"))
            steps.append(
                _Step(
                    "order.cancelled",
                    "cancelled",
                    self._minutes(60, 1200),
                    {"reason": cat.CANCEL_REASONS[why][li]},
                )
            )
            steps.append(
                _Step("order.refunded", "refunded", self._minutes(5, 60), {"reason": "cancel"})
            )
            return steps
        if plan.digital:
            return steps + self._digital_steps(plan)
        return steps + self._physical_steps(plan)

    def _digital_steps(self, plan: _Plan) -> list[_Step]:
        rng = self.rng
        line = plan.lines[0]
        redeemed_all = plan.variant == "digital_delivered_redeemed"
        steps: list[_Step] = []
        for unit in range(1, line.quantity + 1):
            last4 = "".join(rng.choice(cat.CARD_CODE_ALPHABET) for _ in range(4))
            plan.card_last4.append(last4)
            redeemed = True if redeemed_all and unit == 1 else rng.random() < 0.3
            if plan.variant == "digital_delivered" and unit == 1:
                redeemed = False
            delta = self._minutes(0.3, 2) if unit == 1 else timedelta(seconds=rng.randint(1, 5))
            steps.append(
                _Step(
                    "card_code.delivered",
                    f"card-{unit}",
                    delta,
                    {"sku": line.sku, "code_last4": last4, "redeemed": redeemed},
                )
            )
        steps.append(_Step("order.delivered", "delivered", timedelta(seconds=rng.randint(2, 30))))
        return steps + self._settlement_steps(plan, confirm=(60, 24 * 60))

    def _settlement_steps(self, plan: _Plan, confirm: tuple[float, float]) -> list[_Step]:
        if plan.state not in ("settlement_scheduled", "settled"):
            return []
        steps = [_Step("settlement.scheduled", "settlement-scheduled", self._minutes(*confirm))]
        if plan.state == "settled":
            steps.append(
                _Step("settlement.paid", "settlement-paid", self._minutes(16 * 60, 30 * 60))
            )
        else:
            # payouts run at 10:00 on the next or the following day
            day = self.now + timedelta(days=self.rng.choice((1, 1, 2)))
            plan.settle_at = day.replace(hour=10, minute=0, second=0)
        return steps

    def _physical_steps(self, plan: _Plan) -> list[_Step]:
        rng = self.rng
        variant = plan.variant
        zh = plan.buyer.language == "zh"
        carrier = rng.choices(cat.CARRIERS, weights=cat.CARRIER_WEIGHTS)[0]
        plan.carrier = carrier
        plan.tracking_no = self._tracking(carrier)
        wh = rng.choice(cat.WAREHOUSES)
        dest = self.city[plan.buyer.external_id]
        carrier_name = carrier.zh if zh else carrier.en
        if zh:
            wh_site = f"{wh.zh}{wh.district_zh}仓"
            origin_hub, dest_hub = f"{wh.zh}转运中心", f"{dest.zh}转运中心"
            branch = f"{dest.zh}{dest.district_zh}营业部"
            doorstep = f"{dest.zh}市{dest.district_zh}区"
        else:
            wh_site = f"{wh.en} warehouse ({wh.district_en})"
            origin_hub, dest_hub = f"{wh.en} hub", f"{dest.en} hub"
            branch = f"{dest.en} {dest.district_en} branch"
            doorstep = f"{dest.district_en}, {dest.en}"
        courier = rng.choice(cat.COURIER_SURNAMES)
        courier_phone = f"1{rng.choice('3589')}{rng.randint(0, 9)}****{self._digits(4)}"

        def scan(status: str, where: str, zh_text: str, en_text: str, delta: timedelta) -> _Step:
            data = {
                "status": status,
                "location": where,
                "description": zh_text if zh else en_text,
            }
            return _Step("logistics.updated", "", delta, data)

        transit = [
            scan(
                "in_transit",
                wh_site,
                f"【{wh_site}】已揽收，快件已交付{carrier_name}",
                f"Picked up at {wh_site} by {carrier_name}",
                self._minutes(60, 240),
            ),
            scan(
                "in_transit",
                origin_hub,
                f"快件已从【{origin_hub}】发出，下一站【{dest_hub}】",
                f"Departed {origin_hub}, next stop {dest_hub}",
                self._minutes(180, 480),
            ),
            scan(
                "in_transit",
                dest_hub,
                f"快件已到达【{dest_hub}】",
                f"Arrived at {dest_hub}",
                self._minutes(480, 1800),
            ),
            scan(
                "in_transit",
                branch,
                f"快件已到达【{branch}】，正在分拣",
                f"Arrived at {branch}, sorting",
                self._minutes(120, 360),
            ),
        ]
        out_for_delivery = scan(
            "out_for_delivery",
            branch,
            f"快件派送中，派送员：{courier}师傅，电话 {courier_phone}",
            f"Out for delivery, courier tel. {courier_phone}",
            self._minutes(60, 180),
        )
        sign_off = rng.randrange(len(cat.SIGN_OFFS_ZH))
        delivered = scan(
            "delivered",
            doorstep,
            f"快件已签收，签收方式：{cat.SIGN_OFFS_ZH[sign_off]}",
            f"Delivered, {cat.SIGN_OFFS_EN[sign_off]}",
            self._minutes(60, 300),
        )
        steps = [_Step("order.shipped", "shipped", self._minutes(60, 36 * 60))]
        if variant == "in_transit":
            steps += transit[: rng.randint(1, 4)]
            plan.eta = _evening(self.now + self._minutes(12 * 60, 72 * 60))
        elif variant == "out_for_delivery":
            steps += [*transit, out_for_delivery]
            plan.eta = _round_up_hour(self.now + self._minutes(60, 5 * 60))
        elif variant == "exception_delayed":
            steps += transit[:2]
            steps.append(
                scan(
                    "exception",
                    origin_hub,
                    "受恶劣天气影响，干线运输延误，预计晚到1-2天",
                    "Line-haul delayed by severe weather, expect a 1-2 day delay",
                    self._minutes(360, 1800),
                )
            )
            plan.eta = _evening(self.now + self._minutes(30 * 60, 72 * 60))
        elif variant == "exception_lost":
            steps += transit[:3]
            steps.append(
                scan(
                    "exception",
                    dest_hub,
                    f"快件在【{dest_hub}】滞留超过72小时，疑似丢失，承运商已登记核查",
                    f"Parcel held at {dest_hub} for over 72 hours, suspected lost; "
                    "carrier investigation opened",
                    self._minutes(72 * 60, 96 * 60),
                )
            )
        else:
            refused = variant in ("returned", "refunded_return") and rng.random() < 0.35
            steps += [*transit, out_for_delivery]
            if refused:
                steps.append(
                    scan(
                        "exception",
                        branch,
                        "收件人拒收，快件将退回寄件方",
                        "Refused by the recipient, returning to sender",
                        self._minutes(60, 180),
                    )
                )
                steps.append(
                    scan(
                        "returned",
                        wh_site,
                        f"快件已退回【{wh_site}】，寄件方已签收",
                        f"Returned to {wh_site} and signed for by the sender",
                        self._minutes(48 * 60, 96 * 60),
                    )
                )
            else:
                steps += [
                    delivered,
                    _Step("order.delivered", "delivered", self._minutes(1, 3)),
                ]
                if variant in ("returned", "refunded_return"):
                    back = scan(
                        "returned",
                        wh_site,
                        f"买家退货已寄回【{wh_site}】并签收，等待质检",
                        f"Buyer's return received at {wh_site}, awaiting inspection",
                        self._minutes(48 * 60, 120 * 60),
                    )
                    back.data["return_tracking_no"] = self._tracking(carrier)
                    back.data["direction"] = "return"
                    steps.append(back)
            if variant == "refunded_return":
                reason = "refused" if refused else "return"
                steps.append(
                    _Step(
                        "order.refunded",
                        "refunded",
                        self._minutes(180, 48 * 60),
                        {"reason": reason},
                    )
                )
            steps += self._settlement_steps(plan, confirm=(60, 7 * 24 * 60))
        scans = [s for s in steps if s.type == "logistics.updated"]
        for number, step in enumerate(scans, start=1):
            step.suffix = f"scan-{number:02d}"
        if scans:
            plan.last_location = scans[-1].data["location"]
        return steps

    def _tracking(self, carrier: cat.Carrier) -> str:
        while True:
            number = carrier.prefix + self._digits(carrier.digits)
            if number not in self.tracking_numbers:
                self.tracking_numbers.add(number)
                return number

    def _schedule(self, plan: _Plan) -> None:
        """Place the steps in time so the last one happened `end_age` before now."""
        end_age = min(plan.end_age, WINDOW - timedelta(hours=2))
        deltas = [s.delta for s in plan.steps[1:]]
        total = sum(deltas, timedelta(0))
        room = WINDOW - end_age
        if total > room:
            scale = room / total
            deltas = [timedelta(seconds=max(1, int(d.total_seconds() * scale))) for d in deltas]
        moment = self.now - end_age - sum(deltas, timedelta(0))
        plan.times = [moment]
        for delta in deltas:
            moment += delta
            plan.times.append(moment)

    # ---- refs and events

    def assign_refs(self) -> None:
        order = sorted(range(len(self.plans)), key=lambda i: (self.plans[i].times[0], i))
        sequence = self.rng.randint(100, 400)
        for index in order:
            plan = self.plans[index]
            sequence += self.rng.randint(1, 23)  # gaps: orders ConsignDesk never hears about
            plan.ref = f"JS{plan.times[0]:%Y%m%d}{sequence:06d}"

    def events(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for plan in self.plans:
            out.extend(self._render(plan))
        out.sort(key=lambda e: (datetime.fromisoformat(e["occurred_at"]), e["id"]))
        return out

    def _render(self, plan: _Plan) -> list[dict[str, Any]]:
        rng_digits = random.Random(f"{plan.ref}")  # stable per order, independent of order
        li = 0 if plan.buyer.language == "zh" else 1
        carrier = plan.carrier
        carrier_name = "" if carrier is None else (carrier.zh if li == 0 else carrier.en)
        settle_paid_at = next(
            (t for s, t in zip(plan.steps, plan.times, strict=True) if s.type == "settlement.paid"),
            None,
        )
        shipped_at = next(
            (t for s, t in zip(plan.steps, plan.times, strict=True) if s.type == "order.shipped"),
            None,
        )
        events = []
        for step, moment in zip(plan.steps, plan.times, strict=True):
            data: dict[str, Any] = {"order_ref": plan.ref}
            if step.type == "order.created":
                data.update(
                    buyer_ref=plan.buyer.external_id,
                    seller_ref=plan.seller.external_id,
                    currency=CURRENCY,
                    amount=_money(plan.amount),
                    items=[
                        {
                            "sku": ln.sku,
                            "title": ln.item.title,
                            "kind": ln.item.kind,
                            "price": _money(ln.price),
                            "quantity": ln.quantity,
                        }
                        for ln in plan.lines
                    ],
                )
            elif step.type == "order.paid":
                data.update(
                    payment_ref=f"PAY{plan.ref[2:]}{rng_digits.randint(1000, 9999)}",
                    amount=_money(plan.amount),
                    method=step.data["method"],
                )
            elif step.type == "order.shipped":
                assert carrier is not None
                data.update(
                    carrier=carrier_name, tracking_no=plan.tracking_no, carrier_code=carrier.code
                )
            elif step.type == "logistics.updated":
                assert carrier is not None
                data.update(
                    carrier=carrier_name,
                    tracking_no=plan.tracking_no,
                    carrier_code=carrier.code,
                    status=step.data["status"],
                    location=step.data["location"],
                    description=step.data["description"],
                )
                for extra in ("direction", "return_tracking_no"):
                    if extra in step.data:
                        data[extra] = step.data[extra]
                if step.data["status"] in ("in_transit", "out_for_delivery") or (
                    step.data["status"] == "exception" and plan.variant == "exception_delayed"
                ):
                    eta = plan.eta
                    if eta is None and shipped_at is not None:
                        eta = _evening(shipped_at + timedelta(days=3))
                    if eta is not None:
                        data["eta"] = _iso(eta)
            elif step.type == "order.cancelled":
                data["reason"] = step.data["reason"]
            elif step.type == "order.refunded":
                data.update(
                    refund_ref=f"RF{plan.ref[2:]}",
                    amount=_money(plan.amount),
                    reason=cat.REFUND_REASONS[step.data["reason"]][li],
                )
            elif step.type == "card_code.delivered":
                data.update(step.data)
            elif step.type == "settlement.scheduled":
                scheduled_at = settle_paid_at or plan.settle_at or self.now
                data.update(self._settlement_data(plan), scheduled_at=_iso(scheduled_at))
            elif step.type == "settlement.paid":
                data.update(
                    self._settlement_data(plan),
                    paid_at=_iso(moment),
                    payout_ref=f"PO{plan.ref[2:]}",
                )
            events.append(
                {
                    "id": f"evt-{plan.ref}-{step.suffix}",
                    "type": step.type,
                    "occurred_at": _iso(moment),
                    "data": data,
                }
            )
        return events

    def _settlement_data(self, plan: _Plan) -> dict[str, Any]:
        return {
            "seller_ref": plan.seller.external_id,
            "amount": _money(plan.amount - plan.fee),
            "currency": CURRENCY,
            "gross_amount": _money(plan.amount),
            "fee": _money(plan.fee),
            "fee_rate": str(plan.fee_rate),
        }

    # ---- tickets

    def plan_tickets(self) -> list[tuple[cat.TicketScript, DemoCustomer, _Plan | None, int]]:
        rng = self.rng
        planned = []
        for script in cat.TICKET_SCRIPTS:
            customer = self._ticket_customer(script.role, script.language, script.vip)
            low, high = _TICKET_AGE_MINUTES[script.status]
            offset = rng.randint(low, high)
            plan = None
            if script.order is not None:
                buyer = customer if script.role == "buyer" else self._buyer()
                seller = customer if script.role == "seller" else self._seller()
                gap = self._minutes(15, 90 if script.status == "new" else 600)
                plan = self.add_order(
                    script.order,
                    script.digital,
                    buyer,
                    seller,
                    timedelta(minutes=offset) + gap,
                    item_key=script.item,
                    title_lang=script.language,
                )
            planned.append((script, customer, plan, offset))
        return planned

    def _agent_for(self, script: cat.TicketScript) -> DemoAgent:
        if script.agent is not None:
            return next(a for a in self.agents if a.email == script.agent)
        group = DEFAULT_GROUP_FOR_INTENT[Intent(script.intent)]
        pool = [
            a
            for a in self.agents
            if a.role == "agent" and group in a.groups and a.language == script.language
        ]
        if script.vip and any(a.vip for a in pool):
            pool = [a for a in pool if a.vip]
        if not pool:
            pool = [a for a in self.agents if a.role == "supervisor"]
        return self.rng.choice(pool)

    def _fill(
        self, text: str, script: cat.TicketScript, who: DemoCustomer, plan: _Plan | None
    ) -> str:
        zh = script.language == "zh"
        values: dict[str, str] = {"first_name": who.name.split()[0]}

        def when(moment: datetime) -> str:
            return (
                f"{moment.month}月{moment.day}日 {moment:%H:%M}"
                if zh
                else f"{moment:%b} {moment.day}, {moment:%H:%M}"
            )

        def cny(amount: Decimal) -> str:
            return _money(amount) if zh else f"¥{_money(amount)}"

        if plan is not None:
            carrier = plan.carrier
            values.update(
                order_ref=plan.ref,
                title=plan.lines[0].item.title,
                amount=cny(plan.amount),
                settle_amount=cny(plan.amount - plan.fee),
                fee=cny(plan.fee),
                location=plan.last_location,
                tracking_no=plan.tracking_no,
                carrier="" if carrier is None else (carrier.zh if zh else carrier.en),
                last4=plan.card_last4[0] if plan.card_last4 else "",
                eta=when(plan.eta or _evening(self.now + timedelta(days=1))),
                scheduled=when(plan.settle_at or self.now),
            )
        return text.format(**values)

    def tickets(
        self, planned: Sequence[tuple[cat.TicketScript, DemoCustomer, _Plan | None, int]]
    ) -> list[DemoTicket]:
        out = []
        for script, customer, plan, offset in planned:
            answered = script.status != "new"
            agent = self._agent_for(script) if answered else None
            out.append(
                DemoTicket(
                    customer_external_id=customer.external_id,
                    channel=script.channel,
                    subject=self._fill(script.subject, script, customer, plan),
                    body=self._fill(script.body, script, customer, plan),
                    order_ref=plan.ref if plan is not None and script.link == "field" else None,
                    language=script.language,
                    target_status=script.status,
                    agent_reply=(
                        self._fill(script.reply, script, customer, plan)
                        if answered and script.reply
                        else None
                    ),
                    agent_email=agent.email if agent is not None else None,
                    internal_note=script.note if answered else None,
                    rating=script.rating if script.status in ("solved", "closed") else None,
                    rating_comment=(
                        script.rating_comment if script.status in ("solved", "closed") else None
                    ),
                    created_offset_minutes=offset,
                    intent=script.intent,
                )
            )
        out.sort(key=lambda t: -t.created_offset_minutes)
        return out


def build_dataset(now: datetime, seed: int = 7) -> DemoDataset:
    """Build the demo data set; the same (now, seed) always gives the same data."""
    builder = _Builder(now, seed)
    builder.build_customers()
    planned = builder.plan_tickets()
    builder.build_background_orders()
    builder.assign_refs()
    events = builder.events()
    tickets = builder.tickets(planned)
    orders = tuple(
        DemoOrder(
            order_ref=p.ref,
            buyer_ref=p.buyer.external_id,
            seller_ref=p.seller.external_id,
            state=p.state,
            kind="digital" if p.digital else "physical",
            amount=_money(p.amount),
        )
        for p in sorted(builder.plans, key=lambda p: p.ref)
    )
    return DemoDataset(
        customers=tuple(builder.customers),
        agents=tuple(builder.agents),
        orders=orders,
        events=tuple(events),
        tickets=tuple(tickets),
    )
