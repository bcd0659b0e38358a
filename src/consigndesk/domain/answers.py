"""Answer templates, the customer's "solved" / "human" replies, and the agent's hand-off summary.

Every sentence a customer reads is a gettext msgid (translated by the caller's `translate`), and
templates only fill facts that `answer_facts.ground` found in the data. Policy wording (refund
times, settlement cycles) is never written here: it comes from the knowledge-base article.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a msgid for extraction; translated where the customer's language is known."""
    return message


TEMPLATES: dict[str, str] = {
    "logistics.in_transit_eta": N_(
        "Your order %(order_ref)s is on its way with %(carrier)s (tracking number "
        "%(tracking_no)s). Last scan: %(location)s, %(last_scan)s. Expected delivery: %(eta)s."
    ),
    "logistics.in_transit": N_(
        "Your order %(order_ref)s is on its way with %(carrier)s (tracking number "
        "%(tracking_no)s). Last scan: %(location)s, %(last_scan)s."
    ),
    "logistics.out_for_delivery": N_(
        "Your order %(order_ref)s is out for delivery with %(carrier)s (tracking number "
        "%(tracking_no)s). Last scan: %(location)s, %(last_scan)s."
    ),
    "logistics.delivered": N_(
        "%(carrier)s reports your order %(order_ref)s as delivered (tracking number "
        "%(tracking_no)s): %(location)s, %(last_scan)s."
    ),
    "logistics.shipped": N_(
        "Your order %(order_ref)s was handed to %(carrier)s on %(shipped_at)s (tracking number "
        "%(tracking_no)s). The carrier has not reported a scan yet."
    ),
    "logistics.not_shipped": N_(
        "Your order %(order_ref)s was paid on %(paid_at)s and has not been shipped yet."
    ),
    "logistics.unpaid": N_(
        "Your order %(order_ref)s has not been paid yet, so it has not shipped."
    ),
    "digital.delivered": N_(
        "The card code for your order %(order_ref)s (%(item)s, ending in %(code_last4)s) was "
        "delivered on %(delivered_at)s; you can view it on the order page."
    ),
    "refund.issued": N_(
        "A refund of %(refund_amount)s for your order %(order_ref)s was issued on "
        "%(refunded_at)s (refund reference %(refund_ref)s)."
    ),
    "refund.return_process": N_(
        "Your order %(order_ref)s was delivered on %(delivered_at)s. The article below explains "
        "how returns and refunds work."
    ),
    "cancel.not_shipped": N_(
        "Your order %(order_ref)s has not been shipped yet, so it can still be cancelled or "
        "changed from the order page. The article below explains how."
    ),
    "order.cancelled": N_("Your order %(order_ref)s was cancelled on %(cancelled_at)s."),
    "payout.scheduled": N_(
        "Your payout of %(payout_amount)s for order %(order_ref)s is scheduled for "
        "%(scheduled_for)s."
    ),
    "payout.paid": N_(
        "Your payout of %(payout_amount)s for order %(order_ref)s was paid on %(paid_on)s "
        "(payout reference %(payout_ref)s)."
    ),
    "payout.none": N_(
        "No payout has been scheduled for order %(order_ref)s yet. The article below explains "
        "when consignment sales are settled."
    ),
    "kb.article": N_("Here is what our help centre says about this."),
}
ARTICLE_LINE = N_("From our help centre: %(title)s")
CLOSING = N_(
    'Did this answer your question? Reply "solved", or "talk to a human" and an agent will '
    "take over."
)
ETA_NOTICE = N_("An agent will reply in about %(minutes)d minutes.")
ETA_UNKNOWN = N_("An agent will reply as soon as possible.")
ETA_SOON = N_("An agent will reply within a minute or two.")
HUMAN_FOLLOWS = N_("A member of our team will look into this personally.")
RECEIPT = N_(
    "We have received your request %(reference)s. An agent will reply as soon as possible; you "
    "can follow its progress on your support page."
)
HANDOFF_NOTICE = N_("We are passing your request to an agent.")
SOLVED_NOTICE = N_("Thank you! We have marked your request as solved.")

SUMMARY_HEAD = N_("AI summary for the agent")
SUMMARY_ANSWERED = N_("The assistant answered: %(answer)s")
SUMMARY_DECLINED = N_("The assistant did not answer (%(reason)s).")
SUMMARY_FACTS = N_("Facts used: %(facts)s")
SUMMARY_ARTICLE = N_("Article used: %(title)s")
SUMMARY_WHY = N_("Handed off because: %(why)s")
HANDOFF_WHY: dict[str, str] = {
    "asked_for_human": N_("the customer asked for a human"),
    "wrote_again": N_("the customer wrote again after the AI answer"),
    "reopened": N_("the customer came back after confirming it was solved"),
}

