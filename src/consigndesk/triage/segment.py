"""Word segmentation for triage: jieba's dictionary and algorithm in Rust (jieba-rs, through
rjieba) with the platform's own terms, initialised once on first use (ADR 0105)."""

from __future__ import annotations

import threading
from importlib import resources

import rjieba

_lock = threading.Lock()
_tokenizer: rjieba.Jieba | None = None


def _initialise() -> rjieba.Jieba:
    """The default dictionary plus our user dictionary, in a private tokenizer."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            tokenizer = rjieba.Jieba()
            userdict = resources.files("consigndesk.triage").joinpath("data/userdict.txt")
            with userdict.open("r", encoding="utf-8") as fh:
                for line in fh:
                    word, freq, tag = line.split()
                    tokenizer.add_word(word, int(freq), tag)
            _tokenizer = tokenizer
        return _tokenizer


def words(text: str) -> list[str]:
    """Segment into words, dropping whitespace and punctuation-only tokens."""
    tokenizer = _tokenizer or _initialise()
    return [w for w in tokenizer.cut(text) if w.isalnum() or any(ch.isalnum() for ch in w)]
