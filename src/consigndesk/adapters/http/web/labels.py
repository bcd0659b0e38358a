"""Human labels for stored codes (statuses, intents …) and timeline sentences, translated."""

from __future__ import annotations

from typing import Any

from consigndesk.adapters.http.web.templating import N_, gettext
from consigndesk.domain.answers import HANDOFF_WHY

LABELS: dict[str, dict[str, str]] = {
    "status": {
        "new": N_("New"),
        "open": N_("Open"),
        "pending": N_("Pending"),
        "solved": N_("Solved"),
        "closed": N_("Closed"),
    },
    # What a customer reads for the same statuses.
    "customer_status": {
        "new": N_("Received"),
        "open": N_("In progress"),
        "pending": N_("Waiting for your reply"),
        "solved": N_("Solved"),
        "closed": N_("Closed"),
    },
    "priority": {
        "P1": N_("Urgent"),
        "P2": N_("High"),
        "P3": N_("Normal"),
        "P4": N_("Low"),
    },
    "intent": {
        "logistics": N_("Logistics"),
        "digital_delivery": N_("Digital delivery"),
        "return_refund": N_("Return / refund"),
        "cancel_order": N_("Cancel order"),
        "payment": N_("Payment"),
        "seller_payout": N_("Seller payout"),
        "listing": N_("Listing"),
        "dispute": N_("Dispute"),
        "account": N_("Account"),
        "product_question": N_("Product question"),
        "complaint": N_("Complaint"),
        "other": N_("Other"),
    },
    "channel": {
        "chat": N_("Chat"),
        "email": N_("Email"),
        "voice": N_("Phone"),
        "api": N_("API"),
        "web": N_("Web"),
    },
    "author": {
        "customer": N_("Customer"),
        "agent": N_("Agent"),
        "ai": N_("AI assistant"),
        "system": N_("System"),
    },
    "order_status": {
        "created": N_("Awaiting payment"),
        "paid": N_("Paid"),
        "shipped": N_("Shipped"),
        "delivered": N_("Delivered"),
        "cancelled": N_("Cancelled"),
        "refunded": N_("Refunded"),
        "completed": N_("Completed"),
        "unknown": N_("Unknown"),
    },
    "logistics": {
        "in_transit": N_("In transit"),
        "out_for_delivery": N_("Out for delivery"),
        "delivered": N_("Delivered"),
        "exception": N_("Exception"),
        "returned": N_("Returned"),
    },
    "item_kind": {"physical": N_("Physical"), "digital": N_("Digital")},
    "payment_method": {
        "alipay": N_("Alipay"),
        "wechat_pay": N_("WeChat Pay"),
        "bank_card": N_("Bank card"),
        "balance": N_("Account balance"),
    },
    "settlement": {"scheduled": N_("Scheduled"), "paid": N_("Paid out")},
    "order_link": {
        "explicit": N_("chosen by the customer"),
        "text": N_("found in the message"),
        "recent_open": N_("the customer's latest open order"),
        "none": N_("not linked"),
    },
    "field": {
        "priority": N_("Priority"),
        "group": N_("Group"),
        "intent": N_("Intent"),
        "assignee_id": N_("Assignee"),
        "tags": N_("Tags"),
    },
    "sentiment": {
        "negative": N_("Negative"),
        "neutral": N_("Neutral"),
        "positive": N_("Positive"),
    },
    "emotion": {"anger": N_("Anger"), "anxiety": N_("Anxiety"), "none": N_("None")},
    "role": {"buyer": N_("Buyer"), "seller": N_("Seller")},
    "team": {"in_house": N_("In-house"), "outsourced": N_("Outsourced")},
    "language": {"zh": N_("Chinese"), "en": N_("English")},
    "article_status": {"draft": N_("Draft"), "published": N_("Published")},
    "agent_role": {"agent": N_("Agent"), "supervisor": N_("Supervisor"), "admin": N_("Admin")},
}