MAX_EXCERPT = 320


@dataclass(frozen=True)
class Draft:
    """A composed reply and what grounds it."""

    body: str
    situation: str
    facts: dict[str, str]
    article: dict[str, Any] | None


def compose(
    translate: Translate,
    situation: str,
    facts: dict[str, str],
    article: dict[str, Any] | None,
    *,
    closing: bool = True,
) -> str:
    """The customer-facing text: the filled template, the article's own words, the closing."""
    parts = [translate(TEMPLATES[situation]) % facts]
    if article is not None:
        parts.append(translate(ARTICLE_LINE) % {"title": article["title"]})
        if article.get("excerpt"):
            parts.append(str(article["excerpt"]))
    if closing:
        parts.append(translate(CLOSING))
    return "\n\n".join(parts)


def excerpt(plain: str, limit: int = MAX_EXCERPT) -> str:
    """The article's opening, cut at a sentence end when one is near the limit."""
    text = " ".join(plain.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for mark in ("。", "；", ". ", "; "):
        at = cut.rfind(mark)
        if at > limit // 2:
            return cut[: at + len(mark)].strip()
    return cut.rstrip() + "…"


def eta_notice(translate: Translate, seconds_left: int | None) -> str:
    if seconds_left is None:
        return translate(ETA_UNKNOWN)
    minutes = -(-seconds_left // 60)
    if minutes <= 2:
        return translate(ETA_SOON)
    return translate(ETA_NOTICE) % {"minutes": minutes}


# --- the customer's reply to an answer ----------------------------------------------------------

SOLVED_REPLIES = frozenset(
    {
        "solved",
        "resolved",
        "thanks",
        "thank you",
        "thankyou",
        "thx",
        "ok thanks",
        "okay thanks",
        "thanks solved",
        "solved thanks",
        "that helps",
        "got it thanks",
        "解决了",
        "已解决",
        "问题解决了",
        "解决了谢谢",
        "谢谢",
        "谢谢你",
        "好的谢谢",
        "知道了谢谢",
        "明白了谢谢",
        "没问题了",
        "好的",
        "收到",
        "收到谢谢",
    }
)
HUMAN_PHRASES: tuple[str, ...] = (
    "转人工",
    "人工客服",
    "人工服务",
    "找人工",
    "要人工",
    "真人",
    "人工",
    "talk to a human",
    "speak to a human",
    "a human",
    "real person",
    "human agent",
    "live agent",
    "talk to an agent",
    "speak to an agent",
    "customer service agent",
)
HUMAN_WORDS = frozenset({"human", "agent", "operator", "representative"})


def _normalise(text: str) -> str:
    kept = [
        ch if not unicodedata.category(ch).startswith(("P", "S")) else " "
        for ch in text.lower().strip()
    ]
    return " ".join("".join(kept).split())


def classify_reply(text: str) -> str | None:
    """`solved`, `human`, or None. A request for a human anywhere wins; "solved" must be the
    whole (short) message, so an instruction hidden in a longer text never closes a ticket."""
    norm = _normalise(text)
    if any(p in norm for p in HUMAN_PHRASES) or norm in HUMAN_WORDS:
        return "human"
    squeezed = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", norm)
    if norm in SOLVED_REPLIES or squeezed in SOLVED_REPLIES:
        return "solved"
    return None


# --- the agent's summary ------------------------------------------------------------------------


def summary_note(
    translate: Translate,
    *,
    answer: str | None,
    decline_reason: str | None,
    facts: dict[str, str],
    article_title: str | None,
    why: str,
) -> str:
    """The internal note an agent reads first after a hand-off."""
    lines = [translate(SUMMARY_HEAD)]
    if answer:
        lines.append(translate(SUMMARY_ANSWERED) % {"answer": answer.split("\n\n")[0]})
    elif decline_reason:
        lines.append(translate(SUMMARY_DECLINED) % {"reason": decline_reason})
    if facts:
        shown = "; ".join(f"{k}={v}" for k, v in facts.items())
        lines.append(translate(SUMMARY_FACTS) % {"facts": shown})
    if article_title:
        lines.append(translate(SUMMARY_ARTICLE) % {"title": article_title})
    lines.append(translate(SUMMARY_WHY) % {"why": translate(HANDOFF_WHY.get(why, why))})
    return "\n".join(lines)
