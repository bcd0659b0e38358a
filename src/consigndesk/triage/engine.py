"""TriageEngine: the `Triage` protocol over a stored model plus the rules file."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from consigndesk.domain.taxonomy import DEFAULT_GROUP_FOR_INTENT, Intent
from consigndesk.domain.triage import TriageInput, TriageResult
from consigndesk.triage.dataset import packaged_path
from consigndesk.triage.lang import detect_language
from consigndesk.triage.model import Prediction, TriageModel, load_model
from consigndesk.triage.mood import assess_mood
from consigndesk.triage.priority import decide_priority
from consigndesk.triage.rules import Rules, load_rules
from consigndesk.triage.signals import detect_signals
from consigndesk.triage.text import HAN_RANGES, MAX_CHARS, CleanText, clean

DEFAULT_MODEL_DIR = "model"
DEFAULT_CONFIDENCE_THRESHOLD = 0.5
MIN_READABLE_SHARE = 0.7  # below this share of plain characters the text is treated as garbage
# Outside printable ASCII, whitespace, Han, kana, hangul and Cyrillic: readable only if punctuation.
_NOT_SCRIPT = re.compile(f"[^\x20-\x7e\\s{HAN_RANGES}\u3040-\u30ff\uac00-\ud7af\u0400-\u04ff]")


def default_model_path() -> Path:
    return packaged_path(DEFAULT_MODEL_DIR)


def _readable_share(text: CleanText) -> float:
    """Share of characters a real zh/en (or other detected-script) message is made of."""
    if not text.text:
        return 0.0
    unreadable = sum(
        1 for ch in _NOT_SCRIPT.findall(text.text) if not unicodedata.category(ch).startswith("P")
    )
    return (len(text.text) - unreadable) / (len(text.text) + text.dropped_chars)


def _as_text(value: object) -> str:
    """Callers may hand over raw bytes despite the type; undecodable bytes become U+FFFD."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else ""


class TriageEngine:
    """Thread-safe for reads: a triage call works on one immutable model snapshot throughout."""

    def __init__(
        self,
        model: TriageModel,
        *,
        rules: Rules | None = None,
        intent_to_group: Mapping[str, str] | None = None,
        confidence_threshold: float = DEFAULT_CONFIDENCE_THRESHOLD,
    ) -> None:
        self._model = model
        self._swap_lock = threading.Lock()
        self.rules = rules or load_rules()
        self.confidence_threshold = confidence_threshold
        self.set_intent_groups(intent_to_group or {})

    def set_intent_groups(self, overrides: Mapping[str, str]) -> None:
        """Admins' intent → group map on top of TAXONOMY.md's defaults (replaced atomically)."""
        groups = {intent.value: group for intent, group in DEFAULT_GROUP_FOR_INTENT.items()}
        groups.update(overrides)
        self.intent_to_group = groups

    @property
    def model(self) -> TriageModel:
        return self._model

    def swap(self, model: TriageModel) -> TriageModel:
        """Serve `model` from now on; calls in flight finish on the old one, which is returned."""
        with self._swap_lock:
            old, self._model = self._model, model
        return old

    def triage(self, item: TriageInput) -> TriageResult:
        model = self._model  # one snapshot per call, even if swap() runs meanwhile
        text = clean(_as_text(item.text))
        role = item.role if item.role in ("buyer", "seller") else "buyer"
        reasons: list[str] = []
        if text.truncated:
            reasons.append(f"text truncated to the first {MAX_CHARS} characters")
        guess = detect_language(text.text)
        intent, confidence, heads = self._classify(model, text, guess.supported, role, reasons)
        if not guess.supported and text.text:
            reasons.append(f"language not zh/en ({guess.detected}): treated as en")
        hits = detect_signals(text, self.rules)
        mood = assess_mood(heads.get("sentiment"), heads.get("emotion"), hits)
        reasons.extend(mood.reasons)
        decision = decide_priority(item, text.text, intent, mood.emotion.value, hits, self.rules)
        reasons.extend(decision.reasons)
        needs_human = confidence < self.confidence_threshold
        return TriageResult(
            language=guess.language,
            intent=intent,
            intent_confidence=round(confidence, 4),
            sentiment=mood.sentiment.value,
            emotion=mood.emotion.value,
            priority=decision.priority.value,
            group=self.intent_to_group.get(intent, DEFAULT_GROUP_FOR_INTENT[Intent.OTHER]),
            reasons=tuple(reasons),
            model_version=model.version,
            needs_human=needs_human,
        )

    def _classify(
        self, model: TriageModel, text: CleanText, supported: bool, role: str, reasons: list[str]
    ) -> tuple[str, float, dict[str, Prediction]]:
        """Intent and confidence; unusable text gets `other` at confidence 0 with the reason."""
        if not text.text:
            reasons.append("text empty" if not text.emojis else "no words: only emoji or symbols")
            return Intent.OTHER.value, 0.0, {}
        if _readable_share(text) < MIN_READABLE_SHARE:
            reasons.append("text unreadable: looks like binary or garbled encoding")
            return Intent.OTHER.value, 0.0, {}
        if not supported:
            reasons.append("intent not classified: the model knows only zh and en")
            return Intent.OTHER.value, 0.0, {}
        heads = model.predict(text.text, role)
        intent = heads["intent"]
        reasons.append(f"intent {intent.label} ({intent.confidence:.2f}, model {model.version})")
        if intent.confidence < self.confidence_threshold:
            reasons.append(
                f"intent confidence {intent.confidence:.2f} below threshold "
                f"{self.confidence_threshold:.2f}: needs human"
            )
        return intent.label, intent.confidence, heads


def default_engine(
    *,
    model_path: str | Path | None = None,
    rules_path: str | Path | None = None,
    intent_to_group: Mapping[str, str] | None = None,
    confidence_threshold: float = DEFAULT_CONFIDENCE_THRESHOLD,
) -> TriageEngine:
    """The engine with the shipped model and rules, each overridable by path."""
    return TriageEngine(
        load_model(model_path or default_model_path()),
        rules=load_rules(rules_path),
        intent_to_group=intent_to_group,
        confidence_threshold=confidence_threshold,
    )
