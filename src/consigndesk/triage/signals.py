"""Explicit, explainable evidence of emotion: keywords, shouting, punctuation, emoji."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consigndesk.triage.rules import Rules, SignalRule
from consigndesk.triage.text import CleanText

_WORD = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True, slots=True)
class SignalHit:
    name: str
    evidence: str
    emotion: str | None
    sentiment: str | None

    @property
    def reason(self) -> str:
        return f"signal {self.name}: {self.evidence}"


def _shouting(rule: SignalRule, cased: str) -> str | None:
    """Mostly capitals, or a run of capitalised words ("YOU CHARGED TWICE for …")."""
    words = _WORD.findall(cased)
    caps = [w for w in words if w.isupper()]
    if len(caps) < rule.min_caps_words:
        return None
    run = longest = 0
    for w in words:
        run = run + 1 if w.isupper() else 0
        longest = max(longest, run)
    if len(caps) / len(words) >= rule.min_caps_ratio or 0 < rule.min_caps_run <= longest:
        return "all caps '" + " ".join(caps[:3]) + "'"
    return None


def _evidence(rule: SignalRule, text: CleanText) -> str | None:
    if rule.min_caps_words:
        return _shouting(rule, text.cased)
    if rule.pattern is not None:
        match = rule.pattern.search(text.cased)
        return f"'{match.group(0)}'" if match else None
    if rule.emojis:
        found = [e for e in text.emojis if e in rule.emojis]
        return f"'{found[0]}'" if found else None
    keyword = rule.keywords.find(text.text)
    return f"'{keyword}'" if keyword else None


def detect_signals(text: CleanText, rules: Rules) -> list[SignalHit]:
    """Every configured signal that fires on this message, with what triggered it."""
    hits = []
    for rule in rules.signals:
        evidence = _evidence(rule, text)
        if evidence is not None:
            hits.append(SignalHit(rule.name, evidence, rule.emotion, rule.sentiment))
    return hits
