"""Decide whether a message is Chinese or English, and say so when it is neither."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consigndesk.triage.text import is_han

_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_HAN_PER_WORD = 1.5  # a Chinese word is about one and a half characters


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str  # zh | en: the model language used
    detected: str  # zh | en | ja | ko | ru | unknown
    supported: bool


def _count_scripts(text: str) -> dict[str, int]:
    counts = {"han": 0, "kana": 0, "hangul": 0, "cyrillic": 0, "other_letters": 0}
    for ch in text:
        if is_han(ch):
            counts["han"] += 1
        elif "\u3040" <= ch <= "\u30ff":
            counts["kana"] += 1
        elif "\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff":
            counts["hangul"] += 1
        elif "\u0400" <= ch <= "\u04ff":
            counts["cyrillic"] += 1
        elif ch.isalpha() and not ch.isascii():
            counts["other_letters"] += 1
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
