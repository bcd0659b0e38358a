"""Decide whether a message is Chinese or English, and say so when it is neither."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consigndesk.triage.text import HAN_RANGES

_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_HAN_PER_WORD = 1.5  # a Chinese word is about one and a half characters
_SCRIPT_RANGES = {
    "han": HAN_RANGES,
    "kana": "\u3040-\u30ff",
    "hangul": "\uac00-\ud7af\u1100-\u11ff",
    "cyrillic": "\u0400-\u04ff",
}
_SCRIPTS = {name: re.compile(f"[{chars}]") for name, chars in _SCRIPT_RANGES.items()}
_OTHER_NON_ASCII = re.compile(f"[^\x00-\x7f{''.join(_SCRIPT_RANGES.values())}]")


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str  # zh | en: the model language used
    detected: str  # zh | en | ja | ko | ru | unknown
    supported: bool


def _count_scripts(text: str) -> dict[str, int]:
    counts = {name: len(script.findall(text)) for name, script in _SCRIPTS.items()}
    counts["other_letters"] = sum(1 for ch in _OTHER_NON_ASCII.findall(text) if ch.isalpha())
    return counts


def detect_language(text: str) -> LanguageGuess:
    """Majority of script units wins (ties go to zh); unsupported scripts fall back to en."""
    counts = _count_scripts(text)
    latin_words = len(_LATIN_WORD.findall(text))
    zh_units = counts["han"] / _HAN_PER_WORD
    candidates = {
        "zh": zh_units,
        "en": float(latin_words),
        # a stray の in Chinese slang is not Japanese: kana must be a real share of the text
        "ja": counts["kana"] + zh_units if counts["kana"] * 5 >= counts["han"] else 0.0,
        "ko": float(counts["hangul"]),
        "ru": counts["cyrillic"] / 5.0,  # letters → words
        "unknown": counts["other_letters"] / 5.0,
    }
    best = max(candidates, key=lambda k: candidates[k])
    if candidates[best] == 0:
        return LanguageGuess("en", "unknown", False)
    if best in ("zh", "en"):
        return LanguageGuess(best, best, True)
    return LanguageGuess("en", best, False)
