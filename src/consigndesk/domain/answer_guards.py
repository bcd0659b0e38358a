"""When the assistant must stay quiet, and what a phrased reply may say.

Decisions come from triage labels, the customer's tier, the order data and these rules, never
from what a message asks for: text can only make the assistant more careful (the contentious-term
net below declines, it never unlocks an answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consigndesk.domain.taxonomy import Intent

AUTOMATABLE: frozenset[str] = frozenset(
    {
        Intent.LOGISTICS,
        Intent.DIGITAL_DELIVERY,
        Intent.RETURN_REFUND,
        Intent.CANCEL_ORDER,
        Intent.SELLER_PAYOUT,
        Intent.LISTING,
        Intent.PRODUCT_QUESTION,
        Intent.ACCOUNT,
    }
)
NEVER: dict[str, str] = {Intent.DISPUTE: "dispute", Intent.COMPLAINT: "complaint"}

# A safety net behind triage: wording that signals a dispute, a complaint or a threat.
CONTENTIOUS_TERMS: tuple[str, ...] = (
    "投诉",
    "假货",
    "是假的",
    "骗子",
    "诈骗",
    "欺诈",
    "仲裁",
    "平台介入",
    "举报",
    "12315",
    "消协",
    "律师",
    "起诉",
    "曝光",
    "货不对板",
    "complain",
    "counterfeit",
    "scam",
    "fraud",
    "lawyer",
    "sue you",
    "chargeback",
    "arbitrat",
    "not as described",
    "dispute",
)


@dataclass(frozen=True)
class AnswerPolicy:
    """Operator settings: answer at all, answer VIPs, and the confidence needed."""

    enabled: bool = True
    answer_vips: bool = False
    min_confidence: float = 0.6


@dataclass(frozen=True)
class Situation:
    """What the guards look at: triage labels of the first message and the customer's tier."""

    intent: str
    intent_confidence: float
    needs_human: bool
    priority: str
    emotion: str
    tier: str


def contentious(text: str) -> bool:
    low = text.lower()
    return any(term in low for term in CONTENTIOUS_TERMS)


def decline_reason(situation: Situation, policy: AnswerPolicy, text: str) -> str | None:
    """A machine reason why a human must answer, or None when the assistant may try."""
    if not policy.enabled:
        return "disabled"
    if situation.intent in NEVER:
        return NEVER[situation.intent]
    if situation.intent not in AUTOMATABLE:
        return "not_automatable"
    if situation.priority == "P1":
        return "priority_p1"
    if situation.emotion == "anger":
        return "anger"
    if situation.tier == "vip" and not policy.answer_vips:
        return "vip"
    if situation.needs_human or situation.intent_confidence < policy.min_confidence:
        return "low_confidence"
    if contentious(text):
        return "contentious"
    return None


# --- what a phrased (LLM) reply may say ---------------------------------------------------------

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_DIGITS = re.compile(r"\d+")
_CODE = re.compile(r"[A-Za-z]{1,4}\d{4,}")
_PROMISES = (
    "refund",
    "reimburs",
    "compensat",
    "guarantee",
    "promise",
    "退款",
    "退钱",
    "赔偿",
    "补偿",
    "保证",
    "承诺",
)
MAX_PHRASED = 1200


def without_scripts(text: str) -> str:
    """Drop `<script>`/`<style>` blocks with their content, keeping line structure."""
    return _SCRIPT.sub(" ", text)


def strip_tags(text: str) -> str:
    return " ".join(_TAG.sub(" ", text).split())


def unsupported_tokens(text: str, grounding: str) -> list[str]:
    """Numbers and codes (tracking numbers, references) in `text` that `grounding` lacks."""
    known_digits = set(_DIGITS.findall(grounding))
    known_codes = {c.upper() for c in _CODE.findall(grounding)}
    bad = [c for c in _CODE.findall(text) if c.upper() not in known_codes]
    bad += [d for d in _DIGITS.findall(text) if d not in known_digits and d.lstrip("0") != ""]
    return list(dict.fromkeys(bad))


def phrasing_problems(phrased: str, draft: str, language: str) -> list[str]:
    """Why a phrased reply may not replace the template draft (empty list: it may)."""
    text = strip_tags(phrased)
    problems = []
    if len(text) < 10:
        problems.append("empty")
    if len(text) > max(MAX_PHRASED, 2 * len(draft)):
        problems.append("too_long")
    bad = unsupported_tokens(text, draft)
    if bad:
        problems.append("unsupported:" + ",".join(bad[:5]))
    low, draft_low = text.lower(), draft.lower()
    for word in _PROMISES:
        if word in low and word not in draft_low:
            problems.append(f"promise:{word}")
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    if language == "zh" and han == 0:
        problems.append("language")
    if language == "en" and han > len(text) // 3:
        problems.append("language")
    return problems
