"""Macros: canned replies with {{placeholders}} for customer and order fields.

Admins and supervisors write them (one language each); agents apply one in a click and edit the
text before sending. Placeholders are filled from the ticket *as the agent may see it*, so an
outsourced agent's macro shows the same masked email or phone as the rest of their page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from consigndesk.domain.errors import InvalidInput, NotFound
from consigndesk.domain.knowledge import check_intents, check_language
from consigndesk.services.unit_of_work import UnitOfWork

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_0-9]+)\s*\}\}")
FIELDS: tuple[str, ...] = (
    "customer.name",
    "customer.id",
    "customer.email",
    "customer.phone",
    "ticket.reference",
    "order.ref",
    "order.status",
    "order.amount",
    "logistics.carrier",
    "logistics.tracking_no",
    "logistics.status",
    "logistics.location",
    "logistics.eta",
    "agent.name",
)
MAX_TITLE = 120
MAX_BODY = 5000


@dataclass
class MacroInput:
    title: str
    language: str
    body: str
    intents: list[str] = field(default_factory=list)


def _check(data: MacroInput) -> dict[str, Any]:
    title, body = data.title.strip(), data.body.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise InvalidInput(f"title must be 1-{MAX_TITLE} characters")
    if not 1 <= len(body) <= MAX_BODY:
        raise InvalidInput(f"body must be 1-{MAX_BODY} characters")
    unknown = sorted({p for p in PLACEHOLDER.findall(body) if p not in FIELDS})
    if unknown:
        raise InvalidInput(
            f"unknown placeholder(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}",
            code="unknown_placeholder",
        )
    return {
        "title": title,
        "language": check_language(data.language),
        "body": body,
        "intents": check_intents(data.intents),
    }


def list_macros(uow: UnitOfWork, language: str | None = None) -> list[dict[str, Any]]:
    with uow:
        rows: list[dict[str, Any]] = uow.macros.list(language)
        return rows


def create_macro(uow: UnitOfWork, data: MacroInput) -> int:
    with uow:
        macro_id: int = uow.macros.add(_check(data))
        uow.commit()
        return macro_id


def update_macro(uow: UnitOfWork, macro_id: int, data: MacroInput) -> None:
    with uow:
        if not uow.macros.update(macro_id, _check(data)):
            raise NotFound(f"macro {macro_id} not found")
        uow.commit()


def delete_macro(uow: UnitOfWork, macro_id: int) -> None:
    with uow:
        if not uow.macros.delete(macro_id):
            raise NotFound(f"macro {macro_id} not found")
        uow.commit()


def macro_context(ticket: dict[str, Any], agent_name: str = "") -> dict[str, str]:
    """Placeholder values from a ticket detail (already masked for the viewer)."""
    customer = ticket.get("customer") or {}
    order = ticket.get("order") or {}
    logistics = order.get("logistics") or {}
    values: dict[str, Any] = {
        "customer.name": customer.get("name") or customer.get("external_id"),
        "customer.id": customer.get("external_id"),
        "customer.email": customer.get("email"),
        "customer.phone": customer.get("phone"),
        "ticket.reference": ticket.get("reference"),
        "order.ref": order.get("order_ref"),
        "order.status": order.get("status"),
        "order.amount": _amount(order),
        "logistics.carrier": logistics.get("carrier"),
        "logistics.tracking_no": logistics.get("tracking_no"),
        "logistics.status": logistics.get("status"),
        "logistics.location": logistics.get("location"),
        "logistics.eta": str(logistics.get("eta") or "")[:10],
        "agent.name": agent_name,
    }
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


def _amount(order: dict[str, Any]) -> str | None:
    if not order.get("amount"):
        return None
    return f"{order.get('currency') or ''} {order['amount']}".strip()


def render_macro(body: str, context: dict[str, str]) -> tuple[str, list[str]]:
    """The filled text and the placeholders this ticket has no value for (left empty)."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in context:
            missing.append(key)
            return ""
        return context[key]

    return PLACEHOLDER.sub(fill, body), list(dict.fromkeys(missing))


DEFAULT_MACROS: tuple[MacroInput, ...] = (
    MacroInput(
        "物流进度",
        "zh",
        "您好 {{customer.name}}，您的订单 {{order.ref}} 由 {{logistics.carrier}} 承运，运单号 "
        "{{logistics.tracking_no}}，最新位置：{{logistics.location}}。如有其他问题请随时联系我们。",
        ["logistics"],
    ),
    MacroInput(
        "Tracking update",
        "en",
        "Hello {{customer.name}}, your order {{order.ref}} is with {{logistics.carrier}} "
        "(tracking number {{logistics.tracking_no}}); latest location: {{logistics.location}}. "
        "Let us know if there is anything else we can do.",
        ["logistics"],
    ),
    MacroInput(
        "请提供照片",
        "zh",
        "您好 {{customer.name}}，为了尽快处理订单 {{order.ref}} 的问题，"
        "请在此回复中上传商品及包装的照片（含快递面单）。收到后我们会在 24 小时内给您答复。",
        ["return_refund", "dispute"],
    ),
    MacroInput(
        "Ask for photos",
        "en",
        "Hello {{customer.name}}, to sort out the problem with order {{order.ref}} quickly, "
        "please reply with photos of the item and its packaging (including the shipping label). "
        "We will get back to you within 24 hours of receiving them.",
        ["return_refund", "dispute"],
    ),
    MacroInput(
        "结束语",
        "zh",
        "感谢您的耐心，{{customer.name}}。工单 {{ticket.reference}} 如还有问题，直接回复即可。"
        "—— {{agent.name}}",
    ),
    MacroInput(
        "Closing",
        "en",
        "Thank you for your patience, {{customer.name}}. If anything else comes up about "
        "{{ticket.reference}}, just reply here. — {{agent.name}}",
    ),
)


def seed_macros(uow_factory: Callable[[], UnitOfWork]) -> int:
    """The starter macros, once: only while no macro exists at all."""
    uow = uow_factory()
    with uow:
        if uow.macros.count():
            return 0
        for macro in DEFAULT_MACROS:
            uow.macros.add(_check(macro))
        uow.commit()
        return len(DEFAULT_MACROS)
