"""Concept features from the hand-written synonym groups in data/concepts.txt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from consigndesk.triage.text import is_han


@dataclass(frozen=True)
class _Lexicon:
    """All terms in two alternations (one scan each) and the concepts each term belongs to."""

    english: re.Pattern[str]
    chinese: re.Pattern[str]
    concepts_of: dict[str, tuple[str, ...]]


def _alternation(terms: list[str], prefix: str) -> re.Pattern[str]:
    ordered = sorted(terms, key=len, reverse=True)
    return re.compile(prefix + "(?:" + "|".join(re.escape(t) for t in ordered) + ")")


@cache
def _lexicon() -> _Lexicon:
    source = resources.files("consigndesk.triage").joinpath("data/concepts.txt")
    concepts_of: dict[str, list[str]] = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, terms = line.partition(":")
        for term in (t.strip().lower() for t in terms.split(",")):
            if term:
                concepts_of.setdefault(term, []).append(name.strip())
    han = [t for t in concepts_of if any(is_han(ch) for ch in t)]
    latin = [t for t in concepts_of if t not in set(han)]
    return _Lexicon(
        english=_alternation(latin, r"\b"),  # English terms match at a word start
        chinese=_alternation(han, ""),
        concepts_of={t: tuple(c) for t, c in concepts_of.items()},
    )


def concept_features(text: str) -> list[str]:
    """One `k:<concept>` feature per matching term occurrence."""
    lexicon = _lexicon()
    found = [m.group(0) for m in lexicon.english.finditer(text)]
    found.extend(m.group(0) for m in lexicon.chinese.finditer(text))
    return [f"k:{concept}" for term in found for concept in lexicon.concepts_of[term]]
