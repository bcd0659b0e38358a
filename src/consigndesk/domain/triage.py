"""The triage seam: what every inbound customer message is classified into.

The engine itself lives outside the domain (it needs models); services depend only on the
`Triage` protocol below, so the placeholder and the trained engine are interchangeable.
"""

from dataclasses import dataclass, field
from typing import Protocol

from consigndesk.domain.taxonomy import DEFAULT_GROUP_FOR_INTENT, Intent


@dataclass(frozen=True, slots=True)
class TriageInput:
    text: str
    role: str = "buyer"  # buyer | seller
    channel: str = "api"  # chat | email | voice | api
    tier: str = "regular"  # regular | vip
    order_value: str | None = None  # decimal string of the linked order's amount, if known
    repeat_contacts_72h: int = 0  # earlier tickets by the same customer in the last 72 h
    sla_seconds_left: int | None = None


@dataclass(frozen=True, slots=True)
class TriageResult:
    language: str
    intent: str
    intent_confidence: float
    sentiment: str
    emotion: str
    priority: str
    group: str
    reasons: tuple[str, ...] = field(default_factory=tuple)
    model_version: str = "placeholder"
    needs_human: bool = False  # confidence below threshold: a human must confirm the intent

    def as_dict(self) -> dict[str, object]:
        return {
            "language": self.language,
            "intent": self.intent,
            "intent_confidence": self.intent_confidence,
            "sentiment": self.sentiment,
            "emotion": self.emotion,
            "priority": self.priority,
            "group": self.group,
            "reasons": list(self.reasons),
            "model_version": self.model_version,
            "needs_human": self.needs_human,
        }


class Triage(Protocol):
    def triage(self, item: TriageInput) -> TriageResult: ...


def _guess_language(text: str) -> str:
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return "zh" if han * 2 >= latin and han > 0 else "en"


class PlaceholderTriage:
    """Used until a trained engine is configured: every message gets other / P3 / general."""

    def triage(self, item: TriageInput) -> TriageResult:
        return TriageResult(
            language=_guess_language(item.text),
            intent=Intent.OTHER.value,
            intent_confidence=0.0,
            sentiment="neutral",
            emotion="none",
            priority="P3",
            group=DEFAULT_GROUP_FOR_INTENT[Intent.OTHER],
            reasons=("no triage engine configured: default other/P3/general",),
            model_version="placeholder",
            needs_human=True,
        )