# Reasons the system itself writes into the timeline; agents' own reasons are shown as typed.
SYSTEM_REASONS: dict[str, str] = {
    "customer wrote again": N_("the customer wrote again"),
    "first agent reply": N_("first agent reply"),
    "assigned": N_("assigned"),
    "set with the reply": N_("set with the reply"),
    "routed on arrival": N_("routed on arrival"),
    "capacity freed": N_("an agent had free capacity"),
    "re-routed: the previous agent went offline": N_("re-routed: the previous agent went offline"),
    "offered when the agent came online": N_("offered when the agent came online"),
    "pulled from the queue (next ticket)": N_("taken from the queue (next ticket)"),
    "the customer confirmed the AI answer solved it": N_(
        "the customer confirmed the AI answer solved it"
    ),
}


# The assistant's hand-off reasons are msgids already (domain.answers).
SYSTEM_REASONS.update({why: why for why in HANDOFF_WHY.values()})
SYSTEM_REASONS["answered by the assistant; waiting on the customer"] = N_(
    "answered by the assistant; waiting on the customer"
)


def reason(text: str | None) -> str:
    """A timeline reason, translated when the system wrote it."""
    if not text:
        return ""
    msgid = SYSTEM_REASONS.get(text)
    return gettext(msgid) if msgid else text


def label(kind: str, value: Any) -> str:
    """The translated label of a stored code, or the code itself when it has none."""
    if value is None:
        return ""
    msgid = LABELS.get(kind, {}).get(str(value))
    return gettext(msgid) if msgid else str(value)


def _field_value(field: str, value: Any, names: dict[str, dict[Any, str]]) -> str:
    if value is None or value == "" or value == []:
        return gettext("(none)")
    if field == "assignee_id":
        return names["agents"].get(value, f"#{value}")
    if field == "group":
        return names["groups"].get(value, str(value))
    if field == "intent":
        return label("intent", value)
    if field == "priority":
        return f"{value} {label('priority', value)}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe(row: dict[str, Any], names: dict[str, dict[Any, str]]) -> str:
    """One timeline row as a sentence: what happened (who and when are shown beside it)."""
    action, detail = row["action"], row.get("detail") or {}
    if action == "ticket.created":
        return gettext("Ticket created via %(channel)s") % {
            "channel": label("channel", detail.get("channel"))
        }
    if action == "ticket.message_added":
        if detail.get("visibility") == "internal":
            return gettext("Internal note added")
        return {
            "customer": gettext("Customer wrote"),
            "agent": gettext("Agent replied"),
            "ai": gettext("AI assistant replied"),
        }.get(detail.get("author_type", ""), gettext("System notice sent"))
    if action == "ticket.status_changed":
        return gettext("Status: %(old)s → %(new)s") % {
            "old": label("status", detail.get("old")),
            "new": label("status", detail.get("new")),
        }
    if action == "ticket.field_changed":
        field = str(detail.get("field"))
        return gettext("%(field)s: %(old)s → %(new)s") % {
            "field": label("field", field),
            "old": _field_value(field, detail.get("old"), names),
            "new": _field_value(field, detail.get("new"), names),
        }
    if action == "ticket.order_linked":
        return gettext("Linked to order %(order)s (%(how)s)") % {
            "order": detail.get("order_ref", ""),
            "how": label("order_link", detail.get("how")),
        }
    if action == "ticket.triaged":
        result = detail.get("result") or {}
        return gettext("Triaged as %(intent)s, %(priority)s, group %(group)s") % {
            "intent": label("intent", result.get("intent")),
            "priority": result.get("priority", ""),
            "group": names["groups"].get(result.get("group"), result.get("group", "")),
        }
    if action == "ticket.rated":
        return gettext("Rated %(score)s of 5") % {"score": detail.get("score", "")}
    return action


def actor_name(row: dict[str, Any]) -> str:
    name = row.get("actor_name") or ""
    if row.get("actor_type") == "system":
        return gettext("System") + (f" ({name})" if name and name != "system" else "")
    return name or label("author", row.get("actor_type"))
