"""The triage rules file (priority_rules.toml) parsed into typed, pre-compiled rules."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from consigndesk.domain.taxonomy import Priority
from consigndesk.triage.text import is_han

DEFAULT_RULES_FILE = "priority_rules.toml"


class KeywordMatcher:
    """Finds the first listed keyword in cleaned text; ASCII keywords match whole words only."""

    def __init__(self, keywords: list[str]) -> None:
        self.keywords = tuple(k.lower() for k in keywords)
        # Every alternative starts with its literal, so `re` skips ahead to the positions where
        # one could start (a leading look-behind would make it try every alternative at every
        # position: ten times slower). The look-behind after the word sees the character
        # before it: `kw(?<![a-z0-9]kw)` is `(?<![a-z0-9])kw`.
        parts = [
            re.escape(k)
            if any(is_han(ch) for ch in k)
            else rf"{re.escape(k)}(?<![a-z0-9]{re.escape(k)})(?![a-z0-9])"
            for k in sorted(self.keywords, key=len, reverse=True)
        ]
        self._pattern = re.compile("|".join(parts)) if parts else None

    def find(self, text: str) -> str | None:
        if self._pattern is None:
            return None
        match = self._pattern.search(text)
        return match.group(0) if match else None


@dataclass(frozen=True)
class SignalRule:
    name: str
    emotion: str | None
    sentiment: str | None
    keywords: KeywordMatcher
    emojis: str
    pattern: re.Pattern[str] | None
    min_caps_words: int
    min_caps_ratio: float
    min_caps_run: int


@dataclass(frozen=True)
class FactorRule:
    name: str
    weight: int
    at_least: Priority | None
    keywords: KeywordMatcher | None
    signals: frozenset[str]
    emotions: frozenset[str]
    tiers: frozenset[str]
    intents: frozenset[str]


@dataclass(frozen=True)
class Rules:
    thresholds: dict[Priority, int]
    signals: tuple[SignalRule, ...]
    factors: tuple[FactorRule, ...]
    intent_weights: dict[str, int]
    order_value_steps: tuple[tuple[float, int], ...]
    repeat_weight_per_contact: int
    repeat_max_weight: int
    sla_breached_weight: int
    sla_soon_seconds: int
    sla_soon_weight: int
    source: str


def _signal(name: str, raw: dict[str, Any]) -> SignalRule:
    return SignalRule(
        name=name,
        emotion=raw.get("emotion"),
        sentiment=raw.get("sentiment"),
        keywords=KeywordMatcher(list(raw.get("keywords", []))),
        emojis=str(raw.get("emojis", "")),
        pattern=re.compile(raw["pattern"]) if "pattern" in raw else None,
        min_caps_words=int(raw.get("min_caps_words", 0)),
        min_caps_ratio=float(raw.get("min_caps_ratio", 0.0)),
        min_caps_run=int(raw.get("min_caps_run", 0)),
    )


def _factor(name: str, raw: dict[str, Any]) -> FactorRule:
    return FactorRule(
        name=name,
        weight=int(raw["weight"]),
        at_least=Priority(raw["at_least"]) if "at_least" in raw else None,
        keywords=KeywordMatcher(list(raw["keywords"])) if "keywords" in raw else None,
        signals=frozenset(raw.get("signals", [])),
        emotions=frozenset(raw.get("emotions", [])),
        tiers=frozenset(raw.get("tiers", [])),
        intents=frozenset(raw.get("intents", [])),
    )


def load_rules(path: str | Path | None = None) -> Rules:
    """Read the packaged rules, or an admin's copy at `path`."""
    if path is None:
        source = resources.files("consigndesk.triage").joinpath("data", DEFAULT_RULES_FILE)
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
        origin = f"package:{DEFAULT_RULES_FILE}"
    else:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        origin = str(path)
    repeat = raw.get("repeat_contacts", {})
    sla = raw.get("sla", {})
    return Rules(
        thresholds={Priority(k): int(v) for k, v in raw["thresholds"].items()},
        signals=tuple(_signal(n, r) for n, r in raw.get("signals", {}).items()),
        factors=tuple(_factor(n, r) for n, r in raw.get("factors", {}).items()),
        intent_weights={str(k): int(v) for k, v in raw.get("intent_weights", {}).items()},
        order_value_steps=tuple(
            (float(a), int(w)) for a, w in raw.get("order_value", {}).get("steps", [])
        ),
        repeat_weight_per_contact=int(repeat.get("weight_per_contact", 0)),
        repeat_max_weight=int(repeat.get("max_weight", 0)),
        sla_breached_weight=int(sla.get("breached_weight", 0)),
        sla_soon_seconds=int(sla.get("soon_seconds", 0)),
        sla_soon_weight=int(sla.get("soon_weight", 0)),
        source=origin,
    )
