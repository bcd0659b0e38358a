"""Shaping read-model rows for a caller: masking for outsourced agents, hiding internal notes."""

from __future__ import annotations

import copy
from typing import Any

from consigndesk.adapters.http.deps import Principal
from consigndesk.domain.privacy import mask_address, mask_email, mask_phone, mask_text

ADDRESS_KEYS = {"address", "shipping_address", "receiver_address", "receiver_phone", "phone"}


def customer_for(who: Principal, customer: dict[str, Any]) -> dict[str, Any]:
    if not who.sees_masked_data:
        return customer
    return {
        **customer,
        "email": mask_email(customer.get("email")),
        "phone": mask_phone(customer.get("phone")),
    }


def order_for(who: Principal, order: dict[str, Any] | None) -> dict[str, Any] | None:
    if order is None or not who.sees_masked_data:
        return order
    masked = copy.deepcopy(order)
    extra = masked.get("extra") or {}
    for key in ADDRESS_KEYS & set(extra):
        value = extra[key]
        extra[key] = mask_phone(value) if "phone" in key else mask_address(value)
    return masked


def ticket_for(who: Principal, ticket: dict[str, Any]) -> dict[str, Any]:
    out = dict(ticket)
    out["customer"] = customer_for(who, ticket["customer"])
    out["order"] = order_for(who, ticket["order"])
    messages = ticket["messages"]
    if who.customer_external_id is not None:
        messages = [m for m in messages if m["visibility"] == "public"]
        out["timeline"] = [e for e in ticket["timeline"] if e["action"] in CUSTOMER_TIMELINE]
    if who.sees_masked_data:
        messages = [
            {**m, "body": mask_text(m["body"]), "body_html": mask_text(m["body_html"])}
            for m in messages
        ]
    out["messages"] = messages
    return out


# What a customer's progress timeline shows (not internal reassignments or triage details).
CUSTOMER_TIMELINE = {"ticket.created", "ticket.status_changed", "ticket.rated"}
