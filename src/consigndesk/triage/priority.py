"""Priority P1–P4 as a sum of configured, named factors; every factor that fires is a reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from consigndesk.domain.taxonomy import Priority
from consigndesk.domain.triage import TriageInput
from consigndesk.triage.rules import FactorRule, Rules
from consigndesk.triage.signals import SignalHit


@dataclass(frozen=True, slots=True)
class PriorityDecision:
    priority: Priority
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Context:
    text: str
    intent: str
    emotion: str
    tier: str
    signals: frozenset[str]


def _fires(factor: FactorRule, ctx: _Context) -> str | None:
    """Evidence that every condition of the factor holds, or None."""
    evidence = []
    if factor.keywords is not None:
        keyword = factor.keywords.find(ctx.text)
        if keyword is None:
            return None
        evidence.append(f"'{keyword}'")
    if factor.signals:
        matched = sorted(factor.signals & ctx.signals)
        if not matched:
            return None
        evidence.append("signal " + ",".join(matched))
    for wanted, actual, label in (
        (factor.emotions, ctx.emotion, "emotion"),
        (factor.tiers, ctx.tier, "tier"),
        (factor.intents, ctx.intent, "intent"),
    ):
        if wanted and actual not in wanted:
            return None
        if wanted:
            evidence.append(f"{label} {actual}")
    return " + ".join(evidence)


def _order_value(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _numeric_factors(item: TriageInput, rules: Rules) -> list[tuple[str, int, str]]:
    found = []
    amount = _order_value(item.order_value)
    if amount is not None:
        reached = [(limit, w) for limit, w in rules.order_value_steps if amount >= Decimal(limit)]
        if reached:
            limit, weight = max(reached)
            found.append(("order_value", weight, f"order value {amount} ≥ {limit:g}"))
    if item.repeat_contacts_72h > 0 and rules.repeat_weight_per_contact:
        weight = min(
            item.repeat_contacts_72h * rules.repeat_weight_per_contact, rules.repeat_max_weight
        )
        found.append(
            ("repeat_contact", weight, f"{item.repeat_contacts_72h} earlier contact(s) in 72 h")
        )
    if item.sla_seconds_left is not None:
        if item.sla_seconds_left <= 0:
            found.append(("sla_breached", rules.sla_breached_weight, "SLA already breached"))
        elif item.sla_seconds_left <= rules.sla_soon_seconds:
            found.append(
                ("sla_soon", rules.sla_soon_weight, f"SLA due in {item.sla_seconds_left // 60} min")
            )
    return found


def decide_priority(
    item: TriageInput, text: str, intent: str, emotion: str, hits: Sequence[SignalHit], rules: Rules
) -> PriorityDecision:
    """Sum the weights of the factors that fire, map the score to P1–P4, apply `at_least` floors."""
    ctx = _Context(text, intent, emotion, item.tier, frozenset(h.name for h in hits))
    reasons: list[str] = []
    score = 0
    floor = Priority.P4
    intent_weight = rules.intent_weights.get(intent, 0)
    if intent_weight:
        score += intent_weight
        reasons.append(f"priority factor intent_severity +{intent_weight}: {intent}")
    for factor in rules.factors:
        evidence = _fires(factor, ctx)
        if evidence is None:
            continue
        score += factor.weight
        note = f"priority factor {factor.name} +{factor.weight}: {evidence}"
        if factor.at_least is not None:
            note += f" (at least {factor.at_least.value})"
            floor = min(floor, factor.at_least, key=lambda p: p.rank)
        reasons.append(note)
    for name, weight, evidence in _numeric_factors(item, rules):
        score += weight
        reasons.append(f"priority factor {name} +{weight}: {evidence}")
    by_score = next(
        (p for p in (Priority.P1, Priority.P2, Priority.P3) if score >= rules.thresholds[p]),
        Priority.P4,
    )
    priority = min(by_score, floor, key=lambda p: p.rank)
    reasons.append(f"priority {priority.value}: score {score}")
    return PriorityDecision(priority, score, tuple(reasons))
